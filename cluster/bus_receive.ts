/**
 * Handling one received cluster-bus message (Redis 7.0.15 clusterProcessPacket and
 * clusterProcessGossipSection; docs/cluster-bus.md §5.8 in order, §5.4, §5.7, §2.2, §7), pure
 * but for two heartbeat times it writes into the given records in place, as Redis does
 * (`setHeartbeatTime`: the sender's data-received time, a pong time learned from gossip).
 *
 *   receive(state, msg, ctx) -> { state, effects }
 *
 * `msg` is an already decoded and length-checked `BusMessage` (protocol/bus.ts; decode errors are
 * the engine's business: log, and close the link when `closeLink`). `ctx` says when, on which
 * link and from which addresses it arrived (`ReceiveContext`). The effects (bus_effects.ts) come
 * in Redis's order: e.g. the PONG reply to a PING/MEET is built at §5.8 step 4, before the role,
 * slot and gossip updates of the same packet, exactly like Redis. A trailing `saveConfig` effect
 * appears when Redis would save nodes.conf before sleeping; cluster_state is recomputed in the
 * returned state when Redis would (CLUSTER_TODO_UPDATE_STATE).
 *
 * Rules implemented: data_received; §7.1 epoch bookkeeping; own IP learning from MEET (or any
 * PING while the IP is unknown) unless an IP is announced; MEET from an unknown sender creates a
 * HANDSHAKE node (random name from ctx.rng), PING from an unknown sender is answered and
 * ignored; handshake completion on the outbound link (rename, or drop the duplicate handshake
 * node and update the known node's address); wrong name on an outbound link -> NOADDR + close;
 * NOFAILOVER copy; address update from a PING on another link; PONG on the outbound link ->
 * pong_received, ping_sent = 0, PFAIL cleared, FAIL cleared per §5.6; role switch (a master
 * turning replica loses its slots); §7.4 slot update for a master sender with changed slots;
 * §7.2 one UPDATE to the sender about a newer owner; §7.1 collision; gossip (§5.4: failure
 * reports from master senders only, FAIL quorum check + FAIL broadcast, pong time, address of
 * failing nodes, new nodes unless NOADDR or blacklisted); HOSTNAME extension (absent = cleared);
 * FAIL (§2.2); UPDATE (§7.3); other types are handed on as `deliver` effects (known senders).
 */

import type { BusMessage, GossipEntry, PingMessage } from "../protocol/bus.ts";
import { type BusConfig, type BusEffect, type BusResult, EffectSink } from "./bus_effects.ts";
import { buildPingMessage, buildUpdateMessage } from "./bus_header_build.ts";
import {
  demoteToReplica,
  masterOrSelf,
  putNode,
  randomNodeIdFrom,
  renameNode,
  sameBitmap,
  setNodeAsMaster,
  setReplicaMaster,
} from "./bus_node_ops.ts";
import {
  applyHeaderEpochs,
  applyUpdateMessage,
  handleConfigEpochCollision,
  staleSlotOwner,
  updateSlotsConfigWith,
} from "./epochs.ts";
import {
  addFailureReport,
  applyFailMessage,
  clearNodeFailureIfNeeded,
  delFailureReport,
  failureReportCount,
  markNodeAsFailingIfNeeded,
} from "./failure_detection.ts";
import { type LinkClock, stepPeerLink } from "./peer_link.ts";
import type { Prng } from "./prng.ts";
import { inNodeMapBatch } from "./node_map.ts";
import {
  addNode,
  blacklistHas,
  type ClusterNode,
  type ClusterState,
  createNode,
  deleteNode,
  isMaster,
  isValidNodeId,
  myself,
  NodeFlags,
  updateClusterState,
} from "./state.ts";

/** The link a packet arrived on. `nodeId` of an inbound link is null until it is bound. */
export type ReceiveLink =
  | { kind: "outbound"; nodeId: string }
  | { kind: "inbound"; nodeId: string | null };

