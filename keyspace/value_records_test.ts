import assert from "node:assert/strict";
import { prng } from "../tests/prng.ts";
import { RECORD_MAX_BYTES, ValueRecords } from "./value_records.ts";
import { Hash, LOCATED, located } from "./hash.ts";
import { KeyTable } from "./key_table.ts";

const bytesOf = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const stringOf = (b: Uint8Array) => String.fromCharCode(...b);
/** The records of a table-form hash (private: what the tests look at). */
const recordsOf = (h: Hash) => (h as unknown as { r: ValueRecords }).r;

Deno.test("value records: put, write in place, release and reuse, clone", () => {
  const r = new ValueRecords();
  const a = r.putString("abc");
  const b = r.put(bytesOf("xxhelloxx"), 2, 7);
  assert.equal(r.string(a), "abc");
  assert.equal(r.string(b), "hello");
  assert.equal(r.length(b), 5);
  r.writeString(a, "\xff\x00zz");
  assert.equal(r.string(a), "\xff\x00zz");
  assert.equal(r.live, 2);
  const c = r.clone();
  r.write(b, bytesOf("other"), 0, 5);
  assert.equal(c.string(b), "hello", "a clone's records are its own");
  r.release(a);
  assert.equal(r.live, 1);
  assert.equal(r.putString("new"), a, "a freed record is reused first");
  assert.throws(() => r.putString("x".repeat(RECORD_MAX_BYTES + 1)), RangeError);
  // Growth keeps every record.
  const many: number[] = [];
  for (let i = 0; i < 1000; i++) many.push(r.putString(`v${i}`));
  for (let i = 0; i < 1000; i++) assert.equal(r.string(many[i]), `v${i}`);
});

Deno.test("value records: a record freed twice, or read once freed, is an error", () => {
  const r = new ValueRecords();
  const a = r.putString("abc");
  r.release(a);
  assert.throws(() => r.release(a), /freed twice/);
  assert.throws(() => r.string(a), /read after free/);
});

Deno.test("hash: a table holds small values in records, rewritten in place by HSET", () => {
  const h = Hash.table();
  const field = bytesOf("element:1");
  assert.equal(h.setBytes(field, bytesOf("xxx")), true);
  const r = recordsOf(h);
  const size = r.allocatedBytes;
  assert.equal(r.live, 1);
  for (let i = 0; i < 100; i++) assert.equal(h.setBytes(field, bytesOf(`v${i}`)), false);
  assert.equal(r.live, 1, "an overwrite reuses the field's record");
  assert.equal(r.allocatedBytes, size);
  assert.equal(h.get("element:1"), "v99");
  // A long value is a string of its own; the record goes back; a short one takes one again.
  const long = "L".repeat(RECORD_MAX_BYTES + 1);
  h.setBytes(field, bytesOf(long));
  assert.equal(r.live, 0);
  assert.equal(h.get("element:1"), long);
  h.set("element:1", "s");
  assert.equal(r.live, 1);
  assert.equal(h.valueLength("element:1"), 1);
  assert.equal(h.delete("element:1"), true);
  assert.equal(r.live, 0, "a deleted field's record goes back");
  assert.equal(h.size, 0);
});

Deno.test("hash: values given as request bytes are copied, not viewed", () => {
  for (const table of [false, true]) {
    const h = table ? Hash.table() : new Hash();
    const input = bytesOf("f1" + "s".repeat(5) + "f2" + "l".repeat(40));
    h.setBytes(input.subarray(0, 2), input.subarray(2, 7));
    h.setBytes(input.subarray(7, 9), input.subarray(9, 49));
    input.fill(0x41);
    assert.equal(h.get("f1"), "sssss", `table ${table}`);
    assert.equal(h.get("f2"), "l".repeat(40), `table ${table}`);
  }
});

Deno.test("hash: lookupBytes finds values in records, strings and the packed form", () => {
  for (const table of [false, true]) {
    const h = table ? Hash.table() : new Hash();
    h.set("a", "short");
    h.set("b", "x".repeat(30));
    const a = h.lookupBytes(bytesOf("a"));
    if (table) {
      assert.equal(a, LOCATED);
      assert.equal(stringOf(located.bytes.subarray(located.start, located.end)), "short");
    } else assert.equal(a, "short");
    assert.equal(h.lookupBytes(bytesOf("b")), "x".repeat(30));
    assert.equal(h.lookupBytes(bytesOf("c")), undefined);
  }
});

