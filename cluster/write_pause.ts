/**
 * Write pause of a master during a manual failover (Redis 7.0's pauseClients(PAUSE_DURING_FAILOVER,
 * end, CLIENT_PAUSE_WRITE)): until `untilMs` (or `unpause()`), client commands that may write
 * (flags `write` or `may_replicate`, or an EXEC whose queue holds one) are held by the dispatcher
 * and dispatched again from the start when the pause ends, as Redis re-processes a postponed
 * client: a command held on a master that meanwhile became a replica is then redirected (MOVED).
 * Reads are served at once. The replication link from our master is never paused.
 *
 * Hot path: the dispatcher tests `untilMs !== 0` only. Waiters are bounded by the number of
 * clients (each client waits with at most one command).
 */

import type { CommandDef } from "../commands/types.ts";
import type { Client } from "../server/client.ts";

export class WritePause {
  /** When the pause ends (ms); 0 = not paused. */
  untilMs = 0;
  private waiters: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly now: () => number) {}

  /** Pause writes until `untilMs` (a later call replaces the end time). */
  pause(untilMs: number): void {
    const delayMs = untilMs - this.now();
    if (delayMs <= 0) {
      this.unpause();
      return;
    }
    this.untilMs = untilMs;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.unpause();
    }, delayMs);
  }

  /** End the pause and wake every held command. */
  unpause(): void {
    this.untilMs = 0;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  /** Resolves when the pause ends. */
  wait(): Promise<void> {
    if (this.untilMs === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.waiters.push(resolve);
    return promise;
  }

  /** Number of held commands (tests, INFO). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Would this command be held (is_may_replicate_command of processCommand)? */
  blocks(def: CommandDef, fullname: string, client: Client): boolean {
    if (client.isMaster) return false;
    if (mayReplicate(def)) return true;
    if (fullname === "exec" && client.multi !== null) {
      for (const q of client.multi) if (mayReplicate(q.def)) return true;
    }
    return false;
  }
}

function mayReplicate(def: CommandDef): boolean {
  return def.flags.includes("write") || def.flags.includes("may_replicate");
}
