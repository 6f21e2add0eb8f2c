/**
 * Set commands, as Redis 7.0 (t_set.c): SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD,
 * SPOP, SRANDMEMBER, SMOVE, SINTER/SINTERCARD/SINTERSTORE, SUNION/SUNIONSTORE, SDIFF/SDIFFSTORE
 * and SSCAN. Set-valued replies are RESP3 sets (`~`).
 *
 * A set is a MemberSet (keyspace/member_set.ts); an emptied set is deleted. SPOP picks members
 * through a persistent iterator (coll_util.ts), so popping never copies the set.
 */

import { latin1 } from "../protocol/bytes.ts";
import type { SetValue } from "../keyspace/db.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import * as E from "./errors.ts";
import {
  INVALID_CURSOR,
  LONG_MAX,
  lookupOfType,
  NEG_LONG_MAX,
  parsePositiveLong,
  parseRangeLong,
  parseScanCursor,
  parseScanOptions,
  randomDistinct,
  randomKey,
  removeMembers,
  replyScan,
  scanCollection,
} from "./coll_util.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { isKeyword } from "./strings.ts";
import { NOTIFY_GENERIC, NOTIFY_SET } from "../pubsub/notify_flags.ts";
import { scountKeys } from "./key_finders.ts";

/** The set at `key`, undefined when missing, or null after replying WRONGTYPE. */
function getSet(ctx: CommandContext, key: string, read = true): SetValue | undefined | null {
  return lookupOfType<SetValue>(ctx, key, MemberSet, read);
}

/** set-max-intset-entries, read after additions (MemberSet `settle`). */
function intsetMax(ctx: CommandContext): number {
  return ctx.server.config.getNumber("set-max-intset-entries");
}

function sadd(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const db = ctx.db;
  const v = db.lookup(key);
  let s: SetValue;
  if (v === undefined) {
    s = MemberSet.empty();
    for (let i = 2; i < argv.length; i++) s.add(latin1(argv[i]));
    s.settle(intsetMax(ctx));
    db.add(key, s);
    db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "sadd", key);
    ctx.reply.int(s.size);
    return;
  }
  if (!(v instanceof MemberSet)) {
    ctx.reply.error(E.WRONGTYPE);
    return;
  }
  s = v;
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.addBytes(argv[i])) added++;
  if (added > 0) {
    s.settle(intsetMax(ctx));
    db.signalModified(key);
    db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "sadd", key);
  }
  ctx.reply.int(added);
}

function srem(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const s = getSet(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int(removeMembers(ctx.db, key, s, argv, 2, NOTIFY_SET, "srem"));
}

function replySet(ctx: CommandContext, members: Iterable<string>, size: number): void {
  const reply = ctx.reply;
  reply.set(size);
  for (const m of members) reply.bulkBinary(m);
}

function sismember(ctx: CommandContext, argv: Uint8Array[]): void {
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  ctx.reply.int(s !== undefined && s.has(latin1(argv[2])) ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: Uint8Array[]): void {
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  const reply = ctx.reply;
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    reply.int(s !== undefined && s.has(latin1(argv[i])) ? 1 : 0);
  }
}

function scard(ctx: CommandContext, argv: Uint8Array[]): void {
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  ctx.reply.int(s === undefined ? 0 : s.size);
}

function spop(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  if (argv.length === 3) {
    spopWithCount(ctx, argv);
    return;
  } else if (argv.length > 3) {
    reply.error(E.SYNTAX);
    return;
  }
  const key = latin1(argv[1]);
  const s = getSet(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    reply.nil();
    return;
  }
  const m = randomKey(s);
  s.delete(m);
  const db = ctx.db;
  db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "spop", key);
  reply.bulkBinary(m);
  if (s.size === 0) {
    db.delete(key);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
  } else db.signalModified(key);
}

function spopWithCount(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const c = parsePositiveLong(argv[2]);
  if (typeof c === "string") {
    reply.error(c);
    return;
  }
  const key = latin1(argv[1]);
  const s = getSet(ctx, key, false);
  if (s === null) return;
  if (s === undefined || c === 0) {
    reply.set(0);
    return;
  }
  const db = ctx.db;
  // spopWithCountCommand: the event comes before the reply, `del` after it.
  db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "spop", key);
  if (c >= s.size) {
    replySet(ctx, s, s.size);
    db.delete(key);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
    return;
  }
  reply.set(c);
  for (let i = 0; i < c; i++) {
    const m = randomKey(s);
    s.delete(m);
    reply.bulkBinary(m);
  }
  ctx.db.signalModified(key);
}

