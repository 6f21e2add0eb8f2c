/**
 * A whole cluster in one process on one seed: N nodes of the shipping bus engine (BusNode: the
 * engine, the node actor system with its supervisor and link machines), each with its own
 * simulated disk, on the simulated network and a simulated clock (sim/heap_clock.ts, xstate's
 * SimulatedClock shape, given to the actors as their `clock`). One Prng, forked per
 * concern, makes every random choice, so a seed replays a run exactly.
 *
 * What happens to the nodes goes through the same seams as in production: nodes.conf saves reach
 * the node's SimDisk (fsynced or not), packets leave through the network after the end-of-turn
 * save, and a crash is a process crash (the disk keeps what was written) or a power loss (it may
 * lose what was not fsynced); a restarted node loads its nodes.conf text as a real one does.
 * Replication is modelled (sim/replication.ts): offsets, replica links and write pauses feed the
 * failover rules through the same host interface the server gives them. Each node runs on its own
 * view of the clock (sim/node_clock.ts), which can be frozen (a stopped process) or stepped
 * forward (an NTP correction).
 */

import { advanceAsync, SimBusNetwork } from "../cluster/bus_network_sim.ts";
import { Prng } from "../cluster/prng.ts";
import { BusNode } from "../cluster/bus_node.ts";
import { randomNodeIdFrom, setMyMaster } from "../cluster/bus_node_ops.ts";
import { clusterFailoverCommand, type FailoverMode } from "../cluster/failover_rules.ts";
import { setSlot, type SetSlotAction } from "../cluster/setslot.ts";
import { DEFAULT_FAILOVER_CONFIG } from "../cluster/failover_types.ts";
import type { FailoverConfig } from "../cluster/failover_types.ts";
import {
  addNode,
  addSlots,
  assertInvariants,
  blacklistAdd,
  type ClusterState,
  createNode,
  createState,
  deleteNode,
  delSlots,
  isMaster,
  isReplica,
  myself,
  NodeFlags,
  reset,
  setConfigEpoch,
  SLOT_ASSIGNMENT_SAVE,
  updateClusterState,
  updateNode,
} from "../cluster/state.ts";
import type { BusConfig, LogLevel } from "../cluster/bus_effects.ts";
import type { BusLink } from "../cluster/bus_network.ts";
import { parseConfig, serializeConfig } from "../cluster/nodes_conf.ts";
import { type BusMessage, decodeBusMessage } from "../protocol/bus.ts";
import { SimDisk } from "./disk.ts";
import { SafetyMonitor } from "./safety.ts";
import { SimReplication } from "./replication.ts";
import { NodeClock } from "./node_clock.ts";
import { HeapClock } from "./heap_clock.ts";
import { MinorityMasterCheck, type MinorityWorld } from "./minority_check.ts";
import {
  peekConfigEpoch,
  peekFlags,
  peekGossipFlagged,
  peekSender,
  peekType,
} from "./packet_peek.ts";

const NO_NAMES: readonly string[] = [];

/**
 * The world's clock at the start: ~28 hours, a multiple of 1,000 as the old start (so every
 * seconds-truncated gossip time and every cron phase is the same). A time below 2^31 is a small
 * integer to V8, kept in the object that holds it; a wall-clock epoch time (~1.8e12) is a heap
 * number of its own, ~16 bytes more for each of the ~16 times the simulator and its nodes hold per
 * pair of nodes. The trace hashes times from the start, so they do not depend on it.
 */
export const SIM_START_MS = 100_000_000;
const BASE_PORT = 17100;

