/**
 * `deno task bench --mode cluster6`: `redis-benchmark --cluster` against a six-node cluster (3
 * masters, 3 replicas, made with `redis-cli --cluster create --cluster-replicas 1`) of ours and
 * one of real `redis-server`s, both up at once, the tests alternated so both see the same load,
 * at each pipeline depth asked for (`-P 1` and `-P 16` by default). The replicas are in sync
 * before the first test, so both sides replicate every write, as a real deployment does.
 *
 * redis-benchmark's cluster mode (redis-benchmark.c, `--cluster`) reads CLUSTER NODES from the
 * first node, spreads the clients over the masters and tags each client's keys with a hash tag
 * of a slot that master owns; MSET is left out (its keys would cross slots).
 *
 * Cluster mode always runs redis-benchmark's threads (one per master unless --threads is given),
 * and a threaded run only notices that it is done in its 250 ms throughput timer
 * (redis-benchmark.c showThroughput: `if (config.num_threads && requests_finished >=
 * config.requests) aeStop(...)`). Each run's time is therefore rounded up to a multiple of 250 ms,
 * and a short run's requests/s are under-reported by up to 250 ms / its time: 100,000 requests at
 * -P 16 took 0.25-0.5 s, so those figures were only N / 0.25 s, N / 0.5 s, ... So a run at depth P
 * sends `requests` x P requests, and more when Redis's run of that many took less than
 * `minRunSeconds` (5 s by default: the rounding is then at most 5% of a run): the test is run
 * again, on both, with as many requests as Redis answers in that time (`lengthenedRequests`).
 * At 100,000 requests a `-P 1` run took 1.0-1.5 s, and the same code measured SET 0.58, 0.62 and
 * 0.67 in three runs of the step; with 600,000 requests (7.5-10 s a run) 0.73. Each row shows
 * both runs' times, from which the rounding's bound follows.
 */

import { stop } from "./procs.ts";
import { startCluster } from "./cluster_procs.ts";
import { benchmarkRows } from "./redis_benchmark.ts";

export const CLUSTER6_TESTS = "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin";

export interface Cluster6Options {
  requests: number;
  clients: number;
  pipelines: number[];
  tests: string;
  /** Shortest run of Redis's that a row is taken from (see the header); MIN_RUN_SECONDS. */
  minRunSeconds?: number;
}

export interface Cluster6Row {
  pipeline: number;
  /** Requests each side ran (cluster6Requests, or lengthenedRequests). */
  requests: number;
  test: string;
  redis: number;
  ours: number;
  ratio: number;
}

export interface Cluster6Result {
  nodes: number;
  requests: number;
  clients: number;
  /** The shortest run of Redis's a row is taken from, seconds. */
  minRunSeconds: number;
  rows: Cluster6Row[];
}

/** redis-benchmark's threaded runs end on its 250 ms timer (see the header). */
export const THREADED_END_STEP_MS = 250;

/** The default shortest run of Redis's, seconds: the 250 ms rounding is then at most 5%. */
export const MIN_RUN_SECONDS = 5;

/** Requests for a run at `pipeline` depth: deeper pipelines run as many times more requests. */
export function cluster6Requests(requests: number, pipeline: number): number {
  return requests * pipeline;
}

/**
 * The requests for a run of at least `minSeconds` at `rps` (Redis's rate in a run of `requests`):
 * `requests` when that run was long enough, else what `rps` answers in `minSeconds`, rounded up
 * to a thousand.
 */
export function lengthenedRequests(requests: number, rps: number, minSeconds: number): number {
  if (!(rps > 0) || requests / rps >= minSeconds) return requests;
  return Math.max(requests, Math.ceil((rps * minSeconds) / 1000) * 1000);
}

/** redis-benchmark --cluster --csv against the cluster that `port` belongs to. */
function clusterBenchmark(
  port: number,
  test: string,
  pipeline: number,
  requests: number,
  o: Cluster6Options,
): Promise<Map<string, number>> {
  return benchmarkRows([
    "--cluster",
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-n",
    String(requests),
    "-c",
    String(o.clients),
    "-P",
    String(pipeline),
    "-t",
    test,
    "-r",
    "100000",
  ]);
}

export async function measureCluster6(o: Cluster6Options): Promise<Cluster6Result> {
  const minRunSeconds = o.minRunSeconds ?? MIN_RUN_SECONDS;
  const result: Cluster6Result = {
    nodes: 6,
    requests: o.requests,
    clients: o.clients,
    minRunSeconds,
    rows: [],
  };
  const redis = await startCluster("redis", 6, 1);
  try {
    const ours = await startCluster("ours", 6, 1);
    try {
      for (const pipeline of o.pipelines) {
        for (const t of o.tests.split(",")) {
          let n = cluster6Requests(o.requests, pipeline);
          let a = await clusterBenchmark(redis[0].port, t, pipeline, n, o);
          // A test can give several rows (ping: PING_INLINE, PING_MBULK): its fastest decides.
          const longer = lengthenedRequests(n, Math.max(0, ...a.values()), minRunSeconds);
          if (longer !== n) {
            n = longer;
            a = await clusterBenchmark(redis[0].port, t, pipeline, n, o);
          }
          const b = await clusterBenchmark(ours[0].port, t, pipeline, n, o);
          for (const [name, rps] of a) {
            const mine = b.get(name) ?? 0;
            result.rows.push({
              pipeline,
              requests: n,
              test: name,
              redis: rps,
              ours: mine,
              ratio: mine / rps,
            });
          }
        }
      }
    } finally {
      for (const p of ours) await stop(p);
    }
  } finally {
    for (const p of redis) await stop(p);
  }
  return result;
}

/** A run's time in seconds, from its requests and requests/s ("-" when it did not run). */
function runSeconds(requests: number, rps: number): string {
  return rps > 0 ? (requests / rps).toFixed(2) : "-";
}

export function cluster6Text(r: Cluster6Result): string {
  const lines = [
    `\n== cluster6: redis-benchmark --cluster -n ${r.requests} x P (or more, for ${r.minRunSeconds} s of Redis's run) -c ${r.clients}, ${r.nodes} nodes (3 masters, 3 replicas) ==`,
    `(each run's time is rounded up to ${THREADED_END_STEP_MS} ms by redis-benchmark's threads: ` +
    `requests/s are under-reported by up to ${THREADED_END_STEP_MS} ms / the run's time)`,
    `${"test".padEnd(16)} ${"-P".padStart(3)} ${"redis/s".padStart(10)} ${
      "ours/s".padStart(10)
    } ratio ${"redis s".padStart(8)} ${"ours s".padStart(8)}`,
  ];
  for (const row of r.rows) {
    lines.push(
      `${row.test.padEnd(16)} ${String(row.pipeline).padStart(3)} ${
        row.redis.toFixed(0).padStart(10)
      } ${row.ours.toFixed(0).padStart(10)} ${row.ratio.toFixed(2).padStart(5)} ${
        runSeconds(row.requests, row.redis).padStart(8)
      } ${runSeconds(row.requests, row.ours).padStart(8)}`,
    );
  }
  return lines.join("\n");
}
