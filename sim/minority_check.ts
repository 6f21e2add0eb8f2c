/**
 * The simulator's liveness-side safety check: a master cut off from a majority of the masters it
 * knows must stop serving (cluster state fail, so writes get CLUSTERDOWN) within the bound
 * Redis's rules give. It PINGs each peer once its last PONG is node-timeout / 2 old, flags PFAIL
 * once a PING is node-timeout old, and updates its state at the next cron: 1.5 x node-timeout,
 * plus 500 ms for latency and cron ticks.
 *
 * The clock starts at the cut, or later: when the node or any node it still reaches started or
 * was continued. A node loading nodes.conf takes every PONG time as "now", and its gossip passes
 * that on to the nodes it reaches, which take a newer PONG time from gossip while no PING is
 * pending (clusterProcessGossipSection): the same bound then runs from there. Checked while the
 * network is split into groups; with `cut` pairs in force a node may hear of a peer it cannot
 * reach through one that can, and Redis then rightly keeps both serving.
 *
 * Clocks that were stepped forward (`jumpClock`) stretch the bound by how far the most advanced
 * clock is ahead of the node's own: gossip carries PONG times as wall-clock seconds, and a node
 * takes a newer one from gossip (clusterProcessGossipSection, up to 500 ms in its future), so a
 * peer whose clock runs ahead makes a silent node look heard from later than it was (the
 * simulator found this: `deno task sim --seed 346`, a clock 1.27 s ahead, a node serving 20 ms
 * past the bound without it).
 */

import { type ClusterState, isMaster, myself } from "../cluster/state.ts";
import { valuesOf } from "../cluster/node_map.ts";

/** What the check reads of the world. */
export interface MinorityWorld {
  readonly size: number;
  now(): number;
  /** Node i's view, or null while it is down. */
  stateOf(i: number): ClusterState | null;
  isUp(i: number): boolean;
  isFrozen(i: number): boolean;
  identity(i: number): string;
  indexOf(id: string): number;
  /** When node i last started or was continued. */
  resumedAtMs(i: number): number;
  /** How far node i's wall clock was stepped ahead of the simulation's (ms). */
  clockAheadMs(i: number): number;
  reachable(a: string, b: string): boolean;
  hasCuts(): boolean;
}

export type MinorityReport = (
  nodeId: string,
  sinceMs: number,
  reached: number,
  masters: number,
  nowMs: number,
) => void;

export class MinorityMasterCheck {
  /** Per node: since when it, a master with slots, cannot reach a majority of masters. */
  private readonly cutOffSinceMs: (number | null)[];

  constructor(size: number, private readonly nodeTimeoutMs: number) {
    this.cutOffSinceMs = new Array(size).fill(null);
  }

  step(w: MinorityWorld, report: MinorityReport): void {
    const now = w.now();
    const boundMs = 1.5 * this.nodeTimeoutMs + 500;
    const grouped = !w.hasCuts();
    // Whether each node runs (up, not frozen), asked once per step, not once per view entry.
    const running: boolean[] = new Array(w.size);
    for (let k = 0; k < w.size; k++) running[k] = w.isUp(k) && !w.isFrozen(k);
    for (let i = 0; i < w.size; i++) {
      const s = w.stateOf(i);
      if (s === null || w.isFrozen(i) || !grouped) {
        this.cutOffSinceMs[i] = null;
        continue;
      }
      const me = myself(s);
      if (!isMaster(me) || me.numSlots === 0) {
        this.cutOffSinceMs[i] = null;
        continue;
      }
      const identity = w.identity(i);
      let masters = 0;
      let reached = 0;
      for (const n of valuesOf(s.nodes)) {
        if (!isMaster(n) || n.numSlots === 0) continue;
        masters++;
        if (n.id === s.myselfId) {
          reached++;
          continue;
        }
        const k = w.indexOf(n.id);
        if (k >= 0 && running[k] && w.reachable(identity, w.identity(k))) {
          reached++;
        }
      }
      if (reached > masters / 2) {
        this.cutOffSinceMs[i] = null;
        continue;
      }
      const cutOff = this.cutOffSinceMs[i] ?? now;
      this.cutOffSinceMs[i] = cutOff;
      let since = Math.max(cutOff, w.resumedAtMs(i));
      for (let k = 0; k < w.size; k++) {
        if (k !== i && w.isUp(k) && w.reachable(identity, w.identity(k))) {
          since = Math.max(since, w.resumedAtMs(k));
        }
      }
      let skewMs = 0;
      for (let k = 0; k < w.size; k++) {
        skewMs = Math.max(skewMs, w.clockAheadMs(k) - w.clockAheadMs(i));
      }
      if (s.health === "ok" && now - since > boundMs + skewMs) {
        report(s.myselfId, since, reached, masters, now);
      }
    }
  }
}
