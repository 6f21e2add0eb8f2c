/**
 * Connecting to a node that is about to join a cluster (create, add-node) and verifying it is
 * an empty cluster node, with redis-cli's checks and error text: cluster_enabled:1, no slots,
 * no `db0:` in INFO, cluster_known_nodes:1.
 */

import { CLUSTER_PORT_INCR } from "../protocol/bus_constants.ts";
import { type Addr, formatAddr } from "./address.ts";
import type { NodeClient } from "./client.ts";
import type { NodeLine } from "./nodes_text.ts";
import { connectNode, infoField, ManagerError } from "./topology.ts";

export interface NewNode {
  addr: Addr;
  text: string;
  client: NodeClient;
  me: NodeLine;
}

export async function openEmptyNode(addr: Addr, timeoutMs: number): Promise<NewNode> {
  const { client, me } = await connectNode(addr, timeoutMs);
  try {
    const info = await client.callText("INFO");
    const clusterInfo = await client.callText("CLUSTER", "INFO");
    const known = Number(infoField(clusterInfo, "cluster_known_nodes") ?? "0");
    if (me.slots.length > 0 || info.includes("db0:") || known !== 1) {
      throw new ManagerError(
        `[ERR] Node ${formatAddr(addr)} is not empty. Either the node already knows other nodes ` +
          "(check with CLUSTER NODES) or contains some key in database 0.",
      );
    }
    return { addr, text: formatAddr(addr), client, me };
  } catch (e) {
    client.close();
    throw e;
  }
}

/** CLUSTER MEET arguments towards `to`: two, or three when its bus port is not port+10000. */
export function meetArgs(ip: string, port: number, busPort: number): (string | number)[] {
  return busPort === port + CLUSTER_PORT_INCR
    ? ["CLUSTER", "MEET", ip, port]
    : ["CLUSTER", "MEET", ip, port, busPort];
}
