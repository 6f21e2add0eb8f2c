/**
 * The replica side of a failover election (Redis 7.0.15 clusterHandleSlaveFailover,
 * clusterGetSlaveRank, clusterRequestFailoverAuth, clusterFailoverReplaceYourMaster and the
 * FAILOVER_AUTH_ACK counting of clusterProcessPacket; docs/cluster-bus.md §6.1), pure.
 *
 * - `failoverAuthTimeoutMs(nodeTimeoutMs)` = max(2 × node_timeout, 2000); the retry time is
 *   twice that (`failoverAuthRetryMs`).
 * - `replicaRank(s, myOffset)`: how many other replicas of my master (NOFAILOVER ones excluded)
 *   advertised a larger replication offset than mine, or the same offset and a smaller name
 *   (Valkey's tie-break: two replicas in sync never share rank 0 and race for one epoch).
 * - `electionDelayMs(nodeTimeoutMs)`: the election's unit of delay, min(500, node_timeout / 30)
 *   as Valkey computes it (valkey-io/valkey#2449): Redis 7.0 always waits 500 ms + random(0..499)
 *   + rank × 1000 ms, which is most of a failover's time with a short node-timeout. Only when a
 *   replica asks for votes changes; how masters vote does not, so a mixed cluster stays correct.
 * - `replicaDataAgeMs(ctx)` / `dataTooOldToFailover(ctx)`: the data-age check (validity factor).
 * - `failoverPreconditions(s, ctx)`: myself a replica with a known master that is FAIL (or a
 *   manual failover can start), replica-no-failover not set (unless manual), master has slots.
 * - `buildAuthRequest(s, ctx)`: FAILOVER_AUTH_REQUEST from the current state (FORCEACK while a
 *   manual failover is in progress, i.e. mf_end != 0).
 * - `handleReplicaFailover(s, ctx, sink)` -> state: one run of clusterHandleSlaveFailover:
 *   schedule an attempt (now + d + random(0..d-1) + rank × rankDelayMs, d = electionDelayMs,
 *   "Start of election delayed for ..."; a manual failover starts now with rank 0 and asks for
 *   another run before sleep;
 *   PONG to my master's other replicas), grow the delay when the rank grows, wait, give up after
 *   the auth timeout, start the election (currentEpoch += 1, failover_auth_epoch, broadcast
 *   AUTH_REQUEST, save + fsync + update state), and with a quorum of ACKs (size / 2 + 1) win:
 *   configEpoch = failover_auth_epoch if larger, then `replaceMyMaster` (replace_my_master.ts).
 * - `countFailoverAuthAck(s, senderId, senderCurrentEpoch, sink)`: an ACK counts if its sender
 *   is a master with slots and its currentEpoch >= failover_auth_epoch; asks for a failover run
 *   before sleep (CLUSTER_TODO_HANDLE_FAILOVER) so a won election completes at once.
 */

import type { EmptyMessage } from "../protocol/bus.ts";
import { FAILOVER_AUTH_TIMEOUT_MIN_MS, MSGFLAG0_FORCEACK } from "../protocol/bus.ts";
import { CLUSTER_CRON_PERIOD_MS } from "../protocol/bus_constants.ts";
import { buildHeader, buildPingMessage } from "./bus_header_build.ts";
import { putNode } from "./bus_node_ops.ts";
import {
  CANT_FAILOVER_RELOG_PERIOD_MS,
  type CantFailoverReason,
  type FailoverContext,
  type FailoverSink,
  failoverVars,
  myReplOffset,
  withFailoverVars,
} from "./failover_types.ts";
import { headerPaused } from "./manual_failover_state.ts";
import { replaceMyMaster } from "./replace_my_master.ts";
import { type ClusterState, isFailed, isMaster, myself, NodeFlags, replicasOf } from "./state.ts";

export function failoverAuthTimeoutMs(nodeTimeoutMs: number): number {
  return Math.max(nodeTimeoutMs * 2, FAILOVER_AUTH_TIMEOUT_MIN_MS);
}

export function failoverAuthRetryMs(nodeTimeoutMs: number): number {
  return failoverAuthTimeoutMs(nodeTimeoutMs) * 2;
}

/** clusterGetSlaveRank. */
export function replicaRank(s: ClusterState, myOffset: number): number {
  const me = myself(s);
  if (me.masterId === null) return 0;
  let rank = 0;
  for (const r of replicasOf(s, me.masterId)) {
    if (r.id === me.id || (r.flags & NodeFlags.NOFAILOVER)) continue;
    if (r.replOffset > myOffset || (r.replOffset === myOffset && r.id < me.id)) rank++;
  }
  return rank;
}

