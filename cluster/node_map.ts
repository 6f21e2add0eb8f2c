/**
 * The node map of a `ClusterState` (cluster/state.ts) as a persistent map: replacing or adding a
 * few records costs about sqrt(N), not a copy of all N (Redis mutates its `clusterState.nodes`
 * dict in place; the views here are immutable, so each update used to copy the whole map).
 *
 * A `NodeMap` is a shared, never mutated `base` Map plus a small `delta` of records set over it.
 * It iterates exactly as the Map made by copying the base and calling `set` with each delta
 * entry would (a replaced key keeps its place, a new one goes last), through a flat Map built the
 * first time it is iterated; once the delta passes ~4·sqrt(N) entries the next update starts from
 * that flat Map. `changedKeysBetween` tells which keys can differ between two maps of one lineage,
 * so a view change is diffed over the records it touched, not over all N.
 */

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>();

/**
 * The delta size at which the next update starts from the flat Map. An update copies the delta
 * (a few per packet), a new base costs a copy of all N and the per-base indexes (`positionsOf`,
 * `arraysOf`): with a gossip section setting ~N/10 records per packet, 4·sqrt(N) keeps both near
 * their minimum (sqrt(N) made a new base every packet or two at 1,000 nodes). Measured when
 * every packet replaced its sender's record and every newer gossip pong time a record; both
 * times are now written in place (cluster/bus_receive.ts setHeartbeatTime) and a quiet packet
 * sets none.
 */
function deltaLimit(size: number): number {
  return Math.max(8, Math.ceil(4 * Math.sqrt(size)));
}

/**
 * A copy of `m`, in its order. `new Map(m)` goes through the iterator protocol, an [key, value]
 * array per entry: a third of all the bytes the simulator's join allocated went to copying deltas
 * that way (`HeapProfiler` sampling, 150 nodes).
 */
function copyOf<V>(m: ReadonlyMap<string, V>): Map<string, V> {
  const out = new Map<string, V>();
  m.forEach((v, k) => out.set(k, v));
  return out;
}

/** The batch in progress (`inNodeMapBatch`), or null. */
let openBatch: object | null = null;

export class NodeMap<V extends object> implements ReadonlyMap<string, V> {
  /** The flat Map this one iterates through, once built (the base itself when no delta). */
  #flat: ReadonlyMap<string, V> | null;
  /** The batch that made this map: while it runs, `with` sets into this map in place. */
  #batch: object | null = openBatch;

  private constructor(
    readonly base: ReadonlyMap<string, V>,
    readonly delta: ReadonlyMap<string, V>,
    /** Delta keys not in `base`. */
    private added: number,
  ) {
    this.#flat = delta.size === 0 ? base : null;
  }

  /**
   * `m` with the records `entries` set (by key), as a NodeMap; `m` is unchanged, unless `m` was
   * made by the `inNodeMapBatch` call now running: then the records are set in `m`, returned.
   */
  static with<V extends object>(
    m: ReadonlyMap<string, V>,
    entries: Iterable<readonly [string, V]>,
  ): NodeMap<V> {
    if (openBatch !== null && m instanceof NodeMap && m.#batch === openBatch) {
      const delta = m.delta as Map<string, V>;
      for (const [k, v] of entries) {
        if (!delta.has(k) && !m.base.has(k)) m.added++;
        delta.set(k, v);
      }
      m.#flat = null;
      return m;
    }
    let base: ReadonlyMap<string, V>;
    let delta: Map<string, V>;
    let added: number;
    if (m instanceof NodeMap) {
      if (m.delta.size >= deltaLimit(m.size)) {
        base = m.flat();
        delta = new Map();
        added = 0;
      } else {
        base = m.base;
        delta = copyOf(m.delta);
        added = m.added;
      }
    } else {
      base = m;
      delta = new Map();
      added = 0;
    }
    for (const [k, v] of entries) {
      if (!delta.has(k) && !base.has(k)) added++;
      delta.set(k, v);
    }
    return new NodeMap(base, delta, added);
  }

  get size(): number {
    return this.base.size + this.added;
  }

  get(key: string): V | undefined {
    const v = this.delta.get(key);
    return v !== undefined ? v : this.base.get(key);
  }

  has(key: string): boolean {
    return this.delta.has(key) || this.base.has(key);
  }

