/**
 * String commands (Redis 7.0 t_string.c): GET/SET and their variants, counters, ranges, LCS.
 *
 * A value is a binary string or a Uint8Array (keyspace/string_value.ts). SET and the other
 * commands that store an argument store `storedValue(arg)`: a record of the value slab up to 63
 * bytes (keyspace/value_slab.ts; GET and MGET copy it into the reply from there), else a binary
 * string unless large; INCR & co store the number's text. What is written in place or tagged by
 * identity is a Uint8Array: APPEND grows values inside an over-allocated buffer (as sds does),
 * tracked in `growable`: a buffer's current owner view is the only one that may extend into its
 * spare tail, so a view someone else still holds is never changed. Those values also report
 * encoding "raw".
 * The hot commands (GET, SET key value, INCR, MGET, MSET) do no keyword parsing and no
 * allocation beyond the stored value.
 */

import { latin1, parseInt64, parseInt64Big } from "../protocol/bytes.ts";
import { storedValue, valueSlab } from "../keyspace/value_slab.ts";
import type { Db } from "../keyspace/db.ts";
import {
  storedString,
  stringBytes,
  stringToInt64,
  type StringValue,
} from "../keyspace/string_value.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../pubsub/notify_flags.ts";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "./long_double.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const SAFE = Number.MAX_SAFE_INTEGER;

// ---------------------------------------------------------------------------------------------
// Value helpers shared with keys.ts (OBJECT ENCODING, COPY)

/** Buffer -> the view that currently owns its spare capacity (APPEND/SETRANGE results). */
const growable = new WeakMap<ArrayBufferLike, Uint8Array>();

/** Values created without tryObjectEncoding (INCRBYFLOAT): never "int", even if they look so. */
const notIntEncoded = new WeakSet<Uint8Array>();

/** Int-encoded values that are not the shared integer objects (COPY's duplicates). */
const unshared = new WeakSet<Uint8Array>();

/**
 * A copy of a string value that nobody else references, same encoding (COPY's dupStringObject).
 * A binary string is immutable, so it is its own copy, except a shared integer: the duplicate of
 * one is not shared (OBJECT REFCOUNT 1), which only a tagged Uint8Array can say.
 */
export function cloneString(v: StringValue): StringValue {
  if (typeof v === "string") {
    if (!isSharedInteger(v)) return v;
    const c = stringBytes(v);
    unshared.add(c);
    return c;
  }
  if (growable.has(v.buffer)) {
    const c = newGrowable(v.length);
    c.set(v);
    return c;
  }
  const c = v.slice();
  if (notIntEncoded.has(v)) notIntEncoded.add(c);
  unshared.add(c);
  return c;
}

/**
 * OBJECT ENCODING of a string value: "int", "embstr" or "raw" (as tryObjectEncoding). A binary
 * string is never growable nor tagged: its encoding follows from its content and length.
 */
export function stringEncoding(v: StringValue): "int" | "embstr" | "raw" {
  if (typeof v === "string") {
    if (v.length <= 20 && stringToInt64(v) !== null) return "int";
    return v.length <= 44 ? "embstr" : "raw";
  }
  if (growable.has(v.buffer)) return "raw";
  if (v.length <= 20 && !notIntEncoded.has(v) && parseInt64(v) !== null) return "int";
  return v.length <= 44 ? "embstr" : "raw";
}

