/**
 * Generic key-space commands (Redis 7.0 db.c, expire.c, object.c): DEL/UNLINK/EXISTS/TYPE,
 * the EXPIRE family with NX/XX/GT/LT, TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST, RENAME(NX),
 * KEYS, SCAN, RANDOMKEY, TOUCH, COPY and OBJECT.
 *
 * Not here: DBSIZE/FLUSHALL/FLUSHDB (commands/server.ts), DUMP/RESTORE/MIGRATE.
 */

import { latin1, parseInt64, parseInt64Big, str } from "../protocol/bytes.ts";
import { Deque } from "../keyspace/deque.ts";
import { type Db, typeName, type Value } from "../keyspace/db.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { Stream } from "../keyspace/stream.ts";
import { globMatch } from "../keyspace/glob.ts";
import { isStringValue } from "../keyspace/string_value.ts";
import { cloneString, isKeyword, isSharedInteger, stringEncoding } from "./strings.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { INVALID_CURSOR, parseScanCursor, parseScanOptions } from "./coll_util.ts";
import type { ConfigPort, DatabasesPort } from "../server/server_ports.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";
import { idleMs, lfuDecrAndReturn } from "../keyspace/lru.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort & DatabasesPort>;

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

// ---------------------------------------------------------------------------------------------
// DEL / EXISTS / TYPE / TOUCH

/** delGenericCommand (DEL and UNLINK). */
function del(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = latin1(argv[i]);
    if (db.delete(key)) {
      db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
      n++;
    }
  }
  ctx.reply.int(n);
}

/** EXISTS (LOOKUP_NOTOUCH) and TOUCH (an access for the LRU/LFU clock). */
function exists(ctx: Ctx, argv: Uint8Array[], touch = false): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.db.lookupRead(latin1(argv[i]), touch) !== undefined) n++;
  }
  ctx.reply.int(n);
}

function type(ctx: Ctx, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]), false);
  ctx.reply.status(v === undefined ? "none" : typeName(v));
}

// ---------------------------------------------------------------------------------------------
// EXPIRE family

function invalidExpire(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

/** expireGenericCommand: `basetimeMs` is now for relative forms, 0 for the *AT forms. */
function expireGeneric(
  ctx: Ctx,
  argv: Uint8Array[],
  basetimeMs: number,
  unitSeconds: boolean,
  name: string,
): void {
  let nx = false, xx = false, gt = false, lt = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isKeyword(opt, "nx")) nx = true;
    else if (isKeyword(opt, "xx")) xx = true;
    else if (isKeyword(opt, "gt")) gt = true;
    else if (isKeyword(opt, "lt")) lt = true;
    else {
      ctx.reply.error(`ERR Unsupported option ${str(opt)}`);
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    ctx.reply.error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  let when: number;
  const arg = argv[2];
  if (arg.length <= 15) {
    const v = parseInt64(arg);
    if (v === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return;
    }
    when = (unitSeconds ? v * 1000 : v) + basetimeMs;
  } else {
    let w = parseInt64Big(arg);
    if (w === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return;
    }
    if (unitSeconds) {
      if (w > LLONG_MAX / 1000n || w < LLONG_MIN / 1000n) {
        ctx.reply.error(invalidExpire(name));
        return;
      }
      w *= 1000n;
    }
    if (w > LLONG_MAX - BigInt(basetimeMs)) {
      ctx.reply.error(invalidExpire(name));
      return;
    }
    when = Number(w + BigInt(basetimeMs));
  }
  const key = latin1(argv[1]);
  const db = ctx.db;
  if (db.lookup(key) === undefined) {
    ctx.reply.int(0);
    return;
  }
  if (nx || xx || gt || lt) {
    const current = db.getExpire(key);
    if ((nx && current !== -1) || (xx && current === -1)) {
      ctx.reply.int(0);
      return;
    }
    if (gt && (when <= current || current === -1)) {
      ctx.reply.int(0);
      return;
    }
    if (lt && current !== -1 && when >= current) {
      ctx.reply.int(0);
      return;
    }
  }
  // checkAlreadyExpired: a time already past deletes the key (`del`, before the reply).
  if (!db.setExpire(key, when)) {
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
    ctx.reply.int(1);
    return;
  }
  ctx.reply.int(1);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "expire", key);
}

function ttlGeneric(ctx: Ctx, argv: Uint8Array[], ms: boolean, abs: boolean): void {
  const key = latin1(argv[1]);
  const db = ctx.db;
  if (db.lookupRead(key, false) === undefined) {
    ctx.reply.int(-2);
    return;
  }
  const when = db.getExpire(key);
  if (when === -1) {
    ctx.reply.int(-1);
    return;
  }
  let ttl = abs ? when : when - db.now();
  if (ttl < 0) ttl = 0;
  ctx.reply.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(ctx: Ctx, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  if (ctx.db.lookup(key) === undefined) ctx.reply.int(0);
  else if (!ctx.db.persist(key)) ctx.reply.int(0);
  else {
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "persist", key);
    ctx.reply.int(1);
  }
}

// ---------------------------------------------------------------------------------------------
// RENAME / COPY

