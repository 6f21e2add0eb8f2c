/**
 * SORT and SORT_RO, as Redis 7.0's sort.c (sortCommandGeneric, lookupKeyByPattern, sortCompare)
 * and pqsort.c (the partial quicksort used for BY + LIMIT: commands/pqsort.ts), and db.c
 * sortGetKeys.
 *
 * What follows Redis to the letter because it shows in replies:
 * - Options are compared with strcasecmp and patterns searched with strchr/strstr: C strings,
 *   so everything after an embedded NUL byte is invisible to them ("ASC\0x" is ASC, "w\0*" has
 *   no '*'), while the key, field and element bytes stay binary.
 * - The input order is the container's: a list in order, a sorted set by rank (BY nosort: its
 *   range is read straight from the skiplist, DESC walking backwards, LIMIT applied there) or
 *   else in its dict order, a set in its iteration order. Ours are insertion orders; Redis's are
 *   an intset's ascending order or a hash table's, so an unsorted set (BY nosort), and the ties
 *   of ALPHA BY over a set or sorted set, may come out in another order than Redis's.
 * - Numeric weights are strtod over the C string, refused ("One or more scores can't be
 *   converted into double") when something is left, on ERANGE (overflow, inexact underflow) or
 *   NaN; an empty weight is 0 and a missing one too. Equal scores are ordered by the elements'
 *   bytes. ALPHA compares with strcoll in the C locale (byte order up to the first NUL) unless
 *   STORE is given (then binary, compareStringObjects); a missing BY value sorts first.
 * - Sorting is glibc's qsort (a stable merge sort: Array.prototype.sort) except with a BY
 *   pattern and a LIMIT narrower than the input, where pqsort (not stable) picks the range:
 *   ties then come out in exactly Redis's order.
 * - A set sorted BY a constant pattern with STORE, or from a script, is sorted ALPHA instead, so
 *   that what is stored or replicated does not depend on the set's iteration order.
 * - A sorted set given to SORT is converted to the skiplist encoding (zsetConvert), as OBJECT
 *   ENCODING then shows.
 * - In cluster mode BY (with a '*') and GET (any pattern, even '#') are refused.
 * - STORE writes a list (GET of a missing key stores ""), or deletes the destination when the
 *   result is empty; the `sortstore` (or `del`) event precedes the reply; it propagates as is.
 *
 * Not reproduced: Redis tests errno == ERANGE without clearing errno first, so after any earlier
 * ERANGE in the process (a SORT that failed on "1e400", ...) and until some failing system call
 * overwrites errno, every numeric SORT over a non-integer weight fails. Here each SORT starts
 * with errno clear. ACL key permissions do not exist here, so BY/GET are never refused for them.
 */

import { sortGetKeys } from "./key_finders.ts";
import { latin1, parseInt64 } from "../protocol/bytes.ts";
import { Deque, ListCursor } from "../keyspace/deque.ts";
import type { Value } from "../keyspace/db.ts";
import { ZSet } from "../keyspace/zset.ts";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import * as E from "./errors.ts";
import { pqsort } from "./pqsort.ts";
import { strtod } from "./zset_parse.ts";
import { hexVal, isDigit } from "./long_double.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { NOTIFY_GENERIC, NOTIFY_LIST } from "../pubsub/notify_flags.ts";
import type { ClusterModePort, ScriptsHost } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ClusterModePort & ScriptsHost>;

export const CONVERSION_ERROR = "ERR One or more scores can't be converted into double";
export const BY_DENIED_IN_CLUSTER = "ERR BY option of SORT denied in Cluster mode.";
export const GET_DENIED_IN_CLUSTER = "ERR GET option of SORT denied in Cluster mode.";

// ---------------------------------------------------------------- C-string helpers

/** Length of the C string a binary string holds (up to its first NUL). */
function cLength(s: string): number {
  const i = s.indexOf("\0");
  return i < 0 ? s.length : i;
}

