/**
 * A node's replication state (Redis's server.repl_* / master_repl_offset / replid): the
 * replication ids and offset, the backlog, the replicas attached to us (master side), the link to
 * our master (replica side), command propagation (called from server/dispatch.ts `call`), WAIT,
 * and the once-a-second cron (PING to replicas, REPLCONF ACK to the master, timeouts).
 *
 * Propagation follows Redis 7.0: a write command that changed the keyspace (the Db's dirty
 * counter moved, not counting keys deleted by expiry) is propagated as executed or rewritten
 * (replication/propagate.ts); keys deleted by expiry go out as DEL; everything one top-level
 * command causes is flushed after it, wrapped in MULTI/EXEC when it is more than one command;
 * a `SELECT <db>` precedes a command whose database differs from the stream's (always the first
 * one after a full sync or a new AOF file; before a MULTI, in its first command's database, as
 * propagatePendingCommands). Costs nothing when `propagating` is
 * false (no backlog, or we are a replica: then the master's stream is proxied verbatim).
 *
 * For command handlers: `server.replication.propagate(argv)` adds a command to the stream (inside
 * a command it is flushed with it), `overridePropagation([argv...])` replaces what the running
 * command propagates, `noPropagate()` propagates nothing for it.
 * For the cluster: `replicaOf(host, port)` (idempotent) and `replicaOfNoOne()`.
 */

import type { ReplicationServerHost } from "./replication_host.ts";
import type { Client } from "../server/client.ts";
import type { CommandContext } from "../commands/types.ts";
import type { CommandDef } from "../commands/command_def.ts";
import { Backlog } from "./backlog.ts";
import { StreamBatch } from "./stream_batch.ts";
import { ReplicaPeer } from "./master.ts";
import { type OutputLimits, outputLimitsFor } from "../server/output_limits.ts";
import { type LinkOwner, MasterLink } from "./replica.ts";
import {
  type Arg,
  type Argv,
  encodeCommand,
  expiredKeyDel,
  rewriteForPropagation,
} from "./propagate.ts";
import { loadRdb, standardAux, writeRdbAll } from "../protocol/rdb_file.ts";
import { rdbOptions } from "../commands/dump.ts";
import { lower } from "../protocol/bytes.ts";
import { REDIS_VERSION } from "../server/version.ts";
import { every, type Ticker } from "../server/ticker.ts";
import { Failover } from "./failover.ts";

const ZERO_ID = "0".repeat(40);

