import assert from "node:assert/strict";
import {
  isStringValue,
  loadedString,
  storedString,
  STRING_BINARY_MAX_BYTES,
  STRING_TEXT_MAX_BYTES,
  stringBytes,
  stringLength,
  stringToInt64,
} from "./string_value.ts";
import { fromLatin1, latin1, parseInt64, parseInt64Big } from "../protocol/bytes.ts";

const enc = new TextEncoder();

/** `n` bytes: ASCII, or every byte value in turn (the non-ASCII path of `latin1`). */
function sample(n: number, ascii: boolean): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = ascii ? 32 + (i * 7) % 95 : (i * 37 + 128) & 0xff;
  return b;
}

Deno.test("string value: latin1 round-trips every byte at each construction path's lengths", () => {
  for (const n of [0, 1, 12, 13, 16, 64, 511, 512, 4096, 4097, 10000]) {
    for (const ascii of [true, false]) {
      const b = sample(n, ascii);
      const s = latin1(b);
      assert.equal(s.length, n);
      for (let i = 0; i < n; i++) assert.equal(s.charCodeAt(i), b[i], `n=${n} i=${i}`);
      assert.deepEqual(fromLatin1(s), b);
    }
  }
  // Bytes 0x80-0x9F are where windows-1252 (TextDecoder("latin1")) would differ.
  const c1 = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
  assert.deepEqual([...latin1(c1)].map((c) => c.charCodeAt(0)), [...c1]);
  // A UTF-8 BOM is kept (TextDecoder would strip it): it is not ASCII, so never decoded.
  assert.equal(latin1(Uint8Array.of(0xef, 0xbb, 0xbf, ...enc.encode("0123456789abc"))).length, 16);
});

Deno.test("string value: storedString keeps small arguments as binary strings, others as own bytes", () => {
  const arena = new Uint8Array(4096);
  const at = (b: Uint8Array) => {
    arena.set(b, 10);
    return arena.subarray(10, 10 + b.length);
  };
  const text = (n: number) => sample(n, true);
  const other = (n: number) => sample(n, false);
  for (
    const [arg, asString] of [
      [new Uint8Array(0), true],
      [other(STRING_BINARY_MAX_BYTES), true],
      [other(STRING_BINARY_MAX_BYTES + 1), false],
      [text(STRING_BINARY_MAX_BYTES + 1), true],
      [text(STRING_TEXT_MAX_BYTES), true],
      [text(STRING_TEXT_MAX_BYTES + 1), false],
    ] as [Uint8Array, boolean][]
  ) {
    const v = storedString(at(arg));
    const what = `${arg.length} bytes, ascii ${arg.every((b) => b < 128)}`;
    assert.equal(typeof v === "string", asString, what);
    assert.deepEqual(stringBytes(v), arg, what);
    if (v instanceof Uint8Array) {
      assert.notEqual(v.buffer, arena.buffer, `${what}: must not view the request's arena`);
    }
    // RDB loading: the same forms, a large value's bytes kept as read (the reader's own copy).
    const own = arg.slice();
    const w = loadedString(own);
    assert.equal(typeof w === "string", asString, what);
    if (!asString) assert.equal(w, own);
    else assert.deepEqual(stringBytes(w), own);
  }
});

Deno.test("string value: both forms read the same", () => {
  for (const text of ["", "x", "hello world", "\x00\xff\x80"]) {
    const bytes = fromLatin1(text);
    assert.ok(isStringValue(text) && isStringValue(bytes));
    assert.equal(stringLength(text), stringLength(bytes));
    assert.deepEqual(stringBytes(text), bytes);
    assert.equal(stringBytes(bytes), bytes, "bytes are returned as they are");
  }
  for (const v of [1, null, undefined, new Map(), new Set(), [1], new Uint16Array(1)]) {
    assert.equal(isStringValue(v), false);
  }
});

Deno.test("string value: stringToInt64 is string2ll on either form", () => {
  const cases = [
    "0",
    "1",
    "-1",
    "123",
    "-0",
    "01",
    "+1",
    " 1",
    "1 ",
    "",
    "-",
    "1a",
    "999999999999999",
    "1000000000000000",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "12345678901234567890",
    "00",
    "-01",
    "\xff1",
  ];
  for (const c of cases) {
    const b = fromLatin1(c);
    const want = b.length <= 15 ? parseInt64(b) : parseInt64Big(b);
    assert.equal(stringToInt64(c), want, JSON.stringify(c));
    assert.equal(stringToInt64(b), want, JSON.stringify(c));
  }
});
