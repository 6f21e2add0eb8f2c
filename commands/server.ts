/**
 * Server commands, as Redis 7.0.15: INFO, CONFIG (GET/SET/REWRITE/RESETSTAT/HELP), COMMAND
 * (COUNT/INFO/DOCS/LIST/GETKEYS), DBSIZE, FLUSHALL, FLUSHDB, TIME, LASTSAVE, ROLE, DEBUG,
 * SHUTDOWN, FUNCTION (LIST/FLUSH; DUMP refused), SLOWLOG, MEMORY USAGE, SAVE, BGSAVE
 * (persistence/rdb_persistence.ts), BGREWRITEAOF (persistence/aof.ts).
 *
 * Deviations, on purpose: DEBUG is always allowed (7.0 refuses it unless enable-debug-command
 * is set; redis-cli --cluster needs DEBUG DIGEST-VALUE); FUNCTION DUMP answers an error (the
 * node has no functions; redis-cli add-node then skips the step).
 */

import { latin1, lower, parseInt64, str } from "../protocol/bytes.ts";
import type { Server } from "../server/server.ts";
import { buildInfo } from "../server/info.ts";
import {
  type Config,
  configSetPairs,
  DIRECTIVES,
  findDirective,
  formatConfigValue,
  rewriteConfigText,
  writeFileAtomic,
} from "../server/config.ts";
import type { LogLevel } from "../server/log.ts";
import { keyspaceEventsStringToFlags } from "../pubsub/notify_flags.ts";
import { allOutputLimits } from "../server/output_limits.ts";
import { globMatch } from "../keyspace/glob.ts";
import { datasetDigest, digestHex, valueDigest, ZERO_DIGEST_HEX } from "../keyspace/digest.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Stream } from "../keyspace/stream.ts";
import type { Value } from "../keyspace/db.ts";
import { keyIndices } from "../server/dispatch.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { encodingOf } from "./keys.ts";
import { rdbOptions } from "./dump.ts";
import { parseRdb } from "../protocol/rdb_file.ts";
import { RdbFormatError } from "../protocol/rdb_buffer.ts";
import {
  cmd,
  type CommandContext,
  type CommandDef,
  type CommandDocs,
  type CommandFlag,
  container,
  type KeySpec,
} from "./types.ts";

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
    if (n === "loglevel") server.log.level = server.config.getString("loglevel") as LogLevel;
    if (n === "notify-keyspace-events") {
      server.db.notifier.flags = keyspaceEventsStringToFlags(server.config.getString(n));
    }
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
  const r = configSetPairs(server.config, pairs);
  if ("error" in r) {
    reply.error(`ERR ${r.error}`);
    return;
  }
  applyConfig(server, r);
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

// ---------------------------------------------------------------- COMMAND

function allCommands(server: Server): CommandDef[] {
  return [...server.commands.values()];
}

/** A definition's own key specs (`CommandDef.keySpecs`), as COMMAND INFO prints them. */
function replyExplicitKeySpecs(ctx: CommandContext, specs: KeySpec[]): void {
  const { reply } = ctx;
  reply.set(specs.length);
  for (const ks of specs) {
    reply.map(ks.notes === undefined ? 3 : 4);
    if (ks.notes !== undefined) {
      reply.bulkText("notes");
      reply.bulkText(ks.notes);
    }
    reply.bulkText("flags");
    reply.set(ks.flags.length);
    for (const f of ks.flags) reply.status(f);
    if (ks.unknown) {
      for (const part of ["begin_search", "find_keys"]) {
        reply.bulkText(part);
        reply.map(2);
        reply.bulkText("type");
        reply.bulkText("unknown");
        reply.bulkText("spec");
        reply.map(0);
      }
      continue;
    }
    reply.bulkText("begin_search");
    reply.map(2);
    reply.bulkText("type");
    if (ks.keyword !== undefined) {
      reply.bulkText("keyword");
      reply.bulkText("spec");
      reply.map(2);
      reply.bulkText("keyword");
      reply.bulkText(ks.keyword.keyword);
      reply.bulkText("startfrom");
      reply.int(ks.keyword.startFrom);
    } else {
      reply.bulkText("index");
      reply.bulkText("spec");
      reply.map(1);
      reply.bulkText("index");
      reply.int(ks.index);
    }
    reply.bulkText("find_keys");
    reply.map(2);
    reply.bulkText("type");
    reply.bulkText("range");
    reply.bulkText("spec");
    reply.map(3);
    reply.bulkText("lastkey");
    reply.int(ks.lastKey);
    reply.bulkText("keystep");
    reply.int(ks.keyStep);
    reply.bulkText("limit");
    reply.int(ks.limit);
  }
}

