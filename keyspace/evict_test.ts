import assert from "node:assert/strict";
import { Hash } from "./hash.ts";
import { Db } from "./db.ts";
import {
  EvictionPool,
  evictionTimeLimitUs,
  Evictor,
  type EvictorHost,
  EVPOOL_SIZE,
  type MaxmemoryPolicy,
} from "./evict.ts";
import {
  idleMs,
  LFU_INIT_VAL,
  lfuDecrAndReturn,
  lfuLogIncr,
  lfuMinutes,
  LRU_CLOCK_MAX,
  lruClock,
  restoredLru,
  touchedLru,
} from "./lru.ts";
import { keyBytes } from "./object_size.ts";
import { prng } from "../tests/prng.ts";

Deno.test("pool keeps the 16 best scores in ascending order, dropping the worst", () => {
  const pool = new EvictionPool();
  const rnd = prng(1);
  const scores: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = Math.floor(rnd() * 1e6);
    scores.push(s);
    pool.insert(`k${i}`, s, 0);
  }
  const best = [...scores].sort((a, b) => b - a).slice(0, EVPOOL_SIZE);
  assert.deepEqual([...pool.scores].sort((a, b) => b - a), best);
  for (let i = 1; i < EVPOOL_SIZE; i++) assert.ok(pool.scores[i - 1] <= pool.scores[i]);
  // Taken best first.
  const first = pool.takeBest()!;
  assert.equal(first.key, `k${scores.indexOf(best[0])}`);
  assert.equal(pool.size, EVPOOL_SIZE - 1);
  // A score worse than every entry of a full pool is not inserted.
  pool.insert("worse", -1, 0);
  pool.insert("fill", best[0] + 1, 0);
  pool.insert("worse", -1, 0);
  assert.ok(!pool.keys.includes("worse"));
});

Deno.test("LRU clock: idle time wraps at 24 bits, restore IDLETIME sets it", () => {
  const now = 1_700_000_000_000;
  assert.equal(idleMs(lruClock(now), now), 0);
  assert.equal(idleMs(lruClock(now - 5_000), now), 5_000);
  // The clock wrapped since the access (estimateObjectIdleTime's second branch).
  const wrapNow = (LRU_CLOCK_MAX + 1) * 1000 * 3 + 10_000;
  assert.equal(idleMs(LRU_CLOCK_MAX - 5, wrapNow), (10 + 5) * 1000);
  const p = { lfu: false, lru: true, lfuLogFactor: 10, lfuDecayTimeMin: 1, random: () => 0 };
  assert.equal(idleMs(restoredLru(p, now, -1, 1000)!, now), 1_000_000);
  assert.equal(restoredLru(p, now, 7, -1), null);
});

Deno.test("LFU: log factor 0 counts every access; decay by minutes; saturates at 255", () => {
  const now = 1_700_000_000_000;
  const p = { lfu: true, lru: false, lfuLogFactor: 0, lfuDecayTimeMin: 1, random: prng(2) };
  let f = (lfuMinutes(now) << 8) | LFU_INIT_VAL;
  for (let i = 0; i < 100; i++) f = touchedLru(f, p, now);
  assert.equal(lfuDecrAndReturn(f, now, 1), LFU_INIT_VAL + 100);
  // Three minutes later: three periods of decay (lfu-decay-time 1), none with 0.
  assert.equal(lfuDecrAndReturn(f, now + 180_000, 1), LFU_INIT_VAL + 97);
  assert.equal(lfuDecrAndReturn(f, now + 180_000, 0), LFU_INIT_VAL + 100);
  assert.equal(lfuDecrAndReturn(f, now + 180_000, 2), LFU_INIT_VAL + 99);
  for (let i = 0; i < 300; i++) f = touchedLru(f, p, now);
  assert.equal(f & 255, 255);
  // Factor 10: the probability falls as the counter grows (1 / ((c - 5) * 10 + 1)).
  assert.equal(lfuLogIncr(5, 10, () => 0.999), 6);
  assert.equal(lfuLogIncr(15, 10, () => 0.5), 15);
  assert.equal(lfuLogIncr(15, 10, () => 0.0099), 16);
  assert.equal(lfuLogIncr(255, 0, () => 0), 255);
  const q = { ...p, lfuLogFactor: 10, random: prng(3) };
  let g = (lfuMinutes(now) << 8) | LFU_INIT_VAL;
  for (let i = 0; i < 1000; i++) g = touchedLru(g, q, now);
  // Redis's table: 1K hits with factor 10 give ~18.
  assert.ok((g & 255) > 12 && (g & 255) < 25, `counter ${g & 255}`);
});

