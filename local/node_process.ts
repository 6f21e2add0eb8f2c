/**
 * One node of the local cluster as a child process (`deno run -A cli.ts --port ...`): spawn it,
 * wait until it accepts connections, stop it with SIGTERM (SIGKILL after a grace period), and
 * keep the last lines it wrote to stderr (start-up errors) for the message when it dies.
 */

import type { LocalNode } from "./options.ts";

const CLI_PATH = new URL("../cli.ts", import.meta.url).pathname;
/** stderr kept per node, in bytes (bounded). */
const STDERR_KEEP_BYTES = 8192;

export class NodeProcess {
  private readonly child: Deno.ChildProcess;
  private stderrTail = "";
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;
  exitCode: number | null = null;

  constructor(readonly node: LocalNode, args: readonly string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI_PATH, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.drainStderr();
    this.exited = this.child.status.then((s) => {
      this.exitCode = s.code;
      return s.code;
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  /** The tail of what the process wrote to stderr. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  private async drainStderr(): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of this.child.stderr) {
        this.stderrTail = (this.stderrTail + dec.decode(chunk, { stream: true }))
          .slice(-STDERR_KEEP_BYTES);
      }
    } catch {
      // the pipe closed with the process
    }
  }

  /** Wait until the node accepts TCP connections; false if it exited or the time ran out. */
  async waitListening(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: this.node.port });
        c.close();
        return true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return false;
  }

  /** SIGTERM (the node saves nodes.conf and exits), SIGKILL after `graceMs`. Returns the code. */
  async stop(graceMs = 10_000): Promise<number> {
    if (!this.running) return this.exitCode!;
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), graceMs);
    });
    const r = await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    if (r === "timeout") {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // already gone
      }
      return await this.exited;
    }
    return r;
  }
}

/** Whether a TCP port can be bound on 127.0.0.1 right now. */
export function portFree(port: number): boolean {
  try {
    const l = Deno.listen({ hostname: "127.0.0.1", port });
    l.close();
    return true;
  } catch {
    return false;
  }
}
