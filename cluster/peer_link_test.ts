import assert from "node:assert/strict";
import {
  LINK_FLAGS,
  linkHealthFlags,
  linkProjectionError,
  openPeerLink,
  stepPeerLink,
} from "./peer_link.ts";
import {
  addNode,
  assertInvariants,
  type ClusterNode,
  createNode,
  NodeFlags,
  updateNode,
} from "./state.ts";
import type { LinkEvent } from "../actors/link_state.ts";
import { Prng } from "./prng.ts";
import { ID, makeState, T0 } from "../tests/bus_fixtures.ts";

const TIMEOUT_MS = 2000;
/** The timer clock runs 1,000,000 ms behind the wall clock: the two are never mixed up. */
const TIMER_OFFSET_MS = 1_000_000;
const at = (wallMs: number) => ({
  timerNowMs: wallMs - TIMER_OFFSET_MS,
  nodeTimeoutMs: TIMEOUT_MS,
});

function peer(flags: number, fields: Partial<Omit<ClusterNode, "link">> = {}): ClusterNode {
  return createNode(ID("p"), flags, T0, fields, at(T0));
}

Deno.test("peer link: a record's link opens where the record is, with the time already spent", () => {
  const me = createNode(ID("m"), NodeFlags.MYSELF | NodeFlags.MASTER, T0, {
    linkState: "connected",
  });
  assert.deepEqual([me.link.health, me.link.link, me.link.ping], ["up", "up", "idle"]);
  const hs = peer(NodeFlags.HANDSHAKE | NodeFlags.MEET, { createdMs: T0 - 500 });
  assert.equal(hs.link.health, "handshake");
  assert.equal(hs.link.healthDeadlineMs, T0 - TIMER_OFFSET_MS + 1500, "2000 ms minus 500 spent");
  const failed = peer(NodeFlags.MASTER | NodeFlags.FAIL, { failTimeMs: T0 - 1000 });
  assert.equal(failed.link.health, "fail");
  assert.equal(failed.link.healthDeadlineMs, T0 - TIMER_OFFSET_MS + 3000, "2 x 2000 minus 1000");
  assert.equal(peer(NodeFlags.MASTER | NodeFlags.PFAIL).link.health, "pfail");
  const pinged = peer(NodeFlags.MASTER, { pingSentMs: T0 - 300, linkState: "connected" });
  assert.equal(pinged.link.ping, "awaitingPong");
  assert.equal(pinged.link.pongDeadlineMs, T0 - TIMER_OFFSET_MS + 1700);
  assert.equal(pinged.link.link, "up");
  const idle = peer(NodeFlags.MASTER, { pongReceivedMs: T0 - 400 });
  assert.equal(idle.link.ping, "idle");
  assert.equal(idle.link.pingDeadlineMs, T0 - TIMER_OFFSET_MS + 600, "half the timeout since");
  for (const n of [hs, failed, pinged, idle]) assert.equal(linkProjectionError(n), null);
});

