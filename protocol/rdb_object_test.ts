import assert from "node:assert/strict";
import {
  DEFAULT_RDB_OPTIONS,
  EmptyKeyError,
  objectType,
  quicklistNodes,
  RDB_TYPE,
  RdbFormatError,
  RdbReader,
  readObject,
  readTypedObject,
  writeLength,
  writeString,
  writeTypedObject,
} from "./rdb_object.ts";
import { ByteWriter } from "./rdb_buffer.ts";
import { createDumpPayload, parseDumpPayload } from "./rdb_dump.ts";
import { listpackDecode, listpackFromStrings } from "./listpack.ts";
import { ziplistEncode } from "./ziplist.ts";
import { intsetEncode } from "./intset.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { Stream } from "../keyspace/stream.ts";
import type { Value } from "../keyspace/db.ts";
import { stringBytes } from "../keyspace/string_value.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const O = DEFAULT_RDB_OPTIONS;
const HASH_LIMITS = { maxEntries: O.hashMaxListpackEntries, maxValueBytes: O.hashMaxListpackValue };

function bytesOf(f: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  f(w);
  return w.view().slice();
}

/** A comparable plain form of a value. */
function plain(v: Value): unknown {
  if (typeof v === "string") {
    return [
      "string",
      dec.decode(Uint8Array.from(v, (c) => c.charCodeAt(0))),
    ];
  }
  if (v instanceof Uint8Array) return ["string", dec.decode(v)];
  if (v instanceof Deque) return ["list", v.toArray().map((b) => dec.decode(stringBytes(b)))];
  if (v instanceof Hash) {
    return ["hash", [...v].map(([f, x]) => [f, dec.decode(stringBytes(x))]).sort()];
  }
  if (v instanceof MemberSet) return ["set", [...v].sort()];
  if (v instanceof Stream) return ["stream", v.length, v.nodes.map((n) => n.lp.toBytes())];
  return ["zset", v.listpack, [...v]];
}

function roundTrip(v: Value, o = O): Value {
  const b = bytesOf((w) => writeTypedObject(w, v, o));
  const r = new RdbReader(b);
  const out = readTypedObject(r, o);
  assert.equal(r.remaining, 0);
  return out;
}

Deno.test("rdb: length encodings 6/14/32/64-bit", () => {
  const cases: [number, number[]][] = [
    [0, [0x00]],
    [63, [0x3f]],
    [64, [0x40, 0x40]],
    [16383, [0x7f, 0xff]],
    [16384, [0x80, 0, 0, 0x40, 0]],
    [0xffffffff, [0x80, 0xff, 0xff, 0xff, 0xff]],
    [0x100000000, [0x81, 0, 0, 0, 1, 0, 0, 0, 0]],
  ];
  for (const [n, bytes] of cases) {
    const b = bytesOf((w) => writeLength(w, n));
    assert.deepEqual([...b], bytes, String(n));
    assert.equal(new RdbReader(b).readLength(), n);
  }
});

Deno.test("rdb: string encodings (int8/16/32, LZF, raw) as rdbSaveRawString", () => {
  const cases: [string, number[] | null][] = [
    ["0", [0xc0, 0]],
    ["-128", [0xc0, 0x80]],
    ["127", [0xc0, 0x7f]],
    ["128", [0xc1, 0x80, 0]],
    ["-32768", [0xc1, 0, 0x80]],
    ["32768", [0xc2, 0, 0x80, 0, 0]],
    ["-2147483648", [0xc2, 0, 0, 0, 0x80]],
    ["2147483648", null], // 10 digits but beyond int32: raw
    ["007", null],
    ["-0", null],
    ["+1", null],
    ["hello", null],
  ];
  for (const [s, bytes] of cases) {
    const b = bytesOf((w) => writeString(w, enc.encode(s), true));
    if (bytes) assert.deepEqual([...b], bytes, s);
    else assert.deepEqual([...b], [s.length, ...enc.encode(s)], s);
    assert.equal(dec.decode(new RdbReader(b).readString()), s);
  }
  // LZF only above 20 bytes, only when enabled and only when it saves 4+ bytes.
  const rep = "ab".repeat(50);
  const lz = bytesOf((w) => writeString(w, enc.encode(rep), true));
  assert.equal(lz[0], 0xc3);
  assert.ok(lz.length < 40);
  assert.equal(dec.decode(new RdbReader(lz).readString()), rep);
  const raw = bytesOf((w) => writeString(w, enc.encode(rep), false));
  assert.equal(raw.length, 2 + 100);
  const short = bytesOf((w) => writeString(w, enc.encode("a".repeat(20)), true));
  assert.equal(short.length, 21);
});

