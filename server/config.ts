/**
 * Configuration directives, spelled and validated as redis-server 7.0 does: a table of
 * directives (type, default, bounds, mutability), parsing of a redis.conf file plus
 * `--directive value` arguments, and the values the server reads (`config.get("port")`).
 *
 * Pure: parsing returns values or an error naming the line; the CLI prints Redis's fatal
 * config-error block and exits.
 */

import { parseInt64, utf8 } from "../protocol/bytes.ts";
import {
  INVALID_EVENT_CLASS,
  keyspaceEventsFlagsToString,
  keyspaceEventsStringToFlags,
} from "../pubsub/notify_flags.ts";

export type ConfigValue = string | number | boolean;

export interface DirectiveBase {
  name: string;
  aliases?: string[];
  /** Can CONFIG SET change it at run time? */
  mutable: boolean;
  /** Redis 7.0 PROTECTED_CONFIG: CONFIG SET only with enable-protected-configs yes|local. */
  protected?: boolean;
  /** Redis 7.0 HIDDEN_CONFIG: CONFIG GET shows it by its exact name only, never for a pattern. */
  hidden?: boolean;
  /** Redis 7.0 SENSITIVE_CONFIG: CONFIG SET shows its value as "(redacted)" in SLOWLOG. */
  sensitive?: boolean;
}

export type Directive =
  & DirectiveBase
  & (
    | {
      type: "bool";
      default: boolean;
      /** Reject a value (config.c's isValid function): the error text, or null. */
      check?: (value: boolean) => string | null;
    }
    | {
      type: "int";
      default: number;
      min: number;
      max: number;
      /** Taken in [min, max], then held within these (config.c updateHZ: hz 1-500). */
      clampTo?: [number, number];
    }
    | {
      type: "memory";
      default: number;
      min: number;
      max: number;
      /** PERCENT_CONFIG: "N%" (0-100) is taken too, held as -N (config.c numericParseString). */
      percent?: true;
    }
    | {
      type: "string";
      default: string;
      /** Reject a value: the error text, or null when it is valid. */
      check?: (value: string) => string | null;
      /**
       * config.c EMPTY_STRING_IS_NULL: held as NULL when empty, so CONFIG REWRITE
       * (rewriteConfigStringOption / rewriteConfigSdsOption) writes no line for it then and
       * drops the file's. Without it an empty value is written `name ""` (logfile, aclfile).
       */
      emptyIsNull?: true;
    }
    | { type: "enum"; default: string; values: string[] }
    | {
      type: "special";
      default: string;
      /** Normalise a value (error text when invalid), given the directive's current value. */
      parse: (args: string[], current: string) => string | { error: string };
    }
  );

const MAX_INT = 2147483647;
const MAX_LL = Number.MAX_SAFE_INTEGER;

/**
 * setConfigLatencyTrackingInfoPercentilesOutputOption: space-separated doubles in [0, 100],
 * shown as "%f" without trailing zeros ("" is none).
 */
function parseLatencyPercentiles(args: string[]): string | { error: string } {
  const joined = args.join(" ");
  if (joined === "") return "";
  const out: string[] = [];
  for (const p of joined.split(" ")) {
    // string2d (strtod): "inf" and "infinity" in any case, with a sign, are numbers too.
    const v = /^\s/.test(p) || p === ""
      ? NaN
      : /^[+-]?inf(inity)?$/i.test(p)
      ? (p.startsWith("-") ? -Infinity : Infinity)
      : Number(p);
    if (Number.isNaN(v)) return { error: "Invalid latency-tracking-info-percentiles parameters" };
    if (v > 100 || v < 0) {
      return {
        error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
      };
    }
    const f = (Object.is(v, -0) ? "-" : "") + v.toFixed(6); // "%f" keeps -0's sign
    out.push(f.replace(/0+$/, "").replace(/\.$/, ""));
  }
  return out.join(" ");
}

function parseSave(args: string[]): string | { error: string } {
  const joined = args.join(" ").trim();
  if (joined === "") return "";
  const parts = joined.split(/\s+/);
  if (parts.length % 2 !== 0) return { error: "Invalid save parameters" };
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: "Invalid save parameters" };
  }
  return parts.join(" ");
}

/**
 * `client-output-buffer-limit <class> <hard> <soft> <seconds> ...`: the classes named are set, the
 * others keep their current limits (Redis's setConfigClientOutputBufferLimitOption).
 */
function parseClientOutputBufferLimit(
  args: string[],
  current: string,
): string | { error: string } {
  // CONFIG SET with an empty value: no class named, every class keeps its limits.
  if (args.length === 0) return current;
  // One argument: a command-line or file value, split as sdssplitargs would.
  const parts = args.length === 1 ? args[0].trim().split(/\s+/) : args;
  if (parts.length % 4 !== 0) {
    return { error: "Wrong number of arguments in buffer limit configuration." };
  }
  const classes: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 4) {
    let cls = parts[i].toLowerCase();
    if (cls === "slave") cls = "replica";
    if (!["normal", "replica", "pubsub"].includes(cls)) {
      return { error: "Invalid client class specified in buffer limit configuration." };
    }
    const hard = parseMemory(parts[i + 1]);
    const soft = parseMemory(parts[i + 2]);
    const secs = Number(parts[i + 3]);
    if (hard === null || soft === null || !/^\d+$/.test(parts[i + 3]) || secs < 0) {
      return {
        error: "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      };
    }
    classes[cls] = `${cls} ${hard} ${soft} ${secs}`;
  }
  const was: Record<string, string> = {};
  const cur = current.trim().split(/\s+/);
  for (let i = 0; i + 3 < cur.length; i += 4) {
    const cls = cur[i] === "slave" ? "replica" : cur[i];
    was[cls] = `${cls} ${cur[i + 1]} ${cur[i + 2]} ${cur[i + 3]}`;
  }
  return ["normal", "replica", "pubsub"].map((c) => classes[c] ?? was[c]).join(" ");
}

/** isValidActiveDefrag's refusal in a Redis built without its Jemalloc. */
const ACTIVE_DEFRAG_REFUSED =
  "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution";

/**
 * util.c memtoull: digits then an optional unit ("1gb", "512mb", "100k", "7"), nothing else (no
 * sign, no space); no digits reads as 0 ("" and "k" are 0, as strtoull of nothing).
 */
export function parseMemory(s: string): number | null {
  const m = /^(\d*)(k|kb|m|mb|g|gb|b)?$/i.exec(s);
  if (!m) return null;
  const n = m[1] === "" ? 0 : Number(m[1]);
  const unit = (m[2] ?? "b").toLowerCase();
  const mul: Record<string, number> = {
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 * 1000,
    mb: 1024 * 1024,
    g: 1000 * 1000 * 1000,
    gb: 1024 * 1024 * 1024,
  };
  return n * mul[unit];
}

