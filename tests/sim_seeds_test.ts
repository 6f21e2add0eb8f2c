/**
 * Seeds of `deno task sim` that found a bug in the product, kept as regression tests. A seed
 * replays the same run only while sim/run.ts draws its faults the same way, so each finding is
 * also held by a scenario test that does not depend on that:
 * - 160: a power loss right after the importing node's SETSLOT NODE orphaned the slot (nobody
 *   claimed it, every other node routed it there). That save is now fsynced; scenario:
 *   sim/failover_test.ts "slot move: a power loss right after the new owner's SETSLOT NODE ...".
 */

import assert from "node:assert/strict";
import { DEFAULT_RUN, runSeed } from "../sim/run.ts";

Deno.test("sim seeds that once failed keep passing: 160", async () => {
  for (const seed of [160]) {
    const r = await runSeed(seed, DEFAULT_RUN);
    assert.deepEqual(r.violations, [], `deno task sim --seed ${seed}`);
    assert.ok(r.converged, `deno task sim --seed ${seed} did not converge`);
  }
});
