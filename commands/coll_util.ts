/**
 * Helpers shared by the list, hash and set commands: Redis's integer-range argument parsing
 * (object.c getRangeLongFromObjectOrReply and friends), random picks from JS Sets/Maps without
 * copying them, and the SCAN family's argument parsing and SSCAN/HSCAN cursor machinery.
 */

import { latin1, parseInt64, parseInt64Big, str } from "../protocol/bytes.ts";
import { isKeyword } from "./strings.ts";
import { globMatch } from "../keyspace/glob.ts";
import * as E from "./errors.ts";
import type { Reply } from "../protocol/reply.ts";
import type { Db, Value } from "../keyspace/db.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";
import type { Hash } from "../keyspace/hash.ts";
import type { MemberSet } from "../keyspace/member_set.ts";

/** A collection of distinct string members or fields: a set, or a hash's fields. */
type Keyed = MemberSet | Map<string, unknown> | Hash;

export const LONG_MAX = 9223372036854775807;
export const LONG_MIN = -9223372036854775808;
/**
 * -LONG_MAX as a bound. As a double it would equal LONG_MIN, so a distinct sentinel stands for
 * it (parseRangeLong maps it back to -9223372036854775807 exactly).
 */
export const NEG_LONG_MAX = -9223372036854775000;

/**
 * getRangeLongFromObjectOrReply: an integer in [min, max], else an error text. With `msg` the
 * same text is used for "not an integer" and "out of range", as Redis does. Bounds are compared
 * exactly (a double cannot tell -LONG_MAX from LONG_MIN).
 */
export function parseRangeLong(
  arg: Uint8Array,
  min: number,
  max: number,
  msg: string | null,
): number | string {
  const v = parseInt64(arg);
  if (v === null) return msg !== null ? `ERR ${msg}` : E.NOT_INTEGER;
  let out: boolean;
  if (v > -9007199254740991 && v < 9007199254740991) out = v < min || v > max;
  else {
    const big = parseInt64Big(arg)!;
    out = big < exact(min) || big > exact(max);
  }
  if (out) {
    return msg !== null
      ? `ERR ${msg}`
      : `ERR value is out of range, value must between ${exact(min)} and ${exact(max)}`;
  }
  return v;
}

/** The C bound a double stands for: ±2^63 means LONG_MIN/LONG_MAX, -LONG_MAX stays -LONG_MAX. */
function exact(bound: number): bigint {
  if (bound === LONG_MAX) return 9223372036854775807n;
  if (bound === NEG_LONG_MAX) return -9223372036854775807n;
  if (bound === LONG_MIN) return -9223372036854775808n;
  return BigInt(bound);
}

/**
 * lookupKeyRead / lookupKeyWrite then checkType, for the collection commands: the value at `key`
 * when it is a `type` (an instance of that class), undefined when the key is missing, or null
 * after replying WRONGTYPE.
 */
export function lookupOfType<T extends Value>(
  ctx: { db: Db; reply: Reply },
  key: string,
  type: abstract new (...args: never[]) => T,
  read: boolean,
): T | undefined | null {
  const v = read ? ctx.db.lookupRead(key) : ctx.db.lookup(key);
  if (v === undefined || v instanceof type) return v as T | undefined;
  ctx.reply.error(E.WRONGTYPE);
  return null;
}

/**
 * A range of indexes over `len` elements as Redis clamps it for LRANGE, LTRIM, ZRANGE by rank
 * and ZREMRANGEBYRANK (t_list.c addListRangeReply/ltrimCommand, t_zset.c
 * genericZrangebyrankCommand/zremrangeGenericCommand): negative indexes count from the end,
 * start is raised to 0 and end lowered to len - 1. Null when the range holds no element.
 */
export function normalizeRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  return [start, end >= len ? len - 1 : end];
}

/** getPositiveLongFromObjectOrReply. */
export function parsePositiveLong(arg: Uint8Array, msg: string | null = null): number | string {
  return parseRangeLong(arg, 0, LONG_MAX, msg ?? "value is out of range, must be positive");
}

// ---------------------------------------------------------------- random picks

/**
 * Persistent iterators per collection: picking "the next few" elements from a live iterator is
 * O(1) amortized even while elements are deleted (a fresh iterator would have to skip the holes
 * that deletions leave at the front of a JS hash table).
 */
