/**
 * The npm clients users already have, at their current releases with default options (both
 * speak RESP3 through HELLO 3): ioredis and node-redis, against a standalone node and, in cluster
 * mode, against a one-node cluster owning every slot (SET/GET/MGET with hash tags).
 */

import assert from "node:assert/strict";
import { Cluster as RedisCluster, Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { startNode } from "./harness.ts";
import { ownAllSlots } from "./cluster_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function oneNodeCluster() {
  const node = await startNode({ "cluster-enabled": "yes" });
  await ownAllSlots(node.port);
  return node;
}

Deno.test({
  name: "ioredis (standalone): SET/GET/MGET, INCR, hashes, lists, pipelines, MULTI",
  ...opts,
  fn: async () => {
    const node = await startNode();
    const client = new Redis({ host: "127.0.0.1", port: node.port, lazyConnect: true });
    try {
      await client.connect();
      assert.equal(await client.set("a", "1"), "OK");
      assert.equal(await client.get("a"), "1");
      assert.equal(await client.incr("a"), 2);
      assert.deepEqual(await client.mget("a", "missing"), ["2", null]);
      await client.hset("h", { f1: "v1", f2: "v2" });
      assert.deepEqual(await client.hgetall("h"), { f1: "v1", f2: "v2" });
      await client.rpush("l", "x", "y", "z");
      assert.deepEqual(await client.lrange("l", 0, -1), ["x", "y", "z"]);
      const piped = await client.pipeline().set("p", "1").incr("p").get("p").exec();
      assert.deepEqual(piped, [[null, "OK"], [null, 2], [null, "2"]]);
      const tx = await client.multi().set("t", "a").append("t", "b").get("t").exec();
      assert.deepEqual(tx, [[null, "OK"], [null, 2], [null, "ab"]]);
    } finally {
      client.disconnect();
      await node.stop();
    }
  },
});

Deno.test({
  name: "node-redis (standalone, RESP3 default): SET/GET/MGET, hashes, sets, zsets",
  ...opts,
  fn: async () => {
    const node = await startNode();
    const client = createClient({ url: `redis://127.0.0.1:${node.port}` });
    client.on("error", () => {});
    try {
      await client.connect();
      assert.equal(await client.set("a", "1"), "OK");
      assert.equal(await client.get("a"), "1");
      assert.deepEqual(await client.mGet(["a", "nope"]), ["1", null]);
      await client.hSet("h", { f: "v" });
      assert.equal(await client.hGet("h", "f"), "v");
      assert.equal(await client.sAdd("s", ["m1", "m2"]), 2);
      assert.equal(await client.sCard("s"), 2);
      assert.equal(await client.zAdd("z", [{ score: 2, value: "b" }, { score: 1, value: "a" }]), 2);
      assert.deepEqual(await client.zRange("z", 0, -1), ["a", "b"]);
    } finally {
      await client.quit().catch(() => {});
      await node.stop();
    }
  },
});

Deno.test({
  name: "ioredis Cluster (RESP3 default) on a one-node cluster: SET/GET/MGET with hash tags",
  ...opts,
  fn: async () => {
    const node = await oneNodeCluster();
    const cluster = new RedisCluster([{ host: "127.0.0.1", port: node.port }], {
      lazyConnect: true,
    });
    try {
      await cluster.connect();
      assert.equal(await cluster.set("{user1}:name", "ann"), "OK");
      assert.equal(await cluster.set("{user1}:mail", "a@x"), "OK");
      assert.equal(await cluster.get("{user1}:name"), "ann");
      assert.deepEqual(await cluster.mget("{user1}:name", "{user1}:mail", "{user1}:none"), [
        "ann",
        "a@x",
        null,
      ]);
      // Keys in different slots are a CROSSSLOT error from the node, as on real Redis.
      await assert.rejects(() => cluster.mget("a", "b"), /CROSSSLOT/);
    } finally {
      cluster.disconnect();
      await node.stop();
    }
  },
});

Deno.test({
  name:
    "node-redis createCluster (RESP3 default) on a one-node cluster: SET/GET/MGET with hash tags",
  ...opts,
  fn: async () => {
    const node = await oneNodeCluster();
    const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${node.port}` }] });
    cluster.on("error", () => {});
    try {
      await cluster.connect();
      assert.equal(await cluster.set("{t}a", "1"), "OK");
      assert.equal(await cluster.set("{t}b", "2"), "OK");
      assert.equal(await cluster.get("{t}a"), "1");
      assert.deepEqual(await cluster.mGet(["{t}a", "{t}b", "{t}c"]), ["1", "2", null]);
    } finally {
      await cluster.close().catch(() => {});
      await node.stop();
    }
  },
});
