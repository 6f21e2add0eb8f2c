/**
 * Shared types of the pure cluster-bus rules (Redis 7.0.15, docs/cluster-bus.md §5-§7): the `BusEffect`
 * union the engine executes, the configuration every rule needs (`BusConfig`), and the small
 * accumulator the rules write effects into.
 *
 * The rule modules (bus_header_build.ts, bus_receive.ts, failure_detection.ts, epochs.ts,
 * bus_cron.ts) never touch sockets, clocks, files or `Math.random`: they take a `ClusterState`,
 * the time and a seeded `Prng`, and return a new state plus a list of effects, in the order
 * Redis would perform them. The engine (actors + network) executes the effects in order.
 *
 * Effect semantics (what the engine must do):
 * - `reply`: send `message` on the link the received packet came in on (PONG to PING/MEET).
 * - `send`: send `message` on the OUTBOUND link of node `to`; if there is none, drop it (Redis's
 *   clusterSendUpdate with a NULL link) — optionally log at debug level.
 * - `broadcast`: send `message` on the outbound link of every node of the returned state except
 *   myself and HANDSHAKE nodes; nodes without a link are skipped (clusterBroadcastMessage).
 *   `broadcastTargetIds(state)` lists the candidates.
 * - `connect`: open an outbound link to node `nodeId` at its ip:cport (state has them). When
 *   connected, call `outboundLinkConnected` (bus_header_build.ts) and send the message it returns;
 *   when the connect fails, call `connectFailed`. Ignore if a link (or a connect) already exists.
 * - `closeLink`: close node `nodeId`'s outbound link, if any (it is re-created by a later tick).
 * - `closeThisLink`: close the link the received packet came in on (after the other effects).
 * - `bindInboundLink`: tie the inbound link the packet came in on to node `nodeId`.
 * - `renameNode`: a handshake node got its real name: re-key everything the engine holds for
 *   `from` (its outbound link, stats) to `to`.
 * - `nodeRemoved`: the node left the state (handshake expiry, duplicate handshake node): close its
 *   outbound and inbound links.
 * - `saveConfig`: write nodes.conf (`fsync` true: fsync it). At most one per call, at the end.
 * - `replicate`: myself is now a replica of `masterId` (or its address changed): point
 *   replication at that node's ip:port (replicationSetMaster).
 * - `deleteKeysInSlots`: delete every key in these slots (slots this master lost, §7.4 C).
 * - `deliver`: a message for another subsystem (PUBLISH, PUBLISHSHARD, FAILOVER_AUTH_REQUEST,
 *   FAILOVER_AUTH_ACK, MFSTART, MODULE) from known sender `senderId`; epochs were already applied.
 * - `log`: a Redis-like log line (`level` as Redis's: debug < verbose < notice < warning).
 */

import type { BusMessage } from "../protocol/bus.ts";

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

export type BusEffect =
  | { kind: "reply"; message: BusMessage }
  | { kind: "send"; to: string; message: BusMessage }
  | { kind: "broadcast"; message: BusMessage }
  | { kind: "connect"; nodeId: string }
  | { kind: "closeLink"; nodeId: string }
  | { kind: "closeThisLink" }
  | { kind: "bindInboundLink"; nodeId: string }
  | { kind: "renameNode"; from: string; to: string }
  | { kind: "nodeRemoved"; nodeId: string }
  | { kind: "saveConfig"; fsync: boolean }
  | { kind: "replicate"; masterId: string }
  | { kind: "deleteKeysInSlots"; slots: number[] }
  | { kind: "deliver"; senderId: string; message: BusMessage }
  | { kind: "log"; level: LogLevel; text: string };

/** Configuration every rule needs (from the server config; the engine passes it each call). */
export interface BusConfig {
  /** cluster-node-timeout. */
  nodeTimeoutMs: number;
  /** cluster-announce-ip, "" when not set (header `myip`; own IP is then never learned). */
  announcedIp: string;
  /** cluster-require-full-coverage (cluster_state). */
  requireFullCoverage: boolean;
  /** cluster-allow-replica-migration (§7.4 A). */
  allowReplicaMigration: boolean;
  /** Replication offset to put in headers (master_repl_offset, or a replica's processed offset). */
  replOffset?: number;
  /** A master during a manual failover sets PAUSED on every message (§4.2). */
  paused?: boolean;
}

/** What every rule returns. */
export interface BusResult<S> {
  state: S;
  effects: BusEffect[];
}

/**
 * Collects effects plus Redis's "before sleep" todo flags (save config, fsync, update state), so
 * that a whole call ends with at most one state update and one `saveConfig` effect, like
 * clusterBeforeSleep.
 */
export class EffectSink<E extends { kind: string } = BusEffect> {
  readonly effects: E[] = [];
  saveConfig = false;
  fsyncConfig = false;
  updateState = false;

  push(e: E): void {
    this.effects.push(e);
  }

  log(level: LogLevel, text: string): void {
    // Every effect union used with a sink includes BusEffect's `log`.
    this.effects.push({ kind: "log", level, text } as unknown as E);
  }

  /** clusterDoBeforeSleep(SAVE_CONFIG [| FSYNC_CONFIG] [| UPDATE_STATE]). */
  todo(save: boolean, update: boolean, fsync = false): void {
    if (save) this.saveConfig = true;
    if (fsync) this.fsyncConfig = true;
    if (update) this.updateState = true;
  }
}
