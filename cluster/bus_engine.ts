/**
 * The cluster bus engine of one node: links, packets and effects around the pure rules.
 *
 * - Listens on the bus port through an injected `BusNetwork` (TCP in production, SimBusNetwork in
 *   tests). Accepted links are *inbound*: every packet on them is handled, PINGs/MEETs answered
 *   on the same link, and the link is bound to a node id once a known sender shows up on it.
 * - Keeps one *outbound* link per known node (cron `connect` effects): connect to ip:cport, send
 *   MEET or PING first (`outboundLinkConnected`), PONGs come back on it.
 * - Each received packet is decoded with the codec (protocol/bus.ts). A malformed packet is
 *   counted and dropped, or closes its link when the codec says Redis would; nothing throws out
 *   of a packet handler (an unexpected exception closes that link and is logged).
 * - `receive` (cluster/bus_receive.ts) and `cronTick` (cluster/bus_cron.ts) return a new
 *   `ClusterState` plus effects; the engine installs the state through its host and executes the
 *   effects in order (bus_effects.ts documents each one).
 * - Counts messages per type for CLUSTER INFO's `cluster_stats_messages_*` and describes its
 *   links for CLUSTER LINKS.
 *
 * - Failover (cluster/failover_rules.ts): `failoverCron` right after each `cronTick` on the state
 *   it returned, `receiveFailoverMessage` right after each `receive`; their extra effects
 *   (`replicationUnsetMaster`, `pauseWrites`, `unpauseWrites`) go to the host. Every header the
 *   engine builds carries `paused: headerPaused(state)` and the host's replication offset.
 *
 * Time comes from an injected clock and randomness from a seeded `Prng`, so a simulated run
 * is reproducible from its seed. The cron tick is driven from outside (the supervisor actor).
 */

import {
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
  MSG_TYPE_COUNT,
  msgTypeName,
} from "../protocol/bus.ts";
import { BUS_TYPE_CODES } from "../protocol/bus_messages.ts";
import type { BusLink, BusListener, BusNetwork } from "./bus_network.ts";
import type { BusConfig, LogLevel } from "./bus_effects.ts";
import { connectFailed, outboundLinkConnected, setLinkState } from "./bus_header_build.ts";
import { broadcastTargetIds } from "./bus_node_ops.ts";
import { receive, type ReceiveLink } from "./bus_receive.ts";
import { cronTick } from "./bus_cron.ts";
import type { LinkClock } from "./peer_link.ts";
import type { Prng } from "./prng.ts";
import { type ClusterState, NodeFlags } from "./state.ts";
import {
  type FailoverConfig,
  type FailoverContext,
  failoverCron,
  type FailoverEffect,
  type FailoverResult,
  headerPaused,
  receiveFailoverMessage,
  type ReplicationStatus,
} from "./failover_rules.ts";

/** What the failover rules need from the node besides `BusConfig` (see `BusEngineHost.failover`). */
export interface FailoverHostInfo {
  config: FailoverConfig;
  /** This node's replication offset (master_repl_offset / the replica's processed offset). */
  replOffset: number;
  replication: ReplicationStatus;
}

export interface BusEngineHost {
  /** The current cluster view. */
  getState(): ClusterState;
  /** Install a view the bus produced. */
  setState(s: ClusterState): void;
  /**
   * CLUSTER_TODO_SAVE_CONFIG: nodes.conf is saved at the end of this turn (`endTurn`), fsynced
   * when `fsync` (CLUSTER_TODO_FSYNC_CONFIG).
   */
  markDirty(fsync?: boolean): void;
  /**
   * The end of a turn (Redis's beforeSleep): save the config if a change of this turn is not on
   * disk yet, then call `releaseOutbox()`. Without it the engine releases at once (tests that
   * have no disk).
   */
  endTurn?(): void;
  /** Current bus configuration (node timeout, announced ip, ...). */
  config(): BusConfig;
  /** The clock of the peers' links (cluster/peer_link.ts): the node's timer clock now. */
  timerNowMs(): number;
  log(level: LogLevel, text: string): void;
  /** Myself became a replica of `masterId` (or its address changed): replicationSetMaster. */
  replicate?(masterId: string): void;
  deleteKeysInSlots?(slots: number[]): void;
  /** PUBLISH, PUBLISHSHARD, MODULE from a known sender (failover messages are handled here). */
  deliver?(senderId: string, message: BusMessage): void;
  /** Failover settings and this node's replication status (offset, link to its master). */
  failover(): FailoverHostInfo;
  /** Myself was promoted to master: stop replicating, keep the data (replicationUnsetMaster). */
  replicationUnsetMaster?(): void;
  /** Manual failover, master side: hold client writes until `untilMs` (or `unpauseWrites`). */
  pauseWrites?(untilMs: number): void;
  unpauseWrites?(): void;
}

