import assert from "node:assert/strict";
import {
  INTERN_MAX_BYTES,
  INTERN_MAX_SLOTS,
  INTERN_MIN_SLOTS,
  internedBytes,
  InternTable,
} from "./bus_names.ts";
import { readBinary } from "./bus_header.ts";
import { Prng } from "../cluster/prng.ts";

Deno.test("internedBytes reads every length and byte value as readBinary does", () => {
  const rng = new Prng(11);
  const buf = new Uint8Array(200);
  for (let round = 0; round < 2000; round++) {
    for (let i = 0; i < buf.length; i++) buf[i] = rng.int(256);
    const off = rng.int(50);
    const len = rng.int(INTERN_MAX_BYTES + 10);
    assert.equal(internedBytes(buf, off, len), readBinary(buf, off, len));
    // Again: now from the table.
    assert.equal(internedBytes(buf, off, len), readBinary(buf, off, len));
  }
});

Deno.test("internedBytes tells apart values that differ in one byte or only in length", () => {
  const a = new TextEncoder().encode("127.0.0.1\0\0\0");
  assert.equal(internedBytes(a, 0, 9), "127.0.0.1");
  // Same words once zero-padded, other lengths.
  assert.equal(internedBytes(a, 0, 10), "127.0.0.1\0");
  assert.equal(internedBytes(a, 0, 12), "127.0.0.1\0\0\0");
  assert.equal(internedBytes(a, 0, 9), "127.0.0.1");
  const name = new TextEncoder().encode("e".repeat(40));
  assert.equal(internedBytes(name, 0, 40), "e".repeat(40));
  for (let i = 0; i < 40; i++) {
    const other = name.slice();
    other[i] = 0x66;
    const want = "e".repeat(i) + "f" + "e".repeat(39 - i);
    assert.equal(internedBytes(other, 0, 40), want);
  }
  assert.equal(internedBytes(name, 0, 40), "e".repeat(40));
  // An empty field reads as "" (readCString of a NUL-first field).
  assert.equal(internedBytes(name, 5, 0), "");
});

Deno.test("internedBytes compares the bytes: two values with one hash stay apart", () => {
  // Two 8-byte values the table's word hash (bus_names.ts loadAndHash) maps to the same int32.
  const P = 0x01000193;
  const basis = (0x811c9dc5 ^ 8) | 0;
  const x0 = 0x64636261, y0 = 0x68676665; // "abcd", "efgh"
  const a = Math.imul(basis ^ x0, P), b = Math.imul(basis ^ y0, P);
  const x1 = 0x31313131, y1 = x1 ^ a ^ b;
  const bytesOf = (w0: number, w1: number) => {
    const v = new DataView(new ArrayBuffer(8));
    v.setInt32(0, w0, true);
    v.setInt32(4, w1, true);
    return new Uint8Array(v.buffer);
  };
  const first = bytesOf(x0, x1), second = bytesOf(y0, y1);
  assert.equal(Math.imul(a ^ x1, P), Math.imul(b ^ y1, P));
  assert.equal(internedBytes(first, 0, 8), readBinary(first, 0, 8));
  assert.equal(internedBytes(second, 0, 8), readBinary(second, 0, 8));
  assert.equal(internedBytes(first, 0, 8), readBinary(first, 0, 8));
});

/** `count` random 40-byte names of `alphabet` characters from `first` on. */
function randomNames(seed: number, count: number, first: number, alphabet: number): Uint8Array[] {
  const rng = new Prng(seed);
  const names: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const b = new Uint8Array(40);
    for (let i = 0; i < 40; i++) b[i] = first + rng.int(alphabet);
    names.push(b);
  }
  return names;
}

Deno.test("internedBytes stays right after the table fills and is emptied", () => {
  // More distinct 40-byte names than the table keeps (it is emptied at half of 32,768 slots).
  const names = randomNames(5, 40_000, 0x30, 10);
  for (const b of names) assert.equal(internedBytes(b, 0, 40), readBinary(b, 0, 40));
  for (let k = 0; k < names.length; k += 97) {
    assert.equal(internedBytes(names[k], 0, 40), readBinary(names[k], 0, 40));
  }
});

Deno.test("InternTable starts small, doubles when half full, and is emptied at its largest", () => {
  const names = randomNames(7, 200, 0x61, 26);
  const t = new InternTable(8, 64);
  assert.equal(t.slots, 8);
  const slotsAfter: number[] = [];
  for (let k = 0; k < 32; k++) {
    assert.equal(t.get(names[k], 0, 40), readBinary(names[k], 0, 40));
    slotsAfter.push(t.slots);
  }
  // Half full: 4 values in 8 slots; the 5th doubles it, the 9th, the 17th (up to 64 slots).
  assert.equal(slotsAfter[3], 8);
  assert.equal(slotsAfter[4], 16);
  assert.equal(slotsAfter[8], 32);
  assert.equal(slotsAfter[16], 64);
  // Every value moved over by a growth is found again (none is added a second time).
  assert.equal(t.size, 32);
  for (let k = 0; k < 32; k++) {
    assert.equal(t.get(names[k], 0, 40), readBinary(names[k], 0, 40));
    assert.equal(t.size, 32, `name ${k} was lost by a growth`);
  }
  // At 64 slots the 33rd value empties the table instead; it stays at 64 slots and right.
  for (let k = 32; k < 200; k++) {
    assert.equal(t.get(names[k], 0, 40), readBinary(names[k], 0, 40));
    assert.equal(t.slots, 64);
    assert.ok(t.size <= 32);
  }
  for (let k = 0; k < 200; k++) assert.equal(t.get(names[k], 0, 40), readBinary(names[k], 0, 40));
  assert.throws(() => new InternTable(6, 64), RangeError);
  assert.throws(() => new InternTable(128, 64), RangeError);
  assert.ok(INTERN_MIN_SLOTS < INTERN_MAX_SLOTS);
});
