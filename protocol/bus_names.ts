/**
 * Short byte fields of received bus packets (node names, IPs) as strings, without making a new
 * string for a value seen before: a gossip entry names a node this process already knows nearly
 * every time (Redis looks it up straight from the packet bytes, cluster.c
 * clusterProcessGossipSection -> clusterLookupNode(g->nodename)). A 1,000-node cluster decodes
 * ~26 million gossip entries per simulated second, and a new 40-char string per entry (plus its
 * hash, computed again by every Map lookup) was most of their decode cost.
 *
 *   internedBytes(bytes, off, len) -> the string of those bytes (one char per byte)
 *
 * The table is keyed by an FNV-1a hash of the bytes and compares them bytewise, so a hit creates
 * nothing. It is a cache and bounded: open addressing over `SLOTS` slots, emptied when half full
 * (a flood of made-up names costs a refill, never memory). A returned string is equal in content
 * to `readBinary(bytes, off, len)`; which copy of equal strings comes back is unobservable.
 */

import { NET_IP_STR_BYTES } from "./bus_constants.ts";

/** Slots of the table (a power of two). */
const SLOTS = 1 << 15;
/** Values kept before the table is emptied (half the slots: probes stay short). */
const MAX_VALUES = SLOTS >> 1;
/** Longest field interned: an IP (NET_IP_STR_LEN - 1 = 45 bytes); a node name is 40. */
export const INTERN_MAX_BYTES = NET_IP_STR_BYTES - 1;

/** 32-bit words per stored value. */
const WORDS = (INTERN_MAX_BYTES + 3) >> 2;

const hashes = new Int32Array(SLOTS);
/** The bytes of each value as little-endian words, zero past its length. */
const stored = new Int32Array(SLOTS * WORDS);
let values: (string | undefined)[] = new Array(SLOTS).fill(undefined);
let count = 0;
/** The words of the bytes being looked up. */
const scratch = new Int32Array(WORDS);

/**
 * Fills `scratch` with bytes[off, off + len) as words (zero past `len`) and returns their
 * FNV-1a-style hash, one multiply per word rather than per byte. The length is in the hash:
 * values whose words are equal once zero-padded (trailing NULs) but not their lengths hash apart,
 * since each step is a bijection of h. An int32 throughout (see cluster/slot_bitmap_intern.ts
 * fnv1a on `>>> 0`).
 */
function loadAndHash(bytes: Uint8Array, off: number, len: number): number {
  let h = (0x811c9dc5 ^ len) | 0;
  const full = len >> 2;
  let i = off;
  for (let w = 0; w < full; w++, i += 4) {
    const x = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    scratch[w] = x;
    h = Math.imul(h ^ x, 0x01000193);
  }
  const words = (len + 3) >> 2;
  if (words > full) {
    let x = 0;
    for (let k = 0; i < off + len; k += 8, i++) x |= bytes[i] << k;
    scratch[full] = x;
    h = Math.imul(h ^ x, 0x01000193);
  }
  for (let w = words; w < WORDS; w++) scratch[w] = 0;
  return h;
}

function sameWords(slot: number, words: number): boolean {
  const at = slot * WORDS;
  for (let w = 0; w < words; w++) if (stored[at + w] !== scratch[w]) return false;
  return true;
}

/** One char per byte, as protocol/bus_header.ts readBinary. */
function toBinaryString(bytes: Uint8Array, off: number, len: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(off, off + len) as unknown as number[]);
}

/** The string of bytes[off, off + len) (one char per byte); see the module comment. */
export function internedBytes(bytes: Uint8Array, off: number, len: number): string {
  if (len === 0) return "";
  if (len > INTERN_MAX_BYTES) return toBinaryString(bytes, off, len);
  const h = loadAndHash(bytes, off, len);
  const words = (len + 3) >> 2;
  const mask = SLOTS - 1;
  let slot = h & mask;
  for (let v = values[slot]; v !== undefined; v = values[slot]) {
    if (hashes[slot] === h && sameWords(slot, words)) return v;
    slot = (slot + 1) & mask;
  }
  const s = toBinaryString(bytes, off, len);
  if (count >= MAX_VALUES) {
    values = new Array(SLOTS).fill(undefined);
    count = 0;
    slot = h & mask;
  }
  values[slot] = s;
  hashes[slot] = h;
  stored.set(scratch, slot * WORDS);
  count++;
  return s;
}
