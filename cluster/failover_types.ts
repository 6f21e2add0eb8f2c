/**
 * Shared types of the pure failover rules (Redis 7.0.15 cluster.c: replica election, voting,
 * manual failover, replica migration; docs/cluster-bus.md §6): the failover variables Redis keeps in
 * clusterState/clusterNode but `ClusterState` (state.ts) lacks, the `FailoverEffect` union (the
 * bus's `BusEffect` plus three kinds), the context every rule takes, and a small effect sink.
 *
 * Storage: the failover variables live in one optional extra property `failover` of the state
 * object, exactly like bus_node_ops.ts's `BusStateExtras`: state.ts transitions copy states with
 * `{ ...s }`, so the extras survive them. A state without it behaves as Redis after start-up
 * (`FAILOVER_DEFAULTS`). All of it is volatile in Redis too (only lastVoteEpoch, already in
 * ClusterState, is persisted in nodes.conf).
 *
 * Extra effects (on top of bus_effects.ts's `BusEffect`):
 * - `replicationUnsetMaster`: myself was promoted to master: stop replicating, keep the data,
 *   accept writes (replicationUnsetMaster).
 * - `pauseWrites { untilMs }`: a master that accepted MFSTART pauses client writes until
 *   `untilMs` (pauseClients(PAUSE_DURING_FAILOVER, now + 5000 × 2, CLIENT_PAUSE_WRITE)).
 * - `unpauseWrites`: end that pause (resetManualFailover on the master side).
 */

import type { LinkClock } from "./peer_link.ts";
import { type BusConfig, type BusEffect, EffectSink } from "./bus_effects.ts";
import type { ReceiveLink } from "./bus_receive.ts";
import type { Prng } from "./prng.ts";
import type { ClusterState } from "./state.ts";

// CLUSTER_MF_TIMEOUT (5000), CLUSTER_MF_PAUSE_MULT (2), CLUSTER_SLAVE_MIGRATION_DELAY (5000) and the
// election's 2000 ms floor are protocol/bus_constants.ts's MANUAL_FAILOVER_TIMEOUT_MS,
// MANUAL_FAILOVER_PAUSE_MULT, REPLICA_MIGRATION_DELAY_MS and FAILOVER_AUTH_TIMEOUT_MIN_MS.
/** CLUSTER_CANT_FAILOVER_RELOG_PERIOD: 60 × 5 seconds in 7.0 (10 s only from 7.2). */
export const CANT_FAILOVER_RELOG_PERIOD_MS = 300_000;

export type CantFailoverReason =
  | "none"
  | "data-age"
  | "waiting-delay"
  | "expired"
  | "waiting-votes";

export interface FailoverVars {
  /** failover_auth_time: when the election may start (0 = never scheduled). */
  readonly authTimeMs: number;
  /** failover_auth_count: ACKs received for authEpoch. */
  readonly authCount: number;
  /** failover_auth_sent: the AUTH_REQUEST of this attempt went out. */
  readonly authSent: boolean;
  /** failover_auth_rank. */
  readonly authRank: number;
  /** failover_auth_epoch: the epoch of the last election. */
  readonly authEpoch: number;
  /** cant_failover_reason and the last time it was logged (clusterLogCantFailover). */
  readonly cantFailoverReason: CantFailoverReason;
  readonly cantFailoverLogMs: number;
  /** mf_end: manual failover deadline, 0 when none is in progress. */
  readonly mfEndMs: number;
  /** mf_can_start (replica side). */
  readonly mfCanStart: boolean;
  /** mf_slave (master side): the replica that sent MFSTART. */
  readonly mfReplicaId: string | null;
  /** mf_master_offset (replica side): -1 until the paused master told its offset. */
  readonly mfMasterOffset: number;
  /** Replica side: the master the manual failover is about (reset if it changes). */
  readonly mfMasterId: string | null;
  /** voted_time of each master (master id -> ms): when we last voted for one of its replicas. */
  readonly votedTimeMs: ReadonlyMap<string, number>;
  /** orphaned_time of each master (id -> ms since it is orphaned). */
  readonly orphanedTimeMs: ReadonlyMap<string, number>;
}