/** The legacy key spec as a 7.0 key-spec map list (begin_search index, find_keys range). */
function replyKeySpecs(ctx: CommandContext, def: CommandDef): void {
  const { reply } = ctx;
  if (def.keySpecs !== undefined) {
    replyExplicitKeySpecs(ctx, def.keySpecs);
    return;
  }
  // A set in RESP3 (addReplyCommandKeySpecs: addReplySetLen).
  if (def.firstKey === 0) {
    reply.set(0);
    return;
  }
  reply.set(1);
  reply.map(3);
  reply.bulkText("flags");
  const write = def.flags.includes("write");
  reply.set(1);
  // Shard channels are keys for routing only (Redis's CMD_KEY_NOT_KEY).
  reply.status(def.flags.includes("pubsub") ? "not_key" : write ? "RW" : "RO");
  reply.bulkText("begin_search");
  reply.map(2);
  reply.bulkText("type");
  reply.bulkText("index");
  reply.bulkText("spec");
  reply.map(1);
  reply.bulkText("index");
  reply.int(def.firstKey);
  reply.bulkText("find_keys");
  reply.map(2);
  reply.bulkText("type");
  reply.bulkText("range");
  reply.bulkText("spec");
  reply.map(3);
  reply.bulkText("lastkey");
  reply.int(def.lastKey < 0 ? def.lastKey : def.lastKey - def.firstKey);
  reply.bulkText("keystep");
  reply.int(def.step);
  reply.bulkText("limit");
  reply.int(0);
}

/** Flags addReplyCommandFlags leaves out on purpose (Redis 7.0 server.c). */
const HIDDEN_FLAGS = new Set<CommandFlag>([
  "may_replicate",
  "sentinel",
  "only_sentinel",
  "protected",
]);

function replyCommandInfo(ctx: CommandContext, def: CommandDef, fullname: string): void {
  const { reply } = ctx;
  reply.array(10);
  reply.bulkText(fullname);
  reply.int(def.arity);
  const shown = def.flags.filter((f) => !HIDDEN_FLAGS.has(f));
  const flags: CommandFlag[] = def.getKeys ? [...shown, "movablekeys"] : shown;
  reply.set(flags.length);
  for (const f of flags) reply.status(f);
  reply.int(def.firstKey);
  reply.int(def.lastKey);
  reply.int(def.step);
  const cats = def.categories ?? [];
  reply.set(cats.length);
  for (const c of cats) reply.status(`@${c}`);
  reply.set(0);
  replyKeySpecs(ctx, def);
  const subs = def.subcommands ?? [];
  // addReplyCommandSubCommands: an empty set when there are none, else an array.
  if (subs.length === 0) reply.set(0);
  else reply.array(subs.length);
  for (const s of subs) replyCommandInfo(ctx, s, `${fullname}|${s.name}`);
}

function command(ctx: CommandContext): void {
  const defs = allCommands(ctx.server);
  ctx.reply.array(defs.length);
  for (const d of defs) replyCommandInfo(ctx, d, d.name);
}

function commandCount(ctx: CommandContext): void {
  ctx.reply.int(ctx.server.commands.size);
}

/** Resolve "config|get" or "get" to a definition. */
function findByFullname(server: Server, name: string): CommandDef | undefined {
  const [top, sub] = name.toLowerCase().split("|", 2);
  const d = server.commands.get(top);
  if (!d || sub === undefined) return d;
  return d.subcommands?.find((s) => s.name === sub);
}

function commandInfo(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length === 2) {
    command(ctx);
    return;
  }
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const name = lower(argv[i]);
    const d = findByFullname(server, name);
    if (d) replyCommandInfo(ctx, d, name);
    else reply.nil();
  }
}

/** COMMAND DOCS group from ACL categories, for definitions that do not name their group. */
const GROUP_BY_CATEGORY: [string, string][] = [
  ["string", "string"],
  ["list", "list"],
  ["hash", "hash"],
  ["set", "set"],
  ["sortedset", "sorted-set"],
  ["transaction", "transactions"],
  ["connection", "connection"],
  ["scripting", "scripting"],
  ["pubsub", "pubsub"],
  ["keyspace", "generic"],
];

