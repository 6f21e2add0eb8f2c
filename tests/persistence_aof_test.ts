/**
 * The append-only file end to end: kill -9 under write load keeps every acknowledged write
 * (appendfsync always and everysec), Redis 7.0's multi-part files both ways (redis-check-aof,
 * redis-server loading ours, ours loading redis-server's), BGREWRITEAOF while clients write,
 * a truncated tail as aof-load-truncated says, CONFIG SET appendonly yes, the automatic rewrite.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeCommand,
  pipelined,
  RespClient,
  run,
  spawnNode,
  spawnRedis,
  tempDir,
  waitFor,
} from "./harness.ts";
import { debugDigest as digest, infoField as info, populate } from "./rdb_helpers.ts";

/**
 * Writers on `conns` connections SET w:<conn>:<i> = i in pipelined batches, counting what was
 * acknowledged, until the node is killed with SIGKILL after `killAfterAcks` replies in all.
 */
async function writeUntilKilled(
  port: number,
  kill: () => Promise<void>,
  killAfterAcks: number,
  conns = 4,
): Promise<number[]> {
  const acked = new Array(conns).fill(-1);
  let total = 0;
  let killing: Promise<void> | null = null;
  await Promise.all(Array.from({ length: conns }, async (_, w) => {
    const c = await RespClient.connect(port);
    try {
      for (let i = 0;; i += 10) {
        const batch: Uint8Array[] = [];
        for (let j = i; j < i + 10; j++) {
          batch.push(encodeCommand(["SET", `w:${w}:${j}`, String(j)]));
        }
        await c.writeRaw(new Uint8Array(batch.flatMap((b) => [...b])));
        for (let j = i; j < i + 10; j++) {
          const v = await c.readValue(5000);
          if (v === null || (v as { value?: unknown }).value !== "OK") return;
          acked[w] = j;
          if (++total === killAfterAcks) killing = kill();
        }
      }
    } catch {
      /* the connection died with the node */
    } finally {
      c.close();
    }
  }));
  await killing;
  return acked;
}

async function lostAfterRestart(
  fsync: "always" | "everysec",
): Promise<{ acked: number; lost: number }> {
  const node = await spawnNode({ save: "", appendonly: "yes", appendfsync: fsync });
  const acked = await writeUntilKilled(node.port, () => node.kill(), 4000);
  const again = await spawnNode({ save: "", appendonly: "yes", appendfsync: fsync }, {
    dir: node.dir,
  });
  const c = await RespClient.connect(again.port);
  let lost = 0;
  let total = 0;
  try {
    for (const [w, last] of acked.entries()) {
      total += last + 1;
      for (let i = 0; i <= last; i += 500) {
        const keys = Array.from(
          { length: Math.min(500, last + 1 - i) },
          (_, k) => `w:${w}:${i + k}`,
        );
        const vals = await c.call("MGET", ...keys) as (string | null)[];
        lost += vals.filter((v) => v === null).length;
      }
    }
  } finally {
    c.close();
    await again.stop();
  }
  console.log(`appendfsync ${fsync}: kill -9 after ${total} acknowledged writes, ${lost} lost`);
  return { acked: total, lost };
}

Deno.test("aof: kill -9 under write load with appendfsync always loses no acknowledged write", async () => {
  const r = await lostAfterRestart("always");
  assert.ok(r.acked >= 4000);
  assert.equal(r.lost, 0);
});

Deno.test("aof: kill -9 under write load with appendfsync everysec loses no acknowledged write", async () => {
  // Written before the reply leaves, so only a power loss could lose the last second.
  const r = await lostAfterRestart("everysec");
  assert.ok(r.acked >= 4000);
  assert.equal(r.lost, 0);
});

/**
 * Files both ways with redis-server under `opts`: ours (after a rewrite and more writes) pass
 * redis-check-aof and load in redis-server with the same digest; then redis-server's (after its
 * own rewrite and more writes) load in ours. `checkOurFiles` looks at our files first.
 */
