/**
 * The server's cron tick: how one ticker serves serverCron's periods (`serverCronSchedule`), and
 * timers that run on its 100 ms tick instead of waking the process themselves (`CronClock`). Redis
 * runs clusterCron from serverCron (server.c `run_with_period(100) { if (server.cluster_enabled)
 * clusterCron(); }`): one timer event serves both. Here the cluster actors' clock (XState's
 * `clock` option; the supervisor's cron ticker, actors/supervisor.ts `cronTicker`, sets its timer
 * there) is a `CronClock` that the server's 100 ms ticker runs, so an idle cluster node wakes up
 * once a tick, not twice.
 *
 * An idle process pays for every wakeup: a Deno process whose only work is a 10 Hz ticker with an
 * empty callback uses ~0.23% of a core here, one with no timer ~0.03% (measured, issue 18).
 *
 * A timer runs in the first `run()` at or after its due time, less half a period (a tick's wait
 * can end a little early; without the slack such a tick would leave a 100 ms timer to the next
 * one, 200 ms late). Delays shorter than the period therefore round up to the next tick, as
 * Redis's cluster timers do (they are all checked in clusterCron). Timers due in one `run()` run
 * in due order, ties in the order they were set; a timer set while `run()` runs waits for the
 * next tick.
 */

/** serverCron's `run_with_period(100)` (clusterCron's among it). */
export const SERVER_CRON_PERIOD_MS = 100;

/** How serverCron's one ticker serves both of its periods (`serverCronSchedule`). */
export interface ServerCronSchedule {
  /** The ticker's period: the shorter of 1000 / hz and 100 ms. */
  tickMs: number;
  /** The active expiry runs every this many ticks (1000 / hz apart). */
  ticksPerExpiry: number;
  /** The 100 ms work (the cron clock's timers among it) runs every this many ticks. */
  ticksPer100Ms: number;
}

/**
 * One ticker for serverCron at `hz` (clamped to 1..500, as the server reads it): at hz 10 both
 * periods are every tick; above, the 100 ms work every (100 / tick)th tick, as Redis's
 * `run_with_period(100)`; below, the active expiry every (1000 / hz / 100)th tick while the 100 ms
 * work keeps its 100 ms (Redis would run it only hz times a second; the AOF's writes and fsyncs
 * and the cluster cron here do not slow down with hz).
 */
export function serverCronSchedule(hz: number): ServerCronSchedule {
  const expireEveryMs = 1000 / Math.max(1, Math.min(500, hz));
  const tickMs = Math.min(expireEveryMs, SERVER_CRON_PERIOD_MS);
  return {
    tickMs,
    ticksPerExpiry: Math.max(1, Math.round(expireEveryMs / tickMs)),
    ticksPer100Ms: Math.max(1, Math.round(SERVER_CRON_PERIOD_MS / tickMs)),
  };
}

/** At most this many timers pending: the cluster's actors keep one (the supervisor's cron). */
export const CRON_CLOCK_MAX_TIMERS = 64;

interface Timer {
  id: number;
  dueMs: number;
  fn: () => void;
}

export class CronClock {
  readonly #timers = new Map<number, Timer>();
  #nextId = 1;

  constructor(
    /** A monotonic clock in ms (performance.now in production). */
    private readonly nowMs: () => number,
    /** The period of the tick that calls `run()`. */
    readonly periodMs: number,
  ) {}

  /** Pending timers. */
  get size(): number {
    return this.#timers.size;
  }

  /** Run `fn` at the first tick at least `timeoutMs` from now (less half a period). */
  setTimeout(fn: () => void, timeoutMs: number): number {
    if (this.#timers.size >= CRON_CLOCK_MAX_TIMERS) {
      throw new Error(`CronClock: more than ${CRON_CLOCK_MAX_TIMERS} timers pending`);
    }
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueMs: this.nowMs() + Math.max(0, timeoutMs), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    this.#timers.delete(id as number);
  }

  /** The tick: run the timers due by now plus half a period. */
  run(): void {
    if (this.#timers.size === 0) return;
    const limitMs = this.nowMs() + this.periodMs / 2;
    const due: Timer[] = [];
    for (const t of this.#timers.values()) if (t.dueMs <= limitMs) due.push(t);
    due.sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
    for (const t of due) {
      // A timer an earlier one cleared does not run.
      if (!this.#timers.delete(t.id)) continue;
      t.fn();
    }
  }
}
