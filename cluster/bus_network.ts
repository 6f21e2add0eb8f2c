/**
 * The transport the cluster bus runs on: a packet-oriented, connection-oriented network.
 *
 * The cluster bus never touches sockets directly; it gets a `BusNetwork` injected, so that
 * production uses TCP (cluster/bus_network_tcp.ts) and tests run many nodes in one process on a
 * simulated network driven by a simulated clock (cluster/bus_network_sim.ts), reproducible from a
 * seed.
 *
 * A *packet* is one whole bus message as bytes: bytes 0..3 are the signature "RCmb", bytes 4..7
 * are `totlen`, the big-endian u32 length of the whole packet including this header, at least
 * the 2256-byte bus header (Redis closes the link below that) and at most `maxPacketBytes`. The
 * network only frames packets (signature and totlen bounds, with protocol/bus_frame.ts on TCP);
 * the bus codec (protocol/bus.ts) validates contents.
 *
 * Semantics shared by every implementation (the sim models TCP):
 * - A link delivers packets reliably and in order (FIFO), like a TCP stream, until it closes.
 *   (The simulation can optionally drop packets to test loss tolerance.)
 * - `send` never blocks and never throws for I/O reasons: it queues the packet and returns true,
 *   or returns false when the link is closed or its bounded send buffer (counted in bytes) would
 *   overflow. An empty buffer always takes one packet, so a packet bigger than the bound can
 *   still be sent. What to do on false is the caller's policy (Redis frees the link).
 * - The link takes ownership of a sent packet: do not modify the bytes after `send`.
 * - `send` with a packet whose framing is invalid (see `checkPacketFraming`) throws: that is a
 *   programming error, not an I/O condition.
 * - Received packets are handed to `onPacket`, never synchronously from inside `send`/`close`.
 *   Packets that arrive while `onPacket` is null are held (the transport stops reading) and
 *   delivered in order once a handler is set.
 * - `onClose(reason)` is called exactly once per link, asynchronously, for every cause
 *   (peer closed, I/O error, bad framing, partition, local `close()`). If the link closed before
 *   a handler was set, the call happens once a handler is set. No packet is delivered after it.
 * - Errors inside the transport close the link; they never escape into the caller's event loop.
 *   An exception thrown by `onPacket` closes that link (reason "handler error: ...").
 */

import { BUS_HEADER_BYTES } from "../protocol/bus_constants.ts";
import { DEFAULT_MAX_BUS_PACKET_BYTES } from "../protocol/bus_frame.ts";

/** Bytes that hold the framing: signature + totlen. */
export const BUS_FRAME_PREFIX_BYTES = 8;
/** Smallest valid totlen: the bus header (docs/cluster-bus.md §2.8; smaller closes the link). */
export const MIN_PACKET_BYTES = BUS_HEADER_BYTES;
/** Default largest accepted totlen (same as the frame splitter's default). */
export const DEFAULT_MAX_PACKET_BYTES = DEFAULT_MAX_BUS_PACKET_BYTES;
/** Default bound of a link's send buffer, in bytes. */
export const DEFAULT_SEND_BUFFER_BYTES = 8 * 1024 * 1024;

export interface BusAddr {
  readonly host: string;
  readonly port: number;
}

export interface BusLink {
  /** Unique per network instance, increasing in creation order. */
  readonly id: number;
  /** The peer's address (for an accepted link: its source address and ephemeral port). */
  readonly remoteAddr: BusAddr;
  /** This side's address (Redis learns its own IP from this on MEET). */
  readonly localAddr: BusAddr;
  /** True from the moment the link is closed (locally or remotely). */
  readonly closed: boolean;
  /**
   * Queue one whole packet. Returns false (and queues nothing) when the link is closed or when
   * the buffered bytes plus this packet would exceed the send buffer bound.
   */
  send(packet: Uint8Array): boolean;
  /**
   * Close now (idempotent). The peer then sees "connection closed by peer". Packets still in the
   * send buffer may be lost (TCP discards its queue; the sim delivers what was sent, then the
   * close), so don't rely on a packet sent just before `close()` arriving.
   */
  close(): void;
  /** Bytes accepted by `send` and not yet handed to the wire (TCP) or delivered (sim). */
  bufferedBytes(): number;
  /**
   * What the link's user keeps with it (the bus engine: its record of the link), so that one pair
   * of handlers serves every link: each handler gets the link as its second argument. The network
   * never reads it. (A closure per link costs ~170 bytes, and a node of an N-node cluster holds
   * 2(N - 1) links: ~1.3 GB for the 8 million link ends a 2,000-node simulation holds.)
   */
  tag: unknown;
  /**
   * Receives each whole packet: a buffer the handler may keep but must not write (the simulated
   * network hands over the sent bytes themselves, one buffer to every link it was sent on).
   */
  onPacket: ((packet: Uint8Array, link: BusLink) => void) | null;
  /** Called once when the link closes, with a short human-readable reason for logs. */
  onClose: ((reason: string, link: BusLink) => void) | null;
}

