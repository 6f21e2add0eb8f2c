/**
 * Listpack (Redis 7.0 listpack.c): the compact encoding of small hashes, sorted sets and list
 * quicklist nodes inside RDB files and DUMP payloads.
 *
 * Layout: <total-bytes u32le> <num-elements u16le (65535 = unknown)> <entry>* <0xFF>.
 * Entry: <encoding+data> <backlen>, where backlen is the size of encoding+data in 1-5 bytes of
 * 7 bits each (read backwards). Encodings:
 *   0xxxxxxx 7-bit uint | 10LLLLLL 6-bit-length string | 110xxxxx xxxxxxxx 13-bit int |
 *   1110LLLL LLLLLLLL 12-bit-length string | 0xF0 <u32le len> string |
 *   0xF1 int16 | 0xF2 int24 | 0xF3 int32 | 0xF4 int64 (all little-endian).
 * Strings that are canonical 64-bit integers are stored as integers, as lpAppend does.
 */

import { ByteWriter, check, copyBytes, intToBytes, RdbFormatError } from "./rdb_buffer.ts";
import { parseInt64, parseInt64Big } from "./bytes.ts";

const HDR_SIZE = 6;
const NUMELE_UNKNOWN = 65535;
const EOF_BYTE = 0xff;

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(w: ByteWriter, l: number): void {
  if (l <= 127) {
    w.u8(l);
  } else if (l < 16383) {
    w.u8(l >>> 7);
    w.u8((l & 127) | 128);
  } else if (l < 2097151) {
    w.u8(l >>> 14);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  } else if (l < 268435455) {
    w.u8(l >>> 21);
    w.u8(((l >>> 14) & 127) | 128);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  } else {
    w.u8(Math.floor(l / 2 ** 28));
    w.u8(((l >>> 21) & 127) | 128);
    w.u8(((l >>> 14) & 127) | 128);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  }
}

/** Decode the backlen that ends at `end` (exclusive); returns [value, size]. */
function readBacklenBackwards(buf: Uint8Array, end: number, start: number): [number, number] {
  let v = 0;
  let shift = 1;
  let size = 0;
  let p = end - 1;
  for (;;) {
    check(p >= start && size < 5, "listpack: bad backlen");
    const b = buf[p];
    v += (b & 127) * shift;
    size++;
    if ((b & 128) === 0) break;
    shift *= 128;
    p--;
  }
  return [v, size];
}

