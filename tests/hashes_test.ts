import assert from "node:assert/strict";
import { canon, compareBoth, errText, w, withNode, WRONGTYPE } from "./collections_compare.ts";

Deno.test("hashes: basics with exact replies", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("HSET", "h", "a", "1", "b", "2"), 2);
    assert.equal(await c.call("HSET", "h", "a", "10", "c", "3"), 1);
    assert.equal(await c.call("HSETNX", "h", "a", "x"), 0);
    assert.equal(await c.call("HSETNX", "h", "d", "4"), 1);
    assert.equal(await c.call("HGET", "h", "a"), "10");
    assert.equal(await c.call("HGET", "h", "zz"), null);
    assert.deepEqual(await c.call("HMGET", "h", "a", "zz", "b"), ["10", null, "2"]);
    assert.equal(await c.call("HLEN", "h"), 4);
    assert.equal(await c.call("HSTRLEN", "h", "a"), 2);
    assert.equal(await c.call("HEXISTS", "h", "a"), 1);
    assert.deepEqual(await c.call("HKEYS", "h"), ["a", "b", "c", "d"]);
    assert.deepEqual(await c.call("HVALS", "h"), ["10", "2", "3", "4"]);
    assert.deepEqual(await c.call("HGETALL", "h"), ["a", "10", "b", "2", "c", "3", "d", "4"]);
    assert.equal(await c.call("HINCRBY", "h", "a", "-11"), -1);
    assert.equal(await c.call("HINCRBYFLOAT", "h", "b", "0.1"), "2.1");
    assert.equal(await c.call("HDEL", "h", "a", "b", "c", "zz"), 3);
    assert.equal(await c.call("HDEL", "h", "d"), 1);
    assert.equal(await c.call("EXISTS", "h"), 0, "emptied hash is deleted");
    assert.equal(
      errText(await c.call("HSET", "h", "a")),
      "ERR wrong number of arguments for 'hset' command",
    );
    assert.equal(
      errText(await c.call("HMSET", "h", "a", "1", "b")),
      "ERR wrong number of arguments for 'hmset' command",
    );
    assert.equal(await c.call("HMSET", "h", "a", "1"), "OK");
    await c.call("SET", "s", "x");
    assert.equal(errText(await c.call("HSET", "s", "a", "1")), WRONGTYPE);
    assert.equal(errText(await c.call("HGETALL", "s")), WRONGTYPE);
    assert.equal(await c.call("HSET", "h", "a", "x"), 0);
  });
});

Deno.test("hashes: RESP3 HGETALL is a map, HRANDFIELD WITHVALUES pairs", async () => {
  await withNode(async (c) => {
    await c.call("HELLO", "3");
    await c.call("HSET", "h", "a", "1", "b", "2");
    const all = await c.callRaw("HGETALL", "h");
    assert.equal(canon(all), `%{$"a":$"1",$"b":$"2"}`);
    assert.equal(canon(await c.callRaw("HGETALL", "nokey")), "%{}");
    const r = await c.callRaw("HRANDFIELD", "h", "-3", "WITHVALUES");
    assert.equal(r.type, "array");
    if (r.type === "array") {
      assert.equal(r.value.length, 3);
      for (const p of r.value) {
        assert.ok([`*[$"a",$"1"]`, `*[$"b",$"2"]`].includes(canon(p)), canon(p));
      }
    }
    const r2 = await c.callRaw("HRANDFIELD", "h", "5", "WITHVALUES");
    assert.equal(canon(r2, true), `*[*[$"a",$"1"],*[$"b",$"2"]]`);
  });
});

