/**
 * Building what this node sends on the cluster bus, from its `ClusterState` (Redis 7.0.15
 * clusterBuildMessageHdr, clusterSetGossipEntry, clusterSendPing, clusterSendFail,
 * clusterSendUpdate; docs/cluster-bus.md §1, §2.1, §3.4, §5.3), plus the sending-side bookkeeping.
 *
 * API (all pure; times in ms; `rng` is the only source of randomness):
 * - `buildHeader(state, cfg)` -> BusHeader: sender = myself; myslots/configEpoch = own, or the
 *   master's for a replica; slaveof; currentEpoch; flags incl. MYSELF; state byte; ports; myip =
 *   announced IP or ""; mflags PAUSED when `cfg.paused`.
 * - `gossipEntryOf(node)` -> GossipEntry (times in seconds, flags verbatim: never MYSELF since a
 *   node never gossips about itself).
 * - `selectGossip(state, rng)` -> GossipEntry[]: §5.3 (wanted = max(3, floor(N/10)) capped at
 *   N-2, up to 3·wanted random picks skipping myself, PFAIL, HANDSHAKE, NOADDR, link-less
 *   slot-less nodes and repeats; then the PFAIL nodes).
 * - `pingExtensions(state)`: the HOSTNAME extension when myself has a hostname, else none.
 * - `buildPingMessage(state, type, rng, cfg)` -> PingMessage (PING, PONG or MEET).
 * - `buildFailMessage(state, nodeId, cfg)`, `buildUpdateMessage(state, nodeId, cfg)` (the slots
 *   the owner stopped claiming are masked out, §2.5).
 * - `markPingSent(state, nodeId, nowMs)`: a PING went out on the outbound link (ping_sent = now).
 * - `sendPing(state, nodeId, nowMs, rng, cfg)` -> { state, message }: build a PING for the
 *   node's outbound link and mark it sent (clusterSendPing(link, PING)): the PING_SENT event of
 *   the peer's link (cluster/peer_link.ts), at the link clock in `cfg`.
 * - `outboundLinkConnected(state, nodeId, nowMs, rng, cfg)` -> { state, message }: the first
 *   packet of a new outbound link: MEET if the node has the MEET flag (then cleared) else PING;
 *   an earlier outstanding ping_sent is kept (clusterLinkConnectHandler).
 * - `connectFailed(state, nodeId, nowMs, clock)`: the connect failed; ping_sent = now if no ping is
 *   outstanding, so failure detection keeps running (§5.2 step 2).
 * - `setLinkState(state, nodeId, connected, clock)`: the peer's link goes up or down with the
 *   engine's outbound link (`linkState`: CLUSTER NODES, gossip choice).
 */

import {
  type BusHeader,
  CLUSTER_FAIL,
  CLUSTER_OK,
  type FailMessage,
  type GossipEntry,
  MSGFLAG0_PAUSED,
  type PingExtension,
  type PingMessage,
  type PublishMessage,
  type UpdateMessage,
} from "../protocol/bus.ts";
import type { BusConfig } from "./bus_effects.ts";
import { claimedSlotsBitmap, extras, putNode } from "./bus_node_ops.ts";
import type { Prng } from "./prng.ts";
import { placesOf } from "./node_map.ts";
import { type ClusterNode, type ClusterState, isReplica, myself, NodeFlags } from "./state.ts";
import { type LinkClock, stepPeerLink } from "./peer_link.ts";

export type HeaderConfig = Pick<BusConfig, "announcedIp" | "replOffset" | "paused">;

const U64_MAX = 0xffffffffffffffffn;

/**
 * An epoch (a JS number here) as the u64 of the wire. A peer may announce epochs up to 2^64-1,
 * which round up to 2^64 as numbers: clamp, so that a huge announced epoch never makes every
 * later packet of ours unencodable (found by `deno task fuzz`).
 */
export function epochToWire(epoch: number): bigint {
  const b = BigInt(epoch);
  return b > U64_MAX ? U64_MAX : b;
}

/** clusterBuildMessageHdr. */
export function buildHeader(s: ClusterState, cfg: HeaderConfig): BusHeader {
  const me = myself(s);
  let master: ClusterNode = me;
  if (isReplica(me) && me.masterId !== null) master = s.nodes.get(me.masterId) ?? me;
  return {
    port: me.port,
    currentEpoch: epochToWire(s.currentEpoch),
    configEpoch: epochToWire(master.configEpoch),
    offset: BigInt(cfg.replOffset ?? me.replOffset),
    sender: me.id,
    // The record's bitmap itself (never mutated: state.ts), not a 2 KB copy per packet.
    myslots: master.slots,
    slaveof: me.masterId,
    myip: cfg.announcedIp,
    pport: me.pport,
    cport: me.cport,
    flags: me.flags,
    state: s.health === "ok" ? CLUSTER_OK : CLUSTER_FAIL,
    mflags: cfg.paused && (me.flags & NodeFlags.MASTER) ? MSGFLAG0_PAUSED : 0,
  };
}

