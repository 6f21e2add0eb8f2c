/**
 * Test harness: free ports (tests/ports.ts), an in-process node, a node as a spawned `cli.ts` process, a real
 * `redis-server`, a raw RESP client that shows replies exactly, and pipelining (many commands in
 * one write, their replies read in order).
 */

import { Config } from "../server/config.ts";
import { Server } from "../server/server.ts";
import { Logger } from "../server/log.ts";
import { decodeValue, type Plain, type RespValue, toPlain } from "../protocol/resp_value.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { concatBytes } from "../protocol/bytes.ts";
import { freePort } from "./ports.ts";

export { freePort, sleep };

const ROOT = new URL("..", import.meta.url).pathname;

export async function tempDir(prefix = "node"): Promise<string> {
  return await Deno.makeTempDir({ prefix: `rc-${prefix}-` });
}

export interface InProcessNode {
  server: Server;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** The command-line directives of a test node: `directives` on 127.0.0.1, `port`, `dir`. */
function nodeArgs(directives: Record<string, string>, port: number, dir: string): string[] {
  return Object.entries({
    bind: "127.0.0.1",
    // Tests drive nodes with DEBUG (DIGEST, RELOAD, SLEEP...), as the reference redis-server.
    "enable-debug-command": "yes",
    ...directives,
    port: String(port),
    dir,
  }).flatMap(([k, v]) => [`--${k}`, v]);
}

/** Start a node inside the test process. `directives` are redis.conf names and values. */
export async function startNode(
  directives: Record<string, string> = {},
  clocks: { commandClockMs?: () => number } = {},
): Promise<InProcessNode> {
  const dir = directives.dir ?? await tempDir();
  const port = directives.port ? Number(directives.port) : freePort();
  const config = new Config();
  config.load(null, nodeArgs(directives, port, dir));
  const logger = new Logger();
  logger.quiet = true;
  const server = new Server({ config, logger, ...clocks });
  try {
    await server.start();
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) throw new Error(`${e.message}\n${whoHolds(port)}`);
    throw e;
  }
  return {
    server,
    port,
    dir,
    stop: () => server.shutdown(),
  };
}

/**
 * `ss` lines for sockets on `port` and `port + 10000` (which process holds a port we reserved).
 * It cannot show a socket that is only bound (neither listening nor connected), nor one that was
 * gone before it ran: a child spawned by another worker holds a copy of this process's sockets
 * only until its execve (see tests/ports.ts).
 */
export function whoHolds(port: number): string {
  try {
    const out = new Deno.Command("ss", { args: ["-tanpe"], stdout: "piped", stderr: "null" })
      .outputSync();
    const text = new TextDecoder().decode(out.stdout);
    const mine = text.split("\n").filter((l) =>
      l.includes(`:${port} `) || l.includes(`:${port + 10000} `)
    );
    return `sockets on ${port}/${port + 10000} (pid ${Deno.pid}):\n${mine.join("\n")}`;
  } catch (e) {
    return `ss failed: ${(e as Error).message}`;
  }
}

export interface SpawnedProcess {
  port: number;
  dir: string;
  child: Deno.ChildProcess;
  /** SIGTERM and wait; returns the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Wait for the process to exit and its output to be read to the end; the exit code. */
  exited(): Promise<number>;
  /** Everything printed so far (complete once `exited`, `stop` or `kill` resolved). */
  output(): string;
}

/** Read `stream` into `into` (bounded); resolves once the stream has ended. */
function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        into.push(dec.decode(chunk));
        if (into.length > 2000) into.splice(0, 1000);
      }
    } catch { /* closed */ }
  })();
}

/** A started server process as a SpawnedProcess: its output (stdout and stderr) collected. */
function spawned(child: Deno.ChildProcess, port: number, dir: string): SpawnedProcess {
  const out: string[] = [];
  const drained = Promise.all([collect(child.stdout, out), collect(child.stderr, out)]);
  // The exit status can come before the last of the output has been read from the pipes.
  const exited = async () => {
    const { code } = await child.status;
    await drained;
    return code;
  };
  return {
    port,
    dir,
    child,
    exited,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      return await exited();
    },
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await exited();
    },
    output: () => out.join(""),
  };
}

