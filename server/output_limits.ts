/**
 * `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>` (Redis 7.0's
 * checkClientOutputBufferLimits): a client whose pending output reaches the hard limit, or stays at
 * or above the soft limit for more than soft-seconds, is disconnected. Pure: the caller keeps the
 * time the soft limit was first reached (`OutputLimitState`).
 */

export type OutputClass = "normal" | "replica" | "pubsub";

export interface OutputLimits {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

/** Redis 7.0's defaults per class. */
const DEFAULTS: Record<OutputClass, OutputLimits> = {
  normal: { hardBytes: 0, softBytes: 0, softSeconds: 0 },
  replica: { hardBytes: 256 * 1024 * 1024, softBytes: 64 * 1024 * 1024, softSeconds: 60 },
  pubsub: { hardBytes: 32 * 1024 * 1024, softBytes: 8 * 1024 * 1024, softSeconds: 60 },
};

/** One class's limits from the directive's value ("normal 0 0 0 replica h s t pubsub h s t"). */
export function outputLimitsFor(directive: string, cls: OutputClass): OutputLimits {
  const p = directive.trim().split(/\s+/);
  for (let i = 0; i + 3 < p.length; i += 4) {
    const name = p[i] === "slave" ? "replica" : p[i];
    if (name === cls) {
      return {
        hardBytes: Number(p[i + 1]),
        softBytes: Number(p[i + 2]),
        softSeconds: Number(p[i + 3]),
      };
    }
  }
  return DEFAULTS[cls];
}

/** Every class's limits from the directive's value. */
export function allOutputLimits(directive: string): Record<OutputClass, OutputLimits> {
  return {
    normal: outputLimitsFor(directive, "normal"),
    replica: outputLimitsFor(directive, "replica"),
    pubsub: outputLimitsFor(directive, "pubsub"),
  };
}

export interface OutputLimitState {
  /** When the soft limit was first reached (0: below it). */
  softSinceMs: number;
}

/** True when `usedBytes` breaks the limits; updates the soft-limit timer. */
export function overOutputLimits(
  usedBytes: number,
  l: OutputLimits,
  state: OutputLimitState,
  nowMs: number,
): boolean {
  if (l.hardBytes > 0 && usedBytes >= l.hardBytes) return true;
  if (l.softBytes > 0 && usedBytes >= l.softBytes) {
    if (state.softSinceMs === 0) state.softSinceMs = nowMs;
    else if (nowMs - state.softSinceMs > l.softSeconds * 1000) return true;
  } else state.softSinceMs = 0;
  return false;
}
