/**
 * List commands, as Redis 7.0 (t_list.c): pushes, pops (with COUNT), ranges, LSET/LREM/LINSERT/
 * LTRIM/LPOS, LMOVE/RPOPLPUSH/LMPOP, and the blocking forms BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP.
 *
 * A list is a Deque (keyspace/deque.ts): its elements packed as bytes in blocks, as Redis's
 * quicklist. Pushes copy the arguments' bytes into the blocks, and replies are written from the
 * blocks in place (`replyPeeked`, ListCursor), so neither keeps nor makes a JS value per element.
 * An emptied list is deleted. Blocking: when no list has data, the handler registers a waiter
 * (blocking.ts) with the keyspace (db.blockOnKeys) and returns a Promise that settles when a push
 * serves it (db.handleReadyKeys, right after the pushing command) or the timeout fires (null
 * array). Inside MULTI/EXEC blocking commands never block.
 */

import { latin1, parseInt64Big } from "../protocol/bytes.ts";
import { isKeyword } from "./strings.ts";
import { Deque, ListCursor } from "../keyspace/deque.ts";
import type { Db } from "../keyspace/db.ts";
import * as E from "./errors.ts";
import {
  LONG_MAX,
  lookupOfType,
  normalizeRange,
  parsePositiveLong,
  parseRangeLong,
} from "./coll_util.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { mayBlock, parseTimeoutMs, Waiter } from "./blocking.ts";
import { mpopKeys } from "./key_finders.ts";
import type { Reply } from "../protocol/reply.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../pubsub/notify_flags.ts";

type List = Deque;
const HEAD = 0;
const TAIL = 1;
type Where = typeof HEAD | typeof TAIL;

/** The list at `key`, undefined when missing, or null after replying WRONGTYPE. */
function getList(ctx: CommandContext, key: string, read = false): List | undefined | null {
  return lookupOfType<List>(ctx, key, Deque, read);
}

/**
 * After removing elements (listElementsRemoved, LREM, LTRIM): the command's `event`, then the
 * key is deleted when empty (a `del` event), else the in-place change is noted.
 */
function afterRemove(db: Db, key: string, list: List, event: string): void {
  db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, event, key);
  if (list.length === 0) {
    db.delete(key);
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
  } else db.signalModified(key);
}

function popEvent(where: Where): string {
  return where === HEAD ? "lpop" : "rpop";
}

function pushEvent(where: Where): string {
  return where === HEAD ? "lpush" : "rpush";
}

/** Remove the element at `where` of a non-empty list; its bytes (their own copy). */
function popWhere(list: List, where: Where): Uint8Array {
  return list.popBytes(where === TAIL)!;
}

/** `buf[pos, pos + len)` as a bulk string: a short one copied byte by byte, no view made. */
function replyBytes(reply: Reply, buf: Uint8Array, pos: number, len: number): void {
  if (len <= 64) reply.bulkRange(buf, pos, pos + len);
  else reply.bulk(buf.subarray(pos, pos + len));
}

/** The element `list.peek`/`list.locate` found, as a bulk string. */
function replyPeeked(reply: Reply, list: List): void {
  replyBytes(reply, list.ebuf, list.epos, list.elen);
}

/** Reply with the element at `where` of a non-empty list and remove it. */
function replyPop(reply: Reply, list: List, where: Where): void {
  const tail = where === TAIL;
  list.peek(tail);
  replyPeeked(reply, list);
  list.drop(tail);
}

/** Push to `key` (creating the list), as lmoveHandlePush; `list` is its current value if any. */
function pushTo(
  db: Db,
  key: string,
  list: List | undefined,
  value: Uint8Array,
  where: Where,
): void {
  if (list === undefined) {
    const d = new Deque();
    d.push(value);
    db.add(key, d);
  } else {
    if (where === HEAD) list.unshift(value);
    else list.push(value);
    db.signalModified(key);
    db.signalKeyAsReady(key);
  }
  db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, pushEvent(where), key);
}

