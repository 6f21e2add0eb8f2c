/** What a fuzzing campaign found and how it ran, and its text form (pure). */

import type { Hang } from "./watcher.ts";

export interface Crash {
  port: number;
  exitCode: number;
  /** Indexes of the inputs in flight when the node was found gone. */
  inputs: number[];
  /** The node's last output. */
  tail: string;
  /** File with the inputs' bytes (for replay), if written. */
  savedTo: string;
}

export interface CampaignReport {
  name: "client" | "bus";
  inputs: number;
  sessions: number;
  elapsedMs: number;
  /** Fresh nodes started (including the first). */
  starts: number;
  peakRssKb: number;
  crashes: Crash[];
  hangs: Hang[];
  /** Sessions the node had not closed within the session time limit after our half-close. */
  stuckSessions: number[];
  /** Well-behaved requests answered during the run, and the slowest. */
  watcherAnswered: number;
  watcherMaxReplyMs: number;
  /** Cluster view changes a sender may not make (bus only). */
  viewViolations: string[];
  /** Inputs sent as a known sender (bus only). */
  knownSenderInputs: number;
}

export function emptyReport(name: "client" | "bus"): CampaignReport {
  return {
    name,
    inputs: 0,
    sessions: 0,
    elapsedMs: 0,
    starts: 0,
    peakRssKb: 0,
    crashes: [],
    hangs: [],
    stuckSessions: [],
    watcherAnswered: 0,
    watcherMaxReplyMs: 0,
    viewViolations: [],
    knownSenderInputs: 0,
  };
}

export function reportText(r: CampaignReport): string {
  const secs = r.elapsedMs / 1000;
  const lines = [
    `${r.name}: ${r.inputs} inputs in ${r.sessions} sessions, ${secs.toFixed(1)} s ` +
    `(${Math.round(r.inputs / Math.max(secs, 0.001))}/s), ${r.starts} node starts` +
    (r.name === "bus" ? `, ${r.knownSenderInputs} from a known sender` : ""),
    `  peak RSS of the target nodes: ${(r.peakRssKb / 1024).toFixed(1)} MiB`,
    `  crashes: ${r.crashes.length}, hangs: ${r.hangs.length}, stuck sessions: ${r.stuckSessions.length}` +
    (r.name === "bus" ? `, view violations: ${r.viewViolations.length}` : ""),
    `  well-behaved client: ${r.watcherAnswered} replies, slowest ${r.watcherMaxReplyMs} ms`,
  ];
  for (const c of r.crashes.slice(0, 5)) {
    lines.push(
      `  crash on port ${c.port} (exit ${c.exitCode}), inputs ${
        c.inputs.join(",")
      } saved to ${c.savedTo}`,
    );
    lines.push(c.tail.split("\n").slice(-15).map((l) => `    | ${l}`).join("\n"));
  }
  for (const h of r.hangs.slice(0, 5)) lines.push(`  hang on port ${h.port}: ${h.what}`);
  for (const v of r.viewViolations.slice(0, 10)) {
    lines.push(`  view: ${v.length > 300 ? `${v.slice(0, 300)}...` : v}`);
  }
  if (r.stuckSessions.length > 0) {
    lines.push(`  stuck sessions from inputs ${r.stuckSessions.slice(0, 10).join(",")}`);
  }
  return lines.join("\n");
}
