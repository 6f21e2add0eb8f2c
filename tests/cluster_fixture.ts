/**
 * Shared fixture for cluster integration tests (reshard_test.ts, reshard_demo_test.ts): a
 * cluster of our nodes (cli.ts processes) made with `redis-cli --cluster create`, CLUSTER NODES
 * parsing, waits for cluster_state:ok and a clean `redis-cli --cluster check`, and a client
 * load (ioredis Cluster) that tracks the latest acknowledged value of every key so a test can
 * verify nothing was lost or went stale while slots moved.
 */

import assert from "node:assert/strict";
import type { Cluster as RedisCluster } from "ioredis";
import {
  RespClient,
  run,
  sleep,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  waitFor,
} from "./harness.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

export const ROOT = new URL("..", import.meta.url).pathname;

/** One-shot command on a node (fresh connection). */
export async function call(port: number, ...args: string[]): Promise<unknown> {
  const c = await RespClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

export function errText(v: unknown): string {
  assert.ok(v instanceof Error, `expected an error reply, got ${JSON.stringify(v)}`);
  return (v as Error).message;
}

/** A line of CLUSTER NODES (cluster.c clusterGenNodeDescription). */
export interface NodeLine {
  id: string;
  addr: string;
  flags: string[];
  master: string;
  /** When this node last received a PONG from that node, ms (0 for myself). */
  pongRecvMs: number;
  epoch: number;
  /** "connected" or "disconnected". */
  link: string;
  slots: string[];
}

export async function nodesOf(port: number): Promise<NodeLine[]> {
  const text = await call(port, "CLUSTER", "NODES") as string;
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const f = l.split(" ");
    return {
      id: f[0],
      addr: f[1],
      flags: f[2].split(","),
      master: f[3],
      pongRecvMs: Number(f[5]),
      epoch: Number(f[6]),
      link: f[7],
      slots: f.slice(8),
    };
  });
}

export async function myLine(port: number): Promise<NodeLine> {
  return (await nodesOf(port)).find((l) => l.flags.includes("myself"))!;
}

/** Number of slots in a CLUSTER NODES line (open-slot tokens not counted). */
export function slotCount(l: NodeLine): number {
  let n = 0;
  for (const s of l.slots) {
    if (s.startsWith("[")) continue;
    const [a, b] = s.split("-").map(Number);
    n += (b ?? a) - a + 1;
  }
  return n;
}

/** The port in a CLUSTER NODES address (`ip:port@cport`). */
export function portOf(l: NodeLine): number {
  return Number(l.addr.split("@")[0].split(":").pop());
}

/** Which node `port` thinks owns `slot` (by node id). */
export async function ownerSeenBy(port: number, slot: number): Promise<string | null> {
  for (const l of await nodesOf(port)) {
    for (const s of l.slots) {
      if (s.startsWith("[")) continue;
      const [a, b] = s.split("-").map(Number);
      if (slot >= a && slot <= (b ?? a)) return l.id;
    }
  }
  return null;
}

export async function stopAll(procs: (SpawnedProcess | null)[]): Promise<void> {
  for (const p of procs) {
    if (p === null) continue;
    try {
      await p.kill();
    } catch { /* gone */ }
  }
}

export interface TestCluster {
  nodes: SpawnedProcess[];
  ports: number[];
  ids: string[];
}

export interface CreateOptions {
  /** Node directives (cluster-enabled is always set). */
  directives?: Record<string, string>;
  /** `--cluster-replicas` (default 0). */
  replicas?: number;
  /** The first node is a real redis-server 7.0. */
  realFirst?: boolean;
}

/**
 * A one-node cluster: the node on `port` takes every slot (CLUSTER ADDSLOTSRANGE 0 16383);
 * resolves once it says cluster_state:ok.
 */
