/**
 * Small string values out of V8's heap: each one a record in a few large byte arrays, named by a
 * number (a "handle") that the key space stores where it would store the value.
 *
 * Why: a string value stored as a JS string is a new object on every write (SET, MSET, ...). It
 * outlives V8's young generation, so each one is copied by a scavenge, promoted, and later freed
 * by a full collection. `--trace-gc-nvp` on `redis-benchmark -t set -P 16 -r 100000`: one
 * scavenge per ~34,000 SETs, each ~10 ms, ~300 ns of collector time per SET, where GET pays ~40.
 * A record is bytes in an ArrayBuffer the collector neither scans nor copies, and a handle is a
 * small integer (a V8 Smi), which is stored without an allocation or a write barrier.
 *
 * Layout: eight size classes, 8 to 64 bytes a record (the value's length in its first byte, then
 * its bytes), so a value of up to SLAB_MAX_BYTES bytes takes at most 7 bytes more than its length
 * (a one-byte JS string takes 12-16 bytes more). Each class grows by chunks of CHUNK_RECORDS
 * records and reuses freed records first (a stack of free records per class). Memory is not given
 * back to the OS when values are deleted: freed records are reused by later writes, as jemalloc
 * keeps freed runs of a size class.
 *
 * A handle is `class << CLASS_SHIFT | record`: below 2^30, a Smi on every V8 build. A record is
 * written once and never changed: a new value for a key gets a new record, and the old one is
 * freed by the key space when the key stops holding it (keyspace/db.ts).
 */

import { latin1 } from "../protocol/bytes.ts";
import { storedString } from "./string_value.ts";

/** The longest value held in the slab (the length byte plus the value fill a 64-byte record). */
export const SLAB_MAX_BYTES = 63;

/** Record sizes: (class + 1) x CLASS_STEP bytes. */
const CLASS_STEP = 8;
const CLASSES = 8;
/** Records per chunk: a chunk is 32 KiB (8-byte records) to 256 KiB (64-byte records). */
const CHUNK_SHIFT = 12;
const CHUNK_RECORDS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_RECORDS - 1;
/** A handle's class is in its bits from here up: 2^26 records (4 GiB of 64-byte records) each. */
const CLASS_SHIFT = 26;
const RECORD_MASK = (1 << CLASS_SHIFT) - 1;
/** Free-record stacks start this long and double. */
const FREE_STACK_MIN = 1024;
/**
 * The length byte of a freed record: no value is this long, so reading a freed record or
 * freeing one twice is caught (an assertion of the one-owner rule, at one byte's cost).
 */
const FREED = 0xff;

class SizeClass {
  readonly chunks: Uint8Array[] = [];
  /** Records ever handed out (the next new record's number). */
  next = 0;
  free = new Int32Array(FREE_STACK_MIN);
  freeLength = 0;

  constructor(readonly recordBytes: number) {}
}

/** Small string values as records; one per process, shared by every database (`valueSlab`). */
export class ValueSlab {
  private readonly classes: SizeClass[] = [];
  /** Records in use. */
  liveRecords = 0;

  constructor() {
    for (let c = 0; c < CLASSES; c++) this.classes.push(new SizeClass((c + 1) * CLASS_STEP));
  }

  /** The chunk of the record `record` found last (read at once: the next call moves it). */
  private recordChunk: Uint8Array = new Uint8Array(0);

  /** Where the record of `handle` is: `recordChunk` is set to its chunk; returns its offset. */
  private record(handle: number): number {
    const k = this.classes[handle >>> CLASS_SHIFT];
    const r = handle & RECORD_MASK;
    this.recordChunk = k.chunks[r >>> CHUNK_SHIFT];
    return (r & CHUNK_MASK) * k.recordBytes;
  }

  /** A new record holding `bytes` (at most SLAB_MAX_BYTES of them); its handle. */
  put(bytes: Uint8Array): number {
    const n = bytes.length;
    const handle = this.allocate(n);
    const off = this.record(handle);
    this.recordChunk[off] = n;
    this.recordChunk.set(bytes, off + 1);
    return handle;
  }

