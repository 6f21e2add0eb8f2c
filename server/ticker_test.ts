/**
 * server/ticker.ts: calls at a fixed delay, none after stop(), also from inside a call. A ticker
 * does not keep the event loop alive (a node's listeners do): each test holds a timer of its own
 * meanwhile, as the node holds its listeners.
 */

import assert from "node:assert/strict";
import { every } from "./ticker.ts";

Deno.test("ticker: calls every periodMs after the previous call, none after stop()", async () => {
  const keepAlive = setTimeout(() => {}, 60_000);
  const periodMs = 20;
  const at: number[] = [];
  const { promise: fifth, resolve } = Promise.withResolvers<void>();
  const t = every(periodMs, () => {
    at.push(performance.now());
    if (at.length === 5) {
      t.stop();
      resolve();
    }
  });
  await fifth;
  // Each wait is a full period (a timer may end up to 1 ms early on a coarse clock).
  for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= periodMs - 1, String(at));
  // Three more periods, measured by a ticker of their own: no call after stop().
  const { promise: later, resolve: done } = Promise.withResolvers<void>();
  let n = 0;
  const probe = every(periodMs, () => {
    if (++n === 3) {
      probe.stop();
      done();
    }
  });
  await later;
  clearTimeout(keepAlive);
  assert.equal(at.length, 5);
});

Deno.test("ticker: stop() before the first period ends means no call at all", async () => {
  const keepAlive = setTimeout(() => {}, 60_000);
  let calls = 0;
  const t = every(10, () => calls++);
  t.stop();
  const { promise, resolve } = Promise.withResolvers<void>();
  const probe = every(30, () => {
    probe.stop();
    resolve();
  });
  await promise;
  clearTimeout(keepAlive);
  assert.equal(calls, 0);
});
