/**
 * Scripts and functions on disk and on replicas:
 * - function libraries survive a restart from dump.rdb, from an AOF (with and without the RDB
 *   preamble, before and after BGREWRITEAOF), and reach a replica by full sync;
 * - a script is replicated by its effects (Redis 7's default): the AOF holds the commands it
 *   ran, wrapped in MULTI/EXEC, never the script; redis.set_repl(redis.REPL_NONE) keeps a
 *   write out of it;
 * - FUNCTION DUMP from our node restores into a real redis-server, and back.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { haveRedisServer, RespClient, spawnNode, spawnRedis, waitFor } from "./harness.ts";
import { spin } from "./scripting_helpers.ts";

const LIB = "#!lua name=counters\n" +
  "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)\n" +
  "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}";

/** Lua that runs 300 ms by the node's clock: past lua-time-limit 100, so the script yields. */
const SPIN_300MS = spin(300);

async function withClient<T>(port: number, fn: (c: RespClient) => Promise<T>): Promise<T> {
  const c = await RespClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function libraryNames(c: RespClient): Promise<string[]> {
  const list = await c.call("FUNCTION", "LIST") as unknown[][];
  return list.map((l) => l[1] as string).sort();
}

Deno.test({
  name:
    "function libraries survive a restart: dump.rdb, and an AOF with and without its RDB preamble",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cases: Record<string, string>[] = [
      { save: "3600 1", appendonly: "no" },
      { save: "", appendonly: "yes", "aof-use-rdb-preamble": "yes" },
      { save: "", appendonly: "yes", "aof-use-rdb-preamble": "no" },
    ];
    for (const directives of cases) {
      const node = await spawnNode(directives);
      const label = JSON.stringify(directives);
      try {
        await withClient(node.port, async (c) => {
          assert.equal(await c.call("FUNCTION", "LOAD", LIB), "counters", label);
          assert.equal(await c.call("FCALL", "bump", "1", "n", "5"), 5);
          if (directives.appendonly === "no") assert.equal(await c.call("SAVE"), "OK");
        });
        await node.stop();
        const again = await spawnNode(directives, { dir: node.dir });
        try {
          await withClient(again.port, async (c) => {
            assert.deepEqual(await libraryNames(c), ["counters"], label);
            assert.equal(await c.call("FCALL", "bump", "1", "n", "1"), 6, label);
            assert.equal(await c.call("FCALL_RO", "peek", "1", "n"), "6", label);
            if (directives.appendonly === "yes") {
              // After a rewrite the base file carries the library (RDB record or FUNCTION LOAD).
              assert.equal(
                await c.call("BGREWRITEAOF"),
                "Background append only file rewriting started",
              );
              await waitFor(
                "the rewrite to end",
                async () =>
                  (await c.call("INFO", "persistence") as string).includes(
                    "aof_rewrite_in_progress:0",
                  ) &&
                  (await c.call("INFO", "persistence") as string).includes(
                    "aof_last_bgrewrite_status:ok",
                  ),
              );
            }
          });
        } finally {
          await again.stop();
        }
        if (directives.appendonly === "yes") {
          const third = await spawnNode(directives, { dir: node.dir });
          try {
            await withClient(third.port, async (c) => {
              assert.deepEqual(await libraryNames(c), ["counters"], `${label} after BGREWRITEAOF`);
              assert.equal(await c.call("FCALL", "bump", "1", "n", "1"), 7, label);
            });
          } finally {
            await third.stop();
          }
        }
      } finally {
        await node.stop();
      }
    }
  },
});