function renameGeneric(ctx: Ctx, argv: Uint8Array[], nx: boolean): void {
  const src = latin1(argv[1]);
  const dst = latin1(argv[2]);
  const db = ctx.db;
  if (db.lookup(src) === undefined) {
    ctx.reply.error(E.NO_SUCH_KEY);
    return;
  }
  if (src === dst) {
    if (nx) ctx.reply.int(0);
    else ctx.reply.ok();
    return;
  }
  if (db.lookup(dst) !== undefined && nx) {
    ctx.reply.int(0);
    return;
  }
  db.rename(src, dst);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "rename_from", src);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "rename_to", dst);
  if (nx) ctx.reply.int(1);
  else ctx.reply.ok();
}

/** A deep copy of a value (COPY). */
function cloneValue(v: Value): Value | null {
  if (isStringValue(v)) return cloneString(v);
  if (v instanceof Deque) return v.clone(); // listTypeDup: the blocks copied
  if (v instanceof Hash) return v.clone(); // hashTypeDup: same encoding and order
  if (v instanceof MemberSet) return v.clone();
  if (v instanceof Stream) return v.clone(); // streamDup
  if (v instanceof ZSet) {
    return v.clone(); // zsetDup: same encoding, same members and scores
  }
  return null;
}

/**
 * A database index argument (getIntFromObjectOrReply, then selectDb): the database, or the
 * error reply already sent.
 */
function dbArg(ctx: Ctx, arg: Uint8Array): Db | null {
  const n = parseInt64(arg);
  if (n === null) {
    ctx.reply.error(E.NOT_INTEGER);
    return null;
  }
  if (n < -2147483648 || n > 2147483647) {
    ctx.reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return null;
  }
  const db = n >= 0 ? ctx.server.dbs[n] : undefined;
  if (db === undefined) {
    ctx.reply.error("ERR DB index is out of range");
    return null;
  }
  return db;
}

/** COPY source destination [DB destination-db] [REPLACE] (db.c copyCommand). */
function copy(ctx: Ctx, argv: Uint8Array[]): void {
  let replace = false;
  const src = ctx.db;
  let dstDb = ctx.db;
  for (let j = 3; j < argv.length; j++) {
    const additional = argv.length - 1 - j;
    if (isKeyword(argv[j], "replace")) replace = true;
    else if (isKeyword(argv[j], "db") && additional >= 1) {
      const d = dbArg(ctx, argv[j + 1]);
      if (d === null) return;
      dstDb = d;
      j++;
    } else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  if (ctx.server.config.getBool("cluster-enabled") && (src.id !== 0 || dstDb.id !== 0)) {
    ctx.reply.error("ERR Copying to another database is not allowed in cluster mode");
    return;
  }
  const key = latin1(argv[1]);
  const newkey = latin1(argv[2]);
  if (src === dstDb && key === newkey) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const v = src.lookupRead(key);
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const expire = src.getExpire(key);
  let del = false;
  if (dstDb.lookup(newkey) !== undefined) {
    if (!replace) {
      ctx.reply.int(0);
      return;
    }
    del = true;
  }
  const c = cloneValue(v);
  if (c === null) {
    ctx.reply.error("ERR COPY is not supported for this type");
    return;
  }
  if (del) dstDb.delete(newkey);
  dstDb.add(newkey, c);
  if (expire !== -1) dstDb.setExpireUnchecked(newkey, expire);
  dstDb.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "copy_to", newkey);
  ctx.reply.int(1);
}

/** MOVE key db (db.c moveCommand): the value and its TTL go to the other database. */
function move(ctx: Ctx, argv: Uint8Array[]): void {
  if (ctx.server.config.getBool("cluster-enabled")) {
    ctx.reply.error("ERR MOVE is not allowed in cluster mode");
    return;
  }
  const dbid = parseInt64(argv[2]);
  if (dbid === null) {
    ctx.reply.error(E.NOT_INTEGER);
    return;
  }
  if (dbid < -2147483648 || dbid > 2147483647) {
    ctx.reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  const dst = dbid >= 0 ? ctx.server.dbs[dbid] : undefined;
  if (dst === undefined) {
    ctx.reply.error("ERR DB index is out of range");
    return;
  }
  const src = ctx.db;
  if (src === dst) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const key = latin1(argv[1]);
  const v = src.lookup(key);
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.lookup(key) !== undefined) {
    ctx.reply.int(0);
    return;
  }
  dst.add(key, v);
  if (expire !== -1) dst.setExpireUnchecked(key, expire);
  src.deleteEvenIfExpired(key);
  src.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "move_from", key);
  dst.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "move_to", key);
  ctx.reply.int(1);
}

// ---------------------------------------------------------------------------------------------
// KEYS / SCAN / RANDOMKEY

function keys(ctx: Ctx, argv: Uint8Array[]): void {
  const pattern = latin1(argv[1]);
  const all = pattern === "*";
  const db = ctx.db;
  const now = db.now();
  const out: string[] = [];
  for (const k of db.dict.keys()) {
    if (!all && !globMatch(pattern, k)) continue;
    const when = db.expires.get(k);
    if (when !== undefined && when < now) continue; // keyIsExpired: past its time
    out.push(k);
  }
  ctx.reply.binaryArray(out);
}

