/**
 * Server commands, as Redis 7.0.15: INFO, CONFIG (GET/SET/REWRITE/RESETSTAT/HELP) (COMMAND is
 * commands/command.ts), DBSIZE, FLUSHALL, FLUSHDB, TIME, LASTSAVE, ROLE, DEBUG,
 * SHUTDOWN, FUNCTION (LIST/FLUSH; DUMP refused), SLOWLOG, MEMORY (USAGE, STATS, DOCTOR,
 * MALLOC-STATS, PURGE: server/memory_overhead.ts), SAVE, BGSAVE
 * (persistence/rdb_persistence.ts), BGREWRITEAOF (persistence/aof.ts).
 *
 * DEBUG is in commands/debug.ts (allowed as enable-debug-command says: server/dispatch.ts).
 *
 * Deviations, on purpose: FUNCTION DUMP answers an error (the node has no functions;
 * redis-cli add-node then skips the step).
 */

import { latin1, lower, parseInt64, str } from "../protocol/bytes.ts";
import type { Server } from "../server/server.ts";
import { buildInfo } from "../server/info.ts";
import {
  type Config,
  configSetPairs,
  type ConfigValue,
  DIRECTIVES,
  findDirective,
  formatConfigValue,
  noEffectSettings,
  rewriteConfigText,
  writeFileAtomic,
} from "../server/config.ts";
import type { LogLevel } from "../server/log.ts";
import { keyspaceEventsStringToFlags } from "../pubsub/notify_flags.ts";
import { allOutputLimits } from "../server/output_limits.ts";
import { globMatch } from "../keyspace/glob.ts";
import { keyBytes } from "../keyspace/object_size.ts";
import { memoryDoctorReport, memoryOverhead } from "../server/memory_overhead.ts";
import { loadFullGc } from "../server/process_memory.ts";
import { SEL_ALLCHANNELS } from "../server/acl.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { debugCommand } from "./debug.ts";
import { allowProtectedAction } from "../server/dispatch.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";

// ---------------------------------------------------------------- INFO

function info(ctx: CommandContext, argv: Uint8Array[]): void {
  const args = argv.slice(1).map((a) => str(a));
  ctx.reply.verbatim(buildInfo(ctx.server, args));
}

// ---------------------------------------------------------------- CONFIG

function hasGlob(p: string): boolean {
  return /[*?[\\]/.test(p);
}

/** The value CONFIG GET shows (dir as an absolute path, as Redis's getcwd). */
function configShown(config: Config, name: string): string {
  const d = findDirective(name)!;
  const v = config.get(d.name);
  if (d.name === "dir") {
    try {
      return Deno.realPathSync(String(v));
    } catch {
      return String(v);
    }
  }
  return formatConfigValue(d, v);
}

function configGet(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const out = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pat = str(argv[i]);
    if (!hasGlob(pat)) {
      const d = findDirective(pat);
      if (d) out.set(pat.toLowerCase(), configShown(server.config, d.name));
      continue;
    }
    for (const d of DIRECTIVES) {
      if (d.hidden) continue;
      for (const name of [d.name, ...(d.aliases ?? [])]) {
        if (!out.has(name) && globMatch(pat, name, true)) {
          out.set(name, configShown(server.config, d.name));
        }
      }
    }
  }
  reply.map(out.size);
  for (const [k, v] of out) {
    reply.bulkText(k);
    reply.bulkText(v);
  }
}

