/**
 * The per-peer link machine's statechart (XState v5), the definition the visualizer and `cli.ts
 * machines` show. The node runs it as plain data stepped by a pure function (actors/link_state.ts:
 * the link is a field of the peer's node record, cluster/peer_link.ts), because one actor per peer
 * does not fit a simulated cluster of 2,000 nodes (4M links); link_state_test.ts checks, on seeded
 * event sequences and one simulated clock, that the data is in this chart's state after every step.
 * Three parallel regions, each timer on the node's clock:
 *
 *   health    handshake --after(handshake timeout)--> handshakeExpired
 *             handshake | handshakeExpired --HANDSHAKE_DONE--> up
 *             up --PFAIL--> pfail --FAIL--> fail;  up --FAIL--> fail
 *             fail.recent --after(2 × node timeout)--> fail.undoable
 *             pfail | fail --FAIL_CLEARED--> up
 *   ping      idle.waiting --after(node timeout / 2 since the last PONG)--> idle.due
 *             idle --PING_SENT--> awaitingPong.fresh --after(node timeout / 2)--> awaitingPong.late
 *             awaitingPong --after(node timeout)--> pongOverdue
 *             idle | awaitingPong | pongOverdue --PONG_RECEIVED--> idle (PING timer armed again)
 *   link      up <--LINK_UP / LINK_DOWN--> down   (the outbound link)
 *
 * The timers are Redis's (cluster.c):
 * - clusterCron deletes a node left in handshake for longer than the handshake timeout
 *   (node_timeout, at least 1000 ms): the cron (cluster/bus_cron.ts) deletes it only once its
 *   link is in `handshakeExpired`;
 * - clusterCron PINGs a node whose last PONG is older than half the node timeout (no PING in
 *   flight): only once the link is in `idle.due`;
 * - clusterCron frees the outbound link of a node whose PING has been unanswered for half the
 *   node timeout (link older than node_timeout, no data either): only once the link is in
 *   `awaitingPong.late` (or later);
 * - clusterCron flags a node PFAIL once a PING has been unanswered for longer than node_timeout
 *   (no other data from it meanwhile): only once the link is in `pongOverdue`;
 * - clearNodeFailureIfNeeded (cluster/failure_detection.ts) clears the FAIL of a master with
 *   slots that answers again only after 2 × node_timeout (CLUSTER_FAIL_UNDO_TIME_MULT): only once
 *   the link is in `fail.undoable`.
 * The rules read the link's timers from the peer's record (`handshakeExpired`, `pingDue`,
 * `pongLate`, `pongOverdue`, `failUndoable` in actors/link_state.ts, at the node's timer clock),
 * and still apply Redis's comparison at their tick or packet (now − ping_sent > node_timeout,
 * data_received as old, ...), so the decision comes when Redis would take it: at the first cron
 * tick (or PONG) after the timer ran out. One difference: the timers measure time as timers do (a
 * wall clock stepped forward does not shorten them), where Redis 7.0 compares mstime() values and
 * flags a peer PFAIL at the next tick after such a step.
 *
 * The events are the rules' own (cluster/peer_link.ts `stepPeerLink`): a PING sent, a PONG on the
 * outbound link, the link opened or closed, the handshake done, PFAIL, FAIL and their clearing.
 * The record's HANDSHAKE, PFAIL and FAIL flags and its link state are projected from the machine's
 * state, and only that way. `init` picks each region's first state from the input, so a link
 * opened for a node learned from gossip or loaded from nodes.conf starts where the node record is,
 * with the time already spent counted.
 *
 * Context is only changed with `assign`.
 */

import { assign, setup, type SnapshotFrom } from "xstate";
import { FAIL_UNDO_TIME_MULT } from "../protocol/bus_constants.ts";
import { handshakeTimeoutMs, type LinkEvent, type LinkStart } from "./link_state.ts";

/** The node timeout, read each time a timer is armed (CONFIG SET cluster-node-timeout applies). */
export interface LinkTiming {
  nodeTimeoutMs(): number;
}

export interface LinkInput extends LinkStart {
  timing: LinkTiming;
}

export interface LinkContext {
  nodeId: string;
  timing: LinkTiming;
  /** Time of the PING in flight already spent before its timer was armed (at the start), ms. */
  pingElapsedMs: number;
  /** Time since the last PONG already spent before the PING timer was armed (at the start), ms. */
  pongElapsedMs: number;
  /** Time in handshake already spent before the timer was armed (at the start), ms. */
  handshakeElapsedMs: number;
  /** Time in FAIL already spent before the timer was armed (at the start), ms. */
  failElapsedMs: number;
  /** Only read by the `init` states to choose where each region starts. */
  start: { handshake: boolean; pfail: boolean; fail: boolean; connected: boolean; ping: boolean };
}

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
    failed: assign({ failElapsedMs: 0 }),
    pingSent: assign({ pingElapsedMs: 0 }),
    pongReceived: assign({ pongElapsedMs: 0 }),
  },
}).createMachine({
  id: "peerLink",
  type: "parallel",
  context: ({ input }) => ({
    nodeId: input.nodeId,
    timing: input.timing,
    pingElapsedMs: input.pingOutstandingMs ?? 0,
    pongElapsedMs: input.pongAgeMs,
    handshakeElapsedMs: input.handshake ? input.handshakeAgeMs : 0,
    failElapsedMs: input.fail ? input.failAgeMs : 0,
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
          on: {
            PING_SENT: { target: "awaitingPong", actions: "pingSent" },
            // A PONG with no PING in flight (the reply to a MEET): the wait starts again, as
            // Redis's pong_received is set by every PONG.
            PONG_RECEIVED: { target: "idle", reenter: true, actions: "pongReceived" },
          },
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
        up: { on: { LINK_DOWN: { target: "down" } } },
        down: { on: { LINK_UP: { target: "up" } } },
      },
    },
  },
});

export type LinkSnapshot = SnapshotFrom<typeof linkMachine>;
