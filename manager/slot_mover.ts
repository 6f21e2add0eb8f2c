/**
 * Running a list of slot moves (reshard and rebalance) with progress: a bar on a terminal,
 * plain lines when piped, and with `verbose` one "Moving slot ..." line per slot as redis-cli
 * prints them.
 */

import type { Out } from "./format.ts";
import { type MoveOptions, moveSlot } from "./move_slot.ts";
import { Progress } from "./progress.ts";
import type { ClusterNode } from "./topology.ts";

export interface SlotMove {
  source: ClusterNode;
  target: ClusterNode;
  slot: number;
}

export async function runMoves(
  moves: readonly SlotMove[],
  allMasters: readonly ClusterNode[],
  out: Out,
  opts: Omit<MoveOptions, "onKeys"> & { verbose: boolean; label: string },
): Promise<{ slots: number; keys: number }> {
  const progress = new Progress(out, opts.label, moves.length);
  let keys = 0;
  try {
    for (const m of moves) {
      if (opts.verbose && !out.tty) out.line(`Moving slot ${m.slot} from ${m.source.addr} to ${m.target.addr}: `);
      const moved = await moveSlot(m.source, m.target, m.slot, allMasters, {
        ...opts,
        onKeys: (n) => progress.addKeys(n),
      });
      keys += moved;
      progress.add(1, 0);
    }
  } finally {
    progress.finish();
  }
  return { slots: moves.length, keys };
}
