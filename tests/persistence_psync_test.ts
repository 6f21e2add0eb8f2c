/**
 * A replica restarted from its own RDB file continues with a partial resync (+CONTINUE) when its
 * master's backlog still covers it, as Redis 7 does: the file records the master's replication
 * id and offset (aux fields repl-id / repl-offset), and the replica offers them in PSYNC.
 * Checked with our master and with a real redis-server master.
 */

import assert from "node:assert/strict";
import { RespClient, type SpawnedProcess, spawnNode, spawnRedis, waitFor } from "./harness.ts";
import { infoField } from "./rdb_helpers.ts";

const info = (c: RespClient, section: string, field: string) => infoField(c, field, section);

async function caughtUp(master: RespClient, replica: RespClient): Promise<void> {
  await waitFor("the replica to catch up", async () => {
    const m = await info(master, "replication", "master_repl_offset");
    return await info(replica, "replication", "master_link_status") === "up" &&
      await info(replica, "replication", "slave_repl_offset") === m;
  }, 20_000);
}

async function restartResumes(master: SpawnedProcess): Promise<void> {
  const mc = await RespClient.connect(master.port);
  let replica = await spawnNode({ save: "3600 1", replicaof: `127.0.0.1 ${master.port}` });
  const dir = replica.dir;
  let rc = await RespClient.connect(replica.port);
  try {
    for (let i = 0; i < 100; i++) await mc.call("SET", `key:${i}`, `v${i}`);
    await caughtUp(mc, rc);
    assert.equal(await info(mc, "stats", "sync_full"), "1");
    rc.close();
    // SIGTERM: the replica saves its dataset with its master's id and offset, then exits.
    assert.equal(await replica.stop(), 0);
    for (let i = 100; i < 150; i++) await mc.call("SET", `key:${i}`, `v${i}`);

    replica = await spawnNode({ save: "3600 1", replicaof: `127.0.0.1 ${master.port}` }, { dir });
    rc = await RespClient.connect(replica.port);
    await caughtUp(mc, rc);
    assert.equal(await info(mc, "stats", "sync_partial_ok"), "1", replica.output());
    assert.equal(await info(mc, "stats", "sync_full"), "1");
    assert.match(replica.output(), /Successful partial resynchronization with master/);
    assert.equal(await rc.call("DBSIZE"), 150);
    assert.equal(await rc.call("GET", "key:149"), "v149");
    assert.equal(await rc.call("GET", "key:0"), "v0");
  } finally {
    rc.close();
    mc.close();
    await replica.stop();
  }
}

Deno.test("psync after restart: our replica restarted from its RDB continues from our master's backlog", async () => {
  const master = await spawnNode({ save: "" });
  try {
    await restartResumes(master);
  } finally {
    await master.stop();
  }
});

Deno.test("psync after restart: our replica restarted from its RDB continues from redis-server's backlog", async () => {
  const master = await spawnRedis({ save: "" });
  try {
    await restartResumes(master);
  } finally {
    await master.stop();
  }
});
