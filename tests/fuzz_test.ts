/**
 * A short run of `deno task fuzz` (fuzz/): a few thousand hostile inputs on the client port of a
 * node of ours, and on the cluster bus port of another from senders it does not know and in the
 * name of one it does; no crash, no hang of the well-behaved client, no stuck connection, and no
 * cluster-view change the sender was not entitled to.
 */

import assert from "node:assert/strict";
import { clean, DEFAULT_RUN_OPTIONS, runFuzz } from "../fuzz/run.ts";
import { reportText } from "../fuzz/report.ts";

Deno.test({
  name:
    "fuzz: 3000 client inputs and 2000 bus inputs (1500 unknown sender, 500 known) break nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const outDir = await Deno.makeTempDir({ prefix: "rc-fuzz-test-" });
    const reports = await runFuzz({
      ...DEFAULT_RUN_OPTIONS,
      seed: 20261205,
      clientInputs: 3000,
      busInputs: 2000,
      unknownPerRound: 1500,
      knownPerRound: 500,
      outDir,
      progress: () => {},
      progressEveryMs: 60000,
    });
    const text = reports.map(reportText).join("\n");
    const [client, bus] = reports;
    assert.equal(client.inputs, 3000, text);
    assert.equal(bus.inputs, 2000, text);
    assert.equal(bus.knownSenderInputs, 500, text);
    assert.ok(client.watcherAnswered > 0 && bus.watcherAnswered > 0, text);
    assert.ok(reports.every(clean), text);
    await Deno.remove(outDir, { recursive: true });
  },
});
