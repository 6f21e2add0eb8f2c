import assert from "node:assert/strict";
import { slotBitmapFromRanges } from "../protocol/bus.ts";
import { EffectSink } from "./bus_effects.ts";
import { isSlotUnclaimed } from "./bus_node_ops.ts";
import { Prng } from "./prng.ts";
import { CFG, ID, makeState } from "../tests/bus_fixtures.ts";
import {
  applyHeaderEpochs,
  applyUpdateMessage,
  handleConfigEpochCollision,
  staleSlotOwner,
  updateSlotsConfigWith,
} from "./epochs.ts";
import { assertInvariants, NodeFlags, setImporting } from "./state.ts";

Deno.test("header epochs: currentEpoch = max, sender configEpoch only grows, offset stored", () => {
  const s = makeState({ id: ID("a") }, [{ id: ID("b"), configEpoch: 3 }], { currentEpoch: 5 });
  let sink = new EffectSink();
  let n = applyHeaderEpochs(s, ID("b"), 9, 4, 77, sink);
  assert.equal(n.currentEpoch, 9);
  assert.equal(n.nodes.get(ID("b"))!.configEpoch, 4);
  assert.equal(n.nodes.get(ID("b"))!.replOffset, 77);
  assert.ok(sink.saveConfig && sink.fsyncConfig);
  sink = new EffectSink();
  n = applyHeaderEpochs(n, ID("b"), 2, 1, 77, sink);
  assert.equal(n.currentEpoch, 9);
  assert.equal(n.nodes.get(ID("b"))!.configEpoch, 4);
  assert.equal(sink.saveConfig, false);
});

Deno.test("collision: only the smaller name moves, to currentEpoch + 1, saved with fsync", () => {
  const s = makeState({ id: ID("5") }, [{ id: ID("9") }, { id: ID("1") }], { currentEpoch: 6 });
  const sink = new EffectSink();
  const n = handleConfigEpochCollision(s, ID("9"), sink);
  assert.equal(n.currentEpoch, 7);
  assert.equal(n.nodes.get(ID("5"))!.configEpoch, 7);
  assert.ok(sink.saveConfig && sink.fsyncConfig);
  assert.deepEqual(sink.effects, [{
    kind: "log",
    level: "verbose",
    text: `WARNING: configEpoch collision with node ${ID("9")}. configEpoch set to 7`,
  }]);
  // Sender with a smaller name: nothing.
  assert.equal(handleConfigEpochCollision(s, ID("1"), new EffectSink()), s);
  // Not the same epoch or a replica: nothing.
  const r = makeState({ id: ID("5") }, [{ id: ID("9"), flags: NodeFlags.SLAVE }]);
  assert.equal(handleConfigEpochCollision(r, ID("9"), new EffectSink()), r);
});

Deno.test("slot update: newer epoch takes slots, older loses, unowned taken, importing skipped", () => {
  let s = makeState({ id: ID("a"), slotRange: [0, 9] }, [
    { id: ID("b"), configEpoch: 5, slotRange: [10, 19] },
    { id: ID("c"), configEpoch: 1, slotRange: [20, 29] },
  ]);
  s = setImporting(s, 25, ID("c"));
  // c claims 15 (b has newer epoch: kept), 20-29 (own), 30-31 (unowned); d claims nothing.
  const sink = new EffectSink();
  let n = updateSlotsConfigWith(
    s,
    ID("c"),
    1,
    slotBitmapFromRanges([[15, 15], [20, 31]]),
    CFG,
    sink,
  );
  assert.equal(n.slotOwner.get(15), ID("b"));
  assert.equal(n.slotOwner.get(30), ID("c"));
  assert.equal(n.slotOwner.get(31), ID("c"));
  assertInvariants(n);
  // b (epoch 5) claims 10-29 except 25 importing: 20-24, 26-29 move from c (epoch 1).
  n = updateSlotsConfigWith(n, ID("b"), 5, slotBitmapFromRanges([[10, 29]]), CFG, new EffectSink());
  for (let j = 20; j <= 29; j++) {
    assert.equal(n.slotOwner.get(j), j === 25 ? ID("c") : ID("b"), `slot ${j}`);
  }
  assertInvariants(n);
});

