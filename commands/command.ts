/**
 * COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), as
 * Redis 7.0.15's server.c commandCommand & co. What they print comes from the table generated
 * off redis-server 7.0.15 (commands/command_docs_table.ts), for the commands this node
 * implements (those in `server.commands`): a command Redis has and the node lacks is not listed.
 * The CommandDefs of this file take arity, flags, legacy keys and ACL categories from the same
 * table (`fromTable`).
 */

import { lower, str } from "../protocol/bytes.ts";
import type { CommandTablePort } from "../server/server_ports.ts";
import { globMatch } from "../keyspace/glob.ts";
import { aclKeyRefs, commandHasKeys, KEY_FLAG_NAMES } from "../server/acl_key_specs.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { COMMAND_TABLE } from "./command_docs_table.ts";
import { writeCommandDocs, writeCommandInfo } from "./command_docs.ts";
import { loadCommandDocs, loadedCommandDocs } from "./command_docs_loader.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<CommandTablePort>;

// The table-built CommandDef helpers live beside the types (no import cycle for the families).
export { fromTable, specOf } from "./types.ts";

/** Resolve "config|get" or "get" to a definition the node has. */
export function findByFullname(server: CommandTablePort, name: string): CommandDef | undefined {
  const bar = name.indexOf("|");
  if (bar === -1) return server.commands.get(name);
  const d = server.commands.get(name.slice(0, bar));
  const sub = name.slice(bar + 1);
  return d?.subcommands?.find((s) => s.name === sub);
}

/** True when the node implements `fullname` and Redis 7.0.15 documents it. */
function listed(server: CommandTablePort, fullname: string): boolean {
  return COMMAND_TABLE.has(fullname) && findByFullname(server, fullname) !== undefined;
}

/** The top-level commands COMMAND lists, in the command table's order. */
function topLevel(server: CommandTablePort): string[] {
  return [...server.commands.keys()].filter((n) => COMMAND_TABLE.has(n));
}

function command(ctx: Ctx): void {
  const { server, reply } = ctx;
  const names = topLevel(server);
  const exists = (n: string) => listed(server, n);
  reply.array(names.length);
  for (const n of names) writeCommandInfo(reply, COMMAND_TABLE, n, exists);
}

function commandCount(ctx: Ctx): void {
  ctx.reply.int(topLevel(ctx.server).length);
}

function commandInfo(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length === 2) {
    command(ctx);
    return;
  }
  const exists = (n: string) => listed(server, n);
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const name = lower(argv[i]);
    if (exists(name)) writeCommandInfo(reply, COMMAND_TABLE, name, exists);
    else reply.nil();
  }
}

/** COMMAND DOCS; its first call waits for the texts (commands/command_docs_loader.ts). */
function commandDocs(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const docs = loadedCommandDocs();
  if (docs === null) return loadCommandDocs().then(() => commandDocs(ctx, argv));
  const { server, reply } = ctx;
  const exists = (n: string) => listed(server, n);
  const names = argv.length === 2 ? topLevel(server) : argv.slice(2).map(lower).filter(exists);
  reply.map(names.length);
  for (const n of names) {
    reply.bulkText(n);
    writeCommandDocs(reply, COMMAND_TABLE, docs, n, exists);
  }
}

/** commandListWithFilter / commandListWithoutFilter: commands, then their subcommands. */
function commandList(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  let filter: ((fullname: string) => boolean) | null = null;
  if (argv.length === 5 && lower(argv[2]) === "filterby") {
    const kind = lower(argv[3]);
    const arg = str(argv[4]);
    if (kind === "pattern") filter = (name) => globMatch(arg, name, true);
    else if (kind === "aclcat") {
      const cat = `@${arg.toLowerCase()}`;
      filter = (name) => COMMAND_TABLE.get(name)!.acl.includes(cat);
    } else if (kind === "module") filter = () => false;
    else {
      reply.error(E.SYNTAX);
      return;
    }
  } else if (argv.length !== 2) {
    reply.error(E.SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const n of topLevel(server)) {
    if (filter === null || filter(n)) names.push(n);
    for (const s of COMMAND_TABLE.get(n)!.subcommands ?? []) {
      if (listed(server, s) && (filter === null || filter(s))) names.push(s);
    }
  }
  reply.array(names.length);
  for (const n of names) reply.bulkText(n);
}

/** getKeysSubcommandImpl: the keys of a full command, with their key-spec flags or without. */
function getKeys(ctx: Ctx, argv: Uint8Array[], withFlags: boolean): void {
  const { server, reply } = ctx;
  const args = argv.slice(2);
  const top = server.commands.get(lower(args[0]));
  let fullname = lower(args[0]);
  let def = top;
  if (top?.subcommands !== undefined && args.length >= 2) {
    fullname = `${fullname}|${lower(args[1])}`;
    def = top.subcommands.find((s) => `${top.name}|${s.name}` === fullname);
  }
  const spec = COMMAND_TABLE.get(fullname);
  if (def === undefined || spec === undefined) {
    reply.error("ERR Invalid command specified");
    return;
  }
  if (!commandHasKeys(fullname)) {
    reply.error("ERR The command has no key arguments");
    return;
  }
  const argc = args.length;
  if ((spec.arity > 0 && spec.arity !== argc) || argc < -spec.arity) {
    reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const refs = aclKeyRefs(fullname, args);
  if (refs.length === 0) {
    if (spec.flags.includes("no_mandatory_keys")) reply.array(0);
    else reply.error("ERR Invalid arguments specified for command");
    return;
  }
  reply.array(refs.length);
  for (const r of refs) {
    if (!withFlags) {
      reply.bulk(args[r.pos]);
      continue;
    }
    reply.array(2);
    reply.bulk(args[r.pos]);
    const names = KEY_FLAG_NAMES.filter((_, i) => r.flags & (1 << i));
    reply.set(names.length);
    for (const f of names) reply.status(f);
  }
}

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
  "HELP",
  "    Prints this help.",
];

export const commandCommands: CommandDef[] = [
  fromTable("command", command, {
    subcommands: [
      fromTable("command|count", commandCount),
      fromTable("command|info", commandInfo),
      fromTable("command|docs", commandDocs),
      fromTable("command|list", commandList),
      fromTable("command|getkeys", (ctx, argv) => getKeys(ctx, argv, false)),
      fromTable("command|getkeysandflags", (ctx, argv) => getKeys(ctx, argv, true)),
      fromTable("command|help", (ctx) => replyHelp(ctx, COMMAND_HELP)),
    ],
  }),
];