Deno.test("rdb: every type round-trips, choosing Redis's encodings", () => {
  const h = Hash.from([["f1", enc.encode("v1")], ["n", enc.encode("42")]], HASH_LIMITS);
  const bigH = Hash.from(
    Array.from({ length: 200 }, (_, i) => [`f${i}`, enc.encode(`v${i}`)] as [string, Uint8Array]),
    HASH_LIMITS,
  );
  const longH = Hash.from([["f", enc.encode("x".repeat(65))]], HASH_LIMITS);
  const ints = MemberSet.of(["1", "-2", "9223372036854775807"]);
  const strs = MemberSet.of(["1", "a"]);
  const bigInts = MemberSet.empty();
  for (let i = 0; i < 600; i++) bigInts.add(String(i));
  bigInts.settle(O.setMaxIntsetEntries); // as SADD does: past set-max-intset-entries
  const zs = new ZSet(true);
  zs.add("a", 1);
  zs.add("b", 2.5);
  zs.add("c", -Infinity);
  zs.add("d", 1e300);
  const zb = new ZSet(false);
  for (let i = 0; i < 300; i++) zb.add(`m${i}`, i / 7);
  const list = Deque.from(["a", "1", "-70000", "x".repeat(5000)].map((s) => enc.encode(s)));
  const bigList = Deque.from(Array.from({ length: 5000 }, (_, i) => enc.encode(`item-${i}`)));
  const cases: [Value, number][] = [
    [enc.encode("hello"), RDB_TYPE.STRING],
    [enc.encode(""), RDB_TYPE.STRING],
    [h, RDB_TYPE.HASH_LISTPACK],
    [bigH, RDB_TYPE.HASH],
    [longH, RDB_TYPE.HASH],
    [ints, RDB_TYPE.SET_INTSET],
    [strs, RDB_TYPE.SET],
    [bigInts, RDB_TYPE.SET],
    [zs, RDB_TYPE.ZSET_LISTPACK],
    [zb, RDB_TYPE.ZSET_2],
    [list, RDB_TYPE.LIST_QUICKLIST_2],
    [bigList, RDB_TYPE.LIST_QUICKLIST_2],
  ];
  for (const [v, type] of cases) {
    assert.equal(objectType(v), type);
    assert.deepEqual(plain(roundTrip(v)), plain(v));
    assert.deepEqual(plain(roundTrip(v, { ...O, compression: false })), plain(v));
  }
  // A big list is split into ~8KB listpack nodes (list-max-listpack-size -2).
  const nodes = quicklistNodes(bigList, -2);
  assert.ok(nodes.length > 5);
  for (const n of nodes) assert.ok(n.length <= 8192);
  assert.equal(nodes.reduce((a, n) => a + listpackDecode(n).length, 0), 5000);
  // A positive fill counts entries.
  assert.deepEqual(quicklistNodes(bigList, 100).map((n) => listpackDecode(n).length).slice(0, 2), [
    100,
    100,
  ]);
});

Deno.test("rdb: zset listpack flag after loading follows the 7.0 conversion rules", () => {
  const small = new ZSet(false);
  small.add("a", 1);
  assert.equal((roundTrip(small) as ZSet).listpack, true); // ZSET_2 small enough -> listpack
  const longMember = new ZSet(false);
  longMember.add("m".repeat(65), 1);
  assert.equal((roundTrip(longMember) as ZSet).listpack, false);
});

/** Object bytes: type + body built by `f`. */
function obj(type: number, f: (w: ByteWriter) => void): RdbReader {
  return new RdbReader(bytesOf((w) => {
    w.u8(type);
    f(w);
  }));
}

