/**
 * Reading ahead the keys of pipelined requests: before a batch of requests read together runs,
 * each request's first argument (the key of GET, SET, INCR, HSET, LPUSH and most keyed commands)
 * is hashed from the input bytes and its home slot in the key table read, then the first bytes of
 * the key and the value there (KeyTable `prefetchSpans`). The commands' own lookups then find those in
 * the CPU's caches.
 *
 * Why: a lookup in a key space larger than the caches is two dependent misses (the table slot,
 * then the key it holds, compared with the request's), each with a TLB miss too after the read
 * syscall. Run one request at a time, between parsing and replying, a lookup waits for both in
 * turn; read ahead for a batch, the misses of different keys overlap. Valkey 8 does the same for
 * the commands of a batch (memory_prefetch.c prefetchCommands); Redis 7.0 does not. Measured
 * (`redis-benchmark -t get -P 16 -c 50 -r 100000` on 100,000 keys, server CPU time per request,
 * 8 paired rounds on a busy 2-core machine): 1,880 ns without, 1,559 with; SET ~2,350 and ~2,120.
 *
 * Then, for a run of requests on one key that holds a big hash, set or sorted set, their fields or
 * members in that collection's own table (`readAheadMembers`): `redis-benchmark -P 16 -r 100000`
 * SADD into one 100,000-member set, server CPU per request, base against this, alternated in the
 * same minutes with the byte lookups of commands/sets.ts: 2.26-3.62 us against 1.84-2.52.
 *
 * A hint only: nothing is changed, and a first argument that is no key (or a key of another
 * database, after a SELECT in the batch) costs a wasted read. Bounded: at most
 * PREFETCH_MAX_REQUESTS requests and PREFETCH_MAX_ARGS arguments scanned per batch; nothing is
 * read ahead for a single request (`-P 1`: its lookup follows at once anyway).
 */

import type { KeyTable } from "./key_table.ts";

/** Most requests of one batch whose keys are read ahead. */
export const PREFETCH_MAX_REQUESTS = 64;
/** Most arguments scanned over per batch (a long MSET stops the scan). */
const PREFETCH_MAX_ARGS = 1024;
/** Longer first arguments are not read ahead (hashing them twice costs more than it saves). */
const PREFETCH_MAX_KEY_BYTES = 256;

/**
 * The spans of the second and third arguments of the requests `firstArgSpans` found (index j for
 * its j-th span; a start of -1: no such argument): a field, member or score.
 */
export interface LaterArgSpans {
  starts2: Int32Array;
  ends2: Int32Array;
  starts3: Int32Array;
  ends3: Int32Array;
}

/** A value whose members live in a key table of their own (a hash's, set's or sorted set's). */
interface HasMemberTable {
  readAheadTable(): KeyTable<unknown> | null;
}

const keyStarts = new Int32Array(PREFETCH_MAX_REQUESTS);
const keyEnds = new Int32Array(PREFETCH_MAX_REQUESTS);
const homes = new Int32Array(PREFETCH_MAX_REQUESTS);
const later: LaterArgSpans = {
  starts2: new Int32Array(PREFETCH_MAX_REQUESTS),
  ends2: new Int32Array(PREFETCH_MAX_REQUESTS),
  starts3: new Int32Array(PREFETCH_MAX_REQUESTS),
  ends3: new Int32Array(PREFETCH_MAX_REQUESTS),
};
/** The member spans of one run of requests on one collection (`readAheadMembers`). */
const memberStarts = new Int32Array(2 * PREFETCH_MAX_REQUESTS);
const memberEnds = new Int32Array(2 * PREFETCH_MAX_REQUESTS);
const memberHomes = new Int32Array(2 * PREFETCH_MAX_REQUESTS);

/** Where the digits `decimalUpToCr` read last end (at the CR, or at `end`). */
let digitsEnd = 0;

/**
 * The decimal number in `buf` from `q` up to the next CR (or `end`), setting `digitsEnd`; -1 when
 * a byte there is no digit or the number passes `bound` (read no further: it is a bound).
 */
function decimalUpToCr(buf: Uint8Array, q: number, end: number, bound: number): number {
  let v = 0;
  while (q < end && buf[q] !== 13) {
    const d = buf[q] - 48;
    if (d < 0 || d > 9 || v > bound) return -1;
    v = v * 10 + d;
    q++;
  }
  digitsEnd = q;
  return v;
}

/**
 * The spans of the first arguments of the complete multibulk requests (`*N\r\n$L\r\n...`) in
 * `buf` from `pos`, up to `max` of them, into `starts`/`ends`: how many. Stops at anything else
 * (an inline request, an incomplete one, a malformed header), which the parser deals with.
 * Requests of one argument have no span and are skipped over. Pure.
 */