export async function ownAllSlots(port: number): Promise<void> {
  const c = await RespClient.connect(port);
  try {
    assert.equal(await c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"), "OK");
    await waitFor(
      "cluster_state:ok",
      async () => String(await c.call("CLUSTER", "INFO")).startsWith("cluster_state:ok"),
      15_000,
      50,
    );
  } finally {
    c.close();
  }
}

/**
 * `redis-cli --cluster create` of the nodes on `ports` (127.0.0.1), `replicas` replicas per
 * master; asserts that it succeeded and returns what it printed.
 */
export async function redisCliCreate(
  ports: number[],
  replicas: number,
): Promise<{ stdout: string; stderr: string }> {
  const r = await run("redis-cli", [
    "--cluster",
    "create",
    ...ports.map((p) => `127.0.0.1:${p}`),
    "--cluster-replicas",
    String(replicas),
    "--cluster-yes",
  ], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `redis-cli --cluster create failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `n` nodes made into a cluster with `redis-cli --cluster create`, all cluster_state:ok. */
export async function createCluster(n: number, opts: CreateOptions = {}): Promise<TestCluster> {
  const directives = {
    "cluster-node-timeout": "3000",
    ...opts.directives,
    "cluster-enabled": "yes",
  };
  const nodes = await Promise.all(
    Array.from(
      { length: n },
      (_, i) => i === 0 && opts.realFirst ? spawnRedis(directives) : spawnNode(directives),
    ),
  );
  const ports = nodes.map((x) => x.port);
  try {
    await redisCliCreate(ports, opts.replicas ?? 0);
    await waitAllOk(ports);
    const ids = await Promise.all(
      ports.map(async (p) => await call(p, "CLUSTER", "MYID") as string),
    );
    return { nodes, ports, ids };
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
}

/**
 * Wait until every node lists `replicas` replicas, and `masters` masters when given: replicas are
 * confirmed by gossip, after `redis-cli --cluster create` returns.
 */
export async function waitRolesSeen(
  ports: number[],
  counts: { replicas: number; masters?: number },
  timeoutMs = 30_000,
): Promise<void> {
  const what = counts.masters === undefined
    ? `${counts.replicas} replicas`
    : `${counts.masters} masters + ${counts.replicas} replicas`;
  await waitFor(
    `${what} seen by every node`,
    async () => {
      for (const p of ports) {
        const ls = await nodesOf(p);
        if (ls.filter((l) => l.flags.includes("slave")).length !== counts.replicas) return false;
        if (
          counts.masters !== undefined &&
          ls.filter((l) => l.flags.includes("master")).length !== counts.masters
        ) return false;
      }
      return true;
    },
    timeoutMs,
    200,
  );
}

export async function waitAllOk(ports: number[], timeoutMs = 20_000): Promise<void> {
  await waitFor(
    "cluster_state:ok on every node",
    async () => {
      for (const p of ports) {
        const info = await call(p, "CLUSTER", "INFO") as string;
        if (!info.startsWith("cluster_state:ok\r\n")) return false;
      }
      return true;
    },
    timeoutMs,
    200,
  );
}

/**
 * Every node in `ports` knows node `id` (past the handshake). `redis-cli --cluster add-node` returns
 * right after its MEET, and the others learn the newcomer by gossip; a slot move names the new node
 * to every master (SETSLOT NODE), so it must wait for this.
 */
export async function waitAllKnow(ports: number[], id: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `every node knows ${id}`,
    async () => {
      for (const p of ports) {
        const l = (await nodesOf(p)).find((x) => x.id === id);
        if (l === undefined || l.flags.includes("handshake") || l.flags.includes("noaddr")) {
          return false;
        }
      }
      return true;
    },
    timeoutMs,
    100,
  );
}

/** `redis-cli --cluster check` must be clean now. Returns its output. */
export async function clusterCheck(port: number): Promise<string> {
  const r = await run("redis-cli", ["--cluster", "check", `127.0.0.1:${port}`], {
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, `check failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /\[OK\] All nodes agree about slots configuration\./);
  assert.match(r.stdout, /\[OK\] All 16384 slots covered\./);
  assert.doesNotMatch(r.stdout, /\[WARNING\]|\[ERR\]/);
  return r.stdout;
}

/** Wait until every node's view agrees (redis-cli's signature check) by running check. */
export async function waitChecked(port: number, timeoutMs = 20_000): Promise<void> {
  let last = "";
  await waitFor(
    "redis-cli --cluster check clean",
    async () => {
      const r = await run("redis-cli", ["--cluster", "check", `127.0.0.1:${port}`], {
        timeoutMs: 60_000,
      });
      last = r.stdout;
      return r.code === 0 && !/\[WARNING\]|\[ERR\]/.test(r.stdout);
    },
    timeoutMs,
    500,
  ).catch((e) => {
    throw new Error(`${(e as Error).message}\n${last}`);
  });
}

/** A key (with the given prefix) hashing to `slot`. */
export function keyInSlot(slot: number, prefix = "key"): string {
  for (let i = 0; i < 1_000_000; i++) {
    const k = `${prefix}:${i}`;
    if (keyHashSlotBinary(k) === slot) return k;
  }
  throw new Error(`no key for slot ${slot}`);
}

/** Run `deno run -A cli.ts <args>` (the cluster manager) as a user does. */
export function runCli(
  args: string[],
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, ...args], { timeoutMs });
}

