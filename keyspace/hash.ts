/**
 * A hash value (TYPE "hash"), in one of two forms, as Redis's hash object (t_hash.c):
 * - packed, while Redis would keep it as a listpack: every field and value in one binary string
 *   (one char per byte), in insertion order, each as a LEB128 length then its chars
 *   (packed_string.ts); operations scan it linearly and rebuild it on change, as Redis's listpack
 *   functions do. 100,000 hashes of 10 short fields (`deno task bench --mode memory`, after
 *   MEMORY PURGE) cost ~1,060 bytes a key of RSS as Maps and ~455 packed, against Redis's 338.
 * - table: field -> value in an open-addressing table (keyspace/key_table.ts, as the keyspace:
 *   a `Map` internalized every fresh field string it was asked about), a value held as a string
 *   value is (keyspace/string_value.ts).
 *
 * A hash starts packed (or as a table when created too big, as RDB loading does) and converts
 * once (`convertToTable`, Redis's hashTypeConvert), never back: the commands decide when
 * (`fit`, hashTypeTryConversion and hashTypeSet's length check). `listpack` is which form it is,
 * and what OBJECT ENCODING reports.
 *
 * Fields are binary strings; values handed out are strings of their own (never views into the
 * packed string) or the table's stored values. The iteration order, which HGETALL, HSCAN and
 * RDB follow, is insertion order while packed (a listpack's), the table's slot order after
 * (Redis's hashtable answers in its dict's hash order too).
 */

import { bytesEqual, latin1 } from "../protocol/bytes.ts";
import type { StringValue } from "./string_value.ts";
import { KeyTable } from "./key_table.ts";
import {
  copyOf,
  encodeVarint,
  equalsAt,
  flat,
  readVarint,
  splice,
  varint,
  varintLength,
  writeVarint,
} from "./packed_string.ts";

/**
 * Longest packed string (chars = bytes). Redis converts a listpack past 1 GB (lpSafeToAdd); a V8
 * string stops at 2^29 - 24 chars, so this converts earlier.
 */
const PACKED_MAX_BYTES = 1 << 28;

/** `packedFromArgv`'s reused buffer, and the largest packed string it builds in it. */
const PACK_SCRATCH_BYTES = 16 * 1024;
const packScratch = new Uint8Array(PACK_SCRATCH_BYTES);

/** The limits a hash is kept packed within (hash-max-listpack-entries / -value). */
export interface HashLimits {
  maxEntries: number;
  maxValueBytes: number;
}

/** The bounds of the entry `readEntry` decoded (module scratch, single-threaded). */
const at = { fieldStart: 0, fieldEnd: 0, valueStart: 0, end: 0 };

/** Decode the bounds of the entry at offset `o` of packed string `p` into `at`. */
function readEntry(p: string, o: number): void {
  readVarint(p, o);
  at.fieldStart = varint.end;
  at.fieldEnd = varint.end + varint.value;
  readVarint(p, at.fieldEnd);
  at.valueStart = varint.end;
  at.end = varint.end + varint.value;
}

export class Hash {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  /** Packed form: the entries ("" in table form). */
  private p = "";
  /** Packed form: how many fields `p` holds. */
  private n = 0;
  /** Table form, or null while packed. */
  private m: KeyTable<StringValue> | null = null;

  /** A hash in table form from the start (too big for the packed form). */
  static table(): Hash {
    const h = new Hash();
    h.m = KeyTable.map();
    return h;
  }

  /**
   * A hash of these fields and values, in their order (a repeated field keeps its first place and
   * its last value); converted to a table when past `limits`, if given.
   */
  static from(entries: Iterable<[string, StringValue]>, limits?: HashLimits): Hash {
    const h = new Hash();
    for (const [f, v] of entries) h.set(f, v);
    if (limits !== undefined) h.fit(limits);
    return h;
  }

  /**
   * HSET into a new key, packed: a hash of the field/value pairs `argv[from..]` (fields at
   * from, from + 2, ...), or null when they need the general path: a field given twice (Redis
   * keeps its first place and last value), more than `limits.maxEntries` pairs or an argument
   * longer than `limits.maxValueBytes` (those convert to a table). The packed string is written
   * straight from the arguments' bytes and made a string once, where `set` builds a string per
   * field and value and flattens the packed string once per field: an HSET of 10 fields into a
   * new key allocated ~12 KB that way (100,000 builds, --trace-gc-nvp's `allocated`), which the
   * young generation then collects and partly promotes.
   */
  static packedFromArgv(
    argv: readonly Uint8Array[],
    from: number,
    limits: HashLimits,
  ): Hash | null {
    const pairs = (argv.length - from) >> 1;
    if (pairs > limits.maxEntries) return null;
    let bytes = 0;
    for (let i = from; i < argv.length; i++) {
      const len = argv[i].length;
      if (len > limits.maxValueBytes) return null;
      bytes += len + varintLength(len);
    }
    if (bytes > PACKED_MAX_BYTES) return null;
    for (let i = from + 2; i < argv.length; i += 2) {
      for (let j = from; j < i; j += 2) if (bytesEqual(argv[i], argv[j])) return null;
    }
    const buf = bytes <= PACK_SCRATCH_BYTES ? packScratch : new Uint8Array(bytes);
    let o = 0;
    for (let i = from; i < argv.length; i++) {
      const a = argv[i];
      o = writeVarint(buf, o, a.length);
      buf.set(a, o);
      o += a.length;
    }
    const h = new Hash();
    h.p = flat(latin1(buf.subarray(0, bytes)));
    h.n = pairs;
    return h;
  }

