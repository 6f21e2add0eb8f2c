/**
 * The per-peer link machine (XState v5): one actor per known node other than myself, spawned and
 * stopped by the node actor (actors/node.ts). It mirrors what the bus engine (cluster/bus_engine.ts)
 * knows about that peer, as readable states for the visualizer and for tests:
 *
 *   handshake     the node was met (CLUSTER MEET or an incoming MEET) and has no real name yet
 *   connected     handshake done, outbound link up, no failure flag
 *   reconnecting  handshake done, no outbound link (the cron reconnects every 100 ms)
 *   pfail         we flagged it PFAIL (no PONG within node-timeout)
 *   fail          FAIL (quorum of masters agreed, or a FAIL message arrived)
 *
 * The per-packet rules stay in the pure functions (cluster/bus_receive.ts, cluster/bus_cron.ts):
 * the engine diffs the node record before/after each step and sends this machine the resulting
 * events (LINK_UP, LINK_DOWN, PING_SENT, PONG_RECEIVED, HANDSHAKE_DONE, PFAIL, FAIL,
 * FAIL_CLEARED, DATA_RECEIVED). The context keeps the ping/pong bookkeeping (`pingSentMs`,
 * `pongReceivedMs`, and `dataReceivedMs` to the second: it is reported at most once per second)
 * and counters. `init` picks the starting state from the input, so a link actor
 * re-spawned after a rename starts where the old one was.
 */

import { setup } from "xstate";

export interface LinkInput {
  nodeId: string;
  handshake: boolean;
  connected: boolean;
  pfail: boolean;
  fail: boolean;
}

export interface LinkContext {
  nodeId: string;
  /** Whether the outbound link is up (also tracked while in handshake/pfail/fail). */
  connected: boolean;
  pingSentMs: number;
  pongReceivedMs: number;
  dataReceivedMs: number;
  stats: { linkUps: number; linkDowns: number; pingsSent: number; pongsReceived: number };
  /** Only used by `init` to choose the first state. */
  startFlags: { handshake: boolean; pfail: boolean; fail: boolean };
}

export type LinkEvent =
  | { type: "LINK_UP" }
  | { type: "LINK_DOWN" }
  | { type: "PING_SENT"; atMs: number }
  | { type: "PONG_RECEIVED"; atMs: number }
  | { type: "DATA_RECEIVED"; atMs: number }
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
  guards: {
    isConnected: ({ context }) => context.connected,
    startsInHandshake: ({ context }) => context.startFlags.handshake,
    startsFailed: ({ context }) => context.startFlags.fail,
    startsPfail: ({ context }) => context.startFlags.pfail,
  },
  actions: {
    linkUp: ({ context }) => {
      context.connected = true;
      context.stats.linkUps++;
    },
    linkDown: ({ context }) => {
      context.connected = false;
      context.stats.linkDowns++;
    },
    pingSent: ({ context, event }) => {
      if (event.type !== "PING_SENT") return;
      context.pingSentMs = event.atMs;
      context.stats.pingsSent++;
    },
    pongReceived: ({ context, event }) => {
      if (event.type !== "PONG_RECEIVED") return;
      context.pongReceivedMs = event.atMs;
      context.pingSentMs = 0;
      context.stats.pongsReceived++;
    },
    dataReceived: ({ context, event }) => {
      if (event.type === "DATA_RECEIVED") context.dataReceivedMs = event.atMs;
    },
  },
}).createMachine({
  id: "peerLink",
  context: ({ input }) => ({
    nodeId: input.nodeId,
    connected: input.connected,
    pingSentMs: 0,
    pongReceivedMs: 0,
    dataReceivedMs: 0,
    stats: { linkUps: 0, linkDowns: 0, pingsSent: 0, pongsReceived: 0 },
    startFlags: { handshake: input.handshake, pfail: input.pfail, fail: input.fail },
  }),
  // Bookkeeping that is the same in every state.
  on: {
    LINK_UP: { actions: "linkUp" },
    LINK_DOWN: { actions: "linkDown" },
    PING_SENT: { actions: "pingSent" },
    PONG_RECEIVED: { actions: "pongReceived" },
    DATA_RECEIVED: { actions: "dataReceived" },
  },
  initial: "init",
  states: {
    init: {
      always: [
        { guard: "startsInHandshake", target: "handshake" },
        { guard: "startsFailed", target: "fail" },
        { guard: "startsPfail", target: "pfail" },
        { guard: "isConnected", target: "connected" },
        { target: "reconnecting" },
      ],
    },
    handshake: {
      on: {
        HANDSHAKE_DONE: [
          { guard: "isConnected", target: "connected" },
          { target: "reconnecting" },
        ],
      },
    },
    connected: {
      on: {
        LINK_DOWN: { target: "reconnecting", actions: "linkDown" },
        PFAIL: { target: "pfail" },
        FAIL: { target: "fail" },
      },
    },
    reconnecting: {
      on: {
        LINK_UP: { target: "connected", actions: "linkUp" },
        PFAIL: { target: "pfail" },
        FAIL: { target: "fail" },
      },
    },
    pfail: {
      on: {
        FAIL: { target: "fail" },
        FAIL_CLEARED: [
          { guard: "isConnected", target: "connected" },
          { target: "reconnecting" },
        ],
      },
    },
    fail: {
      on: {
        FAIL_CLEARED: [
          { guard: "isConnected", target: "connected" },
          { target: "reconnecting" },
        ],
      },
    },
  },
});

/** The readable state name of a link actor snapshot ("connected", "pfail", ...). */
export function linkStateName(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
