/**
 * A growable, mutable listpack (Redis 7.0 listpack.c) as a stream node holds it: appends at the
 * tail, integer replacements in place (flags, the master entry's counters) and element-wise
 * cursors forwards and backwards. The bytes are exactly what Redis's lpAppend/lpReplaceInteger
 * would leave, so a node's listpack goes into DUMP and RDB as it is (t_stream.c keeps its nodes
 * the same way).
 *
 * Layout: <total-bytes u32le> <num-elements u16le, 65535 = unknown> <element>* <0xFF>; an element
 * is <encoding+data> <backlen> (1-5 bytes of 7 bits, read backwards). Strings that are canonical
 * int64s are stored as integers (lpStringToInt64), as lpAppend does.
 *
 * Cursors are byte offsets of elements (-1: none). Pure data structure, no I/O.
 */

import { writeListpackHeader } from "../protocol/listpack.ts";

const HDR = 6;
const EOF_BYTE = 0xff;
/** Largest listpack Redis lets a stream node reach (STREAM_LISTPACK_MAX_SIZE, 1 GiB). */
export const LISTPACK_MAX_BYTES = 1 << 30;

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** lpEncodeBacklen's size for an element of `l` bytes (encoding + data). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/**
 * lpStringToInt64: the value when `b` is a canonical int64 (no sign but '-', no leading zero, no
 * "-0", at most 20 bytes), else null.
 */
export function lpStringToInt64(b: Uint8Array, start = 0, end = b.length): bigint | null {
  const n = end - start;
  if (n === 0 || n >= 21) return null;
  if (n === 1 && b[start] === 48) return 0n;
  let p = start;
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
    if (p === end) return null;
  }
  if (b[p] < 49 || b[p] > 57) return null;
  // Up to 15 digits fit a double exactly: the common case avoids BigInt parsing per digit.
  if (end - p <= 15) {
    let v = 0;
    for (; p < end; p++) {
      const c = b[p] - 48;
      if (c < 0 || c > 9) return null;
      v = v * 10 + c;
    }
    return BigInt(neg ? -v : v);
  }
  let v = 0n;
  for (; p < end; p++) {
    const c = b[p] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10n + BigInt(c);
  }
  if (neg) v = -v;
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/** The encoding+data size of an integer element (lpEncodeIntegerGetType). */
function intEncodedSize(v: bigint): number {
  if (v >= 0n && v <= 127n) return 1;
  if (v >= -4096n && v <= 4095n) return 2;
  if (v >= -32768n && v <= 32767n) return 3;
  if (v >= -8388608n && v <= 8388607n) return 4;
  if (v >= -2147483648n && v <= 2147483647n) return 5;
  return 9;
}

const enc = new TextEncoder();

export class Listpack {
  /** Capacity buffer; bytes [0, bytes) are the listpack (header kept current). */
  private buf: Uint8Array;
  /** lpBytes. */
  bytes: number;
  /** Elements held (the header says min(count, 65535)). */
  count: number;

  private constructor(buf: Uint8Array, bytes: number, count: number) {
    this.buf = buf;
    this.bytes = bytes;
    this.count = count;
  }

  /** lpNew: an empty listpack. */
  static empty(capacity = 64): Listpack {
    const lp = new Listpack(new Uint8Array(Math.max(capacity, HDR + 1)), HDR + 1, 0);
    lp.buf[HDR] = EOF_BYTE;
    lp.writeHeader();
    return lp;
  }

  /**
   * A listpack from serialized bytes (a private copy). The caller has validated the structure
   * (protocol/listpack.ts listpackDecode); the element count is recounted here.
   */
  static fromBytes(b: Uint8Array): Listpack {
    const lp = new Listpack(b.slice(), b.length, 0);
    let n = 0;
    for (let p = lp.first(); p !== -1; p = lp.next(p)) n++;
    lp.count = n;
    return lp;
  }

  /** The serialized listpack (a copy). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.bytes);
  }

  /** lpShrinkToFit: drop the spare capacity (a node that takes no more entries). */
  shrinkToFit(): void {
    if (this.buf.length > this.bytes) this.buf = this.buf.slice(0, this.bytes);
  }

  /** A copy (streamDup / COPY). */
  clone(): Listpack {
    return new Listpack(this.buf.slice(0, this.bytes), this.bytes, this.count);
  }

  private writeHeader(): void {
    writeListpackHeader(this.buf, this.bytes, this.count);
  }

