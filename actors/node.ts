/**
 * The node actor (XState v5): the root of one cluster node's actor system.
 *
 *   clusterNode (this machine, states running -> stopped; its context holds the links)
 *   └── supervisor        (actors/supervisor.ts, invoked: 100 ms cron tick, nodes.conf saved
 *                          at the end of each turn, before the turn's output is released)
 *
 * The per-peer link machines are plain data in this actor's context (`links`: one LinkState per
 * known node other than myself, actors/link_state.ts), changed only with `assign` on a
 * PEERS_CHANGED event: a link is opened for a new node, dropped for a removed one (a handshake
 * node renamed to its real id is a removal plus an addition: the new link starts in the state the
 * record says), and stepped with the LINK_UP / PING_SENT / PFAIL / ... events of a changed one.
 *
 * The bus engine (cluster/bus_engine.ts) does the per-packet work with the pure rules; after every
 * step that changed the cluster view, its owner computes `peerChanges(prev, next, ctx)` and hands
 * them over (`deliverPeerChanges`). The cron asks the links whether their timers ran out
 * (`peerTimersOf`): a timer is a deadline on the node's timer clock, read at the time of asking.
 *
 * Everything time-based runs on the actor's clock (xstate `clock` option) or the timer clock the
 * caller passes, so tests drive a whole node with SimulatedClock. Actor ids are readable:
 * "clusterNode", "supervisor".
 */

import {
  type ActorRefFrom,
  assign,
  createActor,
  type InspectionEvent,
  sendTo,
  setup,
} from "xstate";
import {
  failUndoable,
  handshakeExpired,
  type LinkEvent,
  type LinkStart,
  type LinkState,
  linkStateName,
  pingDue,
  pongLate,
  pongOverdue,
} from "./link_state.ts";
import { applyPeerChanges, type PeerChange } from "./link_table.ts";
import {
  type Clock,
  type SupervisorDeps,
  supervisorMachine,
  type SupervisorStats,
} from "./supervisor.ts";
import type { ClusterNode, ClusterState } from "../cluster/state.ts";
import type { PeerTimers } from "../cluster/failure_detection.ts";
import { NodeFlags } from "../cluster/state.ts";
import { changedKeysBetween, NodeMap } from "../cluster/node_map.ts";

export type { PeerChange } from "./link_table.ts";

export type NodeEvent =
  | {
    type: "PEERS_CHANGED";
    changes: readonly PeerChange[];
    /** The node's timer clock now, ms (link_state.ts: monotonic). */
    nowMs: number;
    nodeTimeoutMs: number;
  }
  | { type: "SHUTDOWN" };

/** What a new link needs besides the node record: the wall clock now (the record's times). */
export interface PeerChangeContext {
  nowMs: number;
}

function linkStartOf(n: ClusterNode, ctx: PeerChangeContext): LinkStart {
  const handshake = (n.flags & NodeFlags.HANDSHAKE) !== 0;
  return {
    nodeId: n.id,
    handshake,
    connected: n.linkState === "connected",
    pfail: (n.flags & NodeFlags.PFAIL) !== 0,
    fail: (n.flags & NodeFlags.FAIL) !== 0,
    pingOutstandingMs: n.pingSentMs === 0 ? null : Math.max(0, ctx.nowMs - n.pingSentMs),
    pongAgeMs: Math.max(0, ctx.nowMs - n.pongReceivedMs),
    handshakeAgeMs: handshake ? Math.max(0, ctx.nowMs - n.createdMs) : 0,
    failAgeMs: (n.flags & NodeFlags.FAIL) ? Math.max(0, ctx.nowMs - n.failTimeMs) : 0,
  };
}

const FAILING = NodeFlags.PFAIL | NodeFlags.FAIL;