const cursors = new WeakMap<object, Iterator<string>>();

/** Up to this size, random picks walk to a uniformly random index. */
const UNIFORM_MAX = 256;
/** Above it, a pick skips 0..SKIP_MAX-1 elements of the persistent iterator. */
const SKIP_MAX = 16;

function nextFrom(coll: Keyed): string {
  let it = cursors.get(coll);
  if (it === undefined) {
    it = coll.keys();
    cursors.set(coll, it);
  }
  let r = it.next();
  if (r.done) {
    it = coll.keys();
    cursors.set(coll, it);
    r = it.next();
  }
  return r.value as string;
}

/** A random element (set member or hash field) of a non-empty collection. */
export function randomKey(coll: Keyed): string {
  const n = coll.size;
  if (n <= UNIFORM_MAX) {
    let idx = Math.floor(Math.random() * n);
    for (const k of coll.keys()) {
      if (idx-- === 0) return k;
    }
    throw new Error("randomKey: collection changed under iteration");
  }
  let skip = Math.floor(Math.random() * SKIP_MAX);
  while (skip-- > 0) nextFrom(coll);
  return nextFrom(coll);
}

/** k distinct uniformly random elements (k < size), by a partial Fisher-Yates on a copy. */
export function randomDistinct(coll: Keyed, k: number): string[] {
  const all = [...coll.keys()];
  const n = all.length;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  all.length = k;
  return all;
}

// ---------------------------------------------------------------- HDEL / SREM

/**
 * Delete the members/fields argv[from..] from `coll`, the value at `key` (HDEL, SREM); an
 * emptied collection's key is deleted, else the change is signalled. When something went, the
 * command's `event` of class `type` is notified, then `del` for an emptied key (hdelCommand,
 * sremCommand). Returns how many went.
 */
export function removeMembers(
  db: Db,
  key: string,
  coll: Keyed,
  argv: Uint8Array[],
  from: number,
  type: number,
  event: string,
): number {
  let removed = 0;
  for (let i = from; i < argv.length; i++) {
    if (coll.delete(latin1(argv[i]))) {
      removed++;
      if (coll.size === 0) break;
    }
  }
  if (removed > 0) {
    const keyRemoved = coll.size === 0;
    if (keyRemoved) db.delete(key);
    else db.signalModified(key);
    db.notifier.notifyKeyspaceEvent(type, event, key);
    if (keyRemoved) db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
  }
  return removed;
}

// ---------------------------------------------------------------- SCAN

/** Collections up to this size are returned whole by one SSCAN/HSCAN call (cursor 0), as Redis
 * does for its small encodings. */
const SCAN_WHOLE_MAX = 128;

/** FNV-1a over a binary string: the order in which a big collection is scanned. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface ScanSnapshot {
  keys: string[];
  hashes: Float64Array;
}

const snapshots = new WeakMap<object, ScanSnapshot>();

function buildSnapshot(coll: Keyed): ScanSnapshot {
  const pairs: [number, string][] = [];
  for (const k of coll.keys()) pairs.push([hash32(k), k]);
  pairs.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const keys = new Array<string>(pairs.length);
  const hashes = new Float64Array(pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    hashes[i] = pairs[i][0];
    keys[i] = pairs[i][1];
  }
  return { keys, hashes };
}

const MAX_CURSOR = 18446744073709551615n;

/**
 * Redis's parseScanCursorOrReply: strtoul over the whole argument (optional sign, decimal
 * digits, no spaces, "" is 0; a negative value wraps modulo 2^64). Null means "ERR invalid
 * cursor" (also for values past ULONG_MAX, ERANGE).
 */
export function parseScanCursor(arg: Uint8Array): bigint | null {
  const n = arg.length;
  let i = 0;
  let neg = false;
  if (n > 0 && (arg[0] === 43 || arg[0] === 45)) {
    neg = arg[0] === 45;
    i = 1;
  }
  if (i === n && n > 0) return null;
  // Fast path: short plain cursors (the usual "0" or a small number we handed out).
  if (!neg && n <= 15) {
    let v = 0;
    for (; i < n; i++) {
      const c = arg[i] - 48;
      if (c < 0 || c > 9) return null;
      v = v * 10 + c;
    }
    return BigInt(v);
  }
  let v = 0n;
  for (; i < n; i++) {
    const c = arg[i] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10n + BigInt(c);
    if (v > MAX_CURSOR) return null;
  }
  if (neg && v !== 0n) v = MAX_CURSOR + 1n - v;
  return v;
}