  /** The flat Map: the base copied, then each delta entry set. */
  flat(): ReadonlyMap<string, V> {
    if (this.#flat !== null) return this.#flat;
    const m = copyOf(this.base);
    this.delta.forEach((v, k) => m.set(k, v));
    this.#flat = m;
    return m;
  }

  /** The flat Map if it was built, else null. */
  flatIfBuilt(): ReadonlyMap<string, V> | null {
    return this.#flat;
  }

  entries(): MapIterator<[string, V]> {
    return this.flat().entries();
  }

  keys(): MapIterator<string> {
    return this.flat().keys();
  }

  values(): MapIterator<V> {
    return this.flat().values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.flat()[Symbol.iterator]();
  }

  forEach(
    cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [k, v] of this.flat()) cb.call(thisArg, v, k, this);
  }

  get [Symbol.toStringTag](): string {
    return "NodeMap";
  }
}

/**
 * Run `fn` with the NodeMaps it makes mutable: the first `NodeMap.with` in it copies as usual,
 * the next ones on that map set their records in place, which turns k updates of one record
 * each into one copy instead of k. Only for code that keeps no view made inside `fn` but the one
 * it returns, and compares no two of them (each shares the one map): a gossip section's records,
 * updated one entry at a time (cluster/bus_receive.ts processGossip).
 */
export function inNodeMapBatch<T>(fn: () => T): T {
  const outer = openBatch;
  openBatch = {};
  try {
    return fn();
  } finally {
    openBatch = outer;
  }
}

/** Index of each key of a base Map in its iteration order (built once per base). */
const positions = new WeakMap<ReadonlyMap<string, unknown>, Map<string, number>>();

function positionsOf(base: ReadonlyMap<string, unknown>): Map<string, number> {
  let p = positions.get(base);
  if (p === undefined) {
    p = new Map();
    let i = 0;
    for (const k of base.keys()) p.set(k, i++);
    positions.set(base, p);
  }
  return p;
}

function split<V extends object>(
  m: ReadonlyMap<string, V>,
): { base: ReadonlyMap<string, V>; delta: ReadonlyMap<string, V> } {
  return m instanceof NodeMap ? { base: m.base, delta: m.delta } : { base: m, delta: EMPTY };
}

/**
 * The keys whose records may differ between `prev` and `next` (every other key maps to the same
 * record in both), when `next` was derived from `prev` by `NodeMap.with` (or both from one base);
 * null when that cannot be told cheaply, and the caller must compare all.
 */
export function changedKeysBetween<V extends object>(
  prev: ReadonlyMap<string, V>,
  next: ReadonlyMap<string, V>,
): string[] | null {
  let p = split(prev);
  const n = split(next);
  if (p.base !== n.base) {
    const flat = prev instanceof NodeMap ? prev.flatIfBuilt() : prev;
    if (flat !== n.base) return null;
    p = { base: flat, delta: EMPTY };
  }
  const keys = [...n.delta.keys()];
  for (const k of p.delta.keys()) if (!n.delta.has(k)) keys.push(k);
  return keys;
}

/** Keys and values of a base Map in iteration order (built once per base). */
const arrays = new WeakMap<ReadonlyMap<string, unknown>, { keys: string[]; values: unknown[] }>();

/**
 * The last base `arraysOf` was asked for and its arrays: a gossip section's random picks
 * (`valueAt`, ~N/10 per PING/PONG sent) ask for one base many times in a row, and this skips
 * the WeakMap lookup for them. Holds at most one base alive past its views.
 */
let lastArraysBase: ReadonlyMap<string, unknown> | null = null;
let lastArrays: { keys: string[]; values: unknown[] } | null = null;

function arraysOf<V>(base: ReadonlyMap<string, V>): { keys: string[]; values: V[] } {
  if (base === lastArraysBase) return lastArrays as { keys: string[]; values: V[] };
  let a = arrays.get(base);
  if (a === undefined) {
    a = { keys: [...base.keys()], values: [...base.values()] };
    arrays.set(base, a);
  }
  lastArraysBase = base;
  lastArrays = a;
  return a as { keys: string[]; values: V[] };
}

/**
 * `[...m.values()]` for a walk that needs no Map: a NodeMap's base values (kept per base) with
 * its delta's records put in their places and its new keys' records after them, without building
 * its flat Map (a Map of all N, once per view: most of a cron tick's cost). Read-only: it may be
 * the array kept for the base.
 */
export function valuesOf<V extends object>(m: ReadonlyMap<string, V>): readonly V[] {
  if (!(m instanceof NodeMap)) return [...m.values()];
  const { base, delta } = m;
  const values = arraysOf(base).values;
  if (delta.size === 0) return values;
  const out = values.slice();
  const pos = positionsOf(base);
  for (const [k, v] of delta) {
    const i = pos.get(k);
    if (i !== undefined) out[i] = v;
    else out.push(v);
  }
  return out;
}