/** strcasecmp(arg, word) == 0: `word` is lowercase ASCII; the argument ends at its first NUL. */
export function isCKeyword(b: Uint8Array, word: string): boolean {
  const n = word.length;
  if (b.length < n || (b.length > n && b[n] !== 0)) return false;
  for (let i = 0; i < n; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** strcmp over binary strings (strcoll in the C locale): unsigned bytes, up to the first NUL. */
export function strcmpC(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x - y;
    if (x === 0) return 0;
  }
  return (a.length > n ? a.charCodeAt(n) : 0) - (b.length > n ? b.charCodeAt(n) : 0);
}

/** compareStringObjects: memcmp, then the shorter first. */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------- patterns

/** A BY/GET pattern taken apart as lookupKeyByPattern does. */
export interface SortPattern {
  /** "#" (the element itself; anything after a NUL following the '#' is ignored). */
  self: boolean;
  /** No '*' in the C string: never finds anything. */
  constant: boolean;
  prefix: string;
  postfix: string;
  /** The hash field after "->" (binary, to the end of the pattern), or null. */
  field: string | null;
}

export function parsePattern(spat: string): SortPattern {
  const none = { self: false, constant: true, prefix: "", postfix: "", field: null };
  if (spat.charCodeAt(0) === 35 && (spat.length === 1 || spat.charCodeAt(1) === 0)) {
    return { ...none, self: true, constant: false };
  }
  const clen = cLength(spat);
  const p = spat.indexOf("*");
  if (p < 0 || p >= clen) return none;
  // strstr(p+1, "->") within the C string, and a non-empty field after it (*(f+2) != '\0').
  const f = spat.indexOf("->", p + 1);
  if (f >= 0 && f + 2 < clen) {
    return {
      self: false,
      constant: false,
      prefix: spat.slice(0, p),
      postfix: spat.slice(p + 1, f),
      field: spat.slice(f + 2),
    };
  }
  return {
    self: false,
    constant: false,
    prefix: spat.slice(0, p),
    postfix: spat.slice(p + 1),
    field: null,
  };
}

/** The string a pattern names for an element, or null (lookupKeyByPattern). */
function lookupByPattern(
  ctx: Ctx,
  pat: SortPattern,
  elem: string,
): Uint8Array | string | null {
  if (pat.self) return elem;
  if (pat.constant) return null;
  const v: Value | undefined = ctx.db.lookupRead(pat.prefix + elem + pat.postfix);
  if (v === undefined) return null;
  if (pat.field !== null) return v instanceof Hash ? v.get(pat.field) ?? null : null;
  // A string value held as a binary string is returned as one, as the element itself is.
  return typeof v === "string" || v instanceof Uint8Array ? v : null;
}

// ---------------------------------------------------------------- weights

const DBL_MIN = 2.2250738585072014e-308;

function bytesOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/**
 * Is a hexadecimal float an exact subnormal (glibc strtod sets ERANGE only on an inexact
 * underflow)? `b` is the whole parsed C string.
 */
function hexIsExact(b: Uint8Array): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 32 || (b[i] >= 9 && b[i] <= 13))) i++;
  if (b[i] === 43 || b[i] === 45) i++;
  if (!(b[i] === 48 && (b[i + 1] | 32) === 120)) return false; // decimal: taken as inexact
  i += 2;
  let m = 0n;
  let exp = 0n;
  let frac = false;
  for (; i < b.length; i++) {
    if (b[i] === 46 && !frac) {
      frac = true;
      continue;
    }
    const h = hexVal(b[i]);
    if (h < 0) break;
    m = m * 16n + BigInt(h);
    if (frac) exp -= 4n;
  }
  if ((b[i] | 32) === 112) {
    i++;
    let neg = false;
    if (b[i] === 43 || b[i] === 45) neg = b[i++] === 45;
    let e = 0n;
    for (; i < b.length && isDigit(b[i]); i++) e = e * 10n + BigInt(b[i] - 48);
    exp += neg ? -e : e;
  }
  if (m === 0n) return true;
  while ((m & 1n) === 0n) {
    m >>= 1n;
    exp++;
  }
  return exp >= -1074n;
}

/**
 * A numeric sort weight as sortCommandGeneric computes it: strtod over the C string, null when
 * characters are left, on ERANGE, or NaN. (Integer-encoded values give the same number.)
 */
