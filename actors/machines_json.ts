/**
 * The node's XState machine configs (clusterNode, nodeSupervisor, peerLink) as plain JSON, for
 * pasting into the Stately editor: `deno run -A cli.ts machines [id]`. Implementations
 * (functions) are left out; guards, actions and delays appear by name.
 */

import { nodeMachine } from "./node.ts";
import { supervisorMachine } from "./supervisor.ts";
import { linkMachine } from "./link.ts";

/** JSON.stringify replacer: machine configs without their functions (implementations). */
function withoutFunctions(_key: string, value: unknown): unknown {
  return typeof value === "function" ? undefined : value;
}

/** The node's machine configs by id, as plain JSON (for the Stately editor). */
export function machineDefinitions(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of [nodeMachine, supervisorMachine, linkMachine]) {
    out[m.config.id ?? "machine"] = JSON.parse(JSON.stringify(m.config, withoutFunctions));
  }
  return out;
}

/** `cli.ts machines [id]`: print one machine config (or all, by id) as JSON. Returns the exit code. */
export function printMachines(args: readonly string[]): number {
  const defs = machineDefinitions();
  const id = args[0];
  if (id === "--help" || id === "-h") {
    console.log(
      "Usage: deno run -A cli.ts machines [id]\n\nPrints the node's XState machine configs as " +
        `JSON (ids: ${Object.keys(defs).join(", ")}); one config when an id is given, for ` +
        "pasting into the Stately editor.",
    );
    return 0;
  }
  if (id === undefined) {
    console.log(JSON.stringify(defs, null, 2));
    return 0;
  }
  if (!(id in defs)) {
    console.error(`Unknown machine '${id}' (known: ${Object.keys(defs).join(", ")})`);
    return 2;
  }
  console.log(JSON.stringify(defs[id], null, 2));
  return 0;
}