export interface BusEngineOptions {
  network: BusNetwork;
  clock: { now(): number };
  rng: Prng;
  host: BusEngineHost;
}

/** Counters shown by CLUSTER INFO, indexed by message type code (0..10). */
export interface BusEngineStats {
  sent: number[];
  received: number[];
  /** Packets the codec rejected (dropped or link closed). */
  malformed: number;
  /** Links freed because their send buffer was full. */
  linksBufferLimitExceeded: number;
  /** Exceptions caught inside packet handling (always a bug; the link was closed). */
  handlerErrors: number;
}

interface OutboundLink {
  /** The node id this link belongs to (renamed on handshake completion). */
  nodeId: string;
  /** null while connecting. */
  link: BusLink | null;
  createdMs: number;
  closed: boolean;
}

interface InboundLink {
  link: BusLink;
  nodeId: string | null;
  createdMs: number;
}

/** What CLUSTER LINKS prints for one link. */
export interface LinkInfo {
  direction: "to" | "from";
  nodeId: string;
  createTimeMs: number;
  sendBufferUsed: number;
}

const FAILOVER_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  "FAILOVER_AUTH_REQUEST",
  "FAILOVER_AUTH_ACK",
  "MFSTART",
]);

const TYPE_CODE: Record<string, number> = BUS_TYPE_CODES as Record<string, number>;

/**
 * A turn that queues more than this many packets is ended early (saved, then released), so the
 * outbox stays bounded whatever one turn does.
 */
export const OUTBOX_MAX_PACKETS = 4096;

interface HeldPacket {
  link: BusLink;
  bytes: Uint8Array;
  code: number | undefined;
}

export class BusEngine {
  readonly stats: BusEngineStats = {
    sent: new Array(MSG_TYPE_COUNT).fill(0),
    received: new Array(MSG_TYPE_COUNT).fill(0),
    malformed: 0,
    linksBufferLimitExceeded: 0,
    handlerErrors: 0,
  };
  /** DEBUG DROP-CLUSTER-PACKET-FILTER: received packets of this type are dropped (-1: none). */
  dropPacketType = -1;
  private readonly outbound = new Map<string, OutboundLink>();
  private readonly inbound = new Set<InboundLink>();
  private readonly listeners: BusListener[] = [];
  private tickIndex = 0;
  private stopped = false;
  private readonly net: BusNetwork;
  private readonly clock: { now(): number };
  private readonly rng: Prng;
  private readonly host: BusEngineHost;
  /** Packets of the current turn, held until its config is on disk (see `releaseOutbox`). */
  private outbox: HeldPacket[] = [];

  constructor(opts: BusEngineOptions) {
    this.net = opts.network;
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.host = opts.host;
  }

  /** Listen on every host given (the `bind` addresses) at the bus port. */
  async listen(hosts: readonly string[], port: number): Promise<void> {
    try {
      for (const h of hosts) {
        this.listeners.push(await this.net.listen(h, port, (l) => this.accept(l)));
      }
    } catch (e) {
      for (const l of this.listeners) l.close();
      this.listeners.length = 0;
      throw e;
    }
  }