export interface SimWorldOptions {
  nodes: number;
  nodeTimeoutMs: number;
  /** Bus latency range per packet. */
  latency?: { minMs: number; maxMs: number };
  /**
   * The crash at the point that matters: with this probability a node that has just put a
   * FAILOVER_AUTH_ACK on the wire dies right after (a power loss half of the time).
   */
  crashAfterVote?: number;
  /** Called with every bus message a node puts on the wire (after the end-of-turn save). */
  onSent?: (i: number, message: BusMessage) => void;
  /** Disks that acknowledge fsync without keeping anything (to check the monitor itself). */
  lyingDisks?: boolean;
  /** cluster-require-full-coverage and cluster-allow-replica-migration (default yes, yes). */
  bus?: Partial<Pick<BusConfig, "requireFullCoverage" | "allowReplicaMigration">>;
  /** Failover settings of every node (Redis's defaults otherwise); `failoverConfig(i)` edits one. */
  failover?: Partial<FailoverConfig>;
  /** Bytes a master writes per 100 ms (default 100). */
  writeBytesPer100Ms?: number;
  /** Lines of the network's own trace kept (`net.trace()`; default 10,000; 0: none). */
  netTraceLines?: number;
  /**
   * Start the nodes one after another, evenly over this many ms (default 0: all at once), as
   * nodes started by hand or by a script are: their crons (every 100 ms from the start) then
   * tick at different moments, where nodes started in one instant all send their cron's PINGs
   * in the same millisecond.
   */
  bootSpreadMs?: number;
}

/** One log line of a node. */
export interface SimLogLine {
  level: string;
  text: string;
  atMs: number;
}

/** Log lines kept per node (the oldest half goes when full). */
const NODE_LOG_MAX = 4000;

interface SimNodeSlot {
  identity: string;
  /** The node id (kept across restarts: it is in nodes.conf; CLUSTER RESET HARD changes it). */
  id: string;
  port: number;
  disk: SimDisk;
  node: BusNode | null;
  /** The running node's clock (frozen while the process is stopped). */
  clock: NodeClock | null;
  /** How far the machine's wall clock is ahead of the world's (kept across restarts). */
  clockAheadMs: number;
  /** When the node last started or was continued (its timers caught up then). */
  resumedAtMs: number;
  rng: Prng;
  failover: FailoverConfig;
  logs: SimLogLine[];
  /** Bus messages this node sent, by type, across restarts. */
  sent: Map<string, number>;
  /** Bus packets and bytes this node put on the wire, across restarts. */
  sentPackets: number;
  sentBytes: number;
  /** The node's log (what its server would write). */
  log: (level: LogLevel, text: string) => void;
}

export class SimWorld {
  readonly clock = new HeapClock();
  readonly net: SimBusNetwork;
  readonly rng: Prng;
  readonly monitor: SafetyMonitor;
  readonly cfg: BusConfig;
  readonly replication: SimReplication;
  private readonly slots: SimNodeSlot[] = [];
  /** Node id -> index (a map: the checks look nodes up by id for every node they see). */
  private readonly indexById = new Map<string, number>();
  /** Log lines of the run (warnings and notices of every node), for a failing seed's report. */
  readonly log: string[] = [];
  /** Draws for the crash-after-vote hook. */
  private readonly hookRng: Prng;
  /** Nodes the hook killed, for the fault list. */
  readonly hookCrashes: number[] = [];
  /**
   * FNV-1a over every bus message sent (time, node, type) and every log line: two runs with one
   * seed have the same trace hash, and a change of behaviour almost surely changes it.
   */
  private trace = 0x811c9dc5;
  /** The node running CLUSTER FAILOVER TAKEOVER right now (its promotion is not an election). */
  private takingOver = -1;
  /** False once the fault phase is over: the crash-after-vote hook stops firing. */
  faultsOn = true;
  /** A cut-off master must stop serving in time (sim/minority_check.ts). */
  private readonly minority: MinorityMasterCheck;
  private readonly minorityView: MinorityWorld;

