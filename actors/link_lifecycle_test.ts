/**
 * The links decide, on the simulated clock: real `BusNode`s (engine, node actor and its links,
 * supervisor) in the simulator (sim/world.ts), node timeout 1000 ms.
 *
 * - One peer's whole life as node 1's link shows it: handshake (the MEET), connected, pfail (cut
 *   off), fail (the others agree), and connected again (back, FAIL cleared). The engine's view
 *   follows the link: PFAIL is flagged only once the link's PONG timer ran out, and the FAIL of
 *   the master with slots is undone only once its FAIL-undo timer ran out.
 * - A stepped wall clock makes Redis's timestamps say "PFAIL" at once; the engine still waits for
 *   the link's timer (node_timeout on the node's timer clock since the PING). The same for the
 *   undo of a FAIL (2 × node_timeout since the FAIL).
 */

import assert from "node:assert/strict";
import { SimWorld } from "../sim/world.ts";
import { NodeFlags } from "../cluster/state.ts";
import { linksOf } from "./node.ts";
import { type LinkState, linkStateName, pongOverdue } from "./link_state.ts";

const NODE_TIMEOUT_MS = 1000;

interface Seen {
  atMs: number;
  /** The peer's bus port in node 1's view (a handshake node has a random id, not the peer's). */
  cport: number;
  name: string;
  link: LinkState;
  /** The engine's view of the peer at that moment. */
  viewFlags: number;
}

/** Every change of node `i`'s links from now on (each link record is replaced, never changed). */
function watchLinks(w: SimWorld, i: number): Seen[] {
  const seen: Seen[] = [];
  const node = w.node(i);
  const actor = node.nodeActor!;
  const last = new Map<string, LinkState>();
  const scan = () => {
    for (const [id, link] of linksOf(actor)) {
      if (last.get(id) === link) continue;
      last.set(id, link);
      const n = node.state.nodes.get(id);
      if (n === undefined) continue;
      seen.push({
        atMs: w.now(),
        cport: n.cport,
        name: linkStateName(link),
        link,
        viewFlags: n.flags,
      });
    }
  };
  scan();
  actor.subscribe(scan);
  return seen;
}

/** The states in order, repeats folded. */
function path(seen: readonly Seen[], cport: number): string[] {
  const out: string[] = [];
  for (const s of seen) if (s.cport === cport && out.at(-1) !== s.name) out.push(s.name);
  return out;
}

Deno.test("link: a peer through handshake, connected, pfail, fail and back; the engine follows", async () => {
  const w = await SimWorld.create(7, { nodes: 3, nodeTimeoutMs: NODE_TIMEOUT_MS });
  try {
    const seen = watchLinks(w, 1);
    const peer = w.node(0).state.nodes.get(w.id(0))!.cport;
    assert.ok(await w.form(3, []), "three masters formed");
    w.net.isolate(w.identity(0));
    const failed = await w.runUntilMs(
      () => (w.node(1).state.nodes.get(w.id(0))!.flags & NodeFlags.FAIL) !== 0,
      10 * NODE_TIMEOUT_MS,
    );
    assert.ok(failed >= 0, "node 1 flags node 0 FAIL");
    w.net.rejoin(w.identity(0));
    const back = await w.runUntilMs(
      () => (w.node(1).state.nodes.get(w.id(0))!.flags & NodeFlags.FAIL) === 0,
      10 * NODE_TIMEOUT_MS,
    );
    assert.ok(back >= 0, "node 1 clears node 0's FAIL");

    // Cut off, the link is freed and tried again (reconnecting) while the PING goes unanswered.
    const p = path(seen, peer);
    assert.deepEqual(
      path(seen.filter((s) => s.name !== "reconnecting"), peer),
      ["handshake", "connected", "pfail", "fail", "connected"],
      p.join(" "),
    );
    assert.ok(p.indexOf("reconnecting") < p.indexOf("pfail"), p.join(" "));
    const mine = seen.filter((s) => s.cport === peer);
    // PFAIL in the view only once the link's PONG timer ran out, at the next cron tick.
    const pfailAt = mine.findIndex((s) => s.name === "pfail");
    const pinged = mine.slice(0, pfailAt).findLast((s) => s.link.ping === "awaitingPong")!;
    const overdueMs = pinged.link.pongDeadlineMs;
    const pfail = mine[pfailAt];
    assert.ok(pfail.atMs >= overdueMs && pfail.atMs - overdueMs <= 100, "the timer, then the flag");
    assert.equal(mine[pfailAt - 1].viewFlags & NodeFlags.PFAIL, 0);
    assert.ok(pfail.viewFlags & NodeFlags.PFAIL);
    // The FAIL of a master with slots undone only once the link's FAIL-undo timer ran out.
    const fail = mine.find((s) => s.name === "fail")!;
    const undoableMs = fail.link.healthDeadlineMs;
    assert.equal(undoableMs - fail.atMs, 2 * NODE_TIMEOUT_MS);
    const cleared = mine.findLast((s) => s.name === "connected")!;
    assert.ok(cleared.atMs >= undoableMs);
    assert.ok(mine[mine.indexOf(cleared) - 1].viewFlags & NodeFlags.FAIL, "FAIL until then");
    assert.equal(cleared.viewFlags & (NodeFlags.FAIL | NodeFlags.PFAIL), 0);
  } finally {
    w.shutdown();
  }
});