Deno.test("keyspace: reads touch the clock, NOTOUCH lookups and RENAME keep it", () => {
  let now = 1_700_000_000_000;
  const db = new Db(() => now);
  db.set("a", "1");
  now += 10_000;
  assert.equal(idleMs(db.accessField("a")!, now), 10_000);
  db.lookup("a", false);
  assert.equal(idleMs(db.accessField("a")!, now), 10_000);
  db.rename("a", "b");
  assert.equal(idleMs(db.accessField("b")!, now), 10_000);
  db.lookup("b");
  assert.equal(idleMs(db.accessField("b")!, now), 0);
});

Deno.test("keyspace: access fields follow their keys through SWAPDB, delete, flush and sampling", () => {
  let now = 1_700_000_000_000;
  const a = new Db(() => now, 0);
  const b = new Db(() => now, 1);
  a.set("old", "1");
  now += 30_000;
  b.set("new", "2");
  a.swapWith(b);
  // Each key's field moved with it: "old" (now in b) idle 30 s, "new" (now in a) idle 0.
  assert.equal(idleMs(b.accessField("old")!, now), 30_000);
  assert.equal(idleMs(a.accessField("new")!, now), 0);
  assert.equal(a.accessField("old"), undefined);
  assert.equal(b.accessField("new"), undefined);
  // The eviction sample reads the same fields.
  const keys: string[] = [];
  const fields: number[] = [];
  b.sampleKeys(5, () => 0, keys, fields);
  assert.deepEqual(keys, ["old"]);
  assert.equal(idleMs(fields[0], now), 30_000);
  // A deleted key's field goes with it; the key set again starts a fresh clock.
  assert.ok(b.delete("old"));
  assert.equal(b.accessField("old"), undefined);
  now += 5_000;
  b.set("old", "3");
  assert.equal(idleMs(b.accessField("old")!, now), 0);
  a.flush();
  assert.equal(a.accessField("new"), undefined);
  // A touch of a missing key adds no field.
  a.touch("ghost");
  assert.equal(a.accessField("ghost"), undefined);
});

Deno.test("keyspace: usedBytes is the sum of the keys' charges through set/overwrite/delete/flush", () => {
  const db = new Db();
  const rnd = prng(4);
  const expect = () => {
    let n = 0;
    for (const [k, v] of db.dict) n += keyBytes(k, v);
    return n;
  };
  for (let i = 0; i < 2000; i++) {
    const k = `k${Math.floor(rnd() * 300)}`;
    const op = rnd();
    if (op < 0.4) db.set(k, "x".repeat(Math.floor(rnd() * 100)));
    else if (op < 0.55) db.set(k, new Uint8Array(Math.floor(rnd() * 300)));
    else if (op < 0.7) {
      const v = db.lookup(k);
      if (v instanceof Hash) v.set(`f${i}`, new Uint8Array(10));
      else if (v === undefined) db.add(k, Hash.from([["f", new Uint8Array(3)]]));
      db.signalModified(k);
    } else if (op < 0.9) db.delete(k);
    else if (op < 0.95) {
      const d = `k${Math.floor(rnd() * 300)}`;
      if (db.exists(k) && d !== k) db.rename(k, d);
    } else db.overwrite(k, "y");
    assert.equal(db.usedBytes, expect(), `op ${i}`);
  }
  db.flush();
  assert.equal(db.usedBytes, 0);
});

/** A host over `dbs` whose used memory is their usedBytes. */
function host(
  policy: MaxmemoryPolicy,
  max: () => number,
  dbs: Db[],
  nowMs: () => number,
  seed = 5,
) {
  const evicted: string[] = [];
  const latency: [string, number][] = [];
  let clock = 0;
  const h: EvictorHost = {
    policy: () => policy,
    maxmemoryBytes: max,
    samples: () => 5,
    tenacity: () => 10,
    lfuDecayTimeMin: () => 1,
    usedBytes: () => dbs.reduce((n, d) => n + d.usedBytes, 0),
    mayEvict: () => true,
    evicted: (_db, i, key) => evicted.push(`${i}:${key}`),
    nowMs,
    clockUs: () => clock++,
    random: prng(seed),
    later: () => {},
    latencyMonitorOn: () => false,
    latencySample: (event, ms) => latency.push([event, ms]),
  };
  return { h, evicted, latency };
}