// ---------------------------------------------------------------- push

function pushGeneric(ctx: CommandContext, argv: Uint8Array[], where: Where, xx: boolean): void {
  const key = latin1(argv[1]);
  const db = ctx.db;
  const v = db.lookup(key);
  const n = argv.length;
  if (v === undefined) {
    if (xx) {
      ctx.reply.int(0);
      return;
    }
    const d = new Deque();
    if (where === HEAD) { for (let j = 2; j < n; j++) d.unshift(argv[j]); }
    else for (let j = 2; j < n; j++) d.push(argv[j]);
    db.add(key, d);
    ctx.reply.int(d.length);
    db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, pushEvent(where), key);
    return;
  }
  if (!(v instanceof Deque)) {
    ctx.reply.error(E.WRONGTYPE);
    return;
  }
  const list = v as List;
  // The elements' bytes are copied into the list's blocks: no argument is kept.
  if (where === HEAD) { for (let j = 2; j < n; j++) list.unshift(argv[j]); }
  else for (let j = 2; j < n; j++) list.push(argv[j]);
  db.signalModified(key);
  db.signalKeyAsReady(key);
  ctx.reply.int(list.length);
  db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, pushEvent(where), key);
}

// ---------------------------------------------------------------- pop

function popGeneric(ctx: CommandContext, argv: Uint8Array[], where: Where): void {
  const reply = ctx.reply;
  if (argv.length > 3) {
    reply.error(E.wrongArity(where === HEAD ? "lpop" : "rpop"));
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const c = parsePositiveLong(argv[2]);
    if (typeof c === "string") {
      reply.error(c);
      return;
    }
    count = c;
  }
  const key = latin1(argv[1]);
  const list = getList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) reply.nilArray();
    else reply.nil();
    return;
  }
  if (!hasCount) {
    replyPop(reply, list, where);
    afterRemove(ctx.db, key, list, popEvent(where));
    return;
  }
  if (count === 0) {
    reply.array(0);
    return;
  }
  const n = Math.min(count, list.length);
  reply.array(n);
  for (let i = 0; i < n; i++) replyPop(reply, list, where);
  afterRemove(ctx.db, key, list, popEvent(where));
}

// ---------------------------------------------------------------- read

function llen(ctx: CommandContext, argv: Uint8Array[]): void {
  const list = getList(ctx, latin1(argv[1]), true);
  if (list === null) return;
  ctx.reply.int(list === undefined ? 0 : list.length);
}

