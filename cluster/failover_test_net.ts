/**
 * Test support: a tiny, synchronous, deterministic engine that runs the pure bus rules AND the
 * pure failover rules on N `ClusterState`s (the reference wiring for the real engine). Built like
 * cluster/bus_pure_net.ts: every packet is really encoded and decoded, the clock is simulated,
 * everything random comes from one seeded `SimRandom`. Added on top:
 *
 * - `failoverCron` after every `cronTick`, `receiveFailoverMessage` after every `receive`, and
 *   the `FailoverEffect`s (`replicationUnsetMaster`, `pauseWrites`, `unpauseWrites`).
 * - A replication model: a master's offset grows by `writeBytesPerTick` each tick while writes
 *   run and it is not paused; a replica follows the master its state names, one tick behind,
 *   while that master is up and reachable (link up, last interaction = now); otherwise its link
 *   is down since the first tick it could not reach it. `replicate` effects make a full sync
 *   (the replica takes the new master's offset: its own extra writes are discarded).
 * - Partitions: `partition([..], [..])` blocks packets and connects between the two sides
 *   (links crossing it are closed), `heal()` lifts every block.
 * - `kill(i)` / `revive(i)`: a dead node neither ticks nor receives; connects to it fail.
 */

import { decodeBusMessage, encodeBusMessage } from "../protocol/bus.ts";
import type { BusMessage } from "../protocol/bus.ts";
import type { BusConfig } from "./bus_effects.ts";
import { connectFailed, outboundLinkConnected, setLinkState } from "./bus_header_build.ts";
import { broadcastTargetIds, randomNodeIdFrom, setMyMaster } from "./bus_node_ops.ts";
import { receive, type ReceiveLink } from "./bus_receive.ts";
import { cronTick } from "./bus_cron.ts";
import {
  clusterFailoverCommand,
  type FailoverConfig,
  type FailoverContext,
  failoverCron,
  type FailoverEffect,
  type FailoverMode,
  headerPaused,
  receiveFailoverMessage,
  type ReplicationStatus,
} from "./failover_rules.ts";
import { SimRandom } from "./sim_random.ts";
import {
  addNode,
  addSlots,
  type ClusterState,
  createNode,
  createState,
  isMaster,
  myself,
  NodeFlags,
  updateNode,
} from "./state.ts";

interface Link {
  id: number;
  from: number;
  to: number;
  ownerNodeId: string;
  createdMs: number;
  inboundNodeId: string | null;
  closed: boolean;
}

interface Packet {
  linkId: number;
  forward: boolean;
  bytes: Uint8Array;
}

export interface FoNode {
  index: number;
  state: ClusterState;
  cfg: BusConfig & FailoverConfig;
  outbound: Map<string, Link>;
  logs: { level: string; text: string; atMs: number }[];
  sent: Map<string, number>;
  saves: number;
  replicateTo: string[];
  tick: number;
  /** Replication model. */
  offset: number;
  repl: ReplicationStatus;
  pausedUntilMs: number;
  promotions: number;
  /** How far this replica trails its master while writes run. */
  lagBytes: number;
  /** The replication offset when this node was last promoted (-1 = never). */
  promotedAtOffset: number;
}

export class FailoverNet {
  readonly nodes: FoNode[] = [];
  readonly rng: SimRandom;
  nowMs: number;
  readonly down = new Set<number>();
  /** Blocked pairs "i:j" (both directions stored). */
  private readonly blocked = new Set<string>();
  private readonly links = new Map<number, Link>();
  private nextLinkId = 1;
  private queue: Packet[] = [];
  writesOn = true;
  writeBytesPerTick = 100;
  maxPacketsPerRound = 200_000;