/** TLS's string parameters (config.c, under USE_OPENSSL), all EMPTY_STRING_IS_NULL. */
const TLS_STRING_DIRECTIVES = [
  "tls-cert-file",
  "tls-key-file",
  "tls-key-file-pass",
  "tls-client-cert-file",
  "tls-client-key-file",
  "tls-client-key-file-pass",
  "tls-dh-params-file",
  "tls-ca-cert-file",
  "tls-ca-cert-dir",
  "tls-protocols",
  "tls-ciphers",
  "tls-ciphersuites",
];

export const DIRECTIVES: Directive[] = [
  { name: "port", type: "int", default: 6379, min: 0, max: 65535, mutable: true },
  { name: "bind", type: "string", default: "* -::*", mutable: true },
  { name: "dir", type: "string", default: ".", mutable: true, protected: true },
  { name: "cluster-enabled", type: "bool", default: false, mutable: false },
  { name: "cluster-config-file", type: "string", default: "nodes.conf", mutable: false },
  {
    name: "cluster-node-timeout",
    type: "int",
    default: 15000,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "cluster-port", type: "int", default: 0, min: 0, max: 65535, mutable: false },
  { name: "cluster-announce-ip", type: "string", default: "", mutable: true, emptyIsNull: true },
  { name: "cluster-announce-port", type: "int", default: 0, min: 0, max: 65535, mutable: true },
  {
    name: "cluster-announce-bus-port",
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    mutable: true,
  },
  {
    name: "cluster-announce-hostname",
    type: "string",
    default: "",
    mutable: true,
    emptyIsNull: true,
  },
  // Beyond Redis: the authenticated cluster bus (cluster/bus_auth.ts, README "Threat model: the
  // cluster bus secret"). "" = off, Redis's wire format byte for byte. Hidden (CONFIG GET by exact
  // name only) so `CONFIG GET *` stays Redis's list and does not carry the secrets around.
  {
    name: "cluster-bus-secret",
    type: "string",
    default: "",
    mutable: true,
    hidden: true,
    sensitive: true,
    // Ours (the bus secret, not Redis's): no secret, no line.
    emptyIsNull: true,
  },
  {
    name: "cluster-bus-secret-previous",
    type: "string",
    default: "",
    mutable: true,
    hidden: true,
    sensitive: true,
    // Ours (the bus secret, not Redis's): no secret, no line.
    emptyIsNull: true,
  },
  { name: "cluster-bus-secret-required", type: "bool", default: true, mutable: true, hidden: true },
  {
    name: "cluster-replica-validity-factor",
    aliases: ["cluster-slave-validity-factor"],
    type: "int",
    default: 10,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "cluster-migration-barrier",
    type: "int",
    default: 1,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  { name: "cluster-allow-replica-migration", type: "bool", default: true, mutable: true },
  { name: "cluster-require-full-coverage", type: "bool", default: true, mutable: true },
  {
    name: "cluster-replica-no-failover",
    aliases: ["cluster-slave-no-failover"],
    type: "bool",
    default: false,
    mutable: true,
  },
  { name: "cluster-allow-reads-when-down", type: "bool", default: false, mutable: true },
  { name: "cluster-allow-pubsubshard-when-down", type: "bool", default: true, mutable: true },
  {
    name: "cluster-link-sendbuf-limit",
    type: "memory",
    default: 0,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "cluster-preferred-endpoint-type",
    type: "enum",
    default: "ip",
    values: ["ip", "hostname", "unknown-endpoint"],
    mutable: true,
  },
  { name: "appendonly", type: "bool", default: false, mutable: true },
  {
    name: "appendfsync",
    type: "enum",
    default: "everysec",
    values: ["everysec", "always", "no"],
    mutable: true,
  },
  { name: "appendfilename", type: "string", default: "appendonly.aof", mutable: false },
  { name: "appenddirname", type: "string", default: "appendonlydir", mutable: false },
  {
    name: "save",
    type: "special",
    default: "3600 1 300 100 60 10000",
    parse: parseSave,
    mutable: true,
  },
  { name: "dbfilename", type: "string", default: "dump.rdb", mutable: true, protected: true },
  ...["requirepass", "masterauth", "masteruser"].map((name): Directive => ({
    name,
    type: "string",
    default: "",
    mutable: true,
    sensitive: true,
    emptyIsNull: true,
  })),
  {
    name: "loglevel",
    type: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"],
    mutable: true,
  },
  { name: "logfile", type: "string", default: "", mutable: false },
  { name: "pidfile", type: "string", default: "", mutable: false, emptyIsNull: true },
  { name: "daemonize", type: "bool", default: false, mutable: false },
  { name: "protected-mode", type: "bool", default: true, mutable: true },
  { name: "databases", type: "int", default: 16, min: 1, max: MAX_INT, mutable: false },
  { name: "maxclients", type: "int", default: 10000, min: 1, max: 4294967295, mutable: true },
  { name: "timeout", type: "int", default: 0, min: 0, max: MAX_INT, mutable: true },
  { name: "tcp-keepalive", type: "int", default: 300, min: 0, max: MAX_INT, mutable: true },
  { name: "tcp-backlog", type: "int", default: 511, min: 0, max: MAX_INT, mutable: false },
  {
    name: "proto-max-bulk-len",
    type: "memory",
    default: 512 * 1024 * 1024,
    min: 1024 * 1024,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "client-query-buffer-limit",
    type: "memory",
    default: 1024 * 1024 * 1024,
    min: 1024 * 1024,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "client-output-buffer-limit",
    type: "special",
    default: "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60",
    parse: parseClientOutputBufferLimit,
    mutable: true,
  },
  { name: "maxmemory", type: "memory", default: 0, min: 0, max: MAX_LL, mutable: true },
  {
    name: "maxmemory-policy",
    type: "enum",
    default: "noeviction",
    values: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ],
    mutable: true,
  },
  // updateHZ: any int is taken, and held within CONFIG_MIN_HZ-CONFIG_MAX_HZ.
  { name: "hz", type: "int", default: 10, min: 0, max: MAX_INT, clampTo: [1, 500], mutable: true },
  {
    name: "repl-backlog-size",
    type: "memory",
    default: 1024 * 1024,
    min: 1,
    max: MAX_LL,
    mutable: true,
  },
  { name: "repl-timeout", type: "int", default: 60, min: 1, max: MAX_INT, mutable: true },
  {
    name: "repl-ping-replica-period",
    aliases: ["repl-ping-slave-period"],
    type: "int",
    default: 10,
    min: 1,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "replica-read-only",
    aliases: ["slave-read-only"],
    type: "bool",
    default: true,
    mutable: true,
  },
  { name: "replicaof", aliases: ["slaveof"], type: "string", default: "", mutable: false },
  {
    name: "replica-announce-ip",
    aliases: ["slave-announce-ip"],
    type: "string",
    default: "",
    mutable: true,
    emptyIsNull: true,
  },
  {
    name: "replica-priority",
    aliases: ["slave-priority"],
    type: "int",
    default: 100,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "min-replicas-to-write",
    aliases: ["min-slaves-to-write"],
    type: "int",
    default: 0,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "slowlog-log-slower-than",
    type: "int",
    default: 10000,
    min: -1,
    max: MAX_LL,
    mutable: true,
  },
  { name: "slowlog-max-len", type: "int", default: 128, min: 0, max: MAX_LL, mutable: true },
  { name: "lazyfree-lazy-user-del", type: "bool", default: false, mutable: true },
  { name: "stop-writes-on-bgsave-error", type: "bool", default: true, mutable: true },
  // Test aids Redis's own suite uses (DEBUG_CONFIG|HIDDEN_CONFIG): microseconds of delay per key
  // written by a save / read by a load, so a save or a load lasts long enough to be observed.
  {
    name: "rdb-key-save-delay",
    type: "int",
    default: 0,
    min: -MAX_INT - 1,
    max: MAX_INT,
    mutable: true,
    hidden: true,
  },
  {
    name: "key-load-delay",
    type: "int",
    default: 0,
    min: -MAX_INT - 1,
    max: MAX_INT,
    mutable: true,
    hidden: true,
  },
  { name: "rdbcompression", type: "bool", default: true, mutable: true },
  { name: "rdbchecksum", type: "bool", default: true, mutable: false },
  { name: "activerehashing", type: "bool", default: true, mutable: true },
  { name: "always-show-logo", type: "bool", default: false, mutable: false },
  {
    name: "supervised",
    type: "enum",
    default: "no",
    values: ["upstart", "systemd", "auto", "no"],
    mutable: false,
  },
  { name: "io-threads", type: "int", default: 1, min: 1, max: 128, mutable: false },
  {
    name: "enable-debug-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  {
    name: "list-max-listpack-size",
    aliases: ["list-max-ziplist-size"],
    type: "int",
    default: -2,
    min: -MAX_INT - 1,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "hash-max-listpack-entries",
    aliases: ["hash-max-ziplist-entries"],
    type: "int",
    // What the installed redis-server 7.0.15 reports (CONFIG GET), not the upstream 128.
    default: 512,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "hash-max-listpack-value",
    aliases: ["hash-max-ziplist-value"],
    type: "memory",
    default: 64,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "set-max-intset-entries", type: "int", default: 512, min: 0, max: MAX_LL, mutable: true },
  {
    name: "zset-max-listpack-entries",
    aliases: ["zset-max-ziplist-entries"],
    type: "int",
    default: 128,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "zset-max-listpack-value",
    aliases: ["zset-max-ziplist-value"],
    type: "memory",
    default: 64,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  // Accepted and stored so a stock Redis 7.0 redis.conf loads; they have no effect here.
  { name: "set-proc-title", type: "bool", default: true, mutable: false },
  {
    name: "proc-title-template",
    type: "string",
    default: "{title} {listen-addr} {server-mode}",
    mutable: true,
  },
  { name: "rdb-del-sync-files", type: "bool", default: false, mutable: true },
  {
    name: "replica-serve-stale-data",
    aliases: ["slave-serve-stale-data"],
    type: "bool",
    default: true,
    mutable: true,
  },
  { name: "repl-diskless-sync", type: "bool", default: true, mutable: true },
  {
    name: "repl-diskless-sync-delay",
    type: "int",
    default: 5,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "repl-diskless-sync-max-replicas",
    type: "int",
    default: 0,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "repl-diskless-load",
    type: "enum",
    default: "disabled",
    values: ["disabled", "on-empty-db", "swapdb"],
    mutable: true,
  },
  { name: "repl-disable-tcp-nodelay", type: "bool", default: false, mutable: true },
  { name: "repl-backlog-ttl", type: "int", default: 3600, min: 0, max: MAX_LL, mutable: true },
  {
    name: "min-replicas-max-lag",
    aliases: ["min-slaves-max-lag"],
    type: "int",
    default: 10,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "replica-announce-port",
    aliases: ["slave-announce-port"],
    type: "int",
    default: 0,
    min: 0,
    max: 65535,
    mutable: true,
  },
  {
    name: "replica-ignore-maxmemory",
    aliases: ["slave-ignore-maxmemory"],
    type: "bool",
    default: true,
    mutable: true,
  },
  {
    name: "replica-lazy-flush",
    aliases: ["slave-lazy-flush"],
    type: "bool",
    default: false,
    mutable: true,
  },
  { name: "acllog-max-len", type: "int", default: 128, min: 0, max: MAX_LL, mutable: true },
  { name: "aclfile", type: "string", default: "", mutable: false },
  {
    name: "acl-pubsub-default",
    type: "enum",
    default: "resetchannels",
    values: ["allchannels", "resetchannels"],
    mutable: true,
  },
  { name: "lazyfree-lazy-eviction", type: "bool", default: false, mutable: true },
  { name: "lazyfree-lazy-expire", type: "bool", default: false, mutable: true },
  { name: "lazyfree-lazy-server-del", type: "bool", default: false, mutable: true },
  { name: "lazyfree-lazy-user-flush", type: "bool", default: false, mutable: true },
  {
    name: "oom-score-adj",
    type: "enum",
    default: "no",
    values: ["no", "yes", "relative", "absolute"],
    mutable: true,
  },
  {
    name: "oom-score-adj-values",
    type: "special",
    default: "0 200 800",
    parse: (args) => {
      const parts = args.join(" ").trim().split(/\s+/);
      if (parts.length !== 3) return { error: "wrong number of arguments" };
      if (parts.some((p) => !/^-?\d+$/.test(p) || Math.abs(Number(p)) > 2000)) {
        return { error: "Invalid oom-score-adj-values" };
      }
      return parts.join(" ");
    },
    mutable: true,
  },
  { name: "disable-thp", type: "bool", default: true, mutable: false },
  { name: "no-appendfsync-on-rewrite", type: "bool", default: false, mutable: true },
  {
    name: "auto-aof-rewrite-percentage",
    type: "int",
    default: 100,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "auto-aof-rewrite-min-size",
    type: "memory",
    default: 64 * 1024 * 1024,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "aof-load-truncated", type: "bool", default: true, mutable: true },
  { name: "aof-use-rdb-preamble", type: "bool", default: true, mutable: true },
  { name: "aof-timestamp-enabled", type: "bool", default: false, mutable: true },
  { name: "aof-rewrite-incremental-fsync", type: "bool", default: true, mutable: true },
  { name: "rdb-save-incremental-fsync", type: "bool", default: true, mutable: true },
  {
    name: "latency-monitor-threshold",
    type: "int",
    default: 0,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "latency-tracking", type: "bool", default: true, mutable: true },
  {
    name: "latency-tracking-info-percentiles",
    type: "special",
    default: "50 99 99.9",
    parse: parseLatencyPercentiles,
    mutable: true,
  },
  {
    name: "notify-keyspace-events",
    type: "string",
    default: "",
    // config.c setConfigNotifyKeyspaceEventsOption
    check: (v) => keyspaceEventsStringToFlags(v) === -1 ? INVALID_EVENT_CLASS : null,
    mutable: true,
  },
  { name: "list-compress-depth", type: "int", default: 0, min: 0, max: MAX_INT, mutable: true },
  {
    name: "hll-sparse-max-bytes",
    type: "memory",
    default: 3000,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "stream-node-max-bytes",
    type: "memory",
    default: 4096,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "stream-node-max-entries",
    type: "int",
    default: 100,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "dynamic-hz", type: "bool", default: true, mutable: true },
  { name: "jemalloc-bg-thread", type: "bool", default: true, mutable: true },
  {
    name: "activedefrag",
    type: "bool",
    default: false,
    // isValidActiveDefrag, as a Redis built without its Jemalloc (Debian's 7.0.15) answers: no
    // allocator here to defragment, so "yes" is refused rather than taken and ignored.
    check: (on) => on ? ACTIVE_DEFRAG_REFUSED : null,
    mutable: true,
  },
  { name: "maxmemory-samples", type: "int", default: 5, min: 1, max: MAX_INT, mutable: true },
  {
    name: "maxmemory-eviction-tenacity",
    type: "int",
    default: 10,
    min: 0,
    max: 100,
    mutable: true,
  },
  {
    name: "maxmemory-clients",
    type: "memory",
    default: 0,
    min: 0,
    max: MAX_LL,
    percent: true,
    mutable: true,
  },
  { name: "active-expire-effort", type: "int", default: 1, min: 1, max: 10, mutable: true },
  { name: "lfu-log-factor", type: "int", default: 10, min: 0, max: MAX_INT, mutable: true },
  { name: "lfu-decay-time", type: "int", default: 1, min: 0, max: MAX_INT, mutable: true },
  {
    name: "busy-reply-threshold",
    aliases: ["lua-time-limit"],
    type: "int",
    default: 5000,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  {
    name: "tracking-table-max-keys",
    type: "int",
    default: 1000000,
    min: 0,
    max: MAX_LL,
    mutable: true,
  },
  { name: "unixsocket", type: "string", default: "", mutable: false, emptyIsNull: true },
  { name: "unixsocketperm", type: "int", default: 0, min: 0, max: 777, mutable: false },
  { name: "syslog-enabled", type: "bool", default: false, mutable: false },
  { name: "syslog-ident", type: "string", default: "redis", mutable: false },
  { name: "crash-log-enabled", type: "bool", default: true, mutable: true },
  { name: "crash-memcheck-enabled", type: "bool", default: true, mutable: true },
  { name: "shutdown-timeout", type: "int", default: 10, min: 0, max: MAX_INT, mutable: true },
  { name: "io-threads-do-reads", type: "bool", default: false, mutable: false },
  { name: "tls-port", type: "int", default: 0, min: 0, max: 65535, mutable: true },
  // TLS (tls.c; applied by server/tls.ts, see server/tls_settings.ts for what cannot act here).
  ...TLS_STRING_DIRECTIVES.map((name): Directive => ({
    name,
    type: "string",
    default: "",
    mutable: true,
    sensitive: name.endsWith("-pass"),
    emptyIsNull: true,
  })),
  { name: "tls-cluster", type: "bool", default: false, mutable: true },
  { name: "tls-replication", type: "bool", default: false, mutable: true },
  {
    name: "tls-auth-clients",
    type: "enum",
    default: "yes",
    values: ["no", "yes", "optional"],
    mutable: true,
  },
  { name: "tls-prefer-server-ciphers", type: "bool", default: false, mutable: true },
  { name: "tls-session-caching", type: "bool", default: true, mutable: true },
  {
    name: "tls-session-cache-size",
    type: "int",
    default: 20480,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  {
    name: "tls-session-cache-timeout",
    type: "int",
    default: 300,
    min: 0,
    max: MAX_INT,
    mutable: true,
  },
  { name: "cluster-announce-tls-port", type: "int", default: 0, min: 0, max: 65535, mutable: true },
  {
    name: "enable-protected-configs",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  {
    name: "enable-module-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  {
    name: "sanitize-dump-payload",
    type: "enum",
    default: "no",
    values: ["no", "yes", "clients"],
    mutable: true,
  },
  // The rest of Redis 7.0.15's parameters (types and bounds as its CONFIG SET reports them);
  // the ones without an effect here are in NO_EFFECT below.
  ...([
    ["active-defrag-cycle-min", 1, 1, 99],
    ["active-defrag-cycle-max", 25, 1, 99],
    ["active-defrag-threshold-lower", 10, 0, 1000],
    ["active-defrag-threshold-upper", 100, 0, 1000],
    ["active-defrag-max-scan-fields", 1000, 1, MAX_LL],
  ] as const).map(([name, def, min, max]): Directive => ({
    name,
    type: "int",
    default: def,
    min,
    max,
    mutable: true,
  })),
  {
    name: "active-defrag-ignore-bytes",
    type: "memory",
    default: 100 * 1024 * 1024,
    min: 1,
    max: MAX_LL,
    mutable: true,
  },
  { name: "aof-disable-auto-gc", type: "bool", default: false, mutable: true },
  ...["server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist"].map((
    name,
  ): Directive => ({ name, type: "string", default: "", mutable: false, emptyIsNull: true })),
  { name: "bind-source-addr", type: "string", default: "", mutable: true, emptyIsNull: true },
  { name: "ignore-warnings", type: "string", default: "", mutable: true },
  {
    name: "propagation-error-behavior",
    type: "enum",
    default: "ignore",
    values: ["ignore", "panic", "panic-on-replicas"],
    mutable: true,
  },
  { name: "replica-announced", type: "bool", default: true, mutable: true },
  { name: "replica-ignore-disk-write-errors", type: "bool", default: false, mutable: true },
  ...["shutdown-on-sigint", "shutdown-on-sigterm"].map((name): Directive => ({
    name,
    type: "enum",
    default: "default",
    values: ["default", "save", "nosave", "now", "force"],
    mutable: true,
  })),
  { name: "socket-mark-id", type: "int", default: 0, min: 0, max: 4294967295, mutable: false },
  {
    name: "syslog-facility",
    type: "enum",
    default: "local0",
    values: [
      "user",
      "local0",
      "local1",
      "local2",
      "local3",
      "local4",
      "local5",
      "local6",
      "local7",
    ],
    mutable: false,
  },
  // HIDDEN_CONFIG ones (CONFIG GET by exact name only).
  {
    name: "lua-enable-deprecated-api",
    type: "bool",
    default: false,
    mutable: false,
    hidden: true,
  },
  { name: "use-exit-on-panic", type: "bool", default: false, mutable: true, hidden: true },
  {
    name: "watchdog-period",
    type: "int",
    default: 0,
    min: 0,
    max: MAX_INT,
    mutable: true,
    hidden: true,
  },
  {
    name: "loading-process-events-interval-bytes",
    type: "int",
    default: 2 * 1024 * 1024,
    min: 1024,
    max: MAX_INT,
    mutable: true,
    hidden: true,
  },
];

/**
 * The one table of parameters that are known (CONFIG GET/SET, redis.conf) but have no effect on
 * this node, with why. server/server.ts logs each once at start, and CONFIG SET logs it, when it
 * is set to something other than its default.
 */
export const NO_EFFECT: ReadonlyMap<string, string> = new Map([
  ["activerehashing", "JavaScript Maps rehash on their own"],
  ["active-defrag-cycle-min", "no active defragmentation"],
  ["active-defrag-cycle-max", "no active defragmentation"],
  ["active-defrag-threshold-lower", "no active defragmentation"],
  ["active-defrag-threshold-upper", "no active defragmentation"],
  ["active-defrag-max-scan-fields", "no active defragmentation"],
  ["active-defrag-ignore-bytes", "no active defragmentation"],
  ["jemalloc-bg-thread", "no jemalloc"],
  ["dynamic-hz", "hz is fixed"],
  ["active-expire-effort", "the active expiry cycle has one effort level"],
  ["io-threads", "one thread serves all clients"],
  ["io-threads-do-reads", "one thread serves all clients"],
  ["server_cpulist", "no CPU affinity"],
  ["bio_cpulist", "no CPU affinity"],
  ["aof_rewrite_cpulist", "no CPU affinity"],
  ["bgsave_cpulist", "no CPU affinity"],
  ["socket-mark-id", "no SO_MARK on Deno sockets"],
  ["bind-source-addr", "outgoing connections use the system's source address"],
  ["tcp-backlog", "Deno's listen backlog is fixed"],
  ["tcp-keepalive", "no TCP keepalive interval on Deno sockets"],
  ["unixsocket", "no unix socket listener"],
  ["unixsocketperm", "no unix socket listener"],
  ["set-proc-title", "the process title is Deno's"],
  ["proc-title-template", "the process title is Deno's"],
  ["always-show-logo", "no ASCII logo"],
  ["supervised", "no upstart/systemd notification"],
  ["syslog-enabled", "logs go to logfile or stdout only"],
  ["syslog-ident", "logs go to logfile or stdout only"],
  ["syslog-facility", "logs go to logfile or stdout only"],
  ["crash-log-enabled", "no crash log (no C stack to print)"],
  ["crash-memcheck-enabled", "no crash log (no C stack to print)"],
  ["disable-thp", "no transparent huge pages control"],
  ["oom-score-adj", "the OOM score is not adjusted"],
  ["oom-score-adj-values", "the OOM score is not adjusted"],
  ["lazyfree-lazy-expire", "values are freed by the garbage collector"],
  ["lazyfree-lazy-server-del", "values are freed by the garbage collector"],
  ["lazyfree-lazy-user-del", "values are freed by the garbage collector"],
  ["lazyfree-lazy-user-flush", "values are freed by the garbage collector"],
  ["replica-lazy-flush", "values are freed by the garbage collector"],
  ["list-compress-depth", "list nodes are never compressed (DEBUG OBJECT shows ql_compressed)"],
  ["repl-diskless-sync", "the snapshot for a replica is always written from memory"],
  ["repl-diskless-sync-delay", "the snapshot for a replica is sent at once"],
  ["repl-diskless-sync-max-replicas", "the snapshot for a replica is sent at once"],
  ["repl-diskless-load", "a replica loads the snapshot from memory"],
  ["repl-disable-tcp-nodelay", "replication links keep TCP_NODELAY"],
  ["repl-backlog-ttl", "the backlog is kept"],
  ["replica-serve-stale-data", "a replica always serves its data"],
  ["replica-announced", "replicas are always announced"],
  ["replica-ignore-disk-write-errors", "no write error state on replicas"],
  ["propagation-error-behavior", "propagated errors are ignored"],
  ["aof-disable-auto-gc", "AOF history files are deleted at once"],
  ["maxmemory-clients", "client memory is not evicted"],
  ["sanitize-dump-payload", "payloads are always fully checked"],
  ["ignore-warnings", "no kernel warnings are checked"],
  ["shutdown-timeout", "SHUTDOWN does not wait for replicas"],
  ["shutdown-on-sigint", "a signal shuts down as SHUTDOWN does by default"],
  ["shutdown-on-sigterm", "a signal shuts down as SHUTDOWN does by default"],
  ["lua-enable-deprecated-api", "the Lua API is fixed"],
  ["use-exit-on-panic", "DEBUG PANIC always exits"],
  ["watchdog-period", "no software watchdog"],
  ["loading-process-events-interval-bytes", "a load yields to clients every 5 ms instead"],
]);

/** The no-effect parameters set to something other than their default: `name value (why)`. */
export function noEffectSettings(config: Config, names?: readonly string[]): string[] {
  const out: string[] = [];
  for (const [d, v] of config.entries()) {
    const why = NO_EFFECT.get(d.name);
    if (why === undefined || v === d.default) continue;
    if (names !== undefined && !names.includes(d.name)) continue;
    out.push(`${d.name} ${formatConfigValue(d, v)} (${why})`);
  }
  if (names === undefined) {
    for (const line of config.ignoredLines) {
      out.push(`${line} (${NO_EFFECT_LINES.get(line.split(/\s+/)[0].toLowerCase())})`);
    }
  }
  return out;
}

/** Config file lines that are not directives of the table and have no effect here. */
export const NO_EFFECT_LINES: ReadonlyMap<string, string> = new Map([
  ["rename-command", "commands keep their names"],
  ["loadmodule", "no modules are loaded"],
]);

const BY_NAME = new Map<string, Directive>();
for (const d of DIRECTIVES) {
  BY_NAME.set(d.name, d);
  for (const a of d.aliases ?? []) BY_NAME.set(a, d);
}

export function findDirective(name: string): Directive | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** A bound as Redis prints it (LLONG_MAX for our "safe integer" maximum). */
function bound(n: number): string {
  return n === MAX_LL ? "9223372036854775807" : String(n);
}

/** Validate and convert the arguments of one directive. Returns the value or an error text. */
export function parseDirectiveValue(
  d: Directive,
  args: string[],
  current?: ConfigValue,
): { value: ConfigValue } | { error: string } {
  if (d.type === "special") {
    const r = d.parse(args, current === undefined ? d.default : String(current));
    return typeof r === "string" ? { value: r } : r;
  }
  if (args.length !== 1) return { error: "wrong number of arguments" };
  const a = args[0];
  switch (d.type) {
    case "bool": {
      const l = a.toLowerCase();
      if (l !== "yes" && l !== "no") return { error: "argument must be 'yes' or 'no'" };
      const on = l === "yes";
      const error = d.check?.(on) ?? null;
      return error === null ? { value: on } : { error };
    }
    case "int": {
      // string2ll: digits that fit in a long long, no "+", no leading zero, no "-0".
      const n = parseInt64(utf8(a));
      if (n === null) return { error: "argument couldn't be parsed into an integer" };
      if (n < d.min || n > d.max) {
        return { error: `argument must be between ${d.min} and ${bound(d.max)} inclusive` };
      }
      if (d.clampTo !== undefined) {
        return { value: Math.min(Math.max(n, d.clampTo[0]), d.clampTo[1]) };
      }
      return { value: n };
    }
    case "memory": {
      // config.c numericParseString: "N%" for a percent config (string2ll, N >= 0) ...
      const pct = d.percent && a.endsWith("%") ? parseInt64(utf8(a.slice(0, -1))) : null;
      if (pct !== null && pct >= 0) {
        // numericBoundaryCheck: lower bound -100.
        if (pct > 100) return { error: "percentage argument must be less or equal to 100" };
        return { value: pct === 0 ? 0 : -pct };
      }
      // ... else memtoull.
      const n = parseMemory(a);
      if (n === null) {
        return {
          error: d.percent
            ? "argument must be a memory or percent value"
            : "argument must be a memory value",
        };
      }
      if (n < d.min || n > d.max) {
        return { error: `argument must be between ${d.min} and ${bound(d.max)} inclusive` };
      }
      return { value: n };
    }
    case "enum": {
      const l = a.toLowerCase();
      if (!d.values.includes(l)) {
        return { error: `argument(s) must be one of the following: ${d.values.join(", ")}` };
      }
      return { value: l };
    }
    case "string": {
      const error = d.check?.(a) ?? null;
      return error === null ? { value: a } : { error };
    }
  }
}

/** The text CONFIG GET / REWRITE shows for a value. */
export function formatConfigValue(d: Directive, v: ConfigValue): string {
  if (d.type === "bool") return v ? "yes" : "no";
  // Redis 7.0 still prints the "slave" class name here.
  if (d.name === "client-output-buffer-limit") return String(v).replace("replica", "slave");
  // config.c getConfigNotifyKeyspaceEventsOption: the canonical classes, not the text set.
  if (d.name === "notify-keyspace-events") {
    return keyspaceEventsFlagsToString(keyspaceEventsStringToFlags(String(v)));
  }
  // A percent config holds -N for "N%" (config.c numericConfigGet).
  if (d.type === "memory" && d.percent && Number(v) < 0) return `${-Number(v)}%`;
  return String(v);
}

/** sdscatrepr: a double-quoted, escaped rendering of an argument. */
export function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === "\\" || c === '"') out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\x07") out += "\\a";
    else if (c === "\b") out += "\\b";
    else if (code < 32 || code > 126) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += c;
  }
  return out + '"';
}

/** config.c rewriteConfigFormatMemory: whole gb, mb or kb when the value is a multiple. */
export function formatMemoryForRewrite(bytes: number): string {
  for (const [unit, size] of [["gb", 2 ** 30], ["mb", 2 ** 20], ["kb", 1024]] as const) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** The `name args...` line(s) CONFIG REWRITE writes for a directive's current value ("": none). */
export function rewriteLine(d: Directive, v: ConfigValue): string {
  // rewriteConfigStringOption / rewriteConfigSdsOption: NULL, no line (and the file's dropped).
  if (d.type === "string" && d.emptyIsNull && v === "") return "";
  if (d.type === "bool") return `${d.name} ${v ? "yes" : "no"}`;
  if (d.name === "save") {
    const t = String(v);
    if (t === "") return `save ""`;
    const parts = t.split(" ");
    const lines: string[] = [];
    for (let i = 0; i < parts.length; i += 2) lines.push(`save ${parts[i]} ${parts[i + 1]}`);
    return lines.join("\n");
  }
  if (d.name === "bind") {
    const parts = String(v).split(/\s+/).filter((x) => x !== "");
    return parts.length ? `bind ${parts.join(" ")}` : `bind ""`;
  }
  if (d.name === "client-output-buffer-limit") {
    const p = String(v).split(" ");
    const lines: string[] = [];
    for (let i = 0; i < p.length; i += 4) {
      lines.push(`client-output-buffer-limit ${p[i]} ${p[i + 1]} ${p[i + 2]} ${p[i + 3]}`);
    }
    return lines.join("\n");
  }
  if (d.name === "notify-keyspace-events") {
    // config.c rewriteConfigNotifyKeyspaceEventsOption: canonical classes, always quoted.
    return `${d.name} ${reprArg(formatConfigValue(d, v))}`;
  }
  // rewriteConfigReplicaOfOption: "replicaof <host> <port>", unquoted; no line without a master.
  if (d.name === "replicaof") return v === "" ? "" : `${d.name} ${String(v)}`;
  // rewriteConfigStringOption / rewriteConfigSdsOption: sdscatrepr, always quoted.
  if (d.type === "string") return `${d.name} ${reprArg(String(v))}`;
  if (d.type === "memory") {
    // numericConfigRewrite: rewriteConfigPercentOption ("N%") or rewriteConfigBytesOption.
    const n = Number(v);
    return `${d.name} ${d.percent && n < 0 ? `${-n}%` : formatMemoryForRewrite(n)}`;
  }
  return `${d.name} ${String(v)}`;
}

/** config.c rewriteConfigReadOldFile: each line is sdstrim'd of "\r\n\t ". */
function trimConfigLine(line: string): string {
  return line.replace(/^[\r\n\t ]+|[\r\n\t ]+$/g, "");
}

/** Lines rewriteConfigReadOldFile keeps as lines though lookupConfig does not know them. */
const FILE_ONLY_DIRECTIVES = new Set([
  "include",
  "rename-command",
  "user",
  "loadmodule",
  "sentinel",
]);

/**
 * CONFIG REWRITE over the old file text (pure), as config.c rewriteConfig: the file's lines are
 * trimmed; a line naming a known directive takes that directive's current value (its first
 * line(s)), and the directive's other lines become empty (rewriteConfigRemoveOrphaned), as do
 * the lines of a directive that has no value to write (an emptied EMPTY_STRING_IS_NULL string,
 * replicaof without a master, loadmodule); unparsable or unknown lines become `# ??? <line>`
 * comments; comments, blank lines, include/rename-command/sentinel lines are kept. Directives
 * that differ from their default and have no line left are appended, after Redis's "# Generated
 * by CONFIG REWRITE" marker unless the file has it. Each run of empty lines is written as one
 * (rewriteConfigGetContentFromState), so a dropped line leaves one blank line, and a file ending
 * in "\n" ends in an empty line.
 *
 * `userLines`: the ACL's users as `user <name> <rules>` lines (config.c rewriteConfigUserOption:
 * ACL LIST's lines when no aclfile is set, none when one is); they take the places of the file's
 * `user` lines in order, the rest are emptied or appended last. null: `user` lines are kept.
 * `forceAll`: every directive is written, at its default too (DEBUG CONFIG-REWRITE-FORCE-ALL).
 */
export function rewriteConfigText(
  oldText: string,
  config: Config,
  userLines: string[] | null = null,
  forceAll = false,
): string {
  const MARK = "# Generated by CONFIG REWRITE";
  // rewriteConfigReadOldFile: sdssplitlen on "\n" (an empty file has no lines; a last "\n"
  // leaves an empty last line); option_to_line maps each directive to its lines, in order.
  const lines = oldText === "" ? [] : oldText.split("\n").map(trimConfigLine);
  const optionLines = new Map<string, number[]>();
  let needsMark = true;
  for (const [i, line] of lines.entries()) {
    if (line === "" || line.startsWith("#")) {
      if (line === MARK) needsMark = false;
      continue;
    }
    const argv = splitConfigLine(line);
    const name = argv && argv.length ? argv[0].toLowerCase() : "";
    const d = findDirective(name);
    if (!d && !FILE_ONLY_DIRECTIVES.has(name)) {
      lines[i] = `# ??? ${line}`; // loaded as a comment
      continue;
    }
    const option = d ? d.name : name; // an alias counts as its directive
    optionLines.set(option, [...optionLines.get(option) ?? [], i]);
  }
  // rewriteConfigRewriteLine: the option's next old line is replaced, else the line is appended
  // when forced; either way the option is marked as rewritten (rewriteConfigMarkAsProcessed).
  const rewritten = new Set<string>();
  const rewrite = (option: string, newLines: string[], force: boolean) => {
    rewritten.add(option);
    const free = optionLines.get(option) ?? [];
    for (const line of newLines) {
      const at = free.shift();
      if (at !== undefined) lines[at] = line;
      else if (force || forceAll) {
        if (needsMark) lines.push(MARK);
        needsMark = false;
        lines.push(line);
      }
    }
  };
  for (const [d, v] of config.entries()) {
    const text = rewriteLine(d, v);
    rewrite(d.name, text === "" ? [] : text.split("\n"), v !== d.default);
  }
  if (userLines !== null) rewrite("user", userLines, true);
  rewrite("loadmodule", [], false); // rewriteConfigLoadmoduleOption: no modules are loaded
  // rewriteConfigRemoveOrphaned: the rewritten options' unused old lines become empty.
  for (const [option, free] of optionLines) {
    if (rewritten.has(option)) { for (const at of free) lines[at] = ""; }
  }
  // rewriteConfigGetContentFromState: every line ends in "\n", each run of empty lines is one.
  let out = "";
  let wasEmpty = false;
  for (const line of lines) {
    if (line === "" && wasEmpty) continue;
    wasEmpty = line === "";
    out += line + "\n";
  }
  return out;
}

/** Why `path` cannot be the working directory (strerror text), or null. */
function dirError(path: string): string | null {
  try {
    return Deno.statSync(path).isDirectory ? null : "Not a directory";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "No such file or directory";
    if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
    return (e as Error).message;
  }
}

/**
 * CONFIG SET over name/value pairs (all or nothing), with Redis 7.0's error texts (without the
 * leading "ERR "). Returns the names changed (canonical), or an error text.
 */
export function configSetPairs(
  config: Config,
  pairs: [string, string][],
  /** enable-protected-configs allows this client (yes, or local from a local connection). */
  allowProtected = config.getString("enable-protected-configs") === "yes",
): string[] | { error: string } {
  const seen: Directive[] = [];
  const names: string[] = [];
  let unknown: string | null = null;
  let err: { name: string; reason: string } | null = null;
  for (const [name] of pairs) {
    const d = findDirective(name);
    if (!d) {
      if (unknown === null) unknown = name;
      continue;
    }
    if (unknown !== null || err !== null) continue;
    if (!d.mutable) err = { name, reason: "can't set immutable config" };
    else if (d.protected && !allowProtected) {
      err = { name, reason: "can't set protected config" };
    } else if (names.includes(name.toLowerCase())) {
      // By the name given: Redis 7.0 takes an alias and its name in one CONFIG SET.
      err = { name, reason: "duplicate parameter" };
    }
    seen.push(d);
    names.push(name.toLowerCase());
  }
  if (unknown !== null) {
    return { error: `Unknown option or number of arguments for CONFIG SET - '${unknown}'` };
  }
  if (err !== null) {
    return {
      error: `CONFIG SET failed (possibly related to argument '${err.name}') - ${err.reason}`,
    };
  }
  const parsed: [Directive, ConfigValue][] = [];
  for (let i = 0; i < pairs.length; i++) {
    const d = seen[i];
    const v = pairs[i][1];
    // configSetCommand: a multi-argument value is split at each single space (sdssplitlen), so
    // a doubled or leading space gives an empty argument, which the directive refuses.
    const args = d.name === "bind"
      ? v.split(/\s+/).filter((x) => x !== "")
      : d.type === "special"
      ? (v === "" ? [] : v.split(" "))
      : [v];
    const r = d.name === "bind"
      ? { value: args.join(" ") }
      : parseDirectiveValue(d, args, config.get(d.name));
    if (!("error" in r) && d.name === "dir") {
      // As Redis's chdir(): the directory must exist.
      const reason = dirError(String(r.value));
      if (reason !== null) {
        return {
          error: `CONFIG SET failed (possibly related to argument '${pairs[i][0]}') - ${reason}`,
        };
      }
    }
    if ("error" in r) {
      return {
        error: `CONFIG SET failed (possibly related to argument '${pairs[i][0]}') - ${r.error}`,
      };
    }
    parsed.push([d, r.value]);
  }
  for (const [d, v] of parsed) config.setValue(d.name, v);
  return parsed.map(([d]) => d.name);
}

export class ConfigError extends Error {
  constructor(
    readonly reason: string,
    readonly lineNumber: number,
    readonly line: string,
    readonly fromFile: boolean,
  ) {
    super(reason);
  }

  /** Redis's fatal start-up block. */
  render(version: string): string {
    return [
      "",
      `*** FATAL CONFIG FILE ERROR (Redis ${version}) ***`,
      this.fromFile
        ? `Reading the configuration file, at line ${this.lineNumber}`
        : `Reading the configuration file, at line ${this.lineNumber}`,
      `>>> '${this.line}'`,
      this.reason,
    ].join("\n");
  }
}

/** A config file (or an `include`d one) that cannot be read. */
export class ConfigOpenError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`Fatal error, can't open config file '${path}': ${reason}`);
  }
}