export interface ReceiveContext extends BusConfig, LinkClock {
  nowMs: number;
  link: ReceiveLink;
  /** TCP peer address of the link (used when the header's myip is empty). */
  peerIp: string;
  /** Local address of the link (this node learns its own IP from it). */
  localIp: string;
  /** For the gossip of the PONG reply and the name of a new handshake node. */
  rng: Prng;
}

const FAILING = NodeFlags.FAIL | NodeFlags.PFAIL;

function lookup(s: ClusterState, name: string): ClusterNode | undefined {
  return validName(name) ? s.nodes.get(name) : undefined;
}

/** Names `isValidNodeId` accepted (a memo, bounded by VALID_NAMES_MAX). */
const validNames = new Set<string>();
const VALID_NAMES_MAX = 1 << 16;

/**
 * `isValidNodeId(name)`, remembered for the names it accepted: the gossip of an N-node cluster
 * names the same N nodes over and over, and checking the 40 chars of each entry's name cost
 * about as much as the rest of the entry (~0.15 µs). A Set lookup by a string uses the hash V8
 * keeps in the string (protocol/bus_names.ts hands out one string per name). Emptied when it
 * holds VALID_NAMES_MAX names: made-up names cost a refill, not memory.
 */
function validName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!isValidNodeId(name)) return false;
  if (validNames.size >= VALID_NAMES_MAX) validNames.clear();
  validNames.add(name);
  return true;
}

/** Process one message; see the module comment. */
export function receive(
  state: ClusterState,
  msg: BusMessage,
  ctx: ReceiveContext,
): BusResult<ClusterState> {
  const sink = new EffectSink();
  let s = process(state, msg, ctx, sink);
  if (sink.updateState) {
    s = updateStateLogged(s, ctx.nowMs, ctx, sink);
  }
  const effects: BusEffect[] = sink.effects;
  if (sink.saveConfig || sink.fsyncConfig) {
    effects.push({ kind: "saveConfig", fsync: sink.fsyncConfig });
  }
  return { state: s, effects };
}

/** clusterUpdateState plus Redis's "Cluster state changed: ok|fail" line. */
export function updateStateLogged(
  s: ClusterState,
  nowMs: number,
  cfg: BusConfig,
  sink: EffectSink,
): ClusterState {
  const next = updateClusterState(s, nowMs, {
    requireFullCoverage: cfg.requireFullCoverage,
    nodeTimeoutMs: cfg.nodeTimeoutMs,
  });
  if (next.health !== s.health) sink.log("warning", `Cluster state changed: ${next.health}`);
  return next;
}

