import assert from "node:assert/strict";
import { Crc64, crc64 } from "./crc64.ts";

const enc = new TextEncoder();

/** Bit-at-a-time reference (the definition), for cross-checking the table code. */
function slowCrc64(data: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n; // 0xad93d23594c935a9 reflected
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let b = 0; b < 8; b++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

Deno.test("crc64: Redis's test vector", () => {
  assert.equal(crc64(0n, enc.encode("123456789")), 0xe9c6d914c4b8d9can);
  assert.equal(crc64(0n, new Uint8Array(0)), 0n);
});

Deno.test("crc64: Redis crc64.c long test vector", () => {
  const li = "This is a test of the emergency broadcast system.";
  // From Redis's crc64.c self test.
  assert.equal(crc64(0n, enc.encode(li)), slowCrc64(enc.encode(li)));
});

Deno.test("crc64: table code equals the bitwise definition; incremental equals one-shot", () => {
  const data = new Uint8Array(1000);
  let x = 12345;
  for (let i = 0; i < data.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000]) {
    assert.equal(crc64(0n, data.subarray(0, n)), slowCrc64(data.subarray(0, n)), `n=${n}`);
  }
  const c = new Crc64();
  c.update(data, 0, 13).update(data, 13, 500).update(data, 500);
  assert.equal(c.value(), crc64(0n, data));
  const out = new Uint8Array(8);
  c.writeLE(out, 0);
  assert.ok(c.equalsLE(out, 0));
  out[3] ^= 1;
  assert.ok(!c.equalsLE(out, 0));
});
