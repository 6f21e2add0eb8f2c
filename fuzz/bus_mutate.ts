/**
 * Structure-aware mutations of cluster bus frames, pure. Each mutator edits one field of an
 * encoded frame at its wire offset (protocol/bus_constants.ts), so the rest stays well formed
 * and the packet reaches the check that field meets in Redis 7.0.15's clusterProcessPacket:
 * totlen (framing and per-type lengths), version, type, the gossip count against totlen, the
 * extension count, length and type, epochs, flags, slot bitmaps, gossip entries, the UPDATE and
 * PUBLISH bodies. Besides: truncation, byte havoc, and random bytes with or without the "RCmb"
 * signature.
 */

import type { Prng } from "../cluster/prng.ts";
import {
  BUS_GOSSIP_ENTRY_BYTES,
  BUS_HEADER_BYTES,
  BUS_SIGNATURE,
  MSG_PUBLISH,
  MSG_PUBLISHSHARD,
  MSG_UPDATE,
  OFF_CONFIG_EPOCH,
  OFF_COUNT,
  OFF_CURRENT_EPOCH,
  OFF_DATA,
  OFF_EXTENSIONS,
  OFF_FLAGS,
  OFF_MFLAGS,
  OFF_MYSLOTS,
  OFF_SENDER,
  OFF_SLAVEOF,
  OFF_STATE,
  OFF_TOTLEN,
  OFF_TYPE,
  OFF_VER,
  SLOT_BITMAP_BYTES,
} from "../protocol/bus.ts";
import type { BuiltFrame } from "./bus_frames.ts";
import { interestingU64, interestingUint, randomBytes, smallLength } from "./gen.ts";

type Mutator = (rng: Prng, b: Uint8Array, f: BuiltFrame) => void;

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function fillSlots(rng: Prng, b: Uint8Array, off: number): void {
  if (b.length < off + SLOT_BITMAP_BYTES) return;
  switch (rng.int(4)) {
    case 0:
      b.fill(0xff, off, off + SLOT_BITMAP_BYTES);
      break;
    case 1:
      b.fill(0, off, off + SLOT_BITMAP_BYTES);
      break;
    case 2:
      b.set(randomBytes(rng, SLOT_BITMAP_BYTES), off);
      break;
    default:
      b[off + rng.int(SLOT_BITMAP_BYTES)] ^= 1 << rng.int(8);
  }
}

