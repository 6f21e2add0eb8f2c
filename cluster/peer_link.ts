/**
 * A peer's link inside its node record: the record holds the link machine's state
 * (`ClusterNode.link`, actors/link_state.ts), and the link is the only record of the peer's link
 * state. The flag bits HANDSHAKE, PFAIL and FAIL and the field `linkState` are what the link says,
 * written only here: `stepPeerLink` moves the link with one of the machine's events and projects
 * it onto the record, `openPeerLink` (re)makes the link from what a record says (a node met,
 * learned from gossip or loaded from nodes.conf). The rest of the code reads the flags, as Redis's
 * does; `linkProjectionError` is the invariant that they agree (cluster/state.ts
 * `assertInvariants`).
 *
 * Redis's own timestamps stay in the record beside the link (ping_sent, pong_received,
 * data_received, fail_time): gossip carries them, CLUSTER NODES prints them and the rules compare
 * them as Redis does. The PING_SENT and PONG_RECEIVED events write ping_sent and pong_received
 * with the step, so that a PING is in flight in the record exactly when the link awaits a PONG.
 *
 * The link's timers run on the node's timer clock (`LinkClock.timerNowMs`: monotonic), the
 * record's times on its wall clock.
 *
 * This module knows the record only by the fields it needs, so that cluster/state.ts can build
 * records with it.
 */

import { NodeFlags } from "./node_flags.ts";
import {
  type LinkEvent,
  linkOpen,
  type LinkStart,
  type LinkState,
  linkStep,
} from "../actors/link_state.ts";

/** The time a link step happens at, and the node timeout its timers are armed with. */
export interface LinkClock {
  /** The node's timer clock now, ms (monotonic). */
  timerNowMs: number;
  nodeTimeoutMs: number;
}

/** The fields of a node record that the link projects onto or starts from. */
export interface LinkedRecord {
  readonly id: string;
  readonly flags: number;
  readonly linkState: "connected" | "disconnected";
  readonly pingSentMs: number;
  readonly pongReceivedMs: number;
  readonly failTimeMs: number;
  readonly createdMs: number;
  readonly link: LinkState;
}

/** The flag bits that are the link's health. */
export const LINK_FLAGS = NodeFlags.HANDSHAKE | NodeFlags.PFAIL | NodeFlags.FAIL;

/** The link's health as flag bits. */
export function linkHealthFlags(link: LinkState): number {
  switch (link.health) {
    case "handshake":
      return NodeFlags.HANDSHAKE;
    case "pfail":
      return NodeFlags.PFAIL;
    case "fail":
      return NodeFlags.FAIL;
    case "up":
      return 0;
  }
}

/** What a link opened from record `n` starts from, at wall-clock time `wallNowMs`. */
function linkStartOf(n: Omit<LinkedRecord, "link">, wallNowMs: number): LinkStart {
  const handshake = (n.flags & NodeFlags.HANDSHAKE) !== 0;
  const fail = (n.flags & NodeFlags.FAIL) !== 0;
  return {
    nodeId: n.id,
    handshake,
    connected: n.linkState === "connected",
    pfail: (n.flags & NodeFlags.PFAIL) !== 0,
    fail,
    pingOutstandingMs: n.pingSentMs === 0 ? null : Math.max(0, wallNowMs - n.pingSentMs),
    pongAgeMs: Math.max(0, wallNowMs - n.pongReceivedMs),
    handshakeAgeMs: handshake ? Math.max(0, wallNowMs - n.createdMs) : 0,
    failAgeMs: fail ? Math.max(0, wallNowMs - n.failTimeMs) : 0,
  };
}

/**
 * Record `n` with a link made from what the record says (its flags, link state and times, at
 * wall-clock time `wallNowMs`), and the record's link bits and link state then made the link's:
 * a record whose flags name two healths (HANDSHAKE and FAIL from a broken peer's gossip) keeps the
 * first of handshake, fail, pfail. Myself's record has a link too, which no rule moves: always up
 * ("connected"), never pinged, never failing.
 */
export function openPeerLink<T extends LinkedRecord>(
  n: Omit<T, "link">,
  wallNowMs: number,
  clock: LinkClock,
): T {
  const link = linkOpen(linkStartOf(n, wallNowMs), clock.timerNowMs, clock.nodeTimeoutMs);
  return { ...n, link, ...projection(n.flags, link) } as T;
}

/** The record fields that are the link's. */
function projection(
  flags: number,
  link: LinkState,
): { flags: number; linkState: "connected" | "disconnected" } {
  return {
    flags: (flags & ~LINK_FLAGS) | linkHealthFlags(link),
    linkState: link.link === "up" ? "connected" : "disconnected",
  };
}

/**
 * Record `n` after its link took `event` at `clock`: the link stepped, and the record's link bits
 * and `linkState` projected from it. PING_SENT at a new time writes ping_sent (a PING at the time
 * already recorded changes nothing); PONG_RECEIVED writes pong_received and clears ping_sent.
 * Returns `n` itself when nothing changed.
 */
export function stepPeerLink<T extends LinkedRecord>(n: T, event: LinkEvent, clock: LinkClock): T {
  let pingSentMs = n.pingSentMs;
  let pongReceivedMs = n.pongReceivedMs;
  let link = n.link;
  if (event.type === "PING_SENT") {
    if (event.atMs === n.pingSentMs) return n;
    pingSentMs = event.atMs;
  } else if (event.type === "PONG_RECEIVED") {
    pingSentMs = 0;
    pongReceivedMs = event.atMs;
  }
  link = linkStep(link, event, clock.timerNowMs, clock.nodeTimeoutMs);
  if (
    link === n.link && pingSentMs === n.pingSentMs && pongReceivedMs === n.pongReceivedMs
  ) return n;
  return { ...n, link, ...projection(n.flags, link), pingSentMs, pongReceivedMs };
}

/**
 * Why record `n` disagrees with its link, or null: the link bits and `linkState` must be the
 * link's, and a PING is in flight (ping_sent) exactly when the link awaits its PONG.
 */
export function linkProjectionError(n: LinkedRecord): string | null {
  const bits = n.flags & LINK_FLAGS;
  if (bits !== linkHealthFlags(n.link)) {
    return `flags ${bits} but the link's health is ${n.link.health}`;
  }
  if ((n.linkState === "connected") !== (n.link.link === "up")) {
    return `linkState ${n.linkState} but the link is ${n.link.link}`;
  }
  if ((n.pingSentMs !== 0) !== (n.link.ping === "awaitingPong")) {
    return `ping_sent ${n.pingSentMs} but the link is ${n.link.ping}`;
  }
  return null;
}
