import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { monotonicClockSource, monotonicMs } from "./monotonic_clock.ts";

Deno.test("monotonic clock: clock_gettime through FFI on Linux with -A (the tests' permissions)", () => {
  if (Deno.build.os !== "linux") return;
  assert.equal(monotonicClockSource, "clock_gettime");
});

Deno.test("monotonic clock: never goes back", () => {
  let last = monotonicMs();
  for (let i = 0; i < 100_000; i++) {
    const now = monotonicMs();
    assert.ok(now >= last, `${now} after ${last}`);
    last = now;
  }
});

Deno.test("monotonic clock: on performance.now()'s scale, in milliseconds, with fractions of a millisecond", async () => {
  const m0 = monotonicMs();
  const p0 = performance.now();
  // Read side by side: the same instant on both scales, to well within a scheduling hiccup.
  assert.ok(Math.abs(m0 - p0) < 20, `monotonicMs ${m0}, performance.now ${p0}`);
  await sleep(60);
  const m1 = monotonicMs();
  const p1 = performance.now();
  assert.ok(m1 - m0 >= 50, `advanced ${m1 - m0} ms over a 60 ms timer`);
  assert.ok(Math.abs((m1 - m0) - (p1 - p0)) < 20, `${m1 - m0} ms against ${p1 - p0}`);
  // Fractions of a millisecond: a command's duration is kept in microseconds.
  let fractional = false;
  for (let i = 0; i < 1000 && !fractional; i++) fractional = monotonicMs() % 1 !== 0;
  assert.ok(fractional);
});
