/**
 * Splits a cluster bus TCP byte stream into whole packets (docs/cluster-bus.md §2.8 step 1): once 8
 * bytes are there, check the "RCmb" signature and read totlen (offset 4..8, u32 BE); totlen below
 * 2256 or above the configured maximum is a framing error after which the link must be closed
 * (Redis closes it for the first two). Bounded: at most one partial packet is buffered, allocated
 * once at its final size, so memory never exceeds `maxPacketBytes` per connection.
 *
 * Usage: `for (const f of splitter.feed(chunk)) { if (f.ok) handle(f.packet) else close() }`.
 * Packets are fresh copies: the caller may reuse its read buffer.
 */

import { BUS_HEADER_BYTES, OFF_TOTLEN } from "./bus_constants.ts";
import { hasBusSignature } from "./bus_header.ts";

/**
 * Default largest packet accepted. Redis has no limit but memory; the biggest real packets are
 * PUBLISH messages (bounded by client-query-buffer / proto-max-bulk-len in practice).
 */
export const DEFAULT_MAX_BUS_PACKET_BYTES = 64 * 1024 * 1024;

export type BusFrameError =
  | { kind: "BAD_SIGNATURE"; log: string }
  | { kind: "BAD_MIN_LENGTH"; totlen: number; log: string }
  | { kind: "TOO_LARGE"; totlen: number; maxPacketBytes: number; log: string };

export type BusFrame = { ok: true; packet: Uint8Array } | { ok: false; error: BusFrameError };

const PREFIX_BYTES = 8;
const REDIS_FRAMING_LOG = "Bad message length or signature received from Cluster bus.";

export class BusFrameSplitter {
  readonly maxPacketBytes: number;
  /** First 8 bytes of the packet being assembled. */
  private readonly prefix = new Uint8Array(PREFIX_BYTES);
  private prefixLen = 0;
  /** Packet being assembled (allocated once its totlen is known), and bytes in it. */
  private packet: Uint8Array | null = null;
  private packetLen = 0;
  private failed: BusFrameError | null = null;

  constructor(opts: { maxPacketBytes?: number } = {}) {
    const max = opts.maxPacketBytes ?? DEFAULT_MAX_BUS_PACKET_BYTES;
    if (!Number.isInteger(max) || max < BUS_HEADER_BYTES || max > 0xffffffff) {
      throw new RangeError(`maxPacketBytes must be an integer in ${BUS_HEADER_BYTES}..2^32-1`);
    }
    this.maxPacketBytes = max;
  }

  /** Bytes currently held for the incomplete packet (for tests and stats). */
  get bufferedBytes(): number {
    return this.packet !== null ? this.packetLen : this.prefixLen;
  }

  /** The error that stopped the splitter, or null. After an error no more frames are produced. */
  get error(): BusFrameError | null {
    return this.failed;
  }

  /**
   * Consume `chunk`, yielding each packet completed by it, in order. After a framing error one
   * `{ok: false}` frame is yielded and every later call yields nothing: close the connection.
   */
  *feed(chunk: Uint8Array): Generator<BusFrame> {
    let i = 0;
    const n = chunk.length;
    while (i < n && this.failed === null) {
      if (this.packet === null) {
        const take = Math.min(PREFIX_BYTES - this.prefixLen, n - i);
        this.prefix.set(chunk.subarray(i, i + take), this.prefixLen);
        this.prefixLen += take;
        i += take;
        if (this.prefixLen < PREFIX_BYTES) return;
        const err = this.checkPrefix();
        if (err !== null) {
          this.failed = err;
          this.prefixLen = 0;
          yield { ok: false, error: err };
          return;
        }
        const totlen = new DataView(this.prefix.buffer).getUint32(OFF_TOTLEN);
        this.packet = new Uint8Array(totlen);
        this.packet.set(this.prefix);
        this.packetLen = PREFIX_BYTES;
        this.prefixLen = 0;
      }
      const p: Uint8Array = this.packet;
      const take = Math.min(p.length - this.packetLen, n - i);
      p.set(chunk.subarray(i, i + take), this.packetLen);
      this.packetLen += take;
      i += take;
      if (this.packetLen === p.length) {
        this.packet = null;
        this.packetLen = 0;
        yield { ok: true, packet: p };
      }
    }
  }

  private checkPrefix(): BusFrameError | null {
    if (!hasBusSignature(this.prefix)) return { kind: "BAD_SIGNATURE", log: REDIS_FRAMING_LOG };
    const totlen = new DataView(this.prefix.buffer).getUint32(OFF_TOTLEN);
    if (totlen < BUS_HEADER_BYTES) {
      return { kind: "BAD_MIN_LENGTH", totlen, log: REDIS_FRAMING_LOG };
    }
    if (totlen > this.maxPacketBytes) {
      return {
        kind: "TOO_LARGE",
        totlen,
        maxPacketBytes: this.maxPacketBytes,
        log: `Cluster bus message of ${totlen} bytes exceeds the ${this.maxPacketBytes} byte limit`,
      };
    }
    return null;
  }
}