  /** Stop listening and close every link. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.outbox = [];
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
    for (const o of this.outbound.values()) {
      o.closed = true;
      o.link?.close();
    }
    this.outbound.clear();
    for (const i of this.inbound) i.link.close();
    this.inbound.clear();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** One clusterCron tick: run the pure cron and execute its effects. */
  tick(): void {
    if (this.stopped) return;
    this.tickIndex++;
    const now = this.clock.now();
    const links = this.outboundLinks();
    let r;
    try {
      r = cronTick(this.host.getState(), {
        ...this.headerConfig(),
        nowMs: now,
        tickIndex: this.tickIndex,
        rng: this.rng,
        links,
        timerNowMs: this.host.timerNowMs(),
      });
    } catch (e) {
      this.stats.handlerErrors++;
      this.host.log("warning", `cluster cron failed: ${errText(e)}`);
      return;
    }
    this.host.setState(r.state);
    this.execute(r.effects, null);
    if (this.stopped) return;
    let f;
    try {
      f = failoverCron(this.host.getState(), this.failoverContext(this.clock.now()));
    } catch (e) {
      this.stats.handlerErrors++;
      this.host.log("warning", `cluster failover cron failed: ${errText(e)}`);
      return;
    }
    this.host.setState(f.state);
    this.execute(f.effects, null);
    this.endTurn();
  }

  /** True while packets of the current turn wait for `releaseOutbox`. */
  get hasHeldOutput(): boolean {
    return this.outbox.length > 0;
  }

  /**
   * Hand the held packets of the turn to their links (in order). Called by the host once the
   * turn's config change is on disk, never before: a vote, an epoch or a slot claim is only heard
   * by others once this node cannot forget it.
   */
  releaseOutbox(): void {
    if (this.outbox.length === 0) return;
    const held = this.outbox;
    this.outbox = [];
    for (const p of held) {
      const link = p.link;
      if (link.closed) continue;
      if (link.send(p.bytes)) {
        if (p.code !== undefined) this.stats.sent[p.code]++;
      } else if (!link.closed) {
        // Redis frees a link whose send buffer exceeds the limit.
        this.stats.linksBufferLimitExceeded++;
        this.host.log("warning", `Freeing cluster link: send buffer limit exceeded`);
        link.close();
      }
    }
  }

  /** End the current turn: the host saves what changed, then releases the outbox. */
  private endTurn(): void {
    if (this.stopped) {
      this.outbox = [];
      return;
    }
    if (this.host.endTurn) this.host.endTurn();
    else this.releaseOutbox();
  }

  /**
   * The configuration every header needs: the host's `BusConfig` plus this node's replication
   * offset and the PAUSED flag of a master during a manual failover.
   */
  headerConfig(fo: FailoverHostInfo = this.host.failover()): BusConfig {
    return {
      ...this.host.config(),
      replOffset: fo.replOffset,
      paused: headerPaused(this.host.getState()),
    };
  }

  /**
   * Node id -> creation time of each outbound link: the engine's own map, read-only (the pure
   * rules it is given to only look links up while they run; callers must not keep it). A copy
   * per change cost O(N) per link made, O(N²) for a node meeting N peers.
   */
  private outboundLinks(): ReadonlyMap<string, { createdMs: number }> {
    return this.outbound;
  }

  /** The clock of the peers' links now (cluster/peer_link.ts). */
  linkClock(): LinkClock {
    return { timerNowMs: this.host.timerNowMs(), nodeTimeoutMs: this.host.config().nodeTimeoutMs };
  }

  /** The context of the failover rules at `nowMs`. */
  failoverContext(nowMs: number): FailoverContext {
    const links = this.outboundLinks();
    const fo = this.host.failover();
    const base = this.headerConfig(fo);
    return {
      ...base,
      ...fo.config,
      nowMs,
      timerNowMs: this.host.timerNowMs(),
      rng: this.rng,
      links,
      replication: fo.replication,
    };
  }

  /**
   * Run a failover rule outside the cron and packet paths (CLUSTER FAILOVER): its state is
   * installed and its effects executed. Returns the rule's error text, or null.
   */
  runFailoverRule(
    rule: (s: ClusterState, ctx: FailoverContext) => FailoverResult | { error: string },
  ): string | null {
    const r = rule(this.host.getState(), this.failoverContext(this.clock.now()));
    if ("error" in r) return r.error;
    this.host.setState(r.state);
    this.execute(r.effects, null);
    this.endTurn();
    return null;
  }