  private constructor(readonly seed: number, readonly opts: SimWorldOptions) {
    this.clock.set(SIM_START_MS);
    this.rng = new Prng(seed);
    this.hookRng = this.rng.fork();
    this.monitor = new SafetyMonitor(opts.nodeTimeoutMs);
    this.net = new SimBusNetwork(this.clock, {
      seed: this.rng.fork().nextU32(),
      latency: opts.latency ?? { minMs: 1, maxMs: 5 },
      traceLimit: opts.netTraceLines,
      // The engines decode every packet into copies at once, and the taps peek during the call.
      recyclePackets: true,
    });
    this.cfg = {
      nodeTimeoutMs: opts.nodeTimeoutMs,
      announcedIp: "",
      requireFullCoverage: opts.bus?.requireFullCoverage ?? true,
      allowReplicaMigration: opts.bus?.allowReplicaMigration ?? true,
    };
    this.replication = new SimReplication(opts.nodes, opts.writeBytesPer100Ms ?? 100);
    this.minority = new MinorityMasterCheck(opts.nodes, opts.nodeTimeoutMs);
    this.minorityView = {
      get size() {
        return opts.nodes;
      },
      now: () => this.now(),
      stateOf: (i) => this.slots[i].node?.state ?? null,
      isUp: (i) => this.isUp(i),
      isFrozen: (i) => this.isFrozen(i),
      identity: (i) => this.identity(i),
      indexOf: (id) => this.indexOf(id),
      resumedAtMs: (i) => this.slots[i].resumedAtMs,
      clockAheadMs: (i) => this.slots[i].clockAheadMs,
      // A whole network (the usual case) answers without building the pair key per call.
      reachable: (a, b) => this.net.isWhole() || this.net.reachable(a, b),
      hasCuts: () => this.net.hasCuts(),
    };
  }

  /** N fresh nodes, each a one-node cluster with its own id (not yet met). */
  static async create(seed: number, opts: SimWorldOptions): Promise<SimWorld> {
    const w = new SimWorld(seed, opts);
    const spreadMs = opts.bootSpreadMs ?? 0;
    for (let i = 0; i < opts.nodes; i++) {
      if (spreadMs > 0 && i > 0) {
        // Only the clock: the models and monitors start once every node is there.
        const stepMs = Math.floor(spreadMs * i / opts.nodes) -
          Math.floor(spreadMs * (i - 1) / opts.nodes);
        if (stepMs > 0) await advanceAsync(w.clock, stepMs, 2);
      }
      const port = BASE_PORT + i;
      const rng = w.rng.fork();
      const id = randomNodeIdFrom(w.rng);
      const slot: SimNodeSlot = {
        identity: `127.0.0.1:${port + 10000}`,
        id,
        port,
        disk: new SimDisk(opts.lyingDisks === true),
        node: null,
        clock: null,
        clockAheadMs: 0,
        resumedAtMs: 0,
        rng,
        failover: { ...DEFAULT_FAILOVER_CONFIG, ...opts.failover },
        logs: [],
        sent: new Map(),
        sentPackets: 0,
        sentBytes: 0,
        log: () => {},
      };
      w.slots.push(slot);
      w.indexById.set(id, i);
      const state = updateNode(createState(id, w.now()), id, { port, cport: port + 10000 });
      slot.disk.install(serializeConfig(state));
      await w.boot(i, state);
    }
    return w;
  }

  now(): number {
    return this.clock.now();
  }

  /** The trace hash so far, as 8 hex digits. */
  traceHash(): string {
    return (this.trace >>> 0).toString(16).padStart(8, "0");
  }

  private hashLine(line: string): void {
    let h = this.trace;
    for (let k = 0; k < line.length; k++) {
      h ^= line.charCodeAt(k);
      h = Math.imul(h, 0x01000193);
    }
    this.trace = h;
  }

  get size(): number {
    return this.slots.length;
  }

  isUp(i: number): boolean {
    return this.slots[i].node !== null;
  }

  /** Indexes of the running nodes. */
  up(): number[] {
    return this.slots.map((_, i) => i).filter((i) => this.isUp(i));
  }

  /** Indexes of the nodes that are down. */
  down(): number[] {
    return this.slots.map((_, i) => i).filter((i) => !this.isUp(i));
  }

  /** Node i is up and a master with slots in its own view. */
  servesSlots(i: number): boolean {
    if (!this.isUp(i)) return false;
    const s = this.node(i).state;
    const me = s.nodes.get(s.myselfId)!;
    return isMaster(me) && me.numSlots > 0;
  }

  node(i: number): BusNode {
    const n = this.slots[i].node;
    if (n === null) throw new Error(`node ${i} is down`);
    return n;
  }

  identity(i: number): string {
    return this.slots[i].identity;
  }

  /** Node i's id (also while it is down). */
  id(i: number): string {
    return this.slots[i].id;
  }

  /** The index of the node with id `id`, or -1. */
  indexOf(id: string): number {
    return this.indexById.get(id) ?? -1;
  }

