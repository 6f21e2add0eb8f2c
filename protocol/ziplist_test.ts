import assert from "node:assert/strict";
import { ziplistDecode, ziplistEncode } from "./ziplist.ts";
import { RdbFormatError } from "./rdb_buffer.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();
const texts = (zl: Uint8Array) => ziplistDecode(zl).map((b) => dec.decode(b));

Deno.test("ziplist: the examples of Redis's ziplist.c", () => {
  const two = new Uint8Array([0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 0x02, 0, 0x00, 0xf3, 0x02, 0xf6, 0xff]);
  assert.deepEqual(texts(two), ["2", "5"]);
  const hello = new Uint8Array([
    0x1c,
    0,
    0,
    0,
    0x0e,
    0,
    0,
    0,
    0x03,
    0,
    0x00,
    0xf3,
    0x02,
    0xf6,
    0x02,
    0x0b,
    ...enc.encode("Hello World"),
    0xff,
  ]);
  assert.deepEqual(texts(hello), ["2", "5", "Hello World"]);
  assert.deepEqual(ziplistEncode([2, 5, "Hello World"]), hello);
});

Deno.test("ziplist: every integer and string encoding, long prevlens", () => {
  const items: (string | number | bigint)[] = [
    0,
    12,
    13,
    -1,
    127,
    -128,
    200,
    -32768,
    32767,
    40000,
    -8388608,
    8388607,
    9000000,
    -2147483648,
    2147483647,
    2147483648,
    -9223372036854775808n,
    9223372036854775807n,
    "",
    "a",
    "x".repeat(63),
    "y".repeat(64),
    "z".repeat(300),
    "w".repeat(16384),
  ];
  assert.deepEqual(texts(ziplistEncode(items)), items.map(String));
});

Deno.test("ziplist: corrupt input throws", () => {
  const zl = ziplistEncode(["abc", 5, "def"]);
  const badPrev = zl.slice();
  badPrev[10 + 5] = 9; // prevlen of entry 2 (entry 1 is 1+1+3 bytes)
  const badCount = zl.slice();
  badCount[8] = 4;
  const badTail = zl.slice();
  badTail[4] = 10;
  const badEnc = zl.slice();
  badEnc[11] = 0xc1; // 110000 01: not an encoding
  for (const b of [badPrev, badCount, badTail, badEnc, zl.slice(0, zl.length - 1)]) {
    assert.throws(() => ziplistDecode(b), RdbFormatError);
  }
});
