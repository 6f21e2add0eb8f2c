/**
 * Save points (`save <seconds> <changes> ...`) and when they call for a background save, as
 * Redis's serverCron decides it (server.c): a point is met when at least `changes` writes
 * happened and at least `seconds` passed since the last successful save; after a failed
 * background save, a new try waits CONFIG_BGSAVE_RETRY_DELAY (5 s). Pure.
 */

export interface SavePoint {
  seconds: number;
  changes: number;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY. */
export const BGSAVE_RETRY_DELAY_MS = 5000;

/** The `save` directive's value ("3600 1 300 100", "" for none) as points. */
export function parseSavePoints(value: string): SavePoint[] {
  const parts = value.trim() === "" ? [] : value.trim().split(/\s+/).map(Number);
  const out: SavePoint[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    out.push({ seconds: parts[i], changes: parts[i + 1] });
  }
  return out;
}

export interface SaveClock {
  /** Writes since the last successful save (Redis's `dirty`). */
  dirty: number;
  lastSaveMs: number;
  lastTryMs: number;
  lastStatusOk: boolean;
}

/** The first point that calls for a save now, or null. */
export function duePoint(points: SavePoint[], s: SaveClock, nowMs: number): SavePoint | null {
  for (const p of points) {
    if (
      s.dirty >= p.changes && nowMs - s.lastSaveMs > p.seconds * 1000 &&
      (nowMs - s.lastTryMs > BGSAVE_RETRY_DELAY_MS || s.lastStatusOk)
    ) return p;
  }
  return null;
}
