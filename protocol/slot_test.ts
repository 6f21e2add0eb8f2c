import assert from "node:assert/strict";
import { crc16, keyHashSlot, keyHashSlotBinary } from "./slot.ts";

const te = new TextEncoder();

Deno.test("crc16 matches the XMODEM check value", () => {
  assert.equal(crc16(te.encode("123456789")), 0x31c3);
});

Deno.test("keyHashSlot matches Redis 7.0 for plain keys and hash tags", () => {
  assert.equal(keyHashSlot(te.encode("foo")), 12182);
  assert.equal(keyHashSlot(te.encode("k2136")), 100);
  assert.equal(keyHashSlot(te.encode("k13474")), 16000);
  // The tag is between the first '{' and the next '}', only if non-empty.
  assert.equal(keyHashSlot(te.encode("{user1000}.following")), keyHashSlot(te.encode("user1000")));
  assert.equal(keyHashSlot(te.encode("foo{}{bar}")), keyHashSlot(te.encode("foo{}{bar}")));
  assert.notEqual(keyHashSlot(te.encode("foo{}{bar}")), keyHashSlot(te.encode("bar")));
  assert.equal(keyHashSlot(te.encode("foo{{bar}}zap")), keyHashSlot(te.encode("{bar")));
  assert.equal(keyHashSlot(te.encode("foo{bar}{zap}")), keyHashSlot(te.encode("bar")));
});

Deno.test("keyHashSlotBinary agrees with keyHashSlot", () => {
  for (const k of ["foo", "{a}b", "x{}y", "a{b}c{d}", "\xff\x00{\x80}"]) {
    const bytes = Uint8Array.from([...k].map((c) => c.charCodeAt(0)));
    assert.equal(keyHashSlotBinary(k), keyHashSlot(bytes));
  }
});
