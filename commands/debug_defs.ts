/**
 * The DEBUG command's definition definition; its handler is in commands/debug.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";

export const debugCommands: CommandDef[] = lazyFamily(
  [fromTable("debug", notLoaded)],
  () => import("./debug.ts").then((m) => m.debugCommands),
);
