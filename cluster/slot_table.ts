/**
 * The owner of each of the 16384 slots (Redis's clusterState.slots[]), as an immutable table
 * that a change does not copy: 128 chunks of 128 slots, and a change copies only the list of
 * chunks (128 references) and the chunks it touches (copy on write). A SETSLOT NODE therefore
 * costs two small copies instead of a copy of 16384 entries, and two tables are compared chunk
 * by chunk (`forEachChange`): chunks they share are skipped without a look at their slots.
 */

/** CLUSTER_SLOTS (cluster.h); protocol/slot.ts and cluster/state.ts export the same number. */
const SLOTS = 16384;
const CHUNK_BITS = 7;
/** Slots per chunk. */
export const SLOT_CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = SLOT_CHUNK - 1;
const CHUNKS = SLOTS / SLOT_CHUNK;

type Chunk = readonly (string | null)[];

/** A chunk of unassigned slots, shared by every table. */
const EMPTY_CHUNK: Chunk = Object.freeze(new Array<string | null>(SLOT_CHUNK).fill(null));

export class SlotTable {
  /**
   * The table's runs of one owner, found by the first `forEachRun` (the table never changes):
   * run k covers `runStarts[k]` up to the next start (or the last slot), owned by `runOwners[k]`.
   * CLUSTER INFO and CLUSTER SLOTS each walked all 16384 slots (~150 us a call, three times a
   * PING's round trip); they now walk the runs. Private fields: a cache, not part of the value
   * (assert.deepEqual of two tables ignores them).
   */
  #runStarts: number[] | null = null;
  #runOwners: (string | null)[] = [];

  private constructor(private readonly chunks: readonly Chunk[]) {}

  /** Every slot unassigned. */
  static empty(): SlotTable {
    return EMPTY_TABLE;
  }

  /** A table with the owners of `owners` (16384 entries). */
  static from(owners: ArrayLike<string | null>): SlotTable {
    if (owners.length !== SLOTS) throw new Error(`slot table of ${owners.length} slots`);
    const chunks: Chunk[] = [];
    for (let c = 0; c < CHUNKS; c++) {
      let chunk: (string | null)[] | null = null;
      for (let k = 0; k < SLOT_CHUNK; k++) {
        const o = owners[c * SLOT_CHUNK + k];
        if (o === null) continue;
        chunk ??= new Array<string | null>(SLOT_CHUNK).fill(null);
        chunk[k] = o;
      }
      chunks.push(chunk ?? EMPTY_CHUNK);
    }
    return new SlotTable(chunks);
  }

  get length(): number {
    return SLOTS;
  }

  /** The owner of `slot`, or null. */
  get(slot: number): string | null {
    return this.chunks[slot >> CHUNK_BITS][slot & CHUNK_MASK];
  }

  /**
   * The table with each `[slot, owner]` of `changes` applied; `this` when nothing changes.
   * Chunks without a change are shared with `this`.
   */
  withChanges(changes: Iterable<readonly [number, string | null]>): SlotTable {
    const w = new TableWriter(this.chunks);
    for (const [slot, owner] of changes) w.set(slot, owner);
    return w.done(this);
  }

  /** The table with every slot in `slots` given to `owner` (null: unassigned). */
  withOwner(slots: readonly number[], owner: string | null): SlotTable {
    const w = new TableWriter(this.chunks);
    for (let i = 0; i < slots.length; i++) w.set(slots[i], owner);
    return w.done(this);
  }

  /** The table with the owner `from` replaced by `to` everywhere. */
  replaceOwner(from: string, to: string | null): SlotTable {
    let chunks: Chunk[] | null = null;
    for (let c = 0; c < CHUNKS; c++) {
      const cur = this.chunks[c];
      if (cur === EMPTY_CHUNK || !cur.includes(from)) continue;
      chunks ??= this.chunks.slice();
      chunks[c] = cur.map((o) => (o === from ? to : o));
    }
    return chunks === null ? this : new SlotTable(chunks);
  }

  /** Calls `fn` for each slot whose owner differs in `next`, ascending; shared chunks skipped. */
  forEachChange(
    next: SlotTable,
    fn: (slot: number, was: string | null, now: string | null) => void,
  ): void {
    if (next === this) return;
    for (let c = 0; c < CHUNKS; c++) {
      const a = this.chunks[c];
      const b = next.chunks[c];
      if (a === b) continue;
      for (let k = 0; k < SLOT_CHUNK; k++) {
        if (a[k] !== b[k]) fn(c * SLOT_CHUNK + k, a[k], b[k]);
      }
    }
  }

  /**
   * Calls `fn(start, end, owner)` for each maximal run of slots with one owner (null included),
   * ascending: the whole table in one pass over the chunks.
   */
  forEachRun(fn: (start: number, end: number, owner: string | null) => void): void {
    const starts = this.#runStarts ?? this.findRuns();
    const owners = this.#runOwners;
    const last = starts.length - 1;
    for (let k = 0; k < last; k++) fn(starts[k], starts[k + 1] - 1, owners[k]);
    fn(starts[last], SLOTS - 1, owners[last]);
  }

  private findRuns(): number[] {
    const starts = [0];
    const owners: (string | null)[] = [this.chunks[0][0]];
    let cur = owners[0];
    for (let c = 0; c < CHUNKS; c++) {
      const chunk = this.chunks[c];
      if (chunk === EMPTY_CHUNK && cur === null) continue;
      const base = c * SLOT_CHUNK;
      for (let k = 0; k < SLOT_CHUNK; k++) {
        const o = chunk[k];
        if (o === cur) continue;
        starts.push(base + k);
        owners.push(o);
        cur = o;
      }
    }
    this.#runStarts = starts;
    this.#runOwners = owners;
    return starts;
  }

  /** The owners as a plain array of 16384 entries. */
  toArray(): (string | null)[] {
    const out: (string | null)[] = [];
    for (const chunk of this.chunks) for (const o of chunk) out.push(o);
    return out;
  }

  /** True when `pred` holds for the owner of every slot. */
  every(pred: (owner: string | null, slot: number) => boolean): boolean {
    for (let j = 0; j < SLOTS; j++) if (!pred(this.get(j), j)) return false;
    return true;
  }

  *[Symbol.iterator](): IterableIterator<string | null> {
    for (const chunk of this.chunks) yield* chunk;
  }
}

/** Copy on write of a table's chunks: each chunk is copied once, at its first change. */
class TableWriter {
  private chunks: Chunk[] | null = null;

  constructor(private readonly base: readonly Chunk[]) {}

  set(slot: number, owner: string | null): void {
    const c = slot >> CHUNK_BITS;
    const k = slot & CHUNK_MASK;
    const cur = (this.chunks ?? this.base)[c];
    if (cur[k] === owner) return;
    this.chunks ??= this.base.slice();
    if (cur === this.base[c]) {
      // Still the base's chunk: copy it (a chunk copied before is this writer's own).
      const copy = cur.slice();
      copy[k] = owner;
      this.chunks[c] = copy;
    } else {
      (cur as (string | null)[])[k] = owner;
    }
  }

  done(unchanged: SlotTable): SlotTable {
    if (this.chunks === null) return unchanged;
    return new (SlotTable as unknown as new (chunks: readonly Chunk[]) => SlotTable)(this.chunks);
  }
}

const EMPTY_TABLE = new (SlotTable as unknown as new (chunks: readonly Chunk[]) => SlotTable)(
  Object.freeze(new Array<Chunk>(CHUNKS).fill(EMPTY_CHUNK)),
);
