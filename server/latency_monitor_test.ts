/** server/latency_monitor.ts: samples per second, the ring, RESET, and GRAPH's sparkline. */

import assert from "node:assert/strict";
import { LATENCY_TS_LEN, LatencyMonitor, sparklineRender } from "./latency_monitor.ts";

Deno.test("latency monitor: threshold, one sample per second (the worst), all-time max", () => {
  const m = new LatencyMonitor();
  m.addSampleIfNeeded("command", 500, 100);
  assert.equal(m.events.size, 0, "threshold 0: off");
  m.thresholdMs = 10;
  m.addSampleIfNeeded("command", 9, 100);
  assert.equal(m.events.size, 0, "under the threshold");
  m.addSampleIfNeeded("command", 10, 100);
  m.addSampleIfNeeded("command", 30, 100);
  m.addSampleIfNeeded("command", 20, 100);
  m.addSampleIfNeeded("command", 15, 101);
  const ts = m.events.get("command")!;
  assert.deepEqual(m.history(ts), [{ time: 100, latencyMs: 30 }, { time: 101, latencyMs: 15 }]);
  assert.deepEqual(m.latest(ts), { time: 101, latencyMs: 15 });
  assert.equal(ts.maxMs, 30);
  for (let t = 0; t < LATENCY_TS_LEN + 5; t++) m.addSample("command", 12, 1000 + t);
  const h = m.history(ts);
  assert.equal(h.length, LATENCY_TS_LEN);
  assert.equal(h[0].time, 1005);
  assert.equal(ts.maxMs, 30);
  m.addSample("fork", 50, 2000);
  assert.equal(m.reset("COMMAND"), 1);
  assert.equal(m.reset(null), 1);
  assert.equal(m.events.size, 0);
});

Deno.test("latency monitor: GRAPH and DOCTOR texts as redis-server 7.0.15 printed them", () => {
  const m = new LatencyMonitor();
  m.thresholdMs = 1;
  m.addSample("command", 20, 500);
  const ts = m.events.get("command")!;
  assert.equal(
    m.graph("command", ts, 500),
    "command - high 20 ms, low 20 ms (all time high 20 ms)\n" + "-".repeat(80) + "\n" +
      " \n \n \n_\n \n0\ns\n",
  );
  assert.equal(
    m.doctor({
      nowSec: 500,
      thresholdMs: 1,
      slowlogSlowerThanUs: 10000,
      appendfsyncAlways: false,
      hz: 10,
    })
      .split("\n").slice(0, 3).join("\n"),
    "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n" +
      "1. command: 1 latency spikes (average 20ms, mean deviation 0ms, period 1.00 sec). Worst all time event 20ms.",
  );
  // Rows from the lowest to the highest sample, labels below.
  assert.equal(sparklineRender([0, 6, 12], ["a", "", "c"], 80, 2), " _#\n_||\n   \na c\n");
});
