/**
 * `deno task bench --mode floor`: what is left of a request when the server does nothing but
 * answer it. redis-benchmark's PING_MBULK at `-P 1` and `-P 16` against Redis, our node, and
 * bench/floor_server.ts (Deno's I/O alone: one read and one write a batch, no parser, no
 * command), in turn, with each server's CPU time a request. The floor's CPU is what any Deno
 * server pays; ours minus the floor is our request path; Redis beside both says how much of a
 * miss is Deno's.
 */

import { freePort, type Proc, start, stop, waitPing } from "./procs.ts";
import { benchmarkWithCpu } from "./redis_benchmark.ts";

const FLOOR_SERVER = new URL("./floor_server.ts", import.meta.url).pathname;

export interface FloorRow {
  pipeline: number;
  /** Requests per second, and server CPU us a request, of each server. */
  redisRps: number;
  oursRps: number;
  floorRps: number;
  redisCpuUs: number;
  oursCpuUs: number;
  floorCpuUs: number;
}

export interface FloorResult {
  requests: number;
  clients: number;
  rows: FloorRow[];
}

async function startFloor(): Promise<{ port: number; pid: number; child: Deno.ChildProcess }> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FLOOR_SERVER, String(port)],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  try {
    await waitPing(port); // it answers PING as the others do
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw e;
  }
  return { port, pid: child.pid, child };
}

/** One PING_MBULK run against `port`: requests/s and the server's CPU us a request. */
async function run(
  port: number,
  pid: number,
  requests: number,
  clients: number,
  pipeline: number,
): Promise<{ rps: number; cpuUs: number }> {
  const args = ["-p", port, "-n", requests, "-c", clients, "-P", pipeline, "-t", "ping_mbulk"];
  const { rows, cpuUs } = await benchmarkWithCpu(args.map(String), pid, requests);
  const [rps] = rows.values();
  return { rps, cpuUs };
}

export async function measureFloor(requests: number, clients: number): Promise<FloorResult> {
  let redis: Proc | null = null;
  let ours: Proc | null = null;
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  const rows: FloorRow[] = [];
  try {
    redis = await start("redis", false);
    ours = await start("ours", false);
    floor = await startFloor();
    // As the standalone mode does: a tenth of the requests first, unmeasured, so that our node
    // (and the floor) run their hot paths compiled (V8's JIT) in the first measured run too.
    const warm = Math.max(1000, Math.floor(requests / 10));
    for (const s of [redis, ours, floor]) await run(s.port, s.pid, warm, clients, 1);
    for (const pipeline of [1, 16]) {
      const r = await run(redis.port, redis.pid, requests, clients, pipeline);
      const o = await run(ours.port, ours.pid, requests, clients, pipeline);
      const f = await run(floor.port, floor.pid, requests, clients, pipeline);
      rows.push({
        pipeline,
        redisRps: r.rps,
        oursRps: o.rps,
        floorRps: f.rps,
        redisCpuUs: r.cpuUs,
        oursCpuUs: o.cpuUs,
        floorCpuUs: f.cpuUs,
      });
    }
  } finally {
    if (floor !== null) {
      floor.child.kill("SIGKILL");
      await floor.child.status;
    }
    if (ours !== null) await stop(ours);
    if (redis !== null) await stop(redis);
  }
  return { requests, clients, rows };
}

export function floorText(r: FloorResult): string {
  const lines = [
    `\n== floor: redis-benchmark -t ping_mbulk -n ${r.requests} -c ${r.clients}, Redis, ours and a bare Deno server (bench/floor_server.ts) ==`,
    "pipeline".padEnd(10) + "rps: redis".padStart(12) + "ours".padStart(10) + "floor".padStart(10) +
    " | CPU us/req: redis".padStart(21) + "ours".padStart(7) + "floor".padStart(7) +
    " | ours - floor".padStart(15),
  ];
  for (const row of r.rows) {
    lines.push(
      `-P ${row.pipeline}`.padEnd(10) + row.redisRps.toFixed(0).padStart(12) +
        row.oursRps.toFixed(0).padStart(10) + row.floorRps.toFixed(0).padStart(10) +
        row.redisCpuUs.toFixed(2).padStart(21) + row.oursCpuUs.toFixed(2).padStart(7) +
        row.floorCpuUs.toFixed(2).padStart(7) +
        (row.oursCpuUs - row.floorCpuUs).toFixed(2).padStart(15),
    );
  }
  return lines.join("\n");
}
