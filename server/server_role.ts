/**
 * A node's role as INFO (`role:`) and HELLO (`role`) name it (server.c genRedisInfoString and
 * helloCommand: "master" unless masterhost is set; a cluster node follows its myself entry). A
 * leaf module, so HELLO does not import INFO's code (server/info.ts, imported on first INFO).
 */

import type { ClusterModePort, ReplicationRolePort } from "../commands/command_host.ts";
import type { ClusterState } from "../cluster/state.ts";
import { NodeFlags } from "../cluster/node_flags.ts";

/** "master" or "slave": a cluster node whose myself entry is a replica is a slave. */
export function serverRole(server: ReplicationRolePort & ClusterModePort): "master" | "slave" {
  if (server.replication.isReplica) return "slave";
  const cl = server.cluster;
  if (cl === null) return "master";
  return myselfIsReplica(cl.state) ? "slave" : "master";
}

/**
 * cluster/state.ts isReplica(myself(s)), without importing the cluster's code into a standalone
 * node (INFO and HELLO are served by every node).
 */
export function myselfIsReplica(s: ClusterState): boolean {
  const me = s.nodes.get(s.myselfId);
  if (me === undefined) throw new Error("cluster state without myself");
  return (me.flags & NodeFlags.SLAVE) !== 0;
}
