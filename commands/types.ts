/**
 * The command table's types. A command is a plain function over (context, argv) that writes its
 * reply into `ctx.reply`; the dispatcher (server/dispatch.ts) has already checked arity, auth,
 * MULTI queueing and cluster routing.
 */

import type { Reply } from "../protocol/reply.ts";
import type { Db } from "../keyspace/db.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/server.ts";

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
  /**
   * Key specs as COMMAND INFO prints them, when the legacy range alone does not say them (their
   * flags, several specs, notes). Without it one spec is derived from firstKey/lastKey/step.
   */
  keySpecs?: KeySpec[];
  /** COMMAND DOCS fields past summary/since/group (Redis's commands/*.json), when given. */
  docs?: CommandDocs;
  /** One-line summary for COMMAND DOCS. */
  summary?: string;
  /** Version the command appeared in (COMMAND DOCS "since"). */
  since?: string;
  group?: string;
}

/** A key spec: begin_search by index, find_keys by range (the only kinds these commands need). */
export interface KeySpec {
  notes?: string;
  /** "RW", "RO", "OW", "RM" then "access", "update", "insert", "delete"... */
  flags: string[];
  index: number;
  lastKey: number;
  keyStep: number;
  limit: number;
  /** begin_search and find_keys are "unknown" (SORT's BY/GET/STORE keys); index etc. unused. */
  unknown?: boolean;
  /** begin_search by keyword instead of `index` (GEORADIUS's STORE): the word, where it starts. */
  keyword?: { keyword: string; startFrom: number };
}

/** One COMMAND DOCS argument (a plain one: no token, no nested arguments). */
export interface DocArg {
  name: string;
  type: string;
  keySpecIndex?: number;
  flags?: string[];
}

export interface CommandDocs {
  complexity?: string;
  docFlags?: string[];
  arguments?: DocArg[];
}

/** Shorthand to declare a command: name, arity, flags, firstKey, lastKey, step, handler. */
export function cmd(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [number, number, number],
  handler: Handler,
  extra: Partial<CommandDef> = {},
): CommandDef {
  return {
    name,
    arity,
    flags,
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    handler,
    ...extra,
  };
}

/** A container command (CONFIG, FUNCTION, ...): dispatched on its subcommands. */
export function container(
  name: string,
  arity: number,
  summary: string,
  since: string,
  subcommands: CommandDef[],
  group = "server",
): CommandDef {
  return {
    name,
    arity,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: ["slow"],
    summary,
    since,
    group,
    subcommands,
  };
}
