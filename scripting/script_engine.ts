/**
 * The scripting engine of one node: its Lua VM, the EVAL script cache, and the run of a script
 * (Redis 7.0's eval.c, script.c and script_lua.c).
 *
 * A script runs in a coroutine of the VM. redis.call goes through the same command table and
 * `call()` as a client, on a client of its own whose reply is converted back into Lua. Past
 * `busy-reply-threshold` the count hook yields the coroutine now and then, so the node's event
 * loop turns: other clients get -BUSY, SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE are served,
 * and the cluster bus keeps answering PINGs (Redis stops answering its bus while a script runs,
 * and the others mark it failing; we keep the node reachable and only refuse commands).
 */

import type { Client } from "../server/client.ts";
import { formatDouble17g, formatDoubleG, latin1 } from "../protocol/bytes.ts";
import { lookupCommand } from "../server/dispatch.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import * as E from "../commands/errors.ts";
import type { Reply } from "../protocol/reply.ts";
import type { CommandHost } from "../commands/command_host.ts";
import {
  LUA_HOOKCOUNT,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_OK,
  LUA_TFUNCTION,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_YIELD,
  LuaRuntime,
  skippedLuaModulePatches,
} from "./lua_runtime.ts";
import { errorTableText, pushErrorTable, pushReplyAsLua, writeLuaAsReply } from "./lua_reply.ts";
import type { ScriptFlags } from "./shebang.ts";
import {
  FunctionRegistry,
  type Library,
  NAME_ERROR,
  parseLibraryMetadata,
  validName,
} from "./function_library.ts";
import { Rand48 } from "./rand48.ts";
import type { LuaLibrary } from "./lua_libraries.ts";
import { loadCommandDocs } from "../commands/command_docs_loader.ts";
import type { LuaVm, RunContext, RunRequest } from "./run_context.ts";
import { scriptCall, writeDenial } from "./script_call.ts";
import { callWrapped, checkInt, luaBError, luaError } from "./lua_stdlib.ts";
import { readRegistration } from "./register_function.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";
import { newScriptClient, sha1hex } from "./script_client.ts";
import { ldbVm } from "./ldb_vm.ts";
import { LuaDebugger, type ReplOutcome } from "./ldb.ts";

/** Instructions between two runs of the count hook (Redis: 100000). */
const HOOK_INSTRUCTIONS = 100_000;
/** While a script is past the busy threshold, let the event loop turn at least this often. */
const BUSY_YIELD_INTERVAL_MS = 10;

const te = new TextEncoder();

/**
 * One cached EVAL script: its compiled function (a registry reference), flags and body length
 * (the body itself is not kept: the compiled function is all a run needs).
 */
export interface CachedScript {
  sha: string;
  bodyBytes: number;
  ref: number;
  flags: ScriptFlags;
}

export class ScriptEngine {
  /** The VM eval scripts run in, the VM of function libraries (two, as in Redis), the active one. */
  private evalVm: LuaVm | null = null;
  private fnVm: LuaVm | null = null;
  private vm: LuaVm | null = null;
  private initPromise: Promise<LuaRuntime> | null = null;
  /** The Lua sources of the prelude and the libraries, imported with the VM (`ready`). */
  private sources: { prelude: string; c51: string; libraries: LuaLibrary[] } | null = null;
  readonly scripts = new Map<string, CachedScript>();
  /** Bytes of every cached body (INFO used_memory_scripts_eval). */
  scriptsBytes = 0;
  running: RunContext | null = null;
  /** Loaded function libraries (FUNCTION LOAD). */
  functions = new FunctionRegistry();
  /** The library FUNCTION LOAD is running the code of. */
  private loading: { lib: Library; deadlineMs: number } | null = null;
  /** Resolves when the running script ends (clients waiting behind a busy script). */
  private doneWaiters: (() => void)[] = [];

  /** The VM `setup` is preparing (host functions are registered before `rt` is set). */
  private pendingRt: LuaRuntime | null = null;
  private readonly rand = new Rand48();
  /** The client redis.call runs commands as. */
  readonly scriptClient: Client;
  /** Stats for INFO: scripts run, and time spent. */
  evalCalls = 0;

  /** `scriptClient`: the one scripting/scripts_shell.ts's `Scripts` holds from the start. */
  constructor(
    readonly server: CommandHost,
    private readonly version: string,
    scriptClient: Client = newScriptClient(server),
  ) {
    this.scriptClient = scriptClient;
  }

  /**
   * The VM, created on first use (the WebAssembly module is compiled once per process). The Lua
   * sources (~85 KB) are imported with it, not at start; so are the COMMAND DOCS texts, which
   * load on first use too (commands/command_docs_loader.ts): a script cannot wait for them.
   */
  ready(): LuaRuntime | Promise<LuaRuntime> {
    if (this.evalVm !== null) return this.evalVm.rt;
    if (this.initPromise === null) {
      this.initPromise = Promise.all([
        LuaRuntime.create(),
        importOnFirstUse<typeof import("./lua_prelude.ts")>(
          new URL("./lua_prelude.ts", import.meta.url),
        ),
        importOnFirstUse<typeof import("./lua_libraries.ts")>(
          new URL("./lua_libraries.ts", import.meta.url),
        ),
        loadCommandDocs(),
      ]).then(([rt, prelude, libs]) => {
        if (skippedLuaModulePatches.length !== 0) {
          this.server.log.warning(
            `the Lua module is not the one expected: Lua 5.1's ${
              skippedLuaModulePatches.join(" and ")
            } are not in (scripts may see Lua 5.4's)`,
          );
        }
        this.sources = {
          prelude: prelude.PRELUDE_LUA,
          c51: libs.C51_LUA,
          libraries: libs.LUA_LIBRARIES,
        };
        this.evalVm = this.createVm(rt);
        this.fnVm = this.createVm(new LuaRuntime(rt.m));
        this.vm = this.evalVm;
        return rt;
      });
    }
    return this.initPromise;
  }

  /** The active VM's runtime (the one a script or a library load is using). */
  get rt(): LuaRuntime | null {
    return this.vm?.rt ?? null;
  }

