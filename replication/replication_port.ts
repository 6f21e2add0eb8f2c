/**
 * Replication as the commands see it (REPLICAOF, WAIT, ROLE, PSYNC, REPLCONF, and every handler
 * that shapes what it propagates): a port that replication/replication.ts's `Replication`
 * satisfies. The commands' host (commands/command_host.ts) names this instead of the class,
 * because replication runs commands (its master's stream) and so sits above the command context.
 */

import type { Client } from "../server/client.ts";
import type { Argv } from "./propagate.ts";
import type { Backlog } from "./backlog.ts";
import type { ReplicaPeer } from "./master.ts";
import type { CommandDef } from "../commands/command_def.ts";

export interface ReplicationPort {
  readonly isReplica: boolean;
  readonly masterReplOffset: number;
  readonly masterHost: string | null;
  readonly masterPort: number;
  readonly backlog: Backlog | null;
  readonly peers: readonly ReplicaPeer[];
  /** The link to our master, if we are a replica. */
  readonly link: {
    readonly state: string;
    readonly lastIoMs: number;
    readonly downSinceMs: number;
  } | null;
  /** INFO stats sync_full / sync_partial_ok / sync_partial_err. */
  readonly syncFull: number;
  readonly syncPartialOk: number;
  readonly syncPartialErr: number;
  /** INFO replication's fields. */
  infoFields(roleFallback: "master" | "slave"): [string, string | number][];
  /** Commands are propagated (a master with a backlog, or an AOF). */
  readonly propagating: boolean;
  updatePropagating(): void;
  /** DEBUG REPLICATE: a command to the replicas only, as is. */
  replicateVerbatim(argv: readonly Uint8Array[]): void;
  /**
   * Run a command handler and propagate what it did (server/dispatch.ts `call`). `ctx` is the
   * command context (commands/types.ts), `unknown` here as in commands/command_def.ts.
   */
  callPropagating(
    ctx: unknown,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
  ): void | Promise<void>;
  /** Add a command to the stream of the command running now. */
  propagate(argv: Argv, dbId?: number): void;
  /** Replace what the running command propagates ([] = nothing). */
  overridePropagation(cmds: Argv[]): void;
  noPropagate(): void;
  /** Where the running command's stream stands now (a script's call marks its commands). */
  pendingMark(): number;
  /** Send what was queued since `mark` only to `target` (redis.set_repl). */
  restrictPendingSince(mark: number, target: number): void;
  propagateToReplicas(argv: Argv): void;
  enoughGoodReplicas(): boolean;
  /** Hold the replication unit open for `client` (a transaction, a script); call to release. */
  holdUnit(client: Client): () => void;
  changeReplicationIds(): void;
  replicaOf(host: string, port: number): "ok" | "already";
  /** A master again; `logLine` is logged (default: as a cluster promotion), null: nothing. */
  replicaOfNoOne(logLine?: string | null): void;
  roleLinkState(): string;
  wait(
    client: Client,
    numReplicas: number,
    timeoutMs: number,
    inTransaction: boolean,
  ): number | Promise<number | string>;
  /** PSYNC (SYNC when `legacy`; PSYNC ... FAILOVER when `failover`): null or an error. */
  psync(
    client: Client,
    replid: string,
    psyncOffset: string,
    legacy: boolean,
    failover?: boolean,
  ): string | null;
  /** FAILOVER (replication/failover.ts): its state and its command. */
  readonly failover: {
    readonly state: string;
    command(argv: readonly Uint8Array[]): string | null;
  };
  replconf(client: Client, args: string[]): "ok" | "none" | string;
  unblockWait(client: Client): boolean;
  /** Clients blocked in WAIT (INFO blocked_clients). */
  readonly waitingClients: number;
  /** Is `client` blocked in WAIT (CLIENT LIST's `b` flag)? */
  waits(client: Client): boolean;
}