/** The election's unit of delay (ms): min(500, node_timeout / 30), at least 1. */
export function electionDelayMs(nodeTimeoutMs: number): number {
  return Math.max(1, Math.min(500, Math.floor(nodeTimeoutMs / 30)));
}

/**
 * The delay per rank (ms): 2 units as Valkey, but never under two cron periods. The election
 * starts on the first cron tick at or after its time (every 100 ms), so two siblings whose times
 * are less than a period apart could ask in the same tick, in the same epoch, and split the
 * votes; more than a period apart, the better one's election (one round trip) is over before
 * the next one asks.
 */
export function rankDelayMs(nodeTimeoutMs: number): number {
  return Math.max(2 * electionDelayMs(nodeTimeoutMs), 2 * CLUSTER_CRON_PERIOD_MS);
}

/** Data age as Redis computes it (minus node_timeout when larger). */
export function replicaDataAgeMs(
  ctx: Pick<FailoverContext, "nowMs" | "replication" | "nodeTimeoutMs">,
): number {
  const r = ctx.replication;
  let age = r.linkUp ? ctx.nowMs - r.lastInteractionMs : ctx.nowMs - r.downSinceMs;
  if (age > ctx.nodeTimeoutMs) age -= ctx.nodeTimeoutMs;
  return age;
}

/** True if cluster-replica-validity-factor forbids an automatic failover. */
export function dataTooOldToFailover(
  ctx: Pick<
    FailoverContext,
    "nowMs" | "replication" | "nodeTimeoutMs" | "replicaValidityFactor" | "replPingReplicaPeriodSec"
  >,
): boolean {
  if (ctx.replicaValidityFactor <= 0) return false;
  const maxAge = ctx.replPingReplicaPeriodSec * 1000 +
    ctx.nodeTimeoutMs * ctx.replicaValidityFactor;
  return replicaDataAgeMs(ctx) > maxAge;
}

/** A manual failover is in progress and may start its election (mf_end && mf_can_start). */
export function manualFailoverReady(s: ClusterState): boolean {
  const v = failoverVars(s);
  return v.mfEndMs !== 0 && v.mfCanStart;
}

/** The first precondition block of clusterHandleSlaveFailover. */
export function failoverPreconditions(
  s: ClusterState,
  ctx: Pick<FailoverContext, "replicaNoFailover">,
): boolean {
  const me = myself(s);
  const manual = manualFailoverReady(s);
  if (isMaster(me) || me.masterId === null) return false;
  const master = s.nodes.get(me.masterId);
  if (master === undefined) return false;
  if (!isFailed(master) && !manual) return false;
  if (ctx.replicaNoFailover && !manual) return false;
  return master.numSlots > 0;
}

export function buildAuthRequest(s: ClusterState, ctx: FailoverContext): EmptyMessage {
  const header = buildHeader(s, { ...ctx, paused: headerPaused(s) });
  if (failoverVars(s).mfEndMs !== 0) header.mflags |= MSGFLAG0_FORCEACK;
  return { type: "FAILOVER_AUTH_REQUEST", header };
}

const CANT_FAILOVER_TEXT: Record<Exclude<CantFailoverReason, "none">, string> = {
  "data-age": "Disconnected from master for longer than allowed. " +
    "Please check the 'cluster-replica-validity-factor' configuration option.",
  "waiting-delay": "Waiting the delay before I can start a new failover.",
  "expired": "Failover attempt expired.",
  "waiting-votes": "Waiting for votes, but majority still not reached.",
};

/** clusterLogCantFailover: log a reason when it changes, or every relog period. */
function logCantFailover(
  s: ClusterState,
  reason: Exclude<CantFailoverReason, "none">,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  const v = failoverVars(s);
  if (
    reason === v.cantFailoverReason &&
    ctx.nowMs - v.cantFailoverLogMs < CANT_FAILOVER_RELOG_PERIOD_MS
  ) {
    return s;
  }
  let next = withFailoverVars(s, { cantFailoverReason: reason });
  const me = myself(s);
  const master = me.masterId === null ? undefined : s.nodes.get(me.masterId);
  // Redis stays quiet right after the master failed (the election is expected to be running).
  if (
    master !== undefined && isFailed(master) &&
    ctx.nowMs - master.failTimeMs < ctx.nodeTimeoutMs + 5000
  ) {
    return next;
  }
  next = withFailoverVars(next, { cantFailoverLogMs: ctx.nowMs });
  sink.log("warning", `Currently unable to failover: ${CANT_FAILOVER_TEXT[reason]}`);
  return next;
}

