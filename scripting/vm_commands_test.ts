import assert from "node:assert/strict";
import { usesLuaVm } from "./vm_commands.ts";

Deno.test("usesLuaVm: EVAL*, FCALL*, SCRIPT LOAD and every FUNCTION subcommand; nothing else", () => {
  for (
    const name of [
      "eval",
      "evalsha",
      "eval_ro",
      "evalsha_ro",
      "fcall",
      "fcall_ro",
      "script|load",
      "function|load",
      "function|list",
      "function|restore",
    ]
  ) assert.equal(usesLuaVm(name), true, name);
  for (
    const name of [
      "set",
      "exists",
      "expire",
      "flushall",
      "script|exists",
      "script|flush",
      "sadd",
      "function",
      "ping",
    ]
  ) assert.equal(usesLuaVm(name), false, name);
});