  /** Make `vm` the active VM; its runtime. */
  private use(vm: LuaVm): LuaRuntime {
    this.vm = vm;
    return vm.rt;
  }

  /** The client of a debugging session (SCRIPT DEBUG SYNC): everyone else waits for it. */
  get debugging(): Client | null {
    const ctx = this.running;
    return ctx !== null && ctx.ldb !== null ? ctx.caller : null;
  }

  /** True while a script runs past the busy threshold: other clients get -BUSY. */
  get busy(): boolean {
    return this.running !== null && this.running.timedOut;
  }

  /** Wait for the running script to end. */
  whenDone(): Promise<void> {
    if (this.running === null) return Promise.resolve();
    return new Promise((resolve) => this.doneWaiters.push(resolve));
  }

  /** A Lua state set up for scripts: host functions, libraries, the prelude. */
  private createVm(rt: LuaRuntime): LuaVm {
    this.pendingRt = rt;
    const L = rt.L;
    // host.redis: the members written in TypeScript.
    rt.newTable(L);
    rt.newTable(L);
    const fns: [string, (L: number) => number][] = [
      ["call", (l) => this.redisCall(l, true)],
      ["pcall", (l) => this.redisCall(l, false)],
      ["setresp", (l) => this.setResp(l)],
      ["set_repl", (l) => this.setRepl(l)],
      ["log", (l) => this.log(l)],
      ["sha1hex", (l) => this.sha1(l)],
      ["acl_check_cmd", (l) => this.aclCheck(l)],
    ];
    for (const [name, fn] of fns) {
      rt.pushCFunction(L, this.hostFunction(fn));
      rt.setField(L, -2, name);
    }
    rt.pushString(L, this.version);
    rt.setField(L, -2, "REDIS_VERSION");
    rt.pushInteger(L, versionNum(this.version));
    rt.setField(L, -2, "REDIS_VERSION_NUM");
    rt.setField(L, -2, "redis");
    const wrapped = this.hostFunction((l) => callWrapped(rt, l));
    const hostFns: [string, (L: number) => number][] = [
      ["register_function", (l) => this.registerFunction(l)],
      ["cwrap", (l) => {
        // cwrap(f, name): a C closure running the Lua function f (see callWrapped).
        rt.setTop(l, 2);
        rt.m._lua_pushcclosure(l, wrapped, 2);
        return 1;
      }],
      ["handling", () => {
        if (this.running !== null) this.running.handling = true;
        return 0;
      }],
      ["hookYield", (l) => {
        rt.pushBoolean(l, this.running !== null && this.running.innerYield);
        return 1;
      }],
      ["ldb_active", (l) => {
        rt.pushBoolean(l, this.running?.ldb != null);
        return 1;
      }],
      ["ldb_log", (l) => this.ldbLog(l)],
      ["breakpoint", (l) => {
        // redis.breakpoint(): stop at the next line, when a debugger is attached.
        const ldb = this.running?.ldb;
        if (ldb) ldb.session.luaBreakpoint = true;
        rt.pushBoolean(l, ldb != null);
        return 1;
      }],
      ["random", (l) => this.random(l)],
      ["randomseed", (l) => this.randomSeed(l)],
      ["error", (l) => luaBError(rt, l)],
    ];
    for (const [name, fn] of hostFns) {
      rt.pushCFunction(L, this.hostFunction(fn));
      rt.setField(L, -2, name);
    }
    // The libraries (cjson, cmsgpack, struct, bit), each a chunk returning its table; the
    // helpers some of them share first (a registry reference while they load).
    const sources = this.sources!;
    if (rt.load(L, te.encode(sources.c51), "=c51") !== LUA_OK || rt.pcall(L, 0, 1) !== LUA_OK) {
      throw new Error(`lua: c51: ${rt.toLatin1(L, -1)}`);
    }
    const c51Ref = rt.ref(L);
    rt.newTable(L);
    for (const lib of sources.libraries) {
      if (rt.load(L, te.encode(lib.source), `=${lib.name}`) !== LUA_OK) {
        throw new Error(`lua: library ${lib.name}: ${rt.toLatin1(L, -1)}`);
      }
      if (lib.arg === "null") rt.m._lua_pushlightuserdata(L, 0);
      else rt.getRef(L, c51Ref);
      if (rt.pcall(L, 1, 1) !== LUA_OK) {
        throw new Error(`lua: library ${lib.name}: ${rt.toLatin1(L, -1)}`);
      }
      rt.setField(L, -2, lib.name);
    }
    rt.unref(L, c51Ref);
    if (rt.load(L, te.encode(sources.prelude), "=prelude") !== LUA_OK) {
      throw new Error(`lua: prelude: ${rt.toLatin1(L, -1)}`);
    }
    // prelude(host, libs): move the chunk under its two arguments.
    rt.m._lua_rotate(L, -3, 1);
    if (rt.pcall(L, 2, 1) !== LUA_OK) throw new Error(`lua: prelude: ${rt.toLatin1(L, -1)}`);
    // The prelude's entry points, each kept as a registry reference (no lookup per run).
    const engineFns = new Map<string, number>();
    for (const name of ENGINE_FNS) {
      rt.getField(L, -1, name);
      engineFns.set(name, rt.ref(L));
    }
    rt.pop(L, 1);
    const hookPtr = rt.hookFunction((l) => this.hook(l));
    const ldbHookPtr = rt.hookFunction((l, ar) => this.ldbHook(l, ar));
    this.pendingRt = null;
    return { rt, engineFns, co: 0, coRef: 0, hookPtr, ldbHookPtr };
  }

  /** Push the prelude's engine[name] of the active VM on L. */
  private pushEngineFn(L: number, name: (typeof ENGINE_FNS)[number]): void {
    this.vm!.rt.getRef(L, this.vm!.engineFns.get(name)!);
  }

  /** The coroutine scripts run in, in the active VM: one, reused while runs end normally. */
  private coroutine(): number {
    const vm = this.vm!;
    if (vm.co === 0) {
      vm.co = vm.rt.newThread(vm.rt.L);
      vm.coRef = vm.rt.ref(vm.rt.L);
    }
    return vm.co;
  }

