import assert from "node:assert/strict";
import { Hash } from "./hash.ts";
import { prng } from "../tests/prng.ts";
import { stringBytes, type StringValue } from "./string_value.ts";

const LIMITS = { maxEntries: 16, maxValueBytes: 200 };

/** A field or value: short, around the one-char varint limit (127/128), or long; any byte. */
function randomText(rnd: () => number): string {
  const lens = [0, 1, 5, 12, 13, 40, 127, 128, 129, 300];
  const n = lens[Math.floor(rnd() * lens.length)];
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(rnd() * (rnd() < 0.5 ? 256 : 4)));
  return s;
}

function text(v: StringValue | undefined): string | undefined {
  if (v === undefined || typeof v === "string") return v;
  return String.fromCharCode(...stringBytes(v));
}

/** Entries sorted by field (a table's order is its slot order, not insertion order). */
function byField<T>(entries: [string, T][]): [string, T][] {
  return entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

Deno.test("hash: packed and table forms answer as a Map would (packed: in insertion order), over seeded changes", () => {
  let bothForms = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = prng(seed);
    const h = new Hash();
    const model = new Map<string, string>();
    const fields: string[] = [];
    let sawPacked = false;
    let sawTable = false;
    for (let step = 0; step < 300; step++) {
      const op = rnd();
      const f = fields.length > 0 && rnd() < 0.6
        ? fields[Math.floor(rnd() * fields.length)]
        : randomText(rnd);
      if (op < 0.55) {
        const v = randomText(rnd);
        const value: StringValue = rnd() < 0.3 ? Uint8Array.from(v, (c) => c.charCodeAt(0)) : v;
        assert.equal(h.set(f, value), !model.has(f), `seed ${seed} step ${step}: set's "new"`);
        model.set(f, v);
        if (!fields.includes(f)) fields.push(f);
        h.fitAfterSet(LIMITS, f.length, v.length);
      } else if (op < 0.8) {
        assert.equal(h.delete(f), model.delete(f), `seed ${seed} step ${step}: delete`);
      } else {
        assert.equal(text(h.get(f)), model.get(f));
        assert.equal(h.has(f), model.has(f));
        assert.equal(h.valueLength(f), model.get(f)?.length ?? 0);
      }
      assert.equal(h.size, model.size);
      if (h.listpack) sawPacked = true;
      else sawTable = true;
      // Packed only within the limits, and once a table, always a table.
      if (h.listpack) {
        assert.ok(h.size <= LIMITS.maxEntries, `seed ${seed} step ${step}: packed past the count`);
        for (const [k, v] of model) {
          assert.ok(k.length <= LIMITS.maxValueBytes && v.length <= LIMITS.maxValueBytes);
        }
      }
      const entries = [...h].map(([k, v]): [string, string | undefined] => [k, text(v)]);
      if (h.listpack) {
        assert.deepEqual(entries, [...model]);
        assert.deepEqual([...h.keys()], [...model.keys()]);
      } else {
        assert.deepEqual(byField(entries), byField([...model]));
        assert.deepEqual([...h.keys()].sort(), [...model.keys()].sort());
      }
    }
    if (sawPacked && sawTable) bothForms++;
  }
  assert.ok(bothForms >= 20, `only ${bothForms} of 40 seeds saw both forms`);
});

