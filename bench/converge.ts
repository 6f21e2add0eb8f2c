/**
 * Cluster scale run: N nodes, each its own process, MEET one seed node and converge; then slots
 * are assigned and spread; then one master is killed with SIGKILL and the others must flag it
 * `fail`. Run for our nodes (`cli.ts`) and for real `redis-server` 7.0, one kind after the other,
 * and print both side by side with ratios.
 *
 * Phases and what is timed (CLUSTER NODES/INFO polled on every node every --poll-ms):
 *  1. start:    spawn N processes, until every one answers PING;
 *  2. converge: `CLUSTER MEET 127.0.0.1 <p0>` sent to nodes 1..N-1 at once, until every node lists
 *               N nodes and none has `handshake` (also: when the first node got there);
 *  3. slots:    `CLUSTER ADDSLOTSRANGE` on --masters nodes at once (16384 split evenly), until every
 *               node prints the expected redis-cli signature (redis-cli.c clusterManagerGetConfigSignature), and until every
 *               node says `cluster_state:ok`;
 *  4. fail:     `kill -9` of one slot-owning master (not the seed), until every other node flags it
 *               `fail` (also: first `fail?`, first `fail`, and every node `cluster_state:fail`).
 * Plus CPU seconds per phase (all nodes, from /proc), idle CPU per node and RSS after phase 3.
 *
 * Flags: --nodes N (30) --node-timeout MS (5000) --kinds ours,redis --masters M (all nodes)
 *        --poll-ms MS (100) --timeout-ms MS (120000, per phase) --json --keep (leave dirs + logs)
 *        --quiet (no progress lines on stderr)
 *
 * `runKind` is exported for tests/converge_small_test.ts.
 */

import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, releasePort } from "../tests/ports.ts";
import { cpuMs, rssKiB } from "./proc_stats.ts";
import { benchDirectives, type Kind, serverArgv } from "./procs.ts";
import { encodeRequest } from "../manager/client.ts";

const SLOTS = 16384;
const CALL_TIMEOUT_MS = 20_000;

export interface ConvergeOptions {
  nodes: number;
  nodeTimeoutMs: number;
  masters: number;
  pollMs: number;
  phaseTimeoutMs: number;
  keep: boolean;
  log: (line: string) => void;
}

/** Every timing is ms from the start of its phase; null when the phase timed out or was skipped. */
export interface KindResult {
  kind: Kind;
  nodes: number;
  nodeTimeoutMs: number;
  masters: number;
  startMs: number | null;
  convergeFirstMs: number | null;
  convergeMedianMs: number | null;
  convergeAllMs: number | null;
  /** During convergence: the most `handshake` lines seen at once, summed over all nodes. */
  peakHandshakeLines: number;
  /** During convergence: the most lines any node listed (more than N means duplicates). */
  peakListed: number;
  slotsAgreeMs: number | null;
  stateOkMs: number | null;
  failPfailFirstMs: number | null;
  failFirstMs: number | null;
  failAllMs: number | null;
  stateFailAllMs: number | null;
  /** The slowest reply to any of the bench's commands (CLUSTER NODES/INFO polls included). */
  maxReplyMs: number;
  cpuStartS: number;
  cpuConvergeS: number;
  cpuSlotsS: number;
  idleCpuPctPerNode: number;
  rssMiBPerNode: number;
  /** Anything odd seen: stuck handshakes, nodes that never converged, errors. */
  notes: string[];
  dirs?: string[];
}

// ---------------------------------------------------------------- processes and ports

interface Proc {
  kind: Kind;
  port: number;
  dir: string;
  child: Deno.ChildProcess;
  alive: boolean;
}

