/**
 * Replica migration (Redis 7.0.15 clusterHandleSlaveMigration and the orphaned-master scan of
 * clusterCron; docs/cluster-bus.md §6.4), pure.
 *
 * - `scanOrphanedMasters(s)` -> { orphanedMasters, maxReplicas, myMasterReplicas }: the cron's
 *   per-node scan (only on a replica; nodes other than myself, NOADDR and HANDSHAKE): among
 *   masters that are not FAIL, count those with slots, MIGRATE_TO and no non-FAIL replica
 *   (orphaned), the largest number of non-FAIL replicas, and my master's number.
 * - `shouldConsiderMigration(scan, allowReplicaMigration)`: orphaned masters exist, the max is
 *   >= 2 and my master has it, and cluster-allow-replica-migration is yes.
 * - `handleReplicaMigration(s, maxReplicas, ctx, sink)` -> state: cluster state OK; my master has
 *   more than cluster-migration-barrier working replicas (neither FAIL nor PFAIL); the candidate
 *   is the replica with the smallest name among all replicas of the masters with `maxReplicas`
 *   non-FAIL replicas (myself included); the target is the first orphaned master (in node order)
 *   with slots; orphaned_time is tracked per master (set when first seen orphaned, reset when
 *   not); if myself is the candidate and the target has been orphaned for more than 5000 ms:
 *   "Migrating to orphaned master X", become its replica (`replicate` effect, manual failover
 *   reset, config saved).
 */

import { REPLICA_MIGRATION_DELAY_MS } from "../protocol/bus.ts";
import { setMyMaster } from "./bus_node_ops.ts";
import {
  type FailoverContext,
  type FailoverSink,
  failoverVars,
  withFailoverVars,
} from "./failover_types.ts";
import { resetManualFailover } from "./manual_failover_state.ts";
import {
  type ClusterNode,
  type ClusterState,
  isFailed,
  isMaster,
  isReplica,
  isTimedOut,
  myself,
  NodeFlags,
  replicasOf,
} from "./state.ts";

export interface OrphanScan {
  orphanedMasters: number;
  maxReplicas: number;
  myMasterReplicas: number;
}

/** clusterCountNonFailingSlaves. */
export function countNonFailingReplicas(s: ClusterState, masterId: string): number {
  let n = 0;
  for (const r of replicasOf(s, masterId)) if (!isFailed(r)) n++;
  return n;
}

/** The last scan of each node map (the scan runs every cron tick; most ticks change no node). */
const scans = new WeakMap<ClusterState["nodes"], { myselfId: string; scan: OrphanScan }>();

export function scanOrphanedMasters(s: ClusterState): OrphanScan {
  const cached = scans.get(s.nodes);
  if (cached !== undefined && cached.myselfId === s.myselfId) return { ...cached.scan };
  const out: OrphanScan = { orphanedMasters: 0, maxReplicas: 0, myMasterReplicas: 0 };
  const me = myself(s);
  if (!isReplica(me)) return out;
  // countNonFailingReplicas of every master, in one pass over the nodes (Redis walks each
  // master's own slaves array).
  const nonFailing = new Map<string, number>();
  for (const r of s.nodes.values()) {
    if (r.masterId !== null && isReplica(r) && !isFailed(r)) {
      nonFailing.set(r.masterId, (nonFailing.get(r.masterId) ?? 0) + 1);
    }
  }
  for (const node of s.nodes.values()) {
    if (node.flags & (NodeFlags.MYSELF | NodeFlags.NOADDR | NodeFlags.HANDSHAKE)) continue;
    if (!isMaster(node) || isFailed(node)) continue;
    const ok = nonFailing.get(node.id) ?? 0;
    if (ok === 0 && node.numSlots > 0 && (node.flags & NodeFlags.MIGRATE_TO)) {
      out.orphanedMasters++;
    }
    if (ok > out.maxReplicas) out.maxReplicas = ok;
    if (me.masterId === node.id) out.myMasterReplicas = ok;
  }
  scans.set(s.nodes, { myselfId: s.myselfId, scan: { ...out } });
  return out;
}

export function shouldConsiderMigration(scan: OrphanScan, allowReplicaMigration: boolean): boolean {
  return scan.orphanedMasters > 0 && scan.maxReplicas >= 2 &&
    scan.myMasterReplicas === scan.maxReplicas && allowReplicaMigration;
}

export function handleReplicaMigration(
  s0: ClusterState,
  maxReplicas: number,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  let s = s0;
  if (s.health !== "ok") return s;
  const me = myself(s);
  if (me.masterId === null) return s;
  let okReplicas = 0;
  for (const r of replicasOf(s, me.masterId)) if (!isFailed(r) && !isTimedOut(r)) okReplicas++;
  if (okReplicas <= ctx.migrationBarrier) return s;

  let candidate: ClusterNode = me;
  let target: ClusterNode | null = null;
  const orphaned = new Map(failoverVars(s).orphanedTimeMs);
  for (const node of s.nodes.values()) {
    let ok = 0;
    let isOrphaned = !(isReplica(node) || isFailed(node)) &&
      (node.flags & NodeFlags.MIGRATE_TO) !== 0;
    if (isMaster(node)) ok = countNonFailingReplicas(s, node.id);
    if (ok > 0) isOrphaned = false;
    if (isOrphaned) {
      if (target === null && node.numSlots > 0) target = node;
      if (!orphaned.has(node.id)) orphaned.set(node.id, ctx.nowMs);
    } else {
      orphaned.delete(node.id);
    }
    if (ok === maxReplicas) {
      for (const r of replicasOf(s, node.id)) if (r.id < candidate.id) candidate = r;
    }
  }
  // Entries of nodes that left the state go too (bounded by the node count).
  for (const id of orphaned.keys()) if (!s.nodes.has(id)) orphaned.delete(id);
  s = withFailoverVars(s, { orphanedTimeMs: orphaned });

  if (
    target !== null && candidate.id === me.id &&
    ctx.nowMs - orphaned.get(target.id)! > REPLICA_MIGRATION_DELAY_MS && !ctx.moduleNoFailover
  ) {
    sink.log("warning", `Migrating to orphaned master ${target.id}`);
    s = setMyMaster(s, target.id);
    sink.push({ kind: "replicate", masterId: target.id });
    s = resetManualFailover(s, sink);
    // Redis saves nodes.conf later, on the next config change; saving now is equivalent.
    sink.todo(true, true);
  }
  return s;
}
