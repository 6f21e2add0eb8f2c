/**
 * A tiny, synchronous, deterministic "engine" for the pure cluster-bus rules, used by tests and as
 * a reference for the real engine: it runs N `ClusterState`s, executes their `BusEffect`s over
 * in-memory links (every packet is really encoded with `encodeBusMessage` and decoded with
 * `decodeBusMessage`), and drives `cronTick` every 100 ms of a simulated clock. No sockets, no
 * timers, no Math.random: everything random comes from one seeded `SimRandom`.
 *
 * Model: node i listens on 127.0.0.1, port `basePort + i`, bus port `basePort + 10000 + i`. An
 * outbound link is created by a `connect` effect and connects at once (or fails at once when the
 * target is down or unknown). Packets are queued FIFO and delivered by `deliverAll()`; a closed
 * link drops what it still carries. A "down" node neither ticks nor receives, and connects to it
 * fail (a killed process).
 */

import { decodeBusMessage, encodeBusMessage } from "../protocol/bus.ts";
import type { BusMessage } from "../protocol/bus.ts";
import type { BusConfig, BusEffect } from "./bus_effects.ts";
import { connectFailed, outboundLinkConnected, setLinkState } from "./bus_header_build.ts";
import { broadcastTargetIds, randomNodeIdFrom } from "./bus_node_ops.ts";
import { receive, type ReceiveLink } from "./bus_receive.ts";
import { cronTick } from "./bus_cron.ts";
import { SimRandom } from "./sim_random.ts";
import {
  addNode,
  addSlots,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
  updateNode,
} from "./state.ts";

interface Link {
  id: number;
  /** Index of the node owning the outbound side. */
  from: number;
  /** Index of the peer. */
  to: number;
  /** The owner's node id for the peer (renamed on handshake completion). */
  ownerNodeId: string;
  createdMs: number;
  /** The node id the peer bound its inbound side to. */
  inboundNodeId: string | null;
  closed: boolean;
}

interface Packet {
  linkId: number;
  /** true: from the link owner to the peer (peer's inbound side). */
  forward: boolean;
  bytes: Uint8Array;
}

export interface SimNode {
  index: number;
  state: ClusterState;
  cfg: BusConfig;
  /** Outbound links by the node id they lead to. */
  outbound: Map<string, Link>;
  logs: { level: string; text: string }[];
  /** Messages sent, by type. */
  sent: Map<string, number>;
  saves: number;
  replicateTo: string[];
  delivered: BusMessage[];
  tick: number;
}

export class PureBusNet {
  readonly nodes: SimNode[] = [];
  readonly rng: SimRandom;
  nowMs: number;
  readonly down = new Set<number>();
  private readonly links = new Map<number, Link>();
  private nextLinkId = 1;
  private queue: Packet[] = [];
  /** Bound on packets delivered per `deliverAll` (a livelock would be a bug). */
  maxPacketsPerRound = 100_000;

  constructor(
    count: number,
    seed: number,
    cfg: Partial<BusConfig> = {},
    readonly basePort = 30000,
    startMs = 1_700_000_000_000,
  ) {
    this.rng = new SimRandom(seed);
    this.nowMs = startMs;
    for (let i = 0; i < count; i++) {
      const id = randomNodeIdFrom(this.rng);
      let state = createState(id, this.nowMs);
      state = updateNode(state, id, {
        port: basePort + i,
        cport: basePort + 10000 + i,
        ip: "",
      });
      this.nodes.push({
        index: i,
        state,
        cfg: {
          nodeTimeoutMs: 2000,
          announcedIp: "",
          requireFullCoverage: true,
          allowReplicaMigration: true,
          ...cfg,
        },
        outbound: new Map(),
        logs: [],
        sent: new Map(),
        saves: 0,
        replicateTo: [],
        delivered: [],
        tick: 0,
      });
    }
  }

  id(i: number): string {
    return this.nodes[i].state.myselfId;
  }

  /** CLUSTER MEET from node i to node j (clusterStartHandshake). */
  meet(i: number, j: number): void {
    const n = this.nodes[i];
    const hid = randomNodeIdFrom(this.rng);
    n.state = addNode(
      n.state,
      createNode(hid, NodeFlags.HANDSHAKE | NodeFlags.MEET, this.nowMs, {
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

  /** One cron tick on every live node, then deliver everything. */
  tick(stepMs = 100): void {
    this.nowMs += stepMs;
    for (const n of this.nodes) {
      if (this.down.has(n.index)) continue;
      n.tick++;
      const links = new Map<string, { createdMs: number }>();
      for (const [id, l] of n.outbound) links.set(id, { createdMs: l.createdMs });
      const r = cronTick(n.state, {
        ...n.cfg,
        nowMs: this.nowMs,
        tickIndex: n.tick,
        rng: this.rng,
        links,
      });
      n.state = r.state;
      this.execute(n, r.effects, null);
    }
    this.deliverAll();
  }

  run(ms: number, stepMs = 100): void {
    for (let t = 0; t < ms; t += stepMs) this.tick(stepMs);
  }

  /** Kill node i: its links close, it stops ticking and receiving. */
  kill(i: number): void {
    this.down.add(i);
    for (const l of this.links.values()) {
      if (l.from === i || l.to === i) this.closeLink(l);
    }
  }

  /** Bring a killed node back with the state it had (a healed partition / paused process). */
  revive(i: number): void {
    this.down.delete(i);
  }

  /** Inject a message as if `from`'s engine sent it on its outbound link to node id `toId`. */
  inject(from: number, toId: string, message: BusMessage): boolean {
    const l = this.nodes[from].outbound.get(toId);
    if (l === undefined) return false;
    this.sendOn(this.nodes[from], l, true, message);
    this.deliverAll();
    return true;
  }

  deliverAll(): void {
    let budget = this.maxPacketsPerRound;
    while (this.queue.length > 0) {
      if (budget-- <= 0) throw new Error("PureBusNet: packet storm");
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
      const r = receive(node.state, decoded.message, {
        ...node.cfg,
        nowMs: this.nowMs,
        link,
        peerIp: "127.0.0.1",
        localIp: "127.0.0.1",
        rng: this.rng,
      });
      node.state = r.state;
      this.execute(node, r.effects, { link: l, forward: p.forward });
    }
  }

  private sendOn(n: SimNode, l: Link, forward: boolean, message: BusMessage): void {
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
    n: SimNode,
    effects: BusEffect[],
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
          n.replicateTo.push(e.masterId);
          break;
        case "deleteKeysInSlots":
          break;
        case "deliver":
          n.delivered.push(e.message);
          break;
        case "log":
          n.logs.push({ level: e.level, text: e.text });
          break;
      }
    }
    if (closeThis && via !== null) this.closeLink(via.link);
  }

  private connect(n: SimNode, nodeId: string): void {
    if (n.outbound.has(nodeId)) return;
    const target = n.state.nodes.get(nodeId);
    if (target === undefined) return;
    const j = target.cport - this.basePort - 10000;
    const ok = target.ip === "127.0.0.1" && j >= 0 && j < this.nodes.length && !this.down.has(j);
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
    const r = outboundLinkConnected(n.state, nodeId, this.nowMs, this.rng, n.cfg);
    n.state = r.state;
    this.sendOn(n, l, true, r.message);
  }
}
