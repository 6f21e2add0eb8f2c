/**
 * A cluster node's follow-along log (cluster/view_log.ts) from its very start: a change made
 * before the node's first cron tick is logged too. `redis-cli --cluster create` sends ADDSLOTS
 * within milliseconds of a fresh node answering PING, often before that tick; the line
 * "Slots 0-5460 now served by myself ..." was then missing (seen once in `tests/start_test.ts`).
 */

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startNode } from "./harness.ts";

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
    const deadline = Date.now() + 5_000; // 50 ticks
    while (!node.server.log.recent.some((l) => line.test(l)) && Date.now() < deadline) {
      await sleep(20);
    }
    assert.ok(
      node.server.log.recent.some((l) => line.test(l)),
      `no slot line within 5 s:\n${node.server.log.recent.join("")}`,
    );
  } finally {
    node.server.removeClient(c);
    await node.stop();
  }
});