Deno.test("slot update: owner not claiming (7.0) keeps the owner but counts as unclaimed", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), configEpoch: 5, slotRange: [10, 19] },
    { id: ID("c"), configEpoch: 1 },
  ]);
  // b now claims only 10-14.
  let n = updateSlotsConfigWith(
    s,
    ID("b"),
    5,
    slotBitmapFromRanges([[10, 14]]),
    CFG,
    new EffectSink(),
  );
  assert.equal(n.slotOwner.get(17), ID("b"));
  assert.ok(isSlotUnclaimed(n, 17));
  assert.ok(!isSlotUnclaimed(n, 12));
  // UPDATE rule ignores unclaimed slots: c claiming 17 with an older epoch gets no UPDATE...
  assert.equal(staleSlotOwner(n, ID("c"), slotBitmapFromRanges([[17, 17]]), 1), null);
  // ...but claiming 12 does.
  assert.equal(staleSlotOwner(n, ID("c"), slotBitmapFromRanges([[12, 12]]), 1), ID("b"));
  // And c (older epoch) can take 17 because b stopped claiming it.
  n = updateSlotsConfigWith(n, ID("c"), 1, slotBitmapFromRanges([[17, 17]]), CFG, new EffectSink());
  assert.equal(n.slotOwner.get(17), ID("c"));
  assert.ok(!isSlotUnclaimed(n, 17));
  // b claiming 18 again clears its not-claiming bit.
  n = updateSlotsConfigWith(
    n,
    ID("b"),
    5,
    slotBitmapFromRanges([[10, 14], [18, 18]]),
    CFG,
    new EffectSink(),
  );
  assert.ok(!isSlotUnclaimed(n, 18));
  assert.ok(isSlotUnclaimed(n, 19));
});

Deno.test("slot update A: a master losing all its slots becomes a replica of the sender", () => {
  const s = makeState({ id: ID("a"), configEpoch: 1, slotRange: [0, 9] }, [
    { id: ID("b"), configEpoch: 2 },
  ]);
  const sink = new EffectSink();
  const n = updateSlotsConfigWith(s, ID("b"), 2, slotBitmapFromRanges([[0, 9]]), CFG, sink);
  const me = n.nodes.get(ID("a"))!;
  assert.equal(me.flags, NodeFlags.MYSELF | NodeFlags.SLAVE);
  assert.equal(me.masterId, ID("b"));
  assert.ok(n.nodes.get(ID("b"))!.flags & NodeFlags.MIGRATE_TO);
  assert.ok(sink.effects.some((e) => e.kind === "replicate" && e.masterId === ID("b")));
  assert.ok(sink.effects.some((e) =>
    e.kind === "log" &&
    e.text === `Configuration change detected. Reconfiguring myself as a replica of ${ID("b")}`
  ));
  assertInvariants(n);
  // Losing only some slots: stays master, keys of the lost slots are deleted (C).
  const sink2 = new EffectSink();
  const p = updateSlotsConfigWith(s, ID("b"), 2, slotBitmapFromRanges([[0, 4]]), CFG, sink2);
  assert.ok(p.nodes.get(ID("a"))!.flags & NodeFlags.MASTER);
  assert.deepEqual(sink2.effects.find((e) => e.kind === "deleteKeysInSlots"), {
    kind: "deleteKeysInSlots",
    slots: [0, 1, 2, 3, 4],
  });
  // Without replica migration, only when all the sender's slots came from my master.
  const noMig = { ...CFG, allowReplicaMigration: false };
  const q = updateSlotsConfigWith(
    s,
    ID("b"),
    2,
    slotBitmapFromRanges([[0, 10]]),
    noMig,
    new EffectSink(),
  );
  assert.ok(q.nodes.get(ID("a"))!.flags & NodeFlags.MASTER);
});

Deno.test("UPDATE: needs a newer epoch; sets epoch, makes the node master, applies slots", () => {
  const s = makeState({ id: ID("a"), configEpoch: 1, slotRange: [0, 9] }, [
    { id: ID("b"), flags: NodeFlags.SLAVE, masterId: ID("a"), configEpoch: 0 },
  ], { currentEpoch: 5 });
  assert.equal(
    applyUpdateMessage(s, ID("b"), 0, slotBitmapFromRanges([[0, 9]]), CFG, new EffectSink()),
    s,
  );
  assert.equal(
    applyUpdateMessage(s, ID("q"), 9, slotBitmapFromRanges([[0, 9]]), CFG, new EffectSink()),
    s,
  );
  const sink = new EffectSink();
  const n = applyUpdateMessage(s, ID("b"), 5, slotBitmapFromRanges([[0, 9]]), CFG, sink);
  const b = n.nodes.get(ID("b"))!;
  assert.ok(b.flags & NodeFlags.MASTER);
  assert.equal(b.configEpoch, 5);
  assert.equal(b.numSlots, 10);
  assert.equal(n.nodes.get(ID("a"))!.masterId, ID("b"));
  assert.ok(sink.fsyncConfig);
  // An UPDATE about myself is discarded.
  const sink2 = new EffectSink();
  assert.equal(
    applyUpdateMessage(s, ID("a"), 9, slotBitmapFromRanges([[0, 9]]), CFG, sink2).slotOwner.get(0),
    ID("a"),
  );
  assert.ok(
    sink2.effects.some((e) =>
      e.kind === "log" && e.text === "Discarding UPDATE message about myself."
    ),
  );
});

