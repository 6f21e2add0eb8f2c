/**
 * Zeroed buffers for encoded cluster bus packets (protocol/bus_messages.ts encodeBusMessage), cut
 * from shared 256 KiB slabs: a packet is a view into a slab, not an ArrayBuffer of its own.
 *
 * Why: every PING/PONG is a fresh 2-13 KB packet (the 2 KB slot bitmap plus N/10 gossip entries),
 * and an ArrayBuffer of its own per packet is a backing store allocated, zeroed and freed outside
 * the JS heap: at 300 simulated nodes that allocation was 7.5% of the CPU time and its external
 * memory drove the collector. A slab region is handed out once, so it is zero like a new buffer;
 * a slab is freed by the collector once no packet cut from it is referenced.
 *
 * What a caller may rely on: the bytes are its own (no other caller gets them) and start zeroed;
 * `byteOffset` is a multiple of 8 (so the slot bitmap in a packet has the alignment it has in a
 * buffer of its own). A caller that keeps a packet for long keeps its slab alive with it (at most
 * SLAB_BYTES per packet kept).
 */

/** The size of one slab. */
export const SLAB_BYTES = 256 * 1024;
/** Bigger packets get a buffer of their own (they would waste most of a slab). */
export const SLAB_MAX_PACKET_BYTES = 32 * 1024;

let slab: ArrayBuffer | null = null;
let used = 0;

/** `new Uint8Array(len)`, cut from the current slab when `len` is at most SLAB_MAX_PACKET_BYTES. */
export function zeroedPacketBytes(len: number): Uint8Array {
  if (len > SLAB_MAX_PACKET_BYTES) return new Uint8Array(len);
  if (slab === null || used + len > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, len);
  used += (len + 7) & ~7;
  return out;
}
