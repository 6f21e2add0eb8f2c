import assert from "node:assert/strict";
import { encodeVarint, readVarint, varint, varintLength, writeVarint } from "./packed_string.ts";

Deno.test("packed string: writeVarint writes encodeVarint's chars as bytes, varintLength counts them", () => {
  const buf = new Uint8Array(16);
  for (
    const n of [0, 1, 127, 128, 255, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 35 + 7]
  ) {
    const s = encodeVarint(n);
    const end = writeVarint(buf, 3, n);
    assert.equal(end - 3, s.length, `n=${n}`);
    assert.equal(varintLength(n), s.length, `n=${n}`);
    assert.deepEqual([...buf.subarray(3, end)], [...s].map((c) => c.charCodeAt(0)), `n=${n}`);
    readVarint("xyz" + s, 3);
    assert.equal(varint.value, n);
    assert.equal(varint.end, 3 + s.length);
  }
});
