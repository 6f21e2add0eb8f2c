/** String commands (minimal GET/SET; the strings work fills in the rest). */
import { latin1 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { cmd, type CommandContext, type CommandDef } from "./types.ts";

function get(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]));
  if (v === undefined) ctx.reply.nil();
  else if (v instanceof Uint8Array) ctx.reply.bulk(v);
  else ctx.reply.error(E.WRONGTYPE);
}

function set(ctx: CommandContext, argv: Uint8Array[]): void {
  ctx.db.set(latin1(argv[1]), argv[2]);
  ctx.reply.ok();
}

export const stringCommands: CommandDef[] = [
  cmd("get", 2, ["readonly", "fast"], [1, 1, 1], get, { categories: ["read", "string", "fast"] }),
  cmd("set", -3, ["write", "denyoom"], [1, 1, 1], set, { categories: ["write", "string", "slow"] }),
];
