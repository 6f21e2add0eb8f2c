/**
 * The SORT and SORT_RO definitions; their handlers are in commands/sort.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { sortGetKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const sortCommands: CommandDef[] = lazyFamily(
  [
    fromTable("sort", notLoaded, { getKeys: sortGetKeys }),
    // sortROGetKeys: the sorted key only.
    fromTable("sort_ro", notLoaded, { getKeys: () => [1] }),
  ],
  () =>
    importOnFirstUse<typeof import("./sort.ts")>(new URL("./sort.ts", import.meta.url)).then((m) =>
      m.sortCommands
    ),
);
