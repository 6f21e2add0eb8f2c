/**
 * The link the node runs (pure data, link_state.ts) against its statechart (link.ts, an XState
 * actor on a SimulatedClock): the same events at the same times, and after every step both are in
 * the same state. Hand-written scenarios first, then seeded random sequences.
 */

import assert from "node:assert/strict";
import { createActor, SimulatedClock } from "xstate";
import { type LinkInput, linkMachine } from "./link.ts";
import {
  failUndoable,
  handshakeExpired,
  type LinkEvent,
  linkOpen,
  type LinkState,
  linkStateName,
  linkStep,
  linkValue,
  pingDue,
  pongLate,
  pongOverdue,
} from "./link_state.ts";
import { prng } from "../tests/prng.ts";
import { linkStart } from "../tests/link_start.ts";

const NODE_TIMEOUT_MS = 1500;

/** A simulated clock that counts the timers armed on it. */
class CountingClock extends SimulatedClock {
  armed = 0;
  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    this.armed++;
    return super.setTimeout(fn, timeout);
  }
}

/** The chart and the data, driven together; every step checks that they agree. */
function lockstep(input: Partial<LinkInput> = {}, nodeTimeoutMs = () => NODE_TIMEOUT_MS) {
  const clock = new CountingClock();
  const full: LinkInput = {
    ...linkStart({ connected: false }),
    timing: { nodeTimeoutMs },
    ...input,
  };
  const a = createActor(linkMachine, { clock, input: full });
  a.start();
  let link: LinkState = linkOpen(full, clock.now(), nodeTimeoutMs());
  const history: string[] = [];
  const check = (what: string) => {
    history.push(what);
    // A timer armed with delay 0 (a link opened with its time already spent) runs at the next
    // tick of the simulated clock; the data has it run out at once. Compare after that tick.
    clock.increment(0);
    assert.deepEqual(linkValue(link, clock.now()), a.getSnapshot().value, history.join(", "));
  };
  check("start");
  return {
    a,
    clock,
    get link() {
      return link;
    },
    send(e: LinkEvent) {
      a.send(e);
      link = linkStep(link, e, clock.now(), nodeTimeoutMs());
      check(e.type);
    },
    increment(ms: number) {
      clock.increment(ms);
      check(`+${ms}`);
    },
    name: () => linkStateName(link),
    is: (p: (s: LinkState, nowMs: number) => boolean) => p(link, clock.now()),
    stop: () => a.stop(),
  };
}

Deno.test("link: handshake, connected, pfail, fail and back, the PONG timer on the clock", () => {
  const l = lockstep({ handshake: true });
  try {
    assert.equal(l.name(), "handshake");
    l.send({ type: "LINK_UP" });
    l.send({ type: "HANDSHAKE_DONE" });
    assert.equal(l.name(), "connected");
    l.send({ type: "PING_SENT", atMs: 1000 });
    // The PONG timers: half the node timeout (the link may be freed), then node_timeout (PFAIL).
    l.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(l.is(pongLate), false);
    l.increment(1);
    assert.equal(l.is(pongLate), true);
    l.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(l.is(pongOverdue), false);
    l.increment(1);
    assert.deepEqual([l.is(pongOverdue), l.is(pongLate)], [true, true]);
    l.send({ type: "PFAIL" }); // the cron flagged it (it asks `pongOverdue`)
    assert.equal(l.name(), "pfail");
    l.send({ type: "LINK_DOWN" });
    assert.equal(l.name(), "pfail");
    l.send({ type: "FAIL" });
    assert.equal(l.name(), "fail");
    // A FAIL master with slots may be cleared only after 2 x node_timeout.
    l.increment(2 * NODE_TIMEOUT_MS - 1);
    assert.equal(l.is(failUndoable), false);
    l.increment(1);
    assert.equal(l.is(failUndoable), true);
    l.send({ type: "LINK_UP" });
    l.send({ type: "PONG_RECEIVED", atMs: 5000 });
    assert.equal(l.is(pongOverdue), false);
    l.send({ type: "FAIL_CLEARED" });
    assert.equal(l.name(), "connected");
  } finally {
    l.stop();
  }
});

