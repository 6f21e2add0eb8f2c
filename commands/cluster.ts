/**
 * CLUSTER and its subcommands, plus READONLY, READWRITE and ASKING, with Redis 7.0.15's reply
 * shapes and error texts (checked byte for byte against a real `redis-server --cluster-enabled
 * yes`). The view lives in cluster/cluster.ts; handlers validate, call the pure transitions of
 * cluster/state.ts and install the result with `cluster.apply` (state update + dirty config).
 *
 * Without cluster-enabled every one of them replies "ERR This instance has cluster support
 * disabled" (after the dispatcher's arity check, as in Redis).
 *
 * MEET, REPLICATE, FORGET and RESET work with the cluster bus (cluster/bus_node.ts); FAILOVER
 * runs the failover rules (cluster/failover_rules.ts) through `Cluster.failover`. Replication
 * itself follows the view (cluster/replication_adapter.ts).
 */

import { type CommandContext, type CommandDef, fromTable, type Handler } from "./types.ts";
import * as E from "./errors.ts";
import { lower, parseInt64, str } from "../protocol/bytes.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import type { ClusterPort } from "../cluster/cluster_port.ts";
import { MSG_TYPE_NAMES as BUS_MESSAGE_TYPE_NAMES } from "../protocol/bus_constants.ts";
import {
  addNode,
  addSlots,
  blacklistAdd,
  bumpEpoch,
  CLUSTER_PORT_INCR,
  CLUSTER_SLOTS,
  type ClusterNode,
  createNode,
  deleteNode,
  delSlots,
  effectiveConfigEpoch,
  flushSlots,
  isFailed,
  isMaster,
  isReplica,
  isTimedOut,
  lookupNode,
  myself,
  NodeFlags,
  ownerRuns,
  randomNodeId,
  replicasOf,
  reset,
  setConfigEpoch,
  SLOT_ASSIGNMENT_SAVE,
  slotRanges,
} from "../cluster/state.ts";
import { describeNode, describeNodes } from "../cluster/nodes_conf.ts";
import { normalizeIp } from "../cluster/ip.ts";
import { setMyMaster } from "../cluster/bus_node_ops.ts";
import { stopReplicating } from "../cluster/replication_adapter.ts";
import { setSlot, type SetSlotAction } from "../cluster/setslot.ts";
import { failureReportCount } from "../cluster/failure_detection.ts";
import { type FailoverMode, parseFailoverOption } from "../cluster/failover_rules.ts";
import { clientPort, type PreferredEndpoint, preferredEndpoint } from "../cluster/routing.ts";
import type { ClockPort, ConfigPort, DatabasesPort, LogPort } from "../server/server_ports.ts";
import type { ClusterModePort, ReplicationRolePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  ClockPort & ClusterModePort & ConfigPort & DatabasesPort & LogPort & ReplicationRolePort
>;
type ClusterHandler = Handler<Ctx["server"]>;

export const CLUSTER_DISABLED = "ERR This instance has cluster support disabled";

/** The cluster, or null after replying the "disabled" error. */
function need(ctx: Ctx): ClusterPort | null {
  const c = ctx.server.cluster;
  if (c === null) ctx.reply.error(CLUSTER_DISABLED);
  return c;
}

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(ctx: Ctx, sub: Uint8Array): void {
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${str(sub).slice(0, 128)}'. ` +
      `Try CLUSTER HELP.`,
  );
}

/** getSlotOrReply. */
function parseSlot(arg: Uint8Array): number | null {
  const v = parseInt64(arg);
  if (v === null || v < 0 || v >= CLUSTER_SLOTS) return null;
  return v;
}

const INVALID_SLOT = "ERR Invalid or out of range slot";

function endpointType(ctx: Ctx): PreferredEndpoint {
  return ctx.server.config.getString("cluster-preferred-endpoint-type") as PreferredEndpoint;
}

// ---------------------------------------------------------------------------------------------
// Read-only views

