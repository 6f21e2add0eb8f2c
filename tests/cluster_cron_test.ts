/**
 * The cluster cron runs in the server's cron (server/cron_clock.ts), as Redis runs clusterCron
 * from serverCron: the supervisor's next tick waits on the server's cron clock, not on a timer
 * (a wakeup) of its own.
 */

import assert from "node:assert/strict";
import { startNode, waitFor } from "./harness.ts";

Deno.test("cluster cron: the supervisor ticks on the server's cron clock, also under DEBUG PAUSE-CRON", async () => {
  const node = await startNode({ "cluster-enabled": "yes" });
  try {
    const { server } = node;
    const bus = server.cluster!.bus;
    const ticks = () => bus.supervisorStats()!.ticks;
    // The supervisor's cron ticker's timer is the one pending on the server's cron clock.
    assert.equal(server.cronClock.size, 1);
    const t0 = ticks();
    await waitFor("three cluster cron ticks", () => ticks() >= t0 + 3, 10_000, 20);
    assert.equal(server.cronClock.size, 1, "each tick re-arms one timer");
    // DEBUG PAUSE-CRON pauses serverCron's own work (active expiry, save points, AOF), not the
    // cluster's timers.
    server.debugKnobs.pauseCron = true;
    const t1 = ticks();
    await waitFor("ticks while paused", () => ticks() >= t1 + 3, 10_000, 20);
  } finally {
    node.server.debugKnobs.pauseCron = false;
    await node.stop();
  }
});
