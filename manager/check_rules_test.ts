import assert from "node:assert/strict";
import { checkVerdict, rangesText } from "./check_rules.ts";

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const node = (
  addr: string,
  slots: number[],
  extra: Partial<
    { migrating: Map<number, string>; importing: Map<number, string>; replica: boolean }
  > = {},
) => ({
  addr,
  replica: extra.replica ?? false,
  slots,
  migrating: extra.migrating ?? new Map(),
  importing: extra.importing ?? new Map(),
});

const healthy = [
  node("n1", range(0, 5460)),
  node("n2", range(5461, 10922)),
  node("n3", range(10923, 16383)),
  node("r1", [], { replica: true }),
];

Deno.test("checkVerdict: a healthy cluster", () => {
  const v = checkVerdict(healthy, ["s", "s", "s", "s"]);
  assert.equal(v.ok, true);
  assert.equal(v.consistent, true);
  assert.equal(v.coveredCount, 16384);
  assert.deepEqual(v.openSlotWarnings, []);
});

Deno.test("checkVerdict: nodes that disagree", () => {
  const v = checkVerdict(healthy, ["s", "s", "t", "s"]);
  assert.equal(v.consistent, false);
  assert.equal(v.ok, false);
});

Deno.test("checkVerdict: open slots, with redis-cli's warning lines", () => {
  const nodes = [
    node("127.0.0.1:1", range(0, 5460), { migrating: new Map([[100, "b"], [7, "b"]]) }),
    node("127.0.0.1:2", range(5461, 10922), { importing: new Map([[100, "a"]]) }),
    node("127.0.0.1:3", range(10923, 16383)),
  ];
  const v = checkVerdict(nodes, ["s", "s", "s"]);
  assert.equal(v.ok, false);
  assert.deepEqual(v.openSlots, [7, 100]);
  assert.deepEqual(v.openSlotWarnings, [
    "[WARNING] Node 127.0.0.1:1 has slots in migrating state 100,7.",
    "[WARNING] Node 127.0.0.1:2 has slots in importing state 100.",
  ]);
});

Deno.test("checkVerdict: uncovered slots", () => {
  const nodes = [
    node("n1", range(0, 5460).filter((s) => s !== 200)),
    node("n2", range(5461, 10922)),
  ];
  const v = checkVerdict(nodes, ["s", "s"]);
  assert.equal(v.ok, false);
  assert.equal(v.coveredCount, 16384 - 1 - 5461);
  assert.equal(v.uncovered[0], 200);
  assert.equal(rangesText(v.uncovered), "200,10923-16383");
});

Deno.test("rangesText: bounded output", () => {
  assert.equal(rangesText([1, 2, 3, 5, 9, 10]), "1-3,5,9-10");
  assert.match(
    rangesText(range(0, 100).filter((s) => s % 2 === 0), 3),
    /^0,2,4,\.\.\. \(48 more ranges\)$/,
  );
});