  constructor(
    count: number,
    seed: number,
    cfg: Partial<BusConfig & FailoverConfig> = {},
    readonly basePort = 30000,
    startMs = 1_700_000_000_000,
  ) {
    this.rng = new SimRandom(seed);
    this.nowMs = startMs;
    for (let i = 0; i < count; i++) {
      const id = randomNodeIdFrom(this.rng);
      let state = createState(id, this.nowMs);
      state = updateNode(state, id, { port: basePort + i, cport: basePort + 10000 + i, ip: "" });
      this.nodes.push({
        index: i,
        state,
        cfg: {
          nodeTimeoutMs: 2000,
          announcedIp: "",
          requireFullCoverage: true,
          allowReplicaMigration: true,
          replicaValidityFactor: 10,
          replPingReplicaPeriodSec: 10,
          replicaNoFailover: false,
          migrationBarrier: 1,
          ...cfg,
        },
        outbound: new Map(),
        logs: [],
        sent: new Map(),
        saves: 0,
        replicateTo: [],
        tick: 0,
        offset: 0,
        repl: { linkUp: false, lastInteractionMs: 0, downSinceMs: 0 },
        pausedUntilMs: 0,
        promotions: 0,
        lagBytes: 0,
        promotedAtOffset: -1,
      });
    }
  }

  id(i: number): string {
    return this.nodes[i].state.myselfId;
  }

  indexOf(id: string): number {
    return this.nodes.findIndex((n) => n.state.myselfId === id);
  }

  meet(i: number, j: number): void {
    const n = this.nodes[i];
    n.state = addNode(
      n.state,
      createNode(randomNodeIdFrom(this.rng), NodeFlags.HANDSHAKE | NodeFlags.MEET, this.nowMs, {
        ip: "127.0.0.1",
        port: this.basePort + j,
        cport: this.basePort + 10000 + j,
        dataReceivedMs: 0,
      }),
    );
  }

  addSlots(i: number, start: number, end: number): void {
    const r = addSlots(this.nodes[i].state, [[start, end]]);
    if ("error" in r) throw new Error(r.error);
    this.nodes[i].state = r.state;
  }

  /** CLUSTER REPLICATE: node i becomes a replica of node j (j must be known to i). */
  replicate(i: number, j: number): void {
    const n = this.nodes[i];
    n.state = setMyMaster(n.state, this.id(j));
    this.fullSync(n, this.id(j));
  }

  ctx(n: FoNode): FailoverContext & { links: Map<string, { createdMs: number }> } {
    const links = new Map<string, { createdMs: number }>();
    for (const [id, l] of n.outbound) links.set(id, { createdMs: l.createdMs });
    return {
      ...n.cfg,
      nowMs: this.nowMs,
      rng: this.rng,
      links,
      replication: { ...n.repl },
      replOffset: n.offset,
      paused: headerPaused(n.state),
    };
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] on node i: null on +OK, else the error text. */
  clusterFailover(i: number, mode: FailoverMode): string | null {
    const n = this.nodes[i];
    const r = clusterFailoverCommand(n.state, mode, this.ctx(n));
    if ("error" in r) return r.error;
    n.state = r.state;
    this.execute(n, r.effects, null);
    this.deliverAll();
    return null;
  }

  isPaused(i: number): boolean {
    return this.nodes[i].pausedUntilMs > this.nowMs;
  }

  private reachable(a: number, b: number): boolean {
    return !this.down.has(a) && !this.down.has(b) && !this.blocked.has(`${a}:${b}`);
  }

  private stepReplication(): void {
    for (const n of this.nodes) {
      if (this.down.has(n.index)) continue;
      const me = myself(n.state);
      if (isMaster(me)) {
        if (this.writesOn && !this.isPaused(n.index)) n.offset += this.writeBytesPerTick;
        continue;
      }
      const m = me.masterId === null ? -1 : this.indexOf(me.masterId);
      const masterNode = m >= 0 ? this.nodes[m] : undefined;
      if (masterNode !== undefined && this.reachable(n.index, m)) {
        // `lagBytes` behind while the master writes; caught up once it is paused.
        const lag = this.isPaused(m) || !this.writesOn ? 0 : n.lagBytes;
        n.offset = Math.max(n.offset, masterNode.offset - lag);
        n.repl = { linkUp: true, lastInteractionMs: this.nowMs, downSinceMs: n.repl.downSinceMs };
      } else if (n.repl.linkUp) {
        n.repl = {
          linkUp: false,
          lastInteractionMs: n.repl.lastInteractionMs,
          downSinceMs: this.nowMs,
        };
      }
    }
  }

