/**
 * MODULE LIST / LOAD / LOADEX / UNLOAD / HELP, as Redis 7.0.15's module.c moduleCommand on a
 * server that has no module loaded and cannot load one: this server runs no native code, so
 * every load fails the way a failed dlopen does in Redis (logged, then "Error loading the
 * extension"). LOADEX checks its CONFIG / ARGS arguments first, as parseLoadexArguments does.
 * Who may run LOAD, LOADEX and UNLOAD: server/dispatch.ts (enable-module-command, CMD_PROTECTED).
 */

import { lower, str } from "../protocol/bytes.ts";
import type { LogPort } from "../server/server_ports.ts";
import { replyHelp } from "./connection.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<LogPort>;

const MODULE_HELP = [
  "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LIST",
  "    Return a list of loaded modules.",
  "LOAD <path> [<arg> ...]",
  "    Load a module library from <path>, passing to it any optional arguments.",
  "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
  "    Load a module library from <path>, while passing it module configurations and optional arguments.",
  "UNLOAD <name>",
  "    Unload a module.",
  "HELP",
  "    Prints this help.",
];

const LOAD_FAILED = "ERR Error loading the extension. Please check the server logs.";

/** moduleLoad's failure, as Redis logs a dlopen error. */
function loadFailed({ server, reply }: Ctx, path: string): void {
  server.log.warning(`Module ${path} failed to load: this server does not load native modules`);
  reply.error(LOAD_FAILED);
}

/**
 * module.c parseLoadexArguments: CONFIG NAME VALUE pairs, then optionally ARGS and the rest.
 * Returns false (after logging what Redis logs) on a malformed list.
 */
export function loadexArgumentsOk(server: LogPort, args: Uint8Array[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const word = lower(args[i]);
    if (word === "config") {
      if (i + 2 >= args.length) {
        server.log.notice("CONFIG specified without name value pair");
        return false;
      }
      i += 2;
    } else if (word === "args") {
      return true;
    } else {
      server.log.notice(`Syntax Error from arguments to loadex around ${str(args[i])}.`);
      return false;
    }
  }
  return true;
}

function moduleLoadex(ctx: Ctx, argv: Uint8Array[]): void {
  if (!loadexArgumentsOk(ctx.server, argv.slice(3))) {
    ctx.reply.error(LOAD_FAILED);
    return;
  }
  loadFailed(ctx, str(argv[2]));
}

export const moduleCommands: CommandDef[] = [
  fromTable("module", undefined, {
    subcommands: [
      fromTable("module|list", ({ reply }) => reply.array(0)),
      fromTable("module|load", (ctx, argv) => loadFailed(ctx, str(argv[2]))),
      fromTable("module|loadex", moduleLoadex),
      fromTable(
        "module|unload",
        ({ reply }) => reply.error("ERR Error unloading module: no such module with that name"),
      ),
      fromTable("module|help", (ctx) => replyHelp(ctx, MODULE_HELP)),
    ],
  }),
];