/** Is the value one Redis would hold as a shared integer (refcount INT_MAX)? */
export function isSharedInteger(v: StringValue): boolean {
  if (v.length > 4) return false;
  if (
    typeof v !== "string" && (growable.has(v.buffer) || notIntEncoded.has(v) || unshared.has(v))
  ) {
    return false;
  }
  const n = stringToInt64(v);
  return n !== null && n >= 0 && n < 10000;
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Case-insensitive keyword test without allocating; `word` is lowercase ASCII. */
export function isKeyword(b: Uint8Array, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** A new buffer of `len` bytes with spare room (sdsMakeRoomFor's greedy growth), registered. */
function newGrowable(len: number): Uint8Array {
  const cap = len < 1024 * 1024 ? Math.max(len * 2, 16) : len + 1024 * 1024;
  const view = new Uint8Array(new ArrayBuffer(cap), 0, len);
  growable.set(view.buffer, view);
  return view;
}

/** A new zeroed string of exactly `len` bytes, encoding "raw" (bitops.c's sdsnewlen results). */
export function newRawString(len: number): Uint8Array {
  const view = new Uint8Array(len);
  growable.set(view.buffer, view);
  return view;
}

/**
 * The string `v` made writable in place and zero-padded to at least `len` bytes, for the bit
 * commands (db.c dbUnshareStringValue, then sdsgrowzero): `v` itself (or a longer view of its
 * buffer) when `v` owns its buffer, else a raw copy. A value SET stored as is may also be held
 * elsewhere (the request, a pending propagation), so it is never changed in place. The result
 * owns its buffer (encoding "raw"); the caller stores it when it is not `v`. A binary string is
 * always copied into a new buffer.
 */
export function writableString(v: StringValue, len: number): Uint8Array {
  const n = Math.max(v.length, len);
  if (typeof v === "string") {
    const nv = newGrowable(n);
    for (let i = 0; i < v.length; i++) nv[i] = v.charCodeAt(i);
    return nv;
  }
  if (growable.get(v.buffer) === v) {
    if (n === v.length) return v;
    if (v.byteOffset + n <= v.buffer.byteLength) {
      const nv = new Uint8Array(v.buffer, v.byteOffset, n);
      nv.fill(0, v.length);
      growable.set(v.buffer, nv);
      return nv;
    }
  }
  const nv = newGrowable(n);
  nv.set(v, 0);
  return nv;
}

/** `v` followed by `add`, extending v's buffer in place when v owns its spare room. */
function appendBytes(v: StringValue, add: Uint8Array): Uint8Array {
  const len = v.length + add.length;
  if (typeof v === "string") {
    const nv = newGrowable(len);
    for (let i = 0; i < v.length; i++) nv[i] = v.charCodeAt(i);
    nv.set(add, v.length);
    return nv;
  }
  if (growable.get(v.buffer) === v && v.byteOffset + len <= v.buffer.byteLength) {
    const nv = new Uint8Array(v.buffer, v.byteOffset, len);
    nv.set(add, v.length);
    growable.set(v.buffer, nv);
    return nv;
  }
  const nv = newGrowable(len);
  nv.set(v, 0);
  nv.set(add, v.length);
  return nv;
}

/** checkStringLength: would a string of `total` bytes exceed proto-max-bulk-len? */
function tooLong(ctx: CommandContext, total: number): boolean {
  if (ctx.client.isMaster) return false;
  if (total > ctx.server.config.getNumber("proto-max-bulk-len")) {
    ctx.reply.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return true;
  }
  return false;
}

/** The string at `key` for a write, undefined when missing, null after a WRONGTYPE reply. */
function stringForWrite(ctx: CommandContext, key: string): StringValue | undefined | null {
  const v = ctx.db.lookup(key);
  if (v === undefined || typeof v === "string" || v instanceof Uint8Array) return v;
  ctx.reply.error(E.WRONGTYPE);
  return null;
}

/** A string value as a bulk reply (a binary string is written without a Uint8Array). */
function replyString(ctx: CommandContext, v: StringValue): void {
  if (typeof v === "string") ctx.reply.bulkBinary(v);
  else ctx.reply.bulk(v);
}

// ---------------------------------------------------------------------------------------------
// Expire arguments

function invalidExpire(cmdName: string): string {
  return `ERR invalid expire time in '${cmdName}' command`;
}

/**
 * getExpireMillisecondsOrReply: the absolute expiry for SET/GETEX/SETEX's time argument, or
 * null after replying with an error.
 */
function expireArgMs(
  ctx: CommandContext,
  arg: Uint8Array,
  unitSeconds: boolean,
  relative: boolean,
  cmdName: string,
): number | null {
  if (arg.length <= 15) {
    const v = parseInt64(arg);
    if (v === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return null;
    }
    if (v <= 0) {
      ctx.reply.error(invalidExpire(cmdName));
      return null;
    }
    let ms = unitSeconds ? v * 1000 : v;
    if (relative) ms += ctx.db.now();
    return ms;
  }
  const big = parseInt64Big(arg);
  if (big === null) {
    ctx.reply.error(E.NOT_INTEGER);
    return null;
  }
  if (big <= 0n || (unitSeconds && big > LLONG_MAX / 1000n)) {
    ctx.reply.error(invalidExpire(cmdName));
    return null;
  }
  let ms = unitSeconds ? big * 1000n : big;
  if (relative) ms += BigInt(ctx.db.now());
  if (ms > LLONG_MAX) {
    ctx.reply.error(invalidExpire(cmdName));
    return null;
  }
  return Number(ms);
}

// ---------------------------------------------------------------------------------------------
// GET / SET family

/** A small value's bytes from the value slab as a bulk reply (GET, MGET). */
function replyFromSlab(reply: CommandContext["reply"], handle: number): void {
  valueSlab.locate(handle);
  reply.bulkRange(valueSlab.located, valueSlab.locatedStart, valueSlab.locatedEnd);
}

function get(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = ctx.db.lookupReadStored(latin1(argv[1]));
  if (v === undefined) ctx.reply.nil();
  else if (typeof v === "number") replyFromSlab(ctx.reply, v);
  else if (typeof v === "string") ctx.reply.bulkBinary(v);
  else if (v instanceof Uint8Array) ctx.reply.bulk(v);
  else ctx.reply.error(E.WRONGTYPE);
}

const F_NX = 1;
const F_XX = 2;
const F_GET = 4;
const F_KEEPTTL = 8;
const F_PERSIST = 16;
const F_EX = 32;
const F_PX = 64;
const F_EXAT = 128;
const F_PXAT = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

interface ExtArgs {
  flags: number;
  expire: Uint8Array | null;
}

/**
 * parseExtendedStringArgumentsOrReply for SET (isSet) and GETEX, from argv[start]. Null after a
 * syntax error reply.
 */
function parseExtended(
  ctx: CommandContext,
  argv: Uint8Array[],
  start: number,
  isSet: boolean,
): ExtArgs | null {
  let flags = 0;
  let expire: Uint8Array | null = null;
  for (let j = start; j < argv.length; j++) {
    const opt = argv[j];
    const hasNext = j < argv.length - 1;
    if (isSet && isKeyword(opt, "nx") && !(flags & F_XX)) flags |= F_NX;
    else if (isSet && isKeyword(opt, "xx") && !(flags & F_NX)) flags |= F_XX;
    else if (isSet && isKeyword(opt, "get")) flags |= F_GET;
    else if (
      isSet && isKeyword(opt, "keepttl") && !(flags & F_PERSIST) && !(flags & F_ANY_EXPIRE)
    ) flags |= F_KEEPTTL;
    else if (
      !isSet && isKeyword(opt, "persist") && !(flags & F_ANY_EXPIRE) && !(flags & F_KEEPTTL)
    ) flags |= F_PERSIST;
    else if (
      isKeyword(opt, "ex") && !(flags & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) &&
      hasNext
    ) {
      flags |= F_EX;
      expire = argv[++j];
    } else if (
      isKeyword(opt, "px") && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) &&
      hasNext
    ) {
      flags |= F_PX;
      expire = argv[++j];
    } else if (
      isKeyword(opt, "exat") && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) &&
      hasNext
    ) {
      flags |= F_EXAT;
      expire = argv[++j];
    } else if (
      isKeyword(opt, "pxat") && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) &&
      hasNext
    ) {
      flags |= F_PXAT;
      expire = argv[++j];
    } else {
      ctx.reply.error(E.SYNTAX);
      return null;
    }
  }
  return { flags, expire };
}

