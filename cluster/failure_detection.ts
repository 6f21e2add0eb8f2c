/**
 * Failure detection rules of the cluster bus (Redis 7.0.15, docs/cluster-bus.md §5.4-§5.6, §2.2), as
 * pure functions over `ClusterState`:
 *
 * - `addFailureReport(s, nodeId, reporterId, nowMs)` -> { state, added }: a master reported the
 *   node PFAIL/FAIL in gossip (clusterNodeAddFailureReport: refresh the time if already there).
 * - `delFailureReport(s, nodeId, reporterId, nowMs, nodeTimeoutMs)` -> { state, removed }.
 * - `cleanupFailureReports(s, nodeId, nowMs, nodeTimeoutMs)`: drop reports older than
 *   2 × node_timeout; `failureReportCount(...)` -> { state, count } counts after cleanup.
 * - `markNodeAsFailingIfNeeded(s, nodeId, nowMs, nodeTimeoutMs, sink, cfg)`: PFAIL -> FAIL when
 *   reports + (myself master ? 1 : 0) >= size/2 + 1; logs "Marking node X as failing (quorum
 *   reached)." and adds a `broadcast` FAIL effect.
 * - `clearNodeFailureIfNeeded(s, nodeId, nowMs, nodeTimeoutMs, sink, peers)`: on a PONG from a
 *   FAIL node: replicas and slot-less masters at once, masters with slots after 2 × node_timeout
 *   (once the peer's link machine says so: `peers.failUndoable`).
 * - `applyFailMessage(s, failingId, senderKnown, senderName, nowMs, sink)`: a FAIL message.
 *
 * `sink` (bus_effects.ts) collects effects and the save/update-state todo flags.
 */

import type { BusConfig, EffectSink } from "./bus_effects.ts";
import { buildFailMessage } from "./bus_header_build.ts";
import { putNode } from "./bus_node_ops.ts";
import { type ClusterState, isMaster, isReplica, myself, NodeFlags } from "./state.ts";

/**
 * The timers of the per-peer link machines (actors/link.ts), asked by the rules (the cron in
 * cluster/bus_cron.ts, PONG handling in cluster/bus_receive.ts): the machine decides when time has
 * run out; the rule then applies Redis's comparison of timestamps at its tick or packet.
 */
export interface PeerTimers {
  /** `nodeId` has been in handshake for longer than the handshake timeout. */
  handshakeExpired(nodeId: string): boolean;
  /** No PING in flight to `nodeId`, and its last PONG is node_timeout / 2 old (or older). */
  pingDue(nodeId: string): boolean;
  /** The PING in flight to `nodeId` has gone unanswered for node_timeout / 2 (or longer). */
  pongLate(nodeId: string): boolean;
  /** The PING in flight to `nodeId` has gone unanswered for node_timeout. */
  pongOverdue(nodeId: string): boolean;
  /** `nodeId` has been FAIL for node_timeout × FAIL_UNDO_TIME_MULT. */
  failUndoable(nodeId: string): boolean;
}

/** Failure reports are valid for node_timeout × this (CLUSTER_FAIL_REPORT_VALIDITY_MULT). */
export const FAIL_REPORT_VALIDITY_MULT = 2;
/** A FAIL master with slots is cleared after node_timeout × this (CLUSTER_FAIL_UNDO_TIME_MULT). */
export const FAIL_UNDO_TIME_MULT = 2;

export function addFailureReport(
  s: ClusterState,
  nodeId: string,
  reporterId: string,
  nowMs: number,
): { state: ClusterState; added: boolean } {
  const n = s.nodes.get(nodeId)!;
  const i = n.failReports.findIndex((r) => r.reporterId === reporterId);
  if (i >= 0) {
    const failReports = n.failReports.slice();
    failReports[i] = { reporterId, timeMs: nowMs };
    return { state: putNode(s, { ...n, failReports }), added: false };
  }
  const failReports = [...n.failReports, { reporterId, timeMs: nowMs }];
  return { state: putNode(s, { ...n, failReports }), added: true };
}

export function cleanupFailureReports(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  nodeTimeoutMs: number,
): ClusterState {
  const n = s.nodes.get(nodeId)!;
  const maxAge = nodeTimeoutMs * FAIL_REPORT_VALIDITY_MULT;
  if (!n.failReports.some((r) => nowMs - r.timeMs > maxAge)) return s;
  return putNode(s, { ...n, failReports: n.failReports.filter((r) => nowMs - r.timeMs <= maxAge) });
}