function groupOf(def: CommandDef, fallback: string): string {
  if (def.group) return def.group;
  const cats = def.categories ?? [];
  for (const [cat, group] of GROUP_BY_CATEGORY) if (cats.includes(cat)) return group;
  return fallback;
}

function docFields(def: CommandDef, fallbackGroup: string): [string, string][] {
  const out: [string, string][] = [];
  out.push(["summary", def.summary ?? ""]);
  out.push(["since", def.since ?? "1.0.0"]);
  out.push(["group", groupOf(def, fallbackGroup)]);
  return out;
}

/** The COMMAND DOCS fields of `CommandDef.docs`: complexity, doc_flags, arguments. */
function replyDocExtras(ctx: CommandContext, docs: CommandDocs): void {
  const { reply } = ctx;
  if (docs.complexity !== undefined) {
    reply.bulkText("complexity");
    reply.bulkText(docs.complexity);
  }
  if (docs.docFlags !== undefined) {
    reply.bulkText("doc_flags");
    reply.set(docs.docFlags.length);
    for (const f of docs.docFlags) reply.status(f);
  }
  if (docs.arguments !== undefined) {
    reply.bulkText("arguments");
    reply.array(docs.arguments.length);
    for (const a of docs.arguments) {
      reply.map(2 + (a.keySpecIndex !== undefined ? 1 : 0) + (a.flags !== undefined ? 1 : 0));
      reply.bulkText("name");
      reply.bulkText(a.name);
      reply.bulkText("type");
      reply.bulkText(a.type);
      if (a.keySpecIndex !== undefined) {
        reply.bulkText("key_spec_index");
        reply.int(a.keySpecIndex);
      }
      if (a.flags !== undefined) {
        reply.bulkText("flags");
        reply.set(a.flags.length);
        for (const f of a.flags) reply.status(f);
      }
    }
  }
}

function replyDoc(ctx: CommandContext, def: CommandDef, fullname: string, group: string): void {
  const { reply } = ctx;
  const fields = docFields(def, group);
  const subs = def.subcommands ?? [];
  const docs = def.docs;
  const extras = docs === undefined
    ? 0
    : (docs.complexity !== undefined ? 1 : 0) + (docs.docFlags !== undefined ? 1 : 0) +
      (docs.arguments !== undefined ? 1 : 0);
  reply.map(fields.length + extras + (subs.length ? 1 : 0));
  for (const [k, v] of fields) {
    reply.bulkText(k);
    reply.bulkText(v);
  }
  if (docs !== undefined) replyDocExtras(ctx, docs);
  if (subs.length) {
    reply.bulkText("subcommands");
    reply.map(subs.length);
    for (const s of subs) {
      const sub = `${fullname}|${s.name}`;
      reply.bulkText(sub);
      replyDoc(ctx, s, sub, groupOf(def, group));
    }
  }
}

function commandDocs(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const list: [string, CommandDef][] = [];
  if (argv.length === 2) {
    for (const d of allCommands(server)) list.push([d.name, d]);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const name = lower(argv[i]);
      const d = findByFullname(server, name);
      if (d) list.push([name, d]);
    }
  }
  reply.map(list.length);
  for (const [name, d] of list) {
    reply.bulkText(name);
    replyDoc(ctx, d, name, "generic");
  }
}

