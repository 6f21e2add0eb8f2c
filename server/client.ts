/**
 * One client connection's state: selected database, protocol version, auth, MULTI queue, WATCHed
 * keys, cluster
 * flags (ASKING, READONLY), names and counters for CLIENT LIST.
 */

import { Reply } from "../protocol/reply.ts";
import { RespParser } from "../protocol/resp_parser.ts";
import type { CommandDef } from "../commands/command_def.ts";
import type { Db, Watcher } from "../keyspace/db.ts";
import type { Subscriber, Subscriptions } from "../pubsub/pubsub.ts";
import type { ClientTracking, TrackedClient } from "./tracking.ts";
import { type AclUser, SUPERUSER } from "./acl.ts";

export interface QueuedCommand {
  def: CommandDef;
  /** "get", or "cluster|info" for a subcommand. */
  fullname: string;
  argv: Uint8Array[];
}

/** A WATCHed key and the database it was watched in. */
export interface WatchedKey {
  db: Db;
  key: string;
}

export class Client implements Watcher, Subscriber, TrackedClient {
  readonly reply = new Reply();
  readonly parser: RespParser;
  name = "";
  authenticated = false;
  /** The ACL user (server/acl.ts); internal clients keep the unrestricted SUPERUSER. */
  user: AclUser = SUPERUSER;
  /** MULTI state: queued commands, and whether a queueing error makes EXEC abort. */
  multi: QueuedCommand[] | null = null;
  multiError = false;
  /** Set by EXEC while it runs the queued commands (blocking commands then answer at once). */
  inExec = false;
  watchedKeys: WatchedKey[] = [];
  dirtyCas = false;
  /**
   * CLIENT REPLY: OFF drops every reply, SKIP the next command's (`replySkipNext` becomes
   * `replySkip` once the CLIENT REPLY SKIP itself is done). Pushes (Pub/Sub messages and
   * confirmations, invalidations) still go out, as Redis 7.0.15's CLIENT_PUSHING.
   */
  replyOff = false;
  replySkip = false;
  replySkipNext = false;
  /** While a muted command runs: the pushes it caused, kept when its reply is dropped. */
  mutedPushes: Uint8Array[] | null = null;
  /** CLIENT NO-EVICT ON (stored: client eviction is not implemented). */
  noEvict = false;
  /** One-shot flag set by ASKING, cleared after the next command. */
  asking = false;
  /** READONLY: serve reads on a replica for its master's slots. */
  readonlyMode = false;
  /** Reply then close (QUIT, protocol error). */
  closeAfterReply = false;
  /** SCRIPT DEBUG: its EVALs run under the Lua debugger (scripting/ldb.ts). */
  luaDebug: "sync" | "fork" | null = null;
  /**
   * While a command of this client waits (server/connection.ts waitWatchingPeer): called when
   * more input was parsed in, or the peer closed (`peerGone`). The Lua debugger reads its
   * commands so.
   */
  inputArrived: (() => void) | null = null;
  peerGone = false;
  /** Is this the replication link from our master (its commands are applied, never redirected). */
  isMaster = false;
  /** Is this a replica attached to us (after PSYNC/SYNC: its output is the replication stream). */
  isReplica = false;
  /** In monitor mode (MONITOR; server/monitor.ts): fed every command, keyspace commands refused. */
  monitoring = false;
  /** The network connection (replication writes to replicas directly). */
  conn: Deno.Conn | null = null;
  /** Connected over TLS (tls-port): MOVED and CLUSTER NODES/SLOTS pick the port by it. */
  tls = false;
  lastCommand = "NULL";
  /**
   * Error replies already accounted to a command (incrCommandStatsOnError's prev_err_count):
   * server/dispatch.ts counts a command failed when it replied an error after this.
   */
  errorsAccounted = 0;
  /**
   * server/dispatch.ts's one-entry name cache: the last command name this client sent, as sent
   * (`lastNameBytes`, allocated on first use) and lower-cased (`lastName`). A pipelining client
   * repeats its command name, and reusing the string skips building and hashing it. It is the
   * client's, not the module's: each connection's stream repeats its own name, and nothing is
   * shared between the servers (nodes) of one process.
   */
  lastNameBytes: Uint8Array | null = null;
  lastNameLength = -1;
  lastName = "";
  /**
   * server/dispatch.ts `lookupCommand`'s last answer for a command without subcommands, reused
   * while the client sends the same command (no table lookup, no result object per request).
   */
  lastLookup: {
    readonly def: CommandDef;
    readonly fullname: string;
    readonly guard: string | undefined;
  } | null = null;
  /**
   * server/dispatch.ts's command clock, carried between the top-level commands of this client's
   * synchronous run of requests (`runInputBatch`): a command's start is the previous one's end.
   * -1: nothing carried. Kept on the client, not in the module, so that a command of another
   * client or of another server in the same process never starts from this client's reading.
   */
  carriedClockMs = -1;
  /** Inside `runInputBatch` for this client: a top-level command leaves its end for the next. */
  inInputBatch = false;
  /** Nesting of call() on this client: only top-level commands carry the clock (not EXEC's). */
  callDepth = 0;
  lastInteractionMs: number;
  commandsProcessed = 0;
  /** Closes the underlying connection. */
  close: () => void = () => {};
  /** Pub/Sub channels, patterns and shard channels held (null: none). */
  subscriptions: Subscriptions | null = null;
  /** Client-side caching (CLIENT TRACKING; server/tracking.ts); null until first enabled. */
  tracking: ClientTracking | null = null;
  /**
   * Output was added outside this client's own command (a Pub/Sub message, a sunsubscribe): the
   * connection checks the output buffer limits and schedules a write (server/connection.ts).
   */
  outputAdded: () => void = () => {};