  private fullSync(n: FoNode, masterId: string): void {
    n.replicateTo.push(masterId);
    const m = this.indexOf(masterId);
    if (m >= 0 && this.reachable(n.index, m)) {
      n.offset = this.nodes[m].offset;
      n.repl = { linkUp: true, lastInteractionMs: this.nowMs, downSinceMs: 0 };
    } else {
      n.repl = { linkUp: false, lastInteractionMs: 0, downSinceMs: this.nowMs };
    }
  }

  tick(stepMs = 100): void {
    this.nowMs += stepMs;
    for (const n of this.nodes) {
      if (this.down.has(n.index)) continue;
      n.tick++;
      const ctx = this.ctx(n);
      const r = cronTick(n.state, { ...ctx, tickIndex: n.tick });
      n.state = r.state;
      this.execute(n, r.effects, null);
      const f = failoverCron(n.state, this.ctx(n));
      n.state = f.state;
      this.execute(n, f.effects, null);
    }
    this.deliverAll();
    this.stepReplication();
  }

  run(ms: number, stepMs = 100): void {
    for (let t = 0; t < ms; t += stepMs) this.tick(stepMs);
  }

  /** Run until `pred` holds (checked after each tick); returns the elapsed ms or -1. */
  runUntil(pred: () => boolean, maxMs: number): number {
    const start = this.nowMs;
    while (this.nowMs - start < maxMs) {
      this.tick();
      if (pred()) return this.nowMs - start;
    }
    return -1;
  }

  kill(i: number): void {
    this.down.add(i);
    for (const l of [...this.links.values()]) if (l.from === i || l.to === i) this.closeLink(l);
  }

  revive(i: number): void {
    this.down.delete(i);
  }

