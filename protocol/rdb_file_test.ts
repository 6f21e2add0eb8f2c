import assert from "node:assert/strict";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import {
  loadRdb,
  parseRdb,
  RDB_OPCODE,
  rdbChunks,
  readRdb,
  standardAux,
  writeRdb,
} from "./rdb_file.ts";
import { concatBytes } from "./bytes.ts";
import { DEFAULT_RDB_OPTIONS, RdbFormatError, writeLength, writeString } from "./rdb_object.ts";
import { ByteWriter } from "./rdb_buffer.ts";
import { Crc64 } from "./crc64.ts";
import { Db, type ListValue } from "../keyspace/db.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const O = DEFAULT_RDB_OPTIONS;

function sampleDb(): Db {
  const db = new Db(() => 1_000_000);
  db.add("s", enc.encode("value"));
  db.add("n", enc.encode("12345"));
  db.add("l", Deque.from([enc.encode("a"), enc.encode("b")]));
  db.add("h", Hash.from([["f", enc.encode("v")]]));
  db.add("set", MemberSet.of(["1", "2"]));
  const z = new ZSet(true);
  z.add("m", 1.5);
  db.add("z", z);
  db.add("bin\x00\xff", enc.encode("x"));
  db.setExpire("s", 5_000_000_000_000);
  return db;
}

Deno.test("rdb file: header, aux fields, keys, expiries and checksum round-trip", () => {
  const db = sampleDb();
  const aux = standardAux({
    ctimeSec: 1700000000,
    usedMem: 123456,
    repl: { streamDb: 0, replId: "a".repeat(40), offset: 42 },
  });
  const file = writeRdb(db, aux, O);
  assert.equal(dec.decode(file.subarray(0, 9)), "REDIS0010");
  assert.equal(file[file.length - 9], RDB_OPCODE.EOF);
  const r = readRdb(file, O);
  assert.equal(r.version, 10);
  assert.ok(r.checksumVerified);
  assert.deepEqual([...r.aux], [
    ["redis-ver", "7.0.15"],
    ["redis-bits", "64"],
    ["ctime", "1700000000"],
    ["used-mem", "123456"],
    ["repl-stream-db", "0"],
    ["repl-id", "a".repeat(40)],
    ["repl-offset", "42"],
    ["aof-base", "0"],
  ]);
  assert.deepEqual(r.resize.get(0), { size: 7, expires: 1 });
  assert.deepEqual(r.entries.map((e) => e.key), [...db.dict.keys()]);
  const byKey = new Map(r.entries.map((e) => [e.key, e]));
  assert.equal(byKey.get("s")!.expireMs, 5_000_000_000_000);
  assert.equal(byKey.get("n")!.expireMs, -1);
  assert.equal(byKey.get("n")!.value, "12345"); // small: a binary string
  assert.deepEqual([...(byKey.get("z")!.value as ZSet)], [["m", 1.5]]);
  assert.deepEqual(
    (byKey.get("l")!.value as ListValue).toArray(),
    ["a", "b"],
  );
  assert.ok(byKey.has("bin\x00\xff"));
});

Deno.test("rdb file: an empty keyspace is header + aux + EOF + checksum", () => {
  const file = writeRdb(new Db(), standardAux({ ctimeSec: 1 }), O);
  const r = readRdb(file, O);
  assert.equal(r.entries.length, 0);
  assert.equal(r.resize.size, 0);
});

Deno.test("rdb file: a corrupted byte fails the checksum; a zero checksum is not checked", () => {
  const file = writeRdb(sampleDb(), standardAux({ ctimeSec: 1 }), O);
  const bad = file.slice();
  bad[20] ^= 0x40; // inside an aux value
  assert.throws(() => readRdb(bad, O), RdbFormatError);
  const zero = file.slice();
  zero.fill(0, zero.length - 8);
  const r = readRdb(zero, O);
  assert.equal(r.checksumVerified, false);
  assert.equal(r.entries.length, 7);
  assert.throws(() => readRdb(file.slice(0, file.length - 3), O), RdbFormatError);
  assert.throws(() => readRdb(enc.encode("REDIS0011"), O), RdbFormatError);
  assert.throws(() => readRdb(enc.encode("RUDIS0010"), O), RdbFormatError);
});

