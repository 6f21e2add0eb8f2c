/**
 * DEBUG, as Redis 7.0.15's debug.c debugCommand, for the subcommands that mean something here:
 * DIGEST, DIGEST-VALUE, OBJECT, LISTPACK, QUICKLIST, RELOAD, POPULATE, PROTOCOL, SLEEP,
 * SET-ACTIVE-EXPIRE, CHANGE-REPL-ID, CONFIG-REWRITE-FORCE-ALL, DROP-CLUSTER-PACKET-FILTER,
 * PAUSE-CRON, QUICKLIST-PACKED-THRESHOLD, SET-SKIP-CHECKSUM-VALIDATION, STRINGMATCH-TEST, ERROR,
 * LOG, LEAK, PANIC, ASSERT. `DEBUG HELP` lists exactly these.
 *
 * Who may run it: server/dispatch.ts (enable-debug-command, as processCommand's CMD_PROTECTED).
 *
 * Decisions where Redis crashes on purpose: PANIC and ASSERT log Redis's "Guru Meditation" line
 * and end the process with exit code 1 (SEGFAULT, OOM, RESTART and CRASH-AND-RECOVER are not
 * offered: a JavaScript runtime has no such crash, and a restart is the supervisor's job).
 * Subcommands about C internals (SDSLEN, HTSTATS, HTSTATS-KEY, STRUCTSIZE, MALLCTL, MALLCTL-STR,
 * CLIENT-EVICTION, REPLYBUFFER, AOF-FLUSH-SLEEP) answer the unknown-subcommand error, as a
 * Redis built without the feature (e.g. MALLCTL without jemalloc) does.
 */

import { atoi, latin1, lower, parseInt64, str } from "../protocol/bytes.ts";
import { datasetDigestAll, digestHex, valueDigest, ZERO_DIGEST_HEX } from "../keyspace/digest.ts";
import { Deque } from "../keyspace/deque.ts";
import { isStringValue, storedString } from "../keyspace/string_value.ts";
import { idleMs } from "../keyspace/lru.ts";
import { globMatch } from "../keyspace/glob.ts";
import { parseMemory } from "../server/config.ts";
import { lookupNode } from "../cluster/state.ts";
import { rewriteConfigFile } from "../server/config_rewrite_file.ts";
import { createDumpPayload } from "../protocol/rdb_dump.ts";
import { quicklistNodes } from "../protocol/rdb_object.ts";
import { parseRdb } from "../protocol/rdb_file.ts";
import { RdbFormatError } from "../protocol/rdb_buffer.ts";
import type { Value } from "../keyspace/db.ts";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import type {
  AclPort,
  ClockPort,
  ConfigPort,
  DatabasesPort,
  LogPort,
} from "../server/server_ports.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { encodingOf } from "./keys.ts";
import { isSharedInteger } from "./strings.ts";
import { rdbOptions } from "./dump.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type {
  ClusterModePort,
  DebugPort,
  PersistencePort,
  ReplicationRolePort,
  ScriptsHost,
  ServerIdentityPort,
} from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  & AclPort
  & ClockPort
  & ClusterModePort
  & ConfigPort
  & DatabasesPort
  & DebugPort
  & LogPort
  & PersistencePort
  & ReplicationRolePort
  & ScriptsHost
  & ServerIdentityPort
>;

const enc = new TextEncoder();

/** Redis's DEBUG HELP, with only the subcommands this file implements (same order, same text). */
export const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ASSERT",
  "    Crash by assertion failed.",
  "CHANGE-REPL-ID",
  "    Change the replication IDs of the instance.",
  "    Dangerous: should be used only for testing the replication subsystem.",
  "CONFIG-REWRITE-FORCE-ALL",
  "    Like CONFIG REWRITE but writes all configuration options, including",
  "    keywords not listed in original configuration file or default values.",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LEAK <string>",
  "    Create a memory leak of the input string.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "LOADAOF",
  "    Flush the AOF buffers on disk and reload the AOF in memory.",
  "REPLICATE <string>",
  "    Replicates the provided string to replicas, allowing data divergence.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "DROP-CLUSTER-PACKET-FILTER <packet-type>",
  "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
  "PANIC",
  "    Crash the server simulating a panic.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
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
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Sets the threshold for elements to be inserted as plain vs packed nodes",
  "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "STRINGMATCH-TEST",
  "    Run a fuzz tester against the stringmatchlen() function.",
  "LISTPACK <key>",
  "    Show low level info about the listpack encoding of <key>.",
  "QUICKLIST <key> [<0|1>]",
  "    Show low level info about the quicklist encoding of <key>.",
  "    The optional argument (0 by default) sets the level of detail",
  "PAUSE-CRON <0|1>",
  "    Stop periodic cron job processing.",
  "CLUSTERLINK KILL <to|from|all> <node-id>",
  "    Kills the link based on the direction to/from (both) with the provided node.",
  "HELP",
  "    Prints this help.",
];