Deno.test("rdb: legacy encodings Redis 7.0 still loads", () => {
  // LIST (1)
  let v = readTypedObject(
    obj(RDB_TYPE.LIST, (w) => {
      writeLength(w, 2);
      writeString(w, enc.encode("a"), false);
      writeString(w, enc.encode("12"), false);
    }),
    O,
  );
  assert.deepEqual(plain(v), ["list", ["a", "12"]]);
  // ZSET (3) with text doubles, including the inf/nan length markers.
  v = readTypedObject(
    obj(RDB_TYPE.ZSET, (w) => {
      writeLength(w, 3);
      writeString(w, enc.encode("a"), false);
      w.u8(3);
      w.bytes(enc.encode("1.5"));
      writeString(w, enc.encode("b"), false);
      w.u8(254);
      writeString(w, enc.encode("c"), false);
      w.u8(255);
    }),
    O,
  );
  assert.deepEqual(plain(v), ["zset", true, [["c", -Infinity], ["a", 1.5], ["b", Infinity]]]);
  // LIST_ZIPLIST (10)
  v = readTypedObject(
    obj(RDB_TYPE.LIST_ZIPLIST, (w) => writeString(w, ziplistEncode(["x", 7, -300]), true)),
    O,
  );
  assert.deepEqual(plain(v), ["list", ["x", "7", "-300"]]);
  // ZSET_ZIPLIST (12)
  v = readTypedObject(
    obj(RDB_TYPE.ZSET_ZIPLIST, (w) => writeString(w, ziplistEncode(["m", "2.5", "n", 3]), true)),
    O,
  );
  assert.deepEqual(plain(v), ["zset", true, [["m", 2.5], ["n", 3]]]);
  // HASH_ZIPLIST (13)
  v = readTypedObject(
    obj(RDB_TYPE.HASH_ZIPLIST, (w) => writeString(w, ziplistEncode(["f", "v", "g", 100000]), true)),
    O,
  );
  assert.deepEqual(plain(v), ["hash", [["f", "v"], ["g", "100000"]]]);
  // LIST_QUICKLIST (14): ziplist nodes; an empty node is skipped.
  v = readTypedObject(
    obj(RDB_TYPE.LIST_QUICKLIST, (w) => {
      writeLength(w, 3);
      writeString(w, ziplistEncode(["a", "b"]), false);
      writeString(w, ziplistEncode([]), false);
      writeString(w, ziplistEncode([1, 2, 3]), true);
    }),
    O,
  );
  assert.deepEqual(plain(v), ["list", ["a", "b", "1", "2", "3"]]);
  // HASH_ZIPMAP (9)
  const zm = new Uint8Array([1, 1, ...enc.encode("k"), 1, 0, ...enc.encode("v"), 0xff]);
  v = readTypedObject(obj(RDB_TYPE.HASH_ZIPMAP, (w) => writeString(w, zm, false)), O);
  assert.deepEqual(plain(v), ["hash", [["k", "v"]]]);
  // LIST_QUICKLIST_2 with a PLAIN node (container 1).
  v = readTypedObject(
    obj(RDB_TYPE.LIST_QUICKLIST_2, (w) => {
      writeLength(w, 2);
      writeLength(w, 1);
      writeString(w, enc.encode("plain-element"), false);
      writeLength(w, 2);
      writeString(w, listpackFromStrings(["p"]), false);
    }),
    O,
  );
  assert.deepEqual(plain(v), ["list", ["plain-element", "p"]]);
  // SET_INTSET (11)
  v = readTypedObject(
    obj(RDB_TYPE.SET_INTSET, (w) => writeString(w, intsetEncode([5n, -5n]), false)),
    O,
  );
  assert.deepEqual(plain(v), ["set", ["-5", "5"]]);
});

