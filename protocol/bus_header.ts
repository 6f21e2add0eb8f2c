/**
 * The cluster bus header (Redis `clusterMsg` without its data union): 2256 bytes, big-endian,
 * offsets of docs/cluster-bus.md §1. `readRawHeader` / `writeRawHeader` move every field as it is on
 * the wire; message-level code (bus_messages.ts) derives totlen, type, count and extensions.
 *
 * Representation:
 * - u64 fields (epochs, offset) are `bigint`s, so no value is rounded.
 * - Node names (sender, slaveof) are binary strings (one char per byte, see protocol/bytes.ts),
 *   40 chars, so any byte survives a round trip. `slaveof` is `null` for 40 zero bytes (a master).
 * - `myip` is the text before the first NUL (at most 45 bytes, like Redis reads it).
 * - `myslots` is the raw 2048-byte bitmap (slot j = byte j>>3, bit j&7, LSB first).
 * - `mflags` is mflags[0]; mflags[1..2] and the reserved bytes are written as zeros and ignored.
 */

import {
  BUS_HEADER_BYTES,
  BUS_SIGNATURE,
  NET_IP_STR_BYTES,
  NODE_NAME_BYTES,
  OFF_CONFIG_EPOCH,
  OFF_COUNT,
  OFF_CPORT,
  OFF_CURRENT_EPOCH,
  OFF_EXTENSIONS,
  OFF_FLAGS,
  OFF_MFLAGS,
  OFF_MYIP,
  OFF_MYSLOTS,
  OFF_OFFSET,
  OFF_PORT,
  OFF_PPORT,
  OFF_SENDER,
  OFF_SIG,
  OFF_SLAVEOF,
  OFF_STATE,
  OFF_TOTLEN,
  OFF_TYPE,
  OFF_VER,
  SLOT_BITMAP_BYTES,
} from "./bus_constants.ts";

/** The header fields a sender chooses (everything but framing, type and counts). */
export interface BusHeader {
  /** Client port (TLS port in a TLS cluster, or cluster-announce-port). */
  port: number;
  currentEpoch: bigint;
  configEpoch: bigint;
  /** Replication offset. */
  offset: bigint;
  /** Sender node name, 40 chars (binary string). */
  sender: string;
  /** 2048-byte slot bitmap. */
  myslots: Uint8Array;
  /** Master's name for a replica, null for a master (40 zero bytes). */
  slaveof: string | null;
  /** Announced IP, "" when not announced. At most 45 bytes. */
  myip: string;
  /** Plaintext port in TLS clusters, else 0. */
  pport: number;
  /** Bus port. */
  cport: number;
  /** Sender's own node flags (NODE_*), MYSELF included. */
  flags: number;
  /** CLUSTER_OK or CLUSTER_FAIL. */
  state: number;
  /** mflags[0]: MSGFLAG0_*. */
  mflags: number;
}

/** Every header field as on the wire (the signature is implicit). */
export interface RawBusHeader extends BusHeader {
  totlen: number;
  ver: number;
  type: number;
  count: number;
  extensions: number;
}

const SIG0 = BUS_SIGNATURE.charCodeAt(0);
const SIG1 = BUS_SIGNATURE.charCodeAt(1);
const SIG2 = BUS_SIGNATURE.charCodeAt(2);
const SIG3 = BUS_SIGNATURE.charCodeAt(3);

