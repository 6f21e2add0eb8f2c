import assert from "node:assert/strict";
import { RespClient, startNode } from "./harness.ts";
import { canon, compareBoth, errText, w, withNode, WRONGTYPE } from "./collections_compare.ts";

const sorted = (v: unknown) => [...(v as string[])].sort();

Deno.test("sets: basics with exact replies", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("SADD", "s", "a", "b", "c", "a"), 3);
    assert.equal(await c.call("SADD", "s", "a", "d"), 1);
    assert.equal(await c.call("SCARD", "s"), 4);
    assert.equal(await c.call("SISMEMBER", "s", "a"), 1);
    assert.deepEqual(await c.call("SMISMEMBER", "s", "a", "z"), [1, 0]);
    assert.deepEqual(sorted(await c.call("SMEMBERS", "s")), ["a", "b", "c", "d"]);
    assert.equal(await c.call("SREM", "s", "a", "z"), 1);
    assert.equal(await c.call("SMOVE", "s", "t", "b"), 1);
    assert.equal(await c.call("SMOVE", "s", "t", "b"), 0);
    assert.deepEqual(sorted(await c.call("SUNION", "s", "t")), ["b", "c", "d"]);
    assert.equal(await c.call("SREM", "s", "c", "d"), 2);
    assert.equal(await c.call("EXISTS", "s"), 0, "emptied set is deleted");
    assert.equal(await c.call("SPOP", "t"), "b");
    assert.equal(await c.call("EXISTS", "t"), 0);
    await c.call("SET", "str", "x");
    assert.equal(errText(await c.call("SADD", "str", "a")), WRONGTYPE);
    assert.equal(errText(await c.call("SINTER", "nokey", "str")), WRONGTYPE);
  });
});

Deno.test("sets: RESP3 set replies", async () => {
  await withNode(async (c) => {
    await c.call("HELLO", "3");
    await c.call("SADD", "s", "a", "b");
    assert.equal(canon(await c.callRaw("SMEMBERS", "s")), `~[$"a",$"b"]`);
    assert.equal(canon(await c.callRaw("SINTER", "s", "s")), `~[$"a",$"b"]`);
    assert.equal(canon(await c.callRaw("SMEMBERS", "nokey")), `~[]`);
    assert.equal(
      (await c.callRaw("SRANDMEMBER", "s", "2")).type,
      "array",
      "7.0: an array even in RESP3",
    );
    assert.equal((await c.callRaw("SRANDMEMBER", "s", "-2")).type, "array");
    assert.equal((await c.callRaw("SPOP", "s", "1")).type, "set");
  });
});

Deno.test("sets: SPOP with count drains a big set without repeats", async () => {
  await withNode(async (c) => {
    const n = 2000;
    for (let i = 0; i < n; i += 500) {
      const args: string[] = [];
      for (let j = i; j < i + 500; j++) args.push(String(j));
      await c.call("SADD", "big", ...args);
    }
    const seen = new Set<string>();
    for (;;) {
      const r = await c.call("SPOP", "big", "7") as string[];
      if (r.length === 0) break;
      for (const m of r) {
        assert.ok(!seen.has(m), `repeat ${m}`);
        seen.add(m);
      }
    }
    assert.equal(seen.size, n);
    assert.equal(await c.call("EXISTS", "big"), 0);
    // Single pops: all distinct too.
    await c.call("SADD", "b2", ...Array.from({ length: 600 }, (_, i) => `m${i}`));
    const got = new Set<string>();
    for (let i = 0; i < 600; i++) got.add(await c.call("SPOP", "b2") as string);
    assert.equal(got.size, 600);
    assert.equal(await c.call("SPOP", "b2"), null);
  });
});

Deno.test("sets: SRANDMEMBER distributions are plausible", async () => {
  await withNode(async (c) => {
    await c.call("SADD", "s", ...Array.from({ length: 10 }, (_, i) => String(i)));
    const counts = new Map<string, number>();
    const r = await c.call("SRANDMEMBER", "s", "-10000") as string[];
    assert.equal(r.length, 10000);
    for (const m of r) counts.set(m, (counts.get(m) ?? 0) + 1);
    assert.equal(counts.size, 10);
    for (const [, n] of counts) assert.ok(n > 800 && n < 1200, `skewed: ${n}`);
    const u = await c.call("SRANDMEMBER", "s", "5") as string[];
    assert.equal(new Set(u).size, 5);
  });
});