Deno.test("rdb file: several databases, EXPIRETIME (seconds), IDLE/FREQ, FUNCTION2, empty keys", () => {
  const w = new ByteWriter();
  w.bytes(enc.encode("REDIS0009"));
  w.u8(RDB_OPCODE.FUNCTION2);
  writeString(
    w,
    enc.encode("#!lua name=lib\nredis.register_function('f', function() return 1 end)"),
    true,
  );
  w.u8(RDB_OPCODE.SELECTDB);
  writeLength(w, 0);
  w.u8(RDB_OPCODE.EXPIRETIME);
  w.u32le(2_000_000_000);
  w.u8(RDB_OPCODE.IDLE);
  writeLength(w, 77);
  w.u8(0);
  writeString(w, enc.encode("k0"), false);
  writeString(w, enc.encode("v0"), false);
  w.u8(RDB_OPCODE.FREQ);
  w.u8(9);
  w.u8(1); // an empty LIST: skipped
  writeString(w, enc.encode("empty"), false);
  writeLength(w, 0);
  w.u8(RDB_OPCODE.SELECTDB);
  writeLength(w, 3);
  w.u8(0);
  writeString(w, enc.encode("k3"), false);
  writeString(w, enc.encode("v3"), false);
  w.u8(RDB_OPCODE.EOF);
  const crc = new Crc64().update(w.buf, 0, w.length);
  w.reserve(8);
  crc.writeLE(w.buf, w.length);
  w.length += 8;
  const seen: string[] = [];
  const f = parseRdb(
    w.view(),
    O,
    (e) => seen.push(`${e.dbId}:${e.key}:${e.expireMs}:${e.idleSec}:${e.freq}`),
  );
  assert.deepEqual(seen, ["0:k0:2000000000000:77:-1", "3:k3:-1:-1:-1"]);
  assert.equal(f.version, 9);
  assert.equal(f.functions.length, 1);
  assert.equal(f.emptyKeysSkipped, 1);
  assert.ok(f.checksumVerified);
});

Deno.test("rdb file: chunked writer produces the same bytes as writeRdb", () => {
  const db = sampleDb();
  for (let i = 0; i < 2000; i++) db.add(`k${i}`, enc.encode(`value ${i} `.repeat(10)));
  const aux = standardAux({ ctimeSec: 5 });
  const whole = writeRdb(db, aux, O);
  const chunks = [...rdbChunks(db, aux, O, 4096)];
  assert.ok(chunks.length > 10);
  for (const c of chunks.slice(0, -1)) assert.ok(c.length >= 4096 && c.length < 4096 + 1024);
  assert.deepEqual(concatBytes(chunks), whole);
  assert.deepEqual(concatBytes([...rdbChunks(new Db(), aux, O)]), writeRdb(new Db(), aux, O));
});

Deno.test("rdb file: loadRdb fills a Db, dropping expired keys only when asked", () => {
  const src = sampleDb();
  src.add("old", enc.encode("gone"));
  src.expires.set("old", 10);
  const file = writeRdb(src, standardAux({ ctimeSec: 1 }), O);
  const master = new Db(() => 1_000_000);
  const r = loadRdb(master, file, O, { dropExpired: true, nowMs: 1_000_000 });
  assert.equal(r.loaded, 7);
  assert.equal(r.expiredSkipped, 1);
  assert.equal(master.size, 7);
  assert.equal(master.getExpire("s"), 5_000_000_000_000);
  assert.equal(master.countKeysInSlot(0) >= 0, true);
  const replica = new Db(() => 1_000_000);
  assert.equal(loadRdb(replica, file, O, { dropExpired: false, nowMs: 1_000_000 }).loaded, 8);
  assert.equal(replica.expires.get("old"), 10);
  // A key already present (a file with a duplicate) is refused.
  assert.throws(() => loadRdb(replica, file, O, { dropExpired: false, nowMs: 0 }), RdbFormatError);
});
