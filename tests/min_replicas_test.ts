/**
 * `min-replicas-to-write` / `min-replicas-max-lag` against real redis-server 7.0.15: our master
 * and a real master, each with one real replica, go through the same steps and answer the same
 * commands byte for byte (RESP2 and RESP3): writes, reads, MULTI/EXEC, EVAL with and without
 * flags, INFO's `min_slaves_good_slaves`.
 * - enough good replicas: writes run;
 * - more replicas asked for than connected: writes are refused with -NOREPLICAS;
 * - the replica stops acknowledging (SIGSTOP) past the lag: refused; it resumes: writes run;
 * - the replica goes away: refused at once.
 * Skipped without redis-server.
 */

import assert from "node:assert/strict";
import {
  haveRedisServer,
  RespClient,
  type SpawnedProcess,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";
import { callBoth, type Cmd, cmdText, show } from "./compare.ts";

const HAVE_REDIS = haveRedisServer();

const SCRIPT: Cmd[] = [
  ["SET", "k", "v"],
  ["GET", "k"],
  ["INCR", "n"],
  ["DEL", "k"],
  ["EXPIRE", "n", "100"],
  ["PING"],
  ["MULTI"],
  ["SET", "k", "2"],
  ["GET", "k"],
  ["EXEC"],
  ["MULTI"],
  ["GET", "k"],
  ["EXEC"],
  ["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "k"],
  ["EVAL", "return redis.pcall('set', KEYS[1], 'x')", "1", "k"],
  ["EVAL", "redis.call('get', KEYS[1]); return redis.call('incr', KEYS[1])", "1", "n"],
  ["EVAL", "#!lua\nreturn redis.call('set', KEYS[1], 'y')", "1", "k"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1", "k"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
  ["FLUSHALL"],
  ["GET", "k"],
];

/** The `min_slaves_good_slaves` line of INFO replication, or "-" when absent. */
async function goodLine(c: RespClient): Promise<string> {
  const info = String(await c.call("INFO", "replication"));
  return info.split("\r\n").find((l) => l.startsWith("min_slaves_good_slaves:")) ?? "-";
}

async function bothRun(a: RespClient, b: RespClient, step: string): Promise<string[]> {
  const seen: string[] = [];
  for (const proto of ["2", "3"]) {
    await callBoth(a, b, ["HELLO", proto]);
    for (const c of SCRIPT) {
      const [ra, rb] = await callBoth(a, b, c);
      assert.equal(show(ra), show(rb), `${step}, RESP${proto}: ${cmdText(c)}`);
      seen.push(show(rb));
    }
  }
  await callBoth(a, b, ["HELLO", "2"]);
  assert.equal(await goodLine(a), await goodLine(b), `${step}: INFO min_slaves_good_slaves`);
  return seen;
}

Deno.test({
  name: "min-replicas: NOREPLICAS as redis-server, by replica count and ACK lag",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const ours = await startNode();
    const real = await spawnRedis();
    const replicas: SpawnedProcess[] = [];
    const a = await RespClient.connect(ours.port);
    const b = await RespClient.connect(real.port);
    try {
      for (const m of [ours.port, real.port]) {
        replicas.push(await spawnRedis({ replicaof: `127.0.0.1 ${m}` }));
      }
      const online = async (c: RespClient) =>
        String(await c.call("INFO", "replication")).includes("state=online");
      await waitFor("both replicas online", async () => await online(a) && await online(b));

      // Not set: no INFO line, writes run.
      assert.equal(await goodLine(a), "-");
      for (const c of [a, b]) {
        assert.equal(await c.call("CONFIG", "SET", "min-replicas-to-write", "1"), "OK");
        // Redis counts the lag in whole seconds since the last REPLCONF ACK (sent every second):
        // 3 s keeps a live replica good while a loaded machine delays an ACK or a cron run.
        assert.equal(await c.call("CONFIG", "SET", "min-replicas-max-lag", "3"), "OK");
      }
      let seen = await bothRun(a, b, "one good replica, one wanted");
      assert.ok(!seen.some((x) => x.includes("NOREPLICAS")), seen.join("\n"));
      assert.equal(await goodLine(a), "min_slaves_good_slaves:1");

      for (const c of [a, b]) {
        assert.equal(await c.call("CONFIG", "SET", "min-replicas-to-write", "2"), "OK");
      }
      seen = await bothRun(a, b, "one good replica, two wanted");
      assert.ok(seen.includes(`-NOREPLICAS Not enough good replicas to write.`), seen.join("\n"));

      // The replicas stop acknowledging: past the 3 s lag they are no longer good.
      for (const c of [a, b]) {
        assert.equal(await c.call("CONFIG", "SET", "min-replicas-to-write", "1"), "OK");
      }
      for (const r of replicas) r.child.kill("SIGSTOP");
      try {
        await waitFor("both masters refuse writes", async () => {
          const x = show(await a.callRaw("SET", "lag", "1"));
          const y = show(await b.callRaw("SET", "lag", "1"));
          return x.startsWith("-NOREPLICAS") && y.startsWith("-NOREPLICAS");
        }, 30_000);
        await bothRun(a, b, "replica silent past the lag");
      } finally {
        for (const r of replicas) r.child.kill("SIGCONT");
      }
      await waitFor("both masters take writes again", async () => {
        const x = show(await a.callRaw("SET", "lag", "1"));
        const y = show(await b.callRaw("SET", "lag", "1"));
        return x === "+OK" && y === "+OK";
      }, 15_000);
      await bothRun(a, b, "replica acknowledging again");

      // The replica goes away: refused at once (its link is freed).
      for (const r of replicas.splice(0)) await r.stop();
      await waitFor(
        "both masters lost their replica",
        async () => !(await online(a)) && !(await online(b)),
      );
      seen = await bothRun(a, b, "no replica");
      assert.ok(seen.includes(`-NOREPLICAS Not enough good replicas to write.`));
      assert.equal(await goodLine(a), "min_slaves_good_slaves:0");
    } finally {
      a.close();
      b.close();
      for (const r of replicas) {
        r.child.kill("SIGCONT");
        await r.stop();
      }
      await ours.stop();
      await real.stop();
    }
  },
});
