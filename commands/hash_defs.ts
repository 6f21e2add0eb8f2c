/**
 * The definitions of the hash commands (HSET, HGET & co.); their handlers are in commands/hashes.ts,
 * imported on first use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const hashCommands: CommandDef[] = lazyFamily(
  [
    fromTable("hset", notLoaded),
    fromTable("hsetnx", notLoaded),
    fromTable("hget", notLoaded),
    fromTable("hmset", notLoaded),
    fromTable("hmget", notLoaded),
    fromTable("hdel", notLoaded),
    fromTable("hlen", notLoaded),
    fromTable("hstrlen", notLoaded),
    fromTable("hexists", notLoaded),
    fromTable("hgetall", notLoaded),
    fromTable("hkeys", notLoaded),
    fromTable("hvals", notLoaded),
    fromTable("hincrby", notLoaded),
    fromTable("hincrbyfloat", notLoaded),
    fromTable("hrandfield", notLoaded),
    fromTable("hscan", notLoaded),
  ],
  () =>
    importOnFirstUse<typeof import("./hashes.ts")>(new URL("./hashes.ts", import.meta.url)).then((
      m,
    ) => m.hashCommands),
);
