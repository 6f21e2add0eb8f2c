/**
 * The ACL command, as Redis 7.0.15's acl.c aclCommand: SETUSER, GETUSER, DELUSER, USERS, LIST,
 * WHOAMI, CAT, GENPASS, LOG, SAVE, LOAD, DRYRUN and HELP, with COMMAND INFO / COMMAND DOCS as
 * redis-server 7.0.15 prints them. The user model is server/acl.ts, the file format
 * server/acl_file.ts, the checks and disconnections server/acl_guard.ts.
 */

import { latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import {
  ACL_CATEGORIES,
  ACL_DENIED_CMD,
  ACL_DENIED_KEY,
  ACL_OK,
  hasSpaces,
  mergeSelectorArgs,
  REASON_NAMES,
  SETUSER_ERRORS,
} from "../server/acl.ts";
import {
  aclListLines,
  installUsers,
  parseAclFile,
  readAclFile,
  saveAclFile,
} from "../server/acl_file.ts";
import { killPubsubClientsIfNeeded, killUserClients } from "../server/acl_guard.ts";
import { redactArgument } from "../server/monitor.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type {
  AclPort,
  ClientsPort,
  CommandTablePort,
  ConfigPort,
  LogPort,
} from "../server/server_ports.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<AclPort & ClientsPort & CommandTablePort & ConfigPort & LogPort>;

/** An error text on one line (addReplyErrorFormat turns newlines into spaces). */
function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

/** addReplySubcommandSyntaxError. */
function subcommandSyntax(argv: Uint8Array[]): string {
  return `ERR unknown subcommand or wrong number of arguments for '${
    latin1(argv[1]).slice(0, 128)
  }'. Try ACL HELP.`;
}

const bytesOf = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

function setuser(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  const acl = server.acl;
  // Redact every argument: nothing about the user leaks to MONITOR or SLOWLOG.
  for (let j = 2; j < argv.length; j++) redactArgument(argv, j);
  const name = latin1(argv[2]);
  if (hasSpaces(name)) {
    reply.error("ERR Usernames can't contain spaces or null characters");
    return;
  }
  const args = argv.slice(3).map(latin1);
  const merged = mergeSelectorArgs(args);
  if (!Array.isArray(merged)) {
    reply.error(
      oneLine(`ERR Unmatched parenthesis in acl selector starting at '${args[merged.unmatched]}'.`),
    );
    return;
  }
  const existing = acl.get(name);
  const staged = acl.stage(name, existing, merged);
  if ("error" in staged) {
    reply.error(
      oneLine(
        `ERR Error in ACL SETUSER modifier '${staged.rule}': ${SETUSER_ERRORS[staged.error]}`,
      ),
    );
    return;
  }
  if (existing !== undefined) killPubsubClientsIfNeeded(server, staged.user, existing, client);
  let u = existing;
  if (u === undefined) {
    u = acl.newUser(name);
    acl.users.set(name, u);
  }
  u.copyFrom(staged.user);
  reply.ok();
}

function deluser(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  const names = argv.slice(2).map(latin1);
  if (names.includes("default")) {
    reply.error("ERR The 'default' user cannot be removed");
    return;
  }
  let deleted = 0;
  for (const name of names) {
    const u = server.acl.get(name);
    if (u === undefined) continue;
    server.acl.users.delete(name);
    killUserClients(server, u, client);
    deleted++;
  }
  reply.int(deleted);
}

function getuser(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const u = server.acl.get(latin1(argv[2]));
  if (u === undefined) {
    reply.nil();
    return;
  }
  reply.map(6);
  reply.bulkText("flags");
  const flags = u.flagNames();
  reply.set(flags.length);
  for (const f of flags) reply.bulkText(f);
  reply.bulkText("passwords");
  reply.array(u.passwords.length);
  for (const p of u.passwords) reply.bulkText(p);
  const describe = (s: typeof u.root) => {
    reply.bulkText("commands");
    reply.bulk(bytesOf(s.describeCommands()));
    reply.bulkText("keys");
    reply.bulk(bytesOf(s.keysText()));
    reply.bulkText("channels");
    reply.bulk(bytesOf(s.channelsText()));
  };
  describe(u.root);
  reply.bulkText("selectors");
  reply.array(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    reply.map(3);
    describe(s);
  }
}

function list(ctx: Ctx): void {
  const lines = aclListLines(ctx.server.acl);
  ctx.reply.array(lines.length);
  for (const l of lines) ctx.reply.bulk(bytesOf(l));
}

function users(ctx: Ctx): void {
  const all = ctx.server.acl.sorted();
  ctx.reply.array(all.length);
  for (const u of all) ctx.reply.bulk(bytesOf(u.name));
}

function whoami(ctx: Ctx): void {
  ctx.reply.bulk(bytesOf(ctx.client.user.name));
}

const NO_ACLFILE =
  "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

function load(ctx: Ctx): void {
  const { server, client, reply } = ctx;
  const path = server.config.getString("aclfile");
  if (path === "") {
    reply.error(NO_ACLFILE);
    return;
  }
  const r = readAclFile(path);
  const parsed = "error" in r ? r : parseAclFile(server.acl, r.text, path);
  if ("error" in parsed) {
    reply.error(oneLine(`ERR ${parsed.error}`));
    return;
  }
  for (const u of installUsers(server.acl, parsed.users)) killUserClients(server, u, client);
  reply.ok();
}

