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

/** Most bytes of packets kept for reuse (`recyclePacketBytes`); more given back are dropped. */
export const RECYCLED_MAX_BYTES = 64 * 1024 * 1024;

/** Packets given back, by length: the next packet of that length reuses one, zeroed again. */
const recycled = new Map<number, Uint8Array[]>();
let recycledBytes = 0;
/**
 * Set by the first packet given back: from then on a packet is a buffer of its own, not a view of a
 * slab, since a packet kept for reuse would keep its whole slab alive (at 500 simulated nodes the
 * slabs kept by 64 MiB of packets held 320 MiB).
 */
let recycling = false;

/**
 * `new Uint8Array(len)`: a packet given back of that length, zeroed, else cut from the current
 * slab when `len` is at most SLAB_MAX_PACKET_BYTES and no packet was ever given back.
 */
export function zeroedPacketBytes(len: number): Uint8Array {
  const again = recycled.get(len);
  if (again !== undefined && again.length > 0) {
    const p = again.pop()!;
    recycledBytes -= len;
    return p.fill(0);
  }
  if (len > SLAB_MAX_PACKET_BYTES || recycling) return new Uint8Array(len);
  if (slab === null || used + len > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, len);
  used += (len + 7) & ~7;
  return out;
}

/**
 * Give back a packet nobody reads or writes any more, for `zeroedPacketBytes` to hand out again:
 * what a network that knows when every receiver is done with a packet may do (the simulated one,
 * cluster/bus_network_sim.ts `recyclePackets`). A slab goes back to the OS only when a full
 * collection finds none of its packets alive, and at thousands of simulated nodes a full collection
 * takes seconds while gigabytes of packets are sent: reused, they are not garbage at all. Kept up to
 * RECYCLED_MAX_BYTES, and only packets that are a buffer of their own.
 */
export function recyclePacketBytes(p: Uint8Array): void {
  recycling = true;
  // A view of a slab stays out: it would keep the slab alive.
  if (p.byteOffset !== 0 || p.byteLength !== p.buffer.byteLength) return;
  if (recycledBytes + p.length > RECYCLED_MAX_BYTES) return;
  let again = recycled.get(p.length);
  if (again === undefined) recycled.set(p.length, again = []);
  again.push(p);
  recycledBytes += p.length;
}
