/**
 * The manual failover's state as other failover steps see it (Redis 7.0.15 cluster.c), pure:
 *
 * - `headerPaused(s)`: the PAUSED header flag (clusterBuildMessageHdr: a master with mf_end set).
 * - `resetManualFailover(s, sink)`: resetManualFailover: clear mf_end, mf_can_start, the
 *   replica, the master's offset and id; a paused master un-pauses (`unpauseWrites`).
 */

import { type FailoverSink, failoverVars, withFailoverVars } from "./failover_types.ts";
import { type ClusterState, isMaster, myself } from "./state.ts";

/** clusterBuildMessageHdr: PAUSED on every packet of a master during a manual failover. */
export function headerPaused(s: ClusterState): boolean {
  return isMaster(myself(s)) && failoverVars(s).mfEndMs !== 0;
}

export function resetManualFailover(s: ClusterState, sink: FailoverSink): ClusterState {
  const v = failoverVars(s);
  if (v.mfReplicaId !== null) sink.push({ kind: "unpauseWrites" });
  if (
    v.mfEndMs === 0 && !v.mfCanStart && v.mfReplicaId === null && v.mfMasterOffset === -1 &&
    v.mfMasterId === null
  ) return s;
  return withFailoverVars(s, {
    mfEndMs: 0,
    mfCanStart: false,
    mfReplicaId: null,
    mfMasterOffset: -1,
    mfMasterId: null,
  });
}
