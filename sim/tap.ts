/**
 * A network seen from one node: every packet one of its links sends is shown to `tap` as it
 * reaches the wire (after the node's end-of-turn save, since the engine releases its outbox only
 * then), and every packet it receives to `tapReceived` just before the node handles it. The
 * simulator uses them to record what a node has announced (votes, epochs) and what it has heard
 * (gossip about failing nodes, whenever it arrives).
 */

import type { BusLink, BusNetwork } from "../cluster/bus_network.ts";

export function tapSends(
  net: BusNetwork,
  tap: (packet: Uint8Array) => void,
  tapReceived: (packet: Uint8Array) => void = () => {},
): BusNetwork {
  const wrap = (link: BusLink): BusLink =>
    new Proxy(link, {
      get(target, prop) {
        if (prop === "send") {
          return (packet: Uint8Array) => {
            const sent = target.send(packet);
            if (sent) tap(packet);
            return sent;
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
      set(target, prop, value) {
        if (prop === "onPacket" && typeof value === "function") {
          const handle = value as (packet: Uint8Array) => void;
          return Reflect.set(target, prop, (packet: Uint8Array) => {
            tapReceived(packet);
            handle(packet);
          }, target);
        }
        return Reflect.set(target, prop, value, target);
      },
    });
  return {
    listen: (host, port, onAccept) => net.listen(host, port, (l) => onAccept(wrap(l))),
    connect: async (host, port, timeoutMs) => wrap(await net.connect(host, port, timeoutMs)),
  };
}
