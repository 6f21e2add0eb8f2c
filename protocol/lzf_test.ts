import assert from "node:assert/strict";
import { lzfCompress, lzfDecompress } from "./lzf.ts";

const enc = new TextEncoder();

function roundTrip(data: Uint8Array): Uint8Array | null {
  const c = lzfCompress(data, data.length + 64);
  if (c === null) return null;
  assert.deepEqual(lzfDecompress(c, data.length), data);
  return c;
}

Deno.test("lzf: round trips of repetitive, random and edge-sized inputs", () => {
  let x = 7;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  for (const n of [1, 2, 3, 4, 5, 31, 32, 33, 100, 264, 265, 1000, 9000, 70000]) {
    const rep = new Uint8Array(n).map((_, i) => 97 + (i % 7));
    const c = roundTrip(rep)!;
    if (n > 50) assert.ok(c.length < n / 4, `repetitive input of ${n} compresses`);
    roundTrip(new Uint8Array(n).map(() => rnd()));
    roundTrip(new Uint8Array(n)); // all zeros: long runs, overlapping references
  }
});

Deno.test("lzf: a match may run past maxlen to the end of the input, as lzf_c.c's loop does", () => {
  // DUMP of SET z <21 zero bytes> and of <22 zero bytes> on redis-server 7.0: a 19-byte back
  // reference where maxlen is 17 (then 18).
  assert.deepEqual(lzfCompress(new Uint8Array(21), 17), new Uint8Array([1, 0, 0, 0xe0, 10, 0]));
  assert.deepEqual(
    lzfCompress(new Uint8Array(22), 18),
    new Uint8Array([1, 0, 0, 0xe0, 10, 0, 0, 0]),
  );
  roundTrip(new Uint8Array(21));
  roundTrip(new Uint8Array(22));
});

Deno.test("lzf: byte-identical to redis-server's output", () => {
  const input = enc.encode("a".repeat(40));
  // What redis-server 7.0 stores for SET a <'a' x 40> (DUMP a): literal "aa" (position 0 is never
  // a reference), a 36-byte back reference at offset 1, literal "aa".
  const expected = new Uint8Array([0x01, 0x61, 0x61, 0xe0, 0x1b, 0x00, 0x01, 0x61, 0x61]);
  assert.deepEqual(lzfDecompress(expected, 40), input);
  assert.deepEqual(lzfCompress(input, 36), expected);
  // "hello world hello world hello world hello world" as Redis stores it.
  const hw = enc.encode("hello world hello world hello world hello world");
  const hwExpected = new Uint8Array([
    0x0c,
    ...enc.encode("hello world h"),
    0xe0,
    0x17,
    0x0b,
    0x01,
    ...enc.encode("ld"),
  ]);
  assert.deepEqual(lzfCompress(hw, hw.length - 4), hwExpected);
});

Deno.test("lzf: incompressible data does not fit in len-4 bytes", () => {
  const data = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  assert.equal(lzfCompress(data, data.length - 4), null);
});

Deno.test("lzf: corrupt streams throw", () => {
  assert.throws(() => lzfDecompress(new Uint8Array([0x05, 1, 2]), 6)); // truncated literal
  assert.throws(() => lzfDecompress(new Uint8Array([0x20, 0x05]), 3)); // reference before start
  assert.throws(() => lzfDecompress(new Uint8Array([0x00, 0x61]), 2)); // length mismatch
});