Deno.test({
  name:
    "scripts are replicated by their effects: the AOF holds MULTI, the commands, EXEC; never EVAL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const node = await spawnNode({
      save: "",
      appendonly: "yes",
      appendfsync: "always",
      "lua-time-limit": "100",
    });
    try {
      await withClient(node.port, async (c) => {
        assert.equal(
          await c.call(
            "EVAL",
            "redis.call('SET', KEYS[1], 'x') redis.call('INCR', KEYS[2]) return redis.call('GET', KEYS[1])",
            "2",
            "a",
            "b",
          ),
          "x",
        );
        // One write: no MULTI around it.
        assert.equal(await c.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "b"), 2);
        // redis.set_repl(redis.REPL_NONE): the write stays out of the AOF.
        assert.equal(
          await c.call(
            "EVAL",
            "redis.set_repl(redis.REPL_NONE) redis.call('SET', KEYS[1], 'hidden') " +
              "redis.set_repl(redis.REPL_ALL) return redis.call('SET', KEYS[2], 'shown')",
            "2",
            "c",
            "d",
          ),
          "OK",
        );
        // A read-only script writes nothing.
        assert.equal(await c.call("EVAL", "return redis.call('GET', KEYS[1])", "1", "a"), "x");
        // Writes on both sides of the busy threshold (the script yields to the event loop in
        // between) still leave as one MULTI/EXEC.
        assert.equal(
          await c.call(
            "EVAL",
            "redis.call('SET', KEYS[1], '1') " + SPIN_300MS +
              "return redis.call('SET', KEYS[2], '2')",
            "2",
            "e",
            "f",
          ),
          "OK",
        );
        // The same inside MULTI: the commands around the script join its MULTI/EXEC.
        assert.equal(await c.call("MULTI"), "OK");
        assert.equal(await c.call("SET", "m1", "1"), "QUEUED");
        assert.equal(
          await c.call(
            "EVAL",
            "redis.call('SET', KEYS[1], '3') " + SPIN_300MS +
              "return redis.call('SET', KEYS[2], '4')",
            "2",
            "g",
            "h",
          ),
          "QUEUED",
        );
        assert.equal(await c.call("SET", "m2", "2"), "QUEUED");
        assert.deepEqual(await c.call("EXEC"), ["OK", "OK", "OK"]);
      });
      const incr = join(node.dir, "appendonlydir", "appendonly.aof.1.incr.aof");
      const text = Deno.readTextFileSync(incr);
      const words = text.split("\r\n").filter((l) => l !== "" && !/^[*$]/.test(l));
      assert.deepEqual(words, [
        "SELECT",
        "0",
        "MULTI",
        "SET",
        "a",
        "x",
        "INCR",
        "b",
        "EXEC",
        "INCR",
        "b",
        "SET",
        "d",
        "shown",
        "MULTI",
        "SET",
        "e",
        "1",
        "SET",
        "f",
        "2",
        "EXEC",
        "MULTI",
        "SET",
        "m1",
        "1",
        "SET",
        "g",
        "3",
        "SET",
        "h",
        "4",
        "SET",
        "m2",
        "2",
        "EXEC",
      ]);
    } finally {
      await node.stop();
    }
  },
});

Deno.test({
  name: "redis.set_repl: REPL_AOF writes reach the AOF only, REPL_REPLICA ones the replicas only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const master = await spawnNode({ save: "", appendonly: "yes", appendfsync: "always" });
    const replica = await spawnNode({ save: "" });
    try {
      await withClient(replica.port, async (r) => {
        assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(master.port)), "OK");
        await waitFor(
          "the replica to sync",
          async () =>
            (await r.call("INFO", "replication") as string).includes("master_link_status:up"),
        );
        await withClient(master.port, async (c) => {
          assert.equal(
            await c.call(
              "EVAL",
              "redis.set_repl(redis.REPL_AOF) redis.call('SET', 'aofonly', '1') " +
                "redis.set_repl(redis.REPL_REPLICA) redis.call('SET', 'reponly', '1') " +
                "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'nowhere', '1') " +
                "redis.set_repl(redis.REPL_ALL) return redis.call('SET', 'everywhere', '1')",
              "0",
            ),
            "OK",
          );
          assert.equal(await c.call("WAIT", "1", "5000"), 1);
        });
        assert.equal(await r.call("GET", "aofonly"), null);
        assert.equal(await r.call("GET", "reponly"), "1");
        assert.equal(await r.call("GET", "nowhere"), null);
        assert.equal(await r.call("GET", "everywhere"), "1");
      });
      const aof = Deno.readTextFileSync(
        join(master.dir, "appendonlydir", "appendonly.aof.1.incr.aof"),
      );
      const words = aof.split("\r\n").filter((l) => l !== "" && !/^[*$]/.test(l));
      assert.deepEqual(words.slice(words.indexOf("MULTI")), [
        "MULTI",
        "SET",
        "aofonly",
        "1",
        "SET",
        "everywhere",
        "1",
        "EXEC",
      ]);
    } finally {
      await replica.stop();
      await master.stop();
    }
  },
});

