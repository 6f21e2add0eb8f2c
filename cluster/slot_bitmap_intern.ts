/**
 * One shared copy of each distinct slot bitmap. Every view holds a record of every node, each with
 * a 2,048-byte bitmap (Redis's clusterNode.slots); the views of a cluster mostly agree, so N views
 * of N nodes held N x N bitmaps of a few distinct values. Interned bitmaps are shared between
 * records and views, so they must never be written: every change copies first (`slice()`), as the
 * transitions of cluster/state.ts do.
 */

import { SLOT_BITMAP_BYTES } from "../protocol/bus_constants.ts";

/** The bitmap of a node with no slots (shared; never written). */
export const NO_SLOTS: Uint8Array = new Uint8Array(SLOT_BITMAP_BYTES);

/** Interned bitmaps by content hash; dead ones drop out as the GC collects them. */
const table = new Map<number, WeakRef<Uint8Array>[]>();
const collected = new FinalizationRegistry<number>((h) => {
  const bucket = table.get(h);
  if (bucket === undefined) return;
  const live = bucket.filter((r) => r.deref() !== undefined);
  if (live.length === 0) table.delete(h);
  else table.set(h, live);
});

function hashOf(b: Uint8Array): number {
  const w = words(b);
  return (w !== null ? fnv1aWords(w) : fnv1aBytes(b)) >>> 0;
}

/**
 * `b` as 512 int32 words, or null when its offset is not a multiple of 4 (a fresh bitmap or a
 * slice always is; a view into a packet may not be). A reshard interns two new bitmaps per slot
 * moved on every node: a word loop does a quarter of the byte loop's steps.
 */
function words(b: Uint8Array): Int32Array | null {
  return b.byteOffset % 4 === 0 && b.length % 4 === 0
    ? new Int32Array(b.buffer, b.byteOffset, b.length >> 2)
    : null;
}

/**
 * FNV-1a over the bitmap's int32 words (the basis is 0x811c9dc5 as `^` reads it): from an
 * Int32Array view when aligned (`fnv1aWords`), else from the bytes put together little-endian
 * (`fnv1aBytes`), which is what the view reads on the little-endian machines Deno runs on, so
 * equal bitmaps hash alike either way. Each loop's function returns the int32 itself: with the
 * `>>> 0` (a value above 2^31) in the same function, V8's on-stack-replaced loop code
 * deoptimized ("lost precision") at the end of nearly every call, ~200 times per node in a
 * 1,000-slot reshard, each call then finishing in the interpreter.
 */
function fnv1aBytes(b: Uint8Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i + 3 < b.length; i += 4) {
    h = Math.imul(h ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)), 0x01000193);
  }
  return h;
}

function fnv1aWords(w: Int32Array): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  return h;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const wa = words(a);
  const wb = wa !== null ? words(b) : null;
  if (wa !== null && wb !== null) {
    for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A shared bitmap equal to `b` (`b` itself when it is the first of its value); `b` must not be
 * written afterwards. */
export function internSlots(b: Uint8Array): Uint8Array {
  const h = hashOf(b);
  if (h === ZERO_HASH && same(b, NO_SLOTS)) return NO_SLOTS;
  const bucket = table.get(h);
  if (bucket !== undefined) {
    for (const r of bucket) {
      const x = r.deref();
      if (x !== undefined && same(x, b)) return x;
    }
    bucket.push(new WeakRef(b));
  } else {
    table.set(h, [new WeakRef(b)]);
  }
  collected.register(b, h);
  return b;
}

/** hashOf(NO_SLOTS), as a constant: computing it at start made V8 compile hashOf on an idle
 * node (slot_bitmap_intern_test.ts: an all-zero bitmap interns to NO_SLOTS). */
const ZERO_HASH = 0x4d7705c5;