function commandList(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  let filter: ((name: string, d: CommandDef) => boolean) | null = null;
  if (argv.length === 5 && lower(argv[2]) === "filterby") {
    const kind = lower(argv[3]);
    const arg = str(argv[4]);
    if (kind === "pattern") filter = (name) => globMatch(arg, name, true);
    else if (kind === "aclcat") {
      const cat = arg.toLowerCase();
      filter = (_n, d) => (d.categories ?? []).includes(cat);
    } else if (kind === "module") filter = () => false;
    else {
      reply.error(E.SYNTAX);
      return;
    }
  } else if (argv.length !== 2) {
    reply.error(E.SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const d of allCommands(server)) {
    if (!filter || filter(d.name, d)) names.push(d.name);
    for (const s of d.subcommands ?? []) {
      const full = `${d.name}|${s.name}`;
      if (!filter || filter(full, s)) names.push(full);
    }
  }
  reply.array(names.length);
  for (const n of names) reply.bulkText(n);
}

function commandGetkeys(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const args = argv.slice(2);
  let d = server.commands.get(lower(args[0]));
  if (d === undefined) {
    reply.error("ERR Invalid command specified");
    return;
  }
  if (d.subcommands && args.length >= 2) {
    const sub = d.subcommands.find((s) => s.name === lower(args[1]));
    if (sub) d = sub;
  }
  const argc = args.length;
  if ((d.arity > 0 && d.arity !== argc) || argc < -d.arity) {
    reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const idx = keyIndices(d, args);
  if (idx.length === 0) {
    reply.error("ERR The command has no key arguments");
    return;
  }
  reply.array(idx.length);
  for (const i of idx) reply.bulk(args[i]);
}

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
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
  ctx.db.flush();
  // FLUSHALL with save points writes the now empty dataset at once (flushAllDataAndResetRDB).
  if (lower(argv[0]) === "flushall" && ctx.server.persistence.hasSavePoints) {
    ctx.server.persistence.saveSync();
    ctx.db.stats.dirty++;
  }
  ctx.reply.ok();
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

// ---------------------------------------------------------------- DEBUG

/** A rough serialized length (DEBUG OBJECT's serializedlength). */
function approxSize(v: Value): number {
  if (typeof v === "string" || v instanceof Uint8Array) return v.length;
  let n = 0;
  if (v instanceof Deque) { for (const e of v) n += e.length + 1; }
  else if (v instanceof Set) { for (const m of v) n += m.length + 1; }
  else if (v instanceof ZSet) { for (const [m] of v) n += m.length + 9; }
  else if (v instanceof Stream) { for (const node of v.nodes) n += node.lp.bytes + 18; }
  else for (const [f, val] of v) n += f.length + val.length + 2;
  return n;
}

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "HELP",
  "    Prints this help.",
];

function debug(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  const { server, reply, db } = ctx;
  const sub = lower(argv[1]);
  const argc = argv.length;
  if (sub === "help" && argc === 2) {
    replyHelp(ctx, DEBUG_HELP);
  } else if (sub === "digest-value") {
    reply.array(argc - 2);
    for (let j = 2; j < argc; j++) {
      // Like Redis: no lookupKey, so logically expired keys still count.
      const key = latin1(argv[j]);
      const v = db.dict.get(key);
      reply.status(
        v === undefined ? ZERO_DIGEST_HEX : digestHex(valueDigest(v, db.expires.has(key))),
      );
    }
  } else if (sub === "digest" && argc === 2) {
    reply.status(digestHex(datasetDigest(db.dict, (k) => db.expires.has(k))));
  } else if (sub === "object" && argc === 3) {
    const v = db.dict.get(latin1(argv[2]));
    if (v === undefined) {
      reply.error(E.NO_SUCH_KEY);
      return;
    }
    const lru = Math.floor(server.now() / 1000) & 0xffffff;
    reply.status(
      `Value at:0x0 refcount:1 encoding:${encodingOf(server, v)} serializedlength:${
        approxSize(v)
      } ` +
        `lru:${lru} lru_seconds_idle:0`,
    );
  } else if (sub === "reload") {
    debugReload(ctx, argv);
  } else if (sub === "set-active-expire" && argc === 3) {
    const n = parseInt64(argv[2]);
    if (n === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    server.activeExpireEnabled = n !== 0;
    reply.ok();
  } else if (sub === "sleep" && argc === 3) {
    const secs = Number.parseFloat(str(argv[2]));
    const ms = Number.isFinite(secs) && secs > 0 ? secs * 1000 : 0;
    if (ms === 0) {
      reply.ok();
      return;
    }
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        reply.ok();
        resolve();
      }, ms)
    );
  } else {
    reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${str(argv[1])}'. Try DEBUG HELP.`,
    );
  }
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB (unless NOSAVE), empty the dataset
 * (unless NOFLUSH) and load the file back. Where Redis kills itself on a key the file and the
 * dataset both hold (NOFLUSH without MERGE), this answers an error and keeps what it loaded.
 */
