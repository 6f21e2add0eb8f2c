/**
 * FAILOVER: a standalone master hands its role to one of its replicas without losing an
 * acknowledged write (Redis 7.0 replication.c failoverCommand, updateFailoverStatus,
 * abortFailover, clearFailoverState; https://redis.io/commands/failover/).
 *
 * 1. FAILOVER pauses writes (pauseClients(PAUSE_DURING_FAILOVER, CLIENT_PAUSE_WRITE)) and waits
 *    (`waiting-for-sync`) until the target replica, or any replica, has acknowledged the
 *    master's whole offset.
 * 2. Then (`failover-in-progress`) the master becomes a replica of the target and asks it
 *    `PSYNC <replid> <offset> FAILOVER`: the target, whose replid is the master's, becomes a
 *    master and answers +CONTINUE (replication/replication.ts `psync`).
 * 3. A +CONTINUE or +FULLRESYNC ends the failover and the pause: the writes held meanwhile now
 *    meet a replica. Any other answer aborts it: the node is a master again.
 *
 * With TIMEOUT, a replica that has not caught up in time aborts the failover, or with FORCE
 * fails over to the named target anyway. FAILOVER ABORT stops it in either state.
 *
 * `parseFailover` is a pure function of the arguments; `Failover` owns the state and acts on
 * the node through `FailoverHost`.
 */

import { lower, parseInt64, str } from "../protocol/bytes.ts";

/** INFO replication's master_failover_state (getFailoverStateString). */
export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

/** What a FAILOVER command asks for. */
export type FailoverRequest =
  | { kind: "abort" }
  | {
    kind: "start";
    /** 0: no TIMEOUT. */
    timeoutMs: number;
    /** TO host port; null: any replica that catches up first. */
    target: { host: string; port: number } | null;
    force: boolean;
  };

const NOT_INTEGER = "ERR value is not an integer or out of range";

/** failoverCommand's argument loop: the request, or the error Redis answers. */
export function parseFailover(argv: readonly Uint8Array[]): FailoverRequest | { error: string } {
  if (argv.length === 2 && lower(argv[1]) === "abort") return { kind: "abort" };
  let timeoutMs = 0;
  let target: { host: string; port: number } | null = null;
  let force = false;
  for (let j = 1; j < argv.length; j++) {
    const opt = lower(argv[j]);
    if (opt === "timeout" && j + 1 < argv.length && timeoutMs === 0) {
      const n = parseInt64(argv[j + 1]);
      if (n === null) return { error: NOT_INTEGER };
      if (n <= 0) return { error: "ERR FAILOVER timeout must be greater than 0" };
      timeoutMs = n;
      j++;
    } else if (opt === "to" && j + 2 < argv.length && target === null) {
      const port = parseInt64(argv[j + 2]);
      if (port === null) return { error: NOT_INTEGER };
      target = { host: str(argv[j + 1]), port };
      j += 2;
    } else if (opt === "force" && !force) {
      force = true;
    } else return { error: "ERR syntax error" };
  }
  return { kind: "start", timeoutMs, target, force };
}

/** A replica attached to this master, as FAILOVER sees it. */
export interface FailoverReplica {
  /** The address it announced (REPLCONF ip-address) or its connection's peer address. */
  readonly ip: string;
  /** REPLCONF listening-port. */
  readonly listeningPort: number;
  /** "online" once its initial sync is done. */
  readonly state: string;
  /** The offset it acknowledged (REPLCONF ACK). */
  readonly ackOffset: number;
}

/** What the failover does to its node. */
export interface FailoverHost {
  /** Cluster mode (FAILOVER is refused in a cluster). */
  clusterMode(): boolean;
  isReplica(): boolean;
  /** Our replicas (server.slaves), in the order they attached. */
  replicas(): readonly FailoverReplica[];
  /** master_repl_offset, with everything written so far counted. */
  masterOffset(): number;
  /** replicationSetMaster: become a replica of host:port (its PSYNC says FAILOVER). */
  becomeReplicaOf(host: string, port: number): void;
  /** replicationUnsetMaster: a master again. */
  becomeMaster(): void;
  /** Hold write commands until `resumeWrites` (PAUSE_DURING_FAILOVER). */
  pauseWrites(): void;
  resumeWrites(): void;
  log(msg: string): void;
  now(): number;
  /** Run `fn` once, after the current event-loop turn's work (Redis: beforeSleep). */
  soon(fn: () => void): void;
  /** Run `fn` after `ms` (the TIMEOUT); returns a cancel. */
  after(ms: number, fn: () => void): () => void;
}

export class Failover {
  state: FailoverState = "no-failover";
  /** When a TIMEOUT ends (ms), 0 without one (server.failover_end_time). */
  endMs = 0;
  private force = false;
  private target: { host: string; port: number } | null = null;
  private cancelTimer: (() => void) | null = null;
  private updateQueued = false;

  constructor(private readonly host: FailoverHost) {}