  private reserve(extra: number): void {
    const need = this.bytes + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.bytes));
    this.buf = next;
  }

  // ------------------------------------------------------------------ cursors

  /** The encoding+data size of the element at `p`. */
  private encodedSize(p: number): number {
    const b = this.buf;
    const c = b[p];
    if (c < 0x80) return 1;
    if ((c & 0xc0) === 0x80) return 1 + (c & 0x3f);
    if ((c & 0xe0) === 0xc0) return 2;
    if ((c & 0xf0) === 0xe0) return 2 + (((c & 0x0f) << 8) | b[p + 1]);
    switch (c) {
      case 0xf0:
        return 5 + ((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24)) >>> 0);
      case 0xf1:
        return 3;
      case 0xf2:
        return 4;
      case 0xf3:
        return 5;
      case 0xf4:
        return 9;
    }
    throw new Error(`listpack: bad encoding byte 0x${c.toString(16)}`);
  }

  /** Whole size of the element at `p` (with its backlen). */
  private elementSize(p: number): number {
    const l = this.encodedSize(p);
    return l + backlenSize(l);
  }

  /** lpFirst. */
  first(): number {
    return this.buf[HDR] === EOF_BYTE ? -1 : HDR;
  }

  /** lpNext. */
  next(p: number): number {
    const q = p + this.elementSize(p);
    return this.buf[q] === EOF_BYTE ? -1 : q;
  }

  /** lpPrev. */
  prev(p: number): number {
    if (p <= HDR) return -1;
    // Decode the backlen that ends right before `p`.
    const b = this.buf;
    let q = p - 1;
    let v = 0;
    let shift = 1;
    for (;;) {
      const c = b[q];
      v += (c & 127) * shift;
      if ((c & 128) === 0) break;
      shift *= 128;
      q--;
    }
    return p - v - backlenSize(v);
  }

  /** lpLast. */
  last(): number {
    return this.count === 0 ? -1 : this.prev(this.bytes - 1);
  }

  /** Is the element at `p` stored as a string (not an integer encoding)? */
  private isString(p: number): boolean {
    const c = this.buf[p];
    return (c & 0xc0) === 0x80 || (c & 0xf0) === 0xe0 || c === 0xf0;
  }

  /** The string element at `p` as a [start, end) byte range. */
  private stringRange(p: number): [number, number] {
    const b = this.buf;
    const c = b[p];
    if ((c & 0xc0) === 0x80) return [p + 1, p + 1 + (c & 0x3f)];
    if ((c & 0xf0) === 0xe0) return [p + 2, p + 2 + (((c & 0x0f) << 8) | b[p + 1])];
    const len = (b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24)) >>> 0;
    return [p + 5, p + 5 + len];
  }

  /** The integer element at `p` (it must be one). */
  private intAt(p: number): bigint {
    const b = this.buf;
    const c = b[p];
    if (c < 0x80) return BigInt(c);
    if ((c & 0xe0) === 0xc0) {
      let v = ((c & 0x1f) << 8) | b[p + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      return BigInt(v);
    }
    switch (c) {
      case 0xf1: {
        let v = b[p + 1] | (b[p + 2] << 8);
        if (v >= 0x8000) v -= 0x10000;
        return BigInt(v);
      }
      case 0xf2: {
        let v = b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16);
        if (v >= 0x800000) v -= 0x1000000;
        return BigInt(v);
      }
      case 0xf3:
        return BigInt(b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24));
      default: {
        const lo = BigInt((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24)) >>> 0);
        const hi = BigInt((b[p + 5] | (b[p + 6] << 8) | (b[p + 7] << 16) | (b[p + 8] << 24)) >>> 0);
        return BigInt.asIntN(64, (hi << 32n) | lo);
      }
    }
  }

  /**
   * lpGetIntegerIfValid: the element at `p` as an int64 (a string element must be a strict
   * integer), or null when it is not one.
   */
  getIntOrNull(p: number): bigint | null {
    if (!this.isString(p)) return this.intAt(p);
    // A string element must be a strict integer (string2ll, as lpGetInteger reads it).
    const [s, e] = this.stringRange(p);
    return lpStringToInt64(this.buf, s, e);
  }

  /** lpGetInteger: the element at `p` as an int64 (throws when it is not one). */
  getInt(p: number): bigint {
    const v = this.getIntOrNull(p);
    if (v === null) throw new Error("listpack: element is not an integer");
    return v;
  }

  /** A small integer element (flags, counters) as a number. */
  getSmall(p: number): number {
    return Number(this.getInt(p));
  }

  /**
   * The element at `p` as bytes: a view into the listpack for a string (valid until the next
   * mutation), the decimal text for an integer.
   */
  getBytes(p: number): Uint8Array {
    if (!this.isString(p)) return enc.encode(String(this.intAt(p)));
    const [s, e] = this.stringRange(p);
    return this.buf.subarray(s, e);
  }

  /** Does the element at `p` hold exactly the bytes `v`? (lpGet + memcmp) */
  equals(p: number, v: Uint8Array): boolean {
    if (!this.isString(p)) {
      const iv = lpStringToInt64(v);
      return iv !== null && iv === this.intAt(p);
    }
    const [s, e] = this.stringRange(p);
    if (e - s !== v.length) return false;
    const b = this.buf;
    for (let i = 0; i < v.length; i++) if (b[s + i] !== v[i]) return false;
    return true;
  }

  // ------------------------------------------------------------------ writes

  /** Write an element's encoding+data (`size` bytes) then its backlen at `o`; returns the end. */
  private writeInt(o: number, v: bigint, size: number): number {
    const b = this.buf;
    const n = Number(v);
    switch (size) {
      case 1:
        b[o] = n;
        break;
      case 2: {
        const u = n < 0 ? (1 << 13) + n : n;
        b[o] = 0xc0 | (u >>> 8);
        b[o + 1] = u & 0xff;
        break;
      }
      case 3:
        b[o] = 0xf1;
        b[o + 1] = n & 0xff;
        b[o + 2] = (n >>> 8) & 0xff;
        break;
      case 4: {
        const u = n < 0 ? (1 << 24) + n : n;
        b[o] = 0xf2;
        b[o + 1] = u & 0xff;
        b[o + 2] = (u >>> 8) & 0xff;
        b[o + 3] = (u >>> 16) & 0xff;
        break;
      }
      case 5:
        b[o] = 0xf3;
        b[o + 1] = n & 0xff;
        b[o + 2] = (n >>> 8) & 0xff;
        b[o + 3] = (n >>> 16) & 0xff;
        b[o + 4] = (n >>> 24) & 0xff;
        break;
      default: {
        const u = BigInt.asUintN(64, v);
        const lo = Number(u & 0xffffffffn);
        const hi = Number(u >> 32n);
        b[o] = 0xf4;
        b[o + 1] = lo & 0xff;
        b[o + 2] = (lo >>> 8) & 0xff;
        b[o + 3] = (lo >>> 16) & 0xff;
        b[o + 4] = (lo >>> 24) & 0xff;
        b[o + 5] = hi & 0xff;
        b[o + 6] = (hi >>> 8) & 0xff;
        b[o + 7] = (hi >>> 16) & 0xff;
        b[o + 8] = (hi >>> 24) & 0xff;
      }
    }
    b[o + size] = size; // backlen of sizes <= 127 is the size itself
    return o + size + 1;
  }

  /** lpAppend of an integer (lpAppendInteger). */
  appendInt(v: bigint | number): void {
    const big = typeof v === "bigint" ? v : BigInt(v);
    const size = intEncodedSize(big);
    this.reserve(size + 1);
    const at = this.bytes - 1;
    const end = this.writeInt(at, big, size);
    this.buf[end] = EOF_BYTE;
    this.bytes = end + 1;
    this.count++;
    this.writeHeader();
  }

  /** lpAppend: a string element, stored as an integer when it is a canonical int64. */
  append(v: Uint8Array): void {
    const iv = lpStringToInt64(v);
    if (iv !== null) {
      this.appendInt(iv);
      return;
    }
    const len = v.length;
    const hdr = len < 64 ? 1 : len < 4096 ? 2 : 5;
    const l = hdr + len;
    const bl = backlenSize(l);
    this.reserve(l + bl);
    const b = this.buf;
    let o = this.bytes - 1;
    if (hdr === 1) b[o++] = 0x80 | len;
    else if (hdr === 2) {
      b[o++] = 0xe0 | (len >>> 8);
      b[o++] = len & 0xff;
    } else {
      b[o++] = 0xf0;
      b[o++] = len & 0xff;
      b[o++] = (len >>> 8) & 0xff;
      b[o++] = (len >>> 16) & 0xff;
      b[o++] = (len >>> 24) & 0xff;
    }
    b.set(v, o);
    o += len;
    // lpEncodeBacklen: most significant 7 bits first, continuation bits on all but the first.
    if (bl === 1) b[o++] = l;
    else {
      for (let i = bl - 1; i >= 0; i--) {
        const chunk = Math.floor(l / 2 ** (7 * i)) & 127;
        b[o++] = i === bl - 1 ? chunk : chunk | 128;
      }
    }
    b[o] = EOF_BYTE;
    this.bytes = o + 1;
    this.count++;
    this.writeHeader();
  }

  /**
   * lpReplaceInteger: the element at `p` becomes the integer `v` (later elements move when the
   * encoding's size changes). Returns how many bytes later elements moved by.
   */
  replaceInt(p: number, v: bigint | number): number {
    const big = typeof v === "bigint" ? v : BigInt(v);
    const oldSize = this.elementSize(p);
    const size = intEncodedSize(big);
    const newSize = size + 1;
    const delta = newSize - oldSize;
    if (delta !== 0) {
      if (delta > 0) this.reserve(delta);
      this.buf.copyWithin(p + newSize, p + oldSize, this.bytes);
      this.bytes += delta;
    }
    this.writeInt(p, big, size);
    this.writeHeader();
    return delta;
  }
}
