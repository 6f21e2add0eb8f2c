import assert from "node:assert/strict";
import { CHECK_EVERY_BYTES, GARBAGE_RATIO, ProcessMemoryGuard } from "./process_memory.ts";
import { loadFullGc } from "./full_gc.ts";

const MiB = 2 ** 20;

/** A fake process: JS memory grows with requests; a collection frees what is not live. */
function fake(liveBytes: number, rssOverJs: number) {
  const s = { js: liveBytes, gcs: 0 };
  const guard = new ProcessMemoryGuard({
    memory: () => ({ rss: s.js + rssOverJs, js: s.js }),
    fullGc: () => {
      s.gcs++;
      s.js = liveBytes;
    },
    clockMs: () => 0,
  });
  return { s, guard };
}

Deno.test("the garbage stays within GARBAGE_RATIO x maxmemory (+ one check) when over the limit", () => {
  const limit = 100 * MiB;
  const { s, guard } = fake(60 * MiB, 40 * MiB); // RSS at the limit from the start
  let peak = 0;
  for (let i = 0; i < 100_000; i++) {
    s.js += 4000; // every request leaves its value as garbage
    guard.noteRequest(4000, limit);
    peak = Math.max(peak, s.js - 60 * MiB);
  }
  assert.ok(s.gcs > 0);
  assert.ok(peak <= limit * GARBAGE_RATIO + 2 * CHECK_EVERY_BYTES, `garbage peak ${peak}`);
  assert.equal(guard.collections, s.gcs);
});

Deno.test("no collection while RSS is under maxmemory, nor without a limit", () => {
  const { s, guard } = fake(10 * MiB, 10 * MiB);
  for (let i = 0; i < 10_000; i++) {
    s.js += 4000;
    if (s.js > 70 * MiB) s.js = 10 * MiB; // V8 collects on its own
    guard.noteRequest(4000, 100 * MiB);
    guard.noteRequest(4000, 0);
  }
  assert.equal(s.gcs, 0);
});

Deno.test("live data over the limit: a collection per GARBAGE_RATIO of growth, not per check", () => {
  const limit = 100 * MiB;
  const s = { js: 150 * MiB, gcs: 0 };
  const guard = new ProcessMemoryGuard({
    memory: () => ({ rss: s.js + 50 * MiB, js: s.js }),
    fullGc: () => void s.gcs++, // frees nothing: it is all live
    clockMs: () => 0,
  });
  const total = 200 * MiB;
  for (let n = 0; n < total; n += 4000) {
    s.js += 4000;
    guard.noteRequest(4000, limit);
  }
  assert.ok(s.gcs <= total / (limit * GARBAGE_RATIO) + 1, `collections ${s.gcs}`);
});

Deno.test("V8's full collection is reachable at run time", () => {
  const gc = loadFullGc();
  assert.ok(gc !== null);
  gc();
});