function randomHex40(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** Commands propagated whenever they succeed, even when nothing changed (server.dirty++). */
const ALWAYS = new Set(["flushall", "flushdb"]);
/** Never propagated as themselves (their effects are). */
/** Propagation targets (Redis's PROPAGATE_AOF, PROPAGATE_REPL). */
const PROPAGATE_AOF = 1;
const PROPAGATE_REPL = 2;
const PROPAGATE_ALL = 3;

/** The command-less frame of `holdUnit` ("exec" propagates nothing itself). */
const UNIT_DEF = { flags: [] } as unknown as CommandDef;
/**
 * Never propagated themselves: what they run is (EXEC's commands; a script's or a function's
 * effects, Redis 7's script effects replication).
 */
const NEVER = new Set([
  "exec",
  "multi",
  "psync",
  "sync",
  "replconf",
  "replicaof",
  "slaveof",
  "wait",
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
]);

interface Frame {
  client: Client | null;
  dirty: number;
  expired: number;
  replyMark: number;
  errors: number;
  suppressed: boolean;
  override: Argv[] | null;
}

interface WaitWaiter {
  client: Client;
  offset: number;
  numReplicas: number;
  /** The number of replicas that acknowledged, or an error reply. */
  done: (acked: number | string) => void;
}

/** disconnectAllBlockedClients's reply (a master becomes a replica). */
const ROLE_CHANGED_UNBLOCK =
  "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

export class Replication {
  replid = randomHex40();
  replid2 = ZERO_ID;
  masterReplOffset = 0;
  secondReplOffset = -1;
  backlog: Backlog | null = null;
  readonly peers: ReplicaPeer[] = [];
  /** Replica side: our master's address, or null when we are a master. */
  masterHost: string | null = null;
  masterPort = 0;
  link: MasterLink | null = null;
  /** INFO stats sync_full / sync_partial_ok / sync_partial_err. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** True when commands must be propagated: a master with a backlog. */
  propagating = false;
  /** The db the stream last SELECTed (-1: emit SELECT before the next command). */
  private slaveSelDb = -1;
  private readonly frames: Frame[] = [];
  private depth = 0;
  private pending: Argv[] = [];
  /** The database of each pending command (-1: none needed). */
  private pendingDbs: number[] = [];
  /** The database of what a served blocked client propagates (outside any command frame). */
  private servingDb = 0;
  /** Replica side: the link's client (its database is the master stream's). */
  private masterClient: Client | null = null;
  /** Replica side: the master stream's database when no link is up (kept for a PSYNC). */
  private masterStreamDb = 0;
  /** Replica side: a new AOF file wants a SELECT before the next command appended. */
  private replicaAofSelect = false;
  /** The target of a pending command when it is not both (redis.set_repl), by index. */
  private pendingTargets = new Map<number, number>();
  private expiredCount = 0;
  /** Each client's stream offset after its last propagated write (Redis's c->woff). */
  private readonly woff = new WeakMap<Client, number>();
  private readonly waiters = new Set<WaitWaiter>();
  private getAckScheduled = false;
  private timer: Ticker | null = null;
  private cronLoops = 0;
  private limits: OutputLimits;
  private limitsSource = "";
  /**
   * This turn's stream, handed to the backlog and the replicas at the turn's end (the offset
   * moves at once). Flushed before anything reads or replaces the backlog or the replica list.
   */
  private readonly batch = new StreamBatch((bytes) => this.deliverStream(bytes));
  /** FAILOVER: handing this master's role to a replica (replication/failover.ts). */
  readonly failover: Failover;

  constructor(private readonly server: ReplicationServerHost) {
    this.limits = outputLimitsFor("", "replica");
    this.failover = new Failover({
      clusterMode: () => server.cluster !== null || server.config.getBool("cluster-enabled"),
      isReplica: () => this.isReplica,
      replicas: () => this.peers,
      masterOffset: () => {
        this.flushStream();
        return this.masterReplOffset;
      },
      becomeReplicaOf: (host, port) => this.replicaOf(host, port),
      becomeMaster: () => this.replicaOfNoOne(null),
      // pauseClients(PAUSE_DURING_FAILOVER, LLONG_MAX, CLIENT_PAUSE_WRITE)
      pauseWrites: () => server.clientPause.pause(Number.MAX_SAFE_INTEGER, "failover", "write"),
      resumeWrites: () => server.clientPause.unpause("failover"),
      log: (msg) => server.log.notice(msg),
      now: () => server.now(),
      soon: (fn) => setTimeout(fn, 0),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    });
    for (const db of server.dbs) {
      db.onExpire = (key) => {
        this.expiredCount++;
        if (this.propagating) this.propagate(expiredKeyDel(key), db.id);
      };
    }
  }

  // ------------------------------------------------------------ lifecycle

  /** Start the cron; apply the `replicaof` directive (standalone mode). */
  start(): void {
    if (this.timer === null) this.timer = every(1000, () => this.cron());
    const rof = this.server.config.getString("replicaof").trim();
    if (rof !== "" && this.server.cluster === null) {
      const [h, p] = rof.split(/\s+/);
      if (h !== undefined && Number(p) > 0) this.replicaOf(h, Number(p));
    }
  }

  stop(): void {
    this.flushStream();
    this.failover.stop();
    this.timer?.stop();
    this.timer = null;
    this.link?.stop();
    this.link = null;
    for (const w of [...this.waiters]) this.finishWait(w);
  }

  get isReplica(): boolean {
    return this.masterHost !== null;
  }

  /**
   * refreshGoodSlavesCount: online replicas whose last REPLCONF ACK is at most
   * `min-replicas-max-lag` seconds old (whole seconds, as server.unixtime - repl_ack_time).
   * Counted when asked instead of once a second: a replica that goes away counts at once, as
   * Redis's freeClient refresh does, and one that falls behind up to a second sooner.
   */
  goodReplicaCount(): number {
    const maxLag = this.server.config.getNumber("min-replicas-max-lag");
    const nowS = Math.floor(this.server.now() / 1000);
    let good = 0;
    for (const p of this.peers) {
      if (p.state === "online" && nowS - Math.floor(p.ackTimeMs / 1000) <= maxLag) good++;
    }
    return good;
  }

  /** Is min-replicas-to-write set (with a min-replicas-max-lag)? INFO shows the count then. */
  get minReplicasActive(): boolean {
    const cfg = this.server.config;
    // Read for every write command: the directives again only once the config has changed.
    if (cfg.generation !== this.minReplicasReadAt) {
      this.minReplicasReadAt = cfg.generation;
      this.minReplicasOn = cfg.getNumber("min-replicas-to-write") !== 0 &&
        cfg.getNumber("min-replicas-max-lag") !== 0;
    }
    return this.minReplicasOn;
  }
  private minReplicasReadAt = -1;
  private minReplicasOn = false;

  /** checkGoodReplicasStatus: may a write run here? (Always on a replica.) */
  enoughGoodReplicas(): boolean {
    return this.masterHost !== null || !this.minReplicasActive ||
      this.goodReplicaCount() >= this.server.config.getNumber("min-replicas-to-write");
  }

  /** Writes are propagated by a master with a backlog, and by any node writing an AOF. */
  updatePropagating(): void {
    this.propagating = (this.backlog !== null && this.masterHost === null) ||
      (this.server.aof.on && this.masterHost === null);
  }

  // ------------------------------------------------------------ propagation (hot path)

  /** Run a command handler and propagate what it did (server/dispatch.ts `call`). */
  callPropagating(
    ctx: CommandContext,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
  ): void | Promise<void> {
    this.beforeCall(ctx.client);
    let r: void | Promise<void> = undefined;
    try {
      r = def.handler!(ctx, argv);
    } finally {
      this.afterCall(ctx.client, def, fullname, argv, r);
    }
    return r;
  }

  /** Where the commands to propagate at the end of this execution unit stand (redis.set_repl). */
  pendingMark(): number {
    return this.pending.length;
  }

  /**
   * redis.set_repl: what was queued since `mark` goes only to `target` (bit 1 the AOF, bit 2 the
   * replicas; 0 nowhere, 3 both).
   */
  restrictPendingSince(mark: number, target: number): void {
    if (target === PROPAGATE_ALL) return;
    if (target === 0) {
      for (let i = mark; i < this.pending.length; i++) this.pendingTargets.delete(i);
      if (this.pending.length > mark) {
        this.pending.length = mark;
        this.pendingDbs.length = mark;
      }
      return;
    }
    for (let i = mark; i < this.pending.length; i++) this.pendingTargets.set(i, target);
  }

  /**
   * Keep the execution unit open while a script yields to the event loop: what it writes before
   * and after the yield leaves as one MULTI/EXEC when the returned function closes the unit.
   */
  holdUnit(client: Client): () => void {
    if (!this.propagating) return () => {};
    this.beforeCall(client);
    return () => this.afterCall(client, UNIT_DEF, "exec", [], undefined);
  }

  /** Before a command runs (only when `propagating`). */
  beforeCall(client: Client): void {
    let f = this.frames[this.depth];
    if (f === undefined) {
      f = {
        client: null,
        dirty: 0,
        expired: 0,
        replyMark: 0,
        errors: 0,
        suppressed: false,
        override: null,
      };
      this.frames[this.depth] = f;
    }
    f.client = client;
    f.dirty = this.server.db.stats.dirty;
    f.expired = this.expiredCount;
    f.replyMark = client.reply.len;
    f.errors = client.reply.errors;
    f.suppressed = false;
    f.override = null;
    this.depth++;
  }

  /** After a command ran (only when `beforeCall` ran). */
  afterCall(
    client: Client,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
    r: unknown,
  ): void {
    const f = this.frames[--this.depth];
    const changed = this.server.db.stats.dirty - f.dirty - (this.expiredCount - f.expired) > 0;
    // call()'s alsoPropagate(c->db->id, ...): the client's database once the command ran.
    const dbId = client.db.id;
    f.client = null;
    if (f.override !== null) {
      for (const a of f.override) this.queue(a, dbId);
    } else if (!f.suppressed && !NEVER.has(fullname) && def.flags.includes("write")) {
      const failed = client.reply.errors !== f.errors;
      if (changed || (ALWAYS.has(fullname) && !failed)) {
        if (r instanceof Promise) {
          // Asynchronous write (rare): what it changed synchronously is propagated as is.
          this.queue(argv, dbId);
        } else {
          const rw = rewriteForPropagation(
            client.db,
            fullname,
            argv,
            client.reply.buf,
            f.replyMark,
            client.reply.len,
          );
          if (rw !== null) {
            for (const a of rw) this.queue(a, dbId);
          } else if (this.depth === 0 && this.pending.length === 0 && this.propagating) {
            // A plain write at top level (the hot path): straight to the stream.
            this.feedCommand(argv, true, dbId);
          } else {
            this.queue(argv, dbId);
          }
        }
      }
    }
    if (r instanceof Promise && def.flags.includes("blocking")) {
      this.watchBlocked(client, fullname, argv);
    }
    if (this.depth === 0) {
      if (this.pending.length !== 0) this.flushPending();
      // Redis 7.0's call() sets c->woff after every command, reads included (7.2 only after one
      // that propagated): WAIT after a read counts the stream up to the read.
      this.woff.set(client, this.masterReplOffset);
    }
  }

  /** A blocked pop served later propagates its non-blocking form (wraps the waiter's serve). */
  private watchBlocked(client: Client, fullname: string, argv: Uint8Array[]): void {
    let waiter: { serve(key: string): boolean } | undefined;
    const db = client.db;
    for (const w of db.blockedWaiters) if (w.owner === client) waiter = w;
    if (waiter === undefined) return;
    const w = waiter;
    const serve = w.serve.bind(w);
    w.serve = (key: string): boolean => {
      const d0 = db.stats.dirty;
      const mark = client.reply.len;
      const servingBefore = this.servingDb;
      this.servingDb = db.id;
      let done: boolean;
      try {
        done = serve(key);
      } finally {
        this.servingDb = servingBefore;
      }
      if (done && db.stats.dirty !== d0 && this.propagating) {
        const rw = rewriteForPropagation(
          db,
          fullname,
          argv,
          client.reply.buf.subarray(mark, client.reply.len),
        );
        for (const a of rw ?? [argv]) this.propagate(a, db.id);
        if (this.depth === 0) this.woff.set(client, this.masterReplOffset);
      }
      return done;
    };
  }

  /**
   * Propagate a command (from a handler, an expiry, a served blocked client), in database `dbId`
   * (by default the running command's client's, or the served blocked client's).
   */
  propagate(argv: Argv, dbId = this.currentDb()): void {
    if (!this.propagating) return;
    if (this.depth > 0) this.queue(argv, dbId);
    else this.feedCommand(argv, true, dbId);
  }

  /** The database of the command running now (0 outside any). */
  private currentDb(): number {
    const c = this.depth > 0 ? this.frames[this.depth - 1].client : null;
    return c !== null ? c.db.id : this.servingDb;
  }

  private queue(argv: Argv, dbId: number): void {
    this.pending.push(argv);
    this.pendingDbs.push(dbId);
  }

  /**
   * A new AOF file starts (a rewrite, appendonly turned on): its first command needs a SELECT.
   * A master selects again in the stream it feeds everyone; a replica, whose stream is its
   * master's, adds one to its AOF only.
   */
  aofNeedsSelect(): void {
    if (this.masterHost === null) this.slaveSelDb = -1;
    else this.replicaAofSelect = true;
  }

  /**
   * forceCommandPropagation(c, PROPAGATE_REPL): the running command goes to the replicas only,
   * never to the AOF (PUBLISH and SPUBLISH without a cluster).
   */
  propagateToReplicas(argv: Argv): void {
    if (!this.propagating) return;
    const dbId = this.currentDb();
    if (this.depth > 0) {
      this.pendingTargets.set(this.pending.length, PROPAGATE_REPL);
      this.queue(argv, dbId);
    } else this.feedTo(argv, PROPAGATE_REPL, dbId);
  }

  /**
   * DEBUG REPLICATE (replicationFeedSlaves as is): `argv` to the replicas and the backlog only,
   * in whatever database the stream is in (no SELECT), never the AOF; nothing on a replica.
   */
  replicateVerbatim(argv: readonly Arg[]): void {
    if (this.masterHost !== null) return;
    this.feedCommand(argv, false);
  }

  /** Replace what the running command propagates (handlers call this; [] = nothing). */
  overridePropagation(cmds: Argv[]): void {
    if (this.depth > 0) this.frames[this.depth - 1].override = cmds;
  }

  /** The running command propagates nothing. */
  noPropagate(): void {
    if (this.depth > 0) this.frames[this.depth - 1].suppressed = true;
  }

  private flushPending(): void {
    const ops = this.pending;
    const dbs = this.pendingDbs;
    const targets = this.pendingTargets;
    // One command for everywhere (a plain write): no MULTI, and the queues are emptied in place.
    if (ops.length === 1 && targets.size === 0) {
      const argv = ops[0];
      const dbId = dbs[0];
      ops.length = 0;
      dbs.length = 0;
      if (this.propagating) this.feedCommand(argv, true, dbId);
      return;
    }
    this.pending = [];
    this.pendingDbs = [];
    this.pendingTargets = new Map();
    if (!this.propagating) return;
    if (ops.length === 1) {
      this.feedTo(ops[0], targets.get(0) ?? PROPAGATE_ALL, dbs[0]);
      return;
    }
    // MULTI and EXEC go everywhere, whatever the commands' targets. MULTI is in the first
    // command's database, so a SELECT it needs comes before it (propagatePendingCommands'
    // multi_dbid; redis-server 7.0.15 writes `SELECT 3 MULTI ... EXEC` for a script run in db 3).
    this.feedCommand(["MULTI"], true, dbs[0]);
    for (let i = 0; i < ops.length; i++) {
      this.feedTo(ops[i], targets.get(i) ?? PROPAGATE_ALL, dbs[i]);
    }
    this.feedCommand(["EXEC"], true, -1);
  }

  /** One command to the AOF and the replicas, or to one of them. */
  private feedTo(argv: readonly Arg[], target: number, dbId: number): void {
    if (target === PROPAGATE_ALL) {
      this.feedCommand(argv, true, dbId);
      return;
    }
    // The stream's SELECT goes to both, so the AOF and the replicas stay in the same database.
    this.selectIfNeeded(dbId);
    if (target === PROPAGATE_AOF) this.server.aof.append(encodeCommand(argv));
    else this.feedCommand(argv, false);
  }

  private selectIfNeeded(dbId: number): void {
    if (dbId !== -1 && this.slaveSelDb !== dbId) {
      this.feedArgv(["SELECT", String(dbId)], true);
      this.slaveSelDb = dbId;
    }
  }

  /**
   * Append one command to the stream, in database `dbId` (a SELECT first when the stream is in
   * another; -1: whichever). Link control (PING, REPLCONF GETACK: `selectDb` false) goes to
   * replicas only, not to the AOF.
   */
  feedCommand(argv: readonly Arg[], selectDb = true, dbId = 0): void {
    if (selectDb) this.selectIfNeeded(dbId);
    this.feedArgv(argv, selectDb);
  }

  /** One command to the AOF (when `toAof`), then the stream (the offset moves now). */
  private feedArgv(argv: readonly Arg[], toAof: boolean): void {
    if (toAof && this.server.aof.on) this.server.aof.append(encodeCommand(argv));
    if (this.backlog === null) return;
    this.masterReplOffset += this.batch.appendCommand(argv);
  }

  /**
   * Raw stream bytes: the AOF, then the stream (the offset moves now). The bytes are only read
   * here, so they may be a reused buffer.
   */
  feedStream(bytes: Uint8Array, toAof = true): void {
    if (toAof && this.server.aof.on) this.server.aof.append(bytes.slice());
    if (this.backlog === null) return;
    this.masterReplOffset += bytes.length;
    this.batch.appendBytes(bytes);
  }

  /**
   * Hand this turn's stream to the backlog and the replicas now (before the backlog or the
   * replica list is read or replaced).
   */
  flushStream(): void {
    this.batch.flush();
  }

  /** The batch's bytes to the backlog, then every replica (each copies them). */
  private deliverStream(bytes: Uint8Array): void {
    this.backlog?.append(bytes);
    const peers = this.peers;
    if (peers.length === 0) return;
    const limits = this.limits;
    const now = this.server.now();
    // Backwards: a peer over its limits removes itself from the array.
    for (let i = peers.length - 1; i >= 0; i--) peers[i].enqueue(bytes, true, limits, now);
  }

  private outputLimits(): OutputLimits {
    const src = this.server.config.getString("client-output-buffer-limit");
    if (src !== this.limitsSource) {
      this.limitsSource = src;
      this.limits = outputLimitsFor(src, "replica");
    }
    return this.limits;
  }

  // ------------------------------------------------------------ master side

  private createBacklog(): void {
    this.flushStream();
    this.backlog = new Backlog(
      this.server.config.getNumber("repl-backlog-size"),
      this.masterReplOffset,
    );
    this.updatePropagating();
  }

  /**
   * PSYNC replid offset (or SYNC when `legacy`): attach the client as a replica, answering
   * +FULLRESYNC with a snapshot or +CONTINUE from the backlog. Returns an error text or null.
   */
  psync(
    client: Client,
    replid: string,
    psyncOffset: string,
    legacy: boolean,
    failover = false,
  ): string | null {
    const s = this.server;
    if (client.isReplica) return null;
    // PSYNC <replid> <offset> FAILOVER: our master hands its role to us (replication/failover.ts).
    if (failover) {
      s.log.warning(`Failover request received for replid ${replid}.`);
      if (this.masterHost === null) return "ERR PSYNC FAILOVER can't be sent to a master.";
      if (replid.toLowerCase() !== this.replid) {
        return "ERR PSYNC FAILOVER replid must match my replid.";
      }
      this.replicaOfNoOne(
        `MASTER MODE enabled (failover request from 'id=${client.id} addr=${client.addr}')`,
      );
    }
    if (this.failover.state !== "no-failover") {
      return "NOMASTERLINK Can't SYNC while failing over";
    }
    if (this.masterHost !== null && this.link?.state !== "connected") {
      return "NOMASTERLINK Can't SYNC while not connected with my master";
    }
    if (client.reply.len > 0) return "ERR SYNC and PSYNC are invalid with pending output";
    const conn = client.conn;
    if (conn === null) return "ERR replication needs a network connection";
    // The backlog and the replicas get every byte before the offset the new replica starts at.
    this.flushStream();
    const info = replconfInfo.get(client) ?? { port: 0, ip: "", psync2: false };
    const host = info.ip !== ""
      ? info.ip
      : client.addr.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    const peer = new ReplicaPeer(
      client,
      conn,
      info.port,
      host,
      s.now(),
      (p, reason) => this.dropPeer(p, reason),
    );
    client.isReplica = true;
    const limits = this.outputLimits();
    const enc = new TextEncoder();

    // Partial resynchronization (masterTryPartialResynchronization).
    const off = Number(psyncOffset);
    if (
      !legacy && this.backlog !== null && Number.isInteger(off) &&
      (replid === this.replid || (replid === this.replid2 && off <= this.secondReplOffset)) &&
      this.backlog.covers(off)
    ) {
      this.peers.push(peer);
      this.syncPartialOk++;
      peer.state = "online";
      peer.ackTimeMs = s.now();
      const head = info.psync2 ? `+CONTINUE ${this.replid}\r\n` : "+CONTINUE\r\n";
      peer.enqueue(enc.encode(head), false, limits, s.now());
      peer.enqueue(this.backlog.from(off), false, limits, s.now());
      s.log.notice(
        `Partial resynchronization request from ${host}:${info.port} accepted. Sending ${
          this.backlog.firstByteOffset + this.backlog.histlen - off
        } bytes of backlog starting from offset ${off}.`,
      );
      return null;
    }

    // Full resynchronization: the snapshot is written at once, so it matches the offset.
    this.syncFull++;
    if (!legacy && replid !== "?") this.syncPartialErr++;
    if (this.backlog === null) {
      this.replid = randomHex40();
      this.replid2 = ZERO_ID;
      this.secondReplOffset = -1;
      this.createBacklog();
    }
    this.peers.push(peer);
    const rdb = writeRdbAll(
      s.dbs,
      standardAux({
        redisVer: REDIS_VERSION,
        ctimeSec: Math.floor(s.now() / 1000),
        repl: { streamDb: 0, replId: this.replid, offset: this.masterReplOffset },
      }),
      rdbOptions(s.config),
      s.scripts.functionCodes(),
    );
    if (!legacy) {
      peer.enqueue(
        enc.encode(`+FULLRESYNC ${this.replid} ${this.masterReplOffset}\r\n`),
        false,
        limits,
        s.now(),
      );
    }
    peer.state = "send_bulk";
    peer.enqueue(enc.encode(`$${rdb.length}\r\n`), false, limits, s.now());
    peer.enqueue(rdb, false, limits, s.now(), true);
    this.slaveSelDb = -1;
    s.log.notice(
      `Full resync requested by replica ${host}:${info.port}; sent ${rdb.length} bytes of RDB`,
    );
    return null;
  }

  private dropPeer(p: ReplicaPeer, reason: string): void {
    const i = this.peers.indexOf(p);
    if (i === -1) return;
    this.peers.splice(i, 1);
    this.server.log.notice(`Connection with replica ${p.ip}:${p.listeningPort} lost (${reason}).`);
  }

  /** A replica client went away (server.removeClient). */
  clientGone(c: Client): void {
    for (const p of this.peers) if (p.client === c) p.close("connection closed");
  }

  /** REPLCONF from a replica (or the master, for GETACK). Returns a reply: "ok", "none" or an error. */
  replconf(client: Client, args: string[]): "ok" | "none" | string {
    if (args.length % 2 !== 0) return "ERR syntax error";
    for (let i = 0; i < args.length; i += 2) {
      const opt = args[i].toLowerCase();
      const val = args[i + 1];
      const info = replconfInfo.get(client) ?? { port: 0, ip: "", psync2: false };
      replconfInfo.set(client, info);
      if (opt === "listening-port") {
        const n = Number(val);
        if (!Number.isInteger(n)) return "ERR value is not an integer or out of range";
        info.port = n;
      } else if (opt === "ip-address") {
        info.ip = val;
      } else if (opt === "capa") {
        if (val.toLowerCase() === "psync2") info.psync2 = true;
      } else if (opt === "ack") {
        const peer = this.peers.find((p) => p.client === client);
        const n = Number(val);
        if (peer !== undefined && Number.isInteger(n)) {
          if (n > peer.ackOffset) peer.ackOffset = n;
          peer.ackTimeMs = this.server.now();
          this.checkWaiters();
          this.failover.updateSoon();
        }
        return "none";
      } else if (opt === "getack") {
        if (client.isMaster) this.link?.sendAck();
        return "none";
      } else if (opt === "rdb-only" || opt === "rdb-filter-only") {
        // Accepted and ignored.
      } else {
        return `ERR Unrecognized REPLCONF option: ${args[i]}`;
      }
    }
    return "ok";
  }

  // ------------------------------------------------------------ WAIT

  /** How many replicas acknowledged `offset`. */
  countAcks(offset: number): number {
    let n = 0;
    for (const p of this.peers) if (p.state === "online" && p.ackOffset >= offset) n++;
    return n;
  }

  /** WAIT: resolves with the number of replicas that acknowledged the client's writes. */
  wait(
    client: Client,
    numReplicas: number,
    timeoutMs: number,
    inTransaction: boolean,
  ): number | Promise<number | string> {
    const offset = this.woff.get(client) ?? 0;
    const acked = this.countAcks(offset);
    if (acked >= numReplicas || inTransaction) return acked;
    return new Promise<number | string>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const w: WaitWaiter = {
        client,
        offset,
        numReplicas,
        done: (n) => {
          if (timer !== undefined) clearTimeout(timer);
          resolve(n);
        },
      };
      this.waiters.add(w);
      if (timeoutMs > 0) timer = setTimeout(() => this.finishWait(w), timeoutMs);
      this.requestAcks();
    });
  }

  /** Clients blocked in WAIT. */
  get waitingClients(): number {
    return this.waiters.size;
  }

  /** Is `client` blocked in WAIT? */
  waits(client: Client): boolean {
    return this.waiterOf(client) !== undefined;
  }

  /** CLIENT UNBLOCK of a client in WAIT: answered now with the replicas acked so far. */
  unblockWait(client: Client): boolean {
    const w = this.waiterOf(client);
    if (w === undefined) return false;
    this.finishWait(w);
    return true;
  }

  private waiterOf(client: Client): WaitWaiter | undefined {
    for (const w of this.waiters) if (w.client === client) return w;
    return undefined;
  }

  private finishWait(w: WaitWaiter): void {
    if (!this.waiters.delete(w)) return;
    w.done(this.countAcks(w.offset));
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      if (this.countAcks(w.offset) >= w.numReplicas) this.finishWait(w);
    }
  }

  /** REPLCONF GETACK * to every replica, once per event-loop turn (Redis does it in beforeSleep). */
  private requestAcks(): void {
    if (this.getAckScheduled) return;
    this.getAckScheduled = true;
    queueMicrotask(() => {
      this.getAckScheduled = false;
      if (this.propagating && this.peers.length > 0) {
        this.feedCommand(["REPLCONF", "GETACK", "*"], false);
      }
    });
  }

  // ------------------------------------------------------------ replica side

  /** Become a replica of host:port (REPLICAOF, or the cluster's "replicate" effect). */
  replicaOf(host: string, port: number): "ok" | "already" {
    if (this.masterHost === host && this.masterPort === port) return "already";
    const wasMaster = this.masterHost === null;
    this.link?.stop();
    this.masterHost = host;
    this.masterPort = port;
    // serverLogRaw's role character: 'S' while there is a master host, 'M' otherwise.
    this.server.log.role = "S";
    this.updatePropagating();
    this.server.setExpireOnAccess(false);
    // Our own history becomes the cached master, so the new master may continue it.
    if (wasMaster && this.backlog === null) this.createBacklogAsReplica();
    this.disconnectPeers();
    this.disconnectBlockedClients();
    const link = new MasterLink(this.linkOwner(), host, port);
    this.link = link;
    if (!this.linkHeld) link.run();
    return "ok";
  }

  /**
   * disconnectAllBlockedClients (replicationSetMaster): a client blocked on keys or in WAIT gets
   * -UNBLOCKED and is closed after it, since blocking is no longer safe on a replica. Clients a
   * pause holds are not blocked this way: their command is examined again when it ends.
   */
  private disconnectBlockedClients(): void {
    for (const db of this.server.dbs) {
      for (const w of [...db.blockedWaiters]) {
        if (w.abort === undefined) continue;
        const owner = w.owner as Client | undefined;
        if (owner !== undefined) owner.closeAfterReply = true;
        w.abort(ROLE_CHANGED_UNBLOCK);
      }
    }
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.client.closeAfterReply = true;
      w.done(ROLE_CHANGED_UNBLOCK);
    }
  }

  private linkHeld = false;

  /**
   * While the dataset loads at start the link to our master waits (Redis connects from
   * replicationCron, which does not run during a load): the PSYNC must carry the id and offset
   * the file restores.
   */
  set holdLink(hold: boolean) {
    const was = this.linkHeld;
    this.linkHeld = hold;
    if (was && !hold) this.link?.run();
  }

  /** The id and offset an RDB file records (rdbPopulateSaveInfo), or null outside replication. */
  saveInfo(): { replId: string; offset: number; streamDb: number } | null {
    if (this.backlog === null) return null;
    // rdbPopulateSaveInfo's repl_stream_db: the database the stream is in.
    const streamDb = this.masterHost === null
      ? Math.max(0, this.slaveSelDb)
      : (this.masterClient?.db.id ?? this.masterStreamDb);
    return { replId: this.replid, offset: this.masterReplOffset, streamDb };
  }

  /**
   * After loading a file that recorded replication info (Redis's loadDataFromDisk): take its id
   * and offset. A replica then offers them in PSYNC and may continue where it stopped; a master
   * keeps them as its second id too, so replicas that followed it can continue.
   */
  restoreFromFile(replId: string, offset: number, streamDb = 0): void {
    this.flushStream();
    this.masterStreamDb = streamDb;
    this.replid = replId;
    this.masterReplOffset = offset;
    if (this.masterHost === null) {
      this.replid2 = replId;
      this.secondReplOffset = offset + 1;
      this.createBacklog();
    } else this.createBacklogAsReplica();
  }

  /** DEBUG CHANGE-REPL-ID: changeReplicationId() then clearReplicationId2(). */
  changeReplicationIds(): void {
    this.replid = randomHex40();
    this.replid2 = ZERO_ID;
    this.secondReplOffset = -1;
  }

  /**
   * Become a master (REPLICAOF NO ONE, a cluster promotion, a FAILOVER's end): keep the old
   * replid as replid2 (PSYNC2). `logLine`: what to log, if anything.
   */
  replicaOfNoOne(logLine: string | null = "MASTER MODE enabled (user request from 'id=0')"): void {
    if (this.masterHost === null) return;
    this.link?.stop();
    this.link = null;
    this.masterHost = null;
    this.masterPort = 0;
    this.server.log.role = "M";
    this.server.setExpireOnAccess(true);
    // shiftReplicationId
    this.replid2 = this.replid;
    this.secondReplOffset = this.masterReplOffset + 1;
    this.replid = randomHex40();
    this.slaveSelDb = -1;
    this.updatePropagating();
    this.disconnectPeers();
    if (logLine !== null) this.server.log.notice(logLine);
  }

  private createBacklogAsReplica(): void {
    this.flushStream();
    this.backlog = new Backlog(
      this.server.config.getNumber("repl-backlog-size"),
      this.masterReplOffset,
    );
  }

  private disconnectPeers(): void {
    this.flushStream();
    for (const p of [...this.peers]) p.close("replication id change");
  }

  private linkOwner(): LinkOwner {
    const s = this.server;
    return {
      // syncWithMaster: with tls-replication the replica announces its TLS port.
      serverPort: () => s.tls.forReplication() !== null && s.tls.port !== 0 ? s.tls.port : s.port,
      connect: (host, port) => {
        const tls = s.tls.forReplication();
        if (tls === null) return Deno.connect({ hostname: host, port });
        return tls.connect(host, port, Math.max(1, s.config.getNumber("repl-timeout")) * 1000);
      },
      config: (name) => String(s.config.getString(name) ?? ""),
      cachedMaster:
        () => (this.backlog === null
          ? null
          : { replid: this.replid, offset: this.masterReplOffset }),
      psyncFailover: () => this.failover.inProgress,
      psyncAnswered: (accepted, why) => this.failover.psyncAnswered(accepted, why),
      fullSync: (rdb, replid, offset) => this.loadFullSync(rdb, replid, offset),
      partialSync: (newId) => {
        if (newId !== null && newId !== this.replid) {
          this.replid2 = this.replid;
          this.secondReplOffset = this.masterReplOffset + 1;
          this.replid = newId;
          this.disconnectPeers();
        }
      },
      applied: (argv) => {
        // A new AOF file of ours starts in the master stream's database.
        if (this.replicaAofSelect) {
          this.replicaAofSelect = false;
          const c = this.masterClient;
          if (lower(argv[0]) !== "select" && c !== null) {
            s.aof.append(encodeCommand(["SELECT", String(c.db.id)]));
          }
        }
        // Chained replication: our replicas get the master's stream as is.
        this.feedArgv(argv, true);
      },
      masterOffset: () => this.masterReplOffset,
      newMasterClient: (addr, laddr) => {
        const c = s.newClient(addr, laddr);
        c.isMaster = true;
        c.authenticated = true;
        c.parser.authRequired = false;
        // A continued stream goes on in the database it was in (Redis's cached master keeps it).
        c.db = s.dbs[this.masterStreamDb] ?? s.db;
        this.masterClient = c;
        return c;
      },
      removeClient: (c) => {
        if (this.masterClient === c) {
          this.masterStreamDb = c.db.id;
          this.masterClient = null;
        }
        s.removeClient(c);
      },
      dispatchFrom: (c, argv) => s.dispatchCommand(c, argv),
      applyingStream: (on) => s.setApplyingMasterStream(on),
      log: (level, msg) => level === "warning" ? s.log.warning(msg) : s.log.notice(msg),
      now: () => s.now(),
    };
  }

  private loadFullSync(rdb: Uint8Array, replid: string, offset: number): void | Promise<void> {
    const s = this.server;
    for (const db of s.dbs) db.flush(db.id === 0);
    s.persistence.storeFromMaster(rdb);
    const r = loadRdb(s.dbs, rdb, rdbOptions(s.config), { dropExpired: false, nowMs: s.now() });
    // The stream after a full sync starts in database 0 (the master SELECTs before any command).
    this.masterStreamDb = 0;
    if (this.masterClient !== null) this.masterClient.db = s.db;
    // Function libraries and no Lua VM yet: the rest once the VM exists (it is made on first use).
    const fns = s.scripts.replaceFunctionsFromRdb(r.functions);
    if (fns instanceof Promise) {
      return fns.then(() => this.finishFullSync(rdb, r.loaded, replid, offset));
    }
    this.finishFullSync(rdb, r.loaded, replid, offset);
  }

  private finishFullSync(rdb: Uint8Array, loaded: number, replid: string, offset: number): void {
    const s = this.server;
    this.flushStream();
    s.aof.replaceAfterSync(rdb);
    s.log.notice(`MASTER <-> REPLICA sync: Loading DB in memory: ${loaded} keys`);
    this.replid = replid;
    this.replid2 = ZERO_ID;
    this.secondReplOffset = -1;
    this.masterReplOffset = offset;
    this.backlog = new Backlog(s.config.getNumber("repl-backlog-size"), offset);
    this.disconnectPeers();
  }

  // ------------------------------------------------------------ cron

  private cron(): void {
    const s = this.server;
    const now = s.now();
    this.cronLoops++;
    this.failover.update();
    const timeoutMs = s.config.getNumber("repl-timeout") * 1000;
    // Replica side: ACK every second, drop a silent master.
    const link = this.link;
    if (link !== null && link.state === "connected") {
      if (now - link.lastIoMs > timeoutMs) {
        s.log.warning("MASTER timeout: no data nor PING received...");
        link.dropConnection();
      } else link.sendAck();
    }
    // Master side: PING every repl-ping-replica-period, drop replicas that stopped acking.
    if (this.propagating && this.peers.length > 0) {
      const period = Math.max(1, s.config.getNumber("repl-ping-replica-period"));
      // Not while a manual failover pauses writes: the PING would move the offset the replica
      // is waiting to match (Redis skips it then too).
      // A standalone FAILOVER without TIMEOUT does not stop them (failover_end_time is 0).
      const paused = s.clientPause.pausedBy("failover") &&
        (this.failover.state === "no-failover" || this.failover.endMs !== 0);
      if (this.cronLoops % period === 0 && !paused) this.feedCommand(["ping"], false);
      const limits = this.outputLimits();
      for (const p of [...this.peers]) {
        if (p.state === "online" && now - p.ackTimeMs > timeoutMs) p.close("timeout");
        else if (p.overLimits(limits, now)) p.close("overcoming of output buffer limits");
      }
    }
    if (
      this.backlog !== null && this.propagating &&
      this.backlog.size !== s.config.getNumber("repl-backlog-size")
    ) {
      this.flushStream();
      this.backlog.resize(s.config.getNumber("repl-backlog-size"));
    }
  }

  // ------------------------------------------------------------ INFO / ROLE

  infoFields(roleFallback: "master" | "slave"): [string, string | number][] {
    const s = this.server;
    this.flushStream();
    const now = s.now();
    const cfg = s.config;
    const out: [string, string | number][] = [];
    const isSlave = this.masterHost !== null || roleFallback === "slave";
    out.push(["role", isSlave ? "slave" : "master"]);
    if (isSlave) {
      const link = this.link;
      const up = link !== null && link.state === "connected";
      out.push(["master_host", this.masterHost ?? ""]);
      out.push(["master_port", this.masterPort]);
      out.push(["master_link_status", up ? "up" : "down"]);
      out.push(["master_last_io_seconds_ago", up ? Math.floor((now - link!.lastIoMs) / 1000) : -1]);
      out.push(["master_sync_in_progress", link !== null && link.state === "sync" ? 1 : 0]);
      out.push(["slave_read_repl_offset", this.masterReplOffset + (link?.unappliedBytes ?? 0)]);
      out.push(["slave_repl_offset", this.masterReplOffset]);
      if (!up) {
        const since = link === null || link.downSinceMs === -1
          ? -1
          : Math.floor((now - link.downSinceMs) / 1000);
        out.push(["master_link_down_since_seconds", since]);
      }
      out.push(["slave_priority", cfg.getNumber("replica-priority")]);
      out.push(["slave_read_only", cfg.getBool("replica-read-only") ? 1 : 0]);
      out.push(["replica_announced", 1]);
    }
    out.push(["connected_slaves", this.peers.length]);
    if (this.minReplicasActive) out.push(["min_slaves_good_slaves", this.goodReplicaCount()]);
    this.peers.forEach((p, i) => {
      const lag = Math.floor((now - p.ackTimeMs) / 1000);
      out.push([
        `slave${i}`,
        `ip=${p.ip},port=${p.listeningPort},state=${p.state},offset=${p.ackOffset},lag=${lag}`,
      ]);
    });
    out.push(["master_failover_state", this.failover.state]);
    out.push(["master_replid", this.replid]);
    out.push(["master_replid2", this.replid2]);
    out.push(["master_repl_offset", this.masterReplOffset]);
    out.push(["second_repl_offset", this.secondReplOffset]);
    out.push(["repl_backlog_active", this.backlog !== null ? 1 : 0]);
    out.push(["repl_backlog_size", cfg.getNumber("repl-backlog-size")]);
    out.push(["repl_backlog_first_byte_offset", this.backlog?.firstByteOffset ?? 0]);
    out.push(["repl_backlog_histlen", this.backlog?.histlen ?? 0]);
    return out;
  }

  /** Replica link state as ROLE names it. */
  roleLinkState(): string {
    const st = this.link?.state ?? "connect";
    return st === "handshake" ? "handshake" : st;
  }
}

/** What a would-be replica told us with REPLCONF before PSYNC. */
const replconfInfo = new WeakMap<Client, { port: number; ip: string; psync2: boolean }>();
