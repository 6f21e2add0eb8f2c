/**
 * The failover rules of Redis 7.0.15 (docs/cluster-bus.md §6) as pure functions, and the three entry
 * points the bus engine calls. Nothing here does I/O, reads a clock or calls Math.random.
 *
 * Engine wiring (cluster/bus_engine.ts wires them; sim/failover_test.ts runs them on it):
 * - every 100 ms, right AFTER the bus `cronTick` of the same tick, on the state it returned:
 *     `failoverCron(state, ctx)` -> { state, effects }
 *   (Redis's clusterCron tail: myself's NOFAILOVER flag, the master's every-tick PING to the
 *   manual-failover replica, manual-failover timeout, replica-side manual failover, election,
 *   replica migration; then the "before sleep" part: another election run if asked, cluster
 *   state update, nodes.conf save.)
 * - for EVERY decoded bus packet, right AFTER the bus `receive` of it, on the state it returned:
 *     `receiveFailoverMessage(state, msg, ctx)` -> { state, effects }
 *   (FAILOVER_AUTH_REQUEST -> vote, FAILOVER_AUTH_ACK -> count and maybe win at once, MFSTART ->
 *   pause + PING; from any packet type: the paused master's offset during a manual failover;
 *   and the manual-failover reset when a role change made it stale.) The bus's `deliver`
 *   effects for these three types can then be ignored.
 * - `CLUSTER FAILOVER [FORCE|TAKEOVER]`: `clusterFailoverCommand(state, mode, ctx)`.
 * - headers of every message the engine builds itself need `paused: headerPaused(state)`.
 * Effects are `FailoverEffect`s (failover_types.ts): the bus's `BusEffect`s, executed the same
 * way, plus `replicationUnsetMaster`, `pauseWrites`, `unpauseWrites`.
 *
 * Modules: failover_types.ts (vars, effects, context, sink), failover_election.ts (replica side),
 * failover_vote.ts (master side), manual_failover.ts, replica_migration.ts.
 */

import type { BusMessage } from "../protocol/bus.ts";
import { EffectSink } from "./bus_effects.ts";
import { putNode } from "./bus_node_ops.ts";
import { updateStateLogged } from "./bus_receive.ts";
import { countFailoverAuthAck, handleReplicaFailover } from "./failover_election.ts";
import {
  type FailoverContext,
  type FailoverReceiveContext,
  type FailoverResult,
  FailoverSink,
  failoverVars,
  myReplOffset,
  withFailoverVars,
} from "./failover_types.ts";
import { handleFailoverAuthRequest } from "./failover_vote.ts";
import {
  capturePausedMasterOffset,
  handleManualFailover,
  manualFailoverCheckTimeout,
  manualFailoverCronPing,
  receiveMfStart,
  resetStaleManualFailover,
} from "./manual_failover.ts";
import {
  handleReplicaMigration,
  scanOrphanedMasters,
  shouldConsiderMigration,
} from "./replica_migration.ts";
import { type ClusterState, isReplica, myself, NodeFlags } from "./state.ts";

export * from "./failover_types.ts";
export * from "./failover_election.ts";
export * from "./failover_vote.ts";
export * from "./manual_failover.ts";
export * from "./manual_failover_state.ts";
export * from "./replace_my_master.ts";
export * from "./replica_migration.ts";

/** clusterUpdateMyselfFlags: myself's NOFAILOVER mirrors cluster-replica-no-failover. */
export function updateMyselfFlags(
  s: ClusterState,
  ctx: Pick<FailoverContext, "replicaNoFailover">,
  sink: FailoverSink,
): ClusterState {
  const me = myself(s);
  const flags = ctx.replicaNoFailover
    ? me.flags | NodeFlags.NOFAILOVER
    : me.flags & ~NodeFlags.NOFAILOVER;
  if (flags === me.flags) return s;
  sink.todo(true, false, true);
  return putNode(s, { ...me, flags });
}

/** Drop voted_time entries of masters we no longer know (keeps the map bounded). */
function pruneVotedTimes(s: ClusterState): ClusterState {
  const voted = failoverVars(s).votedTimeMs;
  let stale = false;
  for (const id of voted.keys()) if (!s.nodes.has(id)) stale = true;
  if (!stale) return s;
  return withFailoverVars(s, {
    votedTimeMs: new Map([...voted].filter(([id]) => s.nodes.has(id))),
  });
}

export function failoverCron(state: ClusterState, ctx: FailoverContext): FailoverResult {
  const sink = new FailoverSink();
  let s = updateMyselfFlags(state, ctx, sink);
  s = pruneVotedTimes(s);
  s = resetStaleManualFailover(s, sink);
  const scan = scanOrphanedMasters(s);
  s = manualFailoverCronPing(s, ctx, sink);
  s = manualFailoverCheckTimeout(s, ctx.nowMs, sink);
  if (isReplica(myself(s))) {
    s = handleManualFailover(s, myReplOffset(s, ctx), sink);
    s = handleReplicaFailover(s, ctx, sink);
    if (isReplica(myself(s)) && shouldConsiderMigration(scan, ctx.allowReplicaMigration)) {
      s = handleReplicaMigration(s, scan.maxReplicas, ctx, sink);
    }
  }
  return beforeSleep(s, ctx, sink);
}

export function receiveFailoverMessage(
  state: ClusterState,
  msg: BusMessage,
  ctx: FailoverReceiveContext,
): FailoverResult {
  const sink = new FailoverSink();
  let s = resetStaleManualFailover(state, sink);
  const hdr = msg.header;
  const sender = s.nodes.get(hdr.sender);
  if (sender !== undefined && !(sender.flags & NodeFlags.HANDSHAKE)) {
    s = capturePausedMasterOffset(s, sender.id, hdr.mflags, Number(hdr.offset), sink);
  }
  if (sender !== undefined) {
    switch (msg.type) {
      case "FAILOVER_AUTH_REQUEST":
        s = handleFailoverAuthRequest(s, sender.id, hdr, ctx, sink);
        break;
      case "FAILOVER_AUTH_ACK":
        s = countFailoverAuthAck(s, sender.id, Number(hdr.currentEpoch), sink);
        break;
      case "MFSTART":
        s = receiveMfStart(s, sender.id, ctx, sink);
        break;
    }
  }
  return beforeSleep(s, ctx, sink);
}

function beforeSleep(
  s0: ClusterState,
  ctx: FailoverContext,
  sink: FailoverSink,
): FailoverResult {
  let s = s0;
  // A bounded number of passes: a run may ask for another one (a manual failover scheduled
  // "now" sends its request in the same before-sleep), never more than twice.
  for (let pass = 0; pass < 2; pass++) {
    const manual = sink.handleManualFailover;
    const handle = sink.handleFailover;
    sink.handleManualFailover = false;
    sink.handleFailover = false;
    if (manual && isReplica(myself(s))) {
      s = handleManualFailover(s, myReplOffset(s, ctx), sink);
      s = handleReplicaFailover(s, ctx, sink);
    } else if (handle) {
      s = handleReplicaFailover(s, ctx, sink);
    } else break;
  }
  if (sink.updateState) {
    const bus = new EffectSink();
    s = updateStateLogged(s, ctx.nowMs, ctx, bus);
    for (const e of bus.effects) sink.push(e);
  }
  const effects = sink.effects;
  if (sink.saveConfig || sink.fsyncConfig) {
    effects.push({ kind: "saveConfig", fsync: sink.fsyncConfig });
  }
  return { state: s, effects };
}
