/**
 * A command's definition as every layer sees it: its metadata (arity, flags, keys, ACL
 * categories, subcommands) and its handler. The handler's context and `flagsFor`'s server are
 * `unknown` here, so the client, tracking, ACL and pause code that read a definition do not depend
 * on the server; commands/types.ts gives the context its type (`CommandContext`, `Handler`), and
 * method signatures let a handler of `CommandContext` be stored as a `CommandDef`.
 */

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
  /**
   * Key positions cluster routing takes instead of `getKeys`, in their order, where Redis 7.0's
   * getNodeByQuery (getKeysFromCommand: the command's getkeys_proc) differs from its key specs.
   */
  routingKeys?: (argv: Uint8Array[]) => number[];
  handler?(ctx: unknown, argv: Uint8Array[]): void | Promise<void>;
  /**
   * The definition with the flags this call has, when they depend on its arguments (EVAL and
   * FCALL take them from the script: Redis's getCommandFlags).
   */
  flagsFor?(server: unknown, argv: Uint8Array[]): CommandDef;
  /** For container commands (CLUSTER, CONFIG, CLIENT, ...): dispatched on argv[1]. */
  subcommands?: CommandDef[];
  /**
   * Set while the handler's module is not imported yet (commands/lazy_commands.ts): `call`
   * (server/dispatch.ts) awaits it, which installs the handler in this definition.
   */
  load?: () => Promise<void>;
}
