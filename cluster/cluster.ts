/**
 * The node's cluster role (cluster-enabled yes): loads nodes.conf at start (or creates a new node
 * and saves it at once; a corrupt file stops start-up and is never overwritten), runs the cluster
 * bus (cluster/bus_node.ts: the bus engine on TCP plus the node actor system with the supervisor's
 * 100 ms cron tick and batched nodes.conf saves; each peer's link in its record), and routes keyed
 * commands (cluster/routing.ts).
 *
 * Commands change the view through `apply()`, which swaps in the new state, updates cluster_state
 * at once (Redis's CLUSTER_TODO_UPDATE_STATE), closes the links of nodes the command removed and
 * marks the config dirty (CLUSTER_TODO_SAVE_CONFIG); the save happens at the end of the turn, before
 * the replies of that turn are written (`beforeReply`) and before bus packets are released. The
 * bus installs its views itself.
 *
 * Failover (cluster/failover_rules.ts, run by the bus engine): the rules see this node's
 * replication offset and link through cluster/replication_adapter.ts, which also carries out the
 * role changes (`replicate` -> replicaOf the new master, `replicationUnsetMaster` -> replicaOf NO
 * ONE); a master in a manual failover holds client writes through `writePause`
 * (cluster/write_pause.ts, checked by the dispatcher). `failover(mode)` is CLUSTER FAILOVER.
 */

import type { QueuedCommand } from "../server/client.ts";
import type { ClusterHost } from "./cluster_host.ts";
import type { KeyPositions, RoutingClient } from "./cluster_port.ts";
import type { Clock, SupervisorStats } from "../actors/supervisor.ts";
import type { InspectionEvent } from "xstate";
import {
  assertEpochsGrow,
  assertInvariants,
  assertInvariantsSince,
  blacklistCleanup,
  CLUSTER_PORT_INCR,
  type ClusterState,
  createState,
  isMaster,
  myself,
  randomNodeId,
  updateClusterState,
  updateNode,
} from "./state.ts";
import { serializeConfig } from "./nodes_conf.ts";
import { verifyConfigWithData } from "./verify_data.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";
import { loadConfigFile, NodesConfFile, saveConfigFile } from "./nodes_conf_io.ts";
import {
  blockedClientRedirect,
  type PreferredEndpoint,
  routeQuery,
  type RoutingOptions,
  servedHere,
} from "./routing.ts";
import { BusNode } from "./bus_node.ts";
import type { BusEngineStats } from "./bus_engine.ts";
import type { BusNetwork } from "./bus_network.ts";
import { TcpBusNetwork } from "./bus_network_tcp.ts";
import { authenticatedBusNetwork } from "./bus_network_auth.ts";
import type { BusConfig, LogLevel } from "./bus_effects.ts";
import { Prng } from "./prng.ts";
import { describeViewChange } from "./view_log.ts";
import { MSG_TYPE_NAMES } from "../protocol/bus_constants.ts";
import { clusterFailoverCommand, type FailoverMode } from "./failover_rules.ts";
import { WritePause } from "./write_pause.ts";
import { slotsLeavingMyShard } from "./shard_slots.ts";
import {
  followMyMaster,
  replicationOffset,
  replicationStatus,
  stopReplicating,
} from "./replication_adapter.ts";

/** Bus message types, for the cluster_stats_messages_* counters (docs/cluster-bus.md §2). */
export const BUS_MESSAGE_TYPE_NAMES = MSG_TYPE_NAMES;

export interface ClusterOpenOptions {
  /** Timer source for the actors (xstate SimulatedClock in tests); real timers by default. */
  clock?: Clock;
  /** The bus transport; TCP by default. */
  network?: BusNetwork;
  /** Seed for the bus's random choices (gossip picks, handshake names); random by default. */
  seed?: number;
  /** XState inspection callback (the visualizer; see actors/node.ts). */
  inspect?: (event: InspectionEvent) => void;
}

