/**
 * `deno task bench`: runs the real `redis-benchmark` against one of our nodes and against a real
 * `redis-server` on this machine in the same run, and prints requests/s and the ratio per test,
 * then the memory each holds after loading the same keys.
 *
 * Modes: `standalone` (cluster-enabled no, the full test list incl. mset), `cluster`
 * (a one-node cluster owning every slot, the list without mset: cross-slot there), `reshard`
 * (slots moved per second by `redis-cli --cluster reshard`, bench/reshard.ts), `aof` (the write
 * tests with appendonly yes, appendfsync everysec on both) and `bgsave` (BGSAVE of --bgsave-keys
 * keys: time, latency meanwhile, peak memory; bench/bgsave.ts) and `scripting` (SCRIPT LOAD,
 * EVALSHA and EVAL, the Lua VM's start-up, memory per cached script; bench/scripting.ts) and
 * `pubsub` (PUBLISH to 1 and to 1,000 subscribers, messages delivered per second, and the latency
 * of a message across the cluster bus of 3 masters, p50/p99; bench/pubsub.ts) and `datatypes`
 * (XADD, XREAD, SETBIT, BITCOUNT of 1 MB, PFADD, PFCOUNT of 10 keys, GEOSEARCH of 100,000
 * points; bench/datatypes.ts) and `failover` (kill -9 of a master of six nodes -> cluster_state ok
 * everywhere, node-timeout 2000, --rounds times each; bench/failover.ts) and `memory` (RSS per key
 * for 1,000,000 strings, 100,000 hashes of 10 fields, 100,000 sorted sets of 20 members, and an
 * idle node's RSS and CPU; bench/memory.ts) and `dashboard` (client and bus throughput of three
 * masters without and with the live dashboard watching them; bench/dashboard.ts) and `tls`
 * (`redis-benchmark --tls` PING/SET/GET with client certificates, at -P 1 and pipelined, ours
 * beside Redis with TLS; bench/tls.ts) and `eviction` (allkeys-lru with maxmemory = start-up
 * memory + --eviction-mib, 10x that written in 4 KB values: peak RSS / maxmemory, the LRU hit
 * rate ours against Redis's, evicted keys/s; bench/eviction.ts) and `idle` (an idle node's RSS and
 * the RSS per idle connection with --idle-conns open, ours beside Redis; bench/idle.ts) and
 * `cluster6` (`redis-benchmark --cluster` against six nodes, 3 masters and 3 replicas, at -P 1 and
 * -P 16; bench/cluster6.ts) and `converge` (--converge-nodes processes MEET one node: time until
 * every node knows every node, slots agree, a killed master is FAIL everywhere; bench/converge.ts,
 * also `deno task scale`) and `floor` (PING_MBULK at -P 1 and -P 16 against Redis, our node and a
 * bare Deno server that only answers, with each one's CPU a request: how much of a request is
 * Deno's I/O; bench/floor.ts).
 *
 * Flags: --requests N (100000) --clients N (50) --pipeline N (1)
 *        --mode standalone,cluster,reshard,aof,bgsave,scripting,pubsub,datatypes,failover,memory,
 *               dashboard,tls,eviction,idle,cluster6,converge,floor
 *               | both (the first two) | all
 *        --tests a,b,c --keys N (memory step, 200000) --slots N (reshard step, 1000)
 *        --bgsave-keys N (1000000) --scripts N (scripting memory step, 50000)
 *        --rounds N (failover step, 3) --eviction-mib N (eviction step, 128)
 *        --idle-conns N (idle step, 1000) --converge-nodes N (converge step, 30)
 *        --json (machine-readable output)
 */

import { parseToolArgs } from "../manager/tool_args.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { rssKiB } from "./proc_stats.ts";
import { benchmarkRows, benchmarkWithCpu } from "./redis_benchmark.ts";
import { loadKeys, start, stop } from "./procs.ts";
import { measureReshard, type ReshardResult } from "./reshard.ts";
import { type BgsaveResult, bgsaveText, measureBgsave } from "./bgsave.ts";
import { measureScripting, type ScriptingResult, scriptingText } from "./scripting.ts";
import { measurePubsub, type PubsubResult, pubsubText } from "./pubsub.ts";
import { type DatatypesResult, datatypesText, measureDatatypes } from "./datatypes.ts";
import { measureTls, type TlsResult, tlsText } from "./tls.ts";
import { type FailoverResult, failoverText, measureFailover } from "./failover.ts";
import { keyMemoryText, measureKeyMemory, type MemoryResult } from "./memory.ts";
import { type DashboardCostResult, dashboardCostText, measureDashboardCost } from "./dashboard.ts";
import { type EvictionResult, evictionText, measureEviction } from "./eviction.ts";
import { type IdleConnResult, idleConnText, measureIdleConns } from "./idle.ts";
import { CLUSTER6_TESTS, type Cluster6Result, cluster6Text, measureCluster6 } from "./cluster6.ts";
import { convergeTable, killAll, type KindResult, runKind } from "./converge.ts";
import { type FloorResult, floorText, measureFloor } from "./floor.ts";

