/**
 * Pure node-level operations the cluster-bus rules share (Redis 7.0.15 cluster.c helpers that
 * cluster/state.ts does not have): renaming a handshake node, role changes (clusterSetNodeAsMaster,
 * clusterSetMaster, replica bookkeeping with the MIGRATE_TO bit), the "owner not claiming slot"
 * bits of 7.0 (§7.4), random node names from a seeded PRNG, and small lookups.
 *
 * Extra state: two fields that ClusterState lacks are stored as optional extra properties on the
 * state object (`BusStateExtras`). Every state.ts transition copies states with `{ ...s }`, so the
 * extras survive them. `ownerNotClaimingSlot` maps slot -> the owner id that stopped claiming it;
 * an entry counts only while `slotOwner[slot]` is still that id (so slot changes made by state.ts
 * functions that do not know about it can never leave a stale bit behind).
 */

import { NodeMap } from "./node_map.ts";
import type { Prng } from "./prng.ts";
import {
  closeAllSlots,
  CLUSTER_SLOTS,
  type ClusterNode,
  type ClusterState,
  isMaster,
  isReplica,
  NodeFlags,
  replicasOf,
  slotBit,
  unassignSlots,
} from "./state.ts";

export interface BusStateExtras {
  /** owner_not_claiming_slot: slot -> owner id that no longer claims it (valid while it owns it). */
  readonly ownerNotClaimingSlot?: ReadonlyMap<number, string>;
  /** stats_pfail_nodes as counted by the last cron tick (gossip PFAIL entries wanted). */
  readonly statsPfailNodes?: number;
}

export type BusState = ClusterState & BusStateExtras;

export function extras(s: ClusterState): BusStateExtras {
  return s as BusState;
}

/** 40 lowercase hex characters drawn from `rng` (a handshake node's temporary name). */
export function randomNodeIdFrom(rng: Prng): string {
  let id = "";
  for (let i = 0; i < 40; i++) id += "0123456789abcdef"[rng.int(16)];
  return id;
}

/** isSlotUnclaimed: no owner, or the owner stopped claiming it (7.0 owner_not_claiming_slot). */
export function isSlotUnclaimed(s: ClusterState, slot: number): boolean {
  const owner = s.slotOwner.get(slot);
  if (owner === null) return true;
  return extras(s).ownerNotClaimingSlot?.get(slot) === owner;
}

/** The slots whose owner stopped claiming them (slot -> that owner), if any. */
export function ownerNotClaimingSlots(s: ClusterState): ReadonlyMap<number, string> | undefined {
  return extras(s).ownerNotClaimingSlot;
}

/** Set (owner id) or clear (null) the "owner not claiming" bit of many slots at once. */
export function setOwnerNotClaiming(
  s: ClusterState,
  changes: readonly [number, string | null][],
): ClusterState {
  if (changes.length === 0) return s;
  const cur = extras(s).ownerNotClaimingSlot;
  const m = new Map(cur ?? []);
  for (const [slot, owner] of changes) {
    if (owner === null) m.delete(slot);
    else m.set(slot, owner);
  }
  // Drop stale entries while we are here (owner changed behind our back).
  for (const [slot, owner] of m) if (s.slotOwner.get(slot) !== owner) m.delete(slot);
  return { ...s, ownerNotClaimingSlot: m } as BusState;
}

/** The node's slot bitmap without the slots its owner stopped claiming (UPDATE content). */
export function claimedSlotsBitmap(s: ClusterState, n: ClusterNode): Uint8Array {
  const out = n.slots.slice();
  const m = extras(s).ownerNotClaimingSlot;
  if (m !== undefined) {
    for (const [slot, owner] of m) {
      if (owner === n.id && s.slotOwner.get(slot) === n.id) out[slot >> 3] &= ~(1 << (slot & 7));
    }
  }
  return out;
}

/** Replace a node record (copy on write: a persistent map, cluster/node_map.ts). */
export function putNode(s: ClusterState, n: ClusterNode): ClusterState {
  return { ...s, nodes: NodeMap.with(s.nodes, [[n.id, n]]) };
}

/**
 * clusterRenameNode: the handshake node `from` takes its real name `to`, keeping its place in the
 * node order. References to `from` elsewhere (masters, reports, slots) are renamed too.
 */
export function renameNode(s: ClusterState, from: string, to: string): ClusterState {
  const old = s.nodes.get(from);
  if (old === undefined) throw new Error(`renameNode: unknown node ${from}`);
  if (s.nodes.has(to)) throw new Error(`renameNode: ${to} already known`);
  const nodes = new Map<string, ClusterNode>();
  for (const n of s.nodes.values()) {
    if (n.id === from) {
      nodes.set(to, { ...n, id: to });
      continue;
    }
    let m = n;
    if (m.masterId === from) m = { ...m, masterId: to };
    if (m.failReports.some((r) => r.reporterId === from)) {
      m = {
        ...m,
        failReports: m.failReports.map((r) => r.reporterId === from ? { ...r, reporterId: to } : r),
      };
    }
    nodes.set(m.id, m);
  }
  let slotOwner = s.slotOwner;
  if (old.numSlots > 0) slotOwner = s.slotOwner.replaceOwner(from, to);
  return { ...s, nodes, slotOwner };
}

