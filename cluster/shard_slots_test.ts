import assert from "node:assert/strict";
import { slotsLeavingMyShard } from "./shard_slots.ts";
import { assignSlots, type ClusterState, createState } from "./state.ts";

function withOwners(s: ClusterState, owners: Record<number, string | null>): ClusterState {
  const slotOwner = s.slotOwner.slice();
  for (const [j, id] of Object.entries(owners)) slotOwner[Number(j)] = id;
  return { ...s, slotOwner };
}

Deno.test("slotsLeavingMyShard: slots my shard's master lost, to anyone or to nobody", () => {
  const me = "a".repeat(40);
  const base = assignSlots(createState(me, 0), me, [1, 2, 3]);
  assert.deepEqual([...slotsLeavingMyShard(base, base)], []);
  const next = withOwners(base, { 1: "b".repeat(40), 2: null, 5: "c".repeat(40) });
  assert.deepEqual([...slotsLeavingMyShard(base, next)].sort(), [1, 2]);
});

Deno.test("slotsLeavingMyShard: a replica follows its master's slots", () => {
  const me = "a".repeat(40);
  const master = "m".repeat(40);
  const s0 = createState(me, 0);
  const mine = s0.nodes.get(me)!;
  const prev: ClusterState = withOwners(
    { ...s0, nodes: new Map([[me, { ...mine, masterId: master }]]) },
    { 7: master, 8: "x".repeat(40) },
  );
  // Promotion: the slot moves from my master to myself; the other slot moving is not my shard's.
  const next = withOwners(prev, { 7: me, 8: "y".repeat(40) });
  assert.deepEqual([...slotsLeavingMyShard(prev, next)], [7]);
});
