import assert from "node:assert/strict";
import { outputLimitsFor, overOutputLimits } from "./output_limits.ts";

Deno.test("outputLimitsFor: each class of the directive, Redis's defaults otherwise", () => {
  const d = "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60";
  assert.deepEqual(outputLimitsFor(d, "pubsub"), {
    hardBytes: 33554432,
    softBytes: 8388608,
    softSeconds: 60,
  });
  assert.deepEqual(outputLimitsFor(d, "normal"), { hardBytes: 0, softBytes: 0, softSeconds: 0 });
  assert.deepEqual(outputLimitsFor("slave 10 5 1", "replica"), {
    hardBytes: 10,
    softBytes: 5,
    softSeconds: 1,
  });
  assert.equal(outputLimitsFor("", "pubsub").hardBytes, 32 * 1024 * 1024);
});

Deno.test("overOutputLimits: hard at once, soft only after its seconds, reset below soft", () => {
  const l = { hardBytes: 100, softBytes: 50, softSeconds: 2 };
  const st = { softSinceMs: 0 };
  assert.equal(overOutputLimits(100, l, st, 0), true);
  assert.equal(overOutputLimits(60, l, st, 1000), false);
  assert.equal(overOutputLimits(60, l, st, 3000), false, "exactly the seconds: not yet");
  assert.equal(overOutputLimits(60, l, st, 3001), true);
  assert.equal(overOutputLimits(10, l, st, 3002), false);
  assert.equal(st.softSinceMs, 0);
  assert.equal(overOutputLimits(1e9, { hardBytes: 0, softBytes: 0, softSeconds: 0 }, st, 0), false);
});
