/**
 * Cluster bus messages (protocol version 1, Redis 7.0.15): a discriminated union of every message
 * type, `encodeBusMessage` (exact bytes) and `decodeBusMessage` (typed message or typed error,
 * never throws), following docs/cluster-bus.md §1-§3 and the receive checks of §2.8, including the
 * stricter Debian checks (gossip count vs totlen, extension length >= 8, hostname NUL).
 *
 * Round trip: for every packet a conforming sender produces (reserved bytes zero, NUL-padded
 * strings, count/extensions consistent with the body, extensions minimally padded),
 * `encodeBusMessage(decodeBusMessage(b).message)` equals `b` byte for byte. Not preserved:
 * non-zero reserved bytes, bytes after a string's NUL, the header `count`/`extensions` of
 * non-PING types, and extension bytes sent without EXT_DATA (Redis ignores all of these).
 *
 * Deliberate differences from Redis's C code, for malformed input only: expected lengths are
 * computed without 32-bit wrap-around (Redis's PUBLISH/MODULE sums can wrap), and a packet too
 * short to hold its PUBLISH/MODULE length fields is rejected instead of read past its end.
 */

import {
  BUS_EXT_HEADER_BYTES,
  BUS_FAIL_MESSAGE_BYTES,
  BUS_GOSSIP_ENTRY_BYTES,
  BUS_HEADER_BYTES,
  BUS_MODULE_FIXED_BYTES,
  BUS_PROTO_VER,
  BUS_PUBLISH_FIXED_BYTES,
  BUS_UPDATE_MESSAGE_BYTES,
  EXT_FORGOTTEN_NODE,
  EXT_HOSTNAME,
  EXT_HUMAN_NODENAME,
  EXT_SHARDID,
  MSG_FAIL,
  MSG_FAILOVER_AUTH_ACK,
  MSG_FAILOVER_AUTH_REQUEST,
  MSG_MEET,
  MSG_MFSTART,
  MSG_MODULE,
  MSG_PING,
  MSG_PONG,
  MSG_PUBLISH,
  MSG_PUBLISHSHARD,
  MSG_TYPE_COUNT,
  MSG_UPDATE,
  MSGFLAG0_EXT_DATA,
  msgTypeName,
  NET_IP_STR_BYTES,
  NODE_NAME_BYTES,
  OFF_DATA,
  OFF_TOTLEN,
  SLOT_BITMAP_BYTES,
} from "./bus_constants.ts";
import {
  type BusHeader,
  hasBusSignature,
  readBinary,
  readCString,
  readRawHeader,
  viewOf,
  writeCString,
  writeName,
  writeRawHeader,
} from "./bus_header.ts";
import { internedBytes } from "./bus_names.ts";
import { zeroedPacketBytes } from "./bus_packet_slab.ts";

// ---- Types ----

/** One gossip entry (§2.1, 104 bytes). */
export interface GossipEntry {
  /** Described node's name, 40 chars (binary string). */
  nodename: string;
  /** u32 seconds, 0 = no ping outstanding. */
  pingSentSec: number;
  /** u32 seconds. */
  pongReceivedSec: number;
  /** NUL-padded text, at most 45 bytes. */
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
}

/** A ping extension (§3). Unknown types, and 7.2 types of the wrong size, come back as RAW. */
export type PingExtension =
  | { type: "HOSTNAME"; hostname: string }
  | { type: "HUMAN_NODENAME"; name: string }
  | { type: "FORGOTTEN_NODE"; name: string; ttlSec: bigint }
  | { type: "SHARDID"; shardId: string }
  /** Sent zero-padded to a multiple of 8; decoded with that padding (the receiver can't tell). */
  | { type: "RAW"; code: number; payload: Uint8Array };

export interface PingMessage {
  type: "PING" | "PONG" | "MEET";
  header: BusHeader;
  gossip: GossipEntry[];
  /** Sent with EXT_DATA set (the encoder sets it when this is non-empty). */
  extensions: PingExtension[];
}

