/**
 * The command table's types. A command is a plain function over (context, argv) that writes its
 * reply into `ctx.reply`; the dispatcher (server/dispatch.ts) has already checked arity, auth,
 * MULTI queueing and cluster routing. A definition is built by `fromTable` from Redis 7.0.15's
 * generated table (arity, flags, legacy keys, ACL categories; COMMAND INFO / DOCS print the same
 * table): a family file adds only the handler and what is the node's own (getKeys, flagsFor,
 * subcommands, flags COMMAND INFO hides).
 */

import type { Reply } from "../protocol/reply.ts";
import type { Db } from "../keyspace/db.ts";
import type { Client } from "../server/client.ts";
import type { CommandHost } from "./command_host.ts";
import { COMMAND_TABLE, type CommandSpec } from "./command_docs_table.ts";
import type { CommandDef, CommandFlag } from "./command_def.ts";

export type { CommandDef, CommandFlag } from "./command_def.ts";

/**
 * What a handler is given. `S` is the server as the handler sees it: a family file names the ports
 * it uses (`CommandContext<ConfigPort & ReplicationRolePort>`, commands/command_host.ts); the
 * dispatcher passes the whole `CommandHost`, which satisfies every such view.
 */
export interface CommandContext<S = CommandHost> {
  server: S;
  client: Client;
  reply: Reply;
  db: Db;
}

/**
 * Synchronous for almost everything; a Promise for the few commands that wait (WAIT, MIGRATE).
 * `S` as in `CommandContext`.
 */
export type Handler<S = CommandHost> = (
  ctx: CommandContext<S>,
  argv: Uint8Array[],
) => void | Promise<void>;

/** Redis 7.0.15's table entry of `fullname` ("get", "config|get"); throws for one Redis lacks. */
export function specOf(fullname: string): CommandSpec {
  const spec = COMMAND_TABLE.get(fullname);
  if (spec === undefined) throw new Error(`redis 7.0.15 has no command ${fullname}`);
  return spec;
}

/**
 * The CommandDef of `fullname` with Redis 7.0.15's arity, flags, legacy key range and ACL
 * categories, from the generated table (commands/command_docs_table.ts, which COMMAND INFO and
 * COMMAND DOCS print): the only place the node's command metadata is written. `handler`
 * undefined for a container run only through its subcommands; `extra`: what is the node's own
 * (getKeys, flagsFor, subcommands); `extraFlags`: flags the dispatcher reads that COMMAND INFO
 * hides (server.c addReplyCommandFlags skips may_replicate, sentinel, only_sentinel, protected).
 */
export function fromTable(
  fullname: string,
  handler: Handler | undefined,
  extra: Partial<CommandDef> = {},
  extraFlags: CommandFlag[] = [],
): CommandDef {
  const spec = specOf(fullname);
  const bar = fullname.indexOf("|");
  return {
    name: bar === -1 ? fullname : fullname.slice(bar + 1),
    arity: spec.arity,
    flags: [...spec.flags.filter((f) => f !== "movablekeys") as CommandFlag[], ...extraFlags],
    firstKey: spec.keys[0],
    lastKey: spec.keys[1],
    step: spec.keys[2],
    categories: spec.acl.map((c) => c.slice(1)),
    ...(handler === undefined ? {} : { handler }),
    ...extra,
  };
}
