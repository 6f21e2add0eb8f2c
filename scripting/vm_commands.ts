/**
 * The commands that run in the Lua VM (their handlers use `withEngine`, commands/scripting.ts):
 * EVAL*, FCALL*, SCRIPT LOAD, FUNCTION <any>. The VM is made on first use, so such a command
 * waits for it before it runs (server/dispatch.ts call), and a transaction holding one makes it
 * before it starts (commands/transactions.ts): no other client runs in between.
 */

const LUA_VM_COMMANDS = new Set([
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
  "script|load",
]);

const FUNCTION_PREFIX = "function|";

/** The first characters of those names: one character code decides for most commands. */
const LEADS = new Uint8Array(256);
for (const name of [...LUA_VM_COMMANDS, FUNCTION_PREFIX]) LEADS[name.charCodeAt(0) & 255] = 1;

/** `fullname` as dispatch names it: `eval`, `function|load`. */
export function usesLuaVm(fullname: string): boolean {
  if (LEADS[fullname.charCodeAt(0) & 255] === 0) return false;
  return LUA_VM_COMMANDS.has(fullname) || fullname.startsWith(FUNCTION_PREFIX);
}
