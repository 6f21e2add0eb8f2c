/**
 * Manual failover (Redis 7.0.15 CLUSTER FAILOVER [FORCE|TAKEOVER], the MFSTART handshake,
 * resetManualFailover, manualFailoverCheckTimeout, clusterHandleManualFailover; docs/cluster-bus.md
 * §6.3), pure.
 *
 * Default: the replica sets mf_end = now + 5000 and sends MFSTART to its master. The master (if
 * the sender is its replica) sets its own mf_end = now + 5000, remembers the replica, pauses
 * writes for 10 s (`pauseWrites` effect) and PINGs it at once on the MFSTART's link; from then on
 * all its packets carry PAUSED (`headerPaused`) and it PINGs the replica every cron tick. On a
 * packet from its master with PAUSED, the replica records the header offset; once its own
 * replication offset equals it, mf_can_start is set and the election starts at once with
 * FORCEACK (failover_election.ts). FORCE: mf_can_start at once, no MFSTART. TAKEOVER: no
 * election: bump the configEpoch without consensus and take the master's slots. When mf_end
 * passes, "Manual failover timed out." and everything is reset (the master un-pauses).
 *
 * API:
 * - `parseFailoverOption(arg)` -> "force" | "takeover" | null (syntax error).
 * - `clusterFailoverCommand(s, mode, ctx)` -> { state, effects } | { error } (Redis's texts).
 * - `headerPaused(s)`, `resetManualFailover(s, sink)`: manual_failover_state.ts.
 * - `manualFailoverCheckTimeout(s, nowMs, sink)`.
 * - `handleManualFailover(s, myOffset, sink)`: replica side offset check.
 * - `receiveMfStart(s, senderId, ctx, sink)`: master side of MFSTART (`reply` PING).
 * - `capturePausedMasterOffset(s, senderId, mflags, offset, sink)`: replica side, any packet.
 * - `manualFailoverCronPing(s, ctx, sink)`: master side, PING the replica every tick.
 * - `resetStaleManualFailover(s, sink)`: a role change made the manual failover meaningless
 *   (the paused master became a replica, or the replica's master changed): reset as Redis's
 *   clusterSetMaster does.
 */

import {
  MANUAL_FAILOVER_PAUSE_MULT,
  MANUAL_FAILOVER_TIMEOUT_MS,
  MSGFLAG0_PAUSED,
} from "../protocol/bus.ts";
import { buildHeader, buildPingMessage, sendPing } from "./bus_header_build.ts";
import {
  type FailoverContext,
  type FailoverEffect,
  FailoverSink,
  failoverVars,
  withFailoverVars,
} from "./failover_types.ts";
import { headerPaused, resetManualFailover } from "./manual_failover_state.ts";
import { replaceMyMaster } from "./replace_my_master.ts";
import { bumpEpoch, type ClusterState, isFailed, isMaster, isReplica, myself } from "./state.ts";

export type FailoverMode = "default" | "force" | "takeover";

/** CLUSTER FAILOVER's optional argument (case-insensitive); null = "ERR syntax error". */
export function parseFailoverOption(arg: string): "force" | "takeover" | null {
  const a = arg.toLowerCase();
  return a === "force" || a === "takeover" ? a : null;
}

export function manualFailoverCheckTimeout(
  s: ClusterState,
  nowMs: number,
  sink: FailoverSink,
): ClusterState {
  const v = failoverVars(s);
  if (v.mfEndMs !== 0 && v.mfEndMs < nowMs) {
    sink.log("warning", "Manual failover timed out.");
    return resetManualFailover(s, sink);
  }
  return s;
}

/** clusterHandleManualFailover (replica side). */
export function handleManualFailover(
  s: ClusterState,
  myOffset: number,
  sink: FailoverSink,
): ClusterState {
  const v = failoverVars(s);
  if (v.mfEndMs === 0 || v.mfCanStart || v.mfMasterOffset === -1) return s;
  if (v.mfMasterOffset === myOffset) {
    sink.log("warning", "All master replication stream processed, manual failover can start.");
    sink.handleFailover = true;
    return withFailoverVars(s, { mfCanStart: true });
  }
  return s;
}

export type CommandResult = { state: ClusterState; effects: FailoverEffect[] } | { error: string };

/**
 * CLUSTER FAILOVER [FORCE|TAKEOVER] on this node. `ctx` is needed for TAKEOVER's promotion and the
 * MFSTART header. The caller replies +OK on success.
 */
