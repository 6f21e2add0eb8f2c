/**
 * One client connection's state: protocol version, auth, MULTI queue, WATCHed keys, cluster
 * flags (ASKING, READONLY), names and counters for CLIENT LIST.
 */

import { Reply } from "../protocol/reply.ts";
import { RespParser } from "../protocol/resp_parser.ts";
import type { CommandDef } from "../commands/types.ts";
import type { Watcher } from "../keyspace/db.ts";

export interface QueuedCommand {
  def: CommandDef;
  /** "get", or "cluster|info" for a subcommand. */
  fullname: string;
  argv: Uint8Array[];
}

export class Client implements Watcher {
  readonly reply = new Reply();
  readonly parser: RespParser;
  name = "";
  libName = "";
  libVer = "";
  authenticated = false;
  /** MULTI state: queued commands, and whether a queueing error makes EXEC abort. */
  multi: QueuedCommand[] | null = null;
  multiError = false;
  /** Set by EXEC while it runs the queued commands (blocking commands then answer at once). */
  inExec = false;
  watchedKeys: string[] = [];
  dirtyCas = false;
  /** One-shot flag set by ASKING, cleared after the next command. */
  asking = false;
  /** READONLY: serve reads on a replica for its master's slots. */
  readonlyMode = false;
  /** Reply then close (QUIT, protocol error). */
  closeAfterReply = false;
  /** Is this the replication link from our master (its commands are applied, never redirected). */
  isMaster = false;
  /** Is this a replica attached to us (after PSYNC/SYNC: its output is the replication stream). */
  isReplica = false;
  /** The network connection (replication writes to replicas directly). */
  conn: Deno.Conn | null = null;
  lastCommand = "NULL";
  lastInteractionMs: number;
  commandsProcessed = 0;
  /** Closes the underlying connection. */
  close: () => void = () => {};

  constructor(
    readonly id: number,
    readonly addr: string,
    readonly laddr: string,
    readonly createdMs: number,
    parser: RespParser,
  ) {
    this.parser = parser;
    this.lastInteractionMs = createdMs;
  }

  get proto(): 2 | 3 {
    return this.reply.proto;
  }
}
