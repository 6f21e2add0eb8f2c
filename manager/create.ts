/**
 * `create host:port ... --replicas N`: the organiser flow of redis-cli --cluster create
 * (redis-cli.c clusterManagerCommandCreate): check every node is empty, decide masters, replicas and slots
 * (placement.ts), confirm, ADDSLOTS on masters, a distinct config epoch per node, MEET every
 * node to the first, wait for the join, REPLICATE, then the final check.
 */

import { parseAddr, resolveIp } from "./address.ts";
import { intOption, UsageError } from "./args.ts";
import { checkCluster } from "./check.ts";
import { confirm } from "./confirm.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { nodeInfo } from "./format.ts";
import { waitForJoin } from "./join.ts";
import { meetArgs, type NewNode, openEmptyNode } from "./new_node.ts";
import { antiAffinityMessage, antiAffinityScore, planCreate, PlanError } from "./placement.ts";
import { closeCluster, loadCluster, ManagerError } from "./topology.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const createCommand: ManagerCommand = {
  name: "create",
  synopsis: "create host:port host:port ... [--replicas N] [--yes] [--join-timeout ms]",
  help: `Create a new cluster from empty cluster-enabled nodes (as redis-cli --cluster create).

Masters are the first nodes, interleaved by host; each master gets N replicas, placed on other
hosts than their master where possible. Slots are split evenly across the masters.

Options:
  --replicas N         replicas per master (default 0; at least 3 masters are needed)
  --yes                do not ask for confirmation (required when stdin is not a terminal)
  --join-timeout ms    give up waiting for the nodes to agree after this long (default 120000)`,
  options: { replicas: "value", yes: "flag", "join-timeout": "value" },
  minPositionals: 1,
  maxPositionals: 10_000,
  async run(p, out) {
    const replicas = intOption(p, "replicas", 0, 0, 1000);
    const joinTimeoutMs = intOption(p, "join-timeout", 120_000, 1000, 86_400_000);
    const addrs = p.positionals.map(parseAddr);
    const seen = new Set<string>();
    for (const a of addrs) {
      const k = `${a.host}:${a.port}`;
      if (seen.has(k)) throw new UsageError(`Node ${k} is given twice`);
      seen.add(k);
    }
    const nodes: NewNode[] = [];
    try {
      for (const a of addrs) nodes.push(await openEmptyNode(a, 10_000));
      let plan;
      try {
        plan = planCreate(addrs, replicas);
      } catch (e) {
        if (e instanceof PlanError) {
          out.line(e.message, "err");
          return EXIT_FAIL;
        }
        throw e;
      }
      out.line(`>>> Performing hash slots allocation on ${nodes.length} nodes...`, "info");
      plan.slotRanges.forEach(([first, last], i) =>
        out.line(`Master[${i}] -> Slots ${first} - ${last}`)
      );
      for (const [r, m] of plan.replicaOf) {
        out.line(`Adding replica ${nodes[r].text} to ${nodes[m].text}`);
      }
      if (plan.score > 0 || antiAffinityScore(addrs, plan.masters, plan.replicaOf) > 0) {
        out.line(">>> Trying to optimize slaves allocation for anti-affinity", "info");
        const msg = antiAffinityMessage(plan.score);
        out.line(msg.text, msg.ok ? "ok" : "warn");
      }
      const slotsOf = (i: number): number[] => {
        const k = plan.masters.indexOf(i);
        if (k < 0) return [];
        const [a, b] = plan.slotRanges[k];
        return Array.from({ length: b - a + 1 }, (_, j) => a + j);
      };
      const ordered = [...plan.masters, ...[...plan.replicaOf.keys()].sort((a, b) => a - b)];
      for (const i of ordered) {
        const m = plan.replicaOf.get(i);
        out.line(nodeInfo(
          {
            id: nodes[i].me.id,
            addr: nodes[i].text,
            replica: m !== undefined,
            replicate: m === undefined ? null : nodes[m].me.id,
            slots: slotsOf(i),
            replicasCount: 0,
          },
          0,
          true,
        ));
      }
      const ok = await confirm(out, "Can I set the above configuration?", p.flags.has("yes"));
      if (ok !== "yes") {
        if (ok === "no") out.line("*** Aborting...", "err");
        return EXIT_FAIL;
      }
      out.line(">>> Nodes configuration updated", "info");
      let failures = 0;
      for (const m of plan.masters) {
        const r = await nodes[m].client.send(["CLUSTER", "ADDSLOTS", ...slotsOf(m)]);
        if (r.type === "error") {
          failures++;
          out.line(`Node ${nodes[m].text} replied with error:\n${r.value}`, "err");
        }
      }
      out.line(">>> Assign a different config epoch to each node", "info");
      for (const [i, n] of nodes.entries()) {
        await n.client.send(["CLUSTER", "SET-CONFIG-EPOCH", i + 1]); // reply ignored, as redis-cli does
      }
      out.line(">>> Sending CLUSTER MEET messages to join the cluster", "info");
      const first = nodes[0];
      const firstIp = await resolveIp(first.addr.host);
      for (const n of nodes.slice(1)) {
        const r = await n.client.send(meetArgs(firstIp, first.addr.port, first.me.busPort));
        if (r.type === "error") {
          throw new ManagerError(`[ERR] CLUSTER MEET on ${n.text} failed: ${r.value}`);
        }
      }
      await sleep(1000);
      await waitForJoin(nodes.map((n) => ({ addr: n.text, client: n.client })), out, {
        timeoutMs: joinTimeoutMs,
        expectedNodes: nodes.length,
      });
      for (const [r, m] of plan.replicaOf) {
        await replicate(nodes[r], nodes[m].me.id, 10_000);
      }
      for (const n of nodes) n.client.close();
      nodes.length = 0;
      // Replicas are announced by gossip; give the nodes a moment before the final check.
      await sleep(plan.replicaOf.size > 0 ? 500 : 0);
      const cluster = await loadCluster(addrs[0]);
      try {
        const healthy = await checkCluster(cluster, out);
        return healthy && failures === 0 ? EXIT_OK : EXIT_FAIL;
      } finally {
        closeCluster(cluster);
      }
    } finally {
      for (const n of nodes) n.client.close();
    }
  },
};

/** CLUSTER REPLICATE, retried while the replica does not know its master yet. */
export async function replicate(node: NewNode, masterId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await node.client.send(["CLUSTER", "REPLICATE", masterId]);
    if (r.type !== "error") return;
    if (!r.value.startsWith("ERR Unknown node") || Date.now() > deadline) {
      throw new ManagerError(
        `[ERR] CLUSTER REPLICATE ${masterId} on ${node.text} failed: ${r.value}`,
      );
    }
    await sleep(200);
  }
}
