/**
 * The cluster view of one node, as plain data, and the pure transitions on it (Redis 7.0's
 * clusterState / clusterNode and the slot, epoch, reset and cluster_state logic of cluster.c).
 *
 * Conventions:
 * - A `ClusterState` is never mutated: every transition returns a new state that shares the
 *   unchanged parts (nodes map entries, the chunks of the slot table: cluster/slot_table.ts) with
 *   the old one. Callers (cluster/cluster.ts
 *   today, the bus actors later) swap their reference. Transitions that can be refused by a
 *   command return `{ error }` with Redis's exact text (without the leading '-').
 * - Node flags are the bus's bit values (docs/cluster-bus.md §4.1) so the bus can send them verbatim.
 * - Epochs are plain numbers (u64 in Redis; 2^53 is far beyond any real epoch).
 * - Invariants (checked by `assertInvariants`, and in tests after every transition; a command's
 *   new state is checked by `assertInvariantsSince`, for the slots and nodes it changed): every slot
 *   has at most one owner and the owner's bitmap agrees with the slot table; exactly one node is
 *   myself; currentEpoch only grows (except CLUSTER RESET HARD) and is >= every configEpoch.
 */

import { SlotTable } from "./slot_table.ts";
import { NodeMap, someValue } from "./node_map.ts";
import { internSlots, NO_SLOTS } from "./slot_bitmap_intern.ts";
import { NodeFlags } from "./node_flags.ts";
import { type LinkClock, linkProjectionError, openPeerLink } from "./peer_link.ts";
import type { LinkState as PeerLink } from "../actors/link_state.ts";

export { SlotTable };

import { CLUSTER_SLOTS } from "../protocol/slot.ts";
import {
  CLUSTER_PORT_INCR,
  DEFAULT_NODE_TIMEOUT_MS,
  SLOT_BITMAP_BYTES,
} from "../protocol/bus_constants.ts";

/** Defined once in protocol/ (slot.ts, bus_constants.ts); exported here for the cluster code. */
export { CLUSTER_PORT_INCR, CLUSTER_SLOTS, SLOT_BITMAP_BYTES };
export const NODE_ID_LENGTH = 40;
/** A restarted master stays FAIL this long after the first state update (CLUSTER_WRITABLE_DELAY). */
export const CLUSTER_WRITABLE_DELAY_MS = 2000;
export const CLUSTER_MIN_REJOIN_DELAY_MS = 500;
export const CLUSTER_MAX_REJOIN_DELAY_MS = 5000;
/** A FORGET-ed node cannot be re-added by gossip for this long (CLUSTER_BLACKLIST_TTL). */
export const CLUSTER_BLACKLIST_TTL_MS = 60_000;

/** Node flag bits, as in cluster.h and on the wire (defined in cluster/node_flags.ts). */
export { NodeFlags };

/** The printable flags in CLUSTER NODES order (MEET and MIGRATE_TO are never printed). */
export const PRINTED_FLAGS: readonly [number, string][] = [
  [NodeFlags.MYSELF, "myself"],
  [NodeFlags.MASTER, "master"],
  [NodeFlags.SLAVE, "slave"],
  [NodeFlags.PFAIL, "fail?"],
  [NodeFlags.FAIL, "fail"],
  [NodeFlags.HANDSHAKE, "handshake"],
  [NodeFlags.NOADDR, "noaddr"],
  [NodeFlags.NOFAILOVER, "nofailover"],
];

export type LinkState = "connected" | "disconnected";

export interface FailureReport {
  reporterId: string;
  timeMs: number;
}

export interface ClusterNode {
  /** 40 lowercase hex characters. */
  readonly id: string;
  readonly ip: string;
  readonly port: number;
  /** Cluster bus port. */
  readonly cport: number;
  /** Plaintext port in TLS clusters; 0 otherwise. */
  readonly pport: number;
  /** Announced hostname, "" when none. */
  readonly hostname: string;
  /** NodeFlags bits. */
  readonly flags: number;
  /** The master's id for a replica, else null. */
  readonly masterId: string | null;
  readonly pingSentMs: number;
  /** With `dataReceivedMs`, also written in place (cluster/bus_receive.ts setHeartbeatTime). */
  readonly pongReceivedMs: number;
  readonly dataReceivedMs: number;
  readonly failTimeMs: number;
  /** When the node record was created (handshake timeout). */
  readonly createdMs: number;
  readonly configEpoch: number;
  /**
   * Whether this node has an outbound bus link (always "connected" printed for myself). With the
   * HANDSHAKE, PFAIL and FAIL flags, what `link` says (cluster/peer_link.ts).
   */
  readonly linkState: LinkState;
  /** The peer's link machine (actors/link_state.ts); myself's never moves. */
  readonly link: PeerLink;
  /** Slots this node claims: bit j&7 of byte j>>3, as on the bus. */
  readonly slots: Uint8Array;
  readonly numSlots: number;
  readonly replOffset: number;
  readonly failReports: readonly FailureReport[];
}

