/**
 * The definitions of the set commands (SADD, SMEMBERS & co.); their handlers are in commands/sets.ts,
 * imported on first use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { scountKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const setCommands: CommandDef[] = lazyFamily(
  [
    fromTable("sadd", notLoaded),
    fromTable("srem", notLoaded),
    fromTable("smembers", notLoaded),
    fromTable("sismember", notLoaded),
    fromTable("smismember", notLoaded),
    fromTable("scard", notLoaded),
    fromTable("spop", notLoaded),
    fromTable("srandmember", notLoaded),
    fromTable("smove", notLoaded),
    fromTable("sinter", notLoaded),
    fromTable("sintercard", notLoaded, { getKeys: scountKeys }),
    fromTable("sunion", notLoaded),
    fromTable("sdiff", notLoaded),
    fromTable("sinterstore", notLoaded),
    fromTable("sunionstore", notLoaded),
    fromTable("sdiffstore", notLoaded),
    fromTable("sscan", notLoaded),
  ],
  () =>
    importOnFirstUse<typeof import("./sets.ts")>(new URL("./sets.ts", import.meta.url)).then((m) =>
      m.setCommands
    ),
);
