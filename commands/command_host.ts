/**
 * The server as command handlers see it (`ctx.server`, commands/types.ts): a port that
 * server/server.ts's `Server` implements, so that no command imports the server (no import
 * circle; tests/import_cycles_test.ts). It is made of the small ports of server/server_ports.ts
 * plus the subsystems the commands reach; the three that themselves run commands (the cluster,
 * replication, the script engine) are named by their ports, not their classes.
 */

import type { Client } from "../server/client.ts";
import type { CommandDef } from "./command_def.ts";
import type {
  AclPort,
  ClientPausePort,
  ClientsPort,
  ClockPort,
  CommandStatsPort,
  CommandTablePort,
  ConfigPort,
  DatabasesPort,
  LogPort,
  SlowlogEntry,
} from "../server/server_ports.ts";
import type { Db } from "../keyspace/db.ts";
import type { Aof } from "../persistence/aof.ts";
import type { RdbPersistence } from "../persistence/rdb_persistence.ts";
import type { LoadingState } from "../persistence/rdb_load.ts";
import type { Maxmemory } from "../server/maxmemory.ts";
import type { Tracking } from "../server/tracking.ts";
import type { Monitors } from "../server/monitor.ts";
import type { LatencyMonitor } from "../server/latency_monitor.ts";
import type { KeyLocks } from "../server/key_locks.ts";
import type { ServerTls } from "../server/tls.ts";
import type { OutputClass, OutputLimits } from "../server/output_limits.ts";
import type { DebugKnobs } from "../server/debug_knobs.ts";
import type { PubSub } from "../pubsub/pubsub.ts";
import type { ClusterPort } from "../cluster/cluster_port.ts";
import type { ReplicationPort } from "../replication/replication_port.ts";
import type { ScriptsPort } from "../scripting/scripts_port.ts";

export interface CommandHost
  extends
    ClockPort,
    LogPort,
    ConfigPort,
    CommandTablePort,
    CommandStatsPort,
    DatabasesPort,
    ClientsPort,
    AclPort,
    ClientPausePort {
  readonly runId: string;
  readonly startTimeMs: number;
  /** The client port actually bound. */
  readonly port: number;
  /** Cluster mode: the cluster; null in standalone mode. */
  readonly cluster: ClusterPort | null;
  readonly replication: ReplicationPort;
  readonly scripts: ScriptsPort;
  readonly persistence: RdbPersistence;
  readonly aof: Aof;
  readonly maxmemory: Maxmemory;
  readonly tracking: Tracking;
  readonly pubsub: PubSub;
  readonly monitors: Monitors;
  readonly latency: LatencyMonitor;
  readonly keyLocks: KeyLocks;
  readonly tls: ServerTls;
  readonly debugKnobs: DebugKnobs;
  readonly readyDbs: Set<Db>;
  readonly loading: LoadingState | null;
  /** Keys the last load put in / dropped as expired (INFO rdb_last_load_keys_*). */
  readonly lastLoad: { loaded: number; expired: number };
  readonly slowlog: SlowlogEntry[];
  readonly shutdownHooks: (() => void)[];
  slowlogNextId: number;
  slowlogThresholdUs: number;
  latencyTracking: boolean;
  activeExpireEnabled: boolean;
  outputLimits: Record<OutputClass, OutputLimits>;
  onShutdownRequest: ((code: number) => void) | null;
  setNotifyFlags(flags: number): void;
  handleReadyKeys(): void;
  authRequired(): boolean;
  /** INFO errorstats: one error reply of this code. */
  recordError(msg: string): void;
  /** A command refused before it ran (rejected_calls). */
  recordRejected(fullname: string): void;
  /** A command that ran: commandstats, latency, SLOWLOG. */
  recordCall(
    fullname: string,
    ms: number,
    failed: boolean,
    client?: Client,
    argv?: Uint8Array[],
    def?: CommandDef,
  ): void;
  newClient(addr: string, laddr: string): Client;
  /** DEBUG LOADAOF: the dataset replaced by the AOF's files; false (logged) when it cannot. */
  reloadAof(): Promise<boolean>;
  prepareForShutdown(opts?: { save?: boolean; force?: boolean }): boolean;
  shutdown(): Promise<void>;
}
