/**
 * The per-peer link machine (XState v5): one actor per known node other than myself, spawned and
 * stopped by the node actor (actors/node.ts) with systemId `link:<node id>`. It owns the timers of
 * that peer's lifecycle, on the actor's clock (xstate `clock` option: real timers in production,
 * the simulated clock in the simulator and tests), in three parallel regions:
 *
 *   health    handshake --after(handshake timeout)--> handshakeExpired
 *             handshake | handshakeExpired --HANDSHAKE_DONE--> up
 *             up --PFAIL--> pfail --FAIL--> fail;  up --FAIL--> fail
 *             fail.recent --after(2 × node timeout)--> fail.undoable
 *             pfail | fail --FAIL_CLEARED--> up
 *   ping      idle.waiting --after(node timeout / 2 since the last PONG)--> idle.due
 *             idle --PING_SENT--> awaitingPong.fresh --after(node timeout / 2)--> awaitingPong.late
 *             awaitingPong --after(node timeout)--> pongOverdue
 *             awaitingPong | pongOverdue --PONG_RECEIVED--> idle
 *   link      up <--LINK_UP / LINK_DOWN--> down   (the outbound link)
 *
 * The timers are Redis's (cluster.c):
 * - clusterCron deletes a node left in handshake for longer than the handshake timeout
 *   (node_timeout, at least 1000 ms): the cron (cluster/bus_cron.ts) deletes it only once its
 *   machine is in `handshakeExpired`;
 * - clusterCron PINGs a node whose last PONG is older than half the node timeout (no PING in
 *   flight): only once the machine is in `idle.due`;
 * - clusterCron frees the outbound link of a node whose PING has been unanswered for half the
 *   node timeout (link older than node_timeout, no data either): only once the machine is in
 *   `awaitingPong.late` (or later);
 * - clusterCron flags a node PFAIL once a PING has been unanswered for longer than node_timeout
 *   (no other data from it meanwhile): only once the machine is in `pongOverdue`;
 * - clearNodeFailureIfNeeded (cluster/failure_detection.ts) clears the FAIL of a master with
 *   slots that answers again only after 2 × node_timeout (CLUSTER_FAIL_UNDO_TIME_MULT): only once
 *   the machine is in `fail.undoable`.
 * The rules ask the machine through `PeerTimers` (cluster/failure_detection.ts), built by
 * `peerTimersOf` in actors/node.ts, and still apply Redis's comparison at their tick or packet
 * (now − ping_sent > node_timeout, data_received as old, ...), so the decision comes when Redis
 * would take it: at the first cron tick (or PONG) after the timer ran out. One difference: the
 * timers measure time as timers do (a wall clock stepped forward does not shorten them), where
 * Redis 7.0 compares mstime() values and flags a peer PFAIL at the next tick after such a step.
 *
 * The events come from the bus engine's view changes (actors/node.ts `linkEventsOf`). A timer is
 * armed only while it can fire: an idle peer has one timer (its next PING), one with a PING in
 * flight two (half and whole node timeout), a FAIL or handshake node one more.
 * `init` picks each region's first state from the input, so a link actor re-spawned after a rename
 * or a restart starts where the node record is, with the time already spent counted.
 *
 * Context is only changed with `assign`.
 */

import { assign, setup, type SnapshotFrom } from "xstate";
import { FAIL_UNDO_TIME_MULT } from "../cluster/failure_detection.ts";

/** The node timeout, read each time a timer is armed (CONFIG SET cluster-node-timeout applies). */
export interface LinkTiming {
  nodeTimeoutMs(): number;
}

/** Redis: the handshake timeout is node_timeout, at least 1000 ms (clusterCron). */
export function handshakeTimeoutMs(nodeTimeoutMs: number): number {
  return Math.max(nodeTimeoutMs, 1000);
}

export interface LinkInput {
  nodeId: string;
  handshake: boolean;
  connected: boolean;
  pfail: boolean;
  fail: boolean;
  /** How long a PING to the peer has been unanswered at spawn, ms (null: none in flight). */
  pingOutstandingMs: number | null;
  /** How long ago the last PONG came at spawn (now − pong_received), ms. */
  pongAgeMs: number;
  /** How long the node has been in handshake at spawn, ms (0 for a node just met). */
  handshakeAgeMs: number;
  /** How long the node has been FAIL at spawn (now − fail_time), ms; 0 when not FAIL. */
  failAgeMs: number;
  timing: LinkTiming;
}

export interface LinkStats {
  linkUps: number;
  linkDowns: number;
  pingsSent: number;
  pongsReceived: number;
}

