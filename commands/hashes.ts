/**
 * Hash commands, as Redis 7.0 (t_hash.c): HSET/HMSET/HSETNX, HGET/HMGET, HDEL, HLEN, HSTRLEN,
 * HEXISTS, HGETALL (a map in RESP3), HKEYS, HVALS, HINCRBY, HINCRBYFLOAT (x87 long double
 * arithmetic, as Redis prints it), HRANDFIELD and HSCAN.
 *
 * A hash is a keyspace/hash.ts Hash: packed in one string while Redis keeps a listpack, a Map of
 * field (binary string) to value after; every change converts it past hash-max-listpack-entries /
 * -value, as hashTypeTryConversion and hashTypeSet do. An emptied hash is deleted.
 */

import { latin1, parseInt64Big, utf8 } from "../protocol/bytes.ts";
import {
  storedString,
  stringBytes,
  stringToInt64,
  type StringValue,
} from "../keyspace/string_value.ts";
import type { Reply } from "../protocol/reply.ts";
import type { HashValue } from "../keyspace/db.ts";
import { Hash, type HashLimits, LOCATED, located } from "../keyspace/hash.ts";
import * as E from "./errors.ts";
import {
  INVALID_CURSOR,
  LONG_MAX,
  lookupOfType,
  NEG_LONG_MAX,
  parseRangeLong,
  parseScanCursor,
  parseScanOptions,
  randomDistinct,
  randomKey,
  removeMembers,
  replyScan,
  scanCollection,
} from "./coll_util.ts";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "./long_double.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { NOTIFY_HASH } from "../pubsub/notify_flags.ts";

/** A field's value as a bulk string. */
function replyValue(reply: Reply, v: StringValue): void {
  if (typeof v === "string") reply.bulkBinary(v);
  else reply.bulk(v);
}

/** The hash at `key`, undefined when missing, or null after replying WRONGTYPE. */
function getHash(ctx: CommandContext, key: string, read = true): HashValue | undefined | null {
  return lookupOfType<HashValue>(ctx, key, Hash, read);
}

/** hash-max-listpack-entries / -value, read when a change may convert a packed hash. */
function limits(ctx: CommandContext): HashLimits {
  const cfg = ctx.server.config;
  return {
    maxEntries: cfg.getNumber("hash-max-listpack-entries"),
    maxValueBytes: cfg.getNumber("hash-max-listpack-value"),
  };
}

/** Set one field and convert the hash when it outgrew the packed form; true when new. */
function setField(ctx: CommandContext, h: HashValue, f: string, v: StringValue): boolean {
  const created = h.set(f, v);
  if (h.listpack) h.fitAfterSet(limits(ctx), f.length, v.length);
  return created;
}

/** hashTypeLookupWriteOrCreate: the hash, created (and added) when missing; null on WRONGTYPE. */
function getOrCreate(ctx: CommandContext, key: string): HashValue | null {
  const v = ctx.db.lookup(key);
  if (v === undefined) {
    const h = new Hash();
    ctx.db.add(key, h);
    return h;
  }
  if (v instanceof Hash) return v;
  ctx.reply.error(E.WRONGTYPE);
  return null;
}

function hset(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length % 2 === 1) {
    ctx.reply.error(E.wrongArity("hset"));
    return;
  }
  const key = latin1(argv[1]);
  const n = hsetPairs(ctx, key, argv);
  if (n === null) return;
  ctx.reply.int(n);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_HASH, "hset", key);
}

function hmset(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length % 2 === 1) {
    ctx.reply.error(E.wrongArity("hmset"));
    return;
  }
  const key = latin1(argv[1]);
  if (hsetPairs(ctx, key, argv) === null) return;
  ctx.reply.ok();
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_HASH, "hset", key);
}

