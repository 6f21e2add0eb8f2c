/**
 * Bitmap commands (Redis 7.0 bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO, over string values. The bit arithmetic is in keyspace/bits.ts; this file parses
 * arguments in Redis's order (so the same bad call gets the same error), looks keys up as Redis
 * does (read lookups count hits and misses, write lookups do not), and keeps Redis's effects:
 *
 * - A write makes the value "raw" and writable first (dbUnshareStringValue): a value shared
 *   with anything else (SET stores the request's argument) or held as a binary string is copied,
 *   never changed in place (strings.ts `writableString`); that happens even when the command
 *   then changes nothing.
 * - SETBIT and BITFIELD count as changes (signalModifiedKey, the `setbit` event, server.dirty,
 *   and so propagation) only when a bit changed or the string was created or grown; BITFIELD
 *   adds one to dirty per changing SET/INCRBY. BITOP sets its destination (`set`) or deletes it
 *   when every source is empty (`del`).
 * - Offsets are limited to proto-max-bulk-len bytes (not for our master's stream).
 * Everything is deterministic, so these commands propagate as they are.
 */

import { latin1, parseInt64, parseInt64Big } from "../protocol/bytes.ts";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../pubsub/notify_flags.ts";
import {
  bitcountRange,
  bitfieldOverflow,
  bitop,
  type BitopKind,
  bitposRange,
  clampRange,
  getBitfield,
  OVERFLOW_FAIL,
  OVERFLOW_SAT,
  OVERFLOW_WRAP,
  type OverflowType,
  setBitfield,
} from "../keyspace/bits.ts";
import * as E from "./errors.ts";
import { isStringValue, stringBytes, type StringValue } from "../keyspace/string_value.ts";
import { isKeyword, newRawString, writableString } from "./strings.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ConfigPort } from "../server/server_ports.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort>;

const BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERR = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERR =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

const EMPTY = new Uint8Array(0);

/** The argument as a C string sees it: up to its first NUL byte (strcasecmp, strlen). */
function cstr(b: Uint8Array): Uint8Array {
  const nul = b.indexOf(0);
  return nul === -1 ? b : b.subarray(0, nul);
}

/** strcasecmp(arg, word) == 0, `word` lowercase. */
function cKeyword(b: Uint8Array, word: string): boolean {
  return isKeyword(cstr(b), word);
}

/** string2ll on the whole argument: exact as a number up to 15 digits, else a bigint. */
function int64(b: Uint8Array): number | bigint | null {
  return b.length <= 15 ? parseInt64(b) : parseInt64Big(b);
}

/** getLongLongFromObjectOrReply: the integer, or null after the error reply. */
function int64Arg(ctx: Ctx, b: Uint8Array, err = E.NOT_INTEGER): number | bigint | null {
  const n = int64(b);
  if (n === null) ctx.reply.error(err);
  return n;
}

/** A 64-bit value clamped into the exact range of doubles (range math only needs the sign). */
function clampSafe(n: number | bigint): number {
  if (typeof n === "number") return n;
  const lim = 2n ** 60n;
  return Number(n > lim ? lim : n < -lim ? -lim : n);
}

/**
 * getBitOffsetFromArgument: a bit offset, "#N" meaning N * bits when `bits` > 0 (BITFIELD; the
 * product wraps as a C long long), below proto-max-bulk-len bytes unless the caller is our
 * master. Null after the error reply.
 */
function bitOffsetArg(ctx: Ctx, arg: Uint8Array, bits: number): number | null {
  const useHash = bits > 0 && arg.length > 0 && arg[0] === 35;
  let off = int64(useHash ? arg.subarray(1) : arg);
  if (off !== null && useHash) {
    const p = typeof off === "number" ? off * bits : NaN;
    off = Number.isSafeInteger(p) ? p : BigInt.asIntN(64, BigInt(off) * BigInt(bits));
  }
  if (
    off === null || off < 0 ||
    (!ctx.client.isMaster &&
      Math.floor(Number(off) / 8) >= ctx.server.config.getNumber("proto-max-bulk-len")) ||
    off > Number.MAX_SAFE_INTEGER // only our master can send one: no string can reach it
  ) {
    ctx.reply.error(BIT_OFFSET_ERR);
    return null;
  }
  return Number(off);
}