export interface FailMessage {
  type: "FAIL";
  header: BusHeader;
  /** Name of the node declared FAIL. */
  nodename: string;
}

export interface PublishMessage {
  type: "PUBLISH" | "PUBLISHSHARD";
  header: BusHeader;
  channel: Uint8Array;
  message: Uint8Array;
}

export interface EmptyMessage {
  type: "FAILOVER_AUTH_REQUEST" | "FAILOVER_AUTH_ACK" | "MFSTART";
  header: BusHeader;
}

export interface UpdateMessage {
  type: "UPDATE";
  header: BusHeader;
  /** configEpoch of the described node. */
  configEpoch: bigint;
  nodename: string;
  /** 2048-byte bitmap. */
  slots: Uint8Array;
}

export interface ModuleMessage {
  type: "MODULE";
  header: BusHeader;
  /** 8 raw bytes, no byte-order conversion (§2.7). */
  moduleId: Uint8Array;
  /** 0..255. */
  moduleType: number;
  payload: Uint8Array;
}

/** A type code >= 11: Redis takes it as well formed, logs and ignores it. */
export interface UnknownMessage {
  type: "UNKNOWN";
  header: BusHeader;
  code: number;
  /** Everything after the header. */
  body: Uint8Array;
}

export type BusMessage =
  | PingMessage
  | FailMessage
  | PublishMessage
  | EmptyMessage
  | UpdateMessage
  | ModuleMessage
  | UnknownMessage;

export type BusMessageType = BusMessage["type"];

/** Type name -> wire code (UNKNOWN has no fixed code). */
export const BUS_TYPE_CODES: Readonly<Record<Exclude<BusMessageType, "UNKNOWN">, number>> = {
  PING: MSG_PING,
  PONG: MSG_PONG,
  MEET: MSG_MEET,
  FAIL: MSG_FAIL,
  PUBLISH: MSG_PUBLISH,
  FAILOVER_AUTH_REQUEST: MSG_FAILOVER_AUTH_REQUEST,
  FAILOVER_AUTH_ACK: MSG_FAILOVER_AUTH_ACK,
  UPDATE: MSG_UPDATE,
  MFSTART: MSG_MFSTART,
  MODULE: MSG_MODULE,
  PUBLISHSHARD: MSG_PUBLISHSHARD,
};

const TYPE_BY_CODE: readonly Exclude<BusMessageType, "UNKNOWN">[] = [
  "PING",
  "PONG",
  "MEET",
  "FAIL",
  "PUBLISH",
  "FAILOVER_AUTH_REQUEST",
  "FAILOVER_AUTH_ACK",
  "UPDATE",
  "MFSTART",
  "MODULE",
  "PUBLISHSHARD",
];

/**
 * Why a packet is rejected. `closeLink`: Redis closes the TCP connection (signature or minimum
 * length, checked on the first 8 bytes); otherwise it drops the packet and keeps the link.
 * `log` is Redis's log line for the case ("" where Redis drops silently).
 */
export type BusDecodeError =
  /** Fewer than 8 bytes: not even sig + totlen. */
  | { kind: "TOO_SHORT"; length: number; closeLink: false; log: string }
  | { kind: "BAD_SIGNATURE"; closeLink: true; log: string }
  /** totlen < 2256. */
  | { kind: "BAD_MIN_LENGTH"; totlen: number; closeLink: true; log: string }
  /** The byte count given differs from totlen (truncated or trailing bytes). */
  | { kind: "TOTLEN_MISMATCH"; totlen: number; length: number; closeLink: false; log: string }
  | { kind: "BAD_VERSION"; ver: number; closeLink: false; log: string }
  /** PING/PONG/MEET: 2256 + 104·count > totlen (Debian check). */
  | {
    kind: "GOSSIP_TRUNCATED";
    msgType: number;
    count: number;
    totlen: number;
    closeLink: false;
    log: string;
  }
  /** Extension length not a multiple of 8, or below 8 (length = its low 16 bits). */
  | { kind: "EXT_BAD_PADDING"; msgType: number; extLength: number; closeLink: false; log: string }
  /** Extension header or body runs past totlen. */
  | { kind: "EXT_TRUNCATED"; msgType: number; totlen: number; closeLink: false; log: string }
  /** HOSTNAME extension without a NUL byte (Debian check). */
  | { kind: "EXT_HOSTNAME_NO_NUL"; msgType: number; closeLink: false; log: string }
  /** totlen differs from the length the type's body requires (§2 table). */
  | {
    kind: "BAD_TYPE_LENGTH";
    msgType: number;
    totlen: number;
    expected: number;
    closeLink: false;
    log: string;
  };

