/**
 * Stream commands, as Redis 7.0 (t_stream.c): XADD (NOMKSTREAM, MAXLEN/MINID with = or ~,
 * LIMIT, explicit / `*` / `<ms>-*` IDs), XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD and
 * XREADGROUP (COUNT, BLOCK, NOACK, `$`, `>` and history reads), XACK, XCLAIM, XAUTOCLAIM,
 * XPENDING, XGROUP and XINFO. RESP3 replies are maps where Redis sends maps (XINFO, XREAD).
 *
 * Replication follows t_stream.c: XADD goes out with the ID it generated and an approximate trim
 * (`~`) as the exact trim it did; XREADGROUP, XCLAIM and XAUTOCLAIM never go out themselves but
 * as the XCLAIM ... FORCE JUSTID LASTID, XGROUP SETID and XGROUP CREATECONSUMER commands that
 * reproduce their effects (streamPropagateXCLAIM, streamPropagateGroupID,
 * streamPropagateConsumerCreation). A blocked XREAD/XREADGROUP is a `StreamWaiter`
 * (commands/blocking.ts) served when its key gets data, answered with an error when its group or
 * stream goes away.
 *
 * The data structure lives in keyspace/stream.ts.
 */

import { lookupOfType } from "./coll_util.ts";
import { fromLatin1, latin1, lower, parseInt64Big } from "../protocol/bytes.ts";
import { Reply } from "../protocol/reply.ts";
import {
  cmpId,
  type Consumer,
  type ConsumerGroup,
  cString,
  decrId,
  ENTRIES_READ_INVALID,
  idIsZero,
  idKey,
  idOfKey,
  idText,
  incrId,
  MAX_ID,
  type Nack,
  type NodeEntry,
  parseStreamId,
  type Pel,
  Stream,
  type StreamId,
  type TrimArgs,
  U64_MAX,
  ZERO_ID,
} from "../keyspace/stream.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { mayBlock, Waiter } from "./blocking.ts";
import { xreadKeys } from "./key_finders.ts";
import { replyHelp } from "./connection.ts";
import { NOTIFY_STREAM } from "../pubsub/notify_flags.ts";
import type { Argv } from "../replication/propagate.ts";
import type { ClientsPort, ClockPort, ConfigPort } from "../server/server_ports.ts";
import type { ReplicationRolePort, ScriptsHost } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ClientsPort & ClockPort & ConfigPort & ReplicationRolePort & ScriptsHost>;

const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** strcasecmp of an argument (as a C string) with a lowercase option name. */
function isOpt(arg: Uint8Array, name: string): boolean {
  const b = cString(arg);
  if (b.length !== name.length) return false;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** strcmp of an argument (as a C string) with `s`. */
function isExactly(arg: Uint8Array, s: string): boolean {
  const b = cString(arg);
  if (b.length !== s.length) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== s.charCodeAt(i)) return false;
  return true;
}

/** An argument as printf's %s shows it (up to its first NUL), as a binary string. */
function cText(arg: Uint8Array): string {
  return latin1(cString(arg));
}

/** An error reply whose text holds binary arguments (addReplyErrorFormat). */
function errorBinary(reply: Reply, text: string): void {
  reply.errorBytes(fromLatin1(text));
}

/** getLongLongFromObjectOrReply: the value, or null after replying `msg` (default: not an integer). */
function parseLongLong(ctx: Ctx, arg: Uint8Array, msg = E.NOT_INTEGER): bigint | null {
  const v = parseInt64Big(arg);
  if (v === null) ctx.reply.error(msg);
  return v;
}

/** The stream at `key` (lookupKeyRead when `read`, else lookupKeyWrite); null after WRONGTYPE. */
function lookupStream(ctx: Ctx, key: string, read: boolean): Stream | undefined | null {
  return lookupOfType(ctx, key, Stream, read);
}

/** streamParseIDOrReply / streamParseStrictIDOrReply. */
function parseIdOrReply(
  ctx: Ctx,
  arg: Uint8Array,
  missingSeq: bigint,
  strict: boolean,
): StreamId | null {
  const p = parseStreamId(arg, missingSeq, strict);
  if (p === null) {
    ctx.reply.error(INVALID_ID);
    return null;
  }
  return p.id;
}

/** streamParseIntervalIDOrReply: "(" makes the ID exclusive (and strict). */
function parseIntervalId(
  ctx: Ctx,
  arg: Uint8Array,
  missingSeq: bigint,
): { id: StreamId; exclusive: boolean } | null {
  const exclusive = arg.length > 1 && arg[0] === 40;
  const id = exclusive
    ? parseIdOrReply(ctx, arg.subarray(1), missingSeq, true)
    : parseIdOrReply(ctx, arg, missingSeq, false);
  return id === null ? null : { id, exclusive };
}

/** An exclusive start ID moves past itself ("invalid start ID for the interval" at the top). */
function intervalStart(ctx: Ctx, arg: Uint8Array): StreamId | null {
  const p = parseIntervalId(ctx, arg, 0n);
  if (p === null) return null;
  if (!p.exclusive) return p.id;
  const next = incrId(p.id);
  if (next === null) ctx.reply.error("ERR invalid start ID for the interval");
  return next;
}

function intervalEnd(ctx: Ctx, arg: Uint8Array): StreamId | null {
  const p = parseIntervalId(ctx, arg, U64_MAX);
  if (p === null) return null;
  if (!p.exclusive) return p.id;
  const prev = decrId(p.id);
  if (prev === null) ctx.reply.error("ERR invalid end ID for the interval");
  return prev;
}

function replyId(reply: Reply, id: StreamId): void {
  reply.bulkBinary(idText(id));
}

/** One entry: [id, [field, value, ...]]. */
function replyEntry(reply: Reply, e: NodeEntry): void {
  reply.array(2);
  replyId(reply, e.id);
  reply.array(e.fields.length * 2);
  for (let i = 0; i < e.fields.length; i++) {
    reply.bulk(e.fields[i]);
    reply.bulk(e.values[i]);
  }
}

function replyEntries(reply: Reply, entries: NodeEntry[]): void {
  reply.array(entries.length);
  for (const e of entries) replyEntry(reply, e);
}

function nodeLimits(ctx: Ctx): { maxBytes: number; maxEntries: number } {
  const cfg = ctx.server.config;
  return {
    maxBytes: cfg.getNumber("stream-node-max-bytes"),
    maxEntries: cfg.getNumber("stream-node-max-entries"),
  };
}

function nowMs(ctx: Ctx): number {
  return ctx.server.now();
}

function notify(ctx: Ctx, event: string, key: string): void {
  ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STREAM, event, key);
}

/** A consumer group change that is no keyspace change (no WATCH or tracking signal). */
function dirty(ctx: Ctx, n = 1): void {
  ctx.db.stats.dirty += n;
}