export interface LinkContext {
  nodeId: string;
  timing: LinkTiming;
  /** When the PING in flight was sent (0: none), ms on the node's clock. */
  pingSentMs: number;
  /** The last PONG on the outbound link, ms. */
  pongReceivedMs: number;
  /** Time of the PING in flight already spent before its timer was armed (a re-spawn), ms. */
  pingElapsedMs: number;
  /** Time since the last PONG already spent before the PING timer was armed (a re-spawn), ms. */
  pongElapsedMs: number;
  /** Time in handshake already spent before the timer was armed (a re-spawn), ms. */
  handshakeElapsedMs: number;
  /** Time in FAIL already spent before the timer was armed (a re-spawn), ms. */
  failElapsedMs: number;
  stats: LinkStats;
  /** Only read by the `init` states to choose where each region starts. */
  start: { handshake: boolean; pfail: boolean; fail: boolean; connected: boolean; ping: boolean };
}

export type LinkEvent =
  | { type: "LINK_UP" }
  | { type: "LINK_DOWN" }
  | { type: "PING_SENT"; atMs: number }
  | { type: "PONG_RECEIVED"; atMs: number }
  | { type: "HANDSHAKE_DONE" }
  | { type: "PFAIL" }
  | { type: "FAIL" }
  | { type: "FAIL_CLEARED" };

export const linkMachine = setup({
  types: {
    context: {} as LinkContext,
    input: {} as LinkInput,
    events: {} as LinkEvent,
  },
  delays: {
    pongTimeout: ({ context }) =>
      Math.max(0, context.timing.nodeTimeoutMs() - context.pingElapsedMs),
    pingInterval: ({ context }) =>
      Math.max(0, context.timing.nodeTimeoutMs() / 2 - context.pongElapsedMs),
    halfPongTimeout: ({ context }) =>
      Math.max(0, context.timing.nodeTimeoutMs() / 2 - context.pingElapsedMs),
    failUndoTimeout: ({ context }) =>
      Math.max(0, context.timing.nodeTimeoutMs() * FAIL_UNDO_TIME_MULT - context.failElapsedMs),
    handshakeTimeout: ({ context }) =>
      Math.max(0, handshakeTimeoutMs(context.timing.nodeTimeoutMs()) - context.handshakeElapsedMs),
  },
  guards: {
    startsInHandshake: ({ context }) => context.start.handshake,
    startsFailed: ({ context }) => context.start.fail,
    startsPfail: ({ context }) => context.start.pfail,
    startsConnected: ({ context }) => context.start.connected,
    startsPinging: ({ context }) => context.start.ping,
  },
  actions: {
    linkUp: assign({
      stats: ({ context }) => ({ ...context.stats, linkUps: context.stats.linkUps + 1 }),
    }),
    linkDown: assign({
      stats: ({ context }) => ({ ...context.stats, linkDowns: context.stats.linkDowns + 1 }),
    }),
    failed: assign({ failElapsedMs: 0 }),
    pingSent: assign(({ context, event }) => {
      if (event.type !== "PING_SENT") return {};
      return {
        pingSentMs: event.atMs,
        pingElapsedMs: 0,
        stats: { ...context.stats, pingsSent: context.stats.pingsSent + 1 },
      };
    }),
    pongReceived: assign(({ context, event }) => {
      if (event.type !== "PONG_RECEIVED") return {};
      return {
        pingSentMs: 0,
        pongReceivedMs: event.atMs,
        pongElapsedMs: 0,
        stats: { ...context.stats, pongsReceived: context.stats.pongsReceived + 1 },
      };
    }),
  },
}).createMachine({
  id: "peerLink",
  type: "parallel",
  context: ({ input }) => ({
    nodeId: input.nodeId,
    timing: input.timing,
    pingSentMs: 0,
    pongReceivedMs: 0,
    pingElapsedMs: input.pingOutstandingMs ?? 0,
    pongElapsedMs: input.pongAgeMs,
    handshakeElapsedMs: input.handshake ? input.handshakeAgeMs : 0,
    failElapsedMs: input.fail ? input.failAgeMs : 0,
    stats: { linkUps: 0, linkDowns: 0, pingsSent: 0, pongsReceived: 0 },
    start: {
      handshake: input.handshake,
      pfail: input.pfail,
      fail: input.fail,
      connected: input.connected,
      ping: input.pingOutstandingMs !== null,
    },
  }),
  states: {
    health: {
      initial: "init",
      states: {
        init: {
          always: [
            { guard: "startsInHandshake", target: "handshake" },
            { guard: "startsFailed", target: "fail" },
            { guard: "startsPfail", target: "pfail" },
            { target: "up" },
          ],
        },
        // Met (CLUSTER MEET or a MEET received), no real name yet.
        handshake: {
          after: { handshakeTimeout: { target: "handshakeExpired" } },
          on: { HANDSHAKE_DONE: { target: "up" } },
        },
        // Left in handshake too long: the next cron tick deletes the node (and this actor).
        handshakeExpired: {
          on: { HANDSHAKE_DONE: { target: "up" } },
        },
        up: {
          on: { PFAIL: { target: "pfail" }, FAIL: { target: "fail", actions: "failed" } },
        },
        pfail: {
          on: { FAIL: { target: "fail", actions: "failed" }, FAIL_CLEARED: { target: "up" } },
        },
        fail: {
          initial: "recent",
          states: {
            recent: { after: { failUndoTimeout: { target: "undoable" } } },
            // FAIL for 2 × node_timeout: a master with slots that answers again is cleared.
            undoable: {},
          },
          on: { FAIL_CLEARED: { target: "up" } },
        },
      },
    },
    ping: {
      initial: "init",
      states: {
        init: {
          always: [{ guard: "startsPinging", target: "awaitingPong" }, { target: "idle" }],
        },
        idle: {
          initial: "waiting",
          states: {
            waiting: { after: { pingInterval: { target: "due" } } },
            // No PONG for node_timeout / 2: the cron may PING the peer.
            due: {},
          },
          on: { PING_SENT: { target: "awaitingPong", actions: "pingSent" } },
        },
        awaitingPong: {
          initial: "fresh",
          states: {
            fresh: { after: { halfPongTimeout: { target: "late" } } },
            // Unanswered for node_timeout / 2: the cron may free a link this old.
            late: {},
          },
          after: { pongTimeout: { target: "pongOverdue" } },
          on: {
            PONG_RECEIVED: { target: "idle", actions: "pongReceived" },
            // A new PING time (the record was reset meanwhile): the timer starts again.
            PING_SENT: { target: "awaitingPong", reenter: true, actions: "pingSent" },
          },
        },
        // No PONG within node_timeout: the cron may flag the peer PFAIL.
        pongOverdue: {
          on: {
            PONG_RECEIVED: { target: "idle", actions: "pongReceived" },
            PING_SENT: { target: "awaitingPong", actions: "pingSent" },
          },
        },
      },
    },
    link: {
      initial: "init",
      states: {
        init: {
          always: [{ guard: "startsConnected", target: "up" }, { target: "down" }],
        },
        up: { on: { LINK_DOWN: { target: "down", actions: "linkDown" } } },
        down: { on: { LINK_UP: { target: "up", actions: "linkUp" } } },
      },
    },
  },
});

