/**
 * The node's cluster role (cluster-enabled yes): owns the cluster view (cluster/state.ts),
 * loads nodes.conf at start (or creates a new node and saves it at once; a corrupt file stops
 * start-up and is never overwritten), reserves the cluster bus port, routes keyed commands
 * (cluster/routing.ts) and runs the supervisor actor (actors/supervisor.ts) that ticks the
 * cluster cron every 100 ms and saves nodes.conf, batched once per tick, when the config is dirty.
 *
 * Commands change the view through `apply()`, which swaps in the new state, updates cluster_state
 * at once (Redis's CLUSTER_TODO_UPDATE_STATE) and marks the config dirty (CLUSTER_TODO_SAVE_CONFIG).
 *
 * TODO(bus): the bus port only accepts and closes connections; MEET/PING/PONG, gossip, failure
 * detection and failover arrive with the cluster bus work, as actors beside the supervisor.
 */

import type { Client, QueuedCommand } from "../server/client.ts";
import type { Server } from "../server/server.ts";
import {
  type Clock,
  startSupervisor,
  type SupervisorActor,
  type SupervisorStats,
} from "../actors/supervisor.ts";
import {
  assertEpochsGrow,
  assertInvariants,
  blacklistCleanup,
  CLUSTER_PORT_INCR,
  type ClusterState,
  createState,
  deleteNode,
  myself,
  NodeFlags,
  randomNodeId,
  updateClusterState,
  updateNode,
} from "./state.ts";
import { serializeConfig } from "./nodes_conf.ts";
import { loadConfigFile, saveConfigFile } from "./nodes_conf_io.ts";
import { type PreferredEndpoint, routeQuery, type RoutingOptions } from "./routing.ts";

/** Bus message types, for the cluster_stats_messages_* counters (bus-protocol.md §2). */
export const BUS_MESSAGE_TYPE_NAMES = [
  "ping",
  "pong",
  "meet",
  "fail",
  "publish",
  "auth-req",
  "auth-ack",
  "update",
  "mfstart",
  "module",
  "publishshard",
] as const;

export interface ClusterOpenOptions {
  /** Timer source for the supervisor actor (xstate SimulatedClock in tests). */
  clock?: Clock;
}

export interface BusStats {
  sent: number[];
  received: number[];
  linksBufferLimitExceeded: number;
}

export class Cluster {
  /** The current cluster view; replaced (never mutated) by `apply`. */
  state: ClusterState;
  readonly stats: BusStats = {
    sent: new Array(BUS_MESSAGE_TYPE_NAMES.length).fill(0),
    received: new Array(BUS_MESSAGE_TYPE_NAMES.length).fill(0),
    linksBufferLimitExceeded: 0,
  };
  /** The port the bus listens on (cluster-port, or port + 10000). */
  busPort = 0;
  private supervisor: SupervisorActor | null = null;
  private busListeners: Deno.Listener[] = [];
  private stopped = false;
  private readonly routingOpts: RoutingOptions = {
    allowReadsWhenDown: false,
    preferredEndpoint: "ip",
  };
  private readonly keyExists: (key: Uint8Array) => boolean;

  private constructor(readonly server: Server, state: ClusterState, readonly configPath: string) {
    this.state = state;
    const db = server.db;
    // LOOKUP_NOEXPIRE semantics: an expired key is missing, but is not deleted here.
    this.keyExists = (key) => {
      let k = "";
      for (let i = 0; i < key.length; i++) k += String.fromCharCode(key[i]);
      if (!db.dict.has(k)) return false;
      const when = db.expires.get(k);
      return when === undefined || when > db.now();
    };
  }

  /** clusterInit: load or create nodes.conf, listen on the bus port, start the supervisor. */
  static async open(server: Server, opts: ClusterOpenOptions = {}): Promise<Cluster> {
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
    const c = new Cluster(server, state, path);
    await c.listenBus();
    c.state = c.withAnnouncedAddress(c.state);
    c.supervisor = startSupervisor({ cron: () => c.cron(), save: () => c.trySave() }, opts.clock);
    return c;
  }

  /** The port the bus listens on: cluster-port, or the client port + 10000. */
  private listenPort(): number {
    const cp = this.server.config.getNumber("cluster-port");
    return cp !== 0 ? cp : this.server.port + CLUSTER_PORT_INCR;
  }

  private async listenBus(): Promise<void> {
    const cfg = this.server.config;
    if (cfg.getNumber("cluster-port") === 0 && this.server.port > 65535 - CLUSTER_PORT_INCR) {
      throw new Error(
        "Redis port number too high. Cluster communication port is 10,000 port numbers higher " +
          "than your Redis port. Your Redis port number must be 55535 or less.",
      );
    }
    const port = this.listenPort();
    const hosts: string[] = [];
    for (let a of cfg.getString("bind").split(/\s+/)) {
      if (a === "") continue;
      const optional = a.startsWith("-");
      if (optional) a = a.slice(1);
      if (a === "*") hosts.push("0.0.0.0");
      else if (a === "::*") {
        if (!optional) hosts.push("::");
      } else hosts.push(a);
    }
    if (hosts.length === 0) hosts.push("0.0.0.0");
    for (const hostname of hosts) {
      try {
        this.busListeners.push(Deno.listen({ hostname, port, transport: "tcp" }));
      } catch (e) {
        for (const l of this.busListeners) l.close();
        this.busListeners = [];
        throw new Error(
          `Failed listening on port ${port} (cluster), aborting. ${(e as Error).message}`,
        );
      }
    }
    this.busPort = port;
    for (const l of this.busListeners) this.acceptBus(l);
    await Promise.resolve();
  }

