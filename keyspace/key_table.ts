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
 * The same table holds a hash's fields (keyspace/hash.ts, table form), a set's members
 * (keyspace/member_set.ts) and a sorted set's member -> score dict (keyspace/zset_tree.ts),
 * which paid the same string-table probe per field with Maps and Sets. Those leave out the
 * columns they never read (`Columns`): the column strides are fields of the table, so the same
 * code serves every layout.
 *
 * The part of the Map API the rest of the code uses is kept (get, has, set, delete, clear,
 * size, keys, values, entries, iteration), plus slot-level access for the hot paths and
 * hashed variants (`hash`, `findHashed`, `insertHashed`, `put`) so a new key is hashed once.
 * Iteration is in slot order (Redis's dict order is its own hash order, too). An iterator stays valid
 * while the table changes: a key deleted meanwhile is not yielded, and after a rehash the
 * iterator goes on over the slots it started with, yielding the keys still present with their
 * current values, each once (a key added meanwhile may or may not be yielded).
 */

/**
 * Most slots used (keys and tombstones) before a rehash, as a fraction of the capacity, in a
 * collection's table: it doubles at 80% and so keeps 40-80% of its slots filled. Redis's chained
 * dict grows at 100% (dict.c _dictExpandIfNeeded), to 50-100%; linear probing needs empty slots
 * to end its probes. At 70% (35-70%) a 100k-field hash took 262,144 slots where it takes 131,072
 * now, and HSET, SADD and ZADD into 100k-member collections measured no slower (smaller tables
 * cache better).
 */
const MAX_LOAD = 0.8;
/**
 * The key space's: 80% too. It was 70% while each rehash left its old meta column for the GC:
 * then `bench --mode memory` measured 1,000,000 small strings ~70 B a key higher at 80% (the last
 * doubling came later, on a bigger heap). With old columns freed at once (`releaseColumn`) the
 * strings measure the same at either (233 and 234 B a key, a node started as `deno run -A
 * cli.ts`), and 100,000 keys take 131,072 slots instead of 262,144: right after loading 100,000
 * hashes 1,285 B a key instead of 1,404, sorted sets 1,272 instead of 1,461 (the columns and the
 * old ones' garbage); lookups measured no slower (a smaller table caches better).
 */
const KEYSPACE_MAX_LOAD = 0.8;
/** A rehash sizes the table so that keys fill at most this fraction of it. */
const REHASH_LOAD = 0.5;
/**
 * Slots of an empty table. Small, because hash fields, set members and sorted-set members live
 * in tables of their own too (keyspace/hash.ts, keyspace/member_set.ts, keyspace/zset_tree.ts):
 * an empty or one-member set is 4 slots.
 */
const MIN_CAPACITY = 4;
/**
 * A `meta` column of at least this many bytes gives its memory back as soon as a rehash or
 * `clear` drops it (`releaseColumn`), instead of when V8 next collects its ArrayBuffer: a
 * dropped column was promoted long ago, so that is at the next full collection, and a growing
 * key space's old columns add up to its current one (`deno task bench --mode memory`, right after
 * 1,000,000 SETs: ~12 MiB). Smaller columns are left to the GC (a small Int32Array lives in V8's
 * heap, and `.buffer` would move it out).
 */
const RELEASE_MIN_BYTES = 64 * 1024;

/** Free a dropped `meta` column's memory now (ArrayBuffer transfer(0) detaches and frees it). */
function releaseColumn(meta: Int32Array): void {
  if (meta.byteLength >= RELEASE_MIN_BYTES) (meta.buffer as ArrayBuffer).transfer(0);
}

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

/** `hashKey` of the binary string of `bytes[start, end)` (one char per byte), without making it. */
export function hashKeyBytes(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed ^ (end - start)) | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/**
 * Which columns a table keeps (chosen at construction; a column a table's users never read is not
 * allocated): the key space keeps key, value, hash, LRU/LFU field and the key's place in its hash
 * slot's key list (keyspace/db.ts; 28 B a slot); a hash's fields and a sorted set's dict keep key,
 * value and hash (20 B); a set's members key and hash (12 B), as Redis's set dict keeps no value
 * (t_set.c setTypeAdd: dictAdd with a NULL value).
 */
export type Columns = "keyspace" | "map" | "keys";

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
  /**
   * Slot i's key at vs * i (undefined: empty, null: deleted) and, with values (vs = 2), its value
   * at 2i + 1.
   */
  private kv: (string | V | null | undefined)[];
  /**
   * Slot i's key hash at ms * i and, in the key space's table (ms = 3), its LRU/LFU field at
   * 3i + 1 and its place in its hash slot's key list at 3i + 2 (`posAt`).
   */
  private meta: Int32Array;
  private mask: number;
  private count = 0;
  private tombstones = 0;
  /** Slots used (keys and tombstones) past which an insert rehashes: capacity * maxLoad. */
  private growAt: number;
  /** MAX_LOAD, or KEYSPACE_MAX_LOAD for the key space's table. */
  private readonly maxLoad: number;
  /** Entries of `kv` a slot takes: 2 with values, 1 keys only. */
  private readonly vs: number;
  /** Entries of `meta` a slot takes: 3 with field and place, 1 hash only. */
  private readonly ms: number;
  /**
   * Where a value that is a number is a record's number (a table-form hash's values:
   * keyspace/value_records.ts): record v starts at `bytes[v * stride]`, and `prefetchSpans` reads
   * it too. Null (the key space's slab handles: `peekHandle`; sorted sets' scores).
   */
  records: { readonly bytes: Uint8Array; readonly stride: number } | null = null;
  /**
   * Where a value that is a number is a handle kept elsewhere (the key space's small string
   * values: keyspace/value_slab.ts): a reader of its first byte, which `prefetchSpans` calls too
   * (a SET frees the old value's record and a GET copies it: each a miss of its own otherwise).
   * Null: numbers are not followed, unless `records` says where they are.
   */
  peekHandle: ((handle: number) => number) | null = null;

  /**
   * `seed`: of the key hash (tests pin it; see PROCESS_SEED); `columns`: which it keeps (the
   * field-reading methods are for "keyspace" tables only; a "keys" table's values read as `true`).
   */
  constructor(
    private readonly seed: number = PROCESS_SEED,
    readonly columns: Columns = "keyspace",
  ) {
    this.vs = columns === "keys" ? 1 : 2;
    this.ms = columns === "keyspace" ? 3 : 1;
    this.maxLoad = columns === "keyspace" ? KEYSPACE_MAX_LOAD : MAX_LOAD;
    this.growAt = Math.floor(MIN_CAPACITY * this.maxLoad);
    this.kv = new Array(this.vs * MIN_CAPACITY).fill(undefined);
    this.meta = new Int32Array(this.ms * MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
  }

  /** A key -> value table without the LRU/LFU column (hash fields, a sorted set's dict). */
  static map<V>(seed?: number): KeyTable<V> {
    return new KeyTable<V>(seed, "map");
  }

  /** A table of keys only (a set's members): `get` and `valueAt` answer `true`. */
  static keysOnly(seed?: number): KeyTable<true> {
    return new KeyTable<true>(seed, "keys");
  }

  /**
   * Bytes of the table's columns as allocated (MEMORY USAGE, tests): 8 per `kv` entry (a tagged
   * pointer) and the Int32Array's bytes.
   */
  get columnBytes(): number {
    return 8 * this.kv.length + this.meta.byteLength;
  }

  get size(): number {
    return this.count;
  }

  /** Slots in the table (MEMORY-style accounting and tests). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** `key`'s hash in this table (for `findHashed`/`insertHashed`: one hash per new key). */
  hash(key: string): number {
    return hashKey(key, this.seed);
  }

  /** The slot holding `key`, or -1. */
  find(key: string): number {
    return this.findHashed(key, hashKey(key, this.seed));
  }

  /** The slot holding `key`, whose `hash` is `h`, or -1. */
  findHashed(key: string, h: number): number {
    const kv = this.kv;
    const meta = this.meta;
    const mask = this.mask;
    const vs = this.vs;
    const ms = this.ms;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const k = kv[vs * i];
      if (k === undefined) return -1;
      if (meta[ms * i] === h && k === key) return i;
    }
  }

  /**
   * The slot holding the key whose chars are `bytes[start, end)` (one char per byte), or -1:
   * `find` without building the key's string (a lookup whose key is only compared).
   */
  findBytes(bytes: Uint8Array, start: number, end: number): number {
    const h = hashKeyBytes(bytes, start, end, this.seed);
    const kv = this.kv;
    const meta = this.meta;
    const mask = this.mask;
    const vs = this.vs;
    const ms = this.ms;
    const len = end - start;
    for (let i = h & mask;; i = (i + 1) & mask) {
      const k = kv[vs * i];
      if (k === undefined) return -1;
      if (meta[ms * i] !== h || typeof k !== "string" || k.length !== len) continue;
      let j = 0;
      while (j < len && k.charCodeAt(j) === bytes[start + j]) j++;
      if (j === len) return i;
    }
  }

  /**
   * Read what lookups of the keys `bytes[starts[j], ends[j])`, j < n, read first: each key's home
   * slot's hash, key and value, then the first bytes of that key and value (keyspace/prefetch.ts),
   * so that the lookups soon after find them in the CPU's caches. `homes` (n entries or more) is
   * scratch. Changes nothing; the answer only keeps the reads from being optimized away.
   *
   * In stages, all keys' home slots, then all their keys and values: the reads of one stage are
   * independent, so their cache and TLB misses overlap, where one key at a time (hash, slot, key)
   * let only two or three keys' misses overlap. Measured in-process over 100,000 keys, batches of
   * 16 with a syscall between batches: ~400 ns a lookup without a read-ahead, ~350 one key at a
   * time, ~245 in stages. No stage branches on what it read where the outcome is hard to predict (a
   * mispredicted branch that waits for a miss ends the overlap): so the slot read is the key's
   * home slot, not a probe on to the slot with its hash (a probe measured no better than none).
   */
  prefetchSpans(
    bytes: Uint8Array,
    starts: Int32Array,
    ends: Int32Array,
    n: number,
    homes: Int32Array,
  ): number {
    const kv = this.kv;
    const meta = this.meta;
    const mask = this.mask;
    const vs = this.vs;
    const ms = this.ms;
    for (let j = 0; j < n; j++) {
      homes[j] = hashKeyBytes(bytes, starts[j], ends[j], this.seed) & mask;
    }
    let s = 0;
    for (let j = 0; j < n; j++) {
      const i = homes[j];
      s ^= meta[ms * i];
      if (kv[vs * i] === undefined) s ^= 1;
    }
    const records = this.records;
    const peek = this.peekHandle;
    for (let j = 0; j < n; j++) {
      const i = homes[j];
      const k = kv[vs * i];
      if (typeof k === "string") s ^= k.charCodeAt(0);
      if (vs === 2) {
        const v = kv[2 * i + 1];
        if (typeof v === "string") s ^= v.length;
        else if (typeof v === "number") {
          if (records !== null) s ^= records.bytes[v * records.stride] ?? 0;
          else if (peek !== null) s ^= peek(v);
        }
      }
    }
    return s;
  }

  /** The key (the string the table holds) in slot `i` (from `find`, with no change since). */
  keyAt(i: number): string {
    return this.kv[this.vs * i] as string;
  }

  /** The value in slot `i` (from `find`, with no change to the table since). */
  valueAt(i: number): V {
    return (this.vs === 2 ? this.kv[2 * i + 1] : true) as V;
  }

  setValueAt(i: number, value: V): void {
    if (this.vs === 2) this.kv[2 * i + 1] = value;
  }

  /** The LRU/LFU field in slot `i`. */
  fieldAt(i: number): number {
    return this.meta[3 * i + 1] & ~MARK;
  }

  setFieldAt(i: number, field: number): void {
    this.meta[3 * i + 1] = (this.meta[3 * i + 1] & MARK) | field;
  }

  /** The place of slot `i`'s key in its hash slot's key list (key space tables: keyspace/db.ts). */
  posAt(i: number): number {
    return this.meta[3 * i + 2];
  }

  setPosAt(i: number, pos: number): void {
    this.meta[3 * i + 2] = pos;
  }

  /** Mark slot `i`'s key (Db's pending recharge); false when it was marked already. */
  markAt(i: number): boolean {
    const f = this.meta[3 * i + 1];
    if (f & MARK) return false;
    this.meta[3 * i + 1] = f | MARK;
    return true;
  }

  /** Unmark slot `i`'s key; false when it was not marked. */
  unmarkAt(i: number): boolean {
    const f = this.meta[3 * i + 1];
    if (!(f & MARK)) return false;
    this.meta[3 * i + 1] = f & ~MARK;
    return true;
  }

  get(key: string): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.valueAt(i);
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  /** The key's LRU/LFU field, or undefined when the key is missing. */
  fieldOf(key: string): number | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.meta[3 * i + 1] & ~MARK;
  }

  /** Set the value of `key`; a key already here keeps its field, a new one gets 0. */
  set(key: string, value: V): this {
    this.put(key, value);
    return this;
  }

  /** `set`, answering whether `key` is new (HSET's and SADD's count), with one hash. */
  put(key: string, value: V): boolean {
    const h = hashKey(key, this.seed);
    const i = this.findHashed(key, h);
    if (i >= 0) {
      this.setValueAt(i, value);
      return false;
    }
    this.insertHashed(key, h, value, 0);
    return true;
  }

  /** Add `key`, which is not in the table (the caller checked), with its field: its slot. */
  insert(key: string, value: V, field: number): number {
    return this.insertHashed(key, hashKey(key, this.seed), value, field);
  }

  /** `insert` with the key's `hash` already computed (by the `findHashed` that missed). */
  insertHashed(key: string, h: number, value: V, field: number): number {
    if (this.count + this.tombstones + 1 > this.growAt) {
      this.rehash(capacityFor(this.count + 1));
    }
    const kv = this.kv;
    const mask = this.mask;
    const vs = this.vs;
    let i = h & mask;
    // The first free slot on the probe path: a tombstone is reused (its key is not further on:
    // the caller checked that `key` is not in the table).
    while (kv[vs * i] !== undefined && kv[vs * i] !== null) i = (i + 1) & mask;
    if (kv[vs * i] === null) this.tombstones--;
    kv[vs * i] = key;
    if (vs === 2) kv[2 * i + 1] = value;
    const ms = this.ms;
    this.meta[ms * i] = h;
    if (ms === 3) {
      this.meta[3 * i + 1] = field;
      this.meta[3 * i + 2] = 0;
    }
    this.count++;
    return i;
  }

  delete(key: string): boolean {
    const i = this.find(key);
    if (i < 0) return false;
    this.deleteAt(i);
    return true;
  }

  /** Delete the key in slot `i` (from `find`, with no change to the table since). */
  deleteAt(i: number): void {
    if (this.vs === 2) {
      this.kv[2 * i] = null;
      this.kv[2 * i + 1] = undefined;
    } else this.kv[i] = null;
    this.count--;
    this.tombstones++;
    // Shrink a table that emptied (as Map does), so a FLUSH-less mass delete gives memory back.
    const cap = this.mask + 1;
    if (cap > MIN_CAPACITY && this.count < cap / 8) this.rehash(capacityFor(this.count));
  }

  clear(): void {
    releaseColumn(this.meta);
    this.kv = new Array(this.vs * MIN_CAPACITY).fill(undefined);
    this.meta = new Int32Array(this.ms * MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.growAt = Math.floor(MIN_CAPACITY * this.maxLoad);
    this.count = 0;
    this.tombstones = 0;
  }

  /** A copy: the same keys, values, fields and seed (a copied hash or set: COPY, SINTERSTORE). */
  clone(): KeyTable<V> {
    const t = new KeyTable<V>(this.seed, this.columns);
    t.kv = this.kv.slice();
    t.meta = this.meta.slice();
    t.mask = this.mask;
    t.growAt = this.growAt;
    t.count = this.count;
    t.tombstones = this.tombstones;
    return t;
  }

  /** Move every key to new arrays of `capacity` slots (the old `meta` is released). */
  private rehash(capacity: number): void {
    const oldKv = this.kv;
    const oldMeta = this.meta;
    const vs = this.vs;
    const ms = this.ms;
    const kv: (string | V | null | undefined)[] = new Array(vs * capacity).fill(undefined);
    const meta = new Int32Array(ms * capacity);
    const mask = capacity - 1;
    for (let j = 0, jm = 0; j < oldKv.length; j += vs, jm += ms) {
      const k = oldKv[j];
      if (k === undefined || k === null) continue;
      const h = oldMeta[jm];
      let i = h & mask;
      while (kv[vs * i] !== undefined) i = (i + 1) & mask;
      kv[vs * i] = k;
      if (vs === 2) kv[2 * i + 1] = oldKv[j + 1];
      meta[ms * i] = h;
      if (ms === 3) {
        meta[3 * i + 1] = oldMeta[jm + 1];
        meta[3 * i + 2] = oldMeta[jm + 2];
      }
    }
    this.kv = kv;
    this.meta = meta;
    releaseColumn(oldMeta);
    this.mask = mask;
    this.growAt = Math.floor(capacity * this.maxLoad);
    this.tombstones = 0;
  }

  *entries(): IterableIterator<[string, V]> {
    const kv = this.kv;
    const vs = this.vs;
    for (let j = 0; j < kv.length; j += vs) {
      const k = kv[j];
      if (k === undefined || k === null) continue;
      if (kv === this.kv) {
        yield [k as string, (vs === 2 ? kv[j + 1] : true) as V];
        continue;
      }
      // Rehashed since the walk started: the key as it is now, if it is still here.
      const i = this.find(k as string);
      if (i >= 0) yield [k as string, this.valueAt(i)];
    }
  }

  /** The keys, as `entries` yields them (no pair built per key: SMEMBERS' walk). */
  *keys(): IterableIterator<string> {
    const kv = this.kv;
    const vs = this.vs;
    for (let j = 0; j < kv.length; j += vs) {
      const k = kv[j];
      if (k === undefined || k === null) continue;
      if (kv === this.kv || this.find(k as string) >= 0) yield k as string;
    }
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
