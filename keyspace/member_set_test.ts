import assert from "node:assert/strict";
import { isInt64Member, MemberSet, SMALL_MAX } from "./member_set.ts";
import { KeyTable } from "./key_table.ts";
import { prng } from "../tests/prng.ts";

/**
 * A live iterator over a table, checked against a Map model of the same changes: what KeyTable
 * promises (keyspace/key_table.ts) while the table changes under it.
 */
interface Walk {
  it: Iterator<string>;
  /** Keys present when the walk began and not deleted since: each must come out once. */
  owed: Set<string>;
  /** Keys yielded, and not deleted since (a deleted and re-added key may come out again). */
  yielded: Set<string>;
}

/**
 * Members from a small space: binary strings (many hits, long probe chains, tombstones), or
 * integers (`ints`: an intset's integer order while the set stays small).
 */
function member(rnd: () => number, space: number, ints: boolean): string {
  const n = Math.floor(rnd() * space);
  if (ints) return n % 50 === 0 ? String(BigInt(n) * 4611686018427387n) : String(n - space / 2);
  return String.fromCharCode(n & 0xff, n >> 8) + (n % 3 === 0 ? "\u00ff".repeat(n % 7) : "");
}

/** The slots of the set's table (test-only peek: does a change rehash it?). */
function capacity(s: MemberSet): number {
  return (s as unknown as { t: KeyTable<true> | null }).t?.capacity ?? 0;
}

