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
