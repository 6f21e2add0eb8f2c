import assert from "node:assert/strict";
import {
  changedKeysBetween,
  inNodeMapBatch,
  NodeMap,
  placesOf,
  someValue,
  valuesOf,
} from "./node_map.ts";
import { internSlots, NO_SLOTS } from "./slot_bitmap_intern.ts";
import { Prng } from "./prng.ts";
import {
  type ClusterNode,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
} from "./state.ts";

const ID = (k: number) => k.toString(16).padStart(40, "0");

/**
 * The ids whose record differs between `prev` and `next` (or that came or went), sorted: over the
 * touched keys when `changedKeysBetween` can tell them, else over every key.
 */
function changedIds(
  prev: ReadonlyMap<string, ClusterNode>,
  next: ReadonlyMap<string, ClusterNode>,
): string[] {
  const keys = changedKeysBetween(prev, next) ?? new Set([...prev.keys(), ...next.keys()]);
  return [...keys].filter((id) => prev.get(id) !== next.get(id)).sort();
}

/** A random record change: a new node, or a field the links see (or one they do not). */
function randomPut(rng: Prng, m: ReadonlyMap<string, ClusterNode>, next: number): ClusterNode {
  const ids = [...m.keys()];
  if (rng.int(4) === 0 || ids.length < 2) {
    return createNode(ID(next), NodeFlags.MASTER, 1000, { ip: "10.0.0.1" });
  }
  const n = m.get(ids[1 + rng.int(ids.length - 1)])!;
  switch (rng.int(4)) {
    case 0:
      return { ...n, linkState: n.linkState === "connected" ? "disconnected" : "connected" };
    case 1:
      return { ...n, pingSentMs: n.pingSentMs === 0 ? 4000 + rng.int(100) : 0 };
    case 2:
      return { ...n, flags: n.flags ^ NodeFlags.PFAIL };
    default:
      return { ...n, replOffset: n.replOffset + 1 };
  }
}

Deno.test("node map: iterates, sizes and indexes like the Map it stands for (seeded puts)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Prng(seed);
    let model = new Map<string, ClusterNode>([[
      ID(0),
      createNode(ID(0), NodeFlags.MASTER | NodeFlags.MYSELF, 0),
    ]]);
    let m: ReadonlyMap<string, ClusterNode> = new Map(model);
    for (let step = 0; step < 400; step++) {
      const n = randomPut(rng, model, step + 1);
      model = new Map(model).set(n.id, n);
      const keep = m;
      const keepOrder = [...keep.entries()];
      m = NodeMap.with(m, [[n.id, n]]);
      assert.deepEqual([...keep.entries()], keepOrder, "the old map is unchanged");
      assert.equal(m.size, model.size);
      assert.equal(m.get(n.id), n);
      assert.ok(m.has(n.id) && !m.has(ID(99999)));
      if (step % 7 === 0) assert.deepEqual([...m.entries()], [...model.entries()]);
      assert.deepEqual(valuesOf(m), [...model.values()], "valuesOf");
      const values = [...model.values()];
      const places = placesOf(m);
      assert.equal(places.size, values.length);
      for (let i = 0; i < values.length; i++) assert.equal(places.at(i), values[i], `place ${i}`);
      assert.equal(places.at(values.length), undefined);
      // Only the last call's places may be read.
      placesOf(m);
      assert.throws(() => places.at(0), /newer placesOf/);
    }
  }
});

Deno.test("node map: the records a view change touched are the ones a full walk finds", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Prng(seed);
    let s: ClusterState = createState(ID(0), 0);
    let fast = 0;
    for (let step = 0; step < 300; step++) {
      const prev = s;
      // One to four puts per installed view, as a packet's handling does.
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const n = randomPut(rng, s.nodes, 1000 * seed + step * 4 + k);
        s = { ...s, nodes: NodeMap.with(s.nodes, [[n.id, n]]) };
      }
      if (rng.int(3) === 0) [...s.nodes.values()]; // a flat copy built midway
      if (changedKeysBetween(prev.nodes, s.nodes) !== null) fast++;
      // Plain Maps take the full walk.
      const full = changedIds(new Map(prev.nodes), new Map(s.nodes));
      assert.deepEqual(changedIds(prev.nodes, s.nodes), full, `seed ${seed} step ${step}`);
    }
    assert.ok(fast > 200, `the touched-records path ran (${fast} of 300)`);
  }
});

