import assert from "node:assert/strict";
import { Block, BLOCK_BYTES, Deque, entryBytes, ListCursor } from "./deque.ts";
import { stringBytes, type StringValue } from "./string_value.ts";

/** A seeded generator (an LCG): the same operations on every run. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  return { next, int: (n: number) => Math.floor(next() * n) };
}

type Rng = ReturnType<typeof rng>;

/**
 * An element: mostly small, with the lengths where the entry header changes (127/128,
 * 16383/16384), empty ones, ones larger than a block, binary bytes (0x00-0xff) and ASCII.
 */
function element(r: Rng, small = false): Uint8Array {
  const k = small && r.next() < 0.97 ? 0 : r.int(20);
  const n = k < 9
    ? r.int(12)
    : k < 11
    ? 0
    : k < 13
    ? 126 + r.int(4)
    : k < 15
    ? 100 + r.int(2000)
    : k === 15
    ? 16382 + r.int(4)
    : k === 16
    ? BLOCK_BYTES + r.int(3000)
    : k === 17
    ? BLOCK_BYTES - 6 + r.int(12)
    : 20 + r.int(60);
  const b = new Uint8Array(n);
  const binary = r.next() < 0.5;
  for (let i = 0; i < n; i++) b[i] = binary ? r.int(256) : 97 + r.int(26);
  return b;
}

/** An element as the list's general accessors give it, or as a model's element is pushed. */
function asArg(b: Uint8Array, r: Rng): StringValue {
  // Half the pushes pass a binary string (as RDB loading and the old stored form did).
  if (b.length <= 200 && r.next() < 0.5) {
    let s = "";
    for (const x of b) s += String.fromCharCode(x);
    return s;
  }
  return b;
}