Deno.test("peer link: a step moves the link and writes its flags, link state and PING times", () => {
  let n = peer(NodeFlags.MASTER | NodeFlags.NOFAILOVER);
  const step = (e: LinkEvent, wallMs = T0) => (n = stepPeerLink(n, e, at(wallMs)));
  step({ type: "LINK_UP" });
  assert.equal(n.linkState, "connected");
  step({ type: "PING_SENT", atMs: T0 + 10 }, T0 + 10);
  assert.deepEqual([n.pingSentMs, n.link.ping], [T0 + 10, "awaitingPong"]);
  const same = n;
  assert.equal(step({ type: "PING_SENT", atMs: T0 + 10 }, T0 + 10), same, "the same PING again");
  assert.equal(step({ type: "LINK_UP" }), same, "already up");
  step({ type: "PFAIL" });
  assert.equal(n.flags, NodeFlags.MASTER | NodeFlags.NOFAILOVER | NodeFlags.PFAIL);
  step({ type: "FAIL" }, T0 + 50);
  assert.equal(n.flags, NodeFlags.MASTER | NodeFlags.NOFAILOVER | NodeFlags.FAIL);
  assert.equal(n.link.healthDeadlineMs, T0 + 50 - TIMER_OFFSET_MS + 2 * TIMEOUT_MS);
  const failed = n;
  assert.equal(step({ type: "PFAIL" }), failed, "PFAIL does not undo FAIL");
  step({ type: "PONG_RECEIVED", atMs: T0 + 60 }, T0 + 60);
  assert.deepEqual([n.pingSentMs, n.pongReceivedMs, n.link.ping], [0, T0 + 60, "idle"]);
  step({ type: "FAIL_CLEARED" });
  assert.equal(n.flags, NodeFlags.MASTER | NodeFlags.NOFAILOVER);
  step({ type: "LINK_DOWN" });
  assert.equal(n.linkState, "disconnected");
  // A peer that gossip announced with the MYSELF flag (a hostile or broken peer, found by
  // `deno task fuzz`) has a link like any other.
  const odd = stepPeerLink(
    peer(NodeFlags.MYSELF | NodeFlags.MASTER),
    { type: "LINK_DOWN" },
    at(T0),
  );
  assert.equal(linkProjectionError(stepPeerLink(odd, { type: "PFAIL" }, at(T0))), null);
});

Deno.test("peer link: seeded event runs keep the record what its link says", () => {
  const events: LinkEvent["type"][] = [
    "LINK_UP",
    "LINK_DOWN",
    "PING_SENT",
    "PONG_RECEIVED",
    "HANDSHAKE_DONE",
    "PFAIL",
    "FAIL",
    "FAIL_CLEARED",
  ];
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Prng(seed);
    let wallMs = T0;
    let n = peer(NodeFlags.MASTER | (rng.int(2) ? NodeFlags.HANDSHAKE : 0));
    for (let i = 0; i < 200; i++) {
      wallMs += rng.int(700);
      const type = events[rng.int(events.length)];
      const e = (type === "PING_SENT" || type === "PONG_RECEIVED"
        ? { type, atMs: wallMs }
        : { type }) as LinkEvent;
      n = stepPeerLink(n, e, at(wallMs));
      assert.equal(linkProjectionError(n), null, `seed ${seed} step ${i} ${type}`);
      assert.equal(n.flags & LINK_FLAGS, linkHealthFlags(n.link));
      assert.equal(n.flags & NodeFlags.MASTER, NodeFlags.MASTER, "other flags are kept");
    }
  }
});

Deno.test("peer link: a flag or a link state written behind the link's back breaks the invariant", () => {
  const s = makeState({ id: ID("a") }, [{ id: ID("b") }]);
  assertInvariants(s);
  const b = s.nodes.get(ID("b"))!;
  const bad: [string, Partial<ClusterNode>][] = [
    ["PFAIL flag", { flags: b.flags | NodeFlags.PFAIL }],
    ["FAIL flag", { flags: b.flags | NodeFlags.FAIL }],
    ["HANDSHAKE flag", { flags: b.flags | NodeFlags.HANDSHAKE }],
    ["link state", { linkState: "disconnected" }],
    ["ping_sent", { pingSentMs: T0 + 1 }],
  ];
  for (const [what, patch] of bad) {
    assert.notEqual(linkProjectionError({ ...b, ...patch }), null, what);
    assert.throws(() => assertInvariants(updateNode(s, ID("b"), patch)), /invariant/, what);
  }
  // The same changes made as the link's events keep it.
  const stepped = stepPeerLink(b, { type: "PFAIL" }, at(T0));
  assertInvariants(updateNode(s, ID("b"), stepped));
  const reopened = openPeerLink<ClusterNode>({ ...b, flags: b.flags | NodeFlags.FAIL }, T0, at(T0));
  assertInvariants(updateNode(s, ID("b"), reopened));
  // A record that names two healths (a broken peer's gossip) opens as the first of them.
  const both = NodeFlags.MASTER | NodeFlags.PFAIL | NodeFlags.FAIL;
  const odd = createNode(ID("c"), both, T0, {}, at(T0));
  assert.equal(odd.flags, NodeFlags.MASTER | NodeFlags.FAIL);
  assertInvariants(addNode(s, odd));
});
