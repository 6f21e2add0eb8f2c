/**
 * ZSet tests, for both forms (compact string and skip list): seeded random operations checked
 * against a naive sorted-array model, the compact and skip-list forms side by side (and across the
 * conversion), and the structural invariants (entry encoding and order; spans, backward links,
 * level trimming) verified along the way.
 */

import assert from "node:assert/strict";
import { type LexRange, type ScoreRange, type ZRange, ZSet } from "./zset.ts";
import { encodeEntry, entry, readEntry } from "./zset_packed.ts";
import { prng } from "../tests/prng.ts";

type Entry = [string, number];

function cmp(a: Entry, b: Entry): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}

function gteMin(m: string, r: LexRange): boolean {
  return r.minKind === -1 ? true : r.minKind === 1 ? false : r.minex ? m > r.min : m >= r.min;
}

function lteMax(m: string, r: LexRange): boolean {
  return r.maxKind === 1 ? true : r.maxKind === -1 ? false : r.maxex ? m < r.max : m <= r.max;
}

function lexEmpty(r: LexRange): boolean {
  let c: number;
  if (r.minKind === r.maxKind && r.minKind !== 0) c = 0;
  else if (r.minKind === -1 || r.maxKind === 1) c = -1;
  else if (r.minKind === 1 || r.maxKind === -1) c = 1;
  else c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}

/**
 * The naive model: a sorted array of [member, score]. Lex ranges follow Redis's listpack scans
 * (zzlFirstInLexRange / zzlLastInLexRange: linear, meaningful or not), which the skip list also
 * gives whenever the members are in lex order.
 */
class Model {
  items: Entry[] = [];
  find(m: string): number {
    return this.items.findIndex((e) => e[0] === m);
  }
  set(m: string, s: number): void {
    const i = this.find(m);
    if (i >= 0) this.items.splice(i, 1);
    this.items.push([m, s]);
    this.items.sort(cmp);
  }
  remove(m: string): boolean {
    const i = this.find(m);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }
  lexSorted(): boolean {
    return this.items.every((e, i, a) => i === 0 || a[i - 1][0] < e[0]);
  }
  private lexInRange(r: LexRange): boolean {
    const n = this.items.length;
    return !lexEmpty(r) && n > 0 && gteMin(this.items[n - 1][0], r) &&
      lteMax(this.items[0][0], r);
  }
  firstInLex(r: LexRange): number {
    if (!this.lexInRange(r)) return -1;
    const i = this.items.findIndex((e) => gteMin(e[0], r));
    return i >= 0 && lteMax(this.items[i][0], r) ? i : -1;
  }
  lastInLex(r: LexRange): number {
    if (!this.lexInRange(r)) return -1;
    const i = this.items.findLastIndex((e) => lteMax(e[0], r));
    return i >= 0 && gteMin(this.items[i][0], r) ? i : -1;
  }
  /** How many elements from the first in range stay <= max (ZLEXCOUNT, ZREMRANGEBYLEX). */
  lexRun(r: LexRange): [number, number] {
    const i0 = this.firstInLex(r);
    if (i0 < 0) return [0, 0];
    let i = i0;
    while (i < this.items.length && lteMax(this.items[i][0], r)) i++;
    return [i0, i - i0];
  }
  rangeByLex(r: LexRange, offset: number, limit: number, rev: boolean): Entry[] {
    const out: Entry[] = [];
    const i0 = rev ? this.lastInLex(r) : this.firstInLex(r);
    if (i0 < 0) return out;
    const step = rev ? -1 : 1;
    for (let i = i0 + step * offset; i >= 0 && i < this.items.length && limit !== 0; i += step) {
      const e = this.items[i];
      if (rev ? !gteMin(e[0], r) : !lteMax(e[0], r)) break;
      out.push(e);
      limit--;
    }
    return out;
  }
  rangeByScore(r: ScoreRange, offset: number, limit: number, rev: boolean): Entry[] {
    const inRange = this.items.filter((e) => inScore(e[1], r));
    if (rev) inRange.reverse();
    return inRange.slice(offset, limit < 0 ? undefined : offset + limit);
  }
}