Deno.test("rdb: empty aggregates, duplicates, NaN and unsupported types are refused", () => {
  const empty = [
    obj(RDB_TYPE.LIST, (w) => writeLength(w, 0)),
    obj(RDB_TYPE.SET, (w) => writeLength(w, 0)),
    obj(RDB_TYPE.HASH, (w) => writeLength(w, 0)),
    obj(RDB_TYPE.ZSET_2, (w) => writeLength(w, 0)),
    obj(RDB_TYPE.HASH_LISTPACK, (w) => writeString(w, listpackFromStrings([]), false)),
    obj(RDB_TYPE.LIST_QUICKLIST_2, (w) => writeLength(w, 0)),
    obj(RDB_TYPE.SET_INTSET, (w) => writeString(w, intsetEncode([]), false)),
  ];
  for (const r of empty) assert.throws(() => readTypedObject(r, O), EmptyKeyError);
  const bad = [
    obj(RDB_TYPE.SET, (w) => {
      writeLength(w, 2);
      writeString(w, enc.encode("a"), false);
      writeString(w, enc.encode("a"), false);
    }),
    obj(
      RDB_TYPE.HASH_LISTPACK,
      (w) => writeString(w, listpackFromStrings(["f", "1", "f", "2"]), false),
    ),
    obj(RDB_TYPE.HASH_LISTPACK, (w) => writeString(w, listpackFromStrings(["f", "1", "g"]), false)),
    obj(RDB_TYPE.ZSET_LISTPACK, (w) => writeString(w, listpackFromStrings(["m", "abc"]), false)),
    obj(RDB_TYPE.ZSET_2, (w) => {
      writeLength(w, 1);
      writeString(w, enc.encode("m"), false);
      w.f64le(NaN);
    }),
    obj(RDB_TYPE.LIST_QUICKLIST_2, (w) => {
      writeLength(w, 1);
      writeLength(w, 3); // bad container
      writeString(w, listpackFromStrings(["a"]), false);
    }),
    obj(RDB_TYPE.STREAM_LISTPACKS, () => {}),
    obj(RDB_TYPE.MODULE_2, () => {}),
    obj(8, () => {}),
    obj(RDB_TYPE.STRING, (w) => writeLength(w, 5)), // truncated
    obj(RDB_TYPE.STRING, (w) => {
      w.u8(0xc3); // LZF claiming 10 bytes out of garbage
      writeLength(w, 2);
      writeLength(w, 10);
      w.u8(0x1f);
      w.u8(0x61);
    }),
  ];
  for (const r of bad) assert.throws(() => readTypedObject(r, O), RdbFormatError);
  assert.throws(
    () => readObject(new RdbReader(new Uint8Array([0xc5])), RDB_TYPE.STRING, O),
    RdbFormatError,
  );
});

Deno.test("rdb: corrupted payloads only ever fail with RdbFormatError (fuzz)", () => {
  const zs = new ZSet(true);
  zs.add("a", 1);
  zs.add("b", 2.5);
  const zb = new ZSet(false);
  for (let i = 0; i < 200; i++) zb.add(`m${i}`, i);
  const values: Value[] = [
    enc.encode("hello world hello world hello world"),
    enc.encode("-12345"),
    Deque.from(["a", "1", "x".repeat(300)].map((s) => enc.encode(s))),
    Hash.from([["f", enc.encode("v")], ["n", enc.encode("7")]], HASH_LIMITS),
    Hash.from(
      Array.from({ length: 200 }, (_, i) => [`f${i}`, enc.encode(`${i}`)] as [string, Uint8Array]),
      HASH_LIMITS,
    ),
    MemberSet.of(["1", "2", "-70000"]),
    MemberSet.of(["a", "b"]),
    zs,
    zb,
  ];
  let x = 12345;
  const rnd = (n: number) => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
  let parsed = 0;
  let refused = 0;
  for (const v of values) {
    const good = createDumpPayload(v, O);
    for (let iter = 0; iter < 1500; iter++) {
      const p = good.slice();
      const mode = rnd(3);
      if (mode === 0) {
        for (let k = 1 + rnd(3); k > 0; k--) p[rnd(p.length - 10)] = rnd(256);
      } else if (mode === 1) {
        p[rnd(p.length - 10)] ^= 1 << rnd(8);
      } else {
        const cut = rnd(p.length - 10);
        p.copyWithin(cut, cut + 1 + rnd(4));
      }
      try {
        parseDumpPayload(p, O);
        parsed++;
      } catch (e) {
        if (!(e instanceof RdbFormatError)) throw new Error(`non-format error: ${e}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 1000, `refused ${refused}, parsed ${parsed}`);
});
