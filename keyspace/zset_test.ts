/**
 * Skip-list tests: random operations (seeded) checked against a naive sorted-array model, with
 * the structural invariants (spans, backward links, level trimming) verified along the way.
 */

import assert from "node:assert/strict";
import { type LexRange, type ScoreRange, setLevelRandom, ZSet } from "./zset.ts";

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Entry = [string, number];

function cmp(a: Entry, b: Entry): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The naive model: a sorted array of [member, score]. */
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
}

function inScore(s: number, r: ScoreRange): boolean {
  return (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max);
}

function inLex(m: string, r: LexRange): boolean {
  const lo = r.minKind === -1 ? true : r.minKind === 1 ? false : r.minex ? m > r.min : m >= r.min;
  const hi = r.maxKind === 1 ? true : r.maxKind === -1 ? false : r.maxex ? m < r.max : m <= r.max;
  return lo && hi;
}

function contents(z: ZSet): Entry[] {
  return [...z];
}

Deno.test("zset skiplist: random operations match a sorted-array model", () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const rnd = prng(seed);
    setLevelRandom(prng(seed * 7 + 1));
    // Both emulated encodings: listpack mode answers lex queries by a linear scan.
    const z = new ZSet(seed % 2 === 0);
    const model = new Model();
    // Few distinct scores and short members so ties and lex order are exercised.
    const member = () => {
      const len = 1 + Math.floor(rnd() * 3);
      let s = "";
      for (let i = 0; i < len; i++) {
        s += String.fromCharCode([0, 97, 98, 99, 200, 255][Math.floor(rnd() * 6)]);
      }
      return s;
    };
    const score = () =>
      [-Infinity, Infinity, -0, 0, 1, 1.5, -2, 3][Math.floor(rnd() * 8)] +
      (rnd() < 0.3 ? Math.floor(rnd() * 5) : 0);
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
    for (let step = 0; step < 3000; step++) {
      const op = rnd();
      if (op < 0.45) {
        const m = member();
        const s = score();
        if (z.scores.has(m)) z.update(m, s);
        else z.add(m, s);
        model.set(m, s);
      } else if (op < 0.6) {
        const m = member();
        assert.equal(z.remove(m), model.remove(m));
      } else if (op < 0.65) {
        const n = z.popFirst();
        const e = model.items.shift();
        assert.deepEqual(n === null ? undefined : [n.member, n.score], e);
      } else if (op < 0.7) {
        const n = z.popLast();
        const e = model.items.pop();
        assert.deepEqual(n === null ? undefined : [n.member, n.score], e);
      } else if (op < 0.75) {
        const r = scoreRange();
        const expect = model.items.filter((e) => inScore(e[1], r));
        assert.equal(z.countInScoreRange(r), expect.length);
        assert.equal(z.firstInScoreRange(r)?.member, expect[0]?.[0]);
        assert.equal(z.lastInScoreRange(r)?.member, expect.at(-1)?.[0]);
        if (rnd() < 0.3) {
          assert.equal(z.deleteRangeByScore(r), expect.length);
          model.items = model.items.filter((e) => !inScore(e[1], r));
        }
      } else if (op < 0.8) {
        const r = lexRange();
        const expect = model.items.filter((e) => inLex(e[0], r));
        // Lex ranges are only meaningful when all scores are equal; the skip list still answers
        // by walking in order, so compare only when the model is lex-sorted.
        const lexSorted = model.items.every((e, i, a) => i === 0 || a[i - 1][0] < e[0]);
        if (lexSorted) {
          assert.equal(z.countInLexRange(r), expect.length);
          assert.equal(z.firstInLexRange(r)?.member, expect[0]?.[0]);
          assert.equal(z.lastInLexRange(r)?.member, expect.at(-1)?.[0]);
          if (rnd() < 0.3) {
            assert.equal(z.deleteRangeByLex(r), expect.length);
            model.items = model.items.filter((e) => !inLex(e[0], r));
          }
        }
      } else if (op < 0.85) {
        const n = model.items.length;
        if (n > 0) {
          const a = Math.floor(rnd() * n);
          const b = a + Math.floor(rnd() * (n - a));
          if (rnd() < 0.2) {
            assert.equal(z.deleteRangeByRank(a, b), b - a + 1);
            model.items.splice(a, b - a + 1);
          } else {
            assert.equal(z.byRank(a)?.member, model.items[a][0]);
            assert.equal(z.byRank(b)?.score, model.items[b][1]);
          }
        }
        assert.equal(z.byRank(n), null);
        assert.equal(z.byRank(-1), null);
      } else {
        const m = member();
        assert.equal(z.rank(m), model.find(m));
        assert.equal(z.score(m), model.items[model.find(m)]?.[1]);
      }
      assert.equal(z.size, model.items.length);
      if (step % 50 === 0) {
        z.checkInvariants();
        assert.deepEqual(contents(z), model.items);
      }
    }
    z.checkInvariants();
    assert.deepEqual(contents(z), model.items);
    // Every rank agrees.
    model.items.forEach((e, i) => assert.equal(z.rank(e[0]), i));
  }
  setLevelRandom(Math.random);
});

Deno.test("zset skiplist: large ordered and reversed inserts keep spans right", () => {
  const z = new ZSet(false);
  for (let i = 0; i < 5000; i++) z.add(`m${i}`, i % 2 === 0 ? i : -i);
  z.checkInvariants();
  assert.equal(z.size, 5000);
  assert.equal(z.byRank(0)!.score, -4999);
  assert.equal(z.byRank(4999)!.score, 4998);
  assert.equal(z.rank("m0"), 2500);
  // Updates that keep position (in place) and that move the node.
  z.update("m0", 0.5);
  assert.equal(z.rank("m0"), 2500);
  z.update("m0", 1e9);
  assert.equal(z.rank("m0"), 4999);
  assert.equal(z.last()!.member, "m0");
  z.checkInvariants();
  for (let i = 0; i < 2500; i++) assert.ok(z.popFirst());
  z.checkInvariants();
  assert.equal(z.first()!.score, 2);
  while (z.popLast() !== null) { /* drain */ }
  z.checkInvariants();
  assert.equal(z.size, 0);
  assert.equal(z.first(), null);
  assert.equal(z.last(), null);
});

Deno.test("zset skiplist: equal scores order by member bytes (memcmp)", () => {
  const z = new ZSet();
  for (const m of ["b", "a", "\xff", "\x00", "ab", "B"]) z.add(m, 1);
  assert.deepEqual([...z].map((e) => e[0]), ["\x00", "B", "a", "ab", "b", "\xff"]);
  const all: LexRange = { min: "", max: "", minKind: -1, maxKind: 1, minex: true, maxex: true };
  assert.equal(z.countInLexRange(all), 6);
  const none: LexRange = { min: "", max: "", minKind: 1, maxKind: -1, minex: true, maxex: true };
  assert.equal(z.countInLexRange(none), 0);
  const ab: LexRange = { min: "a", max: "b", minKind: 0, maxKind: 0, minex: true, maxex: false };
  assert.deepEqual([z.firstInLexRange(ab)!.member, z.lastInLexRange(ab)!.member], ["ab", "b"]);
  z.checkInvariants();
});