function lrange(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const start = parseLongArg(argv[2]);
  const end = parseLongArg(argv[3]);
  if (start === null || end === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  const list = getList(ctx, latin1(argv[1]), true);
  if (list === null) return;
  if (list === undefined) {
    reply.array(0);
    return;
  }
  const range = normalizeRange(start, end, list.length);
  if (range === null) {
    reply.array(0);
    return;
  }
  // addListRangeReply: one seek, then the elements written from the blocks, as many at a time
  // as the room reserved takes (an element larger than that on its own).
  const c = new ListCursor(list);
  c.seek(range[0]);
  let left = range[1] - range[0] + 1;
  reply.array(left);
  while (left > 0) {
    reply.reserve(Math.min(left, RANGE_BATCH) * 32);
    reply.len = c.writeBulks(reply.buf, reply.len, left);
    if (c.written !== 0) left -= c.written;
    else {
      replyBytes(reply, c.buf, c.pos, c.len);
      c.next();
      left--;
    }
  }
}

/** LRANGE reserves reply room for this many elements at a time (32 bytes each). */
const RANGE_BATCH = 256;

function parseLongArg(a: Uint8Array): number | null {
  const r = parseRangeLong(a, -LONG_MAX - 1, LONG_MAX, null);
  return typeof r === "string" ? null : r;
}

function lindex(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const list = getList(ctx, latin1(argv[1]), true);
  if (list === null) return;
  if (list === undefined) {
    reply.nil();
    return;
  }
  let index = parseLongArg(argv[2]);
  if (index === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (index < 0) index = list.length + index;
  if (index < 0 || index >= list.length) reply.nil();
  else {
    list.locate(index);
    replyPeeked(reply, list);
  }
}

// ---------------------------------------------------------------- in-place edits

function lset(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const key = latin1(argv[1]);
  const list = getList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    reply.error(E.NO_SUCH_KEY);
    return;
  }
  let index = parseLongArg(argv[2]);
  if (index === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (index < 0) index = list.length + index;
  if (index < 0 || index >= list.length) {
    reply.error(E.OUT_OF_RANGE);
    return;
  }
  list.setAt(index, argv[3]);
  ctx.db.signalModified(key);
  reply.ok();
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, "lset", key);
}

/** Are the element bytes `buf[pos, pos + len)` the bytes `b`? */
function elementEq(buf: Uint8Array, pos: number, len: number, b: Uint8Array): boolean {
  if (len !== b.length) return false;
  for (let i = 0; i < len; i++) if (buf[pos + i] !== b[i]) return false;
  return true;
}

function lrem(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const toRemove = parseLongArg(argv[2]);
  if (toRemove === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  const key = latin1(argv[1]);
  const list = getList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    reply.int(0);
    return;
  }
  const ele = argv[3];
  const limit = toRemove === 0 ? Infinity : Math.abs(toRemove);
  // The matches to remove (the first `limit` from the head, or from the tail when negative),
  // then one rebuild without them.
  const matched = new Set<number>();
  const c = new ListCursor(list);
  const fromTail = toRemove < 0;
  let index = fromTail ? list.length - 1 : 0;
  for (let ok = c.seek(index); ok && matched.size < limit; ok = fromTail ? c.prev() : c.next()) {
    if (elementEq(c.buf, c.pos, c.len, ele)) matched.add(index);
    index += fromTail ? -1 : 1;
  }
  const removed = matched.size;
  if (removed === 1) list.removeAt(matched.values().next().value!);
  else if (removed > 0) list.retain((_b, _p, _l, i) => !matched.has(i));
  if (removed > 0) afterRemove(ctx.db, key, list, "lrem");
  reply.int(removed);
}

function linsert(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  let after: boolean;
  if (isKeyword(argv[2], "after")) after = true;
  else if (isKeyword(argv[2], "before")) after = false;
  else {
    reply.error(E.SYNTAX);
    return;
  }
  const key = latin1(argv[1]);
  const list = getList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    reply.int(0);
    return;
  }
  const pivot = argv[3];
  const c = new ListCursor(list);
  let i = 0;
  for (let ok = c.seek(0); ok; ok = c.next(), i++) {
    if (elementEq(c.buf, c.pos, c.len, pivot)) {
      list.insertAt(after ? i + 1 : i, argv[4]);
      ctx.db.signalModified(key);
      ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, "linsert", key);
      reply.int(list.length);
      return;
    }
  }
  reply.int(-1);
}

function ltrim(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const start = parseLongArg(argv[2]);
  const end = parseLongArg(argv[3]);
  if (start === null || end === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  const key = latin1(argv[1]);
  const list = getList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    reply.ok();
    return;
  }
  const llen = list.length;
  const range = normalizeRange(start, end, llen);
  const ltrimN = range === null ? llen : range[0];
  const rtrimN = range === null ? 0 : llen - range[1] - 1;
  if (ltrimN + rtrimN >= llen) list.clear();
  else {
    list.trim(ltrimN, false);
    list.trim(rtrimN, true);
  }
  // ltrimCommand: the event even when nothing was trimmed.
  afterRemove(ctx.db, key, list, "ltrim");
  reply.ok();
}

const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";

