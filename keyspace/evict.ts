/**
 * maxmemory eviction (Redis 7.0's evict.c): the eviction pool of the best candidates seen so far
 * (evictionPoolPopulate), sampled `maxmemory-samples` keys at a time from every database, and
 * performEvictions, which deletes keys until the memory used is back under maxmemory or its
 * time budget (maxmemory-eviction-tenacity) is spent, then continues in later turns of the event
 * loop (evictionTimeProc).
 *
 * Works over a list of databases (keyspace/db.ts) and a few callbacks, so it holds no server
 * state: `Evictor.perform(dbs)` is called before each command (server/dispatch.ts) with the
 * node's databases.
 */

import type { Db } from "./db.ts";
import { idleMs, lfuDecrAndReturn } from "./lru.ts";

export type MaxmemoryPolicy =
  | "noeviction"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "allkeys-random"
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-random"
  | "volatile-ttl";

/** Entries in the eviction pool (EVPOOL_SIZE). */
export const EVPOOL_SIZE = 16;

/**
 * The best candidates for eviction across calls, ascending by score (higher: evict first; the
 * idle time for LRU, 255 - frequency for LFU, the inverse of the expiry time for volatile-ttl).
 * Entries may name keys deleted since (ghosts): they are skipped when picked.
 */
export class EvictionPool {
  readonly keys: (string | null)[] = new Array(EVPOOL_SIZE).fill(null);
  readonly scores: number[] = new Array(EVPOOL_SIZE).fill(0);
  readonly dbs: number[] = new Array(EVPOOL_SIZE).fill(0);

  /** evictionPoolPopulate's insertion of one sampled key. */
  insert(key: string, score: number, dbIndex: number): void {
    const { keys, scores, dbs } = this;
    let k = 0;
    while (k < EVPOOL_SIZE && keys[k] !== null && scores[k] < score) k++;
    if (k === 0 && keys[EVPOOL_SIZE - 1] !== null) return; // worse than all, no room
    if (k < EVPOOL_SIZE && keys[k] === null) {
      // an empty slot: insert there
    } else if (keys[EVPOOL_SIZE - 1] === null) {
      // room on the right: shift k.. right
      for (let i = EVPOOL_SIZE - 1; i > k; i--) {
        keys[i] = keys[i - 1];
        scores[i] = scores[i - 1];
        dbs[i] = dbs[i - 1];
      }
    } else {
      // full: drop the worst (left) entry, shift 1..k-1 left, insert at k-1
      k--;
      for (let i = 0; i < k; i++) {
        keys[i] = keys[i + 1];
        scores[i] = scores[i + 1];
        dbs[i] = dbs[i + 1];
      }
    }
    keys[k] = key;
    scores[k] = score;
    dbs[k] = dbIndex;
  }

  /** Take the best entry out (rightmost first); null when the pool is empty. */
  takeBest(): { key: string; dbIndex: number } | null {
    for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
      const key = this.keys[k];
      if (key === null) continue;
      this.keys[k] = null;
      this.scores[k] = 0;
      return { key, dbIndex: this.dbs[k] };
    }
    return null;
  }

  get size(): number {
    let n = 0;
    for (const k of this.keys) if (k !== null) n++;
    return n;
  }
}

/** What performEvictions reads and reports through. */
export interface EvictorHost {
  policy(): MaxmemoryPolicy;
  maxmemoryBytes(): number;
  samples(): number;
  /** maxmemory-eviction-tenacity (0-100). */
  tenacity(): number;
  lfuDecayTimeMin(): number;
  /** Memory used as maxmemory counts it (used_memory minus what is not counted). */
  usedBytes(): number;
  /** Evictions may run now (not on a replica ignoring maxmemory, not while loading, ...). */
  mayEvict(): boolean;
  /** A key was evicted from database `dbIndex` (propagate DEL, count it). */
  evicted(db: Db, dbIndex: number, key: string): void;
  nowMs(): number;
  /** Monotonic time in µs (the time budget). */
  clockUs(): number;
  random(): number;
  /** Run `fn` in a later turn of the event loop (the eviction time proc). */
  later(fn: () => void): void;
  /** Is the latency monitor on (latency-monitor-threshold > 0)? */
  latencyMonitorOn(): boolean;
  /** latencyAddSampleIfNeeded(`event`, `latencyMs`): "eviction-del" and "eviction-cycle". */
  latencySample(event: string, latencyMs: number): void;
}

export type EvictResult = "ok" | "running" | "fail";

/** evictionTimeLimitUs: tenacity 0-10 linear to 500 µs, then 15% steps, 100 unlimited. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * Math.pow(1.15, tenacity - 10));
  return Number.POSITIVE_INFINITY;
}

/** Whole milliseconds since `startUs` (latencyEndMonitor). */
function msSince(host: EvictorHost, startUs: number): number {
  return Math.floor((host.clockUs() - startUs) / 1000);
}

export class Evictor {
  readonly pool = new EvictionPool();
  /** INFO stats evicted_keys. */
  evictedKeys = 0;
  /** INFO stats total_eviction_exceeded_time (ms) and current_eviction_exceeded_time. */
  private overLimitSinceUs = -1;
  totalOverLimitUs = 0;
  private procRunning = false;
  private nextDb = 0;
  private readonly sampleKeys: string[] = [];
  private readonly sampleFields: number[] = [];

  constructor(private readonly host: EvictorHost) {}

  /** Is the eviction time proc still at work (INFO current_eviction_exceeded_time)? */
  get running(): boolean {
    return this.procRunning;
  }

