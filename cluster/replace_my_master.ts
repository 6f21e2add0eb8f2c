/**
 * clusterFailoverReplaceYourMaster (Redis 7.0.15 cluster.c), pure: the last step of a won
 * election (failover_election.ts) and of CLUSTER FAILOVER TAKEOVER (manual_failover.ts).
 *
 * `replaceMyMaster(s, ctx, sink)` -> state: become a master, `replicationUnsetMaster` effect,
 * take every slot of the old master, update the cluster state, save + fsync, broadcast a PONG
 * to every node, reset the manual failover.
 */

import { EffectSink } from "./bus_effects.ts";
import { buildPingMessage } from "./bus_header_build.ts";
import { setNodeAsMaster } from "./bus_node_ops.ts";
import { updateStateLogged } from "./bus_receive.ts";
import type { FailoverContext, FailoverSink } from "./failover_types.ts";
import { headerPaused, resetManualFailover } from "./manual_failover_state.ts";
import {
  assignSlots,
  CLUSTER_SLOTS,
  type ClusterState,
  isMaster,
  myself,
  slotBit,
  unassignSlots,
} from "./state.ts";

export function replaceMyMaster(
  s0: ClusterState,
  ctx: FailoverContext,
  sink: FailoverSink,
): ClusterState {
  const me0 = myself(s0);
  if (isMaster(me0) || me0.masterId === null) return s0;
  const oldMaster = s0.nodes.get(me0.masterId);
  let s = setNodeAsMaster(s0, s0.myselfId);
  sink.todo(true, true);
  sink.push({ kind: "replicationUnsetMaster" });
  if (oldMaster !== undefined) {
    const slots: number[] = [];
    for (let j = 0; j < CLUSTER_SLOTS; j++) if (slotBit(oldMaster.slots, j)) slots.push(j);
    if (slots.length > 0) {
      s = unassignSlots(s, slots);
      s = assignSlots(s, s.myselfId, slots);
    }
  }
  // clusterUpdateState() now, then clusterSaveConfigOrDie(1).
  const bus = new EffectSink();
  s = updateStateLogged(s, ctx.nowMs, ctx, bus);
  for (const e of bus.effects) sink.push(e);
  sink.todo(true, false, true);
  // The PONG goes out before the manual-failover reset, so it still carries PAUSED (§4.2 [V]).
  sink.push({
    kind: "broadcast",
    message: buildPingMessage(s, "PONG", ctx.rng, { ...ctx, paused: headerPaused(s) }),
  });
  return resetManualFailover(s, sink);
}
