import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import {
  deliverView,
  linkIds,
  linkOf,
  linksChanged,
  linkStates,
  peerLinks,
  startNodeActor,
  supervisorOf,
  supervisorStatsOf,
} from "./node.ts";
import {
  addNode,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
  updateNode,
} from "../cluster/state.ts";
import { stepPeerLink } from "../cluster/peer_link.ts";
import type { LinkEvent } from "./link_state.ts";
import { CLUSTER_CRON_INTERVAL_MS } from "./supervisor.ts";

const ME = "a".repeat(40);
const P1 = "b".repeat(40);
const P2 = "c".repeat(40);
const HS = "d".repeat(40);
const NODE_TIMEOUT_MS = 1000;

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

Deno.test("node actor: the links come with the view's records, taken by assign", () => {
  const { actor, clock } = harness();
  const at = () => ({ timerNowMs: clock.now(), nodeTimeoutMs: NODE_TIMEOUT_MS });
  const step = (s: ClusterState, id: string, e: LinkEvent) =>
    updateNode(s, id, stepPeerLink(s.nodes.get(id)!, e, at()));
  try {
    let s = createState(ME, 0);
    s = addNode(s, createNode(HS, NodeFlags.HANDSHAKE | NodeFlags.MEET, 0, {}, at()));
    s = addNode(s, createNode(P1, NodeFlags.MASTER, 0, {}, at()));
    const empty = actor.getSnapshot().context;
    deliverView(actor, s);
    // A new context: nothing was changed in place.
    assert.notEqual(actor.getSnapshot().context, empty);
    assert.equal(empty.view, null);
    assert.deepEqual([...linkStates(actor)].sort(), [[P1, "reconnecting"], [HS, "handshake"]]);
    assert.equal(linkOf(actor, ME), undefined, "myself has no link");
    // A peer that gossip announced with the MYSELF flag is a peer all the same.
    const odd = addNode(s, createNode(P2, NodeFlags.MYSELF | NodeFlags.MASTER, 0, {}, at()));
    assert.deepEqual([...peerLinks(odd).keys()].sort(), [P1, P2, HS].sort());
    let prev = s;
    s = step(step(s, P1, { type: "LINK_UP" }), P1, { type: "PING_SENT", atMs: 100 });
    assert.ok(linksChanged(prev.nodes, s.nodes));
    assert.equal(s.nodes.get(P1)!.pingSentMs, 100);
    const before = actor.getSnapshot().context.view!.nodes;
    deliverView(actor, s);
    assert.equal(linkStates(actor).get(P1), "connected");
    assert.equal(before.get(P1)!.link.link, "down", "the old view is unchanged");
    // A record change that is not the link's is no link change.
    assert.equal(linksChanged(s.nodes, updateNode(s, P1, { replOffset: 7 }).nodes), false);
    // PFAIL then FAIL, then cleared: the flags follow the link.
    for (const type of ["PFAIL", "FAIL"] as const) {
      s = step(s, P1, { type });
      deliverView(actor, s);
    }
    assert.equal(linkStates(actor).get(P1), "fail");
    assert.equal(s.nodes.get(P1)!.flags, NodeFlags.MASTER | NodeFlags.FAIL);
    s = step(s, P1, { type: "FAIL_CLEARED" });
    deliverView(actor, s);
    assert.equal(linkStates(actor).get(P1), "connected");
    assert.equal(s.nodes.get(P1)!.flags, NodeFlags.MASTER);
    // The handshake node is renamed to its real id (P2), and its handshake is done.
    prev = s;
    const hs = stepPeerLink(s.nodes.get(HS)!, { type: "HANDSHAKE_DONE" }, at());
    const nodes = new Map(s.nodes);
    nodes.delete(HS);
    nodes.set(P2, { ...hs, id: P2 });
    s = { ...s, nodes };
    assert.ok(linksChanged(prev.nodes, s.nodes));
    deliverView(actor, s);
    assert.deepEqual([...linkStates(actor)].sort(), [[P1, "connected"], [P2, "reconnecting"]]);
    assert.deepEqual(linkIds(actor), [P1, P2]);
    assert.equal(linksChanged(s.nodes, s.nodes), false);
  } finally {
    actor.stop();
  }
});
