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
import type { Server } from "../server/server.ts";
import { COMMAND_TABLE, type CommandSpec } from "./command_docs_table.ts";

export interface CommandContext {
  server: Server;
  client: Client;
  reply: Reply;
  db: Db;
}

/** Synchronous for almost everything; a Promise for the few commands that wait (WAIT, MIGRATE). */
export type Handler = (ctx: CommandContext, argv: Uint8Array[]) => void | Promise<void>;

/**
 * Flags as COMMAND INFO prints them: write, readonly, denyoom, admin, pubsub, noscript, blocking,
 * loading, stale, skip_monitor, asking, fast, no_auth, may_replicate, no_multi...
 */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "module"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "sentinel"
  | "only_sentinel"
  | "no_mandatory_keys"
  | "protected"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

export interface CommandDef {
  /** Lowercase name; for a subcommand just the subcommand part ("info" of "cluster info"). */
  name: string;
  /** Redis arity: exact argc when positive, minimum argc when negative (argv[0] counts). */
  arity: number;
  flags: CommandFlag[];
  /** Legacy key spec (COMMAND INFO): first key index, last (-1 = last arg), step. 0 = no keys. */
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without '@', e.g. ["write", "string", "fast"]. */
  categories?: string[];
  /** Key positions for commands whose keys the legacy spec cannot describe (numkeys forms). */
  getKeys?: (argv: Uint8Array[]) => number[];
  handler?: Handler;
  /**
   * The definition with the flags this call has, when they depend on its arguments (EVAL and
   * FCALL take them from the script: Redis's getCommandFlags).
   */
  flagsFor?: (server: Server, argv: Uint8Array[]) => CommandDef;
  /** For container commands (CLUSTER, CONFIG, CLIENT, ...): dispatched on argv[1]. */
  subcommands?: CommandDef[];
}

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
