import assert from "node:assert/strict";
import {
  broadcastTargetIds,
  claimedSlotsBitmap,
  demoteToReplica,
  isSlotUnclaimed,
  randomNodeIdFrom,
  renameNode,
  sameBitmap,
  setMyMaster,
  setNodeAsMaster,
  setOwnerNotClaiming,
} from "./bus_node_ops.ts";
import { ID, makeState } from "../tests/bus_fixtures.ts";
import { Prng } from "./prng.ts";
import {
  assertInvariants,
  isValidNodeId,
  NodeFlags,
  setMigrating,
  unassignSlots,
} from "./state.ts";

Deno.test("randomNodeIdFrom: valid ids, deterministic per seed", () => {
  const a = randomNodeIdFrom(new Prng(1));
  assert.ok(isValidNodeId(a));
  assert.equal(a, randomNodeIdFrom(new Prng(1)));
  assert.notEqual(a, randomNodeIdFrom(new Prng(2)));
});

Deno.test("renameNode keeps the order and renames references", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("h"), flags: NodeFlags.HANDSHAKE },
    { id: ID("c") },
  ]);
  const r = renameNode(s, ID("h"), ID("b"));
  assert.deepEqual([...r.nodes.keys()], [ID("a"), ID("b"), ID("c")]);
  assert.equal(r.nodes.get(ID("b"))!.id, ID("b"));
  assert.throws(() => renameNode(s, ID("h"), ID("c")));
});

Deno.test("role changes: setNodeAsMaster, demoteToReplica, setMyMaster with MIGRATE_TO", () => {
  let s = makeState({ id: ID("a"), slotRange: [0, 9] }, [
    { id: ID("b"), slotRange: [10, 19] },
    { id: ID("r"), flags: NodeFlags.SLAVE, masterId: ID("b") },
  ]);
  s = setMigrating(s, 3, ID("b"));
  // A replica promoted: MIGRATE_TO, and its old master loses MIGRATE_TO when it has none left.
  const p = setNodeAsMaster({
    ...s,
    nodes: new Map(s.nodes).set(ID("b"), {
      ...s.nodes.get(ID("b"))!,
      flags: NodeFlags.MASTER | NodeFlags.MIGRATE_TO,
    }),
  }, ID("r"));
  assert.equal(p.nodes.get(ID("r"))!.flags, NodeFlags.MASTER | NodeFlags.MIGRATE_TO);
  assert.equal(p.nodes.get(ID("r"))!.masterId, null);
  assert.equal(p.nodes.get(ID("b"))!.flags, NodeFlags.MASTER);
  assert.equal(setNodeAsMaster(s, ID("b")), s);
  // A master demoted loses its slots.
  const d = demoteToReplica(s, ID("b"));
  assert.equal(d.nodes.get(ID("b"))!.flags, NodeFlags.SLAVE);
  assert.equal(d.slotOwner.get(15), null);
  assertInvariants(d);
  // Myself becomes a replica: needs no slots; open slots are closed.
  assert.throws(() => setMyMaster(s, ID("b")));
  const empty = unassignSlots(s, Array.from({ length: 10 }, (_, i) => i));
  const m = setMyMaster(empty, ID("b"));
  const me = m.nodes.get(ID("a"))!;
  assert.equal(me.flags, NodeFlags.MYSELF | NodeFlags.SLAVE);
  assert.equal(me.masterId, ID("b"));
  assert.equal(m.migratingSlotsTo.size, 0);
  assert.ok(m.nodes.get(ID("b"))!.flags & NodeFlags.MIGRATE_TO);
});

Deno.test("owner-not-claiming bits are only valid while the owner still owns the slot", () => {
  let s = makeState({ id: ID("a") }, [{ id: ID("b"), slotRange: [0, 9] }]);
  s = setOwnerNotClaiming(s, [[5, ID("b")]]);
  assert.ok(isSlotUnclaimed(s, 5));
  assert.ok(!isSlotUnclaimed(s, 6));
  assert.ok(isSlotUnclaimed(s, 100)); // unowned
  const bm = claimedSlotsBitmap(s, s.nodes.get(ID("b"))!);
  assert.equal(bm[0], 0xff & ~(1 << 5));
  // The slot changes hands behind our back (state.ts): the bit no longer applies.
  s = unassignSlots(s, [5]);
  assert.ok(isSlotUnclaimed(s, 5)); // unowned now
  assert.deepEqual(broadcastTargetIds(s), [ID("b")]);
});

Deno.test("sameBitmap: a difference in any byte counts, aligned or not", () => {
  const a = new Uint8Array(2048);
  a[5] = 0x40;
  const buf = new Uint8Array(2049);
  buf.set(a, 1);
  const odd = buf.subarray(1); // compared byte by byte
  assert.ok(sameBitmap(a, a.slice()));
  assert.ok(sameBitmap(a, odd));
  for (const at of [0, 1, 2, 3, 5, 1023, 2046, 2047]) {
    for (const bit of [0x01, 0x80]) {
      const b = a.slice();
      b[at] ^= bit;
      assert.ok(!sameBitmap(a, b), `byte ${at} bit ${bit}`);
      assert.ok(!sameBitmap(b, odd), `byte ${at} bit ${bit}, unaligned`);
    }
  }
  assert.ok(!sameBitmap(a, a.subarray(0, 2044)));
});
