/**
 * `deno task sim`: the seed sweep. Runs `--seeds N` simulated clusters (sim/run.ts) from seed
 * `--from S` (default 1), each with its own faults, and reports every seed that broke a safety
 * property or did not converge, with the line that replays it. `--seed S` runs one seed and
 * prints its faults and the nodes' log. Exits 1 when any seed failed.
 *
 * `--scale N` instead forms one cluster of N nodes (`--masters M`, default N/2; `--node-timeout`,
 * default 15000) and prints the times, traffic and memory of sim/scale.ts (`--json` as JSON).
 *
 *   deno task sim --seeds 1000
 *   deno task sim --seed 42
 *   deno task sim --scale 1000
 */

import { parseToolArgs } from "../manager/tool_args.ts";
import { DEFAULT_RUN, runSeed } from "./run.ts";
import { DEFAULT_SCALE, formatScale, runScale } from "./scale.ts";

const USAGE = `deno task sim [--seeds N (100)] [--from S (1)] [--fault-ms MS] [--settle-ms MS]
deno task sim --seed S
deno task sim --scale N [--masters M (N/2)] [--node-timeout MS (15000)] [--traffic-ms MS (15000)]
    [--replicas-limit-ms MS (300000)] [--failover-limit-ms MS (300000)] [--seed S] [--json]
    [--phase-limit-ms MS (300000: the join, slot agreement and cluster ok must come within MS
     of the MEETs, FAIL everywhere within MS of the kill)]
    [--boot-spread-ms MS (100: the nodes start one after another over MS)]
    [--join-only (stop once every node knows every node)]`;

const { values } = parseToolArgs(
  {
    args: Deno.args,
    options: {
      help: { type: "boolean", default: false },
      seeds: { type: "string", default: "100" },
      from: { type: "string", default: "1" },
      seed: { type: "string" },
      "fault-ms": { type: "string", default: String(DEFAULT_RUN.faultMs) },
      "settle-ms": { type: "string", default: String(DEFAULT_RUN.settleMs) },
      scale: { type: "string" },
      masters: { type: "string" },
      "node-timeout": { type: "string", default: String(DEFAULT_SCALE.nodeTimeoutMs) },
      "traffic-ms": { type: "string", default: String(DEFAULT_SCALE.trafficMs) },
      "replicas-limit-ms": { type: "string", default: String(DEFAULT_SCALE.replicasLimitMs) },
      "failover-limit-ms": { type: "string", default: String(DEFAULT_SCALE.failoverLimitMs) },
      "phase-limit-ms": { type: "string", default: String(DEFAULT_SCALE.phaseLimitMs) },
      json: { type: "boolean", default: false },
      "join-only": { type: "boolean", default: false },
      "boot-spread-ms": { type: "string", default: String(DEFAULT_SCALE.bootSpreadMs) },
    },
  },
  USAGE,
);

if (values.scale !== undefined) {
  const nodes = Number(values.scale);
  const masters = values.masters !== undefined ? Number(values.masters) : Math.ceil(nodes / 2);
  if (!Number.isInteger(nodes) || nodes < 2 || !Number.isInteger(masters)) {
    console.error(`bad --scale ${values.scale} / --masters ${values.masters}`);
    Deno.exit(2);
  }
  for (
    const flag of [
      "node-timeout",
      "traffic-ms",
      "replicas-limit-ms",
      "failover-limit-ms",
      "phase-limit-ms",
      "boot-spread-ms",
    ] as const
  ) {
    const v = Number(values[flag]);
    if (!Number.isInteger(v) || v < 0) {
      console.error(`bad --${flag} ${values[flag]}: a whole number of ms, 0 or more`);
      Deno.exit(2);
    }
  }
  const scaleOpts = {
    ...DEFAULT_SCALE,
    nodes,
    masters,
    seed: values.seed !== undefined ? Number(values.seed) : DEFAULT_SCALE.seed,
    nodeTimeoutMs: Number(values["node-timeout"]),
    trafficMs: Number(values["traffic-ms"]),
    replicasLimitMs: Number(values["replicas-limit-ms"]),
    failoverLimitMs: Number(values["failover-limit-ms"]),
    phaseLimitMs: Number(values["phase-limit-ms"]),
    joinOnly: values["join-only"],
    bootSpreadMs: Number(values["boot-spread-ms"]),
    progress: values.json ? undefined : (line: string) => console.error(line),
  };
  const r = await runScale(scaleOpts);
  console.log(values.json ? JSON.stringify(r, null, 2) : formatScale(r).join("\n"));
  for (const v of r.violations) console.log(`  violation at ${v.atMs}: ${v.what}`);
  // A phase given a shorter limit than the default (--replicas-limit-ms, --failover-limit-ms,
  // --phase-limit-ms) is reported, not required; the join always is.
  const shortened = (k: "phaseLimitMs" | "replicasLimitMs" | "failoverLimitMs") =>
    scaleOpts[k] < DEFAULT_SCALE[k];
  const ok = values["join-only"]
    ? r.violations.length === 0 && r.knowAllMs >= 0
    : r.violations.length === 0 && r.knowAllMs >= 0 &&
      ((r.slotsAgreeMs >= 0 && r.healthOkMs >= 0 && r.failure.failAllMs >= 0) ||
        shortened("phaseLimitMs")) &&
      (r.okMs >= 0 || shortened("replicasLimitMs")) &&
      (r.failure.agreedMs >= 0 || shortened("failoverLimitMs"));
  Deno.exit(ok ? 0 : 1);
}