  /** Close every link of node `id` (FORGET, RESET). */
  dropNode(id: string): void {
    this.closeOutbound(id);
    for (const i of [...this.inbound]) {
      if (i.nodeId === id) {
        this.inbound.delete(i);
        i.link.close();
      }
    }
  }

  /**
   * DEBUG CLUSTERLINK KILL (debug.c): free node `id`'s outbound link ("to"), its inbound links
   * ("from") or both ("all"). The peer stays known: the cron connects again, and the peer
   * reconnects its own outbound link, as after any dropped connection.
   */
  killLinks(id: string, direction: "to" | "from" | "all"): void {
    if (direction !== "from") this.closeOutbound(id);
    if (direction === "to") return;
    for (const i of [...this.inbound]) {
      if (i.nodeId === id) {
        this.inbound.delete(i);
        i.link.close();
      }
    }
  }

  /** Close every link (CLUSTER RESET): the state no longer knows the peers. */
  dropAll(): void {
    for (const id of [...this.outbound.keys()]) this.closeOutbound(id);
    for (const i of [...this.inbound]) i.link.close();
    this.inbound.clear();
  }

  /** Send to every known node's outbound link (clusterBroadcastPong and friends). */
  broadcast(message: BusMessage): void {
    // One encoding for every link (a link never writes into the bytes it is given).
    let bytes: Uint8Array | undefined;
    for (const id of broadcastTargetIds(this.host.getState())) {
      const o = this.outbound.get(id);
      if (o?.link && !o.link.closed) {
        this.sendOn(o.link, message, bytes ??= encodeBusMessage(message));
      }
    }
  }

  /** Send to one node's outbound link, if it has one (clusterSendPublish to one node). */
  sendTo(nodeId: string, message: BusMessage): void {
    const o = this.outbound.get(nodeId);
    if (o?.link) this.sendOn(o.link, message);
  }

  /** CLUSTER LINKS: per known node, its outbound link then its inbound links. */
  links(): LinkInfo[] {
    const out: LinkInfo[] = [];
    const s = this.host.getState();
    for (const n of s.nodes.values()) {
      if (n.flags & NodeFlags.MYSELF) continue;
      const o = this.outbound.get(n.id);
      if (o?.link) {
        out.push({
          direction: "to",
          nodeId: n.id,
          createTimeMs: o.createdMs,
          sendBufferUsed: o.link.bufferedBytes(),
        });
      }
      for (const i of this.inbound) {
        if (i.nodeId !== n.id) continue;
        out.push({
          direction: "from",
          nodeId: n.id,
          createTimeMs: i.createdMs,
          sendBufferUsed: i.link.bufferedBytes(),
        });
      }
    }
    return out;
  }

  /** Number of open links (outbound connected + inbound), for tests. */
  linkCount(): { outbound: number; inbound: number } {
    let o = 0;
    for (const x of this.outbound.values()) if (x.link) o++;
    return { outbound: o, inbound: this.inbound.size };
  }

  // -------------------------------------------------------------------------------------------
  // Links

  private accept(link: BusLink): void {
    if (this.stopped) {
      link.close();
      return;
    }
    const rec: InboundLink = { link, nodeId: null, createdMs: this.clock.now() };
    this.inbound.add(rec);
    link.tag = rec;
    link.onPacket = this.inboundPacket;
    link.onClose = this.inboundClosed;
  }

  // One handler of each kind for every link, its record the link's tag (BusLink.tag).
  private readonly inboundPacket = (p: Uint8Array, link: BusLink): void =>
    this.onPacket(p, link, null, link.tag as InboundLink);
  private readonly inboundClosed = (_reason: string, link: BusLink): void => {
    this.inbound.delete(link.tag as InboundLink);
  };
  private readonly outboundPacket = (p: Uint8Array, link: BusLink): void =>
    this.onPacket(p, link, link.tag as OutboundLink, null);
  private readonly outboundClosedHandler = (_reason: string, link: BusLink): void =>
    this.outboundClosed(link.tag as OutboundLink);