export function handleReplicaFailover(
  s0: ClusterState,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  let s = s0;
  const now = ctx.nowMs;
  // Redis clears CLUSTER_TODO_HANDLE_FAILOVER on entry: this run is the one that was asked for.
  sink.handleFailover = false;
  let v = failoverVars(s);
  const authAge = now - v.authTimeMs;
  const neededQuorum = Math.floor(s.size / 2) + 1;
  const manual = manualFailoverReady(s);
  const authTimeout = failoverAuthTimeoutMs(ctx.nodeTimeoutMs);
  const authRetry = authTimeout * 2;

  if (ctx.moduleNoFailover) return s;
  if (!failoverPreconditions(s, ctx)) {
    return v.cantFailoverReason === "none"
      ? s
      : withFailoverVars(s, { cantFailoverReason: "none" });
  }
  if (dataTooOldToFailover(ctx) && !manual) return logCantFailover(s, "data-age", ctx, sink);

  const myOffset = myReplOffset(s, ctx);
  if (authAge > authRetry) {
    const d = electionDelayMs(ctx.nodeTimeoutMs);
    let authTimeMs = now + d + ctx.rng.int(d);
    let rank = replicaRank(s, myOffset);
    authTimeMs += rank * rankDelayMs(ctx.nodeTimeoutMs);
    if (v.mfEndMs !== 0) {
      authTimeMs = now;
      rank = 0;
      sink.handleFailover = true;
    }
    s = withFailoverVars(s, { authTimeMs, authCount: 0, authSent: false, authRank: rank });
    sink.log(
      "warning",
      `Start of election delayed for ${
        authTimeMs - now
      } milliseconds (rank #${rank}, offset ${myOffset}).`,
    );
    // clusterBroadcastPong(CLUSTER_BROADCAST_LOCAL_SLAVES).
    const me = myself(s);
    for (const r of replicasOf(s, me.masterId!)) {
      if (r.id === me.id || (r.flags & NodeFlags.HANDSHAKE) || !ctx.links.has(r.id)) continue;
      sink.push({
        kind: "send",
        to: r.id,
        message: buildPingMessage(s, "PONG", ctx.rng, { ...ctx, paused: headerPaused(s) }),
      });
    }
    return s;
  }

  if (!v.authSent && v.mfEndMs === 0) {
    const newRank = replicaRank(s, myOffset);
    if (newRank > v.authRank) {
      const added = (newRank - v.authRank) * rankDelayMs(ctx.nodeTimeoutMs);
      s = withFailoverVars(s, { authTimeMs: v.authTimeMs + added, authRank: newRank });
      v = failoverVars(s);
      sink.log(
        "warning",
        `Replica rank updated to #${newRank}, added ${added} milliseconds of delay.`,
      );
    }
  }

  if (now < v.authTimeMs) return logCantFailover(s, "waiting-delay", ctx, sink);
  if (authAge > authTimeout) return logCantFailover(s, "expired", ctx, sink);

  if (!v.authSent) {
    const epoch = s.currentEpoch + 1;
    s = withFailoverVars({ ...s, currentEpoch: epoch }, { authEpoch: epoch, authSent: true });
    sink.log("warning", `Starting a failover election for epoch ${epoch}.`);
    sink.push({ kind: "broadcast", message: buildAuthRequest(s, ctx) });
    sink.todo(true, true, true);
    return s;
  }

  if (v.authCount >= neededQuorum) {
    sink.log("warning", "Failover election won: I'm the new master.");
    const me = myself(s);
    if (me.configEpoch < v.authEpoch) {
      s = putNode(s, { ...me, configEpoch: v.authEpoch });
      sink.log("warning", `configEpoch set to ${v.authEpoch} after successful failover`);
    }
    return replaceMyMaster(s, ctx, sink);
  }
  return logCantFailover(s, "waiting-votes", ctx, sink);
}

export function countFailoverAuthAck(
  s: ClusterState,
  senderId: string,
  senderCurrentEpoch: number,
  sink: FailoverSink,
): ClusterState {
  const sender = s.nodes.get(senderId);
  if (sender === undefined) return s;
  const v = failoverVars(s);
  if (isMaster(sender) && sender.numSlots > 0 && senderCurrentEpoch >= v.authEpoch) {
    sink.handleFailover = true;
    return withFailoverVars(s, { authCount: v.authCount + 1 });
  }
  return s;
}
