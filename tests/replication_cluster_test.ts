/**
 * Replication inside a real cluster of our nodes (six cli.ts processes made with `redis-cli
 * --cluster create --cluster-replicas 1`, `cluster-node-timeout 5000`), one cluster shared by
 * three steps:
 * 1. 100,000 SETs through an ioredis Cluster client (auto-pipelined; 5-10 s on a 2-CPU machine;
 *    env `REPL_CLUSTER_KEYS=<n>` changes the count). Every replica
 *    catches up (`slave_repl_offset` == its master's `master_repl_offset`), its DBSIZE equals its
 *    master's and DEBUG DIGEST-VALUE of ~200 sampled keys per master equals the master's; a raw
 *    connection to a replica answers MOVED to the master until it sends READONLY, then GET
 *    returns the values.
 * 2. `kill -9` of a replica while writes run, restart on the same port and dir: it resyncs to an
 *    identical dataset (DBSIZE + DEBUG DIGEST). The resync time and whether it was full or
 *    partial (master's `sync_full` / `sync_partial_ok` before and after) are printed.
 * 3. `redis-cli --rdb` from one of our masters writes a file `redis-check-rdb` accepts and that a
 *    real redis-server loads with the master's DBSIZE.
 */

import assert from "node:assert/strict";
import { Cluster as RedisCluster } from "ioredis";
import {
  haveRedisServer,
  RespClient,
  run,
  sleep,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  tempDir,
  waitFor,
} from "./harness.ts";
import { call, redisCliCreate } from "./cluster_fixture.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const HOST = "127.0.0.1";
const KEYS = Number(Deno.env.get("REPL_CLUSTER_KEYS") ?? "100000");
const SAMPLE_PER_MASTER = 200;
// node-timeout 5000, not 2000: nothing here waits for failure detection, and on a loaded 2-core
// machine (load 12) a master starved for 2 s can be failed over in the middle of the writes; its
// replica, a master then, rightly serves the GET the test expects to be MOVED (seen once).
const DIRECTIVES = {
  "cluster-enabled": "yes",
  "cluster-node-timeout": "5000",
  "repl-diskless-sync-delay": "0",
};

interface NodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string | null;
  slots: [number, number][];
}

async function nodes(port: number): Promise<NodeLine[]> {
  const text = String(await call(port, "CLUSTER", "NODES"));
  return text.trim().split("\n").filter((l) => l !== "").map((l) => {
    const p = l.split(" ");
    return {
      id: p[0],
      port: Number(p[1].split("@")[0].split(":").at(-1)),
      flags: p[2].split(","),
      masterId: p[3] === "-" ? null : p[3],
      slots: p.slice(8).filter((s) => !s.startsWith("[")).map((s) => {
        const [a, b] = s.split("-").map(Number);
        return [a, b ?? a] as [number, number];
      }),
    };
  });
}

function infoField(info: string, name: string): string | null {
  const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  return m ? m[1].trim() : null;
}

async function info(port: number, section: string): Promise<string> {
  return String(await call(port, "INFO", section));
}

interface Pair {
  master: NodeLine;
  replica: NodeLine;
}

/** True when the replica's link is up and its processed offset equals the master's. */
async function caughtUp(p: Pair): Promise<boolean> {
  const r = await info(p.replica.port, "replication");
  if (infoField(r, "master_link_status") !== "up") return false;
  const m = await info(p.master.port, "replication");
  return infoField(r, "slave_repl_offset") === infoField(m, "master_repl_offset");
}

function keyName(i: number): string {
  return `key:${i}`;
}

function valueOf(i: number): string {
  return `value-${i}-${"v".repeat(i % 17)}`;
}

/** Write keys [from, to) in concurrent batches (ioredis auto-pipelining batches them). */
async function writeKeys(client: RedisCluster, from: number, to: number): Promise<void> {
  const BATCH = 2000;
  for (let i = from; i < to; i += BATCH) {
    const ps: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(to, i + BATCH); j++) ps.push(client.set(keyName(j), valueOf(j)));
    const rs = await Promise.all(ps);
    for (const r of rs) assert.equal(r, "OK");
  }
}

/** Up to `n` key indexes (below `limit`) whose slot the master owns. */
function sampleFor(master: NodeLine, limit: number, n: number): number[] {
  const out: number[] = [];
  const owns = (slot: number) => master.slots.some(([a, b]) => slot >= a && slot <= b);
  for (let i = 0; i < limit && out.length < n; i += 7) {
    if (owns(keyHashSlotBinary(keyName(i)))) out.push(i);
  }
  return out;
}

