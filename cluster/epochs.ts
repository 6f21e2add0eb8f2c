/**
 * Epoch and slot-configuration rules of the cluster bus (Redis 7.0.15, docs/cluster-bus.md §7), pure:
 *
 * - `applyHeaderEpochs(s, senderId, currentEpoch, configEpoch, offset, sink)`: §7.1 bookkeeping
 *   for every packet from a known, non-handshake sender (currentEpoch = max; the sender's
 *   configEpoch only grows; its replication offset is recorded).
 * - `handleConfigEpochCollision(s, senderId, sink)`: §7.1 collision rule: both masters, same
 *   configEpoch, sender's name greater -> currentEpoch += 1, my configEpoch = currentEpoch, save
 *   with fsync. The greatest name never moves.
 * - `updateSlotsConfigWith(s, senderId, senderConfigEpoch, slots, cfg, sink)`: §7.4 slot-update
 *   procedure incl. the 7.0 "owner not claiming" bit, then A (become a replica of the sender),
 *   B (sub-replica -> grand-master) or C (delete keys of lost slots, via an effect).
 * - `staleSlotOwner(s, senderId, claimed, senderConfigEpoch)`: §7.2: the first owner, with a
 *   greater configEpoch, of a slot the sender claims (an UPDATE about it goes to the sender).
 * - `applyUpdateMessage(s, nodeId, reportedConfigEpoch, slots, cfg, sink)`: §7.3 receiving UPDATE.
 *
 * Epochs in ClusterState are numbers; bus headers carry bigints (converted with Number()).
 */

import type { BusConfig, EffectSink } from "./bus_effects.ts";
import {
  isSlotUnclaimed,
  ownerNotClaimingSlots,
  putNode,
  setMyMaster,
  setNodeAsMaster,
  setOwnerNotClaiming,
} from "./bus_node_ops.ts";
import {
  BYTE_BITS,
  type ClusterState,
  isMaster,
  isReplica,
  myself,
  reassignSlots,
  SLOT_BITMAP_BYTES,
  slotBit,
} from "./state.ts";

export function applyHeaderEpochs(
  s: ClusterState,
  senderId: string,
  senderCurrentEpoch: number,
  senderConfigEpoch: number,
  senderOffset: number,
  sink: EffectSink,
): ClusterState {
  let next = s;
  if (senderCurrentEpoch > next.currentEpoch) next = { ...next, currentEpoch: senderCurrentEpoch };
  const n = next.nodes.get(senderId)!;
  let configEpoch = n.configEpoch;
  if (senderConfigEpoch > n.configEpoch) {
    configEpoch = senderConfigEpoch;
    sink.todo(true, false, true);
  }
  if (configEpoch !== n.configEpoch || senderOffset !== n.replOffset) {
    next = putNode(next, { ...n, configEpoch, replOffset: senderOffset });
  }
  return next;
}

export function handleConfigEpochCollision(
  s: ClusterState,
  senderId: string,
  sink: EffectSink,
): ClusterState {
  const me = myself(s);
  const sender = s.nodes.get(senderId)!;
  if (sender.configEpoch !== me.configEpoch || !isMaster(sender) || !isMaster(me)) return s;
  if (sender.id <= me.id) return s;
  const currentEpoch = s.currentEpoch + 1;
  const next = putNode({ ...s, currentEpoch }, { ...me, configEpoch: currentEpoch });
  // clusterSaveConfigOrDie(1): saved and fsynced at once.
  sink.todo(true, false, true);
  sink.log(
    "verbose",
    `WARNING: configEpoch collision with node ${senderId}. configEpoch set to ${currentEpoch}`,
  );
  return next;
}

