import assert from "node:assert/strict";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { RdbSnapshot } from "./snapshot.ts";
import { Db, type Value } from "../keyspace/db.ts";
import { storedValue, unslab } from "../keyspace/value_slab.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Stream } from "../keyspace/stream.ts";
import { loadRdb, standardAux } from "../protocol/rdb_file.ts";
import { DEFAULT_RDB_OPTIONS } from "../protocol/rdb_object.ts";
import { concatBytes } from "../protocol/bytes.ts";
import { Prng } from "../cluster/prng.ts";
import { stringBytes } from "../keyspace/string_value.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const O = DEFAULT_RDB_OPTIONS;
const NOW_MS = 1_700_000_000_000;

/** A key's value and TTL as text, independent of encodings (to compare two keyspaces). */
function canon(db: Db): Map<string, string> {
  const out = new Map<string, string>();
  const show = (v: Value): string => {
    if (typeof v === "string") return `s:${dec.decode(Uint8Array.from(v, (c) => c.charCodeAt(0)))}`;
    if (v instanceof Uint8Array) return `s:${dec.decode(v)}`;
    if (v instanceof Deque) return `l:${[...v].map((e) => dec.decode(stringBytes(e))).join(",")}`;
    if (v instanceof Map) {
      return `h:${[...v].map(([f, x]) => `${f}=${dec.decode(stringBytes(x))}`).sort().join(",")}`;
    }
    if (v instanceof MemberSet) return `S:${[...v].sort().join(",")}`;
    if (v instanceof Stream) return `x:${v.length}`;
    return `z:${[...v].map(([m, s]) => `${m}=${s}`).sort().join(",")}`;
  };
  for (const [k, v] of db.dict) out.set(k, `${show(unslab(v))} ttl=${db.expires.get(k) ?? -1}`);
  return out;
}

function populate(db: Db, rnd: Prng, n: number): void {
  for (let i = 0; i < n; i++) {
    const key = `k${i}`;
    switch (rnd.int(5)) {
      case 0:
        // Half of them in the value slab, whose records later writes reuse.
        db.add(
          key,
          rnd.chance(0.5)
            ? storedValue(enc.encode(`v${rnd.int(1000)}`))
            : enc.encode(`v${rnd.int(1000)}`),
        );
        break;
      case 1:
        db.add(key, Deque.from([enc.encode("a"), enc.encode(`${rnd.int(100)}`)]));
        break;
      case 2:
        db.add(key, Hash.from([["f", enc.encode(`${rnd.int(100)}`)]]));
        break;
      case 3:
        db.add(key, MemberSet.of([`m${rnd.int(100)}`, "x"]));
        break;
      default: {
        const z = new ZSet(true);
        z.add("a", rnd.int(100));
        db.add(key, z);
      }
    }
    if (rnd.chance(0.3)) db.expires.set(key, NOW_MS + 1000 * (1 + rnd.int(1000)));
  }
}

/**
 * One random change, made as the server makes it: a value changed in place is announced first
 * (server/dispatch.ts does this for every key of a write command); adds, overwrites, deletes,
 * renames and TTL changes go through the Db, which announces them itself.
 */
function mutate(db: Db, rnd: Prng, keyCount: number, fresh: { n: number }): void {
  const key = `k${rnd.int(keyCount)}`;
  const v = db.dict.get(key);
  switch (rnd.int(7)) {
    case 0: // in place, as LPUSH / HSET / SADD / ZADD / APPEND do
      if (v === undefined) return;
      db.observer?.beforeChange(key);
      if (v instanceof Deque) v.push(enc.encode("pushed"));
      else if (v instanceof Map) v.set("f", enc.encode("changed"));
      else if (v instanceof MemberSet) v.add("added");
      else if (v instanceof ZSet) v.add("a", -1);
      else db.set(key, enc.encode("overwritten"), true);
      db.signalModified(key);
      return;
    case 1:
      db.delete(key);
      return;
    case 2:
      db.set(key, storedValue(enc.encode(`set-again ${rnd.int(1000)}`)));
      return;
    case 3:
      db.add(`new${fresh.n++}`, storedValue(enc.encode(`born later ${rnd.int(1000)}`)));
      return;
    case 4:
      if (v !== undefined) db.setExpire(key, NOW_MS + 5_000_000);
      return;
    case 5:
      if (v !== undefined) db.persist(key);
      return;
    default: {
      const dst = `k${rnd.int(keyCount)}`;
      if (v !== undefined && dst !== key) db.rename(key, dst);
    }
  }
}

Deno.test("a snapshot written while the keyspace changes holds the keyspace of its start (seeded)", () => {
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new Prng(seed);
    const db = new Db(() => NOW_MS);
    const keyCount = 50 + rnd.int(400);
    populate(db, rnd, keyCount);
    const before = canon(db);
    const chunks: Uint8Array[] = [];
    // A small chunk size, so preserved values also flush mid-walk.
    const snap = new RdbSnapshot(
      db,
      standardAux({ ctimeSec: 1 }),
      O,
      (c) => chunks.push(c.slice()),
      { chunkBytes: 512 },
    );
    db.observer = { beforeChange: (k) => snap.preserve(k), beforeFlush: () => snap.abandon() };
    const fresh = { n: 0 };
    while (!snap.step(1 + rnd.int(20))) {
      for (let i = rnd.int(30); i > 0; i--) mutate(db, rnd, keyCount, fresh);
    }
    snap.finish();
    db.observer = null;
    assert.equal(snap.keysWritten, snap.keysTotal, `seed ${seed}`);
    const loaded = new Db(() => NOW_MS);
    loadRdb(loaded, concatBytes(chunks), O, { dropExpired: false, nowMs: NOW_MS });
    assert.deepEqual(canon(loaded), before, `seed ${seed}`);
    assert.notDeepEqual(canon(db), before, `seed ${seed}: the keyspace did change meanwhile`);
  }
});

Deno.test("a snapshot of an empty keyspace is a valid empty file", () => {
  const db = new Db(() => NOW_MS);
  const chunks: Uint8Array[] = [];
  const snap = new RdbSnapshot(db, standardAux({ ctimeSec: 1 }), O, (c) => chunks.push(c.slice()));
  snap.runToEnd();
  const loaded = new Db(() => NOW_MS);
  const r = loadRdb(loaded, concatBytes(chunks), O, { dropExpired: false, nowMs: NOW_MS });
  assert.equal(r.loaded, 0);
  assert.equal(r.checksumVerified, true);
});

Deno.test("the output buffer stays bounded: it goes to the sink at every chunk", () => {
  const db = new Db(() => NOW_MS);
  for (let i = 0; i < 2000; i++) db.add(`key:${i}`, new Uint8Array(300));
  let biggest = 0;
  const snap = new RdbSnapshot(db, [], O, (c) => biggest = Math.max(biggest, c.length), {
    chunkBytes: 4096,
  });
  db.observer = { beforeChange: (k) => snap.preserve(k), beforeFlush: () => snap.abandon() };
  for (let i = 0; i < 2000; i += 2) db.delete(`key:${i}`); // every other value preserved at once
  snap.runToEnd();
  assert.ok(biggest < 4096 + 400, `largest chunk ${biggest} bytes`);
});
