/**
 * A whole cluster in one process on one seed: N nodes of the shipping bus engine (BusNode: the
 * engine, the node actor system with its supervisor and link machines), each with its own
 * simulated disk, on the simulated network and xstate's SimulatedClock. One SimRandom, forked per
 * concern, makes every random choice, so a seed replays a run exactly.
 *
 * What happens to the nodes goes through the same seams as in production: nodes.conf saves reach
 * the node's SimDisk (fsynced or not), packets leave through the network after the end-of-turn
 * save, and a crash is a process crash (the disk keeps what was written) or a power loss (it may
 * lose what was not fsynced); a restarted node loads its nodes.conf text as a real one does.
 */

import { SimulatedClock } from "xstate";
import { advanceAsync, SimBusNetwork } from "../cluster/bus_network_sim.ts";
import { SimRandom } from "../cluster/sim_random.ts";
import { BusNode } from "../cluster/bus_node.ts";
import { randomNodeIdFrom, setMyMaster } from "../cluster/bus_node_ops.ts";
import {
  addNode,
  addSlots,
  assertInvariants,
  type ClusterState,
  createNode,
  createState,
  isMaster,
  NodeFlags,
  updateClusterState,
  updateNode,
} from "../cluster/state.ts";
import type { BusConfig } from "../cluster/bus_effects.ts";
import { parseConfig, serializeConfig } from "../cluster/nodes_conf.ts";
import { decodeBusMessage } from "../protocol/bus.ts";
import { SimDisk } from "./disk.ts";
import { tapSends } from "./tap.ts";
import { SafetyMonitor } from "./safety.ts";

export const SIM_START_MS = 1_790_000_000_000;
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
  /** Disks that acknowledge fsync without keeping anything (to check the monitor itself). */
  lyingDisks?: boolean;
}

interface SimNodeSlot {
  identity: string;
  port: number;
  disk: SimDisk;
  node: BusNode | null;
  rng: SimRandom;
}

export class SimWorld {
  readonly clock = new SimulatedClock();
  readonly net: SimBusNetwork;
  readonly rng: SimRandom;
  readonly monitor = new SafetyMonitor();
  readonly cfg: BusConfig;
  private readonly slots: SimNodeSlot[] = [];
  /** Log lines of the run (warnings and notices of every node), for a failing seed's report. */
  readonly log: string[] = [];
  /** Draws for the crash-after-vote hook. */
  private readonly hookRng: SimRandom;
  /** Nodes the hook killed, for the fault list. */
  readonly hookCrashes: number[] = [];
  /** False once the fault phase is over: the crash-after-vote hook stops firing. */
  faultsOn = true;

  private constructor(readonly seed: number, readonly opts: SimWorldOptions) {
    this.clock.set(SIM_START_MS);
    this.rng = new SimRandom(seed);
    this.hookRng = this.rng.fork();
    this.net = new SimBusNetwork(this.clock, {
      seed: this.rng.fork().nextU32(),
      latency: opts.latency ?? { minMs: 1, maxMs: 5 },
    });
    this.cfg = {
      nodeTimeoutMs: opts.nodeTimeoutMs,
      announcedIp: "",
      requireFullCoverage: true,
      allowReplicaMigration: true,
    };
  }

  /** N fresh nodes, each a one-node cluster with its own id (not yet met). */
  static async create(seed: number, opts: SimWorldOptions): Promise<SimWorld> {
    const w = new SimWorld(seed, opts);
    for (let i = 0; i < opts.nodes; i++) {
      const port = BASE_PORT + i;
      const slot: SimNodeSlot = {
        identity: `127.0.0.1:${port + 10000}`,
        port,
        disk: new SimDisk(opts.lyingDisks === true),
        node: null,
        rng: w.rng.fork(),
      };
      w.slots.push(slot);
      const id = randomNodeIdFrom(w.rng);
      const state = updateNode(createState(id, w.now()), id, { port, cport: port + 10000 });
      slot.disk.install(serializeConfig(state));
      await w.boot(i, state);
    }
    return w;
  }

  now(): number {
    return this.clock.now();
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

  disk(i: number): SimDisk {
    return this.slots[i].disk;
  }

  /** The states of the running nodes. */
  states(): ClusterState[] {
    return this.up().map((i) => this.node(i).state);
  }

  private async boot(i: number, state: ClusterState): Promise<void> {
    const slot = this.slots[i];
    const id = state.myselfId;
    const node: BusNode = new BusNode({
      state,
      network: tapSends(this.net.host(slot.identity), (packet) => {
        const d = decodeBusMessage(packet);
        if (!d.ok) return;
        this.monitor.packetSent(id, d.message, this.now());
        if (
          d.message.type === "FAILOVER_AUTH_ACK" && this.faultsOn &&
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
      }),
      clock: this.clock,
      rng: slot.rng.fork(),
      config: () => this.cfg,
      save: (s, fsync) => slot.disk.write(serializeConfig(s), fsync),
      // A node whose disk refused a write is being killed: nothing more happens on it.
      fatal: () => {},
      log: (level, text) => {
        if (level === "warning" || level === "notice") {
          this.log.push(`${this.now() - SIM_START_MS} #${i} ${text}`);
          if (this.log.length > 4000) this.log.splice(0, 2000);
        }
      },
      replicationUnsetMaster: () => this.monitor.promoted(node.state, this.now()),
    });
    await node.start(["127.0.0.1"], slot.port + 10000);
    slot.node = node;
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

  /** Run `ms` of simulated time in 2 ms steps, checking the safety monitor every 50 ms. */
  async run(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 50) {
      await advanceAsync(this.clock, Math.min(50, left), 2);
      this.monitor.step(this.states(), this.now());
    }
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

  /** Install a view on node i as a command would (state update, then the node saves it). */
  command(i: number, s: ClusterState): void {
    this.node(i).apply(
      updateClusterState(s, this.now(), {
        requireFullCoverage: true,
        nodeTimeoutMs: this.cfg.nodeTimeoutMs,
      }),
    );
  }

  /**
   * Form a cluster: every node meets node 0, masters are nodes 0..m-1 with equal slot ranges,
   * node m+k replicates master replicaOf[k]. Returns false if it did not settle in time.
   */
  async form(masters: number, replicaOf: readonly number[]): Promise<boolean> {
    const n = this.size;
    for (let i = 1; i < n; i++) {
      const node = this.node(i);
      node.apply(
        addNode(
          node.state,
          createNode(randomNodeIdFrom(this.rng), NodeFlags.HANDSHAKE | NodeFlags.MEET, this.now(), {
            ip: "127.0.0.1",
            port: BASE_PORT,
            cport: BASE_PORT + 10000,
          }),
        ),
        { save: false },
      );
    }
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
      const end = m === masters - 1 ? 16383 : (m + 1) * per - 1;
      const r = addSlots(this.node(m).state, [[m * per, end]]);
      if (!("state" in r)) throw new Error(r.error);
      this.command(m, r.state);
    }
    const ids = this.slots.map((_, i) => this.node(i).state.myselfId);
    replicaOf.forEach((m, k) => {
      this.command(masters + k, setMyMaster(this.node(masters + k).state, ids[m]));
    });
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
        const o = s.slotOwner[j];
        if (o !== ref[j] || o === null) return false;
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
