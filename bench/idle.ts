/**
 * `deno task bench --mode idle`: what an idle node and an idle connection cost, ours beside a real
 * `redis-server` (standalone, fresh processes): RSS after a 2 s settle with no client and again
 * IDLE_LATER_MS after the start (ours grows by ~2.5 MiB in its first idle half-minute: measured,
 * ~1.7 MiB of it file-backed, pages of the deno binary first run then, ~0.8 MiB anonymous), and
 * the RSS growth per connection from
 * there with --idle-conns connections open (each has sent one PING and read its PONG, so the
 * server holds a served, idle client), 1 s after the last one.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { rssKiB } from "./proc_stats.ts";
import { type Proc, start, stop } from "./procs.ts";

/** When the second idle reading is taken, after the start. */
const IDLE_LATER_MS = 30_000;

export interface IdleConnResult {
  conns: number;
  redisIdleRssKiB: number;
  oursIdleRssKiB: number;
  /** IDLE_LATER_MS after the start, still with no client. */
  redisIdleLaterRssKiB: number;
  oursIdleLaterRssKiB: number;
  redisBytesPerConn: number;
  oursBytesPerConn: number;
}

const PING = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");

async function openIdle(port: number, n: number): Promise<Deno.Conn[]> {
  const conns: Deno.Conn[] = [];
  const buf = new Uint8Array(64);
  for (let i = 0; i < n; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    conns.push(c);
    await c.write(PING);
    let got = 0;
    while (got < 7) {
      const r = await c.read(buf.subarray(got));
      if (r === null) throw new Error(`connection ${i} closed by the server`);
      got += r;
    }
  }
  return conns;
}

async function measure(
  kind: "ours" | "redis",
  n: number,
): Promise<{ idle: number; idleLater: number; perConn: number }> {
  const p: Proc = await start(kind, false, true, { maxclients: String(n + 100) });
  const conns: Deno.Conn[] = [];
  try {
    await sleep(2000);
    const idle = rssKiB(p.pid);
    await sleep(IDLE_LATER_MS - 2000);
    const idleLater = rssKiB(p.pid);
    conns.push(...await openIdle(p.port, n));
    await sleep(1000);
    return { idle, idleLater, perConn: ((rssKiB(p.pid) - idleLater) * 1024) / n };
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* gone */ }
    }
    await stop(p);
  }
}

export async function measureIdleConns(conns: number): Promise<IdleConnResult> {
  const redis = await measure("redis", conns);
  const ours = await measure("ours", conns);
  return {
    conns,
    redisIdleRssKiB: redis.idle,
    oursIdleRssKiB: ours.idle,
    redisIdleLaterRssKiB: redis.idleLater,
    oursIdleLaterRssKiB: ours.idleLater,
    redisBytesPerConn: redis.perConn,
    oursBytesPerConn: ours.perConn,
  };
}

export function idleConnText(r: IdleConnResult): string {
  const mib = (k: number) => (k / 1024).toFixed(1);
  return [
    "\n== idle: RSS of a node with no client, and per idle connection (standalone) ==",
    `idle node RSS, 2 s / ${IDLE_LATER_MS / 1000} s after the start: redis ${
      mib(r.redisIdleRssKiB)
    } / ${mib(r.redisIdleLaterRssKiB)} MiB, ours ${mib(r.oursIdleRssKiB)} / ${
      mib(r.oursIdleLaterRssKiB)
    } MiB`,
    `RSS per idle connection (${r.conns} open): redis ${
      (r.redisBytesPerConn / 1024).toFixed(1)
    } KiB, ours ${(r.oursBytesPerConn / 1024).toFixed(1)} KiB, ratio ${
      (r.oursBytesPerConn / r.redisBytesPerConn).toFixed(2)
    }`,
  ].join("\n");
}
