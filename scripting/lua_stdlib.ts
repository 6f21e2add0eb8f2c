/**
 * Lua 5.1 behaviour written as C functions (in TypeScript) where a Lua 5.4 stand-in would show:
 * luaL_checkint and luaL_error, Lua 5.1's error() (a number gets a position too), and the
 * wrapper that makes a library function written in Lua act as Redis's C one (errors at the
 * caller's position, a tail call keeps the caller's frame).
 */

import { fromLatin1, latin1 } from "../protocol/bytes.ts";
import {
  LUA_OK,
  LUA_REGISTRYINDEX,
  LUA_TNUMBER,
  LUA_TSTRING,
  type LuaRuntime,
} from "./lua_runtime.ts";

/** lua_typename, for the types a value can have. */
const TYPE_NAMES = [
  "nil",
  "boolean",
  "userdata",
  "number",
  "string",
  "table",
  "function",
  "userdata",
  "thread",
];

/** luaL_checkint: a number argument truncated to an int, else Lua's bad-argument error. */
export function checkInt(rt: LuaRuntime, L: number, i: number, fname: string): number {
  if (rt.m._lua_isnumber(L, i) === 0) {
    const got = rt.type(L, i) === -1 ? "no value" : (TYPE_NAMES[rt.type(L, i)] ?? "userdata");
    return luaError(rt, L, `bad argument #${i} to '${fname}' (number expected, got ${got})`);
  }
  return Math.trunc(rt.toNumber(L, i)) | 0;
}

/** luaL_error: a string error with the caller's position (level 1). */
export function luaError(rt: LuaRuntime, L: number, msg: string): never {
  rt.m._luaL_where(L, 1);
  rt.pushString(L, msg);
  rt.m._lua_concat(L, 2);
  return rt.error(L);
}

/**
 * A library function written in Lua, called as Redis's C one is: its error gets the caller's
 * position (luaL_error), and a tail call keeps the caller's frame. Upvalue 1 is the function,
 * upvalue 2 its name: called from Lua, a bad-argument error names it as Lua 5.1 would.
 */
export function callWrapped(rt: LuaRuntime, L: number): number {
  const n = rt.top(L);
  rt.pushValue(L, LUA_REGISTRYINDEX - 1);
  rt.m._lua_rotate(L, 1, 1);
  if (rt.pcall(L, n, -1) !== LUA_OK) {
    if (rt.type(L, -1) === LUA_TSTRING) {
      rt.m._luaL_where(L, 1);
      const where = rt.toLatin1(L, -1) ?? "";
      const text = latin1(rt.toBytes(L, -2)!);
      // The prelude's own position (a C function has none), and '?' for a name: the function's
      // own name when Lua called it, '?' when a C function (pcall) did (luaL_argerror).
      let fixed = text.replace(/^prelude:\d+: /, "");
      if (where === "") fixed = fixed.replace(/^(bad argument #\d+ to )'[^']*'/, "$1'?'");
      else if (rt.type(L, LUA_REGISTRYINDEX - 2) === LUA_TSTRING) {
        fixed = fixed.replace("to '?'", `to '${rt.toLatin1(L, LUA_REGISTRYINDEX - 2)}'`);
      }
      if (fixed !== text) {
        rt.pop(L, 2);
        rt.pushBytes(L, fromLatin1(fixed));
        rt.m._luaL_where(L, 1);
      }
      rt.m._lua_rotate(L, -2, 1);
      rt.m._lua_concat(L, 2);
    }
    return rt.error(L);
  }
  return rt.top(L);
}

/**
 * Lua 5.1's error(message [, level]): a string or a number gets the position of `level`
 * (5.4 leaves a number alone). A C function, so levels count as in Lua itself.
 */
export function luaBError(rt: LuaRuntime, L: number): number {
  const level = rt.top(L) >= 2 && rt.type(L, 2) !== 0 ? Math.trunc(rt.toNumber(L, 2)) : 1;
  rt.setTop(L, 1);
  const t = rt.type(L, 1);
  if ((t === LUA_TSTRING || t === LUA_TNUMBER) && level > 0) {
    rt.m._luaL_where(L, level);
    rt.pushValue(L, 1);
    rt.m._lua_concat(L, 2);
  }
  return rt.error(L);
}
