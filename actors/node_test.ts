import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import {
  deliverPeerChanges,
  linkIds,
  linkOf,
  linkStates,
  type NodeActor,
  type PeerChange,
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
const CTX: PeerChangeContext = { nowMs: 0 };

/** PEERS_CHANGED at the actor clock's time. */
function deliver(actor: NodeActor, clock: SimulatedClock, changes: readonly PeerChange[]) {
  deliverPeerChanges(actor, changes, clock.now(), NODE_TIMEOUT_MS);
}

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

Deno.test("node actor: links are opened, stepped and dropped from view diffs, by assign", () => {
  const { actor, clock } = harness();
  try {
    let s = createState(ME, 0);
    s = addNode(s, createNode(HS, NodeFlags.HANDSHAKE | NodeFlags.MEET, 0));
    s = addNode(s, createNode(P1, NodeFlags.MASTER, 0));
    const empty = actor.getSnapshot().context;
    deliver(actor, clock, peerChanges(null, s, CTX));
    // A new context and a new table: nothing was changed in place.
    assert.notEqual(actor.getSnapshot().context, empty);
    assert.equal(empty.links.size, 0);
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
    const table = actor.getSnapshot().context.links;
    deliver(actor, clock, changes);
    assert.equal(linkStates(actor).get(P1), "connected");
    assert.equal(table.get(P1)!.link, "down", "the old table is unchanged");
    // PFAIL then FAIL, then cleared.
    for (const flags of [NodeFlags.MASTER | NodeFlags.PFAIL, NodeFlags.MASTER | NodeFlags.FAIL]) {
      const before = s;
      s = updateNode(s, P1, { flags });
      deliver(actor, clock, peerChanges(before, s, CTX));
    }
    assert.equal(linkStates(actor).get(P1), "fail");
    let before = s;
    s = updateNode(s, P1, { flags: NodeFlags.MASTER });
    deliver(actor, clock, peerChanges(before, s, CTX));
    assert.equal(linkStates(actor).get(P1), "connected");
    // The handshake node is renamed to its real id (P2): its link dropped, a new one opened.
    before = s;
    const hs = s.nodes.get(HS)!;
    const nodes = new Map(s.nodes);
    nodes.delete(HS);
    nodes.set(P2, { ...hs, id: P2, flags: NodeFlags.MASTER, linkState: "connected" });
    s = { ...s, nodes };
    const ch = peerChanges(before, s, CTX);
    assert.deepEqual(ch.map((c) => c.kind), ["removed", "added"]);
    deliver(actor, clock, ch);
    assert.deepEqual([...linkStates(actor)].sort(), [[P1, "connected"], [P2, "connected"]]);
    assert.deepEqual(linkIds(actor), [P1, P2]);
    // An unchanged view produces nothing.
    assert.deepEqual(peerChanges(s, s, CTX), []);
  } finally {
    actor.stop();
  }
});

Deno.test("node actor: the cron asks the links' timers, at the timer clock's time", () => {
  const { actor, clock } = harness();
  try {
    let s = createState(ME, 0);
    s = addNode(s, createNode(HS, NodeFlags.HANDSHAKE | NodeFlags.MEET, 0));
    s = addNode(s, createNode(P1, NodeFlags.MASTER, 0));
    deliver(actor, clock, peerChanges(null, s, CTX));
    assert.ok(linkOf(actor, P1) !== undefined && linkOf(actor, HS) !== undefined);
    const timers = peerTimersOf(actor, () => clock.now());
    const prev = s;
    s = updateNode(s, P1, { linkState: "connected", pingSentMs: 1 });
    deliver(actor, clock, peerChanges(prev, s, CTX));
    assert.equal(linkStates(actor).get(P1), "connected");
    clock.increment(NODE_TIMEOUT_MS - 1);
    assert.deepEqual([timers.pongOverdue(P1), timers.handshakeExpired(HS)], [false, false]);
    clock.increment(1);
    // node_timeout 1000: the handshake timeout is 1000 too.
    assert.deepEqual([timers.pongOverdue(P1), timers.handshakeExpired(HS)], [true, true]);
    assert.equal(timers.pongOverdue(P2), false, "no link, no timer ran out");
    const before = s;
    const nodes = new Map(s.nodes);
    nodes.delete(HS);
    s = { ...s, nodes };
    deliver(actor, clock, peerChanges(before, s, CTX));
    assert.equal(linkOf(actor, HS), undefined);
    assert.equal(timers.handshakeExpired(HS), false);
  } finally {
    actor.stop();
  }
});
