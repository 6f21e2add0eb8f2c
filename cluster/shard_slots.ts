/**
 * Which slots left this node's shard between two views: Redis 7.0's clusterDelSlot drops the shard
 * channels of a slot (removeChannelsInSlot) when the node losing it is myself or myself's master,
 * whether the slot moved to another master (resharding, UPDATE; a replica of mine promoted in my
 * place) or to nobody (DELSLOTS, FLUSHSLOTS, RESET of a master).
 *
 * A replica that turns master keeps its shard subscribers: Redis makes it a master before it
 * deletes its old master's slots, so it is no longer in that shard (clusterFailoverReplaceYourMaster
 * on a promotion takes them over, clusterReset of a replica leaves them unassigned). Checked
 * against redis-server 7.0.15 (tests/pubsub_cluster_test.ts). Pure.
 */

import { type ClusterState, isMaster } from "./state.ts";

export function slotsLeavingMyShard(prev: ClusterState, next: ClusterState): Set<number> {
  const out = new Set<number>();
  if (prev.slotOwner === next.slotOwner) return out;
  const me = prev.nodes.get(prev.myselfId);
  if (me === undefined) return out;
  // The master of my shard when the slots are deleted: myself, or the master I replicated unless
  // I am a master now.
  const meNext = next.nodes.get(next.myselfId);
  const masterNow = meNext !== undefined && isMaster(meNext);
  const shardMaster = masterNow ? prev.myselfId : me.masterId ?? prev.myselfId;
  prev.slotOwner.forEachChange(next.slotOwner, (j, was, now) => {
    if (was === shardMaster && now !== prev.myselfId) out.add(j);
  });
  return out;
}