/**
 * setGenericCommand. `whenMs` is the absolute expiry (or -1). Replies OK / nil / the old value
 * (GET flag), or `okReply`/`abortReply` integers for SETNX.
 */
function setGeneric(
  ctx: CommandContext,
  key: string,
  value: Uint8Array,
  flags: number,
  whenMs: number,
): void {
  const db = ctx.db;
  if (flags & F_GET) {
    const old = db.lookupRead(key);
    if (old === undefined) ctx.reply.nil();
    else if (typeof old === "string") ctx.reply.bulkBinary(old);
    else if (old instanceof Uint8Array) ctx.reply.bulk(old);
    else {
      ctx.reply.error(E.WRONGTYPE);
      return;
    }
  }
  // setKey looks the key up first: a logically expired key is deleted, so KEEPTTL keeps nothing.
  if (flags & F_KEEPTTL) db.expireIfNeeded(key);
  if (flags & (F_NX | F_XX)) {
    const found = db.exists(key);
    if (((flags & F_NX) && found) || ((flags & F_XX) && !found)) {
      if (!(flags & F_GET)) ctx.reply.nil();
      return;
    }
  }
  // NX/XX looked the key up already (setGenericCommand's lookupKeyWrite, then setKey with
  // SETKEY_ALREADY_EXIST): one access.
  db.set(
    key,
    storedValue(value),
    (flags & F_KEEPTTL) !== 0 || whenMs !== -1,
    (flags & (F_NX | F_XX)) === 0,
  );
  db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
  if (whenMs !== -1) {
    // setGenericCommand: setExpire even for a time already past (the key expires on access).
    db.setExpireUnchecked(key, whenMs);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "expire", key);
  }
  if (!(flags & F_GET)) ctx.reply.ok();
}