Deno.test("sets: SSCAN over a big set returns every member", async () => {
  await withNode(async (c) => {
    await c.call("SADD", "s", ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
    const got = new Set<string>();
    let cur = "0";
    do {
      const r = await c.call("SSCAN", "s", cur, "COUNT", "20") as [string, string[]];
      cur = r[0];
      for (const m of r[1]) got.add(m);
    } while (cur !== "0");
    assert.equal(got.size, 1000);
  });
});

Deno.test("sets: same replies as redis-server (RESP2 and RESP3)", async () => {
  await compareBoth([
    w("SET str x"),
    w("SADD s1 a b c d"),
    w("SADD s1 a e"),
    w("SADD s2 c d e f"),
    w("SADD s3 1 2 3"),
    w("SADD str a"),
    w("SREM s3 1 9"),
    w("SREM nokey a"),
    w("SREM str a"),
    w("SMEMBERS s1"),
    w("SMEMBERS nokey"),
    w("SMEMBERS str"),
    w("SISMEMBER s1 a"),
    w("SISMEMBER s1 z"),
    w("SISMEMBER nokey a"),
    w("SISMEMBER str a"),
    w("SMISMEMBER s1 a z b"),
    w("SMISMEMBER nokey a"),
    w("SMISMEMBER str a"),
    w("SCARD s1"),
    w("SCARD nokey"),
    w("SCARD str"),
    w("SINTER s1 s2"),
    w("SINTER s1 nokey"),
    w("SINTER nokey str"),
    w("SINTER s1"),
    w("SINTERCARD 2 s1 s2"),
    w("SINTERCARD 2 s1 s2 LIMIT 1"),
    w("SINTERCARD 2 s1 s2 LIMIT 0"),
    w("SINTERCARD 2 s1 s2 LIMIT -1"),
    w("SINTERCARD 2 s1 s2 LIMIT x"),
    w("SINTERCARD 2 s1 s2 LIMIT 1 LIMIT 2"),
    w("SINTERCARD 2 s1 s2 FOO"),
    w("SINTERCARD 0 s1"),
    w("SINTERCARD x s1"),
    w("SINTERCARD 3 s1 s2"),
    w("SINTERCARD 1 nokey"),
    w("SINTERCARD 2 nokey str"),
    w("SUNION s1 s2 nokey"),
    w("SUNION nokey"),
    w("SUNION s1 str"),
    w("SDIFF s1 s2"),
    w("SDIFF s1 s1"),
    w("SDIFF nokey s1"),
    w("SDIFF s1 nokey"),
    w("SDIFF s1 str"),
    w("SINTERSTORE d s1 s2"),
    w("SMEMBERS d"),
    w("SINTERSTORE d s1 nokey"),
    w("EXISTS d"),
    w("SET d x"),
    w("EXPIRE d 100"),
    w("SUNIONSTORE d s1 s2"),
    w("TTL d"),
    w("SCARD d"),
    w("SDIFFSTORE d s1 s2"),
    w("SMEMBERS d"),
    w("SDIFFSTORE d s1 s1"),
    w("EXISTS d"),
    w("SUNIONSTORE d nokey"),
    w("SINTERSTORE d str"),
    w("SDIFFSTORE s1 s1 s3"),
    w("SMEMBERS s1"),
    w("SMOVE s1 s2 a"),
    w("SMOVE s1 s2 zz"),
    w("SMOVE nokey s2 a"),
    w("SMOVE s1 str a"),
    w("SMOVE str s1 a"),
    w("SMOVE s2 s2 a"),
    w("SMOVE s2 s2 zz"),
    w("SADD single x"),
    w("SMOVE single newset x"),
    w("EXISTS single"),
    w("SMEMBERS newset"),
    w("SPOP nokey"),
    w("SPOP nokey 3"),
    w("SPOP newset 0"),
    w("SPOP newset -1"),
    w("SPOP newset x"),
    w("SPOP newset 1 2"),
    w("SPOP str"),
    w("SPOP str 1"),
    w("SPOP newset 5"),
    w("EXISTS newset"),
    w("SADD one x"),
    w("SPOP one"),
    w("EXISTS one"),
    w("SADD one x"),
    w("SRANDMEMBER one"),
    w("SRANDMEMBER one 1"),
    w("SRANDMEMBER one -3"),
    w("SRANDMEMBER one 5"),
    w("SRANDMEMBER one 0"),
    w("SRANDMEMBER one x"),
    w("SRANDMEMBER one 1 2"),
    w("SRANDMEMBER one -9223372036854775808"),
    w("SRANDMEMBER nokey"),
    w("SRANDMEMBER nokey 5"),
    w("SRANDMEMBER str"),
    w("SRANDMEMBER str 3"),
    w("SSCAN s2 0"),
    w("SSCAN s2 0 MATCH c*"),
    w("SSCAN s2 0 COUNT 0"),
    w("SSCAN s2 0 COUNT x"),
    w("SSCAN s2 abc"),
    w("SSCAN s2 0 TYPE set"),
    w("SSCAN nokey 0"),
    w("SSCAN nokey 0 foo"),
    w("SSCAN str 0 COUNT 0"),
    w("SSCAN str 0"),
  ], ["smembers", "sunion", "sdiff", "sinter", "sscan", "spop", "srandmember"]);
});

Deno.test("lists/hashes/sets: COMMAND INFO name, arity, flags, key spec, categories as redis-server", async () => {
  const { haveRedisServer, spawnRedis } = await import("./harness.ts");
  if (!haveRedisServer()) return;
  const names = (
    "lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset lrem linsert ltrim lpos rpoplpush " +
    "lmove lmpop blpop brpop blmove brpoplpush blmpop hset hsetnx hget hmset hmget hdel hlen hstrlen " +
    "hexists hgetall hkeys hvals hincrby hincrbyfloat hrandfield hscan sadd srem smembers sismember " +
    "smismember scard spop srandmember smove sinter sintercard sunion sdiff sinterstore sunionstore " +
    "sdiffstore sscan"
  ).split(" ");
  const node = await startNode();
  const redis = await spawnRedis();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    for (const n of names) {
      const ra = (await a.call("COMMAND", "INFO", n)) as unknown[][];
      const rb = (await b.call("COMMAND", "INFO", n)) as unknown[][];
      assert.deepEqual(ra[0].slice(0, 7), rb[0].slice(0, 7), n);
    }
    assert.deepEqual(await a.call("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"), [
      "a",
      "b",
    ]);
    assert.deepEqual(
      await a.call("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"),
      ["a", "b"],
    );
    assert.deepEqual(await a.call("COMMAND", "GETKEYS", "BLMPOP", "0", "1", "a", "LEFT"), ["a"]);
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
});
