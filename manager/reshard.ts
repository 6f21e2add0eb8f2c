/**
 * `reshard host:port --from id[,id...]|all --to id --slots N`, as redis-cli --cluster reshard:
 * check the cluster, compute the reshard table (plan.ts), show it, confirm, then move each slot
 * with its keys (move_slot.ts).
 */

import { parseAddr } from "./address.ts";
import { intOption, UsageError } from "./args.ts";
import { loadAndCheck, loadedNodeInfo } from "./check.ts";
import { confirm } from "./confirm.ts";
import { EXIT_FAIL, EXIT_OK, type ManagerCommand } from "./command.ts";
import { computeReshardTable } from "./plan.ts";
import { runMoves } from "./slot_mover.ts";
import { closeCluster, type ClusterNode, findNode, masters } from "./topology.ts";
import { CLUSTER_SLOTS } from "../protocol/slot.ts";

export const MOVE_OPTIONS = {
  pipeline: "value",
  timeout: "value",
  replace: "flag",
  verbose: "flag",
} as const;

export const MOVE_OPTIONS_HELP =
  `  --pipeline N         keys per GETKEYSINSLOT/MIGRATE batch (default 10)
  --timeout ms         MIGRATE timeout (default 60000)
  --replace            overwrite keys that already exist on the target
  --verbose            print the whole plan and one line per slot moved`;

export const reshardCommand: ManagerCommand = {
  name: "reshard",
  synopsis:
    "reshard host:port --from id[,id...]|all --to id --slots N [--yes] [--pipeline N] [--timeout ms]",
  help: `Move N hash slots, with their keys, to one master (as redis-cli --cluster reshard).

Options:
  --from id|all        source masters: node IDs separated by commas, or all (every other master)
  --to id              the master receiving the slots
  --slots N            how many slots to move (1-16384)
  --yes                do not ask for confirmation (required when stdin is not a terminal)
${MOVE_OPTIONS_HELP}`,
  options: { from: "value", to: "value", slots: "value", yes: "flag", ...MOVE_OPTIONS },
  minPositionals: 1,
  maxPositionals: 1,
  async run(p, out) {
    const from = p.values.get("from");
    const to = p.values.get("to");
    if (from === undefined || to === undefined || !p.values.has("slots")) {
      throw new UsageError("reshard needs --from, --to and --slots");
    }
    const numSlots = intOption(p, "slots", 0, 1, CLUSTER_SLOTS);
    const pipeline = intOption(p, "pipeline", 10, 1, 100_000);
    const timeoutMs = intOption(p, "timeout", 60_000, 1, 86_400_000);
    const { cluster, ok } = await loadAndCheck(parseAddr(p.positionals[0]), out, 5000);
    try {
      if (!ok) {
        out.line("*** Please fix your cluster problems before resharding", "err");
        return EXIT_FAIL;
      }
      const target = findNode(cluster, to);
      if (target === undefined || target.replica) {
        out.line(
          `*** The specified node (${to}) is not known or not a master, please retry.`,
          "err",
        );
        return EXIT_FAIL;
      }
      let sources: ClusterNode[];
      if (from === "all") {
        sources = masters(cluster).filter((m) => m !== target && m.slots.length > 0);
      } else {
        sources = [];
        for (const id of from.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
          const n = findNode(cluster, id);
          if (n === undefined || n.replica) {
            out.line(
              `*** The specified node (${id}) is not known or is not a master, please retry.`,
              "err",
            );
            return EXIT_FAIL;
          }
          if (n === target) {
            out.line("*** It is not possible to use the target node as source node.", "err");
            return EXIT_FAIL;
          }
          if (!sources.includes(n)) sources.push(n);
        }
      }
      if (sources.length === 0) {
        out.line("*** No source nodes given, operation aborted.", "err");
        return EXIT_FAIL;
      }
      const table = computeReshardTable(sources, numSlots);
      out.line("");
      out.line(`Ready to move ${numSlots} slots.`);
      out.line("  Source nodes:");
      for (const s of sources) out.line(loadedNodeInfo(s, 4));
      out.line("  Destination node:");
      out.line(loadedNodeInfo(target, 4));
      out.line("  Resharding plan:");
      const shown = p.flags.has("verbose") ? table.length : Math.min(table.length, 20);
      for (const item of table.slice(0, shown)) {
        out.line(`    Moving slot ${item.slot} from ${item.source}`);
      }
      if (shown < table.length) {
        out.line(`    ... and ${table.length - shown} more slots (--verbose lists them all)`);
      }
      const answer = await confirm(
        out,
        "Do you want to proceed with the proposed reshard plan?",
        p.flags.has("yes"),
      );
      if (answer !== "yes") {
        if (answer === "no") out.line("*** Aborting...", "err");
        return EXIT_FAIL;
      }
      const byId = new Map(sources.map((s) => [s.id, s]));
      const moved = await runMoves(
        table.map((it) => ({ source: byId.get(it.source)!, target, slot: it.slot })),
        masters(cluster),
        out,
        {
          pipeline,
          timeoutMs,
          replace: p.flags.has("replace"),
          verbose: p.flags.has("verbose"),
          label: "Moving slots",
        },
      );
      out.line(`[OK] Moved ${moved.slots} slots (${moved.keys} keys) to ${target.addr}.`, "ok");
      return EXIT_OK;
    } finally {
      closeCluster(cluster);
    }
  },
};
