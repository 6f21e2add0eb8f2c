/**
 * Running a list of slot moves (reshard and rebalance) with progress: a bar on a terminal,
 * plain lines when piped, and with `verbose` one "Moving slot ..." line per slot as redis-cli
 * prints them.
 */

import type { Out } from "./format.ts";
import { type MoveOptions, moveSlot } from "./move_slot.ts";
import { Progress } from "./progress.ts";
import { type ClusterNode, ManagerError } from "./topology.ts";

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
  let done = 0;
  // Ctrl-C finishes the slot being moved (so no slot is left open), then stops; a second
  // Ctrl-C exits at once.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) Deno.exit(130);
    interrupted = true;
    out.write("\nInterrupted: finishing the current slot (Ctrl-C again to quit now)...\n");
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    for (const m of moves) {
      if (interrupted) {
        throw new ManagerError(
          `*** Interrupted after moving ${done} of ${moves.length} slots; no slot is left open.`,
        );
      }
      if (opts.verbose && !out.tty) {
        out.line(`Moving slot ${m.slot} from ${m.source.addr} to ${m.target.addr}: `);
      }
      let moved: number;
      try {
        moved = await moveSlot(m.source, m.target, m.slot, allMasters, {
          ...opts,
          onKeys: (n) => progress.addKeys(n),
        });
      } catch (e) {
        throw new ManagerError(
          `${
            (e as Error).message
          }\n*** Moving slot ${m.slot} from ${m.source.addr} to ${m.target.addr} ` +
            `failed after ${done} of ${moves.length} slots. The slot may be left open (migrating/importing): ` +
            "see `cli.ts check`, and close it with CLUSTER SETSLOT <slot> STABLE or redis-cli --cluster fix.",
        );
      }
      keys += moved;
      done++;
      progress.add(1, 0);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    progress.finish();
  }
  return { slots: moves.length, keys };
}