  constructor(
    readonly id: number,
    readonly addr: string,
    readonly laddr: string,
    readonly createdMs: number,
    parser: RespParser,
    /** The selected database (SELECT); commands run on it (`ctx.db`). */
    public db: Db,
  ) {
    this.parser = parser;
    this.lastInteractionMs = createdMs;
  }

  get proto(): 2 | 3 {
    return this.reply.proto;
  }

  /** In the Pub/Sub context (CLIENT_PUBSUB): subscribed to anything. */
  get inPubSub(): boolean {
    return this.subscriptions !== null;
  }

  /**
   * Frames held while a reply is half written across an await (EXEC around a command that waits):
   * they follow that reply, so they never land inside it.
   */
  private heldFrames: Uint8Array[] | null = null;
  heldBytes = 0;

  /** An out-of-band frame (a Pub/Sub message): appended to the output, written soon. */
  deliver(frame: Uint8Array): void {
    if (this.mutedPushes !== null) {
      this.mutedPushes.push(frame);
      return;
    }
    if (this.heldFrames !== null) {
      this.heldFrames.push(frame);
      this.heldBytes += frame.length;
    } else this.reply.raw(frame);
    this.outputAdded();
  }

  /** A push frame written as part of this client's own command's reply (SUBSCRIBE's). */
  pushReply(frame: Uint8Array): void {
    if (this.mutedPushes !== null) this.mutedPushes.push(frame);
    else this.reply.raw(frame);
  }

  /** Hold delivered frames until `releaseFrames` (the reply being written spans an await). */
  holdFrames(): void {
    this.heldFrames ??= [];
  }

  releaseFrames(): void {
    const held = this.heldFrames;
    this.heldFrames = null;
    this.heldBytes = 0;
    if (held === null || held.length === 0) return;
    for (const f of held) this.reply.raw(f);
    this.outputAdded();
  }

  /** The client is being dropped: forget held frames. */
  dropHeldFrames(): void {
    if (this.heldFrames !== null) this.heldFrames = [];
    this.heldBytes = 0;
  }
}