/**
 * The reports of a node nobody reported (shared by every such record: a record per pair of nodes
 * held an empty array of its own, and the gossip of every packet reads its length).
 */
export const NO_FAIL_REPORTS: readonly FailureReport[] = Object.freeze([]);

export type ClusterHealth = "ok" | "fail";

export interface ClusterState {
  readonly myselfId: string;
  /** Every known node, myself and handshake nodes included, in insertion order. */
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  readonly currentEpoch: number;
  readonly lastVoteEpoch: number;
  /** Owner id of each of the 16384 slots, or null (`slotOwner.get(slot)`). */
  readonly slotOwner: SlotTable;
  /** Open slots of this node: slot -> target / source node id. */
  readonly migratingSlotsTo: ReadonlyMap<number, string>;
  readonly importingSlotsFrom: ReadonlyMap<number, string>;
  readonly health: ClusterHealth;
  /** Masters serving at least one slot (cluster_size); 1 until the first real update. */
  readonly size: number;
  /** clusterUpdateState's statics: time of its first call and of the last minority verdict. */
  readonly firstUpdateMs: number;
  readonly amongMinorityMs: number;
  /** FORGET blacklist: node id -> time (ms) until which it may not be re-added. */
  readonly blacklist: ReadonlyMap<string, number>;
}

export type Result = { state: ClusterState } | { error: string };

// ---------------------------------------------------------------------------------------------
// Node helpers

