/**
 * RDB persistence end to end: SAVE, BGSAVE under concurrent writes, the save before SHUTDOWN and
 * SIGTERM, save points, -LOADING while a file loads, MISCONF after a failed background save, and
 * files exchanged both ways with a real redis-server 7.0 (redis-check-rdb, DEBUG DIGEST).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeCommand,
  RespClient,
  run,
  spawnNode,
  spawnRedis,
  startNode,
  tempDir,
  waitFor,
} from "./harness.ts";
import { callBoth, show } from "./compare.ts";
import { debugDigest as digest, infoField, populate, readKey } from "./rdb_helpers.ts";

async function redisCheckRdb(path: string): Promise<string> {
  const r = await run("redis-check-rdb", [path]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RDB looks OK!/);
  return r.stdout;
}

Deno.test("rdb: SAVE then a restart keeps every type and TTL; the file passes redis-check-rdb and loads in redis-server", async () => {
  const node = await spawnNode({ save: "" });
  const dir = node.dir;
  let c = await RespClient.connect(node.port);
  let redis: Awaited<ReturnType<typeof spawnRedis>> | null = null;
  try {
    const keys = await populate(c);
    const at = Date.now() + 3_600_000;
    await c.call("PEXPIREAT", "str:short", String(at));
    const before = await digest(c);
    const values = await Promise.all(keys.map((k) => readKey(c, k)));
    const lastsave = Number(await c.call("LASTSAVE"));
    assert.equal(await c.call("SAVE"), "OK");
    assert.ok(Number(await c.call("LASTSAVE")) >= lastsave);
    assert.equal(await infoField(c, "rdb_changes_since_last_save"), "0");
    const check = await redisCheckRdb(join(dir, "dump.rdb"));
    assert.match(check, new RegExp(`${keys.length} keys read`));
    c.close();
    assert.equal(await node.stop(), 0);

    const again = await spawnNode({ save: "" }, { dir });
    c = await RespClient.connect(again.port);
    try {
      assert.equal(await digest(c), before);
      assert.deepEqual(await Promise.all(keys.map((k) => readKey(c, k))), values);
      assert.equal(await c.call("PEXPIRETIME", "str:short"), at);
      assert.equal(await infoField(c, "rdb_last_load_keys_loaded"), String(keys.length));
      assert.match(again.output(), /DB loaded from disk/);
    } finally {
      c.close();
      await again.stop();
    }
    redis = await spawnRedis({ dir, dbfilename: "dump.rdb", "enable-debug-command": "yes" });
    const rc = await RespClient.connect(redis.port);
    assert.equal(await digest(rc), before);
    assert.equal(await rc.call("PEXPIRETIME", "str:short"), at);
    rc.close();
  } finally {
    c.close();
    await node.stop();
    await redis?.stop();
  }
});

Deno.test("rdb: a dump.rdb saved by redis-server loads at start with the same digest", async () => {
  const redis = await spawnRedis({ "enable-debug-command": "yes" });
  const rc = await RespClient.connect(redis.port);
  const dir = await tempDir("theirs");
  try {
    await populate(rc);
    await rc.call("SET", "ttl", "v", "PX", "3600000");
    const theirs = await digest(rc);
    assert.equal(await rc.call("SAVE"), "OK");
    await Deno.copyFile(join(redis.dir, "dump.rdb"), join(dir, "dump.rdb"));
    const node = await spawnNode({ save: "" }, { dir });
    const c = await RespClient.connect(node.port);
    try {
      assert.equal(await digest(c), theirs);
      assert.ok(Number(await c.call("PTTL", "ttl")) > 3_000_000);
    } finally {
      c.close();
      await node.stop();
    }
  } finally {
    rc.close();
    await redis.stop();
  }
});

Deno.test("rdb: BGSAVE writes the dataset of its start while clients keep changing every key", async () => {
  // One key per millisecond: the save lasts long enough for all the writes below to land
  // before the walk reaches the keys they change.
  const node = await startNode({ save: "", "rdb-key-save-delay": "1000" });
  const c = await RespClient.connect(node.port);
  const KEYS = 300;
  try {
    const fill: Uint8Array[] = [];
    for (let i = 0; i < KEYS; i++) {
      const k = `k${i}`;
      switch (i % 5) {
        case 0:
          fill.push(encodeCommand(["SET", k, `v${i}`, "PX", "3600000"]));
          break;
        case 1:
          fill.push(encodeCommand(["RPUSH", k, "a", "b", String(i)]));
          break;
        case 2:
          fill.push(encodeCommand(["HSET", k, "f", String(i), "g", "x"]));
          break;
        case 3:
          fill.push(encodeCommand(["SADD", k, "1", "2", String(i)]));
          break;
        default:
          fill.push(encodeCommand(["ZADD", k, "1", "a", String(i), "b"]));
      }
    }
    // Keys no write touches: the walk still has them to write (one per millisecond) when the
    // writes are done, so the save is certainly still running then.
    for (let i = 0; i < KEYS; i++) fill.push(encodeCommand(["SET", `pad${i}`, String(i)]));
    for (const f of fill) await c.writeRaw(f);
    for (let i = 0; i < fill.length; i++) await c.readValue();
    const before = await digest(c);
    // BGSAVE and, in the same packet, a change to every key: in place (pushes, field and member
    // adds), overwrites, deletes, renames, TTL changes and new keys.
    const writes: Uint8Array[] = [encodeCommand(["BGSAVE"])];
    for (let i = 0; i < KEYS; i++) {
      const k = `k${i}`;
      switch (i % 5) {
        case 0:
          writes.push(encodeCommand(i % 2 ? ["APPEND", k, "+"] : ["PERSIST", k]));
          break;
        case 1:
          writes.push(encodeCommand(i % 3 ? ["LPUSH", k, "new"] : ["DEL", k]));
          break;
        case 2:
          writes.push(encodeCommand(["HSET", k, "f", "changed"]));
          break;
        case 3:
          writes.push(encodeCommand(i % 2 ? ["SADD", k, "added"] : ["RENAME", k, `renamed${i}`]));
          break;
        default:
          writes.push(encodeCommand(["ZINCRBY", k, "5", "a"]));
      }
      writes.push(encodeCommand(["SET", `fresh${i}`, "later"]));
    }
    await c.writeRaw(new Uint8Array(writes.flatMap((w) => [...w])));
    assert.equal(
      await c.readValue().then((v) => (v as { value: string }).value),
      "Background saving started",
    );
    for (let i = 1; i < writes.length; i++) await c.readValue();
    assert.notEqual(await digest(c), before);
    // The writes ran while the save was still going (its walk takes about KEYS ms at least).
    assert.equal(await infoField(c, "rdb_bgsave_in_progress"), "1");
    await waitFor(
      "BGSAVE to end",
      async () => await infoField(c, "rdb_bgsave_in_progress") === "0",
      30_000,
    );
    assert.equal(await infoField(c, "rdb_last_bgsave_status"), "ok");
    await redisCheckRdb(join(node.dir, "dump.rdb"));
    const redis = await spawnRedis({
      dir: node.dir,
      dbfilename: "dump.rdb",
      "enable-debug-command": "yes",
    });
    const rc = await RespClient.connect(redis.port);
    try {
      assert.equal(await digest(rc), before);
      assert.equal(await rc.call("EXISTS", "fresh0"), 0);
    } finally {
      rc.close();
      await redis.stop();
    }
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("rdb: BGSAVE answers as Redis (in progress, syntax) and FLUSHALL stops it", async () => {
  const node = await startNode({ save: "", "rdb-key-save-delay": "1000000" });
  const c = await RespClient.connect(node.port);
  try {
    await c.call("SET", "a", "1");
    await c.call("SET", "b", "2");
    assert.equal(await c.call("BGSAVE"), "Background saving started");
    assert.deepEqual(await c.callRaw("BGSAVE"), {
      type: "error",
      value: "ERR Background save already in progress",
    });
    assert.deepEqual(await c.callRaw("SAVE"), {
      type: "error",
      value: "ERR Background save already in progress",
    });
    assert.deepEqual(await c.callRaw("BGSAVE", "SCHEDULE"), {
      type: "error",
      value: "ERR Background save already in progress",
    });
    assert.deepEqual(await c.callRaw("BGSAVE", "NOW"), {
      type: "error",
      value: "ERR syntax error",
    });
    assert.equal(await infoField(c, "rdb_bgsave_in_progress"), "1");
    assert.equal(await infoField(c, "current_save_keys_total"), "2");
    // FLUSHALL drops the running save, as Redis kills its child.
    assert.equal(await c.call("FLUSHALL"), "OK");
    assert.equal(await infoField(c, "rdb_bgsave_in_progress"), "0");
    assert.equal(await infoField(c, "rdb_last_bgsave_status"), "ok");
    // No file was left behind by the dropped save.
    assert.deepEqual([...Deno.readDirSync(node.dir)].filter((e) => e.name.endsWith(".rdb")), []);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("rdb: save points start a background save; SHUTDOWN saves, SHUTDOWN NOSAVE does not; SIGTERM saves", async () => {
  const node = await spawnNode({ save: "1 1" });
  const dir = node.dir;
  let c = await RespClient.connect(node.port);
  try {
    await c.call("SET", "k", "v1");
    // The save point (1 change, more than 1 s) fires from the cron.
    await waitFor(
      "the save point's BGSAVE",
      async () => Number(await infoField(c, "rdb_saves")) >= 1,
      10_000,
    );
    await waitFor("it to end", async () => await infoField(c, "rdb_bgsave_in_progress") === "0");
    assert.match(node.output(), /1 changes in 1 seconds\. Saving\.\.\./);
    await c.call("CONFIG", "SET", "save", "");
    await c.call("SET", "k", "v2");
    await c.writeRaw(encodeCommand(["SHUTDOWN", "NOSAVE"]));
    assert.equal(await c.isClosed(10_000), true);
    await node.child.status;
    c.close();

    const second = await spawnNode({ save: "" }, { dir });
    c = await RespClient.connect(second.port);
    assert.equal(await c.call("GET", "k"), "v1");
    await c.call("SET", "k", "v3");
    await c.writeRaw(encodeCommand(["SHUTDOWN", "SAVE"]));
    assert.equal(await c.isClosed(10_000), true);
    await second.child.status;
    c.close();

    const third = await spawnNode({ save: "3600 1" }, { dir });
    c = await RespClient.connect(third.port);
    assert.equal(await c.call("GET", "k"), "v3");
    await c.call("SET", "k", "v4");
    assert.equal(await third.stop("SIGTERM"), 0);
    c.close();

    const fourth = await spawnNode({ save: "" }, { dir });
    c = await RespClient.connect(fourth.port);
    assert.equal(await c.call("GET", "k"), "v4");
    await fourth.stop();
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("rdb: -LOADING while a file loads; INFO shows the load; keys are there after it", async () => {
  const dir = await tempDir("loading");
  const first = await startNode({ save: "", dir });
  const c0 = await RespClient.connect(first.port);
  for (let i = 0; i < 200; i++) await c0.call("SET", `key${i}`, String(i));
  assert.equal(await c0.call("SAVE"), "OK");
  c0.close();
  await first.stop();
  // 5 ms per key: the load lasts about a second.
  const node = await spawnNode({ save: "", "key-load-delay": "5000" }, { dir, waitReady: false });
  try {
    let c: RespClient | null = null;
    await waitFor("the port to open", async () => {
      try {
        c = await RespClient.connect(node.port);
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    const cl = c! as RespClient;
    assert.deepEqual(await cl.callRaw("GET", "key1"), {
      type: "error",
      value: "LOADING Redis is loading the dataset in memory",
    });
    assert.equal(await infoField(cl, "loading"), "1");
    assert.ok(Number(await infoField(cl, "loading_total_bytes")) > 0);
    await waitFor("the load to end", async () => await infoField(cl, "loading") === "0", 30_000);
    assert.equal(await cl.call("DBSIZE"), 200);
    assert.equal(await cl.call("GET", "key199"), "199");
    cl.close();
  } finally {
    await node.stop();
  }
});

Deno.test("rdb: a failed BGSAVE stops writes with MISCONF (as redis-server), until the rule is off", async () => {
  const ours = await startNode({ save: "3600 1", "enable-protected-configs": "yes" });
  const theirs = await spawnRedis({ save: "3600 1", "enable-protected-configs": "yes" });
  const clients = [await RespClient.connect(ours.port), await RespClient.connect(theirs.port)];
  const dirs = [await tempDir("gone"), await tempDir("gone")];
  try {
    const replies: unknown[][] = [[], []];
    for (const [i, c] of clients.entries()) {
      await c.call("SET", "k", "v");
      assert.equal(await c.call("CONFIG", "SET", "dir", dirs[i]), "OK");
      await Deno.remove(dirs[i], { recursive: true });
      assert.equal(await c.call("BGSAVE"), "Background saving started");
      await waitFor(
        "BGSAVE to fail",
        async () => await infoField(c, "rdb_bgsave_in_progress") === "0",
      );
      replies[i].push(await infoField(c, "rdb_last_bgsave_status"));
      replies[i].push(await c.callRaw("SET", "k", "v2"));
      replies[i].push(await c.callRaw("PING"));
      replies[i].push(await c.callRaw("GET", "k"));
      replies[i].push(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"));
      replies[i].push(await c.callRaw("SET", "k", "v3"));
    }
    assert.deepEqual(replies[0], replies[1]);
    assert.equal(replies[0][0], "err");
  } finally {
    for (const c of clients) c.close();
    await ours.stop();
    // SIGTERM would make redis-server try its final save into the removed folder, and stay up.
    await theirs.kill();
  }
});

Deno.test("rdb: rdbchecksum no writes a zero checksum, as redis-server does; both load it", async () => {
  const node = await startNode({ save: "", rdbchecksum: "no", "enable-debug-command": "yes" });
  const c = await RespClient.connect(node.port);
  try {
    await populate(c);
    const ours = await digest(c);
    assert.equal(await c.call("SAVE"), "OK");
    const file = Deno.readFileSync(join(node.dir, "dump.rdb"));
    assert.deepEqual([...file.subarray(file.length - 8)], [0, 0, 0, 0, 0, 0, 0, 0]);
    const check = await run("redis-check-rdb", [join(node.dir, "dump.rdb")]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const redis = await spawnRedis({
      dir: node.dir,
      rdbchecksum: "no",
      "enable-debug-command": "yes",
    });
    const rc = await RespClient.connect(redis.port);
    try {
      assert.equal(await digest(rc), ours);
    } finally {
      rc.close();
      await redis.stop();
    }
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("rdb: a cluster node loading keys of slots it does not own claims them, as redis-server does", async () => {
  const src = await startNode({ save: "" });
  const c = await RespClient.connect(src.port);
  for (const k of ["a", "b", "{user1}.x", "{user1}.y"]) await c.call("SET", k, "v");
  assert.equal(await c.call("SAVE"), "OK");
  c.close();
  await src.stop();
  const mySlots = async (cl: RespClient) =>
    String(await cl.call("CLUSTER", "NODES")).split("\n").find((l) => l.includes("myself"))!
      .split(" ").slice(8).join(" ");
  const dirs = [await tempDir("claim"), await tempDir("claim")];
  for (const d of dirs) await Deno.copyFile(join(src.dir, "dump.rdb"), join(d, "dump.rdb"));
  const ours = await spawnNode({ save: "", "cluster-enabled": "yes" }, { dir: dirs[0] });
  const theirs = await spawnRedis({ dir: dirs[1], "cluster-enabled": "yes" });
  const [oc, rc] = [await RespClient.connect(ours.port), await RespClient.connect(theirs.port)];
  try {
    const slots = await mySlots(oc);
    assert.equal(slots, "3300 8106 15495");
    assert.equal(slots, await mySlots(rc));
    assert.match(
      ours.output(),
      /I have keys for unassigned slot 3300\. Taking responsibility for it\./,
    );
    assert.match(
      Deno.readTextFileSync(join(dirs[0], "nodes.conf")),
      /myself,master .* 3300 8106 15495\n/,
    );
  } finally {
    oc.close();
    rc.close();
    await ours.stop();
    await theirs.stop();
  }
});

Deno.test("rdb: DEBUG RELOAD [NOSAVE] [NOFLUSH] [MERGE] answers and ends as in redis-server", async () => {
  const node = await startNode({ save: "" });
  const redis = await spawnRedis({ "enable-debug-command": "yes" });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  const script = [
    ["SET", "a", "1"],
    ["RPUSH", "l", "x", "y"],
    ["DEBUG", "RELOAD"],
    ["GET", "a"],
    ["SET", "a", "2"],
    ["SET", "b", "gone after NOSAVE"],
    ["DEBUG", "RELOAD", "NOSAVE"],
    ["MGET", "a", "b"],
    ["LRANGE", "l", "0", "-1"],
    ["SET", "c", "kept by NOFLUSH"],
    ["SET", "a", "3"],
    ["DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE"],
    ["MGET", "a", "c"],
    ["DEBUG", "RELOAD", "BOGUS"],
    ["DBSIZE"],
  ];
  try {
    for (const c of script) {
      const [ra, rb] = await callBoth(a, b, c);
      assert.equal(show(ra), show(rb), c.join(" "));
    }
    const help = async (cl: RespClient) => {
      const lines = (await cl.call("DEBUG", "HELP")) as string[];
      const at = lines.indexOf("RELOAD [option ...]");
      return lines.slice(at, at + 13);
    };
    assert.deepEqual(await help(a), await help(b));
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
});