export const FAILOVER_DEFAULTS: FailoverVars = {
  authTimeMs: 0,
  authCount: 0,
  authSent: false,
  authRank: 0,
  authEpoch: 0,
  cantFailoverReason: "none",
  cantFailoverLogMs: 0,
  mfEndMs: 0,
  mfCanStart: false,
  mfReplicaId: null,
  mfMasterOffset: -1,
  mfMasterId: null,
  votedTimeMs: new Map(),
  orphanedTimeMs: new Map(),
};

export interface FailoverStateExtras {
  readonly failover?: FailoverVars;
}

export function failoverVars(s: ClusterState): FailoverVars {
  return (s as ClusterState & FailoverStateExtras).failover ?? FAILOVER_DEFAULTS;
}

export function withFailoverVars(s: ClusterState, patch: Partial<FailoverVars>): ClusterState {
  const failover: FailoverVars = { ...failoverVars(s), ...patch };
  return { ...s, failover } as ClusterState;
}

export type FailoverEffect =
  | BusEffect
  | { kind: "replicationUnsetMaster" }
  | { kind: "pauseWrites"; untilMs: number }
  | { kind: "unpauseWrites" };

/** Configuration the failover rules need besides `BusConfig`. */
export interface FailoverConfig {
  /** cluster-replica-validity-factor (default 10; 0 disables the data-age check). */
  replicaValidityFactor: number;
  /** repl-ping-replica-period in seconds (default 10). */
  replPingReplicaPeriodSec: number;
  /** cluster-replica-no-failover (default no). */
  replicaNoFailover: boolean;
  /** cluster-migration-barrier (default 1). */
  migrationBarrier: number;
  /** A module set CLUSTER_MODULE_FLAG_NO_FAILOVER (default false). */
  moduleNoFailover?: boolean;
}

/** Redis's defaults of the failover settings (config.c: cluster-replica-validity-factor 10, ...). */
export const DEFAULT_FAILOVER_CONFIG: FailoverConfig = {
  replicaValidityFactor: 10,
  replPingReplicaPeriodSec: 10,
  replicaNoFailover: false,
  migrationBarrier: 1,
};

/** What the replication subsystem says about this replica's link to its master. */
export interface ReplicationStatus {
  /** repl_state == CONNECTED. */
  linkUp: boolean;
  /** master->lastinteraction in ms (meaningful while linkUp). */
  lastInteractionMs: number;
  /** repl_down_since in ms; 0 = never connected ("down since ever"). */
  downSinceMs: number;
}

/**
 * Context of every failover rule. `replOffset` (from BusConfig) must be this node's replication
 * offset: replicationGetSlaveOffset() on a replica, master_repl_offset on a master.
 */
export interface FailoverContext extends BusConfig, FailoverConfig, LinkClock {
  nowMs: number;
  rng: Prng;
  /** Node ids with an outbound link right now (the cron's `links`). */
  links: ReadonlyMap<string, unknown>;
  replication: ReplicationStatus;
}

/** For `receiveFailoverMessage`: where the packet came in. */
export interface FailoverReceiveContext extends FailoverContext {
  link: ReceiveLink;
}

export interface FailoverResult {
  state: ClusterState;
  effects: FailoverEffect[];
}

/** Effects plus the "before sleep" todo flags of one call (clusterDoBeforeSleep). */
export class FailoverSink extends EffectSink<FailoverEffect> {
  /** CLUSTER_TODO_HANDLE_FAILOVER. */
  handleFailover = false;
  /** CLUSTER_TODO_HANDLE_MANUALFAILOVER. */
  handleManualFailover = false;
}

/** This node's replication offset as the rules see it. */
export function myReplOffset(s: ClusterState, ctx: Pick<BusConfig, "replOffset">): number {
  return ctx.replOffset ?? s.nodes.get(s.myselfId)!.replOffset;
}
