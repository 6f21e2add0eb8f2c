/**
 * The definitions of the zset commands (ZADD, ZRANGE, BZPOPMIN & co.); their handlers are in commands/zsets.ts,
 * imported on first use (commands/lazy_commands.ts).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { bzmpopKeys, zsetReadKeys, zsetStoreKeys, zsetStoreRoutingKeys } from "./key_finders.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

export const zsetCommands: CommandDef[] = lazyFamily(
  [
    fromTable("zadd", notLoaded),
    fromTable("zincrby", notLoaded),
    fromTable("zrem", notLoaded),
    fromTable("zcard", notLoaded),
    fromTable("zscore", notLoaded),
    fromTable("zmscore", notLoaded),
    fromTable("zrank", notLoaded),
    fromTable("zrevrank", notLoaded),
    fromTable("zcount", notLoaded),
    fromTable("zlexcount", notLoaded),
    fromTable("zrange", notLoaded),
    fromTable("zrangestore", notLoaded),
    fromTable("zrevrange", notLoaded),
    fromTable("zrangebyscore", notLoaded),
    fromTable("zrevrangebyscore", notLoaded),
    fromTable("zrangebylex", notLoaded),
    fromTable("zrevrangebylex", notLoaded),
    fromTable("zpopmin", notLoaded),
    fromTable("zpopmax", notLoaded),
    fromTable("zremrangebyrank", notLoaded),
    fromTable("zremrangebyscore", notLoaded),
    fromTable("zremrangebylex", notLoaded),
    fromTable("zunionstore", notLoaded, {
      getKeys: zsetStoreKeys,
      routingKeys: zsetStoreRoutingKeys,
    }),
    fromTable("zinterstore", notLoaded, {
      getKeys: zsetStoreKeys,
      routingKeys: zsetStoreRoutingKeys,
    }),
    fromTable("zdiffstore", notLoaded, {
      getKeys: zsetStoreKeys,
      routingKeys: zsetStoreRoutingKeys,
    }),
    fromTable("zunion", notLoaded, { getKeys: zsetReadKeys }),
    fromTable("zinter", notLoaded, { getKeys: zsetReadKeys }),
    fromTable("zdiff", notLoaded, { getKeys: zsetReadKeys }),
    fromTable("zintercard", notLoaded, { getKeys: zsetReadKeys }),
    fromTable("zrandmember", notLoaded),
    fromTable("zscan", notLoaded),
    fromTable("zmpop", notLoaded, { getKeys: zsetReadKeys }),
    fromTable("bzpopmin", notLoaded),
    fromTable("bzpopmax", notLoaded),
    fromTable("bzmpop", notLoaded, { getKeys: bzmpopKeys }),
  ],
  () =>
    importOnFirstUse<typeof import("./zsets.ts")>(new URL("./zsets.ts", import.meta.url)).then((
      m,
    ) => m.zsetCommands),
);
