/**
 * Redis Cluster request routing: Redis 7.0's getNodeByQuery + clusterRedirectClient as a pure
 * function over the cluster view, the client's ASKING/READONLY flags, the commands (a single one,
 * or every queued command for EXEC) and a key-exists callback (for open slots).
 *
 * Order of checks, as in Redis: the first key's slot must be assigned ("Hash slot not served"),
 * all keys must share one slot (CROSSSLOT, so before any ownership check), then the cluster
 * state (CLUSTERDOWN, reads allowed with cluster-allow-reads-when-down), then MIGRATE's
 * exemption, migrating slot (ASK / TRYAGAIN), importing slot with ASKING, replica READONLY reads,
 * and finally MOVED when another node owns the slot.
 *
 * Returns null when this node serves the request, else the exact error text (no leading '-').
 */

import { keyHashSlot, keyHashSlotBinary } from "../protocol/slot.ts";
import { bytesEqual } from "../protocol/bytes.ts";
import { keyIndices } from "../server/dispatch.ts";
import type { QueuedCommand } from "../server/client.ts";
import * as E from "../commands/errors.ts";
import { type ClusterNode, type ClusterState, isReplica } from "./state.ts";
import type { KeyPositions, RoutingClient } from "./cluster_port.ts";

export type PreferredEndpoint = "ip" | "hostname" | "unknown-endpoint";

export interface RoutingOptions {
  allowReadsWhenDown: boolean;
  /** cluster-allow-pubsubshard-when-down: shard channels are served while the cluster is down. */
  allowPubsubShardWhenDown: boolean;
  preferredEndpoint: PreferredEndpoint;
  /**
   * Redirect to the plaintext port (pport) when the node has one: tls-cluster is on and the
   * client is not on TLS (clusterRedirectClient's use_pport).
   */
  usePport?: boolean;
}

/** The client port to show for `n`: its plaintext port when `usePport` and it has one. */
export function clientPort(n: ClusterNode, usePport: boolean | undefined): number {
  return usePport && n.pport !== 0 ? n.pport : n.port;
}

/** getPreferredEndpoint: the host part of MOVED/ASK and of CLUSTER SHARDS "endpoint". */
export function preferredEndpoint(n: ClusterNode, type: PreferredEndpoint): string {
  if (type === "ip") return n.ip;
  if (type === "hostname") return n.hostname !== "" ? n.hostname : "?";
  return "";
}

function redirect(
  kind: "MOVED" | "ASK",
  slot: number,
  n: ClusterNode,
  opts: RoutingOptions,
): string {
  return `${kind} ${slot} ${preferredEndpoint(n, opts.preferredEndpoint)}:${
    clientPort(n, opts.usePport)
  }`;
}

/**
 * getNodeByQuery. `cmds` holds one command, or for EXEC (`isExec`) the queued commands; `keyExists`
 * must not expire, touch or count (LOOKUP_NOTOUCH|NOSTATS|NONOTIFY|NOEXPIRE semantics: a
 * logically expired key counts as missing).
 */
