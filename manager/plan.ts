/**
 * Slot-moving plans, computed as redis-cli --cluster computes them: the reshard table (which
 * slots leave which source) and the rebalance plan (weighted expected slot counts, threshold,
 * then pairing the nodes that must receive with the nodes that must give). Pure.
 */

import { CLUSTER_SLOTS } from "../protocol/slot.ts";

export interface SourceNode {
  id: string;
  /** Owned slots (any order; taken lowest first). */
  slots: readonly number[];
}

export interface ReshardItem {
  source: string;
  slot: number;
}

/**
 * redis-cli's clusterManagerComputeReshardTable: sources sorted by slot count (descending),
 * each gives numSlots * its share of the slots (the first rounded up, the others down), lowest
 * slots first, never more than numSlots in all.
 */
export function computeReshardTable(
  sources: readonly SourceNode[],
  numSlots: number,
): ReshardItem[] {
  const total = sources.reduce((n, s) => n + s.slots.length, 0);
  if (total === 0 || numSlots <= 0) return [];
  const sorted = [...sources].sort((a, b) => b.slots.length - a.slots.length);
  const out: ReshardItem[] = [];
  sorted.forEach((node, i) => {
    const share = Math.fround(Math.fround(numSlots / total) * node.slots.length);
    const max = i === 0 ? Math.ceil(share) : Math.floor(share);
    const slots = [...node.slots].sort((a, b) => a - b);
    let count = 0;
    for (const slot of slots) {
      if (count >= max || out.length >= numSlots) break;
      out.push({ source: node.id, slot });
      count++;
    }
  });
  return out;
}

export interface BalanceNode {
  id: string;
  slotsCount: number;
  /** Weight (1 by default); 0 excludes the node. */
  weight: number;
}

export interface BalanceMove {
  from: string;
  to: string;
  count: number;
}

export type RebalancePlan =
  | { kind: "balanced"; reason: "few-nodes" | "threshold" }
  | { kind: "moves"; nodesInvolved: number; totalWeight: number; moves: BalanceMove[] };

/**
 * redis-cli's rebalance: masters with no slots take part only with useEmptyMasters. Each gets
 * expected = floor(16384 / totalWeight * weight); balance = slots - expected (positive: gives).
 * Nothing moves unless some node is off by more than `thresholdPct` percent. Rounding leftovers
 * are pushed onto receivers so gives and takes match; then receivers (most negative balance)
 * are paired with givers (most positive) from both ends.
 */
export function planRebalance(
  masters: readonly BalanceNode[],
  opts: { useEmptyMasters: boolean; thresholdPct: number },
): RebalancePlan {
  // A master without slots takes part only with useEmptyMasters; one with slots and weight 0
  // takes part and gives all its slots away (how redis-cli drains a node).
  const involved = masters.filter((m) => opts.useEmptyMasters || m.slotsCount > 0);
  const totalWeight = involved.reduce((n, m) => n + m.weight, 0);
  if (involved.length < 2 || totalWeight <= 0) return { kind: "balanced", reason: "few-nodes" };
  let thresholdReached = false;
  let totalBalance = 0;
  const nodes = involved.map((m) => {
    const expected = Math.trunc(Math.fround(Math.fround(CLUSTER_SLOTS / totalWeight) * m.weight));
    const balance = m.slotsCount - expected;
    totalBalance += balance;
    if (opts.thresholdPct > 0) {
      if (m.slotsCount > 0) {
        const errPct = Math.abs(100 - (100 * expected) / m.slotsCount);
        if (errPct > opts.thresholdPct) thresholdReached = true;
      } else if (expected > 1) {
        thresholdReached = true;
      }
    }
    return { id: m.id, balance };
  });
  if (!thresholdReached) return { kind: "balanced", reason: "threshold" };
  while (totalBalance > 0) {
    for (const n of nodes) {
      if (n.balance <= 0 && totalBalance > 0) {
        n.balance--;
        totalBalance--;
      }
    }
  }
  nodes.sort((a, b) => a.balance - b.balance);
  const moves: BalanceMove[] = [];
  let dst = 0;
  let src = nodes.length - 1;
  while (dst < src) {
    const d = nodes[dst], s = nodes[src];
    const count = Math.min(Math.abs(d.balance), Math.abs(s.balance));
    if (count > 0) moves.push({ from: s.id, to: d.id, count });
    d.balance += count;
    s.balance -= count;
    if (d.balance === 0) dst++;
    if (s.balance === 0) src--;
    if (count === 0 && d.balance !== 0 && s.balance !== 0) break; // cannot happen; no endless loop
  }
  return { kind: "moves", nodesInvolved: nodes.length, totalWeight, moves };
}
