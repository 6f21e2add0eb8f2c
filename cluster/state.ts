/**
 * The cluster view of one node, as plain data, and the pure transitions on it (Redis 7.0's
 * clusterState / clusterNode and the slot, epoch, reset and cluster_state logic of cluster.c).
 *
 * Conventions:
 * - A `ClusterState` is never mutated: every transition returns a new state that shares the
 *   unchanged parts (nodes map entries, slot table) with the old one. Callers (cluster/cluster.ts
 *   today, the bus actors later) swap their reference. Transitions that can be refused by a
 *   command return `{ error }` with Redis's exact text (without the leading '-').
 * - Node flags are the bus's bit values (bus-protocol.md §4.1) so the bus can send them verbatim.
 * - Epochs are plain numbers (u64 in Redis; 2^53 is far beyond any real epoch).
 * - Invariants (checked by `assertInvariants`, and in tests after every transition): every slot
 *   has at most one owner and the owner's bitmap agrees with the slot table; exactly one node is
 *   myself; currentEpoch only grows (except CLUSTER RESET HARD) and is >= every configEpoch.
 */

export const CLUSTER_SLOTS = 16384;
export const SLOT_BITMAP_BYTES = CLUSTER_SLOTS / 8;
export const NODE_ID_LENGTH = 40;
/** Default bus port = client port + 10000 (CLUSTER_PORT_INCR). */
export const CLUSTER_PORT_INCR = 10000;
/** A restarted master stays FAIL this long after the first state update (CLUSTER_WRITABLE_DELAY). */
export const CLUSTER_WRITABLE_DELAY_MS = 2000;
export const CLUSTER_MIN_REJOIN_DELAY_MS = 500;
export const CLUSTER_MAX_REJOIN_DELAY_MS = 5000;
/** A FORGET-ed node cannot be re-added by gossip for this long (CLUSTER_BLACKLIST_TTL). */
export const CLUSTER_BLACKLIST_TTL_MS = 60_000;

/** Node flag bits, as in cluster.h and on the wire. */
export const NodeFlags = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;

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
  readonly pongReceivedMs: number;
  readonly dataReceivedMs: number;
  readonly failTimeMs: number;
  /** When the node record was created (handshake timeout). */
  readonly createdMs: number;
  readonly configEpoch: number;
  /** Whether this node has an outbound bus link (always "connected" printed for myself). */
  readonly linkState: LinkState;
  /** Slots this node claims: bit j&7 of byte j>>3, as on the bus. */
  readonly slots: Uint8Array;
  readonly numSlots: number;
  readonly replOffset: number;
  readonly failReports: readonly FailureReport[];
}

export type ClusterHealth = "ok" | "fail";