/** The string at `key` for a write lookup; undefined when missing, null after WRONGTYPE. */
function stringForWrite(ctx: Ctx, key: string): StringValue | undefined | null {
  const v = ctx.db.lookup(key);
  if (v === undefined || isStringValue(v)) return v;
  ctx.reply.error(E.WRONGTYPE);
  return null;
}

/**
 * The bytes of the string at `key` for a read lookup (hits/misses; a binary string's are a
 * copy); undefined / null as above.
 */
function stringForRead(ctx: Ctx, key: string): Uint8Array | undefined | null {
  const v = ctx.db.lookupRead(key);
  if (v === undefined) return v;
  if (isStringValue(v)) return stringBytes(v);
  ctx.reply.error(E.WRONGTYPE);
  return null;
}

/**
 * lookupStringForBitCommand: the string at `key` made writable and at least `len` bytes long,
 * created (dbAdd, a `new` event) when missing, stored in place of the old one when copied.
 * `grown`: created or made longer. Null after WRONGTYPE.
 */
function bitTarget(
  ctx: Ctx,
  key: string,
  len: number,
): { value: Uint8Array; grown: boolean; created: boolean } | null {
  const v = stringForWrite(ctx, key);
  if (v === null) return null;
  let value: Uint8Array;
  try {
    value = v === undefined ? newRawString(len) : writableString(v, len);
  } catch (e) {
    // Only with a proto-max-bulk-len raised past what this process can allocate (Redis would
    // abort on the failed allocation): the command fails instead.
    if (!(e instanceof RangeError)) throw e;
    ctx.reply.error(OOM);
    return null;
  }
  if (v === undefined) {
    ctx.db.add(key, value);
    return { value, grown: true, created: true };
  }
  // dbUnshareStringValue's dbOverwrite: no signal, no event, not a change by itself.
  if (value !== v) ctx.db.overwrite(key, value);
  return { value, grown: value.length !== v.length, created: false };
}

// ---------------------------------------------------------------------------------------------
// SETBIT / GETBIT

function setbit(ctx: Ctx, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(ctx, argv[2], 0);
  if (offset === null) return;
  const on = int64Arg(ctx, argv[3], BIT_VALUE_ERR);
  if (on === null) return;
  if (on !== 0 && on !== 1) {
    ctx.reply.error(BIT_VALUE_ERR);
    return;
  }
  const key = latin1(argv[1]);
  const byte = Math.floor(offset / 8);
  const t = bitTarget(ctx, key, byte + 1);
  if (t === null) return;
  const p = t.value;
  const mask = 1 << (7 - (offset & 7));
  const old = (p[byte] & mask) !== 0 ? 1 : 0;
  if (t.grown || old !== on) {
    p[byte] = on ? p[byte] | mask : p[byte] & ~mask;
    if (!t.created) ctx.db.signalModified(key);
    ctx.db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "setbit", key);
  }
  ctx.reply.int(old);
}

function getbit(ctx: Ctx, argv: Uint8Array[]): void {
  const offset = bitOffsetArg(ctx, argv[2], 0);
  if (offset === null) return;
  const v = stringForRead(ctx, latin1(argv[1]));
  if (v === null) return;
  const byte = Math.floor(offset / 8);
  if (v === undefined || byte >= v.length) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int((v[byte] >> (7 - (offset & 7))) & 1);
}

// ---------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS

/** The BIT|BYTE argument: true for BIT, null after a syntax error reply. */
function unitArg(ctx: Ctx, b: Uint8Array): boolean | null {
  if (cKeyword(b, "bit")) return true;
  if (cKeyword(b, "byte")) return false;
  ctx.reply.error(E.SYNTAX);
  return null;
}

