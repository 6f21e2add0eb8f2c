/**
 * The verdicts of redis-cli --cluster check, as pure functions over the loaded nodes: do all
 * nodes agree (same signature), which slots are open (migrating/importing) and on which node,
 * which slots no master covers.
 */

import { CLUSTER_SLOTS } from "../protocol/slot.ts";
import { slotRangeTexts } from "./format.ts";

export interface CheckedNode {
  addr: string;
  replica: boolean;
  slots: readonly number[];
  migrating: ReadonlyMap<number, string>;
  importing: ReadonlyMap<number, string>;
}

export interface CheckVerdict {
  consistent: boolean;
  /** "[WARNING] Node ip:port has slots in migrating state 1,2." lines. */
  openSlotWarnings: string[];
  openSlots: number[];
  coveredCount: number;
  uncovered: number[];
  ok: boolean;
}

export function checkVerdict(
  nodes: readonly CheckedNode[],
  signatures: readonly string[],
): CheckVerdict {
  const consistent = signatures.length > 0 && signatures.every((s) => s === signatures[0]);
  const openSlotWarnings: string[] = [];
  const open = new Set<number>();
  for (const n of nodes) {
    if (n.migrating.size > 0) {
      const slots = [...n.migrating.keys()];
      slots.forEach((s) => open.add(s));
      openSlotWarnings.push(
        `[WARNING] Node ${n.addr} has slots in migrating state ${slots.join(",")}.`,
      );
    }
    if (n.importing.size > 0) {
      const slots = [...n.importing.keys()];
      slots.forEach((s) => open.add(s));
      openSlotWarnings.push(
        `[WARNING] Node ${n.addr} has slots in importing state ${slots.join(",")}.`,
      );
    }
  }
  const covered = new Uint8Array(CLUSTER_SLOTS);
  for (const n of nodes) for (const s of n.slots) covered[s] = 1;
  const uncovered: number[] = [];
  for (let s = 0; s < CLUSTER_SLOTS; s++) if (covered[s] === 0) uncovered.push(s);
  const openSlots = [...open].sort((a, b) => a - b);
  return {
    consistent,
    openSlotWarnings,
    openSlots,
    coveredCount: CLUSTER_SLOTS - uncovered.length,
    uncovered,
    ok: consistent && openSlots.length === 0 && uncovered.length === 0,
  };
}

/** "0-5,9,12-13": a short text for a list of slots. */
export function rangesText(slots: readonly number[], limit = 20): string {
  const parts = slotRangeTexts(slots);
  if (parts.length > limit) {
    return `${parts.slice(0, limit).join(",")},... (${parts.length - limit} more ranges)`;
  }
  return parts.join(",");
}
