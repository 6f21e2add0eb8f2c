import assert from "node:assert/strict";
import {
  ListpackBuilder,
  listpackDecode,
  listpackEncode,
  listpackFromStrings,
} from "./listpack.ts";
import { RdbFormatError } from "./rdb_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const texts = (lp: Uint8Array) => listpackDecode(lp).map((b) => dec.decode(b));

/** Size of the single entry (encoding + data + backlen) of a one-element listpack. */
function entrySize(s: string): number {
  return listpackFromStrings([s]).length - 7;
}

Deno.test("listpack: integer encodings pick the smallest width, as lpEncodeGetType", () => {
  const cases: [string, number][] = [
    ["0", 2],
    ["127", 2],
    ["128", 3],
    ["-1", 3],
    ["-4096", 3],
    ["4095", 3],
    ["4096", 4],
    ["-32768", 4],
    ["32767", 4],
    ["32768", 5],
    ["-8388608", 5],
    ["8388607", 5],
    ["8388608", 6],
    ["-2147483648", 6],
    ["2147483647", 6],
    ["2147483648", 10],
    ["9223372036854775807", 10],
    ["-9223372036854775808", 10],
  ];
  for (const [s, size] of cases) assert.equal(entrySize(s), size, s);
  const all = cases.map((c) => c[0]);
  assert.deepEqual(texts(listpackFromStrings(all)), all);
});

Deno.test("listpack: non-canonical integers stay strings", () => {
  for (const s of ["01", "+1", " 1", "-0", "1.0", "9223372036854775808", ""]) {
    assert.equal(entrySize(s), 1 + s.length + 1, s);
  }
  assert.deepEqual(texts(listpackFromStrings(["01", "-0", ""])), ["01", "-0", ""]);
});

Deno.test("listpack: string length forms and multi-byte backlens", () => {
  for (const n of [0, 63, 64, 126, 127, 4095, 4096, 16383, 20000]) {
    const s = "x".repeat(n);
    const lp = listpackFromStrings([s, "a", s]);
    assert.deepEqual(texts(lp), [s, "a", s], `len ${n}`);
  }
  assert.equal(entrySize("x".repeat(63)), 1 + 63 + 1);
  assert.equal(entrySize("x".repeat(64)), 2 + 64 + 1);
  assert.equal(entrySize("x".repeat(126)), 2 + 126 + 2); // backlen 128 needs two bytes
  assert.equal(entrySize("x".repeat(4096)), 5 + 4096 + 2);
});

Deno.test("listpack: header (total bytes, count) and terminator", () => {
  const lp = listpackEncode([enc.encode("a"), enc.encode("1")]);
  assert.equal(lp.length, 6 + 3 + 2 + 1);
  assert.equal(lp[0], lp.length);
  assert.equal(lp[4], 2);
  assert.equal(lp[lp.length - 1], 0xff);
  // The exact bytes redis-server writes for a list ["a", "1"].
  assert.deepEqual([...lp], [0x0c, 0, 0, 0, 2, 0, 0x81, 0x61, 0x02, 0x01, 0x01, 0xff]);
  const b = new ListpackBuilder();
  assert.deepEqual(texts(b.finish()), []);
});

Deno.test("listpack: corrupt input throws RdbFormatError", () => {
  const good = listpackFromStrings(["hello", "42", "world"]);
  const bad: Uint8Array[] = [];
  const tooShort = good.slice(0, good.length - 1);
  bad.push(tooShort);
  const wrongTotal = good.slice();
  wrongTotal[0]++;
  bad.push(wrongTotal);
  const wrongCount = good.slice();
  wrongCount[4] = 2;
  bad.push(wrongCount);
  const wrongBacklen = good.slice();
  wrongBacklen[6 + 6] = 9; // backlen of "hello" (1+5=6)
  bad.push(wrongBacklen);
  const badEnc = good.slice();
  badEnc[6] = 0xf5;
  bad.push(badEnc);
  for (const b of bad) assert.throws(() => listpackDecode(b), RdbFormatError);
  // Count 65535 means "unknown" and is accepted.
  const unknown = good.slice();
  unknown[4] = 0xff;
  unknown[5] = 0xff;
  assert.deepEqual(texts(unknown), ["hello", "42", "world"]);
});
