/**
 * Client pauses (Redis 7.0 networking.c pauseClients / unpauseClients): CLIENT PAUSE WRITE|ALL
 * and a master's manual failover (pauseClients(PAUSE_DURING_FAILOVER, end, CLIENT_PAUSE_WRITE))
 * share this one mechanism, each a purpose with its own kind and end time. The pause in force
 * is the most restrictive live purpose's (ALL over WRITE), lasting as long as any purpose does.
 *
 * Until then the dispatcher holds the commands it would block (`blocks`: every command under
 * ALL; under WRITE those flagged `write` or `may_replicate`, or an EXEC whose queue holds one)
 * and dispatches them again from the start when the pause ends or gets less restrictive, as
 * Redis re-processes a postponed client: a command held on a master that meanwhile became a
 * replica is then redirected (MOVED). Replicas and our master's link are never paused.
 *
 * Hot path: the dispatcher tests `untilMs !== 0` only. Waiters are bounded by the number of
 * clients (each client waits with at most one command).
 */

import type { CommandDef } from "../commands/command_def.ts";
import type { Client } from "../server/client.ts";

/** CLIENT PAUSE's mode: WRITE (commands that may replicate) or ALL. */
export type PauseKind = "write" | "all";
/** Who paused: CLIENT PAUSE, or a manual failover (PAUSE_BY_CLIENT_COMMAND, _DURING_FAILOVER). */
export type PausePurpose = "client" | "failover";

interface PauseEvent {
  kind: PauseKind;
  untilMs: number;
}

interface HeldCommand {
  client: Client | null;
  wake: () => void;
}

export class WritePause {
  /** When the pause in force ends (ms); 0 = not paused. */
  untilMs = 0;
  /** The kind of the pause in force (meaningful while `untilMs !== 0`). */
  kind: PauseKind = "write";
  private readonly events = new Map<PausePurpose, PauseEvent>();
  private waiters: HeldCommand[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Told when a pause starts or ends (the server stops expiring keys meanwhile). */
  onChange: (() => void) | null = null;

  constructor(private readonly now: () => number) {}

  /**
   * Pause until `untilMs`. A failover's later call replaces its end time; CLIENT PAUSE keeps the
   * later end and the more restrictive kind of its calls, as pauseClients does.
   */
  pause(untilMs: number, purpose: PausePurpose = "failover", kind: PauseKind = "write"): void {
    const cur = this.events.get(purpose);
    if (cur === undefined || purpose === "failover") this.events.set(purpose, { kind, untilMs });
    else {
      if (kind === "all") cur.kind = "all";
      if (untilMs > cur.untilMs) cur.untilMs = untilMs;
    }
    this.update();
  }

  /** End one purpose's pause (CLIENT UNPAUSE: the client's; a failover's end: its own). */
  unpause(purpose: PausePurpose = "failover"): void {
    if (!this.events.delete(purpose)) return;
    this.update();
  }

  /** Is `purpose` pausing now (a failover's pause stops the replication PINGs, CLIENT's not)? */
  pausedBy(purpose: PausePurpose): boolean {
    const e = this.events.get(purpose);
    return e !== undefined && e.untilMs > this.now();
  }

  /**
   * updateClientPauseTypeAndEndTime: drop ended purposes, take the most restrictive live one;
   * held commands run again when the pause got less restrictive.
   */
  private update(): void {
    const now = this.now();
    const oldRank = this.untilMs === 0 ? 0 : this.kind === "all" ? 2 : 1;
    let rank = 0;
    let end = 0;
    for (const [p, e] of this.events) {
      if (e.untilMs <= now) {
        this.events.delete(p);
        continue;
      }
      const r = e.kind === "all" ? 2 : 1;
      if (r > rank || (r === rank && e.untilMs > end)) {
        rank = r;
        end = e.untilMs;
      }
    }
    this.untilMs = end;
    this.kind = rank === 2 ? "all" : "write";
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Re-examined when the kind in force ends (a WRITE purpose may outlast an ALL one).
    if (end !== 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.update();
      }, Math.min(end - now, 2147483647));
    }
    if (rank < oldRank) this.wakeAll();
    if ((oldRank === 0) !== (rank === 0)) this.onChange?.();
  }

  private wakeAll(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const h of w) h.wake();
  }

  /** Resolves when the pause ends or gets less restrictive (the command is then re-examined). */
  wait(client: Client | null = null): Promise<void> {
    if (this.untilMs === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.waiters.push({ client, wake: resolve });
    return promise;
  }

  /** Number of held commands (tests, INFO blocked_clients). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Is `client`'s command held? */
  holds(client: Client): boolean {
    return this.waiters.some((h) => h.client === client);
  }

  /**
   * CLIENT UNBLOCK of a held client: its command is examined again at once (and held again while
   * the pause lasts, as Redis 7.0 re-processes it). False when `client` is not held.
   */
  release(client: Client): boolean {
    const i = this.waiters.findIndex((h) => h.client === client);
    if (i === -1) return false;
    const [h] = this.waiters.splice(i, 1);
    h.wake();
    return true;
  }

  /** Would this command be held (processCommand's pause check)? */
  blocks(def: CommandDef, fullname: string, client: Client): boolean {
    if (client.isMaster || client.isReplica) return false;
    if (this.kind === "all") return true;
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
