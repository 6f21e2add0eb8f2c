/**
 * The MIGRATE command's definition; its handler is in commands/migrate.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { migrateGetKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const migrateCommands: CommandDef[] = lazyFamily(
  [fromTable("migrate", notLoaded, { getKeys: migrateGetKeys })],
  () =>
    importOnFirstUse<typeof import("./migrate.ts")>(new URL("./migrate.ts", import.meta.url)).then((
      m,
    ) => m.migrateCommands),
);