/** The C library's text for common file errors (as Redis prints them). */
export function fileErrorText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (e as Error).message;
}

/**
 * Split a config line into arguments like sdssplitargs (quotes honoured). Returns null for
 * unbalanced quotes.
 */
export function splitConfigLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i])) i++;
    if (i >= n) break;
    let cur = "";
    if (line[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const c = line[i];
        if (c === "\\" && i + 1 < n) {
          const e = line[i + 1];
          if (e === "x" && i + 3 < n && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
            cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          cur += e === "n"
            ? "\n"
            : e === "r"
            ? "\r"
            : e === "t"
            ? "\t"
            : e === "b"
            ? "\b"
            : e === "a"
            ? "\x07"
            : e;
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        cur += c;
        i++;
      }
      if (!closed || (i < n && !/\s/.test(line[i]))) return null;
    } else if (line[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = line[i];
        if (c === "\\" && line[i + 1] === "'") {
          cur += "'";
          i += 2;
          continue;
        }
        if (c === "'") {
          closed = true;
          i++;
          break;
        }
        cur += c;
        i++;
      }
      if (!closed || (i < n && !/\s/.test(line[i]))) return null;
    } else {
      while (i < n && !/\s/.test(line[i])) cur += line[i++];
    }
    out.push(cur);
  }
  return out;
}

