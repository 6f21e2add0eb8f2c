/**
 * A binary-safe view of one Lua state in wasmoon's WebAssembly Lua (5.4). Redis scripts move byte
 * strings (keys, values, DUMP payloads), so strings cross here as bytes, never through UTF-8
 * conversion: pushes copy into a scratch buffer in the VM's memory, reads copy out of it.
 *
 * The WebAssembly module is compiled once per process, on first use (`loadLuaModule`); each node
 * owns one `LuaRuntime` (its own lua_State), as a Redis server owns one Lua interpreter.
 */

import { importOnFirstUse } from "../server/lazy_import.ts";
import { patchLuaModule } from "./lua_module_patch.ts";
import { exportedFunctionBody } from "./wasm_module.ts";

/** lua.h constants (Lua 5.4). */
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_REGISTRYINDEX = -1001000;
export const LUA_MASKCOUNT = 8;
export const LUA_MASKLINE = 4;
export const LUA_HOOKCOUNT = 3;
/** luaconf.h LUA_IDSIZE: the size of lua_Debug's short_src. */
const LUA_IDSIZE = 60;

// deno-lint-ignore no-explicit-any
type Mod = any;

let modulePromise: Promise<Mod> | null = null;

/** The compiled Lua module, shared by every node of this process. */
export function loadLuaModule(): Promise<Mod> {
  if (modulePromise === null) {
    // wasmoon itself is imported here, on first use: a node that runs no script never loads it.
    modulePromise = importOnFirstUse<typeof import("wasmoon")>("wasmoon")
      .then(({ LuaFactory }) => whilePatchingLuaModule(() => new LuaFactory().getLuaModule()))
      .then((w: { module: Mod }) => w.module);
  }
  return modulePromise;
}

/**
 * The changes `patchLuaModule` could not make to this process's Lua module (empty: Lua 5.1's number
 * text and integer arguments are in); known once `loadLuaModule` has resolved.
 */
export let skippedLuaModulePatches: readonly string[] = [];

/**
 * Runs `load` (wasmoon's start-up, which reads its .wasm and calls WebAssembly.instantiate with
 * the bytes) with the module's bytes given Redis's Lua 5.1 behaviours on their way in
 * (scripting/lua_module_patch.ts). Only a module that exports lua_tointegerx is changed; the hook
 * is gone once `load` ends.
 */
