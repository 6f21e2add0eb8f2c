/**
 * `rebalance host:port [--use-empty-masters] [--threshold t] [--weight id=w ...]`, as
 * redis-cli --cluster rebalance: check the cluster, compute the plan (plan.ts), and move the
 * slots, each source giving its lowest slots first.
 */

import { parseAddr } from "./address.ts";
import { intOption, numberOption, UsageError } from "./args.ts";
import { loadAndCheck } from "./check.ts";
import { confirm } from "./confirm.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { computeReshardTable, planRebalance } from "./plan.ts";
import { MOVE_OPTIONS, MOVE_OPTIONS_HELP } from "./reshard.ts";
import { runMoves, type SlotMove } from "./slot_mover.ts";
import { closeCluster, type ClusterNode, findNode, masters } from "./topology.ts";

export const rebalanceCommand: ManagerCommand = {
  name: "rebalance",
  synopsis: "rebalance host:port [--use-empty-masters] [--threshold t] [--weight id=w ...] [--yes]",
  help:
    `Even out the slots across masters (as redis-cli --cluster rebalance). Each master should hold
16384 * weight / total weight slots; nothing moves unless some master is off by more than the
threshold percentage.

Options:
  --use-empty-masters  let masters without slots take part (to fill newly added masters)
  --threshold t        percentage off balance that triggers moves (default 2)
  --weight id=w        weight of a master (repeatable; default 1; 0 empties it)
  --simulate           print the moves, change nothing
  --yes                do not ask for confirmation (required when stdin is not a terminal)
${MOVE_OPTIONS_HELP}`,
  options: {
    "use-empty-masters": "flag",
    threshold: "value",
    weight: "multi",
    simulate: "flag",
    yes: "flag",
    ...MOVE_OPTIONS,
  },
  minPositionals: 1,
  maxPositionals: 1,
  async run(p, out) {
    const thresholdPct = numberOption(p, "threshold", 2, 0);
    const pipeline = intOption(p, "pipeline", 10, 1, 100_000);
    const timeoutMs = intOption(p, "timeout", 60_000, 1, 86_400_000);
    const weightArgs = (p.multi.get("weight") ?? []).map((w) => {
      const eq = w.indexOf("=");
      const weight = Number(w.slice(eq + 1));
      if (eq <= 0 || !Number.isFinite(weight) || weight < 0) {
        throw new UsageError(`Bad --weight '${w}': expected id=weight`);
      }
      return { id: w.slice(0, eq), weight };
    });
    const { cluster, ok } = await loadAndCheck(parseAddr(p.positionals[0]), out, 5000);
    try {
      if (!ok) {
        out.line("*** Please fix your cluster problems before rebalancing", "err");
        return EXIT_FAIL;
      }
      const weights = new Map<ClusterNode, number>();
      for (const w of weightArgs) {
        const n = findNode(cluster, w.id);
        if (n === undefined || n.replica) {
          out.line(`*** No such master node ${w.id}`, "err");
          return EXIT_FAIL;
        }
        weights.set(n, w.weight);
      }
      const ms = masters(cluster);
      const plan = planRebalance(
        ms.map((m) => ({ id: m.id, slotsCount: m.slots.length, weight: weights.get(m) ?? 1 })),
        { useEmptyMasters: p.flags.has("use-empty-masters"), thresholdPct },
      );
      if (plan.kind === "balanced") {
        out.line(
          `*** No rebalancing needed! All nodes are within the ${
            thresholdPct.toFixed(2)
          }% threshold.`,
          "warn",
        );
        return EXIT_OK;
      }
      out.line(
        `>>> Rebalancing across ${plan.nodesInvolved} nodes. Total weight = ${
          plan.totalWeight.toFixed(2)
        }`,
        "info",
      );
      const byId = new Map(ms.map((m) => [m.id, m]));
      const total = plan.moves.reduce((n, m) => n + m.count, 0);
      for (const m of plan.moves) {
        out.line(
          `Moving ${m.count} slots from ${byId.get(m.from)!.addr} to ${byId.get(m.to)!.addr}`,
        );
      }
      if (p.flags.has("simulate")) {
        out.line(`[OK] Simulation only: ${total} slots would move.`, "ok");
        return EXIT_OK;
      }
      const answer = await confirm(out, `Move ${total} slots as above?`, p.flags.has("yes"));
      if (answer !== "yes") {
        if (answer === "no") out.line("*** Aborting...", "err");
        return EXIT_FAIL;
      }
      // Tables are computed per move against the current slots (a node may give to several).
      let slots = 0, keys = 0;
      for (const m of plan.moves) {
        const src = byId.get(m.from)!, dst = byId.get(m.to)!;
        const table = computeReshardTable([{ id: src.id, slots: src.slots }], m.count);
        if (table.length !== m.count) {
          throw new Error("Assertion failed: reshard table != number of slots");
        }
        const moves: SlotMove[] = table.map((t) => ({ source: src, target: dst, slot: t.slot }));
        const r = await runMoves(moves, ms, out, {
          pipeline,
          timeoutMs,
          replace: p.flags.has("replace"),
          verbose: p.flags.has("verbose"),
          label: `${src.addr} -> ${dst.addr}`,
        });
        slots += r.slots;
        keys += r.keys;
      }
      out.line(`[OK] Rebalanced: moved ${slots} slots (${keys} keys).`, "ok");
      return EXIT_OK;
    } finally {
      closeCluster(cluster);
    }
  },
};