/** Runtime configuration: the current value of every directive. */
export class Config {
  private values = new Map<string, ConfigValue>();
  /**
   * Counts the changes to any directive's value: what reads a directive on the hot path keeps its
   * value while this stays the same (replication/replication.ts minReplicasActive).
   */
  get generation(): number {
    return this.changes;
  }
  private changes = 0;
  /** The config file this server was started with (for CONFIG REWRITE), if any. */
  file: string | null = null;
  /** `user <name> <rules...>` directives: [name, ...rules], loaded by the ACL at startup. */
  aclUsers: string[][] = [];
  /** `rename-command` and `loadmodule` lines: taken, with no effect here (NO_EFFECT_LINES). */
  ignoredLines: string[] = [];
  /** A `save` line was loaded: later ones add their points (config.c setConfigSaveOption). */
  private saveLoaded = false;

  constructor() {
    for (const d of DIRECTIVES) this.put(d.name, d.default);
  }

  get(name: string): ConfigValue {
    // A canonical (lower-case) name: one Map read. Commands read directives on their hot path
    // (min-replicas-to-write for every write), where findDirective's lower-casing showed up.
    const v = this.values.get(name);
    if (v !== undefined) return v;
    const d = findDirective(name);
    if (!d) throw new Error(`unknown config directive ${name}`);
    return this.values.get(d.name)!;
  }

