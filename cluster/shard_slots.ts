/**
 * Which slots left this node's shard between two views: Redis 7.0's clusterDelSlot drops the shard
 * channels of a slot (removeChannelsInSlot) when the node losing it is myself or myself's master,
 * whether the slot moved to another master (resharding, UPDATE), to myself (a promotion replaces
 * my master) or to nobody (DELSLOTS, FLUSHSLOTS, RESET). Pure.
 */

import type { ClusterState } from "./state.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";

export function slotsLeavingMyShard(prev: ClusterState, next: ClusterState): Set<number> {
  const out = new Set<number>();
  if (prev.slotOwner === next.slotOwner) return out;
  const me = prev.nodes.get(prev.myselfId);
  if (me === undefined) return out;
  // The master of my shard in the previous view (myself, or the master I replicated).
  const shardMaster = me.masterId ?? prev.myselfId;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const was = prev.slotOwner[j];
    if (was === shardMaster && next.slotOwner[j] !== was) out.add(j);
  }
  return out;
}