/** Are `a[pos, pos + len)` the bytes of `b`? (Cheap: the element is shown only on a failure.) */
function same(a: Uint8Array, pos: number, len: number, b: Uint8Array): boolean {
  if (len !== b.length) return false;
  for (let i = 0; i < len; i++) if (a[pos + i] !== b[i]) return false;
  return true;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const show = (v: StringValue | undefined) => v === undefined ? "undefined" : hex(stringBytes(v));

/** The block structure's invariants, and its content against the model. */
function check(d: Deque, model: Uint8Array[], what: string): void {
  assert.equal(d.length, model.length, `${what}: length`);
  let total = 0;
  let bufs = 0;
  let i = 0;
  for (const b of d.blocks as Block[]) {
    assert.ok(b.count > 0, `${what}: an empty block is kept`);
    assert.ok(0 <= b.start && b.start <= b.end && b.end <= b.buf.length, `${what}: bounds`);
    assert.ok(
      b.end - b.start <= BLOCK_BYTES || b.count === 1,
      `${what}: a block of ${b.count} entries holds ${b.end - b.start} bytes`,
    );
    // The entries parse exactly, front to back.
    let at = b.start;
    for (let k = 0; k < b.count; k++) {
      const m = model[i++];
      assert.ok(m !== undefined, `${what}: more entries than elements`);
      at += entryBytes(m.length);
    }
    assert.equal(at, b.end, `${what}: entries fill the block exactly`);
    total += b.count;
    bufs += b.buf.length;
  }
  assert.equal(total, model.length, `${what}: counts`);
  const spare = (d as unknown as { spare: Uint8Array | null }).spare;
  assert.equal(d.bytes, bufs + (spare === null ? 0 : spare.length), `${what}: bytes`);
  // Forward and backward walks give the model.
  const c = new ListCursor(d);
  let j = 0;
  for (let ok = c.seek(0); ok; ok = c.next()) {
    assert.ok(same(c.buf, c.pos, c.len, model[j]), `${what}: next ${j}`);
    j++;
  }
  assert.equal(j, model.length, `${what}: walked forward`);
  j = model.length - 1;
  for (let ok = c.seek(model.length - 1); ok; ok = c.prev()) {
    assert.ok(same(c.buf, c.pos, c.len, model[j]), `${what}: prev ${j}`);
    j--;
  }
  assert.equal(j, -1, `${what}: walked backward`);
  const all = d.toArray();
  assert.equal(all.length, model.length);
  all.forEach((v, k) => {
    const b = stringBytes(v);
    assert.ok(same(b, 0, b.length, model[k]), `${what}: toArray ${k}`);
  });
}

/** RESP bulk strings of `items`, as LRANGE writes them. */
function bulks(items: Uint8Array[]): string {
  let out = "";
  for (const m of items) out += `$${m.length}\r\n${String.fromCharCode(...m)}\r\n`;
  return out;
}

/**
 * `writeBulks` from a random start for a random count, into buffers of random sizes (so some
 * elements do not fit and wait for the next buffer, as LRANGE's loop does), against the model.
 */
function checkBulks(d: Deque, model: Uint8Array[], r: Rng, what: string): void {
  if (model.length === 0) return;
  const start = r.int(model.length);
  const count = 1 + r.int(Math.min(300, model.length - start));
  const c = new ListCursor(d);
  assert.ok(c.seek(start));
  let got = "";
  let left = count;
  while (left > 0) {
    const out = new Uint8Array(16 + r.int(r.next() < 0.5 ? 64 : 30000));
    const o = c.writeBulks(out, 0, left);
    for (let i = 0; i < o; i += 4096) {
      got += String.fromCharCode(...out.subarray(i, Math.min(o, i + 4096)));
    }
    left -= c.written;
    if (c.written === 0) assert.ok(o === 0 && c.len + 16 > out.length, `${what}: nothing written`);
  }
  assert.ok(
    got === bulks(model.slice(start, start + count)),
    `${what}: writeBulks ${start}+${count}`,
  );
  // The cursor is past the last element written.
  if (start + count < model.length) {
    assert.ok(same(c.buf, c.pos, c.len, model[start + count]), `${what}: cursor after writeBulks`);
  } else assert.equal(c.next(), false);
}

function randomOps(seed: number, steps: number): void {
  const r = rng(seed);
  // Even seeds: mostly small elements, so that the list spans many full blocks.
  const small = seed % 2 === 0;
  const d = new Deque();
  const model: Uint8Array[] = [];
  if (small) {
    // Start from several full blocks.
    for (let i = 0; i < 8000; i++) {
      const e = element(r, small);
      if (r.next() < 0.5) {
        d.push(e);
        model.push(e);
      } else {
        d.unshift(e);
        model.unshift(e);
      }
    }
  }
  for (let step = 0; step < steps; step++) {
    const what = `seed ${seed} step ${step}`;
    const op = r.int(16);
    // Growth (pushes) outweighs removal a little so that lists span many blocks.
    if (op < 4) {
      const e = element(r, small);
      d.push(asArg(e, r));
      model.push(e);
    } else if (op < 7) {
      const e = element(r, small);
      d.unshift(asArg(e, r));
      model.unshift(e);
    } else if (op === 7) {
      assert.equal(show(d.pop()), show(model.pop()), what);
    } else if (op === 8) {
      assert.equal(show(d.shift()), show(model.shift()), what);
    } else if (op === 9) {
      const tail = r.next() < 0.5;
      const got = d.popBytes(tail);
      const want = tail ? model.pop() : model.shift();
      assert.equal(got === undefined ? "undefined" : hex(got), show(want), what);
    } else if (op === 10 && model.length > 0) {
      const i = r.int(model.length);
      assert.equal(show(d.at(i)), hex(model[i]), what);
      d.locate(i);
      assert.equal(hex(d.ebuf.subarray(d.epos, d.epos + d.elen)), hex(model[i]), what);
      const tail = r.next() < 0.5;
      assert.ok(d.peek(tail));
      assert.equal(
        hex(d.ebuf.subarray(d.epos, d.epos + d.elen)),
        hex(model[tail ? model.length - 1 : 0]),
        what,
      );
    } else if (op === 11 && model.length > 0) {
      const i = r.int(model.length);
      const e = element(r, small);
      d.setAt(i, asArg(e, r));
      model[i] = e;
    } else if (op === 12) {
      const i = r.int(model.length + 1);
      const e = element(r, small);
      d.insertAt(i, asArg(e, r));
      model.splice(i, 0, e);
    } else if (op === 13 && model.length > 0) {
      const i = r.int(model.length);
      d.removeAt(i);
      model.splice(i, 1);
    } else if (op === 14 && r.next() < 0.3) {
      const k = r.int(small ? 300 : model.length + 2);
      const tail = r.next() < 0.5;
      d.trim(k, tail);
      if (tail) model.splice(Math.max(0, model.length - k), k);
      else model.splice(0, k);
    } else if (op === 15 && r.next() < (small ? 0.01 : 0.2)) {
      // Keep the elements whose first byte is even, or every other one.
      const byParity = r.next() < 0.5;
      d.retain((buf, pos, len, index) =>
        byParity ? len === 0 || buf[pos] % 2 === 0 : index % 2 === 0
      );
      const kept = model.filter((m, index) =>
        byParity ? m.length === 0 || m[0] % 2 === 0 : index % 2 === 0
      );
      model.length = 0;
      model.push(...kept);
    }
    if (step % (small ? 100 : 20) === 0 || d.length < 4) {
      check(d, model, what);
      checkBulks(d, model, r, what);
    }
  }
  check(d, model, `seed ${seed} end`);
  // A clone is equal and independent.
  const c = d.clone();
  check(c, model, `seed ${seed} clone`);
  // Pushes to both write into the free space of the end blocks: shared buffers would clash.
  const cmodel = [...model];
  for (let i = 0; i < 50; i++) {
    const x = new Uint8Array([i, 1]);
    const y = new Uint8Array([i, 2, 2]);
    if (i % 2 === 0) {
      c.push(x);
      cmodel.push(x);
      d.push(y);
      model.push(y);
    } else {
      c.unshift(x);
      cmodel.unshift(x);
      d.unshift(y);
      model.unshift(y);
    }
  }
  check(c, cmodel, `seed ${seed} clone after pushes`);
  check(d, model, `seed ${seed} after pushes to the clone`);
  d.clear();
  check(d, [], `seed ${seed} cleared`);
}

Deno.test("deque: seeded random operations match an array model", () => {
  for (let seed = 1; seed <= 12; seed++) randomOps(seed, 3000);
});

Deno.test("deque: many small elements at both ends span blocks of at most BLOCK_BYTES", () => {
  const r = rng(99);
  const d = new Deque();
  const model: Uint8Array[] = [];
  for (let i = 0; i < 30000; i++) {
    const e = new TextEncoder().encode(String(r.int(1e6)));
    if (r.next() < 0.5) {
      d.push(e);
      model.push(e);
    } else {
      d.unshift(e);
      model.unshift(e);
    }
  }
  assert.ok(d.blocks.length > 10, `${d.blocks.length} blocks`);
  check(d, model, "pushed");
  // A queue: pops from the head while pushing at the tail.
  for (let i = 0; i < 30000; i++) {
    const e = new TextEncoder().encode(`q${i}`);
    d.push(e);
    model.push(e);
    assert.equal(show(d.shift()), hex(model.shift()!));
  }
  check(d, model, "queue");
  for (let i = 0; i < 30000; i += 7) {
    assert.equal(show(d.at(i)), hex(model[i]), `at ${i}`);
  }
});

Deno.test("deque: an element of 2^24 bytes and more (a 4-byte length) between small ones", () => {
  const big = new Uint8Array((1 << 24) + 3);
  for (let i = 0; i < big.length; i += 4099) big[i] = i & 0xff;
  const d = new Deque();
  d.push("a");
  d.push(big);
  d.push("b");
  d.unshift("z");
  check(d, [new Uint8Array([0x7a]), new Uint8Array([0x61]), big, new Uint8Array([0x62])], "big");
  assert.equal(d.blocks.length, 3);
  d.locate(2);
  assert.equal(d.elen, big.length);
  assert.ok(same(d.ebuf, d.epos, d.elen, big));
  assert.equal(d.pop(), "b");
  const got = d.popBytes(true)!;
  assert.ok(same(got, 0, got.length, big));
  assert.deepEqual(d.toArray(), ["z", "a"]);
});

Deno.test("deque: edge cases", () => {
  const d = new Deque();
  assert.equal(d.pop(), undefined);
  assert.equal(d.shift(), undefined);
  assert.equal(d.popBytes(true), undefined);
  assert.equal(d.peek(false), false);
  assert.equal(d.at(0), undefined);
  assert.equal(d.at(-1), undefined);
  assert.throws(() => d.setAt(0, "x"), RangeError);
  assert.throws(() => d.removeAt(0), RangeError);
  assert.throws(() => d.insertAt(1, "x"), RangeError);
  for (let i = 0; i < 100; i++) d.unshift(String(i));
  assert.equal(d.at(0), "99");
  assert.equal(d.at(99), "0");
  d.replaceAll(["a", "b"]);
  assert.deepEqual(d.toArray(), ["a", "b"]);
  d.unshift("z");
  assert.deepEqual(d.toArray(), ["z", "a", "b"]);
  assert.deepEqual([...d], ["z", "a", "b"]);
  assert.deepEqual(Deque.from(["x", "y"]).toArray(), ["x", "y"]);
  d.replaceAll([]);
  assert.equal(d.length, 0);
  d.push("");
  assert.equal(d.length, 1);
  assert.equal(d.shift(), "");
  assert.equal(d.blocks.length, 0);
  // The general accessors give the stored string value forms: small as binary strings,
  // large (above 1 KiB, or above 128 bytes and not ASCII) as their own bytes.
  const big = new Uint8Array(2000).fill(0x61);
  const bin = new Uint8Array(200).fill(0xff);
  d.push(new Uint8Array([0, 255]));
  d.push(big);
  d.push(bin);
  assert.equal(d.at(0), "\x00\xff");
  const b = d.at(1) as Uint8Array;
  assert.ok(b instanceof Uint8Array && b.length === 2000 && b.buffer.byteLength === 2000);
  assert.ok(d.at(2) instanceof Uint8Array);
});
