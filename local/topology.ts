/**
 * The text `deno task start` prints once the cluster is up: one line per node (masters first,
 * each followed by its replicas) with role, slots, short id and log file, then how to connect,
 * follow the logs, watch a node in the XState visualizer, stop and start fresh. Pure.
 */

import type { NodeLine } from "../manager/nodes_text.ts";
import { slotRangeTexts } from "../manager/format.ts";
import type { LocalNode } from "./options.ts";
import { DEFAULT_INSPECT_PORT } from "../actors/inspect_args.ts";

/** The line the launcher prints when the cluster serves (scripts and tests wait for it). */
export const READY_PREFIX = "Cluster ready:";

function addrOf(l: NodeLine): string {
  return `${l.ip || "127.0.0.1"}:${l.port}`;
}

/** Masters (by first slot) each followed by their replicas; nodes of neither kind last. */
export function orderNodes(lines: readonly NodeLine[]): NodeLine[] {
  const masters = lines.filter((l) => l.master).sort((a, b) =>
    (a.slots[0] ?? 1e9) - (b.slots[0] ?? 1e9) || a.port - b.port
  );
  const out: NodeLine[] = [];
  const placed = new Set<string>();
  for (const m of masters) {
    out.push(m);
    placed.add(m.id);
    for (const r of lines.filter((l) => l.replica && l.masterId === m.id)) {
      out.push(r);
      placed.add(r.id);
    }
  }
  for (const l of lines) if (!placed.has(l.id)) out.push(l);
  return out;
}

export function topologyText(
  lines: readonly NodeLine[],
  locals: readonly LocalNode[],
  basePort: number,
  logsGlob: string,
  inspectPort: number | null = null,
): string {
  const byId = new Map(lines.map((l) => [l.id, l]));
  const logOf = new Map(locals.map((n) => [n.port, n.shownLogPath]));
  const masters = lines.filter((l) => l.master).length;
  const replicas = lines.filter((l) => l.replica).length;
  const slots = lines.reduce((s, l) => s + (l.master ? l.slots.length : 0), 0);
  const rows = orderNodes(lines).map((l) => {
    const addr = addrOf(l);
    let role: string;
    if (l.master) role = `master   slots ${slotRangeTexts(l.slots).join(",") || "-"}`;
    else if (l.replica) {
      const m = l.masterId !== null ? byId.get(l.masterId) : undefined;
      role = `replica  of ${m !== undefined ? addrOf(m) : (l.masterId ?? "?").slice(0, 8)}`;
    } else role = l.flags.join(",");
    const bad = l.flags.filter((f) => f === "fail" || f === "fail?" || f === "handshake");
    return `  ${addr.padEnd(16)} ${role.padEnd(30)} id ${l.id.slice(0, 8)}  log ${
      logOf.get(l.port) ?? "-"
    }${bad.length > 0 ? `  (${bad.join(",")})` : ""}`;
  });
  return [
    `${READY_PREFIX} ${masters} masters, ${replicas} replicas, ${slots} slots assigned, ` +
    `cluster_state:ok`,
    ...rows,
    "",
    `Connect:   redis-cli -c -p ${basePort}`,
    `Check:     redis-cli --cluster check 127.0.0.1:${basePort}`,
    `Logs:      tail -f ${logsGlob}`,
    inspectPort !== null
      ? `Visualize: open http://127.0.0.1:${DEFAULT_INSPECT_PORT} (actors of the node on port ${inspectPort})`
      : `Visualize: add --inspect ${basePort} to watch that node's actors (README: "Watch a node live")`,
    "Stop:      Ctrl-C stops every node; the same command brings this cluster back.",
  ].join("\n");
}