export type LinkSnapshot = SnapshotFrom<typeof linkMachine>;

/** The machine's state as one readable name: handshake, connected, reconnecting, pfail, fail. */
export function linkStateName(snap: LinkSnapshot): string {
  if (snap.matches({ health: "handshake" }) || snap.matches({ health: "handshakeExpired" })) {
    return "handshake";
  }
  if (snap.matches({ health: "pfail" })) return "pfail";
  if (snap.matches({ health: "fail" })) return "fail";
  return snap.matches({ link: "up" }) ? "connected" : "reconnecting";
}

/** The PING in flight has gone unanswered for node_timeout (the PFAIL timer fired). */
export function pongOverdue(snap: LinkSnapshot): boolean {
  return snap.matches({ ping: "pongOverdue" });
}

/** No PING in flight and the last PONG is half the node timeout old (or older). */
export function pingDue(snap: LinkSnapshot): boolean {
  return snap.matches({ ping: { idle: "due" } });
}

/** The PING in flight has gone unanswered for half the node timeout (or longer). */
export function pongLate(snap: LinkSnapshot): boolean {
  return snap.matches({ ping: { awaitingPong: "late" } }) || pongOverdue(snap);
}

/** The peer has been FAIL for 2 × node_timeout (CLUSTER_FAIL_UNDO_TIME_MULT). */
export function failUndoable(snap: LinkSnapshot): boolean {
  return snap.matches({ health: { fail: "undoable" } });
}

/** The node has been in handshake for longer than the handshake timeout. */
export function handshakeExpired(snap: LinkSnapshot): boolean {
  return snap.matches({ health: "handshakeExpired" });
}
