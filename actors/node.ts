/**
 * The node actor (XState v5): the root of one cluster node's actor system.
 *
 *   clusterNode (this machine, states running -> stopped)
 *   ├── supervisor        (actors/supervisor.ts, invoked: 100 ms cron tick, nodes.conf saved
 *   │                      at the end of each turn, before the turn's output is released)
 *   └── link:<node id>    (actors/link.ts, one per known node other than myself, created by
 *                          this actor with itself as parent, in its system, but not through
 *                          spawnChild (see applyPeerChanges); its systemId is its id, so
 *                          `linkOf` finds it without the parent; `linkIds` lists them)
 *
 * The bus engine (cluster/bus_engine.ts) does the per-packet work with the pure rules; after every
 * step that changed the cluster view, its owner computes `peerChanges(prev, next, ctx)` and hands
 * them over (`deliverPeerChanges`): link actors are spawned for new nodes, stopped for removed
 * ones (a handshake node renamed to its real id is a removal plus an addition: the new actor
 * starts in the state the record says), and sent LINK_UP / PING_SENT / PFAIL / ... events for
 * changed ones. The cron asks the link actors whether their timers ran out (`peerTimersOf`).
 *
 * Everything time-based runs on the actor's clock (xstate `clock` option), so tests drive a whole
 * node with SimulatedClock. Actor ids are readable: "clusterNode", "supervisor", "link:<id>".
 */

import {
  type ActorRefFrom,
  type AnyActorRef,
  createActor,
  enqueueActions,
  type InspectionEvent,
  sendTo,
  setup,
} from "xstate";
import {
  failUndoable,
  handshakeExpired,
  type LinkEvent,
  type LinkInput,
  linkMachine,
  type LinkSnapshot,
  linkStateName,
  type LinkTiming,
  pingDue,
  pongLate,
  pongOverdue,
} from "./link.ts";
import {
  type Clock,
  type SupervisorDeps,
  supervisorMachine,
  type SupervisorStats,
} from "./supervisor.ts";
import type { ClusterNode, ClusterState } from "../cluster/state.ts";
import type { PeerTimers } from "../cluster/failure_detection.ts";
import { NodeFlags } from "../cluster/state.ts";
import { changedKeysBetween } from "../cluster/node_map.ts";

export type PeerChange =
  | { kind: "added"; input: LinkInput }
  | { kind: "removed"; nodeId: string }
  | { kind: "events"; nodeId: string; events: LinkEvent[] };

export type NodeEvent =
  | { type: "PEERS_CHANGED"; changes: PeerChange[] }
  | { type: "SHUTDOWN" };

export function linkActorId(nodeId: string): string {
  return `link:${nodeId}`;
}

/** What a new link actor needs besides the node record: the time now and the node timeout. */
export interface PeerChangeContext {
  nowMs: number;
  timing: LinkTiming;
}

