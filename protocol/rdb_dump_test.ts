import assert from "node:assert/strict";
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from "./rdb_dump.ts";
import { DEFAULT_RDB_OPTIONS, RdbFormatError } from "./rdb_object.ts";
import { ZSet } from "../keyspace/zset.ts";
import { stringBytes } from "../keyspace/string_value.ts";
import type { HashValue, ListValue, SetValue } from "../keyspace/db.ts";

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((h) => parseInt(h, 16)));
const dec = new TextDecoder();
const O = DEFAULT_RDB_OPTIONS;

/** DUMP payloads captured from redis-server 7.0.15 (default config). */
const REDIS = {
  // HSET h f1 v1 n 42 neg -5000 big 99999999999 long <'x' x 70>  (hashtable: a value > 64 bytes)
  h: "0405036e6567c178ec036269670b3939393939393939393939026631027631016ec02a046c6f6e67c3094046017878e039000178780a00ab44d23d1aea0e5b",
  // ZADD z 1 a 2.5 b -3 c 1e20 d inf e -inf f 5000000 g  (listpack, LZF-compressed)
  z: "113d3d0000000e00816602842d696e6605816302dffd02816102010181620283322e3504816702f2404b4c048164028531652b32300681650283696e6604ff0a00ea06522de1e8f54c",
  // SADD s 1 -2 70000 5000000000  (intset, LZF-compressed)
  s: "0bc32028040800000004200301feff80000001200b4000017011a00902f2052a200900000a00c4825d4352a8d5d2",
  // RPUSH l a 1 -5000 hello 99999999999 -1  (quicklist of one listpack node)
  l: "120102242400000006008161020101f178ec038568656c6c6f06f4ffe776481700000009dfff02ff0a0032c01fad165e2bd4",
  // SET i -123456  (32-bit integer encoding)
  i: "00c2c01dfeff0a00e1b6629eabbd54f2",
};

Deno.test("dump: payloads from redis-server decode to the right values", () => {
  for (const p of Object.values(REDIS)) assert.ok(verifyDumpPayload(hex(p)));
  const h = parseDumpPayload(hex(REDIS.h), O) as HashValue;
  assert.deepEqual(
    Object.fromEntries([...h].map(([k, v]) => [k, dec.decode(stringBytes(v))])),
    { f1: "v1", n: "42", neg: "-5000", big: "99999999999", long: "x".repeat(70) },
  );
  const z = parseDumpPayload(hex(REDIS.z), O) as ZSet;
  assert.ok(z instanceof ZSet && z.listpack);
  assert.deepEqual([...z], [
    ["f", -Infinity],
    ["c", -3],
    ["a", 1],
    ["b", 2.5],
    ["g", 5000000],
    ["d", 1e20],
    ["e", Infinity],
  ]);
  const s = parseDumpPayload(hex(REDIS.s), O) as SetValue;
  assert.deepEqual([...s].sort(), ["-2", "1", "5000000000", "70000"]);
  const l = parseDumpPayload(hex(REDIS.l), O) as ListValue;
  assert.deepEqual(l.toArray().map((b) => dec.decode(stringBytes(b))), [
    "a",
    "1",
    "-5000",
    "hello",
    "99999999999",
    "-1",
  ]);
  assert.equal(parseDumpPayload(hex(REDIS.i), O), "-123456"); // small: a binary string
});

Deno.test("dump: our payloads are byte-identical to redis-server's for the same values", () => {
  for (const k of ["z", "s", "l", "i"] as const) {
    const p = hex(REDIS[k]);
    assert.deepEqual(createDumpPayload(parseDumpPayload(p, O), O), p, k);
  }
});

Deno.test("dump: version and checksum verification", () => {
  const p = createDumpPayload(new TextEncoder().encode("hello"), O);
  assert.ok(verifyDumpPayload(p));
  assert.equal(p[p.length - 10], 10); // RDB version 10, little-endian
  assert.equal(p[p.length - 9], 0);
  for (let i = 0; i < p.length; i++) {
    const bad = p.slice();
    bad[i] ^= 0x01;
    assert.ok(!verifyDumpPayload(bad), `flipped byte ${i}`);
  }
  assert.ok(!verifyDumpPayload(p.slice(0, 9)));
  // A newer RDB version is refused even with a good checksum (checked before the CRC).
  const v11 = p.slice();
  v11[v11.length - 10] = 11;
  assert.ok(!verifyDumpPayload(v11));
  // skip-checksum mode accepts a wrong CRC but still checks the version.
  const badCrc = p.slice();
  badCrc[badCrc.length - 1] ^= 0xff;
  assert.ok(!verifyDumpPayload(badCrc));
  assert.ok(verifyDumpPayload(badCrc, true));
  assert.ok(!verifyDumpPayload(v11, true));
});

Deno.test("dump: a verified payload with a bad body is a format error", () => {
  // Type 0 string claiming 10 bytes, none present.
  assert.throws(
    () => parseDumpPayload(new Uint8Array([0, 10, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]), O),
    RdbFormatError,
  );
  // Unknown type byte.
  assert.throws(
    () => parseDumpPayload(new Uint8Array([8, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0]), O),
    RdbFormatError,
  );
});
