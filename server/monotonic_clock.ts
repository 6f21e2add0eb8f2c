/**
 * The command clock: milliseconds on CLOCK_MONOTONIC, on the same scale as `performance.now()`
 * (the offset between the two is taken once), read with libc's `clock_gettime` through Deno's
 * FFI where the node may: on Linux, with the ffi permission granted (`deno run -A` grants it).
 * Anywhere else it is `performance.now()` itself; nothing is asked for (no permission prompt).
 *
 * Why: call() (server/dispatch.ts) reads the clock once per command for the command's duration
 * (INFO commandstats, SLOWLOG, LATENCY), as Redis's call() reads getMonotonicUs() around each
 * command. Inside the node's dispatch path Deno's `performance.now()` (a brand check, then an op
 * that fills a buffer) costs ~170 ns a call; `clock_gettime` through FFI ~45 ns. Measured
 * in-process, batches of 16 pipelined requests through `dispatch` (bench/dispatch_probe.ts): PING
 * 342 -> 212 ns a command, SET 665 -> 534 (bench/README.md).
 */

/** Which clock `monotonicMs` reads. */
export type MonotonicClockSource = "clock_gettime" | "performance.now";

/** <time.h>: CLOCK_MONOTONIC on Linux. */
const CLOCK_MONOTONIC = 1;

function libcMonotonicMs(): (() => number) | null {
  if (Deno.build.os !== "linux") return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
  } catch {
    return null;
  }
  // struct timespec on 64-bit Linux: two 64-bit words, tv_sec then tv_nsec, read as 32-bit
  // halves of a little-endian machine.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return null;
  let lib;
  try {
    lib = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
  } catch {
    return null; // not glibc (musl names its libc otherwise), or no such symbol
  }
  const gettime = lib.symbols.clock_gettime;
  const ts = new Int32Array(4);
  const readMs = () => (ts[0] >>> 0) * 1000 + ts[1] * 4294967296000 + (ts[2] >>> 0) / 1e6;
  if (gettime(CLOCK_MONOTONIC, ts) !== 0 || ts[3] !== 0 || ts[2] < 0 || ts[2] >= 1e9) return null;
  const offsetMs = performance.now() - readMs();
  return () => {
    gettime(CLOCK_MONOTONIC, ts);
    return readMs() + offsetMs;
  };
}

const libc = libcMonotonicMs();

/** Where `monotonicMs` reads the time. */
export const monotonicClockSource: MonotonicClockSource = libc === null
  ? "performance.now"
  : "clock_gettime";

/** Milliseconds, monotonic, on `performance.now()`'s scale (fractions to the nanosecond). */
export const monotonicMs: () => number = libc ?? (() => performance.now());
