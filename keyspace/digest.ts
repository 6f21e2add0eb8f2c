/**
 * DEBUG DIGEST / DIGEST-VALUE: Redis's per-key value digest (src/debug.c `xorObjectDigest`), so
 * digests computed here equal those of a real Redis 7.0 holding the same value. Unordered
 * aggregates (set, hash, zset) xor per-element digests; lists, strings and streams (each entry's
 * "<ms>.<seq>", fields and values; not the consumer groups) "mix" (SHA1 feedback) so order
 * matters. Includes a small synchronous SHA-1 (command handlers are synchronous).
 *
 * Pure: functions of a value (and whether the key has a TTL).
 */

import { Deque } from "./deque.ts";
import { ZSet } from "./zset.ts";
import { MemberSet } from "./member_set.ts";
import { MAX_ID, Stream, ZERO_ID } from "./stream.ts";
import type { Stored, Value } from "./db.ts";
import { unslab } from "./value_slab.ts";
import type { KeyValues } from "./key_table.ts";
import { formatDouble17g } from "../protocol/bytes.ts";

const W = new Uint32Array(80);
/** Inputs up to this size are padded in one kept buffer; longer ones get their own. */
const PAD_KEEP_BYTES = 4096;
/** The padded message of one call (DEBUG DIGEST is synchronous: one call at a time). */
const padBuf = new Uint8Array(PAD_KEEP_BYTES);
const H = new Uint32Array(5);

/** SHA-1 of `data` into H (h0..h4). */
function sha1Words(data: Uint8Array): void {
  const n = data.length;
  const total = ((n + 9 + 63) >> 6) << 6;
  const p = total <= PAD_KEEP_BYTES ? padBuf : new Uint8Array(total);
  p.set(data);
  p[n] = 0x80;
  p.fill(0, n + 1, total - 8);
  // Length in bits, big-endian 64-bit (high word: lengths here stay far below 2^53).
  const hi = Math.floor(n / 0x20000000);
  const lo = (n << 3) >>> 0;
  p[total - 8] = hi >>> 24;
  p[total - 7] = hi >>> 16;
  p[total - 6] = hi >>> 8;
  p[total - 5] = hi;
  p[total - 4] = lo >>> 24;
  p[total - 3] = lo >>> 16;
  p[total - 2] = lo >>> 8;
  p[total - 1] = lo;
  let h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476, h4 = 0xc3d2e1f0;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0, j = off; i < 16; i++, j += 4) {
      W[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4;
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 40; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + W[i]) |
        0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + W[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  H[0] = h0;
  H[1] = h1;
  H[2] = h2;
  H[3] = h3;
  H[4] = h4;
}

/** out[0..20] (op)= the big-endian bytes of H: `xor` true xors them in, false stores them. */
function emitWords(out: Uint8Array, xor: boolean): void {
  for (let i = 0, j = 0; i < 5; i++, j += 4) {
    const h = H[i];
    if (xor) {
      out[j] ^= h >>> 24;
      out[j + 1] ^= h >>> 16;
      out[j + 2] ^= h >>> 8;
      out[j + 3] ^= h;
    } else {
      out[j] = h >>> 24;
      out[j + 1] = h >>> 16;
      out[j + 2] = h >>> 8;
      out[j + 3] = h;
    }
  }
}

/** SHA-1 of `data` (20 bytes). */
export function sha1(data: Uint8Array): Uint8Array {
  sha1Words(data);
  const out = new Uint8Array(20);
  emitWords(out, false);
  return out;
}

/** digest ^= SHA1(data) (order-independent accumulation). */
export function xorDigest(digest: Uint8Array, data: Uint8Array): void {
  sha1Words(data);
  emitWords(digest, true);
}

/** digest = SHA1(digest ^ SHA1(data)) (order-dependent accumulation). */
export function mixDigest(digest: Uint8Array, data: Uint8Array): void {
  xorDigest(digest, data);
  sha1Words(digest);
  emitWords(digest, false);
}

function binaryBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

const asciiBytes = binaryBytes;

/** Redis object type codes (OBJ_STRING ... OBJ_HASH). */
function typeCode(v: Value): number {
  if (typeof v === "string" || v instanceof Uint8Array) return 0;
  if (v instanceof Deque) return 1;
  if (v instanceof MemberSet) return 2;
  if (v instanceof ZSet) return 3;
  if (v instanceof Stream) return 6;
  return 4; // hash
}

const EXPIRE_MARK = asciiBytes("!!expire!!");

/**
 * The 20-byte digest of one key's value as DEBUG DIGEST-VALUE computes it (xorObjectDigest
 * starting from zeros). `hasExpire` adds Redis's "!!expire!!" marker.
 */
export function valueDigest(v: Value, hasExpire: boolean): Uint8Array {
  return continueDigest(new Uint8Array(20), v, hasExpire);
}

/** Lowercase hex of a digest (40 characters for 20 bytes). */
export function digestHex(d: Uint8Array): string {
  let s = "";
  for (let i = 0; i < d.length; i++) s += d[i].toString(16).padStart(2, "0");
  return s;
}

/** The all-zero digest DEBUG DIGEST-VALUE shows for a missing key. */
export const ZERO_DIGEST_HEX = "0".repeat(40);

/**
 * DEBUG DIGEST: the whole dataset (one database, index 0). Empty -> all zeros. Keys and their
 * values are mixed per key, then xored together (computeDatasetDigest).
 */
export function datasetDigest(
  entries: Iterable<[string, Value]>,
  hasExpire: (key: string) => boolean,
): Uint8Array {
  const final = new Uint8Array(20);
  let any = false;
  for (const [key, v] of entries) {
    if (!any) {
      any = true;
      mixDigest(final, new Uint8Array(4)); // htonl(db id 0)
    }
    const d = new Uint8Array(20);
    mixDigest(d, binaryBytes(key));
    // xorObjectDigest continues mixing into the key's digest.
    xorDigest(final, continueDigest(d, v, hasExpire(key)));
  }
  return final;
}

/**
 * computeDatasetDigest over every database: each non-empty one mixes its index (htonl) into the
 * running digest, then XORs in each of its keys' digests.
 */
export function datasetDigestAll(
  dbs: readonly { id: number; dict: KeyValues<Stored>; expires: Map<string, number> }[],
): Uint8Array {
  const final = new Uint8Array(20);
  const aux = new Uint8Array(4);
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    new DataView(aux.buffer).setUint32(0, db.id);
    mixDigest(final, aux);
    for (const [key, v] of db.dict) {
      const d = new Uint8Array(20);
      mixDigest(d, binaryBytes(key));
      xorDigest(final, continueDigest(d, unslab(v), db.expires.has(key)));
    }
  }
  return final;
}