  /** Forget the coroutine (it died, or was left suspended): the next run makes a new one. */
  private dropCoroutine(vm: LuaVm): void {
    if (vm.coRef !== 0) vm.rt.unref(vm.rt.L, vm.coRef);
    vm.co = 0;
    vm.coRef = 0;
  }

  /**
   * Compile `code` as a chunk named `name` with the sandboxed globals: a registry reference, or
   * the error text of the compiler.
   */
  compile(code: Uint8Array, name: string): { ref: number } | { error: string } {
    const rt = this.use(this.evalVm!);
    const L = rt.L;
    this.pushEngineFn(L, "compile");
    rt.pushBytes(L, code);
    rt.pushString(L, name);
    if (rt.pcall(L, 2, 2) !== LUA_OK) {
      const msg = rt.toLatin1(L, -1) ?? "?";
      rt.pop(L, 1);
      return { error: msg };
    }
    if (rt.type(L, -2) !== LUA_TFUNCTION) {
      const msg = rt.toLatin1(L, -1) ?? "?";
      rt.pop(L, 2);
      return { error: lua51SyntaxError(msg) };
    }
    rt.pop(L, 1);
    return { ref: rt.ref(L) };
  }

  /** Release a registry reference of the functions' VM (a library's callbacks). */
  private releaseFunction(ref: number): void {
    if (this.fnVm !== null) this.fnVm.rt.unref(this.fnVm.rt.L, ref);
  }

  /** luaCreateFunction: the cached script for `body`, compiling it if new. */
  createScript(
    body: Uint8Array,
    flags: ScriptFlags,
    bodyStart: number,
    sha = sha1hex(body),
  ): CachedScript | { error: string } {
    const found = this.scripts.get(sha);
    if (found !== undefined) return found;
    const r = this.compile(body.subarray(bodyStart), "@user_script");
    if ("error" in r) return { error: `ERR Error compiling script (new function): ${r.error}` };
    const s: CachedScript = { sha, bodyBytes: body.length, ref: r.ref, flags };
    this.scripts.set(sha, s);
    this.scriptsBytes += body.length;
    return s;
  }

  /**
   * SCRIPT FLUSH. Redis starts a new Lua interpreter for eval scripts: whatever scripts changed
   * in the libraries (cjson's settings, say) goes with the old one. Function libraries live in a
   * VM of their own, which it leaves alone.
   */
  flushScripts(): void {
    this.scripts.clear();
    this.scriptsBytes = 0;
    if (this.running !== null || this.evalVm === null) return;
    this.evalVm = this.replaceVm(this.evalVm);
  }

  /** A new Lua state in place of `old` (closed); the active VM follows. */
  private replaceVm(old: LuaVm): LuaVm {
    const vm = this.createVm(new LuaRuntime(old.rt.m));
    if (this.vm === old) this.vm = vm;
    old.rt.close();
    return vm;
  }

