/**
 * A table-form hash's small values as fixed-size records in one byte array the hash owns
 * (keyspace/hash.ts), named by their record number, which the hash's field table stores where it
 * would store the value.
 *
 * Why: a value stored as a JS string is a new object on every HSET. It outlives V8's young
 * generation (the field table that points at it is old), so each write also records an
 * old-to-new pointer, each scavenge copies and promotes the value, and a full collection later
 * frees the one it replaced. `--trace-gc-nvp` on `redis-benchmark -P 16 -r 100000 -t hset` (one
 * hash of 100,000 fields): 38 scavenges per 1,000,000 HSETs taking 388 ms, against 47 ms for
 * INCR's 49. A record is written in place when its field gets a new small value, so an HSET of a
 * field already there allocates nothing and stores nothing in the table: the same run then
 * promoted 0.2 bytes a request instead of 17-19, and its scavenges took 20-150 ms. Redis keeps a
 * field's value in an sds of its own (t_hash.c hashTypeSet: the old one is freed, the new one
 * stored).
 *
 * Unlike the key space's value slab (keyspace/value_slab.ts), the records belong to one hash:
 * they go with it (no hash needs freeing record by record when it is deleted, flushed, replaced
 * or moved), and a copy of the hash copies them (`clone`).
 *
 * Layout: RECORD_BYTES bytes a record, its value's length in the first byte then its bytes, so a
 * value of up to RECORD_MAX_BYTES bytes fits (a one-byte JS string of 1-15 chars takes 16-32
 * bytes, plus its pointer in the table). The array doubles when full; freed records are reused
 * first (a stack of free record numbers).
 */

import { latin1 } from "../protocol/bytes.ts";

/** The longest value a record holds (the length byte and the value fill RECORD_BYTES). */
export const RECORD_MAX_BYTES = 15;
const RECORD_BYTES = 16;
/** Records of a new store. */
const MIN_RECORDS = 16;
/**
 * The length byte of a freed record: no value is this long, so reading a freed record or
 * freeing one twice is caught (as value_slab.ts FREED).
 */
const FREED = 0xff;

export class ValueRecords {
  /** Record r's length byte at RECORD_BYTES * r, then its bytes. */
  bytes: Uint8Array;
  /** Records ever handed out (the next new record's number). */
  private next = 0;
  private free: Int32Array;
  private freeLength = 0;
  /** Records in use. */
  live = 0;
  /** Bytes a record takes (record r starts at `bytes[r * stride]`: KeyTable `records`). */
  readonly stride = RECORD_BYTES;

  constructor(records = MIN_RECORDS) {
    this.bytes = new Uint8Array(records * RECORD_BYTES);
    this.free = new Int32Array(0);
  }

  /** Records handed out so far, freed or not: the extent of `bytes` in use. */
  get extent(): number {
    return this.next;
  }

  /** Bytes held (the record array and the free stack), for tests and accounting. */
  get allocatedBytes(): number {
    return this.bytes.byteLength + this.free.byteLength;
  }

  /** A new record (the caller writes it). */
  private allocate(): number {
    this.live++;
    if (this.freeLength !== 0) return this.free[--this.freeLength];
    const r = this.next++;
    if ((r + 1) * RECORD_BYTES > this.bytes.length) {
      const grown = new Uint8Array(Math.max(MIN_RECORDS * RECORD_BYTES, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    return r;
  }

  /** A new record holding `src[start, end)` (at most RECORD_MAX_BYTES bytes); its number. */
  put(src: Uint8Array, start: number, end: number): number {
    const r = this.allocate();
    this.write(r, src, start, end);
    return r;
  }

  /** A new record holding binary string `s` (one char per byte, at most RECORD_MAX_BYTES). */
  putString(s: string): number {
    const r = this.allocate();
    this.writeString(r, s);
    return r;
  }

  /** Replace record `r`'s value with `src[start, end)` (at most RECORD_MAX_BYTES bytes). */
  write(r: number, src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > RECORD_MAX_BYTES) throw new RangeError(`value of ${n} bytes for a record`);
    const b = this.bytes;
    let o = r * RECORD_BYTES;
    b[o++] = n;
    for (let i = start; i < end; i++) b[o++] = src[i];
  }

  /** Replace record `r`'s value with binary string `s` (at most RECORD_MAX_BYTES chars). */
  writeString(r: number, s: string): void {
    const n = s.length;
    if (n > RECORD_MAX_BYTES) throw new RangeError(`value of ${n} bytes for a record`);
    const b = this.bytes;
    const o = r * RECORD_BYTES;
    b[o] = n;
    for (let i = 0; i < n; i++) b[o + 1 + i] = s.charCodeAt(i);
  }

  /** Give back record `r` (its value must not be read again). */
  release(r: number): void {
    const o = r * RECORD_BYTES;
    if (this.bytes[o] === FREED) throw new Error(`value records: record ${r} freed twice`);
    this.bytes[o] = FREED;
    if (this.freeLength === this.free.length) {
      const grown = new Int32Array(Math.max(MIN_RECORDS, this.free.length * 2));
      grown.set(this.free);
      this.free = grown;
    }
    this.free[this.freeLength++] = r;
    this.live--;
  }

  /** Where record `r`'s value starts in `bytes` (its length is at start - 1). */
  start(r: number): number {
    const o = r * RECORD_BYTES;
    if (this.bytes[o] === FREED) throw new Error(`value records: record ${r} read after free`);
    return o + 1;
  }

  /** The length in bytes of record `r`'s value. */
  length(r: number): number {
    return this.bytes[r * RECORD_BYTES];
  }

  /** Record `r`'s value as a binary string of its own. */
  string(r: number): string {
    const s = this.start(r);
    return latin1(this.bytes.subarray(s, s + this.bytes[s - 1]));
  }

  /** A copy holding the same records under the same numbers (a copied hash: COPY). */
  clone(): ValueRecords {
    const c = new ValueRecords(0);
    c.bytes = this.bytes.slice();
    c.free = this.free.slice();
    c.next = this.next;
    c.freeLength = this.freeLength;
    c.live = this.live;
    return c;
  }
}