export class Cluster {
  /** The port the bus listens on (cluster-port, or port + 10000). */
  busPort = 0;
  /**
   * tls-cluster at start: the bus speaks TLS, this node announces its TLS port (the plaintext
   * one as pport) and its bus port follows the TLS port (deriveAnnouncedPorts).
   */
  readonly tlsCluster: boolean;
  readonly bus: BusNode;
  private stopped = false;
  private readonly routingOpts: RoutingOptions = {
    allowReadsWhenDown: false,
    allowPubsubShardWhenDown: true,
    preferredEndpoint: "ip",
  };
  private readonly keyExists: (key: Uint8Array) => boolean;
  /**
   * The view at the previous cron tick (view_log.ts); at first the view the node started with,
   * so a change made before the first tick (redis-cli --cluster create's ADDSLOTS can arrive
   * within a tick of the start) is logged too.
   */
  private loggedView: ClusterState;
  /** Client writes held during a manual failover (master side); see server/dispatch.ts. */
  readonly writePause: WritePause;
  /** nodes.conf, saved by the supervisor at the end of each turn that changed the config. */
  readonly configFile: NodesConfFile;

  private constructor(
    readonly server: ClusterHost,
    state: ClusterState,
    readonly configPath: string,
    opts: ClusterOpenOptions,
  ) {
    const db = server.db;
    this.loggedView = state;
    this.tlsCluster = server.tls.forCluster() !== null;
    // LOOKUP_NOEXPIRE semantics: an expired key is missing, but is not deleted here.
    this.keyExists = (key) => {
      let k = "";
      for (let i = 0; i < key.length; i++) k += String.fromCharCode(key[i]);
      if (!db.dict.has(k)) return false;
      const when = db.expires.get(k);
      return when === undefined || when > db.now();
    };
    // The node's one pause mechanism, shared with CLIENT PAUSE (its failover purpose here).
    this.writePause = server.clientPause;
    this.configFile = new NodesConfFile(configPath, { keepOpen: true });
    const seed = opts.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const clock = opts.clock;
    this.bus = new BusNode({
      state,
      // cluster-bus-secret: every packet signed, unsigned ones dropped (off: unchanged bytes).
      network: authenticatedBusNetwork(
        opts.network ?? new TcpBusNetwork({
          log: (m) => server.log.verbose(m),
          tls: () => server.tls.forCluster(),
          trackTlsListener: (l) => server.tls.track(l),
          sendBufferLimit: () => server.config.getNumber("cluster-link-sendbuf-limit"),
        }),
        {
          secrets: () => ({
            secret: server.config.getString("cluster-bus-secret"),
            previous: server.config.getString("cluster-bus-secret-previous"),
            required: server.config.getBool("cluster-bus-secret-required"),
          }),
          nowMs: () => server.now(),
          log: (line) => server.log.warning(line),
        },
      ),
      clock: {
        now: () => server.now(),
        setTimeout: (fn, ms) => (clock ? clock.setTimeout(fn, ms) : setTimeout(fn, ms)),
        clearTimeout: (id) =>
          clock ? clock.clearTimeout(id) : clearTimeout(id as ReturnType<typeof setTimeout>),
      },
      realTimers: clock === undefined,
      // The supervisor's cron ticks in the server's 100 ms cron (one wakeup for both).
      actorClock: server.cronClock,
      rng: new Prng(seed),
      inspect: opts.inspect,
      config: () => this.busConfig(),
      save: (s, fsync) => this.trySave(s, fsync),
      fatal: (reason) => this.saveFailed(reason),
      log: (level, text) => this.log(level, text),
      beforeTick: (s) => this.beforeTick(s),
      replicate: () => {
        followMyMaster(server, this.state);
      },
      replicationUnsetMaster: () => stopReplicating(server),
      pauseWrites: (untilMs) => this.writePause.pause(untilMs),
      unpauseWrites: () => this.writePause.unpause(),
      failover: () => {
        const cfg = server.config;
        return {
          config: {
            replicaValidityFactor: cfg.getNumber("cluster-replica-validity-factor"),
            replPingReplicaPeriodSec: cfg.getNumber("repl-ping-replica-period"),
            replicaNoFailover: cfg.getBool("cluster-replica-no-failover"),
            migrationBarrier: cfg.getNumber("cluster-migration-barrier"),
          },
          replOffset: replicationOffset(server),
          replication: replicationStatus(server),
        };
      },
      deleteKeysInSlots: (slots) => {
        for (const j of slots) server.db.deleteSlot(j);
      },
      deliver: (_senderId, message) => {
        // clusterProcessPacket: PUBLISH/PUBLISHSHARD from a known node reach local subscribers.
        if (message.type === "PUBLISH") server.pubsub.publish(message.channel, message.message);
        else if (message.type === "PUBLISHSHARD") {
          server.pubsub.publishShard(message.channel, message.message);
        }
      },
      viewChanged: (prev, next) => {
        // clusterSetMaster: a master that became a replica follows its master at once, which
        // answers its blocked clients -UNBLOCKED and closes them (replicationSetMaster's
        // disconnectAllBlockedClients) before any redirect would (Redis redirects from its
        // clients cron, later).
        if (isMaster(myself(prev)) && !isMaster(myself(next))) followMyMaster(server, next);
        // clusterRedirectBlockedClientIfNeeded: clients blocked on keys this node no longer
        // serves get their redirect.
        if (server.db.blockedWaiters.size !== 0) this.redirectBlocked(next);
        // clusterDelSlot's removeChannelsInSlot: shard subscribers of a slot my shard lost get
        // sunsubscribe.
        if (server.pubsub.shardChannels.size === 0) return;
        const lost = slotsLeavingMyShard(prev, next);
        if (lost.size > 0) server.pubsub.removeChannelsInSlots(lost);
      },
    });
  }