function process(
  s0: ClusterState,
  msg: BusMessage,
  ctx: ReceiveContext,
  sink: EffectSink,
): ClusterState {
  let s = s0;
  const now = ctx.nowMs;
  const hdr = msg.header;
  const type = msg.type;
  const isPingLike = type === "PING" || type === "PONG" || type === "MEET";

  // §5.8 step 2: find the sender by name; data_received.
  const sender = lookup(s, hdr.sender);
  if (sender !== undefined && ctx.link.kind === "inbound" && ctx.link.nodeId === null) {
    sink.push({ kind: "bindInboundLink", nodeId: sender.id });
  }
  if (sender !== undefined) setHeartbeatTime(sender, "dataReceivedMs", now);
  const senderCurrentEpoch = Number(hdr.currentEpoch);
  const senderConfigEpoch = Number(hdr.configEpoch);

  // Step 3: epochs and replication offset from a known, non-handshake sender.
  if (sender !== undefined && !(sender.flags & NodeFlags.HANDSHAKE)) {
    s = applyHeaderEpochs(
      s,
      sender.id,
      senderCurrentEpoch,
      senderConfigEpoch,
      Number(hdr.offset),
      sink,
    );
  }
  const senderId = sender?.id ?? null;

  // Step 4: PING/MEET: own IP, MEET from an unknown sender, always reply PONG.
  if (type === "PING" || type === "MEET") {
    const me = myself(s);
    if ((type === "MEET" || me.ip === "") && ctx.announcedIp === "" && ctx.localIp !== "") {
      if (ctx.localIp !== me.ip) {
        s = putNode(s, { ...me, ip: ctx.localIp });
        sink.log("notice", `IP address for this node updated to ${ctx.localIp}`);
        sink.todo(true, false);
      }
    }
    if (senderId === null && type === "MEET") {
      const node = createNode(randomNodeIdFrom(ctx.rng), NodeFlags.HANDSHAKE, now, {
        ip: hdr.myip !== "" ? hdr.myip : ctx.peerIp,
        port: hdr.port,
        pport: hdr.pport,
        cport: hdr.cport,
        dataReceivedMs: 0,
      }, ctx);
      s = addNode(s, node);
      sink.log("debug", `Handshake started by MEET from ${node.ip}:${node.port}@${node.cport}`);
      sink.todo(true, false);
      s = processGossip(s, (msg as PingMessage).gossip, null, ctx, sink);
    }
    sink.push({ kind: "reply", message: buildPingMessage(s, "PONG", ctx.rng, ctx) });
  }

  if (isPingLike) return processPingLike(s, msg as PingMessage, senderId, ctx, sink);

  switch (msg.type) {
    case "FAIL":
      return applyFailMessage(s, hdr.sender, senderId, msg.nodename, now, ctx, sink);
    case "UPDATE":
      if (senderId === null) return s;
      return applyUpdateMessage(s, msg.nodename, Number(msg.configEpoch), msg.slots, ctx, sink);
    case "UNKNOWN":
      sink.log("warning", `Received unknown packet type: ${msg.code}`);
      return s;
    default:
      if (senderId !== null) sink.push({ kind: "deliver", senderId, message: msg });
      return s;
  }
}

