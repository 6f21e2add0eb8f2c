/**
 * Hash slots: CRC16-XMODEM of the key (or of its `{tag}`) mod 16384, as Redis Cluster computes.
 *
 * Not the npm `cluster-key-slot` package: it takes strings or Node Buffers, while our keys arrive
 * as `Uint8Array`s from the parser and must hash byte for byte (binary-safe) on the hot path
 * without a Buffer copy per command. The table and the tag rule are the ones in Redis's crc16.c
 * and cluster.c (keyHashSlot); `slot_test.ts` checks them against Redis's published values.
 */

export const CLUSTER_SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let j = 0; j < 8; j++) {
    crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  TABLE[i] = crc;
}

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  }
  return crc;
}

/** keyHashSlot: hash the part between the first '{' and the next '}' if non-empty. */
export function keyHashSlot(key: Uint8Array): number {
  const n = key.length;
  let s = 0;
  for (; s < n; s++) if (key[s] === 123) break;
  if (s === n) return crc16(key) & 16383;
  let e = s + 1;
  for (; e < n; e++) if (key[e] === 125) break;
  if (e === n || e === s + 1) return crc16(key) & 16383;
  return crc16(key, s + 1, e) & 16383;
}

/** As keyHashSlot, for a binary string (one char per byte), without allocating. */
export function keyHashSlotBinary(key: string): number {
  const n = key.length;
  let s = 0;
  for (; s < n; s++) if (key.charCodeAt(s) === 123) break;
  let start = 0;
  let end = n;
  if (s < n) {
    let e = s + 1;
    for (; e < n; e++) if (key.charCodeAt(e) === 125) break;
    if (e < n && e > s + 1) {
      start = s + 1;
      end = e;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff];
  }
  return crc & 16383;
}