  /** The current cluster view; replaced (never mutated) by `apply` and by the bus. */
  get state(): ClusterState {
    return this.bus.state;
  }

  /** Message counters (CLUSTER INFO), indexed by bus message type. */
  get stats(): BusEngineStats {
    return this.bus.engine.stats;
  }

  /** clusterInit: load or create nodes.conf, listen on the bus port, start the actors. */
  static async open(server: ClusterHost, opts: ClusterOpenOptions = {}): Promise<Cluster> {
    const cfg = server.config;
    const file = cfg.getString("cluster-config-file");
    const dir = cfg.getString("dir");
    const path = file.startsWith("/") ? file : `${dir.replace(/\/+$/, "") || "."}/${file}`;
    const now = server.now();
    const loaded = loadConfigFile(path, now); // throws on a corrupt file, which stays untouched
    let state: ClusterState;
    if (loaded === null) {
      state = createState(randomNodeId(), now);
      server.log.notice(`No cluster configuration found, I'm ${state.myselfId}`);
      // Written before the ports are known, as Redis does: ":0@0".
      saveConfigFile(path, serializeConfig(state));
    } else {
      state = loaded.state;
      for (const w of loaded.warnings) server.log.warning(w);
      server.log.notice(`Node configuration loaded, I'm ${state.myselfId.slice(0, 40)}`);
    }
    assertInvariants(state);
    const c = new Cluster(server, state, path, opts);
    const port = c.checkPorts();
    c.bus.setState(c.withAnnouncedAddress(c.bus.state, port));
    try {
      await c.bus.start(c.listenHosts(), port);
    } catch (e) {
      c.bus.stop();
      throw new Error(
        `Failed listening on port ${port} (cluster), aborting. ${(e as Error).message}`,
      );
    }
    c.busPort = port;
    return c;
  }

  /** The port the bus listens on: cluster-port, or the client port + 10000. */
  private listenPort(): number {
    const cp = this.server.config.getNumber("cluster-port");
    return cp !== 0 ? cp : this.clientPort() + CLUSTER_PORT_INCR;
  }

  /** The client port the cluster is about: tls-port with tls-cluster, else port. */
  private clientPort(): number {
    return this.tlsCluster ? this.server.tls.port : this.server.port;
  }

  private checkPorts(): number {
    if (
      this.server.config.getNumber("cluster-port") === 0 &&
      this.clientPort() > 65535 - CLUSTER_PORT_INCR
    ) {
      throw new Error(
        "Redis port number too high. Cluster communication port is 10,000 port numbers higher " +
          "than your Redis port. Your Redis port number must be 55535 or less.",
      );
    }
    return this.listenPort();
  }

  /** The bus listens where clients do (the `bind` hosts, Server.bindAddresses). */
  private listenHosts(): string[] {
    return this.server.bindAddresses();
  }

