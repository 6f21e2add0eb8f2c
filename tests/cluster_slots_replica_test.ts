/**
 * CLUSTER SLOTS leaves out a replica whose replication offset is still 0 (Redis 7.0
 * isReplicaAvailable: it has not finished its first sync, so clients must not read from it),
 * on its master and on itself, and lists it once it has processed the first write. The same
 * two-node scenario on redis-server and on ours. The master's replication PING is pushed back
 * (repl-ping-replica-period 3600) so that only the write moves the offset.
 */

import assert from "node:assert/strict";
import { haveRedisServer, type SpawnedProcess, spawnNode, spawnRedis, waitFor } from "./harness.ts";
import { call, nodesOf, stopAll } from "./cluster_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const DIRECTIVES = {
  "cluster-enabled": "yes",
  "cluster-node-timeout": "5000",
  "repl-ping-replica-period": "3600",
};

/** The ports CLUSTER SLOTS lists for the one slot range, master first. */
async function slotPorts(port: number): Promise<number[]> {
  const slots = await call(port, "CLUSTER", "SLOTS") as [number, number, ...[string, number][]][];
  assert.equal(slots.length, 1);
  return slots[0].slice(2).map((n) => Number((n as [string, number])[1]));
}

async function scenario(kind: "real" | "ours"): Promise<string[]> {
  const procs: SpawnedProcess[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      procs.push(await (kind === "real" ? spawnRedis(DIRECTIVES) : spawnNode(DIRECTIVES)));
    }
    const [a, b] = procs.map((p) => p.port);
    assert.equal(await call(a, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"), "OK");
    const aId = await call(a, "CLUSTER", "MYID") as string;
    assert.equal(await call(b, "CLUSTER", "MEET", "127.0.0.1", String(a)), "OK");
    await waitFor("b knows a", async () => (await nodesOf(b)).some((l) => l.id === aId));
    assert.equal(await call(b, "CLUSTER", "REPLICATE", aId), "OK");
    await waitFor(
      "b synced with a, and a knows it as its replica",
      async () =>
        /master_link_status:up/.test(String(await call(b, "INFO", "replication"))) &&
        (await nodesOf(a)).some((l) => l.master === aId),
    );
    const out: string[] = [];
    const show = async (when: string) => {
      const onA = await slotPorts(a);
      const onB = await slotPorts(b);
      out.push(`${when}: on the master ${onA.length} node(s), on the replica ${onB.length}`);
      assert.equal(onA[0], a);
    };
    await show("synced, offset 0");
    await waitFor(
      "cluster_state:ok on the master",
      async () => String(await call(a, "CLUSTER", "INFO")).startsWith("cluster_state:ok"),
    );
    assert.equal(await call(a, "SET", "k", "v"), "OK");
    await waitFor(
      "the replica is listed everywhere",
      async () => (await slotPorts(a)).length === 2 && (await slotPorts(b)).length === 2,
    );
    await show("after a write");
    return out;
  } finally {
    await stopAll(procs);
  }
}

const EXPECTED = [
  "synced, offset 0: on the master 1 node(s), on the replica 1",
  "after a write: on the master 2 node(s), on the replica 2",
];

Deno.test({
  name: "cluster: CLUSTER SLOTS lists a replica once its offset is not 0, as redis-server",
  ...opts,
  async fn() {
    if (haveRedisServer()) assert.deepEqual(await scenario("real"), EXPECTED, "redis-server");
    assert.deepEqual(await scenario("ours"), EXPECTED, "ours");
  },
});
