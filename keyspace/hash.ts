/**
 * A hash value (TYPE "hash"), in one of two forms, as Redis's hash object (t_hash.c):
 * - packed, while Redis would keep it as a listpack: every field and value in one binary string
 *   (one char per byte), in insertion order, each as a LEB128 length then its chars
 *   (packed_string.ts); operations scan it linearly and rebuild it on change, as Redis's listpack
 *   functions do. 100,000 hashes of 10 short fields (`deno task bench --mode memory`, after
 *   MEMORY PURGE) cost ~1,060 bytes a key of RSS as Maps and ~455 packed, against Redis's 338.
 * - table: field -> value in an open-addressing table (keyspace/key_table.ts, as the keyspace:
 *   a `Map` internalized every fresh field string it was asked about). A value of up to
 *   RECORD_MAX_BYTES bytes is a record of the hash's own ValueRecords (keyspace/value_records.ts),
 *   the table holding its number and a new small value for the field overwriting it in place: an
 *   HSET of a field already there allocates nothing. A longer value is held as a string value is
 *   (keyspace/string_value.ts).
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
import { storedString, type StringValue } from "./string_value.ts";
import { KeyTable } from "./key_table.ts";
import { RECORD_MAX_BYTES, ValueRecords } from "./value_records.ts";
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

/** Records handed out below which a hash's records are not shrunk (`shrinkRecords`). */
const SHRINK_MIN_RECORDS = 64;

/** What a table-form hash's field table holds: a value, or the number of its record. */
type Held = StringValue | number;

/**
 * Where `Hash.lookupBytes` found a value held in a record (module scratch, single-threaded: read
 * at once, the next change to the hash may move it).
 */