Deno.test("evictor: allkeys-lru evicts mostly the least recently used keys", () => {
  let now = 1_700_000_000_000;
  const db = new Db(() => now);
  for (let i = 0; i < 1000; i++) {
    db.set(`k${i}`, "v".repeat(50));
    now += 1000; // k0 is the oldest
  }
  const limit = db.usedBytes - 300 * keyBytes("k500", "v".repeat(50));
  const { h, evicted } = host("allkeys-lru", () => limit, [db], () => now);
  const ev = new Evictor(h);
  assert.equal(ev.perform([db]), "ok");
  assert.ok(db.usedBytes <= limit);
  const ids = evicted.map((e) => Number(e.split(":k")[1]));
  const mean = ids.reduce((a, b) => a + b, 0) / ids.length;
  // Exact LRU would evict 0..299 (mean ~150); 5 samples and a pool of 16 come close.
  assert.ok(mean < 300, `mean evicted index ${mean}`);
  assert.equal(ev.evictedKeys, evicted.length);
});

Deno.test("evictor: volatile policies never evict keys without a TTL; volatile-ttl nearest first", () => {
  const now = 1_700_000_000_000;
  for (
    const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const
  ) {
    const db = new Db(() => now);
    for (let i = 0; i < 200; i++) db.set(`p${i}`, "v");
    for (let i = 0; i < 50; i++) {
      db.set(`t${i}`, "v");
      db.setExpire(`t${i}`, now + 1_000_000 + (i * 7919 % 50) * 1000);
    }
    const { h, evicted } = host(policy, () => 1, [db], () => now);
    const ev = new Evictor(h);
    assert.equal(ev.perform([db]), "fail", policy); // all volatile keys gone, still over
    assert.equal(db.expiresCount, 0);
    assert.equal(db.size, 200);
    assert.equal(evicted.length, 50);
    if (policy === "volatile-ttl") {
      // The first ten evicted are among the 20 nearest expiries.
      const rank = (k: string) => (Number(k.split(":t")[1]) * 7919) % 50;
      for (const e of evicted.slice(0, 10)) assert.ok(rank(e) < 20, `${e} rank ${rank(e)}`);
    }
  }
});

Deno.test("evictor: noeviction fails, allkeys-random empties several databases", () => {
  const now = 1_700_000_000_000;
  const dbs = [new Db(() => now), new Db(() => now)];
  for (let i = 0; i < 100; i++) dbs[i % 2].set(`k${i}`, "v");
  assert.equal(new Evictor(host("noeviction", () => 1, dbs, () => now).h).perform(dbs), "fail");
  const { h, evicted } = host("allkeys-random", () => 1, dbs, () => now);
  // Everything evicted: the memory is under the limit again.
  assert.equal(new Evictor(h).perform(dbs), "ok");
  assert.equal(evicted.length, 100);
  assert.ok(evicted.some((e) => e.startsWith("0:")) && evicted.some((e) => e.startsWith("1:")));
});

Deno.test("evictor: the time budget stops a large eviction; later turns finish it", () => {
  const now = 1_700_000_000_000;
  const db = new Db(() => now);
  for (let i = 0; i < 1000; i++) db.set(`k${i}`, "v");
  const { h } = host("allkeys-lru", () => 1, [db], () => now);
  const turns: (() => void)[] = [];
  h.later = (fn) => turns.push(fn);
  let clock = 0;
  h.clockUs = () => (clock += 100); // read every 16 keys: 500 µs after ~80 keys
  const ev = new Evictor(h);
  assert.equal(ev.perform([db]), "running");
  assert.ok(db.size > 800 && db.size < 1000, `evicted ${1000 - db.size} in one budget`);
  let n = 0;
  while (turns.length > 0 && n++ < 1000) turns.shift()!();
  assert.equal(db.size, 0);
  assert.equal(evictionTimeLimitUs(0), 0);
  assert.equal(evictionTimeLimitUs(10), 500);
  assert.equal(evictionTimeLimitUs(100), Infinity);
});

Deno.test("evictor: latency events eviction-del per key and eviction-cycle per run (evict.c)", () => {
  const now = 1_700_000_000_000;
  const db = new Db(() => now);
  for (let i = 0; i < 10; i++) db.set(`k${i}`, "v".repeat(50));
  let limit = db.usedBytes;
  const { h, latency } = host("allkeys-random", () => limit, [db], () => now);
  let clockUs = 0;
  h.clockUs = () => (clockUs += 1000); // each reading 1 ms later
  h.latencyMonitorOn = () => true;
  const ev = new Evictor(h);
  assert.equal(ev.perform([db]), "ok");
  assert.equal(latency.length, 0, "nothing to free: no cycle recorded");
  limit = db.usedBytes - 1; // one key to evict
  assert.equal(ev.perform([db]), "ok");
  assert.deepEqual(latency.map(([e]) => e), ["eviction-del", "eviction-cycle"]);
  assert.ok(latency.every(([, ms]) => ms >= 1), JSON.stringify(latency));
  h.latencyMonitorOn = () => false;
  latency.length = 0;
  limit = db.usedBytes - 1;
  ev.perform([db]);
  assert.equal(latency.length, 0, "monitor off: no samples");
});
