/**
 * `deno task bench --mode datatypes`: the stream, bitmap, HyperLogLog and geo commands, run by
 * the real `redis-benchmark` against one of our nodes and a real `redis-server` in the same run
 * (standalone, the same preloaded data on both), as requests/s and the ratio ours/Redis:
 * XADD, XREAD of 10 entries, SETBIT of a bit of a 1 MB bitmap, BITCOUNT of a 1 MB string, PFADD,
 * PFCOUNT of 10 keys (their union), GEOSEARCH of 100,000 points.
 */

import { Prng } from "../cluster/prng.ts";
import { cli, pipeCommands, type Proc, start, stop } from "./procs.ts";
import { benchmarkRps } from "./redis_benchmark.ts";

export interface DatatypeRow {
  test: string;
  requests: number;
  redis: number;
  ours: number;
  ratio: number;
}

export interface DatatypesResult {
  clients: number;
  rows: DatatypeRow[];
}

function* preloadCommands(): Generator<string[]> {
  const rng = new Prng(42); // the same points and strings for both servers
  const rand = () => rng.next();
  // 1,000 stream entries to read from.
  for (let i = 0; i < 1000; i++) yield ["XADD", "bench:xr", "*", "field", `value-${i}`];
  // A 1 MB string of random bytes (hex text of random words: every bit pattern is counted).
  let big = "";
  while (big.length < 1 << 20) big += Math.floor(rand() * 0xffffffff).toString(16).padStart(8, "0");
  yield ["SET", "bench:big", big.slice(0, 1 << 20)];
  // Ten HyperLogLogs of 20,000 elements each (dense).
  for (let k = 0; k < 10; k++) {
    for (let i = 0; i < 20_000; i += 500) {
      const els: string[] = [];
      for (let j = i; j < i + 500; j++) els.push(`el:${k}:${j}`);
      yield ["PFADD", `bench:hll:${k}`, ...els];
    }
  }
  // 100,000 points around Sicily (lon 10..20, lat 35..45).
  for (let i = 0; i < 100_000; i += 1000) {
    const args = ["GEOADD", "bench:geo"];
    for (let j = i; j < i + 1000; j++) {
      args.push((10 + rand() * 10).toFixed(6), (35 + rand() * 10).toFixed(6), `p${j}`);
    }
    yield args;
  }
}

interface Test {
  name: string;
  /** Fraction of --requests (the slow ones run fewer). */
  share: number;
  random?: number;
  args: string[];
}

const TESTS: Test[] = [
  { name: "XADD", share: 1, args: ["XADD", "bench:xadd", "*", "field", "value"] },
  {
    name: "XREAD (COUNT 10)",
    share: 1,
    args: ["XREAD", "COUNT", "10", "STREAMS", "bench:xr", "0-0"],
  },
  // redis-benchmark's __rand_int__ is zero-padded, which a bit offset may not be: the same bit of
  // a 1 MB bitmap each time.
  { name: "SETBIT (1 MB bitmap)", share: 1, args: ["SETBIT", "bench:bits", "8388607", "1"] },

  { name: "BITCOUNT (1 MB)", share: 0.05, args: ["BITCOUNT", "bench:big"] },
  { name: "PFADD", share: 1, random: 1_000_000, args: ["PFADD", "bench:pfadd", "__rand_int__"] },
  {
    name: "PFCOUNT (10 keys)",
    share: 0.05,
    args: ["PFCOUNT", ...Array.from({ length: 10 }, (_, k) => `bench:hll:${k}`)],
  },
  {
    name: "GEOSEARCH (100,000 points)",
    share: 0.1,
    args: [
      "GEOSEARCH",
      "bench:geo",
      "FROMLONLAT",
      "15",
      "40",
      "BYRADIUS",
      "30",
      "km",
      "ASC",
      "COUNT",
      "10",
    ],
  },
];

function rps(port: number, n: number, clients: number, t: Test): Promise<number> {
  return benchmarkRps([
    "-p",
    String(port),
    "-n",
    String(n),
    "-c",
    String(clients),
    "-r",
    String(t.random ?? 100_000),
    ...t.args,
  ]);
}

/** The test's command must answer without an error on the server before it is timed. */
async function checkWorks(port: number, t: Test, who: string): Promise<void> {
  const args = t.args.map((a) => a === "__rand_int__" ? "1" : a);
  const out = await cli(port, ...args);
  if (/^(ERR|WRONGTYPE|\(error\))/.test(out)) throw new Error(`${who}: ${t.name}: ${out}`);
}

export async function measureDatatypes(
  requests: number,
  clients: number,
): Promise<DatatypesResult> {
  const procs: Proc[] = [];
  try {
    const redis = await start("redis", false);
    procs.push(redis);
    const ours = await start("ours", false);
    procs.push(ours);
    await pipeCommands(redis.port, preloadCommands());
    await pipeCommands(ours.port, preloadCommands());
    const rows: DatatypeRow[] = [];
    for (const t of TESTS) {
      await checkWorks(redis.port, t, "redis");
      await checkWorks(ours.port, t, "ours");
      const n = Math.max(1000, Math.round(requests * t.share));
      // Alternate per test so both see the same machine load.
      const a = await rps(redis.port, n, clients, t);
      const b = await rps(ours.port, n, clients, t);
      rows.push({ test: t.name, requests: n, redis: a, ours: b, ratio: b / a });
    }
    return { clients, rows };
  } finally {
    for (const p of procs) await stop(p);
  }
}

export function datatypesText(r: DatatypesResult): string {
  const lines = [
    `\n== datatypes: redis-benchmark -c ${r.clients} (standalone, same preloaded data) ==`,
    "test".padEnd(30) + "requests".padStart(10) + "redis rps".padStart(12) +
    "ours rps".padStart(12) + "ratio".padStart(8),
  ];
  for (const row of r.rows) {
    lines.push(
      row.test.padEnd(30) + String(row.requests).padStart(10) +
        row.redis.toFixed(0).padStart(12) + row.ours.toFixed(0).padStart(12) +
        row.ratio.toFixed(2).padStart(8),
    );
  }
  return lines.join("\n");
}