const HELP_LINES = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ADDSLOTS <slot> [<slot> ...]",
  "    Assign slots to current node.",
  "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Assign slots which are between <start-slot> and <end-slot> to current node.",
  "BUMPEPOCH",
  "    Advance the cluster config epoch.",
  "COUNT-FAILURE-REPORTS <node-id>",
  "    Return number of failure reports for <node-id>.",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "DELSLOTS <slot> [<slot> ...]",
  "    Delete slots information from current node.",
  "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
  "FAILOVER [FORCE|TAKEOVER]",
  "    Promote current replica node to being a master.",
  "FORGET <node-id>",
  "    Remove a node from the cluster.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored by current node in a slot.",
  "FLUSHSLOTS",
  "    Delete current node own slots information.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MEET <ip> <port> [<bus-port>]",
  "    Connect nodes into a working cluster.",
  "MYID",
  "    Return the node id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "REPLICATE <node-id>",
  "    Configure current node as replica to <node-id>.",
  "RESET [HARD|SOFT]",
  "    Reset current node (default: soft).",
  "SET-CONFIG-EPOCH <epoch>",
  "    Set config epoch of current node.",
  "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
  "    Set slot state.",
  "REPLICAS <node-id>",
  "    Return <node-id> replicas.",
  "SAVECONFIG",
  "    Force saving cluster configuration on disk.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "LINKS",
  "    Return information about all network links between this node and its peers.",
  "    Output format is an array where each array element is a map containing attributes of a link",
  "HELP",
  "    Prints this help.",
];

const help: ClusterHandler = (ctx) => {
  if (!need(ctx)) return;
  ctx.reply.array(HELP_LINES.length);
  for (const l of HELP_LINES) ctx.reply.status(l);
};

const myid: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  ctx.reply.bulkText(c.state.myselfId);
};

/** genClusterInfoString. */
export function clusterInfoText(c: ClusterPort): string {
  const s = c.state;
  let assigned = 0, ok = 0, pfail = 0, fail = 0;
  // By runs of one owner: a node lookup per run, not per slot (16,384 lookups were 0.4 ms).
  s.slotOwner.forEachRun((start, end, o) => {
    if (o === null) return;
    const count = end - start + 1;
    assigned += count;
    const n = s.nodes.get(o)!;
    if (isFailed(n)) fail += count;
    else if (isTimedOut(n)) pfail += count;
    else ok += count;
  });
  const me = myself(s);
  let out = `cluster_state:${s.health}\r\n` +
    `cluster_slots_assigned:${assigned}\r\n` +
    `cluster_slots_ok:${ok}\r\n` +
    `cluster_slots_pfail:${pfail}\r\n` +
    `cluster_slots_fail:${fail}\r\n` +
    `cluster_known_nodes:${s.nodes.size}\r\n` +
    `cluster_size:${s.size}\r\n` +
    `cluster_current_epoch:${s.currentEpoch}\r\n` +
    `cluster_my_epoch:${effectiveConfigEpoch(s, me)}\r\n`;
  let sent = 0, received = 0;
  for (let i = 0; i < BUS_MESSAGE_TYPE_NAMES.length; i++) {
    const n = c.stats.sent[i];
    if (n === 0) continue;
    sent += n;
    out += `cluster_stats_messages_${BUS_MESSAGE_TYPE_NAMES[i]}_sent:${n}\r\n`;
  }
  out += `cluster_stats_messages_sent:${sent}\r\n`;
  for (let i = 0; i < BUS_MESSAGE_TYPE_NAMES.length; i++) {
    const n = c.stats.received[i];
    if (n === 0) continue;
    received += n;
    out += `cluster_stats_messages_${BUS_MESSAGE_TYPE_NAMES[i]}_received:${n}\r\n`;
  }
  out += `cluster_stats_messages_received:${received}\r\n`;
  out += `total_cluster_links_buffer_limit_exceeded:${c.stats.linksBufferLimitExceeded}\r\n`;
  return out;
}

