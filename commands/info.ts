/** INFO (Redis 7.0.15 genRedisInfoString; the sections are built by server/info.ts). */

import { str } from "../protocol/bytes.ts";
import { buildInfo } from "../server/info.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";

/** The whole server (`CommandHost`): INFO reports on every part of it. */
function info(ctx: CommandContext, argv: Uint8Array[]): void {
  const args = argv.slice(1).map((a) => str(a));
  ctx.reply.verbatim(buildInfo(ctx.server, args));
}

export const infoCommands: CommandDef[] = [fromTable("info", info)];