Deno.test("slot update B: a replica of a replica re-points to the grand-master", () => {
  const s = makeState(
    { id: ID("a"), flags: NodeFlags.MYSELF | NodeFlags.SLAVE, masterId: ID("b") },
    [
      { id: ID("b"), flags: NodeFlags.SLAVE, masterId: ID("c") },
      { id: ID("c"), configEpoch: 3, slotRange: [0, 9] },
      { id: ID("d"), configEpoch: 4 },
    ],
  );
  const sink = new EffectSink();
  const n = updateSlotsConfigWith(s, ID("d"), 4, slotBitmapFromRanges([[100, 100]]), CFG, sink);
  assert.equal(n.nodes.get(ID("a"))!.masterId, ID("c"));
  assert.ok(sink.effects.some((e) =>
    e.kind === "log" &&
    e.text === `I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${ID("c")}`
  ));
  assert.ok(sink.effects.some((e) => e.kind === "replicate" && e.masterId === ID("c")));
});

Deno.test("slot update and stale owner: the four-bytes-at-a-time path agrees with the byte path", () => {
  // The same claims as an aligned bitmap (compared by int32 words) and at an odd offset (byte
  // by byte, as before the word path): same owners, same effects, same stale owner.
  // The sender's count of claims (Redis's sender_slots) counts whole equal words too: b keeps
  // its 8 slots (the top byte of word 0) and takes all of mine; without replica migration I only
  // follow b when every slot it claims was mine, so I stay a master.
  const mine = makeState({ id: ID("a"), configEpoch: 2, slotRange: [100, 199] }, [
    { id: ID("b"), configEpoch: 1, slotRange: [24, 31] },
    { id: ID("c"), configEpoch: 3, slotRange: [200, 16383] },
  ]);
  const takeover = slotBitmapFromRanges([[24, 31], [100, 199]]);
  const noMigration = { ...CFG, allowReplicaMigration: false };
  const after = updateSlotsConfigWith(mine, ID("b"), 4, takeover, noMigration, new EffectSink());
  assert.equal(after.slotOwner.get(150), ID("b"));
  assert.equal(after.nodes.get(ID("a"))!.masterId, null);
  const rng = new Prng(11);
  for (let round = 0; round < 60; round++) {
    const cut1 = 1 + rng.int(8000);
    const cut2 = cut1 + 1 + rng.int(8000);
    let s = makeState({ id: ID("a"), configEpoch: 2, slotRange: [0, cut1 - 1] }, [
      { id: ID("b"), configEpoch: 1 + rng.int(4), slotRange: [cut1, cut2 - 1] },
      { id: ID("c"), configEpoch: 3, slotRange: [cut2, 16383] },
    ]);
    if (round % 3 === 0) s = setImporting(s, rng.int(16384), ID("c"));
    const ranges: [number, number][] = [[cut1, cut2 - 1]];
    for (let k = rng.int(4); k > 0; k--) {
      const a = rng.int(16384);
      ranges.push([a, Math.min(16383, a + rng.int(rng.int(2) === 0 ? 3 : 300))]);
    }
    const aligned = slotBitmapFromRanges(ranges);
    if (round % 4 === 1) aligned[(cut1 >> 3) + 1] = 0; // b stops claiming some of its own
    const buf = new Uint8Array(aligned.length + 1);
    buf.set(aligned, 1);
    const unaligned = buf.subarray(1);
    const epoch = rng.int(6);
    const sinkA = new EffectSink();
    const sinkB = new EffectSink();
    const a = updateSlotsConfigWith(s, ID("b"), epoch, aligned, CFG, sinkA);
    const b = updateSlotsConfigWith(s, ID("b"), epoch, unaligned, CFG, sinkB);
    for (let j = 0; j < 16384; j++) {
      assert.equal(a.slotOwner.get(j), b.slotOwner.get(j), `round ${round} slot ${j}`);
      assert.equal(isSlotUnclaimed(a, j), isSlotUnclaimed(b, j), `round ${round} slot ${j}`);
    }
    assert.deepEqual(sinkA.effects, sinkB.effects, `round ${round}`);
    assert.deepEqual(
      [...a.nodes.values()].map((n) => [n.id, n.numSlots, n.masterId]),
      [
        ...b.nodes.values(),
      ].map((n) => [n.id, n.numSlots, n.masterId]),
    );
    assertInvariants(a);
    for (const sender of [ID("b"), ID("c")]) {
      assert.equal(
        staleSlotOwner(s, sender, aligned, epoch),
        staleSlotOwner(s, sender, unaligned, epoch),
        `round ${round} sender ${sender}`,
      );
    }
  }
});
