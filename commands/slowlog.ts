/** SLOWLOG GET/LEN/RESET/HELP, as Redis 7.0.15 (slowlog.c); the entries are kept by server/server.ts. */

import { parseInt64, str } from "../protocol/bytes.ts";
import { replyHelp } from "./connection.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { SlowlogPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<SlowlogPort>;

function slowlogGet(ctx: Ctx, argv: Uint8Array[]): void {
  const { reply } = ctx;
  let count = 10;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null || n < -1) {
      reply.error("ERR count should be greater than or equal to -1");
      return;
    }
    count = n === -1 ? Infinity : n;
  } else if (argv.length > 3) {
    // addReplySubcommandSyntaxError.
    reply.error(
      `ERR unknown subcommand or wrong number of arguments for '${
        str(argv[1]).slice(0, 128)
      }'. Try ${str(argv[0]).toUpperCase()} HELP.`,
    );
    return;
  }
  const entries = ctx.server.slowlog.slice(0, count);
  reply.array(entries.length);
  for (const e of entries) {
    reply.array(6);
    reply.int(e.id);
    reply.int(e.timeSec);
    reply.int(e.durationUs);
    reply.bulkArray(e.args);
    reply.bulkText(e.addr);
    reply.bulkText(e.name);
  }
}

function slowlogLen(ctx: Ctx): void {
  ctx.reply.int(ctx.server.slowlog.length);
}

function slowlogReset(ctx: Ctx): void {
  ctx.server.slowlog.length = 0;
  ctx.reply.ok();
}

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
  "HELP",
  "    Prints this help.",
];

export const slowlogCommands: CommandDef[] = [
  fromTable("slowlog", undefined, {
    subcommands: [
      fromTable("slowlog|get", slowlogGet),
      fromTable("slowlog|len", slowlogLen),
      fromTable("slowlog|reset", slowlogReset),
      fromTable("slowlog|help", (ctx) => replyHelp(ctx, SLOWLOG_HELP)),
    ],
  }),
];