const info: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  ctx.reply.verbatim(clusterInfoText(c));
};

const nodes: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  ctx.reply.verbatim(describeNodes(c.state, 0, usePport(ctx)));
};

/**
 * The IP to show for a node in CLUSTER SLOTS. Deliberate deviation from 7.0: before its first
 * MEET a node does not know its own IP and Redis prints "", which ioredis and node-redis skip,
 * so they cannot use a one-node cluster at all. We print the local address the asking client
 * connected to instead (an address that client can reach); CLUSTER NODES stays as Redis prints.
 */
function slotsIp(ctx: Ctx, n: ClusterNode): string {
  if (n.ip !== "" || n.id !== ctx.server.cluster?.state.myselfId) return n.ip;
  const laddr = ctx.client.laddr;
  const cut = laddr.lastIndexOf(":");
  const host = cut > 0 ? laddr.slice(0, cut) : laddr;
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** A plain client of a tls-cluster is shown the plaintext ports (Redis's use_pport). */
function usePport(ctx: Ctx): boolean {
  return ctx.server.cluster?.tlsCluster === true && !ctx.client.tls;
}

/** addNodeToNodeReply: [endpoint, port, id, metadata-map]. */
function nodeEntry(ctx: Ctx, n: ClusterNode, type: PreferredEndpoint): void {
  const r = ctx.reply;
  r.array(4);
  if (type === "ip") r.bulkText(slotsIp(ctx, n));
  else if (type === "hostname") r.bulkText(n.hostname !== "" ? n.hostname : "?");
  else r.nil();
  r.int(clientPort(n, usePport(ctx)));
  r.bulkText(n.id);
  const withIp = type !== "ip";
  const withHost = type !== "hostname" && n.hostname !== "";
  r.map((withIp ? 1 : 0) + (withHost ? 1 : 0));
  if (withIp) {
    r.bulkText("ip");
    r.bulkText(n.ip);
  }
  if (withHost) {
    r.bulkText("hostname");
    r.bulkText(n.hostname);
  }
}

/**
 * A node's replication offset: myself's is the live one (master_repl_offset, or the replica's
 * processed offset; "nodes do not update their own information"), the others' the one their last
 * ping carried.
 */
function replOffsetOf(ctx: Ctx, n: ClusterNode): number {
  return n.id === ctx.server.cluster?.state.myselfId
    ? ctx.server.replication.masterReplOffset
    : n.replOffset;
}

const slots: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  const s = c.state;
  const type = endpointType(ctx);
  const runs = ownerRuns(s);
  ctx.reply.array(runs.length);
  for (const [start, end, owner] of runs) {
    const n = s.nodes.get(owner)!;
    // isReplicaAvailable: a failed replica, or one that has not finished its first sync
    // (offset 0), is left out, so that clients do not read from it.
    const replicas = replicasOf(s, owner).filter((r) => !isFailed(r) && replOffsetOf(ctx, r) !== 0);
    ctx.reply.array(3 + replicas.length);
    ctx.reply.int(start);
    ctx.reply.int(end);
    nodeEntry(ctx, n, type);
    for (const r of replicas) nodeEntry(ctx, r, type);
  }
};

/** addNodeDetailsToShardReply. */
function shardNode(ctx: Ctx, n: ClusterNode, type: PreferredEndpoint): void {
  const r = ctx.reply;
  // With tls-cluster the node's port is its TLS port and pport its plaintext one.
  const tlsCluster = ctx.server.cluster?.tlsCluster === true;
  const port = tlsCluster ? n.pport : n.port;
  const tlsPort = tlsCluster ? n.port : 0;
  const withHost = n.hostname !== "";
  r.map(6 + (port !== 0 ? 1 : 0) + (tlsPort !== 0 ? 1 : 0) + (withHost ? 1 : 0));
  r.bulkText("id");
  r.bulkText(n.id);
  if (port !== 0) {
    r.bulkText("port");
    r.int(port);
  }
  if (tlsPort !== 0) {
    r.bulkText("tls-port");
    r.int(tlsPort);
  }
  r.bulkText("ip");
  r.bulkText(n.ip);
  r.bulkText("endpoint");
  r.bulkText(preferredEndpoint(n, type));
  if (withHost) {
    r.bulkText("hostname");
    r.bulkText(n.hostname);
  }
  const offset = replOffsetOf(ctx, n);
  r.bulkText("role");
  r.bulkText(isReplica(n) ? "replica" : "master");
  r.bulkText("replication-offset");
  r.int(offset);
  r.bulkText("health");
  r.bulkText(isFailed(n) ? "fail" : isReplica(n) && offset === 0 ? "loading" : "online");
}

const shards: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  const s = c.state;
  const type = endpointType(ctx);
  const masters = [...s.nodes.values()].filter(isMaster);
  ctx.reply.array(masters.length);
  for (const m of masters) {
    ctx.reply.map(2);
    ctx.reply.bulkText("slots");
    const ranges = slotRanges(m);
    ctx.reply.array(ranges.length * 2);
    for (const [a, b] of ranges) {
      ctx.reply.int(a);
      ctx.reply.int(b);
    }
    ctx.reply.bulkText("nodes");
    const members = [m, ...replicasOf(s, m.id)];
    ctx.reply.array(members.length);
    for (const n of members) shardNode(ctx, n, type);
  }
};