  /** Myself's announced ip/ports/hostname from the config (deriveAnnouncedPorts & co). */
  private withAnnouncedAddress(s: ClusterState, busPort = this.busPort): ClusterState {
    const cfg = this.server.config;
    const me = myself(s);
    // deriveAnnouncedPorts.
    let port = this.clientPort();
    let pport = this.tlsCluster ? this.server.port : 0;
    const announceTlsPort = cfg.getNumber("cluster-announce-tls-port");
    if (this.tlsCluster && announceTlsPort !== 0) {
      port = announceTlsPort;
      pport = cfg.getNumber("cluster-announce-port");
    } else if (cfg.getNumber("cluster-announce-port") !== 0) {
      port = cfg.getNumber("cluster-announce-port");
    }
    const cport = cfg.getNumber("cluster-announce-bus-port") || busPort;
    const announceIp = cfg.getString("cluster-announce-ip");
    const ip = announceIp !== "" ? announceIp : me.ip;
    const hostname = cfg.getString("cluster-announce-hostname");
    if (
      me.port === port && me.pport === pport && me.cport === cport && me.ip === ip &&
      me.hostname === hostname
    ) {
      return s;
    }
    return updateNode(s, me.id, { port, pport, cport, ip, hostname });
  }

  private busConfig(): BusConfig {
    const cfg = this.server.config;
    return {
      nodeTimeoutMs: cfg.getNumber("cluster-node-timeout"),
      announcedIp: cfg.getString("cluster-announce-ip"),
      requireFullCoverage: cfg.getBool("cluster-require-full-coverage"),
      allowReplicaMigration: cfg.getBool("cluster-allow-replica-migration"),
    };
  }

  private log(level: LogLevel, text: string): void {
    const l = this.server.log;
    if (level === "warning") l.warning(text);
    else if (level === "notice") l.notice(text);
    else if (level === "verbose") l.verbose(text);
    else l.debug(text);
  }

  private updateStateOptions() {
    return {
      requireFullCoverage: this.server.config.getBool("cluster-require-full-coverage"),
      nodeTimeoutMs: this.server.config.getNumber("cluster-node-timeout"),
    };
  }

  /**
   * Install a new view after a command changed it: cluster_state is recomputed at once, links of
   * removed nodes closed, and the config marked dirty (saved by the supervisor at the end of the
   * turn, before the command's reply is written: `beforeReply`).
   */
  apply(next: ClusterState, opts: { save?: boolean; fsync?: boolean } = {}): void {
    // What the command changed, checked against the current view (a reshard runs thousands of
    // commands: the full 16384-slot check is for loading and tests).
    assertInvariantsSince(this.state, next);
    if (next.myselfId === this.state.myselfId) assertEpochsGrow(this.state, next); // not RESET HARD
    const updated = updateClusterState(next, this.server.now(), this.updateStateOptions());
    // A command that changed nothing (redis-cli reshard's second SETSLOT NODE to a node) while
    // nodes.conf holds this very view: the save it asks for would write nothing (NodesConfFile
    // skips it), so it does not make the turn's end go through the supervisor.
    if (
      updated === this.state && opts.save !== false &&
      this.configFile.holds(updated, opts.fsync === true)
    ) {
      opts = { ...opts, save: false };
    }
    this.bus.apply(updated, opts);
  }

  /**
   * After the dataset loaded at start: make the slot table agree with the keys this master holds
   * (cluster/verify_data.ts), saved and fsynced at once as Redis does.
   */
  verifyWithData(countKeysInSlot: (slot: number) => number): void {
    const slots: number[] = [];
    for (let j = 0; j < CLUSTER_SLOTS; j++) if (countKeysInSlot(j) !== 0) slots.push(j);
    const r = verifyConfigWithData(this.state, slots);
    if (r.logs.length === 0) return;
    for (const line of r.logs) this.server.log.warning(line);
    this.apply(r.state, { save: true, fsync: true });
    this.saveConfig();
  }

  /** The supervisor's counters (cron ticks, saves), or null once stopped. */
  supervisorStats(): SupervisorStats | null {
    return this.bus.supervisorStats();
  }

  /** Save nodes.conf now (CLUSTER SAVECONFIG). Throws on failure. */
  saveConfig(): void {
    this.configFile.save(this.state, true, true);
    this.bus.markSaved();
  }

  /** The supervisor's save: false (and a log line) on failure, which is then fatal. */
  private trySave(s: ClusterState, fsync: boolean): boolean {
    try {
      this.configFile.save(s, fsync);
      return true;
    } catch (e) {
      this.server.log.warning(`Could not save the cluster config file ${this.configPath}: ${e}`);
      return false;
    }
  }