  private connect(nodeId: string): void {
    if (this.stopped || this.outbound.has(nodeId)) return;
    const s = this.host.getState();
    const n = s.nodes.get(nodeId);
    if (n === undefined || n.id === s.myselfId || (n.flags & NodeFlags.NOADDR)) return;
    const now = this.clock.now();
    const rec: OutboundLink = { nodeId, link: null, createdMs: now, closed: false };
    this.outbound.set(nodeId, rec);
    const timeoutMs = Math.max(this.host.config().nodeTimeoutMs, 1000);
    this.net.connect(n.ip, n.cport, timeoutMs).then(
      (link) => this.connected(rec, link),
      (e) => this.connectError(rec, e),
    );
  }

  private connected(rec: OutboundLink, link: BusLink): void {
    const current = this.outbound.get(rec.nodeId);
    if (rec.closed || current !== rec || this.stopped) {
      link.close();
      return;
    }
    try {
      const s = this.host.getState();
      if (!s.nodes.has(rec.nodeId)) {
        this.closeOutbound(rec.nodeId);
        link.close();
        return;
      }
      rec.link = link;
      link.tag = rec;
      link.onPacket = this.outboundPacket;
      link.onClose = this.outboundClosedHandler;
      const r = outboundLinkConnected(
        s,
        rec.nodeId,
        this.clock.now(),
        this.rng,
        { ...this.headerConfig(), timerNowMs: this.host.timerNowMs() },
      );
      this.host.setState(r.state);
      this.sendOn(link, r.message);
      this.endTurn();
    } catch (e) {
      this.stats.handlerErrors++;
      this.host.log("warning", `bus link setup failed: ${errText(e)}`);
      link.close();
    }
  }

  private connectError(rec: OutboundLink, e: unknown): void {
    if (rec.closed || this.outbound.get(rec.nodeId) !== rec) return;
    rec.closed = true;
    this.outbound.delete(rec.nodeId);
    this.host.log("debug", `Connection with Node ${rec.nodeId} failed: ${errText(e)}`);
    const s = this.host.getState();
    const n = s.nodes.get(rec.nodeId);
    if (n === undefined) return;
    // Redis's connect is non-blocking: a refused connect fails after the cron already queued a
    // PING on the connecting link (ping_sent set), except for HANDSHAKE nodes, which the cron
    // never pings (their ping_sent stays 0, as CLUSTER NODES shows on real nodes).
    const clock = this.linkClock();
    if (n.flags & NodeFlags.HANDSHAKE) {
      this.host.setState(setLinkState(s, rec.nodeId, false, clock));
    } else {
      this.host.setState(connectFailed(s, rec.nodeId, this.clock.now(), clock));
    }
  }

  private outboundClosed(rec: OutboundLink): void {
    rec.closed = true;
    if (this.outbound.get(rec.nodeId) === rec) {
      this.outbound.delete(rec.nodeId);
      if (!this.stopped) {
        this.host.setState(
          setLinkState(this.host.getState(), rec.nodeId, false, this.linkClock()),
        );
      }
    }
  }

