import assert from "node:assert/strict";
import { pqsort } from "./pqsort.ts";
import { prng } from "../tests/prng.ts";

Deno.test("pqsort sorts the asked range as a full sort would", () => {
  const rnd = prng(42);
  for (let round = 0; round < 400; round++) {
    const n = Math.floor(rnd() * 120);
    // Keys with many ties; the payload tells equal keys apart.
    const v = Array.from({ length: n }, (_, i) => ({ k: Math.floor(rnd() * 10), i }));
    const full = [...v].sort((a, b) => a.k - b.k);
    const l = Math.floor(rnd() * (n + 2)) - 1;
    const r = l + Math.floor(rnd() * (n + 1)) - 1;
    const p = [...v];
    pqsort(p, (a, b) => a.k - b.k, l, r);
    assert.deepEqual(p.map((x) => x.i).sort((a, b) => a - b), v.map((x) => x.i), "a permutation");
    for (let j = Math.max(l, 0); j <= Math.min(r, n - 1); j++) {
      assert.equal(p[j].k, full[j].k, `round ${round}: position ${j} of [${l}, ${r}] in ${n}`);
    }
  }
  // The whole range: fully sorted.
  const w = Array.from({ length: 300 }, () => Math.floor(rnd() * 1000));
  pqsort(w, (a, b) => a - b, 0, 299);
  assert.deepEqual(w, [...w].sort((a, b) => a - b));
});

/** SORT ... BY ... ALPHA's order: a missing weight (null) first, then the weights' bytes. */
function byWeight(a: [string, string | null], b: [string, string | null]): number {
  if (a[1] === null || b[1] === null) return a[1] === b[1] ? 0 : a[1] === null ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

Deno.test("pqsort leaves ties where redis-server 7.0.15 does (no insertion sort after a partition without swaps)", () => {
  // Each: elements and weights (RPUSH L ...; the weighted ones HSET h_<e> f <w>), the range,
  // and what `SORT L BY h_*->f LIMIT 0 <n-1> ALPHA` answered on redis-server 7.0.15 (LC_ALL=C).
  const cases: [[string, string | null][], number, number, string[]][] = [
    [
      [["X", null], ["3", null], ["m", ""], ["t", "a"], ["100", null], ["aa", null], ["1", null]],
      0,
      5,
      ["1", "3", "X", "100", "aa", "m"],
    ],
    [
      [["A", null], ["B", null], ["C", null], ["D", "x"], ["E", null], ["F", null], ["G", null]],
      0,
      5,
      ["G", "B", "C", "A", "E", "F"],
    ],
    [
      "ABCDEFGHI".split("").map((e): [string, string | null] => [e, e === "D" ? "x" : null]),
      0,
      7,
      ["I", "B", "C", "A", "E", "F", "G", "H"],
    ],
    [
      "ABCDEFG".split("").map((e): [string, string | null] => [e, null]),
      0,
      5,
      ["D", "B", "C", "A", "E", "F"],
    ],
  ];
  for (const [elements, l, r, redis] of cases) {
    const v = [...elements];
    pqsort(v, byWeight, l, r);
    assert.deepEqual(v.slice(l, r + 1).map(([e]) => e), redis, JSON.stringify(elements));
  }
});
