/**
 * The bitmap commands' definitions; their handlers are in commands/bitmaps.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const bitmapCommands: CommandDef[] = lazyFamily(
  [
    fromTable("setbit", notLoaded),
    fromTable("getbit", notLoaded),
    fromTable("bitcount", notLoaded),
    fromTable("bitpos", notLoaded),
    fromTable("bitop", notLoaded),
    fromTable("bitfield", notLoaded),
    fromTable("bitfield_ro", notLoaded),
  ],
  () =>
    importOnFirstUse<typeof import("./bitmaps.ts")>(new URL("./bitmaps.ts", import.meta.url)).then((
      m,
    ) => m.bitmapCommands),
);