/** Every process this run started: SIGKILLed on exit, whatever happens. */
const started = new Set<Proc>();
function spawn(kind: Kind, port: number, dir: string, nodeTimeoutMs: number): Proc {
  const cmd = serverArgv(kind, {
    ...benchDirectives(port, dir, true),
    "cluster-node-timeout": String(nodeTimeoutMs),
  });
  // exec: the shell becomes the server, so child.pid is the server's pid (SIGKILL, /proc).
  const child = new Deno.Command("sh", {
    args: ["-c", `exec ${cmd.map(shQuote).join(" ")} >${shQuote(`${dir}/log.txt`)} 2>&1`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const proc: Proc = { kind, port, dir, child, alive: true };
  child.status.then(() => proc.alive = false);
  started.add(proc);
  return proc;
}

function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

async function killProc(p: Proc): Promise<void> {
  try {
    p.child.kill("SIGKILL");
  } catch { /* already gone */ }
  await p.child.status;
  started.delete(p);
}

export async function killAll(): Promise<void> {
  await Promise.all([...started].map(killProc));
}

/** CPU seconds (user + system) the live processes have used. */
function totalCpu(procs: Proc[]): number {
  let ms = 0;
  for (const p of procs) if (p.alive) ms += cpuMs(p.child.pid) ?? 0;
  return ms / 1000;
}

// ---------------------------------------------------------------- a minimal RESP2 client

type Reply = string | number | null | Error | Reply[];

const dec = new TextDecoder();

/** Parse one RESP2 reply at `off`; null if incomplete. Bulk strings are decoded as UTF-8. */
function parseReply(b: Uint8Array, off: number): [Reply, number] | null {
  const eol = b.indexOf(13, off);
  if (eol < 0 || eol + 1 >= b.length) return null;
  const line = dec.decode(b.subarray(off + 1, eol));
  const next = eol + 2;
  switch (b[off]) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new Error(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: { // $
      const n = Number(line);
      if (n < 0) return [null, next];
      if (next + n + 2 > b.length) return null;
      return [dec.decode(b.subarray(next, next + n)), next + n + 2];
    }
    case 42: { // *
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Reply[] = [];
      let o = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(b, o);
        if (r === null) return null;
        out.push(r[0]);
        o = r[1];
      }
      return [out, o];
    }
    default:
      throw new Error(`bad RESP type byte ${b[off]}`);
  }
}

/** One connection, requests queued one at a time; reconnects after an error or a timeout. */
class Conn {
  private conn: Deno.TcpConn | null = null;
  private buf = new Uint8Array(0);
  private readonly chunk = new Uint8Array(64 * 1024);

  constructor(readonly port: number) {}

  /** Calls on one connection run strictly one after the other (the reply order is the link's). */
  private tail: Promise<unknown> = Promise.resolve();
  /** The slowest reply so far (ms from sending to the whole reply): event-loop stalls show here. */
  maxCallMs = 0;

  call(...args: string[]): Promise<Reply> {
    const p = this.tail.then(() => this.callTimed(args));
    this.tail = p.catch(() => {});
    return p;
  }

  private async callTimed(args: string[]): Promise<Reply> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t0 = performance.now();
    const inner = this.callInner(args);
    inner.catch(() => {}); // after a timeout its late failure is nobody's business
    try {
      const r = await Promise.race([
        inner,
        new Promise<never>((_, rej) =>
          timer = setTimeout(
            () => rej(new Error(`port ${this.port}: no reply in ${CALL_TIMEOUT_MS} ms`)),
            CALL_TIMEOUT_MS,
          )
        ),
      ]);
      this.maxCallMs = Math.max(this.maxCallMs, performance.now() - t0);
      return r;
    } catch (e) {
      this.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async callInner(args: string[]): Promise<Reply> {
    if (this.conn === null) {
      this.conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
      this.buf = new Uint8Array(0);
    }
    const conn = this.conn;
    const req = encodeRequest(args);
    for (let o = 0; o < req.length;) o += await conn.write(req.subarray(o));
    for (;;) {
      if (this.buf.length > 0) {
        const r = parseReply(this.buf, 0);
        if (r !== null) {
          this.buf = this.buf.slice(r[1]);
          return r[0];
        }
      }
      const n = await conn.read(this.chunk);
      if (n === null) throw new Error(`port ${this.port}: connection closed`);
      const next = new Uint8Array(this.buf.length + n);
      next.set(this.buf);
      next.set(this.chunk.subarray(0, n), this.buf.length);
      this.buf = next;
    }
  }

  close(): void {
    try {
      this.conn?.close();
    } catch { /* closed */ }
    this.conn = null;
  }
}

// ---------------------------------------------------------------- CLUSTER NODES parsing

interface NodeLine {
  id: string;
  flags: string[];
  slots: string[];
}

function parseNodes(text: string): NodeLine[] {
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const f = l.split(" ");
    return { id: f[0], flags: f[2].split(","), slots: f.slice(8) };
  });
}

/** redis-cli's consistency signature (redis-cli.c clusterManagerGetConfigSignature). */
function signature(lines: NodeLine[]): string {
  return lines.filter((l) => l.slots.some((s) => !s.startsWith("[")))
    .map((l) => `${l.id}:${[...l.slots].sort().join(",")}`).sort().join("|");
}

/** Even split of 0..16383 over `m` masters, as [first, last] ranges. */
export function splitSlots(m: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < m; i++) {
    const first = Math.floor((i * SLOTS) / m);
    const last = Math.floor(((i + 1) * SLOTS) / m) - 1;
    out.push([first, last]);
  }
  return out;
}

