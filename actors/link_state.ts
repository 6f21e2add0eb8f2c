/**
 * One peer's link as plain data, stepped by a pure function: the per-peer link machine the node
 * runs. Its statechart is `linkMachine` (actors/link.ts: the one the visualizer and `cli.ts
 * machines` show); link_state_test.ts drives both with the same seeded events on one simulated
 * clock and checks that they are in the same state after every step.
 *
 * Why data and not one XState actor per peer: an actor costs ~75 µs to start, ~5 KB of heap and
 * ~25 µs per event. One node knows N peers, so a simulated cluster of N nodes holds N² links: 4M
 * at 2,000 nodes, which is 20 GB as actors and ~0.4 GB as these records.
 *
 * A timer of the chart is a deadline here, on the node's timer clock (monotonic: a wall clock
 * stepped forward does not shorten it, as with real timers). The chart runs no action when a
 * timer fires, so nothing has to happen at the deadline: the state at time t is read with
 * `linkValue(s, t)` and the predicates below. Events are applied with `linkStep`, which first
 * lets the timers run out up to the event's time, as the clock would have.
 *
 *   health    handshake --(handshake timeout)--> handshakeExpired --HANDSHAKE_DONE--> up
 *             up --PFAIL--> pfail --FAIL--> fail.recent --(2 × node timeout)--> fail.undoable
 *             up --FAIL--> fail;  pfail | fail --FAIL_CLEARED--> up
 *   ping      idle.waiting --(node timeout / 2 since the last PONG)--> idle.due
 *             idle --PING_SENT--> awaitingPong.fresh --(node timeout / 2)--> awaitingPong.late
 *             awaitingPong --(node timeout)--> pongOverdue
 *             awaitingPong | pongOverdue --PING_SENT--> awaitingPong (timers armed again)
 *             idle | awaitingPong | pongOverdue --PONG_RECEIVED--> idle (PING timer armed again)
 *   link      up <--LINK_UP / LINK_DOWN--> down   (the outbound link)
 *
 * What each state lets the rules do, and why (Redis's clusterCron and clearNodeFailureIfNeeded)
 * is told in actors/link.ts.
 */

import { FAIL_UNDO_TIME_MULT } from "../protocol/bus_constants.ts";

/** Redis: the handshake timeout is node_timeout, at least 1000 ms (clusterCron). */
export function handshakeTimeoutMs(nodeTimeoutMs: number): number {
  return Math.max(nodeTimeoutMs, 1000);
}

