/**
 * The create plan, decided the way redis-cli --cluster create decides it: nodes interleaved by
 * host, the first N/(replicas+1) are masters, slots split evenly in argument order, replicas
 * taken from other hosts than their master where possible, leftovers given to the masters with
 * the fewest replicas, then an anti-affinity optimisation (deterministic here: pairwise swaps
 * while the score improves). Pure.
 */

import { CLUSTER_SLOTS } from "../protocol/slot.ts";

export interface PlanInput {
  host: string;
}

export interface CreatePlan {
  /** Indexes (into the input) of the masters, in slot order. */
  masters: number[];
  /** Slot range [first, last] per master (parallel to `masters`). */
  slotRanges: [number, number][];
  /** replica index -> master index. */
  replicaOf: Map<number, number>;
  /** Anti-affinity score after optimisation (0 perfect; >= 10000: a replica shares its master's host). */
  score: number;
}

export class PlanError extends Error {
  override name = "PlanError";
}

/** Slot ranges for `mastersCount` masters, as redis-cli computes them (lround of a float cursor). */
export function allocateSlots(mastersCount: number): [number, number][] {
  if (mastersCount < 1) throw new PlanError("no masters");
  const slotsPerNode = CLUSTER_SLOTS / mastersCount;
  const out: [number, number][] = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < mastersCount; i++) {
    let last = Math.round(cursor + slotsPerNode - 1);
    if (last > CLUSTER_SLOTS - 1 || i === mastersCount - 1) last = CLUSTER_SLOTS - 1;
    if (last < first) last = first;
    out.push([first, last]);
    first = last + 1;
    cursor += slotsPerNode;
  }
  return out;
}

/** Node indexes interleaved by host: one from each host in turn, hosts in first-seen order. */
export function interleaveByHost(nodes: readonly PlanInput[]): number[] {
  const groups = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    const g = groups.get(n.host);
    if (g) g.push(i);
    else groups.set(n.host, [i]);
  });
  const lists = [...groups.values()];
  const out: number[] = [];
  for (let round = 0; out.length < nodes.length; round++) {
    for (const l of lists) if (round < l.length) out.push(l[round]);
  }
  return out;
}

/**
 * redis-cli's anti-affinity score: per host, per master group (the master and its replicas on
 * that host): a group with the master scores 10000 per replica beside it; a group of replicas
 * only scores its size when it has two or more.
 */
export function antiAffinityScore(
  nodes: readonly PlanInput[],
  masters: readonly number[],
  replicaOf: ReadonlyMap<number, number>,
): number {
  const groups = new Map<string, { master: boolean; count: number }>();
  for (const m of masters) {
    const key = `${nodes[m].host}\n${m}`;
    groups.set(key, { master: true, count: 1 });
  }
  for (const [r, m] of replicaOf) {
    const key = `${nodes[r].host}\n${m}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { master: false, count: 1 });
  }
  let score = 0;
  for (const g of groups.values()) {
    if (g.count < 2) continue;
    score += g.master ? 10000 * (g.count - 1) : g.count;
  }
  return score;
}

export function planCreate(nodes: readonly PlanInput[], replicas: number): CreatePlan {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new PlanError("replicas must be a non-negative integer");
  }
  const mastersCount = Math.floor(nodes.length / (replicas + 1));
  if (mastersCount < 3) {
    throw new PlanError(
      "*** ERROR: Invalid configuration for cluster creation.\n" +
        "*** Redis Cluster requires at least 3 master nodes.\n" +
        `*** This is not possible with ${nodes.length} nodes and ${replicas} replicas per node.\n` +
        `*** At least ${3 * (replicas + 1)} nodes are required.`,
    );
  }
  const order = interleaveByHost(nodes);
  const masters = order.slice(0, mastersCount);
  const pool = order.slice(mastersCount);
  const replicaOf = new Map<number, number>();
  const replicasOf = new Map<number, number[]>(masters.map((m) => [m, []]));
  const take = (master: number): number | undefined => {
    if (pool.length === 0) return undefined;
    const hostsUsed = new Set([
      nodes[master].host,
      ...replicasOf.get(master)!.map((r) => nodes[r].host),
    ]);
    // Best: a host not used by this master's group; next: any host but the master's; else any.
    let idx = pool.findIndex((p) => !hostsUsed.has(nodes[p].host));
    if (idx < 0) idx = pool.findIndex((p) => nodes[p].host !== nodes[master].host);
    if (idx < 0) idx = 0;
    return pool.splice(idx, 1)[0];
  };
  // Round-robin over masters so each gets its first replica before any gets a second.
  for (let k = 0; k < replicas; k++) {
    for (const m of masters) {
      const r = take(m);
      if (r === undefined) break;
      replicaOf.set(r, m);
      replicasOf.get(m)!.push(r);
    }
  }
  // Leftover nodes (count not a multiple of replicas+1): to the masters with fewest replicas.
  while (pool.length > 0) {
    let best = masters[0];
    for (const m of masters) if (replicasOf.get(m)!.length < replicasOf.get(best)!.length) best = m;
    const r = take(best)!;
    replicaOf.set(r, best);
    replicasOf.get(best)!.push(r);
  }
  const score = optimiseAntiAffinity(nodes, masters, replicaOf);
  return { masters, slotRanges: allocateSlots(mastersCount), replicaOf, score };
}

/** Swap the masters of two replicas while that lowers the score (bounded). Mutates replicaOf. */
export function optimiseAntiAffinity(
  nodes: readonly PlanInput[],
  masters: readonly number[],
  replicaOf: Map<number, number>,
): number {
  let score = antiAffinityScore(nodes, masters, replicaOf);
  const reps = [...replicaOf.keys()];
  for (let iter = 0; iter < 100 && score > 0; iter++) {
    let improved = false;
    for (let i = 0; i < reps.length && score > 0; i++) {
      for (let j = i + 1; j < reps.length; j++) {
        const a = reps[i], b = reps[j];
        const ma = replicaOf.get(a)!, mb = replicaOf.get(b)!;
        if (ma === mb) continue;
        replicaOf.set(a, mb);
        replicaOf.set(b, ma);
        const s = antiAffinityScore(nodes, masters, replicaOf);
        if (s < score) {
          score = s;
          improved = true;
        } else {
          replicaOf.set(a, ma);
          replicaOf.set(b, mb);
        }
      }
    }
    if (!improved) break;
  }
  return score;
}

/** redis-cli's verdict line for a score. */
export function antiAffinityMessage(score: number): { ok: boolean; text: string } {
  if (score === 0) return { ok: true, text: "[OK] Perfect anti-affinity obtained!" };
  if (score >= 10000) {
    return { ok: false, text: "[WARNING] Some slaves are in the same host as their master" };
  }
  return { ok: false, text: "[WARNING] Some slaves of the same master are in the same host" };
}