const opts = {
  ...DEFAULT_RUN,
  faultMs: Number(values["fault-ms"]),
  settleMs: Number(values["settle-ms"]),
};
const seeds = values.seed !== undefined
  ? [Number(values.seed)]
  : Array.from({ length: Number(values.seeds) }, (_, k) => Number(values.from) + k);
for (const s of seeds) {
  if (!Number.isInteger(s) || s < 0) {
    console.error(`bad seed ${s}`);
    Deno.exit(2);
  }
}

let failed = 0;
const totals = {
  votes: 0,
  promotions: 0,
  takeovers: 0,
  restarts: 0,
  failsDeclared: 0,
  simulatedMs: 0,
  maxSettledMs: 0,
};
// Operator actions that ran, by the fault lines that name them.
const operator = { setslot: 0, delAddSlots: 0, resetSoft: 0, resetHard: 0, addNode: 0 };
const t0 = performance.now();
for (const seed of seeds) {
  let r;
  try {
    r = await runSeed(seed, opts);
  } catch (e) {
    failed++;
    console.log(`seed ${seed}: FAILED with ${(e as Error).stack ?? e}`);
    console.log(`  replay: deno task sim --seed ${seed}`);
    continue;
  }
  totals.votes += r.counts.votes;
  totals.promotions += r.counts.promotions;
  totals.takeovers += r.counts.takeovers;
  totals.restarts += r.counts.restarts;
  totals.failsDeclared += r.counts.failsDeclared;
  totals.simulatedMs += r.simulatedMs;
  totals.maxSettledMs = Math.max(totals.maxSettledMs, r.settledMs);
  for (const f of r.faults) {
    if (/ SETSLOT /.test(f)) operator.setslot++;
    if (/ DELSLOTS .*: OK/.test(f)) operator.delAddSlots++;
    if (/RESET SOFT/.test(f)) operator.resetSoft++;
    if (/RESET HARD/.test(f)) operator.resetHard++;
    if (/ add-node .*(REPLICATE|empty master)/.test(f)) operator.addNode++;
  }
  const bad = r.violations.length > 0 || !r.converged;
  if (bad) failed++;
  if (bad || values.seed !== undefined) {
    console.log(
      `seed ${seed}: ${bad ? "FAILED" : "ok"}${r.converged ? "" : " (did not converge)"}`,
    );
    for (const v of r.violations) console.log(`  violation at ${v.atMs}: ${v.what}`);
    if (values.seed !== undefined) {
      console.log(`  trace ${r.trace}`);
      console.log("  faults:\n    " + r.faults.join("\n    "));
      console.log("  log tail:\n    " + r.tail.join("\n    "));
      console.log("  views at the end:\n" + r.views.join("\n"));
    }
    if (bad) console.log(`  replay: deno task sim --seed ${seed}`);
  }
}
const secs = (performance.now() - t0) / 1000;
console.log(
  `${seeds.length} seeds in ${secs.toFixed(0)} s (${(totals.simulatedMs / 1000).toFixed(0)} ` +
    `simulated s): ${totals.votes} votes, ${totals.promotions} promotions, ` +
    `${totals.takeovers} takeovers, ` +
    `${totals.restarts} restarts, ${totals.failsDeclared} FAILs declared; ` +
    `slowest convergence after the faults: ${(totals.maxSettledMs / 1000).toFixed(1)} s; ` +
    `operator: ${operator.setslot} SETSLOT moves, ${operator.delAddSlots} DELSLOTS+ADDSLOTS, ` +
    `${operator.resetSoft} RESET SOFT, ${operator.resetHard} RESET HARD, ` +
    `${operator.addNode} add-node`,
);
console.log(`sim: ${seeds.length - failed} passed, ${failed} failed`);
Deno.exit(failed > 0 ? 1 : 0);
