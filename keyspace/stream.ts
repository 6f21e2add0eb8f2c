/**
 * The stream value type, kept as Redis 7.0 keeps it (t_stream.c, stream.h): entries live in
 * listpack nodes keyed by a master ID (the rax of 128-bit big-endian IDs is a sorted array of
 * nodes here), each node opening with its master entry
 *   count | deleted | num-fields | field_1 .. field_N | 0
 * followed by entries
 *   flags | ms-diff | seq-diff | [num-fields | fields...] | values... | lp-count
 * (the field names are left out when they equal the master's: STREAM_ITEM_FLAG_SAMEFIELDS), a
 * deleted entry only flagged (STREAM_ITEM_FLAG_DELETED). Nodes are split on
 * stream-node-max-bytes / stream-node-max-entries and trimmed whole with `~`, so XINFO's
 * radix-tree keys/nodes and DUMP's bytes are Redis's.
 *
 * Also: the stream's last/first/max-deleted IDs and entries-added counter, consumer groups (their
 * last-delivered ID, entries-read counter and the 7.0 lag estimate), the global and per-consumer
 * pending entries lists (PEL) and consumers with their seen-time; stream IDs and their argument
 * parsing (streamGenericParseIDOrReply). IDs are two unsigned 64-bit halves held as bigints.
 *
 * Pure data structure: no replies, no keyspace.
 */

import { Listpack, LISTPACK_MAX_BYTES } from "./stream_listpack.ts";

// ------------------------------------------------------------------------------------ IDs

/** A stream entry ID: milliseconds and sequence, each an unsigned 64-bit integer. */
export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export const U64_MAX = 0xffffffffffffffffn;
export const ZERO_ID: StreamId = { ms: 0n, seq: 0n };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };

/** streamCompareID. */
export function cmpId(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms > b.ms ? 1 : -1;
  if (a.seq !== b.seq) return a.seq > b.seq ? 1 : -1;
  return 0;
}

export function idIsZero(id: StreamId): boolean {
  return id.ms === 0n && id.seq === 0n;
}

/** "<ms>-<seq>", as replies and propagated commands show an ID. */
export function idText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** streamIncrID: the next ID, or null past the largest (Redis then wraps to 0-0 and fails). */
export function incrId(id: StreamId): StreamId | null {
  if (id.seq === U64_MAX) {
    if (id.ms === U64_MAX) return null;
    return { ms: id.ms + 1n, seq: 0n };
  }
  return { ms: id.ms, seq: id.seq + 1n };
}

/** streamDecrID: the previous ID, or null before 0-0. */
export function decrId(id: StreamId): StreamId | null {
  if (id.seq === 0n) {
    if (id.ms === 0n) return null;
    return { ms: id.ms - 1n, seq: U64_MAX };
  }
  return { ms: id.ms, seq: id.seq - 1n };
}

const SAFE = 0x1fffffffffffffn;

