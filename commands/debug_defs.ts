/**
 * The DEBUG command's definition definition; its handler is in commands/debug.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const debugCommands: CommandDef[] = lazyFamily(
  [fromTable("debug", notLoaded)],
  () =>
    importOnFirstUse<typeof import("./debug.ts")>(new URL("./debug.ts", import.meta.url)).then((
      m,
    ) => m.debugCommands),
);
