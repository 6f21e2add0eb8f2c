/**
 * The definitions of the smaller command families whose handlers are imported on first use
 * (commands/lazy_commands.ts): MEMORY (commands/memory.ts, with server/memory_overhead.ts),
 * LATENCY, SLOWLOG, Pub/Sub, replication (PSYNC, REPLICAOF, WAIT & co), persistence (SAVE,
 * BGSAVE, BGREWRITEAOF, LASTSAVE), MODULE, SHUTDOWN and the server family (DBSIZE, FLUSHALL,
 * FLUSHDB, SWAPDB, TIME) and LOLWUT. One file for them all: each module a node loads at start costs its idle
 * RSS, a stub module too (issue 18).
 */

import type { CommandDef } from "./command_def.ts";
import { fromTable } from "./types.ts";
import { lazyFamily, notLoaded } from "./lazy_commands.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

const lazy = (name: string, extraFlags: CommandDef["flags"] = []) =>
  fromTable(name, notLoaded, {}, extraFlags);
const container = (name: string, subcommands: string[]) =>
  fromTable(name, undefined, { subcommands: subcommands.map((s) => lazy(`${name}|${s}`)) });

export const memoryCommands: CommandDef[] = lazyFamily(
  [container("memory", ["doctor", "malloc-stats", "purge", "stats", "usage", "help"])],
  () =>
    importOnFirstUse<typeof import("./memory.ts")>(new URL("./memory.ts", import.meta.url)).then(
      // MEMORY PURGE's collection is imported with the family: the command runs synchronously.
      (m) => m.importPurgeGc().then(() => m.memoryCommands),
    ),
);

export const latencyCommands: CommandDef[] = lazyFamily(
  [container("latency", ["doctor", "graph", "history", "latest", "reset", "histogram", "help"])],
  () =>
    importOnFirstUse<typeof import("./latency.ts")>(new URL("./latency.ts", import.meta.url)).then(
      (m) => m.latencyCommands,
    ),
);

export const slowlogCommands: CommandDef[] = lazyFamily(
  [container("slowlog", ["get", "len", "reset", "help"])],
  () =>
    importOnFirstUse<typeof import("./slowlog.ts")>(new URL("./slowlog.ts", import.meta.url)).then(
      (m) => m.slowlogCommands,
    ),
);

/** PUBLISH and SPUBLISH are MAY_REPLICATE (COMMAND INFO hides it), as in commands/pubsub.ts. */
export const pubsubCommands: CommandDef[] = lazyFamily(
  [
    lazy("subscribe"),
    lazy("unsubscribe"),
    lazy("psubscribe"),
    lazy("punsubscribe"),
    lazy("publish", ["may_replicate"]),
    lazy("ssubscribe"),
    lazy("sunsubscribe"),
    lazy("spublish", ["may_replicate"]),
    container("pubsub", ["channels", "numsub", "numpat", "shardchannels", "shardnumsub", "help"]),
  ],
  () =>
    importOnFirstUse<typeof import("./pubsub.ts")>(new URL("./pubsub.ts", import.meta.url)).then(
      (m) => m.pubsubCommands,
    ),
);

export const replicationCommands: CommandDef[] = lazyFamily(
  ["psync", "sync", "replconf", "replicaof", "slaveof", "wait", "role", "failover"].map((n) =>
    lazy(n)
  ),
  () =>
    importOnFirstUse<typeof import("./replication.ts")>(
      new URL("./replication.ts", import.meta.url),
    ).then((m) => m.replicationCommands),
);

export const persistenceCommands: CommandDef[] = lazyFamily(
  ["lastsave", "save", "bgsave", "bgrewriteaof"].map((n) => lazy(n)),
  () =>
    importOnFirstUse<typeof import("./persistence.ts")>(
      new URL("./persistence.ts", import.meta.url),
    ).then((m) => m.persistenceCommands),
);

export const moduleCommands: CommandDef[] = lazyFamily(
  [container("module", ["list", "load", "loadex", "unload", "help"])],
  () =>
    importOnFirstUse<typeof import("./module.ts")>(new URL("./module.ts", import.meta.url)).then(
      (m) => m.moduleCommands,
    ),
);

export const shutdownCommands: CommandDef[] = lazyFamily(
  [lazy("shutdown")],
  () =>
    importOnFirstUse<typeof import("./shutdown.ts")>(new URL("./shutdown.ts", import.meta.url))
      .then((m) => m.shutdownCommands),
);

export const serverCommands: CommandDef[] = lazyFamily(
  ["dbsize", "flushall", "flushdb", "swapdb", "time"].map((n) => lazy(n)),
  () =>
    importOnFirstUse<typeof import("./server.ts")>(new URL("./server.ts", import.meta.url)).then(
      (m) => m.serverCommands,
    ),
);

export const lolwutCommands: CommandDef[] = lazyFamily(
  [lazy("lolwut")],
  () =>
    importOnFirstUse<typeof import("./lolwut.ts")>(new URL("./lolwut.ts", import.meta.url)).then(
      (m) => m.lolwutCommands,
    ),
);
