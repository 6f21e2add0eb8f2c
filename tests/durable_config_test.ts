/**
 * What a reply announces is on disk before the reply leaves (Redis saves and fsyncs nodes.conf in
 * beforeSleep, before the event loop writes replies): a node killed with SIGKILL the instant its
 * reply arrives comes back with the acknowledged state.
 *
 * - CLUSTER BUMPEPOCH: the "BUMPED <epoch>" reply names the epoch; nodes.conf holds it.
 * - CLUSTER SETSLOT <slot> NODE <myself> on an importing node bumps its configEpoch and takes the
 *   slot; both are in nodes.conf when the OK arrives.
 *
 * The kill follows the reply within a millisecond, while the cron that used to save nodes.conf
 * runs every 100 ms: without the save-before-reply these checks fail almost every time, and the
 * test repeats them on several nodes so that a broken build cannot slip through.
 * (The vote case, a FAILOVER_AUTH_ACK, is in sim/failover_test.ts.)
 */

import assert from "node:assert/strict";
import { RespClient, spawnNode } from "./harness.ts";
import { call, createCluster, myLine, nodesOf, stopAll, waitAllOk } from "./cluster_fixture.ts";

const DIRECTIVES = { "cluster-enabled": "yes", "cluster-node-timeout": "3000" };
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Myself's configEpoch and slot tokens as nodes.conf in `dir` holds them now. */
async function myselfOnDisk(dir: string): Promise<{ epoch: number; slots: string[] }> {
  const text = await Deno.readTextFile(`${dir}/nodes.conf`);
  const line = text.split("\n").find((l) => l.split(" ")[2]?.split(",").includes("myself"));
  assert.ok(line !== undefined, `no myself line in nodes.conf:\n${text}`);
  const f = line.split(" ");
  return { epoch: Number(f[6]), slots: f.slice(8) };
}

/** Send one command, wait for its reply, then SIGKILL the node before anything else happens. */
async function callThenKill(
  node: { port: number; kill(): Promise<void> },
  ...args: string[]
): Promise<unknown> {
  const c = await RespClient.connect(node.port);
  try {
    const reply = await c.call(...args);
    await node.kill();
    return reply;
  } finally {
    c.close();
  }
}

Deno.test({
  name:
    "durable config: killed right after BUMPEPOCH / SETSLOT NODE replies, a node keeps the acknowledged epoch",
  ...opts,
  fn: async () => {
    const cl = await createCluster(3, { directives: DIRECTIVES });
    try {
      // BUMPEPOCH on each node in turn: each is then not the max, so each bump is real.
      for (const i of [1, 2, 0, 1]) {
        const reply = await callThenKill(cl.nodes[i], "CLUSTER", "BUMPEPOCH") as string;
        const m = /^BUMPED (\d+)$/.exec(reply);
        assert.ok(m !== null, `node ${i}: ${reply}`);
        const acked = Number(m[1]);
        const disk = await myselfOnDisk(cl.nodes[i].dir);
        assert.ok(disk.epoch >= acked, `node ${i}: nodes.conf has epoch ${disk.epoch} < ${acked}`);
        cl.nodes[i] = await spawnNode(DIRECTIVES, { port: cl.ports[i], dir: cl.nodes[i].dir });
        assert.equal((await myLine(cl.ports[i])).epoch, disk.epoch, `node ${i} after restart`);
        await waitAllOk(cl.ports, 30_000);
      }

      // SETSLOT NODE on the importing node C (its epoch is not the max): epoch bump and slot
      // ownership, both acknowledged.
      const [pa, , pc] = cl.ports;
      const [ida, , idc] = cl.ids;
      const slot = 10; // A's, and empty
      assert.equal(await call(pc, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", ida), "OK");
      assert.equal(await call(pa, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", idc), "OK");
      const maxBefore = Math.max(...(await nodesOf(pc)).map((l) => l.epoch));
      assert.ok((await myLine(pc)).epoch < maxBefore, "C's epoch is not the max");
      assert.equal(
        await callThenKill(cl.nodes[2], "CLUSTER", "SETSLOT", String(slot), "NODE", idc),
        "OK",
      );
      const disk = await myselfOnDisk(cl.nodes[2].dir);
      assert.ok(disk.epoch > maxBefore, `nodes.conf epoch ${disk.epoch} not past ${maxBefore}`);
      assert.ok(disk.slots.includes(String(slot)), `slot ${slot} not in ${disk.slots.join(" ")}`);
      assert.ok(!disk.slots.some((s) => s.startsWith("[")), "importing state cleared on disk");
      cl.nodes[2] = await spawnNode(DIRECTIVES, { port: pc, dir: cl.nodes[2].dir });
      const me = await myLine(pc);
      assert.equal(me.epoch, disk.epoch);
      assert.ok(me.slots.includes(String(slot)), me.slots.join(" "));
    } finally {
      await stopAll(cl.nodes);
    }
  },
});

Deno.test({
  name: "durable config: a node that cannot save nodes.conf exits before it answers",
  ...opts,
  fn: async () => {
    const node = await spawnNode(DIRECTIVES);
    try {
      // The directory is gone: the temp file of the next save cannot be created.
      await Deno.remove(node.dir, { recursive: true });
      const c = await RespClient.connect(node.port);
      try {
        await assert.rejects(c.call("CLUSTER", "ADDSLOTS", "0"), /connection closed/);
      } finally {
        c.close();
      }
      assert.equal(await node.exited(), 1);
      assert.match(node.output(), /Fatal: can't update cluster config file\./);
    } finally {
      await node.kill();
    }
  },
});
