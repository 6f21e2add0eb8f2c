/**
 * The master side of a failover election (Redis 7.0.15 clusterSendFailoverAuthIfNeeded,
 * docs/cluster-bus.md §6.2), pure:
 *
 * - `checkFailoverVote(s, requesterId, request, nowMs, nodeTimeoutMs)` -> `{ vote: true }` or
 *   `{ vote: false, reason }` with Redis's exact "Failover auth denied to ..." log text, or
 *   `reason: null` when Redis refuses silently (myself is a replica or owns no slot).
 * - `handleFailoverAuthRequest(s, requesterId, request, ctx, sink)` -> state: on a vote,
 *   lastVoteEpoch = currentEpoch, the requester's master's voted_time = now, save + fsync
 *   (sink todo), a FAILOVER_AUTH_ACK `send` effect to the requester (its outbound link), and
 *   "Failover auth granted to X for epoch N".
 *
 * Rules, in Redis's order: (1) myself is a master owning at least one slot; (2) the request's
 * currentEpoch >= ours (ours was already raised by this same packet's header); (3) at most one
 * vote per epoch (lastVoteEpoch != currentEpoch); (4) the requester is a replica with a known
 * master that is FAIL, unless the request has FORCEACK; (5) no vote for a replica of that same
 * master within 2 × node_timeout; (6) every claimed slot is unclaimed or served by a node whose
 * configEpoch <= the request's configEpoch.
 */

import { type BusHeader, MSGFLAG0_FORCEACK } from "../protocol/bus.ts";
import { buildHeader } from "./bus_header_build.ts";
import { isSlotUnclaimed } from "./bus_node_ops.ts";
import {
  type FailoverContext,
  FailoverSink,
  failoverVars,
  withFailoverVars,
} from "./failover_types.ts";
import { headerPaused } from "./manual_failover_state.ts";
import {
  CLUSTER_SLOTS,
  type ClusterState,
  isFailed,
  isMaster,
  isReplica,
  myself,
  slotBit,
} from "./state.ts";

export type VoteCheck = { vote: true } | { vote: false; reason: string | null };

/** The header fields of a FAILOVER_AUTH_REQUEST a voter looks at. */
export type AuthRequestHeader = Pick<
  BusHeader,
  "currentEpoch" | "configEpoch" | "myslots" | "mflags"
>;

export function checkFailoverVote(
  s: ClusterState,
  requesterId: string,
  request: AuthRequestHeader,
  nowMs: number,
  nodeTimeoutMs: number,
): VoteCheck {
  const me = myself(s);
  const node = s.nodes.get(requesterId);
  if (node === undefined) return { vote: false, reason: null };
  const reqCurrentEpoch = Number(request.currentEpoch);
  const reqConfigEpoch = Number(request.configEpoch);
  const forceAck = (request.mflags & MSGFLAG0_FORCEACK) !== 0;
  const deny = (why: string): VoteCheck => ({
    vote: false,
    reason: `Failover auth denied to ${node.id}: ${why}`,
  });

  if (isReplica(me) || me.numSlots === 0) return { vote: false, reason: null };
  if (reqCurrentEpoch < s.currentEpoch) {
    return deny(`reqEpoch (${reqCurrentEpoch}) < curEpoch(${s.currentEpoch})`);
  }
  if (s.lastVoteEpoch === s.currentEpoch) {
    return deny(`already voted for epoch ${s.currentEpoch}`);
  }
  const master = node.masterId === null ? undefined : s.nodes.get(node.masterId);
  if (isMaster(node)) return deny("it is a master node");
  if (master === undefined) return deny("I don't know its master");
  if (!isFailed(master) && !forceAck) return deny("its master is up");
  const voted = failoverVars(s).votedTimeMs.get(master.id) ?? 0;
  if (nowMs - voted < nodeTimeoutMs * 2) {
    return deny(
      `can't vote about this master before ${nodeTimeoutMs * 2 - (nowMs - voted)} milliseconds`,
    );
  }
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!slotBit(request.myslots, j)) continue;
    if (isSlotUnclaimed(s, j)) continue;
    const ownerEpoch = s.nodes.get(s.slotOwner.get(j)!)!.configEpoch;
    if (ownerEpoch <= reqConfigEpoch) continue;
    return deny(`slot ${j} epoch (${ownerEpoch}) > reqEpoch (${reqConfigEpoch})`);
  }
  return { vote: true };
}

export function handleFailoverAuthRequest(
  s: ClusterState,
  requesterId: string,
  request: AuthRequestHeader,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  const check = checkFailoverVote(s, requesterId, request, ctx.nowMs, ctx.nodeTimeoutMs);
  if (!check.vote) {
    if (check.reason !== null) sink.log("warning", check.reason);
    return s;
  }
  const masterId = s.nodes.get(requesterId)!.masterId!;
  const voted = new Map(failoverVars(s).votedTimeMs);
  voted.set(masterId, ctx.nowMs);
  let next: ClusterState = { ...s, lastVoteEpoch: s.currentEpoch };
  next = withFailoverVars(next, { votedTimeMs: voted });
  sink.todo(true, false, true);
  sink.push({
    kind: "send",
    to: requesterId,
    message: {
      type: "FAILOVER_AUTH_ACK",
      header: buildHeader(next, { ...ctx, paused: headerPaused(next) }),
    },
  });
  sink.log("warning", `Failover auth granted to ${requesterId} for epoch ${next.currentEpoch}`);
  return next;
}
