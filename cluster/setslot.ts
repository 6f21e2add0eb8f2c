/**
 * CLUSTER SETSLOT <slot> IMPORTING|MIGRATING|STABLE|NODE as a pure function of the view (Redis
 * 7.0's clusterCommand "setslot" branch): the checks with Redis's error texts, the new view, and
 * what the caller must do with it: save (fsynced after an epoch bump, a role change or an
 * import: see the end of `setSlot`), broadcast
 * a PONG (the new owner of an imported slot tells everyone at once), log.
 *
 * The command handler (commands/cluster.ts) and the simulator's operator (sim/world.ts) both run
 * it, so the simulator moves slots exactly as a node does.
 */

import { setMyMaster } from "./bus_node_ops.ts";
import {
  bumpEpoch,
  type ClusterNode,
  type ClusterState,
  isReplica,
  lookupNode,
  myself,
  NodeFlags,
  reassignSlots,
  setImporting,
  setMigrating,
} from "./state.ts";

export type SetSlotAction =
  | { kind: "migrating"; nodeId: string }
  | { kind: "importing"; nodeId: string }
  | { kind: "stable" }
  | { kind: "node"; nodeId: string };

export interface SetSlotOptions {
  /** Keys this node holds in the slot (countkeysinslot). */
  keysInSlot: number;
  /** cluster-allow-replica-migration: a master losing its last slot follows the new owner. */
  allowReplicaMigration: boolean;
}

export interface SetSlotResult {
  state: ClusterState;
  /** CLUSTER_TODO_FSYNC_CONFIG: an epoch bump or a role change. */
  fsync: boolean;
  /** clusterBroadcastPong(CLUSTER_BROADCAST_ALL) after the save. */
  broadcastPong: boolean;
  logs: { level: "warning" | "notice"; text: string }[];
}

/**
 * The master SETSLOT names, or Redis's error: `unknown` for an id it does not know (MIGRATING and
 * IMPORTING say "I don't know about node", NODE says "Unknown node").
 */
function targetMaster(s: ClusterState, id: string, unknown: string): ClusterNode | {
  error: string;
} {
  const n = lookupNode(s, id);
  if (n === undefined) return { error: `${unknown} ${id}` };
  if (isReplica(n)) return { error: "ERR Target node is not a master" };
  return n;
}

/** Apply SETSLOT on `s` (myself must be a master: the caller checks, as Redis does first). */
export function setSlot(
  s: ClusterState,
  slot: number,
  action: SetSlotAction,
  opts: SetSlotOptions,
): SetSlotResult | { error: string } {
  const me = myself(s);
  const logs: SetSlotResult["logs"] = [];
  let broadcastPong = false;
  let bumped = false;
  let gained = false;
  switch (action.kind) {
    case "migrating": {
      if (s.slotOwner.get(slot) !== me.id) {
        return { error: `ERR I'm not the owner of hash slot ${slot}` };
      }
      const n = targetMaster(s, action.nodeId, "ERR I don't know about node");
      if ("error" in n) return n;
      s = setMigrating(s, slot, n.id);
      break;
    }
    case "importing": {
      if (s.slotOwner.get(slot) === me.id) {
        return { error: `ERR I'm already the owner of hash slot ${slot}` };
      }
      const n = targetMaster(s, action.nodeId, "ERR I don't know about node");
      if ("error" in n) return n;
      s = setImporting(s, slot, n.id);
      break;
    }
    case "stable":
      s = setMigrating(setImporting(s, slot, null), slot, null);
      break;
    case "node": {
      const n = targetMaster(s, action.nodeId, "ERR Unknown node");
      if ("error" in n) return n;
      const keys = opts.keysInSlot;
      if (s.slotOwner.get(slot) === me.id && n.id !== me.id && keys !== 0) {
        return {
          error: `ERR Can't assign hashslot ${slot} to a different node while I still hold ` +
            `keys for this hash slot.`,
        };
      }
      if (keys === 0 && s.migratingSlotsTo.has(slot)) s = setMigrating(s, slot, null);
      const wasMine = s.slotOwner.get(slot) === me.id;
      // clusterDelSlot + clusterAddSlot of a slot `n` already serves change nothing (redis-cli
      // reshard sends SETSLOT NODE twice to source and target), unless it is n's only slot:
      // re-adding a first slot can set MIGRATE_TO (clusterNodeSetSlotBit), so that case goes
      // through reassignSlots. Skipping it spares two bitmap copies and their interning.
      const unchanged = s.slotOwner.get(slot) === n.id &&
        (n.numSlots > 1 || (n.flags & NodeFlags.MIGRATE_TO) !== 0);
      if (!unchanged) s = reassignSlots(s, n.id, [slot]);
      if (
        wasMine && n.id !== me.id && myself(s).numSlots === 0 && opts.allowReplicaMigration
      ) {
        logs.push({
          level: "warning",
          text: `Configuration change detected. Reconfiguring myself as a replica of ${n.id}`,
        });
        s = setMyMaster(s, n.id);
      }
      if (n.id === me.id && s.importingSlotsFrom.has(slot)) {
        // The slot was migrated by hand: a new configEpoch lets the change win everywhere.
        const b = bumpEpoch(s);
        s = b.state;
        bumped = b.bumped;
        if (b.bumped) {
          logs.push({ level: "notice", text: `configEpoch updated after importing slot ${slot}` });
        }
        s = setImporting(s, slot, null);
        broadcastPong = true;
        gained = true;
      }
      break;
    }
  }
  return {
    state: s,
    // Redis fsyncs for an epoch bump or a role change. A slot this node takes by an import is
    // fsynced too, bump or not: after a power loss right after the OK the other nodes would
    // still route the slot here while this node no longer claims it, and nobody would serve it
    // until an operator repairs it (the simulator found this: `deno task sim --seed 160`).
    fsync: bumped || myself(s).masterId !== me.masterId || gained,
    broadcastPong,
    logs,
  };
}
