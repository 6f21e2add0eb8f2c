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
}

export interface Cluster6Row {
  pipeline: number;
  test: string;
  redis: number;
  ours: number;
  ratio: number;
}

export interface Cluster6Result {
  nodes: number;
  requests: number;
  clients: number;
  rows: Cluster6Row[];
}

/** redis-benchmark --cluster --csv against the cluster that `port` belongs to. */
function clusterBenchmark(
  port: number,
  test: string,
  pipeline: number,
  o: Cluster6Options,
): Promise<Map<string, number>> {
  return benchmarkRows([
    "--cluster",
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-n",
    String(o.requests),
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
  const result: Cluster6Result = {
    nodes: 6,
    requests: o.requests,
    clients: o.clients,
    rows: [],
  };
  const redis = await startCluster("redis", 6, 1);
  try {
    const ours = await startCluster("ours", 6, 1);
    try {
      for (const pipeline of o.pipelines) {
        for (const t of o.tests.split(",")) {
          const a = await clusterBenchmark(redis[0].port, t, pipeline, o);
          const b = await clusterBenchmark(ours[0].port, t, pipeline, o);
          for (const [name, rps] of a) {
            const mine = b.get(name) ?? 0;
            result.rows.push({ pipeline, test: name, redis: rps, ours: mine, ratio: mine / rps });
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

export function cluster6Text(r: Cluster6Result): string {
  const lines = [
    `\n== cluster6: redis-benchmark --cluster -n ${r.requests} -c ${r.clients}, ${r.nodes} nodes (3 masters, 3 replicas) ==`,
    `${"test".padEnd(16)} ${"-P".padStart(3)} ${"redis/s".padStart(10)} ${
      "ours/s".padStart(10)
    } ratio`,
  ];
  for (const row of r.rows) {
    lines.push(
      `${row.test.padEnd(16)} ${String(row.pipeline).padStart(3)} ${
        row.redis.toFixed(0).padStart(10)
      } ${row.ours.toFixed(0).padStart(10)} ${row.ratio.toFixed(2)}`,
    );
  }
  return lines.join("\n");
}