Deno.test("link: a PONG in time stops the timer; a new PING starts it again", () => {
  const l = lockstep({ connected: true });
  try {
    l.send({ type: "PING_SENT", atMs: 1 });
    l.increment(NODE_TIMEOUT_MS - 10);
    l.send({ type: "PONG_RECEIVED", atMs: 2 });
    l.increment(10 * NODE_TIMEOUT_MS);
    assert.equal(l.is(pongOverdue), false);
    l.send({ type: "PING_SENT", atMs: 3 });
    l.increment(NODE_TIMEOUT_MS - 1);
    // The record's ping_sent changed (a new PING): the timer starts over.
    l.send({ type: "PING_SENT", atMs: 4 });
    l.increment(NODE_TIMEOUT_MS - 1);
    assert.equal(l.is(pongOverdue), false);
    l.increment(1);
    assert.equal(l.is(pongOverdue), true);
  } finally {
    l.stop();
  }
});

Deno.test("link: a node left in handshake expires after max(node_timeout, 1000) ms", () => {
  for (const [timeoutMs, expiresMs] of [[1500, 1500], [400, 1000]]) {
    const l = lockstep({ handshake: true }, () => timeoutMs);
    try {
      l.increment(expiresMs - 1);
      assert.equal(l.is(handshakeExpired), false, `node_timeout ${timeoutMs}`);
      l.increment(1);
      assert.equal(l.is(handshakeExpired), true, `node_timeout ${timeoutMs}`);
      assert.equal(l.name(), "handshake");
      // The handshake may still complete before the cron deletes the node.
      l.send({ type: "HANDSHAKE_DONE" });
      assert.equal(l.name(), "reconnecting");
    } finally {
      l.stop();
    }
  }
});

Deno.test("link: the next PING is due node_timeout / 2 after the last PONG", () => {
  const l = lockstep({ connected: true });
  try {
    l.send({ type: "PING_SENT", atMs: 1 });
    assert.equal(l.is(pingDue), false);
    l.increment(10);
    l.send({ type: "PONG_RECEIVED", atMs: 11 });
    l.increment(NODE_TIMEOUT_MS / 2 - 1);
    assert.equal(l.is(pingDue), false);
    l.increment(1);
    assert.equal(l.is(pingDue), true);
    l.send({ type: "PING_SENT", atMs: 2000 });
    assert.equal(l.is(pingDue), false);
  } finally {
    l.stop();
  }
  // Opened with a PONG 700 ms old: due 50 ms later (node_timeout / 2 = 750).
  const p = lockstep({ connected: true, pongAgeMs: 700 });
  p.increment(49);
  assert.equal(p.is(pingDue), false);
  p.increment(1);
  assert.equal(p.is(pingDue), true);
  p.stop();
});

Deno.test("link: the chart arms one timer while idle, two with a PING in flight; timeout read then", () => {
  let timeoutMs = 1000;
  const l = lockstep({ connected: true }, () => timeoutMs);
  try {
    assert.equal(l.clock.armed, 1, "the next PING");
    l.send({ type: "LINK_DOWN" });
    l.send({ type: "LINK_UP" });
    assert.equal(l.clock.armed, 1);
    timeoutMs = 3000; // CONFIG SET cluster-node-timeout
    l.send({ type: "PING_SENT", atMs: 1 });
    assert.equal(l.clock.armed, 3, "node_timeout / 2 and node_timeout");
    l.increment(2999);
    assert.equal(l.is(pongOverdue), false);
    l.increment(1);
    assert.equal(l.is(pongOverdue), true);
  } finally {
    l.stop();
  }
});