  /**
   * clusterSaveConfigOrDie: a node that cannot persist its config must not go on answering with
   * state that is not on disk. Exits at once: no reply or packet of this turn is written.
   */
  private saveFailed(reason: string): void {
    this.server.log.warning(reason);
    Deno.exit(1);
  }

  /**
   * Before client replies are written: the end of the turn (Redis's beforeSleep), so a change
   * a command made (SETSLOT, BUMPEPOCH, FAILOVER, ...) is on disk before its OK leaves.
   */
  beforeReply(): void {
    const bus = this.bus;
    if (bus.configDirty || bus.engine.hasHeldOutput) bus.endTurn({ beforeReply: true });
  }

  /** Follow-along log lines (cluster/view_log.ts) for what changed since the previous tick. */
  private logViewChanges(s: ClusterState): void {
    const prev = this.loggedView;
    this.loggedView = s;
    for (const l of describeViewChange(prev, s)) this.log(l.level, l.text);
  }

  /** The start of each cron tick: announced address, FORGET blacklist expiry. */
  private beforeTick(s0: ClusterState): { state: ClusterState; dirty: boolean } {
    this.logViewChanges(s0);
    let s = s0;
    let dirty = false;
    const announced = this.withAnnouncedAddress(s);
    if (announced !== s) {
      s = announced;
      dirty = true;
    }
    s = blacklistCleanup(s, this.server.now());
    // clusterCron: a replica whose replication does not point at its master's address fixes it
    // (start-up from nodes.conf, an address change); a master stops replicating (RESET).
    if (isMaster(myself(s))) stopReplicating(this.server);
    else followMyMaster(this.server, s);
    return { state: s, dirty };
  }

  /** The routing options, as the configuration says now. */
  private currentRoutingOpts(): RoutingOptions {
    const cfg = this.server.config;
    this.routingOpts.allowReadsWhenDown = cfg.getBool("cluster-allow-reads-when-down");
    this.routingOpts.allowPubsubShardWhenDown = cfg.getBool(
      "cluster-allow-pubsubshard-when-down",
    );
    this.routingOpts.preferredEndpoint = cfg.getString(
      "cluster-preferred-endpoint-type",
    ) as PreferredEndpoint;
    return this.routingOpts;
  }

  /** `routing.ts servedHere`: this command is served here, no need to `route` it. */
  servedHere(def: KeyPositions, argv: readonly Uint8Array[]): boolean {
    return servedHere(this.state, def, argv);
  }

  /** getNodeByQuery for the dispatcher: null to serve here, else the error to reply. */
  route(client: RoutingClient, cmds: QueuedCommand[], isExec: boolean): string | null {
    const opts = this.currentRoutingOpts();
    opts.usePport = this.tlsCluster && client.tls !== true;
    return routeQuery(this.state, client, cmds, isExec, this.keyExists, opts);
  }

  /** Answer the blocked clients whose keys this node does not serve in view `s` any more. */
  private redirectBlocked(s: ClusterState): void {
    const opts = this.currentRoutingOpts();
    for (const w of [...this.server.db.blockedWaiters]) {
      opts.usePport = this.tlsCluster && (w.owner as RoutingClient | undefined)?.tls !== true;
      if (w.abort === undefined || w.keys.length === 0) continue;
      const err = blockedClientRedirect(s, w.keys[0], w.readOnly === true, opts);
      if (err !== null) w.abort(err);
    }
  }

  /** PUBLISH in cluster mode: to every node over the bus. */
  publish(channel: Uint8Array, message: Uint8Array): void {
    this.bus.publish(false, channel, message);
  }

  /** SPUBLISH in cluster mode: to the other nodes of this shard. */
  publishShard(channel: Uint8Array, message: Uint8Array): void {
    this.bus.publish(true, channel, message);
  }

  /** replicationSetMaster towards myself's master, if replication is not there yet. */
  followMaster(): void {
    followMyMaster(this.server, this.state);
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER]: null on success, else the error reply. */
  failover(mode: FailoverMode): string | null {
    return this.bus.engine.runFailoverRule((s, ctx) => clusterFailoverCommand(s, mode, ctx));
  }

  /** Stop the actors (saving a pending change) and close the bus. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.writePause.unpause();
    this.bus.stop(); // saves a pending change first
    this.configFile.close();
    await Promise.resolve();
  }
}