/** Redis's verifyClusterNodeId: exactly 40 characters of [a-z0-9]. */
export function isValidNodeId(id: string): boolean {
  if (id.length !== NODE_ID_LENGTH) return false;
  // A loop, not a regex: this runs for every gossip entry received.
  for (let i = 0; i < NODE_ID_LENGTH; i++) {
    const c = id.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** 40 random lowercase hex characters (a new node name). */
export function randomNodeId(): string {
  const b = new Uint8Array(NODE_ID_LENGTH);
  crypto.getRandomValues(b);
  let s = "";
  for (let i = 0; i < NODE_ID_LENGTH; i++) s += "0123456789abcdef"[b[i] & 15];
  return s;
}

export function hasFlag(node: ClusterNode, flag: number): boolean {
  return (node.flags & flag) !== 0;
}

export function isMaster(node: ClusterNode): boolean {
  return (node.flags & NodeFlags.MASTER) !== 0;
}

export function isReplica(node: ClusterNode): boolean {
  return (node.flags & NodeFlags.SLAVE) !== 0;
}

export function isFailed(node: ClusterNode): boolean {
  return (node.flags & NodeFlags.FAIL) !== 0;
}

export function isTimedOut(node: ClusterNode): boolean {
  return (node.flags & NodeFlags.PFAIL) !== 0;
}

export function slotBit(bitmap: Uint8Array, slot: number): boolean {
  return (bitmap[slot >> 3] & (1 << (slot & 7))) !== 0;
}

/**
 * A node record with defaults (createClusterNode), its link opened from what it says at `clock`
 * (cluster/peer_link.ts). Without `clock` (the pure rules' tests, nodes.conf loading, myself) the
 * link's timers run on the wall clock `nowMs` with the default node timeout; a running node passes
 * its own, and opens every link again on it when its bus starts (cluster/bus_node.ts `start`).
 */
export function createNode(
  id: string,
  flags: number,
  nowMs: number,
  fields: Partial<Omit<ClusterNode, "link">> = {},
  clock: LinkClock = { timerNowMs: nowMs, nodeTimeoutMs: DEFAULT_NODE_TIMEOUT_MS },
): ClusterNode {
  const record: Omit<ClusterNode, "link"> = {
    id,
    ip: "",
    port: 0,
    cport: 0,
    pport: 0,
    hostname: "",
    flags,
    masterId: null,
    pingSentMs: 0,
    pongReceivedMs: 0,
    dataReceivedMs: nowMs,
    failTimeMs: 0,
    createdMs: nowMs,
    configEpoch: 0,
    linkState: "disconnected",
    slots: NO_SLOTS,
    numSlots: 0,
    replOffset: 0,
    failReports: NO_FAIL_REPORTS,
    ...fields,
  };
  return openPeerLink<ClusterNode>(record, nowMs, clock);
}

/** A brand-new cluster view: only myself, a master with no slots, all epochs 0. */
export function createState(myselfId: string, nowMs: number): ClusterState {
  if (!isValidNodeId(myselfId)) throw new Error(`invalid node id ${myselfId}`);
  const me = createNode(myselfId, NodeFlags.MYSELF | NodeFlags.MASTER, nowMs, {
    linkState: "connected",
  });
  return {
    myselfId,
    nodes: new Map([[myselfId, me]]),
    currentEpoch: 0,
    lastVoteEpoch: 0,
    slotOwner: SlotTable.empty(),
    migratingSlotsTo: new Map(),
    importingSlotsFrom: new Map(),
    health: "fail",
    size: 1,
    firstUpdateMs: 0,
    amongMinorityMs: 0,
    blacklist: new Map(),
  };
}

export function myself(s: ClusterState): ClusterNode {
  const me = s.nodes.get(s.myselfId);
  if (me === undefined) throw new Error("cluster state without myself");
  return me;
}

/** clusterLookupNode: only well-formed ids can be found. */
export function lookupNode(s: ClusterState, id: string): ClusterNode | undefined {
  if (id.length !== NODE_ID_LENGTH) return undefined;
  return s.nodes.get(id);
}

/** Replicas of a master, in node order. */
export function replicasOf(s: ClusterState, masterId: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const n of s.nodes.values()) if (n.masterId === masterId && isReplica(n)) out.push(n);
  return out;
}

/** The epoch CLUSTER NODES prints and the bus sends: a replica shows its master's. */
export function effectiveConfigEpoch(s: ClusterState, n: ClusterNode): number {
  if (isReplica(n) && n.masterId !== null) {
    const m = s.nodes.get(n.masterId);
    if (m !== undefined) return m.configEpoch;
  }
  return n.configEpoch;
}

/** Contiguous slot ranges [start, end] of a node, ascending. */
export function slotRanges(n: ClusterNode): [number, number][] {
  const out: [number, number][] = [];
  if (n.numSlots === 0) return out;
  const bitmap = n.slots;
  // Whole words (then bytes) inside or outside a run need no bit-by-bit look: a reshard prints
  // the ranges of each bitmap it makes (nodes.conf), mostly long runs.
  const words = bitmap.byteOffset % 4 === 0
    ? new Int32Array(bitmap.buffer, bitmap.byteOffset, SLOT_BITMAP_BYTES >> 2)
    : null;
  let start = -1;
  for (let i = 0; i < SLOT_BITMAP_BYTES; i++) {
    if (words !== null && (i & 3) === 0) {
      const w = words[i >> 2];
      if ((w === -1 && start !== -1) || (w === 0 && start === -1)) {
        i += 3;
        continue;
      }
    }
    const b = bitmap[i];
    if (b === 0xff && start !== -1) continue;
    if (b === 0 && start === -1) continue;
    for (let k = 0; k < 8; k++) {
      const bit = (b & (1 << k)) !== 0;
      if (bit && start === -1) start = i * 8 + k;
      else if (!bit && start !== -1) {
        out.push([start, i * 8 + k - 1]);
        start = -1;
      }
    }
  }
  if (start !== -1) out.push([start, CLUSTER_SLOTS - 1]);
  return out;
}

/** Set bits in each byte value (popcount table). */
export const BYTE_BITS = Uint8Array.from({ length: 256 }, (_, v) => {
  let c = 0;
  for (let x = v; x !== 0; x &= x - 1) c++;
  return c;
});

/** Number of set bits of a slot bitmap. */
export function bitmapCount(bitmap: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < bitmap.length; i++) c += BYTE_BITS[bitmap[i]];
  return c;
}

/** Contiguous runs of the slot table with one owner: [start, end, ownerId], ascending. */
export function ownerRuns(s: ClusterState): [number, number, string][] {
  const out: [number, number, string][] = [];
  s.slotOwner.forEachRun((start, end, o) => {
    if (o !== null) out.push([start, end, o]);
  });
  return out;
}

