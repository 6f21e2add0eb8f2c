/**
 * Redis's two conversion tables between replies and Lua values (script_lua.c):
 * - `pushReplyAsLua`: the RESP bytes a command wrote for redis.call become a Lua value
 *   (integer -> number, bulk -> string, nil bulk/array -> false, status -> {ok=}, error ->
 *   {err=}, RESP3 map -> {map={}}, set -> {set={}}, double -> {double=}, null -> nil,
 *   boolean -> boolean, big number -> {big_number=}, verbatim -> {verbatim_string={}});
 * - `writeLuaAsReply`: the value a script returns becomes the reply (number truncated to an
 *   integer, a table read as an array up to its first nil unless it holds err/ok/double/
 *   big_number/verbatim_string/map/set, booleans by the script's RESP version).
 */

import { fromLatin1 } from "../protocol/bytes.ts";
import type { Reply } from "../protocol/reply.ts";
import {
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  type LuaRuntime,
} from "./lua_runtime.ts";

const INT64_MIN = -9223372036854775808n;
/** Lua 5.1's limit on the stack of a C call (luaconf.h), where Redis's conversion stops. */
const LUAI_MAXCSTACK = 8000;
const MAX_EXACT = 9007199254740992n;
const TWO63 = 9223372036854775808;

/** Lua 5.1's (long long) cast of a number, as x86-64 does it (out of range and NaN: INT64_MIN). */
export function luaNumberToInt64(n: number): bigint {
  if (!Number.isFinite(n) || n >= TWO63 || n < -TWO63) return INT64_MIN;
  return BigInt(Math.trunc(n));
}

function readLine(buf: Uint8Array, pos: number): [string, number] {
  let end = pos;
  while (buf[end] !== 13) end++;
  let s = "";
  for (let i = pos; i < end; i++) s += String.fromCharCode(buf[i]);
  return [s, end + 2];
}

/**
 * luaPushErrorBuff: an error text ("-CODE msg", or "msg" which gets ERR) as the table
 * {err="CODE msg"}, CR/LF trimmed from the message's ends.
 */
