/**
 * One node's view of the simulated clock, which can be frozen: the process stopped (SIGSTOP, a
 * long GC pause, a VM migration). While frozen, the node's timers that come due are held; on
 * thaw they run at once, in the order they came due, and `now()` has jumped by the time the node
 * was away, exactly what a stopped process sees when it is continued. Its wall clock can also be
 * stepped forward (an NTP correction): `now()` jumps, timers already set keep their delays.
 */

/** The world's clock (sim/heap_clock.ts, or xstate's SimulatedClock). */
export interface BaseClock {
  now(): number;
  // deno-lint-ignore no-explicit-any
  setTimeout(fn: (...args: any[]) => void, timeoutMs: number): any;
  // deno-lint-ignore no-explicit-any
  clearTimeout(id: any): void;
}

interface Timer {
  baseId: number;
  fn: () => void;
}

export class NodeClock {
  private frozen = false;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  /** Timers that came due while frozen, oldest first. */
  private held: number[] = [];
  /** `aheadMs`: how far this machine's wall clock is ahead of the world's. */
  constructor(private readonly base: BaseClock, private aheadMs = 0) {}

  now(): number {
    return this.base.now() + this.aheadMs;
  }

  /** Step the wall clock forward by `ms` (never back: Redis's timers assume it does not). */
  jump(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`clock jump of ${ms} ms: only forward`);
    this.aheadMs += ms;
  }

  // deno-lint-ignore no-explicit-any
  setTimeout(fn: (...args: any[]) => void, timeoutMs: number): number {
    const id = this.nextId++;
    const baseId = this.base.setTimeout(() => {
      if (!this.timers.has(id)) return;
      if (this.frozen) {
        this.held.push(id);
        return;
      }
      this.timers.delete(id);
      fn();
    }, timeoutMs);
    this.timers.set(id, { baseId, fn });
    return id;
  }

  clearTimeout(id: number): void {
    const t = this.timers.get(id);
    if (t === undefined) return;
    this.timers.delete(id);
    this.base.clearTimeout(t.baseId);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Continue: the held timers run now (a timer they set runs when it comes due). */
  thaw(): void {
    this.frozen = false;
    const due = this.held;
    this.held = [];
    for (const id of due) {
      const t = this.timers.get(id);
      if (t === undefined) continue; // cleared by an earlier one
      this.timers.delete(id);
      t.fn();
    }
  }

  /** Drop every timer (the node is gone). */
  clear(): void {
    for (const t of this.timers.values()) this.base.clearTimeout(t.baseId);
    this.timers.clear();
    this.held = [];
  }
}
