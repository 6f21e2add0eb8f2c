/**
 * Intset (Redis intset.c): the RDB_TYPE_SET_INTSET (11) blob.
 * Layout: <encoding u32le: 2|4|8> <length u32le> <values, ascending, little-endian, signed>.
 */

import { ByteWriter, check } from "./rdb_buffer.ts";

/**
 * Encode integers (as decimal binary strings or numbers/bigints) as an intset, sorted ascending
 * with the smallest width that holds them all. Values must be distinct.
 */
export function intsetEncode(values: Iterable<bigint>): Uint8Array {
  const arr = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of arr) {
    if (v < -2147483648n || v > 2147483647n) {
      width = 8;
      break;
    }
    if (v < -32768n || v > 32767n) width = 4;
  }
  const w = new ByteWriter(8 + arr.length * width);
  w.u32le(width);
  w.u32le(arr.length);
  for (const v of arr) {
    if (width === 2) w.u16le(Number(v) & 0xffff);
    else if (width === 4) w.u32le(Number(v) >>> 0);
    else w.i64le(v);
  }
  return w.view().slice();
}

/** Decode an intset into decimal strings; validates encoding, size, order and uniqueness. */
export function intsetDecode(blob: Uint8Array): string[] {
  check(blob.length >= 8, "intset: too short");
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const width = dv.getUint32(0, true);
  const len = dv.getUint32(4, true);
  check(width === 2 || width === 4 || width === 8, "intset: bad encoding");
  check(blob.length === 8 + len * width, "intset: size mismatch");
  const out: string[] = new Array(len);
  let prev: bigint | number | null = null;
  for (let i = 0; i < len; i++) {
    const o = 8 + i * width;
    const v: number | bigint = width === 2
      ? dv.getInt16(o, true)
      : width === 4
      ? dv.getInt32(o, true)
      : dv.getBigInt64(o, true);
    check(prev === null || prev < v, "intset: not sorted or duplicate");
    prev = v;
    out[i] = String(v);
  }
  return out;
}
