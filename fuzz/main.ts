/**
 * `deno task fuzz`: feed nodes of ours hostile input on the client port and the cluster bus
 * port, and report inputs, time, peak RSS, crashes, hangs and cluster-view violations.
 *
 *   deno task fuzz [--seed N] [--client N] [--bus N] [--concurrency N] [--hang-ms MS]
 *                  [--max-seconds S] [--node-root DIR] [--out DIR]
 *
 * Defaults: a random seed (printed), 1,000,000 inputs each way. `--max-seconds` (or ^C) stops
 * taking inputs and reports what ran. Each campaign's report is printed when it ends; crashes,
 * hangs and view violations also as they happen. Exit status 1 if anything was found. A run
 * with the same seed sends the same inputs (fuzz/inputs.ts).
 */

import { parseArgs } from "node:util";
import { clean, DEFAULT_RUN_OPTIONS, runFuzz } from "./run.ts";
import { type CampaignReport, reportText } from "./report.ts";

function num(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  const n = Number(v.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${what}: not a count: ${v}`);
  return n;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string" },
      client: { type: "string" },
      bus: { type: "string" },
      concurrency: { type: "string" },
      "hang-ms": { type: "string" },
      "max-seconds": { type: "string" },
      "node-root": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(
      "deno task fuzz [--seed N] [--client N] [--bus N] [--concurrency N] [--hang-ms MS] [--max-seconds S] [--node-root DIR] [--out DIR]",
    );
    Deno.exit(0);
  }
  const d = DEFAULT_RUN_OPTIONS;
  const seed = num(values.seed, Math.floor(Math.random() * 0x7fffffff), "seed");
  const outDir = values.out ?? await Deno.makeTempDir({ prefix: "rc-fuzz-out-" });
  const maxSeconds = num(values["max-seconds"], 0, "max-seconds");
  let stopAtMs = maxSeconds > 0 ? Date.now() + maxSeconds * 1000 : Infinity;
  Deno.addSignalListener("SIGINT", () => {
    if (stopAtMs === 0) Deno.exit(130);
    console.log("fuzz: stopping (^C again to quit at once)");
    stopAtMs = 0;
  });
  const opts = {
    ...d,
    seed,
    clientInputs: num(values.client, d.clientInputs, "client"),
    busInputs: num(values.bus, d.busInputs, "bus"),
    concurrency: Math.max(1, num(values.concurrency, d.concurrency, "concurrency")),
    hangMs: num(values["hang-ms"], d.hangMs, "hang-ms"),
    nodeRoot: values["node-root"],
    outDir,
    progress: (line: string) => console.log(`${new Date().toISOString()} ${line}`),
    stopRequested: () => Date.now() >= stopAtMs,
    onReport: (r: CampaignReport) =>
      console.log(`${new Date().toISOString()} done:\n${reportText(r)}`),
  };
  console.log(
    `fuzz: seed ${seed}, ${opts.clientInputs} client inputs, ${opts.busInputs} bus inputs, ` +
      `concurrency ${opts.concurrency}, hang bound ${opts.hangMs} ms, crash inputs to ${outDir}`,
  );
  const t0 = Date.now();
  const reports = await runFuzz(opts);
  console.log(`\nfuzz: seed ${seed}, wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const r of reports) console.log(reportText(r));
  if (reports.some((r) => r.inputs < (r.name === "client" ? opts.clientInputs : opts.busInputs))) {
    console.log("fuzz: stopped before every input was sent (--max-seconds or ^C)");
  }
  Deno.exit(reports.every(clean) ? 0 : 1);
}
