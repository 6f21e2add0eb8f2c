/** Connection commands: PING, ECHO, QUIT (the rest is filled in by the connection work). */
import { cmd, type CommandContext, type CommandDef } from "./types.ts";

function ping(ctx: CommandContext, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    ctx.reply.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (argv.length === 2) ctx.reply.bulk(argv[1]);
  else ctx.reply.status("PONG");
}

function echo(ctx: CommandContext, argv: Uint8Array[]): void {
  ctx.reply.bulk(argv[1]);
}

function quit(ctx: CommandContext): void {
  ctx.reply.ok();
  ctx.client.closeAfterReply = true;
}

export const connectionCommands: CommandDef[] = [
  cmd("ping", -1, ["fast", "sentinel"], [0, 0, 0], ping, { categories: ["fast", "connection"] }),
  cmd("echo", 2, ["fast"], [0, 0, 0], echo, { categories: ["fast", "connection"] }),
  cmd("quit", -1, ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"], [0, 0, 0], quit, {
    categories: ["fast", "connection"],
  }),
];