  /** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: null (+OK) or an error reply. */
  command(argv: readonly Uint8Array[]): string | null {
    const h = this.host;
    if (h.clusterMode()) {
      return "ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.";
    }
    const req = parseFailover(argv);
    if ("error" in req) return req.error;
    if (req.kind === "abort") {
      if (this.state === "no-failover") return "ERR No failover in progress.";
      this.abort("Failover manually aborted");
      return null;
    }
    if (this.state !== "no-failover") return "ERR FAILOVER already in progress.";
    if (h.isReplica()) return "ERR FAILOVER is not valid when server is a replica.";
    if (h.replicas().length === 0) return "ERR FAILOVER requires connected replicas.";
    if (req.force && (req.timeoutMs === 0 || req.target === null)) {
      return "ERR FAILOVER with force option requires both a timeout and target HOST and IP.";
    }
    if (req.target !== null) {
      const r = this.findReplica(req.target.host, req.target.port);
      if (r === undefined) return "ERR FAILOVER target HOST and PORT is not a replica.";
      if (r.state !== "online") return "ERR FAILOVER target replica is not online.";
      this.target = req.target;
      h.log(`FAILOVER requested to ${req.target.host}:${req.target.port}.`);
    } else h.log("FAILOVER requested to any replica.");
    if (req.timeoutMs !== 0) {
      this.endMs = h.now() + req.timeoutMs;
      this.cancelTimer = h.after(req.timeoutMs, () => this.update(true));
    }
    this.force = req.force;
    this.state = "waiting-for-sync";
    h.pauseWrites();
    // A replica that has already acknowledged everything is taken at once (beforeSleep).
    this.updateSoon();
    return null;
  }

  /**
   * A replica acknowledged an offset: look again once this turn's work is done (Redis checks in
   * beforeSleep, not where the ACK arrives: failing over disconnects clients).
   */
  updateSoon(): void {
    if (this.state !== "waiting-for-sync" || this.updateQueued) return;
    this.updateQueued = true;
    this.host.soon(() => {
      this.updateQueued = false;
      this.update();
    });
  }

  /**
   * updateFailoverStatus: the timeout, then a replica that has acknowledged the whole offset.
   * `timedOut`: called by the TIMEOUT's timer (the server's clock may lag behind it).
   */
  update(timedOut = false): void {
    if (this.state !== "waiting-for-sync") return;
    const h = this.host;
    if (this.endMs !== 0 && (timedOut || this.endMs <= h.now())) {
      if (this.force && this.target !== null) {
        h.log(
          `FAILOVER to ${this.target.host}:${this.target.port} time out exceeded, failing over.`,
        );
        this.failOverTo(this.target);
      } else this.abort("Replica never caught up before timeout");
      return;
    }
    const offset = h.masterOffset();
    let synced: { host: string; port: number } | null = null;
    if (this.target !== null) {
      const r = this.findReplica(this.target.host, this.target.port);
      if (r !== undefined && r.ackOffset === offset) synced = this.target;
    } else {
      const r = h.replicas().find((p) => p.ackOffset === offset);
      if (r !== undefined) synced = this.target = { host: r.ip, port: r.listeningPort };
    }
    if (synced === null) return;
    h.log(`Failover target ${synced.host}:${synced.port} is synced, failing over.`);
    this.failOverTo(synced);
  }

  private failOverTo(target: { host: string; port: number }): void {
    this.state = "failover-in-progress";
    this.stopTimer();
    this.host.becomeReplicaOf(target.host, target.port);
  }

  /** Does the PSYNC we send ask the target to take over? */
  get inProgress(): boolean {
    return this.state === "failover-in-progress";
  }

  /**
   * The target answered our PSYNC FAILOVER: +CONTINUE or +FULLRESYNC ends the failover (we are
   * its replica now); anything else, or no answer, aborts it (`why`).
   */
  psyncAnswered(accepted: boolean, why = "Failover target rejected psync request"): void {
    if (this.state !== "failover-in-progress") return;
    if (accepted) this.clear();
    else this.abort(why);
  }

  /** abortFailover: log, a master again if the switch began, writes resume. */
  abort(why: string): void {
    if (this.state === "no-failover") return;
    const h = this.host;
    const to = this.target === null ? "any replica" : `${this.target.host}:${this.target.port}`;
    h.log(`FAILOVER to ${to} aborted: ${why}`);
    if (this.state === "failover-in-progress") h.becomeMaster();
    this.clear();
  }

  /** The node stops: forget the failover (its timer, its pause) without acting on it. */
  stop(): void {
    if (this.state !== "no-failover") this.clear();
  }

  /** clearFailoverState. */
  private clear(): void {
    this.stopTimer();
    this.endMs = 0;
    this.force = false;
    this.target = null;
    this.state = "no-failover";
    this.host.resumeWrites();
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** findReplica: by announced or peer address (case-insensitive) and listening port. */
  private findReplica(host: string, port: number): FailoverReplica | undefined {
    const want = host.toLowerCase();
    return this.host.replicas().find((r) =>
      r.ip.toLowerCase() === want && r.listeningPort === port
    );
  }
}
