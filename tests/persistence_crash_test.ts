/**
 * A node killed (SIGKILL) in the middle of a BGSAVE, a BGREWRITEAOF or a load comes back with
 * consistent data: the files a save or rewrite replaces are swapped in by rename only once
 * complete (and the AOF manifest names the new incremental file before any write goes to it),
 * and a load never writes to what it reads.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pipelined, RespClient, spawnNode, waitFor } from "./harness.ts";
import { debugDigest as digest, infoField as info } from "./rdb_helpers.ts";

Deno.test("crash: killed mid-BGSAVE, a node restarts from the last complete dump.rdb", async () => {
  const node = await spawnNode({ save: "", "rdb-key-save-delay": "2000" });
  const c = await RespClient.connect(node.port);
  for (let i = 0; i < 300; i++) await c.call("SET", `k${i}`, String(i));
  await c.call("CONFIG", "SET", "rdb-key-save-delay", "0");
  assert.equal(await c.call("SAVE"), "OK");
  const saved = await digest(c);
  await c.call("CONFIG", "SET", "rdb-key-save-delay", "2000");
  for (let i = 0; i < 300; i++) await c.call("SET", `k${i}`, "changed");
  assert.equal(await c.call("BGSAVE"), "Background saving started");
  await waitFor(
    "the save to be half way",
    async () => Number(await info(c, "current_save_keys_processed")) >= 100,
  );
  c.close();
  await node.kill();
  const again = await spawnNode({ save: "" }, { dir: node.dir });
  const c2 = await RespClient.connect(again.port);
  try {
    assert.equal(await digest(c2), saved);
  } finally {
    c2.close();
    await again.stop();
  }
});

Deno.test("crash: killed mid-BGREWRITEAOF, a node restarts with every acknowledged write", async () => {
  const node = await spawnNode({ save: "", appendonly: "yes", "rdb-key-save-delay": "2000" });
  const c = await RespClient.connect(node.port);
  for (let i = 0; i < 300; i++) await c.call("HSET", `h${i}`, "f", String(i));
  // Untouched keys keep the rewrite's walk going (2 ms each) after the writes below.
  await pipelined(c, Array.from({ length: 300 }, (_, i) => ["SET", `pad${i}`, String(i)]));
  assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
  // In one write, so they all land while the rewrite runs.
  const writes: string[][] = [];
  for (let i = 0; i < 300; i += 2) writes.push(["HSET", `h${i}`, "g", "during"]);
  writes.push(["DEL", "h1"]);
  await pipelined(c, writes);
  assert.equal(await info(c, "aof_rewrite_in_progress"), "1");
  const before = await digest(c);
  // The manifest already names the rewrite's new incremental file.
  const manifest = Deno.readTextFileSync(
    join(node.dir, "appendonlydir", "appendonly.aof.manifest"),
  );
  assert.match(manifest, /appendonly\.aof\.2\.incr\.aof seq 2 type i/);
  c.close();
  await node.kill();
  const again = await spawnNode({ save: "", appendonly: "yes" }, { dir: node.dir });
  const c2 = await RespClient.connect(again.port);
  try {
    assert.equal(await digest(c2), before);
    // The next rewrite completes and folds everything into one base.
    assert.equal(await c2.call("BGREWRITEAOF"), "Background append only file rewriting started");
    await waitFor("the rewrite", async () => await info(c2, "aof_rewrite_in_progress") === "0");
    assert.equal(await digest(c2), before);
  } finally {
    c2.close();
    await again.stop();
  }
});

Deno.test("crash: killed mid-load (RDB and AOF), a node loads everything on the next start", async () => {
  for (const appendonly of ["no", "yes"]) {
    const node = await spawnNode({ save: "", appendonly });
    const c = await RespClient.connect(node.port);
    for (let i = 0; i < 200; i++) await c.call("RPUSH", `l${i}`, "a", String(i));
    if (appendonly === "no") assert.equal(await c.call("SAVE"), "OK");
    const before = await digest(c);
    c.close();
    await node.kill();
    const slow = await spawnNode({ save: "", appendonly, "key-load-delay": "5000" }, {
      dir: node.dir,
      waitReady: false,
    });
    let probe: RespClient | null = null;
    await waitFor("the load to start", async () => {
      try {
        probe ??= await RespClient.connect(slow.port);
        return await info(probe, "loading") === "1";
      } catch {
        return false;
      }
    }, 20_000);
    (probe as RespClient | null)?.close();
    await slow.kill();
    const again = await spawnNode({ save: "", appendonly }, { dir: node.dir });
    const c2 = await RespClient.connect(again.port);
    try {
      assert.equal(await digest(c2), before, `appendonly ${appendonly}`);
    } finally {
      c2.close();
      await again.stop();
    }
  }
});
