/**
 * The definitions of the list commands (LPUSH, LPOP, BLPOP & co.); their handlers are in commands/lists.ts,
 * imported on first use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { mpopKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const listCommands: CommandDef[] = lazyFamily(
  [
    fromTable("lpush", notLoaded),
    fromTable("rpush", notLoaded),
    fromTable("lpushx", notLoaded),
    fromTable("rpushx", notLoaded),
    fromTable("lpop", notLoaded),
    fromTable("rpop", notLoaded),
    fromTable("llen", notLoaded),
    fromTable("lrange", notLoaded),
    fromTable("lindex", notLoaded),
    fromTable("lset", notLoaded),
    fromTable("lrem", notLoaded),
    fromTable("linsert", notLoaded),
    fromTable("ltrim", notLoaded),
    fromTable("lpos", notLoaded),
    fromTable("rpoplpush", notLoaded),
    fromTable("lmove", notLoaded),
    fromTable("lmpop", notLoaded, { getKeys: mpopKeys(1) }),
    fromTable("blpop", notLoaded),
    fromTable("brpop", notLoaded),
    fromTable("blmove", notLoaded),
    fromTable("brpoplpush", notLoaded),
    fromTable("blmpop", notLoaded, { getKeys: mpopKeys(2) }),
  ],
  () =>
    importOnFirstUse<typeof import("./lists.ts")>(new URL("./lists.ts", import.meta.url)).then((
      m,
    ) => m.listCommands),
);
