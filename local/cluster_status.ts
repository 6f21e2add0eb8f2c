/**
 * Asking the local nodes how the cluster is doing, over the client protocol: every node's
 * cluster_state, and the entry node's CLUSTER NODES. `waitClusterOk` polls until every node says
 * cluster_state:ok and every node sees every other connected, none failing, with the role that
 * node gives itself (replicas are announced by gossip a moment after CLUSTER REPLICATE), printing
 * progress (a line each time the count of ready nodes changes).
 */

import { NodeClient } from "../manager/client.ts";
import type { Out } from "../manager/format.ts";
import { type NodeLine, parseClusterNodes } from "../manager/nodes_text.ts";
import { infoField } from "../manager/topology.ts";
import type { LocalNode } from "./options.ts";

const POLL_MS = 250;

async function withClient<T>(port: number, f: (c: NodeClient) => Promise<T>): Promise<T> {
  const c = await NodeClient.connect("127.0.0.1", port, 2000);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

/** cluster_state of one node, or null when it does not answer. */
export async function clusterState(port: number): Promise<string | null> {
  try {
    return await withClient(port, async (c) => {
      const info = await c.callText("CLUSTER", "INFO");
      return infoField(info, "cluster_state");
    });
  } catch {
    return null;
  }
}

/** The node's CLUSTER NODES, parsed. */
export async function clusterNodes(port: number): Promise<NodeLine[]> {
  return await withClient(
    port,
    async (c) => parseClusterNodes(await c.callText("CLUSTER", "NODES")),
  );
}

const BAD_FLAGS = new Set(["fail", "fail?", "handshake", "noaddr"]);

/**
 * Whether every node's view holds `expected` nodes, all connected and none failing, and every
 * view agrees with each node's own line about its role (master, or replica of which master).
 * Pure; `views[i]` is node i's CLUSTER NODES (null when it did not answer).
 */
export function viewsAgree(views: readonly (NodeLine[] | null)[], expected: number): boolean {
  const role = new Map<string, string>();
  for (const v of views) {
    if (v === null) return false;
    const me = v.find((l) => l.myself);
    if (me === undefined) return false;
    role.set(me.id, me.replica ? `replica of ${me.masterId}` : "master");
  }
  for (const v of views) {
    if (v === null || v.length < expected) return false;
    for (const l of v) {
      if (l.myself) continue;
      if (l.linkState !== "connected" || l.flags.some((f) => BAD_FLAGS.has(f))) return false;
      const r = role.get(l.id);
      if (r !== undefined && r !== (l.replica ? `replica of ${l.masterId}` : "master")) {
        return false;
      }
    }
  }
  return true;
}

/**
 * Wait until every node reports cluster_state:ok and `viewsAgree` holds. Throws with what is still missing after `timeoutMs`;
 * `cancelled()` stops the wait early (Ctrl-C).
 */
export async function waitClusterOk(
  nodes: readonly LocalNode[],
  out: Out,
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastShown = "";
  for (;;) {
    if (cancelled()) throw new Error("cancelled");
    const states = await Promise.all(nodes.map((n) => clusterState(n.port)));
    const okCount = states.filter((s) => s === "ok").length;
    const views = await Promise.all(nodes.map((n) => clusterNodes(n.port).catch(() => null)));
    const healthy = viewsAgree(views, nodes.length);
    const shown = `${okCount}/${nodes.length} nodes report cluster_state:ok` +
      (okCount === nodes.length && !healthy
        ? ", waiting for every node to see the others connected and agree on roles"
        : "");
    if (shown !== lastShown) {
      out.line(`    ${shown}`);
      lastShown = shown;
    }
    if (okCount === nodes.length && healthy) return;
    if (Date.now() > deadline) {
      const bad = nodes.map((n, i) => ({ n, s: states[i] })).filter((x) => x.s !== "ok")
        .map((x) => `${x.n.addr} (${x.s ?? "no answer"})`);
      throw new Error(
        `the cluster did not reach cluster_state:ok within ${timeoutMs} ms` +
          (bad.length > 0 ? `; not ok: ${bad.join(", ")}` : "; some links are down or failing"),
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
