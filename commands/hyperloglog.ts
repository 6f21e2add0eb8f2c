/**
 * HyperLogLog commands, as Redis 7.0.15 (hyperloglog.c): PFADD, PFCOUNT (one key: the cached
 * cardinality, refreshed and propagated when stale; several keys: the union's estimate),
 * PFMERGE, PFDEBUG (GETREG, DECODE, ENCODING, TODENSE) and PFSELFTEST. The representation
 * itself is keyspace/hyperloglog.ts.
 *
 * A HLL is a plain string value. As dbUnshareStringValue does, every command that writes or may
 * write a HLL first holds it as a "raw" string (OBJECT ENCODING), and what it changes is stored
 * as a new raw string (stored values are never changed in place). Side effects follow the C
 * code: PFADD's dirty count is the number of registers changed (plus one for a new key); PFCOUNT
 * refreshing the cache signals the key, counts one change and propagates itself although it is
 * a read command; PFDEBUG GETREG/TODENSE converting to dense counts a change but signals nothing;
 * PFMERGE's keyspace event is "pfadd". A PFADD that meets a corrupted sparse string keeps what
 * its earlier elements changed, with no signal, event or dirty count.
 */

import { latin1 } from "../protocol/bytes.ts";
import type { Db } from "../keyspace/db.ts";
import { isStringValue, stringBytes, type StringValue } from "../keyspace/string_value.ts";
import {
  cachedCard,
  denseGet,
  HLL_DENSE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  HllBuf,
  hllCount,
  hllCountRaw,
  hllDenseSet,
  hllMerge,
  hllSelfTest,
  hllSparseSet,
  hllSparseToDense,
  isHllString,
  setCachedCard,
  sparseDecode,
} from "../keyspace/hyperloglog.ts";
import { NOTIFY_STRING } from "../pubsub/notify_flags.ts";
import { newRawString, stringEncoding } from "./strings.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ConfigPort } from "../server/server_ports.ts";
import type { ReplicationRolePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort & ReplicationRolePort>;

const INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected";
const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const EMPTY = new Uint8Array(0);

/**
 * isHLLObjectOrReply: the value's bytes as a valid HLL string (a copy for a binary string), or
 * null after the error reply.
 */
function hllOrReply(ctx: Ctx, found: unknown): Uint8Array | null {
  if (!isStringValue(found)) {
    ctx.reply.error(E.WRONGTYPE);
    return null;
  }
  const v = stringBytes(found);
  if (!isHllString(v)) {
    ctx.reply.error(NOT_HLL);
    return null;
  }
  return v;
}

/**
 * Values whose sds terminator byte Redis would have left non-zero (HllBuf.terminator): it is
 * read back by the next change. Kept per stored array, so it goes with the value through RENAME
 * and in-place writes, and is lost (0, as in Redis) by anything that copies the string.
 */
const terminators = new WeakMap<Uint8Array, number>();

/** A working copy of a stored HLL value (its terminator byte included). */
function working(v: Uint8Array): HllBuf {
  return HllBuf.from(v, terminators.get(v) ?? 0);
}

/** A raw string holding `bytes` (a copy). */
function rawCopy(bytes: Uint8Array): Uint8Array {
  const out = newRawString(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * dbUnshareStringValue: the key's value held as a raw string (silently replaced if it was not).
 * `stored` is the value in the keyspace, `v` its bytes (hllOrReply): a binary string is always
 * replaced by a writable raw copy.
 */
function unshare(db: Db, key: string, stored: StringValue, v: Uint8Array): Uint8Array {
  if (stored === v && stringEncoding(v) === "raw") return v;
  const nv = rawCopy(v);
  db.overwrite(key, nv);
  return nv;
}

/** The working value's bytes as a new raw string (its terminator byte remembered). */
function rawOf(h: HllBuf): Uint8Array {
  const v = h.bytes(newRawString(h.len));
  if (h.terminator !== 0) terminators.set(v, h.terminator);
  return v;
}

function maxSparseBytes(ctx: Ctx): number {
  return ctx.server.config.getNumber("hll-sparse-max-bytes");
}

// ---------------------------------------------------------------------------------------------

function pfadd(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  const key = latin1(argv[1]);
  const found = db.lookup(key);
  let h: HllBuf;
  let updated = 0;
  let bytes: Uint8Array = EMPTY;
  if (found === undefined) {
    h = HllBuf.create();
    updated++;
  } else {
    const v = hllOrReply(ctx, found);
    if (v === null) return;
    bytes = v;
    h = working(v);
  }
  const maxBytes = argv.length > 2 ? maxSparseBytes(ctx) : 0;
  for (let j = 2; j < argv.length; j++) {
    const r = hllAdd(h, argv[j], maxBytes);
    if (r === 1) updated++;
    else if (r === -1) {
      // The object was unshared and changed in place by the earlier elements: kept, unsignaled.
      db.overwrite(key, rawOf(h));
      ctx.reply.error(INVALID_HLL);
      return;
    }
  }
  if (updated) {
    h.invalidateCache();
    const nv = rawOf(h);
    if (found === undefined) db.add(key, nv);
    else {
      db.overwrite(key, nv);
      db.signalModified(key);
    }
    db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "pfadd", key);
    db.stats.dirty += updated - 1;
  } else unshare(db, key, found as StringValue, bytes);
  ctx.reply.int(updated ? 1 : 0);
}

function pfcount(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  if (argv.length > 2) {
    // The union's cardinality: the registers' maxima, one byte each (HLL_RAW).
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const found = db.lookupRead(latin1(argv[j]));
      if (found === undefined) continue;
      const v = hllOrReply(ctx, found);
      if (v === null) return;
      if (!hllMerge(max, v, terminators.get(v))) {
        ctx.reply.error(INVALID_HLL);
        return;
      }
    }
    ctx.reply.int(BigInt.asIntN(64, hllCountRaw(max)));
    return;
  }
  const key = latin1(argv[1]);
  const found = db.lookupRead(key);
  if (found === undefined) {
    ctx.reply.int(0);
    return;
  }
  const hv = hllOrReply(ctx, found);
  if (hv === null) return;
  const v = unshare(db, key, found as StringValue, hv);
  let card = cachedCard(v);
  if (card === null) {
    const terminator = terminators.get(v);
    card = hllCount(v, terminator);
    if (card === null) {
      ctx.reply.error(INVALID_HLL);
      return;
    }
    const nv = rawCopy(v); // Redis writes the header in place: the terminator byte stays
    if (terminator !== undefined) terminators.set(nv, terminator);
    setCachedCard(nv, card);
    db.overwrite(key, nv);
    // A read command that changed the value: signalModifiedKey, server.dirty++, and call()
    // propagates it because dirty moved.
    db.signalModified(key);
    ctx.server.replication.overridePropagation([argv]);
  }
  ctx.reply.int(BigInt.asIntN(64, card));
}

function pfmerge(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const found = db.lookupRead(latin1(argv[j]));
    if (found === undefined) continue;
    const v = hllOrReply(ctx, found);
    if (v === null) return;
    if (v[4] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, v, terminators.get(v))) {
      ctx.reply.error(INVALID_HLL);
      return;
    }
  }
  const key = latin1(argv[1]);
  const found = db.lookup(key) as StringValue | undefined;
  const h = found === undefined ? HllBuf.create() : working(stringBytes(found));
  if (useDense && !hllSparseToDense(h)) {
    // Unreachable: the destination, when it exists, was validated as a source above.
    ctx.reply.error(INVALID_HLL);
    return;
  }
  const maxBytes = maxSparseBytes(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] === 0) continue;
    if (h.encoding === HLL_DENSE) hllDenseSet(h.buf, HLL_HDR_SIZE, j, max[j]);
    else hllSparseSet(h, j, max[j], maxBytes);
  }
  h.invalidateCache();
  const nv = rawOf(h);
  if (found === undefined) db.add(key, nv);
  else {
    db.overwrite(key, nv);
    db.signalModified(key);
  }
  db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "pfadd", key);
  ctx.reply.ok();
}

