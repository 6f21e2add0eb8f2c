/**
 * Sorted-set commands (Redis 7.0 t_zset.c semantics): ZADD family, ranges by rank/score/lex,
 * pops, set algebra (ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD), ZRANDMEMBER, ZSCAN,
 * ZMPOP and the blocking pops. Reply shapes follow Redis for RESP2 and RESP3: scores are doubles
 * (%.17g); in RESP3, member+score results are arrays of [member, score] pairs.
 *
 * Argument parsing rules live in zset_parse.ts; the data structure in keyspace/zset.ts.
 */

import { latin1, parseInt64, parseInt64Big } from "../protocol/bytes.ts";
import { formatDouble17g } from "../protocol/bytes.ts";
import type { Reply } from "../protocol/reply.ts";
import type { LexRange, ScoreRange, ZRange } from "../keyspace/zset.ts";
import { ZSet } from "../keyspace/zset.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { globMatch } from "../keyspace/glob.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { isKeyword } from "./strings.ts";
import {
  INVALID_CURSOR,
  lookupOfType,
  normalizeRange,
  parseScanCursor,
  parseScanOptions,
  replyScan,
} from "./coll_util.ts";
import { parseLexRange, parseScoreRange, parseStrictDouble } from "./zset_parse.ts";
import { mayBlock, parseTimeoutMs, Waiter } from "./blocking.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../pubsub/notify_flags.ts";
import { bzmpopKeys, zsetReadKeys, zsetStoreKeys } from "./key_finders.ts";

const NAN_SCORE = "ERR resulting score is not a number (NaN)";
const NOT_FLOAT_RANGE = "ERR min or max is not a float";
const NOT_LEX_RANGE = "ERR min or max not valid string range item";

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** zset-max-listpack-entries / -value, read when a listpack-encoded zset may change encoding. */
function maxEntries(ctx: CommandContext): number {
  return ctx.server.config.getNumber("zset-max-listpack-entries");
}

function maxValue(ctx: CommandContext): number {
  return ctx.server.config.getNumber("zset-max-listpack-value");
}

/**
 * Add a new member as zsetAdd does: a listpack zset converts to a skip list first when the
 * element would make it too long or is too large; listpack storage turns -0 into 0.
 */
export function zsetInsert(ctx: CommandContext, z: ZSet, member: string, score: number): void {
  if (z.listpack) {
    if (z.size + 1 > maxEntries(ctx) || member.length > maxValue(ctx)) z.convertToSkiplist();
    else if (score === 0) score = 0;
  }
  z.add(member, score);
}

function zsetSetScore(z: ZSet, member: string, score: number): void {
  if (z.listpack && score === 0) score = 0;
  z.update(member, score);
}

/**
 * Remove the key when its zset became empty (a `del` event), else mark it modified. `event`
 * (zrem, zremrangeby*), when given, is notified first.
 */
function afterRemove(ctx: CommandContext, key: string, z: ZSet, event: string | null): void {
  const db = ctx.db;
  if (event !== null) db.notifier.notifyKeyspaceEvent(NOTIFY_ZSET, event, key);
  if (z.size === 0) {
    db.delete(key);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
  } else db.signalModified(key);
}

/** Emit member (+score) replies: RESP2 flat, RESP3 [member, score] pairs when withscores. */
function emitRange(reply: Reply, range: ZRange, withscores: boolean): void {
  const { members, scores } = range;
  const resp3 = reply.proto === 3;
  reply.array(withscores && !resp3 ? members.length * 2 : members.length);
  for (let i = 0; i < members.length; i++) {
    if (withscores && resp3) reply.array(2);
    reply.bulkBinary(members[i]);
    if (withscores) reply.double(scores[i]);
  }
}

/** Build a zset for a STORE result and decide its encoding as zsetConvertToListpackIfNeeded. */
function buildStored(
  ctx: CommandContext,
  items: Iterable<[string, number]>,
  count: number,
  maxLen: number,
): ZSet {
  const listpack = count <= maxEntries(ctx) && maxLen <= maxValue(ctx);
  const z = new ZSet(listpack);
  for (const [m, s] of items) z.add(m, listpack && s === 0 ? 0 : s);
  return z;
}

/**
 * Store a result (non-empty) or delete the destination (empty); reply with the size, then
 * notify `event` (zunionstore, zinterstore, zdiffstore, zrangestore) or `del`.
 */
function storeResult(ctx: CommandContext, dst: string, z: ZSet | null, event: string): void {
  const db = ctx.db;
  if (z !== null && z.size > 0) {
    db.set(dst, z);
    ctx.reply.int(z.size);
    db.notifier.notifyKeyspaceEvent(NOTIFY_ZSET, event, dst);
  } else {
    // dbDelete without a lookup: an expired destination counts as deleted.
    const deleted = db.deleteEvenIfExpired(dst);
    ctx.reply.int(0);
    if (deleted) db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", dst);
  }
}