/** The link events that turn node record `a` into `b` (same id). */
export function linkEventsOf(a: ClusterNode, b: ClusterNode): LinkEvent[] {
  const out: LinkEvent[] = [];
  if (a.linkState !== b.linkState) {
    out.push({ type: b.linkState === "connected" ? "LINK_UP" : "LINK_DOWN" });
  }
  if ((a.flags & NodeFlags.HANDSHAKE) && !(b.flags & NodeFlags.HANDSHAKE)) {
    out.push({ type: "HANDSHAKE_DONE" });
  }
  if (b.pingSentMs !== 0 && b.pingSentMs !== a.pingSentMs) {
    out.push({ type: "PING_SENT", atMs: b.pingSentMs });
  }
  // A heartbeat reply (ping_sent back to 0), not a pong time learned from gossip.
  if (a.pingSentMs !== 0 && b.pingSentMs === 0) {
    out.push({ type: "PONG_RECEIVED", atMs: b.pongReceivedMs });
  }
  if ((b.flags & NodeFlags.FAIL) && !(a.flags & NodeFlags.FAIL)) {
    out.push({ type: "FAIL" });
  } else if ((b.flags & NodeFlags.PFAIL) && !(a.flags & FAILING)) {
    out.push({ type: "PFAIL" });
  } else if ((a.flags & FAILING) && !(b.flags & FAILING)) {
    out.push({ type: "FAIL_CLEARED" });
  }
  return out;
}

/** What the links must learn when the view goes from `prev` to `next`. */
export function peerChanges(
  prev: ClusterState | null,
  next: ClusterState,
  ctx: PeerChangeContext,
): PeerChange[] {
  if (prev !== null && prev.nodes === next.nodes) return [];
  // Only the records the update touched can differ (cluster/node_map.ts); same output, same order.
  const touched = prev === null ? null : changedKeysBetween(prev.nodes, next.nodes);
  if (prev !== null && touched !== null) return touchedPeerChanges(prev, next, touched, ctx);
  const out: PeerChange[] = [];
  if (prev !== null) {
    for (const n of prev.nodes.values()) {
      if (n.flags & NodeFlags.MYSELF) continue;
      const m = next.nodes.get(n.id);
      if (m === undefined || (m.flags & NodeFlags.MYSELF)) {
        out.push({ kind: "removed", nodeId: n.id });
      }
    }
  }
  for (const n of next.nodes.values()) {
    if (n.flags & NodeFlags.MYSELF) continue;
    const old = prev?.nodes.get(n.id);
    if (old === undefined || (old.flags & NodeFlags.MYSELF)) {
      out.push({ kind: "added", start: linkStartOf(n, ctx) });
    } else if (old !== n) {
      const events = linkEventsOf(old, n);
      if (events.length > 0) out.push({ kind: "events", nodeId: n.id, events });
    }
  }
  return out;
}

/** `peerChanges` over the keys that can differ, in the order its full walk would give. */
function touchedPeerChanges(
  prev: ClusterState,
  next: ClusterState,
  touched: NonNullable<ReturnType<typeof changedKeysBetween<ClusterNode>>>,
  ctx: PeerChangeContext,
): PeerChange[] {
  const removed: [number, PeerChange][] = [];
  const rest: [number, PeerChange][] = [];
  for (const id of touched.keys) {
    const n = prev.nodes.get(id);
    const m = next.nodes.get(id);
    if (n !== undefined && !(n.flags & NodeFlags.MYSELF)) {
      if (m === undefined || (m.flags & NodeFlags.MYSELF)) {
        removed.push([touched.rank(prev.nodes, id), { kind: "removed", nodeId: id }]);
      }
    }
    if (m === undefined || (m.flags & NodeFlags.MYSELF)) continue;
    if (n === undefined || (n.flags & NodeFlags.MYSELF)) {
      rest.push([touched.rank(next.nodes, id), { kind: "added", start: linkStartOf(m, ctx) }]);
    } else if (n !== m) {
      const events = linkEventsOf(n, m);
      if (events.length > 0) {
        rest.push([touched.rank(next.nodes, id), { kind: "events", nodeId: id, events }]);
      }
    }
  }
  if (removed.length + rest.length === 0) return [];
  removed.sort((a, b) => a[0] - b[0]);
  rest.sort((a, b) => a[0] - b[0]);
  return [...removed.map((r) => r[1]), ...rest.map((r) => r[1])];
}

export interface NodeContext {
  deps: SupervisorDeps;
  /** One link per known node other than myself, by node id (actors/link_state.ts). */
  links: ReadonlyMap<string, LinkState>;
}

