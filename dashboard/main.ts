/**
 * `deno run -A cli.ts dashboard host:port [host:port ...] [--port P] [--bind H] [--poll ms]`:
 * serve the live cluster dashboard for any running cluster (ours or real Redis 7: it speaks
 * only the client protocol to the nodes) until Ctrl-C.
 */

import { parseAddr } from "../manager/address.ts";
import { intOption, parseArgs, UsageError } from "../manager/args.ts";
import { startDashboard } from "./server.ts";

export const DEFAULT_DASHBOARD_PORT = 8090;

export const DASHBOARD_USAGE =
  `Usage: deno run -A cli.ts dashboard host:port [host:port ...] [options]

Serves a live web page of the cluster the given node(s) belong to: the slot map, the nodes and
their replicas, each node's view of its peers' links, a timeline of events, throughput, and
manual failover / slot moves behind a confirmation. Works with our nodes and real Redis 7.

Options:
  --port P     the page's HTTP port (default ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one)
  --bind H     the address to listen on (default 127.0.0.1)
  --poll ms    how often each node is asked CLUSTER NODES (default 250)`;

export async function dashboardMain(argv: readonly string[]): Promise<number> {
  let seeds: string[];
  let port: number;
  let pollMs: number;
  let bind: string;
  try {
    const p = parseArgs(argv, { port: "value", bind: "value", poll: "value", help: "flag" });
    if (p.flags.has("help")) {
      console.log(DASHBOARD_USAGE);
      return 0;
    }
    if (p.positionals.length === 0) throw new UsageError("dashboard needs host:port of a node");
    seeds = p.positionals.map((s) => {
      parseAddr(s);
      return s;
    });
    port = intOption(p, "port", DEFAULT_DASHBOARD_PORT, 0, 65535);
    pollMs = intOption(p, "poll", 250, 50, 60_000);
    bind = p.values.get("bind") ?? "127.0.0.1";
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${DASHBOARD_USAGE}`);
    return 2;
  }
  const d = await startDashboard({
    seeds,
    port,
    hostname: bind,
    watcher: { nodesEveryMs: pollMs },
  });
  console.log(`Dashboard for ${seeds.join(", ")}: ${d.url}  (Ctrl-C to stop)`);
  const { promise, resolve } = Promise.withResolvers<void>();
  const stop = () => resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await promise;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await d.close();
  return 0;
}
