/**
 * A periodic callback for the node's crons (Redis's serverCron and replicationCron run from ae's
 * timer), without Deno's timers: in Deno 2.9.6 the first `setTimeout` or `setInterval` of a
 * process, even one that never fires, costs it 2.6-3.2 MiB of RSS (measured, issue 18: a
 * five-line TCP listener idles at 31.4 MiB, 34.0-35.2 MiB once it has armed one timer), and an
 * idle node's crons were its only timers. `Atomics.waitAsync` with a time limit, on a cell of
 * its own that only `stop` notifies, waits as a timer does at a fraction of that (~0.9 MiB).
 *
 * Fixed delay, as ae's timers: the next wait starts when the callback returns. A callback that
 * throws ends the ticker with an unhandled rejection, which stops the process as an exception in
 * a `setInterval` callback would. Like an unref'd timer, a ticker does not keep the process
 * alive by itself (Deno's event loop does not count the wait): a node's listeners do.
 */

export interface Ticker {
  /** No call after this one returns (a wait in progress is woken and ends). */
  stop(): void;
}

/** Call `fn` every `periodMs` (after each call returns) until `stop()`. */
export function every(periodMs: number, fn: () => void): Ticker {
  const cell = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      // Never notified but by stop(): each wait ends at its time limit.
      const wait = Atomics.waitAsync(cell, 0, 0, periodMs);
      if (wait.async) await wait.value;
      if (stopped) return;
      fn();
    }
  };
  void loop();
  return {
    stop() {
      stopped = true;
      Atomics.notify(cell, 0);
    },
  };
}
