import assert from "node:assert/strict";
import { setSlot } from "./setslot.ts";
import {
  addNode,
  addSlots,
  assertInvariants,
  type ClusterState,
  createNode,
  createState,
  myself,
  NodeFlags,
  reassignSlots,
  updateNode,
} from "./state.ts";

const ME = "a".repeat(40);
const B = "b".repeat(40);
const R = "c".repeat(40);
const OPTS = { keysInSlot: 0, allowReplicaMigration: true };

/** Myself owns slots 0-9, B owns 10-19 (configEpoch 1, current epoch 1), R replicates B. */
function view(): ClusterState {
  let s = createState(ME, 0);
  s = addNode(s, { ...createNode(B, NodeFlags.MASTER, 0), configEpoch: 1 });
  s = addNode(s, { ...createNode(R, NodeFlags.SLAVE, 0), masterId: B });
  const mine = addSlots(s, [[0, 9]]);
  assert.ok("state" in mine);
  s = mine.state;
  const slots = new Uint8Array(s.nodes.get(B)!.slots);
  for (let j = 10; j < 20; j++) slots[j >> 3] |= 1 << (j & 7);
  const b = { ...s.nodes.get(B)!, slots, numSlots: 10 };
  const slotOwner = s.slotOwner.withOwner([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], B);
  s = { ...s, nodes: new Map(s.nodes).set(B, b), slotOwner, currentEpoch: 1 };
  assertInvariants(s);
  return s;
}

function ok(r: ReturnType<typeof setSlot>) {
  if ("error" in r) assert.fail(r.error);
  assertInvariants(r.state);
  return r;
}

Deno.test("setslot: Redis's errors for each action", () => {
  const s = view();
  const err = (r: ReturnType<typeof setSlot>) => "error" in r ? r.error : "ok";
  assert.equal(
    err(setSlot(s, 10, { kind: "migrating", nodeId: B }, OPTS)),
    "ERR I'm not the owner of hash slot 10",
  );
  assert.equal(
    err(setSlot(s, 0, { kind: "importing", nodeId: B }, OPTS)),
    "ERR I'm already the owner of hash slot 0",
  );
  assert.equal(
    err(setSlot(s, 0, { kind: "migrating", nodeId: "d".repeat(40) }, OPTS)),
    `ERR I don't know about node ${"d".repeat(40)}`,
  );
  assert.equal(
    err(setSlot(s, 0, { kind: "migrating", nodeId: R }, OPTS)),
    "ERR Target node is not a master",
  );
  assert.equal(
    err(setSlot(s, 0, { kind: "node", nodeId: "d".repeat(40) }, OPTS)),
    `ERR Unknown node ${"d".repeat(40)}`,
  );
  assert.equal(
    err(setSlot(s, 0, { kind: "node", nodeId: B }, { ...OPTS, keysInSlot: 3 })),
    "ERR Can't assign hashslot 0 to a different node while I still hold keys for this hash slot.",
  );
});

Deno.test("setslot: importing then NODE myself bumps the epoch, saves with fsync, broadcasts", () => {
  let s = ok(setSlot(view(), 10, { kind: "importing", nodeId: B }, OPTS)).state;
  assert.equal(s.importingSlotsFrom.get(10), B);
  const r = ok(setSlot(s, 10, { kind: "node", nodeId: ME }, OPTS));
  s = r.state;
  assert.equal(s.slotOwner.get(10), ME);
  assert.equal(s.importingSlotsFrom.has(10), false);
  assert.equal(myself(s).configEpoch, 2, "a new epoch, above every other");
  assert.deepEqual([r.fsync, r.broadcastPong], [true, true]);
  assert.deepEqual(r.logs, [{
    level: "notice",
    text: "configEpoch updated after importing slot 10",
  }]);
  // A second imported slot: the epoch is already the greatest, no bump; still fsynced (unlike
  // Redis 7.0), so that a power loss cannot leave the slot claimed by nobody.
  s = ok(setSlot(s, 11, { kind: "importing", nodeId: B }, OPTS)).state;
  const r2 = ok(setSlot(s, 11, { kind: "node", nodeId: ME }, OPTS));
  assert.equal(myself(r2.state).configEpoch, 2);
  assert.deepEqual([r2.fsync, r2.broadcastPong], [true, true]);
  // NODE myself without a prior IMPORTING is an assignment, as ADDSLOTS: saved, not fsynced.
  const r3 = ok(setSlot(view(), 12, { kind: "node", nodeId: ME }, OPTS));
  assert.deepEqual([r3.fsync, r3.broadcastPong], [false, false]);
});