/** getRangeLongFromObjectOrReply(min..LONG_MAX): the value, or null (caller has the text). */
function parseLongAtLeast(b: Uint8Array, min: number): number | null {
  const v = parseInt64(b);
  return v === null || v < min ? null : v;
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY

function zaddGeneric(ctx: CommandContext, argv: Uint8Array[], incrCmd: boolean): void {
  const reply = ctx.reply;
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrCmd;
  let scoreIdx = 2;
  while (!incrCmd && scoreIdx < argv.length) {
    const a = argv[scoreIdx];
    if (isKeyword(a, "nx")) nx = true;
    else if (isKeyword(a, "xx")) xx = true;
    else if (isKeyword(a, "ch")) ch = true;
    else if (isKeyword(a, "incr")) incr = true;
    else if (isKeyword(a, "gt")) gt = true;
    else if (isKeyword(a, "lt")) lt = true;
    else break;
    scoreIdx++;
  }
  let elements = argv.length - scoreIdx;
  if (elements % 2 !== 0 || elements === 0) {
    reply.error(E.SYNTAX);
    return;
  }
  elements /= 2;
  if (nx && xx) {
    reply.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && elements > 1) {
    reply.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  // Parse every score before touching the set: the command runs fully or not at all.
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) {
    const s = parseStrictDouble(argv[scoreIdx + j * 2]);
    if (s === null) {
      reply.error(E.NOT_FLOAT);
      return;
    }
    scores[j] = s;
  }
  const key = latin1(argv[1]);
  let z = lookupOfType(ctx, key, ZSet, false);
  if (z === null) return;
  let added = 0, updated = 0, processed = 0;
  let score = 0;
  const created = z === undefined;
  if (z === undefined) {
    if (xx) {
      if (incr) reply.nil();
      else reply.int(0);
      return;
    }
    // Redis 7.0 creates a listpack unless entries is 0 or the first member is too long; each
    // insert converts it when it would grow too long (no conversion by element count up front).
    z = new ZSet(maxEntries(ctx) !== 0 && argv[scoreIdx + 1].length <= maxValue(ctx));
    ctx.db.add(key, z);
  }
  for (let j = 0; j < elements; j++) {
    const arg = argv[scoreIdx + j * 2 + 1];
    const member = z.storedMember(arg) ?? latin1(arg);
    score = scores[j];
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) {
          reply.error(NAN_SCORE);
          if (added || updated) {
            ctx.db.signalModified(key);
            ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_ZSET, incr ? "zincr" : "zadd", key);
          }
          return;
        }
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      processed++;
      if (score !== cur) {
        zsetSetScore(z, member, score);
        updated++;
      }
    } else if (!xx) {
      zsetInsert(ctx, z, member, score);
      added++;
      processed++;
    }
  }
  if (incr) {
    if (processed) reply.double(score);
    else reply.nil();
  } else {
    reply.int(ch ? added + updated : added);
  }
  if (added || updated) {
    ctx.db.signalModified(key);
    // server.dirty += added + updated (dbAdd and signalModified counted one each).
    ctx.db.stats.dirty += added + updated - 1 - (created ? 1 : 0);
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_ZSET, incr ? "zincr" : "zadd", key);
  }
  if (added && ctx.db.blockingKeys.size !== 0) ctx.db.signalKeyAsReady(key);
}

function zadd(ctx: CommandContext, argv: Uint8Array[]): void {
  zaddGeneric(ctx, argv, false);
}

function zincrby(ctx: CommandContext, argv: Uint8Array[]): void {
  zaddGeneric(ctx, argv, true);
}

// ---------------------------------------------------------------------------------------------
// Simple reads and ZREM

function zrem(ctx: CommandContext, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const z = lookupOfType(ctx, key, ZSet, false);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.int(0);
    return;
  }
  let deleted = 0;
  for (let j = 2; j < argv.length; j++) {
    if (z.remove(latin1(argv[j]))) deleted++;
    if (z.size === 0) break;
  }
  if (deleted) afterRemove(ctx, key, z, "zrem");
  ctx.reply.int(deleted);
}

function zcard(ctx: CommandContext, argv: Uint8Array[]): void {
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  ctx.reply.int(z === undefined ? 0 : z.size);
}

function zscore(ctx: CommandContext, argv: Uint8Array[]): void {
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  const s = z === undefined ? undefined : z.score(latin1(argv[2]));
  if (s === undefined) ctx.reply.nil();
  else ctx.reply.double(s);
}

function zmscore(ctx: CommandContext, argv: Uint8Array[]): void {
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const s = z === undefined ? undefined : z.score(latin1(argv[j]));
    if (s === undefined) ctx.reply.nil();
    else ctx.reply.double(s);
  }
}