const keyslot: ClusterHandler = (ctx, argv) => {
  if (!need(ctx)) return;
  ctx.reply.int(keyHashSlot(argv[2]));
};

const countkeysinslot: ClusterHandler = (ctx, argv) => {
  if (!need(ctx)) return;
  const slot = parseInt64(argv[2]);
  if (slot === null) return ctx.reply.error(E.NOT_INTEGER);
  if (slot < 0 || slot >= CLUSTER_SLOTS) return ctx.reply.error("ERR Invalid slot");
  ctx.reply.int(ctx.db.countKeysInSlot(slot));
};

const getkeysinslot: ClusterHandler = (ctx, argv) => {
  if (!need(ctx)) return;
  const slot = parseInt64(argv[2]);
  if (slot === null) return ctx.reply.error(E.NOT_INTEGER);
  const max = parseInt64(argv[3]);
  if (max === null) return ctx.reply.error(E.NOT_INTEGER);
  if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
    return ctx.reply.error("ERR Invalid slot or number of keys");
  }
  ctx.reply.binaryArray(ctx.db.getKeysInSlot(slot, max));
};

const countFailureReports: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  const id = str(argv[2]);
  const n = lookupNode(c.state, id);
  if (n === undefined) return ctx.reply.error(`ERR Unknown node ${id}`);
  // clusterNodeFailureReportsCount drops expired reports first.
  const r = failureReportCount(
    c.state,
    n.id,
    ctx.server.now(),
    ctx.server.config.getNumber("cluster-node-timeout"),
  );
  if (r.state !== c.state) c.apply(r.state, { save: false });
  ctx.reply.int(r.count);
};

const replicas: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  const id = str(argv[2]);
  const n = lookupNode(c.state, id);
  if (n === undefined) return ctx.reply.error(`ERR Unknown node ${id}`);
  if (isReplica(n)) return ctx.reply.error("ERR The specified node is not a master");
  const list = replicasOf(c.state, n.id);
  ctx.reply.array(list.length);
  for (const r of list) ctx.reply.bulkText(describeNode(c.state, r, usePport(ctx)));
};