async function waitForPing(
  port: number,
  timeoutMs: number,
  child?: Deno.ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child?.status.then(() => exited = true);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process for port ${port} exited before it answered PING`);
    try {
      const c = await RespClient.connect(port);
      const r = await c.call("PING");
      c.close();
      if (r === "PONG") return;
    } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error(`nothing answered PING on port ${port} within ${timeoutMs} ms`);
}

/** Start `deno run -A cli.ts` as a separate process (as a user does). */
export async function spawnNode(
  directives: Record<string, string> = {},
  opts: { configFile?: string; port?: number; dir?: string; waitReady?: boolean } = {},
): Promise<SpawnedProcess> {
  const port = opts.port ?? (directives.port ? Number(directives.port) : freePort());
  const dir = opts.dir ?? directives.dir ?? await tempDir();
  const args = ["run", "-A", `${ROOT}cli.ts`];
  if (opts.configFile) args.push(opts.configFile);
  args.push(...nodeArgs(directives, port, dir));
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const proc = spawned(child, port, dir);
  if (opts.waitReady !== false) {
    try {
      await waitForPing(port, 20000, child);
    } catch (e) {
      await proc.kill();
      throw new Error(`${(e as Error).message}\n${proc.output()}`);
    }
  }
  return proc;
}

/** Is a real redis-server installed? */
export function haveRedisServer(): boolean {
  try {
    new Deno.Command("redis-server", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return true;
  } catch {
    return false;
  }
}

/** Start a real redis-server (Debian's 7.0) with the given directives (and config file). */
export async function spawnRedis(
  directives: Record<string, string> = {},
  configFile?: string,
): Promise<SpawnedProcess> {
  const port = directives.port ? Number(directives.port) : freePort();
  const dir = directives.dir ?? await tempDir("redis");
  const args: string[] = configFile === undefined ? [] : [configFile];
  for (
    const [k, v] of Object.entries({
      bind: "127.0.0.1",
      save: "",
      appendonly: "no",
      ...directives,
      port: String(port),
      dir,
    })
  ) {
    args.push(`--${k}`, v);
  }
  const child = new Deno.Command("redis-server", { args, stdout: "piped", stderr: "piped" })
    .spawn();
  const proc = spawned(child, port, dir);
  try {
    await waitForPing(port, 10000, child);
  } catch (e) {
    // As spawnNode: a server that never answered is not left running (its port unlocked once
    // this test file ends).
    await proc.kill();
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  }
  return proc;
}

/** Run a program to completion; returns exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; stdin?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: opts.stdin !== undefined ? "piped" : "null",
    cwd: opts.cwd,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120000),
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const r = await child.output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

const enc = new TextEncoder();

/** Encode a request as a RESP multibulk. */
export function encodeCommand(args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return concatBytes(parts);
}

/**
 * Write the encoded commands `parts` in one write, then read `replies` replies (each within
 * `timeoutMs`): the node runs them back to back, however slow the machine is, which a test needs
 * when they must all land while something is in progress.
 */
export async function writeAllReadReplies(
  c: RespClient,
  parts: Uint8Array[],
  replies: number,
  timeoutMs = 10_000,
): Promise<RespValue[]> {
  await c.writeRaw(concatBytes(parts));
  const out: RespValue[] = [];
  for (let i = 0; i < replies; i++) {
    const v = await c.readValue(timeoutMs);
    if (v === null) throw new Error(`connection closed after ${i} replies`);
    out.push(v);
  }
  return out;
}

/** Send `cmds` in one write and read their replies, in order (see writeAllReadReplies). */
export function pipelined(
  c: RespClient,
  cmds: (string | Uint8Array)[][],
  timeoutMs = 10_000,
): Promise<RespValue[]> {
  return writeAllReadReplies(c, cmds.map((cmd) => encodeCommand(cmd)), cmds.length, timeoutMs);
}

/** A minimal RESP client for tests: exact replies, raw writes, one request at a time or piped. */
export class RespClient {
  private buf = new Uint8Array(0);
  private readBuf = new Uint8Array(64 * 1024);
  /** The read in flight, if any: a timed-out wait keeps it, so no bytes are ever lost. */
  private pending: Promise<number | null> | null = null;

  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number, hostname = "127.0.0.1"): Promise<RespClient> {
    const conn = await Deno.connect({ hostname, port });
    return new RespClient(conn);
  }

  /** Write raw bytes (or text) as they are. */
  async writeRaw(data: string | Uint8Array): Promise<void> {
    const b = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }

  /**
   * Wait up to `ms` for more bytes: appends them to the buffer and returns their count, null when
   * the peer closed, or -1 on timeout (the read stays in flight for the next call).
   */
  private async readMore(ms: number): Promise<number | null> {
    if (this.pending === null) {
      this.pending = this.conn.read(this.readBuf).then((n) => {
        if (n !== null) {
          const next = new Uint8Array(this.buf.length + n);
          next.set(this.buf);
          next.set(this.readBuf.subarray(0, n), this.buf.length);
          this.buf = next;
        }
        return n;
      }, () => null);
    }
    const p = this.pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      p,
      new Promise<number>((res) => timer = setTimeout(() => res(-1), Math.max(1, ms))),
    ]);
    clearTimeout(timer);
    if (r !== -1) this.pending = null;
    return r;
  }

  /** Read one complete reply; null when the server closed the connection. */
  async readValue(timeoutMs = 10000): Promise<RespValue | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = decodeValue(this.buf, 0);
      if (r !== null) {
        this.buf = this.buf.slice(r[1]);
        return r[0];
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a reply");
      const n = await this.readMore(left);
      if (n === -1) throw new Error("timed out waiting for a reply");
      if (n === null) return null;
    }
  }

  /** Send a command and return its reply in plain form (Error for error replies). */
  async call(...args: (string | Uint8Array)[]): Promise<Plain> {
    return toPlain(await this.callRaw(...args));
  }

  /** Send a command and return the typed reply. */
  async callRaw(...args: (string | Uint8Array)[]): Promise<RespValue> {
    await this.writeRaw(encodeCommand(args));
    const v = await this.readValue();
    if (v === null) throw new Error("connection closed");
    return v;
  }

  /** Read whatever bytes arrive until `quietMs` pass with nothing (for raw-protocol tests). */
  async readRawText(quietMs = 200): Promise<string> {
    for (;;) {
      const n = await this.readMore(quietMs);
      if (n === -1 || n === null) break;
    }
    const out = new TextDecoder().decode(this.buf);
    this.buf = new Uint8Array(0);
    return out;
  }

  /** True once the server has closed the connection (bytes that arrive meanwhile are kept). */
  async isClosed(timeoutMs = 1000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const n = await this.readMore(left);
      if (n === null) return true;
      if (n === -1) return false;
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/** Wait until `fn` returns true (polling), or throw after timeoutMs. */
export async function waitFor(
  what: string,
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}
