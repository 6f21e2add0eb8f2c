/**
 * `add-node new:port existing:port [--replica [--master-id id]]`, as redis-cli --cluster
 * add-node: check the cluster, check the new node is empty, copy functions (masters only;
 * skipped when FUNCTION DUMP is an error), MEET the new node to the entry; for a replica, wait
 * for the join and CLUSTER REPLICATE (the master given, or the one with fewest replicas).
 */

import { parseAddr, resolveIp } from "./address.ts";
import { intOption } from "./args.ts";
import { loadAndCheck } from "./check.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { replicate } from "./create.ts";
import { waitForJoin } from "./join.ts";
import { meetArgs, type NewNode, openEmptyNode } from "./new_node.ts";
import { closeCluster, type ClusterNode, findNode, ManagerError, masters } from "./topology.ts";

export const addNodeCommand: ManagerCommand = {
  name: "add-node",
  synopsis: "add-node new_host:port existing_host:port [--replica [--master-id id]]",
  help: `Add an empty node to a cluster (as redis-cli --cluster add-node).

As a master (the default) the new node joins with no slots: give it some with reshard, or
rebalance --use-empty-masters. With --replica it joins as a replica of --master-id, or of the
master with the fewest replicas.

Options:
  --replica            join as a replica (alias: --slave, --cluster-slave)
  --master-id id       the master to replicate (with --replica)
  --join-timeout ms    how long to wait for the new node to join (default 60000)`,
  options: { replica: "flag", "master-id": "value", "join-timeout": "value" },
  minPositionals: 2,
  maxPositionals: 2,
  async run(p, out) {
    const newAddr = parseAddr(p.positionals[0]);
    const entryAddr = parseAddr(p.positionals[1]);
    const asReplica = p.flags.has("replica");
    const joinTimeoutMs = intOption(p, "join-timeout", 60_000, 1000, 86_400_000);
    if (p.values.has("master-id") && !asReplica) {
      out.line("[ERR] --master-id needs --replica", "err");
      return EXIT_FAIL;
    }
    out.line(`>>> Adding node ${p.positionals[0]} to cluster ${p.positionals[1]}`, "info");
    const { cluster, ok } = await loadAndCheck(entryAddr, out, 5000);
    let fresh: NewNode | null = null;
    try {
      if (!ok) {
        out.line("*** Please fix your cluster problems before adding a node", "err");
        return EXIT_FAIL;
      }
      let master: ClusterNode | undefined;
      if (asReplica) {
        const wanted = p.values.get("master-id");
        if (wanted !== undefined) {
          master = findNode(cluster, wanted);
          if (master === undefined || master.replica) {
            out.line(`[ERR] No such master ID ${wanted}`, "err");
            return EXIT_FAIL;
          }
        } else {
          master = masters(cluster).sort((a, b) => a.replicasCount - b.replicasCount)[0];
          out.line(`Automatically selected master ${master.addr}`);
        }
      }
      fresh = await openEmptyNode(newAddr, 10_000);
      const entry = cluster.entry;
      if (!asReplica) await copyFunctions(entry, fresh, out);
      out.line(`>>> Send CLUSTER MEET to node ${fresh.text} to make it join the cluster.`, "info");
      const r = await fresh.client.send(
        meetArgs(await resolveIp(entry.host), entry.port, entry.busPort),
      );
      if (r.type === "error") {
        throw new ManagerError(`[ERR] CLUSTER MEET on ${fresh.text} failed: ${r.value}`);
      }
      if (master !== undefined) {
        const masterId = master.id;
        const freshId = fresh.me.id;
        await new Promise((r) => setTimeout(r, 1000));
        await waitForJoin(
          [...cluster.nodes.map((n) => ({ addr: n.addr, client: n.client })), {
            addr: fresh.text,
            client: fresh.client,
          }],
          out,
          {
            timeoutMs: joinTimeoutMs,
            // The new node must know its master, and the master the new node.
            extra: (views) =>
              views[views.length - 1].some((l) => l.id === masterId) &&
              views.every((v) => v.some((l) => l.id === freshId)),
          },
        );
        out.line(`>>> Configure node as replica of ${master.addr}.`, "info");
        await replicate(fresh, master.id, 10_000);
      }
      out.line("[OK] New node added correctly.", "ok");
      return EXIT_OK;
    } finally {
      fresh?.client.close();
      closeCluster(cluster);
    }
  },
};

/** FUNCTION DUMP from the entry, RESTORE on the new node; skipped when DUMP is an error. */
async function copyFunctions(
  entry: ClusterNode,
  fresh: NewNode,
  out: { line(t: string, l?: "info" | "err"): void },
): Promise<void> {
  out.line(">>> Getting functions from cluster", "info");
  const dump = await entry.client.send(["FUNCTION", "DUMP"]);
  if (dump.type !== "bulk") {
    out.line(
      `>>> Skipping functions: FUNCTION DUMP on ${entry.addr} did not return a payload`,
      "info",
    );
    return;
  }
  out.line(`>>> Send FUNCTION LIST to ${fresh.text} to verify there is no functions in it`, "info");
  const list = await fresh.client.send(["FUNCTION", "LIST"]);
  if (list.type === "array" && list.value.length > 0) {
    throw new ManagerError(
      `[ERR] Node ${fresh.text} already has functions; it must be empty to join.`,
    );
  }
  out.line(`>>> Send FUNCTION RESTORE to ${fresh.text}`, "info");
  const r = await fresh.client.send(["FUNCTION", "RESTORE", dump.value]);
  if (r.type === "error") {
    throw new ManagerError(`[ERR] FUNCTION RESTORE on ${fresh.text} failed: ${r.value}`);
  }
}