function linkInputOf(n: ClusterNode, ctx: PeerChangeContext): LinkInput {
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
    timing: ctx.timing,
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

/** What the link actors must learn when the view goes from `prev` to `next`. */
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
      out.push({ kind: "added", input: linkInputOf(n, ctx) });
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
      rest.push([touched.rank(next.nodes, id), { kind: "added", input: linkInputOf(m, ctx) }]);
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

export const nodeMachine = setup({
  types: {
    input: {} as SupervisorDeps,
    context: {} as { deps: SupervisorDeps },
    events: {} as NodeEvent,
  },
  actors: { supervisor: supervisorMachine },
  actions: {
    // The link actors are this actor's children (parent: self, in its system, found by their
    // systemId), created here rather than by `spawnChild`: xstate's spawnChild and stopChild copy
    // the parent's whole `children` object each time, O(N) per peer met and O(N²) per node (2.4
    // s of CPU per node for 1,000 peers). They are kept in `linkRegistry`, stopped by `stopChild`
    // (cheap: they are not in `children`) or with this actor (`startNodeActor`). Starts, stops
    // and events keep the order of the changes.
    applyPeerChanges: enqueueActions(({ event, enqueue, self }) => {
      if (event.type !== "PEERS_CHANGED") return;
      const links = linksOf(self);
      for (const c of event.changes) {
        if (c.kind === "added") {
          enqueue(() => {
            const id = linkActorId(c.input.nodeId);
            const ref = createActor(linkMachine, {
              parent: self,
              id,
              systemId: id,
              input: c.input,
            });
            links.set(c.input.nodeId, ref);
            ref.start();
          });
        } else if (c.kind === "removed") {
          const ref = links.get(c.nodeId);
          if (ref === undefined) continue;
          links.delete(c.nodeId);
          enqueue.stopChild(ref);
        } else {
          enqueue(() => {
            const ref = links.get(c.nodeId);
            if (ref !== undefined) { for (const e of c.events) ref.send(e); }
          });
        }
      }
    }),
    forwardToSupervisor: sendTo("supervisor", ({ event }) => event),
  },
}).createMachine({
  id: "clusterNode",
  context: ({ input }) => ({ deps: input }),
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
  // The link actors are not in `children` (see applyPeerChanges): they stop with this actor.
  actor.subscribe({
    complete: () => stopLinks(actor),
    error: () => stopLinks(actor),
  });
  actor.start();
  return actor;
}

/** The link actors of each node actor, by peer node id, in the order they were created. */
const linkRegistry = new WeakMap<AnyActorRef, Map<string, LinkRef>>();

function linksOf(nodeActor: AnyActorRef): Map<string, LinkRef> {
  let m = linkRegistry.get(nodeActor);
  if (m === undefined) linkRegistry.set(nodeActor, m = new Map());
  return m;
}

function stopLinks(nodeActor: AnyActorRef): void {
  const links = linksOf(nodeActor);
  const refs = [...links.values()];
  links.clear();
  // What the parent's stopChild does (Actor._stop: a child cannot be stopped with `stop()`).
  for (const ref of refs) (ref as unknown as { _stop(): void })._stop();
}

/** Peer node ids that have a link actor, in the order the actors were created. */
export function linkIds(actor: NodeActor): string[] {
  return [...linksOf(actor).keys()];
}

/**
 * Hand view changes to the actors: spawning and stopping go through the node machine
 * (PEERS_CHANGED); events for existing peers go straight to their link actors, which saves a
 * parent macrostep per packet on the hot path.
 */
export function deliverPeerChanges(actor: NodeActor, changes: readonly PeerChange[]): void {
  let structural: PeerChange[] | null = null;
  for (const c of changes) {
    if (c.kind === "events") {
      const ref = linkOf(actor, c.nodeId);
      if (ref !== undefined) {
        for (const e of c.events) ref.send(e);
        continue;
      }
    }
    (structural ??= []).push(c);
  }
  if (structural !== null) actor.send({ type: "PEERS_CHANGED", changes: structural });
}

/** A link actor as its parent sees it. */
export type LinkRef = ActorRefFrom<typeof linkMachine>;

/** The link actor of peer `nodeId` (systemId "link:<id>"), or undefined. */
export function linkOf(actor: NodeActor, nodeId: string): LinkRef | undefined {
  return actor.system.get(linkActorId(nodeId)) as LinkRef | undefined;
}

/**
 * What the cron asks the link actors (cluster/bus_cron.ts `PeerTimers`): whose timers ran out.
 * A peer without a link actor has no timer that ran out.
 */
export function peerTimersOf(actor: NodeActor): PeerTimers {
  const ask = (test: (snap: LinkSnapshot) => boolean) => (id: string) => {
    const ref = linkOf(actor, id);
    return ref !== undefined && test(ref.getSnapshot());
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

/** Link actor state names by node id ("connected", "pfail", ...), for tests and introspection. */
export function linkStates(actor: NodeActor): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, ref] of linksOf(actor)) out.set(id, linkStateName(ref.getSnapshot()));
  return out;
}