/** `model`'s members in integer order (BigInt: exact). */
function intOrder(model: Set<string>): string[] {
  return [...model].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

function mapEquivalence(
  seed: number,
  ints = false,
  /** Members drawn from this many (a set of SMALL_MAX or fewer stays in its small form). */
  space = ints ? 700 : 2000,
): { walksDone: number; rehashedUnder: number; intOrderChecks: number; tabled: boolean } {
  const rnd = prng(seed);
  let s = MemberSet.empty();
  let model = new Set<string>();
  const walks: Walk[] = [];
  let walksDone = 0;
  let rehashedUnder = 0;
  let intOrderChecks = 0;
  let tabled = false;
  const copyOnly = ints
    ? "-4611686018427387904"
    : space <= 2 * SMALL_MAX
    ? "\u0000\u0000"
    : "\u0001copy-only";
  // Phases of mostly adds and mostly deletes, so the table grows and shrinks (rehashes) under
  // live walks.
  for (let step = 0; step < 40_000; step++) {
    const growing = step % 6000 < 3000;
    const m = member(rnd, space, ints);
    const r = rnd();
    const capacityBefore = capacity(s);
    if (r < (growing ? 0.6 : 0.15)) {
      assert.equal(s.add(m), !model.has(m), `seed ${seed} step ${step}: add's "new"`);
      model.add(m);
    } else if (r < 0.85) {
      assert.equal(s.delete(m), model.delete(m), `seed ${seed} step ${step}: delete`);
      for (const w of walks) {
        w.owed.delete(m);
        w.yielded.delete(m);
      }
    } else if (r < 0.95) {
      assert.equal(s.has(m), model.has(m), `seed ${seed} step ${step}: has`);
    } else if (r < 0.951) {
      // A copy answers the same and is independent.
      const c = s.clone();
      c.add(copyOnly);
      c.delete(m);
      s = c;
      model = new Set(model);
      model.add(copyOnly);
      model.delete(m);
      walks.length = 0; // walks over the old set are done with
    } else if (r < 0.96 && walks.length < 4) {
      walks.push({ it: s.keys(), owed: new Set(model), yielded: new Set() });
    }
    assert.equal(s.size, model.size, `seed ${seed} step ${step}: size`);
    // Advance every live walk a little.
    for (let w = walks.length - 1; w >= 0; w--) {
      const walk = walks[w];
      for (let k = 0; k < 3; k++) {
        const next = walk.it.next();
        if (next.done) {
          assert.equal(
            walk.owed.size,
            0,
            `seed ${seed} step ${step}: never yielded ${
              JSON.stringify([...walk.owed].slice(0, 3))
            }`,
          );
          walks.splice(w, 1);
          walksDone++;
          break;
        }
        const y = next.value;
        assert.ok(model.has(y), `seed ${seed} step ${step}: yielded ${JSON.stringify(y)}, absent`);
        assert.ok(!walk.yielded.has(y), `seed ${seed} step ${step}: ${JSON.stringify(y)} twice`);
        walk.yielded.add(y);
        walk.owed.delete(y);
      }
    }
    if (walks.length > 0 && capacity(s) !== capacityBefore) rehashedUnder++;
    if (capacity(s) > 0) tabled = true;
    // A small set of integers iterates in integer order (intset.c), any other in slot order.
    if (ints && step % 97 === 0 && model.size <= 512) {
      intOrderChecks++;
      assert.deepEqual([...s], intOrder(model), `seed ${seed} step ${step}: integer order`);
    }
  }
  assert.deepEqual([...s].sort(), [...model].sort());
  assert.deepEqual([...s.values()].sort(), [...model].sort());
  return { walksDone, rehashedUnder, intOrderChecks, tabled };
}

Deno.test("MemberSet: a Set's answers over seeded adds, deletes and copies, with iterators live through the changes", () => {
  let walks = 0;
  let rehashed = 0;
  let intOrderChecks = 0;
  for (let seed = 1; seed <= 10; seed++) {
    // Seeds 1-6 binary members, 7-8 integers, 9-10 the small form (and its move to a table).
    const r = mapEquivalence(
      seed,
      seed === 7 || seed === 8,
      seed === 9 ? SMALL_MAX : seed === 10 ? 2 * SMALL_MAX : undefined,
    );
    walks += r.walksDone;
    rehashed += r.rehashedUnder;
    intOrderChecks += r.intOrderChecks;
    if (seed === 9) assert.equal(r.tabled, false, "a set of at most SMALL_MAX stays small");
    if (seed === 10) assert.equal(r.tabled, true, "seed 10 moves to its table");
  }
  // The walks really ran to their end, some across the grow/shrink phases.
  assert.ok(walks > 100, `only ${walks} walks finished`);
  assert.ok(rehashed > 10, `only ${rehashed} rehashes under a live walk`);
  assert.ok(intOrderChecks > 100, `only ${intOrderChecks} checks of the integer order`);
});

Deno.test("KeyTable: put answers whether the key is new, hashing once; clone is independent", () => {
  const t = new KeyTable<number>(7);
  assert.equal(t.put("a", 1), true);
  assert.equal(t.put("a", 2), false);
  assert.equal(t.get("a"), 2);
  assert.equal(t.size, 1);
  // findHashed/insertHashed with the table's own hash: the same as find/insert.
  const h = t.hash("b");
  assert.equal(t.findHashed("b", h), -1);
  t.insertHashed("b", h, 3, 9);
  assert.equal(t.find("b"), t.findHashed("b", h));
  assert.equal(t.fieldOf("b"), 9);
  const c = t.clone();
  c.put("c", 4);
  c.delete("a");
  assert.deepEqual([...t].sort(), [["a", 2], ["b", 3]]);
  assert.deepEqual([...c].sort(), [["b", 3], ["c", 4]]);
  assert.equal(c.fieldOf("b"), 9);
  for (let n = 0; n < 1000; n++) c.put(`k${n}`, n);
  assert.equal(t.size, 2, "growing the copy leaves the original");
});

Deno.test("MemberSet: integers only iterate in integer order (an intset's), until a non-integer joins", () => {
  const s = MemberSet.of(["10", "-3", "9223372036854775807", "2", "-9223372036854775808", "0"]);
  const order = ["-9223372036854775808", "-3", "0", "2", "10", "9223372036854775807"];
  assert.deepEqual([...s], order);
  s.add("a");
  assert.deepEqual([...s].sort(), [...order, "a"].sort());
  s.delete("a");
  assert.deepEqual([...s.keys()], order, "back in integer order once the last non-integer left");
  // Not integers as string2ll reads them.
  for (const m of ["", "-", "-0", "01", "+1", " 1", "1 ", "9223372036854775808", "1.0", "0x1"]) {
    assert.equal(isInt64Member(m), false, JSON.stringify(m));
  }
  for (const m of ["0", "-1", "9223372036854775807", "-9223372036854775808", "12345678901234567"]) {
    assert.equal(isInt64Member(m), true, m);
  }
  assert.equal(isInt64Member("-9223372036854775809"), false);
  const copy = s.clone();
  copy.add("x");
  assert.deepEqual([...s], order, "a copy's members are its own");
});

Deno.test("MemberSet: the intset encoding is left for good, as setTypeAdd converts (settle)", () => {
  const s = MemberSet.of(["3", "1", "2"]);
  s.settle(512);
  assert.equal(s.intset, true);
  assert.deepEqual([...s], ["1", "2", "3"]);
  s.add("a");
  s.settle(512);
  assert.equal(s.intset, false);
  s.delete("a");
  assert.equal(s.intset, false, "SREM leaves a hashtable of integers");
  assert.deepEqual([...s], ["3", "1", "2"], "in its own order, not an intset's");
  assert.equal(s.clone().intset, false, "COPY keeps the encoding (setTypeDup)");
  // Past set-max-intset-entries at an addition; a limit lowered later converts at the next one.
  const t = MemberSet.of(["1", "2", "3"]);
  t.settle(3);
  assert.equal(t.intset, true);
  t.add("4");
  t.settle(3);
  assert.equal(t.intset, false);
  t.delete("4");
  assert.equal(t.intset, false);
  const u = MemberSet.of(["1", "2", "3"]);
  u.settle(512);
  assert.equal(u.intset, true, "a lowered limit alone converts nothing");
  u.add("4");
  u.settle(2);
  assert.equal(u.intset, false);
});

Deno.test("MemberSet: small form up to SMALL_MAX members, a table past it, for good", () => {
  const s = MemberSet.empty();
  for (let n = 0; n < SMALL_MAX; n++) assert.equal(s.add(`m${n}`), true);
  assert.equal(capacity(s), 0, `${SMALL_MAX} members stay small`);
  assert.equal(s.add(`m${SMALL_MAX}`), true);
  assert.ok(capacity(s) > 0, "one more moves to a table");
  for (let n = 0; n <= SMALL_MAX; n++) assert.equal(s.has(`m${n}`), true);
  for (let n = 1; n <= SMALL_MAX; n++) s.delete(`m${n}`);
  assert.deepEqual([...s], ["m0"]);
  assert.ok(capacity(s) > 0, "never back");
});

Deno.test("MemberSet: addBytes answers and changes as add does, in both forms", () => {
  const rnd = prng(5);
  const a = MemberSet.empty();
  const b = MemberSet.empty();
  for (let step = 0; step < 3000; step++) {
    const n = Math.floor(rnd() * 400);
    const m = rnd() < 0.5 ? String(n) : `m${n}\x00`;
    const bytes = Uint8Array.from(m, (c) => c.charCodeAt(0));
    assert.equal(b.addBytes(bytes), a.add(m), `step ${step}`);
    assert.equal(b.size, a.size);
  }
  assert.deepEqual([...b].sort(), [...a].sort());
});