  /** Node i's log lines, oldest first (bounded). */
  logs(i: number): readonly SimLogLine[] {
    return this.slots[i].logs;
  }

  /** Bus messages node i sent, by type (PING, FAIL, UPDATE, ...), across restarts. */
  sent(i: number, type: string): number {
    return this.slots[i].sent.get(type) ?? 0;
  }

  /** Bus packets and bytes node i put on the wire, across restarts. */
  sentTotals(i: number): { packets: number; bytes: number } {
    return { packets: this.slots[i].sentPackets, bytes: this.slots[i].sentBytes };
  }

  /** Node i's failover settings (cluster-replica-no-failover, ...): edits apply at once. */
  failoverConfig(i: number): FailoverConfig {
    return this.slots[i].failover;
  }

  disk(i: number): SimDisk {
    return this.slots[i].disk;
  }

  /** The states of the running nodes. */
  states(): ClusterState[] {
    return this.up().map((i) => this.node(i).state);
  }

  /** A packet node i put on the wire: its counters and the trace. */
  private countSent(slot: SimNodeSlot, i: number, type: string): void {
    slot.sent.set(type, (slot.sent.get(type) ?? 0) + 1);
    this.hashLine(`${this.now() - SIM_START_MS} ${i} ${type}\n`);
  }

  private async boot(i: number, state: ClusterState): Promise<void> {
    const slot = this.slots[i];
    const id = state.myselfId;
    slot.log = (level, text) => {
      if (level === "debug") return;
      slot.logs.push({ level, text, atMs: this.now() });
      this.hashLine(`${this.now() - SIM_START_MS} ${i} ${text}\n`);
      if (slot.logs.length > NODE_LOG_MAX) slot.logs.splice(0, NODE_LOG_MAX / 2);
      if (level === "warning" || level === "notice") {
        this.log.push(`${this.now() - SIM_START_MS} #${i} ${text}`);
        if (this.log.length > 4000) this.log.splice(0, 2000);
      }
    };
    const clock = new NodeClock(this.clock, slot.clockAheadMs);
    slot.clock = clock;
    slot.resumedAtMs = this.now();
    const node: BusNode = new BusNode({
      state,
      // The link timers run on the world's clock: a step of this node's wall clock leaves them be.
      timerNowMs: () => this.clock.now(),
      network: this.net.tappedHost(slot.identity, {
        sent: (packet) => {
          slot.sentPackets++;
          slot.sentBytes += packet.length;
          // Every packet here is the engine's encoding: only the few that need more than the
          // header's fields are decoded whole (sim/packet_peek.ts).
          const type = peekType(packet);
          if (this.opts.onSent !== undefined || type === "FAIL" || type === "FAILOVER_AUTH_ACK") {
            const d = decodeBusMessage(packet);
            if (!d.ok) return;
            this.countSent(slot, i, type);
            this.opts.onSent?.(i, d.message);
            this.monitor.packetSent(id, d.message, this.now(), node.state);
          } else {
            this.countSent(slot, i, type);
            this.monitor.headerSent(id, peekFlags(packet), peekConfigEpoch(packet));
          }
          if (
            type === "FAILOVER_AUTH_ACK" && this.faultsOn &&
            this.hookRng.chance(this.opts.crashAfterVote ?? 0)
          ) {
            const power = this.hookRng.chance(0.5);
            // Right after this turn's output is out, before anything else runs on the node.
            queueMicrotask(() => {
              if (this.slots[i].node !== node) return;
              this.crash(i, power);
              this.hookCrashes.push(i);
            });
          }
        },
        received: (packet) => {
          const type = peekType(packet);
          const failing = (type === "PING" || type === "PONG" || type === "MEET") &&
              (peekFlags(packet) & NodeFlags.MASTER)
            ? peekGossipFlagged(packet, NodeFlags.PFAIL | NodeFlags.FAIL)
            : NO_NAMES;
          const sender = failing.length > 0 ? peekSender(packet) : "";
          this.monitor.packetReceivedFields(id, sender, failing, this.now(), node.state);
        },
      }),
      clock,
      rng: slot.rng.fork(),
      config: () => this.cfg,
      // Serialized when read (a restart, a test): the state is immutable, the text the same.
      save: (s, fsync) => slot.disk.write(() => serializeConfig(s), fsync),
      // A node whose disk refused a write is being killed: nothing more happens on it.
      fatal: () => {},
      log: slot.log,
      failover: () => ({
        config: slot.failover,
        replOffset: this.replication.nodes[i].offset,
        replication: this.replication.nodes[i].repl,
      }),
      replicate: (masterId) => this.startSync(i, masterId),
      replicationUnsetMaster: () => {
        this.replication.promoted(i);
        if (this.takingOver === i) this.monitor.tookOver(node.state);
        else this.monitor.promoted(node.state, this.now());
      },
      pauseWrites: (untilMs) => this.replication.pause(i, untilMs, this.now()),
      unpauseWrites: () => this.replication.unpause(i, this.now()),
    });
    await node.start(["127.0.0.1"], slot.port + 10000);
    slot.node = node;
    // A replica starts replicating its master at start-up, as the server does.
    const masterId = myself(state).masterId;
    if (masterId !== null) this.startSync(i, masterId);
  }

