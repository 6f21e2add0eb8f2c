/**
 * Generic key-space commands (Redis 7.0 db.c, expire.c, object.c): DEL/UNLINK/EXISTS/TYPE,
 * the EXPIRE family with NX/XX/GT/LT, TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST, RENAME(NX),
 * KEYS, SCAN, RANDOMKEY, TOUCH, COPY and OBJECT.
 *
 * Not here: DBSIZE/FLUSHALL/FLUSHDB (commands/server.ts), DUMP/RESTORE/MIGRATE.
 */

import { latin1, parseInt64, parseInt64Big, str } from "../protocol/bytes.ts";
import { Deque } from "../keyspace/deque.ts";
import { typeName, type Value } from "../keyspace/db.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Stream } from "../keyspace/stream.ts";
import { globMatch } from "../keyspace/glob.ts";
import { isStringValue } from "../keyspace/string_value.ts";
import { cloneString, isKeyword, isSharedInteger, stringEncoding } from "./strings.ts";
import * as E from "./errors.ts";
import { cmd, type CommandContext, type CommandDef } from "./types.ts";
import { INVALID_CURSOR, parseScanCursor, parseScanOptions } from "./coll_util.ts";
import type { Server } from "../server/server.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

// ---------------------------------------------------------------------------------------------
// DEL / EXISTS / TYPE / TOUCH

/** delGenericCommand (DEL and UNLINK). */
function del(ctx: CommandContext, argv: Uint8Array[]): void {
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

function exists(ctx: CommandContext, argv: Uint8Array[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.lookupRead(latin1(argv[i])) !== undefined) n++;
  ctx.reply.int(n);
}

function type(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]));
  ctx.reply.status(v === undefined ? "none" : typeName(v));
}

// ---------------------------------------------------------------------------------------------
// EXPIRE family