/** A NOGROUP error for a key and a group (XPENDING, XCLAIM, XAUTOCLAIM). */
function noGroup(ctx: Ctx, key: Uint8Array, group: Uint8Array, suffix = ""): void {
  errorBinary(
    ctx.reply,
    `NOGROUP No such key '${cText(key)}' or consumer group '${cText(group)}'${suffix}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Propagation (streamPropagateXCLAIM & co)

/** XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <id>. */
function xclaimArgv(key: Uint8Array, groupName: Uint8Array, g: ConsumerGroup, nack: Nack): Argv {
  return [
    "XCLAIM",
    key,
    groupName,
    fromLatin1(nack.consumer!.name),
    "0",
    idText(nack.id),
    "TIME",
    String(nack.deliveryTime),
    "RETRYCOUNT",
    String(BigInt.asIntN(64, nack.deliveryCount)),
    "FORCE",
    "JUSTID",
    "LASTID",
    idText(g.lastId),
  ];
}

/** XGROUP SETID <key> <group> <last-id> ENTRIESREAD <n>. */
function setIdArgv(key: Uint8Array, groupName: Uint8Array, g: ConsumerGroup): Argv {
  return [
    "XGROUP",
    "SETID",
    key,
    groupName,
    idText(g.lastId),
    "ENTRIESREAD",
    String(g.entriesRead),
  ];
}

/** Where a group read propagates its effects: the key and group arguments, and the commands. */
interface PropInfo {
  key: Uint8Array;
  groupName: Uint8Array;
  out: Argv[];
}

// ---------------------------------------------------------------------------------------------
// Reading ranges (streamReplyWithRange)

/**
 * streamReplyWithRange for a read that may go through a group: entries in [start, end] (at most
 * `count`, 0 = all), each moving the group's last-delivered ID forwards and entering the PELs
 * (unless `noack`), with what must be propagated added to `prop`.
 */
function readRange(
  s: Stream,
  start: StreamId,
  end: StreamId,
  count: number,
  group: ConsumerGroup | null,
  consumer: Consumer | null,
  noack: boolean,
  now: number,
  prop: PropInfo | null,
): NodeEntry[] {
  const out: NodeEntry[] = [];
  let propagateLastId = false;
  for (const e of s.range(start, end, false)) {
    if (group !== null && cmpId(e.id, group.lastId) > 0) {
      s.advanceGroup(group, e.id);
      // The last ID goes out by itself only with NOACK; otherwise the XCLAIMs carry it.
      if (noack) propagateLastId = true;
    }
    if (group !== null && !noack) {
      const key = idKey(e.id);
      let nack = group.pel.get(key);
      if (nack === undefined) {
        nack = { id: e.id, deliveryTime: now, deliveryCount: 1n, consumer };
        group.pel.tryInsert(key, nack);
        consumer!.pel.tryInsert(key, nack);
      } else {
        // Delivered before (XGROUP SETID moved the group back): it changes hands.
        nack.consumer?.pel.remove(key);
        nack.consumer = consumer;
        nack.deliveryTime = now;
        nack.deliveryCount = 1n;
        consumer!.pel.set(key, nack);
      }
      if (prop !== null) prop.out.push(xclaimArgv(prop.key, prop.groupName, group, nack));
    }
    out.push(e);
    if (count !== 0 && out.length === count) break;
  }
  if (prop !== null && propagateLastId && group !== null) {
    prop.out.push(setIdArgv(prop.key, prop.groupName, group));
  }
  return out;
}

/**
 * streamReplyWithRangeFromConsumerPEL: a consumer's history from `start` (its pending entries;
 * one that was deleted from the stream shows as [id, nil]). Each re-delivery counts.
 */
function replyConsumerHistory(
  reply: Reply,
  s: Stream,
  start: StreamId,
  count: number,
  consumer: Consumer,
  now: number,
): void {
  const items: { id: StreamId; entry: NodeEntry | null }[] = [];
  for (const [, nack] of consumer.pel.from(idKey(start))) {
    if (count !== 0 && items.length === count) break;
    let entry: NodeEntry | null = null;
    for (const e of s.range(nack.id, nack.id, false)) entry = e;
    if (entry !== null) {
      nack.deliveryTime = now;
      nack.deliveryCount = BigInt.asUintN(64, nack.deliveryCount + 1n);
    }
    items.push({ id: nack.id, entry });
  }
  reply.array(items.length);
  for (const it of items) {
    if (it.entry !== null) replyEntry(reply, it.entry);
    else {
      reply.array(2);
      replyId(reply, it.id);
      reply.nilArray();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM argument parsing (streamParseAddOrTrimArgsOrReply)

interface AddTrimArgs {
  trim: TrimArgs | null;
  /** Index of the MAXLEN/MINID value (its `~`, when given, is just before it). */
  trimArgIdx: number;
  id: StreamId | null;
  seqGiven: boolean;
  noMkStream: boolean;
  /** XADD: where the ID (or `*`) is; XTRIM: argc. */
  idPos: number;
}

function parseAddOrTrim(
  ctx: Ctx,
  argv: Uint8Array[],
  xadd: boolean,
): AddTrimArgs | null {
  const reply = ctx.reply;
  let strategy: "maxlen" | "minid" | null = null;
  let approx = false;
  let maxlen = 0;
  let minid = ZERO_ID;
  let limit = 0n;
  let limitGiven = false;
  let trimArgIdx = 0;
  let id: StreamId | null = null;
  let seqGiven = true;
  let noMkStream = false;
  let i = 2;
  const incompatible =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const o = argv[i];
    const c = cString(o);
    if (xadd && c.length === 1 && c[0] === 42) break; // "*": the fast path
    if ((isOpt(o, "maxlen") || isOpt(o, "minid")) && more) {
      const isMaxlen = isOpt(o, "maxlen");
      if (strategy !== null) {
        reply.error(incompatible);
        return null;
      }
      approx = false;
      const next = cString(argv[i + 1]);
      if (more >= 2 && next.length === 1 && next[0] === 126) {
        approx = true;
        i++;
      } else if (more >= 2 && next.length === 1 && next[0] === 61) i++;
      if (isMaxlen) {
        const v = parseLongLong(ctx, argv[i + 1]);
        if (v === null) return null;
        if (v < 0n) {
          reply.error("ERR The MAXLEN argument must be >= 0.");
          return null;
        }
        maxlen = Number(v);
      } else {
        const p = parseIdOrReply(ctx, argv[i + 1], 0n, true);
        if (p === null) return null;
        minid = p;
      }
      i++;
      strategy = isMaxlen ? "maxlen" : "minid";
      trimArgIdx = i;
    } else if (isOpt(o, "limit") && more) {
      const v = parseLongLong(ctx, argv[i + 1]);
      if (v === null) return null;
      if (v < 0n) {
        reply.error("ERR The LIMIT argument must be >= 0.");
        return null;
      }
      limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && isOpt(o, "nomkstream")) {
      noMkStream = true;
    } else if (xadd) {
      const p = parseStreamId(o, 0n, true, true);
      if (p === null) {
        reply.error(INVALID_ID);
        return null;
      }
      id = p.id;
      seqGiven = p.seqGiven;
      break;
    } else {
      reply.error(E.SYNTAX);
      return null;
    }
  }
  if (limit !== 0n && strategy === null) {
    reply.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return null;
  }
  if (!xadd && strategy === null) {
    reply.error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return null;
  }
  if (ctx.client.isMaster) {
    // From our master or the AOF: the trim was rewritten exact; never limit it.
    limit = 0n;
  } else if (limitGiven) {
    if (!approx) {
      reply.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return null;
    }
  } else if (approx) {
    limit = 100n * BigInt(ctx.server.config.getNumber("stream-node-max-entries"));
    if (limit <= 0n || limit > 10000n) limit = 10000n;
  } else limit = 0n;
  const trim: TrimArgs | null = strategy === null ? null : {
    strategy,
    maxlen,
    minid,
    approx,
    // A limit past any stream's length is no limit in practice.
    limit: limit > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(limit),
  };
  return { trim, trimArgIdx, id, seqGiven, noMkStream, idPos: i };
}

/**
 * streamRewriteApproxSpecifier + streamRewriteTrimArgument: an approximate trim propagates as
 * the exact one it did (`=` and the stream's length, or its first entry's ID, tombstones too).
 */
function rewriteApproxTrim(argv: Argv, s: Stream, a: AddTrimArgs): void {
  argv[a.trimArgIdx - 1] = "=";
  argv[a.trimArgIdx] = a.trim!.strategy === "maxlen"
    ? String(s.length)
    : idText(s.edgeId(true, false));
}

// ---------------------------------------------------------------------------------------------
// XADD, XTRIM, XDEL, XLEN, XRANGE, XREVRANGE, XSETID

function xadd(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const a = parseAddOrTrim(ctx, argv, true);
  if (a === null) return;
  const fieldPos = a.idPos + 1;
  const nArgs = argv.length - fieldPos;
  if (nArgs < 2 || nArgs % 2 === 1) {
    reply.error(E.wrongArity("xadd"));
    return;
  }
  if (a.id !== null && a.seqGiven && idIsZero(a.id)) {
    reply.error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const key = latin1(argv[1]);
  let s = lookupStream(ctx, key, false);
  if (s === null) return;
  let created = false;
  if (s === undefined) {
    if (a.noMkStream) {
      reply.nil();
      return;
    }
    s = new Stream();
    ctx.db.add(key, s);
    created = true;
  }
  if (s.lastId.ms === U64_MAX && s.lastId.seq === U64_MAX) {
    reply.error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  const fv: Uint8Array[] = argv.slice(fieldPos);
  const r = s.append(fv, a.id, a.seqGiven, nowMs(ctx), nodeLimits(ctx));
  if (r === "EDOM") {
    reply.error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  if (r === "ERANGE") {
    reply.error("ERR Elements are too large to be stored");
    return;
  }
  replyId(reply, r);
  if (!created) ctx.db.signalModified(key);
  notify(ctx, "xadd", key);
  let rewritten: Argv | null = null;
  if (a.trim !== null) {
    if (s.trim(a.trim) !== 0) notify(ctx, "xtrim", key);
    if (a.trim.approx) {
      rewritten = [...argv];
      rewriteApproxTrim(rewritten, s, a);
    }
  }
  if (a.id === null || !a.seqGiven) {
    rewritten ??= [...argv];
    rewritten[a.idPos] = idText(r);
  }
  if (rewritten !== null) ctx.server.replication.overridePropagation([rewritten]);
  ctx.db.signalKeyAsReady(key);
}

function xtrim(ctx: Ctx, argv: Uint8Array[]): void {
  const a = parseAddOrTrim(ctx, argv, false);
  if (a === null) return;
  const key = latin1(argv[1]);
  const s = lookupStream(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.int(0);
    return;
  }
  const deleted = s.trim(a.trim!);
  if (deleted !== 0) {
    notify(ctx, "xtrim", key);
    if (a.trim!.approx) {
      const rewritten: Argv = [...argv];
      rewriteApproxTrim(rewritten, s, a);
      ctx.server.replication.overridePropagation([rewritten]);
    }
    ctx.db.signalModified(key);
    dirty(ctx, deleted - 1);
  }
  ctx.reply.int(deleted);
}

function xdel(ctx: Ctx, argv: Uint8Array[]): void {
  const key = latin1(argv[1]);
  const s = lookupStream(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    ctx.reply.int(0);
    return;
  }
  // All IDs are checked first: the command is all or nothing.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = parseIdOrReply(ctx, argv[j], 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  const deleted: StreamId[] = [];
  let firstDeleted = false;
  for (const id of ids) {
    if (!s.deleteEntry(id)) continue;
    if (cmpId(id, s.firstId) === 0) firstDeleted = true;
    deleted.push(id);
  }
  s.afterDeletes(deleted, firstDeleted);
  if (deleted.length !== 0) {
    ctx.db.signalModified(key);
    notify(ctx, "xdel", key);
    dirty(ctx, deleted.length - 1);
  }
  ctx.reply.int(deleted.length);
}

function xlen(ctx: Ctx, argv: Uint8Array[]): void {
  const s = lookupStream(ctx, latin1(argv[1]), true);
  if (s === null) return;
  ctx.reply.int(s === undefined ? 0 : s.length);
}

function xrangeGeneric(ctx: Ctx, argv: Uint8Array[], rev: boolean): void {
  const reply = ctx.reply;
  const start = intervalStart(ctx, rev ? argv[3] : argv[2]);
  if (start === null) return;
  const end = intervalEnd(ctx, rev ? argv[2] : argv[3]);
  if (end === null) return;
  let count = -1n;
  for (let j = 4; j < argv.length; j++) {
    if (isOpt(argv[j], "count") && argv.length - j - 1 >= 1) {
      const v = parseLongLong(ctx, argv[j + 1]);
      if (v === null) return;
      count = v < 0n ? 0n : v;
      j++;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const s = lookupStream(ctx, latin1(argv[1]), true);
  if (s === null) return;
  if (s === undefined) {
    reply.array(0);
    return;
  }
  if (count === 0n) {
    reply.nilArray();
    return;
  }
  const n = count === -1n || count > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(count);
  replyEntries(reply, s.collect(start, end, rev, n));
}

function xsetid(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const id = parseIdOrReply(ctx, argv[2], 0n, true);
  if (id === null) return;
  let entriesAdded = -1n;
  let maxDeleted = ZERO_ID;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    if (isOpt(argv[i], "entriesadded") && more) {
      const v = parseLongLong(ctx, argv[i + 1]);
      if (v === null) return;
      if (v < 0n) {
        reply.error("ERR entries_added must be positive");
        return;
      }
      entriesAdded = v;
    } else if (isOpt(argv[i], "maxdeletedid") && more) {
      const v = parseIdOrReply(ctx, argv[i + 1], 0n, true);
      if (v === null) return;
      if (cmpId(id, v) < 0) {
        reply.error(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
        return;
      }
      maxDeleted = v;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const key = latin1(argv[1]);
  const s = lookupStream(ctx, key, false);
  if (s === null) return;
  if (s === undefined) {
    reply.error(E.NO_SUCH_KEY);
    return;
  }
  if (s.length > 0) {
    if (cmpId(id, s.lastValidId()) < 0) {
      reply.error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      reply.error(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (!idIsZero(maxDeleted)) s.maxDeletedId = maxDeleted;
  reply.ok();
  dirty(ctx);
  notify(ctx, "xsetid", key);
}

// ---------------------------------------------------------------------------------------------
// XREAD, XREADGROUP

/** Clients blocked with no COUNT are served at most this many entries per stream. */
const XREAD_BLOCKED_DEFAULT_COUNT = 1000;

interface GroupRead {
  name: Uint8Array;
  consumer: Uint8Array;
  noack: boolean;
}

/**
 * Serve one stream of an XREAD/XREADGROUP (synchronously or for a blocked client): the key's
 * entries after `gt`, through the group when there is one. Writes the [key, entries] element
 * (a map entry in RESP3) and returns what must be propagated.
 */
function serveStream(
  reply: Reply,
  now: number,
  keyArg: Uint8Array,
  s: Stream,
  start: StreamId,
  count: number,
  group: ConsumerGroup | null,
  consumer: Consumer | null,
  gr: GroupRead | null,
  history: boolean,
  prop: PropInfo | null,
): void {
  if (reply.proto === 2) reply.array(2);
  reply.bulk(keyArg);
  if (group !== null && history) {
    replyConsumerHistory(reply, s, start, count, consumer!, now);
    return;
  }
  const entries = readRange(
    s,
    start,
    MAX_ID,
    count,
    group,
    consumer,
    gr?.noack ?? false,
    now,
    prop,
  );
  replyEntries(reply, entries);
}

function xreadGeneric(
  ctx: Ctx,
  argv: Uint8Array[],
  isGroup: boolean,
): void | Promise<void> {
  const reply = ctx.reply;
  let timeoutMs = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let noack = false;
  let groupName: Uint8Array | null = null;
  let consumerName: Uint8Array | null = null;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i];
    if (isOpt(o, "block") && more) {
      if (ctx.client === ctx.server.scripts.scriptClient) {
        errorBinary(
          reply,
          `ERR ${cText(argv[0])} command is not allowed with BLOCK option from scripts`,
        );
        return;
      }
      i++;
      const t = parseLongLong(ctx, argv[i], "ERR timeout is not an integer or out of range");
      if (t === null) return;
      if (t < 0n) {
        reply.error("ERR timeout is negative");
        return;
      }
      timeoutMs = Number(t);
    } else if (isOpt(o, "count") && more) {
      i++;
      const c = parseLongLong(ctx, argv[i]);
      if (c === null) return;
      count = c < 0n ? 0 : c > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(c);
    } else if (isOpt(o, "streams") && more) {
      streamsArg = i + 1;
      streamsCount = argv.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        reply.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return;
      }
      streamsCount /= 2;
      break;
    } else if (isOpt(o, "group") && more >= 2) {
      if (!isGroup) {
        reply.error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return;
      }
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (isOpt(o, "noack")) {
      if (!isGroup) {
        reply.error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
        return;
      }
      noack = true;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  if (streamsArg === 0) {
    reply.error(E.SYNTAX);
    return;
  }
  if (isGroup && groupName === null) {
    reply.error("ERR Missing GROUP option for XREADGROUP");
    return;
  }
  const gr: GroupRead | null = groupName === null
    ? null
    : { name: groupName, consumer: consumerName!, noack };
  const groupKey = groupName === null ? "" : latin1(groupName);

  // Resolve keys, groups and IDs ("$" and ">" are the special IDs).
  const ids: StreamId[] = [];
  const groups: (ConsumerGroup | null)[] = [];
  for (let i = streamsArg + streamsCount; i < argv.length; i++) {
    const keyArg = argv[i - streamsCount];
    const s = lookupStream(ctx, latin1(keyArg), true);
    if (s === null) return;
    let group: ConsumerGroup | null = null;
    if (gr !== null) {
      group = s?.group(groupKey) ?? null;
      if (group === null) {
        noGroup(ctx, keyArg, gr.name, " in XREADGROUP with GROUP option");
        return;
      }
    }
    groups.push(group);
    if (isExactly(argv[i], "$")) {
      if (isGroup) {
        reply.error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history " +
            "of this consumer by specifying a proper ID, or use the > ID to get new messages. The " +
            "$ ID would just return an empty result set.",
        );
        return;
      }
      ids.push(s === undefined ? ZERO_ID : s.lastId);
    } else if (isExactly(argv[i], ">")) {
      if (!isGroup) {
        reply.error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> " +
            "<consumer> option.",
        );
        return;
      }
      ids.push(MAX_ID); // resolved against the group's last ID when served
    } else {
      const id = parseIdOrReply(ctx, argv[i], 0n, true);
      if (id === null) return;
      ids.push(id);
    }
  }

  // Serve synchronously what can be served, stream after stream (a stream named twice is served
  // once through a group: the first read moved the group past it). The [key, entries] elements
  // go to `body` until their number is known.
  const now = nowMs(ctx);
  const consumerKey = consumerName === null ? "" : latin1(consumerName);
  const prop: Argv[] = [];
  const body = new Reply(256);
  body.proto = reply.proto;
  let served = 0;
  for (let i = 0; i < streamsCount; i++) {
    const keyArg = argv[streamsArg + i];
    const key = latin1(keyArg);
    const s = ctx.db.lookupRead(key);
    if (!(s instanceof Stream)) continue;
    let gt = ids[i];
    let sync = false;
    let history = false;
    const group = groups[i];
    if (group !== null) {
      if (gt.ms !== U64_MAX || gt.seq !== U64_MAX) {
        sync = true;
        history = true;
      } else if (s.length !== 0 && cmpId(s.lastValidId(), group.lastId) > 0) {
        sync = true;
        gt = group.lastId;
      }
    } else if (s.length !== 0 && cmpId(s.lastValidId(), gt) > 0) sync = true;
    if (!sync) continue;
    // streamReplyWithRange's start is inclusive: serve from the next ID.
    const start = incrId(gt) ?? ZERO_ID;
    served++;
    // The consumer is looked up (or created) as its stream is served (7.0).
    let consumer: Consumer | null = null;
    if (group !== null) {
      consumer = group.lookupConsumer(consumerKey, now) ?? null;
      if (consumer === null) {
        consumer = group.createConsumer(consumerKey, now)!;
        dirty(ctx);
        notify(ctx, "xgroup-createconsumer", key);
        if (noack) prop.push(["XGROUP", "CREATECONSUMER", keyArg, groupName!, consumerName!]);
      }
    }
    // The XCLAIMs are only built when something propagates them (a backlog or the AOF).
    const spi = group === null || !ctx.server.replication.propagating
      ? null
      : { key: keyArg, groupName: groupName!, out: prop };
    serveStream(body, now, keyArg, s, start, count, group, consumer, gr, history, spi);
    if (group !== null) dirty(ctx);
  }
  if (served !== 0) {
    // RESP2: an array of [key, entries] pairs; RESP3: a map of key to entries.
    if (reply.proto === 2) reply.array(served);
    else reply.map(served);
    reply.raw(body.buf.subarray(0, body.len));
    if (isGroup) ctx.server.replication.overridePropagation(prop);
    return;
  }
  if (timeoutMs !== -1) {
    if (!mayBlock(ctx.client)) {
      reply.nilArray();
      if (isGroup) ctx.server.replication.overridePropagation(prop);
      return;
    }
    if (isGroup) ctx.server.replication.overridePropagation(prop);
    const keyArgs = argv.slice(streamsArg, streamsArg + streamsCount);
    return new StreamWaiter(
      ctx,
      keyArgs,
      ids,
      count !== 0 ? count : XREAD_BLOCKED_DEFAULT_COUNT,
      gr,
      timeoutMs,
    ).block();
  }
  reply.nilArray();
  if (isGroup) ctx.server.replication.overridePropagation(prop);
}

function xread(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  return xreadGeneric(ctx, argv, false);
}

function xreadgroup(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  return xreadGeneric(ctx, argv, true);
}

/**
 * A client blocked in XREAD/XREADGROUP (serveClientsBlockedOnStreamKey,
 * unblockDeletedStreamReadgroupClients): served once its stream's last ID passes the one it waits
 * after (for a group: the group's last-delivered ID at that time); a group reader whose stream or
 * group went away gets an error.
 */
class StreamWaiter extends Waiter<Ctx["server"]> {
  /** XREAD is a read (a READONLY replica keeps it blocked); XREADGROUP writes. */
  protected override readonly isRead: boolean;

  constructor(
    ctx: Ctx,
    private readonly keyArgs: Uint8Array[],
    private readonly ids: StreamId[],
    private readonly count: number,
    private readonly gr: GroupRead | null,
    timeoutMs: number,
  ) {
    super(ctx, keyArgs.map(latin1), timeoutMs);
    this.isRead = gr === null;
  }

  protected tryServe(key: string): boolean {
    const { ctx, gr } = this;
    const { db, reply } = ctx;
    const s = db.lookup(key);
    if (!(s instanceof Stream)) {
      if (gr === null) return false;
      reply.error("UNBLOCKED the stream key no longer exists");
      return true;
    }
    const i = this.keys.indexOf(key);
    let gt = this.ids[i];
    let group: ConsumerGroup | null = null;
    if (gr !== null) {
      group = s.group(latin1(gr.name)) ?? null;
      if (group === null) {
        reply.error("NOGROUP the consumer group this client was blocked on no longer exists");
        return true;
      }
      gt = group.lastId;
    }
    if (cmpId(s.lastId, gt) <= 0) return false;
    const start = incrId(gt) ?? ZERO_ID;
    const keyArg = this.keyArgs[i];
    const now = nowMs(ctx);
    // The group changes in place: a snapshot being written keeps the value it had.
    if (group !== null && db.observer !== null) db.observer.beforeChange(key);
    // Served as its own execution unit: what it propagates leaves together (MULTI/EXEC).
    const endUnit = ctx.server.replication.holdUnit(ctx.client);
    try {
      let consumer: Consumer | null = null;
      if (group !== null) {
        const name = latin1(gr!.consumer);
        consumer = group.lookupConsumer(name, now) ?? null;
        if (consumer === null) {
          consumer = group.createConsumer(name, now)!;
          db.stats.dirty++;
          notify(ctx, "xgroup-createconsumer", key);
        }
      }
      if (reply.proto === 2) reply.array(1);
      else reply.map(1);
      const prop: PropInfo | null = group === null || !ctx.server.replication.propagating
        ? null
        : { key: keyArg, groupName: gr!.name, out: [] };
      serveStream(reply, now, keyArg, s, start, this.count, group, consumer, gr, false, prop);
      if (prop !== null) { for (const a of prop.out) ctx.server.replication.propagate(a); }
    } finally {
      endUnit();
    }
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// XACK, XCLAIM, XAUTOCLAIM, XPENDING

function xack(ctx: Ctx, argv: Uint8Array[]): void {
  const s = lookupStream(ctx, latin1(argv[1]), true);
  if (s === null) return;
  const group = s?.group(latin1(argv[2]));
  if (group === undefined) {
    ctx.reply.int(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = parseIdOrReply(ctx, argv[j], 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) if (group.ack(idKey(id))) acked++;
  dirty(ctx, acked);
  ctx.reply.int(acked);
}

/** Where the claimed entries of XCLAIM/XAUTOCLAIM go (created on the first claim). */
function claimConsumer(
  ctx: Ctx,
  group: ConsumerGroup,
  name: string,
  key: string,
  now: number,
): Consumer {
  let c = group.lookupConsumer(name, now);
  if (c === undefined) {
    c = group.createConsumer(name, now)!;
    dirty(ctx);
    notify(ctx, "xgroup-createconsumer", key);
  }
  return c;
}

/** Move `nack` to `consumer` (from its old owner, if any). */
function assignNack(key: string, nack: Nack, consumer: Consumer): void {
  if (nack.consumer === consumer) return;
  nack.consumer?.pel.remove(key);
  consumer.pel.set(key, nack);
  nack.consumer = consumer;
}

/** Drop a pending entry whose stream entry is gone (XCLAIM / XAUTOCLAIM since 7.0). */
function dropNack(group: ConsumerGroup, key: string, nack: Nack): void {
  group.pel.remove(key);
  nack.consumer?.pel.remove(key);
}

function xclaim(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const keyStr = latin1(argv[1]);
  const s = lookupStream(ctx, keyStr, true);
  if (s === null) return;
  const group = s?.group(latin1(argv[2]));
  if (s === undefined || group === undefined) {
    noGroup(ctx, argv[1], argv[2]);
    return;
  }
  const minIdleArg = parseLongLong(ctx, argv[4], "ERR Invalid min-idle-time argument for XCLAIM");
  if (minIdleArg === null) return;
  const minIdle = minIdleArg < 0n ? 0 : Number(minIdleArg);
  // IDs first; the first argument that is not one starts the options.
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const p = parseStreamId(argv[j], 0n, true);
    if (p === null) break;
    ids.push(p.id);
  }
  const now = nowMs(ctx);
  let deliveryTime = -1;
  let retryCount = -1n;
  let force = false;
  let justId = false;
  let lastId = ZERO_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = argv[j];
    if (isOpt(o, "force")) force = true;
    else if (isOpt(o, "justid")) justId = true;
    else if (isOpt(o, "idle") && more) {
      j++;
      const v = parseLongLong(ctx, argv[j], "ERR Invalid IDLE option argument for XCLAIM");
      if (v === null) return;
      deliveryTime = now - Number(v);
    } else if (isOpt(o, "time") && more) {
      j++;
      const v = parseLongLong(ctx, argv[j], "ERR Invalid TIME option argument for XCLAIM");
      if (v === null) return;
      deliveryTime = Number(v);
    } else if (isOpt(o, "retrycount") && more) {
      j++;
      const v = parseLongLong(ctx, argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (v === null) return;
      retryCount = v;
    } else if (isOpt(o, "lastid") && more) {
      j++;
      const v = parseIdOrReply(ctx, argv[j], 0n, true);
      if (v === null) return;
      lastId = v;
    } else {
      errorBinary(reply, `ERR Unrecognized XCLAIM option '${cText(o)}'`);
      return;
    }
  }
  let propagateLastId = false;
  if (cmpId(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  // A bogus time (in the future, or before the epoch) is "now": clients compute it themselves.
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;

  const name = latin1(argv[3]);
  let consumer: Consumer | null = null;
  const prop: Argv[] = [];
  const claimed: { id: StreamId; entry: NodeEntry | null }[] = [];
  for (const id of ids) {
    const key = idKey(id);
    let nack = group.pel.get(key);
    if (!s.entryExists(id)) {
      if (nack !== undefined) {
        prop.push(xclaimArgv(argv[1], argv[2], group, nack));
        propagateLastId = false;
        dirty(ctx);
        dropNack(group, key, nack);
      }
      continue;
    }
    if (force && nack === undefined) {
      nack = { id, deliveryTime: now, deliveryCount: 1n, consumer: null };
      group.pel.tryInsert(key, nack);
    }
    if (nack === undefined) continue;
    // A FORCE-created entry has no owner yet: the minimum idle time does not apply to it.
    if (nack.consumer !== null && minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= claimConsumer(ctx, group, name, keyStr, now);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0n) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount = BigInt.asUintN(64, nack.deliveryCount + 1n);
    assignNack(key, nack, consumer);
    let entry: NodeEntry | null = null;
    if (!justId) { for (const e of s.range(id, id, false)) entry = e; }
    claimed.push({ id, entry });
    prop.push(xclaimArgv(argv[1], argv[2], group, nack));
    propagateLastId = false;
    dirty(ctx);
  }
  if (propagateLastId) {
    prop.push(setIdArgv(argv[1], argv[2], group));
    dirty(ctx);
  }
  reply.array(claimed.length);
  for (const c of claimed) {
    if (c.entry !== null) replyEntry(reply, c.entry);
    else replyId(reply, c.id);
  }
  ctx.server.replication.overridePropagation(prop);
}

/** The largest transient allocation XAUTOCLAIM's COUNT may ask for (see below). */
const XAUTOCLAIM_MAX_ALLOC_BYTES = 80 * 2 ** 40;

function xautoclaim(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const keyStr = latin1(argv[1]);
  // Looked up first (keyspace hits and misses count even when an argument is wrong).
  const v = ctx.db.lookupRead(keyStr);
  const minIdleArg = parseLongLong(
    ctx,
    argv[4],
    "ERR Invalid min-idle-time argument for XAUTOCLAIM",
  );
  if (minIdleArg === null) return;
  const minIdle = minIdleArg < 0n ? 0 : Number(minIdleArg);
  const start = intervalStart(ctx, argv[5]);
  if (start === null) return;
  let count = 100;
  let justId = false;
  // LONG_MAX / max(sizeof(streamID), attempts_factor).
  const maxCount = 9223372036854775807n / 16n;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isOpt(argv[j], "count") && more) {
      const v = parseInt64Big(argv[j + 1]);
      if (v === null || v < 1n || v > maxCount) {
        reply.error("ERR COUNT must be > 0");
        return;
      }
      count = Number(v);
      j++;
    } else if (isOpt(argv[j], "justid")) justId = true;
    else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  if (v !== undefined && !(v instanceof Stream)) {
    reply.error(E.WRONGTYPE);
    return;
  }
  const s = v;
  const group = s?.group(latin1(argv[2]));
  if (s === undefined || group === undefined) {
    noGroup(ctx, argv[1], argv[2]);
    return;
  }
  // Redis allocates COUNT IDs up front for the deleted ones: past what the allocator of the
  // reference build gives (80 TiB), that fails.
  if (count * 16 > XAUTOCLAIM_MAX_ALLOC_BYTES) {
    reply.error("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    return;
  }
  let attempts = count * 10;
  const now = nowMs(ctx);
  const name = latin1(argv[3]);
  let consumer: Consumer | null = null;
  const prop: Argv[] = [];
  const claimed: { id: StreamId; entry: NodeEntry | null }[] = [];
  const deletedIds: StreamId[] = [];
  const pel = group.pel;
  // `next`: the next PEL entry to visit (the cursor the reply gives back).
  let next = pel.ceilKey(idKey(start));
  while (attempts-- > 0 && count > 0 && next !== undefined) {
    const key = next;
    const nack = pel.get(key)!;
    const id = nack.id;
    next = pel.higherKey(key);
    if (!s.entryExists(id)) {
      prop.push(xclaimArgv(argv[1], argv[2], group, nack));
      dirty(ctx);
      dropNack(group, key, nack);
      deletedIds.push(id);
      count--;
      continue;
    }
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= claimConsumer(ctx, group, name, keyStr, now);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount = BigInt.asUintN(64, nack.deliveryCount + 1n);
    assignNack(key, nack, consumer);
    let entry: NodeEntry | null = null;
    if (!justId) { for (const e of s.range(id, id, false)) entry = e; }
    claimed.push({ id, entry });
    count--;
    prop.push(xclaimArgv(argv[1], argv[2], group, nack));
    dirty(ctx);
  }
  // The cursor: the next entry of the PEL, or 0-0 at its end.
  reply.array(3);
  replyId(reply, next === undefined ? ZERO_ID : idOfKey(next));
  reply.array(claimed.length);
  for (const c of claimed) {
    if (c.entry !== null) replyEntry(reply, c.entry);
    else replyId(reply, c.id);
  }
  reply.array(deletedIds.length);
  for (const id of deletedIds) replyId(reply, id);
  ctx.server.replication.overridePropagation(prop);
}

function xpending(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const argc = argv.length;
  const justInfo = argc === 3;
  if (argc !== 3 && (argc < 6 || argc > 9)) {
    reply.error(E.SYNTAX);
    return;
  }
  let minIdle = 0n;
  let count = 0n;
  let start = ZERO_ID;
  let end = MAX_ID;
  let consumerArg: Uint8Array | null = null;
  if (argc >= 6) {
    let startIdx = 3;
    if (isOpt(argv[3], "idle")) {
      const v = parseLongLong(ctx, argv[4]);
      if (v === null) return;
      minIdle = v;
      if (argc < 8) {
        reply.error(E.SYNTAX);
        return;
      }
      startIdx += 2;
    }
    const c = parseLongLong(ctx, argv[startIdx + 2]);
    if (c === null) return;
    count = c < 0n ? 0n : c;
    const st = intervalStart(ctx, argv[startIdx]);
    if (st === null) return;
    const en = intervalEnd(ctx, argv[startIdx + 1]);
    if (en === null) return;
    start = st;
    end = en;
    if (startIdx + 3 < argc) consumerArg = argv[startIdx + 3];
  }
  const s = lookupStream(ctx, latin1(argv[1]), true);
  if (s === null) return;
  const group = s?.group(latin1(argv[2]));
  if (s === undefined || group === undefined) {
    noGroup(ctx, argv[1], argv[2]);
    return;
  }
  if (justInfo) {
    reply.array(4);
    reply.int(group.pel.size);
    if (group.pel.size === 0) {
      reply.nil();
      reply.nil();
      reply.nilArray();
      return;
    }
    replyId(reply, idOfKey(group.pel.firstKey()!));
    replyId(reply, idOfKey(group.pel.lastKey()!));
    const owners = group.sortedConsumers().filter((c) => c.pel.size !== 0);
    reply.array(owners.length);
    for (const c of owners) {
      reply.array(2);
      reply.bulkBinary(c.name);
      reply.bulkBinary(String(c.pel.size));
    }
    return;
  }
  let pel: Pel = group.pel;
  if (consumerArg !== null) {
    const c = group.lookupConsumer(latin1(consumerArg), null);
    if (c === undefined) {
      reply.array(0);
      return;
    }
    pel = c.pel;
  }
  const now = nowMs(ctx);
  const endKey = idKey(end);
  const rows: Nack[] = [];
  for (const [k, nack] of pel.from(idKey(start))) {
    if (count === 0n || k > endKey) break;
    if (minIdle !== 0n && BigInt(now - nack.deliveryTime) < minIdle) continue;
    rows.push(nack);
    count--;
  }
  reply.array(rows.length);
  for (const nack of rows) {
    reply.array(4);
    replyId(reply, nack.id);
    reply.bulkBinary(nack.consumer!.name);
    reply.int(Math.max(0, now - nack.deliveryTime));
    reply.int(BigInt.asIntN(64, nack.deliveryCount));
  }
}

// ---------------------------------------------------------------------------------------------
// XGROUP

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(ctx: Ctx, argv: Uint8Array[]): void {
  errorBinary(
    ctx.reply,
    `ERR unknown subcommand or wrong number of arguments for '${
      cText(argv[1]).slice(0, 128)
    }'. Try ${latin1(cString(argv[0])).toUpperCase()} HELP.`,
  );
}

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

