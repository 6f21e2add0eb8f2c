/**
 * `deno task bench --mode failover`: the time from `kill -9` of a master to `cluster_state:ok`
 * on every surviving node, with its replica promoted, on six nodes (3 masters, 3 replicas, made
 * with `redis-cli --cluster create`) of ours and of real `redis-server`s, the same
 * cluster-node-timeout for both (2000 ms). Each kind is measured `rounds` times on a fresh
 * cluster; the medians and their ratio are reported.
 *
 * Our replicas ask for votes after min(500, node-timeout / 30) ms plus a random part and a
 * per-rank part (cluster/failover_election.ts electionDelayMs, as Valkey); Redis 7.0 always
 * waits 500-999 ms plus 1000 ms per rank.
 */

import { cli, type Proc, stop } from "./procs.ts";
import { allOk, startCluster, until } from "./cluster_procs.ts";

export interface FailoverResult {
  nodeTimeoutMs: number;
  rounds: number;
  redisMs: number[];
  oursMs: number[];
  redisMedianMs: number;
  oursMedianMs: number;
  ratio: number;
}

const NODE_TIMEOUT_MS = 2000;

/** Milliseconds from the kill of a master to ok on every other node. */
async function oneRound(kind: "ours" | "redis"): Promise<number> {
  let nodes: Proc[] = [];
  try {
    nodes = await startCluster(kind, 6, 1, { "cluster-node-timeout": String(NODE_TIMEOUT_MS) });
    const ports = nodes.map((n) => n.port);
    const slots = await cli(ports[0], "cluster", "slots");
    // The master of the first range CLUSTER SLOTS lists (redis-cli prints one field per line).
    const victimPort = Number(slots.split("\n")[3]);
    const victim = nodes.find((n) => n.port === victimPort);
    if (victim === undefined) throw new Error(`no node on port ${victimPort}:\n${slots}`);
    const rest = ports.filter((p) => p !== victimPort);
    // Its replica: the node whose CLUSTER NODES line names the victim's id as its master.
    const victimId = await cli(victimPort, "cluster", "myid");
    const lines = (await cli(ports[0], "cluster", "nodes")).split("\n");
    const replicaLine = lines.find((l) => l.split(" ")[3] === victimId);
    if (replicaLine === undefined) {
      throw new Error(`no replica of ${victimId} (${victimPort}):\n${lines.join("\n")}`);
    }
    const replicaPort = Number(replicaLine.split(" ")[1].split(":")[1].split("@")[0]);
    const t0 = performance.now();
    victim.child.kill("SIGKILL");
    // Until the replica is a master and every other node is ok again (before the kill is
    // noticed, cluster_state is still ok: the promotion is what marks the end).
    await until("failover", async () => {
      const role = await cli(replicaPort, "role");
      return role.startsWith("master") && await allOk(rest);
    }, 60_000);
    return Math.round(performance.now() - t0);
  } finally {
    for (const n of nodes) await stop(n);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

export async function measureFailover(rounds: number): Promise<FailoverResult> {
  const redisMs: number[] = [];
  const oursMs: number[] = [];
  // Alternate so both see the same machine load.
  for (let i = 0; i < rounds; i++) {
    redisMs.push(await oneRound("redis"));
    oursMs.push(await oneRound("ours"));
  }
  const r: FailoverResult = {
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    rounds,
    redisMs,
    oursMs,
    redisMedianMs: median(redisMs),
    oursMedianMs: median(oursMs),
    ratio: 0,
  };
  r.ratio = r.oursMedianMs / r.redisMedianMs;
  return r;
}

export function failoverText(r: FailoverResult): string {
  return [
    `\n== failover: kill -9 of a master -> cluster_state:ok on the other 5 nodes, node-timeout ${r.nodeTimeoutMs} ms, ${r.rounds} rounds ==`,
    `redis: ${r.redisMs.join(", ")} ms (median ${r.redisMedianMs})`,
    `ours:  ${r.oursMs.join(", ")} ms (median ${r.oursMedianMs})`,
    `ratio ${r.ratio.toFixed(2)}`,
  ].join("\n");
}