Deno.test("link: starts where the node record is, with the time already spent", () => {
  for (
    const [input, want] of [
      [{ fail: true, pfail: true }, "fail"],
      [{ pfail: true }, "pfail"],
      [{ connected: true }, "connected"],
      [{}, "reconnecting"],
      [{ handshake: true, connected: true }, "handshake"],
    ] as [Partial<LinkInput>, string][]
  ) {
    const l = lockstep(input);
    assert.equal(l.name(), want, JSON.stringify(input));
    l.stop();
  }
  // Opened again (a rename, a restart) with a PING 1000 ms old: overdue 500 ms later.
  const p = lockstep({ connected: true, pingOutstandingMs: 1000 });
  p.increment(NODE_TIMEOUT_MS - 1000 - 1);
  assert.equal(p.is(pongOverdue), false);
  p.increment(1);
  assert.equal(p.is(pongOverdue), true);
  p.stop();
  // FAIL since 2000 ms ago: undoable 1000 ms later.
  const f = lockstep({ fail: true, failAgeMs: 2000 });
  assert.equal(f.name(), "fail");
  f.increment(999);
  assert.equal(f.is(failUndoable), false);
  f.increment(1);
  assert.equal(f.is(failUndoable), true);
  f.stop();
  // Met 1200 ms ago: the handshake expires 300 ms later.
  const h = lockstep({ handshake: true, handshakeAgeMs: 1200 });
  h.increment(299);
  assert.equal(h.is(handshakeExpired), false);
  h.increment(1);
  assert.equal(h.is(handshakeExpired), true);
  h.stop();
});

const EVENTS: ((rand: () => number) => LinkEvent)[] = [
  () => ({ type: "LINK_UP" }),
  () => ({ type: "LINK_DOWN" }),
  (r) => ({ type: "PING_SENT", atMs: 1 + Math.floor(r() * 1e6) }),
  (r) => ({ type: "PONG_RECEIVED", atMs: Math.floor(r() * 1e6) }),
  () => ({ type: "HANDSHAKE_DONE" }),
  () => ({ type: "PFAIL" }),
  () => ({ type: "FAIL" }),
  () => ({ type: "FAIL_CLEARED" }),
];

Deno.test("link: the data follows the chart on 300 seeded random runs (events, time, timeouts)", () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = prng(seed);
    let timeoutMs = [400, 1000, 1500, 15000][Math.floor(r() * 4)];
    const pick = (p: number) => r() < p;
    const l = lockstep({
      handshake: pick(0.3),
      connected: pick(0.5),
      pfail: pick(0.2),
      fail: pick(0.2),
      pingOutstandingMs: pick(0.5) ? Math.floor(r() * 2 * timeoutMs) : null,
      pongAgeMs: Math.floor(r() * timeoutMs),
      handshakeAgeMs: Math.floor(r() * 2 * timeoutMs),
      failAgeMs: Math.floor(r() * 3 * timeoutMs),
    }, () => timeoutMs);
    try {
      for (let step = 0; step < 60; step++) {
        const x = r();
        if (x < 0.45) {
          l.send(EVENTS[Math.floor(r() * EVENTS.length)](r));
        } else if (x < 0.97) {
          // Often exactly onto a deadline, where a timer and a check meet.
          const deadlines = [l.link.healthDeadlineMs, l.link.pingDeadlineMs, l.link.pongDeadlineMs]
            .filter((d) => Number.isFinite(d) && d >= l.clock.now());
          const toDeadline = deadlines.length > 0 && pick(0.5);
          l.increment(
            toDeadline
              ? deadlines[Math.floor(r() * deadlines.length)] - l.clock.now()
              : Math.floor(r() * timeoutMs * (pick(0.2) ? 3 : 0.6)),
          );
        } else {
          timeoutMs = [400, 1000, 1500, 15000][Math.floor(r() * 4)]; // CONFIG SET
        }
      }
    } catch (e) {
      throw new Error(`seed ${seed}: ${(e as Error).message}`);
    } finally {
      l.stop();
    }
  }
});