Deno.test("hashes: HINCRBY/HINCRBYFLOAT edge cases", async () => {
  await withNode(async (c) => {
    await c.call("HSET", "h", "s", "abc", "big", "9223372036854775807", "f", "1.5");
    assert.equal(
      errText(await c.call("HINCRBY", "h", "s", "1")),
      "ERR hash value is not an integer",
    );
    assert.equal(
      errText(await c.call("HINCRBY", "h", "f", "1")),
      "ERR hash value is not an integer",
    );
    assert.equal(
      errText(await c.call("HINCRBY", "h", "big", "1")),
      "ERR increment or decrement would overflow",
    );
    assert.equal(await c.call("HINCRBY", "h", "big", "-1"), 9223372036854775806);
    assert.equal(
      errText(await c.call("HINCRBY", "h", "n", "x")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(
      errText(await c.call("HINCRBYFLOAT", "h", "s", "1")),
      "ERR hash value is not a float",
    );
    assert.equal(
      errText(await c.call("HINCRBYFLOAT", "h", "f", "x")),
      "ERR value is not a valid float",
    );
    assert.equal(
      errText(await c.call("HINCRBYFLOAT", "h", "f", "inf")),
      "ERR value is NaN or Infinity",
    );
    assert.equal(await c.call("HINCRBYFLOAT", "h", "f", "1234"), "1235.5");
    assert.equal(await c.call("HINCRBYFLOAT", "new", "f", "0.1"), "0.1");
    assert.equal(
      errText(await c.call("HINCRBY", "nokey", "f", "x")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(await c.call("EXISTS", "nokey"), 0);
  });
});

Deno.test("hashes: HSCAN returns every field of a big hash exactly once when unchanged", async () => {
  await withNode(async (c) => {
    const n = 1000;
    for (let i = 0; i < n; i += 100) {
      const args: string[] = [];
      for (let j = i; j < i + 100; j++) args.push(`f${j}`, `v${j}`);
      await c.call("HSET", "h", ...args);
    }
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = await c.call("HSCAN", "h", cursor, "COUNT", "50") as [string, string[]];
      cursor = r[0];
      for (let i = 0; i < r[1].length; i += 2) {
        assert.ok(!seen.has(r[1][i]), `duplicate ${r[1][i]}`);
        seen.set(r[1][i], r[1][i + 1]);
      }
      calls++;
    } while (cursor !== "0");
    assert.equal(seen.size, n);
    assert.equal(seen.get("f7"), "v7");
    assert.ok(calls > 5, `expected several calls, got ${calls}`);
    // MATCH filters; fields deleted during the scan are not returned, the others are.
    const r = await c.call("HSCAN", "h", "0", "MATCH", "f99*", "COUNT", "100000") as [
      string,
      string[],
    ];
    assert.equal(r[0], "0");
    assert.deepEqual(r[1].filter((_, i) => i % 2 === 0).sort(), [
      "f99",
      "f990",
      "f991",
      "f992",
      "f993",
      "f994",
      "f995",
      "f996",
      "f997",
      "f998",
      "f999",
    ]);
    let cur = "0";
    const got = new Set<string>();
    let first = true;
    do {
      const x = await c.call("HSCAN", "h", cur, "COUNT", "100") as [string, string[]];
      cur = x[0];
      for (let i = 0; i < x[1].length; i += 2) got.add(x[1][i]);
      if (first) {
        for (let j = 0; j < n; j += 2) await c.call("HDEL", "h", `f${j}`);
        first = false;
      }
    } while (cur !== "0");
    for (let j = 1; j < n; j += 2) assert.ok(got.has(`f${j}`), `f${j} missing`);
  });
});

Deno.test("hashes: same replies as redis-server (RESP2 and RESP3)", async () => {
  await compareBoth([
    w("SET s str"),
    w("HSET h a 1 b 2 c 3"),
    w("HSET h a 1"),
    w("HSET h a"),
    w("HSET h a 1 b"),
    w("HSET s a 1"),
    w("HMSET h d 4"),
    w("HMSET h d"),
    w("HSETNX h a x"),
    w("HSETNX h e 5"),
    w("HSETNX s e 5"),
    w("HGET h a"),
    w("HGET h zz"),
    w("HGET nokey a"),
    w("HGET s a"),
    w("HMGET h a zz b"),
    w("HMGET nokey a b"),
    w("HMGET s a"),
    w("HLEN h"),
    w("HLEN nokey"),
    w("HLEN s"),
    w("HSTRLEN h a"),
    w("HSTRLEN h zz"),
    w("HSTRLEN nokey a"),
    w("HSTRLEN s a"),
    w("HEXISTS h a"),
    w("HEXISTS h zz"),
    w("HEXISTS nokey a"),
    w("HEXISTS s a"),
    w("HGETALL h"),
    w("HGETALL nokey"),
    w("HGETALL s"),
    w("HKEYS h"),
    w("HKEYS nokey"),
    w("HVALS h"),
    w("HVALS nokey"),
    w("HVALS s"),
    w("HINCRBY h a 10"),
    w("HINCRBY h a -100"),
    w("HINCRBY h new 5"),
    w("HINCRBY h a x"),
    w("HINCRBY h a 9223372036854775807"),
    w("HINCRBY h a -9223372036854775808"),
    w("HSET h big 9223372036854775807 str abc sp 12x"),
    w("HINCRBY h big 1"),
    w("HINCRBY h big -1"),
    w("HINCRBY h str 1"),
    w("HINCRBY h sp 1"),
    w("HINCRBY s a 1"),
    w("HINCRBY nokey2 a 1"),
    w("HINCRBYFLOAT h a 1.5"),
    w("HINCRBYFLOAT h a 0.1"),
    w("HINCRBYFLOAT h fl 3.0e3"),
    w("HINCRBYFLOAT h fl -3000"),
    w("HINCRBYFLOAT h fl 1e-5"),
    w("HINCRBYFLOAT h a x"),
    w("HINCRBYFLOAT h a inf"),
    w("HINCRBYFLOAT h a nan"),
    w("HINCRBYFLOAT h str 1"),
    w("HINCRBYFLOAT s a 1"),
    w("HSET hh huge 1e308"),
    w("HINCRBYFLOAT hh huge 1e308"),
    w("HGET hh huge"),
    w("HGETALL h"),
    w("HRANDFIELD nokey"),
    w("HRANDFIELD nokey 5"),
    w("HRANDFIELD nokey -5 WITHVALUES"),
    w("HRANDFIELD h 0"),
    w("HRANDFIELD h 0 WITHVALUES"),
    w("HRANDFIELD h 100"),
    w("HRANDFIELD h 100 WITHVALUES"),
    w("HRANDFIELD h x"),
    w("HRANDFIELD h -9223372036854775808"),
    w("HRANDFIELD h 4611686018427387904 WITHVALUES"),
    w("HRANDFIELD h -4611686018427387904 WITHVALUES"),
    w("HRANDFIELD h 1 WITHVALUE"),
    w("HRANDFIELD h 1 WITHVALUES x"),
    w("HRANDFIELD s"),
    w("HRANDFIELD s 1"),
    w("HSET one f v"),
    w("HRANDFIELD one"),
    w("HRANDFIELD one -3"),
    w("HRANDFIELD one -2 WITHVALUES"),
    w("HRANDFIELD one 1 WITHVALUES"),
    w("HSCAN h 0"),
    w("HSCAN h 0 MATCH a*"),
    w("HSCAN h 0 COUNT 100 MATCH *"),
    w("HSCAN h 0 COUNT 0"),
    w("HSCAN h 0 COUNT x"),
    w("HSCAN h x"),
    w("HSCAN h 0 TYPE string"),
    w("HSCAN h 0 MATCH"),
    w("HSCAN nokey 0"),
    // The key is looked up before the options are parsed (scanGenericCommand).
    w("HSCAN nokey 0 COUNT x"),
    w("HSCAN nokey 0 TYPE string"),
    w("HSCAN nokey x"),
    w("HSCAN s 0"),
    w("HSCAN s 0 COUNT x"),
    w("HSCAN s x"),
    w("HSCAN h -1"),
    w("HSCAN h 18446744073709551616"),
    w("HDEL h a b c d e new big str sp fl"),
    w("HDEL h zz"),
    w("EXISTS h"),
    w("HDEL nokey a"),
    w("HDEL s a"),
  ], ["hkeys", "hvals", "hscan", "hrandfield"]);
});

Deno.test("hashes: OBJECT ENCODING follows Redis's conversions, which never go back (redis-server)", async () => {
  const many = ["HSET", "big"];
  for (let i = 0; i < 600; i++) many.push(`f${i}`, `v${i}`);
  const dels = ["HDEL", "big"];
  for (let i = 0; i < 597; i++) dels.push(`f${i}`);
  const x64 = "x".repeat(64);
  const x65 = "x".repeat(65);
  await compareBoth([
    w("HSET small a 1 b 2 c 3"),
    w("OBJECT ENCODING small"),
    w("HDEL small b"),
    w("HGETALL small"),
    w("HSET small b 9 a 0"),
    w("HGETALL small"),
    many,
    w("OBJECT ENCODING big"),
    dels,
    w("HLEN big"),
    w("OBJECT ENCODING big"),
    w(`HSET exact f ${x64} ${x64} 1`),
    w("OBJECT ENCODING exact"),
    w(`HSET long g 1 f ${x65}`),
    w("OBJECT ENCODING long"),
    w("HDEL long f"),
    w("OBJECT ENCODING long"),
    w(`HSET longfield ${x65} 1`),
    w("OBJECT ENCODING longfield"),
    w(`HSETNX nx f ${x65}`),
    w("OBJECT ENCODING nx"),
    w("HINCRBYFLOAT fl f 1e100"),
    w("OBJECT ENCODING fl"),
    w("HINCRBY in f 5"),
    w("OBJECT ENCODING in"),
    w("COPY small small2"),
    w("OBJECT ENCODING small2"),
    w("HGETALL small2"),
    w("COPY long long2"),
    w("OBJECT ENCODING long2"),
    w("CONFIG SET hash-max-listpack-entries 2"),
    w("HSET c a 1 b 2"),
    w("OBJECT ENCODING c"),
    w("HSET c c 3"),
    w("OBJECT ENCODING c"),
    w("OBJECT ENCODING small"),
    w("CONFIG SET hash-max-listpack-entries 512"),
    w("CONFIG SET hash-max-listpack-value 2"),
    w("HSET v a 12"),
    w("OBJECT ENCODING v"),
    w("HSET v b 123"),
    w("OBJECT ENCODING v"),
    w("CONFIG SET hash-max-listpack-value 64"),
  ]);
});