export function failureReportCount(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  nodeTimeoutMs: number,
): { state: ClusterState; count: number } {
  const next = cleanupFailureReports(s, nodeId, nowMs, nodeTimeoutMs);
  return { state: next, count: next.nodes.get(nodeId)!.failReports.length };
}

export function delFailureReport(
  s: ClusterState,
  nodeId: string,
  reporterId: string,
  nowMs: number,
  nodeTimeoutMs: number,
): { state: ClusterState; removed: boolean } {
  const n = s.nodes.get(nodeId)!;
  if (!n.failReports.some((r) => r.reporterId === reporterId)) return { state: s, removed: false };
  const next = putNode(s, {
    ...n,
    failReports: n.failReports.filter((r) => r.reporterId !== reporterId),
  });
  return { state: cleanupFailureReports(next, nodeId, nowMs, nodeTimeoutMs), removed: true };
}

export function markNodeAsFailingIfNeeded(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  cfg: BusConfig,
  sink: EffectSink,
): ClusterState {
  const n = s.nodes.get(nodeId)!;
  const neededQuorum = Math.floor(s.size / 2) + 1;
  if (!(n.flags & NodeFlags.PFAIL)) return s;
  if (n.flags & NodeFlags.FAIL) return s;
  const r = failureReportCount(s, nodeId, nowMs, cfg.nodeTimeoutMs);
  let failures = r.count;
  if (isMaster(myself(r.state))) failures++;
  if (failures < neededQuorum) return r.state;
  sink.log("notice", `Marking node ${nodeId} as failing (quorum reached).`);
  const m = r.state.nodes.get(nodeId)!;
  const next = putNode(r.state, {
    ...m,
    flags: (m.flags & ~NodeFlags.PFAIL) | NodeFlags.FAIL,
    failTimeMs: nowMs,
  });
  sink.push({ kind: "broadcast", message: buildFailMessage(next, nodeId, cfg) });
  sink.todo(true, true);
  return next;
}

export function clearNodeFailureIfNeeded(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  nodeTimeoutMs: number,
  sink: EffectSink,
  peers: Pick<PeerTimers, "failUndoable">,
): ClusterState {
  let n = s.nodes.get(nodeId)!;
  if (!(n.flags & NodeFlags.FAIL)) throw new Error(`clearNodeFailureIfNeeded: ${nodeId} not FAIL`);
  let next = s;
  if (isReplica(n) || n.numSlots === 0) {
    sink.log(
      "notice",
      `Clear FAIL state for node ${nodeId}: ${
        isReplica(n) ? "replica" : "master without slots"
      } is reachable again.`,
    );
    n = { ...n, flags: n.flags & ~NodeFlags.FAIL };
    next = putNode(next, n);
    sink.todo(true, true);
  }
  if (
    isMaster(n) && n.numSlots > 0 &&
    nowMs - n.failTimeMs > nodeTimeoutMs * FAIL_UNDO_TIME_MULT && peers.failUndoable(nodeId)
  ) {
    sink.log(
      "notice",
      `Clear FAIL state for node ${nodeId}: is reachable again and nobody is serving its slots after some time.`,
    );
    n = { ...n, flags: n.flags & ~NodeFlags.FAIL };
    next = putNode(next, n);
    sink.todo(true, true);
  }
  return next;
}

/** §2.2: a FAIL message about `failingId`; `senderId` null when the sender is unknown. */
export function applyFailMessage(
  s: ClusterState,
  senderName: string,
  senderId: string | null,
  failingId: string,
  nowMs: number,
  sink: EffectSink,
): ClusterState {
  if (senderId === null) {
    sink.log("notice", `Ignoring FAIL message from unknown node ${senderName} about ${failingId}`);
    return s;
  }
  const failing = failingId.length === 40 ? s.nodes.get(failingId) : undefined;
  if (failing === undefined || (failing.flags & (NodeFlags.FAIL | NodeFlags.MYSELF))) return s;
  sink.log("notice", `FAIL message received from ${senderName} about ${failingId}`);
  sink.todo(true, true);
  return putNode(s, {
    ...failing,
    flags: (failing.flags | NodeFlags.FAIL) & ~NodeFlags.PFAIL,
    failTimeMs: nowMs,
  });
}
