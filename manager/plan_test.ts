import assert from "node:assert/strict";
import { computeReshardTable, planRebalance } from "./plan.ts";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

Deno.test("computeReshardTable: one source gives its lowest slots", () => {
  const t = computeReshardTable([{ id: "A", slots: range(0, 5460) }], 5);
  assert.deepEqual(t, [0, 1, 2, 3, 4].map((slot) => ({ source: "A", slot })));
});

Deno.test("computeReshardTable: shares by slot count, biggest first, rounded like redis-cli", () => {
  const t = computeReshardTable([
    { id: "B", slots: range(5461, 10922) }, // 5462
    { id: "C", slots: range(10923, 16383) }, // 5461
  ], 100);
  // B: ceil(100/10923*5462) = 51; C: floor(100/10923*5461) = 49.
  assert.equal(t.filter((x) => x.source === "B").length, 51);
  assert.equal(t.filter((x) => x.source === "C").length, 49);
  assert.equal(t[0].slot, 5461);
  assert.equal(t[51].slot, 10923);
  // Same as redis-cli's output above: 4 slots from three sources of 4096/4096/4086.
  const t2 = computeReshardTable([
    { id: "X", slots: range(12288, 16383) },
    { id: "Y", slots: range(6827, 10922) },
    { id: "Z", slots: [...range(10, 1364), ...range(5461, 6826), ...range(10923, 12287)] },
  ], 4);
  assert.deepEqual(t2, [
    { source: "X", slot: 12288 },
    { source: "X", slot: 12289 },
    { source: "Y", slot: 6827 },
    { source: "Z", slot: 10 },
  ]);
  assert.deepEqual(computeReshardTable([], 5), []);
});

Deno.test("planRebalance: a new empty master needs --use-empty-masters", () => {
  const masters = [
    { id: "A", slotsCount: 5461, weight: 1 },
    { id: "B", slotsCount: 5462, weight: 1 },
    { id: "C", slotsCount: 5461, weight: 1 },
    { id: "D", slotsCount: 0, weight: 1 },
  ];
  assert.deepEqual(planRebalance(masters, { useEmptyMasters: false, thresholdPct: 2 }), {
    kind: "balanced",
    reason: "threshold",
  });
  const plan = planRebalance(masters, { useEmptyMasters: true, thresholdPct: 2 });
  assert.equal(plan.kind, "moves");
  if (plan.kind !== "moves") return;
  assert.equal(plan.nodesInvolved, 4);
  assert.equal(plan.totalWeight, 4);
  // As redis-cli printed it: 1366 from B, 1365 from C, 1365 from A, all to D.
  assert.deepEqual(plan.moves, [
    { from: "B", to: "D", count: 1366 },
    { from: "C", to: "D", count: 1365 },
    { from: "A", to: "D", count: 1365 },
  ]);
});

Deno.test("planRebalance: within threshold, weights, fewer than two nodes", () => {
  const even = [
    { id: "A", slotsCount: 5461, weight: 1 },
    { id: "B", slotsCount: 5462, weight: 1 },
    { id: "C", slotsCount: 5461, weight: 1 },
  ];
  assert.equal(planRebalance(even, { useEmptyMasters: false, thresholdPct: 2 }).kind, "balanced");
  const weighted = planRebalance(even.map((m) => m.id === "A" ? { ...m, weight: 2 } : m), {
    useEmptyMasters: false,
    thresholdPct: 2,
  });
  assert.equal(weighted.kind, "moves");
  if (weighted.kind === "moves") {
    const toA = weighted.moves.filter((m) => m.to === "A").reduce((n, m) => n + m.count, 0);
    assert.equal(toA, 8192 - 5461);
    for (const m of weighted.moves) assert.notEqual(m.from, "A");
  }
  assert.deepEqual(planRebalance([even[0]], { useEmptyMasters: true, thresholdPct: 2 }), {
    kind: "balanced",
    reason: "few-nodes",
  });
  // Weight 0 empties a node.
  const drain = planRebalance(even.map((m) => m.id === "C" ? { ...m, weight: 0 } : m), {
    useEmptyMasters: false,
    thresholdPct: 2,
  });
  assert.equal(drain.kind, "moves");
  if (drain.kind === "moves") {
    assert.ok(drain.moves.every((m) => m.from === "C"));
    assert.equal(drain.moves.reduce((n, m) => n + m.count, 0), 5461);
  }
});
