/**
 * The server as command handlers see it (`ctx.server`, commands/types.ts): a port that
 * server/server.ts's `Server` implements, so that no command imports the server (no import
 * circle; tests/import_cycles_test.ts). It is the intersection of narrow ports, one concern each:
 * the small ports of server/server_ports.ts and those below. A command family's file names the
 * ones it uses (`CommandContext<ConfigPort & ReplicationRolePort>`), so a new dependency shows in
 * its type; only what needs the whole server (the dispatcher, a connection, the script engine,
 * and the commands that run others or report on everything: EXEC, GEOADD's ZADD, INFO) takes
 * `CommandHost`. The three subsystems that themselves run commands (the cluster,
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

/** Who this node is and since when (INFO server; DEBUG OBJECT's lru of a shared integer). */
export interface ServerIdentityPort {
  readonly runId: string;
  readonly startTimeMs: number;
  /** The client port actually bound. */
  readonly port: number;
}

/** Cluster mode: the cluster; null in standalone mode. */
export interface ClusterModePort {
  readonly cluster: ClusterPort | null;
}

/** Replication: the node's role, its replicas, and the stream a command propagates. */
export interface ReplicationRolePort {
  readonly replication: ReplicationPort;
}

/** The script engine (EVAL, FUNCTION, SCRIPT; a script's fake client; -BUSY). */
export interface ScriptsHost {
  readonly scripts: ScriptsPort;
}

/** RDB and AOF: saving, the AOF's state, a load in progress and what the last load did. */
export interface PersistencePort {
  readonly persistence: RdbPersistence;
  readonly aof: Aof;
  readonly loading: LoadingState | null;
  /** Keys the last load put in / dropped as expired (INFO rdb_last_load_keys_*). */
  readonly lastLoad: { loaded: number; expired: number };
  /** DEBUG LOADAOF: the dataset replaced by the AOF's files; false (logged) when it cannot. */
  reloadAof(): Promise<boolean>;
}

/** maxmemory: used memory, the limit, eviction (server/maxmemory.ts). */
export interface MaxmemoryPort {
  readonly maxmemory: Maxmemory;
}

/** Keys that got data while clients are blocked on them, served after the command. */
export interface ReadyKeysPort {
  readonly readyDbs: Set<Db>;
  handleReadyKeys(): void;
}

/** The keys a running MIGRATE or blocked command holds (server/key_locks.ts). */
export interface KeyLocksPort {
  readonly keyLocks: KeyLocks;
}

/** Pub/Sub channels and patterns (pubsub/pubsub.ts). */
export interface PubSubPort {
  readonly pubsub: PubSub;
}

/** CLIENT TRACKING's tables (server/tracking.ts). */
export interface TrackingPort {
  readonly tracking: Tracking;
}

/** MONITOR's clients (server/monitor.ts). */
export interface MonitorsPort {
  readonly monitors: Monitors;
}

/** What a new connection is given: its client, whether it must AUTH, its output limits. */
export interface ConnectionsPort {
  outputLimits: Record<OutputClass, OutputLimits>;
  authRequired(): boolean;
  newClient(addr: string, laddr: string): Client;
}

/** The counters a call updates (server/server_ports.ts `CommandStatsPort` holds them). */
export interface CallRecordPort {
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
}

/** SLOWLOG's entries, newest first, and slowlog-log-slower-than as cached. */
export interface SlowlogPort {
  readonly slowlog: SlowlogEntry[];
  slowlogNextId: number;
  slowlogThresholdUs: number;
}

/** LATENCY's monitor and latency-tracking as cached. */
export interface LatencyPort {
  readonly latency: LatencyMonitor;
  latencyTracking: boolean;
}

/** The TLS listener's context and settings (server/tls.ts). */
export interface TlsPort {
  readonly tls: ServerTls;
}

/** SHUTDOWN and what must stop with the server. */
export interface ShutdownPort {
  readonly shutdownHooks: (() => void)[];
  onShutdownRequest: ((code: number) => void) | null;
  prepareForShutdown(opts?: { save?: boolean; force?: boolean }): boolean;
  shutdown(): Promise<void>;
}

/** What DEBUG sets (server/debug_knobs.ts) and DEBUG SET-ACTIVE-EXPIRE. */
export interface DebugPort {
  readonly debugKnobs: DebugKnobs;
  activeExpireEnabled: boolean;
}

/** notify-keyspace-events as cached flags (pubsub/notify_flags.ts). */
export interface NotifyFlagsPort {
  setNotifyFlags(flags: number): void;
}

/** The server's cron (serverCron's timer). */
export interface CronPort {
  /** CONFIG SET hz (updateHZ): the cron ticks at the new rate from its next tick on. */
  applyHz(): void;
}

/** SCRIPT DEBUG YES: a forked session's own server (server/server.ts `forkForDebugging`). */
export interface DebugForkPort {
  forkForDebugging(): CommandHost;
}

/** The whole server as command handlers see it: every port above. */
export type CommandHost =
  & ClockPort
  & LogPort
  & ConfigPort
  & CommandTablePort
  & CommandStatsPort
  & DatabasesPort
  & ClientsPort
  & AclPort
  & ClientPausePort
  & ServerIdentityPort
  & ClusterModePort
  & ReplicationRolePort
  & ScriptsHost
  & PersistencePort
  & MaxmemoryPort
  & ReadyKeysPort
  & KeyLocksPort
  & PubSubPort
  & TrackingPort
  & MonitorsPort
  & ConnectionsPort
  & CallRecordPort
  & SlowlogPort
  & LatencyPort
  & TlsPort
  & ShutdownPort
  & DebugPort
  & NotifyFlagsPort
  & CronPort
  & DebugForkPort;
