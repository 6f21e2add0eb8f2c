/**
 * The Pub/Sub step of `deno task bench` (--mode pubsub), against our nodes and real redis-servers
 * in the same run, as ratios:
 *
 * - PUBLISH throughput: redis-benchmark's clients PUBLISH a 32-byte message to one channel with 1
 *   subscriber, then with 1,000 subscribers; the subscribers are raw sockets in this process that
 *   count frames (every frame has the same size, so bytes / frame size). Messages delivered per
 *   second, from the first delivered byte to the last.
 * - Latency across the cluster bus: a 3-master cluster of ours and one of real redis-servers
 *   (`redis-cli --cluster create`); PUBLISH on node A, the subscriber on node B, the send time in
 *   the message (this process's clock on both ends); one message in flight at a time; p50, p99.
 *
 * Both servers run with their defaults (`client-output-buffer-limit pubsub 32mb 8mb 60`): a
 * subscriber dropped by it would show as missing messages, and the step fails.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { cli, type Proc, start, stop } from "./procs.ts";
import { benchmarkRps } from "./redis_benchmark.ts";

export interface PubsubResult {
  throughput: {
    subscribers: number;
    publishes: number;
    redis: number;
    ours: number;
    ratio: number;
    redisPublishRps: number;
    oursPublishRps: number;
  }[];
  latency: {
    samples: number;
    redis: { p50: number; p99: number };
    ours: { p50: number; p99: number };
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const CHANNEL = "bench:ch";
const PAYLOAD = "x".repeat(32);

function command(...args: string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${enc.encode(a).length}\r\n${a}\r\n`;
  return enc.encode(s);
}

/** The RESP2 frame a subscriber gets for `payload` on `channel`. */
function messageFrameSize(channel: string, payload: string): number {
  return `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$${payload.length}\r\n${payload}\r\n`
    .length;
}

function confirmSize(channel: string): number {
  return `*3\r\n$9\r\nsubscribe\r\n$${channel.length}\r\n${channel}\r\n:1\r\n`.length;
}

async function writeAll(conn: Deno.Conn, b: Uint8Array): Promise<void> {
  let o = 0;
  while (o < b.length) o += await conn.write(b.subarray(o));
}

/** Read exactly `n` bytes into `into` (or fail when the peer closes). */
async function readExactly(conn: Deno.Conn, into: Uint8Array, n: number): Promise<void> {
  let got = 0;
  while (got < n) {
    const r = await conn.read(into.subarray(got, n));
    if (r === null) throw new Error("connection closed");
    got += r;
  }
}

/**
 * `count` raw subscribers of CHANNEL on `port`, each counting bytes; `done(messages)` resolves once
 * every subscriber has `messages` frames, with the time of the first and last delivered byte.
 */
class Subscribers {
  private conns: Deno.Conn[] = [];
  private bytes: number[] = [];
  private total = 0;
  private target = Infinity;
  private firstMs = 0;
  private lastMs = 0;
  private onTarget: (() => void) | null = null;
  private loops: Promise<void>[] = [];
  private readonly frame = messageFrameSize(CHANNEL, PAYLOAD);

  static async open(port: number, count: number): Promise<Subscribers> {
    const s = new Subscribers();
    const confirm = confirmSize(CHANNEL);
    // In batches, so the accept queue never overflows.
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, async () => {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          c.setNoDelay(true);
          await writeAll(c, command("SUBSCRIBE", CHANNEL));
          await readExactly(c, new Uint8Array(confirm), confirm);
          s.conns.push(c);
        }),
      );
    }
    s.bytes = s.conns.map(() => 0);
    s.loops = s.conns.map((c, i) => s.readLoop(c, i));
    return s;
  }

  private async readLoop(c: Deno.Conn, i: number): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) return;
        const now = performance.now();
        if (this.firstMs === 0) this.firstMs = now;
        this.lastMs = now;
        this.bytes[i] += n;
        this.total += n;
        if (this.total >= this.target) this.onTarget?.();
      }
    } catch { /* closed by close() */ }
  }

  /** Wait until every subscriber got `messages` frames (or `timeoutMs`): deliveries per second. */
  async done(messages: number, timeoutMs: number): Promise<number> {
    this.target = messages * this.frame * this.conns.length;
    if (this.total < this.target) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((r) => this.onTarget = r),
        new Promise<void>((r) => timer = setTimeout(r, timeoutMs)),
      ]);
      clearTimeout(timer);
    }
    const short = this.bytes.filter((b) => b < messages * this.frame).length;
    if (short > 0) {
      throw new Error(
        `${short} of ${this.conns.length} subscribers missed messages (${this.total} of ${this.target} bytes)`,
      );
    }
    return (messages * this.conns.length) / ((this.lastMs - this.firstMs) / 1000);
  }

  async close(): Promise<void> {
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all(this.loops);
  }
}

