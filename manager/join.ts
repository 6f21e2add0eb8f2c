/**
 * Waiting for nodes to agree, as redis-cli's "Waiting for the cluster to join" does: poll
 * CLUSTER NODES on every node once per interval until every node prints the same slot
 * signature and no node still has a peer in handshake (plus any extra condition). Unlike
 * redis-cli this gives up after a timeout, with a diagnosis.
 */

import type { Out } from "./format.ts";
import { ManagerError } from "./topology.ts";
import type { NodeClient } from "./client.ts";
import { configSignature, inHandshake, type NodeLine, parseClusterNodes } from "./nodes_text.ts";

export interface JoinTarget {
  addr: string;
  client: NodeClient;
}

export interface JoinOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Extra condition over every node's parsed CLUSTER NODES. */
  extra?: (views: NodeLine[][]) => boolean;
  /** Also require every node to know `expectedNodes` non-handshake nodes. */
  expectedNodes?: number;
}

export async function waitForJoin(
  nodes: readonly JoinTarget[],
  out: Out,
  opts: JoinOptions,
): Promise<void> {
  const interval = opts.intervalMs ?? 1000;
  const deadline = Date.now() + opts.timeoutMs;
  out.write("Waiting for the cluster to join\n");
  let lastProblem = "";
  for (let attempt = 0;; attempt++) {
    const views = await Promise.all(
      nodes.map(async (n) => parseClusterNodes(await n.client.callText("CLUSTER", "NODES"))),
    );
    const sigs = views.map(configSignature);
    const problems: string[] = [];
    const notes: string[] = [];
    if (!sigs.every((s) => s === sigs[0])) {
      const odd = nodes.filter((_, i) => sigs[i] !== sigs[0]).map((n) => n.addr);
      problems.push(`slot configuration differs from ${nodes[0].addr} on ${odd.join(", ")}`);
    }
    views.forEach((v, i) => {
      const hs = v.filter(inHandshake);
      if (hs.length > 0) problems.push(`${nodes[i].addr} has ${hs.length} node(s) in handshake`);
      if (opts.expectedNodes !== undefined && v.length < opts.expectedNodes) {
        problems.push(`${nodes[i].addr} knows ${v.length} of ${opts.expectedNodes} nodes`);
      }
      const down = v.filter((l) => l.linkState === "disconnected" && !l.myself);
      if (down.length > 0) notes.push(`${nodes[i].addr} has ${down.length} disconnected link(s)`);
    });
    if (problems.length === 0 && (opts.extra === undefined || opts.extra(views))) {
      out.write(attempt > 0 ? "\n" : "");
      return;
    }
    lastProblem = [...problems, ...notes].join("; ") || "waiting for the nodes to settle";
    if (Date.now() + interval > deadline) {
      out.write("\n");
      throw new ManagerError(
        `[ERR] The cluster did not join within ${opts.timeoutMs} ms: ${lastProblem}`,
      );
    }
    out.write(".");
    if (attempt > 0 && attempt % 20 === 0) out.write(`\n(still waiting: ${lastProblem})\n`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