/** clusterSetGossipEntry. */
export function gossipEntryOf(n: ClusterNode): GossipEntry {
  return {
    nodename: n.id,
    pingSentSec: Math.floor(n.pingSentMs / 1000) >>> 0,
    pongReceivedSec: Math.floor(n.pongReceivedMs / 1000) >>> 0,
    ip: n.ip,
    port: n.port,
    cport: n.cport,
    flags: n.flags & 0xffff,
    pport: n.pport,
  };
}

/**
 * The places in the node map a gossip section picked, by `pickRound`: place i was picked in
 * this round when `pickedIn[i] === pickRound`. A place names one node of the map (`placesOf`), so
 * this is Redis's "already in this packet" test without a Set of names per packet (that Set's
 * inserts were 2.2% of the bytes the simulator's join of 200 nodes allocated, 71 of 3,237 MB by
 * HeapProfiler sampling, and a packet picks N/10 nodes). The same picks, the same traces.
 */
let pickedIn = new Uint32Array(0);
let pickRound = 0;

/** A fresh round of `pickedIn` for a map of `n` places. */
function newPickRound(n: number): void {
  if (pickedIn.length < n || pickRound === 0xffffffff) {
    pickedIn = new Uint32Array(Math.max(n, 2 * pickedIn.length));
    pickRound = 0;
  }
  pickRound++;
}

/** What a gossip pick does with a record (`gossipStatus`), in the order Redis tests it. */
const PICK_OK = 0;
/** PFAIL: skipped, not counted as stale (they are sent after the random picks). */
const PICK_SKIP = 1;
/** HANDSHAKE, NOADDR, or no link and no slots: skipped and counted (`freshnodes--`). */
const PICK_STALE = 2;

function gossipStatus(node: ClusterNode): number {
  if (node.flags & NodeFlags.PFAIL) return PICK_SKIP;
  if (
    (node.flags & (NodeFlags.HANDSHAKE | NodeFlags.NOADDR)) ||
    (node.linkState !== "connected" && node.numSlots === 0)
  ) {
    return PICK_STALE;
  }
  return PICK_OK;
}

/** Not yet known: read from the record at the first pick of its place. */
const PICK_UNKNOWN = 3;

/**
 * `gossipStatus` of each record of a base map (by its kept values array), filled in at the
 * first pick of each place, so a base that lives for a few packets (the join adds nodes, and a
 * new base follows every ~4·sqrt(N) changes) reads no record it would not have read anyway.
 * Valid for as long as the base lives: the fields it reads are never written in place (a change
 * puts a new record in a newer map's delta; cluster/bus_receive.ts setHeartbeatTime writes only
 * times). A pick at a known place the delta did not replace then reads one byte here, not the
 * record: at 2,000 simulated nodes the first read of a randomly picked record (a cache miss) was
 * a fifth of the join's CPU time.
 */
const statusByBase = new WeakMap<readonly ClusterNode[], Uint8Array>();
let lastStatusBase: readonly ClusterNode[] | null = null;
let lastStatus: Uint8Array = new Uint8Array(0);

function gossipStatusOf(baseValues: readonly ClusterNode[]): Uint8Array {
  if (baseValues === lastStatusBase) return lastStatus;
  let st = statusByBase.get(baseValues);
  if (st === undefined) {
    st = new Uint8Array(baseValues.length).fill(PICK_UNKNOWN);
    statusByBase.set(baseValues, st);
  }
  lastStatusBase = baseValues;
  lastStatus = st;
  return st;
}

/** The gossip section of a PING/PONG/MEET (§5.3). */
export function selectGossip(s: ClusterState, rng: Prng): GossipEntry[] {
  const n = s.nodes.size;
  let freshnodes = n - 2;
  let wanted = Math.floor(n / 10);
  if (wanted < 3) wanted = 3;
  if (wanted > freshnodes) wanted = freshnodes;
  const out: GossipEntry[] = [];
  newPickRound(n);
  const round = pickRound;
  const places = placesOf(s.nodes);
  const base = places.baseValues;
  const status = gossipStatusOf(base);
  const myBasePlace = places.basePlaceOf(s.myselfId);
  let maxIterations = wanted * 3;
  while (freshnodes > 0 && out.length < wanted && maxIterations-- > 0) {
    const i = rng.int(n);
    // A base place the delta left: its status byte, not its record (read only if it is sent).
    let node: ClusterNode | null = null;
    let st: number;
    if (i < base.length && !places.replaced(i)) {
      if (i === myBasePlace) continue;
      st = status[i];
      if (st === PICK_UNKNOWN) st = status[i] = gossipStatus(base[i]);
    } else {
      node = places.at(i)!;
      if (node.id === s.myselfId) continue;
      st = gossipStatus(node);
    }
    if (st === PICK_SKIP) continue;
    if (st === PICK_STALE) {
      freshnodes--;
      continue;
    }
    if (pickedIn[i] === round) continue;
    out.push(gossipEntryOf(node ?? base[i]));
    pickedIn[i] = round;
    freshnodes--;
  }
  // PFAIL nodes, up to the number the last cron tick counted (all of them if never counted).
  let pfailWanted = extras(s).statsPfailNodes ?? Number.MAX_SAFE_INTEGER;
  if (pfailWanted <= 0) return out;
  for (const node of s.nodes.values()) {
    if (pfailWanted <= 0) break;
    if (node.flags & (NodeFlags.HANDSHAKE | NodeFlags.NOADDR)) continue;
    if (!(node.flags & NodeFlags.PFAIL)) continue;
    if (node.id === s.myselfId) continue;
    out.push(gossipEntryOf(node));
    pfailWanted--;
  }
  return out;
}