/** C's strtod over a prefix (0 when none). */
function strtod(b: Uint8Array): number {
  const n = Number.parseFloat(str(b).trim());
  return Number.isNaN(n) ? 0 : n;
}

/** Block the whole process (clients, cluster bus, timers) as Redis's nanosleep does. */
function freezeMs(ms: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    Atomics.wait(cell, 0, 0, left);
  }
}

function unknownSubcommand(ctx: Ctx, sub: Uint8Array): void {
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${str(sub)}'. Try DEBUG HELP.`,
  );
}

/** getPositiveLongFromObjectOrReply: a value >= 0, else Redis's error (null). */
function positiveLong(ctx: Ctx, b: Uint8Array): number | null {
  const n = parseInt64(b);
  if (n === null || n < 0) {
    ctx.reply.error("ERR value is out of range, must be positive");
    return null;
  }
  return Number(n);
}

export function debugCommand(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const { server, reply, db } = ctx;
  const sub = lower(argv[1]);
  const argc = argv.length;
  const knobs = server.debugKnobs;
  switch (argc === 2 ? sub : argc === 3 ? sub + "/1" : sub + "/n") {
    case "help":
      return replyHelp(ctx, DEBUG_HELP);
    case "digest":
      return reply.status(digestHex(datasetDigestAll(server.dbs)));
    case "object/1":
      return debugObject(ctx, latin1(argv[2]));
    case "listpack/1":
    case "quicklist/1":
    case "quicklist/n": {
      if (sub === "quicklist" && argc > 4) break;
      const v = db.peek(latin1(argv[2]));
      if (v === undefined) return reply.error(E.NO_SUCH_KEY);
      const want = sub === "listpack" ? "listpack" : "quicklist";
      if (encodingOf(v) !== want) {
        return reply.error(`ERR Not a ${want} encoded object.`);
      }
      server.log.notice(`DEBUG ${want.toUpperCase()} ${latin1(argv[2])}: ${describe(v)}`);
      return reply.status(
        want === "listpack"
          ? "Listpack structure printed on stdout"
          : "Quicklist structure printed on stdout",
      );
    }
    case "set-active-expire/1":
      server.activeExpireEnabled = atoi(argv[2]) !== 0;
      return reply.ok();
    case "pause-cron/1":
      knobs.pauseCron = atoi(argv[2]) !== 0;
      return reply.ok();
    case "set-skip-checksum-validation/1":
      knobs.skipChecksumValidation = atoi(argv[2]) !== 0;
      return reply.ok();
    case "quicklist-packed-threshold/1": {
      // quicklistisSetPackedThreshold: at most 4GB - 1MB; 0 restores the 1GB default.
      const t = str(argv[2]);
      const n = parseMemory(t);
      if (n === null || n > 2 ** 32 - 2 ** 20) {
        return reply.error(
          "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
        );
      }
      knobs.quicklistPackedThreshold = n === 0 ? 1 << 30 : n;
      return reply.ok();
    }
    case "drop-cluster-packet-filter/1": {
      const n = parseInt64(argv[2]);
      if (n === null) return reply.error(E.NOT_INTEGER);
      knobs.dropClusterPacketType = Number(n);
      if (server.cluster !== null) server.cluster.bus.engine.dropPacketType = Number(n);
      return reply.ok();
    }
    case "config-rewrite-force-all":
      return configRewriteForceAll(ctx);
    case "change-repl-id":
      server.log.warning("Changing replication IDs after receiving DEBUG change-repl-id");
      server.replication.changeReplicationIds();
      return reply.ok();
    case "sleep/1": {
      const ms = strtod(argv[2]) * 1000;
      if (ms > 0) freezeMs(ms);
      return reply.ok();
    }
    case "log/1":
      server.log.warning(`DEBUG LOG: ${latin1(argv[2])}`);
      return reply.ok();
    case "leak/1":
      leaked.push(argv[2].slice());
      return reply.ok();
    case "error/1": {
      // Raw "-<string>\r\n", newlines mapped to spaces; not counted as an error reply.
      const text = latin1(argv[2]).replace(/[\r\n]/g, " ");
      return reply.raw(Uint8Array.from(`-${text}\r\n`, (c) => c.charCodeAt(0)));
    }
    case "stringmatch-test":
      stringmatchFuzz();
      return reply.status("Apparently Redis did not crash: test passed");
    case "protocol/1":
      return debugProtocol(ctx, lower(argv[2]));
    case "panic":
      return crash(server, `DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)}`);
    case "assert":
      return crash(
        server,
        "=== ASSERTION FAILED ===\n==> debug.c debugCommand '1 == 2' is not true",
      );
    case "populate/1":
    case "populate/n":
      if (argc > 5) break;
      return debugPopulate(ctx, argv);
    case "clusterlink/n":
      if (argc !== 5 || lower(argv[2]) !== "kill") break;
      return debugClusterlinkKill(ctx, argv);
    case "replicate/1":
    case "replicate/n":
      server.replication.replicateVerbatim(argv.slice(2));
      return reply.ok();
    case "loadaof":
    case "loadaof/1":
    case "loadaof/n": // debug.c does not check the count
      return server.reloadAof().then((ok) =>
        ok ? reply.ok() : reply.error("ERR Error trying to load the AOF files, check server logs.")
      );
    default:
      if (sub === "digest-value") return debugDigestValue(ctx, argv);
      if (sub === "reload") return debugReload(ctx, argv);
  }
  unknownSubcommand(ctx, argv[1]);
}

