import assert from "node:assert/strict";
import { type Columns, KeyTable } from "./key_table.ts";

/** A small deterministic PRNG (xorshift32), so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function sorted(it: Iterable<[string, number]>): [string, number][] {
  return [...it].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

Deno.test("KeyTable: the same answers as a Map over random sets, deletes and clears", () => {
  for (const columns of ["keyspace", "map", "keys"] as const) {
    for (const seed of [0, 0xdeadbeef]) mapEquivalence(seed, columns);
  }
});

function mapEquivalence(seed: number, columns: Columns): void {
  const t = new KeyTable<number>(seed, columns);
  // A keys-only table's values read as `true` (a set's): so are the model's.
  const m = new Map<string, number>();
  const value = (step: number) => (columns === "keys" ? true as unknown as number : step);
  const random = rng(7);
  for (let step = 0; step < 60_000; step++) {
    // Keys from a small space (many hits, collisions in probe chains) with binary chars.
    const k = String.fromCharCode(Math.floor(random() * 256), Math.floor(random() * 40));
    const r = random();
    if (r < 0.5) {
      t.set(k, value(step));
      m.set(k, value(step));
    } else if (r < 0.9) {
      assert.equal(t.delete(k), m.delete(k));
    } else if (r < 0.9995) {
      assert.equal(t.get(k), m.get(k));
      assert.equal(t.has(k), m.has(k));
      // findBytes: the same slot as find, for the key's chars as bytes amid other bytes.
      const buf = new Uint8Array(k.length + 3).fill(7);
      for (let i = 0; i < k.length; i++) buf[2 + i] = k.charCodeAt(i);
      assert.equal(t.findBytes(buf, 2, 2 + k.length), t.find(k));
      // A prefix of the key (its first char): find's answer for that key too.
      assert.equal(t.findBytes(buf, 2, 3), t.find(k.slice(0, 1)));
    } else {
      t.clear();
      m.clear();
    }
    assert.equal(t.size, m.size);
  }
  assert.deepEqual(sorted(t), sorted(m));
  assert.deepEqual([...t.keys()].sort(), [...m.keys()].sort());
}

Deno.test("KeyTable: findBytes tells apart keys of one length whose hashes are equal", () => {
  // Under seed 42 these two keys hash alike (found by search): only their chars tell them apart.
  const a = "k0468088";
  const b = "k1192106";
  const t = KeyTable.map<number>(42);
  assert.equal(t.hash(a), t.hash(b));
  t.set(a, 1);
  const bytes = (k: string) => Uint8Array.from(k, (c) => c.charCodeAt(0));
  assert.equal(t.findBytes(bytes(b), 0, b.length), -1);
  const c = "k0468089"; // another hash
  t.set(b, 2);
  t.set(c, 3);
  assert.equal(t.valueAt(t.findBytes(bytes(a), 0, a.length)), 1);
  assert.equal(t.valueAt(t.findBytes(bytes(b), 0, b.length)), 2);
  assert.equal(t.valueAt(t.findBytes(bytes(c), 0, c.length)), 3);
});

Deno.test("KeyTable: a key's field is kept by set, given by insert, read and written by slot", () => {
  const t = new KeyTable<string>();
  t.insert("a", "1", 42);
  assert.equal(t.fieldOf("a"), 42);
  t.set("a", "2");
  assert.equal(t.fieldOf("a"), 42);
  assert.equal(t.get("a"), "2");
  const i = t.find("a");
  t.setFieldAt(i, 7);
  t.setValueAt(i, "3");
  assert.equal(t.fieldAt(i), 7);
  assert.equal(t.valueAt(i), "3");
  t.set("b", "x");
  assert.equal(t.fieldOf("b"), 0);
  assert.equal(t.fieldOf("missing"), undefined);
  assert.equal(t.find("missing"), -1);
  // The field survives the rehashes of growing past many keys.
  for (let n = 0; n < 10_000; n++) t.insert(`k${n}`, "v", n);
  assert.equal(t.fieldOf("a"), 7);
  for (let n = 0; n < 10_000; n += 997) assert.equal(t.fieldOf(`k${n}`), n);
});

Deno.test("KeyTable: an iterator yields each key still present once while the table grows and shrinks", () => {
  for (const columns of ["keyspace", "map", "keys"] as const) liveIteration(columns);
});

function liveIteration(columns: Columns): void {
  const t = new KeyTable<number>(undefined, columns);
  for (let n = 0; n < 1000; n++) t.set(`k${n}`, n);
  const seen = new Map<string, number>();
  const changedUnseen = new Set<string>();
  const deletedUnseen = new Set<string>();
  let step = 0;
  for (const [k, v] of t) {
    assert.equal(seen.has(k), false, `${k} yielded twice`);
    seen.set(k, v);
    step++;
    // Delete keys not seen yet (they must not be yielded), change values (the current one is),
    // add enough keys to force rehashes mid-walk.
    if (step === 10) {
      for (let n = 0; n < 1000; n += 2) if (!seen.has(`k${n}`)) t.delete(`k${n}`);
    }
    if (step === 20) { for (let n = 0; n < 5000; n++) t.set(`new${n}`, -1); }
    if (step === 30) {
      for (let n = 1; n < 1000; n += 4) {
        t.set(`k${n}`, n + 1_000_000);
        if (!seen.has(`k${n}`)) changedUnseen.add(`k${n}`);
      }
      for (let n = 3; n < 1000; n += 4) {
        if (!seen.has(`k${n}`)) {
          t.delete(`k${n}`);
          deletedUnseen.add(`k${n}`);
        }
      }
    }
    if (step === 40) { for (let n = 0; n < 5000; n++) t.delete(`new${n}`); }
  }
  // After the rehashes: a key changed before it was reached is yielded with its new value, and
  // one deleted before it was reached is not yielded.
  assert.ok(changedUnseen.size > 100 && deletedUnseen.size > 100);
  for (const k of changedUnseen) assert.equal(seen.get(k), t.get(k), k);
  for (const k of deletedUnseen) assert.equal(seen.has(k), false, k);
  for (let n = 0; n < 1000; n++) {
    const k = `k${n}`;
    if (t.has(k)) assert.equal(seen.has(k), true, `${k} never yielded`);
    if (seen.has(k) && !t.has(k)) {
      // Deleted after it was yielded, or yielded before the delete at step 10.
      assert.equal(n % 2, 0);
    }
  }
  // A value changed before the key was reached is the current one.
  for (const [k, v] of seen) if (k.startsWith("k") && v >= 1_000_000) assert.equal(t.get(k), v);
}

Deno.test("KeyTable: a table allocates only its layout's columns, through growth, clear and clone", () => {
  // Bytes a slot: key 8 + value 8 + hash 4 + LRU/LFU field 4 + place in its hash slot's key list
  // 4; no field nor place for a hash's or a sorted set's dict; key and hash only for a set's
  // members.
  const perSlot = { keyspace: 28, map: 20, keys: 12 };
  for (const columns of ["keyspace", "map", "keys"] as const) {
    const t = new KeyTable<number>(1, columns);
    assert.equal(t.columnBytes, perSlot[columns] * t.capacity, `${columns} empty`);
    for (let n = 0; n < 6000; n++) t.set(`k${n}`, n);
    assert.equal(t.columnBytes, perSlot[columns] * t.capacity, `${columns} grown`);
    // The fill a grown table keeps: more than 40% of the slots (MAX_LOAD and KEYSPACE_MAX_LOAD
    // 0.8, doubling). 6000 keys: 8192 slots (16384 at 0.7).
    assert.ok(t.size / t.capacity > 0.4, `${columns}: ${t.size} keys in ${t.capacity} slots`);
    assert.equal(t.capacity, 8192);
    const c = t.clone();
    assert.equal(c.columns, columns);
    assert.equal(c.columnBytes, t.columnBytes, `${columns} clone`);
    for (let n = 0; n < 5000; n++) c.set(`c${n}`, n);
    assert.equal(c.columnBytes, perSlot[columns] * c.capacity, `${columns} clone grown`);
    for (let n = 0; n < 5990; n++) t.delete(`k${n}`);
    assert.equal(t.columnBytes, perSlot[columns] * t.capacity, `${columns} shrunk`);
    t.clear();
    assert.equal(t.columnBytes, perSlot[columns] * t.capacity, `${columns} cleared`);
  }
  assert.equal(KeyTable.map<number>().columns, "map");
  assert.equal(KeyTable.keysOnly().columns, "keys");
});

Deno.test("KeyTable: deleting most keys shrinks the table and keeps the rest", () => {
  const t = new KeyTable<number>();
  for (let n = 0; n < 20_000; n++) t.set(`k${n}`, n);
  const grown = t.capacity;
  assert.ok(grown >= 20_000 / 0.8);
  for (let n = 0; n < 20_000; n++) if (n % 100 !== 0) t.delete(`k${n}`);
  assert.equal(t.size, 200);
  assert.ok(t.capacity <= 200 / 0.25, `capacity ${t.capacity} after deletes`);
  for (let n = 0; n < 20_000; n += 100) assert.equal(t.get(`k${n}`), n);
  assert.deepEqual([...t.keys()].length, 200);
});

Deno.test("KeyTable: a mark sits beside the field, leaves it unchanged and moves with the key", () => {
  const t = new KeyTable<string>();
  t.insert("a", "1", 0xabcdef);
  const i = t.find("a");
  assert.equal(t.markAt(i), true);
  assert.equal(t.markAt(i), false);
  assert.equal(t.fieldAt(i), 0xabcdef);
  assert.equal(t.fieldOf("a"), 0xabcdef);
  t.setFieldAt(i, 0x123456);
  assert.equal(t.fieldOf("a"), 0x123456);
  for (let n = 0; n < 1000; n++) t.insert(`k${n}`, "v", n);
  const j = t.find("a");
  assert.equal(t.unmarkAt(j), true, "the mark survives a rehash");
  assert.equal(t.unmarkAt(j), false);
  assert.equal(t.fieldAt(j), 0x123456);
  // A key deleted while marked comes back unmarked.
  t.markAt(j);
  t.delete("a");
  t.insert("a", "2", 5);
  assert.equal(t.unmarkAt(t.find("a")), false);
});

Deno.test("KeyTable: a big table's dropped meta column is freed at its rehash and at clear, not at the next GC", () => {
  const t = new KeyTable<number>(7, "keyspace");
  // The column itself (private): a freed one is detached, its byteLength 0.
  const column = () => (t as unknown as { meta: Int32Array }).meta;
  let n = 0;
  while (t.capacity < 1 << 16) t.set(`key:${n}`, n++);
  const small = column(); // 2^15 slots were released at this rehash; this one is 768 KiB
  const cap = t.capacity;
  while (t.capacity === cap) t.set(`key:${n}`, n++);
  assert.equal(small.byteLength, 0, "the old column was freed at the rehash");
  const big = column();
  assert.equal(big.byteLength, 12 * 2 * cap);
  // The memory itself: external (backing stores) drops at clear, with no GC to free it.
  const full = Deno.memoryUsage().external;
  t.clear();
  assert.equal(big.byteLength, 0, "clear freed the column");
  assert.ok(full - Deno.memoryUsage().external >= 0.9 * 12 * 2 * cap, "external memory dropped");
  for (let i = 0; i < 1000; i++) t.set(`key:${i}`, i);
  assert.equal(t.get("key:999"), 999);
  assert.equal(t.size, 1000);
  // A small table's column stays in V8's heap (no `.buffer` taken from it): not released.
  const m = KeyTable.map<number>();
  for (let i = 0; i < 100; i++) m.set(`f${i}`, i);
  assert.equal(m.get("f99"), 99);
});