/** redis-benchmark PUBLISHing `n` messages with `clients` connections: its requests/s. */
function publishLoad(port: number, n: number, clients: number): Promise<number> {
  return benchmarkRps(
    ["-p", String(port), "-n", String(n), "-c", String(clients), "publish", CHANNEL, PAYLOAD],
    180_000,
  );
}

async function throughput(
  port: number,
  subscribers: number,
  publishes: number,
  clients: number,
): Promise<{ delivered: number; publishRps: number }> {
  const subs = await Subscribers.open(port, subscribers);
  try {
    const publishRps = await publishLoad(port, publishes, clients);
    const delivered = await subs.done(publishes, 60_000);
    return { delivered, publishRps };
  } finally {
    await subs.close();
  }
}

/** Three cluster-enabled processes of one kind made into a cluster of 3 masters. */
async function threeMasters(kind: "ours" | "redis"): Promise<Proc[]> {
  const procs = await Promise.all([0, 1, 2].map(() => start(kind, true, false)));
  const r = await new Deno.Command("redis-cli", {
    args: ["--cluster", "create", ...procs.map((p) => `127.0.0.1:${p.port}`), "--cluster-yes"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  if (r.code !== 0) {
    for (const p of procs) await stop(p);
    throw new Error(`cluster create failed: ${dec.decode(r.stdout)}${dec.decode(r.stderr)}`);
  }
  // cluster_state:ok everywhere, and every node's links to the others up (a PUBLISH goes over
  // the links a node has: one published before A links to B would never reach B).
  for (let i = 0; i < 300; i++) {
    const states = await Promise.all(procs.map((p) => cli(p.port, "cluster", "info")));
    const nodes = await Promise.all(procs.map((p) => cli(p.port, "cluster", "nodes")));
    const linked = nodes.every((t) => {
      const lines = t.split("\n").filter((l) => l.trim() !== "");
      return lines.length === procs.length &&
        lines.every((l) => l.split(" ")[7] === "connected");
    });
    if (linked && states.every((s) => s.startsWith("cluster_state:ok"))) return procs;
    await sleep(100);
  }
  for (const p of procs) await stop(p);
  throw new Error(`${kind} cluster did not reach cluster_state:ok`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * PUBLISH on `a`, subscriber on `b`: the message is the send time (µs, 16 digits, so every frame
 * has the same size). One at a time; the first `warmup` are not counted.
 */
async function busLatency(
  a: number,
  b: number,
  samples: number,
  warmup: number,
): Promise<{ p50: number; p99: number }> {
  const pub = await Deno.connect({ hostname: "127.0.0.1", port: a });
  const sub = await Deno.connect({ hostname: "127.0.0.1", port: b });
  pub.setNoDelay(true);
  sub.setNoDelay(true);
  // A message that never arrives ends the step (the reads fail) instead of hanging the bench.
  let timedOut = false;
  const guard = setTimeout(() => {
    timedOut = true;
    pub.close();
    sub.close();
  }, 120_000);
  try {
    await writeAll(sub, command("SUBSCRIBE", CHANNEL));
    const confirm = confirmSize(CHANNEL);
    await readExactly(sub, new Uint8Array(confirm), confirm);
    const frameSize = messageFrameSize(CHANNEL, "0".repeat(16));
    const frame = new Uint8Array(frameSize);
    const reply = new Uint8Array(64);
    const stamp = () => String(Math.round(performance.now() * 1000)).padStart(16, "0");
    // PUBLISH replies ":0\r\n" (nobody subscribed on A), read after each delivery.
    const readReply = () => readExactly(pub, reply, 4);

    const lat: number[] = [];
    for (let i = 0; i < warmup + samples; i++) {
      await writeAll(pub, command("PUBLISH", CHANNEL, stamp()));
      await readExactly(sub, frame, frameSize);
      const now = performance.now() * 1000;
      const sentUs = Number(dec.decode(frame.subarray(frameSize - 18, frameSize - 2)));
      await readReply();
      if (i >= warmup) lat.push((now - sentUs) / 1000);
    }
    lat.sort((x, y) => x - y);
    return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } catch (e) {
    if (timedOut) throw new Error(`bus latency: a message did not arrive within 120 s`);
    throw e;
  } finally {
    clearTimeout(guard);
    if (!timedOut) {
      pub.close();
      sub.close();
    }
  }
}

export async function measurePubsub(requests: number, clients: number): Promise<PubsubResult> {
  const result: PubsubResult = {
    throughput: [],
    latency: {
      samples: 0,
      redis: { p50: 0, p99: 0 },
      ours: { p50: 0, p99: 0 },
    },
  };
  const redis = await start("redis", false);
  const ours = await start("ours", false);
  try {
    for (const [subscribers, publishes] of [[1, requests], [1000, Math.ceil(requests / 20)]]) {
      // Alternate so both see the same machine load.
      const r = await throughput(redis.port, subscribers, publishes, clients);
      const o = await throughput(ours.port, subscribers, publishes, clients);
      result.throughput.push({
        subscribers,
        publishes,
        redis: r.delivered,
        ours: o.delivered,
        ratio: o.delivered / r.delivered,
        redisPublishRps: r.publishRps,
        oursPublishRps: o.publishRps,
      });
    }
  } finally {
    await stop(redis);
    await stop(ours);
  }
  const samples = Math.max(1000, Math.min(10_000, Math.ceil(requests / 20)));
  result.latency.samples = samples;
  for (const kind of ["redis", "ours"] as const) {
    const nodes = await threeMasters(kind);
    try {
      result.latency[kind] = await busLatency(nodes[0].port, nodes[1].port, samples, 200);
    } finally {
      for (const p of nodes) await stop(p);
    }
  }
  return result;
}

export function pubsubText(r: PubsubResult, clients: number): string {
  const out = [`\n== pubsub: redis-benchmark PUBLISH (${clients} clients, 32-byte messages) ==`];
  out.push(
    "subscribers".padEnd(14) + "publishes".padStart(10) + "redis msg/s".padStart(14) +
      "ours msg/s".padStart(14) + "ratio".padStart(8) + "   PUBLISH rps redis / ours",
  );
  for (const t of r.throughput) {
    out.push(
      String(t.subscribers).padEnd(14) + String(t.publishes).padStart(10) +
        t.redis.toFixed(0).padStart(14) + t.ours.toFixed(0).padStart(14) +
        t.ratio.toFixed(2).padStart(8) +
        `   ${t.redisPublishRps.toFixed(0)} / ${t.oursPublishRps.toFixed(0)}`,
    );
  }
  const l = r.latency;
  out.push(
    `cluster bus latency, PUBLISH on A -> subscriber on B, 3 masters, ${l.samples} messages one at a time:`,
  );
  out.push(
    `  p50: redis ${l.redis.p50.toFixed(3)} ms, ours ${l.ours.p50.toFixed(3)} ms, ratio ${
      (l.ours.p50 / l.redis.p50).toFixed(2)
    }`,
  );
  out.push(
    `  p99: redis ${l.redis.p99.toFixed(3)} ms, ours ${l.ours.p99.toFixed(3)} ms, ratio ${
      (l.ours.p99 / l.redis.p99).toFixed(2)
    }`,
  );
  return out.join("\n");
}
