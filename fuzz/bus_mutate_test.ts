import assert from "node:assert/strict";
import { Prng } from "../cluster/prng.ts";
import {
  BUS_HEADER_BYTES,
  decodeBusMessage,
  OFF_COUNT,
  OFF_CURRENT_EPOCH,
  OFF_TOTLEN,
  OFF_TYPE,
  OFF_VER,
} from "../protocol/bus.ts";
import { buildFrame, randomNodeId } from "./bus_frames.ts";
import {
  BUS_MUTATOR_NAMES,
  BUS_MUTATORS,
  mutateFrame,
  randomBusInput,
  truncateFrame,
} from "./bus_mutate.ts";

const CTX = { targetId: "a".repeat(40), knownIds: ["b".repeat(40)], ports: [11000] };

function pingWithExtensions() {
  return buildFrame({
    type: "PING",
    header: {
      port: 11000,
      currentEpoch: 3n,
      configEpoch: 2n,
      offset: 0n,
      sender: CTX.knownIds[0],
      myslots: new Uint8Array(2048),
      slaveof: null,
      myip: "",
      pport: 0,
      cport: 21000,
      flags: 1,
      state: 0,
      mflags: 0,
    },
    gossip: [{
      nodename: randomNodeId(new Prng(1)),
      pingSentSec: 0,
      pongReceivedSec: 0,
      ip: "127.0.0.1",
      port: 11000,
      cport: 21000,
      flags: 1,
      pport: 0,
    }],
    extensions: [{ type: "HOSTNAME", hostname: "h" }],
  });
}

function diffOffsets(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

Deno.test("bus mutators: each writes only its own field", () => {
  const f = pingWithExtensions();
  const rng = new Prng(2);
  const within: Record<string, [number, number][]> = {
    totlen: [[OFF_TOTLEN, OFF_TOTLEN + 4]],
    version: [[OFF_VER, OFF_VER + 2]],
    type: [[OFF_TYPE, OFF_TYPE + 2]],
    gossipCount: [[OFF_COUNT, OFF_COUNT + 2]],
    currentEpoch: [[OFF_CURRENT_EPOCH, OFF_CURRENT_EPOCH + 8]],
    extensionLength: [[f.extOffsets[0], f.extOffsets[0] + 4]],
    extensionType: [[f.extOffsets[0] + 4, f.extOffsets[0] + 6]],
    slotBitmap: [[80, 80 + 2048]],
    gossipEntry: [[BUS_HEADER_BYTES, BUS_HEADER_BYTES + 104]],
  };
  for (let i = 0; i < 40; i++) {
    for (const [name, ranges] of Object.entries(within)) {
      const b = f.bytes.slice();
      BUS_MUTATORS[name](rng, b, f);
      for (const off of diffOffsets(f.bytes, b)) {
        assert.ok(ranges.some(([lo, hi]) => off >= lo && off < hi), `${name} wrote byte ${off}`);
      }
    }
  }
  assert.ok(BUS_MUTATOR_NAMES.length >= 15);
});

Deno.test("bus mutators: mutated frames reach the decoder's checks, and a seed repeats them", () => {
  const f = pingWithExtensions();
  const kinds = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const a = mutateFrame(new Prng(i), f);
    assert.deepEqual(a, mutateFrame(new Prng(i), f));
    const d = decodeBusMessage(a.bytes);
    kinds.add(d.ok ? `ok:${d.message.type}` : d.error.kind);
  }
  for (
    const k of [
      "BAD_MIN_LENGTH",
      "TOTLEN_MISMATCH",
      "BAD_VERSION",
      "GOSSIP_TRUNCATED",
      "EXT_BAD_PADDING",
      "ok:PING",
    ]
  ) {
    assert.ok(kinds.has(k), `${k} not reached: ${[...kinds]}`);
  }
});

Deno.test("bus mutators: truncation and random inputs", () => {
  const f = pingWithExtensions();
  const rng = new Prng(4);
  let withSig = 0;
  for (let i = 0; i < 200; i++) {
    const t = truncateFrame(rng, f.bytes);
    assert.ok(t.length < f.bytes.length);
    const r = randomBusInput(rng);
    if (new TextDecoder().decode(r.subarray(0, 4)) === "RCmb") withSig++;
  }
  assert.ok(withSig > 50 && withSig < 150, `${withSig}`);
});
