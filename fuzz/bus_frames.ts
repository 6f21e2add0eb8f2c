/**
 * Valid cluster bus frames for the fuzzer, built with the project's codec (protocol/bus.ts
 * encodeBusMessage), pure: every message type Redis 7.0.15 has (PING, PONG, MEET with gossip
 * and ping extensions, FAIL, PUBLISH, PUBLISHSHARD, FAILOVER_AUTH_REQUEST/ACK, UPDATE, MFSTART,
 * MODULE) and an unknown type code, with header fields drawn from values that matter to
 * clusterProcessPacket: epochs at 0, small and past 2^53, role flags, slot bitmaps, slaveof.
 *
 * Node names come from the `BusFuzzContext`: names the target knows (so that FAIL, UPDATE and
 * gossip name real nodes), random names, and the target's own. Addresses name only ports of the
 * fuzzer's own reserved block (`ports`), so a node that follows a gossip entry or a MEET never
 * reaches a process outside the run.
 */

import type { Prng } from "../cluster/prng.ts";
import {
  BUS_GOSSIP_ENTRY_BYTES,
  BUS_HEADER_BYTES,
  type BusHeader,
  type BusMessage,
  busMessageLength,
  encodeBusMessage,
  type GossipEntry,
  MSGFLAG0_FORCEACK,
  MSGFLAG0_PAUSED,
  NODE_FAIL,
  NODE_HANDSHAKE,
  NODE_MASTER,
  NODE_MEET,
  NODE_MIGRATE_TO,
  NODE_MYSELF,
  NODE_NOADDR,
  NODE_NOFAILOVER,
  NODE_PFAIL,
  NODE_SLAVE,
  type PingExtension,
  pingExtensionLength,
  slotBitmapFromRanges,
} from "../protocol/bus.ts";
import { interestingU64, randomBytes } from "./gen.ts";

const te = new TextEncoder();

export interface BusFuzzContext {
  /** The node being fuzzed. */
  targetId: string;
  /** Other node names the target knows (the known sender among them). */
  knownIds: readonly string[];
  /** Client ports of the fuzzer's own block (a bus port is client port + 10000). */
  ports: readonly number[];
}

/** A frame and where its variable parts are (for the structure-aware mutators). */
export interface BuiltFrame {
  bytes: Uint8Array;
  /** Wire type code. */
  type: number;
  /** Gossip entries (PING/PONG/MEET), else 0. */
  gossipCount: number;
  /** Byte offsets of the ping extensions. */
  extOffsets: number[];
}

const HEX = "0123456789abcdef";

export function randomNodeId(rng: Prng): string {
  let s = "";
  for (let i = 0; i < 40; i++) s += HEX[rng.int(16)];
  return s;
}

