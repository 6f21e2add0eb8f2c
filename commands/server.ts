/**
 * The keyspace-wide server commands, as Redis 7.0.15: DBSIZE, FLUSHALL, FLUSHDB, SWAPDB, and TIME.
 *
 * The rest of Redis's "server" group lives by concern: INFO (info.ts), CONFIG (config.ts),
 * COMMAND (command.ts), DEBUG (debug.ts), SHUTDOWN (shutdown.ts), FUNCTION (functions.ts),
 * SLOWLOG (slowlog.ts), MEMORY (memory.ts), SAVE/BGSAVE/BGREWRITEAOF/LASTSAVE (persistence.ts).
 */

import { lower, parseInt64 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ConfigPort, DatabasesPort } from "../server/server_ports.ts";
import type { PersistencePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort & DatabasesPort & PersistencePort>;

function dbsize(ctx: Ctx): void {
  ctx.reply.int(ctx.db.size);
}

function flush(ctx: Ctx, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  if (argv.length === 2) {
    const m = lower(argv[1]);
    if (m !== "async" && m !== "sync") {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  if (lower(argv[0]) === "flushall") {
    // emptyData(-1): every database; the tracking invalidation goes once (signalFlushedDb(-1)).
    for (const db of ctx.server.dbs) db.flush(db.id === 0);
    // FLUSHALL with save points writes the now empty dataset at once (flushAllDataAndResetRDB).
    if (ctx.server.persistence.hasSavePoints) {
      ctx.server.persistence.saveSync();
      ctx.db.stats.dirty++;
    }
  } else ctx.db.flush();
  ctx.reply.ok();
}

/** getIntFromObjectOrReply with a message: an int, or the message as the error. */
function dbIndexArg(arg: Uint8Array): number | null {
  const n = parseInt64(arg);
  return n === null || n < -2147483648 || n > 2147483647 ? null : n;
}

/** SWAPDB index1 index2 (db.c swapdbCommand). */
function swapdb(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (server.config.getBool("cluster-enabled")) {
    reply.error("ERR SWAPDB is not allowed in cluster mode");
    return;
  }
  const id1 = dbIndexArg(argv[1]);
  if (id1 === null) {
    reply.error("ERR invalid first DB index");
    return;
  }
  const id2 = dbIndexArg(argv[2]);
  if (id2 === null) {
    reply.error("ERR invalid second DB index");
    return;
  }
  const n = server.dbs.length;
  if (id1 < 0 || id1 >= n || id2 < 0 || id2 >= n) {
    reply.error("ERR DB index is out of range");
    return;
  }
  server.dbs[id1].swapWith(server.dbs[id2]);
  ctx.db.stats.dirty++;
  reply.ok();
}

function time(ctx: Ctx): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  ctx.reply.array(2);
  ctx.reply.bulkText(String(Math.floor(us / 1e6)));
  ctx.reply.bulkText(String(us % 1e6));
}

export const serverCommands: CommandDef[] = [
  fromTable("dbsize", dbsize),
  fromTable("flushall", flush),
  fromTable("flushdb", flush),
  fromTable("swapdb", swapdb),
  fromTable("time", time),
];
