/**
 * One cluster node's bus side, independent of the client server: the cluster view
 * (`ClusterState`), the bus engine (cluster/bus_engine.ts) on an injected network, and the node
 * actor system (actors/node.ts: supervisor with the 100 ms cron and the end-of-turn nodes.conf
 * save that comes before the turn's output is released; the view's records in its context).
 * cluster/cluster.ts wraps it for a real server (TCP, nodes.conf on disk); sim/world.ts runs
 * several of them in one process on SimBusNetwork + SimulatedClock.
 *
 * State flow: the engine installs views through `setState` (per packet / per tick); commands use
 * `apply` (also drops the links of nodes the command removed and marks the config dirty). Each
 * peer's link is in its record (cluster/peer_link.ts), moved by the rules on this node's timer
 * clock (`linkClock`); an installed view that changed a link goes to the node actor.
 */

import { BusEngine, type BusEngineHost, type FailoverHostInfo } from "./bus_engine.ts";
import { type LinkClock, openPeerLink } from "./peer_link.ts";
import type { BusNetwork } from "./bus_network.ts";
import type { BusConfig, LogLevel } from "./bus_effects.ts";
import type { BusMessage } from "../protocol/bus.ts";
import type { Prng } from "./prng.ts";
import { type ClusterNode, type ClusterState, isReplica, NodeFlags } from "./state.ts";
import { buildPingMessage, buildPublishMessage } from "./bus_header_build.ts";
import {
  deliverView,
  linksChanged,
  linkStates,
  type NodeActor,
  startNodeActor,
  supervisorOf,
  type SupervisorRef,
  supervisorStatsOf,
} from "../actors/node.ts";
import {
  type Clock,
  endCleanTurn,
  supervisorConfigDirty,
  supervisorConfigLevel,
  type SupervisorStats,
} from "../actors/supervisor.ts";
import type { InspectionEvent } from "xstate";

export interface BusNodeOptions {
  state: ClusterState;
  network: BusNetwork;
  /** Timers for the actors and `now()` for the rules (Date.now / SimulatedClock). */
  clock: Clock & { now(): number };
  /** True: give the actors real timers (no `clock` option) and use `clock.now` only for time. */
  realTimers?: boolean;
  /**
   * The actors' timers with `realTimers` (XState's `clock` option): the server's cron clock
   * (server/cron_clock.ts) in production. Default: XState's own (`setTimeout`).
   */
  actorClock?: Clock;
  /**
   * The clock of the link timers (actors/link_state.ts): monotonic, not stepped with the wall
   * clock. Default: `performance.now` with real timers, else `clock.now`.
   */
  timerNowMs?: () => number;
  rng: Prng;
  config: () => BusConfig;
  /** Persist nodes.conf (atomic; fsynced when `fsync`); false on failure. */
  save: (s: ClusterState, fsync: boolean) => boolean;
  /** A save failed: log and exit (Redis's clusterSaveConfigOrDie). Throws when absent. */
  fatal?: (reason: string) => void;
  log: (level: LogLevel, text: string) => void;
  /** Runs at the start of each cron tick (announced address, blacklist cleanup, ...). */
  beforeTick?: (s: ClusterState) => { state: ClusterState; dirty: boolean };
  cronIntervalMs?: number;
  /** XState inspection callback for the node's actor system (visualizer). */
  inspect?: (event: InspectionEvent) => void;
  replicate?: (masterId: string) => void;
  deleteKeysInSlots?: (slots: number[]) => void;
  deliver?: (senderId: string, message: BusMessage) => void;
  /** Every installed view, by the bus or a command (after it is current). */
  viewChanged?: (prev: ClusterState, next: ClusterState) => void;
  /** Failover settings + replication status (BusEngineHost.failover). */
  failover: () => FailoverHostInfo;
  replicationUnsetMaster?: () => void;
  pauseWrites?: (untilMs: number) => void;
  unpauseWrites?: () => void;
}

export class BusNode {
  private current: ClusterState;
  readonly engine: BusEngine;
  private actor: NodeActor | null = null;
  private supervisor: SupervisorRef | undefined = undefined;
  private stopped = false;
  /** True while the supervisor runs the cron: it ends that turn itself. */
  private inCron = false;
  /** Set while a client reply batch ends the turn: the bus packets go after the replies. */
  private releaseAfterReply = false;

  constructor(private readonly opts: BusNodeOptions) {
    this.current = opts.state;
    const host: BusEngineHost = {
      getState: () => this.current,
      setState: (s) => this.setState(s),
      markDirty: (fsync) => this.markDirty(fsync),
      endTurn: () => this.endTurn(),
      config: opts.config,
      timerNowMs: () => this.timerNowMs(),
      log: opts.log,
      replicate: opts.replicate,
      deleteKeysInSlots: opts.deleteKeysInSlots,
      deliver: opts.deliver,
      failover: opts.failover,
      replicationUnsetMaster: opts.replicationUnsetMaster,
      pauseWrites: opts.pauseWrites,
      unpauseWrites: opts.unpauseWrites,
    };
    this.engine = new BusEngine({
      network: opts.network,
      clock: opts.clock,
      rng: opts.rng,
      host,
    });
  }

