import assert from "node:assert/strict";
import { Prng } from "./prng.ts";
import {
  addNode,
  addSlots,
  assertEpochsGrow,
  assertInvariants,
  assertInvariantsSince,
  assignSlots,
  bitmapCount,
  blacklistAdd,
  blacklistCleanup,
  blacklistHas,
  bumpEpoch,
  CLUSTER_SLOTS,
  type ClusterState,
  createNode,
  createState,
  deleteNode,
  delSlots,
  flushSlots,
  isValidNodeId,
  NodeFlags,
  ownerRuns,
  randomNodeId,
  reassignSlots,
  reset,
  type Result,
  setConfigEpoch,
  setImporting,
  setMigrating,
  SLOT_BITMAP_BYTES,
  slotBit,
  slotRanges,
  unassignSlots,
  updateClusterState,
  updateNode,
} from "./state.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const T0 = 1_000_000;
const OPTS = { requireFullCoverage: true, nodeTimeoutMs: 15000 };

function ok(r: Result): ClusterState {
  if ("error" in r) throw new Error(r.error);
  assertInvariants(r.state);
  return r.state;
}

Deno.test("state: random ids are 40 lowercase hex and valid", () => {
  for (let i = 0; i < 50; i++) {
    const id = randomNodeId();
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.ok(isValidNodeId(id));
  }
  assert.ok(!isValidNodeId("A".repeat(40)));
  assert.ok(!isValidNodeId("a".repeat(39)));
});

Deno.test("state: ADDSLOTS/DELSLOTS with Redis's error order", () => {
  let s = createState(A, T0);
  assertInvariants(s);
  s = ok(addSlots(s, [[0, 9]]));
  assert.equal(s.nodes.get(A)!.numSlots, 10);
  assert.deepEqual(addSlots(s, [[5, 5], [5, 5]]), { error: "ERR Slot 5 is already busy" });
  assert.deepEqual(addSlots(s, [[100, 100], [100, 100]]), {
    error: "ERR Slot 100 specified multiple times",
  });
  assert.deepEqual(delSlots(s, [[100, 100]]), { error: "ERR Slot 100 is already unassigned" });
  // A failed command changes nothing.
  assert.equal(s.slotOwner.get(100), null);
  s = ok(addSlots(s, [[100, 101], [16383, 16383]]));
  assert.deepEqual(slotRanges(s.nodes.get(A)!), [[0, 9], [100, 101], [16383, 16383]]);
  s = ok(delSlots(s, [[5, 5]]));
  assert.deepEqual(slotRanges(s.nodes.get(A)!), [[0, 4], [6, 9], [100, 101], [16383, 16383]]);
  assert.deepEqual(ownerRuns(s), [[0, 4, A], [6, 9, A], [100, 101, A], [16383, 16383, A]]);
  s = flushSlots(s);
  assertInvariants(s);
  assert.equal(s.nodes.get(A)!.numSlots, 0);
  assert.ok(s.slotOwner.every((o) => o === null));
});

Deno.test("state: transitions never mutate the previous state", () => {
  const s0 = createState(A, T0);
  const s1 = ok(addSlots(s0, [[0, 100]]));
  assert.equal(s0.slotOwner.get(0), null);
  assert.equal(s0.nodes.get(A)!.numSlots, 0);
  assert.equal(s1.slotOwner.get(0), A);
  const s2 = ok(delSlots(s1, [[0, 0]]));
  assert.equal(s1.slotOwner.get(0), A);
  assert.equal(s1.nodes.get(A)!.numSlots, 101);
  assert.equal(s2.nodes.get(A)!.numSlots, 100);
});

Deno.test("state: ADDSLOTS clears an importing mark of that slot", () => {
  let s = addNode(createState(A, T0), createNode(B, NodeFlags.MASTER, T0));
  s = setImporting(s, 7, B);
  s = ok(addSlots(s, [[7, 7]]));
  assert.equal(s.importingSlotsFrom.has(7), false);
});