/**
 * The absolute expiry (ms) an EX/PX/EXAT/PXAT option of SET or GETEX asks for, -1 when there is
 * none, or null after an error reply.
 */
function extendedExpireMs(ctx: CommandContext, ext: ExtArgs, name: string): number | null {
  if (ext.expire === null) return -1;
  const f = ext.flags;
  return expireArgMs(ctx, ext.expire, (f & (F_EX | F_EXAT)) !== 0, (f & (F_EX | F_PX)) !== 0, name);
}

function set(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length === 3) {
    const key = latin1(argv[1]);
    ctx.db.set(key, storedValue(argv[2]));
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
    ctx.reply.ok();
    return;
  }
  const ext = parseExtended(ctx, argv, 3, true);
  if (ext === null) return;
  const whenMs = extendedExpireMs(ctx, ext, "set");
  if (whenMs === null) return;
  setGeneric(ctx, latin1(argv[1]), argv[2], ext.flags, whenMs);
}

function setnx(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  if (ctx.db.exists(key)) {
    ctx.reply.int(0);
    return;
  }
  ctx.db.add(key, storedValue(argv[2]));
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
  ctx.reply.int(1);
}

function setexGeneric(
  ctx: CommandContext,
  argv: Uint8Array[],
  seconds: boolean,
  name: string,
): void {
  const whenMs = expireArgMs(ctx, argv[2], seconds, true, name);
  if (whenMs === null) return;
  const key = latin1(argv[1]);
  ctx.db.set(key, storedValue(argv[3]), true);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
  ctx.db.setExpireUnchecked(key, whenMs);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "expire", key);
  ctx.reply.ok();
}

function getset(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const old = ctx.db.lookupRead(key);
  if (old === undefined) ctx.reply.nil();
  else if (typeof old === "string") ctx.reply.bulkBinary(old);
  else if (old instanceof Uint8Array) ctx.reply.bulk(old);
  else {
    ctx.reply.error(E.WRONGTYPE);
    return;
  }
  ctx.db.set(key, storedValue(argv[2]));
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
}

function getdel(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const v = ctx.db.lookupRead(key);
  if (v === undefined) ctx.reply.nil();
  else if (typeof v === "string" || v instanceof Uint8Array) {
    replyString(ctx, v);
    if (ctx.db.delete(key)) ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
  } else ctx.reply.error(E.WRONGTYPE);
}

function getex(ctx: CommandContext, argv: Uint8Array[]): void {
  const ext = parseExtended(ctx, argv, 2, false);
  if (ext === null) return;
  const key = latin1(argv[1]);
  const v = ctx.db.lookupRead(key);
  if (v === undefined) {
    ctx.reply.nil();
    return;
  }
  if (typeof v !== "string" && !(v instanceof Uint8Array)) {
    ctx.reply.error(E.WRONGTYPE);
    return;
  }
  const whenMs = extendedExpireMs(ctx, ext, "getex");
  if (whenMs === null) return;
  replyString(ctx, v);
  const db = ctx.db;
  if (whenMs !== -1) {
    // checkAlreadyExpired (an EXAT/PXAT already past): the key is deleted instead.
    const kept = db.setExpire(key, whenMs);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, kept ? "expire" : "del", key);
  } else if ((ext.flags & F_PERSIST) && db.persist(key)) {
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "persist", key);
  }
}

