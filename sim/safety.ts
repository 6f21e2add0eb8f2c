/**
 * The safety properties the simulator checks, as a monitor fed with what the nodes do:
 *
 * - **one vote per epoch**: a node never sends FAILOVER_AUTH_ACK twice in the same epoch, across
 *   restarts and power losses (Redis keeps lastVoteEpoch in nodes.conf for that);
 * - **one winner per epoch**: two replicas never win an election with the same configEpoch (a
 *   split brain: two masters serving the same slots). CLUSTER FAILOVER TAKEOVER bumps the epoch
 *   without consensus by design; a collision it makes is for the epoch collision handling, and
 *   the world checks distinct epochs once the cluster converged;
 * - **what was announced is kept**: a node restarted from its disk has at least the configEpoch
 *   (as a master, since it last announced itself a replica) and the lastVoteEpoch it had
 *   announced on the wire before it died (a currentEpoch only learned from others may be
 *   forgotten, as in Redis);
 * - **epochs only grow** while a node runs;
 * - **FAIL only by a majority**: a node broadcasts FAIL about X only when, in its own view, a
 *   majority of the masters with slots (itself included when it is one) reported X failing
 *   within the report validity (2 x node-timeout), and every report it counts is backed by the
 *   wire: the node received gossip from the reporter, a master then, flagging X as PFAIL or FAIL
 *   in that window (when it arrived counts, as in Redis: a packet held by a one-way cut and
 *   delivered on heal makes a fresh report). The
 *   majority is of the cluster size as the node last computed it (Redis's cluster->size lags the
 *   view until the next clusterUpdateState): the smallest size seen on the node in the last
 *   `SIZE_LAG_MS` (at steps and at its packets) stands for it;
 * - **a cut-off master stops serving**: reported by the world, which knows the network
 *   (`minorityServing`).
 *
 * Pure bookkeeping: no I/O, no clock of its own; the caller passes the time for the report.
 */

import type { BusMessage } from "../protocol/bus.ts";
import { type ClusterState, isMaster, myself, NodeFlags } from "../cluster/state.ts";

/** CLUSTER_FAIL_REPORT_VALIDITY_MULT: a failure report counts for 2 x node-timeout. */
const REPORT_VALIDITY_MULT = 2;
/** How far back a node's cluster size may lag its view (two cron ticks). */
const SIZE_LAG_MS = 200;

export interface Violation {
  atMs: number;
  what: string;
}

interface Announced {
  configEpoch: number;
  vote: number;
}

export class SafetyMonitor {
  readonly violations: Violation[] = [];
  /** voter id -> epochs it voted in. */
  private readonly votes = new Map<string, Set<number>>();
  /** configEpoch -> the replica promoted with it. */
  private readonly winners = new Map<number, string>();
  private readonly announced = new Map<string, Announced>();
  /** node id -> the epochs seen at the previous step (while it runs). */
  private readonly lastSeen = new Map<string, { currentEpoch: number; lastVoteEpoch: number }>();
  /**
   * receiver id -> reporter id -> subject id -> when the receiver last heard the reporter (a
   * master) gossip the subject as failing.
   */
  private readonly heardFailing = new Map<string, Map<string, Map<string, number>>>();
  /** Counters for the report. */
  readonly counts = { votes: 0, promotions: 0, takeovers: 0, restarts: 0, failsDeclared: 0 };

  private lastFailChecked = "";
  /** node id -> the cluster sizes it had recently, oldest first: [atMs, size]. */
  private readonly sizes = new Map<string, [number, number][]>();
  private readonly servingReported = new Set<string>();

  constructor(private readonly nodeTimeoutMs: number) {}

  private fail(atMs: number, what: string): void {
    this.violations.push({ atMs, what });
  }

  private announcedOf(id: string): Announced {
    let a = this.announced.get(id);
    if (a === undefined) {
      a = { configEpoch: 0, vote: 0 };
      this.announced.set(id, a);
    }
    return a;
  }

  private noteSize(id: string, size: number, atMs: number): void {
    let list = this.sizes.get(id);
    if (list === undefined) this.sizes.set(id, list = []);
    const last = list.at(-1);
    if (last === undefined || last[1] !== size) list.push([atMs, size]);
    else last[0] = atMs;
    while (list.length > 1 && list[1][0] < atMs - SIZE_LAG_MS) list.shift();
  }