export async function whilePatchingLuaModule<T>(load: () => Promise<T>): Promise<T> {
  const instantiate = WebAssembly.instantiate;
  const hooked = (source: unknown, imports?: WebAssembly.Imports) => {
    if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
      const bytes = source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      if (exportedFunctionBody(bytes, "lua_tointegerx") !== null) {
        const patched = patchLuaModule(bytes);
        skippedLuaModulePatches = patched.skipped;
        return instantiate(patched.bytes, imports);
      }
    }
    return instantiate(source as WebAssembly.Module, imports);
  };
  WebAssembly.instantiate = hooked as typeof WebAssembly.instantiate;
  try {
    return await load();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

/** A JavaScript function callable from Lua: gets the calling lua_State, returns the result count. */
export type LuaCFunction = (L: number) => number;

const te = new TextEncoder();

export class LuaRuntime {
  readonly L: number;
  private scratchPtr = 0;
  private scratchLen = 0;
  private readonly lenPtr: number;
  /** Function-table slots registered by this runtime (freed by `close`). */
  private readonly fnPtrs: number[] = [];

  constructor(readonly m: Mod) {
    this.L = m._luaL_newstate();
    if (this.L === 0) throw new Error("lua: cannot create a state");
    m._luaL_openlibs(this.L);
    this.lenPtr = m._malloc(8);
    this.ensureScratch(4096);
  }

  static async create(): Promise<LuaRuntime> {
    return new LuaRuntime(await loadLuaModule());
  }

  private ensureScratch(n: number): void {
    if (n <= this.scratchLen) return;
    if (this.scratchPtr !== 0) this.m._free(this.scratchPtr);
    let size = Math.max(4096, this.scratchLen * 2);
    while (size < n) size *= 2;
    this.scratchPtr = this.m._malloc(size);
    if (this.scratchPtr === 0) throw new Error("lua: out of memory");
    this.scratchLen = size;
  }

  /** Copy bytes into the VM's scratch area: the pointer stays valid until the next copy. */
  private staged(bytes: Uint8Array): number {
    this.ensureScratch(bytes.length + 1);
    this.m.HEAPU8.set(bytes, this.scratchPtr);
    this.m.HEAPU8[this.scratchPtr + bytes.length] = 0;
    return this.scratchPtr;
  }

  /** Register a JavaScript function as a Lua C function (a function-table slot). */
  cfunction(fn: LuaCFunction): number {
    const ptr = this.m.addFunction(fn, "ii");
    this.fnPtrs.push(ptr);
    return ptr;
  }

  /** Register a count/line hook (`void (*)(lua_State*, lua_Debug*)`); `ar`: its lua_Debug. */
  hookFunction(fn: (L: number, ar: number) => void): number {
    const ptr = this.m.addFunction((L: number, ar: number) => fn(L, ar), "vii");
    this.fnPtrs.push(ptr);
    return ptr;
  }

  /**
   * In a hook: the event (LUA_HOOKLINE, LUA_HOOKCOUNT), the running function's current line and
   * its short source (lua_getinfo "Sl" on the hook's lua_Debug; Lua 5.4's layout on wasm32:
   * event at 0, currentline at 24, short_src at 44).
   */
  hookInfo(L: number, ar: number): { event: number; line: number; shortSrc: string } {
    const m = this.m;
    if (this.slPtr === 0) {
      this.slPtr = m._malloc(4);
      m.HEAPU8.set([0x53, 0x6c, 0], this.slPtr); // "Sl"
    }
    m._lua_getinfo(L, this.slPtr, ar);
    const heap = m.HEAPU8 as Uint8Array;
    let end = ar + 44;
    while (heap[end] !== 0 && end < ar + 44 + LUA_IDSIZE) end++;
    return {
      event: m.HEAP32[ar >> 2],
      line: m.HEAP32[(ar + 24) >> 2],
      shortSrc: String.fromCharCode(...heap.subarray(ar + 44, end)),
    };
  }

  private slPtr = 0;
  private arPtr = 0;

  /**
   * Move the saved instruction pointer of the function running at level 0 of thread `L` by
   * `instructions` (false when there is none). A coroutine a hook yielded keeps its pointer one
   * instruction back (ldebug.c luaG_traceexec: "undo increment", so that resuming runs it), and
   * the debug API then sees it before that instruction: the previous line, the locals it
   * declares not yet active. The Lua debugger looks at a stopped script with the pointer moved
   * forward by one, and moves it back before the script resumes. (Lua 5.4 on wasm32:
   * lua_Debug.i_ci at 104, CallInfo.u.l.savedpc at 16, 4-byte instructions.)
   */
  shiftSavedPc(L: number, instructions: number): boolean {
    const m = this.m;
    if (this.arPtr === 0) this.arPtr = m._malloc(128);
    if (m._lua_getstack(L, 0, this.arPtr) === 0) return false;
    const ci = m.HEAP32[(this.arPtr + 104) >> 2];
    if (ci === 0) return false;
    m.HEAP32[(ci + 16) >> 2] += 4 * instructions;
    return true;
  }

  /** Push the running thread `L` itself on its stack (lua_pushthread). */
  pushThread(L: number): void {
    this.m._lua_pushthread(L);
  }

  pushCFunction(L: number, ptr: number): void {
    this.m._lua_pushcclosure(L, ptr, 0);
  }

  pushBytes(L: number, bytes: Uint8Array): void {
    this.m._lua_pushlstring(L, this.staged(bytes), bytes.length);
  }

  /** ASCII/UTF-8 text as a Lua string. */
  pushString(L: number, s: string): void {
    this.pushBytes(L, te.encode(s));
  }

  pushInteger(L: number, n: number | bigint): void {
    this.m._lua_pushinteger(L, typeof n === "bigint" ? n : BigInt(n));
  }

  pushNumber(L: number, n: number): void {
    this.m._lua_pushnumber(L, n);
  }

  pushBoolean(L: number, b: boolean): void {
    this.m._lua_pushboolean(L, b ? 1 : 0);
  }

  pushNil(L: number): void {
    this.m._lua_pushnil(L);
  }

  newTable(L: number, narr = 0, nrec = 0): void {
    this.m._lua_createtable(L, narr, nrec);
  }

  /** t[k] = top (pops the value); `idx` is the table's index before the push. */
  setField(L: number, idx: number, key: string): void {
    this.m._lua_setfield(L, idx, this.staged(te.encode(key)));
  }

  getField(L: number, idx: number, key: string): number {
    return this.m._lua_getfield(L, idx, this.staged(te.encode(key)));
  }

  /** Like getField without metamethods (lua_rawget). */
  rawGetField(L: number, idx: number, key: string): number {
    const abs = this.m._lua_absindex(L, idx);
    this.pushString(L, key);
    return this.m._lua_rawget(L, abs);
  }

  rawSetI(L: number, idx: number, i: number): void {
    this.m._lua_rawseti(L, idx, BigInt(i));
  }

  rawGetI(L: number, idx: number, i: number): number {
    return this.m._lua_rawgeti(L, idx, BigInt(i));
  }

  getGlobal(L: number, name: string): number {
    return this.m._lua_getglobal(L, this.staged(te.encode(name)));
  }

  setGlobal(L: number, name: string): void {
    this.m._lua_setglobal(L, this.staged(te.encode(name)));
  }

  type(L: number, idx: number): number {
    return this.m._lua_type(L, idx);
  }

  top(L: number): number {
    return this.m._lua_gettop(L);
  }

  setTop(L: number, idx: number): void {
    this.m._lua_settop(L, idx);
  }

  pop(L: number, n: number): void {
    this.m._lua_settop(L, -n - 1);
  }

  pushValue(L: number, idx: number): void {
    this.m._lua_pushvalue(L, idx);
  }

  isInteger(L: number, idx: number): boolean {
    return this.m._lua_isinteger(L, idx) !== 0;
  }

  toInteger(L: number, idx: number): bigint {
    return this.m._lua_tointegerx(L, idx, 0);
  }

  toNumber(L: number, idx: number): number {
    return this.m._lua_tonumberx(L, idx, 0);
  }

  toBoolean(L: number, idx: number): boolean {
    return this.m._lua_toboolean(L, idx) !== 0;
  }

  /** The bytes of a string (or a number, converted by Lua), or null for other types. */
  toBytes(L: number, idx: number): Uint8Array | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const len = this.m.HEAPU32[this.lenPtr >> 2];
    return this.m.HEAPU8.slice(p, p + len);
  }

  /** A string value as latin1 text (one char per byte), or null. */
  toLatin1(L: number, idx: number): string | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const len = this.m.HEAPU32[this.lenPtr >> 2];
    const heap: Uint8Array = this.m.HEAPU8;
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(heap[p + i]);
    return s;
  }

  /** Iterate a table: `lua_next`; returns false at the end (the key is popped). */
  next(L: number, idx: number): boolean {
    return this.m._lua_next(L, idx) !== 0;
  }

  /** Compile `code` as a chunk named `chunkName` (e.g. "@user_script"); status, chunk or error on top. */
  load(L: number, code: Uint8Array, chunkName: string): number {
    const nameBytes = te.encode(chunkName);
    // The code and the name both go through the scratch buffer: copy the name after the code.
    this.ensureScratch(code.length + nameBytes.length + 2);
    const heap: Uint8Array = this.m.HEAPU8;
    heap.set(code, this.scratchPtr);
    heap[this.scratchPtr + code.length] = 0;
    const namePtr = this.scratchPtr + code.length + 1;
    heap.set(nameBytes, namePtr);
    heap[namePtr + nameBytes.length] = 0;
    return this.m._luaL_loadbufferx(L, this.scratchPtr, code.length, namePtr, 0);
  }

  /** lua_pcall with no message handler. */
  pcall(L: number, nargs: number, nresults: number): number {
    return this.m._lua_pcallk(L, nargs, nresults, 0, 0, 0);
  }

  newThread(L: number): number {
    return this.m._lua_newthread(L);
  }

  /** lua_resume: status; `nres` receives the number of values on the coroutine's stack. */
  resume(co: number, from: number, nargs: number): { status: number; nres: number } {
    const status = this.m._lua_resume(co, from, nargs, this.lenPtr);
    return { status, nres: this.m.HEAP32[this.lenPtr >> 2] };
  }

  /** Raise the value on top of the stack as a Lua error (never returns: unwinds through JS). */
  error(L: number): never {
    this.m._lua_error(L);
    throw new Error("lua_error returned");
  }

  yieldHook(L: number): void {
    this.m._lua_yieldk(L, 0, 0, 0);
  }

  isYieldable(L: number): boolean {
    return this.m._lua_isyieldable(L) !== 0;
  }

  setHook(L: number, fnPtr: number, mask: number, count: number): void {
    this.m._lua_sethook(L, fnPtr, mask, count);
  }

  ref(L: number): number {
    return this.m._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  unref(L: number, ref: number): void {
    this.m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
  }

  getRef(L: number, ref: number): void {
    this.rawGetI(L, LUA_REGISTRYINDEX, ref);
  }

  /** Closed: the state is gone (a script that yielded must not resume). */
  closed = false;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m._lua_close(this.L);
    this.m._free(this.lenPtr);
    if (this.slPtr !== 0) this.m._free(this.slPtr);
    if (this.arPtr !== 0) this.m._free(this.arPtr);
    if (this.scratchPtr !== 0) this.m._free(this.scratchPtr);
    for (const p of this.fnPtrs) this.m.removeFunction(p);
    this.fnPtrs.length = 0;
  }
}