const AOF_TESTS = "set,incr,lpush,sadd,hset,zadd";

const ALL_TESTS = "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset";

const USAGE = `deno task bench [--mode M,M,... | both | all (all)] [--json]
  modes: standalone, cluster, reshard, aof, bgsave, scripting, pubsub, datatypes, failover, memory,
         dashboard, tls, eviction, idle, cluster6, converge, floor
  --requests N (100000) --clients N (50) --pipeline N (1) --tests a,b,c
  --keys N (memory step, 200000) --slots N (reshard step, 1000) --bgsave-keys N (1000000)
  --scripts N (scripting step, 50000) --rounds N (failover step, 3) --eviction-mib N (128)
  --idle-conns N (idle step, 1000) --converge-nodes N (converge step, 30)`;

const { values } = parseToolArgs(
  {
    args: Deno.args,
    options: {
      help: { type: "boolean", default: false },
      requests: { type: "string", default: "100000" },
      clients: { type: "string", default: "50" },
      pipeline: { type: "string", default: "1" },
      mode: { type: "string", default: "all" },
      slots: { type: "string", default: "1000" },
      tests: { type: "string", default: ALL_TESTS },
      keys: { type: "string", default: "200000" },
      "bgsave-keys": { type: "string", default: "1000000" },
      scripts: { type: "string", default: "50000" },
      rounds: { type: "string", default: "3" },
      "eviction-mib": { type: "string", default: "128" },
      "idle-conns": { type: "string", default: "1000" },
      "converge-nodes": { type: "string", default: "30" },
      json: { type: "boolean", default: false },
    },
  },
  USAGE,
);

/** redis-benchmark `tests` on `port` with the run's clients and pipeline: test -> requests/s. */
function benchmarkArgs(port: number, tests: string, requests = values.requests!): string[] {
  return [
    "-p",
    String(port),
    "-n",
    requests,
    "-c",
    values.clients!,
    "-P",
    values.pipeline!,
    "-t",
    tests,
    "-r",
    "100000",
  ];
}

function benchmark(port: number, tests: string, requests?: string): Promise<Map<string, number>> {
  return benchmarkRows(benchmarkArgs(port, tests, requests));
}

async function dbsize(port: number): Promise<number> {
  const r = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), "dbsize"],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(r.stdout).trim());
}

interface ModeResult {
  mode: string;
  /**
   * Requests/s, and each server's CPU time (user + system) per request during its run, in us,
   * which says whether a difference is the server's own work. `cpuRatio` is Redis's over ours:
   * like `ratio`, 1.0 is Redis's figure. On a 2-core machine shared with the client both move
   * from run to run (one test's ratio measured 0.63 and 1.05 in two runs of one tree).
   */
  rows: {
    test: string;
    redis: number;
    ours: number;
    ratio: number;
    redisCpuUs: number;
    oursCpuUs: number;
    cpuRatio: number;
  }[];
  memory: { keys: number; redisRssKiB: number; oursRssKiB: number; ratio: number };
}

async function runMode(mode: "standalone" | "cluster" | "aof"): Promise<ModeResult> {
  const cluster = mode === "cluster";
  let tests = values.tests!;
  if (cluster) tests = tests.split(",").filter((t) => t !== "mset").join(",");
  const extra: Record<string, string> = mode === "aof"
    ? { appendonly: "yes", appendfsync: "everysec" }
    : {};
  if (mode === "aof") tests = values.tests === ALL_TESTS ? AOF_TESTS : values.tests!;
  const result: ModeResult = {
    mode,
    rows: [],
    memory: { keys: 0, redisRssKiB: 0, oursRssKiB: 0, ratio: 0 },
  };
  const redis = await start("redis", cluster, true, extra);
  const ours = await start("ours", cluster, true, extra);
  try {
    // Alternate per test so both see the same machine load. Each test first runs a tenth of its
    // requests unmeasured on both: a server that has been up for a while has compiled its hot
    // paths (V8's JIT; Redis has nothing to warm but its caches), and the first test in the list
    // should not pay for that alone.
    for (const t of tests.split(",")) {
      const warm = String(Math.max(1000, Math.floor(Number(values.requests) / 10)));
      await benchmark(redis.port, t, warm);
      await benchmark(ours.port, t, warm);
      const n = Number(values.requests);
      const { rows: a, cpuUs: redisCpuUs } = await benchmarkWithCpu(
        benchmarkArgs(redis.port, t),
        redis.pid,
        n,
      );
      const { rows: b, cpuUs: oursCpuUs } = await benchmarkWithCpu(
        benchmarkArgs(ours.port, t),
        ours.pid,
        n,
      );
      for (const [name, rps] of a) {
        const o = b.get(name) ?? 0;
        result.rows.push({
          test: name,
          redis: rps,
          ours: o,
          ratio: o / rps,
          // One test name per run (-t t), so the run's CPU is that test's.
          redisCpuUs,
          oursCpuUs,
          cpuRatio: redisCpuUs / oursCpuUs,
        });
      }
    }
  } finally {
    await stop(redis);
    await stop(ours);
  }
  if (mode !== "aof") result.memory = await measureMemory(cluster);
  return result;
}