Deno.test("state: SET-CONFIG-EPOCH rules", () => {
  let s = createState(A, T0);
  assert.deepEqual(setConfigEpoch(s, -5), { error: "ERR Invalid config epoch specified: -5" });
  s = ok(setConfigEpoch(s, 7));
  assert.equal(s.nodes.get(A)!.configEpoch, 7);
  assert.equal(s.currentEpoch, 7);
  assert.deepEqual(setConfigEpoch(s, 9), { error: "ERR Node config epoch is already non-zero" });
  const two = addNode(createState(A, T0), createNode(B, NodeFlags.MASTER, T0));
  assert.deepEqual(setConfigEpoch(two, 3), {
    error:
      "ERR The user can assign a config epoch only when the node does not know any other node.",
  });
});

Deno.test("state: BUMPEPOCH gives BUMPED then STILL, and epochs only grow", () => {
  let s = createState(A, T0);
  const r1 = bumpEpoch(s);
  assert.equal(r1.bumped, true);
  assert.equal(r1.state.currentEpoch, 1);
  assert.equal(r1.state.nodes.get(A)!.configEpoch, 1);
  assertEpochsGrow(s, r1.state);
  s = r1.state;
  const r2 = bumpEpoch(s);
  assert.equal(r2.bumped, false);
  assert.equal(r2.state, s);
  // Another node with a larger epoch: myself is no longer the max -> bumped past it.
  s = addNode(s, createNode(B, NodeFlags.MASTER, T0, { configEpoch: 5 }));
  s = { ...s, currentEpoch: 5 };
  const r3 = bumpEpoch(s);
  assert.equal(r3.bumped, true);
  assert.equal(r3.state.currentEpoch, 6);
  assert.equal(r3.state.nodes.get(A)!.configEpoch, 6);
  assertInvariants(r3.state);
  assert.throws(() => assertEpochsGrow(r3.state, s));
});

Deno.test("state: RESET soft keeps id and epochs, hard changes id and zeroes epochs", () => {
  let s = ok(addSlots(createState(A, T0), [[0, 16383]]));
  s = ok(setConfigEpoch(s, 4));
  s = addNode(s, createNode(B, NodeFlags.MASTER, T0));
  s = setMigrating(s, 3, B);
  const soft = reset(s, false, randomNodeId(), T0);
  assertInvariants(soft);
  assert.equal(soft.myselfId, A);
  assert.equal(soft.nodes.size, 1);
  assert.equal(soft.currentEpoch, 4);
  assert.equal(soft.nodes.get(A)!.numSlots, 0);
  assert.equal(soft.migratingSlotsTo.size, 0);
  const hard = reset(s, true, B.replace(/b/g, "c"), T0);
  assertInvariants(hard);
  assert.equal(hard.myselfId, "c".repeat(40));
  assert.equal(hard.currentEpoch, 0);
  assert.equal(hard.nodes.get(hard.myselfId)!.configEpoch, 0);
  assert.equal(hard.nodes.get(hard.myselfId)!.flags, NodeFlags.MYSELF | NodeFlags.MASTER);
});

Deno.test("state: cluster_state with writable delay, coverage and rejoin delay", () => {
  let s = createState(A, T0);
  // First call: within the writable delay a master stays fail (size stays 1).
  s = updateClusterState(s, T0, OPTS);
  assert.equal(s.health, "fail");
  assert.equal(s.size, 1);
  s = updateClusterState(s, T0 + 2500, OPTS);
  assert.equal(s.health, "fail"); // no slots: minority
  assert.equal(s.size, 0);
  s = ok(addSlots(s, [[0, 16383]]));
  // Rejoin delay: node timeout 15000 clamps to 5000 ms after the last minority verdict.
  s = updateClusterState(s, T0 + 3000, OPTS);
  assert.equal(s.health, "fail");
  s = updateClusterState(s, T0 + 2500 + 5001, OPTS);
  assert.equal(s.health, "ok");
  assert.equal(s.size, 1);
  // One slot missing: fail at once, unless full coverage is not required.
  const missing = ok(delSlots(s, [[100, 100]]));
  assert.equal(updateClusterState(missing, T0 + 9000, OPTS).health, "fail");
  assert.equal(
    updateClusterState(missing, T0 + 9000, { ...OPTS, requireFullCoverage: false }).health,
    "ok",
  );
  // A FAIL owner makes its slots uncovered.
  let withB = addNode(missing, createNode(B, NodeFlags.MASTER | NodeFlags.FAIL, T0));
  withB = ok({ state: { ...withB } });
  const r = updateClusterState(withB, T0 + 9000, OPTS);
  assert.equal(r.health, "fail");
});

