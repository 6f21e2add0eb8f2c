/**
 * After the dataset is loaded at start, the slot table must agree with the keys a master holds
 * (Redis 7.0 verifyClusterConfigWithData): a slot this master has keys for, that it neither owns
 * nor imports, is claimed when nobody owns it, or set importing from its owner otherwise, so
 * the keys stay reachable and `redis-cli --cluster fix` can finish the move. A replica depends
 * on its master's stream and is left alone. Pure.
 */

import { type ClusterState, isReplica, myself, updateSlots } from "./state.ts";

export interface DataCheck {
  state: ClusterState;
  /** Redis's warnings, one per slot fixed. */
  logs: string[];
}

export function verifyConfigWithData(s: ClusterState, slotsWithKeys: number[]): DataCheck {
  const logs: string[] = [];
  if (isReplica(myself(s))) return { state: s, logs };
  let state = s;
  let importing: Map<number, string> | null = null;
  for (const j of slotsWithKeys) {
    const owner = state.slotOwner.get(j);
    if (owner === s.myselfId || state.importingSlotsFrom.has(j)) continue;
    if (owner === null) {
      logs.push(`I have keys for unassigned slot ${j}. Taking responsibility for it.`);
      state = updateSlots(state, [j], false);
    } else {
      logs.push(
        `I have keys for slot ${j}, but the slot is assigned to another node. Setting it to importing state.`,
      );
      importing ??= new Map(state.importingSlotsFrom);
      importing.set(j, owner);
    }
  }
  if (importing !== null) state = { ...state, importingSlotsFrom: importing };
  return { state, logs };
}