  /**
   * Stop node i's process (SIGSTOP): its timers are held and the network holds its packets both
   * ways, links open. Connects to it time out meanwhile. `thaw` continues it.
   */
  freeze(i: number): void {
    const slot = this.slots[i];
    if (slot.clock === null || slot.clock.isFrozen) return;
    slot.clock.freeze();
    this.net.isolate(slot.identity, "blackhole");
    this.log.push(`${this.now() - SIM_START_MS} #${i} frozen`);
  }

  /** Continue node i (SIGCONT): its overdue timers run at once, then the held packets arrive. */
  thaw(i: number): void {
    const slot = this.slots[i];
    if (slot.clock === null || !slot.clock.isFrozen) return;
    this.log.push(`${this.now() - SIM_START_MS} #${i} continued`);
    slot.resumedAtMs = this.now();
    slot.clock.thaw();
    this.net.rejoin(slot.identity);
  }

  /** Step node i's wall clock forward by `ms` (an NTP correction). */
  jumpClock(i: number, ms: number): void {
    const slot = this.slots[i];
    if (slot.clock === null) return;
    slot.clock.jump(ms);
    slot.clockAheadMs += ms;
    this.log.push(`${this.now() - SIM_START_MS} #${i} clock +${ms} ms`);
  }

  isFrozen(i: number): boolean {
    return this.slots[i].clock?.isFrozen === true;
  }

  private readonly replicationView = {
    isUp: (i: number) => this.isUp(i) && !this.isFrozen(i),
    isMaster: (i: number) => isMaster(myself(this.node(i).state)),
    masterOf: (i: number) => {
      const m = myself(this.node(i).state).masterId;
      return m === null ? -1 : this.indexOf(m);
    },
    reachable: (i: number, j: number) =>
      this.net.reachable(this.slots[i].identity, this.slots[j].identity),
  };

  private startSync(i: number, masterId: string): void {
    this.replication.fullSync(
      this.replicationView,
      i,
      this.indexOf(masterId),
      masterId,
      this.now(),
    );
  }

  /** Kill node i like kill -9 (`power`: the machine loses power too). */
  crash(i: number, power = false): void {
    const slot = this.slots[i];
    if (slot.node === null) return;
    if (power) slot.disk.powerLoss(slot.rng);
    else slot.disk.freeze();
    this.net.isolate(slot.identity);
    slot.node.stop();
    slot.node = null;
    slot.clock?.clear();
    slot.clock = null;
    this.log.push(`${this.now() - SIM_START_MS} #${i} ${power ? "power loss" : "killed"}`);
  }

  /** Start node i again from what its disk holds. */
  async restart(i: number): Promise<void> {
    const slot = this.slots[i];
    if (slot.node !== null) return;
    const text = slot.disk.read();
    if (text === null) throw new Error(`node ${i}: empty disk`);
    const r = parseConfig(text, this.now());
    if ("error" in r) throw new Error(`node ${i}: nodes.conf does not load: ${r.error.reason}`);
    assertInvariants(r.state);
    this.monitor.restarted(r.state, this.now());
    slot.disk.thaw();
    this.net.rejoin(slot.identity);
    this.log.push(`${this.now() - SIM_START_MS} #${i} restarted`);
    await this.boot(i, r.state);
  }

