import assert from "node:assert/strict";
import { zipmapDecode } from "./zipmap.ts";
import { RdbFormatError } from "./rdb_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("zipmap: the example of Redis's zipmap.c, free bytes and big lengths", () => {
  // "foo" => "bar", "hello" => "world" with one free byte after "bar".
  const zm = new Uint8Array([
    2,
    3,
    ...enc.encode("foo"),
    3,
    1,
    ...enc.encode("bar"),
    0,
    5,
    ...enc.encode("hello"),
    5,
    0,
    ...enc.encode("world"),
    0xff,
  ]);
  assert.deepEqual(zipmapDecode(zm).map(([k, v]) => [dec.decode(k), dec.decode(v)]), [
    ["foo", "bar"],
    ["hello", "world"],
  ]);
  const long = "v".repeat(300);
  const big = new Uint8Array([
    1,
    1,
    0x6b,
    254,
    300 & 0xff,
    300 >> 8,
    0,
    0,
    0,
    ...enc.encode(long),
    0xff,
  ]);
  assert.deepEqual(zipmapDecode(big).map(([k, v]) => [dec.decode(k), dec.decode(v)]), [[
    "k",
    long,
  ]]);
  assert.throws(() => zipmapDecode(big.slice(0, big.length - 1)), RdbFormatError);
});
