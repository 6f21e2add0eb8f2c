import assert from "node:assert/strict";
import { slotsLeavingMyShard } from "./shard_slots.ts";
import { assignSlots, type ClusterState, createState, NodeFlags } from "./state.ts";

function withOwners(s: ClusterState, owners: Record<number, string | null>): ClusterState {
  const changes = Object.entries(owners).map(([j, id]) => [Number(j), id] as const);
  return { ...s, slotOwner: s.slotOwner.withChanges(changes) };
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
    {
      ...s0,
      nodes: new Map([[me, {
        ...mine,
        flags: (mine.flags & ~NodeFlags.MASTER) | NodeFlags.SLAVE,
        masterId: master,
      }]]),
    },
    { 7: master, 8: "x".repeat(40) },
  );
  // My master lost slot 7 to another master; the other slot moving is not my shard's.
  const next = withOwners(prev, { 7: "z".repeat(40), 8: "y".repeat(40) });
  assert.deepEqual([...slotsLeavingMyShard(prev, next)], [7]);
  // Promotion: the slot moves from my master to myself, and stays in my shard (Redis 7.0's
  // clusterFailoverReplaceYourMaster drops myself from my master's replicas first).
  const promoted = withOwners(prev, { 7: me });
  assert.deepEqual([...slotsLeavingMyShard(prev, promoted)], []);
  // The same when the view makes me a master at once (clusterFailoverReplaceYourMaster), and
  // when CLUSTER RESET turns me into a master and unassigns every slot (clusterReset).
  const asMaster = (s: ClusterState): ClusterState => {
    const n = s.nodes.get(me)!;
    const flags = (n.flags & ~NodeFlags.SLAVE) | NodeFlags.MASTER;
    return { ...s, nodes: new Map([[me, { ...n, flags, masterId: null }]]) };
  };
  assert.deepEqual([...slotsLeavingMyShard(prev, asMaster(promoted))], []);
  const reset = asMaster(withOwners(prev, { 7: null, 8: null }));
  assert.deepEqual([...slotsLeavingMyShard(prev, reset)], []);
});

Deno.test("slotsLeavingMyShard: a master whose replica is promoted loses its slots", () => {
  const me = "a".repeat(40);
  const replica = "r".repeat(40);
  const prev = assignSlots(createState(me, 0), me, [1, 2]);
  const next = withOwners(prev, { 1: replica, 2: replica });
  assert.deepEqual([...slotsLeavingMyShard(prev, next)].sort(), [1, 2]);
});