export function sortWeight(v: Uint8Array): number | null {
  let n = v.indexOf(0);
  if (n < 0) n = v.length;
  if (n === 0) return 0;
  const b = n === v.length ? v : v.subarray(0, n);
  const r = strtod(b);
  if (r.end !== n || r.erange || Number.isNaN(r.value)) return null;
  if (r.value !== 0 && Math.abs(r.value) < DBL_MIN && !hexIsExact(b)) return null;
  return r.value;
}

// ---------------------------------------------------------------- SORT

/** One element of the vector to sort (redisSortObject). */
interface SortItem {
  obj: string;
  score: number;
  /** The BY value for ALPHA (null: missing). */
  cmpobj: string | null;
}

function sortCompare(
  alpha: boolean,
  byPattern: boolean,
  store: boolean,
  desc: boolean,
): (a: SortItem, b: SortItem) => number {
  let f: (a: SortItem, b: SortItem) => number;
  if (!alpha) {
    f = (a, b) => a.score > b.score ? 1 : a.score < b.score ? -1 : compareBinary(a.obj, b.obj);
  } else if (byPattern) {
    const coll = store ? compareBinary : strcmpC;
    f = (a, b) => {
      if (a.cmpobj === null || b.cmpobj === null) {
        return a.cmpobj === b.cmpobj ? 0 : a.cmpobj === null ? -1 : 1;
      }
      return coll(a.cmpobj, b.cmpobj);
    };
  } else {
    const coll = store ? compareBinary : strcmpC;
    f = (a, b) => coll(a.obj, b.obj);
  }
  return desc ? (a, b) => -f(a, b) : f;
}

