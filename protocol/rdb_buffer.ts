/**
 * Byte buffers for the RDB codecs: a growable little/big-endian writer and a bounds-checked
 * reader that throws `RdbFormatError` instead of reading past the end.
 */

import { latin1 } from "./bytes.ts";

/** Any malformed RDB / DUMP / listpack / ziplist / intset input. */
export class RdbFormatError extends Error {}

/** Throw an RdbFormatError unless `cond`. */
export function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new RdbFormatError(what);
}

/**
 * Small byte strings read out of RDB data are copied into shared 64 KB slabs (as Node's Buffer
 * pool does): V8 allocates one ArrayBuffer per `slice()`, which costs about a microsecond and GC
 * work each, and loading millions of list elements or hash values would spend seconds on it.
 * A slab lives while any value in it does; larger strings get their own buffer.
 */
const POOL_BYTES = 64 * 1024;
const POOL_MAX_COPY = 1024;
// The first slab is made by the first copy (a node that loads no RDB data holds none).
let pool = new Uint8Array(0);
let poolOffset = POOL_BYTES;

/** A private copy of `src[start, end)` (pooled when small). Never mutate it in place beyond its length. */
export function copyBytes(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n > POOL_MAX_COPY) return src.slice(start, end);
  if (poolOffset + n > POOL_BYTES) {
    pool = new Uint8Array(POOL_BYTES);
    poolOffset = 0;
  }
  const o = poolOffset;
  const p = pool;
  if (n <= 32) {
    for (let i = 0; i < n; i++) p[o + i] = src[start + i];
  } else {
    p.set(src.subarray(start, end), o);
  }
  poolOffset = o + n;
  return p.subarray(o, o + n);
}

/** The decimal text of an integer as (pooled) bytes. */
export function intToBytes(v: number | bigint): Uint8Array {
  if (typeof v === "bigint" || !Number.isSafeInteger(v)) return asciiBytes(String(v));
  if (v >= 0 && v < 10) {
    const out = copyBytes(DIGITS, v, v + 1);
    return out;
  }
  let x = v < 0 ? -v : v;
  let n = v < 0 ? 1 : 0;
  for (let t = x; t > 0; t = Math.floor(t / 10)) n++;
  if (poolOffset + n > POOL_BYTES) {
    pool = new Uint8Array(POOL_BYTES);
    poolOffset = 0;
  }
  const o = poolOffset;
  const p = pool;
  let i = o + n - 1;
  while (x > 0) {
    p[i--] = 48 + (x % 10);
    x = Math.floor(x / 10);
  }
  if (v < 0) p[o] = 45;
  poolOffset = o + n;
  return p.subarray(o, o + n);
}

const DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57]);

function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return copyBytes(b, 0, b.length);
}

/** `buf[start, end)` as a flat binary string (one char per byte; protocol/bytes.ts `latin1`). */
export function latin1Range(buf: Uint8Array, start: number, end: number): string {
  return latin1(buf.subarray(start, end));
}

/** Largest buffer the writer will grow to (a bound, well above any single value we hold). */
const MAX_WRITER_BYTES = 2 ** 32;

export class ByteWriter {
  buf: Uint8Array;
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Make room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    if (need > MAX_WRITER_BYTES) throw new RangeError("RDB writer: buffer limit exceeded");
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(Math.min(cap, MAX_WRITER_BYTES));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }

  u16le(v: number): void {
    this.reserve(2);
    const b = this.buf;
    b[this.length++] = v & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    this.reserve(4);
    const b = this.buf;
    b[this.length++] = v & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 24) & 0xff;
  }

  u32be(v: number): void {
    this.reserve(4);
    const b = this.buf;
    b[this.length++] = (v >>> 24) & 0xff;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = v & 0xff;
  }

  /** A signed or unsigned 64-bit integer, little-endian. */
  i64le(v: bigint): void {
    this.reserve(8);
    const u = BigInt.asUintN(64, v);
    this.u32le(Number(u & 0xffffffffn));
    this.u32le(Number(u >> 32n));
  }

  /** An integer up to 2^53, as unsigned 64-bit big-endian. */
  u64be(v: number): void {
    const hi = Math.floor(v / 0x100000000);
    this.u32be(hi);
    this.u32be(v >>> 0);
  }

  f64le(v: number): void {
    this.reserve(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Bytes of a binary string (one char per byte). */
  binary(s: string): void {
    const n = s.length;
    this.reserve(n);
    const b = this.buf;
    let o = this.length;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.length = o;
  }

  /** The written bytes (a view; copy before reusing the writer). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export class ByteReader {
  pos: number;
  private dv: DataView | null = null;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new RdbFormatError("unexpected end of data");
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16le(): number {
    this.need(2);
    const b = this.buf;
    const v = b[this.pos] | (b[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  u32be(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  i64le(): bigint {
    const lo = BigInt(this.u32le());
    const hi = BigInt(this.u32le());
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }

  /** Unsigned 64-bit big-endian; throws when above 2^53 (no length that large is real). */
  u64be(): number {
    const hi = this.u32be();
    const lo = this.u32be();
    check(hi < 0x200000, "64-bit length too large");
    return hi * 0x100000000 + lo;
  }

  f64le(): number {
    this.need(8);
    if (this.dv === null) {
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view into the buffer. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