function zrankGeneric(ctx: CommandContext, argv: Uint8Array[], rev: boolean): void {
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  if (z === undefined) {
    ctx.reply.nil();
    return;
  }
  const r = z.rank(latin1(argv[2]));
  if (r < 0) ctx.reply.nil();
  else ctx.reply.int(rev ? z.size - 1 - r : r);
}

function zcount(ctx: CommandContext, argv: Uint8Array[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) {
    ctx.reply.error(NOT_FLOAT_RANGE);
    return;
  }
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  ctx.reply.int(z === undefined ? 0 : z.countInScoreRange(range));
}

function zlexcount(ctx: CommandContext, argv: Uint8Array[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) {
    ctx.reply.error(NOT_LEX_RANGE);
    return;
  }
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  ctx.reply.int(z === undefined ? 0 : z.countInLexRange(range));
}

// ---------------------------------------------------------------------------------------------
// Ranges: ZRANGE and its legacy forms, ZRANGESTORE

const RANGE_AUTO = 0, RANGE_RANK = 1, RANGE_SCORE = 2, RANGE_LEX = 3;
const DIR_AUTO = 0, DIR_FORWARD = 1, DIR_REVERSE = 2;

function noElements(): ZRange {
  return { members: [], scores: [] };
}

/** genericZrangebyrankCommand's clamping of start/end, then the elements. */
function rankElements(z: ZSet, start: number, end: number, rev: boolean): ZRange {
  const range = normalizeRange(start, end, z.size);
  return range === null ? noElements() : z.rangeByRank(range[0], range[1], rev);
}

function scoreElements(
  z: ZSet,
  r: ScoreRange,
  offset: number,
  limit: number,
  rev: boolean,
): ZRange {
  if (offset < 0 || (offset > 0 && offset >= z.size)) return noElements();
  return z.rangeByScore(r, offset, limit, rev);
}

function lexElements(z: ZSet, r: LexRange, offset: number, limit: number, rev: boolean): ZRange {
  if (offset < 0 || (offset > 0 && offset >= z.size)) return noElements();
  return z.rangeByLex(r, offset, limit, rev);
}

/** zrangeGenericCommand: argv[argcStart] is the source key; `dst` set for ZRANGESTORE. */
function zrangeGeneric(
  ctx: CommandContext,
  argv: Uint8Array[],
  argcStart: number,
  dst: string | null,
  rangeTypeIn: number,
  directionIn: number,
): void {
  const reply = ctx.reply;
  let rangeType = rangeTypeIn;
  let direction = directionIn;
  let minIdx = argcStart + 1;
  let maxIdx = argcStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argcStart + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (dst === null && isKeyword(a, "withscores")) {
      withscores = true;
    } else if (isKeyword(a, "limit") && left >= 2) {
      const o = parseInt64(argv[j + 1]);
      const l = o === null ? null : parseInt64(argv[j + 2]);
      if (o === null || l === null) {
        reply.error(E.NOT_INTEGER);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === DIR_AUTO && isKeyword(a, "rev")) {
      direction = DIR_REVERSE;
    } else if (rangeType === RANGE_AUTO && isKeyword(a, "bylex")) {
      rangeType = RANGE_LEX;
    } else if (rangeType === RANGE_AUTO && isKeyword(a, "byscore")) {
      rangeType = RANGE_SCORE;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  if (direction === DIR_AUTO) direction = DIR_FORWARD;
  if (rangeType === RANGE_AUTO) rangeType = RANGE_RANK;
  if (limit !== -1 && rangeType === RANGE_RANK) {
    reply.error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
    return;
  }
  if (withscores && rangeType === RANGE_LEX) {
    reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const rev = direction === DIR_REVERSE;
  if (rev && rangeType !== RANGE_RANK) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === RANGE_RANK) {
    const s = parseInt64(argv[minIdx]);
    const e = s === null ? null : parseInt64(argv[maxIdx]);
    if (s === null || e === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    start = s;
    end = e;
  } else if (rangeType === RANGE_SCORE) {
    scoreRange = parseScoreRange(argv[minIdx], argv[maxIdx]);
    if (scoreRange === null) {
      reply.error(NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[minIdx], argv[maxIdx]);
    if (lexRange === null) {
      reply.error(NOT_LEX_RANGE);
      return;
    }
  }
  const key = latin1(argv[argcStart]);
  const z = lookupOfType(ctx, key, ZSet, true);
  if (z === null) return;
  if (z === undefined) {
    if (dst !== null) storeResult(ctx, dst, null, "zrangestore");
    else reply.array(0);
    return;
  }
  let found: ZRange;
  if (rangeType === RANGE_RANK) found = rankElements(z, start, end, rev);
  else if (rangeType === RANGE_SCORE) found = scoreElements(z, scoreRange!, offset, limit, rev);
  else found = lexElements(z, lexRange!, offset, limit, rev);
  if (dst === null) {
    emitRange(reply, found, withscores);
    return;
  }
  // ZRANGESTORE: Redis 7.0 creates the destination as a listpack (zrangeResultBeginStore: a
  // score or lex range's unknown length, -1, is not above zset-max-listpack-entries either) and
  // converts it while adding when it outgrows the listpack.
  const { members, scores } = found;
  let maxLen = 0;
  for (const m of members) if (m.length > maxLen) maxLen = m.length;
  const out = buildStored(
    ctx,
    members.map((m, i): [string, number] => [m, scores[i]]),
    members.length,
    maxLen,
  );
  storeResult(ctx, dst, out, "zrangestore");
}

const zrange = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_AUTO, DIR_AUTO);
const zrangestore = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 2, latin1(argv[1]), RANGE_AUTO, DIR_AUTO);
const zrevrange = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_RANK, DIR_REVERSE);
const zrangebyscore = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_SCORE, DIR_FORWARD);
const zrevrangebyscore = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_SCORE, DIR_REVERSE);
const zrangebylex = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_LEX, DIR_FORWARD);
const zrevrangebylex = (ctx: CommandContext, argv: Uint8Array[]) =>
  zrangeGeneric(ctx, argv, 1, null, RANGE_LEX, DIR_REVERSE);

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*