/** BITCOUNT key [start end [BIT|BYTE]], in 7.0's order: the key is looked up first. */
function bitcount(ctx: Ctx, argv: Uint8Array[]): void {
  const v = stringForRead(ctx, latin1(argv[1]));
  if (v === null) return;
  if (v === undefined) {
    ctx.reply.int(0);
    return;
  }
  const argc = argv.length;
  if (argc === 2) {
    ctx.reply.int(bitcountRange(v, 0, v.length - 1, false));
    return;
  }
  if (argc !== 4 && argc !== 5) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  const start = int64Arg(ctx, argv[2]);
  if (start === null) return;
  const end = int64Arg(ctx, argv[3]);
  if (end === null) return;
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.int(0);
    return;
  }
  let isBit = false;
  if (argc === 5) {
    const u = unitArg(ctx, argv[4]);
    if (u === null) return;
    isBit = u;
  }
  const total = isBit ? v.length * 8 : v.length;
  const [s, e] = clampRange(clampSafe(start), clampSafe(end), total);
  ctx.reply.int(bitcountRange(v, s, e, isBit));
}

/** BITPOS key bit [start [end [BIT|BYTE]]]: the bit, then the key, then the range. */
function bitpos(ctx: Ctx, argv: Uint8Array[]): void {
  const bit = int64Arg(ctx, argv[2]);
  if (bit === null) return;
  if (bit !== 0 && bit !== 1) {
    ctx.reply.error("ERR The bit argument must be 1 or 0.");
    return;
  }
  const v = stringForRead(ctx, latin1(argv[1]));
  if (v === null) return;
  if (v === undefined) {
    ctx.reply.int(bit ? -1 : 0);
    return;
  }
  const argc = argv.length;
  if (argc === 3) {
    ctx.reply.int(bitposRange(v, bit, 0, v.length - 1, false, false));
    return;
  }
  if (argc > 6) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  const start = int64Arg(ctx, argv[3]);
  if (start === null) return;
  let isBit = false;
  if (argc === 6) {
    const u = unitArg(ctx, argv[5]);
    if (u === null) return;
    isBit = u;
  }
  let end: number | bigint;
  if (argc >= 5) {
    const e = int64Arg(ctx, argv[4]);
    if (e === null) return;
    end = e;
  } else end = isBit ? v.length * 8 + 7 : v.length - 1;
  const total = isBit ? v.length * 8 : v.length;
  const [s, e] = clampRange(clampSafe(start), clampSafe(end), total);
  ctx.reply.int(bitposRange(v, bit, s, e, isBit, argc >= 5));
}

// ---------------------------------------------------------------------------------------------
// BITOP

