/** server/hdr_histogram.ts against values redis-server 7.0.15 printed (INFO latencystats). */

import assert from "node:assert/strict";
import { HdrHistogram } from "./hdr_histogram.ts";

Deno.test("hdr histogram: Redis's bucket bounds and percentiles", () => {
  const h = new HdrHistogram();
  h.record(96_000);
  // latency_percentiles_usec_info:p50=96.255 (one INFO call of ~96 µs).
  assert.equal(h.valueAtPercentile(50), 96_255);
  assert.equal(h.valueAtPercentile(0), 95_744);
  h.record(1_171_000);
  assert.equal(h.valueAtPercentile(100), 1_171_455);
  assert.equal(h.valueAtPercentile(50), 96_255);
  // Below the minimum and above the maximum: clamped (updateCommandLatencyHistogram).
  const c = new HdrHistogram();
  c.record(0);
  c.record(5e9);
  assert.equal(c.totalCount, 2);
  assert.equal(c.valueAtPercentile(0), 1);
  assert.ok(c.valueAtPercentile(100) >= 1e9);
});

Deno.test("hdr histogram: LATENCY HISTOGRAM's cumulative buckets", () => {
  const set = new HdrHistogram();
  set.record(62_207);
  assert.deepEqual(set.cdf(), [[66, 1]]);
  const get = new HdrHistogram();
  get.record(6_000);
  get.record(7_900);
  assert.deepEqual(get.cdf(), [[8, 2]]);
  const cfg = new HdrHistogram();
  cfg.record(164_000);
  assert.deepEqual(cfg.cdf(), [[264, 1]]);
  const mixed = new HdrHistogram();
  for (const v of [900, 1500, 3000, 3000, 40_000, 2_000_000]) mixed.record(v);
  assert.deepEqual(mixed.cdf(), [[1, 1], [2, 2], [4, 4], [66, 5], [2113, 6]]);
  assert.deepEqual(new HdrHistogram().cdf(), []);
});
