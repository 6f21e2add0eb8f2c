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
 * nothing. It is a cache and bounded: open addressing, from INTERN_MIN_SLOTS slots, doubling when
 * half full up to INTERN_MAX_SLOTS, where it is emptied instead (a flood of made-up names costs a
 * refill, never memory). It starts small because most processes are one node of a small cluster:
 * made at its full size, it was ~1.8 MB of typed arrays and a 32,768-entry array in every node
 * (an idle one-node cluster's RSS ~0.6 MiB higher). A returned string is equal in content to
 * `readBinary(bytes, off, len)`; which copy of equal strings comes back is unobservable.
 */

import { NET_IP_STR_BYTES } from "./bus_constants.ts";

/** Slots the table starts with (a power of two): a small cluster never needs more. */
export const INTERN_MIN_SLOTS = 1 << 8;
/** Slots the table grows to at most (a power of two). */
export const INTERN_MAX_SLOTS = 1 << 15;
/** Longest field interned: an IP (NET_IP_STR_LEN - 1 = 45 bytes); a node name is 40. */
export const INTERN_MAX_BYTES = NET_IP_STR_BYTES - 1;

/** 32-bit words per stored value. */
const WORDS = (INTERN_MAX_BYTES + 3) >> 2;

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

/** One char per byte, as protocol/bus_header.ts readBinary. */
function toBinaryString(bytes: Uint8Array, off: number, len: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(off, off + len) as unknown as number[]);
}

/**
 * The table: open addressing, `hashes[slot]` and the value's bytes as words in `stored` beside
 * each value. It doubles when half full, up to `maxSlots`; there it is emptied instead.
 */
export class InternTable {
  #hashes: Int32Array;
  /** The bytes of each value as little-endian words, zero past its length. */
  #stored: Int32Array;
  #values: (string | undefined)[];
  #count = 0;

  constructor(minSlots = INTERN_MIN_SLOTS, readonly maxSlots = INTERN_MAX_SLOTS) {
    if (minSlots & (minSlots - 1) || maxSlots & (maxSlots - 1) || minSlots > maxSlots) {
      throw new RangeError("intern table sizes must be powers of two, min <= max");
    }
    this.#hashes = new Int32Array(minSlots);
    this.#stored = new Int32Array(minSlots * WORDS);
    this.#values = new Array(minSlots).fill(undefined);
  }

  /** Slots the table has now. */
  get slots(): number {
    return this.#values.length;
  }

  /** Values the table holds now. */
  get size(): number {
    return this.#count;
  }

  /** The string of bytes[off, off + len) (one char per byte); see the module comment. */
  get(bytes: Uint8Array, off: number, len: number): string {
    if (len === 0) return "";
    if (len > INTERN_MAX_BYTES) return toBinaryString(bytes, off, len);
    const h = loadAndHash(bytes, off, len);
    const words = (len + 3) >> 2;
    const values = this.#values, hashes = this.#hashes, stored = this.#stored;
    const mask = values.length - 1;
    let slot = h & mask;
    for (let v = values[slot]; v !== undefined; v = values[slot]) {
      if (hashes[slot] === h && sameWords(stored, slot, words)) return v;
      slot = (slot + 1) & mask;
    }
    const s = toBinaryString(bytes, off, len);
    if (2 * (this.#count + 1) > values.length) {
      if (values.length < this.maxSlots) this.#grow();
      else this.#empty();
      slot = this.#freeSlot(h);
    }
    this.#write(slot, s, h, scratch);
    this.#count++;
    return s;
  }

  /** The first empty slot of hash `h`'s probe sequence (the table is never full). */
  #freeSlot(h: number): number {
    const values = this.#values;
    const mask = values.length - 1;
    let slot = h & mask;
    while (values[slot] !== undefined) slot = (slot + 1) & mask;
    return slot;
  }

  /** Put value `s`, its hash and its words (WORDS of them) in `slot`. */
  #write(slot: number, s: string, h: number, words: Int32Array): void {
    this.#values[slot] = s;
    this.#hashes[slot] = h;
    this.#stored.set(words, slot * WORDS);
  }

  /** Twice the slots, every value moved over with its hash and words. */
  #grow(): void {
    const oldValues = this.#values, oldHashes = this.#hashes, oldStored = this.#stored;
    const n = 2 * oldValues.length;
    this.#values = new Array(n).fill(undefined);
    this.#hashes = new Int32Array(n);
    this.#stored = new Int32Array(n * WORDS);
    for (let i = 0; i < oldValues.length; i++) {
      const v = oldValues[i];
      if (v === undefined) continue;
      const h = oldHashes[i];
      this.#write(this.#freeSlot(h), v, h, oldStored.subarray(i * WORDS, (i + 1) * WORDS));
    }
  }

  /** Drop every value (the words of a dropped slot are never compared: its value is gone). */
  #empty(): void {
    this.#values = new Array(this.#values.length).fill(undefined);
    this.#count = 0;
  }
}

function sameWords(stored: Int32Array, slot: number, words: number): boolean {
  const at = slot * WORDS;
  for (let w = 0; w < words; w++) if (stored[at + w] !== scratch[w]) return false;
  return true;
}

/** The process's table, shared by every node of it (the simulator runs thousands). */
const table = new InternTable();

/** The string of bytes[off, off + len) (one char per byte); see the module comment. */
export function internedBytes(bytes: Uint8Array, off: number, len: number): string {
  return table.get(bytes, off, len);
}