/** xorObjectDigest: mix the value's type and content into `digest` (in place; returned). */
function continueDigest(digest: Uint8Array, v: Value, hasExpire: boolean): Uint8Array {
  const aux = new Uint8Array(4);
  new DataView(aux.buffer).setUint32(0, typeCode(v));
  mixDigest(digest, aux);
  if (typeof v === "string") mixDigest(digest, binaryBytes(v)); // a string value's bytes
  else if (v instanceof Uint8Array) mixDigest(digest, v);
  else if (v instanceof Deque) {
    for (const el of v) mixDigest(digest, typeof el === "string" ? binaryBytes(el) : el);
  } else if (v instanceof MemberSet) { for (const m of v) xorDigest(digest, binaryBytes(m)); }
  else if (v instanceof Stream) {
    // Entries only (not the groups): "<ms>.<seq>", then each field and value.
    for (const e of v.range(ZERO_ID, MAX_ID, false)) {
      mixDigest(digest, asciiBytes(`${e.id.ms}.${e.id.seq}`));
      for (let i = 0; i < e.fields.length; i++) {
        mixDigest(digest, e.fields[i]);
        mixDigest(digest, e.values[i]);
      }
    }
  } else if (v instanceof ZSet) {
    for (const [m, score] of v) {
      const ele = new Uint8Array(20);
      mixDigest(ele, binaryBytes(m));
      mixDigest(ele, asciiBytes(formatDouble17g(score)));
      xorDigest(digest, ele);
    }
  } else {
    for (const [f, val] of v) {
      const ele = new Uint8Array(20);
      mixDigest(ele, binaryBytes(f));
      mixDigest(ele, typeof val === "string" ? binaryBytes(val) : val);
      xorDigest(digest, ele);
    }
  }
  if (hasExpire) xorDigest(digest, EXPIRE_MARK);
  return digest;
}