function debugReload(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply, db } = ctx;
  let merge = false;
  let flush = true;
  let save = true;
  for (let j = 2; j < argv.length; j++) {
    const o = lower(argv[j]);
    if (o === "merge") merge = true;
    else if (o === "noflush") flush = false;
    else if (o === "nosave") save = false;
    else {
      reply.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      return;
    }
  }
  if (save && !server.persistence.saveSync()) {
    reply.error("ERR");
    return;
  }
  let buf: Uint8Array;
  try {
    buf = Deno.readFileSync(server.persistence.path);
  } catch (e) {
    server.log.warning(`Error trying to load the RDB dump: ${(e as Error).message}`);
    reply.error("ERR Error trying to load the RDB dump, check server logs.");
    return;
  }
  if (flush) db.flush();
  try {
    const file = parseRdb(buf, rdbOptions(server.config), (e) => {
      if (e.dbId !== 0) return;
      if (db.dict.has(e.key)) {
        if (!merge) throw new RdbFormatError(`duplicate key '${e.key}' while loading`);
        db.delete(e.key);
      }
      db.addLoaded(e.key, e.value);
      if (e.expireMs !== -1) db.expires.set(e.key, e.expireMs);
    });
    server.scripts.replaceFunctionsFromRdb(file.functions);
  } catch (e) {
    server.log.warning(`Error trying to load the RDB dump: ${(e as Error).message}`);
    reply.error("ERR Error trying to load the RDB dump, check server logs.");
    return;
  }
  server.log.warning("DB reloaded by DEBUG RELOAD");
  reply.ok();
}

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
    reply.error(E.wrongArity("slowlog|get"));
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

/** Approximate bytes used by a key and its value (MEMORY USAGE). */
export function memoryUsage(key: string, v: Value): number {
  const overhead = 56 + key.length;
  if (typeof v === "string" || v instanceof Uint8Array) return overhead + 16 + v.length;
  let n = overhead + 64;
  if (v instanceof Deque) { for (const e of v) n += 16 + e.length; }
  else if (v instanceof Set) { for (const m of v) n += 24 + m.length; }
  else if (v instanceof ZSet) { for (const [m] of v) n += 48 + m.length; }
  else if (v instanceof Stream) n += v.memoryBytes();
  else for (const [f, val] of v) n += 32 + f.length + val.length;
  return n;
}

