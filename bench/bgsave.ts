/**
 * BGSAVE of N keys (1,000,000 by default) on our node and on a real redis-server, in the same
 * run: how long the save takes, the GET/SET latency a client sees meanwhile (p50/p99/max, one
 * connection, no pipelining, against the same probe with no save running), and the peak memory
 * of the server's processes during the save (the server's peak RSS plus, for Redis, the pages its
 * fork child does not share).
 */

import { setTimeout as sleep } from "node:timers/promises";
import { statusKiB } from "./proc_stats.ts";
import { loadKeys, type Proc, start, stop } from "./procs.ts";

export interface BgsaveSide {
  saveMs: number;
  fileBytes: number;
  idleP99Us: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  probes: number;
  /** RSS before the save and the peak during it (with a fork child's own pages), in KiB. */
  baseKiB: number;
  peakKiB: number;
}

export interface BgsaveResult {
  keys: number;
  redis: BgsaveSide;
  ours: BgsaveSide;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Start counting the peak RSS (VmHWM) afresh (clear_refs 5). */
function resetPeak(pid: number): void {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch { /* not permitted: the peak then includes earlier phases */ }
}

/** Pages a fork child does not share with its parent (its copy-on-write copies), in KiB. */
function childPrivateKiB(pid: number): number {
  let total = 0;
  try {
    const kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    for (const k of kids === "" ? [] : kids.split(/\s+/)) {
      const t = Deno.readTextFileSync(`/proc/${k}/smaps_rollup`);
      for (const f of ["Private_Clean", "Private_Dirty"]) {
        total += Number(new RegExp(`^${f}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? 0);
      }
    }
  } catch { /* the child exited */ }
  return total;
}

/** A bare RESP connection: one request, one reply (enough for the probe and INFO). */
class Conn {
  private buf = new Uint8Array(1 << 16);
  constructor(private readonly conn: Deno.TcpConn) {}
  static async open(port: number): Promise<Conn> {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.setNoDelay(true);
    return new Conn(c);
  }
  /** Send `args`, return the reply's text (whole reply read; bulk or status). */
  async call(...args: string[]): Promise<string> {
    let req = `*${args.length}\r\n`;
    for (const a of args) req += `$${enc.encode(a).length}\r\n${a}\r\n`;
    await this.conn.write(enc.encode(req));
    let text = "";
    for (;;) {
      const n = await this.conn.read(this.buf);
      if (n === null) throw new Error("connection closed");
      text += dec.decode(this.buf.subarray(0, n));
      if (complete(text)) return text;
    }
  }
  close(): void {
    this.conn.close();
  }
}

function complete(t: string): boolean {
  if (t.length < 3 || !t.endsWith("\r\n")) return false;
  if (t[0] !== "$") return true;
  const nl = t.indexOf("\r\n");
  const len = Number(t.slice(1, nl));
  return len < 0 || t.length >= nl + 2 + len + 2;
}

async function field(c: Conn, name: string): Promise<string> {
  const text = await c.call("INFO", "persistence");
  return new RegExp(`${name}:(\\S+)`).exec(text)?.[1] ?? "";
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** GET/SET round trips from a Worker (bench/bgsave_probe.ts) until `stop` is called. */
async function startProbe(port: number): Promise<{ stop(): Promise<number[]> }> {
  const w = new Worker(new URL("./bgsave_probe.ts", import.meta.url), { type: "module" });
  const { promise: ready, resolve: readyNow } = Promise.withResolvers<void>();
  const { promise: done, resolve: finish } = Promise.withResolvers<number[]>();
  w.onmessage = (e) => (e.data === "ready" ? readyNow() : finish(e.data as number[]));
  w.postMessage({ port });
  await ready;
  return {
    async stop() {
      w.postMessage("stop");
      const lat = await done;
      w.terminate();
      return lat.sort((a, b) => a - b);
    },
  };
}

async function measureSide(p: Proc, keys: number): Promise<BgsaveSide> {
  await loadKeys(p.port, keys);
  const c = await Conn.open(p.port);
  try {
    const idleProbe = await startProbe(p.port);
    await sleep(1000);
    const idle = await idleProbe.stop();
    // Memory is read without walking the server's page tables (that would stall it): its RSS
    // counters from /proc/<pid>/status, and for a fork child its private pages (the child's
    // own walk stalls only the child).
    const baseKiB = statusKiB(p.pid, "VmRSS");
    resetPeak(p.pid);
    let childPeakKiB = 0;
    const probe = await startProbe(p.port);
    const t0 = performance.now();
    const reply = await c.call("BGSAVE");
    if (!reply.startsWith("+Background saving started")) throw new Error(`BGSAVE: ${reply}`);
    for (;;) {
      childPeakKiB = Math.max(childPeakKiB, childPrivateKiB(p.pid));
      if (await field(c, "rdb_bgsave_in_progress") === "0") break;
      await sleep(20);
    }
    const peakKiB = statusKiB(p.pid, "VmHWM") + childPeakKiB;
    const saveMs = performance.now() - t0;
    const lat = await probe.stop();
    if (await field(c, "rdb_last_bgsave_status") !== "ok") throw new Error("BGSAVE failed");
    return {
      saveMs,
      fileBytes: Deno.statSync(`${p.dir}/dump.rdb`).size,
      idleP99Us: quantile(idle, 0.99),
      p50Us: quantile(lat, 0.5),
      p99Us: quantile(lat, 0.99),
      maxUs: lat[lat.length - 1] ?? 0,
      probes: lat.length,
      baseKiB,
      peakKiB,
    };
  } finally {
    c.close();
  }
}

export async function measureBgsave(keys: number): Promise<BgsaveResult> {
  const redis = await start("redis", false);
  let r: BgsaveSide;
  try {
    r = await measureSide(redis, keys);
  } finally {
    await stop(redis);
  }
  const ours = await start("ours", false);
  try {
    return { keys, redis: r, ours: await measureSide(ours, keys) };
  } finally {
    await stop(ours);
  }
}

export function bgsaveText(b: BgsaveResult): string {
  const row = (name: string, s: BgsaveSide) =>
    name.padEnd(7) + `${(s.saveMs / 1000).toFixed(2)} s`.padStart(9) +
    `${(s.fileBytes / 1048576).toFixed(1)} MiB`.padStart(11) +
    `${(s.idleP99Us / 1000).toFixed(2)}`.padStart(10) +
    `${(s.p50Us / 1000).toFixed(2)}`.padStart(9) + `${(s.p99Us / 1000).toFixed(2)}`.padStart(9) +
    `${(s.maxUs / 1000).toFixed(1)}`.padStart(9) + String(s.probes).padStart(8) +
    `${(s.baseKiB / 1024).toFixed(0)} MiB`.padStart(10) +
    `${(s.peakKiB / 1024).toFixed(0)} MiB`.padStart(10);
  return [
    `\n== BGSAVE of ${b.keys} keys (GET/SET latency in ms on one connection meanwhile) ==`,
    "server".padEnd(7) + "save".padStart(9) + "file".padStart(11) + "idle p99".padStart(10) +
    "p50".padStart(9) + "p99".padStart(9) + "max".padStart(9) + "probes".padStart(8) +
    "mem before".padStart(10) + "peak".padStart(10),
    row("redis", b.redis),
    row("ours", b.ours),
    `ratios (ours / redis): save time ${(b.ours.saveMs / b.redis.saveMs).toFixed(2)}, p99 ${
      (b.ours.p99Us / b.redis.p99Us).toFixed(2)
    }, peak memory ${(b.ours.peakKiB / b.redis.peakKiB).toFixed(2)}`,
  ].join("\n");
}