Deno.test("state: a small node timeout clamps the rejoin delay to 500 ms", () => {
  let s = updateClusterState(createState(A, T0), T0, { ...OPTS, nodeTimeoutMs: 100 });
  s = updateClusterState(s, T0 + 2000, { ...OPTS, nodeTimeoutMs: 100 });
  s = ok(addSlots(s, [[0, 16383]]));
  assert.equal(updateClusterState(s, T0 + 2400, { ...OPTS, nodeTimeoutMs: 100 }).health, "fail");
  assert.equal(updateClusterState(s, T0 + 2501, { ...OPTS, nodeTimeoutMs: 100 }).health, "ok");
});

Deno.test("state: deleting a node releases its slots and open-slot marks", () => {
  let s = addNode(createState(A, T0), createNode(B, NodeFlags.MASTER, T0));
  s = ok(addSlots(s, [[0, 9]]));
  s = setMigrating(s, 3, B);
  s = ok({ state: updateNode(s, A, {}) });
  const d = deleteNode(s, B);
  assertInvariants(d);
  assert.equal(d.nodes.has(B), false);
  assert.equal(d.migratingSlotsTo.size, 0);
  assert.throws(() => deleteNode(s, A));
});

Deno.test("state: FORGET blacklist expires after 60 s", () => {
  let s = blacklistAdd(createState(A, T0), B, T0);
  assert.ok(blacklistHas(s, B, T0 + 59_000));
  s = blacklistCleanup(s, T0 + 61_000);
  assert.ok(!blacklistHas(s, B, T0 + 61_000));
  assert.equal(s.blacklist.size, 0);
});

Deno.test("state: invariant checker catches a slot with two claimants", () => {
  let s = addNode(createState(A, T0), createNode(B, NodeFlags.MASTER, T0));
  s = ok(addSlots(s, [[0, 0]]));
  const bSlots = new Uint8Array(CLUSTER_SLOTS / 8);
  bSlots[0] = 1;
  const broken = updateNode(s, B, { slots: bSlots, numSlots: 1 });
  assert.throws(() => assertInvariants(broken), /invariant/);
});

Deno.test("state: reassignSlots equals unassignSlots then assignSlots (seeded slot moves)", () => {
  const rng = new Prng(7);
  const ids = ["a", "b", "c", "d"].map((x) => x.repeat(40));
  let s = createState(ids[0], 0);
  for (const id of ids.slice(1)) s = addNode(s, createNode(id, NodeFlags.MASTER, 0));
  // A replica somewhere, so a master's first slot sets MIGRATE_TO.
  s = addNode(s, { ...createNode("e".repeat(40), NodeFlags.SLAVE, 0), masterId: ids[1] });
  for (let round = 0; round < 200; round++) {
    const to = ids[rng.int(ids.length)];
    const slots = [
      ...new Set(Array.from({ length: 1 + rng.int(40) }, () => rng.int(CLUSTER_SLOTS))),
    ];
    const a = reassignSlots(s, to, slots);
    const b = assignSlots(unassignSlots(s, slots), to, slots);
    assertInvariants(a);
    assert.deepEqual(a.slotOwner, b.slotOwner, `round ${round}`);
    for (const id of ids) {
      const x = a.nodes.get(id)!;
      const y = b.nodes.get(id)!;
      assert.deepEqual(
        [x.slots, x.numSlots, x.flags],
        [y.slots, y.numSlots, y.flags],
        `round ${round} ${id}`,
      );
    }
    s = a;
  }
});