export function clusterFailoverCommand(
  s0: ClusterState,
  mode: FailoverMode,
  ctx: FailoverContext,
): CommandResult {
  const me = myself(s0);
  const force = mode !== "default";
  if (isMaster(me)) return { error: "ERR You should send CLUSTER FAILOVER to a replica" };
  const master = me.masterId === null ? undefined : s0.nodes.get(me.masterId);
  if (master === undefined) return { error: "ERR I'm a replica but my master is unknown to me" };
  if (!force && (isFailed(master) || !ctx.links.has(master.id))) {
    return { error: "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE" };
  }
  const sink = new FailoverSink();
  let s = resetManualFailover(s0, sink);
  s = withFailoverVars(s, {
    mfEndMs: ctx.nowMs + MANUAL_FAILOVER_TIMEOUT_MS,
    mfMasterId: master.id,
  });
  if (mode === "takeover") {
    sink.log("warning", "Taking over the master (user request).");
    const b = bumpEpoch(s);
    s = b.state;
    if (b.bumped) {
      sink.log("warning", `New configEpoch set to ${myself(s).configEpoch}`);
      sink.todo(true, false, true);
    }
    s = replaceMyMaster(s, ctx, sink);
  } else if (mode === "force") {
    sink.log("warning", "Forced failover user request accepted.");
    s = withFailoverVars(s, { mfCanStart: true });
  } else {
    sink.log("warning", "Manual failover user request accepted.");
    sink.push({
      kind: "send",
      to: master.id,
      message: { type: "MFSTART", header: buildHeader(s, { ...ctx, paused: false }) },
    });
  }
  const effects = sink.effects;
  if (sink.saveConfig || sink.fsyncConfig) {
    effects.push({ kind: "saveConfig", fsync: sink.fsyncConfig });
  }
  return { state: s, effects };
}

/** MFSTART received (master side). */
export function receiveMfStart(
  s0: ClusterState,
  senderId: string,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  const sender = s0.nodes.get(senderId);
  if (sender === undefined || sender.masterId !== s0.myselfId || !isMaster(myself(s0))) return s0;
  let s = resetManualFailover(s0, sink);
  s = withFailoverVars(s, {
    mfEndMs: ctx.nowMs + MANUAL_FAILOVER_TIMEOUT_MS,
    mfReplicaId: senderId,
  });
  sink.push({
    kind: "pauseWrites",
    untilMs: ctx.nowMs + MANUAL_FAILOVER_TIMEOUT_MS * MANUAL_FAILOVER_PAUSE_MULT,
  });
  sink.log("warning", `Manual failover requested by replica ${senderId}.`);
  sink.push({
    kind: "reply",
    message: buildPingMessage(s, "PING", ctx.rng, { ...ctx, paused: headerPaused(s) }),
  });
  return s;
}

/** A packet from my master with PAUSED during my manual failover: remember its offset. */
export function capturePausedMasterOffset(
  s: ClusterState,
  senderId: string,
  mflags: number,
  offset: number,
  sink: FailoverSink,
): ClusterState {
  const v = failoverVars(s);
  const me = myself(s);
  if (
    v.mfEndMs !== 0 && isReplica(me) && me.masterId === senderId &&
    (mflags & MSGFLAG0_PAUSED) !== 0 && v.mfMasterOffset === -1
  ) {
    sink.handleManualFailover = true;
    sink.log(
      "warning",
      `Received replication offset for paused master manual failover: ${offset}`,
    );
    return withFailoverVars(s, { mfMasterOffset: offset });
  }
  return s;
}

/** clusterCron: a master with a manual failover in progress PINGs its replica every tick. */
export function manualFailoverCronPing(
  s: ClusterState,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  const v = failoverVars(s);
  if (v.mfEndMs === 0 || v.mfReplicaId === null || !isMaster(myself(s))) return s;
  const id = v.mfReplicaId;
  const n = s.nodes.get(id);
  if (n === undefined || !ctx.links.has(id)) return s;
  // The bus cron already pinged it this tick (its regular-ping branch wins in Redis).
  if (n.pingSentMs === ctx.nowMs) return s;
  const r = sendPing(s, id, ctx.nowMs, ctx.rng, { ...ctx, paused: true });
  sink.push({ kind: "send", to: id, message: r.message });
  return r.state;
}

export function resetStaleManualFailover(s: ClusterState, sink: FailoverSink): ClusterState {
  const v = failoverVars(s);
  if (v.mfEndMs === 0 && v.mfReplicaId === null) return s;
  const me = myself(s);
  const masterSideStale = v.mfReplicaId !== null && !isMaster(me);
  const replicaSideStale = v.mfReplicaId === null &&
    (!isReplica(me) || me.masterId !== v.mfMasterId);
  return masterSideStale || replicaSideStale ? resetManualFailover(s, sink) : s;
}
