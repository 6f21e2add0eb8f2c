/**
 * What a write command puts on the replication stream (Redis 7.0's rewrites before propagation):
 * relative TTLs become absolute (SET .. PXAT, PEXPIREAT, RESTORE .. ABSTTL), INCRBYFLOAT becomes
 * SET .. KEEPTTL, SPOP becomes SREM/DEL, blocking pops become their non-blocking forms, an
 * EXPIRE into the past becomes DEL. The rewrite reads the keyspace after the command ran and, for
 * pops, the reply the command wrote (the popped key and elements). Pure over its inputs.
 */

import { latin1, lower } from "../protocol/bytes.ts";
import { decodeValue, type RespValue } from "../protocol/resp_value.ts";
import type { Db } from "../keyspace/db.ts";

export type Arg = Uint8Array | string;
export type Argv = Arg[];

const enc = new TextEncoder();

/** Decimal digits of a non-negative integer. */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  let d = 5;
  n = Math.floor(n / 100000);
  while (n > 0) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** `prefix` (`*` or `$`), decimal `n`, CRLF at `o`; returns the end. */
function writeHeader(out: Uint8Array, o: number, prefix: number, n: number): number {
  out[o++] = prefix;
  if (n < 10) {
    out[o] = 48 + n;
    out[o + 1] = 13;
    out[o + 2] = 10;
    return o + 3;
  }
  const end = o + digitCount(n);
  for (let i = end - 1; i >= o; i--) {
    out[i] = 48 + n % 10;
    n = Math.floor(n / 10);
  }
  out[end] = 13;
  out[end + 1] = 10;
  return end + 2;
}

/** A string argument as bytes, or null when it is ASCII (then written as its char codes). */
function nonAscii(s: string): Uint8Array | null {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return enc.encode(s);
  return null;
}

/**
 * Write the RESP multibulk form of `argv` into `out` at `o` (replicationFeedSlaves's encoding:
 * `*<argc>`, then `$<len>` and the bytes of each argument): the end, or -1 (nothing written)
 * when it does not fit before `out.length`. No allocation for ASCII and bytes arguments.
 */
export function encodeCommandInto(out: Uint8Array, o: number, argv: readonly Arg[]): number {
  let n = 3 + digitCount(argv.length);
  let encoded: (Uint8Array | null)[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let len: number;
    if (typeof a === "string") {
      const b = nonAscii(a);
      if (b !== null) (encoded ??= new Array(argv.length).fill(null))[i] = b;
      len = b === null ? a.length : b.length;
    } else len = a.length;
    n += 5 + digitCount(len) + len;
  }
  if (o + n > out.length) return -1;
  const start = o;
  o = writeHeader(out, o, 42, argv.length); // '*'
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const b = typeof a === "string" ? (encoded?.[i] ?? null) : a;
    if (b === null) {
      const s = a as string;
      o = writeHeader(out, o, 36, s.length); // '$'
      for (let j = 0; j < s.length; j++) out[o++] = s.charCodeAt(j);
    } else {
      o = writeHeader(out, o, 36, b.length);
      if (b.length < 16) { for (let j = 0; j < b.length; j++) out[o + j] = b[j]; }
      else out.set(b, o);
      o += b.length;
    }
    out[o++] = 13;
    out[o++] = 10;
  }
  if (o - start !== n) throw new Error("encodeCommand: length mismatch");
  return o;
}

/**
 * Bytes of `argv` in multibulk form (strings counted as UTF-8): what `encodeCommand` makes, and
 * how a replica counts the stream it processed.
 */
export function commandLength(argv: readonly Arg[]): number {
  let n = 3 + digitCount(argv.length);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const len = typeof a === "string" ? (nonAscii(a)?.length ?? a.length) : a.length;
    n += 5 + digitCount(len) + len;
  }
  return n;
}

/** RESP multibulk encoding of a command (strings are UTF-8, here always ASCII or latin1 keys). */
export function encodeCommand(argv: readonly Arg[]): Uint8Array {
  const out = new Uint8Array(commandLength(argv));
  encodeCommandInto(out, 0, argv);
  return out;
}

/** Binary-string key to bytes. */
function keyBytes(key: string): Uint8Array {
  const b = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) b[i] = key.charCodeAt(i);
  return b;
}

function decodeReply(buf: Uint8Array, start: number, end: number): RespValue | null {
  try {
    const r = decodeValue(buf.subarray(start, end), 0);
    return r === null ? null : r[0];
  } catch {
    return null;
  }
}

function items(v: RespValue | null): RespValue[] | null {
  if (v === null) return null;
  if (v.type === "array" || v.type === "set" || v.type === "push") return v.value;
  return null;
}

function bulk(v: RespValue | undefined): Uint8Array | null {
  return v !== undefined && v.type === "bulk" ? v.value : null;
}

/** Which of LEFT/RIGHT (MIN/MAX) comes first after the keys of an *MPOP command. */
function mpopDirection(argv: Uint8Array[], numkeysIdx: number): string | null {
  const n = Number(latin1(argv[numkeysIdx]));
  if (!Number.isInteger(n) || n <= 0) return null;
  const w = argv[numkeysIdx + 1 + n];
  return w === undefined ? null : lower(w);
}

