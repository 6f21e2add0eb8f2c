/**
 * The keyspace's key table: key (binary string) -> value and the key's 24-bit LRU clock or LFU
 * field (keyspace/lru.ts; Redis keeps it in the robj), in one open-addressing hash table (linear
 * probing, tombstones) instead of two `Map`s.
 *
 * Why not `Map`: a request's key is a fresh string (protocol/bytes.ts `latin1`), and V8
 * internalizes a string used as a `Map` key: every command paid a probe of the isolate's string
 * table, whose cache misses were 15-20% of a pipelined SET's or GET's CPU (perf, redis-benchmark
 * -P 16 -r 100000), then a lookup in `dict` and another in the LRU field map: another 14%.
 * Here one hash of the key's chars leads to one slot, whose hash and field sit side by side in
 * an Int32Array and whose key and value sit side by side in one array. Measured in-process on
 * SET's access pattern (get, read the field, write the value) over 100,000 keys: ~2.0 us with
 * the two Maps against ~0.9 us; over 1,000,000 keys ~4.4 us against ~1.4 us.
 *
 * The part of the Map API the rest of the code uses is kept (get, has, set, delete, clear,
 * size, keys, values, entries, iteration), plus slot-level access for the hot paths. Iteration
 * is in slot order (Redis's dict order is its own hash order, too). An iterator stays valid
 * while the table changes: a key deleted meanwhile is not yielded, and after a rehash the
 * iterator goes on over the slots it started with, yielding the keys still present with their
 * current values, each once (a key added meanwhile may or may not be yielded).
 */

/** Most slots used (keys and tombstones) before a rehash, as a fraction of the capacity. */
const MAX_LOAD = 0.7;
/** A rehash sizes the table so that keys fill at most this fraction of it. */
const REHASH_LOAD = 0.5;
const MIN_CAPACITY = 16;
/**
 * A flag bit kept beside a key's field (fields are 24-bit: LRU_CLOCK_MAX, LFU's 16 + 8 bits):
 * `markAt`/`unmarkAt`.
 */
const MARK = 0x40000000;

/**
 * The seed of every table's hash unless given: random per process, as Redis seeds its dict's
 * SipHash (dict.c dictSetHashFunctionSeed), so a client cannot pick keys that collide.
 */
const PROCESS_SEED = crypto.getRandomValues(new Uint32Array(1))[0];

/**
 * The hash of a key's chars under `seed` (32-bit FNV-1a from a seeded basis, then murmur3's
 * finalizer to spread the bits).
 */
export function hashKey(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed ^ key.length) | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

function capacityFor(keys: number): number {
  let cap = MIN_CAPACITY;
  while (cap * REHASH_LOAD < keys) cap *= 2;
  return cap;
}

/** The read side of a key table that RDB writing and DEBUG DIGEST use (a Map has it too). */
export interface KeyValues<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): Iterable<string>;
  [Symbol.iterator](): Iterator<[string, V]>;
}

export class KeyTable<V> implements KeyValues<V> {
  /** Slot i's key at 2i (undefined: empty, null: deleted) and its value at 2i + 1. */
  private kv: (string | V | null | undefined)[];
  /** Slot i's key hash at 2i and its LRU/LFU field at 2i + 1. */
  private meta: Int32Array;
  private mask: number;
  private count = 0;
  private tombstones = 0;