  /** TODO(bus): hand connections to the bus; for now accept and close them. */
  private async acceptBus(l: Deno.Listener): Promise<void> {
    try {
      for await (const conn of l) {
        try {
          conn.close();
        } catch { /* gone */ }
      }
    } catch { /* listener closed */ }
  }

  /** Myself's announced ip/ports/hostname from the config (deriveAnnouncedPorts & co). */
  private withAnnouncedAddress(s: ClusterState): ClusterState {
    const cfg = this.server.config;
    const me = myself(s);
    const port = cfg.getNumber("cluster-announce-port") || this.server.port;
    const cport = cfg.getNumber("cluster-announce-bus-port") || this.listenPort();
    const announceIp = cfg.getString("cluster-announce-ip");
    const ip = announceIp !== "" ? announceIp : me.ip;
    const hostname = cfg.getString("cluster-announce-hostname");
    if (me.port === port && me.cport === cport && me.ip === ip && me.hostname === hostname) {
      return s;
    }
    return updateNode(s, me.id, { port, cport, ip, hostname });
  }

  private updateStateOptions() {
    return {
      requireFullCoverage: this.server.config.getBool("cluster-require-full-coverage"),
      nodeTimeoutMs: this.server.config.getNumber("cluster-node-timeout"),
    };
  }

  /**
   * Install a new view after a command changed it: cluster_state is recomputed at once and the
   * config marked dirty (saved by the supervisor at the next tick).
   */
  apply(next: ClusterState, opts: { save?: boolean } = {}): void {
    // Commands are rare (admin), so the full invariant check is affordable here.
    assertInvariants(next);
    if (next.myselfId === this.state.myselfId) assertEpochsGrow(this.state, next); // not RESET HARD
    this.state = updateClusterState(next, this.server.now(), this.updateStateOptions());
    if (opts.save !== false) this.markDirty();
  }

  /** The supervisor's counters (cron ticks, saves), or null once stopped. */
  supervisorStats(): SupervisorStats | null {
    return this.supervisor?.getSnapshot().context.stats ?? null;
  }

  /** CLUSTER_TODO_SAVE_CONFIG. */
  markDirty(): void {
    this.supervisor?.send({ type: "CONFIG_CHANGED" });
  }

  /** Save nodes.conf now (CLUSTER SAVECONFIG). Throws on failure. */
  saveConfig(): void {
    saveConfigFile(this.configPath, serializeConfig(this.state));
    this.supervisor?.send({ type: "CONFIG_SAVED" });
  }

  /** The supervisor's save: false (and a log line) on failure; it retries next tick. */
  private trySave(): boolean {
    try {
      saveConfigFile(this.configPath, serializeConfig(this.state));
      return true;
    } catch (e) {
      this.server.log.warning(`Could not save the cluster config file ${this.configPath}: ${e}`);
      return false;
    }
  }

  /** One clusterCron tick (the parts that exist without the bus). */
  cron(): void {
    if (this.stopped) return;
    const now = this.server.now();
    let s = this.state;
    const announced = this.withAnnouncedAddress(s);
    if (announced !== s) {
      s = announced;
      this.markDirty();
    }
    // Handshake nodes that never completed the handshake are dropped (TODO(bus): the bus
    // completes handshakes; until then every MEET ends here).
    const handshakeTimeoutMs = Math.max(this.server.config.getNumber("cluster-node-timeout"), 1000);
    for (const n of s.nodes.values()) {
      if ((n.flags & NodeFlags.HANDSHAKE) && now - n.createdMs > handshakeTimeoutMs) {
        s = deleteNode(s, n.id);
      }
    }
    s = blacklistCleanup(s, now);
    if (s.health === "fail") s = updateClusterState(s, now, this.updateStateOptions());
    this.state = s;
  }

  /** getNodeByQuery for the dispatcher: null to serve here, else the error to reply. */
  route(client: Client, cmds: QueuedCommand[], isExec: boolean): string | null {
    const cfg = this.server.config;
    this.routingOpts.allowReadsWhenDown = cfg.getBool("cluster-allow-reads-when-down");
    this.routingOpts.preferredEndpoint = cfg.getString(
      "cluster-preferred-endpoint-type",
    ) as PreferredEndpoint;
    return routeQuery(this.state, client, cmds, isExec, this.keyExists, this.routingOpts);
  }

  /** Stop the supervisor (saving a pending change) and close the bus port. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.supervisor?.send({ type: "SHUTDOWN" });
    this.supervisor?.stop();
    this.supervisor = null;
    this.stopped = true;
    for (const l of this.busListeners) {
      try {
        l.close();
      } catch { /* closed */ }
    }
    this.busListeners = [];
    await Promise.resolve();
  }
}
