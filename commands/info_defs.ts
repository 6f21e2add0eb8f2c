/**
 * The definition of INFO; its handler is in commands/info.ts (with the sections' code,
 * server/info.ts), imported on first use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const infoCommands: CommandDef[] = lazyFamily(
  [fromTable("info", notLoaded)],
  () =>
    importOnFirstUse<typeof import("./info.ts")>(new URL("./info.ts", import.meta.url)).then((
      m,
    ) => m.infoCommands),
);