/** Side effects of changed directives that are not read live. */
function applyConfig(server: Server, names: string[]): void {
  for (const n of names) {
    if (n === "appendonly") {
      if (server.config.getBool("appendonly")) server.aof.turnOn();
      else server.aof.turnOff();
      server.replication.updatePropagating();
    }
    if (n === "client-output-buffer-limit") {
      server.outputLimits = allOutputLimits(server.config.getString(n));
    }
    if (n === "requirepass") server.acl.setDefaultPassword(server.config.getString(n));
    if (n === "acl-pubsub-default") {
      server.acl.pubsubDefault = server.config.getString(n) === "allchannels" ? SEL_ALLCHANNELS : 0;
    }
    if (n === "loglevel") server.log.level = server.config.getString("loglevel") as LogLevel;
    if (n.startsWith("maxmemory") || n.startsWith("lfu-")) server.maxmemory.configure();
    // updateMaxmemory: evict at once down to the new limit.
    if (n === "maxmemory" && server.maxmemory.limit !== 0) server.maxmemory.perform();
    if (n === "notify-keyspace-events") {
      server.setNotifyFlags(keyspaceEventsStringToFlags(server.config.getString(n)));
    }
    if (n === "latency-monitor-threshold") {
      server.latency.thresholdMs = server.config.getNumber(n);
    }
    if (n === "latency-tracking") server.latencyTracking = server.config.getBool(n);
    if (n === "slowlog-log-slower-than") {
      server.slowlogThresholdUs = server.config.getNumber("slowlog-log-slower-than");
    }
    if (n === "slowlog-max-len") {
      const max = server.config.getNumber("slowlog-max-len");
      if (server.slowlog.length > max) server.slowlog.length = max;
    }
  }
}

