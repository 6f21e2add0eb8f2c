/**
 * Command families whose handlers are imported on first use instead of at start: every module a
 * node imports costs its idle RSS (its source, its inline source map and its compiled code stay
 * in memory), and a node that never runs a stream or geo command need not pay for them.
 *
 * The command table holds such a family's definitions from the start, with Redis's metadata
 * (`fromTable`) and their key finders (commands/key_finders.ts), so COMMAND, ACL, cluster routing
 * and key locks see them as always. Each definition's `load` imports the family's module once
 * (through server/lazy_import.ts: an `import("./literal.ts")` would have Deno load the module at
 * start all the same), copies its handlers into these same definition objects, and is removed.
 *
 * Who waits for it: server/dispatch.ts `call` (before the command's clock starts; the client's
 * next requests wait behind it, so a pipelined batch keeps its order); EXEC for its queued
 * commands, and EVAL/FCALL and EXEC with a script for every family (a script runs commands
 * synchronously and cannot wait for an import). An AOF replays through the same `call`.
 */

import type { CommandDef } from "./command_def.ts";

/** The loaders of the families not imported yet. */
const pending = new Set<() => Promise<void>>();

/** The handler of a definition until its module is imported (`call` never runs it). */
export function notLoaded(): never {
  throw new Error("lazy command run before its module was imported");
}

/**
 * The definitions `stubs` (metadata as the real ones, handlers not yet), each with a `load` that
 * imports the family (`importDefs`, once) and installs its handlers by name.
 */
export function lazyFamily(
  stubs: CommandDef[],
  importDefs: () => Promise<CommandDef[]>,
): CommandDef[] {
  let loading: Promise<void> | null = null;
  const load = (): Promise<void> =>
    loading ??= importDefs().then((real) => {
      install(stubs, real);
      pending.delete(load);
    });
  const mark = (d: CommandDef): void => {
    d.load = load;
    d.subcommands?.forEach(mark);
  };
  stubs.forEach(mark);
  pending.add(load);
  return stubs;
}

function install(stubs: CommandDef[], real: CommandDef[]): void {
  const byName = new Map(real.map((d) => [d.name, d]));
  for (const s of stubs) {
    const r = byName.get(s.name);
    if (r === undefined) throw new Error(`lazy command ${s.name} missing from its module`);
    if (r.handler !== undefined) s.handler = r.handler;
    // Not `delete`: that would turn the definition into a slow dictionary-mode object.
    s.load = undefined;
    if (s.subcommands !== undefined) install(s.subcommands, r.subcommands ?? []);
  }
}

/** Is some family still not imported? */
export function lazyCommandsPending(): boolean {
  return pending.size !== 0;
}

/** Import every family not imported yet (before a script runs). */
export function loadAllLazyCommands(): Promise<void> {
  return Promise.all([...pending].map((load) => load())).then(() => {});
}
