/**
 * A cluster node's follow-along log (cluster/view_log.ts) from its very start: a change made
 * before the node's first cron tick is logged too. `redis-cli --cluster create` sends ADDSLOTS
 * within milliseconds of a fresh node answering PING, often before that tick; the line
 * "Slots 0-5460 now served by myself ..." was then missing (seen once in `tests/start_test.ts`).
 */

import assert from "node:assert/strict";
import { startNode, waitFor } from "./harness.ts";

const enc = new TextEncoder();
const argv = (...words: string[]) => words.map((w) => enc.encode(w));

Deno.test("cluster log: slots added before the first cron tick get their line", async () => {
  const node = await startNode({ "cluster-enabled": "yes" });
  const c = node.server.newClient("127.0.0.1:1001", "127.0.0.1:0");
  try {
    const s = node.server.cluster;
    assert.ok(s !== null);
    // Right after start(): the first 100 ms tick has not run yet (the ADDSLOTS waits only for
    // the CLUSTER command's module to load), so that tick compares the start's view with this one.
    await node.server.dispatchCommand(c, argv("CLUSTER", "ADDSLOTSRANGE", "0", "5460"));
    const myself = s.bus.state.myselfId;
    assert.equal(s.bus.state.slotOwner.get(0), myself);
    const line = new RegExp(`Slots 0-5460 now served by myself ${myself} `);
    // 50 ticks: the first one logs it.
    await waitFor(
      `"Slots 0-5460 now served by myself" in the node's log`,
      () => node.server.log.recent.some((l) => line.test(l)),
      5_000,
      20,
    );
  } finally {
    node.server.removeClient(c);
    await node.stop();
  }
});
