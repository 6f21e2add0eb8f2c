/**
 * `redis-benchmark --csv` runs for the bench: each test's requests per second, read from its CSV
 * lines (`"test","rps",...`; redis-benchmark.c showLatencyReport with --csv).
 */

import { cpuMs } from "./proc_stats.ts";

/** redis-benchmark --csv output: test name -> requests/s. */
export function csvRows(out: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) rows.set(m[1], Number(m[2]));
  }
  return rows;
}

/**
 * Run `redis-benchmark --csv` with `args` (its options, then the command to run if any): the
 * requests/s of each test. Throws when it fails, prints an error, or reports no test.
 */
export async function benchmarkRows(
  args: string[],
  timeoutMs?: number,
): Promise<Map<string, number>> {
  const r = await new Deno.Command("redis-benchmark", {
    args: ["--csv", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  const err = new TextDecoder().decode(r.stderr);
  const rows = csvRows(out);
  if (r.code !== 0 || /error/i.test(err + out) || rows.size === 0) {
    throw new Error(`redis-benchmark ${args.join(" ")} failed (${r.code}): ${err}${out}`);
  }
  return rows;
}

/**
 * `benchmarkRows`, with the CPU time the server `pid` used meanwhile, in us a request (NaN when
 * /proc cannot say).
 */
export async function benchmarkWithCpu(
  args: string[],
  pid: number,
  requests: number,
): Promise<{ rows: Map<string, number>; cpuUs: number }> {
  const before = cpuMs(pid) ?? NaN;
  const rows = await benchmarkRows(args);
  return { rows, cpuUs: (((cpuMs(pid) ?? NaN) - before) * 1000) / requests };
}

/** The requests/s of a redis-benchmark run of one test (see benchmarkRows). */
export async function benchmarkRps(args: string[], timeoutMs?: number): Promise<number> {
  const [rps] = (await benchmarkRows(args, timeoutMs)).values();
  return rps;
}