function bitopCommand(ctx: Ctx, argv: Uint8Array[]): void {
  const name = argv[1];
  let op: BitopKind;
  if (cKeyword(name, "and")) op = "and";
  else if (cKeyword(name, "or")) op = "or";
  else if (cKeyword(name, "xor")) op = "xor";
  else if (cKeyword(name, "not")) op = "not";
  else {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  if (op === "not" && argv.length !== 4) {
    ctx.reply.error("ERR BITOP NOT must be called with a single source key.");
    return;
  }
  const srcs: Uint8Array[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const v = stringForRead(ctx, latin1(argv[j]));
    if (v === null) return;
    const s = v ?? EMPTY;
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  const dest = latin1(argv[2]);
  const db = ctx.db;
  if (maxlen > 0) {
    const out = newRawString(maxlen);
    bitop(op, srcs, out);
    db.set(dest, out);
    db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "set", dest);
  } else if (db.deleteEvenIfExpired(dest)) {
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", dest);
  }
  ctx.reply.int(maxlen);
}

// ---------------------------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

interface BitfieldOp {
  opcode: number;
  offset: number;
  /** SET value or INCRBY increment. */
  arg: number | bigint;
  owtype: OverflowType;
  bits: number;
  signed: boolean;
}

/** getBitfieldTypeFromArgument: [signed, bits] (i1..i64, u1..u63), or null after the error. */
function bitfieldType(ctx: Ctx, arg: Uint8Array): [boolean, number] | null {
  const c = arg.length > 0 ? arg[0] : 0;
  if (c === 105 || c === 117) {
    const n = parseInt64(cstr(arg.subarray(1)));
    const signed = c === 105;
    if (n !== null && n >= 1 && n <= (signed ? 64 : 63)) return [signed, n];
  }
  ctx.reply.error(BITFIELD_TYPE_ERR);
  return null;
}

/** bitfieldGeneric; `readonlyCommand` is BITFIELD_RO (GET only). */
function bitfieldGeneric(ctx: Ctx, argv: Uint8Array[], readonlyCommand: boolean): void {
  const ops: BitfieldOp[] = [];
  let owtype: OverflowType = OVERFLOW_WRAP;
  let readonly = true;
  let highestWrite = 0;
  const argc = argv.length;
  for (let j = 2; j < argc; j++) {
    const remargs = argc - j - 1;
    const sub = argv[j];
    let opcode: number;
    if (cKeyword(sub, "get") && remargs >= 2) opcode = OP_GET;
    else if (cKeyword(sub, "set") && remargs >= 3) opcode = OP_SET;
    else if (cKeyword(sub, "incrby") && remargs >= 3) opcode = OP_INCRBY;
    else if (cKeyword(sub, "overflow") && remargs >= 1) {
      const t = argv[++j];
      if (cKeyword(t, "wrap")) owtype = OVERFLOW_WRAP;
      else if (cKeyword(t, "sat")) owtype = OVERFLOW_SAT;
      else if (cKeyword(t, "fail")) owtype = OVERFLOW_FAIL;
      else {
        ctx.reply.error("ERR Invalid OVERFLOW type specified");
        return;
      }
      continue;
    } else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
    const type = bitfieldType(ctx, argv[j + 1]);
    if (type === null) return;
    const [signed, bits] = type;
    const offset = bitOffsetArg(ctx, argv[j + 2], bits);
    if (offset === null) return;
    let arg: number | bigint = 0;
    if (opcode !== OP_GET) {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const n = int64Arg(ctx, argv[j + 3]);
      if (n === null) return;
      arg = n;
    }
    ops.push({ opcode, offset, arg, owtype, bits, signed });
    j += opcode === OP_GET ? 2 : 3;
  }

  const key = latin1(argv[1]);
  let p: Uint8Array | undefined;
  let grown = false;
  let created = false;
  const db = ctx.db;
  if (readonly) {
    const v = stringForRead(ctx, key);
    if (v === null) return;
    p = v;
  } else {
    if (readonlyCommand) {
      ctx.reply.error("ERR BITFIELD_RO only supports the GET subcommand");
      return;
    }
    const t = bitTarget(ctx, key, Math.floor(highestWrite / 8) + 1);
    if (t === null) return;
    ({ value: p, grown, created } = t);
  }

  const reply = ctx.reply;
  reply.array(ops.length);
  let changes = 0;
  for (const op of ops) {
    if (op.opcode === OP_GET) {
      reply.int(p === undefined ? 0 : getBitfield(p, op.offset, op.bits, op.signed));
      continue;
    }
    const buf = p!;
    const old = getBitfield(buf, op.offset, op.bits, op.signed);
    const [over, value] = op.opcode === OP_INCRBY
      ? bitfieldOverflow(old, op.arg, op.bits, op.signed, op.owtype)
      : bitfieldOverflow(op.arg, 0, op.bits, op.signed, op.owtype);
    if (over !== 0 && op.owtype === OVERFLOW_FAIL) {
      reply.nil();
      continue;
    }
    reply.int(op.opcode === OP_INCRBY ? value : old);
    setBitfield(buf, op.offset, op.bits, value);
    // A SET argument may be a bigint even for a small field: compare by value.
    const same = typeof old === typeof value ? old === value : BigInt(old) === BigInt(value);
    if (grown || !same) changes++;
  }

  if (!readonly) {
    // server.dirty += changes. Creating the key (dbAdd) counted one already, though in Redis
    // it counts nothing by itself (every field may have failed), and so did signalModified.
    let extra = changes - (created ? 1 : 0);
    if (changes !== 0) {
      if (!created) {
        db.signalModified(key);
        extra--;
      }
      db.notifier.notifyKeyspaceEvent(NOTIFY_STRING, "setbit", key);
    }
    db.stats.dirty += extra;
  }
}

// ---------------------------------------------------------------------------------------------

export const bitmapCommands: CommandDef[] = [
  fromTable("setbit", setbit),
  fromTable("getbit", getbit),
  fromTable("bitcount", bitcount),
  fromTable("bitpos", bitpos),
  fromTable("bitop", bitopCommand),
  fromTable("bitfield", (c, a) => bitfieldGeneric(c, a, false)),
  fromTable("bitfield_ro", (c, a) => bitfieldGeneric(c, a, true)),
];
