/**
 * The `redis-cli --cluster` subcommands not covered elsewhere, on a cluster of our nodes:
 * `set-timeout` (CONFIG SET cluster-node-timeout on every node, then CONFIG REWRITE) and
 * `call` (a command sent to every node).
 */

import assert from "node:assert/strict";
import { RespClient, run, type SpawnedProcess, spawnNode, tempDir } from "./harness.ts";
import { waitAllOk } from "./cluster_fixture.ts";

async function configGet(port: number, name: string): Promise<string> {
  const c = await RespClient.connect(port);
  try {
    const r = await c.call("CONFIG", "GET", name) as string[];
    return r[1];
  } finally {
    c.close();
  }
}

Deno.test("redis-cli --cluster set-timeout and call work on a cluster of our nodes", async () => {
  const procs: SpawnedProcess[] = [];
  try {
    // Each node has a config file, so CONFIG REWRITE (sent by set-timeout) can persist the change.
    const files: string[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = await tempDir("tools");
      const file = `${dir}/redis.conf`;
      await Deno.writeTextFile(
        file,
        "# test node\ncluster-enabled yes\ncluster-node-timeout 2000\n",
      );
      files.push(file);
      procs.push(await spawnNode({}, { configFile: file, dir }));
    }
    const addrs = procs.map((p) => `127.0.0.1:${p.port}`);
    const create = await run("redis-cli", ["--cluster", "create", ...addrs, "--cluster-yes"], {
      timeoutMs: 90_000,
    });
    assert.equal(create.code, 0, create.stdout + create.stderr);
    assert.match(create.stdout, /\[OK\] All 16384 slots covered/);
    // create returns once the configuration agrees; each node turns cluster_state ok after that
    // (as on real Redis), and serves keys only then.
    await waitAllOk(procs.map((p) => p.port));

    const st = await run("redis-cli", ["--cluster", "set-timeout", addrs[0], "3500"], {
      timeoutMs: 60_000,
    });
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, /New node timeout set\. 3 OK, 0 ERR\./);
    for (const p of procs) assert.equal(await configGet(p.port, "cluster-node-timeout"), "3500");
    for (const f of files) assert.match(await Deno.readTextFile(f), /^cluster-node-timeout 3500$/m);

    // Write keys through the cluster, then count them on every node with `call`.
    for (let i = 0; i < 30; i++) {
      const r = await run("redis-cli", ["-c", "-p", String(procs[0].port), "set", `k${i}`, "v"]);
      assert.equal(r.stdout.trim(), "OK");
    }
    const call = await run("redis-cli", ["--cluster", "call", addrs[0], "DBSIZE"], {
      timeoutMs: 60_000,
    });
    assert.equal(call.code, 0, call.stdout + call.stderr);
    let total = 0;
    for (const p of procs) {
      const m = new RegExp(`127\\.0\\.0\\.1:${p.port}: (\\d+)`).exec(call.stdout);
      assert.ok(m, `a line for ${p.port} in:\n${call.stdout}`);
      total += Number(m[1]);
    }
    assert.equal(total, 30);
  } finally {
    for (const p of procs) await p.kill();
  }
});
