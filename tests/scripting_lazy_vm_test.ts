/**
 * The Lua VM is made on first use (an idle node holds none): the first script of a node runs
 * inside a transaction as one unit, and DEBUG RELOAD of an RDB holding function libraries on a
 * node that never ran a script loads them (the other first-use paths, a restart from dump.rdb or
 * an AOF and a replica's full sync, are in scripting_persistence_test.ts). The script engine's
 * module too is imported on first use (scripting/scripts_shell.ts): the commands that do not need
 * the VM answer before it as redis-server 7.0.15 does.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pipelined, RespClient, spawnNode } from "./harness.ts";
import { show, withSpawnedNodeAndRedis } from "./compare.ts";

const LIB = "#!lua name=counters\n" +
  "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)";

Deno.test({
  name: "lazy Lua VM: the first script, inside MULTI/EXEC, runs in the transaction's order",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const node = await spawnNode({ save: "" });
    const c = await RespClient.connect(node.port);
    const other = await RespClient.connect(node.port);
    try {
      assert.equal(await c.call("MULTI"), "OK");
      assert.equal(await c.call("SET", "k", "1"), "QUEUED");
      assert.equal(await c.call("EVAL", "return redis.call('INCR', KEYS[1])", "1", "k"), "QUEUED");
      assert.equal(await c.call("INCR", "k"), "QUEUED");
      // Another client's write while the VM is being made lands before or after the whole
      // transaction, never between its SET and its script.
      const exec = c.call("EXEC");
      await other.call("INCR", "k");
      assert.deepEqual(await exec, ["OK", 2, 3]);
    } finally {
      c.close();
      other.close();
      await node.stop();
    }
  },
});

Deno.test({
  name: "lazy Lua VM: DEBUG RELOAD NOSAVE of an RDB with a library, on a node without a VM",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const a = await spawnNode({ save: "" });
    const b = await spawnNode({ save: "" });
    const ca = await RespClient.connect(a.port);
    const cb = await RespClient.connect(b.port);
    try {
      assert.equal(await ca.call("FUNCTION", "LOAD", LIB), "counters");
      assert.equal(await ca.call("SET", "n", "5"), "OK");
      assert.equal(await ca.call("SAVE"), "OK");
      Deno.copyFileSync(join(a.dir, "dump.rdb"), join(b.dir, "dump.rdb"));
      assert.equal(await cb.call("DEBUG", "RELOAD", "NOSAVE"), "OK");
      assert.equal(await cb.call("FCALL", "bump", "1", "n", "2"), 7);
    } finally {
      ca.close();
      cb.close();
      await a.stop();
      await b.stop();
    }
  },
});

Deno.test({
  name: "lazy script engine: SCRIPT EXISTS / KILL / FLUSH before the engine is imported, as Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const sha = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
      // Nothing here needs the VM but EVALSHA (which imports the engine and answers NOSCRIPT).
      const cmds = [
        ["SCRIPT", "EXISTS", sha, sha],
        ["SCRIPT", "KILL"],
        ["SCRIPT", "FLUSH"],
        ["EVALSHA", sha, "0"],
        ["SCRIPT", "KILL"],
        ["SCRIPT", "EXISTS", sha],
      ];
      assert.deepEqual((await pipelined(a, cmds)).map(show), (await pipelined(b, cmds)).map(show));
    });
  },
});