/** CLUSTER LINKS (7.0): per link a map of direction, node, create-time, events, buffers. */
const links: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  const list = c.bus.engine.links();
  const r = ctx.reply;
  r.array(list.length);
  for (const l of list) {
    r.map(6);
    r.bulkText("direction");
    r.bulkText(l.direction);
    r.bulkText("node");
    r.bulkText(l.nodeId);
    r.bulkText("create-time");
    r.int(l.createTimeMs);
    r.bulkText("events");
    r.bulkText(l.sendBufferUsed > 0 ? "rw" : "r");
    r.bulkText("send-buffer-allocated");
    r.int(l.sendBufferUsed);
    r.bulkText("send-buffer-used");
    r.int(l.sendBufferUsed);
  }
};

// ---------------------------------------------------------------------------------------------
// Slot assignment

function slotChange(del: boolean, ranged: boolean): ClusterHandler {
  return (ctx, argv) => {
    const c = need(ctx);
    if (!c) return;
    const ranges: [number, number][] = [];
    if (ranged) {
      if (argv.length % 2 === 1) return ctx.reply.error(E.wrongArity(`cluster|${lower(argv[1])}`));
      for (let j = 2; j < argv.length; j += 2) {
        const a = parseSlot(argv[j]);
        if (a === null) return ctx.reply.error(INVALID_SLOT);
        const b = parseSlot(argv[j + 1]);
        if (b === null) return ctx.reply.error(INVALID_SLOT);
        if (a > b) {
          return ctx.reply.error(`ERR start slot number ${a} is greater than end slot number ${b}`);
        }
        ranges.push([a, b]);
      }
    } else {
      for (let j = 2; j < argv.length; j++) {
        const a = parseSlot(argv[j]);
        if (a === null) return ctx.reply.error(INVALID_SLOT);
        ranges.push([a, a]);
      }
    }
    const r = del ? delSlots(c.state, ranges) : addSlots(c.state, ranges);
    if ("error" in r) return ctx.reply.error(r.error);
    c.apply(r.state, SLOT_ASSIGNMENT_SAVE);
    ctx.reply.ok();
  };
}

const flushslots: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  if (ctx.db.dict.size !== 0) {
    return ctx.reply.error("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
  }
  c.apply(flushSlots(c.state));
  ctx.reply.ok();
};

const setslot: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  if (isReplica(myself(c.state))) {
    return ctx.reply.error("ERR Please use SETSLOT only with masters.");
  }
  const slot = parseSlot(argv[2]);
  if (slot === null) return ctx.reply.error(INVALID_SLOT);
  const verb = lower(argv[3]);
  const argc = argv.length;
  let action: SetSlotAction;
  if (verb === "migrating" && argc === 5) action = { kind: "migrating", nodeId: str(argv[4]) };
  else if (verb === "importing" && argc === 5) action = { kind: "importing", nodeId: str(argv[4]) };
  else if (verb === "stable" && argc === 4) action = { kind: "stable" };
  else if (verb === "node" && argc === 5) action = { kind: "node", nodeId: str(argv[4]) };
  else {
    return ctx.reply.error(
      "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
    );
  }
  const r = setSlot(c.state, slot, action, {
    keysInSlot: action.kind === "node" ? ctx.db.countKeysInSlot(slot) : 0,
    allowReplicaMigration: ctx.server.config.getBool("cluster-allow-replica-migration"),
  });
  if ("error" in r) return ctx.reply.error(r.error);
  for (const l of r.logs) {
    if (l.level === "warning") ctx.server.log.warning(l.text);
    else ctx.server.log.notice(l.text);
  }
  c.apply(r.state, { fsync: r.fsync });
  if (r.broadcastPong) c.bus.broadcastPong();
  ctx.reply.ok();
};

// ---------------------------------------------------------------------------------------------
// Epochs, config, reset

