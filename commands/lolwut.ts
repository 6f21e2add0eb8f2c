/**
 * LOLWUT [VERSION version] [version's arguments], as Redis 7.0.15 (lolwut.c lolwutCommand):
 * Redis 7.0 has no art of its own, so plain LOLWUT answers "Redis ver. 7.0.15"; VERSION 5 draws
 * Schotter (`[columns] [squares per row] [squares per column]`, default 66 8 12) and VERSION 6 a
 * skyline (`[columns] [rows]`, default 80 20), as commands/lolwut_art.ts. Every reply is verbatim
 * text.
 */

import { lower, parseInt64, parseInt64Big } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { REDIS_VERSION } from "../server/version.ts";
import { drawSchotter, drawSkyline, RAND_MAX, renderBraille, renderColors } from "./lolwut_art.ts";

const rand = (): number => Math.floor(Math.random() * (RAND_MAX + 1));

/**
 * The optional integer arguments, each clamped to [1, max] (getLongFromObjectOrReply, then the
 * limits), or null after an error reply.
 */
function sizes(ctx: CommandContext, args: Uint8Array[], defaults: number[], max: number[]) {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = parseInt64(args[i]);
    if (n === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return null;
    }
    out[i] = Math.min(Math.max(n, 1), max[i]);
  }
  return out;
}

function lolwut(ctx: CommandContext, argv: Uint8Array[]): void {
  let version = 0;
  let args: Uint8Array[] = [];
  if (argv.length >= 3 && lower(argv[1]) === "version") {
    const v = parseInt64Big(argv[2]);
    if (v === null) {
      ctx.reply.error(E.NOT_INTEGER);
      return;
    }
    // Redis prints it as "%u.0.0" of an unsigned int and looks at the first characters.
    version = Number(BigInt.asUintN(32, v));
    args = argv.slice(3);
  }
  if (version === 5) {
    const s = sizes(ctx, args, [66, 8, 12], [1000, 200, 200]);
    if (s === null) return;
    const art = renderBraille(drawSchotter(s[0], s[1], s[2], rand));
    ctx.reply.verbatim(
      `${art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_VERSION}\n`,
    );
  } else if (version === 6) {
    const s = sizes(ctx, args, [80, 20], [1000, 1000]);
    if (s === null) return;
    const art = renderColors(drawSkyline(s[0], s[1], rand));
    ctx.reply.verbatim(
      `${art}\nDedicated to the 8 bit game developers of past and present.\n` +
        `Original 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_VERSION}\n`,
    );
  } else ctx.reply.verbatim(`Redis ver. ${REDIS_VERSION}\n`);
}

export const lolwutCommands: CommandDef[] = [fromTable("lolwut", lolwut)];