  /** Listen on the bus port and start the actors (cron ticks begin). */
  async start(listenHosts: readonly string[], busPort: number): Promise<void> {
    await this.engine.listen(listenHosts, busPort);
    this.actor = startNodeActor(
      {
        cron: () => this.inSupervisorAction(() => this.tick()),
        save: (fsync) => this.inSupervisorAction(() => this.opts.save(this.current, fsync)),
        release: () => this.inSupervisorAction(() => this.release()),
        fatal: this.opts.fatal,
        cronIntervalMs: this.opts.cronIntervalMs,
      },
      this.opts.realTimers ? this.opts.actorClock : this.opts.clock,
      this.opts.inspect,
    );
    this.supervisor = supervisorOf(this.actor);
    // The links start with the node, from what the records say (the time since a load is
    // counted by the records' times).
    const wallNowMs = this.opts.clock.now();
    const clock = this.linkClock();
    const nodes = new Map<string, ClusterNode>();
    for (const n of this.current.nodes.values()) {
      nodes.set(n.id, openPeerLink<ClusterNode>(n, wallNowMs, clock));
    }
    this.current = { ...this.current, nodes };
    deliverView(this.actor, this.current);
  }

  /** The clock of the peers' links now: the timer clock and the node timeout. */
  linkClock(): LinkClock {
    return this.engine.linkClock();
  }

  /** The link timers' clock (BusNodeOptions.timerNowMs). */
  private timerNowMs(): number {
    const o = this.opts;
    return o.timerNowMs ? o.timerNowMs() : o.realTimers ? performance.now() : o.clock.now();
  }

  /** Depth of the supervisor's own actions (cron, save, release) now running. */
  private supervisorActions = 0;

  private inSupervisorAction<T>(fn: () => T): T {
    this.supervisorActions++;
    try {
      return fn();
    } finally {
      this.supervisorActions--;
    }
  }

  /**
   * End a turn whose config is dirty through the supervisor: at once (`endCleanTurn`) when it is
   * clean (the change was only noted here) and nothing can be overtaken, else as an END_OF_TURN
   * event. The event path stays for an inspected node (the visualizer sees every turn) and for a
   * node without `fatal` (a failed save throws inside the actor there).
   */
  private endDirtyTurn(sup: SupervisorRef, changed: "save" | "fsync" | undefined): void {
    if (
      this.supervisorActions === 0 && this.opts.inspect === undefined &&
      this.opts.fatal !== undefined && endCleanTurn(sup, changed)
    ) return;
    sup.send({ type: "END_OF_TURN", changed });
  }

  get state(): ClusterState {
    return this.current;
  }

  /** Install a view produced by the bus. */
  setState(next: ClusterState): void {
    const prev = this.current;
    if (next === prev) return;
    this.current = next;
    if (this.actor !== null && linksChanged(prev.nodes, next.nodes)) {
      deliverView(this.actor, next);
    }
    this.opts.viewChanged?.(prev, next);
  }

  /**
   * clusterPropagatePublish (every node with a link) and clusterPropagatePublishShard (the other
   * nodes of my shard: its master and replicas). Sent at the end of the turn, like all packets.
   */
  publish(shard: boolean, channel: Uint8Array, message: Uint8Array): void {
    if (this.stopped) return;
    const s = this.current;
    const msg = buildPublishMessage(
      s,
      shard ? "PUBLISHSHARD" : "PUBLISH",
      channel,
      message,
      this.engine.headerConfig(),
    );
    if (!shard) {
      this.engine.broadcast(msg);
      return;
    }
    const me = s.nodes.get(s.myselfId)!;
    const master = me.masterId ?? s.myselfId;
    for (const n of s.nodes.values()) {
      if (n.id === s.myselfId) continue;
      if (n.id === master || (n.masterId === master && isReplica(n))) this.engine.sendTo(n.id, msg);
    }
  }

  /**
   * Install a view a command produced: links of removed nodes are closed, config marked dirty
   * (fsynced at the end of the turn when `fsync`).
   */
  apply(next: ClusterState, opts: { save?: boolean; fsync?: boolean } = {}): void {
    const prev = this.current;
    if (prev.myselfId !== next.myselfId) {
      this.engine.dropAll();
    } else {
      for (const id of prev.nodes.keys()) if (!next.nodes.has(id)) this.engine.dropNode(id);
    }
    this.setState(next);
    if (opts.save !== false) this.markDirty(opts.fsync === true);
  }

