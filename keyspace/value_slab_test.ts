import assert from "node:assert/strict";
import { SLAB_MAX_BYTES, storedValue, unslab, ValueSlab } from "./value_slab.ts";

const bytesOf = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff);

Deno.test("value slab: every length up to SLAB_MAX_BYTES comes back as put, as bytes and as a binary string", () => {
  const slab = new ValueSlab();
  const handles: number[] = [];
  for (let n = 0; n <= SLAB_MAX_BYTES; n++) handles.push(slab.put(bytesOf(n, n)));
  for (let n = 0; n <= SLAB_MAX_BYTES; n++) {
    const h = handles[n];
    assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 30, `handle ${h} is a Smi`);
    assert.equal(slab.length(h), n);
    assert.deepEqual(slab.view(h), bytesOf(n, n));
    assert.equal(slab.string(h), String.fromCharCode(...bytesOf(n, n)));
  }
  assert.equal(new Set(handles).size, handles.length);
  assert.equal(slab.liveRecords, SLAB_MAX_BYTES + 1);
});

Deno.test("value slab: a record freed twice, or read once freed, is an error, not a silent corruption", () => {
  const slab = new ValueSlab();
  const h = slab.put(bytesOf(5, 1));
  slab.free(h);
  assert.throws(() => slab.free(h), /freed twice/);
  assert.throws(() => slab.view(h), /after it was freed/);
  assert.throws(() => slab.locate(h), /after it was freed/);
  assert.throws(() => slab.string(h), /after it was freed/);
  assert.equal(slab.put(bytesOf(3, 2)), h);
  assert.deepEqual(slab.view(h), bytesOf(3, 2));
});

Deno.test("value slab: a value longer than SLAB_MAX_BYTES is refused", () => {
  assert.throws(() => new ValueSlab().put(new Uint8Array(SLAB_MAX_BYTES + 1)), RangeError);
});

Deno.test("value slab: a freed record is reused by the next value of its size class, and others are untouched", () => {
  const slab = new ValueSlab();
  const a = slab.put(bytesOf(10, 1));
  const b = slab.put(bytesOf(10, 2));
  const c = slab.put(bytesOf(40, 3));
  slab.free(a);
  assert.equal(slab.liveRecords, 2);
  const d = slab.put(bytesOf(12, 4)); // 13 bytes with its length: the 16-byte class, as a's
  assert.equal(d, a);
  assert.deepEqual(slab.view(d), bytesOf(12, 4));
  assert.deepEqual(slab.view(b), bytesOf(10, 2));
  assert.deepEqual(slab.view(c), bytesOf(40, 3));
  const e = slab.put(bytesOf(10, 5)); // no free record left in the class: a new one
  assert.notEqual(e, a);
  assert.notEqual(e, b);
});

Deno.test("value slab: chunks are added as a class fills, and freed records keep the footprint flat", () => {
  const slab = new ValueSlab();
  const handles: number[] = [];
  for (let i = 0; i < 10_000; i++) handles.push(slab.put(bytesOf(20, i)));
  const grown = slab.allocatedBytes;
  assert.ok(grown >= 10_000 * 24 && grown < 10_000 * 24 * 2, `${grown} bytes`);
  for (let i = 0; i < 10_000; i++) assert.deepEqual(slab.view(handles[i]), bytesOf(20, i));
  for (const h of handles) slab.free(h);
  for (let round = 0; round < 3; round++) {
    const again = [];
    for (let i = 0; i < 10_000; i++) again.push(slab.put(bytesOf(21, i)));
    for (const h of again) slab.free(h);
  }
  assert.equal(slab.allocatedBytes, grown);
  assert.equal(slab.liveRecords, 0);
});

Deno.test("value slab: storedValue keeps small arguments in the slab and larger ones as before", () => {
  const small = storedValue(bytesOf(SLAB_MAX_BYTES, 7));
  assert.equal(typeof small, "number");
  assert.equal(unslab(small), String.fromCharCode(...bytesOf(SLAB_MAX_BYTES, 7)));
  const text = storedValue(new TextEncoder().encode("x".repeat(SLAB_MAX_BYTES + 1)));
  assert.equal(text, "x".repeat(SLAB_MAX_BYTES + 1));
  assert.equal(unslab(text), text);
});
