/**
 * The cluster manager driven as a user drives it: `deno run -A cli.ts <subcommand>` as a spawned
 * process, checking exit codes and output, against real redis-server 7 cluster nodes (each in
 * its own temp dir), and compared with `redis-cli --cluster check` where it is cheap.
 */

import assert from "node:assert/strict";
import {
  freePort,
  haveRedisServer,
  run,
  sleep,
  type SpawnedProcess,
  spawnNode,
  spawnRedis,
  waitFor,
} from "./harness.ts";
import { call } from "./cluster_fixture.ts";
import {
  configSignature,
  myselfLine,
  type NodeLine,
  parseClusterNodes,
} from "../manager/nodes_text.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const HOST = "127.0.0.1";

function cli(args: string[], timeoutMs = 120_000) {
  return run(Deno.execPath(), ["run", "-A", `${ROOT}cli.ts`, ...args], { timeoutMs });
}

function redisCli(args: string[]) {
  return run("redis-cli", args, { timeoutMs: 60_000 });
}

async function nodes(port: number): Promise<NodeLine[]> {
  return parseClusterNodes(String(await call(port, "CLUSTER", "NODES")));
}

async function myself(port: number): Promise<NodeLine> {
  return myselfLine(await nodes(port));
}

/** Every node prints the same slot owners, none has an open slot or a handshake peer. */
async function settled(ports: number[], knownNodes?: number): Promise<boolean> {
  const views = await Promise.all(ports.map(nodes));
  const sigs = views.map(configSignature);
  return sigs.every((s) => s === sigs[0] && s !== "") &&
    views.every((v) =>
      (knownNodes === undefined || v.length === knownNodes) &&
      v.every((l) => !l.flags.some((f) => f.includes("handshake"))) &&
      myselfLine(v).migrating.size === 0 && myselfLine(v).importing.size === 0
    );
}

/** `count` keys whose slots are in [first, last] (found by hashing candidate names). */
function keysInSlots(first: number, last: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const k = `key:${i}`;
    const s = keyHashSlotBinary(k);
    if (s >= first && s <= last) out.push(k);
  }
  return out;
}

const REDIS_DIRECTIVES = {
  "cluster-enabled": "yes",
  "cluster-node-timeout": "2000",
  "repl-diskless-sync-delay": "0",
};