Deno.test({
  name: "a replica gets the libraries by full sync and the scripts' effects by the stream",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const master = await spawnNode({ save: "" });
    const replica = await spawnNode({ save: "" });
    try {
      await withClient(master.port, async (c) => {
        assert.equal(await c.call("FUNCTION", "LOAD", LIB), "counters");
        assert.equal(await c.call("FCALL", "bump", "1", "n", "3"), 3);
      });
      await withClient(replica.port, async (r) => {
        assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(master.port)), "OK");
        await waitFor(
          "the replica to sync",
          async () =>
            (await r.call("INFO", "replication") as string).includes("master_link_status:up"),
        );
        assert.deepEqual(await libraryNames(r), ["counters"]);
        assert.equal(await r.call("FCALL_RO", "peek", "1", "n"), "3");
        await withClient(master.port, async (c) => {
          assert.equal(await c.call("FCALL", "bump", "1", "n", "4"), 7);
          // FUNCTION LOAD after the sync travels as a command.
          assert.equal(
            await c.call(
              "FUNCTION",
              "LOAD",
              "#!lua name=more\nredis.register_function('twice', function(k) return 2 * redis.call('GET', k[1]) end)",
            ),
            "more",
          );
          assert.equal(await c.call("WAIT", "1", "5000"), 1);
        });
        assert.equal(await r.call("GET", "n"), "7");
        assert.equal(await r.call("FCALL_RO", "peek", "1", "n"), "7");
        assert.deepEqual(await libraryNames(r), ["counters", "more"]);
        // A function that writes is refused on the read-only replica before it runs.
        assert.equal(
          String(await r.call("FCALL", "bump", "1", "n", "1")),
          "Error: READONLY You can't write against a read only replica.",
        );
      });
    } finally {
      await replica.stop();
      await master.stop();
    }
  },
});

Deno.test({
  name: "FUNCTION DUMP payloads move between our node and redis-server both ways",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const ours = await spawnNode({ save: "" });
    const redis = await spawnRedis({ save: "" });
    try {
      const a = await RespClient.connect(ours.port);
      const b = await RespClient.connect(redis.port);
      try {
        assert.equal(await a.call("FUNCTION", "LOAD", LIB), "counters");
        const fromOurs = await a.callRaw("FUNCTION", "DUMP");
        assert.equal(fromOurs.type, "bulk");
        if (fromOurs.type !== "bulk") return;
        assert.equal(await b.call("FUNCTION", "RESTORE", fromOurs.value), "OK");
        assert.equal(await b.call("FCALL", "bump", "1", "n", "2"), 2);
        // Restoring again without a policy: the library exists, the same error on both.
        const again = [
          String(await a.call("FUNCTION", "RESTORE", fromOurs.value)),
          String(await b.call("FUNCTION", "RESTORE", fromOurs.value)),
        ];
        assert.equal(again[0], again[1]);
        assert.equal(again[0], "Error: ERR Library counters already exists");
        // And back: redis-server's payload restores into our node with FLUSH.
        assert.equal(
          await b.call(
            "FUNCTION",
            "LOAD",
            "#!lua name=other\nredis.register_function('one', function() return 1 end)",
          ),
          "other",
        );
        const fromRedis = await b.callRaw("FUNCTION", "DUMP");
        if (fromRedis.type !== "bulk") throw new Error("no payload");
        assert.equal(await a.call("FUNCTION", "RESTORE", fromRedis.value, "FLUSH"), "OK");
        assert.deepEqual(await libraryNames(a), ["counters", "other"]);
        assert.equal(await a.call("FCALL", "one", "0"), 1);
      } finally {
        a.close();
        b.close();
      }
    } finally {
      await ours.stop();
      await redis.stop();
    }
  },
});