/**
 * DEBUG CLUSTERLINK KILL <to|from|all> <node-id>: drop the bus links with a node (debug.c). An
 * unknown direction answers its error and then OK, two replies, as 7.0.15's debugCommand does.
 * The node's own id has no link to free: OK (Redis 7.0.15 dies in freeClusterLink(NULL)).
 */
function debugClusterlinkKill({ server, reply }: Ctx, argv: Uint8Array[]): void {
  const cluster = server.cluster;
  if (cluster === null) {
    return reply.error("ERR Debug option only available for cluster mode enabled setup!");
  }
  const id = str(argv[4]);
  if (lookupNode(cluster.state, id) === undefined) return reply.error(`ERR Unknown node ${id}`);
  const direction = lower(argv[3]);
  if (direction === "to" || direction === "from" || direction === "all") {
    cluster.bus.engine.killLinks(id, direction);
  } else {
    reply.error(`ERR Unknown direction ${str(argv[3])}`);
  }
  reply.ok();
}

/** DEBUG CONFIG-REWRITE-FORCE-ALL: rewriteConfig(server.configfile, 1), every directive written. */
function configRewriteForceAll({ server, reply }: Ctx): void {
  const file = server.config.file;
  // Without a config file Redis's fopen(NULL) fails with EFAULT.
  if (file === null) return reply.error("ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address");
  try {
    rewriteConfigFile(file, server.config, server.acl, true);
  } catch (e) {
    return reply.error(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${(e as Error).message}`);
  }
  reply.ok();
}

/** DEBUG LEAK: kept forever, as the leak it asks for. */
const leaked: Uint8Array[] = [];

/** serverPanic / serverAssert: log the report head and end the process. */
function crash(server: LogPort, what: string): void {
  server.log.warning(`\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===`);
  server.log.warning(
    `------------------------------------------------\n!!! Software Failure. ${what}`,
  );
  server.log.warning(`=== REDIS BUG REPORT END. Make sure to include from START to END. ===`);
  Deno.exit(1);
}

function debugDigestValue(ctx: Ctx, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    // Like Redis: no lookupKey, so logically expired keys still count.
    const key = latin1(argv[j]);
    const v = db.peek(key);
    reply.status(
      v === undefined ? ZERO_DIGEST_HEX : digestHex(valueDigest(v, db.expires.has(key))),
    );
  }
}

/** A short description of a value's nodes (what Redis prints with lpRepr / quicklistRepr). */
function describe(v: Value): string {
  if (v instanceof Deque) return `${v.length} entries`;
  if (v instanceof Hash || v instanceof MemberSet) return `${v.size} entries`;
  return "1 entry";
}

/**
 * DEBUG OBJECT (debug.c): `Value at:<addr> refcount:<n> encoding:<enc> serializedlength:<n>
 * lru:<clock> lru_seconds_idle:<s>`, plus the quicklist fields for lists. The address is a
 * made-up stable number; serializedlength is the value's exact RDB length (rdbSavedObjectLen).
 */
function debugObject(ctx: Ctx, key: string): void {
  const { server, reply, db } = ctx;
  const v = db.peek(key);
  if (v === undefined) return reply.error(E.NO_SUCH_KEY);
  const o = rdbOptions(server.config);
  // createDumpPayload: type byte + object + 2 version bytes + 8 CRC bytes.
  const serialized = createDumpPayload(v, o).length - 11;
  const now = server.now();
  const shared = isStringValue(v) && isSharedInteger(v) && sharedIntegersAllowed(server);
  // A shared integer carries the clock of its creation (the server's start).
  const lru = shared ? Math.floor(server.startTimeMs / 1000) & 0xffffff : db.accessField(key) ?? 0;
  // estimateObjectIdleTime over the raw field, as debug.c does (even under an LFU policy).
  const idleSec = Math.floor(idleMs(lru, now) / 1000);
  let extra = "";
  if (v instanceof Deque) {
    const fill = server.config.getNumber("list-max-listpack-size");
    const nodes = quicklistNodes(v, fill);
    let size = 0;
    for (const n of nodes) size += n.length;
    const avg = nodes.length === 0 ? 0 : v.length / nodes.length;
    const compressed = server.config.getNumber("list-compress-depth") !== 0 ? 1 : 0;
    extra = ` ql_nodes:${nodes.length} ql_avg_node:${avg.toFixed(2)} ql_listpack_max:${fill}` +
      ` ql_compressed:${compressed} ql_uncompressed_size:${size}`;
  }
  const addr = "0x7f" + (0x1000000 + (hashKey(key) & 0xffffff)).toString(16).padStart(10, "0");
  reply.status(
    `Value at:${addr} refcount:${shared ? 2147483647 : 1} encoding:${encodingOf(v)} ` +
      `serializedlength:${serialized} lru:${lru} lru_seconds_idle:${idleSec}${extra}`,
  );
}

/** Shared integers are used unless maxmemory is set with an LRU/LFU policy (server.c). */
function sharedIntegersAllowed(server: ConfigPort): boolean {
  if (server.config.getNumber("maxmemory") === 0) return true;
  const p = server.config.getString("maxmemory-policy");
  return !(p.includes("lru") || p.includes("lfu"));
}

function hashKey(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * DEBUG POPULATE count [prefix] [size] (debug.c): keys `<prefix>:<j>` (the name cut at 127 bytes,
 * as Redis's 128-byte buffer) holding `value:<j>`, or a `size`-byte value starting with it and
 * padded with zero bytes. Existing keys are skipped. Not propagated, no keyspace event, WATCH and
 * tracking see the keys (signalModifiedKey), and the dirty counter does not move.
 */
function debugPopulate(ctx: Ctx, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  const count = positiveLong(ctx, argv[2]);
  if (count === null) return;
  let size = 0;
  if (argv.length === 5) {
    const s = positiveLong(ctx, argv[4]);
    if (s === null) return;
    size = s;
  }
  const prefix = argv.length >= 4 ? latin1(argv[3]) : "key";
  const dirty = db.stats.dirty;
  for (let j = 0; j < count; j++) {
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.lookup(key) !== undefined) continue;
    const text = enc.encode(`value:${j}`);
    let val = text;
    if (size !== 0) {
      val = new Uint8Array(size);
      val.set(text.subarray(0, Math.min(size, text.length)));
    }
    db.addLoaded(key, storedString(val));
  }
  db.stats.dirty = dirty;
  reply.ok();
}

/** DEBUG PROTOCOL <type> (debug.c): one test value of each RESP type. */
function debugProtocol(ctx: Ctx, type: string): void {
  const { reply } = ctx;
  const resp3 = reply.proto === 3;
  const ascii = (s: string) => reply.raw(enc.encode(s));
  switch (type) {
    case "string":
      return reply.bulkText("Hello World");
    case "integer":
      return reply.int(12345);
    case "double":
      return reply.double(3.141);
    case "bignum": {
      const n = "1234567999999999999999999999999999999";
      return resp3 ? ascii(`(${n}\r\n`) : reply.bulkText(n);
    }
    case "null":
      return reply.nil();
    case "array":
    case "set":
      if (type === "set") reply.set(3);
      else reply.array(3);
      for (let j = 0; j < 3; j++) reply.int(j);
      return;
    case "map":
      reply.map(3);
      for (let j = 0; j < 3; j++) {
        reply.int(j);
        reply.bool(j === 1);
      }
      return;
    case "attrib":
      if (resp3) {
        ascii("|1\r\n");
        reply.bulkText("key-popularity");
        reply.array(2);
        reply.bulkText("key:123");
        reply.int(90);
      }
      return reply.bulkText("Some real reply following the attribute");
    case "push":
      if (!resp3) return reply.error("ERR RESP2 is not supported by this command");
      ascii(">2\r\n");
      reply.bulkText("server-cpu-usage");
      reply.int(42);
      return reply.bulkText("Some real reply following the push reply");
    case "verbatim":
      return reply.verbatim("This is a verbatim\nstring");
    case "true":
      return reply.bool(true);
    case "false":
      return reply.bool(false);
  }
  reply.error(
    "ERR Wrong protocol type name. Please use one of the following: " +
      "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
  );
}

/** stringmatchlen_fuzz_test: random patterns against random strings; must not throw. */
function stringmatchFuzz(): void {
  const chars = "*?[]\\^-abcAB";
  const pick = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += chars[Math.floor(Math.random() * chars.length)];
    return s;
  };
  for (let i = 0; i < 1000; i++) {
    globMatch(pick(Math.floor(Math.random() * 32)), pick(Math.floor(Math.random() * 32)));
  }
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB (unless NOSAVE), empty the dataset
 * (unless NOFLUSH) and load the file back. Where Redis kills itself on a key the file and the
 * dataset both hold (NOFLUSH without MERGE), this answers an error and keeps what it loaded.
 */
function debugReload(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const { server, reply } = ctx;
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
  if (flush) { for (const d of server.dbs) d.flush(); }
  try {
    const file = parseRdb(buf, rdbOptions(server.config), (e) => {
      const db = server.dbs[e.dbId];
      if (db === undefined) return;
      if (db.dict.has(e.key)) {
        if (!merge) throw new RdbFormatError(`duplicate key '${e.key}' while loading`);
        db.delete(e.key);
      }
      db.addLoaded(e.key, e.value, e.idleSec, e.freq);
      if (e.expireMs !== -1) db.expires.set(e.key, e.expireMs);
    });
    // Function libraries and no Lua VM yet (made on first use): the reply once they are loaded.
    const fns = server.scripts.replaceFunctionsFromRdb(file.functions);
    if (fns instanceof Promise) {
      return fns.then(() => reloaded(ctx), (e) => reloadFailed(ctx, e));
    }
  } catch (e) {
    reloadFailed(ctx, e);
    return;
  }
  reloaded(ctx);
}

function reloaded({ server, reply }: Ctx): void {
  server.log.warning("DB reloaded by DEBUG RELOAD");
  reply.ok();
}

function reloadFailed({ server, reply }: Ctx, e: unknown): void {
  server.log.warning(`Error trying to load the RDB dump: ${(e as Error).message}`);
  reply.error("ERR Error trying to load the RDB dump, check server logs.");
}

export const debugCommands: CommandDef[] = [fromTable("debug", debugCommand)];
