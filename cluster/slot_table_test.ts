import assert from "node:assert/strict";
import { Prng } from "./prng.ts";
import { SLOT_CHUNK, SlotTable } from "./slot_table.ts";

const SLOTS = 16384;
const IDS = ["a", "b", "c"].map((x) => x.repeat(40));

Deno.test("slot table: a change copies only the chunks it touches; diffs visit only what changed (seeded)", () => {
  const rng = new Prng(11);
  let table = SlotTable.empty();
  let model: (string | null)[] = new Array(SLOTS).fill(null);
  for (let round = 0; round < 300; round++) {
    const changes: [number, string | null][] = [];
    for (let k = rng.int(20); k >= 0; k--) {
      const owner = rng.int(4) === 0 ? null : IDS[rng.int(IDS.length)];
      // Mostly near each other (a reshard), sometimes anywhere.
      const slot = rng.int(3) === 0 ? rng.int(SLOTS) : (round * 37 + rng.int(200)) % SLOTS;
      changes.push([slot, owner]);
    }
    const next = table.withChanges(changes);
    const nextModel = model.slice();
    for (const [j, o] of changes) nextModel[j] = o;
    assert.deepEqual(next.toArray(), nextModel, `round ${round}`);
    for (let j = 0; j < SLOTS; j += 97) assert.equal(next.get(j), nextModel[j]);
    // forEachChange = the naive diff of the two arrays.
    const seen: [number, string | null, string | null][] = [];
    table.forEachChange(next, (j, was, now) => seen.push([j, was, now]));
    const naive: [number, string | null, string | null][] = [];
    for (let j = 0; j < SLOTS; j++) {
      if (model[j] !== nextModel[j]) naive.push([j, model[j], nextModel[j]]);
    }
    assert.deepEqual(seen, naive, `round ${round}`);
    // Chunks no change names are the same objects; chunks that changed are new ones.
    const named = new Set(changes.map(([j]) => Math.floor(j / SLOT_CHUNK)));
    const changed = new Set(naive.map(([j]) => Math.floor(j / SLOT_CHUNK)));
    const chunksOf = (t: SlotTable) => (t as unknown as { chunks: unknown[] }).chunks;
    for (let c = 0; c < SLOTS / SLOT_CHUNK; c++) {
      const shared = chunksOf(next)[c] === chunksOf(table)[c];
      if (!named.has(c)) assert.ok(shared, `round ${round}: chunk ${c} copied`);
      if (changed.has(c)) assert.ok(!shared, `round ${round}: chunk ${c} shared`);
    }
    if (naive.length === 0) assert.equal(next, table);
    table = next;
    model = nextModel;
  }
  assert.deepEqual(SlotTable.from(model).toArray(), model);
  assert.deepEqual([...table], model);
  const renamed = table.replaceOwner(IDS[0], "d".repeat(40));
  assert.deepEqual(renamed.toArray(), model.map((o) => (o === IDS[0] ? "d".repeat(40) : o)));
  assert.equal(table.replaceOwner("e".repeat(40), null), table);
  assert.ok(SlotTable.empty().every((o) => o === null));
});

Deno.test("slot table: runs of one owner are those of the owners' array, every call (seeded)", () => {
  const rng = new Prng(23);
  let table = SlotTable.empty();
  for (let round = 0; round < 60; round++) {
    const changes: [number, string | null][] = [];
    // Half of the runs start and end on chunk boundaries (next to chunks never assigned).
    const aligned = rng.int(2) === 0;
    const at = aligned ? SLOT_CHUNK * rng.int(SLOTS / SLOT_CHUNK) : rng.int(SLOTS);
    const len = aligned ? SLOT_CHUNK * (1 + rng.int(20)) : rng.int(3000);
    const owner = rng.int(4) === 0 ? null : IDS[rng.int(IDS.length)];
    for (let j = at; j < Math.min(SLOTS, at + len); j++) changes.push([j, owner]);
    table = table.withChanges(changes);
    const owners = table.toArray();
    const naive: [number, number, string | null][] = [];
    let start = 0;
    for (let j = 1; j <= SLOTS; j++) {
      if (j === SLOTS || owners[j] !== owners[start]) {
        naive.push([start, j - 1, owners[start]]);
        start = j;
      }
    }
    for (let call = 0; call < 2; call++) {
      const runs: [number, number, string | null][] = [];
      table.forEachRun((a, b, o) => runs.push([a, b, o]));
      assert.deepEqual(runs, naive, `round ${round} call ${call}`);
    }
  }
  const empty: [number, number, string | null][] = [];
  SlotTable.empty().forEachRun((a, b, o) => empty.push([a, b, o]));
  assert.deepEqual(empty, [[0, SLOTS - 1, null]]);
});
