import assert from "node:assert/strict";
import { Db } from "./db.ts";
import { keyHashSlot } from "../protocol/slot.ts";

/** Every key a full SCAN of `db` visits. */
function scanAll(db: Db): string[] {
  const keys: string[] = [];
  let cursor = 0;
  do cursor = db.scan(cursor, 100, (k) => keys.push(k)); while (cursor !== 0);
  return keys.sort();
}

Deno.test("Dbs without keys share one slot index: a key in one is never in another's", () => {
  const [a, b, c] = [new Db(Date.now, 0), new Db(Date.now, 1), new Db(Date.now, 2)];
  a.set("foo", "1");
  a.set("bar", "2");
  const slot = keyHashSlot(new TextEncoder().encode("foo"));
  assert.deepEqual(scanAll(a), ["bar", "foo"]);
  assert.equal(a.countKeysInSlot(slot), 1);
  for (const empty of [b, c]) {
    assert.deepEqual(scanAll(empty), []);
    assert.equal(empty.countKeysInSlot(slot), 0);
    assert.equal(empty.randomKey(), undefined);
  }
  // SWAPDB moves the index with the keys; the emptied Db then takes keys of its own.
  a.swapWith(b);
  assert.deepEqual(scanAll(a), []);
  assert.deepEqual(scanAll(b), ["bar", "foo"]);
  a.set("baz", "3");
  assert.deepEqual(scanAll(a), ["baz"]);
  assert.deepEqual(scanAll(b), ["bar", "foo"]);
  assert.deepEqual(scanAll(c), []);
});

Deno.test("the slot index follows every add and removal: each slot lists exactly its keys", () => {
  // Keys crowd into a few slots (hash tags), so removals move keys inside a slot's list
  // (a removed key's place is taken by the slot's last key).
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const db = new Db(() => 1_000, 0);
  const enc = new TextEncoder();
  const keyOf = (n: number) => `{t${n % 5}}k${n}`;
  const live = new Set<string>();
  for (let step = 0; step < 20_000; step++) {
    const key = keyOf(Math.floor(random() * 3_000));
    const op = random();
    if (op < 0.5) {
      db.set(key, "v");
      live.add(key);
    } else if (op < 0.8) {
      assert.equal(db.delete(key), live.delete(key));
    } else if (op < 0.9 && live.has(key)) {
      const dst = keyOf(Math.floor(random() * 3_000));
      db.rename(key, dst);
      live.delete(key);
      live.add(dst);
    } else if (live.has(key)) {
      // Expired on access: removed through the same path as a delete.
      db.setExpire(key, 2_000);
      db.now = () => 3_000;
      assert.equal(db.lookup(key), undefined);
      db.now = () => 1_000;
      live.delete(key);
    }
  }
  assert.ok(live.size > 100, `${live.size} keys left`);
  assert.deepEqual(scanAll(db), [...live].sort());
  const bySlot = new Map<number, string[]>();
  for (const k of live) {
    const slot = keyHashSlot(enc.encode(k));
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), k]);
  }
  for (const [slot, keys] of bySlot) {
    assert.equal(db.countKeysInSlot(slot), keys.length);
    assert.deepEqual(db.getKeysInSlot(slot, keys.length + 1).sort(), keys.sort());
  }
  // Emptying a slot through its list removes every key of it, and only those.
  const [slot, keys] = [...bySlot][0];
  assert.equal(db.deleteSlot(slot), keys.length);
  for (const k of keys) live.delete(k);
  assert.equal(db.countKeysInSlot(slot), 0);
  assert.deepEqual(scanAll(db), [...live].sort());
  for (let i = 0; i < 50; i++) assert.ok(live.has(db.randomKey(random)!));
});
