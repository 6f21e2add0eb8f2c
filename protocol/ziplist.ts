/**
 * Ziplist (Redis <= 6.2 ziplist.c), read-only: RDB types LIST_ZIPLIST (10), ZSET_ZIPLIST (12),
 * HASH_ZIPLIST (13) and the nodes of LIST_QUICKLIST (14) hold ziplists; Redis 7.0 still loads
 * them (converting to listpacks), so we must too.
 *
 * Layout: <zlbytes u32le> <zltail u32le> <zllen u16le> <entry>* <0xFF>.
 * Entry: <prevlen: 1 byte, or 0xFE + u32le> <encoding> <data>. Encodings:
 *   00LLLLLL / 01LLLLLL LLLLLLLL (big-endian) / 0x80 + u32be: string lengths;
 *   0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8 (little-endian);
 *   0xF1..0xFD: immediate 0..12.
 */

import { check, copyBytes, intToBytes, RdbFormatError } from "./rdb_buffer.ts";

const HDR = 10;
const enc = new TextEncoder();

const intBytes = intToBytes;

/** Decode every entry (integers as decimal text); validates bounds, prevlen chain and count. */
export function ziplistDecode(zl: Uint8Array): Uint8Array[] {
  check(zl.length >= HDR + 1, "ziplist: too short");
  const bytes = (zl[0] | (zl[1] << 8) | (zl[2] << 16) | (zl[3] << 24)) >>> 0;
  check(bytes === zl.length, "ziplist: zlbytes mismatch");
  const tail = (zl[4] | (zl[5] << 8) | (zl[6] << 16) | (zl[7] << 24)) >>> 0;
  const count = zl[8] | (zl[9] << 8);
  check(zl[bytes - 1] === 0xff, "ziplist: no terminator");
  const end = bytes - 1;
  const dv = new DataView(zl.buffer, zl.byteOffset, zl.byteLength);
  const out: Uint8Array[] = [];
  let p = HDR;
  let prevLen = 0;
  let lastStart = HDR;
  while (p < end) {
    const start = p;
    lastStart = start;
    let plen: number;
    if (zl[p] < 0xfe) {
      plen = zl[p];
      p += 1;
    } else {
      check(zl[p] === 0xfe && p + 5 <= end, "ziplist: bad prevlen");
      plen = dv.getUint32(p + 1, true);
      p += 5;
    }
    check(plen === prevLen, "ziplist: prevlen mismatch");
    check(p < end, "ziplist: entry out of bounds");
    const c = zl[p];
    const kind = c >> 6;
    if (kind === 0) {
      const len = c & 0x3f;
      check(p + 1 + len <= end, "ziplist: string out of bounds");
      out.push(copyBytes(zl, p + 1, p + 1 + len));
      p += 1 + len;
    } else if (kind === 1) {
      check(p + 2 <= end, "ziplist: string out of bounds");
      const len = ((c & 0x3f) << 8) | zl[p + 1];
      check(p + 2 + len <= end, "ziplist: string out of bounds");
      out.push(copyBytes(zl, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (kind === 2) {
      check(c === 0x80 && p + 5 <= end, "ziplist: bad string encoding");
      const len = dv.getUint32(p + 1, false);
      check(p + 5 + len <= end, "ziplist: string out of bounds");
      out.push(copyBytes(zl, p + 5, p + 5 + len));
      p += 5 + len;
    } else {
      let size: number;
      let v: number | bigint;
      switch (c) {
        case 0xc0:
          size = 2;
          check(p + 1 + size <= end, "ziplist: int out of bounds");
          v = dv.getInt16(p + 1, true);
          break;
        case 0xd0:
          size = 4;
          check(p + 1 + size <= end, "ziplist: int out of bounds");
          v = dv.getInt32(p + 1, true);
          break;
        case 0xe0:
          size = 8;
          check(p + 1 + size <= end, "ziplist: int out of bounds");
          v = dv.getBigInt64(p + 1, true);
          break;
        case 0xf0: {
          size = 3;
          check(p + 1 + size <= end, "ziplist: int out of bounds");
          let x = zl[p + 1] | (zl[p + 2] << 8) | (zl[p + 3] << 16);
          if (x >= 0x800000) x -= 0x1000000;
          v = x;
          break;
        }
        case 0xfe:
          size = 1;
          check(p + 1 + size <= end, "ziplist: int out of bounds");
          v = dv.getInt8(p + 1);
          break;
        default:
          if (c >= 0xf1 && c <= 0xfd) {
            size = 0;
            v = (c & 0x0f) - 1;
          } else {
            throw new RdbFormatError(`ziplist: bad encoding 0x${c.toString(16)}`);
          }
      }
      out.push(intBytes(v));
      p += 1 + size;
    }
    prevLen = p - start;
  }
  check(p === end, "ziplist: trailing bytes");
  check(out.length === 0 ? tail === HDR : tail === lastStart, "ziplist: bad tail offset");
  check(count === 0xffff || count === out.length, "ziplist: entry count mismatch");
  return out;
}

/**
 * A ziplist writer following Redis 6.2's ziplistPush encoding rules. We never write ziplists (7.0
 * does not); this builds legacy payloads for tests. `rawEncodings[i]` overrides entry i's body.
 */
export function ziplistEncode(
  items: (string | number | bigint)[],
  rawEncodings?: number[][],
): Uint8Array {
  const entries: number[][] = [];
  items.forEach((it, idx) => {
    let body: number[];
    if (rawEncodings?.[idx]) {
      body = rawEncodings[idx];
    } else if (typeof it === "string") {
      const b = [...enc.encode(it)];
      if (b.length <= 63) body = [b.length, ...b];
      else if (b.length <= 16383) body = [0x40 | (b.length >> 8), b.length & 0xff, ...b];
      else {body = [
          0x80,
          (b.length >>> 24) & 0xff,
          (b.length >>> 16) & 0xff,
          (b.length >>> 8) & 0xff,
          b.length & 0xff,
          ...b,
        ];}
    } else {
      const v = BigInt(it);
      const le = (n: bigint, bytes: number) => {
        const out: number[] = [];
        let u = BigInt.asUintN(bytes * 8, n);
        for (let i = 0; i < bytes; i++) {
          out.push(Number(u & 0xffn));
          u >>= 8n;
        }
        return out;
      };
      if (v >= 0n && v <= 12n) body = [0xf1 + Number(v)];
      else if (v >= -128n && v <= 127n) body = [0xfe, ...le(v, 1)];
      else if (v >= -32768n && v <= 32767n) body = [0xc0, ...le(v, 2)];
      else if (v >= -8388608n && v <= 8388607n) body = [0xf0, ...le(v, 3)];
      else if (v >= -2147483648n && v <= 2147483647n) body = [0xd0, ...le(v, 4)];
      else body = [0xe0, ...le(v, 8)];
    }
    entries.push(body);
  });
  const out: number[] = [];
  let prev = 0;
  let tail = 10;
  for (const body of entries) {
    tail = 10 + out.length;
    const pl = prev < 254
      ? [prev]
      : [0xfe, prev & 0xff, (prev >>> 8) & 0xff, (prev >>> 16) & 0xff, prev >>> 24];
    const e = [...pl, ...body];
    out.push(...e);
    prev = e.length;
  }
  const total = 10 + out.length + 1;
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  return new Uint8Array([
    ...u32(total),
    ...u32(tail),
    entries.length & 0xff,
    entries.length >> 8,
    ...out,
    0xff,
  ]);
}
