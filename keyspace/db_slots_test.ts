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
