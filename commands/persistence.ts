/**
 * SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE, as Redis 7.0.15 (rdb.c saveCommand, bgsaveCommand,
 * aof.c bgrewriteaofCommand): the work is persistence/rdb_persistence.ts and persistence/aof.ts.
 */

import { lower } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { PersistencePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<PersistencePort>;

function lastsave(ctx: Ctx): void {
  ctx.reply.int(Math.floor(ctx.server.persistence.lastSaveMs / 1000));
}

// ROLE lives in commands/replication.ts.

/** SAVE (Redis's saveCommand). */
function save(ctx: Ctx): void {
  const p = ctx.server.persistence;
  if (p.bgsaveInProgress) {
    ctx.reply.error("ERR Background save already in progress");
    return;
  }
  if (p.saveSync()) ctx.reply.ok();
  else ctx.reply.error("ERR");
}

/** BGREWRITEAOF (Redis's bgrewriteaofCommand). */
function bgrewriteaof(ctx: Ctx): void {
  const aof = ctx.server.aof;
  if (aof.rewriteInProgress) {
    ctx.reply.error("ERR Background append only file rewriting already in progress");
    return;
  }
  if (ctx.server.persistence.bgsaveInProgress || ctx.client.inExec) {
    aof.rewriteScheduled = true;
    ctx.reply.status("Background append only file rewriting scheduled");
    return;
  }
  const r = aof.bgrewrite();
  if (r === "started") ctx.reply.status("Background append only file rewriting started");
  else if (r === "scheduled") ctx.reply.status("Background append only file rewriting scheduled");
  else {ctx.reply.error(
      "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    );}
}

/** BGSAVE [SCHEDULE] (Redis's bgsaveCommand). */
function bgsave(ctx: Ctx, argv: Uint8Array[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && lower(argv[1]) === "schedule") schedule = true;
    else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
  }
  // Inside EXEC the save is scheduled for after the transaction, as Redis does.
  const r = ctx.client.inExec && !ctx.server.persistence.bgsaveInProgress
    ? (ctx.server.persistence.scheduled = true, "scheduled")
    : ctx.server.persistence.bgsave(schedule);
  if (r === "started") ctx.reply.status("Background saving started");
  else if (r === "scheduled") ctx.reply.status("Background saving scheduled");
  else if (r === "in-progress") ctx.reply.error("ERR Background save already in progress");
  else {
    ctx.reply.error(
      "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE " +
        "in order to schedule a BGSAVE whenever possible.",
    );
  }
}

export const persistenceCommands: CommandDef[] = [
  fromTable("lastsave", lastsave),
  fromTable("save", save),
  fromTable("bgsave", bgsave),
  fromTable("bgrewriteaof", bgrewriteaof),
];