/** Set field/value pairs from argv[2..]; returns how many fields were created, or null. */
function hsetPairs(ctx: CommandContext, key: string, argv: Uint8Array[]): number | null {
  const db = ctx.db;
  const v = db.lookup(key);
  let h: HashValue;
  let isNew = false;
  if (v === undefined) {
    // Distinct fields within the limits: packed in one pass (hash.ts packedFromArgv).
    const packed = Hash.packedFromArgv(argv, 2, limits(ctx));
    if (packed !== null) {
      db.add(key, packed);
      return packed.size;
    }
    h = new Hash();
    isNew = true;
  } else if (v instanceof Hash) h = v;
  else {
    ctx.reply.error(E.WRONGTYPE);
    return null;
  }
  let created = 0;
  if (h.listpack) {
    // hashTypeTryConversion: any argument past hash-max-listpack-value converts first.
    const lim = limits(ctx);
    for (let i = 2; i < argv.length; i++) {
      if (argv[i].length > lim.maxValueBytes) {
        h.convertToTable();
        break;
      }
    }
    for (let i = 2; i < argv.length; i += 2) {
      if (h.set(latin1(argv[i]), storedString(argv[i + 1]))) created++;
    }
    if (h.listpack) h.fitAfterSet(lim, 0, 0);
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      if (h.setBytes(argv[i], argv[i + 1])) created++;
    }
  }
  if (isNew) db.add(key, h);
  else db.signalModified(key);
  return created;
}

function hsetnx(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const h = getHash(ctx, key, false);
  if (h === null) return;
  const f = latin1(argv[2]);
  if (h !== undefined && h.has(f)) {
    ctx.reply.int(0);
    return;
  }
  if (h === undefined) {
    const created = new Hash();
    setField(ctx, created, f, storedString(argv[3]));
    ctx.db.add(key, created);
  } else {
    setField(ctx, h, f, storedString(argv[3]));
    ctx.db.signalModified(key);
  }
  ctx.reply.int(1);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_HASH, "hset", key);
}

function hget(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  const v = h?.lookupBytes(argv[2]);
  if (v === undefined) ctx.reply.nil();
  else if (v === LOCATED) ctx.reply.bulkRange(located.bytes, located.start, located.end);
  else replyValue(ctx.reply, v);
}

function hmget(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  const reply = ctx.reply;
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = h?.get(latin1(argv[i]));
    if (v === undefined) reply.nil();
    else replyValue(reply, v);
  }
}

function hdel(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const h = getHash(ctx, key, false);
  if (h === null) return;
  if (h === undefined) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int(removeMembers(ctx.db, key, h, argv, 2, NOTIFY_HASH, "hdel"));
}

function hlen(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  ctx.reply.int(h === undefined ? 0 : h.size);
}

function hstrlen(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  ctx.reply.int(h === undefined ? 0 : h.valueLength(latin1(argv[2])));
}

function hexists(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  ctx.reply.int(h !== undefined && h.has(latin1(argv[2])) ? 1 : 0);
}

function hgetall(ctx: CommandContext, argv: Uint8Array[]): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  const reply = ctx.reply;
  if (h === undefined) {
    reply.map(0);
    return;
  }
  reply.map(h.size);
  for (const [f, v] of h) {
    reply.bulkBinary(f);
    replyValue(reply, v);
  }
}

/** HKEYS (`values` false) and HVALS (`values` true). */
function hkeysOrVals(ctx: CommandContext, argv: Uint8Array[], values: boolean): void {
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  const reply = ctx.reply;
  if (h === undefined) {
    reply.array(0);
    return;
  }
  reply.array(h.size);
  if (values) { for (const v of h.values()) replyValue(reply, v); }
  else for (const f of h.keys()) reply.bulkBinary(f);
}

function hkeys(ctx: CommandContext, argv: Uint8Array[]): void {
  hkeysOrVals(ctx, argv, false);
}

function hvals(ctx: CommandContext, argv: Uint8Array[]): void {
  hkeysOrVals(ctx, argv, true);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function hincrby(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const incr = parseInt64Big(argv[3]);
  if (incr === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  const key = latin1(argv[1]);
  const h = getOrCreate(ctx, key);
  if (h === null) return;
  const f = latin1(argv[2]);
  const cur = h.get(f);
  let value = 0n;
  if (cur !== undefined) {
    const p = stringToInt64(cur);
    if (p === null) {
      reply.error("ERR hash value is not an integer");
      return;
    }
    value = BigInt(p);
  }
  const next = value + incr;
  if (next > INT64_MAX || next < INT64_MIN) {
    reply.error(E.OVERFLOW);
    return;
  }
  setField(ctx, h, f, String(next));
  ctx.db.signalModified(key);
  reply.int(next >= -9007199254740991n && next <= 9007199254740991n ? Number(next) : next);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_HASH, "hincrby", key);
}

function hincrbyfloat(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const incr = parseLongDouble(argv[3]);
  if (incr === null) {
    reply.error(E.NOT_FLOAT);
    return;
  }
  if (incr.kind === "inf") {
    reply.error("ERR value is NaN or Infinity");
    return;
  }
  const key = latin1(argv[1]);
  const h = getOrCreate(ctx, key);
  if (h === null) return;
  const f = latin1(argv[2]);
  const cur = h.get(f);
  let value = parseLongDouble(utf8("0"))!;
  if (cur !== undefined) {
    const p = parseLongDouble(stringBytes(cur));
    if (p === null) {
      reply.error("ERR hash value is not a float");
      return;
    }
    value = p;
  }
  const sum = addLongDouble(value, incr);
  if (sum === null || sum.kind === "inf") {
    reply.error("ERR increment would produce NaN or Infinity");
    return;
  }
  const out = formatLongDoubleHuman(sum);
  setField(ctx, h, f, out);
  ctx.db.signalModified(key);
  reply.bulkBinary(out);
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_HASH, "hincrbyfloat", key);
}