  partition(a: number[], b: number[]): void {
    for (const i of a) {
      for (const j of b) {
        this.blocked.add(`${i}:${j}`);
        this.blocked.add(`${j}:${i}`);
      }
    }
    for (const l of [...this.links.values()]) {
      if (this.blocked.has(`${l.from}:${l.to}`)) this.closeLink(l);
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  deliverAll(): void {
    let budget = this.maxPacketsPerRound;
    while (this.queue.length > 0) {
      if (budget-- <= 0) throw new Error("FailoverNet: packet storm");
      const p = this.queue.shift()!;
      const l = this.links.get(p.linkId);
      if (l === undefined || l.closed) continue;
      const dst = p.forward ? l.to : l.from;
      if (this.down.has(dst)) continue;
      const decoded = decodeBusMessage(p.bytes);
      if (!decoded.ok) throw new Error(`undecodable packet: ${decoded.error.log}`);
      const node = this.nodes[dst];
      const link: ReceiveLink = p.forward
        ? { kind: "inbound", nodeId: l.inboundNodeId }
        : { kind: "outbound", nodeId: l.ownerNodeId };
      const base = this.ctx(node);
      const r = receive(node.state, decoded.message, {
        ...base,
        link,
        peerIp: "127.0.0.1",
        localIp: "127.0.0.1",
      });
      node.state = r.state;
      const via = { link: l, forward: p.forward };
      this.execute(node, r.effects, via);
      const f = receiveFailoverMessage(node.state, decoded.message, { ...this.ctx(node), link });
      node.state = f.state;
      this.execute(node, f.effects, via);
    }
  }

  private sendOn(n: FoNode, l: Link, forward: boolean, message: BusMessage): void {
    if (l.closed) return;
    n.sent.set(message.type, (n.sent.get(message.type) ?? 0) + 1);
    this.queue.push({ linkId: l.id, forward, bytes: encodeBusMessage(message) });
  }

  private closeLink(l: Link): void {
    if (l.closed) return;
    l.closed = true;
    this.links.delete(l.id);
    const owner = this.nodes[l.from];
    if (owner.outbound.get(l.ownerNodeId) === l) {
      owner.outbound.delete(l.ownerNodeId);
      owner.state = setLinkState(owner.state, l.ownerNodeId, false);
    }
  }

  private execute(
    n: FoNode,
    effects: FailoverEffect[],
    via: { link: Link; forward: boolean } | null,
  ): void {
    let closeThis = false;
    for (const e of effects) {
      switch (e.kind) {
        case "reply":
          if (via !== null) this.sendOn(n, via.link, !via.forward, e.message);
          break;
        case "send": {
          const l = n.outbound.get(e.to);
          if (l !== undefined) this.sendOn(n, l, true, e.message);
          break;
        }
        case "broadcast":
          for (const id of broadcastTargetIds(n.state)) {
            const l = n.outbound.get(id);
            if (l !== undefined) this.sendOn(n, l, true, e.message);
          }
          break;
        case "connect":
          this.connect(n, e.nodeId);
          break;
        case "closeLink": {
          const l = n.outbound.get(e.nodeId);
          if (l !== undefined) this.closeLink(l);
          break;
        }
        case "closeThisLink":
          closeThis = true;
          break;
        case "bindInboundLink":
          if (via !== null && via.forward) via.link.inboundNodeId = e.nodeId;
          break;
        case "renameNode": {
          const l = n.outbound.get(e.from);
          if (l !== undefined) {
            n.outbound.delete(e.from);
            l.ownerNodeId = e.to;
            n.outbound.set(e.to, l);
          }
          break;
        }
        case "nodeRemoved": {
          const l = n.outbound.get(e.nodeId);
          if (l !== undefined) this.closeLink(l);
          for (const x of [...this.links.values()]) {
            if (x.to === n.index && x.inboundNodeId === e.nodeId) this.closeLink(x);
          }
          break;
        }
        case "saveConfig":
          n.saves++;
          break;
        case "replicate":
          this.fullSync(n, e.masterId);
          break;
        case "replicationUnsetMaster":
          n.promotions++;
          n.promotedAtOffset = n.offset;
          n.repl = { linkUp: false, lastInteractionMs: 0, downSinceMs: 0 };
          break;
        case "pauseWrites":
          n.pausedUntilMs = e.untilMs;
          break;
        case "unpauseWrites":
          n.pausedUntilMs = 0;
          break;
        case "deleteKeysInSlots":
        case "deliver":
          break;
        case "log":
          n.logs.push({ level: e.level, text: e.text, atMs: this.nowMs });
          break;
      }
    }
    if (closeThis && via !== null) this.closeLink(via.link);
  }

  private connect(n: FoNode, nodeId: string): void {
    if (n.outbound.has(nodeId)) return;
    const target = n.state.nodes.get(nodeId);
    if (target === undefined) return;
    const j = target.cport - this.basePort - 10000;
    const ok = target.ip === "127.0.0.1" && j >= 0 && j < this.nodes.length &&
      this.reachable(n.index, j);
    if (!ok) {
      n.state = connectFailed(n.state, nodeId, this.nowMs);
      return;
    }
    const l: Link = {
      id: this.nextLinkId++,
      from: n.index,
      to: j,
      ownerNodeId: nodeId,
      createdMs: this.nowMs,
      inboundNodeId: null,
      closed: false,
    };
    this.links.set(l.id, l);
    n.outbound.set(nodeId, l);
    const r = outboundLinkConnected(n.state, nodeId, this.nowMs, this.rng, this.ctx(n));
    n.state = r.state;
    this.sendOn(n, l, true, r.message);
  }
}
