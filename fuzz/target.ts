/**
 * A node under fuzzing: `cli.ts` as a child process, as a user runs it, but with network
 * permission only for the fuzzer's own reserved ports on 127.0.0.1 (Deno's --allow-net), so
 * that addresses named by fuzzed MEETs and gossip never reach another process on the machine:
 * such a connect fails as an unreachable peer would. Peak memory is the kernel's high-water
 * mark of the process (VmHWM in /proc/<pid>/status); a crash is the process exiting while the
 * fuzzer did not stop it.
 */

import { BUS_PORT_OFFSET } from "../tests/ports.ts";
import { callOnce } from "./resp_conn.ts";

/** The checkout whose cli.ts is fuzzed by default: this one. */
export const DEFAULT_NODE_ROOT = new URL("..", import.meta.url).pathname;
const OUTPUT_KEEP_BYTES = 64 * 1024;

export interface TargetOptions {
  port: number;
  /** Client ports the node may connect to and listen on (their bus ports too). */
  allowedPorts: readonly number[];
  /** Extra redis.conf directives. */
  directives?: Record<string, string>;
  startTimeoutMs?: number;
  /** Directory holding the cli.ts to run (another checkout, e.g. a fixed commit). */
  nodeRoot?: string;
}

/** Kibibytes of a `Vm*:` line of /proc/<pid>/status, or 0 when unreadable (process gone). */
export function procStatusKb(statusText: string, field: string): number {
  const m = statusText.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m"));
  return m ? Number(m[1]) : 0;
}

export class Target {
  readonly port: number;
  readonly dir: string;
  private readonly child: Deno.ChildProcess;
  private output = "";
  private stopping = false;
  /** Exit code once the process exited, else null. */
  exitCode: number | null = null;
  private lastHwmKb = 0;

  private constructor(port: number, dir: string, child: Deno.ChildProcess) {
    this.port = port;
    this.dir = dir;
    this.child = child;
    for (const s of [child.stdout, child.stderr]) void this.collect(s);
    child.status.then((st) => this.exitCode = st.code);
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        this.output += dec.decode(chunk);
        if (this.output.length > 2 * OUTPUT_KEEP_BYTES) {
          this.output = this.output.slice(-OUTPUT_KEEP_BYTES);
        }
      }
    } catch { /* closed */ }
  }

  static async start(opts: TargetOptions): Promise<Target> {
    const dir = await Deno.makeTempDir({ prefix: "rc-fuzz-" });
    const net = opts.allowedPorts.flatMap((
      p,
    ) => [`127.0.0.1:${p}`, `127.0.0.1:${p + BUS_PORT_OFFSET}`]);
    const directives: Record<string, string> = {
      bind: "127.0.0.1",
      "cluster-enabled": "yes",
      save: "",
      appendonly: "no",
      loglevel: "warning",
      ...opts.directives,
      port: String(opts.port),
      dir,
    };
    const args = [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      `--allow-net=${net.join(",")}`,
      `${(opts.nodeRoot ?? DEFAULT_NODE_ROOT).replace(/\/?$/, "/")}cli.ts`,
    ];
    for (const [k, v] of Object.entries(directives)) args.push(`--${k}`, v);
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const t = new Target(opts.port, dir, child);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 30000);
    for (;;) {
      if (t.exitCode !== null) {
        throw new Error(`node on ${opts.port} exited at start:\n${t.tail()}`);
      }
      try {
        if (await callOnce(opts.port, 2000, "PING") === "PONG") return t;
      } catch { /* not up yet */ }
      if (Date.now() > deadline) {
        await t.stop();
        throw new Error(`node on ${opts.port} did not answer PING in time:\n${t.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get pid(): number {
    return this.child.pid;
  }

  /** True when the process exited without `stop()`: a crash. */
  get crashed(): boolean {
    return this.exitCode !== null && !this.stopping;
  }

  /** The process's peak resident set so far, in KiB (kept from the last read once it exited). */
  peakRssKb(): number {
    try {
      const kb = procStatusKb(Deno.readTextFileSync(`/proc/${this.pid}/status`), "VmHWM");
      if (kb > 0) this.lastHwmKb = kb;
    } catch { /* exited */ }
    return this.lastHwmKb;
  }

  /** The last output lines (stdout and stderr). */
  tail(maxBytes = 4000): string {
    return this.output.slice(-maxBytes);
  }

  async stop(): Promise<void> {
    this.peakRssKb();
    this.stopping = this.exitCode === null;
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.child.status;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