  /**
   * clusterBroadcastPong(CLUSTER_BROADCAST_ALL): tell every peer our new config at once. The
   * PONGs are held until the end of the command's turn (its reply: Cluster.beforeReply), so they
   * leave once the change they announce is on disk.
   */
  broadcastPong(): void {
    if (this.stopped) return;
    this.engine.broadcast(
      buildPingMessage(this.current, "PONG", this.opts.rng, this.engine.headerConfig()),
    );
  }

  /**
   * A change of this turn not told to the supervisor yet (outside the cron): it goes with the
   * turn's END_OF_TURN, one event instead of two (see actors/supervisor.ts).
   */
  private pendingChange: "save" | "fsync" | null = null;

  /** CLUSTER_TODO_SAVE_CONFIG (| FSYNC): the supervisor saves at the end of this turn. */
  markDirty(fsync = false): void {
    const sup = this.supervisor;
    if (sup === undefined) return;
    if (!this.inCron) {
      // The cron's turn is ended by the supervisor itself, so it must hear of changes at once.
      if (fsync) this.pendingChange = "fsync";
      else this.pendingChange ??= "save";
      return;
    }
    // Already dirty enough: the event would change nothing (saves a macrostep per change).
    const level = supervisorConfigLevel(sup.getSnapshot());
    if (level === "dirtyFsync" || (level === "dirty" && !fsync)) return;
    sup.send({ type: "CONFIG_CHANGED", fsync });
  }

  /** Someone saved the config (CLUSTER SAVECONFIG). */
  markSaved(): void {
    this.pendingChange = null;
    this.supervisor?.send({ type: "CONFIG_SAVED" });
  }

  /** True while a change of the config is not on disk yet. */
  get configDirty(): boolean {
    const sup = this.supervisor;
    return sup !== undefined &&
      (this.pendingChange !== null || supervisorConfigDirty(sup.getSnapshot()));
  }

  /**
   * The end of a turn (Redis's beforeSleep): a dirty config is saved by the supervisor, which
   * then releases the held bus packets; with a clean config they go at once. Client replies call
   * this before they are written (Cluster.beforeReply), so a reply never announces what is not
   * on disk. Inside the cron the supervisor ends the turn itself, after the tick.
   */
  endTurn(opts: { beforeReply?: boolean } = {}): void {
    if (this.stopped || this.inCron) return;
    this.releaseAfterReply = opts.beforeReply === true;
    try {
      if (this.supervisor !== undefined && this.configDirty) {
        const changed = this.pendingChange ?? undefined;
        this.pendingChange = null;
        this.endDirtyTurn(this.supervisor, changed);
        if (this.configDirty) throw new Error("end of turn left the cluster config unsaved");
      } else {
        this.release();
      }
    } finally {
      this.releaseAfterReply = false;
    }
  }

  /**
   * Hand the held bus packets to the network. At the end of a client turn they follow the
   * replies (a microtask later, once the reply write has started), as in Redis, whose
   * beforeSleep writes client replies and leaves cluster links to the next event-loop poll: a
   * tool driving several nodes (redis-cli's SETSLOT NODE to every master) reaches the next node
   * before this node's gossip does.
   */
  private release(): void {
    if (this.releaseAfterReply) queueMicrotask(() => this.engine.releaseOutbox());
    else this.engine.releaseOutbox();
  }

  /** One cron tick (called by the supervisor, which ends the turn after it). */
  tick(): void {
    if (this.stopped) return;
    if (this.pendingChange !== null) {
      // A change whose turn has not ended: the tick's end of turn saves it before its output.
      this.supervisor?.send({ type: "CONFIG_CHANGED", fsync: this.pendingChange === "fsync" });
      this.pendingChange = null;
    }
    this.inCron = true;
    try {
      if (this.opts.beforeTick) {
        const r = this.opts.beforeTick(this.current);
        this.setState(r.state);
        if (r.dirty) this.markDirty(false);
      }
      this.engine.tick();
    } finally {
      this.inCron = false;
    }
  }

  supervisorStats(): SupervisorStats | null {
    return this.actor ? supervisorStatsOf(this.actor) : null;
  }

  /** Link state names by node id. */
  linkStates(): Map<string, string> {
    return this.actor ? linkStates(this.actor) : new Map();
  }

  get nodeActor(): NodeActor | null {
    return this.actor;
  }

  /** Save a pending change, stop the actors, close the bus. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pendingChange !== null) {
      // A change no turn ended yet: the supervisor saves it on SHUTDOWN.
      this.supervisor?.send({ type: "CONFIG_CHANGED", fsync: this.pendingChange === "fsync" });
      this.pendingChange = null;
    }
    this.actor?.send({ type: "SHUTDOWN" });
    this.actor?.stop();
    this.actor = null;
    this.supervisor = undefined;
    this.engine.stop();
  }
}

/** Nodes in HANDSHAKE, for tests. */
export function handshakeCount(s: ClusterState): number {
  let n = 0;
  for (const x of s.nodes.values()) if (x.flags & NodeFlags.HANDSHAKE) n++;
  return n;
}