/** 7.0.15 sends only HOSTNAME, and only when an announced hostname is set (§3.4). */
export function pingExtensions(s: ClusterState): PingExtension[] {
  const me = myself(s);
  return me.hostname !== "" ? [{ type: "HOSTNAME", hostname: me.hostname }] : [];
}

export function buildPingMessage(
  s: ClusterState,
  type: "PING" | "PONG" | "MEET",
  rng: Prng,
  cfg: HeaderConfig,
): PingMessage {
  return {
    type,
    header: buildHeader(s, cfg),
    gossip: selectGossip(s, rng),
    extensions: pingExtensions(s),
  };
}

/** clusterSendPublish: PUBLISH (type 4) or PUBLISHSHARD (type 10). */
export function buildPublishMessage(
  s: ClusterState,
  type: "PUBLISH" | "PUBLISHSHARD",
  channel: Uint8Array,
  message: Uint8Array,
  cfg: HeaderConfig,
): PublishMessage {
  return { type, header: buildHeader(s, cfg), channel, message };
}

export function buildFailMessage(s: ClusterState, nodeId: string, cfg: HeaderConfig): FailMessage {
  return { type: "FAIL", header: buildHeader(s, cfg), nodename: nodeId };
}

export function buildUpdateMessage(
  s: ClusterState,
  nodeId: string,
  cfg: HeaderConfig,
): UpdateMessage {
  const n = s.nodes.get(nodeId);
  if (n === undefined) throw new Error(`buildUpdateMessage: unknown node ${nodeId}`);
  return {
    type: "UPDATE",
    header: buildHeader(s, cfg),
    configEpoch: epochToWire(n.configEpoch),
    nodename: n.id,
    slots: claimedSlotsBitmap(s, n),
  };
}

/** clusterSendPing's ping_sent = now: the PING_SENT event of the peer's link. */
export function markPingSent(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  clock: LinkClock,
): ClusterState {
  const n = s.nodes.get(nodeId);
  if (n === undefined) return s;
  return putNode(s, stepPeerLink(n, { type: "PING_SENT", atMs: nowMs }, clock));
}

export function sendPing(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  rng: Prng,
  cfg: HeaderConfig & LinkClock,
): { state: ClusterState; message: PingMessage } {
  const next = markPingSent(s, nodeId, nowMs, cfg);
  // Redis sets ping_sent before filling the gossip section, so the entry order is unaffected.
  return { state: next, message: buildPingMessage(next, "PING", rng, cfg) };
}

export function outboundLinkConnected(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  rng: Prng,
  cfg: HeaderConfig & LinkClock,
): { state: ClusterState; message: PingMessage } {
  const n = s.nodes.get(nodeId);
  if (n === undefined) throw new Error(`outboundLinkConnected: unknown node ${nodeId}`);
  const meet = (n.flags & NodeFlags.MEET) !== 0;
  let next = setLinkState(s, nodeId, true, cfg);
  let message: PingMessage;
  if (meet) {
    message = buildPingMessage(next, "MEET", rng, cfg);
  } else if (n.pingSentMs !== 0) {
    // clusterSendPing sets ping_sent = now, which goes out in the gossip about the peer, and then
    // clusterLinkConnectHandler restores the PING in flight: the link's PING timer keeps running.
    const m = next.nodes.get(nodeId)!;
    message = buildPingMessage(putNode(next, { ...m, pingSentMs: nowMs }), "PING", rng, cfg);
  } else {
    const r = sendPing(next, nodeId, nowMs, rng, cfg);
    next = r.state;
    message = r.message;
  }
  const m = next.nodes.get(nodeId)!;
  next = putNode(next, { ...m, flags: m.flags & ~NodeFlags.MEET });
  return { state: next, message };
}

export function connectFailed(
  s: ClusterState,
  nodeId: string,
  nowMs: number,
  clock: LinkClock,
): ClusterState {
  const n = s.nodes.get(nodeId);
  if (n === undefined) return s;
  let next = setLinkState(s, nodeId, false, clock);
  if (n.pingSentMs === 0) next = markPingSent(next, nodeId, nowMs, clock);
  return next;
}

/** LINK_UP / LINK_DOWN of the peer's link: the engine's outbound link opened or closed. */
export function setLinkState(
  s: ClusterState,
  nodeId: string,
  connected: boolean,
  clock: LinkClock,
): ClusterState {
  const n = s.nodes.get(nodeId);
  if (n === undefined || nodeId === s.myselfId) return s;
  const m = stepPeerLink(n, { type: connected ? "LINK_UP" : "LINK_DOWN" }, clock);
  return m === n ? s : putNode(s, m);
}