export const nodeMachine = setup({
  types: {
    input: {} as SupervisorDeps,
    context: {} as NodeContext,
    events: {} as NodeEvent,
  },
  actors: { supervisor: supervisorMachine },
  actions: {
    applyPeerChanges: assign({
      links: ({ context, event }) =>
        event.type === "PEERS_CHANGED"
          ? applyPeerChanges(context.links, event.changes, event.nowMs, event.nodeTimeoutMs)
          : context.links,
    }),
    forwardToSupervisor: sendTo("supervisor", ({ event }) => event),
  },
}).createMachine({
  id: "clusterNode",
  context: ({ input }) => ({ deps: input, links: NodeMap.with(new Map<string, LinkState>(), []) }),
  invoke: {
    id: "supervisor",
    systemId: "supervisor",
    src: "supervisor",
    input: ({ context }) => context.deps,
  },
  initial: "running",
  states: {
    running: {
      on: {
        PEERS_CHANGED: { actions: "applyPeerChanges" },
        SHUTDOWN: { target: "stopped", actions: "forwardToSupervisor" },
      },
    },
    // Not final: the supervisor stays alive to finish its last save; `stop()` ends everything.
    stopped: {},
  },
});

export type NodeActor = ReturnType<typeof startNodeActor>;

/**
 * Create and start a node actor; `clock` defaults to real timers. `inspect` is XState's inspection
 * callback (e.g. `createWebSocketInspector().inspect` from @statelyai/inspect).
 */
export function startNodeActor(
  deps: SupervisorDeps,
  clock?: Clock,
  inspect?: (event: InspectionEvent) => void,
) {
  const actor = createActor(nodeMachine, {
    input: deps,
    ...(clock ? { clock } : {}),
    ...(inspect ? { inspect } : {}),
  });
  actor.start();
  return actor;
}

/** The node actor's links by peer node id. */
export function linksOf(actor: NodeActor): ReadonlyMap<string, LinkState> {
  return actor.getSnapshot().context.links;
}

/** Peer node ids that have a link, in the order the links were opened. */
export function linkIds(actor: NodeActor): string[] {
  return [...linksOf(actor).keys()];
}

/** Hand view changes to the node actor, at time `nowMs` of its timer clock. */
export function deliverPeerChanges(
  actor: NodeActor,
  changes: readonly PeerChange[],
  nowMs: number,
  nodeTimeoutMs: number,
): void {
  actor.send({ type: "PEERS_CHANGED", changes, nowMs, nodeTimeoutMs });
}

/** The link of peer `nodeId`, or undefined. */
export function linkOf(actor: NodeActor, nodeId: string): LinkState | undefined {
  return linksOf(actor).get(nodeId);
}

/**
 * What the cron asks the links (cluster/bus_cron.ts `PeerTimers`): whose timers ran out by
 * `timerNowMs()` (the node's timer clock). A peer without a link has no timer that ran out.
 */
export function peerTimersOf(actor: NodeActor, timerNowMs: () => number): PeerTimers {
  const ask = (test: (s: LinkState, nowMs: number) => boolean) => (id: string) => {
    const link = linksOf(actor).get(id);
    return link !== undefined && test(link, timerNowMs());
  };
  return {
    handshakeExpired: ask(handshakeExpired),
    pingDue: ask(pingDue),
    pongLate: ask(pongLate),
    pongOverdue: ask(pongOverdue),
    failUndoable: ask(failUndoable),
  };
}

/** The supervisor's counters, or null when it is gone. */
export function supervisorStatsOf(actor: NodeActor): SupervisorStats | null {
  return supervisorOf(actor)?.getSnapshot().context.stats ?? null;
}

/** The supervisor child (systemId "supervisor"), or undefined once stopped. */
export function supervisorOf(actor: NodeActor): SupervisorRef | undefined {
  return actor.system.get("supervisor") as SupervisorRef | undefined;
}

/** The supervisor as its parent sees it. */
export type SupervisorRef = ActorRefFrom<typeof supervisorMachine>;

/** Link state names by node id ("connected", "pfail", ...), for tests and introspection. */
export function linkStates(actor: NodeActor): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, link] of linksOf(actor)) out.set(id, linkStateName(link));
  return out;
}
