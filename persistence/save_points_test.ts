import assert from "node:assert/strict";
import { BGSAVE_RETRY_DELAY_MS, duePoint, parseSavePoints } from "./save_points.ts";

Deno.test("save points parse as pairs; empty means none", () => {
  assert.deepEqual(parseSavePoints("3600 1 300 100"), [
    { seconds: 3600, changes: 1 },
    { seconds: 300, changes: 100 },
  ]);
  assert.deepEqual(parseSavePoints(""), []);
});

Deno.test("a point is due after enough changes and strictly more than its seconds", () => {
  const points = parseSavePoints("60 10 5 1000");
  const s = { dirty: 10, lastSaveMs: 0, lastTryMs: 0, lastStatusOk: true };
  assert.equal(duePoint(points, s, 60_000), null); // not strictly more than 60 s
  assert.deepEqual(duePoint(points, s, 60_001), { seconds: 60, changes: 10 });
  assert.equal(duePoint(points, { ...s, dirty: 9 }, 120_000), null);
  assert.deepEqual(duePoint(points, { ...s, dirty: 1000 }, 5_001), { seconds: 5, changes: 1000 });
});

Deno.test("after a failed save the next try waits the retry delay", () => {
  const points = parseSavePoints("1 1");
  const s = { dirty: 5, lastSaveMs: 0, lastTryMs: 10_000, lastStatusOk: false };
  assert.equal(duePoint(points, s, 10_000 + BGSAVE_RETRY_DELAY_MS), null);
  assert.notEqual(duePoint(points, s, 10_001 + BGSAVE_RETRY_DELAY_MS), null);
  assert.notEqual(duePoint(points, { ...s, lastStatusOk: true }, 10_001), null);
});