async function nodesOf(c: Conn): Promise<NodeLine[] | null> {
  try {
    const r = await c.call("CLUSTER", "NODES");
    return typeof r === "string" ? parseNodes(r) : null;
  } catch {
    return null;
  }
}

async function infoState(c: Conn): Promise<string | null> {
  try {
    const r = await c.call("CLUSTER", "INFO");
    if (typeof r !== "string") return null;
    const m = /cluster_state:(\w+)/.exec(r);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/**
 * Poll `check(i)` for each index in `indices` still pending, every pollMs, until all pass or the
 * timeout; returns per-index ms (from t0) when it first passed, null for those that never did.
 */
async function pollUntil(
  indices: number[],
  t0: number,
  pollMs: number,
  timeoutMs: number,
  check: (i: number) => Promise<boolean>,
): Promise<Map<number, number | null>> {
  const done = new Map<number, number | null>(indices.map((i) => [i, null]));
  let pending = [...indices];
  while (pending.length > 0 && performance.now() - t0 < timeoutMs) {
    const tick = performance.now();
    const ok = await Promise.all(pending.map((i) => check(i)));
    const at = performance.now() - t0;
    pending = pending.filter((i, k) => {
      if (ok[k]) done.set(i, Math.round(at));
      return !ok[k];
    });
    if (pending.length === 0) break;
    const left = pollMs - (performance.now() - tick);
    if (left > 0) await sleep(left);
  }
  return done;
}

function maxOrNull(m: Map<number, number | null>): number | null {
  let max = 0;
  for (const v of m.values()) {
    if (v === null) return null;
    max = Math.max(max, v);
  }
  return max;
}

function minOrNull(m: Map<number, number | null>): number | null {
  let min: number | null = null;
  for (const v of m.values()) if (v !== null && (min === null || v < min)) min = v;
  return min;
}

function logTail(p: Proc, lines = 15): string {
  try {
    return Deno.readTextFileSync(`${p.dir}/log.txt`).trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------- one kind, all phases

/** Fills `procs` as it spawns, so the caller can clean up whatever started if this throws. */
async function startAll(kind: Kind, opts: ConvergeOptions, procs: Proc[]): Promise<void> {
  for (let i = 0; i < opts.nodes; i++) {
    const dir = await Deno.makeTempDir({ prefix: `converge-${kind}-` });
    procs.push(spawn(kind, freePort(), dir, opts.nodeTimeoutMs));
  }
  // Wait for PING; a node that died (port grabbed meanwhile) is replaced once on a new port.
  await Promise.all(procs.map(async (p, i) => {
    for (let attempt = 0;; attempt++) {
      const c = new Conn(procs[i].port);
      const deadline = performance.now() + 60_000;
      try {
        while (performance.now() < deadline && procs[i].alive) {
          try {
            if (await c.call("PING") === "PONG") return;
          } catch { /* not up yet */ }
          await sleep(50);
        }
      } finally {
        c.close();
      }
      if (attempt >= 1 || procs[i].alive) {
        throw new Error(
          `${kind} node on port ${procs[i].port} did not start:\n${logTail(procs[i])}`,
        );
      }
      procs[i] = spawn(kind, freePort(), p.dir, opts.nodeTimeoutMs);
    }
  }));
}

export async function runKind(kind: Kind, opts: ConvergeOptions): Promise<KindResult> {
  const n = opts.nodes;
  const masters = Math.min(opts.masters, n);
  if (n < 3) throw new Error("--nodes must be at least 3");
  if (masters < 2) throw new Error("--masters must be at least 2 (one is killed)");
  const res: KindResult = {
    kind,
    nodes: n,
    nodeTimeoutMs: opts.nodeTimeoutMs,
    masters,
    startMs: null,
    convergeFirstMs: null,
    convergeMedianMs: null,
    convergeAllMs: null,
    peakHandshakeLines: 0,
    peakListed: 0,
    slotsAgreeMs: null,
    stateOkMs: null,
    failPfailFirstMs: null,
    failFirstMs: null,
    failAllMs: null,
    stateFailAllMs: null,
    maxReplyMs: 0,
    cpuStartS: 0,
    cpuConvergeS: 0,
    cpuSlotsS: 0,
    idleCpuPctPerNode: 0,
    rssMiBPerNode: 0,
    notes: [],
  };
  const procs: Proc[] = [];
  const conns: Conn[] = [];
  try {
    // 1. start
    const tStart = performance.now();
    await startAll(kind, opts, procs);
    res.startMs = Math.round(performance.now() - tStart);
    res.cpuStartS = totalCpu(procs);
    opts.log(`${kind}: ${n} nodes up in ${res.startMs} ms`);
    for (const p of procs) conns.push(new Conn(p.port));
    const all = procs.map((_, i) => i);
    const ids: string[] = await Promise.all(conns.map(async (c) => {
      const r = await c.call("CLUSTER", "MYID");
      if (typeof r !== "string") throw new Error(`CLUSTER MYID: ${String(r)}`);
      return r;
    }));

    // 2. converge
    let cpu0 = totalCpu(procs);
    const t1 = performance.now();
    const meets = await Promise.all(
      conns.slice(1).map((c) => c.call("CLUSTER", "MEET", "127.0.0.1", String(procs[0].port))),
    );
    for (const r of meets) if (r !== "OK") res.notes.push(`CLUSTER MEET replied ${String(r)}`);
    const lastView = new Map<number, NodeLine[] | null>();
    const handshakeLines = new Map<number, number>();
    const conv = await pollUntil(all, t1, opts.pollMs, opts.phaseTimeoutMs, async (i) => {
      const lines = await nodesOf(conns[i]);
      lastView.set(i, lines);
      if (lines !== null) {
        res.peakListed = Math.max(res.peakListed, lines.length);
        handshakeLines.set(i, lines.filter((l) => l.flags.includes("handshake")).length);
        let sum = 0;
        for (const v of handshakeLines.values()) sum += v;
        res.peakHandshakeLines = Math.max(res.peakHandshakeLines, sum);
      }
      return lines !== null && lines.length === n && lines.every((l) =>
        !l.flags.includes("handshake")
      ) &&
        ids.every((id) => lines.some((l) => l.id === id));
    });
    res.convergeFirstMs = minOrNull(conv);
    res.convergeAllMs = maxOrNull(conv);
    res.cpuConvergeS = totalCpu(procs) - cpu0;
    const convTimes = [...conv.values()].filter((v): v is number => v !== null).sort((a, b) =>
      a - b
    );
    res.convergeMedianMs = res.convergeAllMs === null
      ? null
      : convTimes[Math.floor(convTimes.length / 2)];
    opts.log(
      `${kind}: converged first ${res.convergeFirstMs} ms, median ${
        convTimes[Math.floor(convTimes.length / 2)]
      } ms, all ${res.convergeAllMs} ms`,
    );
    if (res.convergeAllMs === null) {
      for (const [i, t] of conv) {
        if (t !== null) continue;
        const lines = lastView.get(i);
        const hs = lines?.filter((l) => l.flags.includes("handshake")).length ?? "?";
        res.notes.push(
          `node ${i} (port ${procs[i].port}) not converged: lists ${
            lines?.length ?? "?"
          } nodes, ${hs} in handshake`,
        );
      }
      return res;
    }

    // 3. slots
    cpu0 = totalCpu(procs);
    const ranges = splitSlots(masters);
    const expected = ranges.map(([a, b], k) => `${ids[k]}:${a === b ? `${a}` : `${a}-${b}`}`).sort()
      .join("|");
    const t2 = performance.now();
    const adds = await Promise.all(
      ranges.map(([a, b], k) => conns[k].call("CLUSTER", "ADDSLOTSRANGE", String(a), String(b))),
    );
    for (const r of adds) {
      if (r !== "OK") res.notes.push(`CLUSTER ADDSLOTSRANGE replied ${String(r)}`);
    }
    const sigOk = new Set<number>();
    const stateOk = new Map<number, number>();
    const agreeAt = new Map<number, number>();
    await pollUntil(all, t2, opts.pollMs, opts.phaseTimeoutMs, async (i) => {
      const tasks: Promise<unknown>[] = [];
      if (!sigOk.has(i)) {
        tasks.push(
          nodesOf(conns[i]).then((l) => {
            if (l !== null && signature(l) === expected) sigOk.add(i);
          }),
        );
      }
      if (!stateOk.has(i)) {
        tasks.push(
          infoState(conns[i]).then((s) => {
            if (s === "ok") stateOk.set(i, Math.round(performance.now() - t2));
          }),
        );
      }
      await Promise.all(tasks);
      if (sigOk.has(i) && !agreeAt.has(i)) agreeAt.set(i, Math.round(performance.now() - t2));
      return sigOk.has(i) && stateOk.has(i);
    });
    res.slotsAgreeMs = sigOk.size === n ? Math.max(...agreeAt.values()) : null;
    res.stateOkMs = stateOk.size === n ? Math.max(...stateOk.values()) : null;
    res.cpuSlotsS = totalCpu(procs) - cpu0;
    opts.log(
      `${kind}: slots agreed in ${res.slotsAgreeMs} ms, cluster_state ok in ${res.stateOkMs} ms`,
    );
    if (res.slotsAgreeMs === null) {
      res.notes.push(`slot signature agreed on ${sigOk.size}/${n} nodes only`);
      return res;
    }

    // idle: the cluster just gossips (no polling): CPU and memory.
    const idleMs = 3000;
    const c0 = totalCpu(procs);
    await sleep(idleMs);
    res.idleCpuPctPerNode = Math.round(((totalCpu(procs) - c0) / (idleMs / 1000)) / n * 1000) / 10;
    res.rssMiBPerNode = Math.round(procs.reduce((s, p) => s + rssKiB(p.child.pid) / 1024, 0) / n);

    // 4. fail: kill the last slot-owning master (index masters-1, never the seed 0).
    const victim = masters - 1;
    const victimId = ids[victim];
    const others = all.filter((i) => i !== victim);
    const pfailAt = new Map<number, number>();
    const stateFail = new Map<number, number>();
    const t3 = performance.now();
    await killProc(procs[victim]);
    conns[victim].close();
    const failed = await pollUntil(others, t3, opts.pollMs, opts.phaseTimeoutMs, async (i) => {
      const [lines, state] = await Promise.all([
        nodesOf(conns[i]),
        stateFail.has(i) ? Promise.resolve(null) : infoState(conns[i]),
      ]);
      const at = Math.round(performance.now() - t3);
      if (state === "fail") stateFail.set(i, at);
      const flags = lines?.find((l) => l.id === victimId)?.flags ?? [];
      if (flags.includes("fail?") && !pfailAt.has(i)) pfailAt.set(i, at);
      return flags.includes("fail");
    });
    res.failFirstMs = minOrNull(failed);
    res.failAllMs = maxOrNull(failed);
    res.failPfailFirstMs = pfailAt.size > 0 ? Math.min(...pfailAt.values()) : null;
    // A node that saw FAIL before its own PFAIL never shows `fail?`; that is normal.
    if (stateFail.size < others.length && res.failAllMs !== null) {
      // cluster_state:fail can trail the FAIL flag by a cron tick; give it a moment.
      await pollUntil(
        others.filter((i) => !stateFail.has(i)),
        t3,
        opts.pollMs,
        res.failAllMs + 5000,
        async (i) => {
          const s = await infoState(conns[i]);
          if (s === "fail") stateFail.set(i, Math.round(performance.now() - t3));
          return s === "fail";
        },
      );
    }
    res.stateFailAllMs = stateFail.size === others.length ? Math.max(...stateFail.values()) : null;
    opts.log(
      `${kind}: victim fail? first ${res.failPfailFirstMs} ms, fail first ${res.failFirstMs} ms, all ${res.failAllMs} ms, cluster_state:fail all ${res.stateFailAllMs} ms`,
    );
    if (res.failAllMs === null) {
      const missing = [...failed].filter(([, t]) => t === null).map(([i]) => i);
      res.notes.push(
        `${missing.length} nodes never flagged the killed node fail: ${missing.join(",")}`,
      );
    }
    for (const p of procs) {
      if (p !== procs[victim] && !p.alive) {
        res.notes.push(`node on port ${p.port} died:\n${logTail(p)}`);
      }
    }
    return res;
  } catch (e) {
    res.notes.push(`run aborted: ${(e as Error).message}`);
    return res;
  } finally {
    for (const c of conns) {
      res.maxReplyMs = Math.max(res.maxReplyMs, Math.round(c.maxCallMs));
      c.close();
    }
    await Promise.all(procs.map(killProc));
    if (opts.keep) {
      res.dirs = procs.map((p) => p.dir);
    } else {
      await Promise.all(procs.map((p) => Deno.remove(p.dir, { recursive: true }).catch(() => {})));
    }
    for (const p of procs) releasePort(p.port);
  }
}

// ---------------------------------------------------------------- report

const ROWS: [keyof KindResult, string, "ms" | "s" | "%" | "MiB" | ""][] = [
  ["startMs", "start: all answer PING", "ms"],
  ["convergeFirstMs", "MEET -> first node sees all", "ms"],
  ["convergeMedianMs", "MEET -> median node sees all", "ms"],
  ["convergeAllMs", "MEET -> all see all, no handshake", "ms"],
  ["peakHandshakeLines", "  peak handshake lines (all nodes)", ""],
  ["peakListed", "  most lines on one node", ""],
  ["cpuStartS", "  CPU to start (all nodes)", "s"],
  ["cpuConvergeS", "  CPU during convergence (all)", "s"],
  ["slotsAgreeMs", "ADDSLOTSRANGE -> signature agreed", "ms"],
  ["stateOkMs", "ADDSLOTSRANGE -> all cluster_state:ok", "ms"],
  ["cpuSlotsS", "  CPU during slot phase (all)", "s"],
  ["failPfailFirstMs", "kill -9 -> first fail?", "ms"],
  ["failFirstMs", "kill -9 -> first fail", "ms"],
  ["failAllMs", "kill -9 -> all flag fail", "ms"],
  ["stateFailAllMs", "kill -9 -> all cluster_state:fail", "ms"],
  ["maxReplyMs", "slowest reply to the bench", "ms"],
  ["idleCpuPctPerNode", "idle CPU per node", "%"],
  ["rssMiBPerNode", "RSS per node", "MiB"],
];

function fmt(v: unknown, unit: string): string {
  if (v === null || v === undefined) return "timeout";
  if (typeof v !== "number") return String(v);
  return unit === "s" ? `${v.toFixed(2)} s` : `${v} ${unit}`.trimEnd();
}

/** Ours beside Redis, one row per figure, with the ratio (also `deno task bench --mode converge`). */
export function convergeTable(results: KindResult[]): string {
  const ours = results.find((r) => r.kind === "ours");
  const redis = results.find((r) => r.kind === "redis");
  const head = results[0];
  const out = [
    `cluster convergence: ${head.nodes} nodes, cluster-node-timeout ${head.nodeTimeoutMs} ms, ${head.masters} slot-owning masters`,
    "",
    `${"metric".padEnd(40)}${"ours".padStart(12)}${"redis 7.0".padStart(12)}${
      "ours/redis".padStart(12)
    }`,
  ];
  for (const [key, label, unit] of ROWS) {
    const a = ours?.[key] as number | null | undefined;
    const b = redis?.[key] as number | null | undefined;
    const ratio = typeof a === "number" && typeof b === "number" && b > 0
      ? `${(a / b).toFixed(2)}x`
      : "-";
    out.push(
      `${label.padEnd(40)}${(ours ? fmt(a, unit) : "-").padStart(12)}${
        (redis ? fmt(b, unit) : "-").padStart(12)
      }${ratio.padStart(12)}`,
    );
  }
  for (const r of results) for (const note of r.notes) out.push(`note (${r.kind}): ${note}`);
  return out.join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      nodes: { type: "string", default: "30" },
      "node-timeout": { type: "string", default: "5000" },
      kinds: { type: "string", default: "ours,redis" },
      masters: { type: "string" },
      "poll-ms": { type: "string", default: "100" },
      "timeout-ms": { type: "string", default: "120000" },
      json: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  });
  const nodes = Number(values.nodes);
  const opts: ConvergeOptions = {
    nodes,
    nodeTimeoutMs: Number(values["node-timeout"]),
    masters: values.masters !== undefined ? Number(values.masters) : nodes,
    pollMs: Number(values["poll-ms"]),
    phaseTimeoutMs: Number(values["timeout-ms"]),
    keep: values.keep!,
    log: values.quiet
      ? () => {}
      : (l) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${l}`),
  };
  const kinds = values.kinds!.split(",").map((k) => k.trim()) as Kind[];
  for (const k of kinds) if (k !== "ours" && k !== "redis") throw new Error(`unknown kind ${k}`);
  const onSignal = () => {
    killAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const results: KindResult[] = [];
  try {
    for (const k of kinds) results.push(await runKind(k, opts)); // one after the other
  } finally {
    await killAll();
  }
  console.log(values.json ? JSON.stringify(results, null, 2) : convergeTable(results));
  return results.every((r) => r.notes.length === 0 && r.failAllMs !== null) ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}