export function routeQuery(
  s: ClusterState,
  client: RoutingClient,
  cmds: readonly QueuedCommand[],
  isExec: boolean,
  keyExists: (key: Uint8Array) => boolean,
  opts: RoutingOptions,
): string | null {
  let firstKey: Uint8Array | null = null;
  let slot = 0;
  let owner: string | null = null;
  let migrating = false;
  let importing = false;
  let multipleKeys = false;
  let missing = 0;
  let existing = 0;
  let execHasWrite = false;
  // Shard channels (SSUBSCRIBE & co) route like keys, with the differences below.
  let pubsubShard = false;

  for (let i = 0; i < cmds.length; i++) {
    const { def, argv } = cmds[i];
    if (isExec && def.flags.includes("write")) execHasWrite = true;
    if (def.firstKey === 0 && def.getKeys === undefined) continue;
    if (def.flags.includes("pubsub")) pubsubShard = true;
    const positions = def.routingKeys !== undefined ? def.routingKeys(argv) : keyIndices(def, argv);
    for (let j = 0; j < positions.length; j++) {
      const key = argv[positions[j]];
      const thisSlot = keyHashSlot(key);
      if (firstKey === null) {
        firstKey = key;
        slot = thisSlot;
        owner = s.slotOwner.get(slot);
        if (owner === null) return E.CLUSTERDOWN_UNBOUND;
        if (owner === s.myselfId && s.migratingSlotsTo.has(slot)) migrating = true;
        else if (s.importingSlotsFrom.has(slot)) importing = true;
      } else {
        if (thisSlot !== slot) return E.CROSSSLOT;
        if (importing && !multipleKeys && !bytesEqual(firstKey, key)) multipleKeys = true;
      }
      // A shard channel is served by the slot's owner until the migration ends.
      if ((migrating || importing) && !pubsubShard) {
        if (keyExists(key)) existing++;
        else missing++;
      }
    }
  }
  // No key at all: served here, whatever the state.
  if (owner === null) return null;

  const top = isExec ? null : cmds[0];
  const topIsWrite = top !== null && top.def.flags.includes("write");
  if (s.health !== "ok") {
    if (pubsubShard) {
      if (!opts.allowPubsubShardWhenDown) return E.CLUSTERDOWN;
    } else if (!opts.allowReadsWhenDown) return E.CLUSTERDOWN;
    // Like Redis, the flags of the command itself decide (EXEC's own flags are not "write").
    else if (topIsWrite) return E.CLUSTERDOWN_RO;
  }

  // MIGRATE always runs locally while the slot is open.
  if ((migrating || importing) && top !== null && top.fullname === "migrate") return null;

  if (migrating && missing > 0) {
    if (existing > 0) return E.TRYAGAIN;
    const target = s.nodes.get(s.migratingSlotsTo.get(slot)!)!;
    return redirect("ASK", slot, target, opts);
  }

  if (importing && (client.asking || (top !== null && top.def.flags.includes("asking")))) {
    if (multipleKeys && missing > 0) return E.TRYAGAIN;
    return null;
  }

  const me = s.nodes.get(s.myselfId)!;
  const isWrite = topIsWrite || execHasWrite;
  if (
    (client.readonlyMode || pubsubShard) && !isWrite && isReplica(me) && me.masterId === owner
  ) return null;

  if (owner !== s.myselfId) return redirect("MOVED", slot, s.nodes.get(owner)!, opts);
  return null;
}

/**
 * The common case of getNodeByQuery, decided without building its inputs: one command (not EXEC)
 * whose keys sit at fixed positions (no key finder), all in one slot that myself owns and that is
 * neither migrating nor importing, while the cluster is ok. True means `routeQuery` would answer
 * null (served here) for any client; false means nothing: ask `routeQuery`.
 */
export function servedHere(
  s: ClusterState,
  def: KeyPositions,
  argv: readonly Uint8Array[],
): boolean {
  if (s.health !== "ok" || def.getKeys !== undefined) return false;
  if (def.firstKey === 0) return true;
  const last = def.lastKey < 0 ? argv.length + def.lastKey : def.lastKey;
  let slot = -1;
  for (let i = def.firstKey; i <= last && i < argv.length; i += def.step) {
    const keySlot = keyHashSlot(argv[i]);
    if (slot === -1) slot = keySlot;
    else if (keySlot !== slot) return false;
  }
  if (slot === -1) return true;
  return s.slotOwner.get(slot) === s.myselfId &&
    (s.migratingSlotsTo.size === 0 || !s.migratingSlotsTo.has(slot)) &&
    (s.importingSlotsFrom.size === 0 || !s.importingSlotsFrom.has(slot));
}

/**
 * clusterRedirectBlockedClientIfNeeded: the error a client blocked on `key` (a binary string;
 * all of a client's keys share its slot) must get now, or null while this node may keep it
 * waiting: CLUSTERDOWN when the cluster is down, "Hash slot not served" for an unassigned slot,
 * MOVED when another node owns the slot and this node is not importing it. `readonlyRead`: a
 * READONLY client in a read command, which a replica of the slot's owner keeps.
 */
export function blockedClientRedirect(
  s: ClusterState,
  key: string,
  readonlyRead: boolean,
  opts: RoutingOptions,
): string | null {
  if (s.health !== "ok") return E.CLUSTERDOWN;
  const slot = keyHashSlotBinary(key);
  let owner = s.slotOwner.get(slot);
  const me = s.nodes.get(s.myselfId)!;
  if (readonlyRead && isReplica(me) && me.masterId === owner) owner = s.myselfId;
  if (owner === s.myselfId || s.importingSlotsFrom.has(slot)) return null;
  if (owner === null) return E.CLUSTERDOWN_UNBOUND;
  return redirect("MOVED", slot, s.nodes.get(owner)!, opts);
}
