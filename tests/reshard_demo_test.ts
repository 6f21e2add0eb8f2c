/**
 * The resharding issue's "must show" scenarios, on clusters of our nodes (cli.ts processes),
 * driven by the real tools and by our own cluster manager while ioredis Cluster clients read and
 * write all the time:
 * - six nodes (3 masters + 3 replicas, cluster-node-timeout 2000): `redis-cli --cluster reshard`
 *   moves 4,000 slots between masters, `add-node` + `rebalance --cluster-use-empty-masters`
 *   brings in a fourth master, `rebalance --cluster-weight <id>=0` empties it and `del-node`
 *   removes it; the clients see no error (ioredis handles MOVED/ASK inside), every key keeps its
 *   latest acknowledged value, `--cluster check` is clean;
 * - the same through `deno run -A cli.ts reshard|add-node|rebalance|del-node|check`;
 * - `redis-cli --cluster import` from a standalone real redis-server (keys of every type).
 * The node killed mid-migration + `--cluster fix` case is in reshard_test.ts.
 *
 * Key count: RESHARD_DEMO_KEYS (default 20000; the full size is 100000).
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
} from "./harness.ts";
import { populate, readKey } from "./rdb_helpers.ts";
import {
  call,
  clusterCheck,
  createCluster,
  errorStatSum,
  KeyLoad,
  myLine,
  type NodeLine,
  nodesOf,
  portOf,
  runCli,
  slotCount,
  stopAll,
  waitAllOk,
  waitChecked,
} from "./cluster_fixture.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const NUM_KEYS = Number(Deno.env.get("RESHARD_DEMO_KEYS") ?? "20000");
const DIRECTIVES = { "cluster-node-timeout": "2000" };
const opts = { sanitizeOps: false, sanitizeResources: false };

function log(msg: string): void {
  console.log(`    [demo] ${msg}`);
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

async function mastersOf(port: number): Promise<NodeLine[]> {
  return (await nodesOf(port)).filter((l) => l.flags.includes("master"));
}

function assertOk(r: { code: number; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr}`);
}

function redisCli(args: string[], timeoutMs = 300_000) {
  return run("redis-cli", ["--cluster", ...args], { timeoutMs });
}

/** Six of our nodes, 3 masters + 3 replicas, agreed by every node; masters sorted by first slot. */
async function sixNodes(): Promise<{ nodes: SpawnedProcess[]; entry: number; masters: NodeLine[] }> {
  const cl = await createCluster(6, { replicas: 1, directives: DIRECTIVES });
  try {
    const entry = cl.ports[0];
    await waitChecked(entry, 30_000);
    const ms = await mastersOf(entry);
    assert.equal(ms.length, 3);
    assert.equal((await nodesOf(entry)).filter((l) => l.flags.includes("slave")).length, 3);
    ms.sort((a, b) => Number(a.slots[0].split("-")[0]) - Number(b.slots[0].split("-")[0]));
    return { nodes: cl.nodes, entry, masters: ms };
  } catch (e) {
    await stopAll(cl.nodes);
    throw e;
  }
}

/** Stop the load and assert the guarantees: work was done, no errors, every key's latest value. */
async function finishLoad(
  load: KeyLoad,
  ports: number[],
  masterPorts: number[],
  opsBefore: number,
): Promise<void> {
  await load.stop();
  const moved = await errorStatSum(ports, "MOVED");
  const ask = await errorStatSum(ports, "ASK");
  log(`client ops during the moves: ${load.ops - opsBefore}; MOVED ${moved}, ASK ${ask} handled`);
  assert.deepEqual(load.errors.slice(0, 20), [], `${load.errors.length} client errors`);
  assert.ok(load.ops - opsBefore > 500, `clients kept working (${load.ops - opsBefore} ops)`);
  assert.ok(moved > 0, "clients were redirected (MOVED) and handled it");
  await timed(`verify ${load.numKeys} keys`, () => load.verifyAll());
  let total = 0;
  for (const p of masterPorts) total += await call(p, "DBSIZE") as number;
  assert.equal(total, load.numKeys, "every key on exactly one master");
}

