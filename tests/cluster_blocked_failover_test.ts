/**
 * A master that a manual failover turns into a replica answers its blocked clients (BLPOP,
 * XREAD BLOCK, WAIT) -UNBLOCKED and closes them, as redis-server 7.0 does: clusterSetMaster
 * calls replicationSetMaster, whose disconnectAllBlockedClients runs before any redirect (Redis
 * redirects clients blocked on keys it no longer serves from its clients cron, later). The same
 * scenario on six real redis-server nodes and on six of ours.
 */

import assert from "node:assert/strict";
import { encodeCommand, haveRedisServer, RespClient, waitFor } from "./harness.ts";
import { call, stopAll } from "./cluster_fixture.ts";
import { channelIn, type SixNodes, sixNodes } from "./pubsub_cluster_fixture.ts";
import { show } from "./compare.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** What each blocked client of M0 got when R0 took over, and whether it was then closed. */
async function scenario(cl: SixNodes): Promise<string[]> {
  const [M0] = cl.masters;
  const [R0] = cl.replicas;
  const list = channelIn("list", 0, 5460);
  const stream = channelIn("stream", 0, 5460);
  const cmds = [
    ["BLPOP", list, "0"],
    ["XREAD", "BLOCK", "0", "STREAMS", stream, "$"],
    // One replica: WAIT for two blocks.
    ["WAIT", "2", "0"],
  ];
  const clients: RespClient[] = [];
  try {
    for (const cmd of cmds) {
      const c = await RespClient.connect(M0.port);
      clients.push(c);
      await c.writeRaw(encodeCommand(cmd));
    }
    await waitFor(
      "three blocked clients on M0",
      async () => /^blocked_clients:3\r?$/m.test(String(await call(M0.port, "INFO", "clients"))),
    );
    assert.equal(await call(R0.port, "CLUSTER", "FAILOVER"), "OK");
    const out: string[] = [];
    for (let i = 0; i < cmds.length; i++) {
      const v = await clients[i].readValue(20_000);
      out.push(`${cmds[i][0]}: ${v === null ? "closed" : show(v)}, then closed ${await clients[
        i
      ].isClosed(5_000)}`);
    }
    return out;
  } finally {
    for (const c of clients) c.close();
  }
}

const UNBLOCKED =
  "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
const EXPECTED = ["BLPOP", "XREAD", "WAIT"].map((c) => `${c}: ${UNBLOCKED}, then closed true`);

Deno.test({
  name:
    "cluster: a master demoted by a manual failover unblocks its blocked clients as redis-server",
  ...opts,
  async fn() {
    for (const kind of haveRedisServer() ? ["real", "ours"] as const : ["ours"] as const) {
      const cl = await sixNodes(kind);
      try {
        assert.deepEqual(await scenario(cl), EXPECTED, kind);
      } finally {
        await stopAll(cl.procs);
      }
    }
  },
});