export function hasBusSignature(bytes: Uint8Array, at = 0): boolean {
  return bytes.length >= at + 4 && bytes[at] === SIG0 && bytes[at + 1] === SIG1 &&
    bytes[at + 2] === SIG2 && bytes[at + 3] === SIG3;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** `len` bytes at `off` as a binary string (one char per byte). */
export function readBinary(bytes: Uint8Array, off: number, len: number): string {
  // One flat string from the bytes (a per-char `+=` built a rope, flattened again by every Map
  // lookup of the name: most of a gossip entry's decode cost at 1,000 nodes).
  return String.fromCharCode.apply(null, bytes.subarray(off, off + len) as unknown as number[]);
}

/** Text of a NUL-padded field: the bytes before the first NUL, at most `max` of them. */
export function readCString(bytes: Uint8Array, off: number, max: number): string {
  let end = off;
  const stop = off + max;
  while (end < stop && bytes[end] !== 0) end++;
  return end === off ? "" : readBinary(bytes, off, end - off);
}

function checkByteStringLength(what: string, s: string, maxLen: number, exactLen = -1): void {
  if (exactLen >= 0 ? s.length !== exactLen : s.length > maxLen) {
    throw new RangeError(
      `${what}: ${
        exactLen >= 0 ? `must be exactly ${exactLen}` : `at most ${maxLen}`
      } bytes, got ${s.length}`,
    );
  }
}

/** Write the chars of `s` as bytes at `off`; RangeError at the first char that is not a byte. */
function writeByteChars(bytes: Uint8Array, off: number, s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`${what}: char ${i} is not a byte`);
    bytes[off + i] = c;
  }
}

/** Write a 40-byte node name (binary string). Throws RangeError if it is not 40 bytes. */
export function writeName(bytes: Uint8Array, off: number, name: string, what = "node name"): void {
  checkByteStringLength(what, name, NODE_NAME_BYTES, NODE_NAME_BYTES);
  writeByteChars(bytes, off, name, what);
}

/** Write `s` NUL-padded into a `size`-byte field; at most size-1 bytes so a NUL always follows. */
export function writeCString(
  bytes: Uint8Array,
  off: number,
  size: number,
  s: string,
  what: string,
): void {
  checkByteStringLength(what, s, size - 1);
  writeByteChars(bytes, off, s, what);
  bytes.fill(0, off + s.length, off + size);
}