Deno.test({
  name:
    `redis-cli --cluster reshard 4000 slots, add-node + rebalance --cluster-use-empty-masters, del-node, under ioredis load (${NUM_KEYS} keys)`,
  ...opts,
  fn: async () => {
    const t0 = performance.now();
    const { nodes, entry, masters } = await timed("six-node cluster", () => sixNodes());
    const client = new RedisCluster([{ host: "127.0.0.1", port: entry }], {
      slotsRefreshTimeout: 5000,
    });
    const load = new KeyLoad(client, NUM_KEYS);
    try {
      const [ma, mb] = masters;
      await timed(`preload ${NUM_KEYS} keys`, () => load.preload());
      load.start();
      await sleep(300);
      const opsBefore = load.ops;

      // 1. 4000 slots from A to B.
      const r1 = await timed(
        "redis-cli --cluster reshard (4000 slots)",
        () =>
          redisCli([
            "reshard",
            `127.0.0.1:${entry}`,
            "--cluster-from",
            ma.id,
            "--cluster-to",
            mb.id,
            "--cluster-slots",
            "4000",
            "--cluster-yes",
          ]),
      );
      assertOk(r1, "reshard");
      assert.equal(slotCount(await myLine(portOf(ma))), slotCount(ma) - 4000);
      assert.equal(slotCount(await myLine(portOf(mb))), slotCount(mb) + 4000);
      await waitChecked(entry);

      // 2. A fourth, empty master joins and takes its share.
      const extra = await spawnNode({ ...DIRECTIVES, "cluster-enabled": "yes" });
      nodes.push(extra);
      const r2 = await timed(
        "redis-cli --cluster add-node",
        () => redisCli(["add-node", `127.0.0.1:${extra.port}`, `127.0.0.1:${entry}`], 60_000),
      );
      assertOk(r2, "add-node");
      const extraId = await call(extra.port, "CLUSTER", "MYID") as string;
      await waitChecked(entry);
      await waitAllOk(nodes.map((n) => n.port));
      const r3 = await timed(
        "redis-cli --cluster rebalance --cluster-use-empty-masters",
        () =>
          redisCli([
            "rebalance",
            `127.0.0.1:${entry}`,
            "--cluster-use-empty-masters",
            "--cluster-yes",
          ]),
      );
      assertOk(r3, "rebalance");
      const counts = (await mastersOf(entry)).map(slotCount);
      assert.equal(counts.length, 4);
      for (const c of counts) assert.ok(Math.abs(c - 4096) <= 4096 * 0.02 + 1, `${counts}`);
      assert.ok(slotCount(await myLine(extra.port)) > 4000);
      assert.ok((await call(extra.port, "DBSIZE") as number) > 0, "keys moved to the new master");
      await waitChecked(entry);

      // 3. Empty the fourth master (weight 0), then remove it.
      const r4 = await timed(
        "redis-cli --cluster rebalance --cluster-weight <new>=0",
        () =>
          redisCli([
            "rebalance",
            `127.0.0.1:${entry}`,
            "--cluster-weight",
            `${extraId}=0`,
            "--cluster-yes",
          ]),
      );
      assertOk(r4, "rebalance (empty the new master)");
      assert.equal(slotCount(await myLine(extra.port)), 0);
      await waitChecked(entry);
      const r5 = await timed(
        "redis-cli --cluster del-node",
        () => redisCli(["del-node", `127.0.0.1:${entry}`, extraId], 60_000),
      );
      assertOk(r5, "del-node");
      for (const n of nodes.slice(0, 6)) {
        assert.ok(!(await nodesOf(n.port)).some((l) => l.id === extraId), `${n.port} forgot it`);
      }
      assert.equal((await nodesOf(extra.port)).length, 1, "the removed node is alone");

      await sleep(300);
      const ports = nodes.map((n) => n.port);
      const masterPorts = (await mastersOf(entry)).map(portOf);
      assert.equal(masterPorts.length, 3);
      await finishLoad(load, ports, masterPorts, opsBefore);
      await clusterCheck(entry);
      log(`total: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await load.stop();
      client.disconnect();
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name:
    `cli.ts reshard, add-node, rebalance --use-empty-masters, del-node under ioredis load (${NUM_KEYS} keys); cli.ts check and redis-cli check clean`,
  ...opts,
  fn: async () => {
    const t0 = performance.now();
    const { nodes, entry, masters } = await timed("six-node cluster", () => sixNodes());
    const client = new RedisCluster([{ host: "127.0.0.1", port: entry }], {
      slotsRefreshTimeout: 5000,
    });
    const load = new KeyLoad(client, NUM_KEYS);
    const at = `127.0.0.1:${entry}`;
    try {
      const [ma, mb] = masters;
      await timed(`preload ${NUM_KEYS} keys`, () => load.preload());
      load.start();
      await sleep(300);
      const opsBefore = load.ops;

      const r1 = await timed(
        "cli.ts reshard (4000 slots)",
        () =>
          runCli(
            ["reshard", at, "--from", ma.id, "--to", mb.id, "--slots", "4000", "--yes"],
            300_000,
          ),
      );
      assertOk(r1, "cli.ts reshard");
      assert.match(r1.stdout, /\[OK\] Moved 4000 slots \(\d+ keys\)/);
      assert.equal(slotCount(await myLine(portOf(ma))), slotCount(ma) - 4000);
      assert.equal(slotCount(await myLine(portOf(mb))), slotCount(mb) + 4000);
      await waitChecked(entry);

      const extra = await spawnNode({ ...DIRECTIVES, "cluster-enabled": "yes" });
      nodes.push(extra);
      const r2 = await timed(
        "cli.ts add-node",
        () => runCli(["add-node", `127.0.0.1:${extra.port}`, at], 90_000),
      );
      assertOk(r2, "cli.ts add-node");
      const extraId = await call(extra.port, "CLUSTER", "MYID") as string;
      await waitChecked(entry);
      await waitAllOk(nodes.map((n) => n.port));
      const r3 = await timed(
        "cli.ts rebalance --use-empty-masters",
        () => runCli(["rebalance", at, "--use-empty-masters", "--yes"], 300_000),
      );
      assertOk(r3, "cli.ts rebalance");
      const counts = (await mastersOf(entry)).map(slotCount);
      assert.equal(counts.length, 4);
      for (const c of counts) assert.ok(Math.abs(c - 4096) <= 4096 * 0.02 + 1, `${counts}`);
      assert.ok((await call(extra.port, "DBSIZE") as number) > 0, "keys moved to the new master");
      await waitChecked(entry);

      const r4 = await timed(
        "cli.ts rebalance --weight <new>=0",
        () => runCli(["rebalance", at, "--weight", `${extraId}=0`, "--yes"], 300_000),
      );
      assertOk(r4, "cli.ts rebalance (empty the new master)");
      assert.equal(slotCount(await myLine(extra.port)), 0);
      await waitChecked(entry);
      const r5 = await timed("cli.ts del-node", () => runCli(["del-node", at, extraId], 60_000));
      assertOk(r5, "cli.ts del-node");
      for (const n of nodes.slice(0, 6)) {
        assert.ok(!(await nodesOf(n.port)).some((l) => l.id === extraId), `${n.port} forgot it`);
      }

      await sleep(300);
      const ports = nodes.map((n) => n.port);
      const masterPorts = (await mastersOf(entry)).map(portOf);
      assert.equal(masterPorts.length, 3);
      await finishLoad(load, ports, masterPorts, opsBefore);
      await waitChecked(entry);
      const ck = await runCli(["check", at], 60_000);
      assertOk(ck, "cli.ts check");
      assert.match(ck.stdout, /All 16384 slots covered/);
      await clusterCheck(entry);
      log(`total: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await load.stop();
      client.disconnect();
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name:
    "redis-cli --cluster import brings keys of every type from a standalone real redis-server into our cluster",
  ignore: !haveRedisServer(),
  ...opts,
  fn: async () => {
    const cl = await createCluster(3, { directives: DIRECTIVES });
    const source = await spawnRedis({});
    const procs = [...cl.nodes, source];
    try {
      const expected = new Map<string, string>();
      const sc = await RespClient.connect(source.port);
      try {
        const keys = await populate(sc);
        for (let i = 0; i < 300; i++) {
          await sc.call("SET", `plain:${i}`, `value-${i}`);
          keys.push(`plain:${i}`);
        }
        await sc.call("SET", "with-ttl", "expiring");
        await sc.call("PEXPIRE", "with-ttl", "100000");
        keys.push("with-ttl");
        for (const k of keys) expected.set(k, await readKey(sc, k));
        assert.equal(await sc.call("DBSIZE"), expected.size);
      } finally {
        sc.close();
      }
      const r = await timed(
        "redis-cli --cluster import",
        () =>
          redisCli([
            "import",
            `127.0.0.1:${cl.ports[0]}`,
            "--cluster-from",
            `127.0.0.1:${source.port}`,
          ], 120_000),
      );
      assertOk(r, "import");
      // deno-lint-ignore no-control-regex
      const plain = r.stdout.replace(/\x1b\[[0-9;]*m/g, "");
      assert.match(plain, /Migrating str:short to 127\.0\.0\.1:\d+: OK/);
      assert.doesNotMatch(plain, /ERR|Failed|failed/);
      // Moved, not copied: the source is empty; each key lives on its slot's owner.
      assert.equal(await call(source.port, "DBSIZE"), 0);
      const ownerOf = new Map<number, number>();
      for (const l of await nodesOf(cl.ports[0])) {
        for (const s of l.slots) {
          const [a, b] = s.split("-").map(Number);
          for (let x = a; x <= (b ?? a); x++) ownerOf.set(x, portOf(l));
        }
      }
      const conns = new Map<number, RespClient>();
      try {
        for (const p of cl.ports) conns.set(p, await RespClient.connect(p));
        for (const [k, v] of expected) {
          const c = conns.get(ownerOf.get(keyHashSlotBinary(k))!)!;
          assert.equal(await readKey(c, k), v, k);
        }
        const ttlOwner = conns.get(ownerOf.get(keyHashSlotBinary("with-ttl"))!)!;
        const ttl = await ttlOwner.call("PTTL", "with-ttl") as number;
        assert.ok(ttl > 50_000 && ttl <= 100_000, `ttl ${ttl}`);
        let total = 0;
        for (const c of conns.values()) total += await c.call("DBSIZE") as number;
        assert.equal(total, expected.size);
      } finally {
        for (const c of conns.values()) c.close();
      }
      // And through a cluster client, as an application sees them.
      const client = new RedisCluster([{ host: "127.0.0.1", port: cl.ports[0] }]);
      try {
        assert.equal(await client.get("str:short"), "hello");
        assert.deepEqual(await client.lrange("list:small", 0, 1), ["a", "1"]);
        assert.equal(await client.hget("hash:large", "field:7"), "value:7");
        assert.equal(await client.scard("set:large-strings"), 200);
        assert.equal(await client.zscore("zset:small", "b"), "2.5");
        assert.equal(await client.get("plain:123"), "value-123");
      } finally {
        client.disconnect();
      }
      await clusterCheck(cl.ports[0]);
    } finally {
      await stopAll(procs);
    }
  },
});
