/**
 * What the cluster (cluster/cluster.ts) uses of its server: a port, so that it takes this view
 * instead of the `Server` class (no import circle; tests/import_cycles_test.ts), as
 * cluster/bus_engine.ts takes its host. server/server.ts implements it.
 */

import type { ClockPort, ConfigPort, LogPort } from "../server/server_ports.ts";
import type { ReplicationHost } from "./replication_adapter.ts";
import type { Db } from "../keyspace/db.ts";
import type { PubSub } from "../pubsub/pubsub.ts";
import type { ServerTls } from "../server/tls.ts";
import type { WritePause } from "./write_pause.ts";
import type { CronClock } from "../server/cron_clock.ts";

export interface ClusterHost extends ClockPort, ConfigPort, LogPort, ReplicationHost {
  /** Database 0, the only one in cluster mode: slot deletion, clients blocked on its keys. */
  readonly db: Db;
  /** PUBLISH / SPUBLISH from the bus; shard channels dropped with slots that leave. */
  readonly pubsub: PubSub;
  /** tls-cluster's context, the bus listeners tracked for reloads, the tls-port. */
  readonly tls: Pick<ServerTls, "forCluster" | "track" | "port">;
  /** The client port actually bound. */
  readonly port: number;
  /** The pause a manual failover holds client writes with. */
  readonly clientPause: WritePause;
  /**
   * The timers of the server's 100 ms cron (server/cron_clock.ts): the actors' clock, so that
   * the cluster cron runs in the server's tick, as Redis's clusterCron runs in serverCron.
   */
  readonly cronClock: CronClock;
  /** The `bind` addresses (the bus listens where clients do). */
  bindAddresses(): string[];
}