/** A 40-byte name: a known one, the target's, a random valid one, or 40 arbitrary bytes. */
export function pickNodeName(rng: Prng, ctx: BusFuzzContext): string {
  const r = rng.int(10);
  if (r < 4 && ctx.knownIds.length > 0) return rng.pick(ctx.knownIds);
  if (r < 6) return ctx.targetId;
  if (r < 9) return randomNodeId(rng);
  let s = "";
  for (let i = 0; i < 40; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

const FLAG_BITS = [
  NODE_MASTER,
  NODE_SLAVE,
  NODE_PFAIL,
  NODE_FAIL,
  NODE_MYSELF,
  NODE_HANDSHAKE,
  NODE_NOADDR,
  NODE_MEET,
  NODE_MIGRATE_TO,
  NODE_NOFAILOVER,
];

export function randomFlags(rng: Prng): number {
  if (rng.chance(0.1)) return rng.int(0x10000);
  let f = rng.chance(0.7) ? NODE_MASTER : NODE_SLAVE;
  for (const b of FLAG_BITS) if (rng.chance(0.08)) f |= b;
  return f;
}

function randomPort(rng: Prng, ctx: BusFuzzContext): number {
  const r = rng.int(10);
  if (r < 7 && ctx.ports.length > 0) return rng.pick(ctx.ports);
  return rng.pick([0, 1, 65535]);
}

function randomEpoch(rng: Prng): bigint {
  return rng.chance(0.7) ? BigInt(rng.int(8)) : interestingU64(rng);
}

export function randomSlotBitmap(rng: Prng): Uint8Array {
  switch (rng.int(5)) {
    case 0:
      return new Uint8Array(2048);
    case 1:
      return new Uint8Array(2048).fill(0xff);
    case 2:
      return randomBytes(rng, 2048);
    default: {
      const ranges: [number, number][] = [];
      for (let i = rng.int(4); i >= 0; i--) {
        const a = rng.int(16384);
        ranges.push([a, Math.min(16383, a + rng.int(3000))]);
      }
      return slotBitmapFromRanges(ranges);
    }
  }
}

function randomIp(rng: Prng): string {
  return rng.pick([
    "",
    "",
    "127.0.0.1",
    "127.0.0.1",
    "::1",
    "0.0.0.0",
    "not-an-ip",
    "::ffff:127.0.0.1",
  ]);
}

export function randomHeader(rng: Prng, sender: string, ctx: BusFuzzContext): BusHeader {
  const port = randomPort(rng, ctx);
  const r = rng.int(4);
  return {
    port,
    currentEpoch: randomEpoch(rng),
    configEpoch: randomEpoch(rng),
    offset: rng.chance(0.5) ? BigInt(rng.int(1000)) : interestingU64(rng),
    sender,
    myslots: rng.chance(0.4) ? new Uint8Array(2048) : randomSlotBitmap(rng),
    slaveof: r === 0 ? pickNodeName(rng, ctx) : null,
    myip: randomIp(rng),
    pport: rng.chance(0.8) ? 0 : randomPort(rng, ctx),
    cport: rng.chance(0.8) && ctx.ports.includes(port) ? port + 10000 : randomPort(rng, ctx),
    flags: randomFlags(rng),
    state: rng.chance(0.9) ? rng.int(2) : rng.int(256),
    mflags: rng.chance(0.7) ? 0 : (rng.chance(0.5) ? MSGFLAG0_PAUSED : 0) |
      (rng.chance(0.5) ? MSGFLAG0_FORCEACK : 0) | (rng.chance(0.05) ? rng.int(256) : 0),
  };
}

export function randomGossip(rng: Prng, ctx: BusFuzzContext): GossipEntry {
  const port = randomPort(rng, ctx);
  return {
    nodename: pickNodeName(rng, ctx),
    pingSentSec: rng.chance(0.7) ? 0 : rng.nextU32(),
    pongReceivedSec: rng.chance(0.5) ? 0 : rng.nextU32(),
    ip: randomIp(rng),
    port,
    cport: ctx.ports.includes(port) && rng.chance(0.8) ? port + 10000 : randomPort(rng, ctx),
    flags: randomFlags(rng),
    pport: 0,
  };
}

function randomText(rng: Prng, max: number): string {
  let s = "";
  const n = rng.int(max + 1);
  for (let i = 0; i < n; i++) s += String.fromCharCode(1 + rng.int(255));
  return s;
}

export function randomExtension(rng: Prng, ctx: BusFuzzContext): PingExtension {
  switch (rng.int(5)) {
    case 0:
      return { type: "HOSTNAME", hostname: randomText(rng, rng.chance(0.9) ? 30 : 300) };
    case 1:
      return { type: "HUMAN_NODENAME", name: randomText(rng, 30) };
    case 2:
      return {
        type: "FORGOTTEN_NODE",
        name: pickNodeName(rng, ctx),
        ttlSec: rng.chance(0.7) ? BigInt(rng.int(120)) : interestingU64(rng),
      };
    case 3:
      return { type: "SHARDID", shardId: randomNodeId(rng) };
    default:
      return { type: "RAW", code: rng.int(0x10000), payload: randomBytes(rng, rng.int(64)) };
  }
}

/** Weighted message kinds: the ones that change a cluster view most often come first. */
const KINDS = [
  "PING",
  "PING",
  "PING",
  "MEET",
  "MEET",
  "PONG",
  "PONG",
  "FAIL",
  "UPDATE",
  "PUBLISH",
  "PUBLISHSHARD",
  "FAILOVER_AUTH_REQUEST",
  "FAILOVER_AUTH_ACK",
  "MFSTART",
  "MODULE",
  "UNKNOWN",
] as const;

/** A random well-formed message from `sender`. */
export function randomMessage(rng: Prng, sender: string, ctx: BusFuzzContext): BusMessage {
  const header = randomHeader(rng, sender, ctx);
  const kind = rng.pick(KINDS);
  switch (kind) {
    case "PING":
    case "PONG":
    case "MEET": {
      const gossip: GossipEntry[] = [];
      for (let n = rng.int(rng.chance(0.9) ? 5 : 40); n > 0; n--) {
        gossip.push(randomGossip(rng, ctx));
      }
      const extensions: PingExtension[] = [];
      if (rng.chance(0.4)) {
        for (let n = 1 + rng.int(3); n > 0; n--) extensions.push(randomExtension(rng, ctx));
      }
      return { type: kind, header, gossip, extensions };
    }
    case "FAIL":
      return { type: "FAIL", header, nodename: pickNodeName(rng, ctx) };
    case "UPDATE":
      return {
        type: "UPDATE",
        header,
        configEpoch: randomEpoch(rng),
        nodename: pickNodeName(rng, ctx),
        slots: randomSlotBitmap(rng),
      };
    case "PUBLISH":
    case "PUBLISHSHARD":
      return {
        type: kind,
        header,
        channel: te.encode(rng.pick(["news", "k0", "", "__keyspace@0__:k"])),
        message: randomBytes(rng, rng.int(100)),
      };
    case "FAILOVER_AUTH_REQUEST":
    case "FAILOVER_AUTH_ACK":
    case "MFSTART":
      return { type: kind, header };
    case "MODULE":
      return {
        type: "MODULE",
        header,
        moduleId: randomBytes(rng, 8),
        moduleType: rng.int(256),
        payload: randomBytes(rng, rng.int(64)),
      };
    case "UNKNOWN":
      return {
        type: "UNKNOWN",
        header,
        code: 11 + rng.int(0x10000 - 11),
        body: randomBytes(rng, rng.int(64)),
      };
  }
}

/** Encode `m`, noting where its gossip and extensions are. */
export function buildFrame(m: BusMessage): BuiltFrame {
  const bytes = encodeBusMessage(m);
  const type = new DataView(bytes.buffer, bytes.byteOffset).getUint16(12);
  if (m.type !== "PING" && m.type !== "PONG" && m.type !== "MEET") {
    return { bytes, type, gossipCount: 0, extOffsets: [] };
  }
  const extOffsets: number[] = [];
  let off = BUS_HEADER_BYTES + BUS_GOSSIP_ENTRY_BYTES * m.gossip.length;
  for (const e of m.extensions) {
    extOffsets.push(off);
    off += pingExtensionLength(e);
  }
  if (off !== busMessageLength(m)) throw new Error("buildFrame: extension offsets disagree");
  return { bytes, type, gossipCount: m.gossip.length, extOffsets };
}
