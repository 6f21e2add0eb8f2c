import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import {
  deliverPeerChanges,
  linkIds,
  linkOf,
  linkStates,
  type PeerChangeContext,
  peerChanges,
  peerTimersOf,
  startNodeActor,
  supervisorOf,
  supervisorStatsOf,
} from "./node.ts";
import { addNode, createNode, createState, NodeFlags, updateNode } from "../cluster/state.ts";
import { CLUSTER_CRON_INTERVAL_MS } from "./supervisor.ts";

const ME = "a".repeat(40);
const P1 = "b".repeat(40);
const P2 = "c".repeat(40);
const HS = "d".repeat(40);
const NODE_TIMEOUT_MS = 1000;
const CTX: PeerChangeContext = { nowMs: 0, timing: { nodeTimeoutMs: () => NODE_TIMEOUT_MS } };

function harness() {
  const clock = new SimulatedClock();
  const log: string[] = [];
  const actor = startNodeActor({
    cron: () => log.push("cron"),
    save: () => {
      log.push("save");
      return true;
    },
    release: () => log.push("release"),
  }, clock);
  return { clock, log, actor };
}

Deno.test("node actor: supervisor child ticks on the actor clock and saves at the end of each turn", () => {
  const { clock, log, actor } = harness();
  // Config events go straight to the supervisor (as BusNode sends them), found by its systemId.
  const sup = supervisorOf(actor)!;
  try {
    sup.send({ type: "CONFIG_CHANGED" });
    sup.send({ type: "CONFIG_CHANGED" });
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log, ["cron", "save", "release"]);
    clock.increment(CLUSTER_CRON_INTERVAL_MS);
    assert.deepEqual(log, ["cron", "save", "release", "cron", "release"]);
    // A turn ended from outside (a client reply batch) saves before it releases.
    sup.send({ type: "CONFIG_CHANGED" });
    sup.send({ type: "END_OF_TURN" });
    assert.deepEqual(log.slice(5), ["save", "release"]);
    assert.deepEqual(supervisorStatsOf(actor), { ticks: 2, saves: 2, failedSaves: 0, turns: 3 });
    // SHUTDOWN with a pending change saves it.
    sup.send({ type: "CONFIG_CHANGED" });
    actor.send({ type: "SHUTDOWN" });
    assert.deepEqual(log.slice(7), ["save"]);
  } finally {
    actor.stop();
  }
});

Deno.test("node actor: link actors are spawned, driven and stopped from view diffs", () => {
  const { actor } = harness();
  try {
    let s = createState(ME, 0);
    s = addNode(s, createNode(HS, NodeFlags.HANDSHAKE | NodeFlags.MEET, 0));
    s = addNode(s, createNode(P1, NodeFlags.MASTER, 0));
    actor.send({ type: "PEERS_CHANGED", changes: peerChanges(null, s, CTX) });
    assert.deepEqual(
      [...linkStates(actor)].sort(),
      [[P1, "reconnecting"], [HS, "handshake"]],
    );
    const prev = s;
    s = updateNode(s, P1, { linkState: "connected", pingSentMs: 100 });
    const changes = peerChanges(prev, s, CTX);
    assert.deepEqual(changes, [{
      kind: "events",
      nodeId: P1,
      events: [{ type: "LINK_UP" }, { type: "PING_SENT", atMs: 100 }],
    }]);
    actor.send({ type: "PEERS_CHANGED", changes });
    assert.equal(linkStates(actor).get(P1), "connected");
    // PFAIL then FAIL, then cleared.
    for (const flags of [NodeFlags.MASTER | NodeFlags.PFAIL, NodeFlags.MASTER | NodeFlags.FAIL]) {
      const before = s;
      s = updateNode(s, P1, { flags });
      actor.send({ type: "PEERS_CHANGED", changes: peerChanges(before, s, CTX) });
    }
    assert.equal(linkStates(actor).get(P1), "fail");
    let before = s;
    s = updateNode(s, P1, { flags: NodeFlags.MASTER });
    actor.send({ type: "PEERS_CHANGED", changes: peerChanges(before, s, CTX) });
    assert.equal(linkStates(actor).get(P1), "connected");
    // The handshake node is renamed to its real id (P2): old actor stopped, new one spawned.
    before = s;
    const hs = s.nodes.get(HS)!;
    const nodes = new Map(s.nodes);
    nodes.delete(HS);
    nodes.set(P2, { ...hs, id: P2, flags: NodeFlags.MASTER, linkState: "connected" });
    s = { ...s, nodes };
    const ch = peerChanges(before, s, CTX);
    assert.deepEqual(ch.map((c) => c.kind), ["removed", "added"]);
    actor.send({ type: "PEERS_CHANGED", changes: ch });
    assert.deepEqual([...linkStates(actor)].sort(), [[P1, "connected"], [P2, "connected"]]);
    // An unchanged view produces nothing.
    assert.deepEqual(peerChanges(s, s, CTX), []);
  } finally {
    actor.stop();
  }
});