function mget(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = ctx.db.lookupReadStored(latin1(argv[i]));
    if (typeof v === "number") replyFromSlab(reply, v);
    else if (typeof v === "string") reply.bulkBinary(v);
    else if (v instanceof Uint8Array) reply.bulk(v);
    else reply.nil();
  }
}

function mset(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length % 2 === 0) {
    ctx.reply.error(E.wrongArity("mset"));
    return;
  }
  setPairs(ctx.db, argv);
  ctx.reply.ok();
}

/** msetGenericCommand's writes: each key set, each with its `set` event. */
function setPairs(db: Db, argv: Uint8Array[]): void {
  for (let i = 1; i < argv.length; i += 2) {
    const key = latin1(argv[i]);
    db.set(key, storedValue(argv[i + 1]));
    db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", key);
  }
}

function msetnx(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length % 2 === 0) {
    ctx.reply.error(E.wrongArity("msetnx"));
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    if (ctx.db.exists(latin1(argv[i]))) {
      ctx.reply.int(0);
      return;
    }
  }
  setPairs(ctx.db, argv);
  ctx.reply.int(1);
}

// ---------------------------------------------------------------------------------------------
// Counters

/**
 * incrDecrCommand with a safe-integer increment (number) or any int64 (bigint). One lookup: the
 * key's slot is read and, when it holds a small string value (a binary string or a slab record),
 * replaced there (Db.overwriteSmallAt). The result is stored as its text, a JS string: V8's
 * number-string cache hands out one string per small integer, as Redis shares its integer
 * objects below OBJ_SHARED_INTEGERS (t_string.c incrDecrCommand), so a small counter's new
 * value is no new object. Slab records (one per key) were tried: a CPU profile of `-t incr -P 16
 * -r 100000` then spent 3.6% of the run parsing the records, each INCR's own cache miss, where
 * the shared strings are cached.
 */
function incrDecr(ctx: CommandContext, key: string, incr: number | bigint): void {
  const db = ctx.db;
  const i = db.lookupSlot(key);
  let cur: number | bigint = 0;
  let small = false;
  if (i >= 0) {
    const s = db.storedAt(i);
    let v: StringValue;
    if (typeof s === "number") {
      v = valueSlab.string(s);
      small = true;
    } else if (typeof s === "string") {
      v = s;
      small = true;
    } else if (s instanceof Uint8Array) v = s;
    else {
      ctx.reply.error(E.WRONGTYPE);
      return;
    }
    const n = stringToInt64(v);
    if (n === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return;
    }
    cur = n;
  }
  let result: number | bigint;
  if (typeof cur === "number" && typeof incr === "number") {
    result = cur + incr;
    if (result > SAFE || result < -SAFE) result = BigInt(cur) + BigInt(incr);
  } else result = BigInt(cur) + BigInt(incr);
  if (typeof result === "bigint") {
    if (result > LLONG_MAX || result < LLONG_MIN) {
      ctx.reply.error(E.OVERFLOW);
      return;
    }
  }
  const text = String(result);
  if (i < 0) db.add(key, text);
  else if (small) db.overwriteSmallAt(i, key, text);
  else db.set(key, text, true, false); // dbOverwrite: looked up once already
  db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "incrby", key);
  ctx.reply.int(result);
}

/** The increment argument of INCRBY/DECRBY, or null after an error reply. */
function incrArg(ctx: CommandContext, arg: Uint8Array): number | bigint | null {
  if (arg.length <= 15) {
    const n = parseInt64(arg);
    if (n === null) ctx.reply.error(E.NOT_INTEGER);
    return n;
  }
  const b = parseInt64Big(arg);
  if (b === null) ctx.reply.error(E.NOT_INTEGER);
  return b;
}

function incr(ctx: CommandContext, argv: Uint8Array[]): void {
  incrDecr(ctx, latin1(argv[1]), 1);
}

function decr(ctx: CommandContext, argv: Uint8Array[]): void {
  incrDecr(ctx, latin1(argv[1]), -1);
}