async function aofBothWays(
  opts: Record<string, string>,
  checkOurFiles: (dir: string) => void,
): Promise<void> {
  const node = await spawnNode(opts);
  let c = await RespClient.connect(node.port);
  try {
    await populate(c);
    await c.call("SET", "ttl", "v", "PX", "3600000");
    assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
    await waitFor("the rewrite", async () => await info(c, "aof_rewrite_in_progress") === "0");
    await c.call("INCRBY", "counter", "41");
    await c.call("LPUSH", "list:small", "more");
    const ours = await digest(c);
    const dir = join(node.dir, "appendonlydir");
    checkOurFiles(dir);
    c.close();
    assert.equal(await node.stop(), 0);
    const check = await run("redis-check-aof", [join(dir, "appendonly.aof.manifest")]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /is valid/);
    const redis = await spawnRedis({ ...opts, dir: node.dir, "enable-debug-command": "yes" });
    const rc = await RespClient.connect(redis.port);
    try {
      assert.equal(await digest(rc), ours);
      await rc.call("SET", "theirs", "1");
      assert.equal(await rc.call("BGREWRITEAOF"), "Background append only file rewriting started");
      await waitFor("their rewrite", async () => await info(rc, "aof_rewrite_in_progress") === "0");
      await rc.call("HSET", "hash:small", "from", "redis");
      const theirs = await digest(rc);
      rc.close();
      await redis.stop();
      const back = await spawnNode(opts, { dir: node.dir });
      c = await RespClient.connect(back.port);
      assert.equal(await digest(c), theirs);
      await back.stop();
    } finally {
      rc.close();
      await redis.stop();
    }
  } finally {
    c.close();
    await node.stop();
  }
}

Deno.test("aof: our files pass redis-check-aof and load in redis-server; redis-server's load in ours", async () => {
  await aofBothWays({ save: "", appendonly: "yes" }, (dir) => {
    const manifest = Deno.readTextFileSync(join(dir, "appendonly.aof.manifest"));
    assert.match(manifest, /appendonly\.aof\.2\.base\.rdb seq 2 type b/);
  });
});

