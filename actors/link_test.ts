import assert from "node:assert/strict";
import { createActor, SimulatedClock } from "xstate";
import {
  failUndoable,
  handshakeExpired,
  type LinkInput,
  linkMachine,
  linkStateName,
  pingDue,
  pongLate,
  pongOverdue,
} from "./link.ts";

const NODE_TIMEOUT_MS = 1500;

/** A simulated clock that counts the timers armed on it. */
class CountingClock extends SimulatedClock {
  armed = 0;
  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    this.armed++;
    return super.setTimeout(fn, timeout);
  }
}

function start(input: Partial<LinkInput> = {}, nodeTimeoutMs = () => NODE_TIMEOUT_MS) {
  const clock = new CountingClock();
  const a = createActor(linkMachine, {
    clock,
    input: {
      nodeId: "n".repeat(40),
      handshake: false,
      connected: false,
      pfail: false,
      fail: false,
      pingOutstandingMs: null,
      pongAgeMs: 0,
      handshakeAgeMs: 0,
      failAgeMs: 0,
      timing: { nodeTimeoutMs },
      ...input,
    },
  });
  a.start();
  return { a, clock, name: () => linkStateName(a.getSnapshot()) };
}

Deno.test("link machine: handshake, connected, pfail, fail and back, the PONG timer on the clock", () => {
  const { a, clock, name } = start({ handshake: true });
  try {
    assert.equal(name(), "handshake");
    a.send({ type: "LINK_UP" });
    a.send({ type: "HANDSHAKE_DONE" });
    assert.equal(name(), "connected");
    a.send({ type: "PING_SENT", atMs: 1000 });
    assert.equal(a.getSnapshot().context.pingSentMs, 1000);
    // The PONG timers: half the node timeout (the link may be freed), then node_timeout (PFAIL).
    clock.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(pongLate(a.getSnapshot()), false);
    clock.increment(1);
    assert.equal(pongLate(a.getSnapshot()), true);
    clock.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(pongOverdue(a.getSnapshot()), false);
    clock.increment(1);
    assert.deepEqual([pongOverdue(a.getSnapshot()), pongLate(a.getSnapshot())], [true, true]);
    a.send({ type: "PFAIL" }); // the cron flagged it (it asks `pongOverdue`)
    assert.equal(name(), "pfail");
    a.send({ type: "LINK_DOWN" });
    assert.equal(name(), "pfail");
    a.send({ type: "FAIL" });
    assert.equal(name(), "fail");
    // A FAIL master with slots may be cleared only after 2 x node_timeout.
    clock.increment(2 * NODE_TIMEOUT_MS - 1);
    assert.equal(failUndoable(a.getSnapshot()), false);
    clock.increment(1);
    assert.equal(failUndoable(a.getSnapshot()), true);
    a.send({ type: "LINK_UP" });
    a.send({ type: "PONG_RECEIVED", atMs: 5000 });
    assert.equal(pongOverdue(a.getSnapshot()), false);
    assert.equal(a.getSnapshot().context.pingSentMs, 0);
    assert.equal(a.getSnapshot().context.pongReceivedMs, 5000);
    a.send({ type: "FAIL_CLEARED" });
    assert.equal(name(), "connected");
    const st = a.getSnapshot().context.stats;
    assert.deepEqual(st, { linkUps: 2, linkDowns: 1, pingsSent: 1, pongsReceived: 1 });
  } finally {
    a.stop();
  }
});

Deno.test("link machine: a PONG in time stops the timer; a new PING starts it again", () => {
  const { a, clock } = start({ connected: true });
  try {
    a.send({ type: "PING_SENT", atMs: 1 });
    clock.increment(NODE_TIMEOUT_MS - 10);
    a.send({ type: "PONG_RECEIVED", atMs: 2 });
    clock.increment(10 * NODE_TIMEOUT_MS);
    assert.equal(pongOverdue(a.getSnapshot()), false);
    a.send({ type: "PING_SENT", atMs: 3 });
    clock.increment(NODE_TIMEOUT_MS - 1);
    // The record's ping_sent changed (a new PING): the timer starts over.
    a.send({ type: "PING_SENT", atMs: 4 });
    clock.increment(NODE_TIMEOUT_MS - 1);
    assert.equal(pongOverdue(a.getSnapshot()), false);
    clock.increment(1);
    assert.equal(pongOverdue(a.getSnapshot()), true);
  } finally {
    a.stop();
  }
});

