import assert from "node:assert/strict";
import { createActor } from "xstate";
import { type LinkInput, linkMachine } from "./link.ts";

function start(input: Partial<LinkInput> = {}) {
  const a = createActor(linkMachine, {
    input: {
      nodeId: "n".repeat(40),
      handshake: false,
      connected: false,
      pfail: false,
      fail: false,
      ...input,
    },
  });
  a.start();
  return a;
}

Deno.test("link machine: handshake -> connected -> pfail -> fail -> cleared", () => {
  const a = start({ handshake: true });
  try {
    assert.equal(a.getSnapshot().value, "handshake");
    a.send({ type: "LINK_UP" });
    assert.equal(a.getSnapshot().value, "handshake");
    a.send({ type: "HANDSHAKE_DONE" });
    assert.equal(a.getSnapshot().value, "connected");
    a.send({ type: "PING_SENT", atMs: 1000 });
    assert.equal(a.getSnapshot().context.pingSentMs, 1000);
    a.send({ type: "PFAIL" });
    assert.equal(a.getSnapshot().value, "pfail");
    a.send({ type: "LINK_DOWN" });
    assert.equal(a.getSnapshot().value, "pfail");
    a.send({ type: "FAIL" });
    assert.equal(a.getSnapshot().value, "fail");
    a.send({ type: "LINK_UP" });
    a.send({ type: "PONG_RECEIVED", atMs: 5000 });
    assert.equal(a.getSnapshot().context.pingSentMs, 0);
    assert.equal(a.getSnapshot().context.pongReceivedMs, 5000);
    a.send({ type: "FAIL_CLEARED" });
    assert.equal(a.getSnapshot().value, "connected");
    const st = a.getSnapshot().context.stats;
    assert.deepEqual(st, { linkUps: 2, linkDowns: 1, pingsSent: 1, pongsReceived: 1 });
  } finally {
    a.stop();
  }
});

Deno.test("link machine: link loss -> reconnecting -> connected; clear while down -> reconnecting", () => {
  const a = start({ connected: true });
  try {
    assert.equal(a.getSnapshot().value, "connected");
    a.send({ type: "LINK_DOWN" });
    assert.equal(a.getSnapshot().value, "reconnecting");
    assert.equal(a.getSnapshot().context.connected, false);
    a.send({ type: "LINK_UP" });
    assert.equal(a.getSnapshot().value, "connected");
    a.send({ type: "LINK_DOWN" });
    a.send({ type: "PFAIL" });
    a.send({ type: "FAIL_CLEARED" });
    assert.equal(a.getSnapshot().value, "reconnecting");
  } finally {
    a.stop();
  }
});

Deno.test("link machine: starts where the node record is (re-spawn after rename)", () => {
  for (
    const [input, want] of [
      [{ fail: true, pfail: true }, "fail"],
      [{ pfail: true }, "pfail"],
      [{ connected: true }, "connected"],
      [{}, "reconnecting"],
      [{ handshake: true, connected: true }, "handshake"],
    ] as [Partial<LinkInput>, string][]
  ) {
    const a = start(input);
    assert.equal(a.getSnapshot().value, want, JSON.stringify(input));
    a.stop();
  }
});