/** zremrangeGenericCommand's events, by range type. */
const REMRANGE_EVENTS: Record<number, string> = {
  [RANGE_RANK]: "zremrangebyrank",
  [RANGE_SCORE]: "zremrangebyscore",
  [RANGE_LEX]: "zremrangebylex",
};

function zremrangeGeneric(ctx: CommandContext, argv: Uint8Array[], type: number): void {
  const reply = ctx.reply;
  let start = 0, end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (type === RANGE_RANK) {
    const s = parseInt64(argv[2]);
    const e = s === null ? null : parseInt64(argv[3]);
    if (s === null || e === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    start = s;
    end = e;
  } else if (type === RANGE_SCORE) {
    scoreRange = parseScoreRange(argv[2], argv[3]);
    if (scoreRange === null) {
      reply.error(NOT_FLOAT_RANGE);
      return;
    }
  } else {
    lexRange = parseLexRange(argv[2], argv[3]);
    if (lexRange === null) {
      reply.error(NOT_LEX_RANGE);
      return;
    }
  }
  const key = latin1(argv[1]);
  const z = lookupOfType(ctx, key, ZSet, false);
  if (z === null) return;
  if (z === undefined) {
    reply.int(0);
    return;
  }
  let deleted: number;
  if (type === RANGE_RANK) {
    const range = normalizeRange(start, end, z.size);
    if (range === null) {
      reply.int(0);
      return;
    }
    deleted = z.deleteRangeByRank(range[0], range[1]);
  } else if (type === RANGE_SCORE) {
    deleted = z.deleteRangeByScore(scoreRange!);
  } else {
    deleted = z.deleteRangeByLex(lexRange!);
  }
  if (deleted) afterRemove(ctx, key, z, REMRANGE_EVENTS[type]);
  reply.int(deleted);
}

// ---------------------------------------------------------------------------------------------
// Pops: ZPOPMIN/ZPOPMAX, ZMPOP (and the non-waiting half of the blocking forms)

/**
 * genericZpopCommand. Pops from the first non-empty zset among `keys` (a WRONGTYPE key before it
 * is an error). `count` -1 means the single-element form. Returns true when something was
 * popped (or an error/empty reply was written for a present key), false when every key was
 * missing and nothing was written (only when `replyWhenEmpty` is false).
 */
export function zpopGeneric(
  ctx: CommandContext,
  keys: Uint8Array[],
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
  replyWhenEmpty = true,
): boolean {
  const reply = ctx.reply;
  let z: ZSet | null = null;
  let key = "";
  let keyBytes: Uint8Array | null = null;
  for (let i = 0; i < keys.length; i++) {
    key = latin1(keys[i]);
    const found = lookupOfType(ctx, key, ZSet, false);
    if (found === null) return true;
    if (found !== undefined) {
      z = found;
      keyBytes = keys[i];
      break;
    }
  }
  if (z === null) {
    if (!replyWhenEmpty) return false;
    if (nilWhenEmpty) reply.nilArray();
    else reply.array(0);
    return true;
  }
  if (count === 0) {
    reply.array(0);
    return true;
  }
  if (count === -1) count = 1;
  const n = count > z.size ? z.size : count;
  if (!nested && !emitKey) reply.array(n * 2);
  else if (nested && !emitKey) reply.array(n);
  else if (!nested && emitKey) {
    reply.array(n * 2 + 1);
    reply.bulk(keyBytes!);
  } else {
    reply.array(2);
    reply.bulk(keyBytes!);
    reply.array(n);
  }
  for (let i = 0; i < n; i++) {
    const [member, score] = max ? z.popLast()! : z.popFirst()!;
    // genericZpopCommand notifies after the first removal, inside the reply being built.
    if (i === 0) ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", key);
    if (nested) reply.array(2);
    reply.bulkBinary(member);
    reply.double(score);
  }
  afterRemove(ctx, key, z, null);
  return true;
}

function zpopMinMax(ctx: CommandContext, argv: Uint8Array[], max: boolean): void {
  if (argv.length > 3) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const c = parseInt64(argv[2]);
    if (c === null || c < 0) {
      ctx.reply.error(E.NOT_POSITIVE);
      return;
    }
    count = c;
  }
  zpopGeneric(ctx, [argv[1]], max, false, count, ctx.reply.proto === 3 && count !== -1, false);
}