export const located = { bytes: new Uint8Array(0) as Uint8Array, start: 0, end: 0 };
/** `Hash.lookupBytes`'s answer when the value's bytes are at `located`. */
export const LOCATED = 1;

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
  private m: KeyTable<Held> | null = null;
  /** Table form: the records of the values the table holds as numbers. */
  private r: ValueRecords | null = null;

  /** A hash in table form from the start (too big for the packed form). */
  static table(): Hash {
    const h = new Hash();
    h.m = KeyTable.map();
    h.r = new ValueRecords();
    h.m.records = h.r;
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
    if (this.m !== null) {
      h.m = this.m.clone();
      h.r = this.r!.clone();
      h.m.records = h.r;
    }
    return h;
  }

  /** The table of a table-form hash (null while packed), to read ahead in (keyspace/prefetch.ts). */
  readAheadTable(): KeyTable<unknown> | null {
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

  /** A value the table holds, as handed out (a record's as a string of its own). */
  private out(v: Held): StringValue {
    return typeof v === "number" ? this.r!.string(v) : v;
  }

  get(field: string): StringValue | undefined {
    const m = this.m;
    if (m !== null) {
      const i = m.find(field);
      return i < 0 ? undefined : this.out(m.valueAt(i));
    }
    if (this.find(field) < 0) return undefined;
    return copyOf(this.p, at.valueStart, at.end);
  }

  /**
   * `get` of the field whose bytes are `field`, without a string for the field in table form nor
   * for a value held in a record: then LOCATED, its bytes at `located` (HGET copies them into its
   * reply at once). Undefined when the field is missing.
   */
  lookupBytes(field: Uint8Array): StringValue | typeof LOCATED | undefined {
    const m = this.m;
    if (m === null) return this.get(latin1(field));
    const i = m.findBytes(field, 0, field.length);
    if (i < 0) return undefined;
    const v = m.valueAt(i);
    if (typeof v !== "number") return v;
    const r = this.r!;
    const start = r.start(v);
    located.bytes = r.bytes;
    located.start = start;
    located.end = start + r.length(v);
    return LOCATED;
  }

  /** The length in bytes of `field`'s value, or 0 when missing (HSTRLEN). */
  valueLength(field: string): number {
    const m = this.m;
    if (m !== null) {
      const i = m.find(field);
      if (i < 0) return 0;
      const v = m.valueAt(i);
      return typeof v === "number" ? this.r!.length(v) : v.length;
    }
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
    if (m !== null) {
      const h = m.hash(field);
      const i = m.findHashed(field, h);
      if (i >= 0) {
        this.replaceAt(i, value);
        return false;
      }
      m.insertHashed(field, h, this.hold(value), 0);
      return true;
    }
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

  /** What the table holds for a new field's `value`: a new record when it fits one. */
  private hold(value: StringValue): Held {
    if (value.length > RECORD_MAX_BYTES) return value;
    const r = this.r!;
    return typeof value === "string" ? r.putString(value) : r.put(value, 0, value.length);
  }

  /** Give slot `i`'s field `value`: its record rewritten in place when it has one and it fits. */
  private replaceAt(i: number, value: StringValue): void {
    const m = this.m!;
    const r = this.r!;
    const old = m.valueAt(i);
    if (typeof old === "number") {
      if (value.length <= RECORD_MAX_BYTES) {
        if (typeof value === "string") r.writeString(old, value);
        else r.write(old, value, 0, value.length);
        return;
      }
      r.release(old);
    }
    m.setValueAt(i, this.hold(value));
  }

  /**
   * `set` of the field whose bytes are `field`, for HSET's arguments: in table form a field
   * already there is found from its bytes and a small value is written into its record, so no
   * string is built for either (HSET of fields mostly present). A `value` given as bytes may view
   * the request's input: it is copied (`storedString` when it is not held in a record).
   */
  setBytes(field: Uint8Array, value: StringValue): boolean {
    const m = this.m;
    const n = value.length;
    if (m !== null) {
      const i = m.findBytes(field, 0, field.length);
      if (i >= 0) {
        const old = m.valueAt(i);
        if (typeof old === "number" && n <= RECORD_MAX_BYTES) {
          if (typeof value === "string") this.r!.writeString(old, value);
          else this.r!.write(old, value, 0, n);
        } else this.replaceAt(i, this.own(value));
        return false;
      }
    }
    return this.set(latin1(field), this.own(value));
  }

  /** `value`, copied out of the request when it is bytes held other than in a record. */
  private own(value: StringValue): StringValue {
    return typeof value === "string" || value.length <= RECORD_MAX_BYTES && this.m !== null
      ? value
      : storedString(value);
  }

  delete(field: string): boolean {
    const m = this.m;
    if (m !== null) {
      const i = m.find(field);
      if (i < 0) return false;
      const v = m.valueAt(i);
      m.deleteAt(i);
      if (typeof v === "number") {
        this.r!.release(v);
        this.shrinkRecords();
      }
      return true;
    }
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

  /**
   * The records in an array of their own size once three quarters of those handed out are free
   * (Redis frees a value's sds at HDEL: a hash that grew big and was emptied field by field must
   * not keep its peak). Each live record is copied once; the next shrink needs three quarters of
   * them deleted again, so a deletion costs O(1) amortized.
   */
  private shrinkRecords(): void {
    const r = this.r!;
    if (r.extent < SHRINK_MIN_RECORDS || r.live * 4 > r.extent) return;
    const m = this.m!;
    const fresh = new ValueRecords();
    for (const [f, v] of m.entries()) {
      if (typeof v !== "number") continue;
      const start = r.start(v);
      m.setValueAt(m.find(f), fresh.put(r.bytes, start, start + r.length(v)));
    }
    this.r = fresh;
    m.records = fresh;
  }

  /** hashTypeConvert: the table form from now on, in the same order. */
  convertToTable(): void {
    if (this.m !== null) return;
    const m = KeyTable.map<Held>();
    this.r = new ValueRecords();
    m.records = this.r;
    for (const [f, v] of this.entries()) m.insert(f, this.hold(v), 0);
    this.m = m;
    this.p = "";
    this.n = 0;
  }

  *entries(): Generator<[string, StringValue]> {
    if (this.m !== null) {
      for (const [f, v] of this.m.entries()) yield [f, this.out(v)];
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
