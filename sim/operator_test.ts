/**
 * The operator actions the seed sweep (sim/run.ts) draws, each once on a quiet cluster, with what
 * Redis 7.0 gives: slots given back by CLUSTER DELSLOTS and taken by another master's CLUSTER
 * ADDSLOTS, and a replica removed by FORGET + CLUSTER RESET HARD (a new id, epochs 0) and added
 * back by MEET + REPLICATE.
 */

import assert from "node:assert/strict";
import { SimWorld } from "./world.ts";
import { describeNodes } from "../cluster/nodes_conf.ts";
import { isReplica, myself } from "../cluster/state.ts";

async function formed(seed: number): Promise<SimWorld> {
  const w = await SimWorld.create(seed, { nodes: 6, nodeTimeoutMs: 2000 });
  assert.ok(await w.form(3, [0, 1, 2]), `seed ${seed}: formed`);
  return w;
}

function views(w: SimWorld): string {
  return w.up().map((i) => `#${i}\n${describeNodes(w.node(i).state)}`).join("\n");
}

Deno.test("sim operator: DELSLOTS on the owner and the taker, then ADDSLOTS on the taker, moves the slots everywhere", async () => {
  for (const seed of [1, 2, 3]) {
    const w = await formed(seed);
    try {
      // Slots 100..149 of master 0 go to master 2 (its configEpoch may be lower than 0's).
      assert.equal(w.addSlotsRange(2, 100, 149), "ERR Slot 100 is already busy");
      assert.equal(w.delSlotsRange(0, 100, 149), null);
      // A heartbeat master 0 sent before its DELSLOTS would bind them again on master 2.
      await w.run(50);
      assert.equal(w.delSlotsRange(2, 100, 149), null);
      assert.equal(w.delSlotsRange(2, 100, 149), "ERR Slot 100 is already unassigned");
      // Master 0's view has slots nobody serves: it goes down (full coverage required).
      assert.ok(await w.runUntil(() => w.node(0).state.health === "fail", 1000), "0 down");
      // The others have heard master 0 no longer claims them (its PINGs and PONGs).
      await w.run(2 * 2000);
      assert.equal(w.addSlotsRange(2, 100, 149), null);
      assert.ok(
        await w.runUntil(() => w.converged(), 10_000),
        `seed ${seed}: converged\n${views(w)}`,
      );
      for (const i of w.up()) {
        for (let j = 100; j < 150; j++) assert.equal(w.node(i).state.slotOwner.get(j), w.id(2));
        assert.equal(w.node(i).state.slotOwner.get(150), w.id(0));
      }
      assert.deepEqual(w.monitor.violations, []);
    } finally {
      w.shutdown();
    }
  }
});

Deno.test("sim operator: DELSLOTS on every node, then ADDSLOTS on another master at once", async () => {
  const w = await formed(4);
  try {
    for (const i of w.up()) assert.equal(w.delSlotsRange(i, 6000, 6010), null, `#${i}`);
    assert.equal(w.addSlotsRange(0, 6000, 6010), null);
    assert.ok(await w.runUntil(() => w.converged(), 10_000), views(w));
    for (const i of w.up()) assert.equal(w.node(i).state.slotOwner.get(6005), w.id(0));
    assert.deepEqual(w.monitor.violations, []);
  } finally {
    w.shutdown();
  }
});

Deno.test("sim operator: a replica removed with CLUSTER RESET HARD comes back under a new id", async () => {
  const w = await formed(5);
  try {
    const r = 4;
    const oldId = w.id(r);
    const epochBefore = w.node(r).state.currentEpoch;
    assert.ok(epochBefore > 0, "the cluster has epochs");
    for (const k of w.up()) if (k !== r) assert.equal(w.forget(k, r), null, `FORGET on #${k}`);
    const newId = w.resetHard(r);
    assert.notEqual(newId, oldId);
    assert.equal(w.id(r), newId);
    assert.equal(w.indexOf(oldId), -1);
    assert.equal(w.indexOf(newId), r);
    const s = w.node(r).state;
    assert.equal(s.nodes.size, 1);
    assert.equal(s.currentEpoch, 0);
    assert.equal(s.lastVoteEpoch, 0);
    assert.equal(myself(s).configEpoch, 0);
    assert.ok(!isReplica(myself(s)));
    // Saved with fsync: a power loss right now keeps the new id.
    assert.match(w.disk(r).durable()!, new RegExp(`^${newId} .*myself`));
    // Added back at once (the new id is on nobody's blacklist): MEET, then REPLICATE.
    w.meet(r, 0);
    assert.ok(
      await w.runUntil(() => w.up().every((k) => w.node(k).state.nodes.has(newId)), 10_000),
      views(w),
    );
    w.replicate(r, 1);
    assert.ok(
      await w.runUntil(
        () =>
          w.converged() &&
          w.up().every((k) =>
            w.node(k).state.nodes.get(newId)?.masterId === w.id(1) &&
            !w.node(k).state.nodes.has(oldId)
          ),
        10_000,
      ),
      views(w),
    );
    // It learnt the cluster's epoch again.
    assert.ok(w.node(r).state.currentEpoch >= epochBefore);
    assert.deepEqual(w.monitor.violations, []);
  } finally {
    w.shutdown();
  }
});