function lpos(ctx: CommandContext, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const ele = argv[2];
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankArg: Uint8Array | null = null;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const more = argv.length - 1 - j;
    if (more && isKeyword(opt, "rank")) {
      j++;
      const r = parseLongArg(argv[j]);
      if (r === null) {
        reply.error(E.NOT_INTEGER);
        return;
      }
      if (r === 0) {
        reply.error(RANK_ZERO);
        return;
      }
      rank = r;
      rankArg = argv[j];
    } else if (more && isKeyword(opt, "count")) {
      j++;
      const c = parsePositiveLong(argv[j], "COUNT can't be negative");
      if (typeof c === "string") {
        reply.error(c);
        return;
      }
      count = c;
    } else if (more && isKeyword(opt, "maxlen")) {
      j++;
      const m = parsePositiveLong(argv[j], "MAXLEN can't be negative");
      if (typeof m === "string") {
        reply.error(m);
        return;
      }
      maxlen = m;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  // RANK -2^63 overflows in Redis (-rank stays negative): every match then qualifies and a COUNT
  // never stops the scan.
  const rankOverflow = rank < -9007199254740991 && rankArg !== null &&
    parseInt64Big(rankArg) === -9223372036854775808n;
  let fromTail = false;
  if (rank < 0) {
    rank = -rank;
    fromTail = true;
  }
  const list = getList(ctx, latin1(argv[1]), true);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) reply.array(0);
    else reply.nil();
    return;
  }
  const llen = list.length;
  const found: number[] = [];
  let matches = 0;
  let matchIndex = -1;
  const c = new ListCursor(list);
  let ok = c.seek(fromTail ? llen - 1 : 0);
  for (
    let index = 0;
    ok && index < llen && (maxlen === 0 || index < maxlen);
    index++, ok = fromTail ? c.prev() : c.next()
  ) {
    const pos = fromTail ? llen - index - 1 : index;
    if (elementEq(c.buf, c.pos, c.len, ele)) {
      matches++;
      if (rankOverflow || matches >= rank) {
        if (count !== -1) {
          found.push(pos);
          if (count !== 0 && !rankOverflow && matches - rank + 1 >= count) break;
        } else {
          matchIndex = pos;
          break;
        }
      }
    }
  }
  if (count !== -1) {
    reply.array(found.length);
    for (const p of found) reply.int(p);
  } else if (matchIndex !== -1) reply.int(matchIndex);
  else reply.nil();
}

// ---------------------------------------------------------------- moves

function parseWhere(a: Uint8Array): Where | null {
  if (isKeyword(a, "left")) return HEAD;
  if (isKeyword(a, "right")) return TAIL;
  return null;
}

/** LMOVE core; the source exists and is a non-empty list. Returns false after a WRONGTYPE reply. */
function lmoveServe(
  db: Db,
  reply: Reply,
  srcKey: string,
  src: List,
  dstKey: string,
  wherefrom: Where,
  whereto: Where,
): boolean {
  const d = db.lookup(dstKey);
  if (d !== undefined && !(d instanceof Deque)) {
    reply.error(E.WRONGTYPE);
    return false;
  }
  const value = popWhere(src, wherefrom);
  pushTo(db, dstKey, d as List | undefined, value, whereto);
  reply.bulk(value);
  afterRemove(db, srcKey, src, popEvent(wherefrom));
  return true;
}

function lmoveGeneric(
  ctx: CommandContext,
  argv: Uint8Array[],
  wherefrom: Where,
  whereto: Where,
): void {
  const srcKey = latin1(argv[1]);
  const src = getList(ctx, srcKey);
  if (src === null) return;
  if (src === undefined || src.length === 0) {
    ctx.reply.nil();
    return;
  }
  lmoveServe(ctx.db, ctx.reply, srcKey, src, latin1(argv[2]), wherefrom, whereto);
}

function rpoplpush(ctx: CommandContext, argv: Uint8Array[]): void {
  lmoveGeneric(ctx, argv, TAIL, HEAD);
}

function lmove(ctx: CommandContext, argv: Uint8Array[]): void {
  const wf = parseWhere(argv[3]);
  const wt = wf === null ? null : parseWhere(argv[4]);
  if (wf === null || wt === null) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  lmoveGeneric(ctx, argv, wf, wt);
}