Deno.test("hash: conversion keeps the fields, never goes back, and a copy keeps the form", () => {
  const h = new Hash();
  for (let i = 0; i < 5; i++) h.set(`f${i}`, `v${i}`);
  assert.ok(h.listpack);
  const copy = h.clone();
  h.set("long", "x".repeat(65));
  h.fitAfterSet({ maxEntries: 512, maxValueBytes: 64 }, 4, 65);
  assert.equal(h.listpack, false);
  assert.deepEqual([...h.keys()].sort(), ["f0", "f1", "f2", "f3", "f4", "long"]);
  h.delete("long");
  h.fitAfterSet({ maxEntries: 512, maxValueBytes: 64 }, 0, 0);
  assert.equal(h.listpack, false, "a table never converts back");
  assert.ok(copy.listpack);
  assert.equal(copy.size, 5);
  assert.equal(copy.get("f3"), "v3");
  const t = Hash.from([["a", "1"], ["b", "2"], ["a", "3"]], { maxEntries: 1, maxValueBytes: 64 });
  assert.equal(t.listpack, false);
  assert.deepEqual(byField([...t]), [["a", "3"], ["b", "2"]]);
  // A copy of a table is a table of its own.
  const tc = t.clone();
  tc.set("c", "4");
  tc.delete("a");
  assert.equal(tc.listpack, false);
  assert.deepEqual(byField([...tc]), [["b", "2"], ["c", "4"]]);
  assert.deepEqual(byField([...t]), [["a", "3"], ["b", "2"]]);
});

Deno.test("hash: iterating a packed hash sees it as it was when the iteration began", () => {
  const h = Hash.from([["a", "1"], ["b", "2"], ["c", "3"]]);
  const seen: string[] = [];
  for (const f of h.keys()) {
    seen.push(f);
    h.delete(f);
    h.set(`${f}${f}`, "x");
  }
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.deepEqual([...h.keys()], ["aa", "bb", "cc"]);
});

Deno.test("hash: packedFromArgv builds what set() field by field builds, and declines duplicates and what must convert", () => {
  const rnd = prng(18);
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  let built = 0;
  let declined = 0;
  for (let round = 0; round < 400; round++) {
    const pairs = 1 + Math.floor(rnd() * 20);
    const argv = [bytes("HSET"), bytes("key")];
    for (let i = 0; i < pairs; i++) {
      // Some fields repeat (a small alphabet), some arguments are past maxValueBytes.
      argv.push(bytes(rnd() < 0.3 ? `f${Math.floor(rnd() * 4)}` : randomText(rnd)));
      argv.push(bytes(randomText(rnd)));
    }
    const packed = Hash.packedFromArgv(argv, 2, LIMITS);
    const fields = argv.slice(2).filter((_, i) => i % 2 === 0).map((a) =>
      String.fromCharCode(...a)
    );
    const distinct = new Set(fields).size === fields.length;
    const fits = pairs <= LIMITS.maxEntries &&
      argv.slice(2).every((a) => a.length <= LIMITS.maxValueBytes);
    if (!distinct || !fits) {
      assert.equal(packed, null, `round ${round}: distinct ${distinct}, fits ${fits}`);
      declined++;
      continue;
    }
    assert.ok(packed !== null, `round ${round}`);
    built++;
    const ref = new Hash();
    for (let i = 2; i < argv.length; i += 2) {
      ref.set(String.fromCharCode(...argv[i]), String.fromCharCode(...argv[i + 1]));
    }
    assert.ok(packed.listpack);
    assert.equal(packed.size, ref.size);
    assert.equal(packed.packedBytes, ref.packedBytes);
    assert.deepEqual([...packed.entries()], [...ref.entries()]);
    assert.equal(packed.get(fields[0]), ref.get(fields[0]));
  }
  assert.ok(built > 50 && declined > 50, `built ${built}, declined ${declined}`);
});

Deno.test("hash: setBytes answers and changes as set does, in both forms", () => {
  const rnd = prng(99);
  for (const table of [false, true]) {
    const a = table ? Hash.table() : new Hash();
    const b = table ? Hash.table() : new Hash();
    for (let step = 0; step < 2000; step++) {
      const f = `f${Math.floor(rnd() * 300)}\xff`;
      const v = `v${step}`;
      const bytes = Uint8Array.from(f, (c) => c.charCodeAt(0));
      assert.equal(b.setBytes(bytes, v), a.set(f, v), `step ${step}`);
    }
    assert.equal(b.listpack, a.listpack);
    assert.deepEqual(byField([...b.entries()]), byField([...a.entries()]));
  }
});
