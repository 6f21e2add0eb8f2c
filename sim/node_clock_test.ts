import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import { NodeClock } from "./node_clock.ts";

Deno.test("node clock: frozen timers are held and run on thaw, in due order; cleared ones never", () => {
  const base = new SimulatedClock();
  const c = new NodeClock(base);
  const ran: string[] = [];
  c.setTimeout(() => ran.push(`a@${c.now()}`), 10);
  c.freeze();
  const b = c.setTimeout(() => ran.push("b"), 20);
  c.setTimeout(() => ran.push(`c@${c.now()}`), 30);
  c.setTimeout(() => ran.push(`d@${c.now()}`), 500);
  base.increment(10);
  assert.deepEqual([...ran], [], "nothing runs while frozen");
  base.increment(90);
  c.clearTimeout(b); // held, then cleared before the thaw
  c.thaw();
  assert.deepEqual([...ran], ["a@100", "c@100"], "overdue timers run at the thaw, time has jumped");
  base.increment(400);
  assert.deepEqual([...ran], ["a@100", "c@100", "d@500"], "later timers run when due");
  c.setTimeout(() => ran.push("e"), 10);
  c.clear();
  base.increment(100);
  assert.equal(ran.length, 3, "clear drops pending timers");
});

Deno.test("node clock: a forward jump moves now() and leaves the timers' delays alone", () => {
  const base = new SimulatedClock();
  const c = new NodeClock(base);
  const ran: number[] = [];
  c.setTimeout(() => ran.push(base.now()), 100);
  c.jump(250);
  assert.equal(c.now(), 250);
  base.increment(100);
  assert.deepEqual([...ran], [100]);
  assert.equal(c.now(), 350);
  assert.throws(() => c.jump(-1), /only forward/);
});
