import assert from "node:assert/strict";
import { HeapClock } from "./heap_clock.ts";

Deno.test("heap clock: timers run in the order they come due, ties in the order they were set", () => {
  const c = new HeapClock();
  c.set(1000);
  const ran: string[] = [];
  c.setTimeout(() => ran.push("b@20"), 20);
  c.setTimeout(() => ran.push("a@10"), 10);
  c.setTimeout(() => ran.push("c@20"), 20);
  const gone = c.setTimeout(() => ran.push("cleared"), 15);
  c.clearTimeout(gone);
  c.increment(9);
  assert.deepEqual(ran, []);
  c.increment(1);
  assert.deepEqual(ran, ["a@10"]);
  assert.equal(c.now(), 1010);
  c.increment(100);
  assert.deepEqual(ran, ["a@10", "b@20", "c@20"]);
  assert.equal(c.pending, 0);
});

Deno.test("heap clock: a timer set by a timer runs in the same flush when it is already due", () => {
  const c = new HeapClock();
  const ran: number[] = [];
  c.setTimeout(() => {
    ran.push(c.now());
    c.setTimeout(() => ran.push(c.now()), 0);
    c.setTimeout(() => ran.push(-1), 50);
  }, 5);
  c.increment(10);
  assert.deepEqual(ran, [10, 10]);
  assert.throws(() => c.set(5), /back in time/);
  c.increment(100);
  assert.deepEqual(ran, [10, 10, -1]);
});

Deno.test("heap clock: many cleared timers do not pile up", () => {
  const c = new HeapClock();
  let ran = 0;
  for (let k = 0; k < 10_000; k++) c.clearTimeout(c.setTimeout(() => ran++, 1000 + k));
  c.setTimeout(() => ran++, 5);
  assert.equal(c.pending, 1);
  c.increment(20_000);
  assert.equal(ran, 1);
});