/** Parsed `numkeys key... MIN|MAX [COUNT n]`: keys, direction and count, or an error text. */
export interface MpopArgs {
  keys: Uint8Array[];
  max: boolean;
  count: number;
}

export function parseMpop(argv: Uint8Array[], numkeysIdx: number): MpopArgs | string {
  const numkeys = parseLongAtLeast(argv[numkeysIdx], 1);
  if (numkeys === null) return "ERR numkeys should be greater than 0";
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) return E.SYNTAX;
  let max: boolean;
  if (isKeyword(argv[whereIdx], "min")) max = false;
  else if (isKeyword(argv[whereIdx], "max")) max = true;
  else return E.SYNTAX;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && isKeyword(argv[j], "count") && more > 0) {
      j++;
      const c = parseLongAtLeast(argv[j], 1);
      if (c === null) return "ERR count should be greater than 0";
      count = c;
    } else {
      return E.SYNTAX;
    }
  }
  if (count === -1) count = 1;
  return { keys: argv.slice(numkeysIdx + 1, numkeysIdx + 1 + numkeys), max, count };
}

function zmpop(ctx: CommandContext, argv: Uint8Array[]): void {
  const p = parseMpop(argv, 1);
  if (typeof p === "string") {
    ctx.reply.error(p);
    return;
  }
  zpopGeneric(ctx, p.keys, p.max, true, p.count, true, true);
}

// ---------------------------------------------------------------------------------------------
// Set algebra: ZUNION/ZINTER/ZDIFF, the STORE forms, ZINTERCARD

const OP_UNION = 0, OP_INTER = 1, OP_DIFF = 2;
/** zunionInterDiffGenericCommand's STORE events, by operation. */
const OP_EVENTS = ["zunionstore", "zinterstore", "zdiffstore"];
const AGG_SUM = 0, AGG_MIN = 1, AGG_MAX = 2;

interface Source {
  zset: ZSet | null;
  set: MemberSet | null;
  weight: number;
}

function sourceSize(s: Source): number {
  return s.zset !== null ? s.zset.size : s.set !== null ? s.set.size : 0;
}

/** Score of `member` in a source (sets count as score 1), or undefined. */
function sourceFind(s: Source, member: string): number | undefined {
  if (s.zset !== null) return s.zset.score(member);
  if (s.set !== null) return s.set.has(member) ? 1 : undefined;
  return undefined;
}

/** Visit every (member, score) of a source (zsets from the highest down, as zuiNext does). */
function sourceEach(s: Source, visit: (member: string, score: number) => boolean | void): void {
  if (s.zset !== null) {
    const size = s.zset.size;
    if (size === 0) return;
    const { members, scores } = s.zset.rangeByRank(0, size - 1, true);
    for (let i = 0; i < members.length; i++) if (visit(members[i], scores[i]) === false) return;
  } else if (s.set !== null) {
    for (const m of s.set) if (visit(m, 1) === false) return;
  }
}

