/** Tests for cluster/prng.ts: reference vector, determinism, ranges, fork, shuffle. */

import assert from "node:assert/strict";
import { Prng } from "./prng.ts";

Deno.test("prng: xoshiro128** reference vector from state 1,2,3,4", () => {
  const r = Prng.fromState(1, 2, 3, 4);
  const got = Array.from({ length: 10 }, () => r.nextU32());
  assert.deepEqual(got, [
    11520,
    0,
    5927040,
    70819200,
    2031721883,
    1637235492,
    1287239034,
    3734860849,
    3729100597,
    4258142804,
  ]);
  assert.throws(() => Prng.fromState(0, 0, 0, 0), RangeError);
});

Deno.test("prng: same seed gives the same stream, different seeds differ", () => {
  const a = new Prng(42);
  const b = new Prng(42);
  const c = new Prng(43);
  const sa = Array.from({ length: 50 }, () => a.nextU32());
  const sb = Array.from({ length: 50 }, () => b.nextU32());
  const sc = Array.from({ length: 50 }, () => c.nextU32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  // Seed 0 works and is not degenerate.
  const z = new Prng(0);
  const sz = Array.from({ length: 8 }, () => z.nextU32());
  assert.ok(new Set(sz).size === 8);
  // Large and fractional seeds are distinct from their truncations.
  assert.notEqual(new Prng(2 ** 40 + 1).nextU32(), new Prng(1).nextU32());
  assert.notEqual(new Prng(1.5).nextU32(), new Prng(1).nextU32());
  assert.throws(() => new Prng(NaN), RangeError);
  assert.equal(new Prng(7).seed, 7);
});

Deno.test("prng: next() in [0,1), int/range bounds and rough uniformity", () => {
  const r = new Prng(1234);
  for (let i = 0; i < 1000; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
  }
  const counts = new Array(10).fill(0);
  const draws = 20000;
  for (let i = 0; i < draws; i++) counts[r.int(10)]++;
  // Chi-square with 9 degrees of freedom; 30 is far beyond the 99.9% quantile (27.9).
  const expected = draws / 10;
  const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 30, `chi2 ${chi2} counts ${counts}`);
  assert.equal(r.int(1), 0);
  for (let i = 0; i < 200; i++) {
    const v = r.range(-3, 3);
    assert.ok(Number.isInteger(v) && v >= -3 && v <= 3);
  }
  // int(2^32) covers the full range without bias handling issues.
  const big = r.int(2 ** 32);
  assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 32);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => r.int(1.5), RangeError);
  assert.throws(() => r.range(5, 4), RangeError);
  assert.equal(r.chance(0), false);
  assert.equal(r.chance(1), true);
});

Deno.test("prng: pick and shuffle", () => {
  const r = new Prng(9);
  const arr = [1, 2, 3, 4, 5, 6, 7, 8];
  const shuffled = r.shuffle([...arr]);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), arr);
  assert.notDeepEqual(shuffled, arr); // 1/40320 chance of equality for a fixed seed: it isn't.
  assert.deepEqual(new Prng(9).shuffle([...arr]), shuffled);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(r.pick(["a", "b", "c"]));
  assert.deepEqual([...seen].sort(), ["a", "b", "c"]);
  assert.throws(() => r.pick([]), RangeError);
  assert.deepEqual(r.shuffle([]), []);
});

Deno.test("prng: fork is deterministic and independent of later parent draws", () => {
  const p1 = new Prng(5);
  const p2 = new Prng(5);
  const f1 = p1.fork();
  const f2 = p2.fork();
  // Parent draws after the fork do not affect the child.
  p1.nextU32();
  p1.nextU32();
  const c1 = Array.from({ length: 20 }, () => f1.nextU32());
  const c2 = Array.from({ length: 20 }, () => f2.nextU32());
  assert.deepEqual(c1, c2);
  // The child differs from the parent's continuation and from a second fork.
  const p3 = new Prng(5);
  p3.fork();
  const g = p3.fork();
  assert.notDeepEqual(Array.from({ length: 20 }, () => g.nextU32()), c1);
  const parentNext = Array.from({ length: 20 }, () => p2.nextU32());
  assert.notDeepEqual(parentNext, c1);
});
