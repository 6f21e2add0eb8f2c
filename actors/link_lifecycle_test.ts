/**
 * The link machines decide, on the simulated clock: real `BusNode`s (engine, node actor, link
 * actors, supervisor) in the simulator (sim/world.ts), node timeout 1000 ms.
 *
 * - One peer's whole life as node 1's link actors show it: handshake (the MEET), connected,
 *   pfail (cut off), fail (the others agree), and connected again (back, FAIL cleared). The
 *   engine's view follows the machine: PFAIL is flagged only after the machine's PONG timer ran
 *   out, and the FAIL of the master with slots is undone only after its FAIL-undo timer ran out.
 * - A stepped wall clock makes Redis's timestamps say "PFAIL" at once; the engine still waits for
 *   the machine's timer (node_timeout on the node's clock since the PING).
 */

import assert from "node:assert/strict";
import { SimWorld } from "../sim/world.ts";
import { NodeFlags } from "../cluster/state.ts";
import { linkIds, linkOf, type LinkRef } from "./node.ts";
import { failUndoable, linkStateName, pongOverdue } from "./link.ts";

const NODE_TIMEOUT_MS = 1000;

interface Seen {
  atMs: number;
  /** The peer's bus port in node 1's view (a handshake node has a random id, not the peer's). */
  cport: number;
  name: string;
  overdue: boolean;
  undoable: boolean;
  /** The engine's view of the peer at that moment. */
  viewFlags: number;
}

/** Every link actor node `i` spawns from now on, every state it takes. */
function watchLinks(w: SimWorld, i: number): Seen[] {
  const seen: Seen[] = [];
  const node = w.node(i);
  const actor = node.nodeActor!;
  const watched = new Set<string>();
  const watch = (ref: LinkRef) => {
    const nodeId = ref.getSnapshot().context.nodeId;
    const record = () => {
      const snap = ref.getSnapshot();
      const n = node.state.nodes.get(nodeId);
      if (n === undefined) return;
      seen.push({
        atMs: w.now(),
        cport: n.cport,
        name: linkStateName(snap),
        overdue: pongOverdue(snap),
        undoable: failUndoable(snap),
        viewFlags: n.flags,
      });
    };
    record();
    ref.subscribe(record);
  };
  const scan = () => {
    for (const id of linkIds(actor)) {
      if (watched.has(id)) continue;
      watched.add(id);
      const ref = linkOf(actor, id);
      if (ref !== undefined) watch(ref);
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

Deno.test("link machine: a peer through handshake, connected, pfail, fail and back; the engine follows", async () => {
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
    // PFAIL in the view only once the machine's PONG timer ran out, at the next cron tick.
    const overdue = mine.find((s) => s.overdue)!;
    const pfail = mine.find((s) => s.name === "pfail")!;
    assert.equal(overdue.viewFlags & NodeFlags.PFAIL, 0, "the timer first, then the flag");
    assert.ok(overdue.atMs <= pfail.atMs && pfail.atMs - overdue.atMs <= 100, "next cron tick");
    assert.ok(pfail.viewFlags & NodeFlags.PFAIL);
    // The FAIL of a master with slots undone only once the machine's FAIL-undo timer ran out.
    const failAt = mine.find((s) => s.name === "fail")!.atMs;
    const undoable = mine.find((s) => s.undoable)!;
    assert.equal(undoable.atMs - failAt, 2 * NODE_TIMEOUT_MS);
    assert.ok(undoable.viewFlags & NodeFlags.FAIL, "still FAIL when the timer runs out");
    const cleared = mine.findLast((s) => s.name === "connected")!;
    assert.ok(cleared.atMs >= undoable.atMs);
    assert.equal(cleared.viewFlags & (NodeFlags.FAIL | NodeFlags.PFAIL), 0);
  } finally {
    w.shutdown();
  }
});

Deno.test("link machine: a stepped wall clock does not flag PFAIL before the machine's timer", async () => {
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
    const ref = linkOf(w.node(1).nodeActor!, w.id(0))!;
    assert.equal(pongOverdue(ref.getSnapshot()), false);
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