export interface BusListener {
  /** The bound address (port resolved when listening on port 0). */
  readonly addr: BusAddr;
  /** Stop accepting. Already accepted links stay open. Idempotent. */
  close(): void;
}

export interface BusNetwork {
  /**
   * Listen for bus connections. `onAccept` is called synchronously with each new link, so the
   * handlers can be set before any packet is delivered. Rejects if the address is in use.
   */
  listen(host: string, port: number, onAccept: (link: BusLink) => void): Promise<BusListener>;
  /** Open a link. Rejects on refusal, unreachability or after `timeoutMs`. */
  connect(host: string, port: number, timeoutMs: number): Promise<BusLink>;
}

/** Framing limit and buffer bound, given when a network is created. */
export interface BusNetworkOptions {
  /** Largest valid totlen; a bigger one closes the link. Default 64 MiB. */
  maxPacketBytes?: number;
  /** Send buffer bound per link, in bytes. Default 8 MiB. */
  sendBufferBytes?: number;
}

export interface ResolvedBusNetworkOptions {
  readonly maxPacketBytes: number;
  readonly sendBufferBytes: number;
}

export function resolveBusNetworkOptions(opts: BusNetworkOptions = {}): ResolvedBusNetworkOptions {
  const maxPacketBytes = opts.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const sendBufferBytes = opts.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES;
  if (
    !Number.isInteger(maxPacketBytes) || maxPacketBytes < MIN_PACKET_BYTES ||
    maxPacketBytes > 0xffffffff
  ) {
    throw new RangeError(`maxPacketBytes must be an integer in ${MIN_PACKET_BYTES}..2^32-1`);
  }
  if (!Number.isInteger(sendBufferBytes) || sendBufferBytes < 1) {
    throw new RangeError(`sendBufferBytes must be a positive integer, got ${sendBufferBytes}`);
  }
  return { maxPacketBytes, sendBufferBytes };
}

/** Whether a send buffer holding `bufferedBytes` takes another `packetBytes` under `bound`. */
export function sendBufferAccepts(
  bufferedBytes: number,
  packetBytes: number,
  bound: number,
): boolean {
  return bufferedBytes === 0 || bufferedBytes + packetBytes <= bound;
}

/** True if `buf[off..off+4)` is the "RCmb" signature. */
export function hasBusSignature(buf: Uint8Array, off = 0): boolean {
  return buf[off] === 0x52 && buf[off + 1] === 0x43 && buf[off + 2] === 0x6d &&
    buf[off + 3] === 0x62;
}

/** Big-endian u32 totlen at `buf[off+4..off+8)`. Caller guarantees 8 bytes are there. */
export function readTotlen(buf: Uint8Array, off = 0): number {
  return ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
}

/**
 * Checks that `packet` is one whole framed packet within the limits: null if fine, otherwise the
 * reason. Used on send (to catch caller bugs).
 */
export function checkPacketFraming(packet: Uint8Array, maxPacketBytes: number): string | null {
  if (packet.length < BUS_FRAME_PREFIX_BYTES) return `packet shorter than 8 bytes`;
  if (!hasBusSignature(packet)) return "bad signature";
  const totlen = readTotlen(packet);
  if (totlen !== packet.length) return `totlen ${totlen} != packet length ${packet.length}`;
  if (totlen < MIN_PACKET_BYTES || totlen > maxPacketBytes) {
    return `totlen ${totlen} outside ${MIN_PACKET_BYTES}..${maxPacketBytes}`;
  }
  return null;
}

/**
 * A framed packet of `totlen` bytes (>= 8) whose bytes after the prefix are `fill(i)` for offset
 * i (default 0). For tests and tools; the codec builds real messages.
 */
export function framePacket(totlen: number, fill?: (offset: number) => number): Uint8Array {
  if (!Number.isInteger(totlen) || totlen < BUS_FRAME_PREFIX_BYTES || totlen > 0xffffffff) {
    throw new RangeError(`bad totlen ${totlen}`);
  }
  const out = new Uint8Array(totlen);
  out[0] = 0x52; // R
  out[1] = 0x43; // C
  out[2] = 0x6d; // m
  out[3] = 0x62; // b
  out[4] = totlen >>> 24;
  out[5] = (totlen >>> 16) & 0xff;
  out[6] = (totlen >>> 8) & 0xff;
  out[7] = totlen & 0xff;
  if (fill !== undefined) {
    for (let i = BUS_FRAME_PREFIX_BYTES; i < totlen; i++) {
      out[i] = fill(i);
    }
  }
  return out;
}