export const INVALID_CURSOR = "ERR invalid cursor";

export interface ScanOptions {
  count: number;
  /** MATCH pattern; null when absent or "*". */
  pattern: string | null;
  /** SCAN's TYPE filter, lowercased; null when absent. */
  type: string | null;
}

/**
 * Parse `[MATCH pattern] [COUNT count] [TYPE type]` from argv[from] on, as scanGenericCommand
 * does (after the key lookup): a bad COUNT is NOT_INTEGER, COUNT < 1 and anything else a syntax
 * error; TYPE only when `allowType` (SCAN, not HSCAN/SSCAN/ZSCAN). Returns an error text on
 * failure.
 */
export function parseScanOptions(
  argv: Uint8Array[],
  from: number,
  allowType = false,
): ScanOptions | string {
  let count = 10;
  let pattern: string | null = null;
  let type: string | null = null;
  for (let i = from; i < argv.length;) {
    const more = argv.length - i;
    if (more >= 2 && isKeyword(argv[i], "count")) {
      const c = parseInt64(argv[i + 1]);
      if (c === null) return E.NOT_INTEGER;
      if (c < 1) return E.SYNTAX;
      count = c;
    } else if (more >= 2 && isKeyword(argv[i], "match")) {
      const p = latin1(argv[i + 1]);
      pattern = p === "*" ? null : p;
    } else if (allowType && more >= 2 && isKeyword(argv[i], "type")) {
      type = str(argv[i + 1]).toLowerCase();
    } else {
      return E.SYNTAX;
    }
    i += 2;
  }
  return { count, pattern, type };
}

/**
 * One SCAN step over a collection: calls `emit` for each returned key (already MATCH-filtered)
 * and returns the next cursor (0 when done). Small collections come back whole. Big ones are
 * walked in hash order over a snapshot (rebuilt at cursor 0), so every element present for the
 * whole scan is returned at least once; elements deleted since the snapshot are skipped.
 */
export function scanCollection(
  coll: Keyed,
  cursorArg: bigint,
  opts: ScanOptions,
  emit: (key: string) => void,
): number {
  // Our cursors are hash + 1 (at most 2^32); bigger ones run past the end.
  const cursor = cursorArg > 0x100000000n ? 0x100000001 : Number(cursorArg);
  if (coll.size <= SCAN_WHOLE_MAX) {
    // Like a listpack/intset in Redis: whole, whatever the cursor.
    for (const k of coll.keys()) {
      if (opts.pattern === null || globMatch(opts.pattern, k)) emit(k);
    }
    return 0;
  }
  let snap = snapshots.get(coll);
  if (snap === undefined || cursor === 0) {
    snap = buildSnapshot(coll);
    snapshots.set(coll, snap);
  }
  // Cursor c (> 0) means: continue with the first key whose hash + 1 >= c.
  const want = cursor === 0 ? 0 : cursor - 1;
  const { keys, hashes } = snap;
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid] < want) lo = mid + 1;
    else hi = mid;
  }
  let taken = 0;
  let i = lo;
  for (; i < keys.length; i++) {
    if (taken >= opts.count && hashes[i] !== hashes[i - 1]) break;
    const k = keys[i];
    taken++;
    if (!coll.has(k)) continue;
    if (opts.pattern === null || globMatch(opts.pattern, k)) emit(k);
  }
  if (i >= keys.length) {
    snapshots.delete(coll);
    return 0;
  }
  return hashes[i] + 1;
}

/** Write a SCAN reply: [cursor, [items...]]. */
export function replyScan(
  reply: Reply,
  cursor: number | bigint,
  items: (string | Uint8Array)[],
): void {
  reply.array(2);
  reply.bulkBinary(String(cursor));
  reply.array(items.length);
  for (const it of items) {
    if (typeof it === "string") reply.bulkBinary(it);
    else reply.bulk(it);
  }
}