async function assertSameData(p: Pair, sample: number[], what: string): Promise<void> {
  const [mSize, rSize] = [
    await call(p.master.port, "DBSIZE"),
    await call(p.replica.port, "DBSIZE"),
  ];
  assert.equal(
    rSize,
    mSize,
    `${what}: replica ${p.replica.port} DBSIZE vs master ${p.master.port}`,
  );
  assert.ok(Number(mSize) > 0, `${what}: master ${p.master.port} holds keys`);
  const [mDig, rDig] = [
    await call(p.master.port, "DEBUG", "DIGEST"),
    await call(p.replica.port, "DEBUG", "DIGEST"),
  ];
  assert.equal(rDig, mDig, `${what}: DEBUG DIGEST of ${p.replica.port} vs ${p.master.port}`);
  const keys = sample.map(keyName);
  const mv = await call(p.master.port, "DEBUG", "DIGEST-VALUE", ...keys) as string[];
  const rv = await call(p.replica.port, "DEBUG", "DIGEST-VALUE", ...keys) as string[];
  assert.equal(mv.length, keys.length);
  assert.ok(mv.every((d) => d !== "0".repeat(40)), `${what}: sampled keys exist on the master`);
  assert.deepEqual(rv, mv, `${what}: DIGEST-VALUE of sampled keys`);
}