/** xgroupCommand, for every subcommand but HELP. */
function xgroup(ctx: Ctx, argv: Uint8Array[]): void {
  const reply = ctx.reply;
  const sub = lower(argv[1]);
  const argc = argv.length;
  let mkstream = false;
  let entriesRead = ENTRIES_READ_INVALID;
  if (sub === "create" || sub === "setid") {
    for (let i = 5; i < argc;) {
      if (sub === "create" && isOpt(argv[i], "mkstream")) {
        mkstream = true;
        i++;
      } else if (isOpt(argv[i], "entriesread") && i + 1 < argc) {
        const v = parseLongLong(ctx, argv[i + 1]);
        if (v === null) return;
        if (v < 0n && v !== ENTRIES_READ_INVALID) {
          reply.error("ERR value for ENTRIESREAD must be positive or -1");
          return;
        }
        entriesRead = v;
        i += 2;
      } else {
        subcommandSyntaxError(ctx, argv);
        return;
      }
    }
  }
  const key = latin1(argv[2]);
  let s = lookupStream(ctx, key, false);
  if (s === null) return;
  const groupName = latin1(argv[3]);
  let group: ConsumerGroup | undefined;
  if (!mkstream) {
    if (s === undefined) {
      reply.error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want " +
          "to use the MKSTREAM option to create an empty stream automatically.",
      );
      return;
    }
    group = s.group(groupName);
    if (
      group === undefined &&
      (sub === "setid" || sub === "createconsumer" || sub === "delconsumer")
    ) {
      errorBinary(
        reply,
        `NOGROUP No such consumer group '${cText(argv[3])}' for key name '${cText(argv[2])}'`,
      );
      return;
    }
  }
  if (sub === "create" && argc >= 5 && argc <= 8) {
    let id: StreamId;
    if (isExactly(argv[4], "$")) id = s === undefined ? ZERO_ID : s.lastId;
    else {
      const p = parseIdOrReply(ctx, argv[4], 0n, true);
      if (p === null) return;
      id = p;
    }
    if (s === undefined) {
      s = new Stream();
      ctx.db.add(key, s);
    }
    if (s.createGroup(groupName, id, entriesRead) === undefined) {
      reply.error("BUSYGROUP Consumer Group name already exists");
      return;
    }
    reply.ok();
    dirty(ctx);
    notify(ctx, "xgroup-create", key);
  } else if (sub === "setid" && (argc === 5 || argc === 7)) {
    let id: StreamId;
    if (isExactly(argv[4], "$")) id = s!.lastId;
    else {
      const p = parseIdOrReply(ctx, argv[4], 0n, false);
      if (p === null) return;
      id = p;
    }
    group!.lastId = id;
    group!.entriesRead = entriesRead;
    reply.ok();
    dirty(ctx);
    notify(ctx, "xgroup-setid", key);
  } else if (sub === "destroy" && argc === 4) {
    if (group === undefined) {
      reply.int(0);
      return;
    }
    s!.groups!.delete(groupName);
    reply.int(1);
    dirty(ctx);
    notify(ctx, "xgroup-destroy", key);
    // Clients blocked in XREADGROUP on that group get -NOGROUP.
    ctx.db.signalKeyAsReady(key);
  } else if (sub === "createconsumer" && argc === 5) {
    const created = group!.createConsumer(latin1(argv[4]), nowMs(ctx));
    if (created !== undefined) {
      dirty(ctx);
      notify(ctx, "xgroup-createconsumer", key);
    }
    reply.int(created === undefined ? 0 : 1);
  } else if (sub === "delconsumer" && argc === 5) {
    const c = group!.lookupConsumer(latin1(argv[4]), null);
    let pending = 0;
    if (c !== undefined) {
      pending = c.pel.size;
      group!.deleteConsumer(c);
      dirty(ctx);
      notify(ctx, "xgroup-delconsumer", key);
    }
    reply.int(pending);
  } else {
    subcommandSyntaxError(ctx, argv);
  }
}