export function updateSlotsConfigWith(
  s: ClusterState,
  senderId: string,
  senderConfigEpoch: number,
  slots: Uint8Array,
  cfg: BusConfig,
  sink: EffectSink,
): ClusterState {
  const me0 = myself(s);
  const curMasterId = isMaster(me0) ? me0.id : me0.masterId;
  if (senderId === s.myselfId) {
    sink.log("notice", "Discarding UPDATE message about myself.");
    return s;
  }
  let newMaster: string | null = null;
  let senderSlots = 0;
  let migratedOurSlots = 0;
  const moved: number[] = [];
  const dirty: number[] = [];
  // Changes of the "owner not claiming" marks; only real changes are listed (a heartbeat from
  // a master repeats thousands of claims that change nothing).
  const claimChanges: [number, string | null][] = [];
  const notClaiming = ownerNotClaimingSlots(s);
  const visit = (j: number) => {
    const owner = s.slotOwner.get(j);
    if (slotBit(slots, j)) {
      senderSlots++;
      if (owner === senderId) {
        if (notClaiming?.has(j)) claimChanges.push([j, null]);
        return;
      }
      if (s.importingSlotsFrom.has(j)) return;
      if (isSlotUnclaimed(s, j) || s.nodes.get(owner!)!.configEpoch < senderConfigEpoch) {
        if (owner === s.myselfId) dirty.push(j); // the engine skips slots without keys
        if (owner !== null && owner === curMasterId) {
          newMaster = senderId;
          migratedOurSlots++;
        }
        moved.push(j);
        if (notClaiming?.has(j)) claimChanges.push([j, null]);
      }
    } else if (owner === senderId && notClaiming?.get(j) !== senderId) {
      claimChanges.push([j, senderId]);
    }
  };
  // A byte where the claim equals what we already give the sender (its bitmap agrees with the
  // slot table: assertInvariants), with no "not claiming" mark, changes nothing: only its claims
  // are counted. A heartbeat then costs one pass over 2,048 bytes, not 16,384 slot lookups.
  const ours = s.nodes.get(senderId)?.slots;
  const marked = markedBytes(notClaiming);
  // Without marks, aligned bitmaps are compared four bytes at a time first (a heartbeat's
  // claims are all equal words but the ones a slot move changed).
  const words = ours !== undefined && marked === null ? wordViews(slots, ours) : null;
  for (let i = 0; i < SLOT_BITMAP_BYTES; i++) {
    if (words !== null && (i & 3) === 0) {
      const w = words[0][i >> 2];
      if (w === words[1][i >> 2]) {
        senderSlots += BYTE_BITS[w & 0xff] + BYTE_BITS[(w >>> 8) & 0xff] +
          BYTE_BITS[(w >>> 16) & 0xff] + BYTE_BITS[w >>> 24];
        i += 3;
        continue;
      }
    }
    const claimed = slots[i];
    if (ours !== undefined && claimed === ours[i] && !marked?.has(i)) {
      senderSlots += BYTE_BITS[claimed];
      continue;
    }
    for (let j = i * 8; j < i * 8 + 8; j++) visit(j);
  }
  let next = s;
  if (moved.length > 0) {
    next = reassignSlots(next, senderId, moved);
    sink.todo(true, true, true);
    sink.log("debug", `Slots ${describeSlots(moved)} now served by ${senderId}`);
  }
  next = setOwnerNotClaiming(next, claimChanges);

  const me = myself(next);
  const curMaster = curMasterId === null ? undefined : next.nodes.get(curMasterId);
  if (
    newMaster !== null && curMaster !== undefined && curMaster.numSlots === 0 &&
    (cfg.allowReplicaMigration || senderSlots === migratedOurSlots)
  ) {
    sink.log(
      "notice",
      `Configuration change detected. Reconfiguring myself as a replica of ${senderId}`,
    );
    next = setMyMaster(next, senderId);
    sink.push({ kind: "replicate", masterId: senderId });
    sink.todo(true, true, true);
  } else if (isReplica(me) && me.masterId !== null) {
    const m = next.nodes.get(me.masterId);
    if (
      m !== undefined && m.masterId !== null && m.masterId !== me.id &&
      next.nodes.has(m.masterId)
    ) {
      sink.log(
        "notice",
        `I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${m.masterId}`,
      );
      const grand = m.masterId;
      next = setMyMaster(next, grand);
      sink.push({ kind: "replicate", masterId: grand });
      sink.todo(true, true, true);
    } else if (dirty.length > 0) {
      sink.push({ kind: "deleteKeysInSlots", slots: dirty });
    }
  } else if (dirty.length > 0) {
    sink.push({ kind: "deleteKeysInSlots", slots: dirty });
  }
  return next;
}

function describeSlots(slots: number[]): string {
  if (slots.length === 1) return String(slots[0]);
  return `${slots[0]}..${slots[slots.length - 1]} (${slots.length})`;
}

export function staleSlotOwner(
  s: ClusterState,
  senderId: string,
  claimed: Uint8Array,
  senderConfigEpoch: number,
): string | null {
  // Slots we already give the sender are skipped four bytes (aligned) or a byte at a time (its
  // bitmap agrees with the slot table); the rest of its claims are looked at in slot order, as
  // Redis does.
  const ours = s.nodes.get(senderId)?.slots;
  const words = ours !== undefined ? wordViews(claimed, ours) : null;
  for (let i = 0; i < SLOT_BITMAP_BYTES; i++) {
    if (words !== null && (i & 3) === 0 && (words[0][i >> 2] & ~words[1][i >> 2]) === 0) {
      i += 3;
      continue;
    }
    const others = ours === undefined ? claimed[i] : claimed[i] & ~ours[i];
    if (others === 0) continue;
    for (let k = 0; k < 8; k++) {
      if ((others & (1 << k)) === 0) continue;
      const j = i * 8 + k;
      const owner = s.slotOwner.get(j);
      if (owner === senderId || isSlotUnclaimed(s, j)) continue;
      if (s.nodes.get(owner!)!.configEpoch > senderConfigEpoch) return owner;
    }
  }
  return null;
}

/** Int32 views of two slot bitmaps, or null unless both are aligned to 4 bytes. */
function wordViews(a: Uint8Array, b: Uint8Array): [Int32Array, Int32Array] | null {
  if (a.byteOffset % 4 !== 0 || b.byteOffset % 4 !== 0) return null;
  return [
    new Int32Array(a.buffer, a.byteOffset, SLOT_BITMAP_BYTES >> 2),
    new Int32Array(b.buffer, b.byteOffset, SLOT_BITMAP_BYTES >> 2),
  ];
}

/** Bitmap byte indices holding a slot with an "owner not claiming" mark, if any. */
function markedBytes(notClaiming: ReadonlyMap<number, string> | undefined): Set<number> | null {
  if (notClaiming === undefined || notClaiming.size === 0) return null;
  const out = new Set<number>();
  for (const slot of notClaiming.keys()) out.add(slot >> 3);
  return out;
}

export function applyUpdateMessage(
  s: ClusterState,
  nodeId: string,
  reportedConfigEpoch: number,
  slots: Uint8Array,
  cfg: BusConfig,
  sink: EffectSink,
): ClusterState {
  const n = nodeId.length === 40 ? s.nodes.get(nodeId) : undefined;
  if (n === undefined) return s;
  if (n.configEpoch >= reportedConfigEpoch) return s;
  let next = s;
  if (isReplica(n)) {
    next = setNodeAsMaster(next, nodeId);
    sink.todo(true, true);
  }
  next = putNode(next, { ...next.nodes.get(nodeId)!, configEpoch: reportedConfigEpoch });
  sink.todo(true, false, true);
  return updateSlotsConfigWith(next, nodeId, reportedConfigEpoch, slots, cfg, sink);
}