function scan(ctx: Ctx, argv: Uint8Array[]): void {
  const cursor = parseScanCursor(argv[1]);
  if (cursor === null) {
    ctx.reply.error(INVALID_CURSOR);
    return;
  }
  const opts = parseScanOptions(argv, 2, true);
  if (typeof opts === "string") {
    ctx.reply.error(opts);
    return;
  }
  const { count, pattern, type: typeFilter } = opts;
  const db = ctx.db;
  const found: string[] = [];
  const next = cursor >= 16384n ? 0 : db.scan(Number(cursor), count, (k) => found.push(k));
  const out: string[] = [];
  for (const k of found) {
    if (pattern !== null && !globMatch(pattern, k)) continue;
    const v = db.lookup(k);
    if (v === undefined) continue;
    if (typeFilter !== null && typeName(v) !== typeFilter) continue;
    out.push(k);
  }
  const r = ctx.reply;
  r.array(2);
  r.bulkBinary(String(next));
  r.binaryArray(out);
}

function randomkey(ctx: Ctx, _argv: Uint8Array[]): void {
  const k = ctx.db.randomKey();
  if (k === undefined) ctx.reply.nil();
  else ctx.reply.bulkBinary(k);
}

// ---------------------------------------------------------------------------------------------
// OBJECT

/**
 * OBJECT ENCODING's answer (7.0 encodings). Strings know int/embstr/raw from how they were made
 * (strings.ts); hashes, sets and sorted sets track their own, converted as Redis converts them.
 */
export function encodingOf(v: Value): string {
  if (isStringValue(v)) return stringEncoding(v);
  if (v instanceof Deque) return "quicklist";
  if (v instanceof Hash) return v.listpack ? "listpack" : "hashtable";
  if (v instanceof MemberSet) return v.intset ? "intset" : "hashtable";
  if (v instanceof Stream) return "stream";
  // Sorted sets track their encoding themselves (the zset commands flip it as Redis does).
  return v.encoding;
}

function objectLookup(ctx: Ctx, argv: Uint8Array[]): Value | undefined {
  const v = ctx.db.lookup(latin1(argv[2]), false);
  if (v === undefined) ctx.reply.nil();
  return v;
}

function objectEncoding(ctx: Ctx, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v !== undefined) ctx.reply.bulkText(encodingOf(v));
}

function objectRefcount(ctx: Ctx, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  ctx.reply.int(isStringValue(v) && isSharedInteger(v) ? 2147483647 : 1);
}

function lfuPolicy(ctx: Ctx): boolean {
  return ctx.server.config.getString("maxmemory-policy").includes("lfu");
}

function objectIdletime(ctx: Ctx, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  if (lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  const field = ctx.db.accessField(latin1(argv[2])) ?? 0;
  ctx.reply.int(Math.floor(idleMs(field, ctx.db.now()) / 1000));
}

function objectFreq(ctx: Ctx, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  if (!lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  const field = ctx.db.accessField(latin1(argv[2])) ?? 0;
  ctx.reply.int(lfuDecrAndReturn(field, ctx.db.now(), ctx.db.access.lfuDecayTimeMin));
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

function objectHelp(ctx: Ctx, _argv: Uint8Array[]): void {
  ctx.reply.array(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) ctx.reply.status(line);
}

// ---------------------------------------------------------------------------------------------

export const keyCommands: CommandDef[] = [
  fromTable("del", del),
  fromTable("unlink", del),
  fromTable("exists", exists),
  fromTable("type", type),
  fromTable("touch", (c, a) => exists(c, a, true)),
  fromTable("expire", (c, a) => expireGeneric(c, a, c.db.now(), true, "expire")),
  fromTable("pexpire", (c, a) => expireGeneric(c, a, c.db.now(), false, "pexpire")),
  fromTable("expireat", (c, a) => expireGeneric(c, a, 0, true, "expireat")),
  fromTable("pexpireat", (c, a) => expireGeneric(c, a, 0, false, "pexpireat")),
  fromTable("ttl", (c, a) => ttlGeneric(c, a, false, false)),
  fromTable("pttl", (c, a) => ttlGeneric(c, a, true, false)),
  fromTable("expiretime", (c, a) => ttlGeneric(c, a, false, true)),
  fromTable("pexpiretime", (c, a) => ttlGeneric(c, a, true, true)),
  fromTable("persist", persist),
  fromTable("rename", (c, a) => renameGeneric(c, a, false)),
  fromTable("renamenx", (c, a) => renameGeneric(c, a, true)),
  fromTable("copy", copy),
  fromTable("move", move),
  fromTable("keys", keys),
  fromTable("scan", scan),
  fromTable("randomkey", randomkey),
  fromTable("object", undefined, {
    subcommands: [
      fromTable("object|encoding", objectEncoding),
      fromTable("object|freq", objectFreq),
      fromTable("object|idletime", objectIdletime),
      fromTable("object|refcount", objectRefcount),
      fromTable("object|help", objectHelp),
    ],
  }),
];