function processPingLike(
  s0: ClusterState,
  msg: PingMessage,
  senderId0: string | null,
  ctx: ReceiveContext,
  sink: EffectSink,
): ClusterState {
  let s = s0;
  const now = ctx.nowMs;
  const hdr = msg.header;
  const senderId = senderId0;
  const link = ctx.link;

  // Step 5: outbound link: handshake completion or name mismatch.
  // The node our outbound link belongs to (after a rename: its new name).
  let linkNodeId: string | null = link.kind === "outbound" && s.nodes.has(link.nodeId)
    ? link.nodeId
    : null;
  if (link.kind === "outbound") {
    const linkNode = s.nodes.get(link.nodeId);
    if (linkNode !== undefined && (linkNode.flags & NodeFlags.HANDSHAKE)) {
      if (senderId !== null) {
        sink.log(
          "verbose",
          `Handshake: we already know node ${senderId}, updating the address if needed.`,
        );
        s = updateAddressIfNeeded(s, senderId, msg, ctx, sink);
        s = deleteNode(s, linkNode.id);
        sink.push({ kind: "nodeRemoved", nodeId: linkNode.id });
        return s;
      }
      if (!isValidNodeId(hdr.sender)) {
        // Redis would take any 40 bytes; a name nodes.conf can't load is refused instead.
        sink.log("warning", `Handshake reply with an invalid node name; closing the link`);
        sink.push({ kind: "closeThisLink" });
        return s;
      }
      s = renameNode(s, linkNode.id, hdr.sender);
      linkNodeId = hdr.sender;
      sink.push({ kind: "renameNode", from: linkNode.id, to: hdr.sender });
      sink.log("debug", `Handshake with node ${hdr.sender} completed.`);
      const n = stepPeerLink(s.nodes.get(hdr.sender)!, { type: "HANDSHAKE_DONE" }, ctx);
      s = putNode(s, { ...n, flags: n.flags | (hdr.flags & (NodeFlags.MASTER | NodeFlags.SLAVE)) });
      sink.todo(true, false);
    } else if (linkNode !== undefined && linkNode.id !== hdr.sender) {
      sink.log(
        "debug",
        `PONG contains mismatching sender ID. About node ${linkNode.id} added ${
          now - linkNode.createdMs
        } ms ago, having flags ${linkNode.flags}`,
      );
      s = putNode(s, {
        ...linkNode,
        flags: linkNode.flags | NodeFlags.NOADDR,
        ip: "",
        port: 0,
        pport: 0,
        cport: 0,
      });
      sink.push({ kind: "closeThisLink" });
      sink.todo(true, false);
      return s;
    }
  }

  // Step 6: NOFAILOVER from the header flags.
  if (senderId !== null) {
    const n = s.nodes.get(senderId)!;
    const flags = (n.flags & ~NodeFlags.NOFAILOVER) | (hdr.flags & NodeFlags.NOFAILOVER);
    if (flags !== n.flags) s = putNode(s, { ...n, flags });
  }

  // Step 7: address update from a PING not on our own outbound link to the sender.
  if (
    senderId !== null && msg.type === "PING" &&
    !(s.nodes.get(senderId)!.flags & NodeFlags.HANDSHAKE)
  ) {
    s = updateAddressIfNeeded(s, senderId, msg, ctx, sink);
  }

  // Step 8: PONG on the outbound link: heartbeat, PFAIL/FAIL clearing.
  if (linkNodeId !== null && msg.type === "PONG") {
    const n = s.nodes.get(linkNodeId);
    if (n !== undefined) {
      s = putNode(s, stepPeerLink(n, { type: "PONG_RECEIVED", atMs: now }, ctx));
      const m = s.nodes.get(linkNodeId)!;
      if (m.flags & NodeFlags.PFAIL) {
        s = putNode(s, stepPeerLink(m, { type: "FAIL_CLEARED" }, ctx));
        sink.todo(true, true);
      } else if (m.flags & NodeFlags.FAIL) {
        s = clearNodeFailureIfNeeded(s, linkNodeId, now, ctx, sink);
      }
    }
  }

  if (senderId === null) return s;

  // Step 9: role switch.
  if (hdr.slaveof === null) {
    const before = s;
    s = setNodeAsMaster(s, senderId);
    if (s !== before) sink.todo(true, true);
  } else {
    const master = lookup(s, hdr.slaveof);
    if (isMaster(s.nodes.get(senderId)!)) {
      s = demoteToReplica(s, senderId);
      sink.todo(true, true);
    }
    if (master !== undefined && s.nodes.get(senderId)!.masterId !== master.id) {
      s = setReplicaMaster(s, senderId, master.id);
      sink.todo(true, false);
    }
  }

  // Step 10: slots.
  const senderNode = s.nodes.get(senderId)!;
  const senderMaster = masterOrSelf(s, senderNode);
  const dirtySlots = senderMaster !== null && !sameBitmap(senderMaster.slots, hdr.myslots);
  if (isMaster(senderNode) && dirtySlots) {
    s = updateSlotsConfigWith(s, senderId, Number(hdr.configEpoch), hdr.myslots, ctx, sink);
  }
  if (dirtySlots) {
    const owner = staleSlotOwner(s, senderId, hdr.myslots, Number(hdr.configEpoch));
    if (owner !== null) {
      sink.log(
        "verbose",
        `Node ${senderId} has old slots configuration, sending an UPDATE message about ${owner}`,
      );
      sink.push({ kind: "send", to: senderId, message: buildUpdateMessage(s, owner, ctx) });
    }
  }

  // Step 11: config epoch collision.
  const me = myself(s);
  if (
    isMaster(me) && isMaster(s.nodes.get(senderId)!) &&
    Number(hdr.configEpoch) === me.configEpoch
  ) {
    s = handleConfigEpochCollision(s, senderId, sink);
  }

  // Step 12: gossip, then extensions.
  s = processGossip(s, msg.gossip, senderId, ctx, sink);
  if (s.nodes.has(senderId)) s = processExtensions(s, msg, senderId, sink);
  return s;
}

