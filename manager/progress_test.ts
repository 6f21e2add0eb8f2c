import assert from "node:assert/strict";
import { formatDuration, formatRate, Progress, renderBar, renderLine } from "./progress.ts";
import { memoryOut } from "./format.ts";

Deno.test("renderBar: counts, rates, ETA", () => {
  const s = {
    label: "Moving slots",
    unit: "slots",
    done: 100,
    total: 400,
    keys: 2000,
    elapsedMs: 2000,
  };
  assert.equal(
    renderBar(s, 20),
    "Moving slots [#####---------------] 100/400 slots, 2000 keys | 50.0 slots/s, 1.0k keys/s | ETA 6s",
  );
  assert.equal(
    renderBar({ ...s, done: 400, elapsedMs: 65_000 }, 10),
    "Moving slots [##########] 400/400 slots, 2000 keys | 6.2 slots/s, 30.8 keys/s | 1m05s",
  );
  assert.equal(
    renderBar({ ...s, keys: -1, done: 0 }, 4),
    "Moving slots [----] 0/400 slots | 0.0 slots/s",
  );
});

Deno.test("renderLine: plain text for pipes", () => {
  const s = { label: "Moving slots", unit: "slots", done: 5, total: 5, keys: 60, elapsedMs: 500 };
  assert.equal(
    renderLine(s),
    "Moving slots: 5/5 slots (100.0%), 60 keys, 10.0 slots/s, 120 keys/s, 1s elapsed",
  );
});

Deno.test("formatRate / formatDuration", () => {
  assert.equal(formatRate(12.34), "12.3");
  assert.equal(formatRate(123.4), "123");
  assert.equal(formatRate(1234), "1.2k");
  assert.equal(formatRate(123456), "123k");
  assert.equal(formatDuration(59_400), "59s");
  assert.equal(formatDuration(3_600_000 + 120_000), "1h02m");
});

Deno.test("Progress: piped output is rate-limited lines plus a final line", () => {
  let now = 0;
  const out = memoryOut();
  const p = new Progress(out, "Moving slots", 10, { now: () => now, lineEveryMs: 1000 });
  for (let i = 0; i < 10; i++) {
    now += 300;
    p.add(1, 2);
  }
  p.finish();
  p.finish();
  const lines = out.text().trim().split("\n");
  // at 1200 ms, 2400 ms, and the final line at 3000 ms.
  assert.equal(lines.length, 3, out.text());
  assert.equal(
    lines[2],
    "Moving slots: 10/10 slots (100.0%), 20 keys, 3.3 slots/s, 6.7 keys/s, 3s elapsed",
  );
});