function pairs(r: ZRange): Entry[] {
  assert.equal(r.members.length, r.scores.length);
  return r.members.map((m, i) => [m, r.scores[i]]);
}

/** A random operation source over few scores and short binary members (ties, lex order). */
function generators(rnd: () => number) {
  const member = () => {
    const len = 1 + Math.floor(rnd() * 3);
    let s = "";
    for (let i = 0; i < len; i++) {
      s += String.fromCharCode([0, 97, 98, 99, 200, 255][Math.floor(rnd() * 6)]);
    }
    return s;
  };
  const score = () => {
    const p = rnd();
    if (p < 0.05) return (rnd() - 0.5) * 2 ** (Math.floor(rnd() * 120) - 60); // any double
    if (p < 0.1) return Math.floor((rnd() - 0.5) * 2 ** 50); // wide integers
    return [-Infinity, Infinity, -0, 0, 1, 1.5, -2, 3, 255, -129][Math.floor(rnd() * 10)] +
      (rnd() < 0.3 ? Math.floor(rnd() * 5) : 0);
  };
  const scoreRange = (): ScoreRange => {
    const a = score();
    const b = score();
    return { min: Math.min(a, b), max: Math.max(a, b), minex: rnd() < 0.3, maxex: rnd() < 0.3 };
  };
  const lexBound = (): [string, -1 | 0 | 1] => {
    const p = rnd();
    if (p < 0.1) return ["", -1];
    if (p < 0.2) return ["", 1];
    return [member(), 0];
  };
  const lexRange = (): LexRange => {
    const [min, minKind] = lexBound();
    const [max, maxKind] = lexBound();
    return { min, max, minKind, maxKind, minex: rnd() < 0.3, maxex: rnd() < 0.3 };
  };
  return { member, score, scoreRange, lexRange };
}

/**
 * Run `steps` random operations on every zset in `zs` and on the model, comparing each result.
 * Lex-range answers are compared for the compact form always (Redis's linear scans), for the skip
 * list only while the members are in lex order. `convertAt`: the step where the compact zsets
 * convert to skip lists (-1: never).
 */
