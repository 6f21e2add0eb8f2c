/**
 * The cluster as the commands and the client path see it (CLUSTER, routing, PUBLISH, shutdown):
 * a port that cluster/cluster.ts's `Cluster` satisfies. The commands' host
 * (commands/command_host.ts) names this instead of the class, because the cluster routes
 * commands (cluster/routing.ts uses the dispatcher's key finder) and so sits above them.
 */

import type { ClusterState } from "./state.ts";
import type { BusNode } from "./bus_node.ts";
import type { BusEngineStats } from "./bus_engine.ts";
import type { FailoverMode } from "./failover_rules.ts";
import type { QueuedCommand } from "../server/client.ts";

/** Where a command's keys are (commands/types.ts CommandDef's key spec), for routing. */
export interface KeyPositions {
  firstKey: number;
  lastKey: number;
  step: number;
  /** A key finder: the keys are not at fixed positions. */
  getKeys?: unknown;
}

export interface RoutingClient {
  /** One-shot ASKING flag. */
  asking: boolean;
  /** READONLY mode (replica reads). */
  readonlyMode: boolean;
  /** Connected over TLS (a plain client of a tls-cluster is sent the plaintext ports). */
  tls?: boolean;
}

export interface ClusterPort {
  /** The node's view of the cluster (immutable; `apply` installs the next one). */
  readonly state: ClusterState;
  /** The bus and its engine (CLUSTER LINKS, DEBUG DROP-CLUSTER-PACKET-FILTER). */
  readonly bus: BusNode;
  /** Counters of the bus (CLUSTER INFO cluster_stats_messages_*). */
  readonly stats: BusEngineStats;
  /** tls-cluster: peers and redirections use the TLS port. */
  readonly tlsCluster: boolean;
  /** Install a new state (saved to nodes.conf when `save`). */
  apply(next: ClusterState, opts?: { save?: boolean; fsync?: boolean }): void;
  saveConfig(): void;
  /** Replicate the master the state names (CLUSTER REPLICATE). */
  followMaster(): void;
  /** CLUSTER FAILOVER: null when started, else the error. */
  failover(mode: FailoverMode): string | null;
  /** True when this node serves one command with these keys for any client (no `route` needed). */
  servedHere(def: KeyPositions, argv: readonly Uint8Array[]): boolean;
  /** getNodeByQuery: null when this node serves `cmds`, else the -MOVED/-ASK/... error. */
  route(client: RoutingClient, cmds: QueuedCommand[], isExec: boolean): string | null;
  /** PUBLISH / SPUBLISH to the other nodes. */
  publish(channel: Uint8Array, message: Uint8Array): void;
  publishShard(channel: Uint8Array, message: Uint8Array): void;
  /** beforeSleep's clusterBeforeSleep work, before replies go out. */
  beforeReply(): void;
  /** At start: slots with keys we do not own are claimed or reported (verifyClusterConfigWithData). */
  verifyWithData(countKeysInSlot: (slot: number) => number): void;
  stop(): Promise<void>;
}