  /** The smallest cluster size node `id` had in the last SIZE_LAG_MS, `now` included. */
  private recentSize(id: string, now: number, atMs: number): number {
    let size = now;
    for (const [t, n] of this.sizes.get(id) ?? []) {
      if (t >= atMs - SIZE_LAG_MS) size = Math.min(size, n);
    }
    return size;
  }

  /**
   * A packet reached node `receiverId`, just before it handles it. Gossip from a master that
   * flags a node failing is what a failure report may be made of (clusterProcessGossipSection);
   * it is recorded when it arrives, however late (a link held by a one-way cut delivers on heal).
   */
  packetReceived(receiverId: string, msg: BusMessage, atMs: number, view?: ClusterState): void {
    // The size the node holds while it handles the packet (a view can shrink and grow back
    // between two steps: seed 383, a master's slots gone before their new owner was heard of).
    if (view !== undefined) this.noteSize(receiverId, view.size, atMs);
    if (!("header" in msg)) return;
    if (!(msg.type === "PING" || msg.type === "PONG" || msg.type === "MEET")) return;
    if ((msg.header.flags & NodeFlags.MASTER) === 0) return;
    const failing: string[] = [];
    for (const g of msg.gossip) {
      if (g.flags & (NodeFlags.PFAIL | NodeFlags.FAIL)) failing.push(g.nodename);
    }
    this.heardFailingFrom(receiverId, msg.header.sender, failing, atMs);
  }

  /**
   * `packetReceived` from the packet's fields (sim/packet_peek.ts): the receiver's view, and
   * for a PING/PONG/MEET of a master the names its gossip flags PFAIL or FAIL (else empty).
   */
  packetReceivedFields(
    receiverId: string,
    senderId: string,
    failing: readonly string[],
    atMs: number,
    view?: ClusterState,
  ): void {
    if (view !== undefined) this.noteSize(receiverId, view.size, atMs);
    this.heardFailingFrom(receiverId, senderId, failing, atMs);
  }

  private heardFailingFrom(
    receiverId: string,
    senderId: string,
    failing: readonly string[],
    atMs: number,
  ): void {
    for (const name of failing) {
      let byReporter = this.heardFailing.get(receiverId);
      if (byReporter === undefined) this.heardFailing.set(receiverId, byReporter = new Map());
      let m = byReporter.get(senderId);
      if (m === undefined) byReporter.set(senderId, m = new Map());
      m.set(name, atMs);
    }
  }

  /** A packet left node `senderId` (seen on the wire); `view` is the sender's state then. */
  packetSent(senderId: string, msg: BusMessage, atMs: number, view?: ClusterState): void {
    if (!("header" in msg)) return;
    if (msg.type === "FAIL" && view !== undefined) {
      this.checkFail(senderId, msg.nodename, atMs, view);
    }
    const h = msg.header;
    const a = this.announceHeader(senderId, h.flags, Number(h.configEpoch));
    if (msg.type !== "FAILOVER_AUTH_ACK") return;
    const epoch = Number(h.currentEpoch);
    this.counts.votes++;
    let voted = this.votes.get(senderId);
    if (voted === undefined) this.votes.set(senderId, voted = new Set());
    if (voted.has(epoch)) this.fail(atMs, `${senderId} voted twice in epoch ${epoch}`);
    voted.add(epoch);
    a.vote = Math.max(a.vote, epoch);
  }

  /**
   * What any packet's header binds its sender to (the whole of `packetSent` for a packet that is
   * neither FAIL nor FAILOVER_AUTH_ACK): the configEpoch a master announced.
   */
  headerSent(senderId: string, flags: number, configEpoch: number): void {
    this.announceHeader(senderId, flags, configEpoch);
  }

  private announceHeader(senderId: string, flags: number, configEpoch: number): Announced {
    const a = this.announcedOf(senderId);
    // A replica's header carries its master's configEpoch: only a master's is its own.
    if (flags & NodeFlags.MASTER) a.configEpoch = Math.max(a.configEpoch, configEpoch);
    // Once it says it is a replica, what it announced as a master no longer binds it: a replica
    // restarted takes its master's configEpoch from nodes.conf (clusterGenNodeDescription
    // writes the master's epoch on a replica's line, clusterLoadConfig reads it back), and
    // CLUSTER RESET makes it a master with that epoch (found by `deno task sim --seed 153`:
    // a former master of epoch 4, then a replica of a master of epoch 0, reset and restarted).
    else if (flags & NodeFlags.SLAVE) a.configEpoch = 0;
    return a;
  }