const setConfigEpochCmd: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  const epoch = parseInt64(argv[2]);
  if (epoch === null) return ctx.reply.error(E.NOT_INTEGER);
  const r = setConfigEpoch(c.state, epoch);
  if ("error" in r) return ctx.reply.error(r.error);
  ctx.server.log.notice(`configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
  c.apply(r.state, { fsync: true });
  ctx.reply.ok();
};

const bumpepoch: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  const r = bumpEpoch(c.state);
  if (r.bumped) {
    c.apply(r.state, { fsync: true });
    ctx.server.log.warning(`New configEpoch set to ${myself(r.state).configEpoch}`);
  }
  ctx.reply.status(`${r.bumped ? "BUMPED" : "STILL"} ${myself(r.state).configEpoch}`);
};

const saveconfig: ClusterHandler = (ctx) => {
  const c = need(ctx);
  if (!c) return;
  try {
    c.saveConfig();
  } catch (e) {
    return ctx.reply.error(`ERR error saving the cluster node config: ${(e as Error).message}`);
  }
  ctx.reply.ok();
};

const resetCmd: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  if (argv.length > 3) return subcommandSyntaxError(ctx, argv[1]);
  let hard = false;
  if (argv.length === 3) {
    const a = lower(argv[2]);
    if (a === "hard") hard = true;
    else if (a !== "soft") return ctx.reply.error(E.SYNTAX);
  }
  const me = myself(c.state);
  if (isMaster(me) && ctx.db.dict.size !== 0) {
    return ctx.reply.error("ERR CLUSTER RESET can't be called with master nodes containing keys");
  }
  // clusterReset: a replica turns into an empty master (replicationUnsetMaster, then
  // emptyData(-1): every database; the tracking invalidation goes once).
  if (isReplica(me)) {
    stopReplicating(ctx.server);
    for (const db of ctx.server.dbs) db.flush(db.id === 0);
  }
  const next = reset(c.state, hard, randomNodeId(), ctx.server.now());
  if (hard) {
    ctx.server.log.warning("configEpoch set to 0 via CLUSTER RESET HARD");
    ctx.server.log.notice(`Node hard reset, now I'm ${next.myselfId}`);
  }
  // clusterReset ends with clusterSaveConfigOrDie(1).
  c.apply(next, { fsync: true });
  ctx.reply.ok();
};

// ---------------------------------------------------------------------------------------------
// Membership (validation now, the handshake with the bus)

const meet: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  if (argv.length > 5) return subcommandSyntaxError(ctx, argv[1]);
  const port = parseInt64(argv[3]);
  if (port === null) return ctx.reply.error(`ERR Invalid TCP base port specified: ${str(argv[3])}`);
  let cport = port + CLUSTER_PORT_INCR;
  if (argv.length === 5) {
    const cp = parseInt64(argv[4]);
    if (cp === null) return ctx.reply.error(`ERR Invalid TCP bus port specified: ${str(argv[4])}`);
    cport = cp;
  }
  const ip = normalizeIp(str(argv[2]));
  if (ip === null || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) {
    return ctx.reply.error(`ERR Invalid node address specified: ${str(argv[2])}:${str(argv[3])}`);
  }
  const s = c.state;
  // clusterHandshakeInProgress: a second MEET for the same address is a no-op.
  for (const n of s.nodes.values()) {
    if ((n.flags & NodeFlags.HANDSHAKE) && n.ip === ip && n.port === port && n.cport === cport) {
      return ctx.reply.ok();
    }
  }
  // clusterStartHandshake: the next cron tick connects to ip:cport and sends MEET; the first PONG
  // renames this node. Unanswered, it expires after max(cluster-node-timeout, 1000) ms.
  const node = createNode(
    randomNodeId(),
    NodeFlags.HANDSHAKE | NodeFlags.MEET,
    ctx.server.now(),
    { ip, port, cport },
    c.bus.linkClock(),
  );
  c.apply(addNode(s, node), { save: false });
  ctx.reply.ok();
};