/** The bytes of `b` up to its first NUL (what C's string functions see of an argument). */
function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z === -1 ? b : b.subarray(0, z);
}

function isWord(b: Uint8Array, word: string): boolean {
  if (b.length !== word.length) return false;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * GETREG/TODENSE's conversion: the dense value (stored, counting a change, when converted), or
 * null after the error reply.
 */
function toDense(ctx: Ctx, key: string, v: Uint8Array): Uint8Array | null {
  if (v[4] !== HLL_SPARSE) return v;
  const h = working(v);
  if (!hllSparseToDense(h)) {
    ctx.reply.error(INVALID_HLL);
    return null;
  }
  const dense = rawOf(h);
  ctx.db.overwrite(key, dense);
  ctx.db.stats.dirty++; // "Force propagation on encoding change", without signalModifiedKey.
  return dense;
}

function pfdebug(ctx: Ctx, argv: Uint8Array[]): void {
  const db = ctx.db;
  const sub = cString(argv[1]);
  const key = latin1(argv[2]);
  const found = db.lookup(key);
  if (found === undefined) {
    ctx.reply.error("ERR The specified key does not exist");
    return;
  }
  const hv = hllOrReply(ctx, found);
  if (hv === null) return;
  const v = unshare(db, key, found as StringValue, hv);
  const reply = ctx.reply;
  if (isWord(sub, "getreg")) {
    const dense = toDense(ctx, key, v);
    if (dense === null) return;
    reply.array(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) reply.int(denseGet(dense, HLL_HDR_SIZE, j));
  } else if (isWord(sub, "decode")) {
    if (v[4] !== HLL_SPARSE) {
      reply.error("ERR HLL encoding is not sparse");
      return;
    }
    reply.bulk(asciiBytes(sparseDecode(v, terminators.get(v))));
  } else if (isWord(sub, "encoding")) {
    reply.status(v[4] === HLL_DENSE ? "dense" : "sparse");
  } else if (isWord(sub, "todense")) {
    const sparse = v[4] === HLL_SPARSE;
    if (toDense(ctx, key, v) === null) return;
    reply.int(sparse ? 1 : 0);
  } else {
    const text = new Uint8Array(sub.length + 33);
    text.set(asciiBytes("ERR Unknown PFDEBUG subcommand '"));
    text.set(sub, 32);
    text[text.length - 1] = 39;
    reply.errorBytes(text);
  }
}

function pfselftest(ctx: Ctx): void {
  const err = hllSelfTest(
    maxSparseBytes(ctx),
    () => Math.floor(Math.random() * 0x80000000),
  );
  if (err === null) ctx.reply.ok();
  else ctx.reply.error(err);
}

// ---------------------------------------------------------------------------------------------

export const hyperloglogCommands: CommandDef[] = [
  fromTable("pfadd", pfadd),
  // MAY_REPLICATE (pfcount.json; COMMAND INFO hides it): it may rewrite a sparse key as dense,
  // so a read-only script may not call it.
  fromTable("pfcount", pfcount, {}, ["may_replicate"]),
  fromTable("pfmerge", pfmerge),
  fromTable("pfdebug", pfdebug),
  fromTable("pfselftest", pfselftest),
];