function runRandom(seed: number, zs: ZSet[], steps: number, convertAt: number): void {
  const rnd = prng(seed);
  const g = generators(rnd);
  const model = new Model();
  const all = <T>(f: (z: ZSet) => T, expect: T, what: string) => {
    for (const z of zs) assert.deepEqual(f(z), expect, `${what} (${z.encoding})`);
  };
  try {
    for (let step = 0; step < steps; step++) {
      if (step === convertAt) { for (const z of zs) z.convertToSkiplist(); }
      const op = rnd();
      if (op < 0.4) {
        const m = g.member();
        const s = g.score();
        for (const z of zs) {
          if (z.score(m) !== undefined) z.update(m, s);
          else z.add(m, s);
        }
        model.set(m, s);
      } else if (op < 0.52) {
        const m = g.member();
        all((z) => z.remove(m), model.remove(m), "remove");
      } else if (op < 0.56) {
        const e = model.items.shift() ?? null;
        all((z) => z.popFirst(), e, "popFirst");
      } else if (op < 0.6) {
        const e = model.items.pop() ?? null;
        all((z) => z.popLast(), e, "popLast");
      } else if (op < 0.68) {
        const r = g.scoreRange();
        const offset = rnd() < 0.5 ? 0 : Math.floor(rnd() * 4);
        const limit = rnd() < 0.5 ? -1 : Math.floor(rnd() * 4);
        const rev = rnd() < 0.5;
        all(
          (z) => pairs(z.rangeByScore(r, offset, limit, rev)),
          model.rangeByScore(r, offset, limit, rev),
          "rangeByScore",
        );
        const inRange = model.items.filter((e) => inScore(e[1], r)).length;
        all((z) => z.countInScoreRange(r), inRange, "countInScoreRange");
        if (rnd() < 0.3) {
          all((z) => z.deleteRangeByScore(r), inRange, "deleteRangeByScore");
          model.items = model.items.filter((e) => !inScore(e[1], r));
        }
      } else if (op < 0.76) {
        const r = g.lexRange();
        const offset = rnd() < 0.5 ? 0 : Math.floor(rnd() * 4);
        const limit = rnd() < 0.5 ? -1 : Math.floor(rnd() * 4);
        const rev = rnd() < 0.5;
        const meaningful = model.lexSorted();
        const lexZs = zs.filter((z) => z.listpack || meaningful);
        const [i0, count] = model.lexRun(r);
        for (const z of lexZs) {
          const what = `lex ${z.encoding}`;
          assert.deepEqual(
            pairs(z.rangeByLex(r, offset, limit, rev)),
            model.rangeByLex(r, offset, limit, rev),
            what,
          );
          assert.equal(z.countInLexRange(r), count, what);
        }
        if (rnd() < 0.3 && lexZs.length === zs.length) {
          all((z) => z.deleteRangeByLex(r), count, "deleteRangeByLex");
          model.items.splice(i0, count);
        }
      } else if (op < 0.86) {
        const n = model.items.length;
        if (n > 0) {
          const a = Math.floor(rnd() * n);
          const b = a + Math.floor(rnd() * (n - a));
          if (rnd() < 0.2) {
            all((z) => z.deleteRangeByRank(a, b), b - a + 1, "deleteRangeByRank");
            model.items.splice(a, b - a + 1);
          } else {
            const rev = rnd() < 0.5;
            const expect = rev
              ? model.items.slice(n - 1 - b, n - a).reverse()
              : model.items.slice(a, b + 1);
            all((z) => pairs(z.rangeByRank(a, b, rev)), expect, "rangeByRank");
            all((z) => z.byRank(a), model.items[a], "byRank");
          }
        }
        all((z) => z.byRank(model.items.length), null, "byRank past the end");
        all((z) => z.byRank(-1), null, "byRank(-1)");
      } else {
        const m = g.member();
        const i = model.find(m);
        all((z) => z.rank(m), i, "rank");
        all((z) => z.score(m), model.items[i]?.[1], "score");
      }
      all((z) => z.size, model.items.length, "size");
      if (step % 50 === 0) {
        for (const z of zs) z.checkInvariants();
        all((z) => [...z], model.items, "contents");
      }
    }
    for (const z of zs) z.checkInvariants();
    all((z) => [...z], model.items, "contents");
    model.items.forEach((e, i) => all((z) => z.rank(e[0]), i, "final rank"));
  } catch (e) {
    throw new Error(`zset random test failed with seed ${seed}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

for (const listpack of [true, false]) {
  const form = listpack ? "compact" : "skiplist";

  Deno.test(`zset ${form}: random operations match a sorted-array model`, () => {
    for (const seed of [1, 2, 3, 42, 1234]) runRandom(seed, [new ZSet(listpack)], 2000, -1);
  });

  Deno.test(`zset ${form}: large ordered and reversed inserts keep order and ranks`, () => {
    const z = new ZSet(listpack);
    const n = listpack ? 600 : 5000;
    for (let i = 0; i < n; i++) z.add(`m${i}`, i % 2 === 0 ? i : -i);
    z.checkInvariants();
    assert.equal(z.listpack, listpack);
    assert.equal(z.size, n);
    assert.equal(z.byRank(0)![1], -(n - 1));
    assert.equal(z.byRank(n - 1)![1], n - 2);
    assert.equal(z.rank("m0"), n / 2);
    // Updates that keep position (in place) and that move the element.
    z.update("m0", 0.5);
    assert.equal(z.rank("m0"), n / 2);
    z.update("m0", 1e9);
    assert.equal(z.rank("m0"), n - 1);
    assert.deepEqual(z.byRank(n - 1), ["m0", 1e9]);
    z.checkInvariants();
    for (let i = 0; i < n / 2; i++) assert.ok(z.popFirst());
    z.checkInvariants();
    assert.equal(z.byRank(0)![1], 2);
    while (z.popLast() !== null) { /* drain */ }
    z.checkInvariants();
    assert.equal(z.size, 0);
    assert.equal(z.popFirst(), null);
    assert.equal(z.byRank(0), null);
    assert.deepEqual([...z], []);
  });

  Deno.test(`zset ${form}: equal scores order by member bytes (memcmp)`, () => {
    const z = new ZSet(listpack);
    for (const m of ["b", "a", "\xff", "\x00", "ab", "B"]) z.add(m, 1);
    assert.deepEqual([...z].map((e) => e[0]), ["\x00", "B", "a", "ab", "b", "\xff"]);
    const all: LexRange = { min: "", max: "", minKind: -1, maxKind: 1, minex: true, maxex: true };
    assert.equal(z.countInLexRange(all), 6);
    const none: LexRange = { min: "", max: "", minKind: 1, maxKind: -1, minex: true, maxex: true };
    assert.equal(z.countInLexRange(none), 0);
    const ab: LexRange = { min: "a", max: "b", minKind: 0, maxKind: 0, minex: true, maxex: false };
    assert.deepEqual(z.rangeByLex(ab, 0, -1, false).members, ["ab", "b"]);
    assert.deepEqual(z.rangeByLex(ab, 0, -1, true).members, ["b", "ab"]);
    z.checkInvariants();
  });

  Deno.test(`zset ${form}: clone is independent and keeps the form`, () => {
    const z = new ZSet(listpack);
    for (let i = 0; i < 20; i++) z.add(`member:${i}`, i * 1.5);
    const c = z.clone();
    assert.equal(c.listpack, listpack);
    c.remove("member:3");
    c.add("x", -1);
    z.update("member:4", 100);
    c.checkInvariants();
    z.checkInvariants();
    assert.equal(z.score("member:3"), 4.5);
    assert.equal(c.score("member:4"), 6);
    assert.equal(c.byRank(0)![0], "x");
  });
}

Deno.test("zset: compact, skip-list and model agree, across the conversion", () => {
  for (const seed of [7, 8, 9, 2024, 99991]) {
    // The third one starts compact and converts part-way through.
    const convertAt = 300 + (seed % 700);
    runRandom(seed, [new ZSet(true), new ZSet(false)], 1500, -1);
    runRandom(seed, [new ZSet(true), new ZSet(false), new ZSet(true)], 1500, convertAt);
  }
});

Deno.test("zset compact: scores and members round-trip through the entry encoding", () => {
  const scores = [
    0,
    -0,
    1,
    -1,
    127,
    128,
    -128,
    -129,
    32767,
    32768,
    2 ** 47 - 1,
    -(2 ** 47),
    2 ** 47,
    -(2 ** 47) - 1,
    2 ** 53,
    -(2 ** 53),
    1.5,
    -1e-300,
    5e-324,
    Number.MAX_VALUE,
    Infinity,
    -Infinity,
  ];
  const members = ["", "a", "x".repeat(30), "y".repeat(31), "z".repeat(32), "\x00\xff".repeat(100)];
  members.push("w".repeat(20000));
  for (const s of scores) {
    for (const m of members) {
      const e = encodeEntry(m, s);
      readEntry(e, 0);
      assert.ok(Object.is(entry.score, s), `score ${s}`);
      assert.equal(e.slice(entry.memberStart, entry.end), m);
      assert.equal(entry.end, e.length);
    }
  }
  // Small integers are short: header + 1..2 bytes + member.
  assert.equal(encodeEntry("member:1", 523).length, 1 + 2 + 8);
  assert.equal(encodeEntry("m", 5).length, 3);
  assert.equal(encodeEntry("m", 0.5).length, 10);
  // A zset of every case keeps them all, in order.
  const z = new ZSet(true);
  scores.forEach((s, i) => z.add(members[i % members.length] + i, s));
  z.checkInvariants();
  const got = [...z].map((e) => e[1]);
  assert.equal(got.length, scores.length);
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1] <= got[i]);
  for (const s of scores) assert.ok(got.some((g) => Object.is(g, s)), `score ${s}`);
  z.convertToSkiplist();
  z.checkInvariants();
  assert.equal(z.size, scores.length);
});

Deno.test("zset: conversion keeps everything and is one-way", () => {
  const z = new ZSet(true);
  for (let i = 0; i < 128; i++) z.add(`member:${i}`, (i * 37) % 101);
  const before = [...z];
  assert.equal(z.encoding, "listpack");
  z.convertToSkiplist();
  assert.equal(z.encoding, "skiplist");
  assert.equal(z.listpack, false);
  z.checkInvariants();
  assert.deepEqual([...z], before);
  z.convertToSkiplist(); // no-op
  assert.deepEqual([...z], before);
  z.add("late", 50);
  assert.equal(z.rank("late"), before.filter((e) => e[1] < 50).length);
});

Deno.test("zset compact: checkInvariants catches a broken string", () => {
  const z = new ZSet(true);
  for (const [m, s] of [["a", 1], ["b", 2], ["c", 3]] as const) z.add(m, s);
  z.checkInvariants();
  const raw = z as unknown as { p: string; n: number };
  const good = raw.p;
  // Swapped entries: out of order.
  const a = encodeEntry("a", 1), b = encodeEntry("b", 2), c = encodeEntry("c", 3);
  assert.equal(good, a + b + c);
  raw.p = b + a + c;
  assert.throws(() => z.checkInvariants(), /order/);
  // A duplicate member, a wrong count, a non-canonical integer, a truncated entry.
  raw.p = a + encodeEntry("a", 2) + c;
  assert.throws(() => z.checkInvariants(), /duplicate/);
  raw.p = good;
  raw.n = 4;
  assert.throws(() => z.checkInvariants(), /count/);
  raw.n = 3;
  raw.p = String.fromCharCode((1 << 3) | 2, 1, 0) + "a" + b + c;
  assert.throws(() => z.checkInvariants(), /canonical/);
  raw.p = good.slice(0, -1);
  assert.throws(() => z.checkInvariants());
  raw.p = good;
  z.checkInvariants();
});

Deno.test("zset skiplist: records freed by deletions are reused, a shrunk list is rebuilt intact", () => {
  const z = new ZSet(false);
  const model = new Map<string, number>();
  const check = () => {
    z.checkInvariants();
    const want = [...model].sort(cmp);
    assert.deepEqual([...z], want);
    for (let i = 0; i < want.length; i += 97) assert.equal(z.rank(want[i][0]), i);
  };
  for (let i = 0; i < 6000; i++) {
    z.add(`k${i}`, (i * 7919) % 1000);
    model.set(`k${i}`, (i * 7919) % 1000);
  }
  // Nine in ten go, one at a time: past three free records per live one the list is rebuilt.
  for (let i = 0; i < 6000; i++) {
    if (i % 10 === 0) continue;
    assert.ok(z.remove(`k${i}`));
    model.delete(`k${i}`);
  }
  check();
  // New members take freed records (and new ones); moving updates re-link theirs.
  for (let i = 0; i < 3000; i++) {
    z.add(`n${i}`, i / 3);
    model.set(`n${i}`, i / 3);
  }
  for (let i = 0; i < 6000; i += 20) {
    z.update(`k${i}`, -i);
    model.set(`k${i}`, -i);
  }
  check();
  assert.equal(z.deleteRangeByRank(0, 99), 100);
  for (const [m] of [...model].sort(cmp).slice(0, 100)) model.delete(m);
  check();
});

Deno.test("zset: storedMember gives a skip list's own member for the bytes, else null", () => {
  const bytes = (k: string) => Uint8Array.from(k, (c) => c.charCodeAt(0));
  const compact = new ZSet(true);
  compact.add("a", 1);
  assert.equal(compact.storedMember(bytes("a")), null);
  const z = new ZSet(false);
  for (let i = 0; i < 200; i++) z.add(`m${i}`, i);
  assert.equal(z.storedMember(bytes("m17")), "m17");
  assert.equal(z.storedMember(bytes("m1")), "m1");
  assert.equal(z.storedMember(bytes("m200")), null);
  assert.equal(z.storedMember(bytes("")), null);
  z.update(z.storedMember(bytes("m17"))!, 500);
  assert.equal(z.score("m17"), 500);
  z.checkInvariants();
});