function srandmember(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  if (argv.length === 3) {
    srandmemberWithCount(ctx, argv);
    return;
  } else if (argv.length > 3) {
    reply.error(E.SYNTAX);
    return;
  }
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  if (s === undefined) reply.nil();
  else reply.bulkBinary(randomKey(s));
}

function srandmemberWithCount(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const l = parseRangeLong(argv[2], NEG_LONG_MAX, LONG_MAX, null);
  if (typeof l === "string") {
    reply.error(l);
    return;
  }
  const uniq = l >= 0;
  const count = Math.abs(l);
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  if (s === undefined || count === 0) {
    reply.array(0);
    return;
  }
  if (!uniq || count === 1) {
    reply.array(count);
    for (let i = 0; i < count; i++) reply.bulkBinary(randomKey(s));
    return;
  }
  // Redis 7.0 answers SRANDMEMBER with an array even in RESP3 (SPOP with a count is a set).
  if (count >= s.size) {
    reply.array(s.size);
    for (const m of s) reply.bulkBinary(m);
    return;
  }
  reply.binaryArray(randomDistinct(s, count));
}

function smove(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const db = ctx.db;
  const srcKey = latin1(argv[1]);
  const dstKey = latin1(argv[2]);
  const src = db.lookup(srcKey);
  const dst = db.lookup(dstKey);
  const m = latin1(argv[3]);
  if (src === undefined) {
    reply.int(0);
    return;
  }
  if (!(src instanceof MemberSet) || (dst !== undefined && !(dst instanceof MemberSet))) {
    reply.error(E.WRONGTYPE);
    return;
  }
  if (src === dst) {
    reply.int(src.has(m) ? 1 : 0);
    return;
  }
  if (!src.delete(m)) {
    reply.int(0);
    return;
  }
  db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "srem", srcKey);
  if (src.size === 0) {
    db.delete(srcKey);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", srcKey);
  } else db.signalModified(srcKey);
  if (dst === undefined) {
    const created = MemberSet.of([m]);
    created.settle(intsetMax(ctx));
    db.add(dstKey, created);
    db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "sadd", dstKey);
  } else if (dst.add(m)) {
    dst.settle(intsetMax(ctx));
    db.signalModified(dstKey);
    db.notifier.notifyKeyspaceEvent(NOTIFY_SET, "sadd", dstKey);
  }
  reply.int(1);
}

/** Look up every key as a set (missing = null); undefined after a WRONGTYPE reply. */
function lookupSets(
  ctx: CommandContext,
  argv: Uint8Array[],
  from: number,
  to: number,
): (SetValue | null)[] | undefined {
  const sets: (SetValue | null)[] = [];
  for (let i = from; i < to; i++) {
    const s = getSet(ctx, latin1(argv[i]));
    if (s === null) return undefined;
    sets.push(s ?? null);
  }
  return sets;
}

/** The intersection, visiting members of the smallest set; stops after `limit` (0 = none). */
function intersect(sets: SetValue[], limit = 0): string[] {
  const sorted = [...sets].sort((a, b) => a.size - b.size);
  const out: string[] = [];
  const [first, ...rest] = sorted;
  outer: for (const m of first) {
    for (const s of rest) if (!s.has(m)) continue outer;
    out.push(m);
    if (limit !== 0 && out.length >= limit) break;
  }
  return out;
}

/**
 * Store `members` at `dst` (replacing it, TTL cleared) or delete it when empty; reply the size.
 * The `event` (sinterstore, sunionstore, sdiffstore) or `del` follows the reply.
 */
function store(ctx: CommandContext, dst: string, members: SetValue, event: string): void {
  const db = ctx.db;
  if (members.size > 0) {
    // Made anew as an intset, converted as its members were added (sinterGenericCommand).
    members.settle(intsetMax(ctx));
    db.set(dst, members);
    ctx.reply.int(members.size);
    db.notifier.notifyKeyspaceEvent(NOTIFY_SET, event, dst);
  } else {
    // dbDelete without a lookup: an expired destination counts as deleted.
    const deleted = db.deleteEvenIfExpired(dst);
    ctx.reply.int(0);
    if (deleted) db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", dst);
  }
}

