import assert from "node:assert/strict";
import { internSlots, NO_SLOTS } from "./slot_bitmap_intern.ts";
import { SLOT_BITMAP_BYTES } from "../protocol/bus_constants.ts";

Deno.test("an all-zero bitmap interns to the shared NO_SLOTS (ZERO_HASH is hashOf(NO_SLOTS))", () => {
  assert.equal(internSlots(new Uint8Array(SLOT_BITMAP_BYTES)), NO_SLOTS);
});

Deno.test("equal bitmaps intern to one copy, different ones stay apart", () => {
  const a = new Uint8Array(SLOT_BITMAP_BYTES);
  a[7] = 0x80;
  const b = a.slice();
  const c = a.slice();
  c[8] = 1;
  const ia = internSlots(a);
  assert.equal(internSlots(b), ia);
  assert.notEqual(internSlots(c), ia);
  assert.notEqual(internSlots(c), NO_SLOTS);
});

Deno.test("a bitmap at an unaligned offset interns to the aligned copy of the same content", () => {
  const a = new Uint8Array(SLOT_BITMAP_BYTES);
  a[0] = 0x0f;
  a[1] = 0xa5;
  a[SLOT_BITMAP_BYTES - 1] = 0x80;
  const ia = internSlots(a);
  const buf = new Uint8Array(SLOT_BITMAP_BYTES + 3);
  buf.set(a, 3);
  const unaligned = buf.subarray(3); // hashed byte by byte (no Int32Array view at offset 3)
  assert.equal(internSlots(unaligned), ia);
  const zeros = new Uint8Array(SLOT_BITMAP_BYTES + 1).subarray(1);
  assert.equal(internSlots(zeros), NO_SLOTS);
  const other = buf.slice(3);
  other[100] = 1;
  assert.notEqual(internSlots(other), ia);
});