Deno.test("aof: BGREWRITEAOF while clients write keeps every write; old files are deleted", async () => {
  const node = await spawnNode({ save: "", appendonly: "yes", "rdb-key-save-delay": "1000" });
  const c = await RespClient.connect(node.port);
  try {
    for (let i = 0; i < 400; i++) await c.call("RPUSH", `l${i}`, "a");
    // Keys no write touches: the walk still has them to write (1 ms each) after the writes, so
    // the rewrite is certainly still running then (a key written to is preserved at once).
    await pipelined(c, Array.from({ length: 400 }, (_, i) => ["SET", `pad${i}`, String(i)]));
    assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
    assert.deepEqual(await c.callRaw("BGREWRITEAOF"), {
      type: "error",
      value: "ERR Background append only file rewriting already in progress",
    });
    // In one write, so they all land while the rewrite runs.
    const writes: string[][] = [];
    for (let i = 0; i < 400; i++) {
      writes.push(["RPUSH", `l${i}`, "b"]);
      if (i % 3 === 0) writes.push(["DEL", `l${i}`]);
      writes.push(["SET", `new${i}`, "x"]);
    }
    await pipelined(c, writes);
    assert.equal(await info(c, "aof_rewrite_in_progress"), "1");
    await waitFor(
      "the rewrite",
      async () => await info(c, "aof_rewrite_in_progress") === "0",
      30_000,
    );
    assert.equal(await info(c, "aof_last_bgrewrite_status"), "ok");
    const before = await digest(c);
    const files = [...Deno.readDirSync(join(node.dir, "appendonlydir"))].map((e) => e.name).sort();
    assert.deepEqual(files, [
      "appendonly.aof.2.base.rdb",
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    c.close();
    await node.stop("SIGKILL");
    const again = await spawnNode({ save: "", appendonly: "yes" }, { dir: node.dir });
    const c2 = await RespClient.connect(again.port);
    assert.equal(await digest(c2), before);
    c2.close();
    await again.stop();
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("aof: a truncated tail loads as redis-server loads it (aof-load-truncated yes), or stops the node (no)", async () => {
  const node = await spawnNode({ save: "", appendonly: "yes" });
  const c = await RespClient.connect(node.port);
  await c.call("SET", "a", "1");
  await c.call("SET", "b", "2");
  c.close();
  await node.stop();
  const incr = join(node.dir, "appendonlydir", "appendonly.aof.1.incr.aof");
  const whole = Deno.readFileSync(incr).length;
  const f = Deno.openSync(incr, { append: true });
  f.writeSync(new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1"));
  f.close();
  const copy = await tempDir("aof-trunc");
  await run("cp", ["-r", join(node.dir, "appendonlydir"), copy]);

  const refused = await spawnNode({ save: "", appendonly: "yes", "aof-load-truncated": "no" }, {
    dir: node.dir,
    waitReady: false,
  });
  assert.equal(await refused.exited(), 1);
  assert.match(refused.output(), /Unexpected end of file reading the append only file/);

  const ours = await spawnNode({ save: "", appendonly: "yes" }, { dir: node.dir });
  const redis = await spawnRedis({ dir: copy, appendonly: "yes", "enable-debug-command": "yes" });
  const oc = await RespClient.connect(ours.port);
  const rc = await RespClient.connect(redis.port);
  try {
    assert.equal(await digest(oc), await digest(rc));
    assert.deepEqual(await oc.call("MGET", "a", "b", "c"), ["1", "2", null]);
    assert.match(
      ours.output(),
      /AOF appendonly\.aof\.1\.incr\.aof loaded anyway because aof-load-truncated is enabled/,
    );
    // Truncated at the last whole command, as redis-server truncates its copy.
    assert.equal(Deno.readFileSync(incr).length, whole);
  } finally {
    oc.close();
    rc.close();
    await ours.stop();
    await redis.stop();
  }
});

Deno.test("aof: CONFIG SET appendonly yes writes a base at once; a restart with it keeps the data; auto rewrite", async () => {
  const node = await spawnNode({ save: "" });
  let c = await RespClient.connect(node.port);
  try {
    await c.call("SET", "before", "1");
    await c.call(
      "CONFIG",
      "SET",
      "auto-aof-rewrite-min-size",
      "2048",
      "auto-aof-rewrite-percentage",
      "100",
    );
    assert.equal(await c.call("CONFIG", "SET", "appendonly", "yes"), "OK");
    await waitFor("the first base", async () => await info(c, "aof_rewrite_in_progress") === "0");
    await c.call("SET", "after", "2");
    // Enough writes to grow the files past twice the base and the minimum size.
    for (let i = 0; i < 200; i++) await c.call("SET", "grow", "x".repeat(50));
    await waitFor(
      "an automatic rewrite",
      async () => Number(await info(c, "aof_rewrites")) >= 2,
      10_000,
    );
    c.close();
    await node.stop("SIGKILL");
    const again = await spawnNode({ save: "", appendonly: "yes" }, { dir: node.dir });
    c = await RespClient.connect(again.port);
    assert.deepEqual(await c.call("MGET", "before", "after"), ["1", "2"]);
    await again.stop();
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("aof: with aof-use-rdb-preamble no and aof-timestamp-enabled yes, ours and redis-server read each other's files", async () => {
  const opts = {
    save: "",
    appendonly: "yes",
    "aof-use-rdb-preamble": "no",
    "aof-timestamp-enabled": "yes",
  };
  await aofBothWays(opts, (dir) => {
    const base = Deno.readTextFileSync(join(dir, "appendonly.aof.2.base.aof"));
    assert.match(base, /^\*2\r\n\$6\r\nSELECT\r\n/);
    assert.match(base, /\r\nHMSET\r\n/);
    assert.match(base, /\r\nPEXPIREAT\r\n/);
    assert.match(Deno.readTextFileSync(join(dir, "appendonly.aof.2.incr.aof")), /^#TS:\d+\r\n/);
  });
});

Deno.test("aof: a replica killed right after a full sync restarts with its master's dataset, not a mix", async () => {
  const master = await spawnNode({ save: "" });
  const mc = await RespClient.connect(master.port);
  // A slow background snapshot on the replica: a rewrite started by the sync would still run.
  const replica = await spawnNode({ save: "", appendonly: "yes", "rdb-key-save-delay": "5000" });
  const rc = await RespClient.connect(replica.port);
  try {
    for (let i = 0; i < 200; i++) await rc.call("SET", `old:${i}`, "before the sync");
    for (let i = 0; i < 100; i++) await mc.call("HSET", `m:${i}`, "f", String(i));
    assert.equal(await rc.call("REPLICAOF", "127.0.0.1", String(master.port)), "OK");
    await waitFor(
      "the full sync",
      async () => await info(rc, "master_link_status", "replication") === "up",
    );
    await mc.call("SET", "after", "the sync");
    await waitFor("the stream", async () => await rc.call("GET", "after") === "the sync");
    const wanted = await digest(mc);
    assert.equal(await digest(rc), wanted);
    rc.close();
    await replica.kill();
    const again = await spawnNode({ save: "", appendonly: "yes" }, { dir: replica.dir });
    const c = await RespClient.connect(again.port);
    try {
      assert.equal(await digest(c), wanted);
    } finally {
      c.close();
      await again.stop();
    }
  } finally {
    mc.close();
    rc.close();
    await replica.stop();
    await master.stop();
  }
});
