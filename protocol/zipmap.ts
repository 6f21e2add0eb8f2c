/**
 * Zipmap (Redis <= 2.6 hashes, RDB_TYPE_HASH_ZIPMAP = 9), read-only; Redis 7.0 still loads it.
 * Layout: <zmlen u8> (<len> key <len> <free u8> value <free bytes>)* 0xFF, where <len> is one
 * byte < 254, or 254 followed by a u32le.
 */

import { check } from "./rdb_buffer.ts";

/** Decode a zipmap into [field, value] byte pairs. */
export function zipmapDecode(zm: Uint8Array): [Uint8Array, Uint8Array][] {
  check(zm.length >= 2, "zipmap: too short");
  const dv = new DataView(zm.buffer, zm.byteOffset, zm.byteLength);
  let p = 1;
  const readLen = (): number => {
    check(p < zm.length, "zipmap: out of bounds");
    const b = zm[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    check(b === 254 && p + 5 <= zm.length, "zipmap: bad length");
    const v = dv.getUint32(p + 1, true);
    p += 5;
    return v;
  };
  const out: [Uint8Array, Uint8Array][] = [];
  for (;;) {
    check(p < zm.length, "zipmap: no terminator");
    if (zm[p] === 0xff) {
      p++;
      break;
    }
    const klen = readLen();
    check(p + klen <= zm.length, "zipmap: key out of bounds");
    const key = zm.slice(p, p + klen);
    p += klen;
    const vlen = readLen();
    check(p < zm.length, "zipmap: out of bounds");
    const free = zm[p++];
    check(p + vlen + free <= zm.length, "zipmap: value out of bounds");
    const val = zm.slice(p, p + vlen);
    p += vlen + free;
    out.push([key, val]);
  }
  check(p === zm.length, "zipmap: trailing bytes");
  return out;
}
