/**
 * `deno task start` as a user runs it: a spawned `deno task start` on a non-default base port in a
 * temp folder forms a 3-master/3-replica cluster and prints its "Cluster ready:" line; redis-cli
 * -c reads and writes through it and `redis-cli --cluster check` is clean; SIGINT stops every
 * node (all client and bus ports free again, exit code 0); starting again brings back the same
 * node ids from nodes.conf without re-creating the cluster.
 */

import assert from "node:assert/strict";
import { run, sleep, tempDir, waitFor } from "./harness.ts";
import { freePortBlock } from "./ports.ts";
import { portFree } from "../local/node_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NODES = 6;

/** A base port b with b..b+NODES-1 and their bus ports (+10000) reserved for this run. */
function freeBasePort(): number {
  return freePortBlock(NODES);
}

interface Launcher {
  child: Deno.ChildProcess;
  /** Everything printed so far. */
  output(): string;
  /** Resolves with the output once a line starting with `prefix` was printed. */
  waitLine(prefix: string, timeoutMs: number): Promise<string>;
  status: Promise<Deno.CommandStatus>;
}

function launch(basePort: number, dir: string): Launcher {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "start",
      "--port",
      String(basePort),
      "--dir",
      dir,
      "--nodes",
      String(NODES),
      "--replicas",
      "1",
      "--node-timeout",
      "3000",
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk, { stream: true });
  };
  pump(child.stdout);
  pump(child.stderr);
  return {
    child,
    output: () => text,
    status: child.status,
    async waitLine(prefix, timeoutMs) {
      let exited = false;
      child.status.then(() => (exited = true));
      await waitFor(
        `a line starting with "${prefix}"`,
        () => {
          if (exited) throw new Error(`launcher exited before "${prefix}":\n${text}`);
          return text.split("\n").some((l) => l.startsWith(prefix));
        },
        timeoutMs,
        100,
      ).catch((e) => {
        throw new Error(`${(e as Error).message}\n--- launcher output ---\n${text}`);
      });
      return text;
    },
  };
}

async function redisCli(...args: string[]) {
  return await run("redis-cli", args, { timeoutMs: 20_000 });
}

async function myIds(basePort: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < NODES; i++) {
    const r = await redisCli("-p", String(basePort + i), "CLUSTER", "MYID");
    assert.equal(r.code, 0, r.stderr);
    ids.push(r.stdout.trim());
  }
  return ids;
}