function configSet(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length % 2 !== 0) {
    reply.error(E.wrongArity("config|set"));
    return;
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([str(argv[i]), str(argv[i + 1])]);
  const before = new Map<string, ConfigValue>();
  for (const [n] of pairs) {
    const d = findDirective(n);
    if (d !== undefined) before.set(d.name, server.config.get(d.name));
  }
  const r = configSetPairs(
    server.config,
    pairs,
    allowProtectedAction(server.config.getString("enable-protected-configs"), ctx.client),
  );
  if ("error" in r) {
    reply.error(`ERR ${r.error}`);
    return;
  }
  // applyTlsCfg / applyTLSPort: new certificates or port; on failure the old values come back.
  const tlsError = server.tls.applyConfig(r, () => {
    for (const [n, v] of before) server.config.setValue(n, v);
  });
  if (tlsError !== null) {
    const arg = pairs.find(([n]) => n.toLowerCase().startsWith("tls-"))?.[0] ?? "";
    reply.error(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${tlsError}`);
    return;
  }
  applyConfig(server, r);
  for (const line of noEffectSettings(server.config, r)) {
    server.log.warning(`CONFIG SET ${line}: this parameter has no effect on this server`);
  }
  reply.ok();
}

function configRewrite(ctx: CommandContext): void {
  const { server, reply } = ctx;
  const file = server.config.file;
  if (file === null) {
    reply.error("ERR The server is running without a config file");
    return;
  }
  try {
    let old = "";
    try {
      old = Deno.readTextFileSync(file);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    writeFileAtomic(file, rewriteConfigText(old, server.config));
  } catch (e) {
    server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
    return;
  }
  server.log.notice("CONFIG REWRITE executed with success.");
  reply.ok();
}

function configResetstat(ctx: CommandContext): void {
  const { server } = ctx;
  server.commandStats.clear();
  server.errorStats.clear();
  const st = server.stats;
  st.totalConnections = 0;
  st.rejectedConnections = 0;
  st.totalCommands = 0;
  st.rejectedCalls = 0;
  st.failedCalls = 0;
  st.netInputBytes = 0;
  st.netOutputBytes = 0;
  server.db.stats.hits = 0;
  server.db.stats.misses = 0;
  server.db.stats.expiredKeys = 0;
  ctx.reply.ok();
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

// ---------------------------------------------------------------- keyspace-wide commands

function dbsize(ctx: CommandContext): void {
  ctx.reply.int(ctx.db.size);
}

function flush(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  if (argv.length === 2) {
    const m = lower(argv[1]);
    if (m !== "async" && m !== "sync") {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  if (lower(argv[0]) === "flushall") {
    // emptyData(-1): every database; the tracking invalidation goes once (signalFlushedDb(-1)).
    for (const db of ctx.server.dbs) db.flush(db.id === 0);
    // FLUSHALL with save points writes the now empty dataset at once (flushAllDataAndResetRDB).
    if (ctx.server.persistence.hasSavePoints) {
      ctx.server.persistence.saveSync();
      ctx.db.stats.dirty++;
    }
  } else ctx.db.flush();
  ctx.reply.ok();
}

/** getIntFromObjectOrReply with a message: an int, or the message as the error. */
function dbIndexArg(arg: Uint8Array): number | null {
  const n = parseInt64(arg);
  return n === null || n < -2147483648 || n > 2147483647 ? null : n;
}

/** SWAPDB index1 index2 (db.c swapdbCommand). */
function swapdb(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (server.config.getBool("cluster-enabled")) {
    reply.error("ERR SWAPDB is not allowed in cluster mode");
    return;
  }
  const id1 = dbIndexArg(argv[1]);
  if (id1 === null) {
    reply.error("ERR invalid first DB index");
    return;
  }
  const id2 = dbIndexArg(argv[2]);
  if (id2 === null) {
    reply.error("ERR invalid second DB index");
    return;
  }
  const n = server.dbs.length;
  if (id1 < 0 || id1 >= n || id2 < 0 || id2 >= n) {
    reply.error("ERR DB index is out of range");
    return;
  }
  server.dbs[id1].swapWith(server.dbs[id2]);
  ctx.db.stats.dirty++;
  reply.ok();
}

function time(ctx: CommandContext): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  ctx.reply.array(2);
  ctx.reply.bulkText(String(Math.floor(us / 1e6)));
  ctx.reply.bulkText(String(us % 1e6));
}

function lastsave(ctx: CommandContext): void {
  ctx.reply.int(Math.floor(ctx.server.persistence.lastSaveMs / 1000));
}

// ROLE lives in commands/replication.ts.

/** SAVE (Redis's saveCommand). */
function save(ctx: CommandContext): void {
  const p = ctx.server.persistence;
  if (p.bgsaveInProgress) {
    ctx.reply.error("ERR Background save already in progress");
    return;
  }
  if (p.saveSync()) ctx.reply.ok();
  else ctx.reply.error("ERR");
}

/** BGREWRITEAOF (Redis's bgrewriteaofCommand). */
function bgrewriteaof(ctx: CommandContext): void {
  const aof = ctx.server.aof;
  if (aof.rewriteInProgress) {
    ctx.reply.error("ERR Background append only file rewriting already in progress");
    return;
  }
  if (ctx.server.persistence.bgsaveInProgress || ctx.client.inExec) {
    aof.rewriteScheduled = true;
    ctx.reply.status("Background append only file rewriting scheduled");
    return;
  }
  const r = aof.bgrewrite();
  if (r === "started") ctx.reply.status("Background append only file rewriting started");
  else if (r === "scheduled") ctx.reply.status("Background append only file rewriting scheduled");
  else {ctx.reply.error(
      "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    );}
}

/** BGSAVE [SCHEDULE] (Redis's bgsaveCommand). */
function bgsave(ctx: CommandContext, argv: Uint8Array[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && lower(argv[1]) === "schedule") schedule = true;
    else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  // Inside EXEC the save is scheduled for after the transaction, as Redis does.
  const r = ctx.client.inExec && !ctx.server.persistence.bgsaveInProgress
    ? (ctx.server.persistence.scheduled = true, "scheduled")
    : ctx.server.persistence.bgsave(schedule);
  if (r === "started") ctx.reply.status("Background saving started");
  else if (r === "scheduled") ctx.reply.status("Background saving scheduled");
  else if (r === "in-progress") ctx.reply.error("ERR Background save already in progress");
  else {
    ctx.reply.error(
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE " +
        "in order to schedule a BGSAVE whenever possible.",
    );
  }
}

// DEBUG: commands/debug.ts

// ---------------------------------------------------------------- SHUTDOWN

function shutdown(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  let save: boolean | undefined;
  let force = false;
  for (let i = 1; i < argv.length; i++) {
    const o = lower(argv[i]);
    if (o === "nosave") save = false;
    else if (o === "save") save = true;
    else if (o === "force") force = true;
    else if (o === "now" || o === "abort") {
      if (o === "abort") {
        reply.error("ERR No shutdown in progress.");
        return;
      }
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const said = argv.slice(1).map((a) => lower(a));
  if (said.includes("save") && said.includes("nosave")) {
    reply.error(E.SYNTAX);
    return;
  }
  // A script past its time limit: only SHUTDOWN NOSAVE may end the node.
  const busyScript = server.scripts.running;
  if (save !== false && busyScript !== null && server.scripts.busy) {
    reply.error(busyScript.isEval ? E.BUSY_EVAL : E.BUSY_FUNCTION);
    return;
  }
  server.log.warning("User requested shutdown...");
  if (!server.prepareForShutdown({ save, force })) {
    reply.error("ERR Errors trying to SHUTDOWN. Check logs.");
    return;
  }
  // No reply: the connection closes, as Redis does when it exits.
  client.closeAfterReply = true;
  setTimeout(async () => {
    await server.shutdown();
    server.onShutdownRequest?.(0);
  }, 0);
}

// ---------------------------------------------------------------- SLOWLOG, MEMORY

function slowlogGet(ctx: CommandContext, argv: Uint8Array[]): void {
  const { reply } = ctx;
  let count = 10;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null || n < -1) {
      reply.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1 ? Infinity : n;
  } else if (argv.length > 3) {
    // addReplySubcommandSyntaxError.
    reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${
        str(argv[1]).slice(0, 128)
      }'. Try ${str(argv[0]).toUpperCase()} HELP.`,
    );
    return;
  }
  const entries = ctx.server.slowlog.slice(0, count);
  reply.array(entries.length);
  for (const e of entries) {
    reply.array(6);
    reply.int(e.id);
    reply.int(e.timeSec);
    reply.int(e.durationUs);
    reply.bulkArray(e.args);
    reply.bulkText(e.addr);
    reply.bulkText(e.name);
  }
}

