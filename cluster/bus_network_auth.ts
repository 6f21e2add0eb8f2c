/**
 * A `BusNetwork` (cluster/bus_network.ts) whose links sign every packet they send and drop,
 * without a reply, every packet whose MAC is missing or wrong (cluster/bus_auth.ts), logging a
 * drop once per peer address per interval. It wraps the TCP network (or the simulator's), so the
 * bus engine above it runs unchanged and never sees a dropped packet; a dropped packet does not
 * close the link (closing would be an answer of its own).
 *
 * The secrets are read for every packet, so CONFIG SET cluster-bus-secret /
 * cluster-bus-secret-previous act at once; with no secret set, packets pass through untouched,
 * byte for byte, in both directions.
 */

import type { BusLink, BusNetwork } from "./bus_network.ts";
import { type BusSecrets, DropLogLimiter, signBusPacket, verifyBusPacket } from "./bus_auth.ts";

export interface BusAuthOptions {
  /** The secrets now (read per packet). */
  secrets: () => BusSecrets;
  /** Milliseconds clock for the drop-log rate limit. */
  nowMs: () => number;
  /** Where a drop is reported (warning level). */
  log: (line: string) => void;
  /** Rate-limit interval per peer address (default 60 s). */
  dropLogIntervalMs?: number;
}

class AuthBusLink implements BusLink {
  tag: unknown = null;
  private packetHandler: ((packet: Uint8Array, link: BusLink) => void) | null = null;
  private closeHandler: ((reason: string, link: BusLink) => void) | null = null;

  constructor(
    private readonly inner: BusLink,
    private readonly opts: BusAuthOptions,
    private readonly limiter: DropLogLimiter,
  ) {}

  get id(): number {
    return this.inner.id;
  }
  get remoteAddr() {
    return this.inner.remoteAddr;
  }
  get localAddr() {
    return this.inner.localAddr;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  get onClose(): ((reason: string, link: BusLink) => void) | null {
    return this.closeHandler;
  }
  set onClose(fn: ((reason: string, link: BusLink) => void) | null) {
    this.closeHandler = fn;
    // The handler is told of this link, not of the one it wraps.
    this.inner.onClose = fn === null ? null : (reason) => fn(reason, this);
  }
  get onPacket(): ((packet: Uint8Array, link: BusLink) => void) | null {
    return this.packetHandler;
  }
  set onPacket(fn: ((packet: Uint8Array, link: BusLink) => void) | null) {
    this.packetHandler = fn;
    this.inner.onPacket = fn === null ? null : (packet) => this.receive(packet, fn);
  }

  send(packet: Uint8Array): boolean {
    if (this.inner.closed) return false;
    return this.inner.send(signBusPacket(packet, this.opts.secrets()));
  }
  close(): void {
    this.inner.close();
  }
  bufferedBytes(): number {
    return this.inner.bufferedBytes();
  }

  private receive(
    packet: Uint8Array,
    handle: (packet: Uint8Array, link: BusLink) => void,
  ): void {
    const verdict = verifyBusPacket(packet, this.opts.secrets());
    if (verdict === "ok") {
      handle(packet, this);
      return;
    }
    const { host, port } = this.inner.remoteAddr;
    const line = this.limiter.note(host, port, verdict, this.opts.nowMs());
    if (line !== null) this.opts.log(line);
  }
}

/** `net` with authenticated links (see the file comment). */
export function authenticatedBusNetwork(net: BusNetwork, opts: BusAuthOptions): BusNetwork {
  const limiter = new DropLogLimiter(opts.dropLogIntervalMs);
  const wrap = (link: BusLink): BusLink => new AuthBusLink(link, opts, limiter);
  return {
    listen: (host, port, onAccept) => net.listen(host, port, (link) => onAccept(wrap(link))),
    connect: async (host, port, timeoutMs) => wrap(await net.connect(host, port, timeoutMs)),
  };
}