function aggregate(target: number, val: number, agg: number): number {
  if (agg === AGG_SUM) {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  if (agg === AGG_MIN) return val < target ? val : target;
  return val > target ? val : target;
}

function zsetOp(
  ctx: CommandContext,
  argv: Uint8Array[],
  dst: string | null,
  numkeysIdx: number,
  op: number,
  cardinalityOnly: boolean,
  fullname: string,
): void {
  const reply = ctx.reply;
  const setnum = parseInt64(argv[numkeysIdx]);
  if (setnum === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (setnum < 1) {
    reply.error(`ERR at least 1 input key is needed for '${fullname}' command`);
    return;
  }
  if (setnum > argv.length - (numkeysIdx + 1)) {
    reply.error(E.SYNTAX);
    return;
  }
  const src: Source[] = new Array(setnum);
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = ctx.db.lookupRead(latin1(argv[j]));
    const s: Source = { zset: null, set: null, weight: 1 };
    if (v !== undefined) {
      if (v instanceof ZSet) s.zset = v;
      else if (v instanceof MemberSet) s.set = v;
      else {
        reply.error(E.WRONGTYPE);
        return;
      }
    }
    src[i] = s;
  }
  let agg = AGG_SUM;
  let withscores = false;
  let limit = 0;
  let remaining = argv.length - j;
  while (remaining > 0) {
    const a = argv[j];
    if (op !== OP_DIFF && !cardinalityOnly && remaining >= setnum + 1 && isKeyword(a, "weights")) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        const w = parseStrictDouble(argv[j]);
        if (w === null) {
          reply.error("ERR weight value is not a float");
          return;
        }
        src[i].weight = w;
      }
    } else if (op !== OP_DIFF && !cardinalityOnly && remaining >= 2 && isKeyword(a, "aggregate")) {
      j++;
      remaining--;
      const v = argv[j];
      if (isKeyword(v, "sum")) agg = AGG_SUM;
      else if (isKeyword(v, "min")) agg = AGG_MIN;
      else if (isKeyword(v, "max")) agg = AGG_MAX;
      else {
        reply.error(E.SYNTAX);
        return;
      }
      j++;
      remaining--;
    } else if (dst === null && !cardinalityOnly && isKeyword(a, "withscores")) {
      j++;
      remaining--;
      withscores = true;
    } else if (cardinalityOnly && remaining >= 2 && isKeyword(a, "limit")) {
      j++;
      remaining--;
      const l = parseInt64(argv[j]);
      if (l === null || l < 0) {
        reply.error("ERR LIMIT can't be negative");
        return;
      }
      limit = l;
      j++;
      remaining--;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  if (op !== OP_DIFF) src.sort((a, b) => sourceSize(a) - sourceSize(b));

  const result = new Map<string, number>();
  let cardinality = 0;
  if (op === OP_INTER) {
    if (sourceSize(src[0]) > 0) {
      const first = src[0];
      sourceEach(first, (member, s0) => {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < setnum; k++) {
          const v = sourceFind(src[k], member);
          if (v === undefined) break;
          score = aggregate(score, v * src[k].weight, agg);
        }
        if (k === setnum) {
          if (cardinalityOnly) {
            cardinality++;
            if (limit && cardinality >= limit) return false;
          } else result.set(member, score);
        }
      });
    }
  } else if (op === OP_UNION) {
    for (const s of src) {
      if (sourceSize(s) === 0) continue;
      sourceEach(s, (member, sc) => {
        let score = s.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(member);
        result.set(member, cur === undefined ? score : aggregate(cur, score, agg));
      });
    }
  } else {
    const first = src[0];
    sourceEach(first, (member, score) => {
      for (let k = 1; k < setnum; k++) if (sourceFind(src[k], member) !== undefined) return;
      result.set(member, score);
    });
  }

  if (cardinalityOnly) {
    reply.int(cardinality);
    return;
  }
  let maxLen = 0;
  for (const m of result.keys()) if (m.length > maxLen) maxLen = m.length;
  if (dst !== null) {
    const z = result.size > 0 ? buildStored(ctx, result, result.size, maxLen) : null;
    storeResult(ctx, dst, z, OP_EVENTS[op]);
    return;
  }
  const z = new ZSet(false);
  for (const [m, s] of result) z.add(m, s);
  const resp3 = reply.proto === 3;
  reply.array(withscores && !resp3 ? z.size * 2 : z.size);
  for (const [m, s] of z) {
    if (withscores && resp3) reply.array(2);
    reply.bulkBinary(m);
    if (withscores) reply.double(s);
  }
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER

const LONG_MAX_HALF = 4611686018427387903n;

function zrandmember(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  if (argv.length === 2) {
    const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
    if (z === null) return;
    if (z === undefined) {
      reply.nil();
      return;
    }
    reply.bulkBinary(z.byRank(Math.floor(Math.random() * z.size))![0]);
    return;
  }
  const big = parseInt64Big(argv[2]);
  if (big === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (big < -9223372036854775807n) {
    reply.error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    return;
  }
  let withscores = false;
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], "withscores"))) {
    reply.error(E.SYNTAX);
    return;
  } else if (argv.length === 4) {
    withscores = true;
    if (big < -LONG_MAX_HALF || big > LONG_MAX_HALF) {
      reply.error("ERR value is out of range");
      return;
    }
  }
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  if (z === undefined) {
    reply.array(0);
    return;
  }
  const uniq = big >= 0n;
  const countBig = uniq ? big : -big;
  if (countBig === 0n) {
    reply.array(0);
    return;
  }
  const size = z.size;
  const resp3 = reply.proto === 3;
  const emit = (member: string, score: number) => {
    if (withscores && resp3) reply.array(2);
    reply.bulkBinary(member);
    if (withscores) reply.double(score);
  };
  const emitRank = (rank: number) => {
    const [member, score] = z.byRank(rank)!;
    emit(member, score);
  };
  // Case 1: repetitions allowed (negative count), or a single element.
  if (!uniq || countBig === 1n) {
    const count = Number(countBig);
    reply.array(withscores && !resp3 ? count * 2 : count);
    if (z.listpack) {
      // A compact zset is read once (byRank would scan it for every pick).
      const { members, scores } = z.rangeByRank(0, size - 1, false);
      for (let i = 0; i < count; i++) {
        const r = Math.floor(Math.random() * size);
        emit(members[r], scores[r]);
      }
    } else {
      for (let i = 0; i < count; i++) emitRank(Math.floor(Math.random() * size));
    }
    return;
  }
  // Case 2: asking for at least the whole set: all of it, in Redis's zset iterator order
  // (from the highest element down).
  if (countBig >= BigInt(size)) {
    reply.array(withscores && !resp3 ? size * 2 : size);
    const { members, scores } = z.rangeByRank(0, size - 1, true);
    for (let i = 0; i < size; i++) emit(members[i], scores[i]);
    return;
  }
  // Cases 3/4: distinct random elements (partial Fisher-Yates over ranks, or sampling).
  const count = Number(countBig);
  reply.array(withscores && !resp3 ? count * 2 : count);
  if (count * 3 > size || z.listpack) {
    const { members, scores } = z.rangeByRank(0, size - 1, false);
    const order: number[] = new Array(size);
    for (let i = 0; i < size; i++) order[i] = i;
    for (let k = 0; k < count; k++) {
      const r = k + Math.floor(Math.random() * (size - k));
      const t = order[k];
      order[k] = order[r];
      order[r] = t;
      emit(members[order[k]], scores[order[k]]);
    }
  } else {
    const picked = new Set<number>();
    while (picked.size < count) {
      const r = Math.floor(Math.random() * size);
      if (picked.has(r)) continue;
      picked.add(r);
      emitRank(r);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ZSCAN

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const TWO63 = 1n << 63n;
const MASK64 = (1n << 64n) - 1n;

/**
 * Cursor for a score: the order-preserving 64-bit image of the double, halved so it stays below
 * 2^63 (Redis 7.0 prints cursors as signed). Monotonic (non-decreasing) in the score, and >= 1
 * for every non-NaN score so that 0 stays "start".
 */
function scoreCursor(score: number): bigint {
  f64[0] = score === 0 ? 0 : score;
  const bits = u64[0];
  const ordered = bits & TWO63 ? ~bits & MASK64 : bits | TWO63;
  return ordered >> 1n;
}

/** Score text as ZSCAN shows it: listpack zsets hold integral scores as integers. */
function scanScore(z: ZSet, s: number): string {
  if (z.listpack && Number.isInteger(s) && Math.abs(s) <= 4611686018427387904) {
    return Math.abs(s) < 2 ** 53 ? String(s === 0 ? 0 : s) : BigInt(s).toString();
  }
  return formatDouble17g(s);
}

function zscan(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const cursor = parseScanCursor(argv[2]);
  if (cursor === null) {
    reply.error(INVALID_CURSOR);
    return;
  }
  const z = lookupOfType(ctx, latin1(argv[1]), ZSet, true);
  if (z === null) return;
  if (z === undefined) {
    replyScan(reply, 0, []);
    return;
  }
  const opts = parseScanOptions(argv, 3);
  if (typeof opts === "string") {
    reply.error(opts);
    return;
  }
  const { count, pattern } = opts;
  const out: string[] = [];
  const visit = (member: string, score: number) => {
    if (pattern !== null && !globMatch(pattern, member, false)) return;
    out.push(member, scanScore(z, score));
  };
  let next = 0n;
  if (z.listpack) {
    // Small zsets (a listpack in Redis) come back whole, with cursor 0.
    for (const [m, s] of z) visit(m, s);
  } else {
    let seen = 0;
    let group = -1n;
    for (const [m, s] of z) {
      const c = scoreCursor(s);
      if (c < cursor) continue;
      // Finish the whole group sharing a cursor value so the next call resumes cleanly.
      if (seen >= count && c !== group) {
        next = c;
        break;
      }
      group = c;
      visit(m, s);
      seen++;
    }
  }
  replyScan(reply, next, out);
}

// ---------------------------------------------------------------------------------------------
// Blocking pops: BZPOPMIN, BZPOPMAX, BZMPOP (waiting through db.blockOnKeys)

/** A client blocked in a zset pop (see blocking.ts). */
class ZsetWaiter extends Waiter {
  constructor(
    ctx: CommandContext,
    private readonly keyArgs: Uint8Array[],
    private readonly max: boolean,
    /** -1: BZPOPMIN/BZPOPMAX form ([key, member, score]); else BZMPOP's count. */
    private readonly count: number,
    timeoutMs: number,
  ) {
    super(ctx, keyArgs.map(latin1), timeoutMs);
  }

  protected tryServe(key: string): boolean {
    const v = this.ctx.db.lookup(key);
    if (!(v instanceof ZSet) || v.size === 0) return false;
    const i = this.keys.indexOf(key);
    const bzmpop = this.count !== -1;
    zpopGeneric(this.ctx, [this.keyArgs[i]], this.max, true, this.count, bzmpop, bzmpop);
    return true;
  }
}

/** blockingGenericZpopCommand: pop at once when a zset has data, else block (not in MULTI). */
function blockingZpop(
  ctx: CommandContext,
  keys: Uint8Array[],
  max: boolean,
  count: number,
  timeoutArg: Uint8Array,
): void | Promise<void> {
  const t = parseTimeoutMs(timeoutArg);
  if (typeof t === "string") {
    ctx.reply.error(t);
    return;
  }
  const bzmpop = count !== -1;
  if (zpopGeneric(ctx, keys, max, true, count, bzmpop, bzmpop, false)) return;
  if (!mayBlock(ctx.client)) {
    ctx.reply.nilArray();
    return;
  }
  return new ZsetWaiter(ctx, keys, max, count, t).block();
}

function bzpop(max: boolean) {
  return (ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> =>
    blockingZpop(ctx, argv.slice(1, argv.length - 1), max, -1, argv[argv.length - 1]);
}

function bzmpop(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  const p = parseMpop(argv, 2);
  if (typeof p === "string") {
    ctx.reply.error(p);
    return;
  }
  return blockingZpop(ctx, p.keys, p.max, p.count, argv[1]);
}

// ---------------------------------------------------------------------------------------------
// The command table (arity, flags, keys, ACL categories: commands/command_docs_table.ts)

const storeKeys = zsetStoreKeys;
const readKeys = zsetReadKeys;

export const zsetCommands: CommandDef[] = [
  fromTable("zadd", zadd),
  fromTable("zincrby", zincrby),
  fromTable("zrem", zrem),
  fromTable("zcard", zcard),
  fromTable("zscore", zscore),
  fromTable("zmscore", zmscore),
  fromTable("zrank", (c, a) => zrankGeneric(c, a, false)),
  fromTable("zrevrank", (c, a) => zrankGeneric(c, a, true)),
  fromTable("zcount", zcount),
  fromTable("zlexcount", zlexcount),
  fromTable("zrange", zrange),
  fromTable("zrangestore", zrangestore),
  fromTable("zrevrange", zrevrange),
  fromTable("zrangebyscore", zrangebyscore),
  fromTable("zrevrangebyscore", zrevrangebyscore),
  fromTable("zrangebylex", zrangebylex),
  fromTable("zrevrangebylex", zrevrangebylex),
  fromTable("zpopmin", (c, a) => zpopMinMax(c, a, false)),
  fromTable("zpopmax", (c, a) => zpopMinMax(c, a, true)),
  fromTable("zremrangebyrank", (c, a) => zremrangeGeneric(c, a, RANGE_RANK)),
  fromTable("zremrangebyscore", (c, a) => zremrangeGeneric(c, a, RANGE_SCORE)),
  fromTable("zremrangebylex", (c, a) => zremrangeGeneric(c, a, RANGE_LEX)),
  fromTable(
    "zunionstore",
    (c, a) => zsetOp(c, a, latin1(a[1]), 2, OP_UNION, false, "zunionstore"),
    { getKeys: storeKeys },
  ),
  fromTable(
    "zinterstore",
    (c, a) => zsetOp(c, a, latin1(a[1]), 2, OP_INTER, false, "zinterstore"),
    { getKeys: storeKeys },
  ),
  fromTable("zdiffstore", (c, a) => zsetOp(c, a, latin1(a[1]), 2, OP_DIFF, false, "zdiffstore"), {
    getKeys: storeKeys,
  }),
  fromTable("zunion", (c, a) => zsetOp(c, a, null, 1, OP_UNION, false, "zunion"), {
    getKeys: readKeys,
  }),
  fromTable("zinter", (c, a) => zsetOp(c, a, null, 1, OP_INTER, false, "zinter"), {
    getKeys: readKeys,
  }),
  fromTable("zdiff", (c, a) => zsetOp(c, a, null, 1, OP_DIFF, false, "zdiff"), {
    getKeys: readKeys,
  }),
  fromTable("zintercard", (c, a) => zsetOp(c, a, null, 1, OP_INTER, true, "zintercard"), {
    getKeys: readKeys,
  }),
  fromTable("zrandmember", zrandmember),
  fromTable("zscan", zscan),
  fromTable("zmpop", zmpop, { getKeys: readKeys }),
  fromTable("bzpopmin", bzpop(false)),
  fromTable("bzpopmax", bzpop(true)),
  fromTable("bzmpop", bzmpop, { getKeys: bzmpopKeys }),
];