  getNumber(name: string): number {
    return this.get(name) as number;
  }

  getBool(name: string): boolean {
    return this.get(name) as boolean;
  }

  getString(name: string): string {
    return this.get(name) as string;
  }

  /** Set a directive from its textual arguments. Returns an error text or null. */
  setFromArgs(name: string, args: string[]): string | null {
    const d = findDirective(name);
    if (!d) return "Bad directive or wrong number of arguments";
    const r = parseDirectiveValue(d, args, this.get(d.name));
    if ("error" in r) return r.error;
    this.put(d.name, r.value);
    return null;
  }

  private put(name: string, value: ConfigValue): void {
    this.values.set(name, value);
    this.changes++;
  }

  /** Set a directive to an already-validated value. */
  setValue(name: string, value: ConfigValue): void {
    const d = findDirective(name);
    if (!d) throw new Error(`unknown config directive ${name}`);
    this.put(d.name, value);
  }

  entries(): [Directive, ConfigValue][] {
    return DIRECTIVES.map((d) => [d, this.values.get(d.name)!]);
  }

  /**
   * Load a redis.conf text then `--directive value...` arguments, as redis-server does: the
   * arguments are appended to the file's content as extra lines. Throws ConfigError.
   */
  load(
    fileText: string | null,
    args: string[],
    readInclude: (path: string) => string = Deno.readTextFileSync,
  ): void {
    // As redis-server's main(): options become "name \"v1\" \"v2\"" lines, appended to the
    // file's text after one "\n" (so line numbers in errors match Redis's).
    let options = "";
    for (const a of args) {
      if (a.startsWith("--") && a.length > 2) {
        if (options.length) options += "\n";
        options += a.slice(2) + " ";
      } else {
        options += reprArg(a) + " ";
      }
    }
    let text = fileText ?? "";
    if (options !== "") text += "\n" + options;
    const lines: { text: string; fromFile: boolean }[] = text.split("\n").map((t) => ({
      text: t,
      fromFile: true,
    }));
    let lineNo = 0;
    for (const { text, fromFile } of lines) {
      lineNo++;
      const t = text.trim();
      if (t === "" || t.startsWith("#")) continue;
      const argv = splitConfigLine(t);
      if (argv === null) {
        throw new ConfigError("Unbalanced quotes in configuration line", lineNo, t, fromFile);
      }
      if (argv.length === 0) continue;
      const name = argv[0].toLowerCase();
      if (name === "include" && argv.length === 2) {
        // As loadServerConfig(): the included file is loaded on its own (own line numbers).
        let included: string;
        try {
          included = readInclude(argv[1]);
        } catch (e) {
          throw new ConfigOpenError(argv[1], fileErrorText(e));
        }
        this.load(included, [], readInclude);
        continue;
      }
      if (name === "user" && argv.length >= 2) {
        this.aclUsers.push(argv.slice(1)); // server/acl_file.ts loadUsersAtStartup
        continue;
      }
      if (name === "rename-command" || name === "loadmodule") {
        this.ignoredLines.push(t); // taken, without effect: logged at start (noEffectSettings)
        continue;
      }
      const d = findDirective(name);
      if (!d) {
        throw new ConfigError("Bad directive or wrong number of arguments", lineNo, t, fromFile);
      }
      if (d.name === "bind") {
        // bind takes any number of addresses (none: listen nowhere).
        this.put("bind", argv.slice(1).join(" "));
        continue;
      }
      if (d.name === "replicaof" && argv.length === 3) {
        // config.c loadServerConfigFromString: `replicaof <host> <port>` (also what CONFIG
        // REWRITE writes); held as one "host port" value, as `--replicaof "host port"` gives.
        this.put("replicaof", `${argv[1]} ${argv[2]}`);
        continue;
      }
      const r = parseDirectiveValue(d, argv.slice(1), this.get(d.name));
      if ("error" in r) throw new ConfigError(r.error, lineNo, t, fromFile);
      if (d.name === "save") {
        // setConfigSaveOption: the first save line read replaces the default points, the next
        // ones add theirs; `save ""` clears them.
        const prev = this.saveLoaded ? this.getString("save") : "";
        this.saveLoaded = true;
        if (prev !== "" && r.value !== "") r.value = `${prev} ${r.value}`;
      }
      if (d.name === "daemonize" && r.value === true) {
        throw new ConfigError(
          "daemonize yes is not supported: run the node under a supervisor",
          lineNo,
          t,
          fromFile,
        );
      }
      this.put(d.name, r.value);
    }
  }
}
