/**
 * `deno task bench --mode eviction`: the eviction load at full size (tests/eviction_load.ts
 * holds it; tests/eviction_test.ts runs a 16 MiB one in the default suite) against one of our
 * nodes and a real redis-server: maxmemory = each one's used_memory at start + the budget
 * (--eviction-mib, 128 by default), allkeys-lru, 10x the budget of 4 KB values written. Reports
 * peak RSS / maxmemory, the LRU-friendly hit rate ours against Redis's, evicted keys per second.
 */

import { start, stop } from "./procs.ts";
import { type EvictionLoadResult, evictionText, runEvictionLoad } from "../tests/eviction_load.ts";

export type EvictionResult = EvictionLoadResult;

export async function measureEviction(budgetMiB: number): Promise<EvictionResult> {
  const ours = await start("ours", false);
  const redis = await start("redis", false);
  try {
    return await runEvictionLoad(ours, redis, budgetMiB * 2 ** 20);
  } finally {
    await stop(redis);
    await stop(ours);
  }
}

export { evictionText };
