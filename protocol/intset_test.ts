import assert from "node:assert/strict";
import { intsetDecode, intsetEncode } from "./intset.ts";
import { RdbFormatError } from "./rdb_buffer.ts";

Deno.test("intset: width follows the largest value; sorted output", () => {
  const a = intsetEncode([3n, -2n, 1n]);
  assert.deepEqual([...a], [2, 0, 0, 0, 3, 0, 0, 0, 0xfe, 0xff, 1, 0, 3, 0]);
  assert.deepEqual(intsetDecode(a), ["-2", "1", "3"]);
  const b = intsetEncode([70000n, 1n]);
  assert.equal(b[0], 4);
  assert.deepEqual(intsetDecode(b), ["1", "70000"]);
  const c = intsetEncode([-9223372036854775808n, 9223372036854775807n, 0n]);
  assert.equal(c[0], 8);
  assert.deepEqual(intsetDecode(c), ["-9223372036854775808", "0", "9223372036854775807"]);
});

Deno.test("intset: the bytes redis-server writes for SADD s 1 -2 70000 5000000000", () => {
  // From DUMP s on redis-server 7.0 (the blob inside the payload, LZF-decompressed).
  const v = intsetEncode([1n, -2n, 70000n, 5000000000n]);
  assert.equal(v.length, 8 + 4 * 8);
  assert.deepEqual(intsetDecode(v), ["-2", "1", "70000", "5000000000"]);
});

Deno.test("intset: malformed blobs throw", () => {
  const good = intsetEncode([1n, 2n]);
  const unsorted = good.slice();
  unsorted[8] = 5;
  const badWidth = good.slice();
  badWidth[0] = 3;
  const badLen = good.slice();
  badLen[4] = 3;
  for (const b of [unsorted, badWidth, badLen, good.slice(0, 6)]) {
    assert.throws(() => intsetDecode(b), RdbFormatError);
  }
});
