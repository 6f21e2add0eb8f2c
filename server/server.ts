/**
 * A node: configuration, keyspace, clients, command table, stats, and (with cluster-enabled)
 * its cluster role. Listens for clients with Deno TCP; each connection runs
 * server/connection.ts's read-parse-dispatch-write loop.
 */

import { monotonicMs } from "./monotonic_clock.ts";
import { type DebugKnobs, defaultDebugKnobs } from "./debug_knobs.ts";
import { Config, findDirective, formatConfigValue, noEffectSettings } from "./config.ts";
import { Db, newExpiryClock } from "../keyspace/db.ts";
import { Client } from "./client.ts";
import { RespParser } from "../protocol/resp_parser.ts";
import { buildCommandTable } from "../commands/registry.ts";
import type { CommandDef } from "../commands/command_def.ts";
import { Logger, type LogLevel } from "./log.ts";
import type { Cluster } from "../cluster/cluster.ts";
import type { InspectionEvent } from "xstate";
import { serveConnection } from "./connection.ts";
import { ServerTls } from "./tls.ts";
import { AclCommandTable, AclUsers, SEL_ALLCHANNELS } from "./acl.ts";
import { loadUsersAtStartup } from "./acl_file.ts";
import { clientInfoLine } from "../commands/connection.ts";
import { Replication } from "../replication/replication.ts";
import { KeyLocks } from "./key_locks.ts";
import { RdbPersistence } from "../persistence/rdb_persistence.ts";
import { Aof } from "../persistence/aof.ts";
import type { AofManifest } from "../persistence/aof_manifest.ts";
import { AofFormatError, runAofCommands } from "../persistence/aof_load.ts";
import { dispatch, keyIndices } from "./dispatch.ts";
import { type LoadingState, loadRdbIncrementally } from "../persistence/rdb_load.ts";
import { joinDir } from "../persistence/files.ts";
import { rdbOptions } from "../commands/dump.ts";
import { createDumpPayload, parseDumpPayload } from "../protocol/rdb_dump.ts";
import { RdbFormatError } from "../protocol/rdb_buffer.ts";
import { Scripts } from "../scripting/scripts_shell.ts";
import { PubSub } from "../pubsub/pubsub.ts";
import { allOutputLimits, type OutputClass, type OutputLimits } from "./output_limits.ts";
import { Tracking } from "./tracking.ts";
import { Monitors } from "./monitor.ts";
import { WritePause } from "../cluster/write_pause.ts";
import { bindHosts, mappedConnAllowed } from "../cluster/ip.ts";
import { Maxmemory } from "./maxmemory.ts";
import { keyspaceEventsStringToFlags } from "../pubsub/notify_flags.ts";
import { LatencyMonitor } from "./latency_monitor.ts";
import { HdrHistogram } from "./hdr_histogram.ts";
import { redactedArgs } from "./monitor.ts";
import { lruClock } from "../keyspace/lru.ts";
import { REDIS_VERSION } from "./version.ts";
import type {
  ClientsPort,
  ClockPort,
  CommandStat,
  CommandStatsPort,
  CommandTablePort,
  ConfigPort,
  DatabasesPort,
  LogPort,
  ServerStats,
  SlowlogEntry,
} from "./server_ports.ts";
import type { ConfigApplyHost } from "../commands/config.ts";
import type { MaxmemoryHost } from "./maxmemory_host.ts";
import type { AclHost } from "./acl_guard.ts";
import type { ClusterHost } from "../cluster/cluster_host.ts";
import type { CommandHost, ScriptsHost } from "../commands/command_host.ts";
import type { ReplicationServerHost } from "../replication/replication_host.ts";
import { importOnFirstUse } from "./lazy_import.ts";
import { every, type Ticker } from "./ticker.ts";
import {
  CronClock,
  SERVER_CRON_PERIOD_MS,
  type ServerCronSchedule,
  serverCronSchedule,
} from "./cron_clock.ts";

export type { CommandStat, ServerStats, SlowlogEntry } from "./server_ports.ts";

export interface ServerOptions {
  config?: Config;
  /** Wall clock in ms since the epoch (injected in tests). */
  now?: () => number;
  /** Monotonic clock in ms for commands' durations (injected in tests). */
  commandClockMs?: () => number;
  logger?: Logger;
  /** XState inspection callback for the cluster actors (cli.ts --inspect; actors/inspect.ts). */
  inspect?: (event: InspectionEvent) => void;
  /** The ACL users, shared with the server this one was forked from (`forkForDebugging`). */
  acl?: AclUsers;
}

