/**
 * Failure detection rules of the cluster bus (Redis 7.0.15, docs/cluster-bus.md §5.4-§5.6, §2.2), as
 * pure functions over `ClusterState`:
 *
 * - `addFailureReport(s, nodeId, reporterId, nowMs)` -> { state, added }: a master reported the
 *   node PFAIL/FAIL in gossip (clusterNodeAddFailureReport: refresh the time if already there).
 * - `delFailureReport(s, nodeId, reporterId, nowMs, nodeTimeoutMs)` -> { state, removed }.
 * - `cleanupFailureReports(s, nodeId, nowMs, nodeTimeoutMs)`: drop reports older than
 *   2 × node_timeout; `failureReportCount(...)` -> { state, count } counts after cleanup.
 * - `markNodeAsFailingIfNeeded(s, nodeId, nowMs, cfg, sink)`: PFAIL -> FAIL when
 *   reports + (myself master ? 1 : 0) >= size/2 + 1; logs "Marking node X as failing (quorum
 *   reached)." and adds a `broadcast` FAIL effect.
 * - `clearNodeFailureIfNeeded(s, nodeId, nowMs, clock, sink)`: on a PONG from a FAIL node:
 *   replicas and slot-less masters at once, masters with slots after 2 × node_timeout (once the
 *   peer's link is in `fail.undoable`).
 * - `applyFailMessage(s, senderName, senderId, failingId, nowMs, clock, sink)`: a FAIL message.
 *
 * FAIL is set and cleared as an event of the peer's link (cluster/peer_link.ts `stepPeerLink`),
 * at `clock` (the node's timer clock and node timeout). `sink` (bus_effects.ts) collects effects
 * and the save/update-state todo flags.
 */

import type { BusConfig, EffectSink } from "./bus_effects.ts";
import { buildFailMessage } from "./bus_header_build.ts";
import { FAIL_REPORT_VALIDITY_MULT, FAIL_UNDO_TIME_MULT } from "../protocol/bus_constants.ts";
import { putNode } from "./bus_node_ops.ts";
import { type ClusterState, isMaster, isReplica, myself, NodeFlags } from "./state.ts";
import { type LinkClock, stepPeerLink } from "./peer_link.ts";
import { failUndoable } from "../actors/link_state.ts";

/** Defined once in protocol/bus_constants.ts (CLUSTER_FAIL_REPORT_VALIDITY_MULT, _UNDO_TIME_MULT). */
export { FAIL_REPORT_VALIDITY_MULT, FAIL_UNDO_TIME_MULT };

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
  cfg: BusConfig & LinkClock,
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
  const next = putNode(r.state, { ...stepPeerLink(m, { type: "FAIL" }, cfg), failTimeMs: nowMs });
  sink.push({ kind: "broadcast", message: buildFailMessage(next, nodeId, cfg) });
  sink.todo(true, true);
  return next;
}

export function clearNodeFailureIfNeeded(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  clock: LinkClock,
  sink: EffectSink,
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
    n = stepPeerLink(n, { type: "FAIL_CLEARED" }, clock);
    next = putNode(next, n);
    sink.todo(true, true);
  }
  if (
    isMaster(n) && n.numSlots > 0 &&
    nowMs - n.failTimeMs > clock.nodeTimeoutMs * FAIL_UNDO_TIME_MULT &&
    failUndoable(n.link, clock.timerNowMs)
  ) {
    sink.log(
      "notice",
      `Clear FAIL state for node ${nodeId}: is reachable again and nobody is serving its slots after some time.`,
    );
    n = stepPeerLink(n, { type: "FAIL_CLEARED" }, clock);
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
  clock: LinkClock,
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
  return putNode(s, { ...stepPeerLink(failing, { type: "FAIL" }, clock), failTimeMs: nowMs });
}