function checkUint(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${what}: ${v} not in 0..${max}`);
  }
}

const U64_MAX = 0xffffffffffffffffn;

function checkU64(what: string, v: bigint): void {
  if (typeof v !== "bigint" || v < 0n || v > U64_MAX) {
    throw new RangeError(`${what}: ${v} not a u64`);
  }
}

function isAllZero(bytes: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (bytes[off + i] !== 0) return false;
  return true;
}

/**
 * Read every header field. Precondition: `bytes.length >= BUS_HEADER_BYTES` (callers check
 * first; this asserts). Does not validate the signature or any value.
 */
export function readRawHeader(bytes: Uint8Array): RawBusHeader {
  if (bytes.length < BUS_HEADER_BYTES) {
    throw new RangeError(`readRawHeader: ${bytes.length} bytes < ${BUS_HEADER_BYTES}`);
  }
  const v = viewOf(bytes);
  return {
    totlen: v.getUint32(OFF_TOTLEN),
    ver: v.getUint16(OFF_VER),
    port: v.getUint16(OFF_PORT),
    type: v.getUint16(OFF_TYPE),
    count: v.getUint16(OFF_COUNT),
    currentEpoch: v.getBigUint64(OFF_CURRENT_EPOCH),
    configEpoch: v.getBigUint64(OFF_CONFIG_EPOCH),
    offset: v.getBigUint64(OFF_OFFSET),
    sender: readBinary(bytes, OFF_SENDER, NODE_NAME_BYTES),
    myslots: bytes.slice(OFF_MYSLOTS, OFF_MYSLOTS + SLOT_BITMAP_BYTES),
    slaveof: isAllZero(bytes, OFF_SLAVEOF, NODE_NAME_BYTES)
      ? null
      : readBinary(bytes, OFF_SLAVEOF, NODE_NAME_BYTES),
    myip: readCString(bytes, OFF_MYIP, NET_IP_STR_BYTES - 1),
    extensions: v.getUint16(OFF_EXTENSIONS),
    pport: v.getUint16(OFF_PPORT),
    cport: v.getUint16(OFF_CPORT),
    flags: v.getUint16(OFF_FLAGS),
    state: bytes[OFF_STATE],
    mflags: bytes[OFF_MFLAGS],
  };
}

/**
 * Write the signature and every header field into `bytes[0..2256)`; reserved bytes and
 * mflags[1..2] become zero. Throws RangeError on out-of-range values (a programming error).
 */
export function writeRawHeader(bytes: Uint8Array, h: RawBusHeader): void {
  if (bytes.length < BUS_HEADER_BYTES) {
    throw new RangeError(`writeRawHeader: buffer of ${bytes.length} bytes < ${BUS_HEADER_BYTES}`);
  }
  checkUint("totlen", h.totlen, 0xffffffff);
  checkUint("ver", h.ver, 0xffff);
  checkUint("port", h.port, 0xffff);
  checkUint("type", h.type, 0xffff);
  checkUint("count", h.count, 0xffff);
  checkU64("currentEpoch", h.currentEpoch);
  checkU64("configEpoch", h.configEpoch);
  checkU64("offset", h.offset);
  checkUint("extensions", h.extensions, 0xffff);
  checkUint("pport", h.pport, 0xffff);
  checkUint("cport", h.cport, 0xffff);
  checkUint("flags", h.flags, 0xffff);
  checkUint("state", h.state, 0xff);
  checkUint("mflags", h.mflags, 0xff);
  if (!(h.myslots instanceof Uint8Array) || h.myslots.length !== SLOT_BITMAP_BYTES) {
    throw new RangeError(`myslots: must be a ${SLOT_BITMAP_BYTES}-byte Uint8Array`);
  }
  bytes.fill(0, 0, BUS_HEADER_BYTES);
  const v = viewOf(bytes);
  bytes[OFF_SIG] = SIG0;
  bytes[OFF_SIG + 1] = SIG1;
  bytes[OFF_SIG + 2] = SIG2;
  bytes[OFF_SIG + 3] = SIG3;
  v.setUint32(OFF_TOTLEN, h.totlen);
  v.setUint16(OFF_VER, h.ver);
  v.setUint16(OFF_PORT, h.port);
  v.setUint16(OFF_TYPE, h.type);
  v.setUint16(OFF_COUNT, h.count);
  v.setBigUint64(OFF_CURRENT_EPOCH, h.currentEpoch);
  v.setBigUint64(OFF_CONFIG_EPOCH, h.configEpoch);
  v.setBigUint64(OFF_OFFSET, h.offset);
  writeName(bytes, OFF_SENDER, h.sender, "sender");
  bytes.set(h.myslots, OFF_MYSLOTS);
  if (h.slaveof !== null) writeName(bytes, OFF_SLAVEOF, h.slaveof, "slaveof");
  writeCString(bytes, OFF_MYIP, NET_IP_STR_BYTES, h.myip, "myip");
  v.setUint16(OFF_EXTENSIONS, h.extensions);
  v.setUint16(OFF_PPORT, h.pport);
  v.setUint16(OFF_CPORT, h.cport);
  v.setUint16(OFF_FLAGS, h.flags);
  bytes[OFF_STATE] = h.state;
  bytes[OFF_MFLAGS] = h.mflags;
}

// ---- Slot bitmap helpers (§1: slot j is byte j>>3, bit j&7, LSB first) ----

export function emptySlotBitmap(): Uint8Array {
  return new Uint8Array(SLOT_BITMAP_BYTES);
}

export function bitmapHasSlot(bitmap: Uint8Array, slot: number): boolean {
  return (bitmap[slot >> 3] & (1 << (slot & 7))) !== 0;
}

export function bitmapSetSlot(bitmap: Uint8Array, slot: number): void {
  bitmap[slot >> 3] |= 1 << (slot & 7);
}

/** A bitmap with the inclusive ranges [start, end] set. */
export function slotBitmapFromRanges(ranges: readonly (readonly [number, number])[]): Uint8Array {
  const b = emptySlotBitmap();
  for (const [start, end] of ranges) {
    for (let s = start; s <= end; s++) bitmapSetSlot(b, s);
  }
  return b;
}

/** The set slots as inclusive ranges, ascending. */
export function slotRangesOfBitmap(bitmap: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  const n = bitmap.length * 8;
  for (let s = 0; s <= n; s++) {
    const on = s < n && bitmapHasSlot(bitmap, s);
    if (on && start < 0) start = s;
    else if (!on && start >= 0) {
      out.push([start, s - 1]);
      start = -1;
    }
  }
  return out;
}