function hrandfield(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  if (argv.length >= 3) {
    const l = parseRangeLong(argv[2], NEG_LONG_MAX, LONG_MAX, null);
    if (typeof l === "string") {
      reply.error(l);
      return;
    }
    let withValues = false;
    if (argv.length > 4 || (argv.length === 4 && latin1(argv[3]).toLowerCase() !== "withvalues")) {
      reply.error(E.SYNTAX);
      return;
    } else if (argv.length === 4) {
      withValues = true;
      // C's LONG_MAX/2 is 4611686018427387903 (not representable as a double: compare exactly).
      const big = parseInt64Big(argv[2])!;
      if (big < -4611686018427387903n || big > 4611686018427387903n) {
        reply.error("ERR value is out of range");
        return;
      }
    }
    hrandfieldWithCount(ctx, argv, l, withValues);
    return;
  }
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  if (h === undefined) {
    reply.nil();
    return;
  }
  reply.bulkBinary(randomKey(h));
}

function hrandfieldWithCount(
  ctx: CommandContext,
  argv: Uint8Array[],
  l: number,
  withValues: boolean,
): void {
  const reply = ctx.reply;
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  if (h === undefined) {
    reply.array(0);
    return;
  }
  const uniq = l >= 0;
  const count = Math.abs(l);
  if (count === 0) {
    reply.array(0);
    return;
  }
  const resp3 = reply.proto === 3;
  const emit = (f: string) => {
    if (withValues && resp3) reply.array(2);
    reply.bulkBinary(f);
    if (withValues) replyValue(reply, h.get(f)!);
  };
  if (!uniq || count === 1) {
    reply.array(withValues && !resp3 ? count * 2 : count);
    for (let i = 0; i < count; i++) emit(randomKey(h));
    return;
  }
  const size = h.size;
  const n = Math.min(count, size);
  reply.array(withValues && !resp3 ? n * 2 : n);
  if (count >= size) {
    for (const f of h.keys()) emit(f);
    return;
  }
  for (const f of randomDistinct(h, count)) emit(f);
}

function hscan(ctx: CommandContext, argv: Uint8Array[]): void {
  const cursor = parseScanCursor(argv[2]);
  if (cursor === null) {
    ctx.reply.error(INVALID_CURSOR);
    return;
  }
  const h = getHash(ctx, latin1(argv[1]));
  if (h === null) return;
  if (h === undefined) {
    replyScan(ctx.reply, 0, []);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === "string") {
    ctx.reply.error(opts);
    return;
  }
  const items: (string | Uint8Array)[] = [];
  const next = scanCollection(h, cursor, opts, (f) => {
    items.push(f, h.get(f)!);
  });
  replyScan(ctx.reply, next, items);
}

export const hashCommands: CommandDef[] = [
  fromTable("hset", hset),
  fromTable("hsetnx", hsetnx),
  fromTable("hget", hget),
  fromTable("hmset", hmset),
  fromTable("hmget", hmget),
  fromTable("hdel", hdel),
  fromTable("hlen", hlen),
  fromTable("hstrlen", hstrlen),
  fromTable("hexists", hexists),
  fromTable("hgetall", hgetall),
  fromTable("hkeys", hkeys),
  fromTable("hvals", hvals),
  fromTable("hincrby", hincrby),
  fromTable("hincrbyfloat", hincrbyfloat),
  fromTable("hrandfield", hrandfield),
  fromTable("hscan", hscan),
];
