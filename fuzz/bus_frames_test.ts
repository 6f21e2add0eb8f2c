import assert from "node:assert/strict";
import { Prng } from "../cluster/prng.ts";
import { decodeBusMessage } from "../protocol/bus.ts";
import { buildFrame, type BusFuzzContext, randomMessage, randomNodeId } from "./bus_frames.ts";

const CTX: BusFuzzContext = {
  targetId: "a".repeat(40),
  knownIds: ["b".repeat(40)],
  ports: [11000, 11001],
};

Deno.test("bus frames: every generated frame decodes to the message it was built from", () => {
  const rng = new Prng(5);
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const sender = rng.chance(0.5) ? CTX.knownIds[0] : randomNodeId(rng);
    const m = randomMessage(rng, sender, CTX);
    const f = buildFrame(m);
    const d = decodeBusMessage(f.bytes);
    assert.ok(d.ok, JSON.stringify(!d.ok && d.error));
    assert.equal(d.message.type, m.type);
    assert.equal(d.message.header.sender, sender);
    seen.add(m.type);
    if (m.type === "PING" || m.type === "PONG" || m.type === "MEET") {
      assert.equal(f.gossipCount, m.gossip.length);
      assert.equal(f.extOffsets.length, m.extensions.length);
    }
  }
  assert.equal(seen.size, 12, [...seen].join(","));
});

Deno.test("bus frames: addresses name only the run's own ports (or 0, 1, 65535)", () => {
  const rng = new Prng(9);
  const ok = new Set([0, 1, 65535, ...CTX.ports, ...CTX.ports.map((p) => p + 10000)]);
  for (let i = 0; i < 300; i++) {
    const m = randomMessage(rng, randomNodeId(rng), CTX);
    assert.ok(
      ok.has(m.header.port) && ok.has(m.header.cport),
      `${m.header.port} ${m.header.cport}`,
    );
    if (m.type === "PING" || m.type === "PONG" || m.type === "MEET") {
      for (const g of m.gossip) {
        assert.ok(ok.has(g.port) && ok.has(g.cport), `${g.port} ${g.cport}`);
      }
    }
  }
});
