/**
 * The node actor (XState v5): the root of one cluster node's actor system.
 *
 *   clusterNode (this machine, states running -> stopped; its context holds the cluster view)
 *   └── supervisor        (actors/supervisor.ts, invoked: 100 ms cron tick, nodes.conf saved
 *                          at the end of each turn, before the turn's output is released)
 *
 * The per-peer link machines are plain data in the node records (`ClusterNode.link`,
 * actors/link_state.ts): the bus rules move a link with its events (cluster/peer_link.ts
 * `stepPeerLink`) and read its timers, and the record's HANDSHAKE, PFAIL and FAIL flags are what
 * the link says. The bus engine (cluster/bus_engine.ts) owns the view and runs the rules; after a
 * step that changed a link, its owner hands the new view to this actor (`deliverView`), which
 * takes them with `assign`, so that the inspector and `linksOf` show the links as they are.
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
import { type LinkState, linkStateName } from "./link_state.ts";
import {
  type Clock,
  type SupervisorDeps,
  supervisorMachine,
  type SupervisorStats,
} from "./supervisor.ts";
import type { ClusterNode, ClusterState } from "../cluster/state.ts";
import { changedKeysBetween } from "../cluster/node_map.ts";

export type NodeEvent =
  | {
    type: "VIEW_CHANGED";
    /** The view the bus engine installed. */
    view: ClusterState;
  }
  | { type: "SHUTDOWN" };

export interface NodeContext {
  deps: SupervisorDeps;
  /** The view as last delivered (null before the first); each peer's link is its record's. */
  view: ClusterState | null;
}

/**
 * The links of `view` by peer node id, in the view's order: every record but myself's (a peer
 * that gossip announced with the MYSELF flag included).
 */
export function peerLinks(view: ClusterState | null): Map<string, LinkState> {
  const out = new Map<string, LinkState>();
  if (view === null) return out;
  for (const n of view.nodes.values()) if (n.id !== view.myselfId) out.set(n.id, n.link);
  return out;
}

/**
 * True when a peer's link differs between `prev` and `next`, or a peer came or went (only the
 * records an update touched can differ: cluster/node_map.ts). A view that cannot be compared
 * cheaply counts as changed.
 */
export function linksChanged(
  prev: ReadonlyMap<string, ClusterNode>,
  next: ReadonlyMap<string, ClusterNode>,
): boolean {
  if (prev === next) return false;
  const touched = changedKeysBetween(prev, next);
  if (touched === null) return true;
  for (const id of touched) if (prev.get(id)?.link !== next.get(id)?.link) return true;
  return false;
}

export const nodeMachine = setup({
  types: {
    input: {} as SupervisorDeps,
    context: {} as NodeContext,
    events: {} as NodeEvent,
  },
  actors: { supervisor: supervisorMachine },
  actions: {
    takeView: assign({
      view: ({ context, event }) => event.type === "VIEW_CHANGED" ? event.view : context.view,
    }),
    forwardToSupervisor: sendTo("supervisor", ({ event }) => event),
  },
}).createMachine({
  id: "clusterNode",
  context: ({ input }) => ({ deps: input, view: null }),
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
        VIEW_CHANGED: { actions: "takeView" },
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

/** The links of the node actor's view by peer node id (`peerLinks`). */
export function linksOf(actor: NodeActor): ReadonlyMap<string, LinkState> {
  return peerLinks(actor.getSnapshot().context.view);
}

/** Peer node ids that have a link, in the view's order. */
export function linkIds(actor: NodeActor): string[] {
  return [...linksOf(actor).keys()];
}

/** Hand a newly installed view to the node actor. */
export function deliverView(actor: NodeActor, view: ClusterState): void {
  actor.send({ type: "VIEW_CHANGED", view });
}

/** The link of peer `nodeId`, or undefined. */
export function linkOf(actor: NodeActor, nodeId: string): LinkState | undefined {
  const view = actor.getSnapshot().context.view;
  const n = view?.nodes.get(nodeId);
  return n === undefined || nodeId === view!.myselfId ? undefined : n.link;
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
