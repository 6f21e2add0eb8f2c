/**
 * The script engine's part a node always holds (issue 18, idle RSS): the client scripts run
 * commands as, and what a node with no script and no library reports (no script running, empty
 * caches, no VM). The engine itself (scripting/script_engine.ts with the Lua glue it imports,
 * ~0.7 MiB of an idle node's RSS, measured) is imported on first use, through
 * server/lazy_import.ts, by `ready()`: the dispatcher and EXEC already await `ready()` before
 * every command that needs the Lua VM (scripting/vm_commands.ts: EVAL*, FCALL*, SCRIPT LOAD,
 * FUNCTION *), and a dataset's libraries wait for it in `replaceFunctionsFromRdb`. Every other
 * member answers from the engine once it is there, and as an engine with no VM would before.
 */

import type { Client } from "../server/client.ts";
import type { CommandHost } from "../commands/command_host.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";
import { FunctionRegistry, type Library } from "./function_library.ts";
import type { CachedScriptView, ScriptsPort } from "./scripts_port.ts";
import type { RunContext, RunRequest } from "./run_context.ts";
import type { ScriptFlags } from "./shebang.ts";
import type { ScriptEngine } from "./script_engine.ts";
import { newScriptClient } from "./script_client.ts";

const NO_SCRIPTS: ReadonlyMap<string, CachedScriptView> = new Map();

export class Scripts implements ScriptsPort {
  /** The engine, once imported (`ready`). */
  private engine: ScriptEngine | null = null;
  private importing: Promise<ScriptEngine> | null = null;
  /** FUNCTION's libraries while the engine is not imported: none. */
  private readonly noFunctions = new FunctionRegistry();
  readonly scriptClient: Client;

  constructor(private readonly server: CommandHost, private readonly version: string) {
    this.scriptClient = newScriptClient(server);
  }

  /** Import the engine (once; a failed import is tried again by the next call). */
  private loadEngine(): Promise<ScriptEngine> {
    return this.importing ??= importOnFirstUse<typeof import("./script_engine.ts")>(
      new URL("./script_engine.ts", import.meta.url),
    ).then(
      (m) => (this.engine = new m.ScriptEngine(this.server, this.version, this.scriptClient)),
      (e) => {
        this.importing = null;
        throw e;
      },
    );
  }

  /** The engine; only after `ready()` (the callers of these members await it first). */
  private get loaded(): ScriptEngine {
    if (this.engine === null) throw new Error("script engine used before it was imported");
    return this.engine;
  }

  /** The engine and its Lua VM, now or once imported and made. */
  ready(): unknown {
    if (this.engine !== null) return this.engine.ready();
    return this.loadEngine().then((e) => e.ready());
  }

  get running(): RunContext | null {
    return this.engine?.running ?? null;
  }
  get busy(): boolean {
    return this.engine?.busy ?? false;
  }
  get debugging(): Client | null {
    return this.engine?.debugging ?? null;
  }
  get scripts(): ReadonlyMap<string, CachedScriptView> {
    return this.engine?.scripts ?? NO_SCRIPTS;
  }
  get functions(): FunctionRegistry {
    return this.engine?.functions ?? this.noFunctions;
  }
  get hasVm(): boolean {
    return this.engine?.hasVm ?? false;
  }
  get scriptsBytes(): number {
    return this.engine?.scriptsBytes ?? 0;
  }
  memoryBytes(which: "eval" | "functions"): number {
    return this.engine?.memoryBytes(which) ?? 0;
  }
  whenDone(): Promise<void> {
    return this.engine?.whenDone() ?? Promise.resolve();
  }
  run(req: RunRequest): void | Promise<void> {
    return this.loaded.run(req);
  }
  createScript(
    body: Uint8Array,
    flags: ScriptFlags,
    bodyStart: number,
    sha?: string,
  ): CachedScriptView | { error: string } {
    return this.loaded.createScript(body, flags, bodyStart, sha);
  }
  createLibrary(
    code: Uint8Array,
    replace: boolean,
    timeoutMs: number,
  ): { name: string } | { error: string } {
    return this.loaded.createLibrary(code, replace, timeoutMs);
  }
  releaseLibrary(lib: Library): void {
    this.loaded.releaseLibrary(lib);
  }
  restoreLibraries(codes: Uint8Array[], policy: "append" | "replace" | "flush"): string | null {
    return this.loaded.restoreLibraries(codes, policy);
  }
  /** A dataset's libraries: none and no engine is nothing to do; else the engine loads them. */
  replaceFunctionsFromRdb(codes: Uint8Array[]): void | Promise<void> {
    if (this.engine !== null) return this.engine.replaceFunctionsFromRdb(codes);
    if (codes.length === 0) return;
    return this.loadEngine().then((e) => e.replaceFunctionsFromRdb(codes));
  }
  functionCodes(): Uint8Array[] {
    return this.engine?.functionCodes() ?? [];
  }
  flushFunctions(): void {
    this.engine?.flushFunctions();
  }
  flushScripts(): void {
    this.engine?.flushScripts();
  }
  kill(isEvalKill: boolean): string | null {
    // No engine, no script running: scriptKill's answer then.
    if (this.engine === null) return "NOTBUSY No scripts in execution right now.";
    return this.engine.kill(isEvalKill);
  }
  close(): void {
    this.engine?.close();
  }
}
