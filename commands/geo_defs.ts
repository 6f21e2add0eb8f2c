/**
 * The geo commands' definitions; their handlers are in commands/geo.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { geoStoreKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

const lazy = (name: string, extra: Partial<CommandDef> = {}) => fromTable(name, notLoaded, extra);

export const geoCommands: CommandDef[] = lazyFamily(
  [
    lazy("geoadd"),
    lazy("geodist"),
    lazy("geohash"),
    lazy("geopos"),
    lazy("georadius", { getKeys: geoStoreKeys(6) }),
    lazy("georadius_ro"),
    lazy("georadiusbymember", { getKeys: geoStoreKeys(5) }),
    lazy("georadiusbymember_ro"),
    lazy("geosearch"),
    lazy("geosearchstore"),
  ],
  () =>
    importOnFirstUse<typeof import("./geo.ts")>(new URL("./geo.ts", import.meta.url)).then((m) =>
      m.geoCommands
    ),
);
