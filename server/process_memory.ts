/**
 * Keeps the process's RSS near `used_memory` while maxmemory is set (server/maxmemory.ts feeds
 * it every command's request size).
 *
 * Redis frees a value's memory when it deletes it; V8 frees an evicted or overwritten value only
 * at its next full (mark-compact) collection, and lets the garbage grow to a multiple of the
 * live heap first: measured with 4 KB values written at 10x a 32 MiB budget, the freed values'
 * backing stores (`external`) reached ~85 MiB over the ~31 MiB live before V8 collected them
 * (its external-memory soft limit is 64 MiB over the last collection), the old generation ~2x
 * its live size, and glibc then kept the freed chunks: RSS peaked at 2.2x maxmemory.
 *
 * So every `CHECK_EVERY_BYTES` of requests this reads the process's memory, and when the JS
 * memory (V8's heap in use + external: the values' backing stores) has grown by more than
 * `GARBAGE_RATIO` x maxmemory since the last collection while RSS is over maxmemory, it runs a
 * full collection (V8's `gc()`, reached at run time through `node:v8`
 * setFlagsFromString("--expose-gc")). The garbage then never outgrows that share of maxmemory,
 * and glibc reuses the freed chunks instead of asking the system for more. Measured (4 KB
 * values, 10x a 16 MiB budget, maxmemory ~105 MiB): peak RSS 1.97x maxmemory without, 1.22-1.27x
 * with, ~20-30 collections for 160 MiB written. A collection that frees little (live data
 * larger than its estimate) makes the next one wait for the same growth again, so a node whose
 * live data does not fit does not spend its time collecting. A node under maxmemory never
 * collects (RSS under the limit), nor one without a limit (the check is not called).
 *
 * Counted in request bytes, not time: the bound holds however fast the requests come. A full
 * collection costs ~20-50 ms for the ~20 MiB of live objects a node starts with (measured
 * 65-400 ms on a 2-core machine at load average 20).
 */

import { importOnFirstUse } from "./lazy_import.ts";

/** Request bytes between two readings of the process's memory (Deno.memoryUsage: ~5-50 us). */
export const CHECK_EVERY_BYTES = 1 << 20;
/** Counted for each command besides its arguments' bytes (its parsing and reply garbage). */
export const COMMAND_OVERHEAD_BYTES = 64;
/** Garbage let grow between two collections, as a share of maxmemory. */
export const GARBAGE_RATIO = 0.08;

/** The process's memory as Deno.memoryUsage reports it. */
export interface MemoryReading {
  rss: number;
  /** V8's heap in use plus the memory of ArrayBuffers and other external objects. */
  js: number;
}

/** What the guard reads and runs (tests give fakes). */
export interface ProcessMemoryHost {
  memory(): MemoryReading;
  /** A full garbage collection, or null when this runtime offers none. */
  fullGc: (() => void) | null;
  clockMs(): number;
}

export class ProcessMemoryGuard {
  private sinceCheckBytes = 0;
  /** JS memory right after the last collection (ours or V8's own): the live data. */
  private jsBaseBytes = 0;
  /** Full collections run, their total and longest pause (tests, bench). */
  collections = 0;
  collectionMsTotal = 0;
  collectionMsMax = 0;

  constructor(private readonly host: ProcessMemoryHost) {}

  /** A command of `bytes` request bytes is about to run under maxmemory `limitBytes`. */
  noteRequest(bytes: number, limitBytes: number): void {
    this.sinceCheckBytes += bytes + COMMAND_OVERHEAD_BYTES;
    if (this.sinceCheckBytes < CHECK_EVERY_BYTES) return;
    this.sinceCheckBytes = 0;
    this.check(limitBytes);
  }

  /**
   * Collect when the process is over maxmemory and the JS memory grew by more than the garbage
   * allowed since the last collection.
   */
  check(limitBytes: number): void {
    const host = this.host;
    if (host.fullGc === null || limitBytes === 0) return;
    const m = host.memory();
    if (m.js < this.jsBaseBytes) this.jsBaseBytes = m.js; // V8 collected on its own
    const allowed = Math.max(2 * CHECK_EVERY_BYTES, limitBytes * GARBAGE_RATIO);
    if (m.js - this.jsBaseBytes <= allowed || m.rss <= limitBytes) return;
    const start = host.clockMs();
    host.fullGc();
    const ms = host.clockMs() - start;
    this.jsBaseBytes = host.memory().js;
    this.collections++;
    this.collectionMsTotal += ms;
    if (ms > this.collectionMsMax) this.collectionMsMax = ms;
  }
}

/**
 * V8's full collection (server/full_gc.ts, imported on first want: node:vm loads part of Deno's
 * Node compatibility layer, ~2 MiB of RSS a node without maxmemory never needs); null when the
 * runtime refuses.
 */
export function importFullGc(): Promise<(() => void) | null> {
  return importOnFirstUse<typeof import("./full_gc.ts")>(new URL("./full_gc.ts", import.meta.url))
    .then((m) => m.loadFullGc());
}

/** The guard over this process (Deno.memoryUsage, V8's gc). */
export function processMemoryGuard(): ProcessMemoryGuard {
  const host: ProcessMemoryHost = {
    memory: () => {
      try {
        const m = Deno.memoryUsage();
        return { rss: m.rss, js: m.heapUsed + m.external };
      } catch {
        return { rss: 0, js: 0 };
      }
    },
    // Set when server/full_gc.ts is imported, a few milliseconds after the guard is made (the
    // first request under a maxmemory limit); the checks before collect nothing.
    fullGc: null,
    clockMs: () => performance.now(),
  };
  void importFullGc().then((gc) => host.fullGc = gc);
  return new ProcessMemoryGuard(host);
}
