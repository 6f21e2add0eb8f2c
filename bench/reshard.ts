/**
 * Slot moves per second: three cluster nodes (ours, or real `redis-server`s) made a cluster with
 * `redis-cli --cluster create`, then `redis-cli --cluster reshard` moves `slots` empty slots from
 * the first master to the second, and the wall time of that command gives slots/s.
 *
 * Every slot move is several config changes on each node involved (SETSLOT IMPORTING, MIGRATING,
 * NODE on every master), each saved to nodes.conf before its OK: this is where the cost of the
 * save-before-reply shows.
 */

import { redisCli, startCluster } from "./cluster_procs.ts";
import { cpuMs } from "./proc_stats.ts";
import { type Kind, stop } from "./procs.ts";

export interface ReshardResult {
  slots: number;
  redisSlotsPerSec: number;
  oursSlotsPerSec: number;
  ratio: number;
  /** CPU (user + system) per slot moved, ms, of each master: source, target, the third. */
  redisCpuMsPerSlot: number[];
  oursCpuMsPerSlot: number[];
}

/**
 * Seconds taken by `redis-cli --cluster reshard` of `slots` slots between two masters of `kind`,
 * and each master's CPU ms per slot during it (source, target, third; NaN when unknown).
 */
async function timeReshard(
  kind: Kind,
  slots: number,
): Promise<{ sec: number; cpuMsPerSlot: number[] }> {
  const nodes = await startCluster(kind, 3, 0);
  try {
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    // redis-cli reshard names the target to every master: wait until all know each other.
    await redisCli(["--cluster", "check", addrs[0]]);
    const ids = await Promise.all(
      nodes.map(async (n) => (await redisCli(["-p", String(n.port), "cluster", "myid"])).trim()),
    );
    const cpu0 = nodes.map((n) => cpuMs(n.pid));
    const t0 = performance.now();
    await redisCli([
      "--cluster",
      "reshard",
      addrs[0],
      "--cluster-from",
      ids[0],
      "--cluster-to",
      ids[1],
      "--cluster-slots",
      String(slots),
      "--cluster-yes",
    ]);
    const sec = (performance.now() - t0) / 1000;
    const cpuMsPerSlot = nodes.map((n, i) => {
      const a = cpu0[i];
      const b = cpuMs(n.pid);
      return a === null || b === null ? NaN : (b - a) / slots;
    });
    return { sec, cpuMsPerSlot };
  } finally {
    for (const n of nodes) await stop(n);
  }
}

export async function measureReshard(slots: number): Promise<ReshardResult> {
  const redis = await timeReshard("redis", slots);
  const ours = await timeReshard("ours", slots);
  const r = {
    slots,
    redisSlotsPerSec: slots / redis.sec,
    oursSlotsPerSec: slots / ours.sec,
    ratio: 0,
    redisCpuMsPerSlot: redis.cpuMsPerSlot,
    oursCpuMsPerSlot: ours.cpuMsPerSlot,
  };
  r.ratio = r.oursSlotsPerSec / r.redisSlotsPerSec;
  return r;
}
