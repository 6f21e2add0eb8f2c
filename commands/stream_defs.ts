/**
 * The stream commands' definitions; their handlers are in commands/streams.ts, imported on first
 * use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { xreadKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

const lazy = (name: string, extra: Partial<CommandDef> = {}) => fromTable(name, notLoaded, extra);

export const streamCommands: CommandDef[] = lazyFamily(
  [
    lazy("xadd"),
    lazy("xrange"),
    lazy("xrevrange"),
    lazy("xlen"),
    lazy("xdel"),
    lazy("xtrim"),
    lazy("xsetid"),
    lazy("xread", { getKeys: xreadKeys }),
    lazy("xreadgroup", { getKeys: xreadKeys }),
    lazy("xack"),
    lazy("xclaim"),
    lazy("xautoclaim"),
    lazy("xpending"),
    fromTable("xgroup", undefined, {
      subcommands: [
        lazy("xgroup|create"),
        lazy("xgroup|createconsumer"),
        lazy("xgroup|delconsumer"),
        lazy("xgroup|destroy"),
        lazy("xgroup|setid"),
        lazy("xgroup|help"),
      ],
    }),
    fromTable("xinfo", undefined, {
      subcommands: [
        lazy("xinfo|consumers"),
        lazy("xinfo|groups"),
        lazy("xinfo|stream"),
        lazy("xinfo|help"),
      ],
    }),
  ],
  () =>
    importOnFirstUse<typeof import("./streams.ts")>(new URL("./streams.ts", import.meta.url)).then((
      m,
    ) => m.streamCommands),
);
