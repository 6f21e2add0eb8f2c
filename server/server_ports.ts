/**
 * Small views of the server ("ports") that its collaborators take instead of the `Server` class,
 * one concern each, so that no module below server/server.ts imports it (a `Server` type would
 * close an import circle: tests/import_cycles_test.ts). server/server.ts implements every port; a
 * consumer asks for the ones it uses (`ConfigPort & LogPort`), as replication/replica.ts's
 * `LinkOwner` and cluster/bus_engine.ts's host do. Only low-layer types are named here: nothing
 * that imports a command, the dispatcher or the server.
 */

import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import type { HdrHistogram } from "./hdr_histogram.ts";
import type { CommandDef } from "../commands/command_def.ts";
import type { Db } from "../keyspace/db.ts";
import type { Client } from "./client.ts";
import type { AclUsers } from "./acl.ts";
import type { WritePause } from "../cluster/write_pause.ts";

export interface ServerStats {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  rejectedCalls: number;
  failedCalls: number;
  netInputBytes: number;
  netOutputBytes: number;
  /** Reads from clients' sockets (stat_total_reads_processed, readQueryFromClient). */
  readsProcessed: number;
  /** Reply writes to clients (stat_total_writes_processed, writeToClient). */
  writesProcessed: number;
}

export interface CommandStat {
  calls: number;
  usec: number;
  /** The command ran and replied an error (Redis's failed_calls). */
  failed: number;
  /** Refused before it ran: arity, ACL, OOM, MOVED... (Redis's rejected_calls). */
  rejected: number;
  /** Run times (ns) while latency-tracking is on (INFO latencystats, LATENCY HISTOGRAM). */
  histogram?: HdrHistogram;
}

/** One SLOWLOG entry (arguments already truncated as Redis does). */
export interface SlowlogEntry {
  id: number;
  timeSec: number;
  durationUs: number;
  args: Uint8Array[];
  addr: string;
  name: string;
}

/** The injected wall clock, ms since the epoch. */
export interface ClockPort {
  readonly now: () => number;
  /** Monotonic ms, for commands' durations (server/monotonic_clock.ts; injected in tests). */
  readonly commandClockMs: () => number;
}

/** The server's log. */
export interface LogPort {
  readonly log: Logger;
}

/** The directives (server/config.ts). */
export interface ConfigPort {
  readonly config: Config;
}

/** The command table, by lower-case name (commands/registry.ts builds it). */
export interface CommandTablePort {
  readonly commands: Map<string, CommandDef>;
}

/** Command and error counters (INFO stats, commandstats, errorstats; LATENCY HISTOGRAM). */
export interface CommandStatsPort {
  readonly stats: ServerStats;
  readonly commandStats: Map<string, CommandStat>;
  readonly errorStats: Map<string, number>;
}

/** The databases: `db` is database 0, `dbs[i]` is SELECT i's. */
export interface DatabasesPort {
  readonly db: Db;
  readonly dbs: Db[];
}

/** The connected clients, by id, and freeing one (CLIENT KILL, replication). */
export interface ClientsPort {
  readonly clients: Map<number, Client>;
  removeClient(c: Client): void;
}

/** ACL users, the default user and the ACL log (server/acl.ts). */
export interface AclPort {
  readonly acl: AclUsers;
}

/** CLIENT PAUSE and a manual failover's pause (cluster/write_pause.ts). */
export interface ClientPausePort {
  readonly clientPause: WritePause;
}