function incrby(ctx: CommandContext, argv: Uint8Array[]): void {
  const n = incrArg(ctx, argv[2]);
  if (n !== null) incrDecr(ctx, latin1(argv[1]), n);
}

function decrby(ctx: CommandContext, argv: Uint8Array[]): void {
  const n = incrArg(ctx, argv[2]);
  if (n === null) return;
  if (n === LLONG_MIN) {
    ctx.reply.error("ERR decrement would overflow");
    return;
  }
  incrDecr(ctx, latin1(argv[1]), typeof n === "number" ? -n : -n);
}

function incrbyfloat(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const v = stringForWrite(ctx, key);
  if (v === null) return;
  const cur = v === undefined
    ? { kind: "finite" as const, neg: false, m: 0n, e: 0 }
    : parseLongDouble(stringBytes(v));
  if (cur === null) {
    ctx.reply.error(E.NOT_FLOAT);
    return;
  }
  const inc = parseLongDouble(argv[2]);
  if (inc === null) {
    ctx.reply.error(E.NOT_FLOAT);
    return;
  }
  const sum = addLongDouble(cur, inc);
  if (sum === null || sum.kind === "inf") {
    ctx.reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const bytes = asciiBytes(formatLongDoubleHuman(sum));
  notIntEncoded.add(bytes);
  if (v === undefined) ctx.db.add(key, bytes);
  else ctx.db.set(key, bytes, true, false); // dbOverwrite: looked up once already
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "incrbyfloat", key);
  ctx.reply.bulk(bytes);
}

// ---------------------------------------------------------------------------------------------
// Lengths and ranges

function append(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const v = stringForWrite(ctx, key);
  if (v === null) return;
  if (v === undefined) {
    ctx.db.add(key, storedString(argv[2]));
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "append", key);
    ctx.reply.int(argv[2].length);
    return;
  }
  if (tooLong(ctx, v.length + argv[2].length)) return;
  const nv = appendBytes(v, argv[2]);
  ctx.db.set(key, nv, true, false); // dbUnshareStringValue: looked up once already
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "append", key);
  ctx.reply.int(nv.length);
}

function strlen(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]));
  if (v === undefined) ctx.reply.int(0);
  else if (typeof v === "string" || v instanceof Uint8Array) ctx.reply.int(v.length);
  else ctx.reply.error(E.WRONGTYPE);
}

/** A 64-bit integer argument as a JS number (exact below 2^53, which is all ranges need). */
function int64Arg(ctx: CommandContext, arg: Uint8Array): number | null {
  const n = parseInt64(arg);
  if (n === null) ctx.reply.error(E.NOT_INTEGER);
  return n;
}

function getrange(ctx: CommandContext, argv: Uint8Array[]): void {
  let start = int64Arg(ctx, argv[2]);
  if (start === null) return;
  let end = int64Arg(ctx, argv[3]);
  if (end === null) return;
  const v = ctx.db.lookupRead(latin1(argv[1]));
  const empty = new Uint8Array(0);
  if (v === undefined) {
    ctx.reply.bulk(empty);
    return;
  }
  if (typeof v !== "string" && !(v instanceof Uint8Array)) {
    ctx.reply.error(E.WRONGTYPE);
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.bulk(empty);
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) ctx.reply.bulk(empty);
  else if (typeof v === "string") ctx.reply.bulkBinary(v.substring(start, end + 1));
  else ctx.reply.bulk(v.subarray(start, end + 1));
}

function setrange(ctx: CommandContext, argv: Uint8Array[]): void {
  const offset = int64Arg(ctx, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    ctx.reply.error("ERR offset is out of range");
    return;
  }
  const key = latin1(argv[1]);
  const value = argv[3];
  const v = stringForWrite(ctx, key);
  if (v === null) return;
  if (v === undefined) {
    if (value.length === 0) {
      ctx.reply.int(0);
      return;
    }
    if (tooLong(ctx, offset + value.length)) return;
    const nv = newGrowable(offset + value.length);
    nv.set(value, offset);
    ctx.db.add(key, nv);
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "setrange", key);
    ctx.reply.int(nv.length);
    return;
  }
  if (value.length === 0) {
    ctx.reply.int(v.length);
    return;
  }
  if (tooLong(ctx, offset + value.length)) return;
  const nv = newGrowable(Math.max(v.length, offset + value.length));
  if (typeof v === "string") { for (let i = 0; i < v.length; i++) nv[i] = v.charCodeAt(i); }
  else nv.set(v, 0);
  nv.set(value, offset);
  ctx.db.set(key, nv, true, false); // dbUnshareStringValue: looked up once already
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "setrange", key);
  ctx.reply.int(nv.length);
}