Deno.test("link: a stepped wall clock does not flag PFAIL before the link's timer", async () => {
  const w = await SimWorld.create(11, { nodes: 3, nodeTimeoutMs: NODE_TIMEOUT_MS });
  try {
    assert.ok(await w.form(3, []), "three masters formed");
    const view = () => w.node(1).state.nodes.get(w.id(0))!;
    w.net.isolate(w.identity(0));
    // Node 1 has a PING to node 0 in flight (at most node_timeout / 2 after the cut).
    assert.ok(await w.runUntil(() => view().pingSentMs !== 0, NODE_TIMEOUT_MS) === true);
    const sentAt = w.now();
    // Node 1's wall clock jumps 10 s: by the timestamps the PING is 10 s old at the next tick.
    w.jumpClock(1, 10 * NODE_TIMEOUT_MS);
    await w.run(NODE_TIMEOUT_MS - 100);
    assert.equal(view().flags & (NodeFlags.PFAIL | NodeFlags.FAIL), 0, "not before the timer");
    const link = linksOf(w.node(1).nodeActor!).get(w.id(0))!;
    assert.equal(pongOverdue(link, w.now()), false);
    const pfailMs = await w.runUntilMs(
      () => (view().flags & (NodeFlags.PFAIL | NodeFlags.FAIL)) !== 0,
      NODE_TIMEOUT_MS,
    );
    assert.ok(pfailMs >= 0, "flagged once the timer ran out");
    assert.ok(w.now() - sentAt >= NODE_TIMEOUT_MS);
  } finally {
    w.shutdown();
  }
});

Deno.test("link: a stepped wall clock does not undo a FAIL before the link's FAIL-undo timer", async () => {
  const w = await SimWorld.create(13, { nodes: 3, nodeTimeoutMs: NODE_TIMEOUT_MS });
  try {
    assert.ok(await w.form(3, []), "three masters formed");
    const view = () => w.node(1).state.nodes.get(w.id(0))!;
    w.net.isolate(w.identity(0));
    assert.ok(await w.runUntil(() => (view().flags & NodeFlags.FAIL) !== 0, 10 * NODE_TIMEOUT_MS));
    const failAt = w.now();
    // By node 1's timestamps the FAIL is 10 s old: Redis 7.0 would undo it at the next PONG.
    w.jumpClock(1, 10 * NODE_TIMEOUT_MS);
    w.net.rejoin(w.identity(0));
    const clearedMs = await w.runUntilMs(
      () => (view().flags & NodeFlags.FAIL) === 0,
      10 * NODE_TIMEOUT_MS,
    );
    assert.ok(clearedMs >= 0, "cleared once the timer ran out");
    // The FAIL-undo timer: 2 x node_timeout on the timer clock since the FAIL.
    assert.ok(w.now() - failAt >= 2 * NODE_TIMEOUT_MS, `cleared ${w.now() - failAt} ms after FAIL`);
  } finally {
    w.shutdown();
  }
});