  private checkFail(senderId: string, subject: string, atMs: number, view: ClusterState): void {
    // A FAIL is broadcast: one packet per peer, one check per declaration.
    const key = `${senderId} ${subject} ${atMs}`;
    if (key === this.lastFailChecked) return;
    this.lastFailChecked = key;
    this.counts.failsDeclared++;
    const n = view.nodes.get(subject);
    if (n === undefined || !(n.flags & NodeFlags.FAIL)) {
      this.fail(atMs, `${senderId} sent FAIL about ${subject} without flagging it FAIL itself`);
      return;
    }
    const since = atMs - REPORT_VALIDITY_MULT * this.nodeTimeoutMs;
    let reports = 0;
    for (const r of n.failReports) {
      if (r.timeMs < since) continue;
      // As in Redis, a report counts while valid even if its reporter has since become a replica.
      const heard = this.heardFailing.get(senderId)?.get(r.reporterId)?.get(subject);
      if (heard === undefined || heard < since - this.nodeTimeoutMs) {
        this.fail(
          atMs,
          `${senderId} counted a failure report about ${subject} from ${r.reporterId}, ` +
            `from whom it never heard it failing (as a master) in the report's lifetime`,
        );
        continue;
      }
      reports++;
    }
    if (isMaster(myself(view))) reports++;
    const needed = Math.floor(this.recentSize(senderId, view.size, atMs) / 2) + 1;
    if (reports < needed) {
      this.fail(atMs, `${senderId} declared ${subject} FAIL on ${reports} of ${needed} reports`);
    }
  }

  /** Master `id` still serves (cluster state ok), cut off from a majority since `sinceMs`. */
  minorityServing(
    id: string,
    sinceMs: number,
    reached: number,
    masters: number,
    atMs: number,
  ): void {
    const episode = `${id}@${sinceMs}`;
    if (this.servingReported.has(episode)) return; // one report per episode
    this.servingReported.add(episode);
    this.fail(
      atMs,
      `${id} serves slots ${atMs - sinceMs} ms after losing the majority ` +
        `(reaches ${reached} of ${masters} masters)`,
    );
  }

  /** A replica became a master by CLUSTER FAILOVER TAKEOVER (no election). */
  tookOver(_s: ClusterState): void {
    this.counts.takeovers++;
  }

  /** Replica `id` turned itself into a master (won an election or a manual failover). */
  promoted(s: ClusterState, atMs: number): void {
    this.counts.promotions++;
    const epoch = myself(s).configEpoch;
    const other = this.winners.get(epoch);
    if (other !== undefined && other !== s.myselfId) {
      this.fail(atMs, `split brain: ${other} and ${s.myselfId} both promoted in epoch ${epoch}`);
    }
    this.winners.set(epoch, s.myselfId);
  }

  /** Node `s.myselfId` starts again from the state its disk gave back. */
  restarted(s: ClusterState, atMs: number): void {
    this.counts.restarts++;
    this.lastSeen.delete(s.myselfId);
    const a = this.announced.get(s.myselfId);
    if (a === undefined) return;
    const me = myself(s);
    const id = s.myselfId;
    if (s.lastVoteEpoch < a.vote) {
      this.fail(atMs, `${id} restarted with lastVoteEpoch ${s.lastVoteEpoch} < its vote ${a.vote}`);
    }
    // currentEpoch learned from a header may be forgotten (Redis does not save it then): the
    // votes kept on disk are what stops a forgotten epoch from being won twice.
    if ((me.flags & NodeFlags.MASTER) && me.configEpoch < a.configEpoch) {
      this.fail(
        atMs,
        `${id} restarted with configEpoch ${me.configEpoch} < announced ${a.configEpoch}`,
      );
    }
  }

  /** After every step: epochs of each running node only grow. */
  step(states: readonly ClusterState[], atMs: number): void {
    for (const s of states) {
      this.noteSize(s.myselfId, s.size, atMs);
      const prev = this.lastSeen.get(s.myselfId);
      if (prev !== undefined) {
        if (s.currentEpoch < prev.currentEpoch) {
          this.fail(atMs, `${s.myselfId}: currentEpoch went down`);
        }
        if (s.lastVoteEpoch < prev.lastVoteEpoch) {
          this.fail(atMs, `${s.myselfId}: lastVoteEpoch went down`);
        }
      }
      this.lastSeen.set(s.myselfId, {
        currentEpoch: s.currentEpoch,
        lastVoteEpoch: s.lastVoteEpoch,
      });
    }
  }
}
