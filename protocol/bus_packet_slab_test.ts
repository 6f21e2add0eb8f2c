import assert from "node:assert/strict";
import {
  RECYCLED_MAX_BYTES,
  recyclePacketBytes,
  SLAB_BYTES,
  SLAB_MAX_PACKET_BYTES,
  zeroedPacketBytes,
} from "./bus_packet_slab.ts";

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

Deno.test("packet slab: a packet given back is handed out once more, zeroed; slab views and excess are not kept", () => {
  // Lengths no other test uses.
  const own = new Uint8Array(5003).fill(7);
  recyclePacketBytes(own);
  const again = zeroedPacketBytes(5003);
  assert.equal(again, own);
  assert.ok(again.every((b) => b === 0), "not zeroed again");
  assert.notEqual(zeroedPacketBytes(5003), own, "handed out twice");
  // A view of a larger buffer would keep all of it alive: not kept.
  const view = new Uint8Array(new ArrayBuffer(10_000), 0, 5011);
  recyclePacketBytes(view);
  assert.notEqual(zeroedPacketBytes(5011), view);
  // Once packets are given back, new ones are buffers of their own, not slab views.
  const fresh = zeroedPacketBytes(3001);
  assert.equal(fresh.buffer.byteLength, 3001);
  // At most RECYCLED_MAX_BYTES are kept.
  const size = 1024 * 1024 + 1;
  const big: Uint8Array[] = [];
  for (let k = 0; k <= RECYCLED_MAX_BYTES / size + 1; k++) big.push(new Uint8Array(size));
  for (const b of big) recyclePacketBytes(b);
  let reused = 0;
  for (let k = 0; k < big.length; k++) if (big.includes(zeroedPacketBytes(size))) reused++;
  assert.ok(reused <= RECYCLED_MAX_BYTES / size && reused > 0, `${reused} reused`);
});
