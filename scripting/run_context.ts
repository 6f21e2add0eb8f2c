/** The state of one script run (Redis's scriptRunCtx) and what starts one. Types only. */

import type { Client } from "../server/client.ts";
import type { Reply } from "../protocol/reply.ts";
import type { ScriptFlags } from "./shebang.ts";
import type { LuaRuntime } from "./lua_runtime.ts";
import type { LdbIo, LuaDebugger } from "./ldb.ts";

/** One Lua state set up for scripts: its entry points, its coroutine, its count hook. */
export interface LuaVm {
  rt: LuaRuntime;
  /** Registry references of the prelude's engine.* functions. */
  engineFns: Map<string, number>;
  /** The coroutine runs use (0: none yet) and its registry reference. */
  co: number;
  coRef: number;
  hookPtr: number;
  /** The line and count hook of a debugged run (SCRIPT DEBUG). */
  ldbHookPtr: number;
}

/** What a running script needs: Redis's scriptRunCtx. */
export interface RunContext {
  caller: Client;
  /** "sha" for EVAL, the function name for FCALL (error texts). */
  funcname: string;
  isEval: boolean;
  readOnly: boolean;
  allowCrossSlot: boolean;
  /** The allow-oom flag (SCRIPT_ALLOW_OOM): denyoom commands run even when out of memory. */
  allowOom?: boolean;
  /** The slot of the keys touched so far (-1: none), for the cross-slot check. */
  slot: number;
  /** A write command ran: the script can no longer be killed. */
  wrote: boolean;
  resp: 2 | 3;
  /** redis.set_repl: bit 1 AOF, bit 2 replicas. */
  replFlags: number;
  startMs: number;
  timedOut: boolean;
  killed: boolean;
  lastYieldMs: number;
  /** The coroutine the script runs in (the hook yields only that one). */
  co: number;
  hookYielded: boolean;
  /** Closes the replication unit held open across yields (null: never yielded). */
  closeUnit: (() => void) | null;
  command: Uint8Array[];
  /** The message handler is formatting an error. */
  handling: boolean;
  /** The hook suspended a coroutine the script made: its resume passes the yield up. */
  innerYield: boolean;
  /** The VM the script runs in (eval scripts and functions have one each). */
  vm: LuaVm;
  /** A debugged run (SCRIPT DEBUG SYNC): the session and its client's I/O. */
  ldb: { session: LuaDebugger; io: LdbIo } | null;
  /**
   * The debugger stopped the script (its hook yielded): whether for the timeout, the stopped
   * coroutine and a registry reference to it.
   */
  ldbStop: { timedOut: boolean; thread: number; threadRef: number } | null;
}

export interface RunRequest {
  caller: Client;
  reply: Reply;
  funcname: string;
  isEval: boolean;
  flags: ScriptFlags;
  readOnlyCommand: boolean;
  /** Registry reference of the function to run. */
  ref: number;
  keys: Uint8Array[];
  args: Uint8Array[];
  /** The command that runs the script (FUNCTION STATS). */
  command: Uint8Array[];
  /** Debug the run (SCRIPT DEBUG SYNC): the client's side of the session. */
  ldb?: LdbIo;
}
