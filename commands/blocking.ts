/**
 * What the blocking commands (BLPOP & co in lists.ts, BZPOPMIN & co in zsets.ts) share: the
 * timeout argument (Redis's getTimeoutFromObjectOrReply), the rule that a command inside
 * MULTI/EXEC never blocks, and `Waiter`, one blocked client registered with the keyspace
 * (db.blockOnKeys). A waiter settles its Promise exactly once: served by a push, timed out
 * (null array), answered with an error when its slot moved away (cluster redirect), or cancelled
 * without a reply when its client disconnects (db.cancelBlocked).
 */

import type { BlockedWaiter } from "../keyspace/db.ts";
import type { Client } from "../server/client.ts";
import { parseLongDouble } from "./long_double.ts";
import type { CommandContext } from "./types.ts";
import type { ClientsPort } from "../server/server_ports.ts";
import type { CommandHost } from "./command_host.ts";

const NOT_A_FLOAT = "ERR timeout is not a float or out of range";
const NEGATIVE = "ERR timeout is negative";
const TWO63 = 9223372036854775808;

/**
 * getTimeoutFromObjectOrReply(UNIT_SECONDS): the timeout in ms (0 = block forever), or the exact
 * error text. The argument is a long double as string2ld reads it (no spaces, hex floats, inf;
 * overflow or underflow of the 80-bit range is "not a float"); Redis multiplies by 1000 and casts
 * to long long, so inf and huge values wrap negative on x86 ("timeout is negative").
 */
export function parseTimeoutMs(b: Uint8Array): number | string {
  // Fast path: a plain decimal integer of seconds (the usual "0", "1", "30").
  const n = b.length;
  if (n > 0 && n <= 9) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === n) return v * 1000;
  }
  const ld = parseLongDouble(b);
  if (ld === null) return NOT_A_FLOAT;
  if (ld.kind === "inf") return NEGATIVE;
  const ms = Number(ld.m) * Math.pow(2, ld.e) * 1000;
  if (!(ms < TWO63)) return NEGATIVE;
  const t = Math.trunc(ms);
  if (ld.neg && t !== 0) return NEGATIVE;
  return t;
}

/** A command inside MULTI, or run by EXEC, answers at once instead of blocking. */
export function mayBlock(client: Client): boolean {
  return client.multi === null && !client.inExec;
}

/** setTimeout's largest delay; longer timeouts re-arm. */
const MAX_TIMER_MS = 2147483647;

/**
 * One blocked client (see db.blockOnKeys). A subclass says how a key serves it (`tryServe`);
 * this class owns the timer, the Promise the handler returns, and the cancel on disconnect. `S`
 * is the server as the blocked command's family sees it (commands/command_host.ts).
 */
export abstract class Waiter<S extends ClientsPort = CommandHost> implements BlockedWaiter {
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private resolve!: () => void;
  /** Settles once the client has been answered (or its wait dropped). */
  readonly promise: Promise<void>;
  /** The blocked client, for db.cancelBlocked. */
  readonly owner: Client;

  constructor(
    protected readonly ctx: CommandContext<S>,
    readonly keys: string[],
    timeoutMs: number,
  ) {
    this.promise = new Promise<void>((r) => this.resolve = r);
    this.owner = ctx.client;
    if (timeoutMs > 0) this.arm(timeoutMs);
  }

  /**
   * Serve the client from `key` (reply and mutate) and return true, or return false without a
   * reply when the key cannot serve it (missing, wrong type, empty).
   */
  protected abstract tryServe(key: string): boolean;

  /** Register with the keyspace; the Promise settles when the client has been answered. */
  block(): Promise<void> {
    this.ctx.db.blockOnKeys(this);
    return this.promise;
  }

  serve(key: string): boolean {
    if (this.done) return true;
    const { ctx } = this;
    if (!ctx.server.clients.has(ctx.client.id)) {
      // The client went away while blocked: forget it, serve the next one.
      this.finish();
      return true;
    }
    if (!this.tryServe(key)) return false;
    ctx.db.unblock(this);
    this.finish();
    return true;
  }

  /** Drop the wait without a reply (client gone). */
  cancel(): void {
    if (this.done) return;
    this.ctx.db.unblock(this);
    this.finish();
  }

  /** Answer with an error instead (the slot moved away: clusterRedirectBlockedClientIfNeeded). */
  abort(error: string): void {
    if (this.done) return;
    this.ctx.db.unblock(this);
    this.ctx.reply.error(error);
    this.finish();
  }

  /** Is the blocked command a read (XREAD), which READONLY lets a replica keep? */
  protected readonly isRead: boolean = false;

  get readOnly(): boolean {
    return this.isRead && this.owner.readonlyMode;
  }

  private arm(remainingMs: number): void {
    const step = Math.min(remainingMs, MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.done) return;
      if (remainingMs > step) {
        this.arm(remainingMs - step);
        return;
      }
      this.timeOut();
    }, step);
  }

  /** Answer as a timeout does (a null array) and drop the wait (also CLIENT UNBLOCK TIMEOUT). */
  timeOut(): void {
    if (this.done) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.ctx.db.unblock(this);
    this.ctx.reply.nilArray();
    this.finish();
  }

  private finish(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.resolve();
  }
}