export function errorTableText(text: string): string {
  let code = "ERR";
  let msg = text;
  if (text.startsWith("-")) {
    const sp = text.indexOf(" ");
    if (sp === -1) msg = text.slice(1);
    else {
      code = text.slice(1, sp);
      msg = text.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+/, "").replace(/[\r\n]+$/, "");
  return `${code} ${msg}`;
}

/** Push {err=...} built from an error text (latin1), with ignore_error_stats_update when asked. */
export function pushErrorTable(
  rt: LuaRuntime,
  L: number,
  text: string,
  ignoreStats: boolean,
): void {
  rt.newTable(L, 0, 2);
  rt.pushBytes(L, fromLatin1(errorTableText(text)));
  rt.setField(L, -2, "err");
  if (ignoreStats) {
    rt.pushBoolean(L, true);
    rt.setField(L, -2, "ignore_error_stats_update");
  }
}

/**
 * Push the Lua form of the reply at `pos`; returns the position after it. `onError` sees each
 * error reply's text (the debugger logs them).
 */
export function pushReplyAsLua(
  rt: LuaRuntime,
  L: number,
  buf: Uint8Array,
  pos: number,
  onError?: (text: string) => void,
): number {
  rt.m._lua_checkstack(L, 5);
  const t = buf[pos];
  const [line, next] = readLine(buf, pos + 1);
  switch (t) {
    case 43: // + status
      rt.newTable(L, 0, 1);
      rt.pushBytes(L, buf.subarray(pos + 1, next - 2));
      rt.setField(L, -2, "ok");
      return next;
    case 45: // - error
      onError?.("-" + line);
      pushErrorTable(rt, L, "-" + line, true);
      return next;
    case 58: { // : integer (a Lua 5.1 number: a double)
      const n = Number(line);
      if (Number.isSafeInteger(n)) rt.pushInteger(L, n);
      else rt.pushNumber(L, n);
      return next;
    }
    case 36: { // $ bulk
      const len = Number(line);
      if (len < 0) {
        rt.pushBoolean(L, false);
        return next;
      }
      rt.pushBytes(L, buf.subarray(next, next + len));
      return next + len + 2;
    }
    case 42: { // * array
      const n = Number(line);
      if (n < 0) {
        rt.pushBoolean(L, false);
        return next;
      }
      rt.newTable(L, n, 0);
      let p = next;
      for (let j = 1; j <= n; j++) {
        p = pushReplyAsLua(rt, L, buf, p, onError);
        rt.rawSetI(L, -2, j);
      }
      return p;
    }
    case 37: { // % map
      const n = Number(line);
      rt.newTable(L, 0, 1);
      rt.newTable(L, 0, n);
      let p = next;
      for (let j = 0; j < n; j++) {
        p = pushReplyAsLua(rt, L, buf, p, onError);
        p = pushReplyAsLua(rt, L, buf, p, onError);
        rt.m._lua_settable(L, -3);
      }
      rt.setField(L, -2, "map");
      return p;
    }
    case 126: { // ~ set
      const n = Number(line);
      rt.newTable(L, 0, 1);
      rt.newTable(L, 0, n);
      let p = next;
      for (let j = 0; j < n; j++) {
        p = pushReplyAsLua(rt, L, buf, p, onError);
        rt.pushBoolean(L, true);
        rt.m._lua_settable(L, -3);
      }
      rt.setField(L, -2, "set");
      return p;
    }
    case 95: // _ null
      rt.pushNil(L);
      return next;
    case 35: // # boolean
      rt.pushBoolean(L, line === "t");
      return next;
    case 44: { // , double
      rt.newTable(L, 0, 1);
      rt.pushNumber(L, parseRespDouble(line));
      rt.setField(L, -2, "double");
      return next;
    }
    case 40: // ( big number
      rt.newTable(L, 0, 1);
      rt.pushBytes(L, buf.subarray(pos + 1, next - 2));
      rt.setField(L, -2, "big_number");
      return next;
    case 61: { // = verbatim
      const len = Number(line);
      rt.newTable(L, 0, 1);
      rt.newTable(L, 0, 2);
      rt.pushBytes(L, buf.subarray(next + 4, next + len));
      rt.setField(L, -2, "string");
      rt.pushBytes(L, buf.subarray(next, next + 3));
      rt.setField(L, -2, "format");
      rt.setField(L, -2, "verbatim_string");
      return next + len + 2;
    }
    case 124: { // | attribute: skipped, the value follows
      const n = Number(line);
      let p = next;
      for (let j = 0; j < 2 * n; j++) {
        p = pushReplyAsLua(rt, L, buf, p, onError);
        rt.pop(L, 1);
      }
      return pushReplyAsLua(rt, L, buf, p, onError);
    }
    default:
      throw new Error(`script reply: unexpected type byte ${t}`);
  }
}

function parseRespDouble(s: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  if (s === "nan") return NaN;
  return Number(s);
}

const te = new TextEncoder();

/**
 * luaReplyToRedisReply: write the value on top of `L` into `reply`, and pop it. `scriptResp` is
 * the protocol the script chose with redis.setresp (booleans depend on it).
 *
 * Iterative (nested tables go on an explicit stack of frames), so a deep or self-referencing
 * table cannot overflow the JavaScript stack: it stops where Redis's recursion stops.
 */
export function writeLuaAsReply(
  rt: LuaRuntime,
  L: number,
  reply: Reply,
  scriptResp: 2 | 3,
): void {
  const frames: Frame[] = [];
  // Redis's walk starts with the message handler and the value on the stack.
  visit(rt, L, reply, scriptResp, 2, frames);
  while (frames.length !== 0) {
    const f = frames[frames.length - 1];
    if (f.kind === "array") {
      if (f.next > f.n) {
        rt.pop(L, 1);
        frames.pop();
        continue;
      }
      rt.rawGetI(L, -1, f.next++);
      visit(rt, L, reply, scriptResp, f.top51 + 1, frames);
      continue;
    }
    if (f.valuePending) {
      // A map's key is written; its value is on top.
      f.valuePending = false;
      visit(rt, L, reply, scriptResp, f.top51 + 3, frames);
      continue;
    }
    if (!rt.next(L, f.tableIdx)) {
      rt.pop(L, 2); // the map (or set) table and the table holding it
      frames.pop();
      continue;
    }
    if (f.kind === "map") {
      rt.pushValue(L, -2);
      f.valuePending = true;
      visit(rt, L, reply, scriptResp, f.top51 + 4, frames);
    } else {
      rt.pop(L, 1);
      rt.pushValue(L, -1);
      visit(rt, L, reply, scriptResp, f.top51 + 3, frames);
    }
  }
}

/** A table being written: an array (the table on top), or a map/set (its iteration key on top). */
type Frame =
  | { kind: "array"; n: number; next: number; top51: number }
  | { kind: "map" | "set"; tableIdx: number; top51: number; valuePending: boolean };

/**
 * Write the value on top and pop it, or, for an array, a map or a set, write its header and push
 * the frame that writes its elements. `top51` is how high the stack would be in Redis's walk:
 * Redis checks lua_checkstack(lua, 4) at every level, and Lua 5.1's C stack ends at
 * LUAI_MAXCSTACK (an array's element is one higher; a map's key four, its value three; a set's
 * member three).
 */
function visit(
  rt: LuaRuntime,
  L: number,
  reply: Reply,
  scriptResp: 2 | 3,
  top51: number,
  frames: Frame[],
): void {
  if (top51 + 4 > LUAI_MAXCSTACK || rt.m._lua_checkstack(L, 8) === 0) {
    reply.error("ERR reached lua stack limit");
    rt.pop(L, 1);
    return;
  }
  switch (rt.type(L, -1)) {
    case LUA_TSTRING:
      reply.bulk(rt.toBytes(L, -1)!);
      break;
    case LUA_TBOOLEAN:
      if (scriptResp === 2) {
        if (rt.toBoolean(L, -1)) reply.int(1);
        else reply.nil();
      } else reply.bool(rt.toBoolean(L, -1));
      break;
    case LUA_TNUMBER:
      // A Lua 5.1 number is a double: a 5.4 integer beyond 2^53 converts as its double would.
      if (rt.isInteger(L, -1)) {
        const n = rt.toInteger(L, -1);
        reply.int(n >= -MAX_EXACT && n <= MAX_EXACT ? n : luaNumberToInt64(Number(n)));
      } else reply.int(luaNumberToInt64(rt.toNumber(L, -1)));
      break;
    case LUA_TTABLE: {
      if (writeSpecialTable(rt, L, reply)) return;
      for (const kind of ["map", "set"] as const) {
        if (rt.rawGetField(L, -1, kind) === LUA_TTABLE) {
          const tableIdx = rt.m._lua_absindex(L, -1);
          let n = 0;
          rt.pushNil(L);
          while (rt.next(L, tableIdx)) {
            rt.pop(L, 1);
            n++;
          }
          if (kind === "map") reply.map(n);
          else reply.set(n);
          rt.pushNil(L);
          frames.push({ kind, tableIdx, top51, valuePending: false });
          return;
        }
        rt.pop(L, 1);
      }
      // An array, up to the first nil: counted first, then written.
      let n = 0;
      while (rt.rawGetI(L, -1, n + 1) !== LUA_TNIL) {
        rt.pop(L, 1);
        n++;
      }
      rt.pop(L, 1);
      reply.array(n);
      frames.push({ kind: "array", n, next: 1, top51 });
      return;
    }
    default:
      reply.nil();
  }
  rt.pop(L, 1);
}

/**
 * A table on top holding err, ok, double, big_number or verbatim_string: write it, pop it and
 * return true; else leave it and return false.
 */
function writeSpecialTable(rt: LuaRuntime, L: number, reply: Reply): boolean {
  if (rt.rawGetField(L, -1, "err") === LUA_TSTRING) {
    const msg = rt.toBytes(L, -1)!;
    rt.pop(L, 2);
    const out = new Uint8Array(msg.length);
    out.set(msg);
    reply.errorBytes(out);
    return true;
  }
  rt.pop(L, 1);
  if (rt.rawGetField(L, -1, "ok") === LUA_TSTRING) {
    const ok = rt.toBytes(L, -1)!;
    const nul = ok.indexOf(0);
    reply.statusBytes(nul === -1 ? ok : ok.subarray(0, nul));
    rt.pop(L, 2);
    return true;
  }
  rt.pop(L, 1);
  if (rt.rawGetField(L, -1, "double") === LUA_TNUMBER) {
    const d = rt.toNumber(L, -1);
    if (Number.isNaN(d)) {
      // %.17g of a NaN keeps its sign (0/0 is -nan on x86): Lua's own formatting knows it.
      rt.pushValue(L, -1);
      const text = (rt.toLatin1(L, -1) ?? "nan").startsWith("-") ? "-nan" : "nan";
      rt.pop(L, 1);
      if (reply.proto === 3) reply.raw(te.encode(`,${text}\r\n`));
      else reply.bulk(te.encode(text));
    } else reply.double(d);
    rt.pop(L, 2);
    return true;
  }
  rt.pop(L, 1);
  if (rt.rawGetField(L, -1, "big_number") === LUA_TSTRING) {
    const b = rt.toBytes(L, -1)!;
    const clean = b.map((c) => c === 13 || c === 10 ? 32 : c);
    if (reply.proto === 3) {
      reply.raw(te.encode("("));
      reply.raw(clean);
      reply.raw(te.encode("\r\n"));
    } else reply.bulk(clean);
    rt.pop(L, 2);
    return true;
  }
  rt.pop(L, 1);
  if (rt.rawGetField(L, -1, "verbatim_string") === LUA_TTABLE) {
    if (rt.rawGetField(L, -1, "format") === LUA_TSTRING) {
      const format = rt.toBytes(L, -1)!;
      if (rt.rawGetField(L, -2, "string") === LUA_TSTRING) {
        const s = rt.toBytes(L, -1)!;
        if (reply.proto === 3) {
          reply.raw(te.encode(`=${s.length + 4}\r\n`));
          const f = new Uint8Array(3);
          f.set(format.subarray(0, 3));
          reply.raw(f);
          reply.raw(te.encode(":"));
          reply.raw(s);
          reply.raw(te.encode("\r\n"));
        } else reply.bulk(s);
        rt.pop(L, 4);
        return true;
      }
      rt.pop(L, 1);
    }
    rt.pop(L, 1);
  }
  rt.pop(L, 1);
  return false;
}
