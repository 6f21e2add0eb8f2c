/**
 * The one place where the cluster talks to data replication (replication/replication.ts, owned
 * by the replication issue): what the failover rules need to know (offset, link status) and the
 * two role changes the bus asks for (replicationSetMaster / replicationUnsetMaster).
 *
 * It reads only a few members of `server.replication` (the port `ReplicationHost`):
 * `masterReplOffset`, `masterHost`, `masterPort`, `link.state`, `link.lastIoMs`,
 * `link.downSinceMs`, and calls `replicaOf(host, port)` / `replicaOfNoOne()`.
 */

import type { ReplicationStatus } from "./failover_types.ts";
import { type ClusterState, isReplica, myself } from "./state.ts";

/** The members of server.replication the cluster uses (structural, so either side may evolve). */
export interface ReplicationApi {
  masterReplOffset: number;
  masterHost: string | null;
  masterPort: number;
  link: { state: string; lastIoMs: number; downSinceMs: number } | null;
  replicaOf(host: string, port: number): unknown;
  replicaOfNoOne(): void;
}

/** What the adapter needs of the server: its replication. */
export interface ReplicationHost {
  readonly replication: ReplicationApi;
}

/** This node's replication offset (master_repl_offset, or the replica's processed offset). */
export function replicationOffset(server: ReplicationHost): number {
  return server.replication.masterReplOffset;
}

/** The replica's link to its master as the failover rules see it. */
export function replicationStatus(
  server: ReplicationHost,
): ReplicationStatus {
  const link = server.replication.link;
  const up = link !== null && link.state === "connected";
  if (up) return { linkUp: true, lastInteractionMs: link.lastIoMs, downSinceMs: 0 };
  // repl_down_since: 0 = never connected.
  const since = link === null || link.downSinceMs < 0 ? 0 : link.downSinceMs;
  return { linkUp: false, lastInteractionMs: link?.lastIoMs ?? 0, downSinceMs: since };
}

/**
 * replicationSetMaster towards myself's master in `s`, if replication does not already point at
 * its address (clusterCron does the same check every tick). Returns true if it changed anything.
 */
export function followMyMaster(server: ReplicationHost, s: ClusterState): boolean {
  const r = server.replication;
  const me = myself(s);
  if (!isReplica(me) || me.masterId === null) return false;
  const m = s.nodes.get(me.masterId);
  if (m === undefined || m.ip === "" || m.port === 0) return false;
  if (r.masterHost === m.ip && r.masterPort === m.port) return false;
  r.replicaOf(m.ip, m.port);
  return true;
}

/** replicationUnsetMaster: stop replicating, keep the data, accept writes. */
export function stopReplicating(server: ReplicationHost): void {
  const r = server.replication;
  if (r.masterHost !== null) r.replicaOfNoOne();
}
