/**
 * Db.lookupSlot / storedAt / overwriteSmallAt (INCR's one lookup) against `set(key, value, true,
 * false)`, the write they stand for: the same value, charge, TTL, dirty count and WATCH signal,
 * and the old slab record freed.
 */

import assert from "node:assert/strict";
import { Db, type Stored } from "./db.ts";
import { valueSlab } from "./value_slab.ts";

const NOW = 1_000_000;
const slabOf = (s: string) => valueSlab.putBinaryString(s);

Deno.test("Db.overwriteSmallAt changes a key as set(key, value, keepTtl, no touch) does", () => {
  const base = valueSlab.liveRecords;
  const forms: [string, (s: string) => string | number][] = [
    ["string", (s) => s],
    ["slab", slabOf],
  ];
  for (const [oldForm, makeOld] of forms) {
    for (const [newForm, makeNew] of forms) {
      const where = `${oldForm} -> ${newForm}`;
      const a = new Db(() => NOW);
      const b = new Db(() => NOW);
      const wa = { dirtyCas: false };
      const wb = { dirtyCas: false };
      for (const [db, w] of [[a, wa], [b, wb]] as const) {
        db.set("k", makeOld("12345"));
        db.setExpire("k", NOW + 10_000);
        db.watch("k", w);
      }
      const i = a.lookupSlot("k");
      assert.ok(i >= 0, where);
      const held: Stored = a.storedAt(i);
      assert.equal(typeof held, oldForm === "slab" ? "number" : "string", where);
      a.overwriteSmallAt(i, "k", makeNew("12345678901234567890"));
      b.set("k", makeNew("12345678901234567890"), true, false);
      assert.equal(a.lookup("k"), "12345678901234567890", where);
      assert.equal(a.usedBytes, b.usedBytes, `${where}: charge`);
      assert.equal(a.expires.get("k"), NOW + 10_000, `${where}: TTL kept`);
      assert.equal(a.stats.dirty, b.stats.dirty, `${where}: dirty`);
      assert.equal(wa.dirtyCas, true, `${where}: WATCH signalled`);
      a.flush();
      b.flush();
      assert.equal(valueSlab.liveRecords, base, `${where}: slab records freed`);
    }
  }
});

Deno.test("Db.lookupSlot: -1 for a missing key and for an expired one (which goes)", () => {
  let now = NOW;
  const db = new Db(() => now);
  assert.equal(db.lookupSlot("nope"), -1);
  db.set("k", "1");
  db.setExpire("k", now + 100);
  assert.ok(db.lookupSlot("k") >= 0);
  now += 200;
  assert.equal(db.lookupSlot("k"), -1);
  assert.equal(db.dict.has("k"), false);
});