function memoryUsageCmd(ctx: CommandContext, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  if (argv.length === 5 && lower(argv[3]) === "samples") {
    if (parseInt64(argv[4]) === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
  } else if (argv.length !== 3) {
    reply.error(E.SYNTAX);
    return;
  }
  const key = latin1(argv[2]);
  const v = db.lookup(key);
  if (v === undefined) reply.nil();
  else reply.int(memoryUsage(key, v));
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

const ADMIN: CommandFlag[] = ["admin", "noscript", "loading", "stale"];
const ADMIN_CATS = ["admin", "slow", "dangerous"];

/** A container's HELP subcommand, replying with `lines`. */
function helpCmd(lines: string[], since: string, categories?: string[]): CommandDef {
  return cmd(
    "help",
    2,
    ["loading", "stale"],
    [0, 0, 0],
    (ctx) => replyHelp(ctx, lines),
    S("Show helpful text about the different subcommands", since, categories),
  );
}

const S = (
  summary: string,
  since: string,
  categories: string[] = ["slow"],
): Partial<CommandDef> => ({
  summary,
  since,
  group: "server",
  categories,
});

export const serverCommands: CommandDef[] = [
  cmd(
    "info",
    -1,
    ["loading", "stale"],
    [0, 0, 0],
    info,
    S("Get information and statistics about the server", "1.0.0", ["slow", "dangerous"]),
  ),
  container("config", -2, "A container for server configuration commands", "2.0.0", [
    cmd(
      "get",
      -3,
      ["admin", "noscript", "loading", "stale"],
      [0, 0, 0],
      configGet,
      S("Get the values of configuration parameters", "2.0.0", ADMIN_CATS),
    ),
    cmd(
      "set",
      -4,
      ADMIN,
      [0, 0, 0],
      configSet,
      S("Set configuration parameters to the given values", "2.0.0", ADMIN_CATS),
    ),
    cmd(
      "rewrite",
      2,
      ADMIN,
      [0, 0, 0],
      configRewrite,
      S("Rewrite the configuration file with the in memory configuration", "2.8.0", ADMIN_CATS),
    ),
    cmd(
      "resetstat",
      2,
      ADMIN,
      [0, 0, 0],
      configResetstat,
      S("Reset the stats returned by INFO", "2.0.0", ADMIN_CATS),
    ),
    helpCmd(CONFIG_HELP, "5.0.0"),
  ]),
  {
    ...cmd(
      "command",
      -1,
      ["loading", "stale"],
      [0, 0, 0],
      command,
      S("Get array of Redis command details", "2.8.13", ["slow", "connection"]),
    ),
    subcommands: [
      cmd(
        "count",
        2,
        ["loading", "stale"],
        [0, 0, 0],
        commandCount,
        S("Get total number of Redis commands", "2.8.13", ["slow", "connection"]),
      ),
      cmd(
        "info",
        -2,
        ["loading", "stale"],
        [0, 0, 0],
        commandInfo,
        S(
          "Get array of specific Redis command details, or all when no argument is given.",
          "2.8.13",
          ["slow", "connection"],
        ),
      ),
      cmd(
        "docs",
        -2,
        ["loading", "stale"],
        [0, 0, 0],
        commandDocs,
        S("Get array of specific Redis command documentation", "7.0.0", ["slow", "connection"]),
      ),
      cmd(
        "list",
        -2,
        ["loading", "stale"],
        [0, 0, 0],
        commandList,
        S("Get an array of Redis command names", "7.0.0", ["slow", "connection"]),
      ),
      cmd(
        "getkeys",
        -3,
        ["loading", "stale"],
        [0, 0, 0],
        commandGetkeys,
        S("Extract keys given a full Redis command", "2.8.13", ["slow", "connection"]),
      ),
      helpCmd(COMMAND_HELP, "5.0.0", ["slow", "connection"]),
    ],
  },
  cmd(
    "dbsize",
    1,
    ["readonly", "fast"],
    [0, 0, 0],
    dbsize,
    S("Return the number of keys in the selected database", "1.0.0", ["keyspace", "read", "fast"]),
  ),
  cmd(
    "flushall",
    -1,
    ["write"],
    [0, 0, 0],
    flush,
    S("Remove all keys from all databases", "1.0.0", ["keyspace", "write", "slow", "dangerous"]),
  ),
  cmd(
    "flushdb",
    -1,
    ["write"],
    [0, 0, 0],
    flush,
    S("Remove all keys from the current database", "1.0.0", [
      "keyspace",
      "write",
      "slow",
      "dangerous",
    ]),
  ),
  cmd(
    "time",
    1,
    ["loading", "stale", "fast"],
    [0, 0, 0],
    time,
    S("Return the current server time", "2.6.0", ["fast"]),
  ),
  cmd(
    "lastsave",
    1,
    ["loading", "stale", "fast"],
    [0, 0, 0],
    lastsave,
    S("Get the UNIX time stamp of the last successful save to disk", "1.0.0", [
      "admin",
      "fast",
      "dangerous",
    ]),
  ),
  cmd(
    "save",
    1,
    ["admin", "noscript", "no_async_loading", "no_multi"],
    [0, 0, 0],
    save,
    S("Synchronously save the dataset to disk", "1.0.0", ADMIN_CATS),
  ),
  cmd(
    "bgsave",
    -1,
    ["admin", "noscript", "no_async_loading"],
    [0, 0, 0],
    bgsave,
    S("Asynchronously save the dataset to disk", "1.0.0", ADMIN_CATS),
  ),
  cmd(
    "bgrewriteaof",
    1,
    ["admin", "noscript", "no_async_loading"],
    [0, 0, 0],
    bgrewriteaof,
    S("Asynchronously rewrite the append-only file", "1.0.0", ADMIN_CATS),
  ),
  cmd(
    "debug",
    -2,
    ["admin", "noscript", "loading", "stale"],
    [0, 0, 0],
    debug,
    S("A container for debugging commands", "1.0.0", ADMIN_CATS),
  ),
  cmd(
    "shutdown",
    -1,
    ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    [0, 0, 0],
    shutdown,
    S("Synchronously save the dataset to disk and then shut down the server", "1.0.0", ADMIN_CATS),
  ),
  container("slowlog", -2, "A container for slow log commands", "2.2.12", [
    cmd(
      "get",
      -2,
      ADMIN,
      [0, 0, 0],
      slowlogGet,
      S("Get the slow log's entries", "2.2.12", ADMIN_CATS),
    ),
    cmd(
      "len",
      2,
      ADMIN,
      [0, 0, 0],
      slowlogLen,
      S("Get the slow log's length", "2.2.12", ADMIN_CATS),
    ),
    cmd(
      "reset",
      2,
      ADMIN,
      [0, 0, 0],
      slowlogReset,
      S("Clear all entries from the slow log", "2.2.12", ADMIN_CATS),
    ),
    helpCmd(SLOWLOG_HELP, "6.2.0"),
  ]),
  container("memory", -2, "A container for memory diagnostics commands", "4.0.0", [
    cmd(
      "usage",
      -3,
      ["readonly"],
      [2, 2, 1],
      memoryUsageCmd,
      S("Estimate the memory usage of a key", "4.0.0", ["read", "slow"]),
    ),
    helpCmd(MEMORY_HELP, "4.0.0"),
  ]),
];