Deno.test({
  name:
    "replication in a cluster: replicas mirror masters, a killed replica resyncs, --rdb is valid",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const procs: SpawnedProcess[] = await Promise.all(
      Array.from({ length: 6 }, () => spawnNode(DIRECTIVES)),
    );
    const ports = procs.map((p) => p.port);
    let client: RedisCluster | null = null;
    try {
      await redisCliCreate(ports, 1);
      await waitFor(
        "cluster ok with 3 replicas everywhere",
        async () => {
          for (const p of ports) {
            if (
              !String(await call(p, "CLUSTER", "INFO")).startsWith("cluster_state:ok")
            ) return false;
            if ((await nodes(p)).filter((l) => l.flags.includes("slave")).length !== 3) {
              return false;
            }
          }
          return true;
        },
        30_000,
        200,
      );
      const view = await nodes(ports[0]);
      const pairs: Pair[] = view.filter((l) => l.flags.includes("master")).map((m) => ({
        master: m,
        replica: view.find((l) => l.masterId === m.id)!,
      }));
      assert.equal(pairs.length, 3);
      for (const p of pairs) assert.ok(p.replica, `master ${p.master.port} has a replica`);
      await waitFor(
        "replica links up",
        async () => {
          for (const p of pairs) if (!await caughtUp(p)) return false;
          return true;
        },
        30_000,
        200,
      );

      client = new RedisCluster([{ host: HOST, port: ports[0] }], {
        enableAutoPipelining: true,
        slotsRefreshTimeout: 2000,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        redisOptions: { connectTimeout: 2000 },
      });
      client.on("error", () => {});
      const samples = new Map<string, number[]>();

      await t.step(`${KEYS} writes through ioredis reach every replica`, async () => {
        const t0 = Date.now();
        await writeKeys(client!, 0, KEYS);
        const writeMs = Date.now() - t0;
        await waitFor(
          "every replica's offset equals its master's",
          async () => {
            for (const p of pairs) if (!await caughtUp(p)) return false;
            return true;
          },
          60_000,
          100,
        );
        const catchUpMs = Date.now() - t0 - writeMs;
        console.log(
          `  ${KEYS} SETs through ioredis: ${writeMs} ms; replicas caught up ${catchUpMs} ms later`,
        );
        let total = 0;
        for (const p of pairs) {
          const sample = sampleFor(p.master, KEYS, SAMPLE_PER_MASTER);
          assert.ok(
            sample.length >= Math.min(SAMPLE_PER_MASTER, KEYS / 30),
            `sample for ${p.master.port}`,
          );
          samples.set(p.master.id, sample);
          await assertSameData(p, sample, "after the writes");
          total += Number(await call(p.master.port, "DBSIZE"));

          // A raw connection to the replica: MOVED to its master until READONLY.
          const c = await RespClient.connect(p.replica.port);
          try {
            const k = keyName(sample[0]);
            const moved = await c.call("GET", k);
            assert.ok(moved instanceof Error, `GET without READONLY: ${moved}`);
            assert.equal(moved.message, `MOVED ${keyHashSlotBinary(k)} ${HOST}:${p.master.port}`);
            assert.equal(await c.call("READONLY"), "OK");
            for (const i of sample) assert.equal(await c.call("GET", keyName(i)), valueOf(i));
          } finally {
            c.close();
          }
        }
        assert.equal(total, KEYS);
      });

      await t.step("a replica killed with -9 during writes resyncs after restart", async () => {
        const p = pairs[0];
        const ri = procs.findIndex((x) => x.port === p.replica.port);
        const before = await info(p.master.port, "stats");
        const fullBefore = Number(infoField(before, "sync_full"));
        const partialBefore = Number(infoField(before, "sync_partial_ok"));
        let stop = false;
        let written = 0;
        const writer = (async () => {
          for (let n = 0; !stop; n++) {
            const ps: Promise<unknown>[] = [];
            for (let j = 0; j < 200; j++) ps.push(client!.set(`w:${n}:${j}`, String(n)));
            await Promise.all(ps);
            written += 200;
          }
        })();
        await waitFor("writes running", () => written >= 2000, 20_000);
        await procs[ri].kill();
        await sleep(300);
        const tRestart = Date.now();
        procs[ri] = await spawnNode(DIRECTIVES, { port: p.replica.port, dir: procs[ri].dir });
        const tReady = Date.now();
        await waitFor(
          "restarted replica's link up",
          async () => {
            const r = await info(p.replica.port, "replication");
            return infoField(r, "master_link_status") === "up";
          },
          30_000,
          50,
        );
        const linkMs = Date.now() - tRestart;
        const syncMs = Date.now() - tReady;
        const writtenAtLinkUp = written;
        await waitFor(
          "more writes after the resync",
          () => written >= writtenAtLinkUp + 2000,
          20_000,
        );
        stop = true;
        await writer;
        const tStop = Date.now();
        await waitFor("caught up after the writes", () => caughtUp(p), 30_000, 50);
        const catchMs = Date.now() - tStop;
        const after = await info(p.master.port, "stats");
        const full = Number(infoField(after, "sync_full")) - fullBefore;
        const partial = Number(infoField(after, "sync_partial_ok")) - partialBefore;
        const role = String(await call(p.replica.port, "ROLE"));
        assert.ok(role.startsWith("slave"), `restarted node's ROLE: ${role}`);
        await assertSameData(p, samples.get(p.master.id)!, "after the restart");
        assert.equal(full + partial, 1, `one resync: full +${full}, partial +${partial}`);
        console.log(
          `  replica restart: ${full === 1 ? "FULL" : "PARTIAL"} resync (sync_full +${full}, ` +
            `sync_partial_ok +${partial}); link up (snapshot loaded) ${linkMs} ms after the ` +
            `restart (${syncMs} ms after the process answered PING), offset equal ${catchMs} ms after the writes stopped; master DBSIZE ${await call(
              p.master.port,
              "DBSIZE",
            )}, ${written} writes during the test`,
        );
      });

      await t.step(
        "redis-cli --rdb from our master passes redis-check-rdb and loads in redis-server",
        async () => {
          const p = pairs[1];
          const dir = await tempDir("rdbcli");
          const file = `${dir}/dump.rdb`;
          const r = await run("redis-cli", ["-p", String(p.master.port), "--rdb", file], {
            timeoutMs: 60_000,
          });
          assert.equal(r.code, 0, `redis-cli --rdb\n${r.stdout}\n${r.stderr}`);
          assert.match(r.stdout + r.stderr, /Transfer finished with success/);
          const check = await run("redis-check-rdb", [file]);
          assert.equal(check.code, 0, `redis-check-rdb\n${check.stdout}\n${check.stderr}`);
          assert.match(check.stdout, /\\o\/ RDB looks OK! \\o\//);
          const keysLine = /\[info\] (\d+) keys read/.exec(check.stdout);
          const masterSize = Number(await call(p.master.port, "DBSIZE"));
          assert.equal(Number(keysLine?.[1]), masterSize, check.stdout);
          const real = await spawnRedis({ dir, dbfilename: "dump.rdb" });
          try {
            assert.equal(await call(real.port, "DBSIZE"), masterSize);
            for (const i of samples.get(p.master.id)!.slice(0, 50)) {
              assert.equal(await call(real.port, "GET", keyName(i)), valueOf(i));
            }
          } finally {
            await real.stop();
            await Deno.remove(dir, { recursive: true }).catch(() => {});
          }
        },
      );
    } finally {
      client?.disconnect();
      for (const p of procs) await p.kill().catch(() => {});
      for (const p of procs) await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});