  /** `seed`: of the key hash (tests pin it; see PROCESS_SEED). */
  constructor(private readonly seed: number = PROCESS_SEED) {
    this.kv = new Array(2 * MIN_CAPACITY).fill(undefined);
    this.meta = new Int32Array(2 * MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (MEMORY-style accounting and tests). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The slot holding `key`, or -1. */
  find(key: string): number {
    const h = hashKey(key, this.seed);
    const kv = this.kv;
    const meta = this.meta;
    const mask = this.mask;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const k = kv[2 * i];
      if (k === undefined) return -1;
      if (meta[2 * i] === h && k === key) return i;
    }
  }

  /** The value in slot `i` (from `find`, with no change to the table since). */
  valueAt(i: number): V {
    return this.kv[2 * i + 1] as V;
  }

  setValueAt(i: number, value: V): void {
    this.kv[2 * i + 1] = value;
  }

  /** The LRU/LFU field in slot `i`. */
  fieldAt(i: number): number {
    return this.meta[2 * i + 1] & ~MARK;
  }

  setFieldAt(i: number, field: number): void {
    this.meta[2 * i + 1] = (this.meta[2 * i + 1] & MARK) | field;
  }

  /** Mark slot `i`'s key (Db's pending recharge); false when it was marked already. */
  markAt(i: number): boolean {
    const f = this.meta[2 * i + 1];
    if (f & MARK) return false;
    this.meta[2 * i + 1] = f | MARK;
    return true;
  }

  /** Unmark slot `i`'s key; false when it was not marked. */
  unmarkAt(i: number): boolean {
    const f = this.meta[2 * i + 1];
    if (!(f & MARK)) return false;
    this.meta[2 * i + 1] = f & ~MARK;
    return true;
  }

  get(key: string): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.kv[2 * i + 1] as V;
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  /** The key's LRU/LFU field, or undefined when the key is missing. */
  fieldOf(key: string): number | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.meta[2 * i + 1] & ~MARK;
  }

  /** Set the value of `key`; a key already here keeps its field, a new one gets 0. */
  set(key: string, value: V): this {
    const i = this.find(key);
    if (i >= 0) this.kv[2 * i + 1] = value;
    else this.insert(key, value, 0);
    return this;
  }

  /** Add `key`, which is not in the table (the caller checked), with its field. */
  insert(key: string, value: V, field: number): void {
    if ((this.count + this.tombstones + 1) > (this.mask + 1) * MAX_LOAD) {
      this.rehash(capacityFor(this.count + 1));
    }
    const h = hashKey(key, this.seed);
    const kv = this.kv;
    const mask = this.mask;
    let i = h & mask;
    // The first free slot on the probe path: a tombstone is reused (its key is not further on:
    // the caller checked that `key` is not in the table).
    while (kv[2 * i] !== undefined && kv[2 * i] !== null) i = (i + 1) & mask;
    if (kv[2 * i] === null) this.tombstones--;
    kv[2 * i] = key;
    kv[2 * i + 1] = value;
    this.meta[2 * i] = h;
    this.meta[2 * i + 1] = field;
    this.count++;
  }

  delete(key: string): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    this.kv[2 * i] = null;
    this.kv[2 * i + 1] = undefined;
    this.count--;
    this.tombstones++;
    // Shrink a table that emptied (as Map does), so a FLUSH-less mass delete gives memory back.
    const cap = this.mask + 1;
    if (cap > MIN_CAPACITY && this.count < cap / 8) this.rehash(capacityFor(this.count));
    return true;
  }

  clear(): void {
    this.kv = new Array(2 * MIN_CAPACITY).fill(undefined);
    this.meta = new Int32Array(2 * MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
    this.tombstones = 0;
  }

  /** Move every key to new arrays of `capacity` slots (the old ones are left as they were). */
  private rehash(capacity: number): void {
    const oldKv = this.kv;
    const oldMeta = this.meta;
    const kv: (string | V | null | undefined)[] = new Array(2 * capacity).fill(undefined);
    const meta = new Int32Array(2 * capacity);
    const mask = capacity - 1;
    for (let j = 0; j < oldKv.length; j += 2) {
      const k = oldKv[j];
      if (k === undefined || k === null) continue;
      const h = oldMeta[j];
      let i = h & mask;
      while (kv[2 * i] !== undefined) i = (i + 1) & mask;
      kv[2 * i] = k;
      kv[2 * i + 1] = oldKv[j + 1];
      meta[2 * i] = h;
      meta[2 * i + 1] = oldMeta[j + 1];
    }
    this.kv = kv;
    this.meta = meta;
    this.mask = mask;
    this.tombstones = 0;
  }

  *entries(): IterableIterator<[string, V]> {
    const kv = this.kv;
    for (let j = 0; j < kv.length; j += 2) {
      const k = kv[j];
      if (k === undefined || k === null) continue;
      if (kv === this.kv) {
        yield [k as string, kv[j + 1] as V];
        continue;
      }
      // Rehashed since the walk started: the key as it is now, if it is still here.
      const i = this.find(k as string);
      if (i >= 0) yield [k as string, this.kv[2 * i + 1] as V];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
