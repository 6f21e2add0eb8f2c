/**
 * Without a cluster, PUBLISH and SPUBLISH reach a replica's subscribers through the replication
 * stream (Redis's forceCommandPropagation(c, PROPAGATE_REPL)), in both directions of a mixed pair
 * (our master with a real redis-server replica, and the other way round), and never go to the AOF.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode, tempDir, waitFor } from "./harness.ts";
import { show } from "./compare.ts";

async function linkUp(replica: RespClient): Promise<boolean> {
  const info = String(await replica.call("INFO", "replication"));
  return info.includes("master_link_status:up");
}

/** Subscribe on the replica, publish on the master, read the frames the subscriber got. */
async function publishThrough(masterPort: number, replicaPort: number): Promise<string[]> {
  const sub = await RespClient.connect(replicaPort);
  const pub = await RespClient.connect(masterPort);
  try {
    await sub.call("SUBSCRIBE", "news");
    await sub.callRaw("SSUBSCRIBE", "shard");
    const counts = [
      show(await pub.callRaw("PUBLISH", "news", "hello")),
      show(await pub.callRaw("SPUBLISH", "shard", "s-hello")),
    ];
    const got = [show((await sub.readValue())!), show((await sub.readValue())!)];
    return [...counts, ...got];
  } finally {
    sub.close();
    pub.close();
  }
}

Deno.test("pubsub: PUBLISH and SPUBLISH reach a replica's subscribers, mixed with redis-server", async () => {
  if (!haveRedisServer()) return;
  const expected = [
    ":0",
    ":0",
    `[$"message",$"news",$"hello"]`,
    `[$"smessage",$"shard",$"s-hello"]`,
  ];
  // Our master, a real replica.
  const ours = await startNode({ appendonly: "yes", dir: await tempDir("pubsub-aof") });
  const redis = await spawnRedis({ replicaof: `127.0.0.1 ${ours.port}` });
  const r = await RespClient.connect(redis.port);
  try {
    await waitFor("real replica linked", () => linkUp(r));
    assert.deepEqual(await publishThrough(ours.port, redis.port), expected);
    // Never in the AOF (PROPAGATE_REPL only).
    const aofDir = `${ours.server.config.getString("dir")}/appendonlydir`;
    for (const f of Deno.readDirSync(aofDir)) {
      if (!f.name.endsWith(".incr.aof")) continue;
      const text = new TextDecoder().decode(Deno.readFileSync(`${aofDir}/${f.name}`));
      assert.ok(!/publish/i.test(text), `PUBLISH reached the AOF: ${f.name}`);
    }
  } finally {
    r.close();
    await redis.stop();
    await ours.stop();
  }
  // A real master, our replica.
  const master = await spawnRedis();
  const replica = await startNode({ replicaof: `127.0.0.1 ${master.port}` });
  const rr = await RespClient.connect(replica.port);
  try {
    await waitFor("our replica linked", () => linkUp(rr));
    assert.deepEqual(await publishThrough(master.port, replica.port), expected);
  } finally {
    rr.close();
    await replica.stop();
    await master.stop();
  }
});