function save(ctx: Ctx): void {
  const { server, reply } = ctx;
  const path = server.config.getString("aclfile");
  if (path === "") {
    reply.error(NO_ACLFILE);
    return;
  }
  if (saveAclFile(server.acl, path)) reply.ok();
  else {
    server.log.warning(`Writing ACL file for ACL SAVE failed: ${path}`);
    reply.error(
      "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
    );
  }
}

function cat(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length > 3) {
    reply.error(subcommandSyntax(argv));
    return;
  }
  if (argv.length === 2) {
    reply.array(ACL_CATEGORIES.length);
    for (const c of ACL_CATEGORIES) reply.bulkText(c);
    return;
  }
  const name = latin1(argv[2]);
  const i = ACL_CATEGORIES.indexOf(name.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  if (i === -1) {
    reply.error(oneLine(`ERR Unknown category '${name.slice(0, 128)}'`));
    return;
  }
  const names: string[] = [];
  for (const c of server.acl.table.all()) if (c.categories & (1 << i)) names.push(c.fullname);
  reply.array(names.length);
  for (const n of names) reply.bulkText(n);
}

function genpass(ctx: Ctx, argv: Uint8Array[]): void {
  const { reply } = ctx;
  if (argv.length > 3) {
    reply.error(subcommandSyntax(argv));
    return;
  }
  let bits = 256;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    bits = n;
  }
  if (bits <= 0 || bits > 4096) {
    reply.error(
      "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096",
    );
    return;
  }
  const chars = Math.floor((bits + 3) / 4);
  const random = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  let hex = "";
  for (const b of random) hex += b.toString(16).padStart(2, "0");
  reply.bulkText(hex.slice(0, chars));
}

function log(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length > 3) {
    reply.error(subcommandSyntax(argv));
    return;
  }
  const entries = server.acl.log;
  let count = 10;
  if (argv.length === 3) {
    if (lower(argv[2]) === "reset") {
      entries.length = 0;
      reply.ok();
      return;
    }
    const n = parseInt64(argv[2]);
    if (n === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    count = Math.max(0, n);
  }
  count = Math.min(count, entries.length);
  const now = Date.now();
  reply.array(count);
  for (const e of entries.slice(0, count)) {
    reply.map(7);
    reply.bulkText("count");
    reply.int(e.count);
    reply.bulkText("reason");
    reply.bulkText(REASON_NAMES[e.reason] ?? "unknown");
    reply.bulkText("context");
    reply.bulkText(e.context);
    reply.bulkText("object");
    reply.bulk(bytesOf(e.object));
    reply.bulkText("username");
    reply.bulk(bytesOf(e.username));
    reply.bulkText("age-seconds");
    reply.double((now - e.ctimeMs) / 1000);
    reply.bulkText("client-info");
    reply.bulk(bytesOf(e.clientInfo));
  }
}

function dryrun(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const u = server.acl.get(latin1(argv[2]));
  if (u === undefined) {
    reply.error(oneLine(`ERR User '${latin1(argv[2])}' not found`));
    return;
  }
  const args = argv.slice(3);
  // lookupCommand: a container with an argument names a subcommand, alone the container.
  const top = server.commands.get(lower(args[0]));
  let def: CommandDef | undefined = top;
  let fullname = top?.name ?? "";
  if (top?.subcommands !== undefined && args.length >= 2) {
    const subName = lower(args[1]);
    def = top.subcommands.find((s) => s.name === subName);
    fullname = `${top.name}|${subName}`;
  }
  if (def === undefined) {
    reply.error(oneLine(`ERR Command '${latin1(args[0])}' not found`));
    return;
  }
  if (def.arity > 0 ? def.arity !== args.length : args.length < -def.arity) {
    reply.error(E.wrongArity(fullname));
    return;
  }
  const c = server.acl.table.get(fullname);
  const [result, idx] = c === undefined ? [ACL_OK, 0] : u.checkCommand(c, args);
  if (result === ACL_OK) reply.ok();
  else if (result === ACL_DENIED_CMD) {
    reply.bulkText(`This user has no permissions to run the '${fullname}' command`);
  } else {
    const what = result === ACL_DENIED_KEY ? "key" : "channel";
    reply.bulk(
      bytesOf(`This user has no permissions to access the '${latin1(args[idx])}' ${what}`),
    );
  }
}

const ACL_HELP = [
  "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
  "HELP",
  "    Prints this help.",
];

// ---------------------------------------------------------------- the command table

export const aclCommands: CommandDef[] = [
  fromTable("acl", undefined, {
    subcommands: [
      fromTable("acl|cat", cat),
      fromTable("acl|deluser", deluser),
      fromTable("acl|dryrun", dryrun),
      fromTable("acl|genpass", genpass),
      fromTable("acl|getuser", getuser),
      fromTable("acl|help", (ctx) => replyHelp(ctx, ACL_HELP)),
      fromTable("acl|list", list),
      fromTable("acl|load", load),
      fromTable("acl|log", log),
      fromTable("acl|save", save),
      fromTable("acl|setuser", setuser),
      fromTable("acl|users", users),
      fromTable("acl|whoami", whoami),
    ],
  }),
];