export function firstArgSpans(
  buf: Uint8Array,
  pos: number,
  starts: Int32Array,
  ends: Int32Array,
  max: number,
  more: LaterArgSpans | null = null,
): number {
  const end = buf.length;
  let n = 0;
  let args = 0;
  let p = pos;
  while (n < max && p < end && buf[p] === 0x2a /* '*' */) {
    // "*<argc>\r\n"
    const argc = decimalUpToCr(buf, p + 1, end, PREFETCH_MAX_ARGS);
    if (argc < 0) return n;
    let q = digitsEnd + 2;
    args += argc;
    if (q > end || args > PREFETCH_MAX_ARGS) return n;
    let start = -1;
    let stop = -1;
    for (let a = 0; a < argc; a++) {
      // "$<len>\r\n<len bytes>\r\n"
      if (q >= end || buf[q] !== 0x24 /* '$' */) return n;
      const len = decimalUpToCr(buf, q + 1, end, end);
      if (len < 0) return n;
      q = digitsEnd + 2;
      if (a === 1) {
        start = q;
        stop = q + len;
      } else if (more !== null && (a === 2 || a === 3)) {
        if (a === 2) more.starts2[n] = q;
        else more.starts3[n] = q;
        if (a === 2) more.ends2[n] = q + len;
        else more.ends3[n] = q + len;
      }
      q += len + 2;
      if (q > end) return n;
    }
    if (more !== null) {
      if (argc < 3) more.starts2[n] = -1;
      if (argc < 4) more.starts3[n] = -1;
    }
    if (start >= 0 && stop - start <= PREFETCH_MAX_KEY_BYTES) {
      starts[n] = start;
      ends[n] = stop;
      n++;
    }
    p = q;
  }
  return n;
}

/** What the reads ahead read (kept, so that the compiler keeps the reads). */
let sink = 0;

/**
 * Read ahead the keys of the requests pending in `buf` from `pos` (the parser's unparsed input),
 * in `table` (the client's database's key table), when there are two or more, then their members
 * in the collections they share (`readAheadMembers`): how many member spans were read (tests).
 */
export function prefetchPipelinedKeys(
  table: KeyTable<unknown>,
  buf: Uint8Array,
  pos: number,
): number {
  if (pos < 0) return 0;
  const n = firstArgSpans(buf, pos, keyStarts, keyEnds, PREFETCH_MAX_REQUESTS, later);
  if (n < 2) return 0;
  sink ^= table.prefetchSpans(buf, keyStarts, keyEnds, n, homes);
  const members = readAheadMembers(table, buf, n);
  sink ^= members;
  return members;
}

/** Are the spans of requests i and j's keys the same bytes? */
function sameKey(buf: Uint8Array, i: number, j: number): boolean {
  const a = keyStarts[i];
  const b = keyStarts[j];
  const len = keyEnds[i] - a;
  if (keyEnds[j] - b !== len) return false;
  for (let k = 0; k < len; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/**
 * The second part of the read-ahead: for each run of two or more consecutive requests on the
 * same key (a pipeline of HSETs into one hash, SADDs into one set, ZADDs into one sorted set),
 * when that key holds a collection with a member table (`readAheadTable`), the home slots of
 * the requests' second and third arguments (field, member, or a ZADD's score and member) in
 * that table. A big collection's table is as large as a big key space, and each command's
 * member lookup is the same two dependent misses (slot, then the member's chars). The key
 * itself is found without building its string (KeyTable `findBytes`); nothing is changed, and an
 * argument that is no member costs a wasted read. Reads the `n` requests `firstArgSpans` last
 * found (with their later arguments); answers how many member spans it read ahead.
 */
function readAheadMembers(table: KeyTable<unknown>, buf: Uint8Array, n: number): number {
  let spans = 0;
  for (let j = 0; j < n - 1;) {
    let end = j + 1;
    while (end < n && sameKey(buf, j, end)) end++;
    if (end - j >= 2) {
      const slot = table.findBytes(buf, keyStarts[j], keyEnds[j]);
      const v = slot < 0 ? undefined : table.valueAt(slot);
      const members = typeof v === "object" && v !== null && "readAheadTable" in v
        ? (v as HasMemberTable).readAheadTable()
        : null;
      if (members !== null) {
        let m = 0;
        for (let r = j; r < end; r++) {
          const s2 = later.starts2[r];
          if (s2 >= 0 && later.ends2[r] - s2 <= PREFETCH_MAX_KEY_BYTES) {
            memberStarts[m] = s2;
            memberEnds[m++] = later.ends2[r];
          }
          const s3 = later.starts3[r];
          if (s3 >= 0 && later.ends3[r] - s3 <= PREFETCH_MAX_KEY_BYTES) {
            memberStarts[m] = s3;
            memberEnds[m++] = later.ends3[r];
          }
        }
        sink ^= members.prefetchSpans(buf, memberStarts, memberEnds, m, memberHomes);
        spans += m;
      }
    }
    j = end;
  }
  return spans;
}
