/**
 * The Lua debugger's questions (scripting/ldb.ts `LdbVm`) answered in the VM of a stopped script:
 * each runs one of the prelude's engine.ldb* functions (scripting/lua_prelude.ts) on the VM's
 * main thread, with the stopped coroutine as an argument.
 */

import { LUA_OK, LUA_TNUMBER, LUA_TSTRING, type LuaRuntime } from "./lua_runtime.ts";
import type { LdbVm } from "./ldb.ts";

const te = new TextEncoder();

/** The prelude's debugger entry points. */
export type LdbEngineFn = "ldbPrint" | "ldbPrintAll" | "ldbEval" | "ldbTrace" | "ldbRedis";

/**
 * `push(L, name)` pushes engine[name]; `threadRef` is a registry reference to the stopped
 * coroutine; `syntax` rewords a compile error as Lua 5.1 does.
 */
export function ldbVm(
  rt: LuaRuntime,
  push: (L: number, name: LdbEngineFn) => void,
  stopped: { thread: number; threadRef: number },
  syntax: (msg: string) => string,
): LdbVm {
  const L = rt.L;
  /**
   * Call engine[name](thread?, ...args) with `nres` results; false when it raised. The stopped
   * coroutine is looked at as it stands before its line (`LuaRuntime.shiftSavedPc`).
   */
  const call = (name: LdbEngineFn, withThread: boolean, args: Uint8Array[], nres: number) => {
    push(L, name);
    if (withThread) rt.getRef(L, stopped.threadRef);
    for (const a of args) rt.pushBytes(L, a);
    const shifted = withThread && rt.shiftSavedPc(stopped.thread, 1);
    try {
      return rt.pcall(L, args.length + (withThread ? 1 : 0), nres) === LUA_OK;
    } finally {
      if (shifted) rt.shiftSavedPc(stopped.thread, -1);
    }
  };
  /** The pairs of the array on top (name, value, name, value...), popped. */
  const pairsOnTop = (): [string, string][] => {
    const out: [string, string][] = [];
    const n = rt.m._luaL_len(L, -1) as number;
    for (let i = 1; i + 1 <= n; i += 2) {
      rt.rawGetI(L, -1, i);
      const a = rt.type(L, -1) === LUA_TSTRING || rt.type(L, -1) === LUA_TNUMBER
        ? rt.toLatin1(L, -1) ?? ""
        : "";
      rt.rawGetI(L, -2, i + 1);
      const b = rt.toLatin1(L, -1) ?? "";
      rt.pop(L, 2);
      out.push([a, b]);
    }
    rt.pop(L, 1);
    return out;
  };
  return {
    print(name) {
      if (!call("ldbPrint", true, [te.encode(name)], 1)) {
        rt.pop(L, 1);
        return null;
      }
      const v = rt.type(L, -1) === LUA_TSTRING ? rt.toLatin1(L, -1) : null;
      rt.pop(L, 1);
      return v;
    },
    printAll() {
      if (!call("ldbPrintAll", true, [], 1)) {
        rt.pop(L, 1);
        return [];
      }
      return pairsOnTop();
    },
    eval(code) {
      const bytes = new Uint8Array(code.length);
      for (let i = 0; i < code.length; i++) bytes[i] = code.charCodeAt(i);
      if (!call("ldbEval", false, [bytes], 2)) {
        const e = rt.toLatin1(L, -1) ?? "";
        rt.pop(L, 1);
        return { ok: false, text: e };
      }
      const ok = rt.toBoolean(L, -2);
      const text = rt.toLatin1(L, -1) ?? "";
      rt.pop(L, 2);
      return { ok, text: ok ? text : syntax(text) };
    },
    redis(argv) {
      if (!call("ldbRedis", false, argv, 0)) rt.pop(L, 1);
    },
    trace() {
      if (!call("ldbTrace", true, [], 1)) {
        rt.pop(L, 1);
        return [];
      }
      return pairsOnTop().map(([name, line]) => ({ name, line: Number(line) }));
    },
  };
}
