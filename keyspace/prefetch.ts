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

const keyStarts = new Int32Array(PREFETCH_MAX_REQUESTS);
const keyEnds = new Int32Array(PREFETCH_MAX_REQUESTS);
const homes = new Int32Array(PREFETCH_MAX_REQUESTS);

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
): number {
  const end = buf.length;
  let n = 0;
  let args = 0;
  let p = pos;
  while (n < max && p < end && buf[p] === 0x2a /* '*' */) {
    // "*<argc>\r\n"
    let q = p + 1;
    let argc = 0;
    while (q < end && buf[q] !== 13) {
      const d = buf[q] - 48;
      if (d < 0 || d > 9 || argc > PREFETCH_MAX_ARGS) return n;
      argc = argc * 10 + d;
      q++;
    }
    q += 2;
    args += argc;
    if (q > end || args > PREFETCH_MAX_ARGS) return n;
    let start = -1;
    let stop = -1;
    for (let a = 0; a < argc; a++) {
      // "$<len>\r\n<len bytes>\r\n"
      if (q >= end || buf[q] !== 0x24 /* '$' */) return n;
      q++;
      let len = 0;
      while (q < end && buf[q] !== 13) {
        const d = buf[q] - 48;
        if (d < 0 || d > 9 || len > end) return n;
        len = len * 10 + d;
        q++;
      }
      q += 2;
      if (a === 1) {
        start = q;
        stop = q + len;
      }
      q += len + 2;
      if (q > end) return n;
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
 * in `table` (the client's database's key table), when there are two or more.
 */
export function prefetchPipelinedKeys(
  table: KeyTable<unknown>,
  buf: Uint8Array,
  pos: number,
): void {
  if (pos < 0) return;
  const n = firstArgSpans(buf, pos, keyStarts, keyEnds, PREFETCH_MAX_REQUESTS);
  if (n < 2) return;
  sink ^= table.prefetchSpans(buf, keyStarts, keyEnds, n, homes);
}