function sinterGeneric(
  ctx: CommandContext,
  argv: Uint8Array[],
  from: number,
  dst: string | null,
): void {
  const sets = lookupSets(ctx, argv, from, argv.length);
  if (sets === undefined) return;
  if (sets.includes(null)) {
    if (dst !== null) {
      // sinterGenericCommand's early exit: `del` before the reply.
      const db = ctx.db;
      if (db.deleteEvenIfExpired(dst)) db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", dst);
      ctx.reply.int(0);
    } else ctx.reply.set(0);
    return;
  }
  const result = intersect(sets as SetValue[]);
  if (dst !== null) store(ctx, dst, MemberSet.of(result), "sinterstore");
  else replySet(ctx, result, result.length);
}

function sinter(ctx: CommandContext, argv: Uint8Array[]): void {
  sinterGeneric(ctx, argv, 1, null);
}

function smembers(ctx: CommandContext, argv: Uint8Array[]): void {
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  if (s === undefined) ctx.reply.set(0);
  else replySet(ctx, s, s.size);
}

function sinterstore(ctx: CommandContext, argv: Uint8Array[]): void {
  sinterGeneric(ctx, argv, 2, latin1(argv[1]));
}

function sintercard(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const nk = parseRangeLong(argv[1], 1, LONG_MAX, "numkeys should be greater than 0");
  if (typeof nk === "string") {
    reply.error(nk);
    return;
  }
  if (nk > argv.length - 2) {
    reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let j = 2 + nk; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (more && isKeyword(argv[j], "limit")) {
      j++;
      const l = parsePositiveLong(argv[j], "LIMIT can't be negative");
      if (typeof l === "string") {
        reply.error(l);
        return;
      }
      limit = l;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const sets = lookupSets(ctx, argv, 2, 2 + nk);
  if (sets === undefined) return;
  if (sets.includes(null)) {
    reply.int(0);
    return;
  }
  reply.int(intersect(sets as SetValue[], limit).length);
}

function sunionDiff(
  ctx: CommandContext,
  argv: Uint8Array[],
  from: number,
  dst: string | null,
  diff: boolean,
): void {
  const sets = lookupSets(ctx, argv, from, argv.length);
  if (sets === undefined) return;
  let result: SetValue;
  if (!diff) {
    result = MemberSet.empty();
    for (const s of sets) if (s !== null) { for (const m of s) result.add(m); }
  } else {
    const first = sets[0];
    result = MemberSet.empty();
    if (first !== null && !sets.slice(1).includes(first)) {
      const others = sets.slice(1).filter((s): s is SetValue => s !== null && s.size > 0);
      outer: for (const m of first) {
        for (const s of others) if (s.has(m)) continue outer;
        result.add(m);
      }
    }
  }
  if (dst !== null) store(ctx, dst, result, diff ? "sdiffstore" : "sunionstore");
  else {
    // Answered from the set it built, in its order (an intset's is ascending).
    result.settle(intsetMax(ctx));
    replySet(ctx, result, result.size);
  }
}

function sscan(ctx: CommandContext, argv: Uint8Array[]): void {
  const cursor = parseScanCursor(argv[2]);
  if (cursor === null) {
    ctx.reply.error(INVALID_CURSOR);
    return;
  }
  const s = getSet(ctx, latin1(argv[1]));
  if (s === null) return;
  if (s === undefined) {
    replyScan(ctx.reply, 0, []);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === "string") {
    ctx.reply.error(opts);
    return;
  }
  const items: string[] = [];
  const next = scanCollection(s, cursor, opts, (m) => items.push(m));
  replyScan(ctx.reply, next, items);
}

export const setCommands: CommandDef[] = [
  fromTable("sadd", sadd),
  fromTable("srem", srem),
  fromTable("smembers", smembers),
  fromTable("sismember", sismember),
  fromTable("smismember", smismember),
  fromTable("scard", scard),
  fromTable("spop", spop),
  fromTable("srandmember", srandmember),
  fromTable("smove", smove),
  fromTable("sinter", sinter),
  fromTable("sintercard", sintercard, { getKeys: scountKeys }),
  fromTable("sunion", (c, a) => sunionDiff(c, a, 1, null, false)),
  fromTable("sdiff", (c, a) => sunionDiff(c, a, 1, null, true)),
  fromTable("sinterstore", sinterstore),
  fromTable("sunionstore", (c, a) => sunionDiff(c, a, 2, latin1(a[1]), false)),
  fromTable("sdiffstore", (c, a) => sunionDiff(c, a, 2, latin1(a[1]), true)),
  fromTable("sscan", sscan),
];