/** listPopRangeAndReplyWithKey: [key, [elements...]]. */
function popRangeWithKey(
  db: Db,
  reply: Reply,
  key: string,
  list: List,
  where: Where,
  count: number,
): void {
  const n = Math.min(count, list.length);
  reply.array(2);
  reply.bulkBinary(key);
  reply.array(n);
  for (let i = 0; i < n; i++) replyPop(reply, list, where);
  afterRemove(db, key, list, popEvent(where));
}

/** The BLPOP/BRPOP reply: [key, element]. */
function popOneWithKey(db: Db, reply: Reply, key: string, list: List, where: Where): void {
  reply.array(2);
  reply.bulkBinary(key);
  replyPop(reply, list, where);
  afterRemove(db, key, list, popEvent(where));
}

interface MpopArgs {
  keys: string[];
  where: Where;
  count: number;
}

/** Parse `numkeys key... LEFT|RIGHT [COUNT count]` from argv[numkeysIdx]; or an error text. */
function parseMpop(argv: Uint8Array[], numkeysIdx: number): MpopArgs | string {
  const nk = parseRangeLong(argv[numkeysIdx], 1, LONG_MAX, "numkeys should be greater than 0");
  if (typeof nk === "string") return nk;
  const whereIdx = numkeysIdx + nk + 1;
  if (whereIdx >= argv.length) return E.SYNTAX;
  const where = parseWhere(argv[whereIdx]);
  if (where === null) return E.SYNTAX;
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (count === -1 && more && isKeyword(argv[j], "count")) {
      j++;
      const c = parseRangeLong(argv[j], 1, LONG_MAX, "count should be greater than 0");
      if (typeof c === "string") return c;
      count = c;
    } else return E.SYNTAX;
  }
  if (count === -1) count = 1;
  const keys: string[] = [];
  for (let i = numkeysIdx + 1; i < whereIdx; i++) keys.push(latin1(argv[i]));
  return { keys, where, count };
}

function lmpop(ctx: CommandContext, argv: Uint8Array[]): void {
  const a = parseMpop(argv, 1);
  if (typeof a === "string") {
    ctx.reply.error(a);
    return;
  }
  for (const key of a.keys) {
    const list = getList(ctx, key);
    if (list === null) return;
    if (list === undefined || list.length === 0) continue;
    popRangeWithKey(ctx.db, ctx.reply, key, list, a.where, a.count);
    return;
  }
  ctx.reply.nilArray();
}

// ---------------------------------------------------------------- blocking

type BlockKind =
  | { type: "pop"; where: Where; count: number } // count -1: BLPOP/BRPOP form
  | { type: "move"; dst: string; wherefrom: Where; whereto: Where };

/** A client blocked in a list command (see blocking.ts). */
class ListWaiter extends Waiter {
  constructor(
    ctx: CommandContext,
    keys: string[],
    private readonly kind: BlockKind,
    timeoutMs: number,
  ) {
    super(ctx, keys, timeoutMs);
  }

  protected tryServe(key: string): boolean {
    const { db, reply } = this.ctx;
    const kind = this.kind;
    const v = db.lookup(key);
    if (!(v instanceof Deque) || v.length === 0) return false;
    const list = v as List;
    if (kind.type === "move") {
      lmoveServe(db, reply, key, list, kind.dst, kind.wherefrom, kind.whereto);
    } else if (kind.count >= 0) {
      popRangeWithKey(db, reply, key, list, kind.where, kind.count);
    } else {
      popOneWithKey(db, reply, key, list, kind.where);
    }
    return true;
  }
}

