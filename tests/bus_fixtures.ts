/**
 * Test fixtures for the pure cluster-bus rule tests: readable node ids, small ClusterStates built
 * from a compact description, and a default BusConfig. Test-only helpers (no I/O).
 */

import type { BusConfig } from "../cluster/bus_effects.ts";
import type { LinkClock } from "../cluster/peer_link.ts";
import {
  addNode,
  assignSlots,
  type ClusterNode,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
  updateNode,
} from "../cluster/state.ts";

/** A valid 40-char id made of one repeated character ('0'-'9', 'a'-'z'). */
export function ID(c: string): string {
  return c.repeat(40);
}

export const T0 = 1_700_000_000_000;

export const CFG: BusConfig = {
  nodeTimeoutMs: 2000,
  announcedIp: "",
  requireFullCoverage: true,
  allowReplicaMigration: true,
};

/**
 * The links' clock at `timerNowMs` with CFG's node timeout. The fixtures' links open at T0, with
 * the timer clock equal to the wall clock: a rule given `linkClockAt(nowMs)` finds the link's
 * timers run out exactly when Redis's timestamp comparisons hold.
 */
export function linkClockAt(timerNowMs: number): LinkClock {
  return { timerNowMs, nodeTimeoutMs: CFG.nodeTimeoutMs };
}

export interface NodeSpec extends Partial<ClusterNode> {
  id: string;
  /** Inclusive slot range owned. */
  slotRange?: [number, number];
}

/** Myself (a master at 127.0.0.1:30000@40000 unless overridden) plus `others`. */
export function makeState(
  me: NodeSpec,
  others: NodeSpec[] = [],
  extra: Partial<ClusterState> = {},
): ClusterState {
  let s = createState(me.id, T0);
  const { slotRange: mySlots, id: _mid, ...mePatch } = me;
  s = updateNode(s, me.id, { ip: "127.0.0.1", port: 30000, cport: 40000, ...mePatch });
  if (mySlots) s = assignSlots(s, me.id, range(mySlots));
  let k = 1;
  for (const o of others) {
    const { slotRange, id, ...patch } = o;
    const n = createNode(id, NodeFlags.MASTER, T0, {
      ip: "127.0.0.1",
      port: 30000 + k,
      cport: 40000 + k,
      linkState: "connected",
      pongReceivedMs: T0,
      dataReceivedMs: T0,
      ...patch,
    }, linkClockAt(T0));
    k++;
    s = addNode(s, n);
    if (slotRange) s = assignSlots(s, id, range(slotRange));
  }
  let maxEpoch = 0;
  for (const n of s.nodes.values()) maxEpoch = Math.max(maxEpoch, n.configEpoch);
  return { ...s, currentEpoch: Math.max(s.currentEpoch, maxEpoch), ...extra };
}

export function range([a, b]: [number, number]): number[] {
  const out: number[] = [];
  for (let j = a; j <= b; j++) out.push(j);
  return out;
}