Deno.test({
  name: "manager: every subcommand has --help; bad usage exits 2",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const subs = [
      "create",
      "check",
      "info",
      "add-node",
      "del-node",
      "reshard",
      "rebalance",
      "failover",
    ];
    const results = await Promise.all(subs.map((s) => cli([s, "--help"])));
    results.forEach((r, i) => {
      assert.equal(r.code, 0, subs[i]);
      assert.ok(r.stdout.startsWith(`Usage: deno run -A cli.ts ${subs[i]} `), r.stdout);
    });
    const help = await cli(["help"]);
    assert.equal(help.code, 0);
    for (const s of subs) assert.ok(help.stdout.includes(`  ${s} `), s);
    const noTo = await cli(["reshard", "127.0.0.1:7000", "--from", "all", "--slots", "10"]);
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /reshard needs --from, --to and --slots/);
    const badOpt = await cli(["check", "127.0.0.1:7000", "--bogus"]);
    assert.equal(badOpt.code, 2);
    assert.match(badOpt.stderr, /Unknown option '--bogus'/);
    const refused = await cli(["check", `127.0.0.1:${freePort()}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /\[ERR\] could not connect to 127\.0\.0\.1:\d+/);
  },
});

Deno.test({
  name:
    "manager: create, check, info, reshard, add-node, del-node, rebalance, failover on real redis-server 7",
  ignore: !haveRedisServer(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const procs: SpawnedProcess[] = [];
    try {
      // nodes.conf is fsynced on every slot change: on tmpfs when there is one, so the test is quick.
      const shm = await Deno.stat("/dev/shm").then((s) => s.isDirectory, () => false);
      procs.push(
        ...await Promise.all(Array.from({ length: 9 }, async () => {
          const dir = await Deno.makeTempDir(
            shm ? { dir: "/dev/shm", prefix: "rc-mgr-" } : { prefix: "rc-mgr-" },
          );
          return await spawnRedis({ ...REDIS_DIRECTIVES, dir });
        })),
      );
      const ports = procs.map((p) => p.port);
      const six = ports.slice(0, 6);
      const addr = (p: number) => `${HOST}:${p}`;
      const [pA, pB] = six;
      const [p7, p8, p9] = ports.slice(6);
      let current = six;

      await t.step("create without --yes and stdin not a terminal is refused", async () => {
        const r = await cli(["create", ...six.map(addr), "--replicas", "1"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /stdin is not a terminal\. Pass --yes/);
        assert.match(r.stdout, /Master\[0\] -> Slots 0 - 5460/);
        assert.match(String(await call(pA, "CLUSTER", "INFO")), /cluster_known_nodes:1\r\n/);
      });

      await t.step(
        "create 6 nodes with --replicas 1; check and redis-cli --cluster check agree",
        async () => {
          const r = await cli(["create", ...six.map(addr), "--replicas", "1", "--yes"]);
          assert.equal(r.code, 0, r.stdout + r.stderr);
          assert.match(
            r.stdout,
            /Master\[0\] -> Slots 0 - 5460\nMaster\[1\] -> Slots 5461 - 10922\nMaster\[2\] -> Slots 10923 - 16383/,
          );
          assert.match(r.stdout, /\[OK\] All nodes agree about slots configuration\./);
          assert.match(r.stdout, /\[OK\] All 16384 slots covered\./);
          // Three masters with the planned slots and one replica each, as every node sees it.
          await waitFor(
            "3 replicas everywhere",
            async () => {
              const views = await Promise.all(six.map(nodes));
              return views.every((v) => v.filter((l) => l.replica).length === 3);
            },
            15_000,
            200,
          );
          const lines = await nodes(pA);
          const masters = lines.filter((l) => l.master);
          assert.deepEqual(masters.map((m) => m.slotTokens.join(" ")).sort(), [
            "0-5460",
            "10923-16383",
            "5461-10922",
          ]);
          for (const m of masters) assert.equal(lines.filter((l) => l.masterId === m.id).length, 1);
          const ours = await cli(["check", addr(pB)]);
          assert.equal(ours.code, 0, ours.stdout);
          assert.match(ours.stdout, /\[OK\] 0 keys in 3 masters\./);
          assert.match(ours.stdout, / {3}1 additional replica\(s\)/);
          const theirs = await redisCli(["--cluster", "check", addr(pB)]);
          assert.equal(theirs.code, 0, theirs.stdout);
        },
      );

      await t.step("create on nodes that are no longer empty fails", async () => {
        const r = await cli(["create", ...six.map(addr), "--replicas", "1", "--yes"]);
        assert.equal(r.code, 1);
        assert.match(r.stdout, /\[ERR\] Node 127\.0\.0\.1:\d+ is not empty\./);
      });

      const idA = (await myself(pA)).id;
      const idB = (await myself(pB)).id;

      await t.step("check on an open slot (SETSLOT MIGRATING) exits 1 like redis-cli", async () => {
        assert.equal(await call(pA, "CLUSTER", "SETSLOT", "100", "MIGRATING", idB), "OK");
        try {
          const ours = await cli(["check", addr(pA)]);
          assert.equal(ours.code, 1, ours.stdout);
          assert.ok(
            ours.stdout.includes(`[WARNING] Node ${addr(pA)} has slots in migrating state 100.`),
            ours.stdout,
          );
          assert.ok(
            ours.stdout.includes("[WARNING] The following slots are open: 100."),
            ours.stdout,
          );
          const theirs = await redisCli(["--cluster", "check", addr(pA)]);
          assert.equal(theirs.code, 1);
          assert.ok(theirs.stdout.includes("The following slots are open: 100."));
        } finally {
          await call(pA, "CLUSTER", "SETSLOT", "100", "STABLE");
        }
      });

      await t.step(
        "check on an uncovered slot (DELSLOTS on its owner) exits 1 like redis-cli",
        async () => {
          assert.equal(await call(pA, "CLUSTER", "DELSLOTS", "200"), "OK");
          try {
            const ours = await cli(["check", addr(pA)]);
            assert.equal(ours.code, 1, ours.stdout);
            assert.ok(
              ours.stdout.includes("[ERR] Not all 16384 slots are covered by nodes."),
              ours.stdout,
            );
            assert.match(ours.stdout, /Uncovered slots \(1\): 200\n/);
            const theirs = await redisCli(["--cluster", "check", addr(pA)]);
            assert.equal(theirs.code, 1);
            assert.ok(theirs.stdout.includes("Not all 16384 slots are covered by nodes."));
          } finally {
            await call(pA, "CLUSTER", "ADDSLOTS", "200");
          }
          await waitFor("cluster settled", () => settled(six), 15_000, 200);
          assert.equal((await cli(["check", addr(pA)])).code, 0);
        },
      );

      const keys = keysInSlots(0, 4, 60);
      await t.step("reshard moves slots with their keys", async () => {
        for (const k of keys) assert.equal(await call(pA, "SET", k, `v-${k}`), "OK");
        const count = (port: number, slot: number) =>
          call(port, "CLUSTER", "COUNTKEYSINSLOT", String(slot));
        const before = await Promise.all([0, 1, 2, 3, 4].map((s) => count(pA, s)));
        assert.equal((before as number[]).reduce((a, b) => a + b, 0), 60);

        const refused = await cli([
          "reshard",
          addr(pA),
          "--from",
          idA,
          "--to",
          idB,
          "--slots",
          "5",
        ]);
        assert.equal(refused.code, 1);
        assert.match(refused.stdout, /Pass --yes/);
        assert.equal(await count(pA, 0), before[0]);

        const r = await cli([
          "reshard",
          addr(pA),
          "--from",
          idA,
          "--to",
          idB,
          "--slots",
          "5",
          "--yes",
          "--pipeline",
          "4",
        ]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Ready to move 5 slots\./);
        assert.match(r.stdout, / {4}Moving slot 0 from [0-9a-f]{40}\n/);
        assert.match(r.stdout, /Moving slots: 5\/5 slots \(100\.0%\), 60 keys/);
        assert.match(r.stdout, /\[OK\] Moved 5 slots \(60 keys\)/);
        for (let s = 0; s <= 4; s++) {
          assert.equal(await count(pA, s), 0);
          assert.equal(await count(pB, s), before[s]);
        }
        assert.equal((await myself(pB)).slots.filter((s) => s <= 4).length, 5);
        for (const k of [keys[0], keys[59]]) {
          const g = await redisCli(["-c", "-p", String(pA), "get", k]);
          assert.equal(g.stdout.trim(), `v-${k}`);
        }
        await waitFor("cluster settled", () => settled(six), 15_000, 200);
        assert.equal((await redisCli(["--cluster", "check", addr(pA)])).code, 0);
      });

      await t.step(
        "Ctrl-C during a reshard finishes the current slot and leaves no slot open",
        async () => {
          const child = new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              `${ROOT}cli.ts`,
              "reshard",
              addr(pA),
              "--from",
              "all",
              "--to",
              idB,
              "--slots",
              "3000",
              "--yes",
            ],
            stdout: "piped",
            stderr: "piped",
            stdin: "null",
          }).spawn();
          const output = child.output();
          // Wait until the moves have started (the node's own view shows slots leaving).
          const before = (await myself(pB)).slots.length;
          await waitFor(
            "moves started",
            async () => (await myself(pB)).slots.length > before,
            30_000,
            50,
          );
          child.kill("SIGINT");
          const r = await output;
          const stdout = new TextDecoder().decode(r.stdout);
          assert.equal(r.code, 1, stdout);
          assert.match(
            stdout,
            /Interrupted after moving (\d+) of 3000 slots; no slot is left open\./,
          );
          await waitFor("cluster settled", () => settled(six), 15_000, 200);
          const check = await cli(["check", addr(pA)]);
          assert.equal(check.code, 0, check.stdout);
        },
      );

      let id7 = "", id9 = "";
      await t.step("add-node as master", async () => {
        const r = await cli(["add-node", addr(p7), addr(pA)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /\[OK\] New node added correctly\./);
        current = [...six, p7];
        await waitFor("7 nodes agree", () => settled(current, 7), 20_000, 200);
        const me = await myself(p7);
        assert.ok(me.master && me.slots.length === 0);
        id7 = me.id;
        const r9 = await cli(["add-node", addr(p9), addr(pA)]);
        assert.equal(r9.code, 0, r9.stdout + r9.stderr);
        current = [...six, p7, p9];
        await waitFor("8 nodes agree", () => settled(current, 8), 20_000, 200);
        id9 = (await myself(p9)).id;
      });

      await t.step("add-node as replica of a given master", async () => {
        const r = await cli(["add-node", addr(p8), addr(pA), "--replica", "--master-id", id9]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Configure node as replica of 127\.0\.0\.1:\d+\./);
        const me = await myself(p8);
        assert.ok(me.replica, me.flags.join(","));
        assert.equal(me.masterId, id9);
        current = [...six, p7, p8, p9];
        await waitFor("9 nodes agree", () => settled(current, 9), 20_000, 200);
      });

      await t.step("del-node refuses a master with slots, removes an empty one", async () => {
        const busy = await cli(["del-node", addr(pA), idA]);
        assert.equal(busy.code, 1);
        assert.ok(
          busy.stdout.includes(
            `[ERR] Node ${addr(pA)} is not empty! Reshard data away and try again.`,
          ),
        );
        const r = await cli(["del-node", addr(pA), id9]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Sending CLUSTER FORGET messages to the cluster/);
        // The removed node is alone; nobody else knows it; its replica moved to another master.
        assert.equal((await nodes(p9)).length, 1);
        current = [...six, p7, p8];
        for (const p of current) {
          assert.ok(!(await nodes(p)).some((l) => l.id === id9), `${p} still knows it`);
        }
        // Its replica moved to the master with the fewest replicas: node 7, which had none.
        const me8 = await myself(p8);
        assert.ok(me8.replica);
        assert.equal(me8.masterId, id7);
        await waitFor("8 nodes agree", () => settled(current, 8), 20_000, 200);
      });

      await t.step("rebalance --use-empty-masters gives the new master slots", async () => {
        const r = await cli(["rebalance", addr(pA), "--use-empty-masters", "--yes"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /Rebalancing across 4 nodes\. Total weight = 4\.00/);
        const slots7 = (await myself(p7)).slots.length;
        assert.ok(slots7 >= 4000 && slots7 <= 4200, `node 7 has ${slots7} slots`);
        await waitFor("cluster settled", () => settled(current), 20_000, 200);
        const ours = await cli(["check", addr(p7)]);
        assert.equal(ours.code, 0, ours.stdout);
        assert.match(ours.stdout, /\[OK\] 60 keys in 4 masters\./);
        assert.equal((await redisCli(["--cluster", "check", addr(p7)])).code, 0);
        const g = await redisCli(["-c", "-p", String(p7), "get", keys[10]]);
        assert.equal(g.stdout.trim(), `v-${keys[10]}`);
        const again = await cli(["rebalance", addr(pA), "--use-empty-masters", "--yes"]);
        assert.equal(again.code, 0);
        assert.match(
          again.stdout,
          /No rebalancing needed! All nodes are within the 2\.00% threshold\./,
        );
      });

      await t.step("info lists the masters", async () => {
        const r = await cli(["info", addr(pB)]);
        assert.equal(r.code, 0, r.stdout);
        const lines = r.stdout.split("\n").filter((l) =>
          / -> \d+ keys \| \d+ slots \| \d+ slaves\.$/.test(l)
        );
        assert.equal(lines.length, 4, r.stdout);
        assert.match(r.stdout, /\[OK\] 60 keys in 4 masters\.\n0\.00 keys per slot on average\./);
      });

      await t.step("failover promotes a replica", async () => {
        const onMaster = await cli(["failover", addr(pA)]);
        assert.equal(onMaster.code, 1);
        assert.match(onMaster.stdout, /is not a replica/);
        const replicaLine = (await nodes(pA)).find((l) => l.masterId === idA)!;
        assert.ok(replicaLine, "A has a replica");
        const r = await cli(["failover", addr(replicaLine.port)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /is now a master with \d+ slots\./);
        await waitFor("old master demoted", async () => (await myself(pA)).replica, 15_000, 200);
        await waitFor("cluster settled", () => settled(current), 20_000, 200);
        assert.equal((await cli(["check", addr(pA)])).code, 0);
      });
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
      await sleep(50);
      for (const p of procs) await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "manager: create and check six of our own nodes (cli.ts processes); redis-cli --cluster check agrees",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const procs: SpawnedProcess[] = [];
    try {
      procs.push(
        ...await Promise.all(
          Array.from(
            { length: 6 },
            () => spawnNode({ "cluster-enabled": "yes", "cluster-node-timeout": "2000" }),
          ),
        ),
      );
      const addrs = procs.map((p) => `${HOST}:${p.port}`);
      const r = await cli([
        "create",
        ...addrs,
        "--replicas",
        "1",
        "--yes",
        "--join-timeout",
        "30000",
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\[OK\] All 16384 slots covered\./);
      const ports = procs.map((p) => p.port);
      await waitFor("cluster settled", () => settled(ports, 6), 20_000, 200);
      const ours = await cli(["check", addrs[1]]);
      assert.equal(ours.code, 0, ours.stdout);
      assert.match(ours.stdout, /\[OK\] 0 keys in 3 masters\./);
      const theirs = await redisCli(["--cluster", "check", addrs[1]]);
      assert.equal(theirs.code, 0, theirs.stdout);
      // An open slot is reported by both.
      const idB = (await myself(ports[1])).id;
      assert.equal(await call(ports[0], "CLUSTER", "SETSLOT", "100", "MIGRATING", idB), "OK");
      const broken = await cli(["check", addrs[0]]);
      assert.equal(broken.code, 1, broken.stdout);
      assert.ok(
        broken.stdout.includes("[WARNING] The following slots are open: 100."),
        broken.stdout,
      );
      assert.equal((await redisCli(["--cluster", "check", addrs[0]])).code, 1);
      // An uncovered slot (DELSLOTS on its owner, which the SETSLOT above proved ports[0] is).
      assert.equal(await call(ports[0], "CLUSTER", "SETSLOT", "100", "STABLE"), "OK");
      assert.equal(await call(ports[0], "CLUSTER", "DELSLOTS", "100"), "OK");
      const uncovered = await cli(["check", addrs[0]]);
      assert.equal(uncovered.code, 1, uncovered.stdout);
      assert.ok(
        uncovered.stdout.includes("[ERR] Not all 16384 slots are covered by nodes."),
        uncovered.stdout,
      );
      const theirsUncovered = await redisCli(["--cluster", "check", addrs[0]]);
      assert.equal(theirsUncovered.code, 1);
      assert.ok(theirsUncovered.stdout.includes("Not all 16384 slots are covered by nodes."));
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
      for (const p of procs) await Deno.remove(p.dir, { recursive: true }).catch(() => {});
    }
  },
});