// ---------------------------------------------------------------------------------------------
// LCS

function lcs(ctx: CommandContext, argv: Uint8Array[]): void {
  const db: Db = ctx.db;
  const oa = db.lookupRead(latin1(argv[1]));
  const ob = db.lookupRead(latin1(argv[2]));
  if (
    (oa !== undefined && typeof oa !== "string" && !(oa instanceof Uint8Array)) ||
    (ob !== undefined && typeof ob !== "string" && !(ob instanceof Uint8Array))
  ) {
    ctx.reply.error("ERR The specified keys must contain string values");
    return;
  }
  const a = oa === undefined ? new Uint8Array(0) : stringBytes(oa as StringValue);
  const b = ob === undefined ? new Uint8Array(0) : stringBytes(ob as StringValue);
  let getidx = false;
  let getlen = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const moreargs = argv.length - 1 - j;
    if (isKeyword(opt, "idx")) getidx = true;
    else if (isKeyword(opt, "len")) getlen = true;
    else if (isKeyword(opt, "withmatchlen")) withmatchlen = true;
    else if (isKeyword(opt, "minmatchlen") && moreargs > 0) {
      const n = int64Arg(ctx, argv[j + 1]);
      if (n === null) return;
      minmatchlen = n < 0 ? 0 : n;
      j++;
    } else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  if (getidx && getlen) {
    ctx.reply.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  const alen = a.length;
  const blen = b.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > ctx.server.config.getNumber("proto-max-bulk-len")) {
    ctx.reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const w = blen + 1;
  const t = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) t[row + j] = t[prev + j - 1] + 1;
      else {
        const l1 = t[row + j - 1];
        const l2 = t[prev + j];
        t[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = t[alen * w + blen];
  const computelcs = getidx || !getlen;
  if (!computelcs) {
    ctx.reply.int(total);
    return;
  }
  const result = new Uint8Array(total);
  const matches: number[][] = [];
  let idx = total;
  let i = alen;
  let j = blen;
  let aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = t[(i - 1) * w + j];
      const l2 = t[i * w + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minmatchlen === 0 || matchLen >= minmatchlen) {
        matches.push([aStart, aEnd, bStart, bEnd, matchLen]);
      }
      aStart = alen;
    }
  }
  if (!getidx) {
    ctx.reply.bulk(result);
    return;
  }
  const r = ctx.reply;
  r.map(2);
  r.bulkText("matches");
  r.array(matches.length);
  for (const m of matches) {
    r.array(withmatchlen ? 3 : 2);
    r.array(2);
    r.int(m[0]);
    r.int(m[1]);
    r.array(2);
    r.int(m[2]);
    r.int(m[3]);
    if (withmatchlen) r.int(m[4]);
  }
  r.bulkText("len");
  r.int(total);
}

// ---------------------------------------------------------------------------------------------

export const stringCommands: CommandDef[] = [
  fromTable("get", get),
  fromTable("set", set),
  fromTable("setnx", setnx),
  fromTable("setex", (c, a) => setexGeneric(c, a, true, "setex")),
  fromTable("psetex", (c, a) => setexGeneric(c, a, false, "psetex")),
  fromTable("getset", getset),
  fromTable("getdel", getdel),
  fromTable("getex", getex),
  fromTable("mget", mget),
  fromTable("mset", mset),
  fromTable("msetnx", msetnx),
  fromTable("incr", incr),
  fromTable("decr", decr),
  fromTable("incrby", incrby),
  fromTable("decrby", decrby),
  fromTable("incrbyfloat", incrbyfloat),
  fromTable("append", append),
  fromTable("strlen", strlen),
  fromTable("getrange", getrange),
  fromTable("substr", getrange),
  fromTable("setrange", setrange),
  fromTable("lcs", lcs),
];
