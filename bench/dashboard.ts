/**
 * `deno task bench --mode dashboard`: what watching a cluster costs it. Three of our masters
 * (a cluster made with `redis-cli --cluster create`); client throughput with `redis-benchmark
 * --cluster -t set,get` and bus throughput with PUBLISH on one node (every message crosses the
 * cluster bus to the other two), each measured with no dashboard and with the dashboard
 * (dashboard/server.ts, default poll periods: CLUSTER NODES every 250 ms, INFO / CLUSTER INFO /
 * CLUSTER LINKS every second, per node) running with one page's event stream open. Rounds
 * alternate off/on so both see the same machine load; the drop is reported per test.
 */

import { startDashboard } from "../dashboard/server.ts";
import { DEFAULT_WATCHER_OPTIONS } from "../dashboard/poller.ts";
import { type Proc, start, stop } from "./procs.ts";
import { benchmarkRows } from "./redis_benchmark.ts";
import { allOk, redisCli, until } from "./cluster_procs.ts";

export interface DashboardCostRow {
  test: string;
  offRps: number;
  onRps: number;
  /** (off - on) / off, as a fraction. */
  drop: number;
}

export interface DashboardCostResult {
  rounds: number;
  nodesEveryMs: number;
  infoEveryMs: number;
  rows: DashboardCostRow[];
  /** SSE bytes the open page received per second. */
  sseBytesPerSec: number;
}

async function measure(
  ports: number[],
  requests: number,
  clients: number,
): Promise<Map<string, number>> {
  const common = ["-n", String(requests), "-c", String(clients)];
  const rows = await benchmarkRows([
    "-p",
    String(ports[0]),
    "--cluster",
    "-t",
    "set,get",
    "-r",
    "100000",
    ...common,
  ]);
  const pub = await benchmarkRows(["-p", String(ports[0]), ...common, "PUBLISH", "news", "hello"]);
  for (const [k, v] of pub) rows.set(k.startsWith("PUBLISH") ? "PUBLISH (bus)" : k, v);
  return rows;
}

export async function measureDashboardCost(
  requests: number,
  clients: number,
  rounds = 2,
): Promise<DashboardCostResult> {
  const nodes: Proc[] = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await start("ours", true, false));
    const ports = nodes.map((n) => n.port);
    await redisCli(["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-yes"]);
    await until("cluster_state:ok", () => allOk(ports), 10_000);
    const off = new Map<string, number[]>();
    const on = new Map<string, number[]>();
    let sseBytes = 0;
    let sseMs = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [k, v] of await measure(ports, requests, clients)) {
        off.set(k, [...(off.get(k) ?? []), v]);
      }
      const dash = await startDashboard({ seeds: [`127.0.0.1:${ports[0]}`] });
      const ctl = new AbortController();
      let bytes = 0;
      const reading = (async () => {
        const r = await fetch(`${dash.url}events`, { signal: ctl.signal });
        for await (const chunk of r.body!) bytes += chunk.length;
      })().catch(() => {});
      try {
        await dash.watcher.ready();
        const t0 = performance.now();
        for (const [k, v] of await measure(ports, requests, clients)) {
          on.set(k, [...(on.get(k) ?? []), v]);
        }
        sseMs += performance.now() - t0;
        sseBytes += bytes;
      } finally {
        ctl.abort();
        await reading;
        await dash.close();
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const rows = [...off.keys()].map((test) => {
      const offRps = mean(off.get(test)!);
      const onRps = mean(on.get(test) ?? [0]);
      return { test, offRps, onRps, drop: (offRps - onRps) / offRps };
    });
    return {
      rounds,
      nodesEveryMs: DEFAULT_WATCHER_OPTIONS.nodesEveryMs,
      infoEveryMs: DEFAULT_WATCHER_OPTIONS.infoEveryMs,
      rows,
      sseBytesPerSec: sseMs > 0 ? (sseBytes * 1000) / sseMs : 0,
    };
  } finally {
    for (const n of nodes) await stop(n);
  }
}

export function dashboardCostText(r: DashboardCostResult): string {
  const lines = [
    `\n== dashboard: 3 of our masters, throughput without / with the dashboard watching ` +
    `(CLUSTER NODES every ${r.nodesEveryMs} ms, INFO every ${r.infoEveryMs} ms per node, ` +
    `one page's event stream open), ${r.rounds} alternating round(s) ==`,
    "test".padEnd(36) + "off rps".padStart(12) + "on rps".padStart(12) + "drop".padStart(8),
  ];
  for (const row of r.rows) {
    lines.push(
      row.test.padEnd(36) + row.offRps.toFixed(0).padStart(12) + row.onRps.toFixed(0).padStart(12) +
        `${(row.drop * 100).toFixed(1)}%`.padStart(8),
    );
  }
  lines.push(`event stream to the page: ${(r.sseBytesPerSec / 1024).toFixed(1)} KiB/s`);
  return lines.join("\n");
}