// ---------------------------------------------------------------------------------------------
// XINFO

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

/** The stream of an XINFO subcommand: "ERR no such key" when missing. */
function xinfoStream(ctx: Ctx, argv: Uint8Array[]): Stream | null {
  const s = lookupStream(ctx, latin1(argv[2]), true);
  if (s === null) return null;
  if (s === undefined) {
    ctx.reply.error(E.NO_SUCH_KEY);
    return null;
  }
  return s;
}

/** streamReplyWithCGLag. */
function replyLag(reply: Reply, s: Stream, g: ConsumerGroup): void {
  const lag = s.groupLag(g);
  if (lag === null) reply.nil();
  else reply.int(lag);
}

function replyEntriesRead(reply: Reply, g: ConsumerGroup): void {
  if (g.entriesRead === ENTRIES_READ_INVALID) reply.nil();
  else reply.int(g.entriesRead);
}

function xinfoConsumers(ctx: Ctx, argv: Uint8Array[]): void {
  const s = xinfoStream(ctx, argv);
  if (s === null) return;
  const g = s.group(latin1(argv[3]));
  if (g === undefined) {
    errorBinary(
      ctx.reply,
      `NOGROUP No such consumer group '${cText(argv[3])}' for key name '${cText(argv[2])}'`,
    );
    return;
  }
  const reply = ctx.reply;
  const now = nowMs(ctx);
  const consumers = g.sortedConsumers();
  reply.array(consumers.length);
  for (const c of consumers) {
    reply.map(3);
    reply.bulkBinary("name");
    reply.bulkBinary(c.name);
    reply.bulkBinary("pending");
    reply.int(c.pel.size);
    reply.bulkBinary("idle");
    reply.int(Math.max(0, now - c.seenTime));
  }
}

