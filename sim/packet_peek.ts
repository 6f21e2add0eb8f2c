/**
 * What the simulator's taps (sim/world.ts) read of a bus packet, straight from its bytes: the
 * type, the sender, the header flags and config epoch, and the names of the gossip entries that
 * flag a node PFAIL or FAIL. Every packet on the simulated wire was made by the engine's encoder
 * (protocol/bus_messages.ts encodeBusMessage) and the network never alters one, so the fields
 * are where cluster.h's clusterMsg puts them; decoding the whole message (every gossip entry's
 * strings, a copy of the slot bitmap) twice more per packet for these few fields was a tenth of
 * a large simulation's time.
 */

import {
  BUS_GOSSIP_ENTRY_BYTES,
  BUS_HEADER_BYTES,
  MSG_TYPE_COUNT,
  NODE_NAME_BYTES,
  OFF_CONFIG_EPOCH,
  OFF_COUNT,
  OFF_FLAGS,
  OFF_SENDER,
  OFF_TYPE,
} from "../protocol/bus_constants.ts";
import { BUS_TYPE_CODES, type BusMessageType } from "../protocol/bus_messages.ts";
import { readBinary } from "../protocol/bus_header.ts";

const NAMES: BusMessageType[] = [];
for (const [name, code] of Object.entries(BUS_TYPE_CODES)) NAMES[code] = name as BusMessageType;

function u16(p: Uint8Array, off: number): number {
  return (p[off] << 8) | p[off + 1];
}

/** The message type as `decodeBusMessage` names it ("UNKNOWN" past the known codes). */
export function peekType(p: Uint8Array): BusMessageType {
  const code = u16(p, OFF_TYPE);
  return code < MSG_TYPE_COUNT ? NAMES[code] : "UNKNOWN";
}

export function peekSender(p: Uint8Array): string {
  return readBinary(p, OFF_SENDER, NODE_NAME_BYTES);
}

/** The header's node flags. */
export function peekFlags(p: Uint8Array): number {
  return u16(p, OFF_FLAGS);
}

/** The header's configEpoch as a number (as `Number(header.configEpoch)`). */
export function peekConfigEpoch(p: Uint8Array): number {
  return Number(new DataView(p.buffer, p.byteOffset, p.byteLength).getBigUint64(OFF_CONFIG_EPOCH));
}

/** Node names of the gossip entries (PING, PONG, MEET) whose flags include any of `mask`. */
export function peekGossipFlagged(p: Uint8Array, mask: number): string[] {
  const out: string[] = [];
  const count = u16(p, OFF_COUNT);
  for (let i = 0; i < count; i++) {
    const off = BUS_HEADER_BYTES + i * BUS_GOSSIP_ENTRY_BYTES;
    // clusterMsgDataGossip: nodename[40], ping_sent, pong_received, ip[46], port, cport, flags.
    if (u16(p, off + 98) & mask) out.push(readBinary(p, off, NODE_NAME_BYTES));
  }
  return out;
}
