/**
 * `deno task bench --mode memory`: what holding data and doing nothing cost, ours beside a real
 * `redis-server` (standalone, fresh processes for each figure):
 * - RSS growth per key after loading 1,000,000 small strings (`key:N` -> 16 bytes), 100,000
 *   hashes of 10 fields, 100,000 sorted sets of 20 members (the same data on both, through
 *   `redis-cli --pipe`): right after the load; at rest, REST_MS after the load with no command
 *   sent meanwhile (what a loaded node holds once the load's transients are gone by themselves:
 *   V8's memory reducer gives back the grown young generation and collects the load's garbage
 *   some 8-20 s after the node goes quiet; jemalloc returns dirty pages on its own decay timers);
 *   and after MEMORY PURGE on both (Redis: jemalloc returns its dirty pages; ours: V8's full
 *   collection);
 * - the same right after the load for our node started with server/node_v8_flags.ts's flag (the
 *   README's advice where memory counts; the headline figures are for a node started as
 *   `deno run -A cli.ts`, without it);
 * - an idle node: RSS, and CPU over 10 s of doing nothing (after a 2 s settle).
 */

import { setTimeout as sleep } from "node:timers/promises";
import { cpuMs, rssKiB } from "./proc_stats.ts";
import { cli, pipeCommands, type Proc, start, stop } from "./procs.ts";
import { NODE_V8_FLAGS_ARG } from "../server/node_v8_flags.ts";

/** How long an idle process's CPU use is sampled. */
const IDLE_SAMPLE_MS = 10_000;

/**
 * How long a loaded node is left alone before its RSS is read "at rest": past V8's memory reducer
 * (its first check is 8 s after the allocation rate drops, heap/memory-reducer.cc kLongDelayMs,
 * and it may take a few more) and past jemalloc's dirty-page decay (10 s).
 */
const REST_MS = 30_000;

export interface MemoryRow {
  what: string;
  keys: number;
  /** Right after the load. */
  redisBytesPerKey: number;
  oursBytesPerKey: number;
  ratio: number;
  /** Right after the load, our node started with NODE_V8_FLAGS_ARG, and its ratio to Redis. */
  oursCappedBytesPerKey: number;
  cappedRatio: number;
  /** REST_MS after the load, with no command meanwhile. */
  redisRestBytesPerKey: number;
  oursRestBytesPerKey: number;
  restRatio: number;
  /** After MEMORY PURGE. */
  redisPurgedBytesPerKey: number;
  oursPurgedBytesPerKey: number;
  purgedRatio: number;
}

export interface IdleResult {
  redisRssKiB: number;
  oursRssKiB: number;
  redisCpuPercent: number;
  oursCpuPercent: number;
  /** The same for a node started with cluster-enabled yes (a one-node cluster, no slots). */
  redisClusterRssKiB: number;
  oursClusterRssKiB: number;
  redisClusterCpuPercent: number;
  oursClusterCpuPercent: number;
}

export interface MemoryResult {
  rows: MemoryRow[];
  idle: IdleResult;
}

interface Dataset {
  what: string;
  keys: number;
  commands: () => Generator<string[]>;
}

const DATASETS: Dataset[] = [
  {
    what: "small strings (16 B values)",
    keys: 1_000_000,
    *commands() {
      for (let i = 0; i < 1_000_000; i++) yield ["SET", `key:${i}`, "value-0123456789"];
    },
  },
  {
    what: "hashes of 10 fields",
    keys: 100_000,
    *commands() {
      for (let i = 0; i < 100_000; i++) {
        const args = ["HSET", `hash:${i}`];
        for (let f = 0; f < 10; f++) args.push(`field:${f}`, `value-${i % 1000}-${f}`);
        yield args;
      }
    },
  },
  {
    what: "sorted sets of 20 members",
    keys: 100_000,
    *commands() {
      for (let i = 0; i < 100_000; i++) {
        const args = ["ZADD", `zset:${i}`];
        for (let m = 0; m < 20; m++) args.push(String((i * 7 + m * 13) % 1000), `member:${m}`);
        yield args;
      }
    },
  },
];

/**
 * RSS growth per key right after the load, REST_MS later (when `rest`; else NaN), and after
 * MEMORY PURGE.
 */
async function bytesPerKey(
  kind: "ours" | "redis",
  d: Dataset,
  rest: boolean,
  v8Flags: readonly string[] = [],
): Promise<{ loaded: number; rested: number; purged: number }> {
  const p: Proc = await start(kind, false, true, {}, v8Flags);
  try {
    await sleep(500);
    const before = rssKiB(p.pid);
    const perKey = () => ((rssKiB(p.pid) - before) * 1024) / d.keys;
    await pipeCommands(p.port, d.commands());
    const loaded = perKey();
    let rested = NaN;
    if (rest) {
      await sleep(REST_MS);
      rested = perKey();
    }
    await cli(p.port, "MEMORY", "PURGE");
    return { loaded, rested, purged: perKey() };
  } finally {
    await stop(p);
  }
}

