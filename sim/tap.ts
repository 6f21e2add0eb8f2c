/**
 * A network seen from one node: every packet one of its links sends is shown to `tap` as it
 * reaches the wire (after the node's end-of-turn save, since the engine releases its outbox only
 * then), and every packet it receives to `tapReceived` just before the node handles it. The
 * simulator uses them to record what a node has announced (votes, epochs) and what it has heard
 * (gossip about failing nodes, whenever it arrives).
 */

import type { BusAddr, BusLink, BusNetwork } from "../cluster/bus_network.ts";

export function tapSends(
  net: BusNetwork,
  tap: (packet: Uint8Array) => void,
  tapReceived: (packet: Uint8Array) => void = () => {},
): BusNetwork {
  const wrap = (link: BusLink): BusLink => new TappedLink(link, tap, tapReceived);
  return {
    listen: (host, port, onAccept) => net.listen(host, port, (l) => onAccept(wrap(l))),
    connect: async (host, port, timeoutMs) => wrap(await net.connect(host, port, timeoutMs)),
  };
}

/**
 * A link whose sends and received packets are shown to the taps; everything else is the link's
 * own. (A Proxy did the same, at a bound function per property read on every packet.)
 */
class TappedLink implements BusLink {
  constructor(
    private readonly target: BusLink,
    private readonly tap: (packet: Uint8Array) => void,
    private readonly tapReceived: (packet: Uint8Array) => void,
  ) {}

  get id(): number {
    return this.target.id;
  }
  get remoteAddr(): BusAddr {
    return this.target.remoteAddr;
  }
  get localAddr(): BusAddr {
    return this.target.localAddr;
  }
  get closed(): boolean {
    return this.target.closed;
  }

  send(packet: Uint8Array): boolean {
    const sent = this.target.send(packet);
    if (sent) this.tap(packet);
    return sent;
  }

  close(): void {
    this.target.close();
  }

  bufferedBytes(): number {
    return this.target.bufferedBytes();
  }

  get onPacket(): ((packet: Uint8Array) => void) | null {
    return this.target.onPacket;
  }
  set onPacket(fn: ((packet: Uint8Array) => void) | null) {
    if (typeof fn !== "function") {
      this.target.onPacket = fn;
      return;
    }
    const tapReceived = this.tapReceived;
    this.target.onPacket = (packet: Uint8Array) => {
      tapReceived(packet);
      fn(packet);
    };
  }

  get onClose(): ((reason: string) => void) | null {
    return this.target.onClose;
  }
  set onClose(fn: ((reason: string) => void) | null) {
    this.target.onClose = fn;
  }
}
