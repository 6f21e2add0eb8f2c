import assert from "node:assert/strict";
import { Deque } from "./deque.ts";

/** Reference model: a plain array driven by the same random operations. */
Deno.test("deque: random operations match an array model", () => {
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const d = new Deque<number>();
  const model: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const op = Math.floor(rnd() * 6);
    if (op === 0) {
      d.push(i);
      model.push(i);
    } else if (op === 1) {
      d.unshift(i);
      model.unshift(i);
    } else if (op === 2) assert.equal(d.pop(), model.pop());
    else if (op === 3) assert.equal(d.shift(), model.shift());
    else if (op === 4 && model.length > 0) {
      const k = Math.floor(rnd() * model.length);
      assert.equal(d.at(k), model[k]);
      d.setAt(k, -i);
      model[k] = -i;
    } else if (op === 5 && rnd() < 0.01) {
      assert.deepEqual(d.toArray(), model);
      assert.deepEqual([...d], model);
    }
    assert.equal(d.length, model.length);
  }
  assert.deepEqual(d.toArray(), model);
});

Deno.test("deque: edge cases", () => {
  const d = new Deque<string>();
  assert.equal(d.pop(), undefined);
  assert.equal(d.shift(), undefined);
  assert.equal(d.at(0), undefined);
  assert.equal(d.at(-1), undefined);
  assert.throws(() => d.setAt(0, "x"), RangeError);
  for (let i = 0; i < 100; i++) d.unshift(String(i));
  assert.equal(d.at(0), "99");
  assert.equal(d.at(99), "0");
  d.replaceAll(["a", "b"]);
  assert.deepEqual(d.toArray(), ["a", "b"]);
  d.unshift("z");
  assert.deepEqual(d.toArray(), ["z", "a", "b"]);
  assert.deepEqual(Deque.from(["x", "y"]).toArray(), ["x", "y"]);
  d.replaceAll([]);
  assert.equal(d.length, 0);
  d.push("q");
  assert.equal(d.shift(), "q");
});

Deno.test("deque: growing a wrapped ring keeps the order and no stale copy of any element", () => {
  for (let headAt = 0; headAt < 8; headAt++) {
    const d = new Deque<string>(8);
    const model: string[] = [];
    // Wrap the head: unshift `headAt` elements, fill the rest from the tail, then grow twice.
    for (let i = 0; i < headAt; i++) {
      d.unshift(`u${i}`);
      model.unshift(`u${i}`);
    }
    for (let i = 0; i < 40 - headAt; i++) {
      d.push(`p${i}`);
      model.push(`p${i}`);
    }
    assert.deepEqual(d.toArray(), model);
    // Every slot that holds an element holds a live one, once: a duplicate left by the copy
    // would keep a popped element reachable.
    const slotsHeld = () =>
      (d as unknown as { items: (string | undefined)[] }).items.filter((x) => x !== undefined);
    assert.equal(slotsHeld().length, d.length);
    for (let i = 0; i < 30; i++) assert.equal(d.shift(), model.shift());
    assert.deepEqual(slotsHeld().sort(), [...model].sort());
  }
});
