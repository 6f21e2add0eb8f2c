/**
 * DUMP / RESTORE / RESTORE-ASKING against real redis-server 7.0: payloads move both ways for
 * every type in small (listpack/intset) and large (hashtable/skiplist/quicklist) encodings, and
 * RESTORE's replies and errors match Redis's.
 */

import assert from "node:assert/strict";
import { RespClient, spawnRedis, startNode } from "./harness.ts";
import { dumpOf, hex, populate, readKey } from "./rdb_helpers.ts";

Deno.test("DUMP on redis-server -> RESTORE on ours, and back: equal values for every type", async () => {
  const redis = await spawnRedis();
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    const keys = await populate(rc);
    for (const key of keys) {
      const expected = await readKey(rc, key);
      assert.notEqual(expected.slice(0, 4), "none", key);
      // Real -> ours.
      const payload = await dumpOf(rc, key);
      assert.equal(await oc.call("RESTORE", key, "0", payload), "OK", key);
      assert.equal(await readKey(oc, key), expected, `restored on ours: ${key}`);
      // Same encoding as real Redis reports after its own RESTORE of the payload.
      assert.equal(await rc.call("RESTORE", `${key}:copy`, "0", payload), "OK");
      assert.equal(
        await oc.call("OBJECT", "ENCODING", key),
        await rc.call("OBJECT", "ENCODING", `${key}:copy`),
        `encoding of ${key}`,
      );
      // Ours -> real.
      const ours = await dumpOf(oc, key);
      assert.equal(await rc.call("RESTORE", `${key}:from-ours`, "0", ours), "OK", key);
      assert.equal(await readKey(rc, `${key}:from-ours`), expected, `restored on redis: ${key}`);
      // And our payload restores on ours too.
      assert.equal(await oc.call("RESTORE", `${key}:again`, "0", ours), "OK");
      assert.equal(await readKey(oc, `${key}:again`), expected);
    }
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("DUMP payloads of ours are byte-identical to redis-server's (deterministic encodings)", async () => {
  const redis = await spawnRedis();
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    const cmds: string[][] = [
      ["SET", "a", "12345"],
      ["SET", "b", "hello world hello world hello world"],
      ["RPUSH", "l", "a", "b", "1", "-1", "x".repeat(70)],
      ["HSET", "h", "f1", "v1", "f2", "2"],
      ["SADD", "s", "3", "1", "2", "-70000"],
      ["ZADD", "z", "1", "a", "2.5", "b", "-1e30", "c"],
      [
        "ZADD",
        "z2",
        "-0",
        "a",
        "9007199254740993",
        "b",
        "4503599627370496",
        "c",
        "-4503599627370495",
        "d",
      ],
      ["ZADD", "z3", "0.1", "a", "1e-300", "b", "123456789.123", "c", "-inf", "d"],
      ["HSET", "h2", "1", "2", "-5", "abc", "12345678901", "-9223372036854775808"],
      [
        "RPUSH",
        "l2",
        "0",
        "127",
        "128",
        "-4096",
        "4095",
        "4096",
        "-32768",
        "32767",
        "32768",
        "8388607",
        "-8388609",
        "2147483647",
        "2147483648",
        "9223372036854775807",
        "-0",
        "00",
        "+1",
        " 1",
      ],
      ["SADD", "s2", "-9223372036854775808", "9223372036854775807"],
      ["SADD", "s3", "1", "-2", "30000", "-70000"],
      ["SET", "c", "x".repeat(25)],
      ["SET", "d", "abcdefghijklmnopqrstuvwxyz0123456789"],
    ];
    for (const cmd of cmds) {
      await rc.call(...cmd);
      await oc.call(...cmd);
    }
    for (const k of ["a", "b", "c", "d", "l", "l2", "h", "h2", "s", "s2", "s3", "z", "z2", "z3"]) {
      assert.equal(hex(await dumpOf(oc, k)), hex(await dumpOf(rc, k)), k);
    }
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("RESTORE / DUMP replies and errors match redis-server", async () => {
  const redis = await spawnRedis();
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    for (const c of [rc, oc]) {
      await c.call("SET", "src", "value");
      await c.call("SET", "busy", "x");
    }
    const payload = await dumpOf(rc, "src");
    const badCrc = payload.slice();
    badCrc[badCrc.length - 1] ^= 1;
    const newer = payload.slice();
    newer[newer.length - 10] = 11;
    // A payload with a valid footer but a body that is not an object.
    const junkBody = new Uint8Array([0x0f, 1, 2, 3]);
    const junk = await (async () => {
      // Build via our DUMP of a string and replace its body, recomputing nothing: use the real
      // server's verdict by constructing the footer through the codec.
      const { Crc64 } = await import("../protocol/crc64.ts");
      const out = new Uint8Array(junkBody.length + 10);
      out.set(junkBody);
      out[junkBody.length] = 10;
      new Crc64().update(out, 0, junkBody.length + 2).writeLE(out, junkBody.length + 2);
      return out;
    })();
    const cases: (string | Uint8Array)[][] = [
      ["DUMP", "missing"],
      ["RESTORE", "busy", "0", payload],
      ["RESTORE", "k1", "-1", payload],
      ["RESTORE", "k1", "abc", payload],
      ["RESTORE", "k1", "0", badCrc],
      ["RESTORE", "k1", "0", newer],
      ["RESTORE", "k1", "0", "short"],
      ["RESTORE", "k1", "0", junk],
      ["RESTORE", "k1", "0", payload, "BOGUS"],
      ["RESTORE", "k1", "0", payload, "IDLETIME"],
      ["RESTORE", "k1", "0", payload, "IDLETIME", "-1"],
      ["RESTORE", "k1", "0", payload, "IDLETIME", "x"],
      ["RESTORE", "k1", "0", payload, "FREQ", "256"],
      ["RESTORE", "k1", "0", payload, "FREQ", "1", "IDLETIME", "1"],
      ["RESTORE", "k1", "0"],
      ["RESTORE", "busy", "0", payload, "REPLACE"],
      ["GET", "busy"],
      ["RESTORE", "k2", "0", payload, "IDLETIME", "100", "REPLACE"],
      ["RESTORE", "k3", "0", payload, "FREQ", "5"],
      ["RESTORE", "k4", "1", payload, "ABSTTL"],
      ["EXISTS", "k4"],
      ["RESTORE-ASKING", "k5", "0", payload],
      ["GET", "k5"],
      ["RESTORE", "busy", "0", payload, "REPLACE", "ABSTTL", "1"],
    ];
    for (const args of cases) {
      const want = await rc.callRaw(...args);
      const got = await oc.callRaw(...args);
      assert.deepEqual(got, want, args.map((a) => typeof a === "string" ? a : "<bytes>").join(" "));
    }
    // RESP3: a missing key is the null type; a payload is a bulk string.
    for (const c of [rc, oc]) await c.call("HELLO", "3");
    for (const args of [["DUMP", "missing"], ["DUMP", "src"], ["RESTORE", "r3", "0", payload]]) {
      assert.deepEqual(await oc.callRaw(...args), await rc.callRaw(...args), args.join(" "));
    }
    // TTLs: relative and absolute.
    for (const c of [rc, oc]) {
      assert.equal(await c.call("RESTORE", "t1", "100000", payload), "OK");
      const pttl = await c.call("PTTL", "t1") as number;
      assert.ok(pttl > 90000 && pttl <= 100000, String(pttl));
      const at = Date.now() + 200000;
      assert.equal(await c.call("RESTORE", "t2", String(at), payload, "ABSTTL"), "OK");
      assert.equal(await c.call("PEXPIRETIME", "t2"), at);
    }
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("RESTORE of payloads with compressed quicklist nodes and non-default encodings", async () => {
  // list-compress-depth 1: redis-server LZF-compresses inner quicklist nodes (rdbSaveLzfBlob).
  const redis = await spawnRedis({ "list-compress-depth": "1", "hash-max-listpack-entries": "4" });
  const node = await startNode({ "set-max-intset-entries": "2", "zset-max-listpack-entries": "0" });
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    const items = Array.from({ length: 20000 }, (_, i) => `item-${i % 97}-${i}`);
    await rc.call("RPUSH", "list", ...items);
    await rc.call("HSET", "hash", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5");
    await oc.call("SADD", "set", "1", "2", "3");
    await oc.call("ZADD", "zset", "1", "a", "2", "b");
    for (
      const [from, to, key] of [[rc, oc, "list"], [rc, oc, "hash"], [oc, rc, "set"], [
        oc,
        rc,
        "zset",
      ]] as const
    ) {
      const payload = await dumpOf(from, key);
      assert.equal(await to.call("RESTORE", key, "0", payload), "OK", key);
      assert.equal(await readKey(to, key), await readKey(from, key), key);
    }
    assert.equal(await oc.call("OBJECT", "ENCODING", "list"), "quicklist");
    assert.equal(await rc.call("OBJECT", "ENCODING", "zset"), "listpack"); // 7.0 default limits
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});