Deno.test("link machine: a node left in handshake expires after max(node_timeout, 1000) ms", () => {
  for (const [timeoutMs, expiresMs] of [[1500, 1500], [400, 1000]]) {
    const { a, clock, name } = start({ handshake: true }, () => timeoutMs);
    try {
      clock.increment(expiresMs - 1);
      assert.equal(handshakeExpired(a.getSnapshot()), false, `node_timeout ${timeoutMs}`);
      clock.increment(1);
      assert.equal(handshakeExpired(a.getSnapshot()), true, `node_timeout ${timeoutMs}`);
      assert.equal(name(), "handshake");
      // The handshake may still complete before the cron deletes the node.
      a.send({ type: "HANDSHAKE_DONE" });
      assert.equal(name(), "reconnecting");
    } finally {
      a.stop();
    }
  }
});

Deno.test("link machine: the next PING is due node_timeout / 2 after the last PONG", () => {
  const { a, clock } = start({ connected: true });
  try {
    a.send({ type: "PING_SENT", atMs: 1 });
    assert.equal(pingDue(a.getSnapshot()), false);
    clock.increment(10);
    a.send({ type: "PONG_RECEIVED", atMs: 11 });
    clock.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(pingDue(a.getSnapshot()), false);
    clock.increment(1);
    assert.equal(pingDue(a.getSnapshot()), true);
    a.send({ type: "PING_SENT", atMs: 2000 });
    assert.equal(pingDue(a.getSnapshot()), false);
  } finally {
    a.stop();
  }
  // Spawned with a PONG 700 ms old: due 50 ms later (node_timeout / 2 = 750).
  const p = start({ connected: true, pongAgeMs: 700 });
  p.clock.increment(49);
  assert.equal(pingDue(p.a.getSnapshot()), false);
  p.clock.increment(1);
  assert.equal(pingDue(p.a.getSnapshot()), true);
  p.a.stop();
});

Deno.test("link machine: timers armed: one while idle, two with a PING in flight; timeout read then", () => {
  let timeoutMs = 1000;
  const { a, clock } = start({ connected: true }, () => timeoutMs);
  try {
    assert.equal(clock.armed, 1, "the next PING");
    a.send({ type: "LINK_DOWN" });
    a.send({ type: "LINK_UP" });
    assert.equal(clock.armed, 1);
    timeoutMs = 3000; // CONFIG SET cluster-node-timeout
    a.send({ type: "PING_SENT", atMs: 1 });
    assert.equal(clock.armed, 3, "node_timeout / 2 and node_timeout");
    clock.increment(2999);
    assert.equal(pongOverdue(a.getSnapshot()), false);
    clock.increment(1);
    assert.equal(pongOverdue(a.getSnapshot()), true);
  } finally {
    a.stop();
  }
});

Deno.test("link machine: starts where the node record is, with the time already spent", () => {
  for (
    const [input, want] of [
      [{ fail: true, pfail: true }, "fail"],
      [{ pfail: true }, "pfail"],
      [{ connected: true }, "connected"],
      [{}, "reconnecting"],
      [{ handshake: true, connected: true }, "handshake"],
    ] as [Partial<LinkInput>, string][]
  ) {
    const { a, name } = start(input);
    assert.equal(name(), want, JSON.stringify(input));
    a.stop();
  }
  // Re-spawned (a rename, a restart) with a PING 1000 ms old: overdue 500 ms later.
  const p = start({ connected: true, pingOutstandingMs: 1000 });
  p.clock.increment(NODE_TIMEOUT_MS - 1000 - 1);
  assert.equal(pongOverdue(p.a.getSnapshot()), false);
  p.clock.increment(1);
  assert.equal(pongOverdue(p.a.getSnapshot()), true);
  p.a.stop();
  // FAIL since 2000 ms ago: undoable 1000 ms later.
  const f = start({ fail: true, failAgeMs: 2000 });
  assert.equal(f.name(), "fail");
  f.clock.increment(999);
  assert.equal(failUndoable(f.a.getSnapshot()), false);
  f.clock.increment(1);
  assert.equal(failUndoable(f.a.getSnapshot()), true);
  f.a.stop();
  // Met 1200 ms ago: the handshake expires 300 ms later.
  const h = start({ handshake: true, handshakeAgeMs: 1200 });
  h.clock.increment(299);
  assert.equal(handshakeExpired(h.a.getSnapshot()), false);
  h.clock.increment(1);
  assert.equal(handshakeExpired(h.a.getSnapshot()), true);
  h.a.stop();
});