function xinfoGroups(ctx: Ctx, argv: Uint8Array[]): void {
  const s = xinfoStream(ctx, argv);
  if (s === null) return;
  const reply = ctx.reply;
  const names = s.groupNames();
  reply.array(names.length);
  for (const name of names) {
    const g = s.group(name)!;
    reply.map(6);
    reply.bulkBinary("name");
    reply.bulkBinary(name);
    reply.bulkBinary("consumers");
    reply.int(g.consumers.size);
    reply.bulkBinary("pending");
    reply.int(g.pel.size);
    reply.bulkBinary("last-delivered-id");
    replyId(reply, g.lastId);
    reply.bulkBinary("entries-read");
    replyEntriesRead(reply, g);
    reply.bulkBinary("lag");
    replyLag(reply, s, g);
  }
}

function xinfoStreamCmd(ctx: Ctx, argv: Uint8Array[]): void {
  const s = xinfoStream(ctx, argv);
  if (s === null) return;
  const reply = ctx.reply;
  const extra = argv.length - 3;
  let full = false;
  let count = 10n;
  if (extra > 0) {
    if (!isOpt(argv[3], "full")) {
      subcommandSyntaxError(ctx, argv);
      return;
    }
    if (extra === 3 && isOpt(argv[4], "count")) {
      const v = parseLongLong(ctx, argv[5]);
      if (v === null) return;
      count = v < 0n ? 10n : v;
    } else if (extra !== 1) {
      subcommandSyntaxError(ctx, argv);
      return;
    }
    full = true;
  }
  const limit = count > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(count);
  reply.map(full ? 9 : 10);
  reply.bulkBinary("length");
  reply.int(s.length);
  reply.bulkBinary("radix-tree-keys");
  reply.int(s.nodes.length);
  reply.bulkBinary("radix-tree-nodes");
  reply.int(s.raxNodes());
  reply.bulkBinary("last-generated-id");
  replyId(reply, s.lastId);
  reply.bulkBinary("max-deleted-entry-id");
  replyId(reply, s.maxDeletedId);
  reply.bulkBinary("entries-added");
  reply.int(BigInt.asIntN(64, s.entriesAdded));
  reply.bulkBinary("recorded-first-entry-id");
  replyId(reply, s.firstId);
  if (!full) {
    reply.bulkBinary("groups");
    reply.int(s.groups === null ? 0 : s.groups.size);
    for (const [field, rev] of [["first-entry", false], ["last-entry", true]] as const) {
      reply.bulkBinary(field);
      const e = s.collect(ZERO_ID, MAX_ID, rev, 1);
      if (e.length === 0) reply.nil();
      else replyEntry(reply, e[0]);
    }
    return;
  }
  reply.bulkBinary("entries");
  replyEntries(reply, s.collect(ZERO_ID, MAX_ID, false, limit));
  reply.bulkBinary("groups");
  const names = s.groupNames();
  reply.array(names.length);
  for (const name of names) {
    const g = s.group(name)!;
    reply.map(7);
    reply.bulkBinary("name");
    reply.bulkBinary(name);
    reply.bulkBinary("last-delivered-id");
    replyId(reply, g.lastId);
    reply.bulkBinary("entries-read");
    replyEntriesRead(reply, g);
    reply.bulkBinary("lag");
    replyLag(reply, s, g);
    reply.bulkBinary("pel-count");
    reply.int(g.pel.size);
    reply.bulkBinary("pending");
    const shown = limit === 0 ? g.pel.size : Math.min(limit, g.pel.size);
    reply.array(shown);
    let i = 0;
    for (const [, nack] of g.pel.entries()) {
      if (i++ === shown) break;
      reply.array(4);
      replyId(reply, nack.id);
      reply.bulkBinary(nack.consumer!.name);
      reply.int(nack.deliveryTime);
      reply.int(BigInt.asIntN(64, nack.deliveryCount));
    }
    reply.bulkBinary("consumers");
    const consumers = g.sortedConsumers();
    reply.array(consumers.length);
    for (const c of consumers) {
      reply.map(4);
      reply.bulkBinary("name");
      reply.bulkBinary(c.name);
      reply.bulkBinary("seen-time");
      reply.int(c.seenTime);
      reply.bulkBinary("pel-count");
      reply.int(c.pel.size);
      reply.bulkBinary("pending");
      const n = limit === 0 ? c.pel.size : Math.min(limit, c.pel.size);
      reply.array(n);
      let j = 0;
      for (const [, nack] of c.pel.entries()) {
        if (j++ === n) break;
        reply.array(3);
        replyId(reply, nack.id);
        reply.int(nack.deliveryTime);
        reply.int(BigInt.asIntN(64, nack.deliveryCount));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The command table

function help(lines: string[]) {
  return (ctx: Ctx): void => replyHelp(ctx, lines);
}

export const streamCommands: CommandDef[] = [
  fromTable("xadd", xadd),
  fromTable("xrange", (c, a) => xrangeGeneric(c, a, false)),
  fromTable("xrevrange", (c, a) => xrangeGeneric(c, a, true)),
  fromTable("xlen", xlen),
  fromTable("xdel", xdel),
  fromTable("xtrim", xtrim),
  fromTable("xsetid", xsetid),
  fromTable("xread", xread, { getKeys: xreadKeys }),
  fromTable("xreadgroup", xreadgroup, { getKeys: xreadKeys }),
  fromTable("xack", xack),
  fromTable("xclaim", xclaim),
  fromTable("xautoclaim", xautoclaim),
  fromTable("xpending", xpending),
  fromTable("xgroup", undefined, {
    subcommands: [
      fromTable("xgroup|create", xgroup),
      fromTable("xgroup|createconsumer", xgroup),
      fromTable("xgroup|delconsumer", xgroup),
      fromTable("xgroup|destroy", xgroup),
      fromTable("xgroup|setid", xgroup),
      fromTable("xgroup|help", help(XGROUP_HELP)),
    ],
  }),
  fromTable("xinfo", undefined, {
    subcommands: [
      fromTable("xinfo|consumers", xinfoConsumers),
      fromTable("xinfo|groups", xinfoGroups),
      fromTable("xinfo|stream", xinfoStreamCmd),
      fromTable("xinfo|help", help(XINFO_HELP)),
    ],
  }),
];