export interface ClusterState {
  readonly myselfId: string;
  /** Every known node, myself and handshake nodes included, in insertion order. */
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  readonly currentEpoch: number;
  readonly lastVoteEpoch: number;
  /** Owner id of each of the 16384 slots, or null. */
  readonly slotOwner: readonly (string | null)[];
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

const ID_RE = /^[a-z0-9]{40}$/;

/** Redis's verifyClusterNodeId: exactly 40 characters of [a-z0-9]. */
export function isValidNodeId(id: string): boolean {
  return id.length === NODE_ID_LENGTH && ID_RE.test(id);
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

/** A node record with defaults (createClusterNode). */
export function createNode(
  id: string,
  flags: number,
  nowMs: number,
  fields: Partial<ClusterNode> = {},
): ClusterNode {
  return {
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
    slots: new Uint8Array(SLOT_BITMAP_BYTES),
    numSlots: 0,
    replOffset: 0,
    failReports: [],
    ...fields,
  };
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
    slotOwner: new Array<string | null>(CLUSTER_SLOTS).fill(null),
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
  let start = -1;
  for (let i = 0; i < SLOT_BITMAP_BYTES; i++) {
    const b = bitmap[i];
    // Whole bytes inside or outside a run need no bit-by-bit look.
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
  let cur: string | null = null;
  let start = 0;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const o = j < CLUSTER_SLOTS ? s.slotOwner[j] : null;
    if (o !== cur) {
      if (cur !== null) out.push([start, j - 1, cur]);
      cur = o;
      start = j;
    }
  }
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
  const nodes = new Map(s.nodes);
  nodes.set(node.id, node);
  return { ...s, nodes };
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
  let slotOwner = s.slotOwner;
  if (del.numSlots > 0) {
    const copy = s.slotOwner.slice();
    for (let j = 0; j < CLUSTER_SLOTS; j++) if (copy[j] === id) copy[j] = null;
    slotOwner = copy;
  }
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

/** clusterAddSlot for many slots: each must be unassigned (checked by the caller). */
export function assignSlots(
  s: ClusterState,
  nodeId: string,
  slots: Iterable<number>,
): ClusterState {
  const node = s.nodes.get(nodeId);
  if (node === undefined) throw new Error(`assignSlots: unknown node ${nodeId}`);
  const slotOwner = s.slotOwner.slice();
  const bitmap = node.slots.slice();
  let numSlots = node.numSlots;
  const importing = new Map(s.importingSlotsFrom);
  let first = numSlots === 0;
  let flags = node.flags;
  for (const j of slots) {
    if (slotOwner[j] !== null) throw new Error(`assignSlots: slot ${j} is already owned`);
    slotOwner[j] = nodeId;
    bitmap[j >> 3] |= 1 << (j & 7);
    numSlots++;
    // A master getting its first slot becomes a replica-migration target if any master has
    // replicas (clusterNodeSetSlotBit).
    if (first) {
      first = false;
      if (mastersHaveReplicas(s)) flags |= NodeFlags.MIGRATE_TO;
    }
  }
  const nodes = new Map(s.nodes);
  nodes.set(nodeId, { ...node, slots: bitmap, numSlots, flags });
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
  const slotOwner = s.slotOwner.slice();
  const changed = new Map<string, { slots: Uint8Array; numSlots: number }>();
  const copyOf = (id: string) => {
    let c = changed.get(id);
    if (c === undefined) {
      const n = s.nodes.get(id)!;
      c = { slots: n.slots.slice(), numSlots: n.numSlots };
      changed.set(id, c);
    }
    return c;
  };
  for (const j of slots) {
    const owner = slotOwner[j];
    if (owner === null) continue;
    const c = copyOf(owner);
    c.slots[j >> 3] &= ~(1 << (j & 7));
    c.numSlots--;
    slotOwner[j] = null;
  }
  const t = copyOf(nodeId);
  let flags = target.flags;
  if (t.numSlots === 0 && slots.length > 0 && mastersHaveReplicas(s)) {
    // A master getting its first slot becomes a replica-migration target (clusterNodeSetSlotBit).
    flags |= NodeFlags.MIGRATE_TO;
  }
  for (const j of slots) {
    slotOwner[j] = nodeId;
    t.slots[j >> 3] |= 1 << (j & 7);
    t.numSlots++;
  }
  const nodes = new Map(s.nodes);
  for (const [id, c] of changed) nodes.set(id, { ...nodes.get(id)!, ...c });
  nodes.set(nodeId, { ...nodes.get(nodeId)!, flags });
  return { ...s, nodes, slotOwner };
}

function mastersHaveReplicas(s: ClusterState): boolean {
  for (const n of s.nodes.values()) if (isReplica(n) && n.masterId !== null) return true;
  return false;
}

/** clusterDelSlot for many slots: unassigned slots are skipped. */
export function unassignSlots(s: ClusterState, slots: Iterable<number>): ClusterState {
  const slotOwner = s.slotOwner.slice();
  const changed = new Map<string, { slots: Uint8Array; numSlots: number }>();
  for (const j of slots) {
    const owner = slotOwner[j];
    if (owner === null) continue;
    let c = changed.get(owner);
    if (c === undefined) {
      const n = s.nodes.get(owner)!;
      c = { slots: n.slots.slice(), numSlots: n.numSlots };
      changed.set(owner, c);
    }
    c.slots[j >> 3] &= ~(1 << (j & 7));
    c.numSlots--;
    slotOwner[j] = null;
  }
  const nodes = new Map(s.nodes);
  for (const [id, c] of changed) nodes.set(id, { ...nodes.get(id)!, ...c });
  return { ...s, nodes, slotOwner };
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
      if (del && s.slotOwner[slot] === null) {
        return { error: `ERR Slot ${slot} is already unassigned` };
      }
      if (!del && s.slotOwner[slot] !== null) return { error: `ERR Slot ${slot} is already busy` };
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
    slotOwner: new Array<string | null>(CLUSTER_SLOTS).fill(null),
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

/** Throws if the state breaks an invariant (cheap enough for tests and config loading). */
export function assertInvariants(s: ClusterState): void {
  const fail = (m: string): never => {
    throw new Error(`cluster state invariant violated: ${m}`);
  };
  if (s.slotOwner.length !== CLUSTER_SLOTS) fail("slot table size");
  const me = s.nodes.get(s.myselfId);
  if (me === undefined || !(me.flags & NodeFlags.MYSELF)) fail("myself missing");
  let myselves = 0;
  const counted = new Map<string, number>();
  for (const n of s.nodes.values()) {
    if (n.flags & NodeFlags.MYSELF) myselves++;
    if (n.slots.length !== SLOT_BITMAP_BYTES) fail(`bitmap size of ${n.id}`);
    counted.set(n.id, 0);
    if (n.configEpoch > s.currentEpoch) fail(`configEpoch of ${n.id} > currentEpoch`);
  }
  if (myselves !== 1) fail(`${myselves} nodes flagged myself`);
  // Owners come in runs: one node lookup per run.
  let runOwner: string | null = null;
  let runNode: ClusterNode | undefined = undefined;
  let runCount = 0;
  const endRun = () => {
    if (runOwner !== null) counted.set(runOwner, counted.get(runOwner)! + runCount);
  };
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const o = s.slotOwner[j];
    if (o !== runOwner) {
      endRun();
      runOwner = o;
      runCount = 0;
      runNode = o === null ? undefined : s.nodes.get(o);
      if (o !== null && runNode === undefined) fail(`slot ${j} owned by unknown node ${o}`);
    }
    if (o !== null) {
      if (!slotBit(runNode!.slots, j)) fail(`slot ${j}: owner ${o} bitmap disagrees`);
      runCount++;
    }
  }
  endRun();
  for (const n of s.nodes.values()) {
    const bits = bitmapCount(n.slots);
    if (bits !== n.numSlots) fail(`numSlots of ${n.id}`);
    if (bits !== counted.get(n.id)) fail(`${n.id} claims slots the table gives to others`);
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