/** The named field mutators; each writes one field in place. */
export const BUS_MUTATORS: Readonly<Record<string, Mutator>> = {
  totlen(rng, b) {
    const v = rng.chance(0.3)
      ? rng.pick([
        0,
        7,
        8,
        BUS_HEADER_BYTES - 1,
        BUS_HEADER_BYTES,
        0xffffffff,
        64 * 1024 * 1024 + 1,
      ])
      : interestingUint(rng, 32, b.length);
    dv(b).setUint32(OFF_TOTLEN, v);
  },
  version(rng, b) {
    dv(b).setUint16(OFF_VER, interestingUint(rng, 16, 1));
  },
  type(rng, b) {
    dv(b).setUint16(OFF_TYPE, rng.chance(0.8) ? rng.int(12) : interestingUint(rng, 16, 11));
  },
  gossipCount(rng, b, f) {
    dv(b).setUint16(OFF_COUNT, interestingUint(rng, 16, f.gossipCount));
  },
  extensionCount(rng, b, f) {
    dv(b).setUint16(OFF_EXTENSIONS, interestingUint(rng, 16, f.extOffsets.length));
    if (rng.chance(0.5)) b[OFF_MFLAGS] |= 4; // EXT_DATA
  },
  extensionLength(rng, b, f) {
    if (f.extOffsets.length === 0) return;
    const at = rng.pick(f.extOffsets);
    const cur = dv(b).getUint32(at);
    dv(b).setUint32(
      at,
      rng.chance(0.5)
        ? rng.pick([0, 4, 7, 8, 9, 0x10008, cur - 8, cur + 8]) >>> 0
        : interestingUint(rng, 32, cur),
    );
  },
  extensionType(rng, b, f) {
    if (f.extOffsets.length === 0) return;
    dv(b).setUint16(rng.pick(f.extOffsets) + 4, rng.chance(0.7) ? rng.int(5) : rng.int(0x10000));
  },
  extDataFlag(_rng, b) {
    b[OFF_MFLAGS] ^= 4;
  },
  currentEpoch(rng, b) {
    dv(b).setBigUint64(OFF_CURRENT_EPOCH, interestingU64(rng));
  },
  configEpoch(rng, b) {
    dv(b).setBigUint64(OFF_CONFIG_EPOCH, interestingU64(rng));
  },
  flags(rng, b) {
    dv(b).setUint16(OFF_FLAGS, rng.int(0x10000));
  },
  stateAndMflags(rng, b) {
    b[rng.chance(0.5) ? OFF_STATE : OFF_MFLAGS] = rng.int(256);
  },
  slotBitmap(rng, b) {
    fillSlots(rng, b, OFF_MYSLOTS);
  },
  senderBytes(rng, b) {
    b[OFF_SENDER + rng.int(40)] = rng.int(256);
  },
  slaveofBytes(rng, b) {
    if (rng.chance(0.5)) b.fill(0, OFF_SLAVEOF, OFF_SLAVEOF + 40);
    else b.copyWithin(OFF_SLAVEOF, OFF_SENDER, OFF_SENDER + 40); // a replica of itself
  },
  gossipEntry(rng, b, f) {
    if (f.gossipCount === 0) return;
    const at = OFF_DATA + BUS_GOSSIP_ENTRY_BYTES * rng.int(f.gossipCount);
    const field = rng.int(4);
    if (field === 0) dv(b).setUint16(at + 98, rng.int(0x10000)); // flags
    else if (field === 1) dv(b).setUint16(at + 94, rng.int(0x10000)); // port
    else if (field === 2) b.set(randomBytes(rng, 46), at + 48); // ip without NUL
    else b.copyWithin(at, OFF_SENDER, OFF_SENDER + 40); // gossip about the sender itself
  },
  updateBody(rng, b, f) {
    if (f.type !== MSG_UPDATE || b.length < OFF_DATA + 48 + SLOT_BITMAP_BYTES) return;
    if (rng.chance(0.5)) dv(b).setBigUint64(OFF_DATA, interestingU64(rng));
    else fillSlots(rng, b, OFF_DATA + 48);
  },
  publishLengths(rng, b, f) {
    if ((f.type !== MSG_PUBLISH && f.type !== MSG_PUBLISHSHARD) || b.length < OFF_DATA + 8) return;
    const at = OFF_DATA + (rng.chance(0.5) ? 0 : 4);
    dv(b).setUint32(at, interestingUint(rng, 32, dv(b).getUint32(at)));
  },
};

export const BUS_MUTATOR_NAMES: readonly string[] = Object.keys(BUS_MUTATORS);

/** A copy of the frame with 1-3 field mutations; returns the bytes and the mutators' names. */
export function mutateFrame(rng: Prng, f: BuiltFrame): { bytes: Uint8Array; how: string } {
  const b = f.bytes.slice();
  const names: string[] = [];
  for (let n = 1 + (rng.chance(0.7) ? 0 : rng.int(3)); n > 0; n--) {
    const name = rng.pick(BUS_MUTATOR_NAMES);
    BUS_MUTATORS[name](rng, b, f);
    names.push(name);
  }
  return { bytes: b, how: names.join("+") };
}

/** A proper prefix of the frame: the peer then waits for bytes that never come, or closes. */
export function truncateFrame(rng: Prng, bytes: Uint8Array): Uint8Array {
  const cut = rng.chance(0.5) ? rng.int(Math.min(bytes.length, 16)) : rng.int(bytes.length);
  return bytes.subarray(0, cut);
}

/** Random byte edits anywhere in the frame. */
export function havocFrame(rng: Prng, bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  for (let n = 1 + rng.int(16); n > 0; n--) b[rng.int(b.length)] = rng.int(256);
  return b;
}

const SIG = new TextEncoder().encode(BUS_SIGNATURE);

/** Random bytes; half of the time behind "RCmb" and a plausible totlen. */
export function randomBusInput(rng: Prng): Uint8Array {
  if (rng.chance(0.5)) return randomBytes(rng, smallLength(rng, 3000));
  const n = BUS_HEADER_BYTES + smallLength(rng, 600);
  const b = randomBytes(rng, n);
  b.set(SIG, 0);
  dv(b).setUint32(OFF_TOTLEN, rng.chance(0.8) ? n : interestingUint(rng, 32, n));
  if (rng.chance(0.7)) dv(b).setUint16(OFF_VER, 1);
  return b;
}