/**
 * Memory on fresh processes (the throughput runs leave V8 heaps grown, which would hide the
 * cost of new keys): RSS after loading the same keys minus RSS when idle, for both servers.
 */
async function measureMemory(cluster: boolean): Promise<ModeResult["memory"]> {
  const keys = Number(values.keys);
  const redis = await start("redis", cluster);
  const ours = await start("ours", cluster);
  try {
    await sleep(500);
    const base = { redis: rssKiB(redis.pid), ours: rssKiB(ours.pid) };
    await loadKeys(redis.port, keys);
    await loadKeys(ours.port, keys);
    const n = await dbsize(ours.port);
    const nr = await dbsize(redis.port);
    if (n !== nr) throw new Error(`key counts differ: ours ${n}, redis ${nr}`);
    const m = {
      keys: n,
      redisRssKiB: rssKiB(redis.pid) - base.redis,
      oursRssKiB: rssKiB(ours.pid) - base.ours,
      ratio: 0,
    };
    m.ratio = m.oursRssKiB / Math.max(1, m.redisRssKiB);
    return m;
  } finally {
    await stop(redis);
    await stop(ours);
  }
}

/** Every mode, in the order `all` runs them; `both` is the first two. */
const ALL_MODES = [
  "standalone",
  "cluster",
  "reshard",
  "aof",
  "bgsave",
  "scripting",
  "pubsub",
  "datatypes",
  "failover",
  "memory",
  "dashboard",
  "tls",
  "eviction",
  "idle",
  "cluster6",
  "converge",
  "floor",
];
const modeNames = values.mode === "all"
  ? ALL_MODES
  : values.mode === "both"
  ? ALL_MODES.slice(0, 2)
  : values.mode!.split(",");
for (const m of modeNames) {
  if (!ALL_MODES.includes(m)) {
    console.error(`unknown --mode ${m}: ${ALL_MODES.join(", ")}, both or all`);
    Deno.exit(2);
  }
}
const results: ModeResult[] = [];
for (const m of modeNames) {
  if (m === "standalone" || m === "cluster" || m === "aof") results.push(await runMode(m));
}
const bgsave: BgsaveResult | null = modeNames.includes("bgsave")
  ? await measureBgsave(Number(values["bgsave-keys"]))
  : null;
const scripting: ScriptingResult | null = modeNames.includes("scripting")
  ? await measureScripting(Number(values.requests), Number(values.clients), Number(values.scripts))
  : null;
const pubsub: PubsubResult | null = modeNames.includes("pubsub")
  ? await measurePubsub(Number(values.requests), Number(values.clients))
  : null;
const datatypes: DatatypesResult | null = modeNames.includes("datatypes")
  ? await measureDatatypes(Number(values.requests), Number(values.clients))
  : null;
const failover: FailoverResult | null = modeNames.includes("failover")
  ? await measureFailover(Number(values.rounds))
  : null;
const memory: MemoryResult | null = modeNames.includes("memory") ? await measureKeyMemory() : null;
const dashboard: DashboardCostResult | null = modeNames.includes("dashboard")
  ? await measureDashboardCost(Number(values.requests), Number(values.clients))
  : null;
const tlsResult: TlsResult | null = modeNames.includes("tls")
  ? await measureTls(Number(values.requests), Number(values.clients), Number(values.pipeline))
  : null;
const eviction: EvictionResult | null = modeNames.includes("eviction")
  ? await measureEviction(Number(values["eviction-mib"]))
  : null;
const idle: IdleConnResult | null = modeNames.includes("idle")
  ? await measureIdleConns(Number(values["idle-conns"]))
  : null;