/** clusterGetMaxEpoch: the largest configEpoch known, or currentEpoch if larger. */
export function maxEpoch(s: ClusterState): number {
  let max = 0;
  for (const n of s.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
  return Math.max(max, s.currentEpoch);
}

// ---------------------------------------------------------------------------------------------
// Structural updates (copy on write)

function withNode(s: ClusterState, node: ClusterNode): ClusterState {
  return { ...s, nodes: NodeMap.with(s.nodes, [[node.id, node]]) };
}

/** Replace one node's fields. */
export function updateNode(s: ClusterState, id: string, patch: Partial<ClusterNode>): ClusterState {
  const n = s.nodes.get(id);
  if (n === undefined) throw new Error(`updateNode: unknown node ${id}`);
  return withNode(s, { ...n, ...patch, id });
}

/** Add a node (clusterAddNode). The id must be new. */
export function addNode(s: ClusterState, node: ClusterNode): ClusterState {
  if (s.nodes.has(node.id)) throw new Error(`addNode: ${node.id} already known`);
  return withNode(s, node);
}

/**
 * clusterDelNode: unassign its slots, close open slots that point at it, drop failure reports it
 * made, unlink its replicas, and remove it. Myself cannot be deleted.
 */
export function deleteNode(s: ClusterState, id: string): ClusterState {
  if (id === s.myselfId) throw new Error("deleteNode: cannot delete myself");
  const del = s.nodes.get(id);
  if (del === undefined) return s;
  const slotOwner = del.numSlots > 0 ? s.slotOwner.replaceOwner(id, null) : s.slotOwner;
  const migratingSlotsTo = new Map([...s.migratingSlotsTo].filter(([, t]) => t !== id));
  const importingSlotsFrom = new Map([...s.importingSlotsFrom].filter(([, t]) => t !== id));
  const nodes = new Map<string, ClusterNode>();
  for (const n of s.nodes.values()) {
    if (n.id === id) continue;
    let m = n;
    if (m.failReports.some((r) => r.reporterId === id)) {
      m = { ...m, failReports: m.failReports.filter((r) => r.reporterId !== id) };
    }
    if (m.masterId === id) m = { ...m, masterId: null };
    nodes.set(m.id, m);
  }
  return { ...s, nodes, slotOwner, migratingSlotsTo, importingSlotsFrom };
}

// ---------------------------------------------------------------------------------------------
// Slots

/**
 * Editable copies of the slot bitmaps a slot transition changes, by node id, each made on first
 * touch (bitmapCopy) and written back as new node records by `withBitmapCopies`.
 */
type BitmapCopies = Map<string, { slots: Uint8Array; numSlots: number }>;

function bitmapCopy(s: ClusterState, copies: BitmapCopies, id: string) {
  let c = copies.get(id);
  if (c === undefined) {
    const n = s.nodes.get(id)!;
    c = { slots: n.slots.slice(), numSlots: n.numSlots };
    copies.set(id, c);
  }
  return c;
}

/**
 * clusterDelSlot's bitmap half, on the copies: each assigned slot's bit cleared in its owner's
 * copy. Returns the slots cleared (unassigned ones skipped, one listed twice cleared once).
 */
function clearOwnerBits(s: ClusterState, copies: BitmapCopies, slots: Iterable<number>): number[] {
  const cleared: number[] = [];
  for (const j of slots) {
    const owner = s.slotOwner.get(j);
    if (owner === null) continue;
    const c = bitmapCopy(s, copies, owner);
    const bit = 1 << (j & 7);
    if ((c.slots[j >> 3] & bit) === 0) continue; // a slot listed twice
    c.slots[j >> 3] &= ~bit;
    c.numSlots--;
    cleared.push(j);
  }
  return cleared;
}

/** The nodes with the copies' bitmaps (interned) and numSlots; `flags` also set on `flagsOf`. */
function withBitmapCopies(
  s: ClusterState,
  copies: BitmapCopies,
  flagsOf?: { id: string; flags: number },
): ClusterState["nodes"] {
  return NodeMap.with(
    s.nodes,
    [...copies].map(([id, c]): [string, ClusterNode] => {
      const n = s.nodes.get(id)!;
      // One object shape for every record (a conditional spread made V8 deoptimise here).
      const flags = id === flagsOf?.id ? flagsOf.flags : n.flags;
      return [id, { ...n, slots: internSlots(c.slots), numSlots: c.numSlots, flags }];
    }),
  );
}

/** clusterAddSlot for many slots: each must be unassigned (checked by the caller). */
export function assignSlots(
  s: ClusterState,
  nodeId: string,
  slots: Iterable<number>,
): ClusterState {
  const node = s.nodes.get(nodeId);
  if (node === undefined) throw new Error(`assignSlots: unknown node ${nodeId}`);
  const added: number[] = [];
  const copies: BitmapCopies = new Map();
  const t = bitmapCopy(s, copies, nodeId);
  const importing = new Map(s.importingSlotsFrom);
  let first = t.numSlots === 0;
  let flags = node.flags;
  for (const j of slots) {
    if (s.slotOwner.get(j) !== null || slotBit(t.slots, j)) {
      throw new Error(`assignSlots: slot ${j} is already owned`);
    }
    added.push(j);
    t.slots[j >> 3] |= 1 << (j & 7);
    t.numSlots++;
    // A master getting its first slot becomes a replica-migration target if any master has
    // replicas (clusterNodeSetSlotBit).
    if (first) {
      first = false;
      if (mastersHaveReplicas(s)) flags |= NodeFlags.MIGRATE_TO;
    }
  }
  const nodes = withBitmapCopies(s, copies, { id: nodeId, flags });
  const slotOwner = s.slotOwner.withOwner(added, nodeId);
  return { ...s, nodes, slotOwner, importingSlotsFrom: importing };
}

/**
 * `assignSlots(unassignSlots(s, slots), nodeId, slots)` with one copy of the slot table and of
 * each bitmap involved (a slot move: SETSLOT NODE, a newer claim from gossip).
 */
export function reassignSlots(
  s: ClusterState,
  nodeId: string,
  slots: readonly number[],
): ClusterState {
  const target = s.nodes.get(nodeId);
  if (target === undefined) throw new Error(`reassignSlots: unknown node ${nodeId}`);
  const copies: BitmapCopies = new Map();
  clearOwnerBits(s, copies, slots);
  const t = bitmapCopy(s, copies, nodeId);
  let flags = target.flags;
  if (t.numSlots === 0 && slots.length > 0 && mastersHaveReplicas(s)) {
    // A master getting its first slot becomes a replica-migration target (clusterNodeSetSlotBit).
    flags |= NodeFlags.MIGRATE_TO;
  }
  for (const j of slots) {
    const bit = 1 << (j & 7);
    if ((t.slots[j >> 3] & bit) !== 0) continue; // a slot listed twice
    t.slots[j >> 3] |= bit;
    t.numSlots++;
  }
  const slotOwner = s.slotOwner.withOwner(slots, nodeId);
  const nodes = withBitmapCopies(s, copies, { id: nodeId, flags });
  return { ...s, nodes, slotOwner };
}

/** Whether some replica has a master (clusterNodeSetSlotBit's loop over the masters' replicas). */
function mastersHaveReplicas(s: ClusterState): boolean {
  return someValue(s.nodes, isAttachedReplica);
}

function isAttachedReplica(n: ClusterNode): boolean {
  return isReplica(n) && n.masterId !== null;
}

/** clusterDelSlot for many slots: unassigned slots are skipped. */
export function unassignSlots(s: ClusterState, slots: Iterable<number>): ClusterState {
  const copies: BitmapCopies = new Map();
  const cleared = clearOwnerBits(s, copies, slots);
  if (cleared.length === 0) return s;
  const nodes = withBitmapCopies(s, copies);
  return { ...s, nodes, slotOwner: s.slotOwner.withOwner(cleared, null) };
}

/**
 * Validate CLUSTER ADDSLOTS/DELSLOTS(RANGE) ranges against the slot table
 * (checkSlotAssignmentsOrReply): "busy"/"unassigned" first, then duplicates, range by range.
 * Returns the slots to change, ascending, or Redis's error.
 */
export function checkSlotAssignments(
  s: ClusterState,
  ranges: [number, number][],
  del: boolean,
): { slots: number[] } | { error: string } {
  const seen = new Uint8Array(CLUSTER_SLOTS);
  for (const [start, end] of ranges) {
    for (let slot = start; slot <= end; slot++) {
      if (del && s.slotOwner.get(slot) === null) {
        return { error: `ERR Slot ${slot} is already unassigned` };
      }
      if (!del && s.slotOwner.get(slot) !== null) {
        return { error: `ERR Slot ${slot} is already busy` };
      }
      if (seen[slot]++ === 1) return { error: `ERR Slot ${slot} specified multiple times` };
    }
  }
  const slots: number[] = [];
  for (let j = 0; j < CLUSTER_SLOTS; j++) if (seen[j]) slots.push(j);
  return { slots };
}

/** clusterUpdateSlots: ADDSLOTS (to myself) or DELSLOTS of validated slots; clears importing. */
export function updateSlots(s: ClusterState, slots: number[], del: boolean): ClusterState {
  let importing = s.importingSlotsFrom;
  if (slots.some((j) => importing.has(j))) {
    const m = new Map(importing);
    for (const j of slots) m.delete(j);
    importing = m;
  }
  const next = { ...s, importingSlotsFrom: importing };
  return del ? unassignSlots(next, slots) : assignSlots(next, s.myselfId, slots);
}

/** CLUSTER ADDSLOTS / ADDSLOTSRANGE. */
/**
 * How a CLUSTER ADDSLOTS / DELSLOTS result is saved (commands/cluster.ts, and the simulator's
 * operator): fsynced before the OK. Redis 7.0 only saves there (CLUSTER_TODO_SAVE_CONFIG); a
 * claim lost to a power cut is one the other nodes keep honouring while the node, which never
 * hears its own slots from them, never takes it back (`deno task sim --seed 144`).
 */
export const SLOT_ASSIGNMENT_SAVE = { fsync: true } as const;

export function addSlots(s: ClusterState, ranges: [number, number][]): Result {
  const r = checkSlotAssignments(s, ranges, false);
  if ("error" in r) return r;
  return { state: updateSlots(s, r.slots, false) };
}

/** CLUSTER DELSLOTS / DELSLOTSRANGE. */
export function delSlots(s: ClusterState, ranges: [number, number][]): Result {
  const r = checkSlotAssignments(s, ranges, true);
  if ("error" in r) return r;
  return { state: updateSlots(s, r.slots, true) };
}

/** clusterDelNodeSlots(myself) (CLUSTER FLUSHSLOTS; the caller checks the db is empty). */
export function flushSlots(s: ClusterState, nodeId = s.myselfId): ClusterState {
  const n = s.nodes.get(nodeId)!;
  const slots: number[] = [];
  for (let j = 0; j < CLUSTER_SLOTS; j++) if (slotBit(n.slots, j)) slots.push(j);
  return unassignSlots(s, slots);
}

/** clusterCloseAllSlots. */
export function closeAllSlots(s: ClusterState): ClusterState {
  if (s.migratingSlotsTo.size === 0 && s.importingSlotsFrom.size === 0) return s;
  return { ...s, migratingSlotsTo: new Map(), importingSlotsFrom: new Map() };
}

export function setMigrating(s: ClusterState, slot: number, targetId: string | null): ClusterState {
  const m = new Map(s.migratingSlotsTo);
  if (targetId === null) m.delete(slot);
  else m.set(slot, targetId);
  return { ...s, migratingSlotsTo: m };
}

export function setImporting(s: ClusterState, slot: number, sourceId: string | null): ClusterState {
  const m = new Map(s.importingSlotsFrom);
  if (sourceId === null) m.delete(slot);
  else m.set(slot, sourceId);
  return { ...s, importingSlotsFrom: m };
}

// ---------------------------------------------------------------------------------------------
// Epochs

/** CLUSTER SET-CONFIG-EPOCH (validated with Redis's texts). */
export function setConfigEpoch(s: ClusterState, epoch: number): Result {
  if (epoch < 0) return { error: `ERR Invalid config epoch specified: ${epoch}` };
  if (s.nodes.size > 1) {
    return {
      error:
        "ERR The user can assign a config epoch only when the node does not know any other node.",
    };
  }
  const me = myself(s);
  if (me.configEpoch !== 0) return { error: "ERR Node config epoch is already non-zero" };
  const next = updateNode(s, s.myselfId, { configEpoch: epoch });
  return { state: { ...next, currentEpoch: Math.max(s.currentEpoch, epoch) } };
}

/**
 * clusterBumpConfigEpochWithoutConsensus: if myself's configEpoch is 0 or not the largest known,
 * currentEpoch += 1 and configEpoch = currentEpoch ("BUMPED"); otherwise nothing ("STILL").
 */
export function bumpEpoch(s: ClusterState): { state: ClusterState; bumped: boolean } {
  const me = myself(s);
  const max = maxEpoch(s);
  if (me.configEpoch === 0 || me.configEpoch !== max) {
    const currentEpoch = s.currentEpoch + 1;
    const next = updateNode(s, s.myselfId, { configEpoch: currentEpoch });
    return { state: { ...next, currentEpoch }, bumped: true };
  }
  return { state: s, bumped: false };
}

// ---------------------------------------------------------------------------------------------
// Reset

/**
 * clusterReset: become a master (a replica's data is dropped by the caller), close open slots,
 * unassign every slot, forget every other node. HARD also zeroes the epochs and takes `newId`.
 */
export function reset(s: ClusterState, hard: boolean, newId: string, nowMs: number): ClusterState {
  let me = myself(s);
  let flags = me.flags;
  if (flags & NodeFlags.SLAVE) {
    flags = (flags & ~NodeFlags.SLAVE) | NodeFlags.MASTER;
  }
  me = {
    ...me,
    flags,
    masterId: null,
    slots: new Uint8Array(SLOT_BITMAP_BYTES),
    numSlots: 0,
    failReports: [],
  };
  let next: ClusterState = {
    ...s,
    nodes: new Map([[me.id, me]]),
    slotOwner: SlotTable.empty(),
    migratingSlotsTo: new Map(),
    importingSlotsFrom: new Map(),
  };
  if (hard) {
    if (!isValidNodeId(newId)) throw new Error(`reset: invalid node id ${newId}`);
    const renamed: ClusterNode = { ...me, id: newId, configEpoch: 0, createdMs: nowMs };
    next = {
      ...next,
      myselfId: newId,
      nodes: new Map([[newId, renamed]]),
      currentEpoch: 0,
      lastVoteEpoch: 0,
    };
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// cluster_state

export interface UpdateStateOptions {
  requireFullCoverage: boolean;
  nodeTimeoutMs: number;
}

/**
 * clusterUpdateState: ok when every slot is served by a non-FAIL node (if full coverage is
 * required) and a majority of slot-owning masters is reachable; with Redis's delays: a master
 * stays FAIL for CLUSTER_WRITABLE_DELAY after the first call, and after being in the minority it
 * waits the rejoin delay (node timeout clamped to 500..5000 ms) before turning OK.
 */
export function updateClusterState(
  s: ClusterState,
  nowMs: number,
  opts: UpdateStateOptions,
): ClusterState {
  const firstUpdateMs = s.firstUpdateMs === 0 ? nowMs : s.firstUpdateMs;
  const me = myself(s);
  if (isMaster(me) && s.health === "fail" && nowMs - firstUpdateMs < CLUSTER_WRITABLE_DELAY_MS) {
    return firstUpdateMs === s.firstUpdateMs ? s : { ...s, firstUpdateMs };
  }
  let health: ClusterHealth = "ok";
  if (opts.requireFullCoverage) {
    // Every slot has an owner that is not FAIL iff the slots of the non-FAIL nodes add up to
    // all of them: each slot has one owner, counted in its numSlots (assertInvariants).
    let served = 0;
    for (const n of s.nodes.values()) if (!isFailed(n)) served += n.numSlots;
    if (served !== CLUSTER_SLOTS) health = "fail";
  }
  let size = 0;
  let reachable = 0;
  for (const n of s.nodes.values()) {
    if (isMaster(n) && n.numSlots > 0) {
      size++;
      if ((n.flags & (NodeFlags.FAIL | NodeFlags.PFAIL)) === 0) reachable++;
    }
  }
  let amongMinorityMs = s.amongMinorityMs;
  if (reachable < Math.floor(size / 2) + 1) {
    health = "fail";
    amongMinorityMs = nowMs;
  }
  if (health !== s.health) {
    const rejoinDelay = Math.min(
      CLUSTER_MAX_REJOIN_DELAY_MS,
      Math.max(CLUSTER_MIN_REJOIN_DELAY_MS, opts.nodeTimeoutMs),
    );
    if (health === "ok" && isMaster(me) && nowMs - amongMinorityMs < rejoinDelay) {
      health = s.health;
    }
  }
  if (
    health === s.health && size === s.size && firstUpdateMs === s.firstUpdateMs &&
    amongMinorityMs === s.amongMinorityMs
  ) return s;
  return { ...s, health, size, firstUpdateMs, amongMinorityMs };
}

// ---------------------------------------------------------------------------------------------
// Blacklist (FORGET)

export function blacklistAdd(s: ClusterState, id: string, nowMs: number): ClusterState {
  const b = new Map(s.blacklist);
  b.set(id, nowMs + CLUSTER_BLACKLIST_TTL_MS);
  return { ...s, blacklist: b };
}

export function blacklistCleanup(s: ClusterState, nowMs: number): ClusterState {
  let expired = false;
  for (const t of s.blacklist.values()) if (t < nowMs) expired = true;
  if (!expired) return s;
  return { ...s, blacklist: new Map([...s.blacklist].filter(([, t]) => t >= nowMs)) };
}

export function blacklistHas(s: ClusterState, id: string, nowMs: number): boolean {
  const t = s.blacklist.get(id);
  return t !== undefined && t >= nowMs;
}

// ---------------------------------------------------------------------------------------------
// Invariants

function invariantViolated(m: string): never {
  throw new Error(`cluster state invariant violated: ${m}`);
}

/** The checks of every node: myself, bitmap sizes, configEpoch <= currentEpoch (O(nodes)). */
function assertNodeInvariants(s: ClusterState): void {
  const fail = invariantViolated;
  if (s.slotOwner.length !== CLUSTER_SLOTS) fail("slot table size");
  const me = s.nodes.get(s.myselfId);
  if (me === undefined || !(me.flags & NodeFlags.MYSELF)) fail("myself missing");
  let myselves = 0;
  for (const n of s.nodes.values()) {
    if (n.flags & NodeFlags.MYSELF) myselves++;
    if (n.slots.length !== SLOT_BITMAP_BYTES) fail(`bitmap size of ${n.id}`);
    if (n.configEpoch > s.currentEpoch) fail(`configEpoch of ${n.id} > currentEpoch`);
    const linkError = linkProjectionError(n);
    if (linkError !== null) fail(`${n.id}: ${linkError}`);
  }
  if (myselves !== 1) fail(`${myselves} nodes flagged myself`);
}

/**
 * Throws if the state breaks an invariant: the whole slot table against every bitmap (~0.1 ms;
 * for tests, the simulator and config loading; commands use `assertInvariantsSince`).
 */
export function assertInvariants(s: ClusterState): void {
  const fail = invariantViolated;
  assertNodeInvariants(s);
  const counted = new Map<string, number>();
  for (const n of s.nodes.values()) counted.set(n.id, 0);
  // Owners come in runs: one node lookup per run.
  s.slotOwner.forEachRun((start, end, o) => {
    if (o === null) return;
    const node = s.nodes.get(o);
    if (node === undefined) fail(`slot ${start} owned by unknown node ${o}`);
    for (let j = start; j <= end; j++) {
      if (!slotBit(node!.slots, j)) fail(`slot ${j}: owner ${o} bitmap disagrees`);
    }
    counted.set(o, counted.get(o)! + end - start + 1);
  });
  for (const n of s.nodes.values()) {
    const bits = bitmapCount(n.slots);
    if (bits !== n.numSlots) fail(`numSlots of ${n.id}`);
    if (bits !== counted.get(n.id)) fail(`${n.id} claims slots the table gives to others`);
  }
}

/**
 * `assertInvariants(next)` for a `next` derived from a `prev` that holds them, looking only at
 * what changed (the cost of a command's change, not of 16384 slots): every node's own checks,
 * then the slots whose owner changed in the table (chunks shared with `prev` are skipped) or
 * whose bit changed in a node's bitmap (bitmaps shared with `prev` are skipped): each such slot
 * has the owner the table names, that owner's bit set and no other node's; each changed bitmap
 * counts its numSlots. A new myself (RESET HARD) gets the full check.
 */
export function assertInvariantsSince(prev: ClusterState, next: ClusterState): void {
  if (prev.myselfId !== next.myselfId) return assertInvariants(next);
  const fail = invariantViolated;
  assertNodeInvariants(next);
  const slots = new Set<number>();
  prev.slotOwner.forEachChange(next.slotOwner, (j) => slots.add(j));
  const bitsChanged = (id: string, a: Uint8Array, b: Uint8Array, numDelta: number) => {
    let delta = 0;
    // Four bytes at a time where both bitmaps are aligned (a fresh bitmap always is).
    const words = a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0;
    const wa = words ? new Int32Array(a.buffer, a.byteOffset, SLOT_BITMAP_BYTES / 4) : null;
    const wb = words ? new Int32Array(b.buffer, b.byteOffset, SLOT_BITMAP_BYTES / 4) : null;
    for (let i = 0; i < SLOT_BITMAP_BYTES; i++) {
      if (wa !== null && (i & 3) === 0 && wa[i >> 2] === wb![i >> 2]) {
        i += 3;
        continue;
      }
      const x = a[i];
      const y = b[i];
      if (x === y) continue;
      delta += BYTE_BITS[y] - BYTE_BITS[x];
      for (let d = x ^ y, k = 0; d !== 0; d >>= 1, k++) if (d & 1) slots.add(i * 8 + k);
    }
    if (delta !== numDelta) fail(`numSlots of ${id}`);
  };
  const none = NO_SLOTS;
  for (const n of next.nodes.values()) {
    const p = prev.nodes.get(n.id);
    if (p === undefined) bitsChanged(n.id, none, n.slots, n.numSlots);
    else if (p.slots !== n.slots) bitsChanged(n.id, p.slots, n.slots, n.numSlots - p.numSlots);
    else if (p.numSlots !== n.numSlots) fail(`numSlots of ${n.id}`);
  }
  for (const p of prev.nodes.values()) {
    if (!next.nodes.has(p.id) && p.numSlots > 0) bitsChanged(p.id, p.slots, none, -p.numSlots);
  }
  for (const j of slots) {
    const o = next.slotOwner.get(j);
    if (o !== null) {
      const owner = next.nodes.get(o);
      if (owner === undefined) fail(`slot ${j} owned by unknown node ${o}`);
      if (!slotBit(owner!.slots, j)) fail(`slot ${j}: owner ${o} bitmap disagrees`);
    }
    for (const n of next.nodes.values()) {
      if (n.id !== o && slotBit(n.slots, j)) fail(`${n.id} claims slots the table gives to others`);
    }
  }
}

/** Throws if `next` lowered an epoch relative to `prev` (allowed only by RESET HARD). */
export function assertEpochsGrow(prev: ClusterState, next: ClusterState): void {
  if (next.currentEpoch < prev.currentEpoch) {
    throw new Error(`currentEpoch went down: ${prev.currentEpoch} -> ${next.currentEpoch}`);
  }
  if (next.lastVoteEpoch < prev.lastVoteEpoch) {
    throw new Error(`lastVoteEpoch went down: ${prev.lastVoteEpoch} -> ${next.lastVoteEpoch}`);
  }
}
