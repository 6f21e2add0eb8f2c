/**
 * The data types of issue 15 (bitmaps, HyperLogLog, geo, SORT ... STORE, streams with consumer
 * groups) replicate both ways with a real redis-server 7.0: our master -> a real replica, and a
 * real master -> our replica. Half of the data is written before the replica attaches (it
 * arrives in the full sync's RDB), half after (the command stream: PFCOUNT's cache refresh,
 * GEOSEARCHSTORE, XADD with generated IDs, XREADGROUP's XCLAIM/XGROUP SETID propagation, XTRIM
 * with `~`); then both sides' DEBUG DIGEST and every key's DEBUG DIGEST-VALUE must be equal.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode, waitFor } from "./harness.ts";

type Call = (string | number)[];

function phase(prefix: string): Call[] {
  const p = prefix;
  const cmds: Call[] = [
    ["SETBIT", `${p}bits`, 7, 1],
    ["SETBIT", `${p}bits`, 100_000, 1],
    ["BITFIELD", `${p}bf`, "SET", "i16", 0, -1234, "INCRBY", "u8", 16, 300, "OVERFLOW", "SAT"],
    ["SET", `${p}s1`, "foobar"],
    ["SET", `${p}s2`, "abcdef"],
    ["BITOP", "XOR", `${p}bx`, `${p}s1`, `${p}s2`],
    ["PFADD", `${p}hll`, "a", "b", "c"],
    ["PFMERGE", `${p}hll2`, `${p}hll`],
    ["GEOADD", `${p}geo`, 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"],
    ["GEOADD", `${p}geo`, 12.496366, 41.902782, "Rome"],
    [
      "GEOSEARCHSTORE",
      `${p}near`,
      `${p}geo`,
      "FROMLONLAT",
      15,
      37,
      "BYRADIUS",
      300,
      "km",
      "STOREDIST",
    ],
    ["RPUSH", `${p}list`, 3, 1, 2, 10],
    ["SORT", `${p}list`, "STORE", `${p}sorted`],
    ["XADD", `${p}stream`, "1-5", "f", "explicit"],
    ["XADD", `${p}stream`, "*", "f", "v1"],
    ["XADD", `${p}stream`, "*", "f", "v2"],
    ["XGROUP", "CREATE", `${p}stream`, "g", "0"],
    ["XREADGROUP", "GROUP", "g", "c1", "COUNT", 2, "STREAMS", `${p}stream`, ">"],
    ["XADD", `${p}stream2`, "MAXLEN", "~", 5, "*", "k", "v"],
  ];
  // A dense HyperLogLog (crosses hll-sparse-max-bytes), and PFCOUNT refreshing its cache.
  for (let i = 0; i < 3000; i += 500) {
    cmds.push(["PFADD", `${p}big`, ...Array.from({ length: 500 }, (_, j) => `e${i + j}`)]);
  }
  cmds.push(["PFCOUNT", `${p}big`]);
  for (let i = 0; i < 30; i++) cmds.push(["XADD", `${p}stream2`, "MAXLEN", "~", 5, "*", "k", i]);
  cmds.push(["XACK", `${p}stream`, "g", "1-5"]);
  return cmds;
}

async function run(c: RespClient, cmds: Call[]): Promise<void> {
  for (const cmd of cmds) {
    const r = await c.callRaw(...cmd.map(String));
    assert.notEqual(r.type, "error", `${cmd.join(" ")}: ${JSON.stringify(r)}`);
  }
}

async function linkUp(c: RespClient): Promise<boolean> {
  return String(await c.call("INFO", "replication")).includes("master_link_status:up");
}

async function sameData(m: RespClient, r: RespClient): Promise<void> {
  assert.equal(await m.call("WAIT", "1", "5000"), 1);
  await waitFor(
    "the replica's dataset digest equals the master's",
    async () => (await r.call("DEBUG", "DIGEST")) === (await m.call("DEBUG", "DIGEST")),
    15_000,
  );
  const keys = (await m.call("KEYS", "*") as string[]).sort();
  assert.equal(keys.length, 28, `keys: ${keys.join(" ")}`);
  for (const k of keys) {
    assert.deepEqual(
      await r.call("DEBUG", "DIGEST-VALUE", k),
      await m.call("DEBUG", "DIGEST-VALUE", k),
      k,
    );
  }
  // The consumer group's state (PEL, last-delivered-id) arrived too.
  assert.deepEqual(
    await r.call("XINFO", "GROUPS", "a:stream"),
    await m.call("XINFO", "GROUPS", "a:stream"),
  );
}

Deno.test({
  name: "datatypes replication: a real redis-server replicates bitmaps, HLL, geo, streams from us",
  ignore: !haveRedisServer(),
  fn: async () => {
    const master = await startNode({ "enable-debug-command": "yes" });
    const m = await RespClient.connect(master.port);
    let redis: Awaited<ReturnType<typeof spawnRedis>> | null = null;
    let r: RespClient | null = null;
    try {
      await run(m, phase("a:"));
      redis = await spawnRedis({
        replicaof: `127.0.0.1 ${master.port}`,
        "enable-debug-command": "yes",
      });
      r = await RespClient.connect(redis.port);
      await waitFor("link up", () => linkUp(r!), 15_000);
      await run(m, phase("b:"));
      await sameData(m, r);
    } finally {
      m.close();
      r?.close();
      await redis?.stop();
      await master.stop();
    }
  },
});

Deno.test({
  name: "datatypes replication: our node replicates bitmaps, HLL, geo, streams from a real master",
  ignore: !haveRedisServer(),
  fn: async () => {
    const redis = await spawnRedis({
      "enable-debug-command": "yes",
      "repl-diskless-sync-delay": "0",
    });
    const replica = await startNode({ "enable-debug-command": "yes" });
    const m = await RespClient.connect(redis.port);
    const r = await RespClient.connect(replica.port);
    try {
      await run(m, phase("a:"));
      assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(redis.port)), "OK");
      await waitFor("link up", () => linkUp(r), 15_000);
      await run(m, phase("b:"));
      await sameData(m, r);
    } finally {
      m.close();
      r.close();
      await replica.stop();
      await redis.stop();
    }
  },
});