  /** Current time over the limit in µs (0 when not over). */
  currentOverLimitUs(): number {
    return this.overLimitSinceUs < 0 ? 0 : this.host.clockUs() - this.overLimitSinceUs;
  }

  /** evictionPoolPopulate for one database. */
  private populate(db: Db, dbIndex: number, policy: MaxmemoryPolicy): void {
    const keys = this.sampleKeys;
    const fields = this.sampleFields;
    keys.length = 0;
    fields.length = 0;
    const n = this.host.samples();
    const allkeys = policy.startsWith("allkeys");
    if (allkeys) db.sampleKeys(n, this.host.random, keys, fields);
    else db.sampleVolatile(n, this.host.random, keys, fields);
    const now = this.host.nowMs();
    const decay = this.host.lfuDecayTimeMin();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      let score: number;
      if (policy === "volatile-ttl") score = -fields[i]; // the sooner the expiry, the better
      else {
        const field = allkeys ? fields[i] : db.accessField(key);
        if (field === undefined) continue;
        score = policy.endsWith("lfu")
          ? 255 - lfuDecrAndReturn(field, now, decay)
          : idleMs(field, now);
      }
      this.pool.insert(key, score, dbIndex);
    }
  }

  /** The next key to evict, or null when there is none. */
  private pick(
    dbs: Db[],
    policy: MaxmemoryPolicy,
  ): { db: Db; dbIndex: number; key: string } | null {
    if (policy === "allkeys-random" || policy === "volatile-random") {
      for (let i = 0; i < dbs.length; i++) {
        const j = (++this.nextDb) % dbs.length;
        const db = dbs[j];
        const keys = this.sampleKeys;
        const fields = this.sampleFields;
        keys.length = 0;
        fields.length = 0;
        if (policy === "allkeys-random") db.sampleKeys(1, this.host.random, keys, fields);
        else db.sampleVolatile(1, this.host.random, keys, fields);
        if (keys.length !== 0) return { db, dbIndex: j, key: keys[0] };
      }
      return null;
    }
    const allkeys = policy.startsWith("allkeys");
    // Each round samples every database; a round whose pool holds only ghosts samples again.
    for (let round = 0; round < 1000; round++) {
      let total = 0;
      for (let i = 0; i < dbs.length; i++) {
        const size = allkeys ? dbs[i].size : dbs[i].expiresCount;
        if (size !== 0) {
          this.populate(dbs[i], i, policy);
          total += size;
        }
      }
      if (total === 0) return null;
      for (;;) {
        const e = this.pool.takeBest();
        if (e === null) break; // every entry a ghost: sample again
        const db = dbs[e.dbIndex];
        if (db === undefined) continue;
        const present = allkeys ? db.dict.has(e.key) : db.expires.has(e.key);
        if (present) return { db, dbIndex: e.dbIndex, key: e.key };
      }
    }
    return null;
  }

  /**
   * performEvictions: "ok" when memory is under the limit (or evictions may not run now),
   * "running" when keys were evicted but the time budget ran out (a later turn continues),
   * "fail" when over the limit with nothing (more) to evict.
   */
  perform(dbs: Db[]): EvictResult {
    const host = this.host;
    if (!host.mayEvict()) return "ok";
    const max = host.maxmemoryBytes();
    if (max === 0) return "ok";
    const used = host.usedBytes();
    if (used <= max) {
      this.endOverLimit();
      return "ok";
    }
    if (this.overLimitSinceUs < 0) this.overLimitSinceUs = host.clockUs();
    const policy = host.policy();
    if (policy === "noeviction") return "fail";
    const toFree = used - max;
    const limitUs = evictionTimeLimitUs(host.tenacity());
    const startUs = host.clockUs();
    const timed = host.latencyMonitorOn();
    let freed = 0;
    let keysFreed = 0;
    let result: EvictResult = "ok";
    while (freed < toFree) {
      const best = this.pick(dbs, policy);
      if (best === null) {
        result = "fail";
        break;
      }
      const before = best.db.usedBytes;
      const delStartUs = timed ? host.clockUs() : 0;
      best.db.evictKey(best.key);
      // evict.c performEvictions: latencyAddSampleIfNeeded("eviction-del", ...) per key.
      if (timed) host.latencySample("eviction-del", msSince(host, delStartUs));
      freed += before - best.db.usedBytes;
      this.evictedKeys++;
      host.evicted(best.db, best.dbIndex, best.key);
      keysFreed++;
      if (keysFreed % 16 === 0 && host.clockUs() - startUs > limitUs) {
        this.startProc(dbs);
        break;
      }
    }
    if (result !== "fail") result = this.procRunning ? "running" : "ok";
    // ... and "eviction-cycle" for the whole run (not when nothing had to be freed).
    if (timed) host.latencySample("eviction-cycle", msSince(host, startUs));
    if (result === "ok") this.endOverLimit();
    return result;
  }

  private endOverLimit(): void {
    if (this.overLimitSinceUs >= 0) {
      this.totalOverLimitUs += this.host.clockUs() - this.overLimitSinceUs;
      this.overLimitSinceUs = -1;
    }
  }

  /** startEvictionTimeProc: keep evicting in later turns until "ok" or "fail". */
  private startProc(dbs: Db[]): void {
    if (this.procRunning) return;
    this.procRunning = true;
    const step = () => {
      this.procRunning = false;
      const r = this.perform(dbs);
      if (r === "running" && !this.procRunning) this.startProc(dbs);
    };
    this.host.later(step);
  }
}