  /**
   * scriptPrepareForRun + luaCallFunction: check the flags against the node's state, run, and
   * write the reply. Returns a Promise only when the script ran long enough to yield.
   */
  run(req: RunRequest): void | Promise<void> {
    // One script at a time: a command that reaches here while another script yields (a
    // transaction resumed after an asynchronous command) waits for it.
    if (this.running !== null) return this.whenDone().then(() => this.run(req));
    const server = this.server;
    const { caller, reply, flags } = req;
    const obey = caller.isMaster;
    if (!flags.compat) {
      if (flags.noCluster && server.cluster !== null) {
        reply.error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
        return;
      }
      if (!flags.noWrites) {
        if (
          server.replication.isReplica && server.config.getBool("replica-read-only") && !obey
        ) {
          reply.error("READONLY Can not run script with write flag on readonly replica");
          return;
        }
        const denial = writeDenial(server);
        if (denial !== null && !obey) {
          reply.error(
            denial.startsWith("MISCONF Redis is configured to save RDB")
              ? "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. "
              : denial,
          );
          return;
        }
        if (req.readOnlyCommand) {
          reply.error("ERR Can not execute a script with write flag using *_ro command.");
          return;
        }
        // scriptPrepareForRun: not enough good replicas (min-replicas-to-write).
        if (!server.replication.enoughGoodReplicas()) {
          reply.error(E.NOREPLICAS);
          return;
        }
      }
      // scriptPrepareForRun: no-writes implies allow-oom.
      if (
        server.maxmemory.preCommandOom && server.maxmemory.limit !== 0 && !flags.allowOom &&
        !flags.noWrites
      ) {
        reply.error(
          "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        );
        return;
      }
    }
    const vm = req.isEval ? this.evalVm! : this.fnVm!;
    const rt = this.use(vm);
    const co = this.coroutine();
    const ctx: RunContext = {
      caller,
      funcname: req.funcname,
      isEval: req.isEval,
      readOnly: req.readOnlyCommand || (!flags.compat && flags.noWrites),
      allowCrossSlot: flags.compat || flags.allowCrossSlot,
      allowOom: !flags.compat && flags.allowOom,
      slot: req.keys.length === 0 ? -1 : keyHashSlot(req.keys[0]),
      wrote: false,
      resp: 2,
      replFlags: 3,
      startMs: performance.now(),
      timedOut: false,
      killed: false,
      lastYieldMs: 0,
      co,
      hookYielded: false,
      closeUnit: null,
      command: req.command,
      handling: false,
      innerYield: false,
      vm,
      ldb: req.ldb === undefined ? null : {
        session: new LuaDebugger(req.command[1], performance.now()),
        io: req.ldb,
      },
      ldbStop: null,
    };
    this.running = ctx;
    this.evalCalls++;
    // The script's commands run in its caller's database; a SELECT inside it changes the
    // script's client only (Redis 7's scriptPrepareForRun).
    this.scriptClient.db = caller.db;
    // Keys expire against the time the script started (scriptTimeSnapshot).
    server.dbs[0].expiryClock.scriptMs = server.now();
    for (const db of server.dbs) db.holdReadyKeys = true;
    try {
      this.pushEngineFn(co, req.isEval ? "run" : "runFunction");
      rt.getRef(co, req.ref);
      pushArray(rt, co, req.keys);
      pushArray(rt, co, req.args);
      const threshold = server.config.getNumber("busy-reply-threshold");
      if (ctx.ldb !== null) {
        // luaCallFunction with the debugger: a line hook, and the count hook for its timeout.
        ctx.ldb.io.began = true;
        if (!ctx.ldb.io.forked) {
          server.log.warning("Redis synchronous debugging eval session started");
        }
        ctx.ldb.session.startMs = performance.now();
        rt.setHook(co, vm.ldbHookPtr, LUA_MASKLINE | LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
      } else if (threshold > 0) rt.setHook(co, vm.hookPtr, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    } catch (e) {
      // Could not even start (out of memory in the VM): nothing ran.
      this.dropCoroutine(vm);
      this.finishRun(ctx);
      throw e;
    }
    return this.resume(ctx, reply, 3);
  }

  /** Resume the script's coroutine until it ends, or yields to let the event loop turn. */
  private resume(ctx: RunContext, reply: Reply, nargs: number): void | Promise<void> {
    const vm = ctx.vm as LuaVm;
    if (vm.rt.closed) return; // the node shut down while the script yielded
    const rt = this.use(vm);
    const L = rt.L;
    const co = ctx.co;
    ctx.hookYielded = false;
    let status: number;
    try {
      status = rt.resume(co, L, nargs).status;
    } catch (e) {
      // The WebAssembly VM trapped (a bug, never a script's doing): its state cannot be trusted.
      // Answer, and start a new VM; cached scripts go with the old one (EVALSHA: NOSCRIPT).
      this.server.log.warning(`Lua VM failure, starting a new VM: ${(e as Error).message}`);
      if (ctx.ldb !== null) this.ldbEnd(ctx);
      reply.error(`ERR Error running script ${ctx.funcname}, the Lua VM failed and was reset`);
      if (vm === this.evalVm) {
        this.scripts.clear();
        this.scriptsBytes = 0;
        this.evalVm = this.replaceVm(vm);
      } else {
        const codes = this.functionCodes();
        this.functions = new FunctionRegistry();
        this.fnVm = this.replaceVm(vm);
        const err = this.restoreLibraries(codes, "flush");
        if (err !== null) {
          this.server.log.warning(`a function library failed to load again: ${err}`);
        }
      }
      this.finishRun(ctx);
      return;
    }
    if (status === LUA_YIELD && (ctx.hookYielded || ctx.innerYield)) {
      ctx.innerYield = false;
      if (ctx.closeUnit === null) ctx.closeUnit = this.server.replication.holdUnit(ctx.caller);
      // The debugger stopped the script: serve its client, then run on (or end it).
      if (ctx.ldbStop !== null) return this.ldbRepl(ctx, reply);
      ctx.lastYieldMs = performance.now();
      return new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() =>
        this.resume(ctx, reply, 0)
      );
    }
    try {
      if (ctx.ldb !== null) this.ldbEnd(ctx);
      if (status === LUA_OK) {
        // engine.run returned ok, value.
        if (rt.toBoolean(co, -2)) {
          writeLuaAsReply(rt, co, reply, ctx.resp);
        } else {
          this.writeError(co, reply, ctx);
        }
      } else if (status === LUA_YIELD) {
        reply.error("ERR attempt to yield across a C-call boundary");
      } else {
        const msg = rt.toLatin1(co, -1) ?? "execution failure";
        reply.error(`ERR Error running script ${ctx.funcname}, ${msg.slice(0, 100)}`);
      }
    } finally {
      rt.setHook(co, 0, 0, 0);
      if (status === LUA_OK) rt.setTop(co, 0);
      else this.dropCoroutine(vm);
      this.finishRun(ctx);
    }
  }

  /**
   * The end of a run, whatever its outcome: time flows again, the replication unit held across
   * yields closes, clients waiting behind the script go on, and clients blocked on keys the
   * script pushed to are served (Redis does it after the command, never in the middle).
   */
  private finishRun(ctx: RunContext): void {
    this.running = null;
    this.server.dbs[0].expiryClock.scriptMs = null;
    for (const db of this.server.dbs) db.holdReadyKeys = false;
    if (ctx.closeUnit !== null) ctx.closeUnit();
    const waiters = this.doneWaiters;
    this.doneWaiters = [];
    for (const w of waiters) w();
    if (this.server.readyDbs.size !== 0) this.server.handleReadyKeys();
  }

  /** luaCallFunction's error reply from the error table on top. */
  private writeError(L: number, reply: Reply, ctx: RunContext): void {
    const rt = this.rt!;
    let msg: Uint8Array | null = null;
    let source: string | null = null;
    let line: string | null = null;
    if (rt.type(L, -1) === LUA_TSTRING || rt.type(L, -1) === LUA_TNUMBER) {
      msg = te.encode("ERR " + (rt.toLatin1(L, -1) ?? ""));
    } else {
      rt.getField(L, -1, "err");
      if (isStringish(rt, L)) msg = rt.toBytes(L, -1);
      rt.pop(L, 1);
      rt.getField(L, -1, "source");
      if (isStringish(rt, L)) source = rt.toLatin1(L, -1);
      rt.pop(L, 1);
      rt.getField(L, -1, "line");
      if (isStringish(rt, L)) line = rt.toLatin1(L, -1);
      rt.pop(L, 1);
    }
    let text = msg === null ? new Uint8Array(0) : msg;
    if (source !== null && line !== null) {
      const suffix = te.encode(` script: ${ctx.funcname}, on ${source}:${line}.`);
      const joined = new Uint8Array(text.length + suffix.length);
      joined.set(text);
      joined.set(suffix, text.length);
      text = joined;
    }
    reply.errorBytes(text);
  }

  /** The count hook: kill, note the timeout, and yield so the event loop can turn. */
  private hook(L: number): void {
    const rt = this.rt!;
    if (this.loading !== null) {
      if (performance.now() > this.loading.deadlineMs) {
        pushErrorTable(rt, L, "FUNCTION LOAD timeout", false);
        rt.error(L);
      }
      return;
    }
    const ctx = this.running;
    if (ctx === null) return;
    if (ctx.killed) {
      // Not while the message handler formats the error (an error there would replace it).
      if (ctx.handling) return;
      pushErrorTable(rt, L, "Script killed by user with SCRIPT KILL...", false);
      rt.pushBoolean(L, true);
      rt.setField(L, -2, "script_killed");
      rt.error(L);
    }
    const now = performance.now();
    if (!ctx.timedOut) {
      const threshold = this.server.config.getNumber("busy-reply-threshold");
      if (threshold <= 0 || now - ctx.startMs < threshold) return;
      ctx.timedOut = true;
      this.server.log.warning(
        `Slow script detected: still in execution after ${
          Math.round(now - ctx.startMs)
        } milliseconds. You can try killing the script using the ${
          ctx.isEval ? "SCRIPT" : "FUNCTION"
        } KILL command. Script name is: ${ctx.funcname}.`,
      );
    }
    if (now - ctx.lastYieldMs >= BUSY_YIELD_INTERVAL_MS && rt.isYieldable(L)) {
      // The script's coroutine yields to the engine; one the script made yields to its
      // resume, which passes it up (lua_prelude.ts: coroutine.resume).
      if (L === ctx.co) ctx.hookYielded = true;
      else ctx.innerYield = true;
      rt.yieldHook(L);
    }
  }

  /**
   * The hook of a debugged run (luaLdbLineHook): on a line of the script, stop when stepping or
   * at a breakpoint; on the count event, stop once the script ran busy-reply-threshold (else
   * 5 s) since the last stop. A stop sends its logs and yields the script's coroutine; `resume`
   * then serves the debugger's commands (`ldbRepl`).
   */
  private ldbHook(L: number, ar: number): void {
    const ctx = this.running;
    if (ctx === null || ctx.ldb === null) return;
    const rt = this.rt!;
    const session = ctx.ldb.session;
    const { event, line, shortSrc } = rt.hookInfo(L, ar);
    // Events outside the script are not interesting (Redis's helpers are C: they have no lines;
    // the prelude's Lua stands for them).
    if (!shortSrc.includes("user_script")) return;
    session.currentLine = line;
    // A hook that cannot yield (inside a C call that cannot be suspended) cannot wait for the
    // client: the script runs on to the next line that can.
    if (!rt.isYieldable(L)) return;
    const countEvent = event === LUA_HOOKCOUNT;
    // The time limit matters to the count event only (a line event needs no clock or config).
    const threshold = countEvent ? this.server.config.getNumber("busy-reply-threshold") : 0;
    const reason = session.stopReason(
      countEvent,
      line,
      countEvent ? performance.now() : 0,
      threshold > 0 ? threshold : 5000,
    );
    if (reason === null) return;
    ctx.ldb.io.send(session.takeLogsFrame());
    rt.pushThread(L);
    ctx.ldbStop = { timedOut: reason.startsWith("timeout"), thread: L, threadRef: rt.ref(L) };
    if (L === ctx.co) ctx.hookYielded = true;
    else ctx.innerYield = true;
    rt.yieldHook(L);
  }

  /**
   * A stopped debugged script: the debugger serves its client's commands, then the script runs
   * on, or ends with the error the debugger raises (abort, a protocol error, the client gone
   * during the timeout stop), as luaError would at the stopped line.
   */
  private async ldbRepl(ctx: RunContext, reply: Reply): Promise<void> {
    const stop = ctx.ldbStop!;
    const { session, io } = ctx.ldb!;
    const vm = ctx.vm;
    let outcome: ReplOutcome;
    try {
      outcome = await session.repl(
        io,
        ldbVm(
          vm.rt,
          (L, name) => vm.rt.getRef(L, vm.engineFns.get(name)!),
          stop,
          lua51SyntaxError,
        ),
        stop.timedOut,
      );
    } catch (e) {
      // A bug, never the client's doing: the script ends with it, the node goes on.
      const message = e instanceof Error ? e.message : String(e);
      this.server.log.warning(`Lua debugger failed: ${message}`);
      outcome = { error: `internal error: ${message}` };
    }
    ctx.ldbStop = null;
    if (vm.rt.closed) return; // the node shut down while the script was stopped
    vm.rt.unref(vm.rt.L, stop.threadRef);
    session.startMs = performance.now();
    if ("resume" in outcome) return this.resume(ctx, reply, 0);
    // luaPushError + luaError at the stopped line: the error table Redis's handler completes.
    this.ldbEnd(ctx);
    reply.error(
      `ERR ${outcome.error} script: ${ctx.funcname}, on @user_script:${session.currentLine}.`,
    );
    vm.rt.setHook(ctx.co, 0, 0, 0);
    this.dropCoroutine(vm);
    this.finishRun(ctx);
  }

  /** ldbEndSession: the last logs and `<endsession>`, before the EVAL's reply; then closes. */
  private ldbEnd(ctx: RunContext): void {
    const { session, io } = ctx.ldb!;
    session.log("<endsession>");
    io.send(session.takeLogsFrame());
    this.server.log.warning(
      io.forked
        ? "Lua debugging session child exiting"
        : "Redis synchronous debugging eval session ended",
    );
    ctx.caller.closeAfterReply = true;
    ctx.ldb = null;
  }

  /** redis.debug's host side: "<debug> line N: " and the values the prelude formatted. */
  private ldbLog(L: number): number {
    const ldb = this.running?.ldb;
    if (ldb) {
      const text = this.rt!.toLatin1(L, 1) ?? "";
      ldb.session.log(`<debug> line ${ldb.session.currentLine}: ${text}`);
    }
    return 0;
  }

  /**
   * scriptKill: SCRIPT KILL (`isEvalKill`) or FUNCTION KILL. Null when the kill is under way,
   * else the error reply.
   */
  kill(isEvalKill: boolean): string | null {
    const ctx = this.running;
    if (ctx === null) return "NOTBUSY No scripts in execution right now.";
    if (ctx.caller.isMaster) {
      return "UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.";
    }
    if (ctx.wrote) {
      return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
    }
    if (isEvalKill && !ctx.isEval) return E.BUSY_FUNCTION;
    if (!isEvalKill && ctx.isEval) return E.BUSY_EVAL;
    ctx.killed = true;
    return null;
  }

  // ---- redis.* functions written in TypeScript -------------------------------------------------

  /** Raise an error table built from `text` (never returns). */
  private raise(L: number, text: string): never {
    pushErrorTable(this.rt!, L, text, false);
    return this.rt!.error(L);
  }

  /** luaRedisGenericCommand: redis.call (raise) and redis.pcall. */
  private redisCall(L: number, raise: boolean): number {
    const rt = this.rt!;
    const ctx = this.running;
    if (ctx === null) {
      return this.raise(L, "redis.call/pcall can only be called inside a script invocation");
    }
    // luaRedisGenericCommand under the debugger, while it steps: the command, the errors raised
    // (luaPushError) and the reply are logged.
    const ldb = ctx.ldb !== null && ctx.ldb.session.logging ? ctx.ldb.session : null;
    const argc = rt.top(L);
    if (argc === 0) {
      const text = "Please specify at least one argument for this redis lib call";
      ldb?.log(`<error> ${text}`);
      pushErrorTable(rt, L, text, false);
      return raise ? rt.error(L) : 1;
    }
    const argv: Uint8Array[] = new Array(argc);
    let bad = false;
    for (let j = 1; j <= argc; j++) {
      const t = rt.type(L, j);
      if (t === LUA_TNUMBER) {
        // %.17g of the number as a double (a Lua 5.1 number), whatever its 5.4 subtype.
        const n = rt.isInteger(L, j) ? rt.toInteger(L, j) : null;
        argv[j - 1] = te.encode(
          n !== null && n >= -9007199254740992n && n <= 9007199254740992n
            ? String(n)
            : formatDouble17g(n !== null ? Number(n) : rt.toNumber(L, j)),
        );
      } else if (t === LUA_TSTRING) {
        argv[j - 1] = rt.toBytes(L, j)!;
      } else {
        bad = true;
        break;
      }
    }
    rt.pop(L, argc);
    if (bad) {
      const text = "Lua redis lib command arguments must be strings or integers";
      ldb?.log(`<error> ${text}`);
      pushErrorTable(rt, L, text, false);
      return raise ? rt.error(L) : 1;
    }
    if (ldb !== null) {
      let cmdlog = "<redis>";
      for (let j = 0; j < argv.length; j++) {
        if (j === 10) {
          cmdlog += ` ... (${argv.length - j - 1} more)`;
          break;
        }
        cmdlog += ` ${latin1(argv[j])}`;
      }
      ldb.log(cmdlog);
    }
    const err = scriptCall(this.server, ctx, this.scriptClient, argv);
    const client = this.scriptClient;
    if (err !== null) {
      client.reply.truncate(0);
      ldb?.log(`<error> ${err}`);
      pushErrorTable(rt, L, err, true);
      return raise ? rt.error(L) : 1;
    }
    const out = client.reply;
    const isError = out.len > 0 && out.buf[0] === 45;
    pushReplyAsLua(rt, L, out.buf, 0, ldb === null ? undefined : (e) => ldb.log(`<error> ${e}`));
    if (ldb !== null) ldb.logRedisReply(out.buf.subarray(0, out.len));
    out.truncate(0);
    if (raise && isError) return rt.error(L);
    return 1;
  }

  private setResp(L: number): number {
    const rt = this.rt!;
    const ctx = this.running;
    if (ctx === null) {
      return this.raise(L, "redis.setresp can only be called inside a script invocation");
    }
    if (rt.top(L) !== 1) return this.raise(L, "redis.setresp() requires one argument.");
    const resp = Math.trunc(rt.toNumber(L, 1));
    if (resp !== 2 && resp !== 3) return this.raise(L, "RESP version must be 2 or 3.");
    ctx.resp = resp;
    return 0;
  }

  private setRepl(L: number): number {
    const rt = this.rt!;
    const ctx = this.running;
    if (ctx === null) {
      return this.raise(L, "redis.set_repl can only be called inside a script invocation");
    }
    if (rt.top(L) !== 1) return this.raise(L, "redis.set_repl() requires two arguments.");
    const flags = Math.trunc(rt.toNumber(L, 1));
    if ((flags & ~3) !== 0) {
      return this.raise(
        L,
        "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
      );
    }
    ctx.replFlags = flags;
    return 0;
  }

  private log(L: number): number {
    const rt = this.rt!;
    const argc = rt.top(L);
    if (argc < 2) return this.raise(L, "redis.log() requires two arguments or more.");
    if (rt.m._lua_isnumber(L, 1) === 0) {
      return this.raise(L, "First argument must be a number (log level).");
    }
    const level = Math.trunc(rt.toNumber(L, 1));
    if (level < 0 || level > 3) return this.raise(L, "Invalid debug level.");
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const s = luaString51(rt, L, j);
      if (s !== null) parts.push(latin1(s));
    }
    const text = parts.join(" ");
    const log = this.server.log;
    if (level === 0) log.debug(text);
    else if (level === 1) log.verbose(text);
    else if (level === 2) log.notice(text);
    else log.warning(text);
    return 0;
  }

  private sha1(L: number): number {
    const rt = this.rt!;
    if (rt.top(L) !== 1) return this.raise(L, "wrong number of arguments");
    const b = luaString51(rt, L, 1) ?? new Uint8Array(0);
    rt.pushString(L, sha1hex(b));
    return 1;
  }

  private aclCheck(L: number): number {
    const rt = this.rt!;
    if (this.running === null) {
      return this.raise(L, "redis.acl_check_cmd can only be called inside a script invocation");
    }
    const argc = rt.top(L);
    if (argc === 0) {
      return this.raise(L, "Please specify at least one argument for this redis lib call");
    }
    const argv: Uint8Array[] = [];
    for (let j = 1; j <= argc; j++) {
      const b = rt.toBytes(L, j);
      if (b === null) {
        return this.raise(L, "Lua redis lib command arguments must be strings or integers");
      }
      argv.push(b);
    }
    rt.pop(L, argc);
    if ("error" in lookupCommand(this.server, argv)) {
      return this.raise(L, "Invalid command passed to redis.acl_check_cmd()");
    }
    // No ACL users yet: the default user may run every command.
    rt.pushBoolean(L, true);
    return 1;
  }

  /** redis_math_random: Lua's math.random over Redis's rand48, the same sequence everywhere. */
  private random(L: number): number {
    const rt = this.rt!;
    if (this.running === null) {
      return this.raise(L, "math.random can only be called inside a script invocation");
    }
    const r = (this.rand.next() % 0x7fffffff) / 0x7fffffff;
    const argc = rt.top(L);
    if (argc === 0) {
      rt.pushNumber(L, r);
      return 1;
    }
    if (argc > 2) return luaError(rt, L, "wrong number of arguments");
    const a = checkInt(rt, L, 1, "random");
    if (argc === 1) {
      if (a < 1) return luaError(rt, L, "bad argument #1 to 'random' (interval is empty)");
      rt.pushInteger(L, Math.floor(r * a) + 1);
      return 1;
    }
    const u = checkInt(rt, L, 2, "random");
    if (a > u) return luaError(rt, L, "bad argument #2 to 'random' (interval is empty)");
    rt.pushInteger(L, Math.floor(r * (u - a + 1)) + a);
    return 1;
  }

  private randomSeed(L: number): number {
    const rt = this.rt!;
    if (this.running === null) {
      return luaError(rt, L, "math.randomseed can only be called inside a script invocation");
    }
    this.rand.seed(checkInt(rt, L, 1, "randomseed"));
    return 0;
  }

  /**
   * A host function made safe for Lua: a JavaScript exception (a bug, never a script's doing)
   * becomes a Lua error instead of unwinding through the VM and ending the node. Lua's own
   * errors (emscripten's longjmp, thrown as Infinity) pass through.
   */
  private hostFunction(fn: (L: number) => number): number {
    const rt = this.pendingRt ?? this.rt!;
    return rt.cfunction((L) => {
      let message: string;
      try {
        return fn(L);
      } catch (e) {
        if (e === Infinity) throw e;
        message = e instanceof Error ? e.message : String(e);
        this.server.log.warning(`Lua host function failed: ${message}`);
      }
      pushErrorTable(rt, L, `internal error: ${message}`, false);
      return rt.error(L);
    });
  }

  // ---- Functions --------------------------------------------------------------------------------

  /**
   * functionsCreateWithLibraryCtx: compile and run a library's code into `registry`. Returns the
   * library's name, or the error text (without "ERR").
   */
  createLibrary(
    code: Uint8Array,
    replace: boolean,
    timeoutMs: number,
    registry: FunctionRegistry = this.functions,
  ): { name: string } | { error: string } {
    const md = parseLibraryMetadata(code);
    if ("error" in md) return md;
    if (md.engine.toLowerCase() !== "lua") return { error: `Engine '${md.engine}' not found` };
    if (!validName(md.name)) return { error: NAME_ERROR };
    const old = registry.getLibrary(md.name) ?? null;
    if (old !== null && !replace) return { error: `Library '${md.name}' already exists` };
    const fnVm = this.fnVm!;
    const rt = this.use(fnVm);
    const L = rt.L;
    const lib: Library = { name: md.name, code: code.slice(), functions: new Map() };
    this.pushEngineFn(L, "compileLibrary");
    rt.pushBytes(L, code.subarray(md.codeStart));
    if (rt.pcall(L, 1, 2) !== LUA_OK || rt.type(L, -2) !== LUA_TFUNCTION) {
      const msg = rt.toLatin1(L, -1) ?? "?";
      rt.setTop(L, 0);
      return { error: `Error compiling function: ${msg}` };
    }
    this.pushEngineFn(L, "runLibrary");
    rt.m._lua_rotate(L, -3, 1);
    this.loading = {
      lib,
      deadlineMs: timeoutMs > 0 ? performance.now() + timeoutMs : Infinity,
    };
    rt.setHook(L, fnVm.hookPtr, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    let status: number;
    try {
      status = rt.pcall(L, 2, 2);
    } finally {
      rt.setHook(L, 0, 0, 0);
      this.loading = null;
    }
    let error: string | null = null;
    if (status !== LUA_OK) error = `Error registering functions: ${rt.toLatin1(L, -1) ?? "?"}`;
    else if (!rt.toBoolean(L, -2)) {
      rt.getField(L, -1, "err");
      error = `Error registering functions: ${rt.toLatin1(L, -1) ?? ""}`;
      rt.pop(L, 1);
    }
    rt.setTop(L, 0);
    if (error === null && lib.functions.size === 0) error = "No functions registered";
    if (error === null) {
      if (old !== null) registry.unlink(old);
      const clash = registry.collision(lib);
      if (clash !== null) {
        if (old !== null) registry.link(old);
        error = `Function ${clash} already exists`;
      } else {
        registry.link(lib);
        if (old !== null) this.releaseLibrary(old);
        return { name: md.name };
      }
    }
    this.releaseLibrary(lib);
    return { error };
  }

  /**
   * FUNCTION RESTORE (and loading functions from an RDB): create every library of `codes` in a
   * new registry, then join it to the current one by `policy`. Null, or the error text.
   */
  restoreLibraries(codes: Uint8Array[], policy: "append" | "replace" | "flush"): string | null {
    const incoming = new FunctionRegistry();
    for (const code of codes) {
      const r = this.createLibrary(code, false, 0, incoming);
      if ("error" in r) {
        for (const lib of incoming.libraries.values()) this.releaseLibrary(lib);
        return r.error;
      }
    }
    if (policy === "flush") {
      this.flushFunctions();
      this.functions = incoming;
      return null;
    }
    const current = this.functions;
    const replaced: Library[] = [];
    let error: string | null = null;
    for (const lib of incoming.libraries.values()) {
      const old = current.getLibrary(lib.name);
      if (old === undefined) continue;
      if (policy !== "replace") {
        error = `Library ${lib.name} already exists`;
        break;
      }
      current.unlink(old);
      replaced.push(old);
    }
    if (error === null) {
      for (const f of incoming.functions.values()) {
        if (current.getFunction(f.name) !== undefined) {
          error = `Function ${f.name} already exists`;
          break;
        }
      }
    }
    if (error !== null) {
      for (const old of replaced) current.link(old);
      for (const lib of incoming.libraries.values()) this.releaseLibrary(lib);
      return error;
    }
    for (const lib of incoming.libraries.values()) current.link(lib);
    for (const old of replaced) this.releaseLibrary(old);
    return null;
  }

  /** Every library's code (RDB, AOF rewrite, full sync). */
  functionCodes(): Uint8Array[] {
    return [...this.functions.libraries.values()].map((l) => l.code);
  }

  /** True once the Lua VMs exist (they are created on first use: `ready`). */
  get hasVm(): boolean {
    return this.fnVm !== null;
  }

  /**
   * The libraries of a loaded RDB replace the current ones (rdbFunctionLoad at start, a full
   * sync, DEBUG RELOAD). Throws (or rejects) when a library does not load: the file is unusable.
   * Libraries and no VM yet: a promise, settled once the VM exists and they are loaded (the VM
   * is created on first use, so an idle node without functions never holds one).
   */
  replaceFunctionsFromRdb(codes: Uint8Array[]): void | Promise<void> {
    if (codes.length === 0 && this.functions.libraries.size === 0) return;
    if (this.fnVm === null) {
      return Promise.resolve(this.ready()).then(() => this.replaceFunctionsFromRdb(codes));
    }
    const err = this.restoreLibraries(codes, "flush");
    if (err !== null) throw new Error(`RDB: failed loading a function library: ${err}`);
  }

  releaseLibrary(lib: Library): void {
    for (const f of lib.functions.values()) this.releaseFunction(f.ref);
  }

  /** FUNCTION FLUSH, and FUNCTION RESTORE FLUSH. */
  flushFunctions(): void {
    for (const lib of this.functions.libraries.values()) this.releaseLibrary(lib);
    this.functions = new FunctionRegistry();
  }

  /** redis.register_function(name, callback) or redis.register_function{...}. */
  private registerFunction(L: number): number {
    const rt = this.rt!;
    const loading = this.loading;
    if (loading === null) {
      return this.raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
    }
    const r = readRegistration(rt, L);
    if ("error" in r) return this.raise(L, r.error);
    if (!validName(r.name)) return this.raise(L, NAME_ERROR);
    const lib = loading.lib;
    if (lib.functions.has(r.name.toLowerCase())) {
      return this.raise(L, "Function already exists in the library");
    }
    rt.pushValue(L, r.callbackIdx);
    const ref = rt.ref(L);
    lib.functions.set(r.name.toLowerCase(), {
      name: r.name,
      ref,
      description: r.description,
      flags: r.flags,
      library: lib,
    });
    return 0;
  }

  /** INFO: bytes of the Lua heap. */
  memoryBytes(which: "eval" | "functions"): number {
    const rt = (which === "eval" ? this.evalVm : this.fnVm)?.rt;
    if (rt === undefined) return 0;
    const L = rt.L;
    rt.getGlobal(L, "collectgarbage");
    rt.pushString(L, "count");
    if (rt.pcall(L, 1, 1) !== LUA_OK) {
      rt.pop(L, 1);
      return 0;
    }
    const kb = rt.toNumber(L, -1);
    rt.pop(L, 1);
    return Math.round(kb * 1024);
  }

  close(): void {
    this.evalVm?.rt.close();
    this.fnVm?.rt.close();
    this.evalVm = null;
    this.fnVm = null;
    this.vm = null;
  }
}

/** The prelude's entry points (lua_prelude.ts: engine.*). */
const ENGINE_FNS = [
  "compile",
  "run",
  "runFunction",
  "compileLibrary",
  "runLibrary",
  "ldbPrint",
  "ldbPrintAll",
  "ldbEval",
  "ldbTrace",
  "ldbRedis",
] as const;

function isStringish(rt: LuaRuntime, L: number): boolean {
  const t = rt.type(L, -1);
  return t === LUA_TSTRING || t === LUA_TNUMBER;
}

function pushArray(rt: LuaRuntime, L: number, items: Uint8Array[]): void {
  rt.newTable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    rt.pushBytes(L, items[i]);
    rt.rawSetI(L, -2, i + 1);
  }
}

/** "7.0.15" -> 0x00070f (this.version_NUM). */
function versionNum(v: string): number {
  const [a, b, c] = v.split(".").map((x) => Number(x) || 0);
  return (a << 16) | (b << 8) | c;
}

export { errorTableText };

/**
 * A compile error as Redis's Lua 5.1 words it, where Lua 5.4's parser words the same error
 * otherwise:
 * - the end of the script and the token classes are quoted ("near '<eof>'", "'<name>'
 *   expected"), as 5.1 quotes every token;
 * - a statement that is neither a call nor an assignment (`x`, `a.b`): 5.4's exprstat says
 *   "syntax error", 5.1 parses an assignment and says "'=' expected";
 * - an assignment to a call (`f() = 1`): 5.4 says "syntax error" at the '=' or ',', 5.1 took the
 *   call as a statement and says "unexpected symbol" there.
 */
export function lua51SyntaxError(msg: string): string {
  const quoted = msg.replace(/ near <eof>$/, " near '<eof>'").replace(
    /^(.*?:\d+: )<(eof|name|string|number|integer)> expected/s,
    "$1'<$2>' expected",
  );
  const m = /^(.*?:\d+: )syntax error near (.*)$/s.exec(quoted);
  if (m === null) return quoted;
  const at = m[2];
  return `${m[1]}${at === "'='" || at === "','" ? "unexpected symbol" : "'=' expected"} near ${at}`;
}

/**
 * lua_tolstring as Redis's Lua 5.1 does it: a number becomes "%.14g" of a double (5.4 would give
 * 5.0 for an integral float, every digit of an integer); a string its bytes; anything else null.
 */
function luaString51(rt: LuaRuntime, L: number, idx: number): Uint8Array | null {
  if (rt.type(L, idx) !== LUA_TNUMBER) return rt.toBytes(L, idx);
  const n = rt.isInteger(L, idx) ? Number(rt.toInteger(L, idx)) : rt.toNumber(L, idx);
  return te.encode(formatDoubleG(n, 14));
}
