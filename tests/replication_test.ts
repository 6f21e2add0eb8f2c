/**
 * Replication end to end: our master and our replica (full sync of every type, streaming writes,
 * expiry as DEL, WAIT, READONLY, partial and full resync after a link loss), a real redis-server
 * replicating from our master, and our node replicating from a real redis-server master.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, sleep, spawnRedis, startNode, waitFor } from "./harness.ts";

async function fill(c: RespClient, prefix: string): Promise<void> {
  await c.call("SET", `${prefix}str`, "hello");
  await c.call("SET", `${prefix}int`, "12345");
  await c.call("SET", `${prefix}ttl`, "v", "EX", "1000");
  await c.call("RPUSH", `${prefix}list`, "a", "b", "c", "1", "2");
  await c.call("HSET", `${prefix}hash`, "f1", "v1", "f2", "2");
  await c.call("SADD", `${prefix}iset`, "1", "2", "3");
  await c.call("SADD", `${prefix}sset`, "x", "y", "z");
  await c.call("ZADD", `${prefix}zset`, "1", "a", "2.5", "b", "-3", "c");
  const big: string[] = [];
  for (let i = 0; i < 300; i++) big.push(`f${i}`, `value-${i}-${"x".repeat(i % 70)}`);
  await c.call("HSET", `${prefix}bighash`, ...big);
  const members: string[] = [];
  for (let i = 0; i < 200; i++) members.push(String(i * 1.5), `m${i}`);
  await c.call("ZADD", `${prefix}bigzset`, ...members);
}

async function converged(master: RespClient, replica: RespClient): Promise<boolean> {
  const [d1, d2] = [await master.call("DEBUG", "DIGEST"), await replica.call("DEBUG", "DIGEST")];
  const [n1, n2] = [await master.call("DBSIZE"), await replica.call("DBSIZE")];
  return d1 === d2 && n1 === n2;
}

async function linkUp(replica: RespClient): Promise<boolean> {
  const info = String(await replica.call("INFO", "replication"));
  return info.includes("master_link_status:up");
}

Deno.test("replication: our master and our replica", async () => {
  const master = await startNode();
  const replica = await startNode();
  const m = await RespClient.connect(master.port);
  const r = await RespClient.connect(replica.port);
  try {
    await fill(m, "pre:");
    assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(master.port)), "OK");
    assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(master.port)), "OK Already connected to specified master");
    await waitFor("link up", () => linkUp(r));
    await waitFor("full sync converged", () => converged(m, r));
    assert.equal(await r.call("DBSIZE"), 10);

    // Streaming writes, including the rewritten forms.
    await fill(m, "post:");
    await m.call("INCRBYFLOAT", "post:float", "1.5");
    await m.call("SADD", "post:pop", "a", "b", "c", "d");
    await m.call("SPOP", "post:pop");
    await m.call("SPOP", "post:pop", "2");
    await m.call("EXPIRE", "post:str", "500");
    await m.call("MULTI");
    await m.call("INCR", "post:int");
    await m.call("LPUSH", "post:list", "z");
    await m.call("EXEC");
    const b = await RespClient.connect(master.port);
    const blocked = b.call("BLPOP", "post:blist", "5");
    await sleep(50);
    await m.call("RPUSH", "post:blist", "one", "two");
    assert.deepEqual(await blocked, ["post:blist", "one"]);
    b.close();
    assert.equal(await m.call("WAIT", "1", "1000"), 1);
    await waitFor("stream converged", () => converged(m, r));
    assert.equal(await r.call("GET", "post:float"), "1.5");
    assert.equal(await r.call("SCARD", "post:pop"), 1);
    const ttl = Number(await r.call("PTTL", "post:str"));
    assert.ok(ttl > 490000 && ttl <= 500000, `ttl ${ttl}`);

    // Expiry on the master reaches the replica as DEL.
    await m.call("SET", "short", "v", "PX", "100");
    await waitFor("replica has short", async () => (await r.call("EXISTS", "short")) === 1);
    await waitFor("expired key deleted on the replica", async () => (await r.call("DBSIZE")) === (await m.call("DBSIZE")) && await converged(m, r), 5000);

    // The replica refuses writes; ROLE and INFO on both sides.
    assert.equal((await r.call("SET", "x", "1") as Error).message, "READONLY You can't write against a read only replica.");
    const mrole = await m.call("ROLE") as unknown[];
    assert.equal(mrole[0], "master");
    assert.equal((mrole[2] as unknown[]).length, 1);
    assert.deepEqual((await r.call("ROLE") as unknown[]).slice(0, 4), ["slave", "127.0.0.1", master.port, "connected"]);
    const minfo = String(await m.call("INFO", "replication"));
    assert.match(minfo, /connected_slaves:1\r\n/);
    assert.match(minfo, new RegExp(`slave0:ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+`));
    assert.equal((await m.call("WAIT", "x", "1") as Error).message, "ERR value is not an integer or out of range");
    assert.match((await r.call("WAIT", "1", "1") as Error).message, /^ERR WAIT cannot be used with replica instances/);

    // Link cut: partial resync from the backlog.
    const fullBefore = master.server.replication.syncFull;
    const partialBefore = master.server.replication.syncPartialOk;
    assert.equal(await m.call("CLIENT", "KILL", "TYPE", "replica"), 1);
    await m.call("SET", "while-down", "1");
    await waitFor("partial resync", () => master.server.replication.syncPartialOk === partialBefore + 1, 5000);
    assert.equal(master.server.replication.syncFull, fullBefore);
    await waitFor("converged after partial resync", () => converged(m, r));

    // Link cut and a burst larger than the backlog: full resync.
    await m.call("CONFIG", "SET", "repl-backlog-size", "16384");
    await sleep(1100); // the cron resizes the backlog
    await m.call("CLIENT", "KILL", "TYPE", "replica");
    for (let i = 0; i < 300; i++) await m.call("SET", `burst:${i}`, "y".repeat(100));
    await waitFor("full resync", () => master.server.replication.syncFull === fullBefore + 1, 5000);
    await waitFor("converged after full resync", () => converged(m, r));

    // Promotion keeps the old replid as replid2.
    const oldId = master.server.replication.replid;
    assert.equal(await r.call("REPLICAOF", "NO", "ONE"), "OK");
    const rinfo = String(await r.call("INFO", "replication"));
    assert.match(rinfo, /role:master/);
    assert.match(rinfo, new RegExp(`master_replid2:${oldId}`));
    assert.equal(await r.call("SET", "x", "1"), "OK");
  } finally {
    m.close();
    r.close();
    await replica.stop();
    await master.stop();
  }
});

Deno.test({
  name: "replication: real redis-server replicates from our master",
  ignore: !haveRedisServer(),
  fn: async () => {
    const master = await startNode();
    const m = await RespClient.connect(master.port);
    let redis: Awaited<ReturnType<typeof spawnRedis>> | null = null;
    let r: RespClient | null = null;
    try {
      await fill(m, "a:");
      redis = await spawnRedis({ replicaof: `127.0.0.1 ${master.port}`, "enable-debug-command": "yes" });
      r = await RespClient.connect(redis.port);
      await waitFor("redis link up", () => linkUp(r!));
      await fill(m, "b:");
      await m.call("SET", "c:ex", "v", "EX", "100");
      await m.call("INCRBYFLOAT", "c:f", "2.25");
      assert.equal(await m.call("WAIT", "1", "2000"), 1);
      await waitFor("sizes equal", async () => (await r!.call("DBSIZE")) === (await m.call("DBSIZE")));
      for (const key of ["a:str", "a:list", "a:hash", "a:iset", "a:zset", "a:bighash", "b:bigzset", "c:ex", "c:f"]) {
        assert.deepEqual(await r.call("DEBUG", "DIGEST-VALUE", key), await m.call("DEBUG", "DIGEST-VALUE", key), key);
      }
      assert.ok(Number(await r.call("TTL", "c:ex")) > 90);
    } finally {
      m.close();
      r?.close();
      await redis?.stop();
      await master.stop();
    }
  },
});

Deno.test({
  name: "replication: our node replicates from a real redis-server master",
  ignore: !haveRedisServer(),
  fn: async () => {
    const redis = await spawnRedis({ "enable-debug-command": "yes" });
    const replica = await startNode();
    const m = await RespClient.connect(redis.port);
    const r = await RespClient.connect(replica.port);
    try {
      await fill(m, "a:");
      assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(redis.port)), "OK");
      await waitFor("link up", () => linkUp(r), 15000);
      await fill(m, "b:");
      await m.call("SET", "c:ex", "v", "EX", "100");
      await m.call("SPOP", "b:sset");
      assert.equal(await m.call("WAIT", "1", "2000"), 1);
      await waitFor("converged", async () => (await r.call("DBSIZE")) === (await m.call("DBSIZE")));
      for (const key of ["a:str", "a:list", "a:hash", "a:iset", "a:zset", "a:bighash", "b:bigzset", "b:sset", "c:ex"]) {
        assert.deepEqual(await r.call("DEBUG", "DIGEST-VALUE", key), await m.call("DEBUG", "DIGEST-VALUE", key), key);
      }
      const rinfo = String(await r.call("INFO", "replication"));
      const minfo = String(await m.call("INFO", "replication"));
      const id = /master_replid:(\w+)/.exec(minfo)![1];
      assert.match(rinfo, new RegExp(`master_replid:${id}`));
    } finally {
      m.close();
      r.close();
      await replica.stop();
      await redis.stop();
    }
  },
});