Deno.test("setslot: migrating, NODE to the target; the last slot given away makes a replica", () => {
  let s = view();
  for (let j = 0; j < 10; j++) {
    s = ok(setSlot(s, j, { kind: "migrating", nodeId: B }, OPTS)).state;
    assert.equal(s.migratingSlotsTo.get(j), B);
    const r = ok(setSlot(s, j, { kind: "node", nodeId: B }, OPTS));
    s = r.state;
    assert.equal(s.migratingSlotsTo.has(j), false);
    assert.equal(s.slotOwner.get(j), B);
    assert.equal(r.fsync, j === 9, "only the role change is fsynced");
  }
  assert.equal(myself(s).masterId, B);
  assert.ok(myself(s).flags & NodeFlags.SLAVE);
  // With cluster-allow-replica-migration no, it stays an empty master.
  let t = view();
  for (let j = 0; j < 10; j++) {
    t = ok(setSlot(t, j, { kind: "node", nodeId: B }, { ...OPTS, allowReplicaMigration: false }))
      .state;
  }
  assert.equal(myself(t).masterId, null);
  assert.equal(myself(t).numSlots, 0);
  // STABLE clears both marks.
  let u = ok(setSlot(view(), 0, { kind: "migrating", nodeId: B }, OPTS)).state;
  u = ok(setSlot(u, 12, { kind: "importing", nodeId: B }, OPTS)).state;
  u = ok(setSlot(u, 0, { kind: "stable" }, OPTS)).state;
  u = ok(setSlot(u, 12, { kind: "stable" }, OPTS)).state;
  assert.equal(u.migratingSlotsTo.size + u.importingSlotsFrom.size, 0);
});

Deno.test("setslot: NODE naming the slot's owner changes nothing, but a first slot re-added gets MIGRATE_TO", () => {
  const s = view();
  // redis-cli reshard's second SETSLOT NODE: the view itself comes back (nothing copied), equal
  // to what clusterDelSlot + clusterAddSlot (reassignSlots) make of it.
  const r = ok(setSlot(s, 10, { kind: "node", nodeId: B }, OPTS));
  assert.equal(r.state, s);
  assert.deepEqual([r.fsync, r.broadcastPong, r.logs], [false, false, []]);
  const full = reassignSlots(s, B, [10]);
  for (const n of s.nodes.values()) assert.deepEqual(full.nodes.get(n.id), n);
  assert.deepEqual(full.slotOwner.toArray(), s.slotOwner.toArray());
  // Myself's own slot while migrating it, no keys: only the MIGRATING mark goes.
  const m = ok(setSlot(s, 0, { kind: "migrating", nodeId: B }, OPTS)).state;
  const back = ok(setSlot(m, 0, { kind: "node", nodeId: ME }, OPTS)).state;
  assert.equal(back.nodes, m.nodes);
  assert.equal(back.migratingSlotsTo.size, 0);
  // A master whose only slot it is, without MIGRATE_TO, while masters have replicas (R):
  // clusterNodeSetSlotBit flags it when the slot comes back (numslots 0 -> 1).
  let one = s;
  for (let j = 1; j < 10; j++) one = ok(setSlot(one, j, { kind: "node", nodeId: B }, OPTS)).state;
  one = updateNode(one, ME, { flags: myself(one).flags & ~NodeFlags.MIGRATE_TO });
  assert.equal(myself(one).numSlots, 1);
  const flagged = ok(setSlot(one, 0, { kind: "node", nodeId: ME }, OPTS)).state;
  assert.ok(myself(flagged).flags & NodeFlags.MIGRATE_TO);
  assert.deepEqual(myself(flagged), myself(reassignSlots(one, ME, [0])));
});