  private closeOutbound(nodeId: string): void {
    const rec = this.outbound.get(nodeId);
    if (rec === undefined) return;
    rec.closed = true;
    this.outbound.delete(nodeId);
    rec.link?.close();
    if (!this.stopped) {
      this.host.setState(setLinkState(this.host.getState(), nodeId, false, this.linkClock()));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Packets

  private onPacket(
    packet: Uint8Array,
    link: BusLink,
    out: OutboundLink | null,
    inb: InboundLink | null,
  ): void {
    if (this.stopped) return;
    try {
      const d = decodeBusMessage(packet);
      if (!d.ok) {
        this.stats.malformed++;
        if (d.error.log !== "") this.host.log("warning", d.error.log);
        if (d.error.closeLink) link.close();
        return;
      }
      const msg = d.message;
      const code = msg.type === "UNKNOWN" ? msg.code : TYPE_CODE[msg.type];
      if (code < MSG_TYPE_COUNT) this.stats.received[code]++;
      if (code === this.dropPacketType) {
        this.host.log("warning", "Dropping packet that matches debug drop filter");
        return;
      }
      if (out !== null && out.closed) return;
      const ctxLink: ReceiveLink = out !== null
        ? { kind: "outbound", nodeId: out.nodeId }
        : { kind: "inbound", nodeId: inb!.nodeId };
      const now = this.clock.now();
      const r = receive(this.host.getState(), msg, {
        ...this.headerConfig(),
        nowMs: now,
        link: ctxLink,
        peerIp: link.remoteAddr.host,
        localIp: link.localAddr.host,
        rng: this.rng,
        timerNowMs: this.host.timerNowMs(),
      });
      this.host.setState(r.state);
      const via = { link, out, inb };
      this.execute(r.effects, via);
      if (this.stopped) return;
      const f = receiveFailoverMessage(this.host.getState(), msg, {
        ...this.failoverContext(now),
        link: ctxLink,
      });
      this.host.setState(f.state);
      this.execute(f.effects, via);
    } catch (e) {
      this.stats.handlerErrors++;
      this.host.log(
        "warning",
        `error handling a cluster bus packet, closing the link: ${errText(e)}`,
      );
      link.close();
    }
    this.endTurn();
  }

  /** Queue a packet for the end of the turn (`releaseOutbox`). */
  private sendOn(link: BusLink, message: BusMessage, bytes?: Uint8Array): void {
    if (link.closed) return;
    if (this.outbox.length >= OUTBOX_MAX_PACKETS) this.endTurn();
    // Inside the cron tick the supervisor ends the turn; a tick sends far fewer packets.
    if (this.outbox.length >= 4 * OUTBOX_MAX_PACKETS) throw new Error("bus outbox overflow");
    bytes ??= encodeBusMessage(message);
    this.outbox.push({ link, bytes, code: TYPE_CODE[message.type] });
  }

  private execute(
    effects: readonly FailoverEffect[],
    via: { link: BusLink; out: OutboundLink | null; inb: InboundLink | null } | null,
  ): void {
    let closeThis = false;
    for (const e of effects) {
      switch (e.kind) {
        case "reply":
          if (via !== null) this.sendOn(via.link, e.message);
          break;
        case "send": {
          const o = this.outbound.get(e.to);
          if (o?.link) this.sendOn(o.link, e.message);
          else this.host.log("debug", `No link to ${e.to}: ${e.message.type} dropped`);
          break;
        }
        case "broadcast":
          this.broadcast(e.message);
          break;
        case "connect":
          this.connect(e.nodeId);
          break;
        case "closeLink":
          this.closeOutbound(e.nodeId);
          break;
        case "closeThisLink":
          closeThis = true;
          break;
        case "bindInboundLink":
          if (via?.inb) via.inb.nodeId = e.nodeId;
          break;
        case "renameNode": {
          const o = this.outbound.get(e.from);
          if (o !== undefined) {
            this.outbound.delete(e.from);
            o.nodeId = e.to;
            const clash = this.outbound.get(e.to);
            if (clash !== undefined && clash !== o) {
              clash.closed = true;
              clash.link?.close();
            }
            this.outbound.set(e.to, o);
          }
          for (const i of this.inbound) if (i.nodeId === e.from) i.nodeId = e.to;
          break;
        }
        case "nodeRemoved":
          this.dropNode(e.nodeId);
          break;
        case "saveConfig":
          this.host.markDirty(e.fsync);
          break;
        case "replicate":
          this.host.replicate?.(e.masterId);
          break;
        case "deleteKeysInSlots":
          this.host.deleteKeysInSlots?.(e.slots);
          break;
        case "deliver":
          // Failover messages were handled by receiveFailoverMessage.
          if (!FAILOVER_MESSAGE_TYPES.has(e.message.type)) {
            this.host.deliver?.(e.senderId, e.message);
          }
          break;
        case "replicationUnsetMaster":
          this.host.replicationUnsetMaster?.();
          break;
        case "pauseWrites":
          this.host.pauseWrites?.(e.untilMs);
          break;
        case "unpauseWrites":
          this.host.unpauseWrites?.();
          break;
        case "log":
          this.host.log(e.level, e.text);
          break;
      }
    }
    if (closeThis && via !== null) {
      if (via.out !== null) this.outboundClosed(via.out);
      via.link.close();
    }
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** "ping", "pong", ... as CLUSTER INFO names them (clusterGetMessageTypeString). */
export function statsTypeName(code: number): string {
  return msgTypeName(code);
}
