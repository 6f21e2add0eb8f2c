/**
 * A whole fuzzing run: the client campaign and the bus campaign side by side (each on its own
 * nodes and ports of one reserved block), and their reports.
 */

import { freePortBlock } from "../tests/ports.ts";
import { busCampaign, type BusCampaignOptions } from "./bus_campaign.ts";
import { clientCampaign } from "./client_campaign.ts";
import type { CampaignReport } from "./report.ts";

export type RunOptions = Omit<BusCampaignOptions, "inputs"> & {
  clientInputs: number;
  busInputs: number;
  /** Called with each campaign's report as soon as it is done. */
  onReport?: (r: CampaignReport) => void;
};

/** Ports: client target, bus A, bus B, then ports where nothing listens. */
const BLOCK_PORTS = 8;

export const DEFAULT_RUN_OPTIONS: Omit<RunOptions, "seed" | "outDir" | "progress"> = {
  clientInputs: 1_000_000,
  busInputs: 1_000_000,
  concurrency: 8,
  hangMs: 5000,
  sessionTimeoutMs: 10000,
  progressEveryMs: 10000,
  unknownPerRound: 2500,
  knownPerRound: 2500,
  checkEvery: 500,
  maxViewNodes: 40,
};

export async function runFuzz(o: RunOptions): Promise<CampaignReport[]> {
  const base = freePortBlock(BLOCK_PORTS);
  const runs: Promise<CampaignReport>[] = [];
  const done = (r: CampaignReport) => {
    o.onReport?.(r);
    return r;
  };
  if (o.clientInputs > 0) {
    runs.push(clientCampaign(base, { ...o, inputs: o.clientInputs }).then(done));
  }
  if (o.busInputs > 0) {
    const dead = Array.from({ length: BLOCK_PORTS - 3 }, (_, i) => base + 3 + i);
    runs.push(
      busCampaign({ a: base + 1, b: base + 2, dead }, { ...o, inputs: o.busInputs }).then(done),
    );
  }
  return await Promise.all(runs);
}

/** True when a report shows nothing wrong. */
export function clean(r: CampaignReport): boolean {
  return r.crashes.length === 0 && r.hangs.length === 0 && r.viewViolations.length === 0 &&
    r.stuckSessions.length === 0;
}