async function idle(
  kind: "ours" | "redis",
  cluster: boolean,
): Promise<{ rssKiB: number; cpuPercent: number }> {
  // A cluster node's slots are left unassigned: an idle node, as it is before `--cluster create`.
  const p = await start(kind, cluster, false);
  try {
    await sleep(2000);
    const t0 = cpuMs(p.pid)!;
    await sleep(IDLE_SAMPLE_MS);
    const usedMs = cpuMs(p.pid)! - t0;
    return { rssKiB: rssKiB(p.pid), cpuPercent: usedMs * 100 / IDLE_SAMPLE_MS };
  } finally {
    await stop(p);
  }
}

export async function measureKeyMemory(): Promise<MemoryResult> {
  const rows: MemoryRow[] = [];
  for (const d of DATASETS) {
    const redis = await bytesPerKey("redis", d, true);
    const ours = await bytesPerKey("ours", d, true);
    const capped = await bytesPerKey("ours", d, false, [NODE_V8_FLAGS_ARG]);
    rows.push({
      what: d.what,
      keys: d.keys,
      redisBytesPerKey: redis.loaded,
      oursBytesPerKey: ours.loaded,
      ratio: ours.loaded / redis.loaded,
      oursCappedBytesPerKey: capped.loaded,
      cappedRatio: capped.loaded / redis.loaded,
      redisRestBytesPerKey: redis.rested,
      oursRestBytesPerKey: ours.rested,
      restRatio: ours.rested / redis.rested,
      redisPurgedBytesPerKey: redis.purged,
      oursPurgedBytesPerKey: ours.purged,
      purgedRatio: ours.purged / redis.purged,
    });
  }
  const [r, o] = [await idle("redis", false), await idle("ours", false)];
  const [rc, oc] = [await idle("redis", true), await idle("ours", true)];
  return {
    rows,
    idle: {
      redisRssKiB: r.rssKiB,
      oursRssKiB: o.rssKiB,
      redisCpuPercent: r.cpuPercent,
      oursCpuPercent: o.cpuPercent,
      redisClusterRssKiB: rc.rssKiB,
      oursClusterRssKiB: oc.rssKiB,
      redisClusterCpuPercent: rc.cpuPercent,
      oursClusterCpuPercent: oc.cpuPercent,
    },
  };
}

export function keyMemoryText(r: MemoryResult): string {
  const lines = [
    "\n== memory: RSS growth per key (standalone, fresh processes) ==",
    "data".padEnd(30) + "keys".padStart(10) + "redis B/key".padStart(13) +
    "ours B/key".padStart(12) + "ratio".padStart(8) + " | after MEMORY PURGE: redis".padStart(28) +
    "ours".padStart(7) + "ratio".padStart(8),
  ];
  for (const row of r.rows) {
    lines.push(
      row.what.padEnd(30) + String(row.keys).padStart(10) +
        row.redisBytesPerKey.toFixed(0).padStart(13) + row.oursBytesPerKey.toFixed(0).padStart(12) +
        row.ratio.toFixed(2).padStart(8) +
        row.redisPurgedBytesPerKey.toFixed(0).padStart(28) +
        row.oursPurgedBytesPerKey.toFixed(0).padStart(7) + row.purgedRatio.toFixed(2).padStart(8),
    );
  }
  lines.push(`at rest, ${REST_MS / 1000} s after the load with no command meanwhile:`);
  for (const row of r.rows) {
    lines.push(
      row.what.padEnd(30) + String(row.keys).padStart(10) +
        row.redisRestBytesPerKey.toFixed(0).padStart(13) +
        row.oursRestBytesPerKey.toFixed(0).padStart(12) + row.restRatio.toFixed(2).padStart(8),
    );
  }
  lines.push(`right after the load, ours started with ${NODE_V8_FLAGS_ARG} (README):`);
  for (const row of r.rows) {
    lines.push(
      row.what.padEnd(30) + String(row.keys).padStart(10) +
        row.redisBytesPerKey.toFixed(0).padStart(13) +
        row.oursCappedBytesPerKey.toFixed(0).padStart(12) + row.cappedRatio.toFixed(2).padStart(8),
    );
  }
  const i = r.idle;
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  lines.push(
    `idle node (10 s): RSS redis ${mib(i.redisRssKiB)} MiB, ours ${mib(i.oursRssKiB)} MiB; ` +
      `CPU redis ${i.redisCpuPercent.toFixed(1)}%, ours ${i.oursCpuPercent.toFixed(1)}%`,
    `idle cluster node (10 s): RSS redis ${mib(i.redisClusterRssKiB)} MiB, ours ` +
      `${mib(i.oursClusterRssKiB)} MiB; CPU redis ${i.redisClusterCpuPercent.toFixed(1)}%, ours ` +
      `${i.oursClusterCpuPercent.toFixed(1)}%`,
  );
  return lines.join("\n");
}