const replicate: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  const s = c.state;
  const id = str(argv[2]);
  const n = lookupNode(s, id);
  if (n === undefined) return ctx.reply.error(`ERR Unknown node ${id}`);
  if (n.id === s.myselfId) return ctx.reply.error("ERR Can't replicate myself");
  if (isReplica(n)) return ctx.reply.error("ERR I can only replicate a master, not a replica.");
  const me = myself(s);
  if (isMaster(me) && (me.numSlots !== 0 || ctx.db.dict.size !== 0)) {
    return ctx.reply.error(
      "ERR To set a master the node must be empty and without assigned slots.",
    );
  }
  // clusterSetMaster: role change, spread by the next PINGs (slaveof in the header), then
  // replicationSetMaster towards the master's address.
  if (me.masterId !== n.id || isMaster(me)) {
    c.apply(setMyMaster(s, n.id));
    c.followMaster();
  }
  ctx.reply.ok();
};

const forget: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  const s = c.state;
  const now = ctx.server.now();
  const id = str(argv[2]);
  const n = lookupNode(s, id);
  // 7.0.15 (measured): a second FORGET of a blacklisted id is "Unknown node" (7.2 replies OK).
  if (n === undefined) return ctx.reply.error(`ERR Unknown node ${id}`);
  if (n.id === s.myselfId) return ctx.reply.error("ERR I tried hard but I can't forget myself...");
  const me = myself(s);
  if (isReplica(me) && me.masterId === n.id) return ctx.reply.error("ERR Can't forget my master!");
  c.apply(deleteNode(blacklistAdd(s, n.id, now), n.id));
  ctx.reply.ok();
};

const failover: ClusterHandler = (ctx, argv) => {
  const c = need(ctx);
  if (!c) return;
  if (argv.length > 3) return subcommandSyntaxError(ctx, argv[1]);
  let mode: FailoverMode = "default";
  if (argv.length === 3) {
    const opt = parseFailoverOption(str(argv[2]));
    if (opt === null) return ctx.reply.error(E.SYNTAX);
    mode = opt;
  }
  // Preconditions and texts are clusterFailoverCommand's (cluster/manual_failover.ts).
  const err = c.failover(mode);
  if (err !== null) return ctx.reply.error(err);
  ctx.reply.ok();
};

// ---------------------------------------------------------------------------------------------
// READONLY / READWRITE / ASKING

const readonly: ClusterHandler = (ctx) => {
  if (!need(ctx)) return;
  ctx.client.readonlyMode = true;
  ctx.reply.ok();
};

const readwrite: ClusterHandler = (ctx) => {
  if (!need(ctx)) return;
  ctx.client.readonlyMode = false;
  ctx.reply.ok();
};

const asking: ClusterHandler = (ctx) => {
  if (!need(ctx)) return;
  ctx.client.asking = true;
  ctx.reply.ok();
};

// ---------------------------------------------------------------------------------------------

/** The subcommand `name` of CLUSTER. */
const sub = (name: string, h: ClusterHandler) => fromTable(`cluster|${name}`, h);

export const clusterCommands: CommandDef[] = [
  fromTable("cluster", undefined, {
    subcommands: [
      sub("addslots", slotChange(false, false)),
      sub("addslotsrange", slotChange(false, true)),
      sub("bumpepoch", bumpepoch),
      sub("count-failure-reports", countFailureReports),
      sub("countkeysinslot", countkeysinslot),
      sub("delslots", slotChange(true, false)),
      sub("delslotsrange", slotChange(true, true)),
      sub("failover", failover),
      sub("flushslots", flushslots),
      sub("forget", forget),
      sub("getkeysinslot", getkeysinslot),
      sub("help", help),
      sub("info", info),
      sub("keyslot", keyslot),
      sub("links", links),
      sub("meet", meet),
      sub("myid", myid),
      sub("nodes", nodes),
      sub("replicas", replicas),
      sub("replicate", replicate),
      sub("reset", resetCmd),
      sub("saveconfig", saveconfig),
      sub("set-config-epoch", setConfigEpochCmd),
      sub("setslot", setslot),
      sub("shards", shards),
      sub("slaves", replicas),
      sub("slots", slots),
    ],
  }),
  fromTable("readonly", readonly),
  fromTable("readwrite", readwrite),
  fromTable("asking", asking),
];
