/**
 * The cluster check redis-cli --cluster runs before (and after) every change, and the `check`
 * subcommand: show the nodes, then "All nodes agree", open slots, slot coverage. Returns false
 * (the subcommand exits 1) when anything is wrong.
 */

import { checkVerdict, rangesText } from "./check_rules.ts";
import { bufferedOut, nodeInfo, type Out } from "./format.ts";
import {
  closeCluster,
  type Cluster,
  type ClusterNode,
  loadCluster,
  signatures,
} from "./topology.ts";
import { type Addr, parseAddr } from "./address.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { showInfo } from "./info.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";

/** One loaded node as redis-cli prints it (clusterManagerNodeInfo). */
export function loadedNodeInfo(n: ClusterNode, indent = 0): string {
  return nodeInfo({
    id: n.id,
    addr: n.addr,
    replica: n.replica,
    replicate: n.replica ? n.masterId : null,
    slots: n.slots,
    replicasCount: n.replicasCount,
  }, indent);
}

/** Print every loaded node the way clusterManagerShowNodes does. */
export function showNodes(cluster: Cluster, out: Out, indent = 0): void {
  for (const n of cluster.nodes) out.line(loadedNodeInfo(n, indent));
}

export async function checkCluster(
  cluster: Cluster,
  out: Out,
  opts: { quiet?: boolean } = {},
): Promise<boolean> {
  out.line(`>>> Performing Cluster Check (using node ${cluster.entry.addr})`, "info");
  if (!opts.quiet) showNodes(cluster, out);
  for (const s of cluster.skipped) out.line(`[WARNING] Could not load node ${s}`, "warn");
  if (cluster.unreachableMasters > 0) {
    out.line(
      `[WARNING] ${cluster.unreachableMasters} unreachable master(s) left out of the check.`,
      "warn",
    );
  }
  const sigs = await signatures(cluster.nodes);
  const verdict = checkVerdict(cluster.nodes, sigs.map((s) => s.signature));
  if (verdict.consistent) {
    out.line("[OK] All nodes agree about slots configuration.", "ok");
  } else {
    out.line("[ERR] Nodes don't agree about configuration!", "err");
    const first = sigs[0].signature;
    for (const s of sigs) {
      if (s.signature !== first) {
        out.line(`    ${s.node.addr} disagrees with ${sigs[0].node.addr} about slot owners`, "err");
      }
    }
  }
  out.line(">>> Check for open slots...", "info");
  for (const w of verdict.openSlotWarnings) out.line(w, "warn");
  if (verdict.openSlots.length > 0) {
    out.line(`[WARNING] The following slots are open: ${verdict.openSlots.join(",")}.`, "err");
  }
  out.line(">>> Check slots coverage...", "info");
  if (verdict.uncovered.length === 0) {
    out.line(`[OK] All ${CLUSTER_SLOTS} slots covered.`, "ok");
  } else {
    out.line(`[ERR] Not all ${CLUSTER_SLOTS} slots are covered by nodes.`, "err");
    out.line(
      `    Uncovered slots (${verdict.uncovered.length}): ${rangesText(verdict.uncovered)}`,
      "err",
    );
  }
  return verdict.ok;
}

/**
 * Load the cluster and check it before a change. Right after another change the nodes may
 * still be gossiping, so a failing check is retried for up to `settleMs` before it counts;
 * only the last attempt is printed.
 */
export async function loadAndCheck(
  entry: Addr,
  out: Out,
  settleMs: number,
): Promise<{ cluster: Cluster; ok: boolean }> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const cluster = await loadCluster(entry);
    const buf = bufferedOut(out.tty);
    const ok = await checkCluster(cluster, buf);
    if (ok || Date.now() >= deadline) {
      buf.replay(out);
      return { cluster, ok };
    }
    closeCluster(cluster);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const checkCommand: ManagerCommand = {
  name: "check",
  synopsis: "check host:port",
  help: `Check a cluster's health from one of its nodes (as redis-cli --cluster check).

Prints each master's keys, slots and replicas, every node, then three checks: that all nodes
agree about the slot configuration, that no slot is open (migrating or importing), and that
all 16384 slots are covered. Exits 0 when all pass, 1 when anything is wrong.`,
  options: {},
  minPositionals: 1,
  maxPositionals: 1,
  async run(p, out) {
    const cluster = await loadCluster(parseAddr(p.positionals[0]));
    try {
      if (!await showInfo(cluster, out)) return EXIT_FAIL;
      return await checkCluster(cluster, out) ? EXIT_OK : EXIT_FAIL;
    } finally {
      closeCluster(cluster);
    }
  },
};
