/**
 * The arguments of redis.register_function (function_lua.c's luaRegisterFunctionReadPositionalArgs
 * and luaRegisterFunctionReadNamedArgs): `(name, callback)` or `{function_name=, callback=,
 * flags=, description=}`, read from a Lua stack, with Redis's error texts.
 */

import { LUA_TFUNCTION, LUA_TTABLE, type LuaRuntime } from "./lua_runtime.ts";
import { COMPAT_FLAGS, type ScriptFlags, setFlag } from "./shebang.ts";

export interface Registration {
  name: string;
  description: string | null;
  /** Where the callback is on the stack. */
  callbackIdx: number;
  flags: ScriptFlags;
}

function fail(error: string): { error: string } {
  return { error };
}

/** Read the call's arguments (stack index 1 and up). */
export function readRegistration(rt: LuaRuntime, L: number): Registration | { error: string } {
  let name: string | null = null;
  let description: string | null = null;
  let callbackIdx = 0;
  const flags: ScriptFlags = { ...COMPAT_FLAGS, compat: false };
  const argc = rt.top(L);
  if (argc === 2) {
    if (rt.m._lua_isstring(L, 1) === 0) {
      return fail("first argument to redis.register_function must be a string");
    }
    name = rt.toLatin1(L, 1);
    if (rt.type(L, 2) !== LUA_TFUNCTION) {
      return fail("second argument to redis.register_function must be a function");
    }
    callbackIdx = 2;
  } else if (argc === 1) {
    if (rt.type(L, 1) !== LUA_TTABLE) {
      return fail(
        "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
      );
    }
    rt.pushNil(L);
    while (rt.next(L, 1)) {
      if (rt.m._lua_isstring(L, -2) === 0) {
        return fail("named argument key given to redis.register_function is not a string");
      }
      // A number key is converted on a copy: converting it in place would confuse lua_next.
      rt.pushValue(L, -2);
      const key = rt.toLatin1(L, -1);
      rt.pop(L, 1);
      if (key === "function_name") {
        if (rt.m._lua_isstring(L, -1) === 0) {
          return fail("function_name argument given to redis.register_function must be a string");
        }
        name = rt.toLatin1(L, -1);
      } else if (key === "description") {
        if (rt.m._lua_isstring(L, -1) === 0) {
          return fail("description argument given to redis.register_function must be a string");
        }
        description = rt.toLatin1(L, -1);
      } else if (key === "callback") {
        if (rt.type(L, -1) !== LUA_TFUNCTION) {
          return fail("callback argument given to redis.register_function must be a function");
        }
        // Keep the callback below the iteration: copy it to a fixed slot (2).
        if (callbackIdx === 0) {
          rt.pushValue(L, -1);
          rt.m._lua_rotate(L, 2, 1);
          callbackIdx = 2;
        } else {
          rt.m._lua_copy(L, -1, 2);
        }
      } else if (key === "flags") {
        if (rt.type(L, -1) !== LUA_TTABLE || !readFlags(rt, L, flags)) {
          return fail(
            rt.type(L, -1) !== LUA_TTABLE
              ? "flags argument to redis.register_function must be a table representing function flags"
              : "unknown flag given",
          );
        }
      } else {
        return fail("unknown argument given to redis.register_function");
      }
      rt.pop(L, 1);
    }
    if (name === null) {
      return fail("redis.register_function must get a function name argument");
    }
    if (callbackIdx === 0) {
      return fail("redis.register_function must get a callback argument");
    }
  } else {
    return fail("wrong number of arguments to redis.register_function");
  }
  return { name: name!, description, callbackIdx, flags };
}

/** luaRegisterFunctionReadFlags: the table on top lists flag names (case-insensitive). */
function readFlags(rt: LuaRuntime, L: number, flags: ScriptFlags): boolean {
  for (let j = 1;; j++) {
    rt.pushInteger(L, j);
    rt.m._lua_gettable(L, -2);
    const t = rt.type(L, -1);
    if (t === 0) {
      rt.pop(L, 1);
      return true;
    }
    const s = rt.m._lua_isstring(L, -1) !== 0 ? rt.toLatin1(L, -1) : null;
    rt.pop(L, 1);
    if (s === null || !setFlag(flags, s.toLowerCase())) return false;
  }
}