/** clusterNodeRemoveSlave side effect: a master left with no replicas loses MIGRATE_TO. */
function afterReplicaRemoved(s: ClusterState, masterId: string | null): ClusterState {
  if (masterId === null) return s;
  const m = s.nodes.get(masterId);
  if (m === undefined) return s;
  if (replicasOf(s, masterId).length === 0 && (m.flags & NodeFlags.MIGRATE_TO)) {
    return putNode(s, { ...m, flags: m.flags & ~NodeFlags.MIGRATE_TO });
  }
  return s;
}

/** clusterNodeAddSlave side effect: a master with a replica is a migration target. */
function afterReplicaAdded(s: ClusterState, masterId: string): ClusterState {
  const m = s.nodes.get(masterId);
  if (m === undefined || (m.flags & NodeFlags.MIGRATE_TO)) return s;
  return putNode(s, { ...m, flags: m.flags | NodeFlags.MIGRATE_TO });
}

/**
 * clusterSetNodeAsMaster: a node we saw as a replica now acts as a master. Returns the state
 * unchanged (same object) if it already is a master.
 */
export function setNodeAsMaster(s: ClusterState, id: string): ClusterState {
  const n = s.nodes.get(id)!;
  if (isMaster(n)) return s;
  let flags = (n.flags & ~NodeFlags.SLAVE) | NodeFlags.MASTER;
  const oldMaster = n.masterId;
  if (oldMaster !== null && id !== s.myselfId) flags |= NodeFlags.MIGRATE_TO;
  let next = putNode(s, { ...n, flags, masterId: null });
  next = afterReplicaRemoved(next, oldMaster);
  return next;
}

/**
 * A master we know turned into a replica (§5.8 step 9): it loses its slots and MIGRATE_TO, gets
 * SLAVE. The master link is set separately by `setReplicaMaster`.
 */
export function demoteToReplica(s: ClusterState, id: string): ClusterState {
  const n = s.nodes.get(id)!;
  let next = s;
  if (n.numSlots > 0) {
    const slots: number[] = [];
    for (let j = 0; j < CLUSTER_SLOTS; j++) if (slotBit(n.slots, j)) slots.push(j);
    next = unassignSlots(next, slots);
  }
  const m = next.nodes.get(id)!;
  return putNode(next, {
    ...m,
    flags: (m.flags & ~(NodeFlags.MASTER | NodeFlags.MIGRATE_TO)) | NodeFlags.SLAVE,
  });
}

/** Point replica `id` at `masterId` (clusterNodeRemoveSlave + clusterNodeAddSlave). */
export function setReplicaMaster(s: ClusterState, id: string, masterId: string): ClusterState {
  const n = s.nodes.get(id)!;
  if (n.masterId === masterId) return s;
  const old = n.masterId;
  let next = putNode(s, { ...n, masterId });
  next = afterReplicaRemoved(next, old);
  next = afterReplicaAdded(next, masterId);
  return next;
}

/**
 * clusterSetMaster: myself becomes a replica of `masterId` (myself must own no slots). A master
 * loses MASTER/MIGRATE_TO, gains SLAVE and closes its open slots.
 */
export function setMyMaster(s: ClusterState, masterId: string): ClusterState {
  const me = s.nodes.get(s.myselfId)!;
  if (masterId === s.myselfId) throw new Error("setMyMaster: cannot replicate myself");
  if (me.numSlots !== 0) throw new Error("setMyMaster: myself still owns slots");
  let next = s;
  if (isMaster(me)) {
    next = putNode(next, {
      ...me,
      flags: (me.flags & ~(NodeFlags.MASTER | NodeFlags.MIGRATE_TO)) | NodeFlags.SLAVE,
    });
    next = closeAllSlots(next);
  }
  return setReplicaMaster(next, s.myselfId, masterId);
}

/** The node whose slots/configEpoch a node advertises: its master if a replica with a known one. */
export function masterOrSelf(s: ClusterState, n: ClusterNode): ClusterNode | null {
  if (isMaster(n)) return n;
  if (isReplica(n) && n.masterId !== null) return s.nodes.get(n.masterId) ?? null;
  return null;
}

/**
 * Compare two 2048-byte bitmaps: by int32 words when both views are aligned (every packet's
 * claims are compared with the sender's record, a quarter of the steps), else byte by byte.
 */
export function sameBitmap(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0 && a.length % 4 === 0) {
    const wa = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
    const wb = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Nodes a broadcast goes to (clusterBroadcastMessage): all but myself and HANDSHAKE nodes. */
export function broadcastTargetIds(s: ClusterState): string[] {
  const out: string[] = [];
  for (const n of s.nodes.values()) {
    if (n.flags & (NodeFlags.MYSELF | NodeFlags.HANDSHAKE)) continue;
    out.push(n.id);
  }
  return out;
}
