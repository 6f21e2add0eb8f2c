/**
 * The per-key access clock Redis keeps in a robj's 24-bit `lru` field (evict.c): an LRU clock in
 * seconds, or, under an LFU maxmemory policy, 16 bits of minutes (the last decrement time) and an
 * 8-bit logarithmic access counter. Pure functions over that 24-bit number; the keyspace stores
 * it as the value of its per-slot key index (a small integer: no allocation per key).
 *
 * Follows evict.c getLRUClock / estimateObjectIdleTime / LFUGetTimeInMinutes / LFUTimeElapsed /
 * LFULogIncr / LFUDecrAndReturn, db.c updateLFU and object.c objectSetLRUOrLFU.
 */

/** Largest LRU clock value (24 bits; Redis's LRU_CLOCK_MAX). */
export const LRU_CLOCK_MAX = (1 << 24) - 1;
/** LRU clock resolution (Redis's LRU_CLOCK_RESOLUTION). */
export const LRU_CLOCK_RESOLUTION_MS = 1000;
/** The counter of a new key under an LFU policy (Redis's LFU_INIT_VAL). */
export const LFU_INIT_VAL = 5;

/** What the keyspace needs to update the clock of a key it reads or writes. */
export interface AccessPolicy {
  /** An LFU maxmemory policy is set: the field holds minutes and a counter. */
  lfu: boolean;
  /** An LRU maxmemory policy is set (MAXMEMORY_FLAG_LRU: an RDB saves each key's idle time). */
  lru: boolean;
  /** lfu-log-factor. */
  lfuLogFactor: number;
  /** lfu-decay-time in minutes (0: never decay). */
  lfuDecayTimeMin: number;
  /** rand()/RAND_MAX for LFULogIncr. */
  random: () => number;
}

export function defaultAccessPolicy(): AccessPolicy {
  return { lfu: false, lru: false, lfuLogFactor: 10, lfuDecayTimeMin: 1, random: Math.random };
}

/** getLRUClock: the time in seconds, 24 bits. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / LRU_CLOCK_RESOLUTION_MS) & LRU_CLOCK_MAX;
}

/** estimateObjectIdleTime: ms since the key was last accessed (LRU clock resolution). */
export function idleMs(lru: number, nowMs: number): number {
  const clock = lruClock(nowMs);
  if (clock >= lru) return (clock - lru) * LRU_CLOCK_RESOLUTION_MS;
  return (clock + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION_MS;
}

/** LFUGetTimeInMinutes: 16 bits of Unix minutes. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60_000) & 65535;
}

/** LFUTimeElapsed: minutes since `ldt`, wrapping once. */
function lfuElapsedMin(ldt: number, nowMs: number): number {
  const now = lfuMinutes(nowMs);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

/** LFUDecrAndReturn: the counter, decayed by one per lfu-decay-time minutes elapsed. */
export function lfuDecrAndReturn(lru: number, nowMs: number, decayTimeMin: number): number {
  const ldt = lru >>> 8;
  let counter = lru & 255;
  const periods = decayTimeMin !== 0 ? Math.floor(lfuElapsedMin(ldt, nowMs) / decayTimeMin) : 0;
  if (periods !== 0) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/** LFULogIncr: increment with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1). */
export function lfuLogIncr(counter: number, logFactor: number, random: () => number): number {
  if (counter === 255) return 255;
  const r = random();
  const baseval = Math.max(0, counter - LFU_INIT_VAL);
  const p = 1 / (baseval * logFactor + 1);
  return r < p ? counter + 1 : counter;
}

/** The field of a key just created (createObject). */
export function newKeyLru(p: AccessPolicy, nowMs: number): number {
  return p.lfu ? (lfuMinutes(nowMs) << 8) | LFU_INIT_VAL : lruClock(nowMs);
}

/** The field after an access (lookupKey: updateLFU, or the LRU clock). */
export function touchedLru(lru: number, p: AccessPolicy, nowMs: number): number {
  if (!p.lfu) return lruClock(nowMs);
  const counter = lfuLogIncr(
    lfuDecrAndReturn(lru, nowMs, p.lfuDecayTimeMin),
    p.lfuLogFactor,
    p.random,
  );
  return (lfuMinutes(nowMs) << 8) | counter;
}

/**
 * objectSetLRUOrLFU (RESTORE ... IDLETIME s / FREQ f, RDB's idle and freq opcodes): the field
 * for the given frequency (LFU policy) or idle seconds (otherwise), or null when the one that
 * applies was not given (-1).
 */
export function restoredLru(
  p: AccessPolicy,
  nowMs: number,
  lfuFreq: number,
  lruIdleSec: number,
): number | null {
  if (p.lfu) {
    if (lfuFreq < 0) return null;
    return (lfuMinutes(nowMs) << 8) | Math.min(255, lfuFreq);
  }
  if (lruIdleSec < 0) return null;
  let abs = lruClock(nowMs) - Math.floor(lruIdleSec * 1000 / LRU_CLOCK_RESOLUTION_MS);
  if (abs < 0) abs += LRU_CLOCK_MAX;
  return abs & LRU_CLOCK_MAX;
}
