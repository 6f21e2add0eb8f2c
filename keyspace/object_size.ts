/**
 * What a key and its value cost in this process's memory: the estimate MEMORY USAGE answers and
 * the keyspace adds up for INFO `used_memory` and the maxmemory check (keyspace/db.ts keeps the
 * sum incrementally: a key's charge is added when it is stored, recomputed when it changes in
 * place, subtracted when it goes).
 *
 * The figures are V8's (64-bit, no pointer compression, as Deno ships): a flat one-byte string
 * is a 16-byte header and its bytes rounded up to 8; a Map entry costs ~37 bytes (3 words plus
 * its share of the buckets at the average load); a Uint8Array ~200 bytes of
 * objects and backing store bookkeeping besides its bytes. A key is in two Maps (the dict and its
 * slot's index, which also holds its LRU/LFU clock). Measured with
 * `v8.getHeapStatistics().used_heap_size` over 200,000 insertions. A big hash's fields, a big
 * set's members and a skip-list sorted set's dict are in KeyTables (keyspace/key_table.ts) of
 * their own: a slot is 20 bytes with values (key, value, hash), 12 without (a set's: key,
 * hash), and a table keeps 40-80% of its slots filled (MAX_LOAD 0.8, doubling), 58% on average
 * over a growth; a small set (keyspace/member_set.ts SMALL_MAX) is an array, 8 bytes a member.
 *
 * Collections are sampled as Redis's object.c objectComputeSize does: the average size of the
 * first `samples` elements times the element count (`samples` 0: every element), so a charge is
 * O(samples) to compute whatever the collection's size. A list is not sampled: its elements are
 * bytes in blocks (keyspace/deque.ts), and it keeps the sum of its blocks' sizes.
 */

import { Deque } from "./deque.ts";
import { ZSet } from "./zset.ts";
import { Hash } from "./hash.ts";
import { MemberSet } from "./member_set.ts";
import { Stream } from "./stream.ts";

/** One Map entry (the dict's and the slot index's). */
export const MAP_ENTRY_BYTES = 37;
/** One entry of a KeyTable with values (a hash's field, a sorted set's member): 20 B / 0.58. */
export const TABLE_ENTRY_BYTES = 35;
/** One member of a set's KeyTable (keys only): 12 B / 0.58. */
export const TABLE_MEMBER_BYTES = 21;
/** One member of a small set (an array element). */
export const SMALL_MEMBER_BYTES = 8;
/** A Uint8Array's objects and backing-store bookkeeping, besides its bytes. */
export const BYTES_OBJECT_BYTES = 200;
/** A list block's record (keyspace/deque.ts Block: buffer, start, end, count). */
export const BLOCK_RECORD_BYTES = 48;
/** A collection object's own header (Map, Set, Deque, ZSet, Stream). */
export const COLLECTION_BYTES = 64;
/** A key's fixed cost: its entries in the dict and in its slot's index. */
export const KEY_ENTRY_BYTES = 2 * MAP_ENTRY_BYTES;

/** A flat one-byte JS string of `n` chars. */
export function stringBytes(n: number): number {
  return (16 + n + 7) & ~7;
}

/** A string value (binary string or bytes). */
function stringValueBytes(v: string | Uint8Array): number {
  return typeof v === "string"
    ? stringBytes(v.length)
    : BYTES_OBJECT_BYTES + ((v.byteLength + 7) & ~7);
}

/** Average of `cost` over the first `samples` elements (all when 0), times `size`. */
function sampled<T>(
  it: Iterable<T>,
  size: number,
  samples: number,
  cost: (e: T) => number,
): number {
  if (size === 0) return 0;
  let n = 0;
  let sum = 0;
  for (const e of it) {
    sum += cost(e);
    if (++n === samples) break;
  }
  return n === 0 ? 0 : Math.round(sum / n * size);
}

/** Bytes of a value (not its key): object.c objectComputeSize's counterpart. */
export function valueBytes(v: unknown, samples = 5): number {
  if (typeof v === "string" || v instanceof Uint8Array) return stringValueBytes(v);
  if (v instanceof Deque) {
    // Blocks of packed elements (keyspace/deque.ts): their buffers, a Uint8Array and a block
    // record each. O(1): the list keeps the sum of its buffers' sizes.
    return COLLECTION_BYTES + v.bytes + v.blocks.length * (BYTES_OBJECT_BYTES + BLOCK_RECORD_BYTES);
  }
  if (v instanceof Hash) {
    // Packed: one string of fields and values with a length byte each; table: a table entry and
    // two strings a field.
    if (v.listpack) return COLLECTION_BYTES + stringBytes(v.packedBytes);
    return COLLECTION_BYTES +
      sampled(
        v,
        v.size,
        samples,
        ([f, x]) => TABLE_ENTRY_BYTES + stringBytes(f.length) + stringValueBytes(x),
      );
  }
  if (v instanceof MemberSet) {
    const entry = v.isSmall ? SMALL_MEMBER_BYTES : TABLE_MEMBER_BYTES;
    return COLLECTION_BYTES + sampled(v, v.size, samples, (m) => entry + stringBytes(m.length));
  }
  if (v instanceof ZSet) {
    // Compact: one packed string (member bytes and a score each); skip list: a node, a level
    // array and a member-to-score table entry per element.
    const per = v.listpack
      ? (m: [string, number]) => m[0].length + 10
      : (m: [string, number]) => stringBytes(m[0].length) + TABLE_ENTRY_BYTES + 104;
    return COLLECTION_BYTES + sampled(v, v.size, samples, per);
  }
  if (v instanceof Stream) return streamBytes(v, samples);
  return COLLECTION_BYTES;
}

function streamBytes(s: Stream, samples: number): number {
  const nodes = s.nodes;
  let n = COLLECTION_BYTES;
  n += sampled(nodes, nodes.length, samples, (node) => 48 + node.lp.bytes);
  if (s.groups !== null) {
    for (const [name, g] of s.groups) {
      n += 96 + name.length + g.pel.size * 64;
      n += sampled(
        g.consumers.values(),
        g.consumers.size,
        samples,
        (c) => 64 + c.name.length + c.pel.size * 32,
      );
    }
  }
  return n;
}

/** Bytes of a key and its value (MEMORY USAGE key [SAMPLES n]; the keyspace's charge). */
export function keyBytes(key: string, v: unknown, samples = 5): number {
  return KEY_ENTRY_BYTES + stringBytes(key.length) + valueBytes(v, samples);
}

/** `keyBytes` of `key` holding a binary string of `valueLength` chars. */
export function stringKeyBytes(key: string, valueLength: number): number {
  return KEY_ENTRY_BYTES + stringBytes(key.length) + stringBytes(valueLength);
}
