/**
 * Replication end to end: our master and our replica (full sync of every type, streaming writes,
 * expiry as DEL, WAIT, READONLY, partial and full resync after a link loss), a real redis-server
 * replicating from our master, and our node replicating from a real redis-server master.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import {
  haveRedisServer,
  RespClient,
  sleep,
  spawnNode,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";

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
    assert.equal(
      await r.call("REPLICAOF", "127.0.0.1", String(master.port)),
      "OK Already connected to specified master",
    );
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
    await waitFor(
      "expired key deleted on the replica",
      async () => (await r.call("DBSIZE")) === (await m.call("DBSIZE")) && await converged(m, r),
      30000,
    );

    // The replica refuses writes; ROLE and INFO on both sides.
    assert.equal(
      (await r.call("SET", "x", "1") as Error).message,
      "READONLY You can't write against a read only replica.",
    );
    const mrole = await m.call("ROLE") as unknown[];
    assert.equal(mrole[0], "master");
    assert.equal((mrole[2] as unknown[]).length, 1);
    assert.deepEqual((await r.call("ROLE") as unknown[]).slice(0, 4), [
      "slave",
      "127.0.0.1",
      master.port,
      "connected",
    ]);
    const minfo = String(await m.call("INFO", "replication"));
    assert.match(minfo, /connected_slaves:1\r\n/);
    assert.match(
      minfo,
      new RegExp(
        `slave0:ip=127\\.0\\.0\\.1,port=${replica.port},state=online,offset=\\d+,lag=\\d+`,
      ),
    );
    assert.equal(
      (await m.call("WAIT", "x", "1") as Error).message,
      "ERR value is not an integer or out of range",
    );
    assert.match(
      (await r.call("WAIT", "1", "1") as Error).message,
      /^ERR WAIT cannot be used with replica instances/,
    );

    // Link cut: partial resync from the backlog.
    const fullBefore = master.server.replication.syncFull;
    const partialBefore = master.server.replication.syncPartialOk;
    assert.equal(await m.call("CLIENT", "KILL", "TYPE", "replica"), 1);
    await m.call("SET", "while-down", "1");
    await waitFor(
      "partial resync",
      () => master.server.replication.syncPartialOk === partialBefore + 1,
      30000,
    );
    assert.equal(master.server.replication.syncFull, fullBefore);
    await waitFor("converged after partial resync", () => converged(m, r));

    // Link cut and a burst larger than the backlog: full resync.
    await m.call("CONFIG", "SET", "repl-backlog-size", "16384");
    await sleep(1100); // the cron resizes the backlog
    await m.call("CLIENT", "KILL", "TYPE", "replica");
    for (let i = 0; i < 300; i++) await m.call("SET", `burst:${i}`, "y".repeat(100));
    // The replica reconnects at its next replication cron (1 s) and asks again: a bound, not a
    // delay (5 s was too short for a machine running other suites).
    await waitFor(
      "full resync",
      () => master.server.replication.syncFull === fullBefore + 1,
      30000,
    );
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

Deno.test("replication: a replica over its output buffer hard limit is disconnected", async () => {
  const master = await startNode({ "client-output-buffer-limit": "replica 262144 131072 60" });
  const m = await RespClient.connect(master.port);
  const fake = await RespClient.connect(master.port);
  try {
    assert.equal(await fake.call("REPLCONF", "listening-port", "1234"), "OK");
    assert.equal(await fake.call("REPLCONF", "capa", "eof", "capa", "psync2"), "OK");
    await fake.writeRaw("*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n");
    await waitFor(
      "replica attached",
      async () => String(await m.call("INFO", "replication")).includes("connected_slaves:1"),
    );
    const info = String(await m.call("CLIENT", "LIST", "TYPE", "replica"));
    assert.match(info, /flags=S /);
    // The fake replica never reads: the stream piles up until the hard limit drops it.
    const value = "v".repeat(64 * 1024);
    for (let i = 0; i < 400 && master.server.replication.peers.length > 0; i++) {
      await m.call("SET", `big:${i}`, value);
    }
    await waitFor(
      "replica dropped",
      async () => String(await m.call("INFO", "replication")).includes("connected_slaves:0"),
    );
    assert.equal(master.server.replication.peers.length, 0);
    // The backlog still holds the stream for a later partial resync.
    assert.match(String(await m.call("INFO", "replication")), /repl_backlog_active:1/);
  } finally {
    m.close();
    fake.close();
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
      redis = await spawnRedis({
        replicaof: `127.0.0.1 ${master.port}`,
        "enable-debug-command": "yes",
      });
      r = await RespClient.connect(redis.port);
      await waitFor("redis link up", () => linkUp(r!));
      await fill(m, "b:");
      await m.call("SET", "c:ex", "v", "EX", "100");
      await m.call("INCRBYFLOAT", "c:f", "2.25");
      assert.equal(await m.call("WAIT", "1", "2000"), 1);
      await waitFor(
        "sizes equal",
        async () => (await r!.call("DBSIZE")) === (await m.call("DBSIZE")),
      );
      for (
        const key of [
          "a:str",
          "a:list",
          "a:hash",
          "a:iset",
          "a:zset",
          "a:bighash",
          "b:bigzset",
          "c:ex",
          "c:f",
        ]
      ) {
        assert.deepEqual(
          await r.call("DEBUG", "DIGEST-VALUE", key),
          await m.call("DEBUG", "DIGEST-VALUE", key),
          key,
        );
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
    const redis = await spawnRedis({
      "enable-debug-command": "yes",
      "repl-diskless-sync-delay": "0",
    });
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
      for (
        const key of [
          "a:str",
          "a:list",
          "a:hash",
          "a:iset",
          "a:zset",
          "a:bighash",
          "b:bigzset",
          "b:sset",
          "c:ex",
        ]
      ) {
        assert.deepEqual(
          await r.call("DEBUG", "DIGEST-VALUE", key),
          await m.call("DEBUG", "DIGEST-VALUE", key),
          key,
        );
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

Deno.test({
  name: "replication: the propagated stream matches real redis-server byte for byte",
  ignore: !haveRedisServer(),
  fn: async () => {
    const ours = await startNode();
    const redis = await spawnRedis({ "repl-diskless-sync": "no" });
    const streams: string[] = [];
    const offsets: number[] = [];
    try {
      for (const port of [ours.port, redis.port]) {
        const c = await RespClient.connect(port);
        await c.call("SET", "a", "1");
        await c.call("SADD", "one", "only");
        const rep = await RawReplica.attach(port);
        await c.call("SET", "x", "1", "EX", "100");
        await c.call("EXPIRE", "a", "100");
        await c.call("SETEX", "y", "100", "v");
        await c.call("INCRBYFLOAT", "f", "1.5");
        await c.call("SPOP", "one");
        await c.call("SET", "nx", "1", "NX");
        await c.call("SET", "nx", "2", "NX"); // no change: not propagated
        await c.call("DEL", "missing"); // no change: not propagated
        await c.call("MULTI");
        await c.call("INCR", "n");
        await c.call("LPUSH", "l", "1", "2", "3");
        await c.call("EXEC");
        await c.call("MULTI");
        await c.call("INCR", "n");
        await c.call("EXEC");
        await c.call("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2");
        await c.call("BLPOP", "l", "0");
        await c.call("GETEX", "y", "PERSIST");
        await c.call("FLUSHALL");
        await c.call("SET", "end", "1");
        streams.push(
          (await rep.textUntilCommand("SET", "end", "1"))
            .replace(/\$13\r\n\d{13}\r\n/g, "$13\r\nTIME\r\n"),
        );
        const info = String(await c.call("INFO", "replication"));
        offsets.push(Number(/master_repl_offset:(\d+)/.exec(info)![1]));
        rep.close();
        c.close();
      }
      assert.equal(streams[0], streams[1]);
      assert.ok(streams[0].startsWith("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*5\r\n$3\r\nSET\r\n"));
      assert.match(streams[0], /\*1\r\n\$5\r\nMULTI\r\n[\s\S]*\*1\r\n\$4\r\nEXEC\r\n/);
      assert.match(streams[0], /PXAT/);
      assert.equal(offsets[0], offsets[1]);
    } finally {
      await redis.stop();
      await ours.stop();
    }
  },
});

Deno.test("replication: a replica process killed during writes resyncs after restart", async () => {
  const master = await startNode();
  const m = await RespClient.connect(master.port);
  let rep = await spawnNode({ replicaof: `127.0.0.1 ${master.port}` });
  let r: RespClient | null = null;
  try {
    await fill(m, "k:");
    r = await RespClient.connect(rep.port);
    await waitFor("link up", () => linkUp(r!), 15000);
    await waitFor("converged", () => converged(m, r!));
    // Log lines carry the role as Redis's do: S on a replica (replicaof at start-up).
    assert.match(rep.output(), /^\d+:S .*Connecting to MASTER/m, rep.output());
    assert.doesNotMatch(rep.output(), /^\d+:M /m, rep.output());
    const fullBefore = master.server.replication.syncFull;
    r.close();
    r = null;
    const writes = (async () => {
      for (let i = 0; i < 500; i++) await m.call("INCR", "counter");
    })();
    await sleep(20);
    await rep.kill();
    await writes;
    rep = await spawnNode({ replicaof: `127.0.0.1 ${master.port}` }, { port: rep.port });
    r = await RespClient.connect(rep.port);
    await waitFor("link up again", () => linkUp(r!), 15000);
    await waitFor("converged after restart", () => converged(m, r!));
    assert.equal(await r.call("GET", "counter"), "500");
    // Without persistence the restarted replica has no history: a full resync.
    assert.equal(master.server.replication.syncFull, fullBefore + 1);
  } finally {
    m.close();
    r?.close();
    await rep.kill();
    await master.stop();
  }
});

Deno.test("replication: after a promotion a former sibling and the old master resync partially (PSYNC2)", async () => {
  const a = await startNode();
  const b = await startNode();
  const c = await startNode();
  const ca = await RespClient.connect(a.port);
  const cb = await RespClient.connect(b.port);
  const cc = await RespClient.connect(c.port);
  try {
    await fill(ca, "p:");
    await cb.call("REPLICAOF", "127.0.0.1", String(a.port));
    await cc.call("REPLICAOF", "127.0.0.1", String(a.port));
    await waitFor("b and c up", async () => await linkUp(cb) && await linkUp(cc));
    await ca.call("SET", "more", "1");
    assert.equal(await ca.call("WAIT", "2", "2000"), 2);
    // Promote b; c and then a follow it.
    assert.equal(await cb.call("REPLICAOF", "NO", "ONE"), "OK");
    const fullB = b.server.replication.syncFull;
    await cc.call("REPLICAOF", "127.0.0.1", String(b.port));
    await waitFor("c follows b", () => linkUp(cc));
    await ca.call("REPLICAOF", "127.0.0.1", String(b.port));
    await waitFor("a follows b", () => linkUp(ca));
    assert.equal(b.server.replication.syncFull, fullB);
    assert.equal(b.server.replication.syncPartialOk, 2);
    // Killing the master client on a replica drops the link; it continues from the backlog.
    assert.equal(await cc.call("CLIENT", "KILL", "TYPE", "master"), 1);
    await waitFor("c partially resynced", () => b.server.replication.syncPartialOk === 3, 30000);
    await waitFor("c up again", () => linkUp(cc));
    await cb.call("SET", "after", "promotion");
    assert.equal(await cb.call("WAIT", "2", "2000"), 2);
    await waitFor("converged", async () => await converged(cb, cc) && await converged(cb, ca));
    assert.equal(await cc.call("GET", "after"), "promotion");
  } finally {
    ca.close();
    cb.close();
    cc.close();
    await c.stop();
    await b.stop();
    await a.stop();
  }
});

Deno.test("replication: the replica authenticates with masterauth", async () => {
  const master = await startNode({ requirepass: "s3cret" });
  const replica = await startNode();
  const m = await RespClient.connect(master.port);
  const r = await RespClient.connect(replica.port);
  try {
    assert.equal(await m.call("AUTH", "s3cret"), "OK");
    await m.call("SET", "secret-key", "v");
    await r.call("REPLICAOF", "127.0.0.1", String(master.port));
    await sleep(300);
    // Without the password the link cannot come up.
    let info = String(await r.call("INFO", "replication"));
    assert.match(info, /master_link_status:down\r\n/);
    assert.match(info, /master_link_down_since_seconds:-1\r\n/);
    assert.deepEqual((await r.call("ROLE") as unknown[]).slice(4), [-1]);
    assert.equal(await r.call("CONFIG", "SET", "masterauth", "s3cret"), "OK");
    await waitFor("link up with masterauth", () => linkUp(r), 30000);
    await waitFor("key replicated", async () => (await r.call("GET", "secret-key")) === "v");
    info = String(await r.call("INFO", "replication"));
    assert.doesNotMatch(info, /master_link_down_since_seconds/);
  } finally {
    m.close();
    r.close();
    await replica.stop();
    await master.stop();
  }
});

Deno.test({
  name:
    "replication: full syncs of a 2 MB dataset: $<len> and EOF-marked RDB payloads from real redis-servers, and from ours",
  ignore: !haveRedisServer(),
  fn: async () => {
    // The payloads span many reads of the link (64 KiB each): a $<len> one is read straight into
    // the RDB's buffer (replica.ts readExact), an EOF-marked one (diskless, Redis's default) up
    // to its mark. Ours always sends $<len>.
    const redisDisk = await spawnRedis({
      "repl-diskless-sync": "no",
      "enable-debug-command": "yes",
    });
    const redisDiskless = await spawnRedis({
      "repl-diskless-sync": "yes",
      "repl-diskless-sync-delay": "0",
      "enable-debug-command": "yes",
    });
    const ours = await startNode();
    const replica = await startNode();
    const clients: RespClient[] = [];
    try {
      for (const port of [redisDisk.port, redisDiskless.port, ours.port]) {
        const m = await RespClient.connect(port);
        clients.push(m);
        assert.equal(await m.call("DEBUG", "POPULATE", "20000", `k${port}`, "100"), "OK");
        const r = await RespClient.connect(replica.port);
        clients.push(r);
        assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(port)), "OK");
        await waitFor("link up", () => linkUp(r), 30000);
        await waitFor("full sync converged", () => converged(m, r), 30000);
        assert.equal(await r.call("DBSIZE"), 20000);
      }
    } finally {
      for (const c of clients) c.close();
      await replica.stop();
      await ours.stop();
      await redisDiskless.stop();
      await redisDisk.stop();
    }
  },
});
