import assert from "node:assert/strict";
import { Hash } from "./hash.ts";
import { Db } from "./db.ts";
import { keyBytes } from "./object_size.ts";
import { prng } from "../tests/prng.ts";

/** What `usedBytes` must equal: every key's charge computed afresh. */
function recount(db: Db): number {
  let n = 0;
  for (const [k, v] of db.dict) n += keyBytes(k, v);
  return n;
}

Deno.test("Db.usedBytes equals a fresh count after every change (seeded)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rnd = prng(seed);
    const int = (n: number) => Math.floor(rnd() * n);
    const db = new Db(() => 1_000_000);
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    for (let step = 0; step < 400; step++) {
      const key = keys[int(keys.length)];
      const v = db.dict.get(key);
      const op = int(9);
      let what = "";
      if (op <= 1) {
        what = "set string";
        db.set(key, "x".repeat(int(40)));
      } else if (op === 2) {
        what = "set bytes";
        db.set(key, new Uint8Array(int(3000)));
      } else if (op === 3) {
        what = "set hash";
        db.set(key, Hash.from([["f", "v"]]));
      } else if (op === 4 && v instanceof Hash) {
        // Changed in place, then signalled, as HSET does.
        what = "hset in place";
        for (let i = int(20); i > 0; i--) v.set(`f${int(100)}`, "y".repeat(int(50)));
        db.signalModified(key);
      } else if (op === 5) {
        what = "delete";
        db.delete(key);
      } else if (op === 6 && v !== undefined) {
        what = "rename";
        db.rename(key, keys[int(keys.length)]);
      } else if (op === 7) {
        what = "add or set again";
        if (v === undefined) db.add(key, "z");
        else db.set(key, v);
      } else if (op === 8 && int(20) === 0) {
        what = "flush";
        db.flush();
      }
      assert.equal(db.usedBytes, recount(db), `seed ${seed} step ${step} (${what} ${key})`);
    }
  }
});

Deno.test("Db: a collection's charge is kept on the value itself (no table entry per key), and moves with it through SWAPDB", () => {
  const stats = { hits: 0, misses: 0, expiredKeys: 0, dirty: 0 };
  const a = new Db(() => 1_000_000, 0, stats);
  const b = new Db(() => 1_000_000, 1, stats);
  const h = Hash.from([["f", "v"]]);
  assert.equal(h.charge, -1, "no charge before it is stored");
  a.set("h", h);
  assert.equal(h.charge, keyBytes("h", h));
  assert.equal(a.usedBytes, h.charge);
  // Changed in place: the charge on the value follows once settled.
  for (let i = 0; i < 50; i++) h.set(`f${i}`, "x".repeat(40));
  a.signalModified("h");
  assert.equal(a.usedBytes, keyBytes("h", h));
  assert.equal(h.charge, a.usedBytes);
  a.swapWith(b);
  assert.equal(b.usedBytes, h.charge);
  assert.equal(a.usedBytes, 0);
  assert.ok(b.delete("h"));
  assert.equal(b.usedBytes, 0);
});