/** nodeUpdateAddressIfNeeded (§5.8 step 7). */
function updateAddressIfNeeded(
  s: ClusterState,
  nodeId: string,
  msg: PingMessage,
  ctx: ReceiveContext,
  sink: EffectSink,
): ClusterState {
  if (ctx.link.kind === "outbound" && ctx.link.nodeId === nodeId) return s;
  const hdr = msg.header;
  const ip = hdr.myip !== "" ? hdr.myip : ctx.peerIp;
  if (ip === "") return s; // peer address unavailable: retried on a later PING
  const n = s.nodes.get(nodeId)!;
  if (n.port === hdr.port && n.cport === hdr.cport && n.pport === hdr.pport && n.ip === ip) {
    return s;
  }
  s = putNode(s, {
    ...n,
    ip,
    port: hdr.port,
    pport: hdr.pport,
    cport: hdr.cport,
    flags: n.flags & ~NodeFlags.NOADDR,
  });
  sink.push({ kind: "closeLink", nodeId });
  sink.log("notice", `Address updated for node ${nodeId}, now ${ip}:${hdr.port}`);
  const me = myself(s);
  if (me.masterId === nodeId && (me.flags & NodeFlags.SLAVE)) {
    sink.push({ kind: "replicate", masterId: nodeId });
  }
  sink.todo(true, true);
  return s;
}

/**
 * clusterProcessGossipSection (§5.4). `senderId` null: MEET from an unknown node. The views made
 * for one entry are only read by the next (cluster/node_map.ts `inNodeMapBatch`): the records
 * of a section are set in one copy of the node map, not in one copy per entry.
 */
function processGossip(
  s0: ClusterState,
  gossip: readonly GossipEntry[],
  senderId: string | null,
  ctx: ReceiveContext,
  sink: EffectSink,
): ClusterState {
  return inNodeMapBatch(() => processGossipEntries(s0, gossip, senderId, ctx, sink));
}

function processGossipEntries(
  s0: ClusterState,
  gossip: readonly GossipEntry[],
  senderId: string | null,
  ctx: ReceiveContext,
  sink: EffectSink,
): ClusterState {
  let s = s0;
  const now = ctx.nowMs;
  // The sender is known throughout (nothing here deletes a node or changes a MASTER flag).
  const sender = senderId === null ? undefined : s.nodes.get(senderId);
  const masterSender = sender !== undefined && isMaster(sender) ? sender.id : null;
  for (const g of gossip) {
    const flags = g.flags;
    const node = lookup(s, g.nodename);
    if (node !== undefined) {
      const id = node.id;
      // The current record, re-read only after a step that may have replaced it.
      let n = node;
      if (masterSender !== null && id !== s.myselfId) {
        if (flags & FAILING) {
          const r = addFailureReport(s, id, masterSender, now);
          s = r.state;
          if (r.added) {
            sink.log("verbose", `Node ${masterSender} reported node ${id} as not reachable.`);
          }
          s = markNodeAsFailingIfNeeded(s, id, now, ctx, sink);
          n = s.nodes.get(id)!;
        } else if (n.failReports.length > 0) {
          const r = delFailureReport(s, id, masterSender, now, ctx.nodeTimeoutMs);
          s = r.state;
          if (r.removed) {
            sink.log("verbose", `Node ${masterSender} reported node ${id} is back online.`);
          }
          n = s.nodes.get(id)!;
        }
      }
      if (!(flags & FAILING) && n.pingSentMs === 0) {
        // failureReportCount, which changes nothing for a node without reports.
        const c = n.failReports.length === 0
          ? { state: s, count: 0 }
          : failureReportCount(s, id, now, ctx.nodeTimeoutMs);
        s = c.state;
        n = s.nodes.get(id)!;
        if (c.count === 0) {
          const pongMs = g.pongReceivedSec * 1000;
          if (pongMs <= now + 500 && pongMs > n.pongReceivedMs) {
            setHeartbeatTime(n, "pongReceivedMs", pongMs);
          }
        }
      }
      if (
        (n.flags & FAILING) && !(flags & NodeFlags.NOADDR) && !(flags & FAILING) &&
        (n.ip.toLowerCase() !== g.ip.toLowerCase() || n.port !== g.port ||
          n.pport !== g.pport || n.cport !== g.cport)
      ) {
        sink.push({ kind: "closeLink", nodeId: id });
        s = putNode(s, {
          ...n,
          ip: g.ip,
          port: g.port,
          pport: g.pport,
          cport: g.cport,
          flags: n.flags & ~NodeFlags.NOADDR,
        });
      }
    } else if (
      senderId !== null && !(flags & NodeFlags.NOADDR) && validName(g.nodename) &&
      !blacklistHas(s, g.nodename, now)
    ) {
      s = addNode(
        s,
        createNode(g.nodename, flags, now, {
          ip: g.ip,
          port: g.port,
          pport: g.pport,
          cport: g.cport,
          dataReceivedMs: 0,
        }, ctx),
      );
      sink.log(
        "debug",
        `Node ${g.nodename} (${g.ip}:${g.port}@${g.cport}) learned from gossip of ${senderId}`,
      );
    }
  }
  return s;
}