Deno.test("hash: table form with records answers as a Map does (random operations)", () => {
  const rnd = prng(18);
  const h = Hash.table();
  const ref = new Map<string, string>();
  const value = () => {
    const n = Math.floor(rnd() * 24); // both sides of RECORD_MAX_BYTES
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rnd() * 256));
    return s;
  };
  for (let step = 0; step < 20000; step++) {
    const f = `f${Math.floor(rnd() * 500)}`;
    const op = rnd();
    if (op < 0.4) {
      const v = value();
      assert.equal(h.setBytes(bytesOf(f), bytesOf(v)), !ref.has(f), `step ${step}`);
      ref.set(f, v);
    } else if (op < 0.6) {
      const v = value();
      assert.equal(h.set(f, v), !ref.has(f), `step ${step}`);
      ref.set(f, v);
    } else if (op < 0.75) {
      assert.equal(h.delete(f), ref.delete(f), `step ${step}`);
    } else if (op < 0.9) {
      assert.equal(h.get(f), ref.get(f), `step ${step}`);
      assert.equal(h.valueLength(f), ref.get(f)?.length ?? 0, `step ${step}`);
    } else {
      const c = h.clone();
      c.set(f, "changed in the clone");
      assert.equal(h.get(f), ref.get(f), `step ${step}: a clone is independent`);
    }
  }
  assert.equal(h.size, ref.size);
  const got = new Map(h.entries());
  assert.deepEqual(got, ref);
  let small = 0;
  for (const v of ref.values()) if (v.length <= RECORD_MAX_BYTES) small++;
  assert.equal(recordsOf(h).live, small, "one record per small value, none leaked");
});

Deno.test("hash: converting to a table keeps every field and value", () => {
  const h = new Hash();
  for (let i = 0; i < 200; i++) h.set(`f${i}`, i % 2 === 0 ? `v${i}` : "y".repeat(20 + i));
  h.convertToTable();
  assert.equal(h.listpack, false);
  for (let i = 0; i < 200; i++) {
    assert.equal(h.get(`f${i}`), i % 2 === 0 ? `v${i}` : "y".repeat(20 + i));
  }
  assert.equal(recordsOf(h).live, 100);
});

Deno.test("key table: prefetchSpans reads a record-held value's record", () => {
  const t = KeyTable.map<number>(7);
  const r = new ValueRecords();
  t.records = r;
  const key = "element:1";
  t.insert(key, r.putString("abc"), 0);
  const buf = bytesOf(key);
  const starts = Int32Array.of(0);
  const ends = Int32Array.of(buf.length);
  const homes = new Int32Array(1);
  const before = t.prefetchSpans(buf, starts, ends, 1, homes);
  r.writeString(0, "abcdefg"); // another length byte: the record is read
  assert.notEqual(t.prefetchSpans(buf, starts, ends, 1, homes), before);
});

Deno.test("hash: emptied field by field, the records shrink; the values stay", () => {
  const h = Hash.table();
  for (let i = 0; i < 10_000; i++) h.set(`f${i}`, `v${i}`);
  h.set("long", "L".repeat(RECORD_MAX_BYTES + 1));
  const peak = recordsOf(h).allocatedBytes;
  for (let i = 0; i < 10_000; i++) if (i % 1000 !== 7) assert.equal(h.delete(`f${i}`), true);
  const r = recordsOf(h);
  assert.equal(r.live, 10);
  assert.ok(r.allocatedBytes * 50 < peak, `${r.allocatedBytes} bytes left of ${peak}`);
  for (let i = 7; i < 10_000; i += 1000) assert.equal(h.get(`f${i}`), `v${i}`);
  assert.equal(h.get("long"), "L".repeat(RECORD_MAX_BYTES + 1));
  // The read-ahead follows the new records, and they take new values in place.
  assert.equal((h.readAheadTable() as unknown as { records: unknown }).records, r);
  h.set("f7", "new");
  assert.equal(h.get("f7"), "new");
  assert.equal(r.live, 10);
});
