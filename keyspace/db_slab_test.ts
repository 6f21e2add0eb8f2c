/**
 * The key space and the value slab (keyspace/value_slab.ts): a slab record is held by exactly one
 * key, and freed when that key stops holding it (overwrite, delete, expiry, eviction, a slot's
 * deletion, FLUSHDB), but not when RENAME moves it. Seeded runs of random changes over two
 * databases check, after every change, every key's value against a model and the records in use
 * against the handles the tables hold.
 */

import assert from "node:assert/strict";
import { Db } from "./db.ts";
import { SLAB_MAX_BYTES, storedValue, valueSlab } from "./value_slab.ts";
import { loadRdb, readRdb, standardAux, writeRdb } from "../protocol/rdb_file.ts";
import { DEFAULT_RDB_OPTIONS } from "../protocol/rdb_object.ts";
import { storedString } from "./string_value.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";
import { Prng } from "../cluster/prng.ts";

const bin = (b: Uint8Array) => String.fromCharCode(...b);

/** Every handle the databases hold: each must be held once, and be a record in use. */
function checkRecords(dbs: Db[], base: number, where: string): void {
  const seen = new Set<number>();
  for (const db of dbs) {
    for (const [key, v] of db.dict) {
      if (typeof v !== "number") continue;
      assert.ok(!seen.has(v), `${where}: record ${v} held twice (again by ${key})`);
      seen.add(v);
    }
  }
  assert.equal(valueSlab.liveRecords - base, seen.size, `${where}: records in use`);
}

/** What a key's value reads as, through the Db's lookup. */
function read(db: Db, key: string): string | undefined {
  const v = db.lookup(key, false);
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return bin(v);
  return `<${v.constructor.name}>`;
}

Deno.test("value slab records follow their keys through overwrites, deletes, expiry, eviction, renames, slots, swaps and flushes (seeded)", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = new Prng(seed);
    let nowMs = 1_000_000;
    const dbs = [new Db(() => nowMs, 0), new Db(() => nowMs, 1)];
    const models = [new Map<string, string>(), new Map<string, string>()];
    const base = valueSlab.liveRecords;
    const keys = Array.from({ length: 12 }, (_, i) => `key:${i}`);
    const value = () => {
      const n = [0, 3, 16, 40, 63, 64, 100][rnd.int(7)];
      return Uint8Array.from({ length: n }, () => 32 + rnd.int(90));
    };
    for (let step = 0; step < 400; step++) {
      const d = rnd.int(2);
      const db = dbs[d];
      const model = models[d];
      const key = keys[rnd.int(keys.length)];
      let op = "";
      switch (rnd.int(10)) {
        case 0:
        case 1:
        case 2: {
          const v = value();
          op = `set ${key} (${v.length} bytes)`;
          db.set(key, storedValue(v));
          model.set(key, bin(v));
          break;
        }
        case 3: {
          op = `set ${key} bytes`;
          const v = value();
          db.set(key, v.slice());
          model.set(key, bin(v));
          break;
        }
        case 4:
          op = `delete ${key}`;
          db.delete(key);
          model.delete(key);
          break;
        case 5: {
          const dst = keys[rnd.int(keys.length)];
          op = `rename ${key} ${dst}`;
          if (!model.has(key) || dst === key) break;
          db.rename(key, dst);
          model.set(dst, model.get(key)!);
          model.delete(key);
          break;
        }
        case 6:
          op = `expire ${key}`;
          if (!model.has(key)) break;
          db.setExpire(key, nowMs + 10);
          nowMs += 20;
          assert.equal(db.lookup(key), undefined);
          model.delete(key);
          break;
        case 7:
          op = `evict ${key}`;
          if (!model.has(key)) break;
          db.evictKey(key);
          model.delete(key);
          break;
        case 8: {
          const slot = keyHashSlotBinary(key);
          op = `delete slot of ${key}`;
          db.deleteSlot(slot);
          for (const k of [...model.keys()]) if (keyHashSlotBinary(k) === slot) model.delete(k);
          break;
        }
        default:
          if (rnd.int(4) === 0) {
            op = `flush db ${d}`;
            db.flush();
            model.clear();
          } else {
            op = "swap";
            dbs[0].swapWith(dbs[1]);
            const [m0, m1] = models;
            models[0] = m1;
            models[1] = m0;
          }
      }
      const where = `seed ${seed} step ${step} (${op})`;
      for (let i = 0; i < 2; i++) {
        for (const k of keys) {
          assert.equal(read(dbs[i], k), models[i].get(k), `${where}: db ${i} ${k}`);
        }
      }
      checkRecords(dbs, base, where);
    }
    for (const db of dbs) db.flush();
    assert.equal(valueSlab.liveRecords, base, `seed ${seed}: every record freed by the flushes`);
  }
});

Deno.test("a value in the slab is charged as the binary string it stands for (MEMORY USAGE, maxmemory)", () => {
  const inSlab = new Db(() => 0);
  const asText = new Db(() => 0);
  const rnd = new Prng(7);
  for (let i = 0; i < 200; i++) {
    const key = `k${rnd.int(20)}`;
    const v = Uint8Array.from({ length: rnd.int(64) }, () => rnd.int(256));
    if (rnd.int(5) === 0) {
      inSlab.delete(key);
      asText.delete(key);
    } else {
      inSlab.set(key, storedValue(v));
      asText.set(key, storedString(v));
    }
    assert.equal(inSlab.usedBytes, asText.usedBytes, `step ${i}`);
  }
  inSlab.flush();
});

Deno.test("an RDB load stores small string values in the slab, as SET does, and writes them back as they were", () => {
  const rnd = new Prng(11);
  const src = new Db(() => 0);
  const base = valueSlab.liveRecords;
  const values = new Map<string, Uint8Array>();
  for (let i = 0; i < 300; i++) {
    // Lengths around the slab's limit (63 bytes) and the class steps, any byte value.
    const n = [0, 1, 7, 8, 62, 63, 64, 200][rnd.int(8)];
    const v = Uint8Array.from({ length: n }, () => rnd.int(256));
    values.set(`k${i}`, v);
    src.set(`k${i}`, storedValue(v));
  }
  const file = writeRdb(src, standardAux({ ctimeSec: 1 }), DEFAULT_RDB_OPTIONS);
  const loaded = new Db(() => 0);
  loadRdb(loaded, file, DEFAULT_RDB_OPTIONS, { dropExpired: false, nowMs: 0 });
  for (const [key, v] of values) {
    const held = loaded.dict.get(key);
    assert.equal(typeof held === "number", v.length <= SLAB_MAX_BYTES, `${key}: ${v.length} bytes`);
    assert.equal(read(loaded, key), bin(v), key);
  }
  checkRecords([src, loaded], base, "after the load");
  // Written again, the same entries (the key table's order may differ from the source's).
  const entries = (buf: Uint8Array) =>
    readRdb(buf, DEFAULT_RDB_OPTIONS).entries.map((e) => [e.key, e.value] as const)
      .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  const again = writeRdb(loaded, standardAux({ ctimeSec: 1 }), DEFAULT_RDB_OPTIONS);
  assert.deepEqual(entries(again), entries(file));
  src.flush();
  loaded.flush();
  assert.equal(valueSlab.liveRecords, base);
});