/** blockingPopGenericCommand: serve from the first non-empty list, else block. */
function blockingPop(
  ctx: CommandContext,
  keys: string[],
  where: Where,
  count: number,
  timeoutMs: number,
): void | Promise<void> {
  for (const key of keys) {
    const list = getList(ctx, key);
    if (list === null) return;
    if (list === undefined || list.length === 0) continue;
    if (count !== -1) popRangeWithKey(ctx.db, ctx.reply, key, list, where, count);
    else popOneWithKey(ctx.db, ctx.reply, key, list, where);
    return;
  }
  if (!mayBlock(ctx.client)) {
    ctx.reply.nilArray();
    return;
  }
  return new ListWaiter(ctx, keys, { type: "pop", where, count }, timeoutMs).block();
}

function bpop(where: Where) {
  return (ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> => {
    const t = parseTimeoutMs(argv[argv.length - 1]);
    if (typeof t === "string") {
      ctx.reply.error(t);
      return;
    }
    const keys: string[] = [];
    for (let i = 1; i < argv.length - 1; i++) keys.push(latin1(argv[i]));
    return blockingPop(ctx, keys, where, -1, t);
  };
}

function blmoveGeneric(
  ctx: CommandContext,
  argv: Uint8Array[],
  wherefrom: Where,
  whereto: Where,
  timeoutArg: Uint8Array,
): void | Promise<void> {
  const t = parseTimeoutMs(timeoutArg);
  if (typeof t === "string") {
    ctx.reply.error(t);
    return;
  }
  const srcKey = latin1(argv[1]);
  const src = getList(ctx, srcKey);
  if (src === null) return;
  if (src !== undefined && src.length > 0) {
    lmoveServe(ctx.db, ctx.reply, srcKey, src, latin1(argv[2]), wherefrom, whereto);
    return;
  }
  if (!mayBlock(ctx.client)) {
    ctx.reply.nil();
    return;
  }
  const kind: BlockKind = { type: "move", dst: latin1(argv[2]), wherefrom, whereto };
  return new ListWaiter(ctx, [srcKey], kind, t).block();
}

function brpoplpush(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  return blmoveGeneric(ctx, argv, TAIL, HEAD, argv[3]);
}

function blmove(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  const wf = parseWhere(argv[3]);
  const wt = wf === null ? null : parseWhere(argv[4]);
  if (wf === null || wt === null) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  return blmoveGeneric(ctx, argv, wf, wt, argv[5]);
}

function blmpop(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  const a = parseMpop(argv, 2);
  if (typeof a === "string") {
    ctx.reply.error(a);
    return;
  }
  const t = parseTimeoutMs(argv[1]);
  if (typeof t === "string") {
    ctx.reply.error(t);
    return;
  }
  return blockingPop(ctx, a.keys, a.where, a.count, t);
}

// ---------------------------------------------------------------- table

export const listCommands: CommandDef[] = [
  fromTable("lpush", (c, a) => pushGeneric(c, a, HEAD, false)),
  fromTable("rpush", (c, a) => pushGeneric(c, a, TAIL, false)),
  fromTable("lpushx", (c, a) => pushGeneric(c, a, HEAD, true)),
  fromTable("rpushx", (c, a) => pushGeneric(c, a, TAIL, true)),
  fromTable("lpop", (c, a) => popGeneric(c, a, HEAD)),
  fromTable("rpop", (c, a) => popGeneric(c, a, TAIL)),
  fromTable("llen", llen),
  fromTable("lrange", lrange),
  fromTable("lindex", lindex),
  fromTable("lset", lset),
  fromTable("lrem", lrem),
  fromTable("linsert", linsert),
  fromTable("ltrim", ltrim),
  fromTable("lpos", lpos),
  fromTable("rpoplpush", rpoplpush),
  fromTable("lmove", lmove),
  fromTable("lmpop", lmpop, { getKeys: mpopKeys(1) }),
  fromTable("blpop", bpop(HEAD)),
  fromTable("brpop", bpop(TAIL)),
  fromTable("blmove", blmove),
  fromTable("brpoplpush", brpoplpush),
  fromTable("blmpop", blmpop, { getKeys: mpopKeys(2) }),
];
