import assert from "node:assert/strict";
import { type DoctorCounts, memoryDoctorReport, type MemoryOverhead } from "./memory_overhead.ts";

const MIB = 1024 * 1024;

/** A node 100 MiB past its start with nothing wrong. */
function healthy(over: Partial<MemoryOverhead> = {}): MemoryOverhead {
  return {
    peakAllocated: 190 * MIB,
    totalAllocated: 190 * MIB,
    startupAllocated: 90 * MIB,
    clientsNormal: 0,
    clientsSlaves: 0,
    totalFrag: 1.05,
    totalFragBytes: 5 * MIB,
    allocatorFrag: 1,
    allocatorFragBytes: 0,
    allocatorRss: 1,
    allocatorRssBytes: 0,
    rssExtra: 1,
    rssExtraBytes: 0,
    ...over,
  } as MemoryOverhead;
}

const counts: DoctorCounts = { clients: 1, replicas: 0, cachedScripts: 0 };

/** The titles of the report's paragraphs. */
function titles(s: string): string[] {
  return [...s.matchAll(/^ \* ([^:]+):/gm)].map((m) => m[1]);
}

Deno.test("memory doctor: empty is judged on what came after start", () => {
  const empty = memoryDoctorReport(
    healthy({ totalAllocated: 90 * MIB + 5 * MIB - 1, peakAllocated: 900 * MIB }),
    counts,
  );
  assert.ok(empty.startsWith("Hi Sam, this instance is empty"), empty);
  const fine = memoryDoctorReport(
    healthy({ totalAllocated: 95 * MIB, peakAllocated: 95 * MIB }),
    counts,
  );
  assert.ok(fine.startsWith("Hi Sam, I can't find any memory issue"), fine);
});

Deno.test("memory doctor: each test's threshold, paragraphs in Redis's order", () => {
  const cases: [Partial<MemoryOverhead>, Partial<DoctorCounts>, string[]][] = [
    [{ peakAllocated: 286 * MIB }, {}, ["Peak memory"]], // 286/190 > 1.5
    [{ peakAllocated: 285 * MIB }, {}, []], // exactly 1.5
    [{ totalFrag: 1.41, totalFragBytes: 11 * MIB }, {}, ["High total RSS"]],
    [{ totalFrag: 1.41, totalFragBytes: 10 * MIB }, {}, []],
    [{ allocatorFrag: 1.2, allocatorFragBytes: 11 * MIB }, {}, ["High allocator fragmentation"]],
    [{ allocatorRss: 1.2, allocatorRssBytes: 11 * MIB }, {}, ["High allocator RSS overhead"]],
    [{ rssExtra: 1.2, rssExtraBytes: 11 * MIB }, {}, ["High process RSS overhead"]],
    [{ rssExtra: 1.1, rssExtraBytes: 11 * MIB }, {}, []],
    [{ clientsNormal: 2 * 200 * 1024 + 2 }, { clients: 2 }, ["Big client buffers"]],
    [{ clientsNormal: 2 * 200 * 1024 + 1 }, { clients: 2 }, []],
    [{ clientsSlaves: 10 * MIB + 1 }, { clients: 2, replicas: 1 }, ["Big replica buffers"]],
    [{ clientsSlaves: 10 * MIB + 1 }, { clients: 2, replicas: 0 }, []],
    [{}, { cachedScripts: 1001 }, ["Many scripts"]],
    [{}, { cachedScripts: 1000 }, []],
    [
      { peakAllocated: 400 * MIB, clientsNormal: 1 * MIB, clientsSlaves: 20 * MIB },
      { clients: 3, replicas: 1, cachedScripts: 2000 },
      ["Peak memory", "Big replica buffers", "Big client buffers", "Many scripts"],
    ],
  ];
  for (const [over, c, want] of cases) {
    const s = memoryDoctorReport(healthy(over), { ...counts, ...c });
    assert.deepEqual(titles(s), want, JSON.stringify([over, c]));
    if (want.length === 0) assert.ok(s.startsWith("Hi Sam, I can't find"), s);
    else {
      assert.ok(s.startsWith("Sam, I detected a few issues"), s);
      assert.ok(s.endsWith("\n\nI'm here to keep you safe, Sam. I want to help you.\n"), s);
    }
  }
  // No client but replicas: no division by zero.
  const s = memoryDoctorReport(healthy({ clientsNormal: 1 }), { ...counts, clients: 0 });
  assert.ok(s.startsWith("Hi Sam, I can't find"), s);
});
