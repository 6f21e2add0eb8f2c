/**
 * `deno task bench --mode tls`: client throughput over TLS, `redis-benchmark --tls` (with a client
 * certificate: tls-auth-clients yes, the default) against one of our nodes and a real
 * `redis-server`, both with the same local CA and certificates (local/tls_certs.ts), as
 * requests/s and the ratio ours/Redis; each test at -P 1 and at the --pipeline given (16 by
 * default here, when --pipeline is 1).
 */

import { freePort, type Proc, start, stop } from "./procs.ts";
import { benchmarkRps } from "./redis_benchmark.ts";
import { makeTlsFiles } from "../local/tls_certs.ts";

export interface TlsRow {
  test: string;
  pipeline: number;
  redis: number;
  ours: number;
  ratio: number;
}

export interface TlsResult {
  requests: number;
  clients: number;
  rows: TlsRow[];
}

const TESTS = ["PING_MBULK", "SET", "GET"];

function rps(
  port: number,
  tlsArgs: string[],
  test: string,
  n: number,
  clients: number,
  pipeline: number,
): Promise<number> {
  return benchmarkRps([
    "-p",
    String(port),
    ...tlsArgs,
    "-n",
    String(n),
    "-c",
    String(clients),
    "-P",
    String(pipeline),
    "-r",
    "100000",
    "-t",
    test.toLowerCase(),
  ]);
}

export async function measureTls(
  requests: number,
  clients: number,
  pipeline: number,
): Promise<TlsResult> {
  const dir = await Deno.makeTempDir({ prefix: "bench-tls-" });
  const procs: Proc[] = [];
  try {
    const f = await makeTlsFiles(dir, 30);
    const tlsDirectives = (port: number) => ({
      "tls-port": String(port),
      "tls-cert-file": f.cert,
      "tls-key-file": f.key,
      "tls-ca-cert-file": f.caCert,
    });
    const redisTls = freePort();
    const oursTls = freePort();
    procs.push(await start("redis", false, false, tlsDirectives(redisTls)));
    procs.push(await start("ours", false, false, tlsDirectives(oursTls)));
    const tlsArgs = ["--tls", "--cacert", f.caCert, "--cert", f.clientCert, "--key", f.clientKey];
    const rows: TlsRow[] = [];
    for (const p of [...new Set([1, pipeline > 1 ? pipeline : 16])]) {
      for (const test of TESTS) {
        const n = p === 1 ? requests : requests * 4;
        // Alternate per test so both see the same machine load.
        const a = await rps(redisTls, tlsArgs, test, n, clients, p);
        const b = await rps(oursTls, tlsArgs, test, n, clients, p);
        rows.push({ test, pipeline: p, redis: a, ours: b, ratio: b / a });
      }
    }
    return { requests, clients, rows };
  } finally {
    for (const p of procs) await stop(p);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export function tlsText(r: TlsResult): string {
  const lines = [
    `\n== tls: redis-benchmark --tls -n ${r.requests} (x4 pipelined) -c ${r.clients}, client certificates ==`,
    "test".padEnd(20) + "-P".padStart(4) + "redis rps".padStart(12) + "ours rps".padStart(12) +
    "ratio".padStart(8),
  ];
  for (const row of r.rows) {
    lines.push(
      row.test.padEnd(20) + String(row.pipeline).padStart(4) + row.redis.toFixed(0).padStart(12) +
        row.ours.toFixed(0).padStart(12) + row.ratio.toFixed(2).padStart(8),
    );
  }
  return lines.join("\n");
}
