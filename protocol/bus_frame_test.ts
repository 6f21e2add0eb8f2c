/**
 * Tests for BusFrameSplitter: whole packets out of arbitrarily chunked streams, framing errors
 * (signature, totlen below 2256, above the limit), bounded buffering, and a seeded fuzz.
 */

import assert from "node:assert/strict";
import {
  BusFrameSplitter,
  type BusMessage,
  CLUSTER_OK,
  DEFAULT_MAX_BUS_PACKET_BYTES,
  emptySlotBitmap,
  encodeBusMessage,
  NODE_MASTER,
  NODE_MYSELF,
} from "./bus.ts";
import { prng } from "../tests/prng.ts";

const ID = "fa103c1937a316e1b4db4e23e90de203247adc7b";
const header = {
  port: 37101,
  currentEpoch: 3n,
  configEpoch: 2n,
  offset: 0n,
  sender: ID,
  myslots: emptySlotBitmap(),
  slaveof: null,
  myip: "",
  pport: 0,
  cport: 47101,
  flags: NODE_MASTER | NODE_MYSELF,
  state: CLUSTER_OK,
  mflags: 0,
};

function packets(): Uint8Array[] {
  const ms: BusMessage[] = [
    { type: "PING", header, gossip: [], extensions: [{ type: "HOSTNAME", hostname: "h" }] },
    { type: "FAIL", header, nodename: ID },
    { type: "PUBLISH", header, channel: new Uint8Array(3), message: new Uint8Array(5) },
    { type: "UPDATE", header, configEpoch: 1n, nodename: ID, slots: emptySlotBitmap() },
    { type: "MFSTART", header },
  ];
  return ms.map(encodeBusMessage);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("bus frame: one chunk holding several packets yields each, as copies", () => {
  const ps = packets();
  const stream = concat(ps);
  const s = new BusFrameSplitter();
  const out = [...s.feed(stream)];
  assert.equal(out.length, ps.length);
  out.forEach((f, i) => {
    assert.ok(f.ok);
    if (f.ok) assert.deepEqual(f.packet, ps[i]);
  });
  stream.fill(0); // the caller reuses its buffer: packets must not change
  assert.ok(out[0].ok && out[0].packet[0] === 0x52);
  assert.equal(s.bufferedBytes, 0);
});

Deno.test("bus frame: byte-at-a-time and random chunking give the same packets", () => {
  const ps = packets();
  const stream = concat(ps);
  const one = new BusFrameSplitter();
  const got: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) {
    for (const f of one.feed(stream.subarray(i, i + 1))) {
      assert.ok(f.ok);
      if (f.ok) got.push(f.packet);
    }
    // Until a packet completes, nothing is yielded and at most one packet is buffered.
    assert.ok(one.bufferedBytes <= 4352);
  }
  assert.deepEqual(got, ps);
  const rnd = prng(42);
  for (let round = 0; round < 50; round++) {
    const s = new BusFrameSplitter();
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(rnd() * 3000);
      for (const f of s.feed(stream.subarray(i, i + n))) if (f.ok) out.push(f.packet);
      i += n;
    }
    assert.deepEqual(out, ps);
  }
});

Deno.test("bus frame: framing errors stop the splitter (bad signature, totlen < 2256, too large)", () => {
  const p = packets()[1];
  // Bad signature, after one good packet in the same chunk.
  const bad = p.slice();
  bad[0] = 0x72; // "rCmb"
  let s = new BusFrameSplitter();
  let out = [...s.feed(concat([p, bad, p]))];
  assert.equal(out.length, 2);
  assert.ok(out[0].ok);
  assert.ok(!out[1].ok && out[1].error.kind === "BAD_SIGNATURE");
  assert.equal(s.error?.kind, "BAD_SIGNATURE");
  assert.deepEqual([...s.feed(p)], []); // nothing after an error
  // The error is detected as soon as 8 bytes are there.
  s = new BusFrameSplitter();
  assert.deepEqual([...s.feed(bad.subarray(0, 7))], []);
  out = [...s.feed(bad.subarray(7, 8))];
  assert.ok(!out[0].ok && out[0].error.kind === "BAD_SIGNATURE");
  // totlen 2255 and 100.
  for (const totlen of [2255, 100, 0]) {
    const q = p.slice();
    new DataView(q.buffer).setUint32(4, totlen);
    s = new BusFrameSplitter();
    out = [...s.feed(q.subarray(0, 8))];
    assert.ok(!out[0].ok && out[0].error.kind === "BAD_MIN_LENGTH");
    if (!out[0].ok && out[0].error.kind === "BAD_MIN_LENGTH") {
      assert.equal(out[0].error.totlen, totlen);
    }
  }
  // Absurd length: rejected before any allocation.
  const huge = p.slice(0, 8);
  new DataView(huge.buffer).setUint32(4, 0xffffffff);
  s = new BusFrameSplitter();
  out = [...s.feed(huge)];
  assert.ok(!out[0].ok && out[0].error.kind === "TOO_LARGE");
  assert.equal(s.bufferedBytes, 0);
  // Configurable limit.
  s = new BusFrameSplitter({ maxPacketBytes: 4351 });
  out = [...s.feed(packets()[3])];
  assert.ok(!out[0].ok && out[0].error.kind === "TOO_LARGE");
  s = new BusFrameSplitter({ maxPacketBytes: 4352 });
  out = [...s.feed(packets()[3])];
  assert.ok(out[0].ok);
  assert.throws(() => new BusFrameSplitter({ maxPacketBytes: 100 }), RangeError);
  assert.ok(DEFAULT_MAX_BUS_PACKET_BYTES >= 4352);
});

Deno.test("bus frame: seeded fuzz of random streams never throws and stays bounded", () => {
  const rnd = prng(7);
  const ps = packets();
  for (let round = 0; round < 300; round++) {
    const s = new BusFrameSplitter({ maxPacketBytes: 8192 });
    const parts: Uint8Array[] = [];
    for (let k = 0; k < 5; k++) {
      if (rnd() < 0.8) parts.push(ps[Math.floor(rnd() * ps.length)]);
      else {
        const junk = new Uint8Array(Math.floor(rnd() * 64));
        for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rnd() * 256);
        if (junk.length >= 8 && rnd() < 0.5) {
          junk.set([0x52, 0x43, 0x6d, 0x62]);
          new DataView(junk.buffer).setUint32(4, Math.floor(rnd() * 20000));
        }
        parts.push(junk);
      }
    }
    const stream = concat(parts);
    let i = 0;
    let frames = 0;
    while (i < stream.length) {
      const n = 1 + Math.floor(rnd() * 2000);
      for (const f of s.feed(stream.subarray(i, i + n))) {
        frames++;
        if (f.ok) assert.ok(f.packet.length >= 2256 && f.packet.length <= 8192);
      }
      assert.ok(s.bufferedBytes <= 8192);
      i += n;
    }
    assert.ok(frames <= 5 + 1);
  }
});