function slowlogLen(ctx: CommandContext): void {
  ctx.reply.int(ctx.server.slowlog.length);
}

function slowlogReset(ctx: CommandContext): void {
  ctx.server.slowlog.length = 0;
  ctx.reply.ok();
}

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
  "HELP",
  "    Prints this help.",
];

function memoryUsageCmd(ctx: CommandContext, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  let samples = 5;
  if (argv.length === 5 && lower(argv[3]) === "samples") {
    const n = parseInt64(argv[4]);
    if (n === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    if (n < 0) {
      reply.error(E.SYNTAX);
      return;
    }
    samples = n > 0x7fffffff ? 0 : Number(n);
  } else if (argv.length !== 3) {
    reply.error(E.SYNTAX);
    return;
  }
  const key = latin1(argv[2]);
  // objectCommandLookup: not an access. The charge the keyspace counts (keyspace/object_size.ts).
  const v = db.lookup(key, false);
  if (v === undefined) reply.nil();
  else reply.int(keyBytes(key, v, samples));
}

/** MEMORY STATS (object.c memoryCommand): a map of server/memory_overhead.ts's figures. */
function memoryStats(ctx: CommandContext): void {
  const { reply } = ctx;
  const mh = memoryOverhead(ctx.server);
  const int = (name: string, n: number) => {
    reply.bulkText(name);
    reply.int(n);
  };
  const dbl = (name: string, d: number) => {
    reply.bulkText(name);
    reply.double(d);
  };
  reply.map(27 + mh.dbs.length);
  int("peak.allocated", mh.peakAllocated);
  int("total.allocated", mh.totalAllocated);
  int("startup.allocated", mh.startupAllocated);
  int("replication.backlog", mh.replBacklog);
  int("clients.slaves", mh.clientsSlaves);
  int("clients.normal", mh.clientsNormal);
  int("cluster.links", mh.clusterLinks);
  int("aof.buffer", mh.aofBuffer);
  int("lua.caches", mh.luaCaches);
  int("functions.caches", mh.functionsCaches);
  for (const db of mh.dbs) {
    reply.bulkText(`db.${db.dbIndex}`);
    reply.map(3);
    int("overhead.hashtable.main", db.mainBytes);
    int("overhead.hashtable.expires", db.expiresBytes);
    int("overhead.hashtable.slot-to-keys", db.slotToKeysBytes);
  }
  int("overhead.total", mh.overheadTotal);
  int("keys.count", mh.totalKeys);
  int("keys.bytes-per-key", mh.bytesPerKey);
  int("dataset.bytes", mh.dataset);
  dbl("dataset.percentage", mh.datasetPerc);
  dbl("peak.percentage", mh.peakPerc);
  int("allocator.allocated", mh.allocatorAllocated);
  int("allocator.active", mh.allocatorActive);
  int("allocator.resident", mh.allocatorResident);
  dbl("allocator-fragmentation.ratio", mh.allocatorFrag);
  int("allocator-fragmentation.bytes", mh.allocatorFragBytes);
  dbl("allocator-rss.ratio", mh.allocatorRss);
  int("allocator-rss.bytes", mh.allocatorRssBytes);
  dbl("rss-overhead.ratio", mh.rssExtra);
  int("rss-overhead.bytes", mh.rssExtraBytes);
  // The total RSS overhead, fragmentation included (named so for backwards compatibility).
  dbl("fragmentation", mh.totalFrag);
  int("fragmentation.bytes", mh.totalFragBytes);
}

/** MEMORY DOCTOR: getMemoryDoctorReport over our figures, as verbatim text. */
function memoryDoctor(ctx: CommandContext): void {
  const s = ctx.server;
  ctx.reply.verbatim(memoryDoctorReport(memoryOverhead(s), {
    clients: s.clients.size,
    replicas: s.replication.peers.length,
    cachedScripts: s.scripts.scripts.size,
  }));
}

/**
 * MEMORY MALLOC-STATS: what Redis answers when its allocator is not jemalloc. Ours is V8's heap
 * (and the system malloc under it), which has no such report.
 */
function memoryMallocStats(ctx: CommandContext): void {
  ctx.reply.bulkText("Stats not supported for the current allocator");
}

/** V8's full collection (server/process_memory.ts), loaded on the first MEMORY PURGE. */
let purgeGc: (() => void) | null | undefined;

/**
 * MEMORY PURGE: Redis asks jemalloc to release dirty pages; our garbage is V8's, so this runs a
 * full collection. +OK as Redis without jemalloc answers, also when the runtime offers no gc.
 */
function memoryPurge(ctx: CommandContext): void {
  if (purgeGc === undefined) purgeGc = loadFullGc();
  purgeGc?.();
  ctx.reply.ok();
}

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

// ---------------------------------------------------------------- table

/** A container's HELP subcommand, replying with `lines`. */
function helpCmd(fullname: string, lines: string[]): CommandDef {
  return fromTable(fullname, (ctx) => replyHelp(ctx, lines));
}

export const serverCommands: CommandDef[] = [
  fromTable("info", info),
  fromTable("config", undefined, {
    subcommands: [
      fromTable("config|get", configGet),
      fromTable("config|set", configSet),
      fromTable("config|rewrite", configRewrite),
      fromTable("config|resetstat", configResetstat),
      helpCmd("config|help", CONFIG_HELP),
    ],
  }),
  fromTable("dbsize", dbsize),
  fromTable("flushall", flush),
  fromTable("flushdb", flush),
  fromTable("swapdb", swapdb),
  fromTable("time", time),
  fromTable("lastsave", lastsave),
  fromTable("save", save),
  fromTable("bgsave", bgsave),
  fromTable("bgrewriteaof", bgrewriteaof),
  fromTable("debug", debugCommand),
  fromTable("shutdown", shutdown),
  fromTable("slowlog", undefined, {
    subcommands: [
      fromTable("slowlog|get", slowlogGet),
      fromTable("slowlog|len", slowlogLen),
      fromTable("slowlog|reset", slowlogReset),
      helpCmd("slowlog|help", SLOWLOG_HELP),
    ],
  }),
  fromTable("memory", undefined, {
    subcommands: [
      fromTable("memory|doctor", memoryDoctor),
      fromTable("memory|malloc-stats", memoryMallocStats),
      fromTable("memory|purge", memoryPurge),
      fromTable("memory|stats", memoryStats),
      fromTable("memory|usage", memoryUsageCmd),
      helpCmd("memory|help", MEMORY_HELP),
    ],
  }),
];
