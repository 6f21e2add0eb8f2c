/**
 * A peer's link start (actors/link_state.ts `LinkStart`) with every field at its default: a
 * connected peer, not in handshake, not failing, no PING in flight, just heard from. The link
 * tests override what they need.
 */

import type { LinkStart } from "../actors/link_state.ts";

export function linkStart(over: Partial<LinkStart> = {}): LinkStart {
  return {
    nodeId: "n".repeat(40),
    handshake: false,
    connected: true,
    pfail: false,
    fail: false,
    pingOutstandingMs: null,
    pongAgeMs: 0,
    handshakeAgeMs: 0,
    failAgeMs: 0,
    ...over,
  };
}