/** Sum of `errorstat_<code>` over the given nodes (INFO errorstats). */
export async function errorStatSum(ports: number[], code: string): Promise<number> {
  let n = 0;
  for (const p of ports) {
    try {
      const info = await call(p, "INFO", "errorstats") as string;
      const m = new RegExp(`errorstat_${code}:count=(\\d+)`).exec(info);
      if (m) n += Number(m[1]);
    } catch { /* node gone */ }
  }
  return n;
}

/**
 * Client load through an ioredis Cluster client: `writers` loops, each owning the keys
 * i % writers === w and running one command at a time (SET a random own key, then GET a random
 * own key), so the latest acknowledged value of every key is known exactly and every read must
 * return it. Any error (other than the MOVED/ASK ioredis handles inside) or stale read is
 * recorded in `errors`.
 */
export class KeyLoad {
  readonly latest = new Map<string, string>();
  readonly errors: string[] = [];
  ops = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: RedisCluster,
    readonly numKeys: number,
    private readonly writers = 8,
  ) {
    assert.ok(numKeys % writers === 0, "numKeys must be a multiple of writers");
  }

  static key(i: number): string {
    return `key:${i}`;
  }

  /** Write every key once (`key:i` = `i:0`), `concurrency` commands in flight. */
  async preload(concurrency = 1000): Promise<void> {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < this.numKeys; i++) {
      const k = KeyLoad.key(i);
      const v = `${i}:0`;
      batch.push(
        this.client.set(k, v).then((r) => {
          assert.equal(r, "OK");
          this.latest.set(k, v);
        }),
      );
      if (batch.length === concurrency) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
  }

  start(): void {
    this.loops = Array.from({ length: this.writers }, (_, w) => this.loop(w));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private pick(w: number): string {
    const per = this.numKeys / this.writers;
    return KeyLoad.key(w + this.writers * Math.floor(Math.random() * per));
  }

  private async loop(w: number): Promise<void> {
    let version = 0;
    while (!this.stopped) {
      const k = this.pick(w);
      const v = `${k.slice(4)}:${++version}`;
      try {
        const r = await this.client.set(k, v);
        if (r !== "OK") this.errors.push(`SET ${k}: ${r}`);
        else this.latest.set(k, v);
        const j = this.pick(w);
        const got = await this.client.get(j);
        if (got !== this.latest.get(j)) {
          this.errors.push(`stale read ${j}: ${got} != ${this.latest.get(j)}`);
        }
        this.ops++;
      } catch (e) {
        // The write may or may not have landed: the key's value is unknown from now on.
        this.errors.push(`${k}: ${(e as Error).message}`);
        this.latest.delete(k);
        await sleep(10);
      }
    }
  }

  /** Every key read back (through the cluster client) equals its latest acknowledged value. */
  async verifyAll(concurrency = 2000): Promise<void> {
    assert.equal(this.latest.size, this.numKeys, "every key has a known latest value");
    const keys = [...this.latest.keys()];
    const wrong: string[] = [];
    for (let i = 0; i < keys.length; i += concurrency) {
      const part = keys.slice(i, i + concurrency);
      const vals = await Promise.all(part.map((k) => this.client.get(k)));
      for (let j = 0; j < part.length; j++) {
        if (vals[j] !== this.latest.get(part[j])) {
          wrong.push(`${part[j]}: ${vals[j]} != ${this.latest.get(part[j])}`);
        }
      }
    }
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} keys lost or stale`);
  }
}