/**
 * Marks of `placesOf`: base place i was replaced by the delta of the last call's map when
 * `replacedIn[i] === placesRound`, its record then in `replacedBy[i]`; the delta's new keys'
 * records are `addedBy[0, addedCount)`. Reused by every call, so a call allocates one small
 * object (an array of the new keys per call was 7% of the bytes the join of 300 simulated nodes
 * allocated); the arrays keep at most one record per place of the largest map alive past its
 * views.
 */
let replacedIn = new Uint32Array(0);
let replacedBy: unknown[] = [];
const addedBy: unknown[] = [];
let addedCount = 0;
let placesRound = 0;

/**
 * The records of a map by place in its iteration order (`[...m.values()][i]`), for many picks by
 * index in a row: a gossip section's up to 3·N/10 random picks (Redis's dictGetRandomKey). Built
 * in O(delta) by `placesOf`; a pick is then an array read, where a lookup of the place's key in
 * the delta (and, past the base, a walk of the delta) was 7% of the simulated join of 2,000 nodes.
 * `baseValues[i]` is place i's record unless `replaced(i)`; the places from `baseValues.length` on
 * are the delta's new keys. Only the last `placesOf` result may be used (its marks are shared).
 */
export class MapPlaces<V extends object> {
  constructor(
    /** The base's records in order (kept per base: the same array for every map of that base). */
    readonly baseValues: readonly V[],
    private readonly base: ReadonlyMap<string, V>,
    private readonly round: number,
  ) {}

  get size(): number {
    this.checkCurrent();
    return this.baseValues.length + addedCount;
  }

  /** Whether the delta set a record of its own at base place `i` (< baseValues.length). */
  replaced(i: number): boolean {
    this.checkCurrent();
    return replacedIn[i] === this.round;
  }

  /** The record at place `i`, or undefined past the end. */
  at(i: number): V | undefined {
    const b = this.baseValues;
    if (i < b.length) return this.replaced(i) ? replacedBy[i] as V : b[i];
    this.checkCurrent();
    const k = i - b.length;
    return k < addedCount ? addedBy[k] as V : undefined;
  }

  /** The base place of `key`, or -1 when the base does not have it. */
  basePlaceOf(key: string): number {
    return positionsOf(this.base).get(key) ?? -1;
  }

  private checkCurrent(): void {
    if (this.round !== placesRound) throw new Error("MapPlaces: a newer placesOf call replaced it");
  }
}

export function placesOf<V extends object>(m: ReadonlyMap<string, V>): MapPlaces<V> {
  const base = m instanceof NodeMap ? m.base : m;
  const delta = m instanceof NodeMap ? m.delta : EMPTY;
  const values = arraysOf(base).values;
  if (replacedIn.length < values.length || placesRound === 0xffffffff) {
    replacedIn = new Uint32Array(Math.max(values.length, 2 * replacedIn.length));
    replacedBy = new Array(replacedIn.length);
    placesRound = 0;
  }
  const round = ++placesRound;
  let added = 0;
  if (delta.size > 0) {
    const pos = positionsOf(base);
    // forEach, not for-of: no [key, value] array per entry (see copyOf).
    delta.forEach((v, k) => {
      const i = pos.get(k);
      if (i === undefined) addedBy[added++] = v;
      else {
        replacedIn[i] = round;
        replacedBy[i] = v;
      }
    });
  }
  // Records past the new count are from an earlier map: dropped, not kept alive.
  for (let k = added; k < addedCount; k++) addedBy[k] = undefined;
  addedCount = added;
  return new MapPlaces(values, base, round);
}

/** Keys of a base Map whose records pass a test, by test (built once per base and test). */
const matching = new WeakMap<ReadonlyMap<string, unknown>, Map<unknown, string[]>>();

function matchingKeys<V>(base: ReadonlyMap<string, V>, test: (v: V) => boolean): string[] {
  let byTest = matching.get(base);
  if (byTest === undefined) {
    byTest = new Map();
    matching.set(base, byTest);
  }
  let keys = byTest.get(test);
  if (keys === undefined) {
    keys = [];
    for (const [k, v] of base) if (test(v)) keys.push(k);
    byTest.set(test, keys);
  }
  return keys;
}

/**
 * Whether some record of `m` passes `test` (a function kept for the program's life: the base's
 * answer is kept per test): the delta's records, then the base's keys that passed, unless the
 * delta replaced them. About the delta's size, not N, once the base's keys are known.
 */
export function someValue<V extends object>(
  m: ReadonlyMap<string, V>,
  test: (v: V) => boolean,
): boolean {
  if (!(m instanceof NodeMap)) {
    for (const v of m.values()) if (test(v)) return true;
    return false;
  }
  for (const v of m.delta.values()) if (test(v)) return true;
  for (const k of matchingKeys(m.base, test)) if (!m.delta.has(k)) return true;
  return false;
}
