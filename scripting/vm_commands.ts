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

/** `fullname` as dispatch names it: `eval`, `function|load`. */
export function usesLuaVm(fullname: string): boolean {
  // EVAL* and FCALL* start with 'e' or 'f': one character code decides for most commands.
  const c = fullname.charCodeAt(0);
  if (c === 101 || c === 102) {
    return LUA_VM_COMMANDS.has(fullname) || fullname.startsWith("function|");
  }
  return fullname === "script|load";
}
