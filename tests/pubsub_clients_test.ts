/**
 * The npm cluster clients as Pub/Sub subscribers on a six-node cluster of ours (3 masters + 3
 * replicas), unmodified: ioredis `Cluster` (subscribe, psubscribe, and ssubscribe with its
 * `shardedSubscribers` option) and node-redis `createCluster` (subscribe, pSubscribe, sSubscribe).
 * Messages are published on every node, shard messages on the shard's replica, so they reach the
 * libraries' connections over the cluster bus. Then the shard channel's slot is migrated as
 * redis-cli --cluster reshard does: both libraries get the old owner's `sunsubscribe` push,
 * re-subscribe at the new owner (ioredis: refresh of its slots cache from a random node; node-redis:
 * rediscovery from the node that sent the push), and receive later SPUBLISH messages there.
 *
 * ioredis asks a random node for CLUSTER SLOTS when the push arrives, so every other node must
 * already know the new owner by then: the old owner is held with SIGSTOP while the target and
 * the other master take the slot and the news spreads, and released after (node timeout 20 s, so
 * the stop is not seen as a failure).
 */

import assert from "node:assert/strict";
import { Cluster as IoCluster } from "ioredis";
import { createCluster } from "redis";
import { waitFor } from "./harness.ts";
import { call, stopAll } from "./cluster_fixture.ts";
import { channelIn, DIRECTIVES, sixNodes, waitOwner } from "./pubsub_cluster_fixture.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Messages one library delivered, by kind, as "channel message" (pattern first for pmessage). */
class Inbox {
  readonly got: Record<string, string[]> = { message: [], pmessage: [], smessage: [] };
  add(kind: string, text: string): void {
    this.got[kind].push(text);
  }
  async has(kind: string, text: string, what: string): Promise<void> {
    await waitFor(`${what}: ${kind} "${text}"`, () => this.got[kind].includes(text), 20_000, 20);
  }
}

Deno.test({
  name:
    "pubsub clients: ioredis Cluster and node-redis createCluster subscribers (subscribe, psubscribe, ssubscribe) get messages from other nodes and follow a shard channel's slot migration",
  ...opts,
  async fn() {
    const cl = await sixNodes("ours", { ...DIRECTIVES, "cluster-node-timeout": "20000" });
    const [M0, M1, M2] = cl.masters;
    const [R0, R1, R2] = cl.replicas;
    const all = [M0, M1, M2, R0, R1, R2];
    const chA = channelIn("orders", 0, 5460);
    const slotA = keyHashSlotBinary(chA);
    const chC = channelIn("events", 5461, 10922);
    const io = new IoCluster([{ host: "127.0.0.1", port: M0.port }], {
      shardedSubscribers: true,
      lazyConnect: true,
    });
    io.on("error", () => {});
    const nr = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${M0.port}` }] });
    nr.on("error", () => {});
    const ioIn = new Inbox();
    const nrIn = new Inbox();
    const both = async (kind: string, text: string) => {
      await ioIn.has(kind, text, "ioredis");
      await nrIn.has(kind, text, "node-redis");
    };
    try {
      await io.connect();
      await nr.connect();
      io.on("message", (ch: string, m: string) => ioIn.add("message", `${ch} ${m}`));
      io.on(
        "pmessage",
        (p: string, ch: string, m: string) => ioIn.add("pmessage", `${p} ${ch} ${m}`),
      );
      io.on("smessage", (ch: string, m: string) => ioIn.add("smessage", `${ch} ${m}`));
      assert.equal(await io.subscribe("news"), 1);
      assert.equal(await io.psubscribe("n?ws"), 2);
      await io.ssubscribe(chA);
      await io.ssubscribe(chC);
      await nr.subscribe("news", (m, ch) => nrIn.add("message", `${ch} ${m}`));
      await nr.pSubscribe("n?ws", (m, ch) => nrIn.add("pmessage", `n?ws ${ch} ${m}`));
      await nr.sSubscribe(chA, (m, ch) => nrIn.add("smessage", `${ch} ${m}`));
      await nr.sSubscribe(chC, (m, ch) => nrIn.add("smessage", `${ch} ${m}`));
      // Each library holds its channel and pattern on one node, its shard channels at their
      // masters: a message published on any node reaches them.
      for (const [i, n] of all.entries()) {
        await call(n.port, "PUBLISH", "news", `m${i}`);
        await both("message", `news m${i}`);
        await both("pmessage", `n?ws news m${i}`);
      }
      assert.deepEqual(ioIn.got.message, all.map((_, i) => `news m${i}`));
      assert.deepEqual(nrIn.got.message, all.map((_, i) => `news m${i}`));
      assert.equal(ioIn.got.pmessage.length, all.length);
      assert.equal(nrIn.got.pmessage.length, all.length);
      for (const [ch, master] of [[chA, M0], [chC, M1]] as const) {
        assert.deepEqual(await call(master.port, "PUBSUB", "SHARDNUMSUB", ch), [ch, 2]);
      }
      // Shard messages published on the replicas reach the masters' subscribers.
      assert.equal(await call(R0.port, "SPUBLISH", chA, "a1"), 0);
      await both("smessage", `${chA} a1`);
      assert.equal(await call(R1.port, "SPUBLISH", chC, "c1"), 0);
      await both("smessage", `${chC} c1`);

      // Migrate chA's slot from M0 to M1 (no keys in it).
      const setslot = (port: number, ...args: string[]) =>
        call(port, "CLUSTER", "SETSLOT", String(slotA), ...args);
      assert.equal(await setslot(M1.port, "IMPORTING", M0.id), "OK");
      assert.equal(await setslot(M0.port, "MIGRATING", M1.id), "OK");
      const m0 = cl.procs.find((p) => p.port === M0.port)!;
      m0.child.kill("SIGSTOP");
      try {
        assert.equal(await setslot(M1.port, "NODE", M1.id), "OK");
        assert.equal(await setslot(M2.port, "NODE", M1.id), "OK");
        await waitOwner([M1, M2, R0, R1, R2].map((n) => n.port), slotA, M1.id);
      } finally {
        m0.child.kill("SIGCONT");
      }
      assert.equal(await setslot(M0.port, "NODE", M1.id), "OK");
      // The old owner told both libraries (sunsubscribe); they subscribed again at M1.
      await waitFor(
        "both libraries subscribed to the shard channel at its new owner",
        async () => {
          const r = await call(M1.port, "PUBSUB", "SHARDNUMSUB", chA) as [string, number];
          return r[1] === 2;
        },
        20_000,
        50,
      );
      assert.deepEqual(await call(M0.port, "PUBSUB", "SHARDNUMSUB", chA), [chA, 0]);
      assert.equal(await call(R1.port, "SPUBLISH", chA, "a2"), 0);
      await both("smessage", `${chA} a2`);
      // The other shard channel was not disturbed.
      assert.equal(await call(R1.port, "SPUBLISH", chC, "c2"), 0);
      await both("smessage", `${chC} c2`);
      assert.deepEqual(ioIn.got.smessage, [`${chA} a1`, `${chC} c1`, `${chA} a2`, `${chC} c2`]);
      assert.deepEqual(nrIn.got.smessage, [`${chA} a1`, `${chC} c1`, `${chA} a2`, `${chC} c2`]);
    } finally {
      io.disconnect();
      await nr.close().catch(() => {});
      await stopAll(cl.procs);
    }
  },
});
