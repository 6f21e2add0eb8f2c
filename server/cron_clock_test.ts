import assert from "node:assert/strict";
import { CRON_CLOCK_MAX_TIMERS, CronClock, serverCronSchedule } from "./cron_clock.ts";

function clockAt(): { clock: CronClock; set(ms: number): void } {
  let now = 1000;
  return { clock: new CronClock(() => now, 100), set: (ms) => now = ms };
}

Deno.test("cron clock: a timer runs at the first tick at or after its due time", () => {
  const { clock, set } = clockAt();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("a"), 100); // due at 1100
  set(1040);
  clock.run();
  assert.deepEqual(ran, []);
  set(1130);
  clock.run();
  assert.deepEqual(ran, ["a"]);
  set(1230);
  clock.run();
  assert.deepEqual(ran, ["a"], "runs once");
  assert.equal(clock.size, 0);
});

Deno.test("cron clock: a tick that ends up to half a period early still runs the timer", () => {
  const { clock, set } = clockAt();
  let ran = 0;
  clock.setTimeout(() => ran++, 100); // due at 1100
  set(1049);
  clock.run();
  assert.equal(ran, 0, "more than half a period early");
  set(1050);
  clock.run();
  assert.equal(ran, 1, "half a period early");
});

Deno.test("cron clock: due timers run in due order, ties in the order they were set", () => {
  const { clock, set } = clockAt();
  const ran: string[] = [];
  clock.setTimeout(() => ran.push("late"), 80);
  clock.setTimeout(() => ran.push("first"), 10);
  clock.setTimeout(() => ran.push("second"), 10);
  clock.setTimeout(() => ran.push("zero"), 0);
  set(1100);
  clock.run();
  assert.deepEqual(ran, ["zero", "first", "second", "late"]);
});

Deno.test("cron clock: cleared timers do not run, also when cleared by a timer of the same tick", () => {
  const { clock, set } = clockAt();
  const ran: string[] = [];
  const a = clock.setTimeout(() => ran.push("a"), 10);
  let c = 0;
  clock.setTimeout(() => {
    ran.push("b");
    clock.clearTimeout(c);
  }, 20);
  c = clock.setTimeout(() => ran.push("c"), 30);
  clock.clearTimeout(a);
  set(1100);
  clock.run();
  assert.deepEqual(ran, ["b"]);
  assert.equal(clock.size, 0);
});

Deno.test("cron clock: a timer set by a timer waits for the next tick (a cron re-arming itself)", () => {
  const { clock, set } = clockAt();
  let ticks = 0;
  const cron = () => {
    ticks++;
    clock.setTimeout(cron, 100);
  };
  clock.setTimeout(cron, 100);
  for (let t = 1100; t <= 1500; t += 100) {
    set(t + 3); // each tick a little after the period, as a fixed-delay ticker runs
    clock.run();
  }
  assert.equal(ticks, 5, "one cron run per tick");
  assert.equal(clock.size, 1);
});

Deno.test("cron clock: pending timers are bounded", () => {
  const { clock } = clockAt();
  for (let i = 0; i < CRON_CLOCK_MAX_TIMERS; i++) clock.setTimeout(() => {}, 100);
  assert.throws(() => clock.setTimeout(() => {}, 100), /more than 64 timers/);
});

Deno.test("serverCron schedule: one ticker; active expiry hz times a second, the 100 ms work every 100 ms", () => {
  // hz 10 (the default): both every tick.
  assert.deepEqual(serverCronSchedule(10), { tickMs: 100, ticksPerExpiry: 1, ticksPer100Ms: 1 });
  // Above: ticks of 1000 / hz, the 100 ms work every (100 / tick)th (run_with_period(100)).
  assert.deepEqual(serverCronSchedule(100), { tickMs: 10, ticksPerExpiry: 1, ticksPer100Ms: 10 });
  assert.deepEqual(serverCronSchedule(500), { tickMs: 2, ticksPerExpiry: 1, ticksPer100Ms: 50 });
  assert.deepEqual(serverCronSchedule(9999), serverCronSchedule(500), "clamped to 500");
  // Below: the ticker keeps 100 ms (the AOF's writes and the cluster cron do not slow down), the
  // active expiry every (1000 / hz / 100)th tick.
  assert.deepEqual(serverCronSchedule(1), { tickMs: 100, ticksPerExpiry: 10, ticksPer100Ms: 1 });
  assert.deepEqual(serverCronSchedule(5), { tickMs: 100, ticksPerExpiry: 2, ticksPer100Ms: 1 });
  assert.deepEqual(serverCronSchedule(0), serverCronSchedule(1), "clamped to 1");
});
