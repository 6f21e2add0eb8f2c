/**
 * The world's simulated clock: xstate's `SimulatedClock` shape (`now`, `set`, `increment`,
 * `setTimeout`, `clearTimeout`), its timers in a binary heap. xstate's clock sorts every pending
 * timer at each flush and again after every timer that sets or clears one, which is quadratic in
 * the number of timers: at 1,000 nodes (a cron and link timers per node) it was most of the
 * simulator's time. Timers run in the order they come due; two due at the same ms run in the
 * order they were set (as xstate's stable sort gives them). A timer set while the clock flushes
 * runs in the same flush when it is already due.
 */

interface Timer {
  id: number;
  atMs: number;
  fn: () => void;
  cancelled: boolean;
}

export class HeapClock {
  private nowMs = 0;
  private nextId = 0;
  private readonly heap: Timer[] = [];
  private readonly live = new Map<number, Timer>();

  now(): number {
    return this.nowMs;
  }

  /** Timers set and not yet run or cleared. */
  get pending(): number {
    return this.live.size;
  }

  // deno-lint-ignore no-explicit-any
  setTimeout(fn: (...args: any[]) => void, timeoutMs: number): number {
    const t: Timer = {
      id: this.nextId++,
      atMs: this.nowMs + Math.max(0, timeoutMs),
      fn: fn as () => void,
      cancelled: false,
    };
    this.live.set(t.id, t);
    this.push(t);
    return t.id;
  }

  clearTimeout(id: number): void {
    const t = this.live.get(id);
    if (t === undefined) return;
    t.cancelled = true;
    this.live.delete(id);
    // Cleared timers stay in the heap until they surface: rebuild when they are most of it.
    if (this.heap.length > 1024 && this.heap.length > 2 * this.live.size) this.compact();
  }

  private compact(): void {
    const kept = this.heap.filter((t) => !t.cancelled);
    this.heap.length = 0;
    for (const t of kept) this.push(t);
  }

  /** Move to `timeMs` (never back) and run every timer due by then. */
  set(timeMs: number): void {
    if (timeMs < this.nowMs) throw new Error("Unable to travel back in time");
    this.nowMs = timeMs;
    this.flush();
  }

  increment(ms: number): void {
    this.set(this.nowMs + ms);
  }

  private flush(): void {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0];
      if (!top.cancelled && top.atMs > this.nowMs) break;
      this.pop();
      if (top.cancelled) continue;
      this.live.delete(top.id);
      top.fn();
    }
  }

  private static before(a: Timer, b: Timer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.id < b.id);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let k = h.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!HeapClock.before(h[k], h[p])) break;
      [h[k], h[p]] = [h[p], h[k]];
      k = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < h.length && HeapClock.before(h[l], h[m])) m = l;
      if (r < h.length && HeapClock.before(h[r], h[m])) m = r;
      if (m === k) break;
      [h[k], h[m]] = [h[m], h[k]];
      k = m;
    }
  }
}