async function stopLauncher(l: Launcher, timeoutMs: number): Promise<Deno.CommandStatus> {
  l.child.kill("SIGINT");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const st = await Promise.race([
    l.status,
    new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (st === null) throw new Error(`launcher did not stop within ${timeoutMs} ms:\n${l.output()}`);
  return st;
}

Deno.test({
  name:
    "deno task start: forms a cluster, serves, stops on SIGINT, comes back from nodes.conf with its keys",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const base = freeBasePort();
    const dir = await tempDir("start");
    const ports = Array.from({ length: NODES }, (_, i) => base + i);
    let l: Launcher | null = launch(base, dir);
    try {
      // 1. First start: creates.
      const out1 = await l.waitLine("Cluster ready:", 120_000);
      assert.match(out1, /Performing hash slots allocation on 6 nodes/);
      assert.match(out1, /Cluster ready: 3 masters, 3 replicas, 16384 slots assigned/);
      assert.ok(out1.includes(`redis-cli -c -p ${base}`), out1);
      assert.ok(out1.includes(`${dir}/${base}/node.log`), out1);
      // The live dashboard's address is printed with the rest, and its page shows this cluster.
      const dashUrl = /^Dashboard: open (http:\/\/\S+) /m.exec(
        await l.waitLine("Dashboard: open ", 30_000),
      )?.[1];
      assert.ok(dashUrl !== undefined, l.output());
      await waitFor(
        "the dashboard's view of the six nodes",
        async () => {
          const v = await (await fetch(`${dashUrl}api/view`)).json();
          return v.view?.nodes.length === NODES && v.view.covered === 16384;
        },
        20_000,
        100,
      );
      assert.match(await (await fetch(dashUrl)).text(), /<div id="slot-grid"/);
      for (const p of ports) {
        const conf = Deno.readTextFileSync(`${dir}/${p}/nodes.conf`);
        assert.equal(conf.trim().split("\n").filter((x) => !x.startsWith("vars")).length, NODES);
      }
      let r = await redisCli("-c", "-p", String(base), "set", "foo", "bar");
      assert.equal(r.stdout.trim(), "OK", r.stderr);
      r = await redisCli("-c", "-p", String(base), "get", "foo");
      assert.equal(r.stdout.trim(), "bar");
      // keys in every master's slots, through redirections
      for (const k of ["a", "b", "c", "{user1000}.x"]) {
        r = await redisCli("-c", "-p", String(base), "set", k, `v-${k}`);
        assert.equal(r.stdout.trim(), "OK", `${k}: ${r.stdout} ${r.stderr}`);
        r = await redisCli("-c", "-p", String(base + 3), "get", k);
        assert.equal(r.stdout.trim(), `v-${k}`);
      }
      r = await redisCli("--cluster", "check", `127.0.0.1:${base}`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\[OK\] All 16384 slots covered\./);
      // Each node's log, in its folder, tells the story at notice level.
      const log = Deno.readTextFileSync(`${dir}/${base}/node.log`);
      assert.match(log, /Handshake with node [0-9a-f]{40} \(127\.0\.0\.1:\d+\) completed/);
      assert.match(log, /Slots 0-5460 now served by myself /);
      assert.match(log, /is now a replica of myself /);
      assert.match(log, /# Cluster state changed: ok/);
      const ids1 = await myIds(base);
      assert.equal(new Set(ids1).size, NODES);
      for (const id of ids1) assert.match(id, /^[0-9a-f]{40}$/);

      // 2. SIGINT stops every node; the ports are free afterwards.
      const st = await stopLauncher(l, 30_000);
      l = null;
      assert.equal(st.code, 0);
      for (const p of ports) {
        assert.ok(portFree(p), `port ${p} still in use`);
        assert.ok(portFree(p + 10000), `bus port ${p + 10000} still in use`);
      }

      // 3. Again: the same cluster comes back from the files, not created anew.
      l = launch(base, dir);
      const out2 = await l.waitLine("Cluster ready:", 120_000);
      assert.match(out2, /Found an existing cluster/);
      assert.doesNotMatch(out2, /Performing hash slots allocation/);
      assert.match(out2, /Cluster ready: 3 masters, 3 replicas, 16384 slots assigned/);
      assert.deepEqual(await myIds(base), ids1);
      r = await redisCli("--cluster", "check", `127.0.0.1:${base}`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // The keys came back too: each node saved its dataset on SIGTERM (default save points)
      // and loaded it at start.
      r = await redisCli("-c", "-p", String(base + 2), "get", "foo");
      assert.equal(r.stdout.trim(), "bar");
      for (const k of ["a", "b", "c", "{user1000}.x"]) {
        r = await redisCli("-c", "-p", String(base + 4), "get", k);
        assert.equal(r.stdout.trim(), `v-${k}`, k);
      }
      let keysOnMasters = 0;
      for (const p of ports) {
        const role = await redisCli("-p", String(p), "ROLE");
        if (!role.stdout.startsWith("master")) continue;
        keysOnMasters += Number((await redisCli("-p", String(p), "DBSIZE")).stdout.trim());
      }
      assert.equal(keysOnMasters, 5);
      r = await redisCli("-c", "-p", String(base), "set", "foo", "baz");
      assert.equal(r.stdout.trim(), "OK");
      r = await redisCli("-c", "-p", String(base + 1), "get", "foo");
      assert.equal(r.stdout.trim(), "baz");
      const st2 = await stopLauncher(l, 30_000);
      l = null;
      assert.equal(st2.code, 0);
      await sleep(100);
      for (const p of ports) assert.ok(portFree(p), `port ${p} still in use`);
    } finally {
      if (l !== null) {
        l.child.kill("SIGINT");
        await Promise.race([l.status, sleep(20_000)]);
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** `deno task start` with `args`, run to completion. */
function startTask(args: string[], timeoutMs?: number) {
  return run(Deno.execPath(), ["run", "-A", `${ROOT}local/start.ts`, ...args], { timeoutMs });
}

Deno.test("deno task start: usage errors exit 2, --help exits 0", async () => {
  const help = await startTask(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--replicas N/);
  const bad = await startTask(["--nodes", "4", "--replicas", "1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /give 2 master\(s\); a cluster needs at least 3/);
  const unknown = await startTask(["--bogus"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown option '--bogus'/);
});

Deno.test("deno task start: refuses ports in use, exit 1, nothing started", async () => {
  const base = freeBasePort();
  const blocker = Deno.listen({ hostname: "127.0.0.1", port: base + 2 });
  const dir = await tempDir("start-busy");
  try {
    const r = await startTask(["--port", String(base), "--dir", dir], 30_000);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(`Port\\(s\\) in use: ${base + 2}\\. Is a cluster already running\\?`),
    );
    assert.ok(portFree(base), "no node was started");
  } finally {
    blocker.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("deno task start: a folder holding a cluster of another size is refused, not re-created", async () => {
  const base = freeBasePort();
  const dir = await tempDir("start-size");
  try {
    // nodes.conf files of a 2-node cluster on base and base+1 (as a stopped cluster leaves them).
    const a = "a".repeat(40), b = "b".repeat(40);
    for (const [i, me] of [[0, a], [1, b]] as const) {
      Deno.mkdirSync(`${dir}/${base + i}`, { recursive: true });
      Deno.writeTextFileSync(
        `${dir}/${base + i}/nodes.conf`,
        `${a} 127.0.0.1:${base}@${base + 10000} ${
          me === a ? "myself," : ""
        }master - 0 0 1 connected 0-16383\n` +
          `${b} 127.0.0.1:${base + 1}@${base + 10001} ${
            me === b ? "myself," : ""
          }master - 0 0 2 connected\n` +
          "vars currentEpoch 2 lastVoteEpoch 0\n",
      );
    }
    const r = await startTask(["--port", String(base), "--dir", dir], 30_000);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /holds a cluster of 2 nodes, but 6 were asked for/);
    assert.ok(portFree(base), "no node was started");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