const HAS_TTL_OPTION = new Set(["ex", "px", "exat"]);

/**
 * The commands to propagate for a write command that changed the keyspace, or null to propagate
 * `argv` as it is. The reply the command wrote is `reply` from `replyStart` to `replyEnd` (read
 * only by the commands whose rewrite depends on it).
 */
export function rewriteForPropagation(
  db: Db,
  name: string,
  argv: Uint8Array[],
  reply: Uint8Array,
  replyStart = 0,
  replyEnd: number = reply.length,
): Argv[] | null {
  switch (name) {
    case "set": {
      let rel = false;
      for (let i = 3; i < argv.length; i++) if (HAS_TTL_OPTION.has(lower(argv[i]))) rel = true;
      if (!rel) return null;
      const when = db.expires.get(latin1(argv[1]));
      if (when === undefined) return null;
      return [["SET", argv[1], argv[2], "PXAT", String(when)]];
    }
    case "setex":
    case "psetex": {
      const when = db.expires.get(latin1(argv[1]));
      if (when === undefined) return null;
      return [["SET", argv[1], argv[3], "PXAT", String(when)]];
    }
    case "getex": {
      const key = latin1(argv[1]);
      if (!db.dict.has(key)) return [["DEL", argv[1]]];
      const when = db.expires.get(key);
      if (when === undefined) return [["PERSIST", argv[1]]];
      return [["PEXPIREAT", argv[1], String(when)]];
    }
    case "expire":
    case "pexpire":
    case "expireat":
    case "pexpireat": {
      const key = latin1(argv[1]);
      if (!db.dict.has(key)) return [["DEL", argv[1]]];
      if (name === "pexpireat") return null;
      const when = db.expires.get(key);
      if (when === undefined) return null;
      return [["PEXPIREAT", argv[1], String(when), ...argv.slice(3)]];
    }
    case "incrbyfloat": {
      const v = db.dict.get(latin1(argv[1]));
      if (!(v instanceof Uint8Array)) return null;
      return [["SET", argv[1], v, "KEEPTTL"]];
    }
    case "hincrbyfloat": {
      const v = bulk(decodeReply(reply, replyStart, replyEnd) ?? undefined);
      return v === null ? null : [["HSET", argv[1], argv[2], v]];
    }
    case "restore": {
      let abs = false;
      for (let i = 4; i < argv.length; i++) if (lower(argv[i]) === "absttl") abs = true;
      const when = db.expires.get(latin1(argv[1]));
      if (abs || when === undefined) return null;
      const out: Argv = [...argv];
      out[2] = String(when);
      out.push("ABSTTL");
      return [out];
    }
    case "spop": {
      const r = decodeReply(reply, replyStart, replyEnd);
      if (r === null) return null;
      if (r.type === "bulk") return [["SREM", argv[1], r.value]];
      const els = items(r);
      if (els === null || els.length === 0) return [];
      if (!db.dict.has(latin1(argv[1]))) return [["DEL", argv[1]]];
      const out: Argv[] = [];
      for (let i = 0; i < els.length; i += 1024) {
        const cmd: Argv = ["SREM", argv[1]];
        for (const e of els.slice(i, i + 1024)) {
          const b = bulk(e);
          if (b !== null) cmd.push(b);
        }
        out.push(cmd);
      }
      return out;
    }
    case "blpop":
    case "brpop": {
      const key = bulk(items(decodeReply(reply, replyStart, replyEnd))?.[0]);
      if (key === null) return [];
      return [[name === "blpop" ? "LPOP" : "RPOP", key]];
    }
    case "lmpop":
    case "blmpop": {
      const it = items(decodeReply(reply, replyStart, replyEnd));
      const key = bulk(it?.[0]);
      const els = items(it?.[1] ?? null);
      const dir = mpopDirection(argv, name === "lmpop" ? 1 : 2);
      if (key === null || els === null || dir === null) return null;
      return [[dir === "left" ? "LPOP" : "RPOP", key, String(els.length)]];
    }
    case "bzpopmin":
    case "bzpopmax": {
      const key = bulk(items(decodeReply(reply, replyStart, replyEnd))?.[0]);
      if (key === null) return [];
      return [[name === "bzpopmin" ? "ZPOPMIN" : "ZPOPMAX", key]];
    }
    case "zmpop":
    case "bzmpop": {
      const it = items(decodeReply(reply, replyStart, replyEnd));
      const key = bulk(it?.[0]);
      const els = items(it?.[1] ?? null);
      const dir = mpopDirection(argv, name === "zmpop" ? 1 : 2);
      if (key === null || els === null || dir === null) return null;
      return [[dir === "min" ? "ZPOPMIN" : "ZPOPMAX", key, String(els.length)]];
    }
    case "blmove":
      return [["LMOVE", argv[1], argv[2], argv[3], argv[4]]];
    case "xreadgroup":
      // A blocked XREADGROUP served later propagates its XCLAIMs itself (commands/streams.ts).
      return [];
    case "brpoplpush":
      return [["RPOPLPUSH", argv[1], argv[2]]];
    default:
      return null;
  }
}

/** DEL for a key deleted by expiry (keys are binary strings). */
export function expiredKeyDel(key: string): Argv {
  return ["DEL", keyBytes(key)];
}