function invalidExpire(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

/** expireGenericCommand: `basetimeMs` is now for relative forms, 0 for the *AT forms. */
function expireGeneric(
  ctx: CommandContext,
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

function ttlGeneric(ctx: CommandContext, argv: Uint8Array[], ms: boolean, abs: boolean): void {
  const key = latin1(argv[1]);
  const db = ctx.db;
  if (db.lookupRead(key) === undefined) {
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

function persist(ctx: CommandContext, argv: Uint8Array[]): void {
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

function renameGeneric(ctx: CommandContext, argv: Uint8Array[], nx: boolean): void {
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
  if (v instanceof Deque) return Deque.from(v.toArray());
  if (v instanceof Map) return new Map(v);
  if (v instanceof Set) return new Set(v);
  if (v instanceof Stream) return v.clone(); // streamDup
  if (v instanceof ZSet) {
    return v.clone(); // zsetDup: same encoding, same members and scores
  }
  return null;
}

function copy(ctx: CommandContext, argv: Uint8Array[]): void {
  let replace = false;
  let dbid = 0;
  for (let j = 3; j < argv.length; j++) {
    const additional = argv.length - 1 - j;
    if (isKeyword(argv[j], "replace")) replace = true;
    else if (isKeyword(argv[j], "db") && additional >= 1) {
      const n = parseInt64(argv[j + 1]);
      if (n === null) {
        ctx.reply.error(E.NOT_INTEGER);
        return;
      }
      dbid = n;
      j++;
    } else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  if (dbid !== 0) {
    if (dbid < 0 || dbid >= ctx.server.config.getNumber("databases")) {
      ctx.reply.error("ERR DB index is out of range");
    } else if (ctx.server.config.getBool("cluster-enabled")) {
      ctx.reply.error("ERR Copying to another database is not allowed in cluster mode");
    } else {
      // Deviation: this server keeps a single keyspace (database 0), as SELECT says.
      ctx.reply.error(
        "ERR COPY to another database is not supported: this server has only database 0",
      );
    }
    return;
  }
  const src = latin1(argv[1]);
  const dst = latin1(argv[2]);
  if (src === dst) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  const db = ctx.db;
  const v = db.lookupRead(src);
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const expire = db.getExpire(src);
  if (db.lookup(dst) !== undefined) {
    if (!replace) {
      ctx.reply.int(0);
      return;
    }
    db.delete(dst);
  }
  const c = cloneValue(v);
  if (c === null) {
    ctx.reply.error("ERR COPY is not supported for this type");
    return;
  }
  db.add(dst, c);
  if (expire !== -1) db.setExpireUnchecked(dst, expire);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "copy_to", dst);
  ctx.reply.int(1);
}

/** MOVE key db: only database 0 exists here, so it can only fail (with Redis's checks first). */
function move(ctx: CommandContext, argv: Uint8Array[]): void {
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
  if (dbid < 0 || dbid >= ctx.server.config.getNumber("databases")) {
    ctx.reply.error("ERR DB index is out of range");
    return;
  }
  if (dbid === 0) {
    ctx.reply.error("ERR source and destination objects are the same");
    return;
  }
  ctx.reply.error("ERR MOVE is not supported: this server has only database 0");
}

// ---------------------------------------------------------------------------------------------
// KEYS / SCAN / RANDOMKEY

function keys(ctx: CommandContext, argv: Uint8Array[]): void {
  const pattern = latin1(argv[1]);
  const all = pattern === "*";
  const db = ctx.db;
  const now = db.now();
  const out: string[] = [];
  for (const k of db.dict.keys()) {
    if (!all && !globMatch(pattern, k)) continue;
    const when = db.expires.get(k);
    if (when !== undefined && when <= now) continue;
    out.push(k);
  }
  ctx.reply.binaryArray(out);
}

function scan(ctx: CommandContext, argv: Uint8Array[]): void {
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

function randomkey(ctx: CommandContext, _argv: Uint8Array[]): void {
  const k = ctx.db.randomKey();
  if (k === undefined) ctx.reply.nil();
  else ctx.reply.bulkBinary(k);
}

// ---------------------------------------------------------------------------------------------
// OBJECT

/** Is a binary string a strict int64 (string2ll), as intset membership requires? */
function isInt64Binary(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i);
  return (n <= 15 ? parseInt64(b) : parseInt64Big(b)) !== null;
}

/**
 * OBJECT ENCODING's answer (7.0 encodings). Strings know int/embstr/raw from how they were made
 * (strings.ts), sorted sets track their own encoding; hashes and sets are judged from their
 * current contents against the *-max-* directives (an approximation: Redis never converts back).
 */
export function encodingOf(server: Server, v: Value): string {
  const cfg = server.config;
  if (isStringValue(v)) return stringEncoding(v);
  if (v instanceof Deque) return "quicklist";
  if (v instanceof Map) {
    if (v.size > cfg.getNumber("hash-max-listpack-entries")) return "hashtable";
    const maxLen = cfg.getNumber("hash-max-listpack-value");
    for (const [f, val] of v) if (f.length > maxLen || val.length > maxLen) return "hashtable";
    return "listpack";
  }
  if (v instanceof Set) {
    if (v.size > cfg.getNumber("set-max-intset-entries")) return "hashtable";
    for (const m of v) if (!isInt64Binary(m)) return "hashtable";
    return "intset";
  }
  if (v instanceof Stream) return "stream";
  // Sorted sets track their encoding themselves (the zset commands flip it as Redis does).
  return v.encoding;
}

function objectLookup(ctx: CommandContext, argv: Uint8Array[]): Value | undefined {
  const v = ctx.db.lookup(latin1(argv[2]));
  if (v === undefined) ctx.reply.nil();
  return v;
}

function objectEncoding(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v !== undefined) ctx.reply.bulkText(encodingOf(ctx.server, v));
}

function objectRefcount(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  ctx.reply.int(isStringValue(v) && isSharedInteger(v) ? 2147483647 : 1);
}

function lfuPolicy(ctx: CommandContext): boolean {
  return ctx.server.config.getString("maxmemory-policy").includes("lfu");
}

function objectIdletime(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  if (lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  ctx.reply.int(0);
}

function objectFreq(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = objectLookup(ctx, argv);
  if (v === undefined) return;
  if (!lfuPolicy(ctx)) {
    ctx.reply.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  // Access frequency is not tracked: answer LFU_INIT_VAL, what a new key reports.
  ctx.reply.int(5);
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

function objectHelp(ctx: CommandContext, _argv: Uint8Array[]): void {
  ctx.reply.array(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) ctx.reply.status(line);
}

const OBJ_READ = { categories: ["keyspace", "read", "slow"] };

const objectCommand: CommandDef = {
  name: "object",
  arity: -2,
  flags: [],
  firstKey: 0,
  lastKey: 0,
  step: 0,
  categories: ["slow"],
  subcommands: [
    cmd("encoding", 3, ["readonly"], [2, 2, 1], objectEncoding, OBJ_READ),
    cmd("freq", 3, ["readonly"], [2, 2, 1], objectFreq, OBJ_READ),
    cmd("idletime", 3, ["readonly"], [2, 2, 1], objectIdletime, OBJ_READ),
    cmd("refcount", 3, ["readonly"], [2, 2, 1], objectRefcount, OBJ_READ),
    cmd("help", 2, ["loading", "stale"], [0, 0, 0], objectHelp, {
      categories: ["keyspace", "slow"],
    }),
  ],
};

// ---------------------------------------------------------------------------------------------

const W_FAST = { categories: ["keyspace", "write", "fast"] };
const W_SLOW = { categories: ["keyspace", "write", "slow"] };
const R_FAST = { categories: ["keyspace", "read", "fast"] };
const R_SLOW = { categories: ["keyspace", "read", "slow"] };

export const keyCommands: CommandDef[] = [
  cmd("del", -2, ["write"], [1, -1, 1], del, W_SLOW),
  cmd("unlink", -2, ["write", "fast"], [1, -1, 1], del, W_FAST),
  cmd("exists", -2, ["readonly", "fast"], [1, -1, 1], exists, R_FAST),
  cmd("type", 2, ["readonly", "fast"], [1, 1, 1], type, R_FAST),
  cmd("touch", -2, ["readonly", "fast"], [1, -1, 1], exists, R_FAST),
  cmd(
    "expire",
    -3,
    ["write", "fast"],
    [1, 1, 1],
    (c, a) => expireGeneric(c, a, c.db.now(), true, "expire"),
    W_FAST,
  ),
  cmd(
    "pexpire",
    -3,
    ["write", "fast"],
    [1, 1, 1],
    (c, a) => expireGeneric(c, a, c.db.now(), false, "pexpire"),
    W_FAST,
  ),
  cmd(
    "expireat",
    -3,
    ["write", "fast"],
    [1, 1, 1],
    (c, a) => expireGeneric(c, a, 0, true, "expireat"),
    W_FAST,
  ),
  cmd(
    "pexpireat",
    -3,
    ["write", "fast"],
    [1, 1, 1],
    (c, a) => expireGeneric(c, a, 0, false, "pexpireat"),
    W_FAST,
  ),
  cmd("ttl", 2, ["readonly", "fast"], [1, 1, 1], (c, a) => ttlGeneric(c, a, false, false), R_FAST),
  cmd("pttl", 2, ["readonly", "fast"], [1, 1, 1], (c, a) => ttlGeneric(c, a, true, false), R_FAST),
  cmd(
    "expiretime",
    2,
    ["readonly", "fast"],
    [1, 1, 1],
    (c, a) => ttlGeneric(c, a, false, true),
    R_FAST,
  ),
  cmd(
    "pexpiretime",
    2,
    ["readonly", "fast"],
    [1, 1, 1],
    (c, a) => ttlGeneric(c, a, true, true),
    R_FAST,
  ),
  cmd("persist", 2, ["write", "fast"], [1, 1, 1], persist, W_FAST),
  cmd("rename", 3, ["write"], [1, 2, 1], (c, a) => renameGeneric(c, a, false), W_SLOW),
  cmd("renamenx", 3, ["write", "fast"], [1, 2, 1], (c, a) => renameGeneric(c, a, true), W_FAST),
  cmd("copy", -3, ["write", "denyoom"], [1, 2, 1], copy, W_SLOW),
  cmd("move", 3, ["write", "fast"], [1, 1, 1], move, W_FAST),
  cmd("keys", 2, ["readonly"], [0, 0, 0], keys, {
    categories: ["keyspace", "read", "slow", "dangerous"],
  }),
  cmd("scan", -2, ["readonly"], [0, 0, 0], scan, R_SLOW),
  cmd("randomkey", 1, ["readonly"], [0, 0, 0], randomkey, R_SLOW),
  objectCommand,
];
