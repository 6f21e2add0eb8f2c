/**
 * Loading a cluster from an entry node, as redis-cli --cluster does (redis-cli.c clusterManagerLoadInfoFromNode):
 * INFO (cluster_enabled:1), CLUSTER NODES on the entry, then a connection to every other node
 * named there, using only each node's own "myself" line (flags, master, slots, open slots).
 * Nodes flagged noaddr/disconnected/fail, or that cannot be reached, are left out; a master
 * left out counts as unreachable.
 */

import { type Addr, formatAddr } from "./address.ts";
import { NodeClient } from "./client.ts";
import {
  configSignature,
  isUnreachable,
  myselfLine,
  type NodeLine,
  parseClusterNodes,
} from "./nodes_text.ts";

export interface ClusterNode {
  host: string;
  port: number;
  addr: string;
  id: string;
  busPort: number;
  replica: boolean;
  masterId: string | null;
  flags: string[];
  configEpoch: number;
  slots: number[];
  migrating: Map<number, string>;
  importing: Map<number, string>;
  /** Filled by loadCluster from the other nodes' lines. */
  replicasCount: number;
  client: NodeClient;
}

export interface Cluster {
  entry: ClusterNode;
  /** The entry node first, then the others in the entry's CLUSTER NODES order. */
  nodes: ClusterNode[];
  unreachableMasters: number;
  /** Nodes named by the entry that could not be loaded, with the reason. */
  skipped: string[];
}

export class ManagerError extends Error {
  override name = "ManagerError";
}

/** Value of an INFO field read as redis-cli does (up to '\r' or ','). */
export function infoField(info: string, field: string): string | null {
  const at = info.indexOf(`${field}:`);
  if (at < 0) return null;
  const from = at + field.length + 1;
  let end = from;
  while (end < info.length && info[end] !== "\r" && info[end] !== "\n" && info[end] !== ",") end++;
  return info.slice(from, end);
}

/** Connect and verify cluster mode; returns the client and the node's own line. */
export async function connectNode(
  addr: Addr,
  timeoutMs: number,
): Promise<{ client: NodeClient; me: NodeLine; lines: NodeLine[] }> {
  const client = await NodeClient.connect(addr.host, addr.port, timeoutMs);
  try {
    const info = await client.callText("INFO");
    if (Number(infoField(info, "cluster_enabled") ?? "0") === 0) {
      throw new ManagerError(`[ERR] Node ${formatAddr(addr)} is not configured as a cluster node.`);
    }
    const lines = parseClusterNodes(await client.callText("CLUSTER", "NODES"));
    return { client, me: myselfLine(lines), lines };
  } catch (e) {
    client.close();
    throw e;
  }
}

function toNode(addr: Addr, me: NodeLine, client: NodeClient): ClusterNode {
  return {
    host: addr.host,
    port: addr.port,
    addr: formatAddr(addr),
    id: me.id,
    busPort: me.busPort,
    replica: me.replica,
    masterId: me.masterId,
    flags: me.flags,
    configEpoch: me.configEpoch,
    slots: me.slots,
    migrating: me.migrating,
    importing: me.importing,
    replicasCount: 0,
    client,
  };
}

/** Load the cluster as redis-cli does; the caller must closeCluster() it. */
export async function loadCluster(entryAddr: Addr, timeoutMs = 10_000): Promise<Cluster> {
  const { client, me, lines } = await connectNode(entryAddr, timeoutMs);
  const entry = toNode(entryAddr, me, client);
  const cluster: Cluster = { entry, nodes: [entry], unreachableMasters: 0, skipped: [] };
  for (const l of lines) {
    if (l.myself) continue;
    const addr = { host: l.ip, port: l.port };
    const isMaster = !l.replica;
    if (isUnreachable(l) || l.ip === "" || l.flags.some((f) => f.includes("handshake"))) {
      if (isMaster && !l.flags.some((f) => f.includes("handshake"))) cluster.unreachableMasters++;
      continue;
    }
    try {
      const c = await NodeClient.connect(addr.host, addr.port, timeoutMs);
      try {
        const own = myselfLine(parseClusterNodes(await c.callText("CLUSTER", "NODES")));
        cluster.nodes.push(toNode(addr, own, c));
      } catch (e) {
        c.close();
        throw e;
      }
    } catch (e) {
      cluster.skipped.push(`${formatAddr(addr)}: ${(e as Error).message}`);
      if (isMaster) cluster.unreachableMasters++;
    }
  }
  for (const n of cluster.nodes) {
    n.replicasCount = cluster.nodes.filter((r) => r.replica && r.masterId === n.id).length;
  }
  return cluster;
}

export function closeCluster(c: Cluster): void {
  for (const n of c.nodes) n.client.close();
}

export function masters(c: Cluster): ClusterNode[] {
  return c.nodes.filter((n) => !n.replica);
}

/** Find a node by ID, or by an unambiguous ID prefix (as redis-cli accepts for some options). */
export function findNode(c: Cluster, id: string): ClusterNode | undefined {
  const exact = c.nodes.find((n) => n.id === id);
  if (exact) return exact;
  const lower = id.toLowerCase();
  const matches = c.nodes.filter((n) => n.id.startsWith(lower));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Each node's signature of the slot configuration, from a fresh CLUSTER NODES. */
export async function signatures(
  nodes: readonly ClusterNode[],
): Promise<{ node: ClusterNode; signature: string; lines: NodeLine[] }[]> {
  return await Promise.all(nodes.map(async (node) => {
    const lines = parseClusterNodes(await node.client.callText("CLUSTER", "NODES"));
    return { node, signature: configSignature(lines), lines };
  }));
}
