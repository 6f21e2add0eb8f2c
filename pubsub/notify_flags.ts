/**
 * The event classes of `notify-keyspace-events`, as Redis 7.0's server.h NOTIFY_* bits, and the
 * conversions between the directive's text and the bits (notify.c keyspaceEventsStringToFlags,
 * keyspaceEventsFlagsToString). Pure: the server caches the parsed bits (pubsub/notify.ts).
 */

/** K: publish to __keyspace@<db>__:<key>. */
export const NOTIFY_KEYSPACE = 1 << 0;
/** E: publish to __keyevent@<db>__:<event>. */
export const NOTIFY_KEYEVENT = 1 << 1;
/** g: DEL, EXPIRE, RENAME, ... */
export const NOTIFY_GENERIC = 1 << 2;
/** $ */
export const NOTIFY_STRING = 1 << 3;
/** l */
export const NOTIFY_LIST = 1 << 4;
/** s */
export const NOTIFY_SET = 1 << 5;
/** h */
export const NOTIFY_HASH = 1 << 6;
/** z */
export const NOTIFY_ZSET = 1 << 7;
/** x: a key deleted because its TTL passed. */
export const NOTIFY_EXPIRED = 1 << 8;
/** e: a key evicted by maxmemory (no eviction here: never fired). */
export const NOTIFY_EVICTED = 1 << 9;
/** t: streams (no streams here: never fired). */
export const NOTIFY_STREAM = 1 << 10;
/** m: a read of a missing key. */
export const NOTIFY_KEY_MISS = 1 << 11;
/** Modules only (no letter). */
export const NOTIFY_LOADED = 1 << 12;
/** d: module key types (no modules here: never fired). */
export const NOTIFY_MODULE = 1 << 13;
/** n: a key was created. */
export const NOTIFY_NEW = 1 << 14;

/** A: every class but m and n. */
export const NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET |
  NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

/** The error CONFIG SET and the config file give for a bad class (config.c). */
export const INVALID_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

const CLASS_OF: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/**
 * keyspaceEventsStringToFlags: the bits named by `classes`, or -1 when a character is not a
 * class. The C loop stops at the first NUL byte, so does this one.
 */
export function keyspaceEventsStringToFlags(classes: string): number {
  let flags = 0;
  for (const c of classes) {
    if (c === "\0") break;
    const bit = Object.hasOwn(CLASS_OF, c) ? CLASS_OF[c] : undefined;
    if (bit === undefined) return -1;
    flags |= bit;
  }
  return flags;
}

/**
 * keyspaceEventsFlagsToString: the canonical text CONFIG GET shows ("A" stands for all of its
 * classes and then hides n, as in Redis; K, E and m always come last).
 */
export function keyspaceEventsFlagsToString(flags: number): string {
  let res = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) {
    res += "A";
  } else {
    if (flags & NOTIFY_GENERIC) res += "g";
    if (flags & NOTIFY_STRING) res += "$";
    if (flags & NOTIFY_LIST) res += "l";
    if (flags & NOTIFY_SET) res += "s";
    if (flags & NOTIFY_HASH) res += "h";
    if (flags & NOTIFY_ZSET) res += "z";
    if (flags & NOTIFY_EXPIRED) res += "x";
    if (flags & NOTIFY_EVICTED) res += "e";
    if (flags & NOTIFY_STREAM) res += "t";
    if (flags & NOTIFY_MODULE) res += "d";
    if (flags & NOTIFY_NEW) res += "n";
  }
  if (flags & NOTIFY_KEYSPACE) res += "K";
  if (flags & NOTIFY_KEYEVENT) res += "E";
  if (flags & NOTIFY_KEY_MISS) res += "m";
  return res;
}