Deno.test("state: the changed-slots invariant check agrees with the full one (seeded changes and corruptions)", () => {
  const rng = new Prng(23);
  const ids = ["a", "b", "c", "d"].map((x) => x.repeat(40));
  let s = createState(ids[0], 0);
  for (const id of ids.slice(1, 3)) s = addNode(s, createNode(id, NodeFlags.MASTER, 0));
  s = assignSlots(s, ids[1], Array.from({ length: 3000 }, (_, j) => j));
  const pick = (n: number) => Array.from({ length: n }, () => rng.int(CLUSTER_SLOTS));
  const fullVerdict = (x: ClusterState) => {
    try {
      assertInvariants(x);
      return "ok";
    } catch (e) {
      return (e as Error).message;
    }
  };
  let corruptions = 0;
  for (let round = 0; round < 400; round++) {
    // A valid change, as commands and the bus make them.
    const known = [...s.nodes.keys()];
    let next: ClusterState;
    switch (rng.int(5)) {
      case 0:
        next = reassignSlots(s, known[rng.int(known.length)], pick(1 + rng.int(3)));
        break;
      case 1:
        next = unassignSlots(s, pick(1 + rng.int(3)));
        break;
      case 2:
        next = s.nodes.has(ids[3])
          ? deleteNode(s, ids[3])
          : addNode(s, createNode(ids[3], NodeFlags.MASTER, 0));
        break;
      case 3:
        next = bumpEpoch(s).state;
        break;
      default:
        next = reassignSlots(s, ids[rng.int(3)], [rng.int(CLUSTER_SLOTS)]);
    }
    assertInvariantsSince(s, next);
    assert.equal(fullVerdict(next), "ok");
    // The same change with one corruption: the changed-slots check must see it.
    const slot = rng.int(CLUSTER_SLOTS);
    const victim = [...next.nodes.values()][rng.int(next.nodes.size)];
    let bad: ClusterState;
    switch (rng.int(4)) {
      case 0: { // the table names another owner, bitmaps untouched
        const other = next.slotOwner.get(slot) === ids[1] ? ids[2] : ids[1];
        bad = { ...next, slotOwner: next.slotOwner.withOwner([slot], other) };
        break;
      }
      case 1: { // a bitmap bit flipped, numSlots kept
        const bits = victim.slots.slice();
        bits[slot >> 3] ^= 1 << (slot & 7);
        bad = updateNode(next, victim.id, { slots: bits });
        break;
      }
      case 2: { // a bitmap bit flipped and counted: two owners, or an owner the table lacks
        const bits = victim.slots.slice();
        const had = (bits[slot >> 3] & (1 << (slot & 7))) !== 0;
        bits[slot >> 3] ^= 1 << (slot & 7);
        bad = updateNode(next, victim.id, {
          slots: bits,
          numSlots: victim.numSlots + (had ? -1 : 1),
        });
        break;
      }
      default: // numSlots alone
        bad = updateNode(next, victim.id, { numSlots: victim.numSlots + 1 });
    }
    const verdict = fullVerdict(bad);
    if (verdict === "ok") {
      assertInvariantsSince(s, bad);
    } else {
      corruptions++;
      assert.throws(() => assertInvariantsSince(s, bad), /invariant violated/, verdict);
    }
    s = next;
  }
  assert.ok(corruptions > 300, `${corruptions} corruptions checked`);
});

Deno.test("slotRanges agrees with a bit-by-bit scan, on word-aligned and unaligned bitmaps", () => {
  const rng = new Prng(7);
  for (let round = 0; round < 200; round++) {
    // Runs of random lengths (some word-long and longer, some a bit), set or clear.
    const buf = new Uint8Array(SLOT_BITMAP_BYTES + 4);
    const offset = round % 2 === 0 ? 0 : 1 + rng.int(3);
    const bits = buf.subarray(offset, offset + SLOT_BITMAP_BYTES);
    let on = rng.int(2) === 1;
    for (let j = 0; j < CLUSTER_SLOTS;) {
      const len = 1 + rng.int(rng.int(2) === 0 ? 8 : 600);
      for (let k = j; k < Math.min(j + len, CLUSTER_SLOTS); k++) {
        if (on) bits[k >> 3] |= 1 << (k & 7);
      }
      j += len;
      on = !on;
    }
    const want: [number, number][] = [];
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (!slotBit(bits, j)) continue;
      if (want.length > 0 && want[want.length - 1][1] === j - 1) want[want.length - 1][1] = j;
      else want.push([j, j]);
    }
    const n = createNode(A, NodeFlags.MASTER, T0, { slots: bits, numSlots: bitmapCount(bits) });
    assert.deepEqual(slotRanges(n), want, `round ${round}, offset ${offset}`);
  }
});