  /**
   * Called after every 2 ms step of `run`, for progress lines only (it must change nothing): at
   * thousands of nodes 50 simulated ms can take many wall minutes.
   */
  afterStep: (() => void) | undefined = undefined;

  /**
   * Run `ms` of simulated time in 2 ms steps; every 50 ms the replication model steps and the
   * safety monitor checks.
   */
  async run(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 50) {
      const step = Math.min(50, left);
      await advanceAsync(this.clock, step, 2, this.afterStep);
      this.replication.step(this.replicationView, this.now(), step);
      this.monitor.step(this.states(), this.now());
      this.minority.step(
        this.minorityView,
        (id, since, reached, masters, now) =>
          this.monitor.minorityServing(id, since, reached, masters, now),
      );
    }
  }

  /** `runUntil`, giving the simulated ms it took (in 50 ms steps), or -1 past `maxMs`. */
  async runUntilMs(cond: () => boolean, maxMs: number): Promise<number> {
    const start = this.now();
    return await this.runUntil(cond, maxMs) ? this.now() - start : -1;
  }

  /** Run until `cond` holds; false when `maxMs` of simulated time passed first. */
  async runUntil(cond: () => boolean, maxMs: number): Promise<boolean> {
    const end = this.now() + maxMs;
    while (!cond()) {
      if (this.now() >= end) return false;
      await this.run(50);
    }
    return true;
  }

  /**
   * Install a view on node i as a command would: state update, then the end of the command's
   * turn (the node saves, then its held packets leave, as before a client reply).
   */
  command(i: number, s: ClusterState, opts: { fsync?: boolean } = {}): void {
    const node = this.node(i);
    node.apply(
      updateClusterState(s, this.now(), {
        requireFullCoverage: this.cfg.requireFullCoverage,
        nodeTimeoutMs: this.cfg.nodeTimeoutMs,
      }),
      opts,
    );
    node.endTurn({ beforeReply: true });
  }

  /**
   * The SETSLOT commands `redis-cli --cluster reshard` sends to move one empty slot from node
   * `src` to node `dst`, in its order: IMPORTING on dst, MIGRATING on src, NODE on dst, on src,
   * then on each of the `others` masters.
   */
  reshardSteps(src: number, dst: number, others: readonly number[]): [number, SetSlotAction][] {
    const to = this.id(dst);
    return [
      [dst, { kind: "importing", nodeId: this.id(src) }],
      [src, { kind: "migrating", nodeId: to }],
      [dst, { kind: "node", nodeId: to }],
      [src, { kind: "node", nodeId: to }],
      ...others.map((k): [number, SetSlotAction] => [k, { kind: "node", nodeId: to }]),
    ];
  }

  /**
   * CLUSTER SETSLOT on node i, through the same rules as the command (cluster/setslot.ts; the
   * simulated nodes hold no keys): null for +OK, else the error text.
   */
  setSlot(i: number, slot: number, action: SetSlotAction): string | null {
    const node = this.node(i);
    if (isReplica(myself(node.state))) return "ERR Please use SETSLOT only with masters.";
    const r = setSlot(node.state, slot, action, {
      keysInSlot: 0,
      allowReplicaMigration: this.cfg.allowReplicaMigration,
    });
    if ("error" in r) return r.error;
    for (const l of r.logs) this.slots[i].log(l.level, l.text);
    this.command(i, r.state, { fsync: r.fsync });
    if (r.broadcastPong) {
      node.broadcastPong();
      node.endTurn({ beforeReply: true });
    }
    return null;
  }

  /** CLUSTER MEET from node i to node j's address. */
  meet(i: number, j: number): void {
    const node = this.node(i);
    const port = this.slots[j].port;
    // Stamped with the node's own wall clock, as CLUSTER MEET stamps it (commands/cluster.ts): the
    // cron expires a handshake by that clock. With the world's time, a node whose clock was stepped
    // ahead by about node-timeout dropped every handshake it started at its first tick, and so
    // could never be added back (`deno task sim --seed 930837`).
    const met = createNode(
      randomNodeIdFrom(this.rng),
      NodeFlags.HANDSHAKE | NodeFlags.MEET,
      this.slots[i].clock!.now(),
      { ip: "127.0.0.1", port, cport: port + 10000 },
      node.linkClock(),
    );
    node.apply(addNode(node.state, met), { save: false });
  }

  /**
   * CLUSTER FORGET on node i of node j, through the command's rules (commands/cluster.ts): the
   * node is deleted and blacklisted for a minute. Null for +OK, else the error text.
   */
  forget(i: number, j: number): string | null {
    const s = this.node(i).state;
    const id = this.id(j);
    if (!s.nodes.has(id)) return `ERR Unknown node ${id}`;
    if (id === s.myselfId) return "ERR I tried hard but I can't forget myself...";
    const me = myself(s);
    if (isReplica(me) && me.masterId === id) return "ERR Can't forget my master!";
    this.command(i, deleteNode(blacklistAdd(s, id, this.now()), id));
    return null;
  }

  /**
   * CLUSTER RESET SOFT on node i (the simulated nodes hold no keys): it forgets every other node
   * and its slots, and a replica becomes a master (replicationUnsetMaster), saved with fsync.
   */
  resetSoft(i: number): void {
    const wasReplica = isReplica(myself(this.node(i).state));
    this.command(i, reset(this.node(i).state, false, "", this.now()), { fsync: true });
    if (wasReplica) this.replication.promoted(i);
  }

  /**
   * CLUSTER RESET HARD on node i (the simulated nodes hold no keys): as SOFT, and it takes a new
   * node id and sets currentEpoch, configEpoch and lastVoteEpoch to 0 (cluster.c clusterReset).
   * The world knows it by its new id from then on. Returns the new id.
   */
  resetHard(i: number): string {
    const wasReplica = isReplica(myself(this.node(i).state));
    const next = reset(this.node(i).state, true, randomNodeIdFrom(this.rng), this.now());
    const slot = this.slots[i];
    slot.log("warning", "configEpoch set to 0 via CLUSTER RESET HARD");
    slot.log("notice", `Node hard reset, now I'm ${next.myselfId}`);
    this.indexById.delete(slot.id);
    slot.id = next.myselfId;
    this.indexById.set(slot.id, i);
    this.command(i, next, { fsync: true });
    if (wasReplica) this.replication.promoted(i);
    return next.myselfId;
  }

  /** CLUSTER ADDSLOTSRANGE first last on node i. */
  addSlots(i: number, first: number, last: number): void {
    const err = this.addSlotsRange(i, first, last);
    if (err !== null) throw new Error(err);
  }

  /** CLUSTER ADDSLOTSRANGE first last on node i: null for +OK, else the error text. */
  addSlotsRange(i: number, first: number, last: number): string | null {
    const r = addSlots(this.node(i).state, [[first, last]]);
    if (!("state" in r)) return r.error;
    this.command(i, r.state, SLOT_ASSIGNMENT_SAVE);
    return null;
  }

  /** CLUSTER DELSLOTSRANGE first last on node i: null for +OK, else the error text. */
  delSlotsRange(i: number, first: number, last: number): string | null {
    const r = delSlots(this.node(i).state, [[first, last]]);
    if (!("state" in r)) return r.error;
    this.command(i, r.state, SLOT_ASSIGNMENT_SAVE);
    return null;
  }

  /** CLUSTER SET-CONFIG-EPOCH on node i (as redis-cli --cluster create sends before the MEETs). */
  setConfigEpoch(i: number, epoch: number): void {
    const r = setConfigEpoch(this.node(i).state, epoch);
    if (!("state" in r)) throw new Error(r.error);
    this.command(i, r.state, { fsync: true });
  }

  /** CLUSTER REPLICATE: node i becomes a replica of node j and starts a full sync. */
  replicate(i: number, j: number): void {
    this.command(i, setMyMaster(this.node(i).state, this.id(j)));
    this.startSync(i, this.id(j));
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] on node i: null for +OK, else the error text. */
  failover(i: number, mode: FailoverMode): string | null {
    this.takingOver = mode === "takeover" ? i : -1;
    try {
      return this.node(i).engine.runFailoverRule((s, ctx) => clusterFailoverCommand(s, mode, ctx));
    } finally {
      this.takingOver = -1;
    }
  }

  /** Cut nodes `a` off from nodes `b` (both ways), on top of any other cut; `net.heal()` ends it. */
  cut(a: readonly number[], b: readonly number[]): void {
    this.net.cut(a.map((i) => this.identity(i)), b.map((i) => this.identity(i)));
  }

  /** What node i sends to node j no longer arrives; j still reaches i (SimBusNetwork.cutOneWay). */
  cutOneWay(i: number, j: number): void {
    this.net.cutOneWay([this.identity(i)], [this.identity(j)]);
  }

  /**
   * Open a bus connection to node i's bus port from machine `from`, an identity no node uses
   * (e.g. "10.0.0.99:1"): a stranger on the bus port, for tests that send it hand-made bytes.
   * The world runs (in 50 ms steps) until the connect settles; rejects as the connect does
   * (refused, unreachable, timed out). The link is not tapped: what it sends is not in `sent`
   * or the trace hash.
   */
  async connectFrom(from: string, i: number, timeoutMs = 1000): Promise<BusLink> {
    const done: { link?: BusLink; error?: unknown } = {};
    let settled = false;
    this.net.host(from).connect("127.0.0.1", this.slots[i].port + 10000, timeoutMs).then(
      (link) => {
        done.link = link;
        settled = true;
      },
      (error) => {
        done.error = error;
        settled = true;
      },
    );
    if (!await this.runUntil(() => settled, timeoutMs + 50)) {
      throw new Error(`connect from ${from} to node ${i}: not settled in ${timeoutMs} ms`);
    }
    if (done.link === undefined) throw done.error;
    return done.link;
  }

  /**
   * Form a cluster: every node meets node 0, masters are nodes 0..m-1 with equal slot ranges,
   * node m+k replicates master replicaOf[k]. Returns false if it did not settle in time.
   */
  async form(masters: number, replicaOf: readonly number[]): Promise<boolean> {
    const n = this.size;
    for (let i = 1; i < n; i++) this.meet(i, 0);
    const meshed = await this.runUntil(
      () =>
        this.states().every((s) =>
          s.nodes.size === n &&
          [...s.nodes.values()].every((y) =>
            !(y.flags & NodeFlags.HANDSHAKE) &&
            (y.id === s.myselfId || y.linkState === "connected")
          )
        ),
      30_000,
    );
    if (!meshed) return false;
    const per = Math.floor(16384 / masters);
    for (let m = 0; m < masters; m++) {
      this.addSlots(m, m * per, m === masters - 1 ? 16383 : (m + 1) * per - 1);
    }
    const ids = this.slots.map((s) => s.id);
    replicaOf.forEach((m, k) => this.replicate(masters + k, m));
    return await this.runUntil(
      () =>
        this.converged() &&
        this.states().every((s) =>
          replicaOf.every((m, k) => s.nodes.get(ids[masters + k])?.masterId === ids[m])
        ),
      30_000,
    );
  }

  /**
   * Every node up, cluster ok everywhere, one view of the slots (each slot's owner a master in
   * every view), and no two masters with slots sharing a configEpoch.
   */
  converged(): boolean {
    if (this.up().length !== this.size) return false;
    const states = this.states();
    const ref = states[0].slotOwner;
    for (const s of states) {
      if (s.health !== "ok") return false;
      for (let j = 0; j < 16384; j++) {
        const o = s.slotOwner.get(j);
        if (o !== ref.get(j) || o === null) return false;
        const owner = s.nodes.get(o);
        if (owner === undefined || !isMaster(owner)) return false;
      }
    }
    const epochs = new Map<number, string>();
    for (const n of states[0].nodes.values()) {
      if (!isMaster(n) || n.numSlots === 0) continue;
      if (epochs.has(n.configEpoch)) return false;
      epochs.set(n.configEpoch, n.id);
    }
    return true;
  }

  /** Stop every node and the network. */
  shutdown(): void {
    for (const s of this.slots) {
      s.disk.freeze();
      s.node?.stop();
      s.node = null;
    }
    this.net.shutdown();
  }
}