function sortGeneric(ctx: Ctx, argv: Uint8Array[], readonly: boolean): void {
  const { reply, db } = ctx;
  const argc = argv.length;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const getops: SortPattern[] = [];
  const cluster = ctx.server.cluster !== null;

  for (let j = 2; j < argc; j++) {
    const leftargs = argc - j - 1;
    const a = argv[j];
    if (isCKeyword(a, "asc")) desc = false;
    else if (isCKeyword(a, "desc")) desc = true;
    else if (isCKeyword(a, "alpha")) alpha = true;
    else if (isCKeyword(a, "limit") && leftargs >= 2) {
      const s = parseInt64(argv[j + 1]);
      const c = s === null ? null : parseInt64(argv[j + 2]);
      if (s === null || c === null) {
        reply.error(E.NOT_INTEGER);
        return;
      }
      limitStart = s;
      limitCount = c;
      j += 2;
    } else if (!readonly && isCKeyword(a, "store") && leftargs >= 1) {
      storekey = latin1(argv[j + 1]);
      j++;
    } else if (isCKeyword(a, "by") && leftargs >= 1) {
      sortby = latin1(argv[j + 1]);
      // A BY pattern without '*' is constant: nothing to sort, no weights to look up.
      const star = sortby.indexOf("*");
      if (star < 0 || star >= cLength(sortby)) dontsort = true;
      else if (cluster) {
        reply.error(BY_DENIED_IN_CLUSTER);
        return;
      }
      j++;
    } else if (isCKeyword(a, "get") && leftargs >= 1) {
      if (cluster) {
        reply.error(GET_DENIED_IN_CLUSTER);
        return;
      }
      getops.push(parsePattern(latin1(argv[j + 1])));
      j++;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }

  const key = latin1(argv[1]);
  const sortval = db.lookupRead(key);
  if (
    sortval !== undefined && !(sortval instanceof Deque) && !(sortval instanceof MemberSet) &&
    !(sortval instanceof ZSet)
  ) {
    reply.error(E.WRONGTYPE);
    return;
  }

  // A set with no sort order asked for is sorted when the result is stored or the caller is a
  // script, so it does not depend on the set's iteration order.
  if (
    dontsort && sortval instanceof MemberSet &&
    (storekey !== null || ctx.client === ctx.server.scripts.scriptClient)
  ) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }

  // zsetConvert(sortval, OBJ_ENCODING_SKIPLIST): destructive, as in Redis.
  if (sortval instanceof ZSet && sortval.listpack) {
    db.observer?.beforeChange(key);
    sortval.convertToSkiplist();
  }

  let vectorlen = sortval === undefined
    ? 0
    : sortval instanceof Deque
    ? sortval.length
    : sortval.size;

  // LIMIT sanity checks, inputs bounded by the object's size.
  let start = Math.min(Math.max(limitStart, 0), vectorlen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Lists and sorted sets read with no sorting load just the range asked for.
  const ordered = sortval === undefined || sortval instanceof Deque || sortval instanceof ZSet;
  if (ordered && dontsort && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;

  const vector: SortItem[] = [];
  const item = (obj: string) => vector.push({ obj, score: 0, cmpobj: null });
  if (sortval === undefined) {
    // An empty list stands in for the missing key.
  } else if (sortval instanceof Deque) {
    // One walk with a cursor (listTypeInitIterator): an element by index costs a walk of blocks.
    const c = new ListCursor(sortval);
    const element = () => item(latin1(c.buf.subarray(c.pos, c.pos + c.len)));
    if (dontsort) {
      if (end >= start) {
        let ok = c.seek(desc ? sortval.length - start - 1 : start);
        for (let j = 0; j < vectorlen && ok; j++) {
          element();
          ok = desc ? c.prev() : c.next();
        }
        end -= start;
        start = 0;
      }
    } else for (let ok = c.seek(0); ok; ok = c.next()) element();
  } else if (sortval instanceof MemberSet) {
    for (const m of sortval) item(m);
  } else if (dontsort) {
    if (vectorlen > 0) {
      for (const m of sortval.rangeByRank(start, start + vectorlen - 1, desc).members) item(m);
    }
    end -= start;
    start = 0;
  } else {
    for (const [m] of sortval) item(m);
  }

  let conversionError = false;
  if (!dontsort) {
    const by = sortby === null ? null : parsePattern(sortby);
    for (const it of vector) {
      let byval: Uint8Array | string;
      if (by !== null) {
        const v = lookupByPattern(ctx, by, it.obj);
        if (v === null) continue;
        byval = v;
      } else byval = it.obj;
      if (alpha) {
        if (by !== null) it.cmpobj = typeof byval === "string" ? byval : latin1(byval);
      } else {
        const w = sortWeight(typeof byval === "string" ? bytesOf(byval) : byval);
        if (w === null) conversionError = true;
        else it.score = w;
      }
    }
    if (!conversionError) {
      const cmp = sortCompare(alpha, sortby !== null, storekey !== null, desc);
      if (sortby !== null && (start !== 0 || end !== vector.length - 1)) {
        pqsort(vector, cmp, start, end);
      } else vector.sort(cmp);
    }
  }

  const outputlen = getops.length ? getops.length * (end - start + 1) : end - start + 1;
  if (conversionError) {
    reply.error(CONVERSION_ERROR);
  } else if (storekey === null) {
    reply.array(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = vector[j].obj;
      if (getops.length === 0) reply.bulkBinary(obj);
      for (const op of getops) {
        const v = lookupByPattern(ctx, op, obj);
        if (v === null) reply.nil();
        else if (typeof v === "string") reply.bulkBinary(v);
        else reply.bulk(v);
      }
    }
  } else {
    const out = new Deque();
    for (let j = start; j <= end; j++) {
      const obj = vector[j].obj;
      if (getops.length === 0) out.push(bytesOf(obj));
      for (const op of getops) {
        const v = lookupByPattern(ctx, op, obj);
        out.push(v === null ? new Uint8Array(0) : typeof v === "string" ? bytesOf(v) : v.slice());
      }
    }
    if (outputlen > 0) {
      db.set(storekey, out);
      db.notifier.notifyKeyspaceEvent(NOTIFY_LIST, "sortstore", storekey);
      // server.dirty += outputlen (signalModified counted one already).
      db.stats.dirty += outputlen - 1;
    } else if (db.deleteEvenIfExpired(storekey)) {
      db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", storekey);
    }
    reply.int(outputlen);
  }
}

export { sortGetKeys };

export const sortCommands: CommandDef[] = [
  fromTable("sort", (c, a) => sortGeneric(c, a, false), { getKeys: sortGetKeys }),
  // sortROGetKeys: the sorted key only.
  fromTable("sort_ro", (c, a) => sortGeneric(c, a, true), { getKeys: () => [1] }),
];