Deno.test("slot bitmaps: equal bitmaps are one shared copy, the empty one is NO_SLOTS", () => {
  const a = new Uint8Array(2048);
  a[3] = 0x81;
  const b = a.slice();
  assert.equal(internSlots(a), a);
  assert.equal(internSlots(b), a);
  const c = a.slice();
  c[3] = 0x80;
  assert.equal(internSlots(c), c);
  assert.equal(internSlots(new Uint8Array(2048)), NO_SLOTS);
  assert.equal(createNode(ID(1), NodeFlags.MASTER, 0).slots, NO_SLOTS);
});

Deno.test("node map: a batch sets into the map it made, and leaves every older map unchanged", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const rng = new Prng(seed);
    let model = new Map<string, ClusterNode>([[
      ID(0),
      createNode(ID(0), NodeFlags.MASTER | NodeFlags.MYSELF, 0),
    ]]);
    let m: ReadonlyMap<string, ClusterNode> = new Map(model);
    let next = 1;
    for (let round = 0; round < 40; round++) {
      const before = m;
      const beforeOrder = [...before.entries()];
      const puts = 1 + rng.int(30);
      const made = new Set<ReadonlyMap<string, ClusterNode>>();
      m = inNodeMapBatch(() => {
        let b = before;
        for (let k = 0; k < puts; k++) {
          const n = randomPut(rng, model, next++);
          model = new Map(model).set(n.id, n);
          b = NodeMap.with(b, [[n.id, n]]);
          made.add(b);
          assert.equal(b.get(n.id), n);
          assert.equal(b.size, model.size);
        }
        return b;
      });
      // One copy per batch: every update after the first went into the same map.
      assert.equal(made.size, 1);
      assert.deepEqual([...before.entries()], beforeOrder, "the map the batch started from");
      assert.deepEqual([...m.entries()], [...model.entries()]);
      const values = [...model.values()];
      const places = placesOf(m);
      for (let i = 0; i < values.length; i++) assert.equal(places.at(i), values[i], `place ${i}`);
      assert.deepEqual(
        changedIds(before, m),
        changedIds(new Map(before), m),
        "the touched keys hold every changed record",
      );
      // Out of the batch, the map it made is frozen: an update copies it.
      const frozen = [...m.entries()];
      const after = NodeMap.with(m, [[ID(0), createNode(ID(0), NodeFlags.MASTER, 1)]]);
      assert.notEqual(after, m);
      assert.deepEqual([...m.entries()], frozen);
    }
  }
});

Deno.test("node map: someValue answers as a walk over every record does (seeded puts)", () => {
  const replica = (n: ClusterNode) => (n.flags & NodeFlags.SLAVE) !== 0;
  const answers = new Set<boolean>();
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Prng(seed);
    const nodes: ClusterNode[] = [];
    for (let k = 0; k < 8; k++) {
      nodes.push(createNode(ID(k), rng.int(4) === 0 ? NodeFlags.SLAVE : NodeFlags.MASTER, 1000));
    }
    let m: ReadonlyMap<string, ClusterNode> = NodeMap.with(
      new Map(nodes.map((n) => [n.id, n])),
      [],
    );
    for (let step = 0; step < 300; step++) {
      // Flip a node between replica and master: replicas of the base get replaced in the delta.
      const ids = [...m.keys()];
      const n = m.get(ids[rng.int(ids.length)])!;
      const flags = rng.int(6) === 0
        ? (n.flags & ~NodeFlags.MASTER) | NodeFlags.SLAVE
        : (n.flags & ~NodeFlags.SLAVE) | NodeFlags.MASTER;
      m = NodeMap.with(m, [[n.id, { ...n, flags }]]);
      const want = [...m.values()].some(replica);
      assert.equal(someValue(m, replica), want, `seed ${seed} step ${step}`);
      answers.add(want);
    }
  }
  assert.deepEqual([...answers].sort(), [false, true]);
});
