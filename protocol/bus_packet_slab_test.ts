import assert from "node:assert/strict";
import { SLAB_BYTES, SLAB_MAX_PACKET_BYTES, zeroedPacketBytes } from "./bus_packet_slab.ts";

Deno.test("packet slab: each packet gets its own zeroed, 8-aligned bytes", () => {
  const got: Uint8Array[] = [];
  let total = 0;
  for (let k = 0; total < 3 * SLAB_BYTES; k++) {
    const len = 2256 + 104 * (k % 40) + (k % 7);
    const p = zeroedPacketBytes(len);
    assert.equal(p.length, len);
    assert.equal(p.byteOffset % 8, 0);
    assert.ok(p.every((b) => b === 0), `packet ${k} is not zeroed`);
    p.fill(k & 0xff || 1); // written by its owner: no other packet may see it
    got.push(p);
    total += len;
  }
  for (let k = 0; k < got.length; k++) {
    const want = k & 0xff || 1;
    assert.ok(got[k].every((b) => b === want), `packet ${k} was overwritten`);
  }
  const big = zeroedPacketBytes(SLAB_MAX_PACKET_BYTES + 1);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, SLAB_MAX_PACKET_BYTES + 1);
});