Deno.test("node actor: the cron asks the link actors' timers, found by systemId", () => {
  const { actor, clock } = harness();
  try {
    let s = createState(ME, 0);
    s = addNode(s, createNode(HS, NodeFlags.HANDSHAKE | NodeFlags.MEET, 0));
    s = addNode(s, createNode(P1, NodeFlags.MASTER, 0));
    deliverPeerChanges(actor, peerChanges(null, s, CTX));
    assert.ok(linkOf(actor, P1) !== undefined && linkOf(actor, HS) !== undefined);
    const timers = peerTimersOf(actor);
    const prev = s;
    s = updateNode(s, P1, { linkState: "connected", pingSentMs: 1 });
    // Straight to the link actor (systemId "link:<id>"), not through the parent.
    deliverPeerChanges(actor, peerChanges(prev, s, CTX));
    assert.equal(linkStates(actor).get(P1), "connected");
    clock.increment(NODE_TIMEOUT_MS - 1);
    assert.deepEqual([timers.pongOverdue(P1), timers.handshakeExpired(HS)], [false, false]);
    clock.increment(1);
    // node_timeout 1000: the handshake timeout is 1000 too.
    assert.deepEqual([timers.pongOverdue(P1), timers.handshakeExpired(HS)], [true, true]);
    assert.equal(timers.pongOverdue(P2), false, "no actor, no timer ran out");
    // A removed peer's actor is gone from the system (its systemId is free again).
    const before = s;
    const nodes = new Map(s.nodes);
    nodes.delete(HS);
    s = { ...s, nodes };
    deliverPeerChanges(actor, peerChanges(before, s, CTX));
    assert.equal(linkOf(actor, HS), undefined);
    assert.equal(timers.handshakeExpired(HS), false);
  } finally {
    actor.stop();
  }
});

Deno.test("node actor: its link actors are its children in its system, and stop with it", () => {
  const { actor } = harness();
  let s = createState(ME, 0);
  s = addNode(s, createNode(P1, NodeFlags.MASTER, 0));
  s = addNode(s, createNode(P2, NodeFlags.MASTER, 0));
  deliverPeerChanges(actor, peerChanges(null, s, CTX));
  const refs = [linkOf(actor, P1)!, linkOf(actor, P2)!];
  assert.deepEqual(linkIds(actor), [P1, P2]);
  assert.ok(refs.every((r) => r._parent === actor && r.system === actor.system));
  assert.ok(refs.every((r) => r.getSnapshot().status === "active"));
  actor.stop();
  // Stopped (their timers cancelled) and gone from the system, as children are.
  assert.ok(refs.every((r) => r.getSnapshot().status === "stopped"));
  assert.deepEqual([linkOf(actor, P1), linkOf(actor, P2)], [undefined, undefined]);
  assert.deepEqual(linkIds(actor), []);
});