function randomHex40(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

export class Server
  implements
    ClockPort,
    LogPort,
    ConfigPort,
    CommandTablePort,
    CommandStatsPort,
    DatabasesPort,
    ClientsPort,
    AclHost,
    ScriptsHost,
    ConfigApplyHost,
    MaxmemoryHost,
    ClusterHost,
    ReplicationServerHost,
    CommandHost {
  readonly config: Config;
  /** Database 0 (the only one in cluster mode); `dbs[i]` is SELECT i's. */
  readonly db: Db;
  /**
   * The `databases` databases, by index. They share their stats and their set of databases with
   * ready keys; SWAPDB swaps two databases' contents, never the Db objects.
   */
  readonly dbs: Db[];
  /** Databases holding keys some client is blocked on that got data (see `handleReadyKeys`). */
  readonly readyDbs = new Set<Db>();
  /** The database the active expire cycle starts with next (it goes round, as Redis's). */
  private expireDbCursor = 0;
  readonly commands: Map<string, CommandDef>;
  /** ACL users, the default user and the ACL log (server/acl.ts). */
  readonly acl: AclUsers;
  readonly clients = new Map<number, Client>();
  readonly log: Logger;
  readonly stats: ServerStats = {
    totalConnections: 0,
    rejectedConnections: 0,
    totalCommands: 0,
    rejectedCalls: 0,
    failedCalls: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    readsProcessed: 0,
    writesProcessed: 0,
  };
  readonly commandStats = new Map<string, CommandStat>();
  /** `commandStat`'s last answer (an entry stays in `commandStats` once made). */
  private lastStatName = "";
  private lastStat: CommandStat | null = null;
  /** Error replies per error code (INFO errorstats); at most 128 codes, as Redis. */
  readonly errorStats = new Map<string, number>();
  /**
   * SHUTDOWN asks for the process to end: cli.ts sets this to exit after `shutdown()`. Without
   * it (in-process tests) SHUTDOWN only stops the server.
   */
  onShutdownRequest: ((code: number) => void) | null = null;
  /** DEBUG SET-ACTIVE-EXPIRE: when false, keys expire only on access. */
  activeExpireEnabled = true;
  /** What DEBUG PAUSE-CRON, SET-SKIP-CHECKSUM-VALIDATION & co set (commands/debug.ts). */
  readonly debugKnobs: DebugKnobs = defaultDebugKnobs();
  /** SLOWLOG entries, newest first (at most slowlog-max-len). */
  readonly slowlog: SlowlogEntry[] = [];
  slowlogNextId = 0;
  /** slowlog-log-slower-than in µs (negative: off), cached off the hot path by CONFIG SET. */
  slowlogThresholdUs = 10000;
  /** LATENCY's event samples; its threshold is latency-monitor-threshold (commands/latency.ts). */
  readonly latency = new LatencyMonitor();
  /** latency-tracking, cached off the hot path by CONFIG SET. */
  latencyTracking = true;
  readonly runId = randomHex40();
  readonly startTimeMs: number;
  cluster: Cluster | null = null;
  /** Replication state: ids, offset, backlog, replicas, the link to our master. */
  readonly replication: Replication;
  /** Keys write-locked while MIGRATE moves them (server/key_locks.ts; checked by dispatch). */
  readonly keyLocks = new KeyLocks();
  /** RDB files: SAVE, BGSAVE, save points, the save before a shutdown. */
  readonly persistence: RdbPersistence;
  /** The append-only file (appendonly yes). */
  readonly aof: Aof;
  /** client-output-buffer-limit per class, parsed (refreshed by CONFIG SET). */
  outputLimits: Record<OutputClass, OutputLimits>;
  /** Pub/Sub channels, patterns and shard channels (pubsub/pubsub.ts). */
  readonly pubsub = new PubSub();
  /** Client-side caching: the tracking table and invalidations (server/tracking.ts). */
  readonly tracking: Tracking;
  /** Clients in monitor mode (MONITOR; server/monitor.ts). */
  readonly monitors = new Monitors();
  /** CLIENT PAUSE and a manual failover's pause (cluster/write_pause.ts; checked by dispatch). */
  readonly clientPause: WritePause;
  /** The Lua VM and script cache (EVAL, FUNCTION). */
  readonly scripts: Scripts;
  /** maxmemory: used memory, eviction, OOM refusals (server/maxmemory.ts). */
  readonly maxmemory: Maxmemory;
  /** Set while the dataset loads at start: commands without the `loading` flag get -LOADING. */
  loading: LoadingState | null = null;
  /** Keys the last load put in / dropped as expired (INFO rdb_last_load_keys_*). */
  lastLoad = { loaded: 0, expired: 0 };
  /** Run once by `shutdown()` (e.g. closing MIGRATE's cached connections). */
  readonly shutdownHooks: (() => void)[] = [];
  /** The port actually bound (differs from config when it was 0). */
  port = 0;
  private listeners: Deno.Listener[] = [];
  /** TLS: the context, the tls-port listeners, CONFIG SET of tls-* (server/tls.ts). */
  readonly tls: ServerTls;
  /** TLS clients accepted before the node serves (start() releases them; see there). */
  private heldTlsConns: Deno.Conn[] | null = [];
  private nextClientId = 1;
  /**
   * serverCron's ticker, once started (`startCronTicker`): the node's one cron (server/ticker.ts:
   * not Deno's timers, which cost an idle node ~3 MiB).
   */
  private cronTicker: Ticker | null = null;
  private schedule: ServerCronSchedule | null = null;
  /** serverCron's own work runs (set once the dataset is loaded: `startTimers`). */
  private serverCronRunning = false;
  /**
   * Timers run by the 100 ms cron: the cluster actors' clock (cluster/cluster.ts), so that the
   * cluster cron shares the server's wakeup, as Redis runs clusterCron from serverCron.
   */
  readonly cronClock = new CronClock(() => performance.now(), SERVER_CRON_PERIOD_MS);
  private stopped = false;
  readonly now: () => number;
  readonly commandClockMs: () => number;
  /** XState inspection callback for the cluster actors (visualizer), if any. */
  readonly inspect: ((event: InspectionEvent) => void) | undefined;

  constructor(opts: ServerOptions = {}) {
    this.config = opts.config ?? new Config();
    this.now = opts.now ?? Date.now;
    this.commandClockMs = opts.commandClockMs ?? monotonicMs;
    this.inspect = opts.inspect;
    this.log = opts.logger ?? new Logger(this.now);
    this.log.level = this.config.getString("loglevel") as LogLevel;
    this.tls = new ServerTls({
      get: (name) => formatConfigValue(findDirective(name)!, this.config.get(name)),
      warning: (m) => this.log.warning(m),
      notice: (m) => this.log.notice(m),
      verbose: (m) => this.log.verbose(m),
      bindAddresses: () => this.bindAddresses(),
      onConn: (conn) => {
        if (this.heldTlsConns !== null) this.heldTlsConns.push(conn);
        else void this.acceptConn(conn, true);
      },
    });
    const dbnum = Math.max(1, this.config.getNumber("databases"));
    const stats = { hits: 0, misses: 0, expiredKeys: 0, dirty: 0 };
    this.dbs = [];
    const expiryClock = newExpiryClock();
    for (let i = 0; i < dbnum; i++) {
      this.dbs.push(new Db(this.now, i, stats, this.readyDbs, expiryClock));
    }
    this.db = this.dbs[0];
    const dbs = this.dbs;
    this.tracking = new Tracking({
      clients: this.clients,
      maxKeys: () => this.config.getNumber("tracking-table-max-keys"),
      scriptRunning: () => this.scripts.running !== null,
      keyIndices,
    }, {
      // One tracking table for every database (keys are tracked by name, as Redis's).
      get tracker() {
        return dbs[0].tracker;
      },
      set tracker(t) {
        for (const db of dbs) db.tracker = t;
      },
    });
    for (const db of this.dbs) db.notifier.pubsub = this.pubsub;
    this.setNotifyFlags(
      keyspaceEventsStringToFlags(this.config.getString("notify-keyspace-events")),
    );
    this.commands = buildCommandTable();
    if (opts.acl !== undefined) this.acl = opts.acl;
    else {
      this.acl = new AclUsers(new AclCommandTable(this.commands.values()));
      this.acl.clientInfo = (c) => clientInfoLine(this, c as Client);
      this.acl.pubsubDefault = this.config.getString("acl-pubsub-default") === "allchannels"
        ? SEL_ALLCHANNELS
        : 0;
      this.acl.setDefaultPassword(this.config.getString("requirepass"));
      loadUsersAtStartup(this.acl, this.config.aclUsers, this.config.getString("aclfile"));
    }
    this.startTimeMs = this.now();
    this.slowlogThresholdUs = this.config.getNumber("slowlog-log-slower-than");
    this.latency.thresholdMs = this.config.getNumber("latency-monitor-threshold");
    this.latencyTracking = this.config.getBool("latency-tracking");
    this.outputLimits = allOutputLimits(this.config.getString("client-output-buffer-limit"));
    this.clientPause = new WritePause(this.now);
    // While paused nothing expires, on access or by the cycle (expireIfNeeded,
    // checkClientPauseTimeoutAndReturnIfPaused).
    this.clientPause.onChange = () => this.setExpireOnAccess(!this.replication.isReplica);
    this.replication = new Replication(this);
    this.scripts = new Scripts(this, REDIS_VERSION);
    this.maxmemory = new Maxmemory(this);
    this.maxmemory.configure();
    this.persistence = new RdbPersistence({
      db: this.db,
      dbs: this.dbs,
      config: this.config,
      log: this.log,
      now: this.now,
      rdbOptions: () => rdbOptions(this.config),
      replInfo: () => this.replication.saveInfo(),
      rewriteRunning: () => this.aof.rewriteInProgress,
      functions: () => this.scripts.functionCodes(),
    });
    this.aof = new Aof({
      dbs: this.dbs,
      newIncrFile: () => this.replication.aofNeedsSelect(),
      config: this.config,
      log: this.log,
      now: this.now,
      rdbOptions: () => rdbOptions(this.config),
      aux: () => this.persistence.aux(true),
      bgsaveRunning: () => this.persistence.bgsaveInProgress,
      functions: () => this.scripts.functionCodes(),
      fatal: (msg) => {
        this.log.warning(msg);
        Deno.exit(1);
      },
      latencySample: (event, ms) =>
        this.latency.addSampleIfNeeded(event, ms, Math.floor(this.now() / 1000)),
    });
  }

  /**
   * The child of a forked Lua debugging session (SCRIPT DEBUG YES; eval.c ldbStartSession's
   * redisFork): a server of its own in this process, never started (no listener, no cron, no
   * persistence, no cluster, no replicas), with this server's ACL users and a copy of its
   * dataset (each value through its DUMP payload, its expiry kept). The debugged EVAL runs
   * there, so its writes go nowhere, while this server goes on serving everyone else.
   */
  forkForDebugging(): Server {
    const config = new Config();
    config.load(null, [
      "--databases",
      String(this.dbs.length),
      "--busy-reply-threshold",
      String(this.config.getNumber("busy-reply-threshold")),
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    const child = new Server({ config, logger: this.log, now: this.now, acl: this.acl });
    const opts = rdbOptions(this.config);
    for (const db of this.dbs) {
      const to = child.dbs[db.id];
      for (const key of db.dict.keys()) {
        to.addLoaded(key, parseDumpPayload(createDumpPayload(db.peek(key)!, opts), opts));
        const at = db.expires.get(key);
        if (at !== undefined) to.expires.set(key, at);
      }
    }
    return child;
  }

  /** notify-keyspace-events, parsed, for every database. */
  setNotifyFlags(flags: number): void {
    for (const db of this.dbs) db.notifier.flags = flags;
  }

  /** Run one command as `client` (server/dispatch.ts); replication applies its master's stream. */
  dispatchCommand(client: Client, argv: Uint8Array[]): void | Promise<void> {
    return dispatch(this, client, argv);
  }

  /** Keys in every database. */
  get totalKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.dict.size;
    return n;
  }

  /** While our master's stream (or the AOF) is applied, nothing expires (expireIfNeeded). */
  setApplyingMasterStream(on: boolean): void {
    for (const db of this.dbs) db.applyingMasterStream = on;
  }

  /** A replica does not delete expired keys on access (its master sends the DELs). */
  setExpireOnAccess(on: boolean): void {
    if (this.clientPause.untilMs !== 0) on = false;
    for (const db of this.dbs) db.expireOnAccess = on;
  }

  /** Serve clients blocked on keys that got data, in every database that has some. */
  handleReadyKeys(): void {
    for (const db of this.readyDbs) db.handleReadyKeys();
  }

  /**
   * The active expire cycle over every database (expire.c activeExpireCycle goes round the
   * databases, starting where the last cycle stopped), within `budgetMs`.
   */
  activeExpireCycle(budgetMs: number): void {
    const dbs = this.dbs;
    const start = performance.now();
    for (let n = 0; n < dbs.length; n++) {
      const db = dbs[this.expireDbCursor];
      this.expireDbCursor = (this.expireDbCursor + 1) % dbs.length;
      if (db.expires.size === 0) continue;
      const left = budgetMs - (performance.now() - start);
      if (left <= 0) break;
      db.activeExpireCycle(left);
    }
    // activeExpireCycle: latencyAddSampleIfNeeded("expire-cycle", elapsed / 1000).
    if (this.latency.thresholdMs !== 0) {
      this.latency.addSampleIfNeeded(
        "expire-cycle",
        Math.floor(performance.now() - start),
        Math.floor(this.now() / 1000),
      );
    }
  }

  /** Does a new connection need AUTH: the default user has a password or is off (ACL). */
  authRequired(): boolean {
    return this.acl.authRequired;
  }

  /** Add a SLOWLOG entry: at most 32 arguments and 128 bytes per argument, as Redis. */
  private slowlogPush(client: Client, argv: Uint8Array[], ms: number): void {
    const enc = new TextEncoder();
    const n = Math.min(argv.length, 32);
    const args: Uint8Array[] = [];
    // Passwords AUTH, HELLO and MIGRATE redacted (slowlogCreateEntry, redactClientCommandArgument).
    const redacted = redactedArgs(argv);
    for (let i = 0; i < n; i++) {
      if (redacted.includes(i)) args.push(enc.encode("(redacted)"));
      else if (n === 32 && i === 31 && argv.length > 32) {
        args.push(enc.encode(`... (${argv.length - 31} more arguments)`));
      } else if (argv[i].length > 128) {
        const more = enc.encode(`... (${argv[i].length - 128} more bytes)`);
        const b = new Uint8Array(128 + more.length);
        b.set(argv[i].subarray(0, 128));
        b.set(more, 128);
        args.push(b);
      } else args.push(argv[i].slice());
    }
    this.slowlog.unshift({
      id: this.slowlogNextId++,
      timeSec: Math.floor(this.now() / 1000),
      durationUs: Math.round(ms * 1000),
      args,
      addr: client.addr,
      name: client.name,
    });
    const max = this.config.getNumber("slowlog-max-len");
    if (this.slowlog.length > max) this.slowlog.length = max;
  }

  /** Count an error reply under its code (the text's first word). */
  recordError(msg: string): void {
    const sp = msg.indexOf(" ");
    const code = sp === -1 ? msg : msg.slice(0, sp);
    const n = this.errorStats.get(code);
    if (n !== undefined) this.errorStats.set(code, n + 1);
    else if (this.errorStats.size < 128) this.errorStats.set(code, 1);
  }

  /** The stats of `fullname`, created at its first call or refusal. */
  private commandStat(fullname: string): CommandStat {
    if (fullname === this.lastStatName) return this.lastStat!;
    let s = this.commandStats.get(fullname);
    if (s === undefined) {
      this.commandStats.set(fullname, s = { calls: 0, usec: 0, failed: 0, rejected: 0 });
    }
    this.lastStatName = fullname;
    this.lastStat = s;
    return s;
  }

  /** A command refused before it ran (rejectCommand: c->cmd->rejected_calls++). */
  recordRejected(fullname: string): void {
    this.stats.rejectedCalls++;
    this.commandStat(fullname).rejected++;
  }

  /**
   * A command that ran (call()): the latency monitor's "command" or "fast-command" event, the
   * slow log (unless the command is skip_slowlog: EXEC), INFO commandstats and latency-tracking.
   */
  recordCall(
    fullname: string,
    ms: number,
    failed: boolean,
    client?: Client,
    argv?: Uint8Array[],
    def?: CommandDef,
  ): void {
    const durationUs = Math.floor(ms * 1000);
    if (this.latency.thresholdMs !== 0 && def !== undefined) {
      this.latency.addSampleIfNeeded(
        def.flags.includes("fast") ? "fast-command" : "command",
        Math.floor(durationUs / 1000),
        Math.floor(this.now() / 1000),
      );
    }
    if (
      argv !== undefined && this.slowlogThresholdUs >= 0 && durationUs >= this.slowlogThresholdUs &&
      !(def?.flags.includes("skip_slowlog") ?? false)
    ) this.slowlogPush(client!, argv, ms);
    this.stats.totalCommands++;
    const s = this.commandStat(fullname);
    s.calls++;
    s.usec += ms * 1000;
    if (this.latencyTracking) (s.histogram ??= new HdrHistogram()).record(durationUs * 1000);
    if (failed) {
      s.failed++;
      this.stats.failedCalls++;
    }
  }

  /** Register a new client connection. */
  newClient(addr: string, laddr: string): Client {
    const parser = new RespParser({
      maxBulkLen: this.config.getNumber("proto-max-bulk-len"),
      queryBufferLimit: this.config.getNumber("client-query-buffer-limit"),
    });
    const c = new Client(this.nextClientId++, addr, laddr, this.now(), parser, this.db);
    c.user = this.acl.defaultUser;
    c.authenticated = !this.authRequired();
    c.reply.onError = (msg) => this.recordError(msg);
    parser.authRequired = !c.authenticated;
    this.clients.set(c.id, c);
    this.stats.totalConnections++;
    return c;
  }

  removeClient(c: Client): void {
    this.pubsub.dropClient(c);
    this.tracking.clientGone(c);
    this.monitors.remove(c);
    for (const w of c.watchedKeys) w.db.unwatch(w.key, c);
    c.watchedKeys = [];
    this.clients.delete(c.id);
    if (c.isReplica) this.replication.clientGone(c);
  }

  /**
   * The hosts to listen on, clients and cluster bus alike, from the `bind` directive
   * (cluster/ip.ts bindHosts: `*` all IPv4, `::*` all IPv6 and IPv4, `-` optional).
   */
  bindAddresses(): string[] {
    return bindHosts(this.config.getString("bind"), (hostname) => {
      try {
        Deno.listen({ hostname, port: 0, transport: "tcp" }).close();
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Listen, load the cluster configuration, start timers. */
  async start(): Promise<void> {
    const dir = this.config.getString("dir");
    Deno.mkdirSync(dir, { recursive: true });
    const logfile = this.config.getString("logfile");
    if (logfile) this.log.setFile(logfile);
    let port = this.config.getNumber("port");
    // `port 0`: no plain TCP listener (TLS only, with tls-port), as Redis.
    for (const hostname of port === 0 ? [] : this.bindAddresses()) {
      const l = Deno.listen({ hostname, port, transport: "tcp" });
      port = (l.addr as Deno.NetAddr).port;
      this.listeners.push(l);
    }
    this.port = port;
    await this.tls.start();
    if (this.port === 0 && this.tls.port === 0) {
      throw new Error("Configured to not listen anywhere, exiting.");
    }
    if (this.config.getBool("cluster-enabled")) {
      // Imported here, not at the top: the cluster modules and XState (with Deno's Node
      // compatibility layer) cost a standalone node ~11 MiB of RSS it never uses.
      const { Cluster } = await importOnFirstUse<typeof import("../cluster/cluster.ts")>(
        new URL("../cluster/cluster.ts", import.meta.url),
      );
      this.cluster = await Cluster.open(this, { inspect: this.inspect });
      // The cluster's cron ticks from here on, also while the dataset loads (as it did on
      // timers of its own); serverCron's own work starts after the load (`startTimers`).
      this.startCronTicker();
    }
    const pidfile = this.config.getString("pidfile");
    if (pidfile) Deno.writeTextFileSync(pidfile, `${Deno.pid}\n`);
    // No await between serving and loading: the load must answer -LOADING from the first
    // request. The Lua VM is created on first use (a script, or a dataset's function libraries).
    // used_memory_startup: the runtime's own memory, before any key is loaded.
    try {
      this.maxmemory.startupBytes = Deno.memoryUsage().rss;
    } catch { /* not permitted */ }
    for (const l of this.listeners) this.acceptLoop(l);
    const held = this.heldTlsConns ?? [];
    this.heldTlsConns = null;
    for (const conn of held) void this.acceptConn(conn, true);
    await this.loadDataFromDisk();
    this.cluster?.verifyWithData((slot) => this.db.countKeysInSlot(slot));
    this.startTimers();
    this.replication.start();
    for (const line of noEffectSettings(this.config)) {
      this.log.warning(`Config ${line}: this parameter has no effect on this server`);
    }
    this.log.notice(`Ready to accept connections tcp (port ${this.port})`);
  }

  /**
   * Load `dbfilename` from `dir` when it is there (Redis's loadDataFromDisk), answering -LOADING
   * meanwhile. A replica restores its master's replication id and offset from the file, so it
   * can resume with a partial resync. Throws (the node does not start) on a corrupt file.
   */
  private async loadDataFromDisk(): Promise<void> {
    if (this.config.getBool("appendonly")) {
      const manifest = this.aof.readManifest();
      // Without an AOF yet, dump.rdb is loaded (Redis 7.0 would start empty and lose it), then
      // the first base file is written from it.
      if (manifest !== null) await this.loadAof(manifest);
      else await this.loadRdbFile();
      this.aof.openAtStart(manifest);
      this.replication.updatePropagating();
      return;
    }
    await this.loadRdbFile();
  }

  /**
   * DEBUG LOADAOF (debug.c): what the AOF has buffered is written and fsynced, the dataset
   * emptied and the AOF's files loaded back, as at start. Nothing loaded is propagated (Redis
   * propagates nothing while `server.loading`). With appendonly off there is no AOF: false and
   * the dataset kept (Redis 7.0.15 dies there). False, logged, when a file cannot be loaded.
   */
  async reloadAof(): Promise<boolean> {
    const manifest = this.aof.on ? this.aof.readManifest() : null;
    if (manifest === null) {
      this.log.warning("DEBUG LOADAOF: appendonly is off, there is no AOF to load");
      return false;
    }
    this.aof.flushAndSync();
    for (const d of this.dbs) d.flush();
    this.replication.propagating = false;
    try {
      await this.loadAof(manifest);
    } catch (e) {
      this.log.warning(`Error loading the AOF files: ${(e as Error).message}`);
      return false;
    } finally {
      this.replication.updatePropagating();
    }
    this.log.notice("Append Only File loaded by DEBUG LOADAOF");
    return true;
  }

  /** Load the AOF's files, base first (Redis's loadAppendOnlyFiles). Throws when it cannot. */
  private async loadAof(manifest: AofManifest): Promise<void> {
    const files = this.aof.filesToLoad(manifest);
    const startMs = this.now();
    const loader = this.newClient("aof-loader", "");
    loader.isMaster = true; // no redirects, no read-only or LOADING refusals
    this.clients.delete(loader.id);
    const state: LoadingState = { startMs, totalBytes: 0, loadedBytes: 0, keysLoaded: 0 };
    this.loading = state;
    this.setApplyingMasterStream(true); // nothing expires while loading, as in Redis
    let done = 0;
    try {
      for (const [i, { info, path }] of files.entries()) {
        let buf: Uint8Array;
        try {
          buf = Deno.readFileSync(path);
        } catch (e) {
          if (e instanceof Deno.errors.NotFound) {
            throw new Error(`The AOF file ${info.name} doesn't exist`);
          }
          throw e;
        }
        state.totalBytes = buf.length;
        state.loadedBytes = 0;
        // Each file is read by a fresh client (loadSingleAppendOnlyFile): from database 0.
        loader.db = this.db;
        let start = 0;
        if (buf.length >= 5 && new TextDecoder().decode(buf.subarray(0, 5)) === "REDIS") {
          const out = await loadRdbIncrementally(this.dbs, buf, rdbOptions(this.config), {
            dropExpired: false,
            nowMs: this.now(),
            keyLoadDelayUs: this.config.getNumber("key-load-delay"),
            state,
          });
          this.log.notice(`Reading RDB base file on AOF loading...`);
          await this.scripts.replaceFunctionsFromRdb(out.file.functions);
          start = out.file.endOffset;
        }
        let r;
        try {
          r = await runAofCommands(
            buf,
            start,
            (argv) => dispatch(this, loader, argv),
            this.config.getNumber("key-load-delay"),
          );
        } catch (e) {
          if (e instanceof AofFormatError) {
            throw new Error(
              `Bad file format reading the append only file ${info.name}: make a backup of your ` +
                `AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
            );
          }
          throw e;
        }
        if (r.truncated) {
          const last = i === files.length - 1;
          if (!last || !this.config.getBool("aof-load-truncated")) {
            throw new Error(
              `Unexpected end of file reading the append only file ${info.name}. You can: ` +
                `1) Make a backup of your AOF file, then use ./redis-check-aof --fix ` +
                `<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' ` +
                `configuration option to yes and restart the server.`,
            );
          }
          this.log.warning(`!!! Warning: short read while loading the AOF file ${info.name}!!!`);
          this.log.warning(`!!! Truncating the AOF ${info.name} at offset ${r.validUpTo} !!!`);
          Deno.truncateSync(path, r.validUpTo);
          this.log.warning(`AOF ${info.name} loaded anyway because aof-load-truncated is enabled`);
        }
        done++;
        this.log.notice(
          `DB loaded from ${info.type === "b" ? "base" : "incr"} file ${info.name}: ${
            ((this.now() - startMs) / 1000).toFixed(3)
          } seconds`,
        );
      }
      this.lastLoad = { loaded: this.totalKeys, expired: 0 };
      if (done > 0) {
        this.log.notice(
          `DB loaded from append only file: ${((this.now() - startMs) / 1000).toFixed(3)} seconds`,
        );
      }
    } catch (e) {
      if (e instanceof RdbFormatError) {
        throw new Error(`Bad file format reading the append only file: ${e.message}`);
      }
      throw e;
    } finally {
      this.setApplyingMasterStream(false);
      this.loading = null;
    }
  }

  private async loadRdbFile(): Promise<void> {
    const path = joinDir(this.config.getString("dir"), this.config.getString("dbfilename"));
    let buf: Uint8Array;
    try {
      buf = Deno.readFileSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw new Error(`Fatal error loading the DB: ${(e as Error).message}. Exiting.`);
    }
    const startMs = this.now();
    const state: LoadingState = { startMs, totalBytes: buf.length, loadedBytes: 0, keysLoaded: 0 };
    this.loading = state;
    this.replication.holdLink = true;
    try {
      const out = await loadRdbIncrementally(this.dbs, buf, rdbOptions(this.config), {
        dropExpired: !this.replication.isReplica,
        nowMs: this.now(),
        keyLoadDelayUs: this.config.getNumber("key-load-delay"),
        state,
      });
      await this.scripts.replaceFunctionsFromRdb(out.file.functions);
      this.lastLoad = { loaded: out.loaded, expired: out.expired };
      this.log.notice(
        `Done loading RDB, keys loaded: ${out.loaded}, keys expired: ${out.expired}.`,
      );
      this.log.notice(`DB loaded from disk: ${((this.now() - startMs) / 1000).toFixed(3)} seconds`);
      const replId = out.file.aux.get("repl-id");
      const offset = Number(out.file.aux.get("repl-offset"));
      if (replId !== undefined && /^[0-9a-f]{40}$/.test(replId) && Number.isSafeInteger(offset)) {
        const streamDb = Number(out.file.aux.get("repl-stream-db") ?? 0);
        this.replication.restoreFromFile(
          replId,
          offset,
          Number.isInteger(streamDb) && streamDb >= 0 && streamDb < this.dbs.length ? streamDb : 0,
        );
      }
    } catch (e) {
      if (e instanceof RdbFormatError) {
        throw new Error(
          `Short read or OOM loading DB. Unrecoverable error, aborting now. (${e.message})`,
        );
      }
      throw e;
    } finally {
      this.loading = null;
      this.replication.holdLink = false;
    }
  }

  /**
   * serverCron's `server.lruclock = getLRUClock()`: what key accesses store (keyspace/db.ts);
   * and the charges of values changed in place since the last tick, so INFO's used_memory stays
   * current without a recount on the command path.
   */
  private updateLruClock(): void {
    const clock = lruClock(this.now());
    for (const db of this.dbs) {
      db.cronLruClock = clock;
      db.settleCharges();
    }
  }

  private startTimers(): void {
    this.updateLruClock();
    this.serverCronRunning = true;
    this.startCronTicker();
  }

  /**
   * serverCron as one ticker (one wakeup for all the node's crons), like Redis's
   * `run_with_period`: the active expiry `hz` times a second (25% of its period's time at most),
   * and every 100 ms the timers of `cronClock` (the cluster's: clusterCron), the save-point check,
   * the AOF's writes, fsyncs and rewrites and the tracking table's upkeep (`serverCronSchedule`:
   * at hz 10, both every tick). Started when the cluster opens (its
   * cron ticks while the dataset loads, as it did on timers of its own); the rest runs once
   * `startTimers` ran. DEBUG PAUSE-CRON pauses the rest, not the cluster's timers.
   */
  private startCronTicker(): void {
    if (this.cronTicker !== null) return;
    this.schedule = serverCronSchedule(this.config.getNumber("hz"));
    const { tickMs, ticksPerExpiry, ticksPer100Ms } = this.schedule;
    const expiryBudgetMs = (tickMs * ticksPerExpiry) / 4;
    let cronLoops = 0;
    this.cronTicker = every(tickMs, () => {
      const loop = cronLoops++;
      const every100Ms = loop % ticksPer100Ms === 0;
      if (every100Ms) this.cronClock.run();
      if (!this.serverCronRunning || this.debugKnobs.pauseCron) return;
      // Not while clients are paused: the dataset must stay still (Redis 7.0).
      if (
        loop % ticksPerExpiry === 0 && this.activeExpireEnabled && this.scripts.running === null &&
        this.clientPause.untilMs === 0
      ) this.activeExpireCycle(expiryBudgetMs);
      if (!every100Ms) return;
      this.updateLruClock();
      this.persistence.cron();
      this.aof.cron();
      this.tracking.cron();
    });
  }

  /**
   * Redis's prepareForShutdown: save the dataset when save points are set or SHUTDOWN SAVE asks
   * (not with NOSAVE); a running background save is dropped first. False when the save failed
   * (the node must then keep running, unless `force`).
   */
  prepareForShutdown(opts: { save?: boolean; force?: boolean } = {}): boolean {
    this.persistence.abortBackground("shutting down");
    this.aof.abortRewrite();
    if (this.aof.on) {
      this.log.notice("Calling fsync() on the AOF file.");
      this.aof.flushAndSync();
    }
    const save = opts.save ?? this.persistence.hasSavePoints;
    if (!save) return true;
    this.log.notice("Saving the final RDB snapshot before exiting.");
    if (this.persistence.saveSync()) return true;
    if (opts.force) return true;
    this.log.warning("Error trying to save the DB, can't exit.");
    return false;
  }

  private async acceptLoop(listener: Deno.Listener): Promise<void> {
    try {
      for await (const conn of listener) {
        if (this.stopped) {
          conn.close();
          break;
        }
        await this.acceptConn(conn, false);
      }
    } catch (e) {
      if (!this.stopped) this.log.warning(`accept loop ended: ${e}`);
    }
  }

  /** A client connection (plain or TLS): refused past maxclients, else served. */
  private async acceptConn(conn: Deno.Conn, tls: boolean): Promise<void> {
    if (this.stopped) {
      conn.close();
      return;
    }
    // The dual-stack `::` listener took an IPv4 connection Redis's IPv6-only one would not.
    const local = (conn.localAddr as Deno.NetAddr).hostname ?? "";
    if (!mappedConnAllowed(this.config.getString("bind"), local)) {
      conn.close();
      return;
    }
    if (this.clients.size >= this.config.getNumber("maxclients")) {
      this.stats.rejectedConnections++;
      try {
        await conn.write(new TextEncoder().encode("-ERR max number of clients reached\r\n"));
      } catch { /* peer gone */ }
      conn.close();
      return;
    }
    serveConnection(this, conn as Deno.TcpConn, tls);
  }

  /** How the running cron ticks (the hz it was started with, or set since: `applyHz`). */
  get cronSchedule(): ServerCronSchedule | null {
    return this.schedule;
  }

  /** CONFIG SET hz (updateHZ): the cron ticks at the new rate from its next tick on. */
  applyHz(): void {
    if (this.cronTicker === null) return;
    this.cronTicker.stop();
    this.cronTicker = null;
    this.startCronTicker();
  }

  /** Close listeners and clients; with cluster mode, save nodes.conf. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cronTicker?.stop();
    this.replication.stop();
    for (const l of this.listeners) {
      try {
        l.close();
      } catch { /* already closed */ }
    }
    this.tls.close();
    for (const c of [...this.clients.values()]) c.close();
    for (const hook of this.shutdownHooks) hook();
    this.scripts.close();
    if (this.cluster) await this.cluster.stop();
    const pidfile = this.config.getString("pidfile");
    if (pidfile) {
      try {
        Deno.removeSync(pidfile);
      } catch { /* gone */ }
    }
    this.log.notice("Redis is now ready to exit, bye bye...");
    this.log.close();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
