/**
 * `del-node host:port node-id`, as redis-cli --cluster del-node: the node must own no slots;
 * every other node first moves off it if it replicates it (to the master with the fewest
 * replicas), then FORGETs it; finally the node itself gets CLUSTER RESET SOFT.
 */

import { parseAddr } from "./address.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { closeCluster, findNode, loadCluster, ManagerError, masters } from "./topology.ts";

export const delNodeCommand: ManagerCommand = {
  name: "del-node",
  synopsis: "del-node host:port node-id",
  help: `Remove a node from a cluster (as redis-cli --cluster del-node). host:port is any node of
the cluster; node-id the node to remove, which must own no slots (move them away first with
reshard). Its replicas are moved to other masters; the removed node is reset (CLUSTER RESET
SOFT) and left empty and alone.`,
  options: {},
  minPositionals: 2,
  maxPositionals: 2,
  async run(p, out) {
    const id = p.positionals[1];
    out.line(`>>> Removing node ${id} from cluster ${p.positionals[0]}`, "info");
    const cluster = await loadCluster(parseAddr(p.positionals[0]));
    try {
      const victim = findNode(cluster, id);
      if (victim === undefined) {
        out.line(`[ERR] No such node ID ${id}`, "err");
        return EXIT_FAIL;
      }
      if (victim.slots.length > 0) {
        out.line(`[ERR] Node ${victim.addr} is not empty! Reshard data away and try again.`, "err");
        return EXIT_FAIL;
      }
      out.line(">>> Sending CLUSTER FORGET messages to the cluster...", "info");
      for (const n of cluster.nodes) {
        if (n === victim) continue;
        if (n.replica && n.masterId === victim.id) {
          const candidates = masters(cluster).filter((m) => m !== victim && m !== n);
          const target = candidates.sort((a, b) => a.replicasCount - b.replicasCount)[0];
          if (target === undefined) {
            throw new ManagerError(`[ERR] No master left for replica ${n.addr}`);
          }
          out.line(`>>> ${n.addr} as replica of ${target.addr}`, "info");
          const r = await n.client.send(["CLUSTER", "REPLICATE", target.id]);
          if (r.type === "error") {
            throw new ManagerError(`[ERR] CLUSTER REPLICATE on ${n.addr} failed: ${r.value}`);
          }
          target.replicasCount++;
        }
        const r = await n.client.send(["CLUSTER", "FORGET", victim.id]);
        if (r.type === "error") {
          throw new ManagerError(`[ERR] CLUSTER FORGET on ${n.addr} failed: ${r.value}`);
        }
      }
      out.line(">>> Sending CLUSTER RESET SOFT to the deleted node.", "info");
      const r = await victim.client.send(["CLUSTER", "RESET", "SOFT"]);
      if (r.type === "error") {
        throw new ManagerError(`[ERR] CLUSTER RESET SOFT on ${victim.addr} failed: ${r.value}`);
      }
      return EXIT_OK;
    } finally {
      closeCluster(cluster);
    }
  },
};
