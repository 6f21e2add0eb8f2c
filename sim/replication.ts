/**
 * The replication stream as the simulator models it: what the failover rules need to know about
 * each node's data (its replication offset, its link to its master, write pauses), not the data.
 *
 * - A master's offset grows by `writeBytesPer100Ms` of simulated time while writes run and it is
 *   not paused (CLUSTER FAILOVER's MFSTART pause, Redis's pauseClients).
 * - A replica follows the master its own view names, `lagBytes` behind while that master writes
 *   and caught up once it is paused, as long as it can reach it (both up, no cut between them).
 *   Its link is then up with `lastInteractionMs` = now; otherwise down since the first step it
 *   could not reach it (`repl_down_since`), which is what the data-age check of an election reads.
 * - `fullSync` is replicationSetMaster: the replica takes the new master's offset (its own
 *   writes since are discarded, as a full resync does), or its link stays down when the master
 *   cannot be reached.
 * - `promoted` is replicationUnsetMaster: the node keeps its data and becomes a master.
 */

import type { ReplicationStatus } from "../cluster/failover_types.ts";

/** What the model reads about the cluster at each step. */
export interface ReplicationView {
  isUp(i: number): boolean;
  /** Node i is a master in its own view. */
  isMaster(i: number): boolean;
  /** The index of the master node i replicates in its own view, or -1. */
  masterOf(i: number): number;
  /** Node i can reach node j on the network. */
  reachable(i: number, j: number): boolean;
}

export interface NodeReplication {
  offset: number;
  /** How far this replica trails its master while writes run. */
  lagBytes: number;
  repl: ReplicationStatus;
  pausedUntilMs: number;
  promotions: number;
  /** The offset when this node was last promoted (-1: never). */
  promotedAtOffset: number;
  /** Masters this node started a full sync with, oldest first (bounded). */
  syncedFrom: string[];
  /** Write pauses and un-pauses (CLUSTER FAILOVER), oldest first (bounded). */
  pauses: { kind: "pause" | "unpause"; atMs: number }[];
}

const HISTORY_MAX = 64;

function remember<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > HISTORY_MAX) list.shift();
}

export class SimReplication {
  readonly nodes: NodeReplication[] = [];
  /** Masters take writes (off: offsets stand still). */
  writesOn = true;

  constructor(count: number, readonly writeBytesPer100Ms = 100) {
    for (let i = 0; i < count; i++) {
      this.nodes.push({
        offset: 0,
        lagBytes: 0,
        repl: { linkUp: false, lastInteractionMs: 0, downSinceMs: 0 },
        pausedUntilMs: 0,
        promotions: 0,
        promotedAtOffset: -1,
        syncedFrom: [],
        pauses: [],
      });
    }
  }

  isPaused(i: number, nowMs: number): boolean {
    return this.nodes[i].pausedUntilMs > nowMs;
  }

  /** `elapsedMs` of simulated time passed: masters write, replicas follow. */
  step(view: ReplicationView, nowMs: number, elapsedMs: number): void {
    const written = Math.round(this.writeBytesPer100Ms * elapsedMs / 100);
    for (let i = 0; i < this.nodes.length; i++) {
      if (!view.isUp(i)) continue;
      const n = this.nodes[i];
      if (view.isMaster(i)) {
        if (this.writesOn && !this.isPaused(i, nowMs)) n.offset += written;
        continue;
      }
      const m = view.masterOf(i);
      if (m >= 0 && view.isUp(m) && view.reachable(i, m)) {
        const lag = this.isPaused(m, nowMs) || !this.writesOn ? 0 : n.lagBytes;
        n.offset = Math.max(n.offset, this.nodes[m].offset - lag);
        n.repl = { linkUp: true, lastInteractionMs: nowMs, downSinceMs: n.repl.downSinceMs };
      } else if (n.repl.linkUp) {
        n.repl = { linkUp: false, lastInteractionMs: n.repl.lastInteractionMs, downSinceMs: nowMs };
      }
    }
  }

  /** replicationSetMaster: node i starts a full sync with master m (an index, -1 if unknown). */
  fullSync(view: ReplicationView, i: number, m: number, masterId: string, nowMs: number): void {
    const n = this.nodes[i];
    remember(n.syncedFrom, masterId);
    if (m >= 0 && view.isUp(m) && view.reachable(i, m)) {
      n.offset = this.nodes[m].offset;
      n.repl = { linkUp: true, lastInteractionMs: nowMs, downSinceMs: 0 };
    } else {
      n.repl = { linkUp: false, lastInteractionMs: 0, downSinceMs: nowMs };
    }
  }

  /** replicationUnsetMaster: node i became a master and keeps its data. */
  promoted(i: number): void {
    const n = this.nodes[i];
    n.promotions++;
    n.promotedAtOffset = n.offset;
    n.repl = { linkUp: false, lastInteractionMs: 0, downSinceMs: 0 };
  }

  pause(i: number, untilMs: number, nowMs: number): void {
    this.nodes[i].pausedUntilMs = untilMs;
    remember(this.nodes[i].pauses, { kind: "pause", atMs: nowMs });
  }

  unpause(i: number, nowMs: number): void {
    this.nodes[i].pausedUntilMs = 0;
    remember(this.nodes[i].pauses, { kind: "unpause", atMs: nowMs });
  }
}