/** The two 32-bit halves of a uint64. */
function halves(v: bigint): [number, number] {
  if (v <= SAFE) {
    // The usual case (IDs of this era): double arithmetic is exact and cheaper.
    const n = Number(v);
    return [Math.floor(n / 4294967296), n % 4294967296];
  }
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/**
 * streamEncodeID: the 16-byte big-endian form (a binary string), the key of rax nodes and PELs;
 * string order is ID order. Built in one piece (a flat string hashes and compares fast).
 */
export function idKey(id: StreamId): string {
  const [a, b] = halves(id.ms);
  const [c, d] = halves(id.seq);
  return String.fromCharCode(
    a >>> 24,
    (a >>> 16) & 255,
    (a >>> 8) & 255,
    a & 255,
    b >>> 24,
    (b >>> 16) & 255,
    (b >>> 8) & 255,
    b & 255,
    c >>> 24,
    (c >>> 16) & 255,
    (c >>> 8) & 255,
    c & 255,
    d >>> 24,
    (d >>> 16) & 255,
    (d >>> 8) & 255,
    d & 255,
  );
}

function u64OfKey(k: string, at: number): bigint {
  const hi = ((k.charCodeAt(at) << 24) | (k.charCodeAt(at + 1) << 16) |
    (k.charCodeAt(at + 2) << 8) | k.charCodeAt(at + 3)) >>> 0;
  const lo = ((k.charCodeAt(at + 4) << 24) | (k.charCodeAt(at + 5) << 16) |
    (k.charCodeAt(at + 6) << 8) | k.charCodeAt(at + 7)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** streamDecodeID. */
export function idOfKey(k: string): StreamId {
  return { ms: u64OfKey(k, 0), seq: u64OfKey(k, 8) };
}

/** The ID `delta` past `base` with Redis's uint64 wrap-around (master ID + listpack diffs). */
function addWrapped(base: StreamId, msDiff: bigint, seqDiff: bigint): StreamId {
  return { ms: BigInt.asUintN(64, base.ms + msDiff), seq: BigInt.asUintN(64, base.seq + seqDiff) };
}

const SPACE = new Set([32, 9, 10, 11, 12, 13]);

/**
 * string2ull: string2ll first (strict; a negative value fails), else strtoull(10) over the whole
 * C string, which takes leading white space, a sign (a '-' negates modulo 2^64) and leading
 * zeros, and fails on overflow or trailing bytes.
 */
function string2ull(b: Uint8Array): bigint | null {
  const n = b.length;
  if (n === 0) return null;
  const strict = strictInt64(b);
  if (strict !== null) return strict < 0n ? null : strict;
  let p = 0;
  while (p < n && SPACE.has(b[p])) p++;
  let neg = false;
  if (p < n && (b[p] === 43 || b[p] === 45)) {
    neg = b[p] === 45;
    p++;
  }
  const digits = p;
  let v = 0n;
  for (; p < n; p++) {
    const c = b[p] - 48;
    if (c < 0 || c > 9) break;
    v = v * 10n + BigInt(c);
  }
  if (p === digits || p !== n) return null; // no conversion, or bytes left over
  if (v > U64_MAX) return null; // ERANGE
  return neg ? BigInt.asUintN(64, -v) : v;
}

/** string2ll (util.c): strict base 10, at most 20 bytes, no "-0", no leading zeros. */
function strictInt64(b: Uint8Array): bigint | null {
  const n = b.length;
  if (n === 0 || n >= 21) return null;
  if (n === 1 && b[0] === 48) return 0n;
  let p = 0;
  let neg = false;
  if (b[0] === 45) {
    neg = true;
    p = 1;
    if (n === 1) return null;
  }
  if (b[p] < 49 || b[p] > 57) return null;
  let v = 0n;
  for (; p < n; p++) {
    const c = b[p] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10n + BigInt(c);
  }
  if (neg) v = -v;
  return v < -9223372036854775808n || v > 9223372036854775807n ? null : v;
}

/** The bytes of `b` before its first NUL (how Redis's C string functions see an argument). */
export function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z === -1 ? b : b.subarray(0, z);
}

/** A parsed ID argument; `seqGiven` false for XADD's "<ms>-*" form. */
export interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply: "-" (0-0) and "+" (max) unless `strict`, "<ms>" (sequence
 * `missingSeq`), "<ms>-<seq>", and with `allowSeqStar` "<ms>-*". Null when invalid ("ERR Invalid
 * stream ID specified as stream command argument").
 */
export function parseStreamId(
  arg: Uint8Array,
  missingSeq: bigint,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  if (arg.length > 127) return null;
  const b = cString(arg);
  if (b.length === 1 && (b[0] === 45 || b[0] === 43)) {
    if (strict) return null;
    return { id: b[0] === 45 ? ZERO_ID : MAX_ID, seqGiven: true };
  }
  const dash = b.indexOf(45);
  const msPart = dash === -1 ? b : b.subarray(0, dash);
  const ms = string2ull(msPart);
  if (ms === null) return null;
  if (dash === -1) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const seqPart = b.subarray(dash + 1);
  if (allowSeqStar && seqPart.length === 1 && seqPart[0] === 42) {
    return { id: { ms, seq: 0n }, seqGiven: false };
  }
  const seq = string2ull(seqPart);
  if (seq === null) return null;
  return { id: { ms, seq }, seqGiven: true };
}

// ------------------------------------------------------------------------------- nodes

/** Entry flags (t_stream.c STREAM_ITEM_FLAG_*). */
export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

/** One rax node: the listpack of entries delta-encoded against `master`. */
export interface StreamNode {
  master: StreamId;
  /** idKey(master): the rax key. */
  key: string;
  lp: Listpack;
}

/** An entry as read from a node (field/value bytes are views, valid until the next write). */
export interface NodeEntry {
  id: StreamId;
  flags: number;
  /** Listpack offset of the flags element (to mark the entry deleted). */
  flagsPos: number;
  fields: Uint8Array[];
  values: Uint8Array[];
}

/** A node's master fields and the offset of its first entry (-1: none). */
function nodeMaster(node: StreamNode): { fields: Uint8Array[]; first: number } {
  const lp = node.lp;
  let p = lp.first(); // count
  p = lp.next(p); // deleted
  p = lp.next(p); // master num-fields
  const n = lp.getSmall(p);
  const fields: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    p = lp.next(p);
    fields.push(lp.getBytes(p));
  }
  p = lp.next(p); // the master entry's 0 terminator
  return { fields, first: lp.next(p) };
}

/** The entry whose flags are at `p`; `next`: the following entry's offset (-1: none). */
function entryAt(
  node: StreamNode,
  masterFields: Uint8Array[],
  p: number,
): { entry: NodeEntry; next: number } {
  const lp = node.lp;
  const flagsPos = p;
  const flags = lp.getSmall(p);
  p = lp.next(p);
  const msDiff = lp.getInt(p);
  p = lp.next(p);
  const seqDiff = lp.getInt(p);
  p = lp.next(p);
  let fields = masterFields;
  const values: Uint8Array[] = [];
  if (flags & FLAG_SAMEFIELDS) {
    for (let i = 0; i < masterFields.length; i++) {
      values.push(lp.getBytes(p));
      p = lp.next(p);
    }
  } else {
    const n = lp.getSmall(p);
    p = lp.next(p);
    fields = [];
    for (let i = 0; i < n; i++) {
      fields.push(lp.getBytes(p));
      p = lp.next(p);
      values.push(lp.getBytes(p));
      p = lp.next(p);
    }
  }
  const entry = { id: addWrapped(node.master, msDiff, seqDiff), flags, flagsPos, fields, values };
  return { entry, next: lp.next(p) }; // past the lp-count
}

/**
 * A node's entries one at a time (streamIteratorGetID), deleted ones included, forwards or
 * backwards (each entry's lp-count leads back to its flags).
 */
export function* nodeEntries(node: StreamNode, rev: boolean): Generator<NodeEntry> {
  const { fields, first } = nodeMaster(node);
  if (first === -1) return;
  const lp = node.lp;
  if (!rev) {
    for (let p = first; p !== -1;) {
      const { entry, next } = entryAt(node, fields, p);
      yield entry;
      p = next;
    }
    return;
  }
  for (let last = lp.last(); last !== -1 && last >= first;) {
    let p = last;
    for (let n = lp.getSmall(last); n > 0; n--) p = lp.prev(p);
    yield entryAt(node, fields, p).entry;
    last = lp.prev(p);
  }
}

/** Every entry of a node, deleted ones included, in ID order. */
export function readNode(node: StreamNode): NodeEntry[] {
  return [...nodeEntries(node, false)];
}

/** The master entry's live-entries counter (the listpack's first element). */
function nodeCount(node: StreamNode): number {
  return node.lp.getSmall(node.lp.first());
}

/** The master entry's deleted-entries counter. */
function nodeDeleted(node: StreamNode): number {
  const lp = node.lp;
  return lp.getSmall(lp.next(lp.first()));
}

/**
 * lpGetEdgeStreamID: the first or last entry's ID of a node, deleted or not (null when the node
 * holds no entry).
 */
function nodeEdgeId(node: StreamNode, first: boolean): StreamId | null {
  const lp = node.lp;
  let p: number;
  if (first) {
    p = lp.next(lp.next(lp.first()));
    const masterCount = lp.getSmall(p);
    for (let i = 0; i < masterCount; i++) p = lp.next(p);
    p = lp.next(p); // the 0 terminator
    p = lp.next(p);
    if (p === -1) return null;
  } else {
    p = lp.last();
    let lpCount = lp.getSmall(p);
    if (lpCount === 0) return null;
    while (lpCount--) p = lp.prev(p);
  }
  p = lp.next(p); // flags -> ms-diff
  const msDiff = lp.getInt(p);
  const seqDiff = lp.getInt(lp.next(p));
  return addWrapped(node.master, msDiff, seqDiff);
}

/**
 * raxSize/numnodes of Redis's rax holding these 16-byte keys (sorted, distinct): the canonical
 * compressed radix tree, where a node stands at the root, at every key, at every branching
 * prefix and at every child of a branching node; chains of single-child non-key positions are
 * one compressed node.
 */
export function raxNodeCount(keys: readonly string[]): number {
  if (keys.length === 0) return 1;
  // Iterative over (lo, hi, depth): keys[lo, hi) share a node standing at prefix length `depth`.
  let total = 0;
  const stack: [number, number, number][] = [[0, keys.length, 0]];
  while (stack.length !== 0) {
    const [lo, hi, depth0] = stack.pop()!;
    total++;
    let depth = depth0;
    // Keys are all 16 bytes: a key ends here only at depth 16 (a leaf).
    if (depth >= keys[lo].length) continue;
    if (countChildren(keys, lo, hi, depth) === 1) {
      // A compressed node: follow the chain while a single child continues.
      depth++;
      while (depth < keys[lo].length && countChildren(keys, lo, hi, depth) === 1) depth++;
      // The chain ends at a leaf (depth 16) or at a branching position: a node of its own.
      stack.push([lo, hi, depth]);
      continue;
    }
    let start = lo;
    for (let i = lo + 1; i <= hi; i++) {
      if (i === hi || keys[i].charCodeAt(depth) !== keys[start].charCodeAt(depth)) {
        stack.push([start, i, depth + 1]);
        start = i;
      }
    }
  }
  return total;
}

function countChildren(keys: readonly string[], lo: number, hi: number, depth: number): number {
  let n = 1;
  for (let i = lo + 1; i < hi; i++) {
    if (keys[i].charCodeAt(depth) !== keys[i - 1].charCodeAt(depth)) n++;
  }
  return n;
}

// ------------------------------------------------------------------------ PEL, groups

/** streamNACK: one pending entry. */
export interface Nack {
  id: StreamId;
  /** Last delivery, ms since the epoch. */
  deliveryTime: number;
  /** Deliveries so far (uint64 in Redis; shown as a signed long long). */
  deliveryCount: bigint;
  /** The owner; null only while a FORCE claim or an RDB load is building the entry. */
  consumer: Consumer | null;
}

/** Most keys one chunk of a PEL's sorted key list holds (then it splits). */
const PEL_CHUNK = 256;

/**
 * A PEL: nacks by ID, in ID order (a rax keyed by the 16-byte ID in Redis). The keys are kept in
 * sorted chunks, so an insert or a removal anywhere (XACK of the oldest entry, a claim) moves at
 * most one chunk, and a seek is two binary searches.
 */
export class Pel {
  /** Sorted, non-empty chunks of sorted keys. */
  private readonly chunks: string[][] = [];
  private readonly map = new Map<string, Nack>();

  get size(): number {
    return this.map.size;
  }

  get(key: string): Nack | undefined {
    return this.map.get(key);
  }

  /** Index of the chunk that holds (or would hold) `key`. */
  private chunkFor(key: string): number {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cs[mid][0] <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : lo - 1;
  }

  /** The first key >= `key` (`strict`: > `key`), or undefined. */
  private seek(key: string, strict: boolean): string | undefined {
    const cs = this.chunks;
    for (let c = this.chunkFor(key); c < cs.length; c++) {
      const ks = cs[c];
      let lo = 0;
      let hi = ks.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (strict ? ks[mid] <= key : ks[mid] < key) lo = mid + 1;
        else hi = mid;
      }
      if (lo < ks.length) return ks[lo];
    }
    return undefined;
  }

  /** The first key >= `key`. */
  ceilKey(key: string): string | undefined {
    return this.seek(key, false);
  }

  /** The first key > `key`. */
  higherKey(key: string): string | undefined {
    return this.seek(key, true);
  }

  firstKey(): string | undefined {
    return this.chunks.length === 0 ? undefined : this.chunks[0][0];
  }

  lastKey(): string | undefined {
    const last = this.chunks[this.chunks.length - 1];
    return last === undefined ? undefined : last[last.length - 1];
  }

  /** raxTryInsert: false (and nothing changes) when `key` is already there. */
  tryInsert(key: string, nack: Nack): boolean {
    if (this.map.has(key)) return false;
    this.map.set(key, nack);
    const cs = this.chunks;
    const tail = cs[cs.length - 1];
    if (tail === undefined || tail[tail.length - 1] < key) {
      // Appends (new deliveries come in ID order) fill chunks up and open new ones.
      if (tail === undefined || tail.length >= PEL_CHUNK) cs.push([key]);
      else tail.push(key);
      return true;
    }
    const c = this.chunkFor(key);
    const ks = cs[c];
    if (ks[ks.length - 1] < key) ks.push(key);
    else {
      let lo = 0;
      let hi = ks.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ks[mid] < key) lo = mid + 1;
        else hi = mid;
      }
      ks.splice(lo, 0, key);
    }
    if (ks.length > PEL_CHUNK) cs.splice(c + 1, 0, ks.splice(ks.length >>> 1));
    return true;
  }

  /** raxInsert: add or replace. */
  set(key: string, nack: Nack): void {
    if (!this.tryInsert(key, nack)) this.map.set(key, nack);
  }

  remove(key: string): boolean {
    if (!this.map.delete(key)) return false;
    const c = this.chunkFor(key);
    const ks = this.chunks[c];
    if (ks[0] === key) ks.shift();
    else ks.splice(ks.indexOf(key), 1);
    if (ks.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  /** Entries from the first key >= `from`, in ID order (safe while other keys change). */
  *from(from: string): IterableIterator<[string, Nack]> {
    for (let k = this.ceilKey(from); k !== undefined; k = this.higherKey(k)) {
      const nack = this.map.get(k);
      if (nack !== undefined) yield [k, nack];
    }
  }

  *entries(): IterableIterator<[string, Nack]> {
    for (const ks of this.chunks) for (const k of ks) yield [k, this.map.get(k)!];
  }
}

/** streamConsumer. */
export interface Consumer {
  /** Binary string. */
  name: string;
  /** Last interaction (seen-time), ms since the epoch. */
  seenTime: number;
  pel: Pel;
}

/** SCG_INVALID_ENTRIES_READ: the group's entries-read counter is unknown. */
export const ENTRIES_READ_INVALID = -1n;

/** streamCG. */
export class ConsumerGroup {
  readonly pel = new Pel();
  readonly consumers = new Map<string, Consumer>();

  constructor(
    public lastId: StreamId,
    /** Logical read counter of lastId, or ENTRIES_READ_INVALID. */
    public entriesRead: bigint,
  ) {}

  /** Consumers by name in rax (byte) order. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.keys()].sort().map((k) => this.consumers.get(k)!);
  }

  /** streamLookupConsumer (`refreshAt`: the seen-time to set, SLC_DEFAULT; null: SLC_NO_REFRESH). */
  lookupConsumer(name: string, refreshAt: number | null): Consumer | undefined {
    const c = this.consumers.get(name);
    if (c !== undefined && refreshAt !== null) c.seenTime = refreshAt;
    return c;
  }

  /** streamCreateConsumer: undefined when it exists already. */
  createConsumer(name: string, nowMs: number): Consumer | undefined {
    if (this.consumers.has(name)) return undefined;
    const c: Consumer = { name, seenTime: nowMs, pel: new Pel() };
    this.consumers.set(name, c);
    return c;
  }

  /** streamDelConsumer: its pending entries leave the group PEL too. */
  deleteConsumer(c: Consumer): void {
    for (const [k] of c.pel.entries()) this.pel.remove(k);
    this.consumers.delete(c.name);
  }

  /** XACK of one ID: true when it was pending. */
  ack(key: string): boolean {
    const nack = this.pel.get(key);
    if (nack === undefined) return false;
    this.pel.remove(key);
    nack.consumer?.pel.remove(key);
    return true;
  }
}

// ----------------------------------------------------------------------------- stream

/** Node limits (stream-node-max-bytes, stream-node-max-entries). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** XADD/XTRIM trimming (streamAddTrimArgs). */
export interface TrimArgs {
  strategy: "maxlen" | "minid";
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** Most entries to remove (0: no limit). */
  limit: number;
}

export type AppendResult = StreamId | "EDOM" | "ERANGE";

export class Stream {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  /** Rax nodes, by master ID. */
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = ZERO_ID;
  /** The first live entry's ID (0-0 when empty), as the stream records it. */
  firstId: StreamId = ZERO_ID;
  maxDeletedId: StreamId = ZERO_ID;
  /** Entries ever added (uint64 in Redis). */
  entriesAdded = 0n;
  /** Consumer groups by name (null until the first one: s->cgroups). */
  groups: Map<string, ConsumerGroup> | null = null;

  // ------------------------------------------------------------ nodes

  /** Index of the last node whose key is <= `key`, or -1. */
  private nodeAtOrBefore(key: string): number {
    const ns = this.nodes;
    let lo = 0;
    let hi = ns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ns[mid].key <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** XINFO radix-tree-nodes. */
  raxNodes(): number {
    return raxNodeCount(this.nodes.map((n) => n.key));
  }

  /**
   * Entries in [start, end] (streamIterator), forwards or backwards; deleted ones only when
   * `skipTombstones` is false. The entry objects are views: read them before writing.
   */
  *range(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    skipTombstones = true,
  ): Generator<NodeEntry> {
    const ns = this.nodes;
    if (ns.length === 0) return;
    const startKey = idKey(start);
    const endKey = idKey(end);
    if (!rev) {
      let i = this.nodeAtOrBefore(startKey);
      if (i < 0) i = 0;
      for (; i < ns.length; i++) {
        if (ns[i].key > endKey) return;
        for (const e of nodeEntries(ns[i], false)) {
          if (skipTombstones && (e.flags & FLAG_DELETED)) continue;
          const c0 = cmpId(e.id, start);
          if (c0 < 0) continue;
          if (cmpId(e.id, end) > 0) return;
          yield e;
        }
      }
    } else {
      let i = this.nodeAtOrBefore(endKey);
      if (i < 0) i = ns.length - 1;
      for (; i >= 0; i--) {
        for (const e of nodeEntries(ns[i], true)) {
          if (skipTombstones && (e.flags & FLAG_DELETED)) continue;
          if (cmpId(e.id, end) > 0) continue;
          if (cmpId(e.id, start) < 0) return;
          yield e;
        }
      }
    }
  }

  /** The first entries in [start, end] (at most `count`; 0 = all). */
  collect(start: StreamId, end: StreamId, rev: boolean, count: number): NodeEntry[] {
    const out: NodeEntry[] = [];
    for (const e of this.range(start, end, rev)) {
      out.push(e);
      if (count !== 0 && out.length === count) break;
    }
    return out;
  }

  /** streamGetEdgeID: the first or last entry's ID (MAX/ZERO when there is none). */
  edgeId(first: boolean, skipTombstones: boolean): StreamId {
    for (const e of this.range(ZERO_ID, MAX_ID, !first, skipTombstones)) return e.id;
    return first ? MAX_ID : ZERO_ID;
  }

  /** streamLastValidID. */
  lastValidId(): StreamId {
    return this.edgeId(false, true);
  }

  /** streamEntryExists. */
  entryExists(id: StreamId): boolean {
    for (const _ of this.range(id, id, false)) return true;
    return false;
  }

  /**
   * streamAppendItem: add an entry of `fieldValues` (field, value, field, value...) with `useId`
   * (null: generated from `nowMs`; `seqGiven` false: "<ms>-*"). EDOM: the ID is not above the
   * top item (or the sequence is exhausted); ERANGE: the elements are too large.
   */
  append(
    fieldValues: Uint8Array[],
    useId: StreamId | null,
    seqGiven: boolean,
    nowMs: number,
    limits: NodeLimits,
  ): AppendResult {
    let id: StreamId;
    const last = this.lastId;
    if (useId !== null) {
      if (seqGiven) id = useId;
      else if (last.ms === useId.ms) {
        // 7.0.15 fails here without setting errno: XADD then says the elements are too large.
        if (last.seq === U64_MAX) return "ERANGE";
        id = { ms: last.ms, seq: last.seq + 1n };
      } else id = useId;
    } else {
      const ms = BigInt(nowMs);
      id = ms > last.ms ? { ms, seq: 0n } : (incrId(last) ?? ZERO_ID);
    }
    if (cmpId(id, last) <= 0) return "EDOM";

    let totalBytes = 0;
    for (const b of fieldValues) totalBytes += b.length;
    if (totalBytes > LISTPACK_MAX_BYTES) return "ERANGE";
    const numFields = fieldValues.length / 2;

    let node: StreamNode | null = this.nodes.length === 0
      ? null
      : this.nodes[this.nodes.length - 1];
    if (node !== null) {
      const maxBytes = limits.maxBytes === 0 || limits.maxBytes > LISTPACK_MAX_BYTES
        ? LISTPACK_MAX_BYTES
        : limits.maxBytes;
      let full = node.lp.bytes + totalBytes >= maxBytes;
      // Live and deleted entries both count.
      if (!full && limits.maxEntries !== 0) {
        full = nodeCount(node) + nodeDeleted(node) >= limits.maxEntries;
      }
      if (full) {
        node.lp.shrinkToFit();
        node = null;
      }
    }

    let flags = 0;
    if (node === null) {
      const lp = Listpack.empty(128);
      lp.appendInt(1); // one entry: the one being added
      lp.appendInt(0); // none deleted
      lp.appendInt(numFields);
      for (let i = 0; i < numFields; i++) lp.append(fieldValues[i * 2]);
      lp.appendInt(0); // the master entry's terminator
      node = { master: id, key: idKey(id), lp };
      this.nodes.push(node);
      flags |= FLAG_SAMEFIELDS;
    } else {
      const lp = node.lp;
      let p = lp.first();
      lp.replaceInt(p, lp.getInt(p) + 1n);
      p = lp.next(lp.next(p)); // master num-fields
      const masterCount = lp.getSmall(p);
      if (masterCount === numFields) {
        let i = 0;
        for (; i < masterCount; i++) {
          p = lp.next(p);
          if (!lp.equals(p, fieldValues[i * 2])) break;
        }
        if (i === masterCount) flags |= FLAG_SAMEFIELDS;
      }
    }
    const lp = node.lp;
    const master = node.master;
    lp.appendInt(flags);
    lp.appendInt(BigInt.asIntN(64, id.ms - master.ms));
    lp.appendInt(BigInt.asIntN(64, id.seq - master.seq));
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    if (!same) lp.appendInt(numFields);
    for (let i = 0; i < numFields; i++) {
      if (!same) lp.append(fieldValues[i * 2]);
      lp.append(fieldValues[i * 2 + 1]);
    }
    lp.appendInt(numFields + 3 + (same ? 0 : numFields + 1));

    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
    return id;
  }

  /** streamIteratorRemoveEntry for the entry `e` of node `i`. */
  private removeEntry(i: number, e: NodeEntry): void {
    const node = this.nodes[i];
    const lp = node.lp;
    lp.replaceInt(e.flagsPos, e.flags | FLAG_DELETED);
    const p = lp.first();
    const count = lp.getInt(p);
    if (count === 1n) this.nodes.splice(i, 1);
    else {
      lp.replaceInt(p, count - 1n);
      const q = lp.next(p);
      lp.replaceInt(q, lp.getInt(q) + 1n);
    }
    this.length--;
  }

  /** streamDeleteItem: true when a live entry `id` was there (and is now deleted). */
  deleteEntry(id: StreamId): boolean {
    const i = this.nodeAtOrBefore(idKey(id));
    if (i < 0) return false;
    for (const e of readNode(this.nodes[i])) {
      if (cmpId(e.id, id) !== 0) continue;
      if (e.flags & FLAG_DELETED) return false;
      this.removeEntry(i, e);
      return true;
    }
    return false;
  }

  /** XDEL's bookkeeping after its deletions: the max-deleted ID and the first ID. */
  afterDeletes(deletedIds: StreamId[], firstDeleted: boolean): void {
    for (const id of deletedIds) if (cmpId(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    if (deletedIds.length === 0) return;
    if (this.length === 0) this.firstId = ZERO_ID;
    else if (firstDeleted) this.firstId = this.edgeId(true, true);
  }

  /** streamTrim: removes entries from the head; returns how many. */
  trim(args: TrimArgs): number {
    const { strategy, maxlen, minid, approx, limit } = args;
    let deleted = 0;
    while (this.nodes.length !== 0) {
      if (strategy === "maxlen" && this.length <= maxlen) break;
      const node = this.nodes[0];
      const lp = node.lp;
      const entries = Number(lp.getInt(lp.first()));
      if (limit !== 0 && deleted + entries > limit) break;
      let removeNode: boolean;
      if (strategy === "maxlen") removeNode = this.length - entries >= maxlen;
      else {
        const lastId = nodeEdgeId(node, false) ?? node.master;
        removeNode = cmpId(lastId, minid) < 0;
      }
      if (removeNode) {
        this.nodes.shift();
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (approx) break;
      // Mark entries deleted from the head of this node (`shift`: bytes moved by the writes).
      let deletedFromLp = 0;
      let shift = 0;
      for (const e of readNode(node)) {
        const stop = strategy === "maxlen" ? this.length <= maxlen : cmpId(e.id, minid) >= 0;
        if (stop) break;
        if (!(e.flags & FLAG_DELETED)) {
          shift += lp.replaceInt(e.flagsPos + shift, e.flags | FLAG_DELETED);
          deletedFromLp++;
          this.length--;
        }
      }
      deleted += deletedFromLp;
      let p = lp.first();
      lp.replaceInt(p, entries - deletedFromLp);
      p = lp.next(p);
      lp.replaceInt(p, lp.getInt(p) + BigInt(deletedFromLp));
      break;
    }
    this.firstId = this.length === 0 ? ZERO_ID : this.edgeId(true, true);
    return deleted;
  }

  // ------------------------------------------------------------ groups

  /** streamLookupCG. */
  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** streamCreateCG: undefined when the name is taken. */
  createGroup(name: string, lastId: StreamId, entriesRead: bigint): ConsumerGroup | undefined {
    if (this.groups === null) this.groups = new Map();
    if (this.groups.has(name)) return undefined;
    const g = new ConsumerGroup(lastId, entriesRead);
    this.groups.set(name, g);
    return g;
  }

  /** Group names in rax (byte) order. */
  groupNames(): string[] {
    return this.groups === null ? [] : [...this.groups.keys()].sort();
  }

  /** streamRangeHasTombstones over [start, end] (null: unbounded). */
  rangeHasTombstones(start: StreamId | null, end: StreamId | null): boolean {
    const md = this.maxDeletedId;
    if (this.length === 0 || idIsZero(md)) return false;
    if (cmpId(this.firstId, md) > 0) return false;
    const s = start ?? ZERO_ID;
    const e = end ?? MAX_ID;
    return cmpId(s, md) <= 0 && cmpId(md, e) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or invalid. */
  estimateDistance(id: StreamId): bigint {
    if (this.entriesAdded === 0n) return 0n;
    if (this.length === 0 && cmpId(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = cmpId(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return ENTRIES_READ_INVALID;
    const cmpFirst = cmpId(id, this.firstId);
    const md = this.maxDeletedId;
    if (idIsZero(md) || cmpId(md, this.firstId) < 0) {
      if (cmpFirst < 0) return this.entriesAdded - BigInt(this.length);
      if (cmpFirst === 0) return this.entriesAdded - BigInt(this.length) + 1n;
    }
    return ENTRIES_READ_INVALID;
  }

  /** streamReplyWithCGLag's value: the group's lag, or null when it cannot be known. */
  groupLag(g: ConsumerGroup): bigint | null {
    if (this.entriesAdded === 0n) return 0n;
    if (g.entriesRead !== ENTRIES_READ_INVALID && !this.rangeHasTombstones(g.lastId, null)) {
      return BigInt.asIntN(64, this.entriesAdded) - g.entriesRead;
    }
    const read = this.estimateDistance(g.lastId);
    if (read === ENTRIES_READ_INVALID) return null;
    return BigInt.asIntN(64, this.entriesAdded) - read;
  }

  /**
   * The group's last-delivered ID moves to `id` (an entry just delivered): its entries-read
   * counter follows (streamReplyWithRange).
   */
  advanceGroup(g: ConsumerGroup, id: StreamId): void {
    if (g.entriesRead !== ENTRIES_READ_INVALID && !this.rangeHasTombstones(id, null)) {
      g.entriesRead++;
    } else if (this.entriesAdded !== 0n) {
      g.entriesRead = this.estimateDistance(id);
    }
    g.lastId = id;
  }

  // ------------------------------------------------------------ copies

  /** streamDup (COPY): the same nodes, counters, groups, PELs and consumers. */
  clone(): Stream {
    const s = new Stream();
    s.nodes = this.nodes.map((n) => ({ master: n.master, key: n.key, lp: n.lp.clone() }));
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups !== null) {
      for (const name of this.groupNames()) {
        const g = this.groups.get(name)!;
        const ng = s.createGroup(name, g.lastId, g.entriesRead)!;
        for (const [k, nack] of g.pel.entries()) {
          ng.pel.set(k, { ...nack, consumer: null });
        }
        for (const c of g.sortedConsumers()) {
          const nc: Consumer = { name: c.name, seenTime: c.seenTime, pel: new Pel() };
          ng.consumers.set(c.name, nc);
          for (const [k] of c.pel.entries()) {
            const nack = ng.pel.get(k)!;
            nack.consumer = nc;
            nc.pel.set(k, nack);
          }
        }
      }
    }
    return s;
  }

  /** A rough MEMORY USAGE figure: node listpacks plus group bookkeeping. */
  memoryBytes(): number {
    let n = 64;
    for (const node of this.nodes) n += 48 + node.lp.bytes;
    if (this.groups !== null) {
      for (const [name, g] of this.groups) {
        n += 96 + name.length + g.pel.size * 64;
        for (const c of g.consumers.values()) n += 64 + c.name.length + c.pel.size * 32;
      }
    }
    return n;
  }
}