/** Is this byte string a canonical int64 (lpStringToInt64)? Returns it, or null. */
function asInt(b: Uint8Array): number | bigint | null {
  const n = b.length;
  if (n === 0 || n > 20) return null;
  const c = b[0];
  if (c !== 45 && (c < 48 || c > 57)) return null;
  if (n <= 15) return parseInt64(b);
  const v = parseInt64Big(b);
  if (v === null) return null;
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Builds one listpack by appending entries (lpAppend). */
export class ListpackBuilder {
  private readonly w = new ByteWriter(64);
  count = 0;

  constructor() {
    this.w.length = HDR_SIZE;
  }

  /** Current size in bytes including the terminator that `finish` adds. */
  get bytes(): number {
    return this.w.length + 1;
  }

  /** Append a string entry (stored as an integer when it is one). */
  add(b: Uint8Array): void {
    const iv = asInt(b);
    if (iv !== null) this.addInt(iv);
    else this.addString(b);
  }

  /** Append a binary string (one char per byte). */
  addBinary(s: string): void {
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    this.add(b);
  }

  addString(b: Uint8Array): void {
    const w = this.w;
    const len = b.length;
    let hdr: number;
    if (len < 64) {
      w.u8(0x80 | len);
      hdr = 1;
    } else if (len < 4096) {
      w.u8(0xe0 | (len >>> 8));
      w.u8(len & 0xff);
      hdr = 2;
    } else {
      w.u8(0xf0);
      w.u32le(len);
      hdr = 5;
    }
    w.bytes(b);
    writeBacklen(w, hdr + len);
    this.count++;
  }

  addInt(v: number | bigint): void {
    const w = this.w;
    let size: number;
    if (typeof v === "bigint") {
      w.u8(0xf4);
      w.i64le(v);
      size = 9;
    } else if (v >= 0 && v <= 127) {
      w.u8(v);
      size = 1;
    } else if (v >= -4096 && v <= 4095) {
      const uv = v < 0 ? (1 << 13) + v : v;
      w.u8(0xc0 | (uv >>> 8));
      w.u8(uv & 0xff);
      size = 2;
    } else if (v >= -32768 && v <= 32767) {
      w.u8(0xf1);
      w.u16le(v & 0xffff);
      size = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      const uv = v < 0 ? (1 << 24) + v : v;
      w.u8(0xf2);
      w.u8(uv & 0xff);
      w.u8((uv >>> 8) & 0xff);
      w.u8((uv >>> 16) & 0xff);
      size = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      w.u8(0xf3);
      w.u32le(v >>> 0);
      size = 5;
    } else {
      w.u8(0xf4);
      w.i64le(BigInt(v));
      size = 9;
    }
    w.u8(size); // backlen of sizes <= 127 is one byte
    this.count++;
  }

  /** The finished listpack bytes (a fresh copy). */
  finish(): Uint8Array {
    const w = this.w;
    w.u8(EOF_BYTE);
    const out = w.view().slice();
    writeListpackHeader(out, out.length, this.count);
    w.length--; // the builder may go on (finish is idempotent)
    return out;
  }
}

/**
 * The 6-byte listpack header: total bytes (u32 little-endian) and the element count (u16, 65535
 * when it does not fit: lpSetNumElements).
 */
export function writeListpackHeader(buf: Uint8Array, totalBytes: number, count: number): void {
  buf[0] = totalBytes & 0xff;
  buf[1] = (totalBytes >>> 8) & 0xff;
  buf[2] = (totalBytes >>> 16) & 0xff;
  buf[3] = (totalBytes >>> 24) & 0xff;
  const n = count < NUMELE_UNKNOWN ? count : NUMELE_UNKNOWN;
  buf[4] = n & 0xff;
  buf[5] = (n >>> 8) & 0xff;
}

/** Encode a sequence of entries as one listpack. */
export function listpackEncode(entries: Iterable<Uint8Array>): Uint8Array {
  const b = new ListpackBuilder();
  for (const e of entries) b.add(e);
  return b.finish();
}

const enc = new TextEncoder();
const intBytes = intToBytes;

/**
 * Decode every entry of a listpack (integers become their decimal text; entries are private
 * copies). Validates the header,
 * every entry's bounds and backlen, the element count and the terminator; throws RdbFormatError.
 */
export function listpackDecode(lp: Uint8Array): Uint8Array[] {
  check(lp.length >= HDR_SIZE + 1, "listpack: too short");
  const total = (lp[0] | (lp[1] << 8) | (lp[2] << 16) | (lp[3] << 24)) >>> 0;
  check(total === lp.length, "listpack: total bytes mismatch");
  const numele = lp[4] | (lp[5] << 8);
  check(lp[total - 1] === EOF_BYTE, "listpack: no terminator");
  const out: Uint8Array[] = [];
  const end = total - 1;
  let p = HDR_SIZE;
  while (p < end) {
    const start = p;
    const c = lp[p];
    let entryLen: number; // encoding + data
    if (c < 0x80) {
      out.push(intBytes(c));
      entryLen = 1;
    } else if ((c & 0xc0) === 0x80) {
      const len = c & 0x3f;
      entryLen = 1 + len;
      check(p + entryLen <= end, "listpack: string out of bounds");
      out.push(copyBytes(lp, p + 1, p + 1 + len));
    } else if ((c & 0xe0) === 0xc0) {
      check(p + 2 <= end, "listpack: int out of bounds");
      let uv = ((c & 0x1f) << 8) | lp[p + 1];
      if (uv >= 1 << 12) uv -= 1 << 13;
      out.push(intBytes(uv));
      entryLen = 2;
    } else if ((c & 0xf0) === 0xe0) {
      check(p + 2 <= end, "listpack: string out of bounds");
      const len = ((c & 0x0f) << 8) | lp[p + 1];
      entryLen = 2 + len;
      check(p + entryLen <= end, "listpack: string out of bounds");
      out.push(copyBytes(lp, p + 2, p + 2 + len));
    } else {
      switch (c) {
        case 0xf0: {
          check(p + 5 <= end, "listpack: string out of bounds");
          const len = (lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24)) >>> 0;
          entryLen = 5 + len;
          check(p + entryLen <= end, "listpack: string out of bounds");
          out.push(copyBytes(lp, p + 5, p + 5 + len));
          break;
        }
        case 0xf1: {
          check(p + 3 <= end, "listpack: int out of bounds");
          let v = lp[p + 1] | (lp[p + 2] << 8);
          if (v >= 0x8000) v -= 0x10000;
          out.push(intBytes(v));
          entryLen = 3;
          break;
        }
        case 0xf2: {
          check(p + 4 <= end, "listpack: int out of bounds");
          let v = lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16);
          if (v >= 0x800000) v -= 0x1000000;
          out.push(intBytes(v));
          entryLen = 4;
          break;
        }
        case 0xf3: {
          check(p + 5 <= end, "listpack: int out of bounds");
          const v = lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24);
          out.push(intBytes(v));
          entryLen = 5;
          break;
        }
        case 0xf4: {
          check(p + 9 <= end, "listpack: int out of bounds");
          const lo = BigInt(
            (lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16) | (lp[p + 4] << 24)) >>> 0,
          );
          const hi = BigInt(
            (lp[p + 5] | (lp[p + 6] << 8) | (lp[p + 7] << 16) | (lp[p + 8] << 24)) >>> 0,
          );
          out.push(intBytes(BigInt.asIntN(64, (hi << 32n) | lo)));
          entryLen = 9;
          break;
        }
        default:
          throw new RdbFormatError(`listpack: bad encoding byte 0x${c.toString(16)}`);
      }
    }
    const bl = backlenSize(entryLen);
    p = start + entryLen + bl;
    check(p <= end, "listpack: entry out of bounds");
    const [back, size] = readBacklenBackwards(lp, p, start + entryLen);
    check(back === entryLen && size === bl, "listpack: backlen mismatch");
  }
  check(p === end, "listpack: trailing bytes");
  check(numele === NUMELE_UNKNOWN || numele === out.length, "listpack: element count mismatch");
  return out;
}

/** Entries for a listpack from JS-side values, for tests. */
export function listpackFromStrings(items: string[]): Uint8Array {
  return listpackEncode(items.map((s) => enc.encode(s)));
}