  /**
   * A new record holding the bytes of binary string `s` (one char per byte, at most
   * SLAB_MAX_BYTES of them): a value read out of RDB data as a string; its handle.
   */
  putBinaryString(s: string): number {
    const n = s.length;
    const handle = this.allocate(n);
    const off = this.record(handle);
    const chunk = this.recordChunk;
    chunk[off] = n;
    for (let i = 0; i < n; i++) chunk[off + 1 + i] = s.charCodeAt(i);
    return handle;
  }

  /** A new record for a value of `n` bytes (the caller writes its length and bytes); its handle. */
  private allocate(n: number): number {
    if (n > SLAB_MAX_BYTES) throw new RangeError(`value of ${n} bytes for the slab`);
    const c = (n + 1 + CLASS_STEP - 1) / CLASS_STEP - 1 | 0;
    const k = this.classes[c];
    let r: number;
    if (k.freeLength !== 0) r = k.free[--k.freeLength];
    else {
      r = k.next++;
      if (r > RECORD_MASK) throw new RangeError("value slab class full");
      if ((r >>> CHUNK_SHIFT) === k.chunks.length) {
        k.chunks.push(new Uint8Array(CHUNK_RECORDS * k.recordBytes));
      }
    }
    this.liveRecords++;
    return (c << CLASS_SHIFT) | r;
  }

  /** Give back the record of `handle` (its value must not be read again). */
  free(handle: number): void {
    const off = this.record(handle);
    if (this.recordChunk[off] === FREED) {
      throw new Error(`value slab: record ${handle} freed twice`);
    }
    this.recordChunk[off] = FREED;
    const k = this.classes[handle >>> CLASS_SHIFT];
    if (k.freeLength === k.free.length) {
      const grown = new Int32Array(k.free.length * 2);
      grown.set(k.free);
      k.free = grown;
    }
    k.free[k.freeLength++] = handle & RECORD_MASK;
    this.liveRecords--;
  }

  /** The value's length in bytes. */
  length(handle: number): number {
    const off = this.record(handle);
    return this.recordChunk[off];
  }

  /** The chunk, start and end `locate` found (read at once: the next `locate` moves them). */
  located: Uint8Array = new Uint8Array(0);
  locatedStart = 0;
  locatedEnd = 0;

  /**
   * Point `located`, `locatedStart` and `locatedEnd` at the value of `handle`: its bytes without
   * a view object (GET and MGET copy them into the reply at once).
   */
  locate(handle: number): void {
    const off = this.record(handle);
    const chunk = this.recordChunk;
    const n = chunk[off];
    if (n === FREED) throw new Error(`value slab: record ${handle} read after it was freed`);
    this.located = chunk;
    this.locatedStart = off + 1;
    this.locatedEnd = off + 1 + n;
  }

  /** The value's bytes: a view into the slab, to be copied before the record can change. */
  view(handle: number): Uint8Array {
    this.locate(handle);
    return this.located.subarray(this.locatedStart, this.locatedEnd);
  }

  /** The value as the binary string (one char per byte) the key space holds small values as. */
  string(handle: number): string {
    return latin1(this.view(handle));
  }

  /** Bytes the slab holds from the OS (its chunks), used or free. */
  get allocatedBytes(): number {
    let n = 0;
    for (const k of this.classes) n += k.chunks.length * CHUNK_RECORDS * k.recordBytes;
    return n;
  }
}

/** The process's slab. */
export const valueSlab = new ValueSlab();

/**
 * How a command stores a string argument as a key's value: in the slab up to SLAB_MAX_BYTES, else
 * as `storedString` holds it (a binary string, or bytes when large).
 */
export function storedValue(arg: Uint8Array): number | string | Uint8Array {
  return arg.length <= SLAB_MAX_BYTES ? valueSlab.put(arg) : storedString(arg);
}

/** What a key-table entry stands for: a handle's value as a binary string, else the entry. */
export function unslab<V>(s: V | number): V | string {
  return typeof s === "number" ? valueSlab.string(s) : s;
}
