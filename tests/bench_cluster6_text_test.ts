/**
 * bench/cluster6.ts: redis-benchmark's cluster mode is threaded and ends on a 250 ms timer, so a
 * deeper pipeline runs as many times more requests, a test whose Redis run was short runs again
 * with more, and each row shows both runs' times.
 */

import assert from "node:assert/strict";
import { cluster6Requests, cluster6Text, lengthenedRequests } from "../bench/cluster6.ts";

Deno.test("cluster6: a run at -P 16 sends 16 times the requests of a run at -P 1", () => {
  assert.equal(cluster6Requests(100_000, 1), 100_000);
  assert.equal(cluster6Requests(100_000, 16), 1_600_000);
});

Deno.test("cluster6: a run shorter than the minimum is lengthened to it at Redis's rate", () => {
  // 100,000 at 80,000/s took 1.25 s: 5 s at that rate is 400,000.
  assert.equal(lengthenedRequests(100_000, 80_000, 5), 400_000);
  // Rounded up to a thousand.
  assert.equal(lengthenedRequests(100_000, 79_851.3, 5), 400_000);
  assert.equal(lengthenedRequests(100_000, 79_700, 5), 399_000);
  // Long enough already, or no rate (the run failed): unchanged.
  assert.equal(lengthenedRequests(1_600_000, 300_000, 5), 1_600_000);
  assert.equal(lengthenedRequests(100_000, 20_000, 5), 100_000);
  assert.equal(lengthenedRequests(100_000, 0, 5), 100_000);
  assert.equal(lengthenedRequests(100_000, NaN, 5), 100_000);
});

Deno.test("cluster6: each row shows how long each side's run took", () => {
  const text = cluster6Text({
    nodes: 6,
    requests: 100_000,
    clients: 50,
    minRunSeconds: 5,
    rows: [
      { pipeline: 1, requests: 100_000, test: "SET", redis: 40_000, ours: 25_000, ratio: 0.625 },
      { pipeline: 16, requests: 1_600_000, test: "GET", redis: 400_000, ours: 0, ratio: 0 },
    ],
  });
  const lines = text.split("\n");
  assert.match(lines.find((l) => l.startsWith("SET"))!, /\s0\.63\s+2\.50\s+4\.00$/);
  assert.match(lines.find((l) => l.startsWith("GET"))!, /\s0\.00\s+4\.00\s+-$/);
  assert.match(text, /rounded up to 250 ms/);
  assert.match(text, /-n 100000 x P \(or more, for 5 s of Redis's run\)/);
});