  /** A copy in the same form and order (COPY: hashTypeDup). */
  clone(): Hash {
    const h = new Hash();
    h.p = this.p;
    h.n = this.n;
    if (this.m !== null) h.m = this.m.clone();
    return h;
  }

  /** The table of a table-form hash (null while packed), to read ahead in (keyspace/prefetch.ts). */
  readAheadTable(): KeyTable<StringValue> | null {
    return this.m;
  }

  /** Is it in the packed form (Redis's listpack encoding)? */
  get listpack(): boolean {
    return this.m === null;
  }

  get size(): number {
    return this.m === null ? this.n : this.m.size;
  }

  /** Length in bytes of the packed string (0 in table form): what MEMORY USAGE charges. */
  get packedBytes(): number {
    return this.p.length;
  }

  /** Offset of `field`'s entry in the packed string, or -1; `at` holds its bounds. */
  private find(field: string): number {
    const p = this.p;
    const len = field.length;
    for (let o = 0; o < p.length; o = at.end) {
      readEntry(p, o);
      if (at.fieldEnd - at.fieldStart === len && equalsAt(p, at.fieldStart, at.fieldEnd, field)) {
        return o;
      }
    }
    return -1;
  }

  get(field: string): StringValue | undefined {
    if (this.m !== null) return this.m.get(field);
    if (this.find(field) < 0) return undefined;
    return copyOf(this.p, at.valueStart, at.end);
  }

  /** The length in bytes of `field`'s value, or 0 when missing (HSTRLEN). */
  valueLength(field: string): number {
    if (this.m !== null) return this.m.get(field)?.length ?? 0;
    return this.find(field) < 0 ? 0 : at.end - at.valueStart;
  }

  has(field: string): boolean {
    if (this.m !== null) return this.m.has(field);
    return this.find(field) >= 0;
  }

  /**
   * Set `field` to `value`; true when the field is new. A packed hash stays packed: the caller
   * converts it when it outgrew its limits (`fit`).
   */
  set(field: string, value: StringValue): boolean {
    const m = this.m;
    if (m !== null) return m.put(field, value);
    const v = typeof value === "string" ? value : latin1(value);
    const encoded = encodeVarint(v.length) + v;
    if (this.find(field) >= 0) {
      this.p = splice(this.p, at.fieldEnd, at.end, encoded);
      return false;
    }
    this.p = flat(this.p + encodeVarint(field.length) + field + encoded);
    this.n++;
    if (this.p.length > PACKED_MAX_BYTES) this.convertToTable();
    return true;
  }

  /**
   * `set` of the field whose bytes are `field`: in table form a field already there is found
   * from its bytes (no string built for it: HSET of fields mostly present).
   */
  setBytes(field: Uint8Array, value: StringValue): boolean {
    const m = this.m;
    if (m !== null) {
      const i = m.findBytes(field, 0, field.length);
      if (i >= 0) {
        m.setValueAt(i, value);
        return false;
      }
    }
    return this.set(latin1(field), value);
  }

  delete(field: string): boolean {
    if (this.m !== null) return this.m.delete(field);
    const o = this.find(field);
    if (o < 0) return false;
    this.p = splice(this.p, o, at.end, "");
    this.n--;
    return true;
  }

  /**
   * Convert to a table when a packed hash holds more than `limits.maxEntries` fields or when the
   * field or value just set (lengths given) is longer than `limits.maxValueBytes`
   * (hashTypeTryConversion, hashTypeSet). Called after each change a command makes.
   */
  fitAfterSet(limits: HashLimits, fieldBytes: number, valueBytes: number): void {
    if (this.m !== null) return;
    if (
      this.n > limits.maxEntries || fieldBytes > limits.maxValueBytes ||
      valueBytes > limits.maxValueBytes
    ) {
      this.convertToTable();
    }
  }

  /** Convert when any field or value, or the count, is past `limits` (loading a whole hash). */
  fit(limits: HashLimits): void {
    if (this.m !== null) return;
    if (this.n > limits.maxEntries) {
      this.convertToTable();
      return;
    }
    for (const [f, v] of this.entries()) {
      if (f.length > limits.maxValueBytes || v.length > limits.maxValueBytes) {
        this.convertToTable();
        return;
      }
    }
  }

  /** hashTypeConvert: the table form from now on, in the same order. */
  convertToTable(): void {
    if (this.m !== null) return;
    const m = KeyTable.map<StringValue>();
    for (const [f, v] of this.entries()) m.insert(f, v, 0);
    this.m = m;
    this.p = "";
    this.n = 0;
  }

  *entries(): Generator<[string, StringValue]> {
    if (this.m !== null) {
      yield* this.m.entries();
      return;
    }
    const p = this.p; // changes made while iterating are not seen
    for (let o = 0; o < p.length;) {
      readEntry(p, o);
      const { fieldStart, fieldEnd, valueStart, end } = at; // `at` is shared scratch
      o = end;
      yield [copyOf(p, fieldStart, fieldEnd), copyOf(p, valueStart, end)];
    }
  }

  *keys(): Generator<string> {
    if (this.m !== null) {
      yield* this.m.keys();
      return;
    }
    const p = this.p;
    for (let o = 0; o < p.length;) {
      readEntry(p, o);
      const { fieldStart, fieldEnd, end } = at; // `at` is shared scratch
      o = end;
      yield copyOf(p, fieldStart, fieldEnd);
    }
  }

  *values(): Generator<StringValue> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[string, StringValue]> {
    return this.entries();
  }
}
