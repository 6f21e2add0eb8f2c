/**
 * CLUSTER RESET on a replica, against real redis-server 7.0.15 (cluster.c clusterReset): the
 * replica turns into an empty master at once (replicationUnsetMaster, emptyData), forgets the
 * other nodes, and a master with keys refuses the reset. The same steps run on two real
 * redis-servers and on two of our nodes; the observations must be equal. And CLUSTER SHARDS on a
 * replica reports its own replication offset (replicationGetSlaveOffset), "online" once synced,
 * as Redis's addNodeDetailsToShardReply does. Skipped without redis-server.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode, waitFor } from "./harness.ts";
import type { Plain } from "../protocol/resp_value.ts";

const CLUSTER = { "cluster-enabled": "yes", "cluster-node-timeout": "3000" };

/** A RESP2 flat array of names and values as a map. */
function fields(v: Plain): Map<string, Plain> {
  const out = new Map<string, Plain>();
  const a = v as Plain[];
  for (let i = 0; i + 1 < a.length; i += 2) out.set(String(a[i]), a[i + 1]);
  return out;
}

/** What a replica says of itself in CLUSTER SHARDS, and its INFO offset, in one MULTI. */
async function ownShardEntry(c: RespClient, id: string) {
  assert.equal(await c.call("MULTI"), "OK");
  assert.equal(await c.call("CLUSTER", "SHARDS"), "QUEUED");
  assert.equal(await c.call("INFO", "replication"), "QUEUED");
  const [shards, info] = await c.call("EXEC") as Plain[];
  const infoOffset = Number(/slave_repl_offset:(\d+)/.exec(String(info))![1]);
  for (const shard of shards as Plain[]) {
    for (const node of fields(shard).get("nodes") as Plain[]) {
      const f = fields(node);
      if (f.get("id") !== id) continue;
      return {
        role: String(f.get("role")),
        offset: Number(f.get("replication-offset")),
        health: String(f.get("health")),
        infoOffset,
      };
    }
  }
  throw new Error(`${id} not in CLUSTER SHARDS`);
}

const text = (v: Plain) => v instanceof Error ? v.message : v;

/** Two nodes (master with every slot, its replica), a key written and replicated; then RESET. */
async function scenario(master: RespClient, replica: RespClient, masterPort: number) {
  const id = async (c: RespClient) => String(await c.call("CLUSTER", "MYID"));
  const [mid, rid] = [await id(master), await id(replica)];
  assert.equal(await replica.call("CLUSTER", "MEET", "127.0.0.1", String(masterPort)), "OK");
  assert.equal(await master.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"), "OK");
  await waitFor("the replica knows the master", async () => {
    const t = String(await replica.call("CLUSTER", "NODES"));
    return t.includes(mid) && !t.includes("handshake");
  }, 20_000);
  assert.equal(await replica.call("CLUSTER", "REPLICATE", mid), "OK");
  await waitFor("cluster_state:ok on the master", async () => {
    return String(await master.call("CLUSTER", "INFO")).includes("cluster_state:ok");
  }, 20_000);
  assert.equal(await master.call("SET", "foo", "bar"), "OK");
  await waitFor("the key reached the replica, in sync", async () => {
    const info = String(await replica.call("INFO", "replication"));
    return info.includes("master_link_status:up") && await replica.call("DBSIZE") === 1;
  }, 20_000);
  let own = await ownShardEntry(replica, rid);
  await waitFor("the replica's own SHARDS entry is online", async () => {
    own = await ownShardEntry(replica, rid);
    return own.health === "online";
  }, 20_000);
  const shards = {
    role: own.role,
    health: own.health,
    ownOffsetIsInfoOffset: own.offset === own.infoOffset,
    positive: own.offset > 0,
  };
  const masterRefuses = text(await master.call("CLUSTER", "RESET"));
  const reset = text(await replica.call("CLUSTER", "RESET", "SOFT"));
  const role = (await replica.call("ROLE") as unknown[])[0];
  const dbsize = await replica.call("DBSIZE");
  const nodes = String(await replica.call("CLUSTER", "NODES")).trim().split("\n").length;
  const info = String(await replica.call("INFO", "replication"));
  return { shards, masterRefuses, reset, role, dbsize, nodes, roleLine: /role:\w+/.exec(info)![0] };
}

Deno.test({
  name:
    "cluster reset: a replica becomes an empty master, and SHARDS shows its own offset, as Redis",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const r1 = await spawnRedis(CLUSTER);
    const r2 = await spawnRedis(CLUSTER);
    const o1 = await startNode(CLUSTER);
    const o2 = await startNode(CLUSTER);
    const clients: RespClient[] = [];
    const conn = async (p: number) => {
      const c = await RespClient.connect(p);
      clients.push(c);
      return c;
    };
    try {
      const real = await scenario(await conn(r1.port), await conn(r2.port), r1.port);
      const ours = await scenario(await conn(o1.port), await conn(o2.port), o1.port);
      assert.deepEqual(real.shards, {
        role: "replica",
        health: "online",
        ownOffsetIsInfoOffset: true,
        positive: true,
      });
      assert.equal(real.dbsize, 0);
      assert.deepEqual(ours, real);
    } finally {
      for (const c of clients) c.close();
      await o1.stop();
      await o2.stop();
      await r1.stop();
      await r2.stop();
    }
  },
});
