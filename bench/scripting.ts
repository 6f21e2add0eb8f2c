/**
 * The scripting step of `deno task bench` (--mode scripting): redis-benchmark's SCRIPT LOAD,
 * EVALSHA and EVAL against one of our nodes and a real redis-server in the same run, as ratios;
 * the start-up cost of our Lua VM (in this process: the first VM compiles the WebAssembly module,
 * the next ones only create a state and load the libraries); and memory per cached script (RSS
 * growth and the Lua heap after SCRIPT LOAD of N distinct scripts, on fresh processes).
 */

import { setTimeout as sleep } from "node:timers/promises";
import { rssKiB } from "./proc_stats.ts";
import { cli, start, stop } from "./procs.ts";
import { benchmarkRps } from "./redis_benchmark.ts";
import { Server } from "../server/server.ts";

export interface ScriptingResult {
  rows: { test: string; redis: number; ours: number; ratio: number }[];
  vm: { firstMs: number; nextMs: number };
  memory: {
    scripts: number;
    redisRssKiB: number;
    oursRssKiB: number;
    redisLuaBytes: number;
    oursLuaBytes: number;
    redisPerScriptBytes: number;
    oursPerScriptBytes: number;
  };
}

/** redis-benchmark running one command; requests/s. */
function benchCommand(
  port: number,
  requests: number,
  clients: number,
  args: string[],
): Promise<number> {
  return benchmarkRps([
    "-p",
    String(port),
    "-n",
    String(requests),
    "-c",
    String(clients),
    "-r",
    "100000",
    ...args,
  ]);
}

function infoNumber(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(info);
  return m ? Number(m[1]) : 0;
}

const INCR_SCRIPT = "return redis.call('INCR', KEYS[1])";

/** Start-up of the VM: a first engine in this process, then the mean of five more. */
async function measureVm(): Promise<ScriptingResult["vm"]> {
  const t0 = performance.now();
  const first = new Server();
  await first.scripts.ready();
  const firstMs = performance.now() - t0;
  const servers = Array.from({ length: 5 }, () => new Server());
  const t1 = performance.now();
  for (const s of servers) await s.scripts.ready();
  const nextMs = (performance.now() - t1) / servers.length;
  for (const s of [first, ...servers]) s.scripts.close();
  return { firstMs, nextMs };
}

async function measureMemory(n: number): Promise<ScriptingResult["memory"]> {
  const redis = await start("redis", false);
  const ours = await start("ours", false);
  try {
    // Our VM is created at start; one script makes both sides past any lazy set-up.
    for (const p of [redis.port, ours.port]) await cli(p, "SCRIPT", "LOAD", "return 0");
    await sleep(300);
    const base = { redis: rssKiB(redis.pid), ours: rssKiB(ours.pid) };
    const baseLua = {
      redis: infoNumber(await cli(redis.port, "INFO", "memory"), "used_memory_lua"),
      ours: infoNumber(await cli(ours.port, "INFO", "memory"), "used_memory_lua"),
    };
    for (const p of [redis.port, ours.port]) {
      const lines: string[] = [];
      for (let i = 1; i <= n; i++) {
        lines.push(`SCRIPT LOAD "return redis.call('GET', KEYS[1]) .. '${i}'"`);
      }
      const r = await new Deno.Command("redis-cli", {
        args: ["-p", String(p)],
        stdin: "piped",
        stdout: "null",
      }).spawn();
      const w = r.stdin.getWriter();
      await w.write(new TextEncoder().encode(lines.join("\n") + "\n"));
      await w.close();
      await r.status;
    }
    await sleep(300);
    const redisInfo = await cli(redis.port, "INFO", "memory");
    const oursInfo = await cli(ours.port, "INFO", "memory");
    const cached = infoNumber(oursInfo, "number_of_cached_scripts");
    if (cached !== infoNumber(redisInfo, "number_of_cached_scripts")) {
      throw new Error(`cached scripts differ: ours ${cached}`);
    }
    const m = {
      scripts: n,
      redisRssKiB: rssKiB(redis.pid) - base.redis,
      oursRssKiB: rssKiB(ours.pid) - base.ours,
      redisLuaBytes: infoNumber(redisInfo, "used_memory_lua") - baseLua.redis,
      oursLuaBytes: infoNumber(oursInfo, "used_memory_lua") - baseLua.ours,
      redisPerScriptBytes: 0,
      oursPerScriptBytes: 0,
    };
    m.redisPerScriptBytes = Math.round((m.redisRssKiB * 1024) / n);
    m.oursPerScriptBytes = Math.round((m.oursRssKiB * 1024) / n);
    return m;
  } finally {
    await stop(redis);
    await stop(ours);
  }
}

export async function measureScripting(
  requests: number,
  clients: number,
  scripts: number,
): Promise<ScriptingResult> {
  const rows: ScriptingResult["rows"] = [];
  const redis = await start("redis", false, true);
  const ours = await start("ours", false, true);
  try {
    const sha = await cli(redis.port, "SCRIPT", "LOAD", INCR_SCRIPT);
    if (await cli(ours.port, "SCRIPT", "LOAD", INCR_SCRIPT) !== sha) throw new Error("sha differs");
    const tests: [string, string[]][] = [
      ["SCRIPT LOAD", ["script", "load", "redis.call('set','foo','bar')"]],
      ["EVALSHA (INCR of a random key)", ["evalsha", sha, "1", "key:__rand_int__"]],
      ["EVAL (return 1)", ["eval", "return 1", "0"]],
    ];
    // Alternate per test so both see the same machine load.
    for (const [test, args] of tests) {
      const a = await benchCommand(redis.port, requests, clients, args);
      const b = await benchCommand(ours.port, requests, clients, args);
      rows.push({ test, redis: a, ours: b, ratio: b / a });
    }
  } finally {
    await stop(redis);
    await stop(ours);
  }
  const vm = await measureVm();
  const memory = await measureMemory(scripts);
  return { rows, vm, memory };
}

export function scriptingText(r: ScriptingResult, requests: number, clients: number): string {
  const out = [`\n== scripting: redis-benchmark -n ${requests} -c ${clients} ==`];
  out.push(
    "test".padEnd(36) + "redis rps".padStart(12) + "ours rps".padStart(12) + "ratio".padStart(8),
  );
  for (const row of r.rows) {
    out.push(
      row.test.padEnd(36) + row.redis.toFixed(0).padStart(12) + row.ours.toFixed(0).padStart(12) +
        row.ratio.toFixed(2).padStart(8),
    );
  }
  out.push(
    `Lua VM start-up: first in a process ${r.vm.firstMs.toFixed(1)} ms (compiles the module), ` +
      `each next ${r.vm.nextMs.toFixed(1)} ms`,
  );
  const m = r.memory;
  out.push(
    `memory for ${m.scripts} cached scripts (RSS growth): redis ${m.redisRssKiB} KiB ` +
      `(${m.redisPerScriptBytes} B/script, Lua heap +${m.redisLuaBytes} B), ours ${m.oursRssKiB} KiB ` +
      `(${m.oursPerScriptBytes} B/script, Lua heap +${m.oursLuaBytes} B), ratio ${
        (m.oursRssKiB / Math.max(1, m.redisRssKiB)).toFixed(2)
      }`,
  );
  return out.join("\n");
}
