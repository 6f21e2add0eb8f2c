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
 * - an idle node (standalone, and a one-node cluster without slots): RSS and CPU over its first
 *   10 s (2 s after the start), and once settled: CPU over IDLE_SAMPLE_MS from IDLE_SETTLE_MS
 *   after the start, RSS at its end; and each node of a formed cluster of three masters, settled
 *   (from IDLE_SETTLE_MS after `redis-cli --cluster create`). All of them idle side by side.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { cpuMs, rssKiB } from "./proc_stats.ts";
import { cli, pipeCommands, type Proc, start, stop } from "./procs.ts";
import { startCluster } from "./cluster_procs.ts";
import { NODE_V8_FLAGS_ARG } from "../server/node_v8_flags.ts";

/** The first window of an idle process: from 2 s after the start, 10 s. */
const IDLE_EARLY_FROM_MS = 2_000;
const IDLE_EARLY_MS = 10_000;
/**
 * When an idle process counts as settled. Our node's first minute of ticks is not what idling
 * costs: V8 compiles the cron's functions with Maglev as they become hot, a one-time cost
 * (measured with `--trace-opt` on an idle one-node cluster: 78 compiles in its first 90 s, none
 * from there to 300 s; its CPU over 30 s windows fell from 0.56-0.63% to 0.33-0.40% after the
 * first 60 s). Redis has no such phase.
 */
const IDLE_SETTLE_MS = 90_000;
/** How long a settled idle process's CPU use is sampled. */
const IDLE_SAMPLE_MS = 30_000;

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

/** What an idle process used: CPU over a window, RSS at its end. */
export interface IdleFigures {
  rssKiB: number;
  cpuPercent: number;
}

/** One idle process: its first 10 s, and settled. */
export interface IdleProcess {
  early: IdleFigures;
  settled: IdleFigures;
}

export interface IdleResult {
  redis: IdleProcess;
  ours: IdleProcess;
  /** The same for a node started with cluster-enabled yes (a one-node cluster, no slots). */
  redisCluster: IdleProcess;
  oursCluster: IdleProcess;
  /**
   * Each node of a formed cluster of three masters (`redis-cli --cluster create`), settled: CPU
   * over IDLE_SAMPLE_MS from IDLE_SETTLE_MS after the cluster was made, RSS then. What a node of
   * a cluster in use costs while the cluster is quiet: its cron pings the others, and they it.
   */
  redisFormed: IdleFigures[];
  oursFormed: IdleFigures[];
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

/** CPU used (percent of one core) and RSS from `fromMs` to `toMs` after `startMs`. */
async function idleWindow(p: Proc, startMs: number, fromMs: number, toMs: number) {
  await sleep(Math.max(0, startMs + fromMs - Date.now()));
  const t0 = cpuMs(p.pid)!;
  const w0 = Date.now();
  await sleep(Math.max(0, startMs + toMs - Date.now()));
  const usedMs = cpuMs(p.pid)! - t0;
  return { rssKiB: rssKiB(p.pid), cpuPercent: usedMs * 100 / (Date.now() - w0) };
}

/**
 * The idle figures of a fresh process of each kind and of each node of a formed three-master
 * cluster of each kind, all idling side by side.
 */
export async function measureIdle(): Promise<IdleResult> {
  // A cluster node's slots are left unassigned: an idle node, as it is before `--cluster create`.
  const kinds = [["redis", false], ["ours", false], ["redis", true], ["ours", true]] as const;
  const procs: { p: Proc; startMs: number }[] = [];
  const formed: { nodes: Proc[]; madeMs: number }[] = [];
  try {
    // The clusters first: their making (seconds of CPU) is over before the single processes'
    // first 10 s are measured.
    for (const kind of ["redis", "ours"] as const) {
      formed.push({ nodes: await startCluster(kind, 3, 0), madeMs: Date.now() });
    }
    for (const [kind, cluster] of kinds) {
      const startMs = Date.now();
      procs.push({ p: await start(kind, cluster, false), startMs });
    }
    const settledOf = (p: Proc, fromMs: number) =>
      idleWindow(p, fromMs, IDLE_SETTLE_MS, IDLE_SETTLE_MS + IDLE_SAMPLE_MS);
    const [singles, [redisFormed, oursFormed]] = await Promise.all([
      Promise.all(
        procs.map(async ({ p, startMs }) => {
          const endEarly = IDLE_EARLY_FROM_MS + IDLE_EARLY_MS;
          const early = await idleWindow(p, startMs, IDLE_EARLY_FROM_MS, endEarly);
          return { early, settled: await settledOf(p, startMs) };
        }),
      ),
      Promise.all(formed.map((c) => Promise.all(c.nodes.map((p) => settledOf(p, c.madeMs))))),
    ]);
    const [redis, ours, redisCluster, oursCluster] = singles;
    return { redis, ours, redisCluster, oursCluster, redisFormed, oursFormed };
  } finally {
    for (const { p } of procs) await stop(p);
    for (const c of formed) for (const p of c.nodes) await stop(p);
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
  return { rows, idle: await measureIdle() };
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
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const figures = (f: IdleFigures) => `${mib(f.rssKiB)} MiB, ${f.cpuPercent.toFixed(2)}%`;
  const idleLine = (what: string, redis: IdleProcess, ours: IdleProcess) =>
    `${what.padEnd(22)} settled: redis ${figures(redis.settled)}, ours ${figures(ours.settled)}` +
    ` | first 10 s: redis ${figures(redis.early)}, ours ${figures(ours.early)}`;
  lines.push(
    `idle (RSS, CPU; settled = CPU over ${IDLE_SAMPLE_MS / 1000} s from ` +
      `${IDLE_SETTLE_MS / 1000} s after the start, RSS then; first 10 s from ` +
      `${IDLE_EARLY_FROM_MS / 1000} s):`,
    idleLine("idle node", r.idle.redis, r.idle.ours),
    idleLine("idle cluster node", r.idle.redisCluster, r.idle.oursCluster),
    `${"formed cluster nodes".padEnd(22)} settled (3 masters, from ${IDLE_SETTLE_MS / 1000} s ` +
      `after --cluster create): redis ${r.idle.redisFormed.map(figures).join(" / ")}; ` +
      `ours ${r.idle.oursFormed.map(figures).join(" / ")}`,
  );
  return lines.join("\n");
}