const floor: FloorResult | null = modeNames.includes("floor")
  ? await measureFloor(Number(values.requests), Number(values.clients))
  : null;
const reshard: ReshardResult | null = modeNames.includes("reshard")
  ? await measureReshard(Number(values.slots))
  : null;
// The cluster throughput at -P 1 and -P 16 (the --pipeline flag is for the other modes); the
// tests are the standalone list without MSET, or --tests when given.
const cluster6: Cluster6Result | null = modeNames.includes("cluster6")
  ? await measureCluster6({
    requests: Number(values.requests),
    clients: Number(values.clients),
    pipelines: [1, 16],
    tests: values.tests === ALL_TESTS ? CLUSTER6_TESTS : values.tests!,
  })
  : null;
const converge: KindResult[] | null = modeNames.includes("converge")
  ? await measureConverge(Number(values["converge-nodes"]))
  : null;

/** bench/converge.ts for ours, then Redis: 5000 ms node timeout, every node a slot owner. */
async function measureConverge(nodes: number): Promise<KindResult[]> {
  const opts = {
    nodes,
    nodeTimeoutMs: 5000,
    masters: nodes,
    pollMs: 100,
    phaseTimeoutMs: 120_000,
    keep: false,
    log: () => {},
  };
  try {
    return [await runKind("ours", opts), await runKind("redis", opts)];
  } finally {
    await killAll();
  }
}

if (values.json) {
  console.log(
    JSON.stringify(
      {
        modes: results,
        reshard,
        bgsave,
        scripting,
        pubsub,
        datatypes,
        failover,
        memory,
        dashboard,
        tls: tlsResult,
        eviction,
        idle,
        cluster6,
        converge,
        floor,
      },
      null,
      2,
    ),
  );
} else {
  for (const r of results) {
    console.log(
      `\n== ${r.mode}: redis-benchmark -n ${values.requests} -c ${values.clients} -P ${values.pipeline} ==`,
    );
    console.log(
      "test".padEnd(36) + "redis rps".padStart(12) + "ours rps".padStart(12) + "ratio".padStart(8) +
        " | CPU us/req: redis".padStart(21) + "ours".padStart(7) + "ratio".padStart(7),
    );
    for (const row of r.rows) {
      console.log(
        row.test.padEnd(36) + row.redis.toFixed(0).padStart(12) + row.ours.toFixed(0).padStart(12) +
          row.ratio.toFixed(2).padStart(8) + row.redisCpuUs.toFixed(2).padStart(21) +
          row.oursCpuUs.toFixed(2).padStart(7) + row.cpuRatio.toFixed(2).padStart(7),
      );
    }
    const m = r.memory;
    if (r.mode === "aof") {
      console.log("(both with appendonly yes, appendfsync everysec)");
      continue;
    }
    console.log(
      `memory for ${m.keys} keys (RSS growth): redis ${m.redisRssKiB} KiB, ours ${m.oursRssKiB} KiB, ratio ${
        m.ratio.toFixed(2)
      }`,
    );
  }
  if (reshard !== null) {
    console.log(
      `\n== reshard: redis-cli --cluster reshard of ${reshard.slots} empty slots, 3 masters ==`,
    );
    console.log(
      `slots/s: redis ${reshard.redisSlotsPerSec.toFixed(0)}, ours ${
        reshard.oursSlotsPerSec.toFixed(0)
      }, ratio ${reshard.ratio.toFixed(2)}`,
    );
    const cpu = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" / ");
    console.log(
      `CPU ms per slot (source / target / third master): redis ${
        cpu(reshard.redisCpuMsPerSlot)
      }, ours ${cpu(reshard.oursCpuMsPerSlot)}`,
    );
  }
  if (bgsave !== null) console.log(bgsaveText(bgsave));
  if (scripting !== null) {
    console.log(scriptingText(scripting, Number(values.requests), Number(values.clients)));
  }
  if (pubsub !== null) console.log(pubsubText(pubsub, Number(values.clients)));
  if (datatypes !== null) console.log(datatypesText(datatypes));
  if (failover !== null) console.log(failoverText(failover));
  if (memory !== null) console.log(keyMemoryText(memory));
  if (dashboard !== null) console.log(dashboardCostText(dashboard));
  if (tlsResult !== null) console.log(tlsText(tlsResult));
  if (eviction !== null) console.log(`\n${evictionText(eviction)}`);
  if (idle !== null) console.log(idleConnText(idle));
  if (cluster6 !== null) console.log(cluster6Text(cluster6));
  if (converge !== null) console.log(`\n== converge ==\n${convergeTable(converge)}`);
  if (floor !== null) console.log(floorText(floor));
}