export type BusDecodeResult =
  | { ok: true; message: BusMessage }
  | { ok: false; error: BusDecodeError };

// ---- Small helpers ----

function align8(n: number): number {
  return (n + 7) & ~7;
}

function checkUint(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${what}: ${v} not in 0..${max}`);
  }
}

/** Total length of the extension as encoded (header + padded payload). */
export function pingExtensionLength(ext: PingExtension): number {
  switch (ext.type) {
    case "HOSTNAME":
      return BUS_EXT_HEADER_BYTES + align8(ext.hostname.length + 1);
    case "HUMAN_NODENAME":
      return BUS_EXT_HEADER_BYTES + align8(ext.name.length + 1);
    case "FORGOTTEN_NODE":
      return BUS_EXT_HEADER_BYTES + NODE_NAME_BYTES + 8;
    case "SHARDID":
      return BUS_EXT_HEADER_BYTES + NODE_NAME_BYTES;
    case "RAW":
      return BUS_EXT_HEADER_BYTES + align8(ext.payload.length);
  }
}

function extCode(ext: PingExtension): number {
  switch (ext.type) {
    case "HOSTNAME":
      return EXT_HOSTNAME;
    case "HUMAN_NODENAME":
      return EXT_HUMAN_NODENAME;
    case "FORGOTTEN_NODE":
      return EXT_FORGOTTEN_NODE;
    case "SHARDID":
      return EXT_SHARDID;
    case "RAW":
      return ext.code;
  }
}

/** The exact totlen `encodeBusMessage` produces for `m`. */
export function busMessageLength(m: BusMessage): number {
  switch (m.type) {
    case "PING":
    case "PONG":
    case "MEET": {
      let n = BUS_HEADER_BYTES + BUS_GOSSIP_ENTRY_BYTES * m.gossip.length;
      for (const e of m.extensions) n += pingExtensionLength(e);
      return n;
    }
    case "FAIL":
      return BUS_FAIL_MESSAGE_BYTES;
    case "PUBLISH":
    case "PUBLISHSHARD":
      return BUS_PUBLISH_FIXED_BYTES + m.channel.length + m.message.length;
    case "FAILOVER_AUTH_REQUEST":
    case "FAILOVER_AUTH_ACK":
    case "MFSTART":
      return BUS_HEADER_BYTES;
    case "UPDATE":
      return BUS_UPDATE_MESSAGE_BYTES;
    case "MODULE":
      return BUS_MODULE_FIXED_BYTES + m.payload.length;
    case "UNKNOWN":
      return BUS_HEADER_BYTES + m.body.length;
  }
}

// ---- Encode ----

function writeGossip(out: Uint8Array, v: DataView, off: number, g: GossipEntry): void {
  writeName(out, off, g.nodename, "gossip nodename");
  checkUint("gossip pingSentSec", g.pingSentSec, 0xffffffff);
  checkUint("gossip pongReceivedSec", g.pongReceivedSec, 0xffffffff);
  checkUint("gossip port", g.port, 0xffff);
  checkUint("gossip cport", g.cport, 0xffff);
  checkUint("gossip flags", g.flags, 0xffff);
  checkUint("gossip pport", g.pport, 0xffff);
  v.setUint32(off + 40, g.pingSentSec);
  v.setUint32(off + 44, g.pongReceivedSec);
  writeCString(out, off + 48, NET_IP_STR_BYTES, g.ip, "gossip ip");
  v.setUint16(off + 94, g.port);
  v.setUint16(off + 96, g.cport);
  v.setUint16(off + 98, g.flags);
  v.setUint16(off + 100, g.pport);
  // 102..104 notused: already zero.
}

function writeBinaryString(out: Uint8Array, off: number, s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`${what}: char ${i} is not a byte`);
    out[off + i] = c;
  }
}

/** Write one extension at `off`; returns its length. The buffer is zero there already. */
function writeExtension(out: Uint8Array, v: DataView, off: number, ext: PingExtension): number {
  const len = pingExtensionLength(ext);
  const code = extCode(ext);
  checkUint("extension type", code, 0xffff);
  v.setUint32(off, len);
  v.setUint16(off + 4, code);
  const p = off + BUS_EXT_HEADER_BYTES;
  switch (ext.type) {
    case "HOSTNAME":
      if (ext.hostname.includes("\0")) throw new RangeError("hostname: contains NUL");
      writeBinaryString(out, p, ext.hostname, "hostname");
      break;
    case "HUMAN_NODENAME":
      if (ext.name.includes("\0")) throw new RangeError("human nodename: contains NUL");
      writeBinaryString(out, p, ext.name, "human nodename");
      break;
    case "FORGOTTEN_NODE":
      writeName(out, p, ext.name, "forgotten node name");
      if (ext.ttlSec < 0n || ext.ttlSec > 0xffffffffffffffffn) {
        throw new RangeError("ttlSec: not a u64");
      }
      v.setBigUint64(p + NODE_NAME_BYTES, ext.ttlSec);
      break;
    case "SHARDID":
      writeName(out, p, ext.shardId, "shard id");
      break;
    case "RAW":
      out.set(ext.payload, p);
      break;
  }
  return len;
}

/**
 * The exact wire bytes of `m`. totlen, ver (1), type, count and extensions come from the message;
 * for PING/PONG/MEET with extensions, EXT_DATA is OR-ed into mflags (§3.2). Throws RangeError for
 * values that cannot be encoded (names not 40 bytes, ports out of range, ...): a caller bug.
 */
export function encodeBusMessage(m: BusMessage): Uint8Array {
  const totlen = busMessageLength(m);
  checkUint("totlen", totlen, 0xffffffff);
  const out = zeroedPacketBytes(totlen);
  const v = viewOf(out);
  const h = m.header;
  let type: number;
  let count = 0;
  let extensions = 0;
  let mflags = h.mflags;
  if (m.type === "UNKNOWN") {
    checkUint("unknown type code", m.code, 0xffff);
    if (m.code < MSG_TYPE_COUNT) {
      throw new RangeError(`UNKNOWN message with known type code ${m.code}`);
    }
    type = m.code;
  } else {
    type = BUS_TYPE_CODES[m.type];
  }
  if (m.type === "PING" || m.type === "PONG" || m.type === "MEET") {
    count = m.gossip.length;
    extensions = m.extensions.length;
    checkUint("gossip count", count, 0xffff);
    checkUint("extension count", extensions, 0xffff);
    if (extensions > 0) mflags |= MSGFLAG0_EXT_DATA;
  }
  writeRawHeader(out, { ...h, totlen, ver: BUS_PROTO_VER, type, count, extensions, mflags });
  let off = OFF_DATA;
  switch (m.type) {
    case "PING":
    case "PONG":
    case "MEET":
      for (const g of m.gossip) {
        writeGossip(out, v, off, g);
        off += BUS_GOSSIP_ENTRY_BYTES;
      }
      for (const e of m.extensions) off += writeExtension(out, v, off, e);
      break;
    case "FAIL":
      writeName(out, off, m.nodename, "FAIL nodename");
      break;
    case "PUBLISH":
    case "PUBLISHSHARD":
      v.setUint32(off, m.channel.length);
      v.setUint32(off + 4, m.message.length);
      out.set(m.channel, off + 8);
      out.set(m.message, off + 8 + m.channel.length);
      break;
    case "FAILOVER_AUTH_REQUEST":
    case "FAILOVER_AUTH_ACK":
    case "MFSTART":
      break;
    case "UPDATE":
      if (m.configEpoch < 0n || m.configEpoch > 0xffffffffffffffffn) {
        throw new RangeError("UPDATE configEpoch: not a u64");
      }
      if (m.slots.length !== SLOT_BITMAP_BYTES) {
        throw new RangeError("UPDATE slots: must be 2048 bytes");
      }
      v.setBigUint64(off, m.configEpoch);
      writeName(out, off + 8, m.nodename, "UPDATE nodename");
      out.set(m.slots, off + 48);
      break;
    case "MODULE":
      if (m.moduleId.length !== 8) throw new RangeError("MODULE moduleId: must be 8 bytes");
      checkUint("MODULE moduleType", m.moduleType, 0xff);
      out.set(m.moduleId, off);
      v.setUint32(off + 8, m.payload.length);
      out[off + 12] = m.moduleType;
      out.set(m.payload, off + 13);
      break;
    case "UNKNOWN":
      out.set(m.body, off);
      break;
  }
  return out;
}

// ---- Decode ----

function typeLengthError(msgType: number, totlen: number, expected: number): BusDecodeResult {
  return {
    ok: false,
    error: {
      kind: "BAD_TYPE_LENGTH",
      msgType,
      totlen,
      expected,
      closeLink: false,
      log: `Received invalid ${
        msgTypeName(msgType)
      } packet of length ${totlen} but expected length ${expected}`,
    },
  };
}

/** A NUL-padded field as `readCString` reads it, through the intern table (bus_names.ts). */
function internedCString(bytes: Uint8Array, off: number, max: number): string {
  let end = off;
  const stop = off + max;
  while (end < stop && bytes[end] !== 0) end++;
  return internedBytes(bytes, off, end - off);
}

/** One entry; the name and IP of a node seen before come from bus_names.ts, not new strings. */
function decodeGossip(bytes: Uint8Array, v: DataView, off: number): GossipEntry {
  return {
    nodename: internedBytes(bytes, off, NODE_NAME_BYTES),
    pingSentSec: v.getUint32(off + 40),
    pongReceivedSec: v.getUint32(off + 44),
    ip: internedCString(bytes, off + 48, NET_IP_STR_BYTES - 1),
    port: v.getUint16(off + 94),
    cport: v.getUint16(off + 96),
    flags: v.getUint16(off + 98),
    pport: v.getUint16(off + 100),
  };
}

function decodeExtension(bytes: Uint8Array, v: DataView, off: number, len: number): PingExtension {
  const code = v.getUint16(off + 4);
  const p = off + BUS_EXT_HEADER_BYTES;
  const payloadLen = len - BUS_EXT_HEADER_BYTES;
  switch (code) {
    case EXT_HOSTNAME:
      return { type: "HOSTNAME", hostname: readCString(bytes, p, payloadLen) };
    case EXT_HUMAN_NODENAME:
      return { type: "HUMAN_NODENAME", name: readCString(bytes, p, payloadLen) };
    case EXT_FORGOTTEN_NODE:
      if (payloadLen === NODE_NAME_BYTES + 8) {
        return {
          type: "FORGOTTEN_NODE",
          name: readBinary(bytes, p, NODE_NAME_BYTES),
          ttlSec: v.getBigUint64(p + NODE_NAME_BYTES),
        };
      }
      break;
    case EXT_SHARDID:
      if (payloadLen === NODE_NAME_BYTES) {
        return { type: "SHARDID", shardId: readBinary(bytes, p, NODE_NAME_BYTES) };
      }
      break;
  }
  return { type: "RAW", code, payload: bytes.slice(p, p + payloadLen) };
}

function hasNul(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] === 0) return true;
  return false;
}

/** PING/PONG/MEET body checks (§2.8 steps 3-4) and decoding. */
function decodePing(
  bytes: Uint8Array,
  v: DataView,
  code: number,
  count: number,
  extCount: number,
  mflags: number,
  header: BusHeader,
): BusDecodeResult {
  const totlen = bytes.length;
  const name = msgTypeName(code);
  let explen = BUS_HEADER_BYTES + BUS_GOSSIP_ENTRY_BYTES * count;
  if (explen > totlen) {
    return {
      ok: false,
      error: {
        kind: "GOSSIP_TRUNCATED",
        msgType: code,
        count,
        totlen,
        closeLink: false,
        log:
          `Received invalid ${name} packet with gossip count ${count} that exceeds total packet length (${totlen})`,
      },
    };
  }
  const extensions: PingExtension[] = [];
  if (mflags & MSGFLAG0_EXT_DATA) {
    for (let i = 0; i < extCount; i++) {
      const remaining = totlen - explen;
      if (remaining < BUS_EXT_HEADER_BYTES) {
        return {
          ok: false,
          error: {
            kind: "EXT_TRUNCATED",
            msgType: code,
            totlen,
            closeLink: false,
            log:
              `Received invalid ${name} packet with extension data that exceeds total packet length (${totlen})`,
          },
        };
      }
      // Redis keeps only the low 16 bits of the u32 length here (§2.8 item 6).
      const extLength = v.getUint32(explen) & 0xffff;
      if (extLength % 8 !== 0 || extLength < BUS_EXT_HEADER_BYTES) {
        return {
          ok: false,
          error: {
            kind: "EXT_BAD_PADDING",
            msgType: code,
            extLength,
            closeLink: false,
            log: `Received a ${name} packet without proper padding (${extLength} bytes)`,
          },
        };
      }
      if (remaining < extLength) {
        return {
          ok: false,
          error: {
            kind: "EXT_TRUNCATED",
            msgType: code,
            totlen,
            closeLink: false,
            log:
              `Received invalid ${name} packet with extension data that exceeds total packet length (${totlen})`,
          },
        };
      }
      if (
        v.getUint16(explen + 4) === EXT_HOSTNAME &&
        !hasNul(bytes, explen + BUS_EXT_HEADER_BYTES, explen + extLength)
      ) {
        return {
          ok: false,
          error: {
            kind: "EXT_HOSTNAME_NO_NUL",
            msgType: code,
            closeLink: false,
            log:
              `Received invalid ${name} packet with missing null terminator in extension type ${EXT_HOSTNAME}`,
          },
        };
      }
      extensions.push(decodeExtension(bytes, v, explen, extLength));
      explen += extLength;
    }
  }
  if (explen !== totlen) return typeLengthError(code, totlen, explen);
  const gossip: GossipEntry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    gossip[i] = decodeGossip(bytes, v, BUS_HEADER_BYTES + i * BUS_GOSSIP_ENTRY_BYTES);
  }
  return {
    ok: true,
    message: { type: TYPE_BY_CODE[code] as PingMessage["type"], header, gossip, extensions },
  };
}

/**
 * Decode one whole packet (exactly `totlen` bytes, e.g. from `BusFrameSplitter`). Checks run in
 * Redis's order: signature and minimum length (link closed), byte count vs totlen, version, then
 * the per-type lengths of §2.8. Never throws.
 */
export function decodeBusMessage(bytes: Uint8Array): BusDecodeResult {
  if (bytes.length < 8) {
    return {
      ok: false,
      error: {
        kind: "TOO_SHORT",
        length: bytes.length,
        closeLink: false,
        log: `Received ${bytes.length} bytes, less than a bus message prefix`,
      },
    };
  }
  if (!hasBusSignature(bytes)) {
    return {
      ok: false,
      error: {
        kind: "BAD_SIGNATURE",
        closeLink: true,
        log: "Bad message length or signature received from Cluster bus.",
      },
    };
  }
  const v = viewOf(bytes);
  const totlen = v.getUint32(OFF_TOTLEN);
  if (totlen < BUS_HEADER_BYTES) {
    return {
      ok: false,
      error: {
        kind: "BAD_MIN_LENGTH",
        totlen,
        closeLink: true,
        log: "Bad message length or signature received from Cluster bus.",
      },
    };
  }
  if (bytes.length !== totlen) {
    return {
      ok: false,
      error: {
        kind: "TOTLEN_MISMATCH",
        totlen,
        length: bytes.length,
        closeLink: false,
        log: `Bus message of ${bytes.length} bytes but totlen ${totlen}`,
      },
    };
  }
  const raw = readRawHeader(bytes);
  if (raw.ver !== BUS_PROTO_VER) {
    return { ok: false, error: { kind: "BAD_VERSION", ver: raw.ver, closeLink: false, log: "" } };
  }
  const header: BusHeader = {
    port: raw.port,
    currentEpoch: raw.currentEpoch,
    configEpoch: raw.configEpoch,
    offset: raw.offset,
    sender: raw.sender,
    myslots: raw.myslots,
    slaveof: raw.slaveof,
    myip: raw.myip,
    pport: raw.pport,
    cport: raw.cport,
    flags: raw.flags,
    state: raw.state,
    mflags: raw.mflags,
  };
  const code = raw.type;
  const d = OFF_DATA;
  switch (code) {
    case MSG_PING:
    case MSG_PONG:
    case MSG_MEET:
      return decodePing(bytes, v, code, raw.count, raw.extensions, raw.mflags, header);
    case MSG_FAIL:
      if (totlen !== BUS_FAIL_MESSAGE_BYTES) {
        return typeLengthError(code, totlen, BUS_FAIL_MESSAGE_BYTES);
      }
      return {
        ok: true,
        message: { type: "FAIL", header, nodename: readBinary(bytes, d, NODE_NAME_BYTES) },
      };
    case MSG_PUBLISH:
    case MSG_PUBLISHSHARD: {
      if (totlen < BUS_PUBLISH_FIXED_BYTES) {
        return typeLengthError(code, totlen, BUS_PUBLISH_FIXED_BYTES);
      }
      const channelLen = v.getUint32(d);
      const messageLen = v.getUint32(d + 4);
      const expected = BUS_PUBLISH_FIXED_BYTES + channelLen + messageLen;
      if (totlen !== expected) return typeLengthError(code, totlen, expected);
      const c0 = d + 8;
      return {
        ok: true,
        message: {
          type: code === MSG_PUBLISH ? "PUBLISH" : "PUBLISHSHARD",
          header,
          channel: bytes.slice(c0, c0 + channelLen),
          message: bytes.slice(c0 + channelLen, c0 + channelLen + messageLen),
        },
      };
    }
    case MSG_FAILOVER_AUTH_REQUEST:
    case MSG_FAILOVER_AUTH_ACK:
    case MSG_MFSTART:
      if (totlen !== BUS_HEADER_BYTES) return typeLengthError(code, totlen, BUS_HEADER_BYTES);
      return { ok: true, message: { type: TYPE_BY_CODE[code] as EmptyMessage["type"], header } };
    case MSG_UPDATE:
      if (totlen !== BUS_UPDATE_MESSAGE_BYTES) {
        return typeLengthError(code, totlen, BUS_UPDATE_MESSAGE_BYTES);
      }
      return {
        ok: true,
        message: {
          type: "UPDATE",
          header,
          configEpoch: v.getBigUint64(d),
          nodename: readBinary(bytes, d + 8, NODE_NAME_BYTES),
          slots: bytes.slice(d + 48, d + 48 + SLOT_BITMAP_BYTES),
        },
      };
    case MSG_MODULE: {
      if (totlen < BUS_MODULE_FIXED_BYTES) {
        return typeLengthError(code, totlen, BUS_MODULE_FIXED_BYTES);
      }
      const len = v.getUint32(d + 8);
      const expected = BUS_MODULE_FIXED_BYTES + len;
      if (totlen !== expected) return typeLengthError(code, totlen, expected);
      return {
        ok: true,
        message: {
          type: "MODULE",
          header,
          moduleId: bytes.slice(d, d + 8),
          moduleType: bytes[d + 12],
          payload: bytes.slice(d + 13, d + 13 + len),
        },
      };
    }
    default:
      return { ok: true, message: { type: "UNKNOWN", header, code, body: bytes.slice(d) } };
  }
}