/**
 * The heartbeat times Redis writes into its node struct in place, written into the record in
 * place here too, not by a copy of the record put in a new view: a packet's sender's
 * `dataReceivedMs` (cluster.c clusterProcessPacket: `sender->data_received = now`) and a pong
 * time learned from gossip (clusterProcessGossipSection: `node->pong_received = pongtime`). The
 * only writes to a record that views share; safe because:
 *
 * - every reader reads these fields from the node's current view, when it acts: the cron's PING
 *   choice and timeouts (bus_cron.ts: the only reader of `dataReceivedMs`), the gossip entries
 *   sent (bus_header_build.ts gossipEntryOf), the nodes.conf / CLUSTER NODES text (nodes_conf.ts;
 *   its per-record cache leaves the pong time out), a link opened from the record
 *   (cluster/peer_link.ts linkStartOf). No code compares them between two views: a pong time
 *   learned from gossip is no event of the peer's link (PONG_RECEIVED is a heartbeat reply, which
 *   still copies the record), and nothing tells views apart by them;
 * - a record belongs to one node's views only (each node builds its own records: createNode,
 *   nodes.conf load), so no other node sees the write.
 *
 * What it changes: an older view of the same node that holds the record shows the new time, and
 * `receive` writes these fields in the state it was given. The copies made every packet and
 * every gossip entry with a newer pong time replace a record: up to N/10 per packet, each then
 * in the node map's delta, which is copied by the next update, and flattened (a copy of all N)
 * every packet or two at 1,000 nodes.
 */
function setHeartbeatTime(
  n: ClusterNode,
  field: "dataReceivedMs" | "pongReceivedMs",
  ms: number,
): void {
  (n as { -readonly [K in typeof field]: number })[field] = ms;
}

/** clusterProcessPingExt: HOSTNAME sets the sender's hostname, its absence clears it. */
function processExtensions(
  s: ClusterState,
  msg: PingMessage,
  senderId: string,
  sink: EffectSink,
): ClusterState {
  let hostname: string | null = null;
  for (const e of msg.extensions) {
    if (e.type === "HOSTNAME") hostname = e.hostname;
    else {
      const code = e.type === "RAW" ? e.code : EXT_CODES[e.type];
      sink.log("warning", `Received unknown extension type ${code}`);
    }
  }
  const n = s.nodes.get(senderId)!;
  const h = hostname ?? "";
  if (n.hostname === h) return s;
  sink.todo(true, false);
  return putNode(s, { ...n, hostname: h });
}

const EXT_CODES = { HUMAN_NODENAME: 1, FORGOTTEN_NODE: 2, SHARDID: 3 } as const;
