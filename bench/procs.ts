/**
 * Bench processes: one of our nodes (`deno run -A cli.ts`) or a real `redis-server`, started on a
 * free port with the same directives, waited for, and killed afterwards with their directory.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../tests/ports.ts";

const ROOT = new URL("..", import.meta.url).pathname;

export interface Proc {
  port: number;
  pid: number;
  child: Deno.ChildProcess;
  dir: string;
}

export { freePort };

/** Until `redis-cli -p port ping` says PONG (200 tries, 50 ms apart). */
export async function waitPing(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await new Deno.Command("redis-cli", {
      args: ["-p", String(port), "ping"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (new TextDecoder().decode(r.stdout).trim() === "PONG") return;
    await sleep(50);
  }
  throw new Error(`port ${port} did not answer PING`);
}

export type Kind = "ours" | "redis";

/** The directives every bench server starts with: no persistence, on `port`, in `dir`. */
export function benchDirectives(
  port: number,
  dir: string,
  cluster: boolean,
): Record<string, string> {
  return {
    port: String(port),
    bind: "127.0.0.1",
    dir,
    save: "",
    appendonly: "no",
    "cluster-enabled": cluster ? "yes" : "no",
  };
}

/**
 * The argv that starts a `kind` server with `directives` (redis.conf names and values); ours as
 * `deno run -A cli.ts`, with `v8Flags` (e.g. server/node_v8_flags.ts's) before `cli.ts`.
 */
export function serverArgv(
  kind: Kind,
  directives: Record<string, string>,
  v8Flags: readonly string[] = [],
): string[] {
  const args = Object.entries(directives).flatMap(([k, v]) => [`--${k}`, v]);
  return kind === "ours"
    ? [Deno.execPath(), "run", "-A", ...v8Flags, `${ROOT}cli.ts`, ...args]
    : ["redis-server", ...args];
}

export async function start(
  kind: Kind,
  cluster: boolean,
  addSlots = true,
  extra: Record<string, string> = {},
  v8Flags: readonly string[] = [],
): Promise<Proc> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: `bench-${kind}-` });
  const [cmd, ...args] = serverArgv(kind, {
    ...benchDirectives(port, dir, cluster),
    "enable-debug-command": "yes",
    ...extra,
    loglevel: "warning",
  }, v8Flags);
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "inherit" }).spawn();
  await waitPing(port);
  if (cluster && addSlots) {
    await new Deno.Command("redis-cli", {
      args: ["-p", String(port), "cluster", "addslotsrange", "0", "16383"],
      stdout: "null",
    }).output();
    for (let i = 0; i < 100; i++) {
      const r = await new Deno.Command("redis-cli", {
        args: ["-p", String(port), "cluster", "info"],
        stdout: "piped",
      })
        .output();
      if (new TextDecoder().decode(r.stdout).includes("cluster_state:ok")) break;
      await sleep(100);
    }
  }
  return { port, pid: child.pid, child, dir };
}

export async function stop(p: Proc): Promise<void> {
  try {
    p.child.kill("SIGKILL");
  } catch { /* gone */ }
  await p.child.status;
  await Deno.remove(p.dir, { recursive: true }).catch(() => {});
}

/** One redis-cli command against a port; its stdout, trimmed. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const r = await new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(r.stdout).trim();
}

/** SET key:{i} to a 16-byte value for i < n (the same keys on both servers). */
export async function loadKeys(port: number, n: number): Promise<void> {
  function* sets(): Generator<string[]> {
    for (let i = 0; i < n; i++) yield ["SET", `key:${i}`, "value-0123456789"];
  }
  await pipeCommands(port, sets());
}

const te = new TextEncoder();

/** One command as RESP (arguments are text; lengths in UTF-8 bytes). */
function encodeCommand(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${te.encode(a).length}\r\n${a}\r\n`;
  return s;
}

/**
 * Send `commands` through `redis-cli --pipe` in batches of about 1 MB (the same data to both
 * servers); throws unless every reply was a success.
 */
export async function pipeCommands(port: number, commands: Iterable<string[]>): Promise<void> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "--pipe"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  let s = "";
  for (const c of commands) {
    s += encodeCommand(c);
    if (s.length > 1 << 20) {
      await w.write(te.encode(s));
      s = "";
    }
  }
  if (s.length > 0) await w.write(te.encode(s));
  await w.close();
  const r = await child.output();
  const out = new TextDecoder().decode(r.stdout);
  if (r.code !== 0 || !/errors: 0,/.test(out)) {
    throw new Error(`redis-cli --pipe failed: ${out}${new TextDecoder().decode(r.stderr)}`);
  }
}
