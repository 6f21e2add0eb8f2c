/**
 * The script engine as the commands and the dispatcher see it (EVAL, FUNCTION, SCRIPT, -BUSY,
 * OOM checks): a port that scripting/script_engine.ts's `ScriptEngine` satisfies. The commands'
 * host (commands/command_host.ts) names this instead of the engine, because the engine runs
 * commands (it sits above the dispatcher and the command context).
 */

import type { Client } from "../server/client.ts";
import type { RunContext, RunRequest } from "./run_context.ts";
import type { ScriptFlags } from "./shebang.ts";
import type { FunctionRegistry, Library } from "./function_library.ts";

/** One cached EVAL script (scripting/script_engine.ts `CachedScript`). */
export interface CachedScriptView {
  readonly sha: string;
  readonly bodyBytes: number;
  readonly ref: number;
  readonly flags: ScriptFlags;
}

export interface ScriptsPort {
  /** The script running now (a script yields while a command it called waits). */
  readonly running: RunContext | null;
  /** A script runs past busy-reply-threshold: other clients get -BUSY. */
  readonly busy: boolean;
  /** The client of a Lua debugging session (SCRIPT DEBUG SYNC): every other client waits. */
  readonly debugging: Client | null;
  /** The fake client scripts run commands as. */
  readonly scriptClient: Client;
  /** EVAL's script cache, by SHA1. */
  readonly scripts: ReadonlyMap<string, CachedScriptView>;
  /** FUNCTION's libraries. */
  readonly functions: FunctionRegistry;
  /** The Lua VM exists (it is made on first use). */
  readonly hasVm: boolean;
  /** EVAL's cached scripts' bytes (INFO used_memory_scripts_eval). */
  readonly scriptsBytes: number;
  /** The heap of the EVAL or the FUNCTION VM, bytes. */
  memoryBytes(which: "eval" | "functions"): number;
  /** The VM, now or once made. */
  ready(): unknown;
  /** Resolves when the running script ends. */
  whenDone(): Promise<void>;
  run(req: RunRequest): void | Promise<void>;
  createScript(
    body: Uint8Array,
    flags: ScriptFlags,
    bodyStart: number,
    sha?: string,
  ): CachedScriptView | { error: string };
  createLibrary(
    code: Uint8Array,
    replace: boolean,
    timeoutMs: number,
  ): { name: string } | { error: string };
  releaseLibrary(lib: Library): void;
  restoreLibraries(codes: Uint8Array[], policy: "append" | "replace" | "flush"): string | null;
  replaceFunctionsFromRdb(codes: Uint8Array[]): void | Promise<void>;
  functionCodes(): Uint8Array[];
  flushFunctions(): void;
  flushScripts(): void;
  /** SCRIPT KILL / FUNCTION KILL: null when killed, else the error. */
  kill(isEvalKill: boolean): string | null;
  /** Free the Lua VMs (the server is gone: shut down, or a forked debugging session ended). */
  close(): void;
}