/** A node record as a new link starts from it (a node met, learned, renamed or loaded). */
export interface LinkStart {
  nodeId: string;
  handshake: boolean;
  connected: boolean;
  pfail: boolean;
  fail: boolean;
  /** How long a PING to the peer has been unanswered, ms (null: none in flight). */
  pingOutstandingMs: number | null;
  /** How long ago the last PONG came (now − pong_received), ms. */
  pongAgeMs: number;
  /** How long the node has been in handshake, ms (0 for a node just met). */
  handshakeAgeMs: number;
  /** How long the node has been FAIL (now − fail_time), ms; 0 when not FAIL. */
  failAgeMs: number;
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

export interface LinkState {
  /** handshakeExpired and fail's substates are this plus `healthDeadlineMs`. */
  readonly health: "handshake" | "up" | "pfail" | "fail";
  /** handshake: when it expires; fail: when it becomes undoable; otherwise Infinity. */
  readonly healthDeadlineMs: number;
  /** pongOverdue is awaitingPong past `pongDeadlineMs` (its events lead where awaitingPong's do). */
  readonly ping: "idle" | "awaitingPong";
  /** idle: when a PING falls due; awaitingPong: when the PONG is late. */
  readonly pingDeadlineMs: number;
  /** awaitingPong: when the PONG is overdue; idle: Infinity. */
  readonly pongDeadlineMs: number;
  readonly link: "up" | "down";
}

/** The chart's state value (xstate's `snapshot.value` shape) at time `nowMs`. */
export type LinkValue = {
  health:
    | "handshake"
    | "handshakeExpired"
    | "up"
    | "pfail"
    | { fail: "recent" | "undoable" };
  ping: { idle: "waiting" | "due" } | { awaitingPong: "fresh" | "late" } | "pongOverdue";
  link: "up" | "down";
};

const after = (nowMs: number, delayMs: number) => nowMs + Math.max(0, delayMs);

/** The link of a peer as its record says, at time `nowMs` (the chart's `init` states). */
export function linkOpen(start: LinkStart, nowMs: number, nodeTimeoutMs: number): LinkState {
  let health: LinkState["health"] = "up";
  let healthDeadlineMs = Infinity;
  if (start.handshake) {
    health = "handshake";
    healthDeadlineMs = after(nowMs, handshakeTimeoutMs(nodeTimeoutMs) - start.handshakeAgeMs);
  } else if (start.fail) {
    health = "fail";
    healthDeadlineMs = after(nowMs, nodeTimeoutMs * FAIL_UNDO_TIME_MULT - start.failAgeMs);
  } else if (start.pfail) {
    health = "pfail";
  }
  const pinging = start.pingOutstandingMs !== null;
  const pingElapsedMs = start.pingOutstandingMs ?? 0;
  return {
    health,
    healthDeadlineMs,
    ping: pinging ? "awaitingPong" : "idle",
    pingDeadlineMs: pinging
      ? after(nowMs, nodeTimeoutMs / 2 - pingElapsedMs)
      : after(nowMs, nodeTimeoutMs / 2 - start.pongAgeMs),
    pongDeadlineMs: pinging ? after(nowMs, nodeTimeoutMs - pingElapsedMs) : Infinity,
    link: start.connected ? "up" : "down",
  };
}

/**
 * The link after `event` at time `nowMs` (timers that ran out by then have run). The node timeout
 * is read when a timer is armed, as the chart's delays read it (CONFIG SET applies from then on).
 * Returns `s` itself when the event changes nothing.
 */
export function linkStep(
  s: LinkState,
  event: LinkEvent,
  nowMs: number,
  nodeTimeoutMs: number,
): LinkState {
  switch (event.type) {
    case "LINK_UP":
      return s.link === "down" ? { ...s, link: "up" } : s;
    case "LINK_DOWN":
      return s.link === "up" ? { ...s, link: "down" } : s;
    case "PING_SENT":
      // idle -> awaitingPong; awaitingPong (reentered) and pongOverdue -> awaitingPong.
      return {
        ...s,
        ping: "awaitingPong",
        pingDeadlineMs: after(nowMs, nodeTimeoutMs / 2),
        pongDeadlineMs: after(nowMs, nodeTimeoutMs),
      };
    case "PONG_RECEIVED":
      // From idle too (a PONG answering a MEET): every PONG restarts the wait for the next PING.
      return {
        ...s,
        ping: "idle",
        pingDeadlineMs: after(nowMs, nodeTimeoutMs / 2),
        pongDeadlineMs: Infinity,
      };
    case "HANDSHAKE_DONE":
      return s.health === "handshake" ? { ...s, health: "up", healthDeadlineMs: Infinity } : s;
    case "PFAIL":
      return s.health === "up" ? { ...s, health: "pfail" } : s;
    case "FAIL":
      if (s.health !== "up" && s.health !== "pfail") return s;
      return {
        ...s,
        health: "fail",
        healthDeadlineMs: after(nowMs, nodeTimeoutMs * FAIL_UNDO_TIME_MULT),
      };
    case "FAIL_CLEARED":
      if (s.health !== "pfail" && s.health !== "fail") return s;
      return { ...s, health: "up", healthDeadlineMs: Infinity };
  }
}

/** The chart's state value at `nowMs`. */
export function linkValue(s: LinkState, nowMs: number): LinkValue {
  let health: LinkValue["health"];
  if (s.health === "handshake") {
    health = nowMs >= s.healthDeadlineMs ? "handshakeExpired" : "handshake";
  } else if (s.health === "fail") {
    health = { fail: nowMs >= s.healthDeadlineMs ? "undoable" : "recent" };
  } else {
    health = s.health;
  }
  let ping: LinkValue["ping"];
  if (s.ping === "idle") {
    ping = { idle: nowMs >= s.pingDeadlineMs ? "due" : "waiting" };
  } else if (nowMs >= s.pongDeadlineMs) {
    ping = "pongOverdue";
  } else {
    ping = { awaitingPong: nowMs >= s.pingDeadlineMs ? "late" : "fresh" };
  }
  return { health, ping, link: s.link };
}

/** The link as one readable name: handshake, connected, reconnecting, pfail, fail. */
export function linkStateName(s: LinkState): string {
  if (s.health === "handshake") return "handshake";
  if (s.health === "pfail" || s.health === "fail") return s.health;
  return s.link === "up" ? "connected" : "reconnecting";
}

/** The PING in flight has gone unanswered for node_timeout (the PFAIL timer ran out). */
export function pongOverdue(s: LinkState, nowMs: number): boolean {
  return s.ping === "awaitingPong" && nowMs >= s.pongDeadlineMs;
}

/** No PING in flight and the last PONG is half the node timeout old (or older). */
export function pingDue(s: LinkState, nowMs: number): boolean {
  return s.ping === "idle" && nowMs >= s.pingDeadlineMs;
}

/** The PING in flight has gone unanswered for half the node timeout (or longer). */
export function pongLate(s: LinkState, nowMs: number): boolean {
  return s.ping === "awaitingPong" && nowMs >= s.pingDeadlineMs;
}

/** The peer has been FAIL for 2 × node_timeout (CLUSTER_FAIL_UNDO_TIME_MULT). */
export function failUndoable(s: LinkState, nowMs: number): boolean {
  return s.health === "fail" && nowMs >= s.healthDeadlineMs;
}

/** The node has been in handshake for longer than the handshake timeout. */
export function handshakeExpired(s: LinkState, nowMs: number): boolean {
  return s.health === "handshake" && nowMs >= s.healthDeadlineMs;
}
