/**
 * The HyperLogLog commands' definitions; their handlers are in commands/hyperloglog.ts, imported on first use
 * (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const hyperloglogCommands: CommandDef[] = lazyFamily(
  [
    fromTable("pfadd", notLoaded),
    fromTable("pfcount", notLoaded, {}, ["may_replicate"]),
    fromTable("pfmerge", notLoaded),
    fromTable("pfdebug", notLoaded),
    fromTable("pfselftest", notLoaded),
  ],
  () =>
    importOnFirstUse<typeof import("./hyperloglog.ts")>(
      new URL("./hyperloglog.ts", import.meta.url),
    ).then((m) => m.hyperloglogCommands),
);
