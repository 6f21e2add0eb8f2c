/**
 * Cluster bus constants (Redis 7.0.15, protocol version 1): sizes and offsets of the wire format,
 * message types, node flags, message flags, extension types, cluster states and the timers of
 * docs/cluster-bus.md §1-§4 (cluster.h). Pure data plus two tiny lookups (type names, flag text).
 */

import { CLUSTER_SLOTS } from "./slot.ts";

// ---- Wire sizes (§1, §2) ----

/** The 4 signature bytes every bus message starts with. */
export const BUS_SIGNATURE = "RCmb";
/** The only protocol version 7.0 speaks; anything else is dropped silently. */
export const BUS_PROTO_VER = 1;
/** Header size = the minimum message length (totlen below it closes the link). */
export const BUS_HEADER_BYTES = 2256;
/** One gossip entry in PING/PONG/MEET. */
export const BUS_GOSSIP_ENTRY_BYTES = 104;
/** Size of the UPDATE message (header + configEpoch + name + bitmap), also Redis's sizeof(clusterMsg). */
export const BUS_UPDATE_MESSAGE_BYTES = 4352;
/** FAIL message: header + one node name. */
export const BUS_FAIL_MESSAGE_BYTES = 2296;
/** PUBLISH/PUBLISHSHARD: header + channel_len + message_len, before the two byte strings. */
export const BUS_PUBLISH_FIXED_BYTES = 2264;
/** MODULE: header + module_id(8) + len(4) + type(1), before the payload. */
export const BUS_MODULE_FIXED_BYTES = 2269;
/** Ping extension header: length u32, type u16, unused u16. */
export const BUS_EXT_HEADER_BYTES = 8;

export const NODE_NAME_BYTES = 40;
/** NET_IP_STR_LEN: 45 characters plus a NUL. */
export const NET_IP_STR_BYTES = 46;
export const SLOT_BITMAP_BYTES = CLUSTER_SLOTS / 8;

// ---- Header field offsets (§1) ----

export const OFF_SIG = 0;
export const OFF_TOTLEN = 4;
export const OFF_VER = 8;
export const OFF_PORT = 10;
export const OFF_TYPE = 12;
export const OFF_COUNT = 14;
export const OFF_CURRENT_EPOCH = 16;
export const OFF_CONFIG_EPOCH = 24;
export const OFF_OFFSET = 32;
export const OFF_SENDER = 40;
export const OFF_MYSLOTS = 80;
export const OFF_SLAVEOF = 2128;
export const OFF_MYIP = 2168;
export const OFF_EXTENSIONS = 2214;
export const OFF_NOTUSED1 = 2216;
export const OFF_PPORT = 2246;
export const OFF_CPORT = 2248;
export const OFF_FLAGS = 2250;
export const OFF_STATE = 2252;
export const OFF_MFLAGS = 2253;
export const OFF_DATA = 2256;

// ---- Message types (§2) ----

export const MSG_PING = 0;
export const MSG_PONG = 1;
export const MSG_MEET = 2;
export const MSG_FAIL = 3;
export const MSG_PUBLISH = 4;
export const MSG_FAILOVER_AUTH_REQUEST = 5;
export const MSG_FAILOVER_AUTH_ACK = 6;
export const MSG_UPDATE = 7;
export const MSG_MFSTART = 8;
export const MSG_MODULE = 9;
export const MSG_PUBLISHSHARD = 10;
/** Number of known types (CLUSTERMSG_TYPE_COUNT); codes >= this are "unknown". */
export const MSG_TYPE_COUNT = 11;

/**
 * Redis's short name of each type (clusterGetMessageTypeString): used in its log lines and in the
 * CLUSTER INFO stats keys (`cluster_stats_messages_<name>_sent`). Index = type code.
 */
export const MSG_TYPE_NAMES: readonly string[] = [
  "ping",
  "pong",
  "meet",
  "fail",
  "publish",
  "auth-req",
  "auth-ack",
  "update",
  "mfstart",
  "module",
  "publishshard",
];

/** "ping", "auth-req", ... or "unknown" for codes >= MSG_TYPE_COUNT. */
export function msgTypeName(code: number): string {
  return code >= 0 && code < MSG_TYPE_COUNT ? MSG_TYPE_NAMES[code] : "unknown";
}

// ---- Node flags (§4.1): in-memory bits, sent verbatim in header and gossip `flags` ----

export const NODE_MASTER = 1;
export const NODE_SLAVE = 2;
export const NODE_PFAIL = 4;
export const NODE_FAIL = 8;
export const NODE_MYSELF = 16;
export const NODE_HANDSHAKE = 32;
export const NODE_NOADDR = 64;
export const NODE_MEET = 128;
export const NODE_MIGRATE_TO = 256;
export const NODE_NOFAILOVER = 512;

/** Printed flag words in CLUSTER NODES / nodes.conf order (MEET and MIGRATE_TO never print). */
export const NODE_FLAG_WORDS: readonly (readonly [number, string])[] = [
  [NODE_MYSELF, "myself"],
  [NODE_MASTER, "master"],
  [NODE_SLAVE, "slave"],
  [NODE_PFAIL, "fail?"],
  [NODE_FAIL, "fail"],
  [NODE_HANDSHAKE, "handshake"],
  [NODE_NOADDR, "noaddr"],
  [NODE_NOFAILOVER, "nofailover"],
];

/** Text form of node flags: comma-joined words in Redis's order, or "noflags". */
export function nodeFlagsText(flags: number): string {
  let out = "";
  for (const [bit, word] of NODE_FLAG_WORDS) {
    if (flags & bit) out = out === "" ? word : `${out},${word}`;
  }
  return out === "" ? "noflags" : out;
}

// ---- Message flags, mflags[0] (§4.2) ----

export const MSGFLAG0_PAUSED = 1;
export const MSGFLAG0_FORCEACK = 2;
export const MSGFLAG0_EXT_DATA = 4;

// ---- Ping extension types (§3.3) ----

export const EXT_HOSTNAME = 0;
export const EXT_HUMAN_NODENAME = 1;
export const EXT_FORGOTTEN_NODE = 2;
export const EXT_SHARDID = 3;

// ---- Cluster state byte (§4.3) ----

export const CLUSTER_OK = 0;
export const CLUSTER_FAIL = 1;

// ---- Ports and timers (§4.3) ----

/** Default bus port = client port + this. */
export const CLUSTER_PORT_INCR = 10000;
/** Failure reports are valid for node_timeout × this. */
export const FAIL_REPORT_VALIDITY_MULT = 2;
/** A FAIL master with slots is cleared after node_timeout × this. */
export const FAIL_UNDO_TIME_MULT = 2;
export const MANUAL_FAILOVER_TIMEOUT_MS = 5000;
/** The master pauses writes for MANUAL_FAILOVER_TIMEOUT_MS × this. */
export const MANUAL_FAILOVER_PAUSE_MULT = 2;
export const REPLICA_MIGRATION_DELAY_MS = 5000;
/** Cluster cron period. */
export const CLUSTER_CRON_PERIOD_MS = 100;
/** Election timing floor: auth_timeout = max(2 × node_timeout, this). */
export const FAILOVER_AUTH_TIMEOUT_MIN_MS = 2000;

export const DEFAULT_NODE_TIMEOUT_MS = 15000;
