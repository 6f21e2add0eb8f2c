/**
 * Whole RDB files against real Redis 7.0: a file we write passes `redis-check-rdb` and loads into
 * redis-server with every value and TTL intact; a file redis-server SAVEs reads back with every
 * value, expiry and aux field.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { RespClient, run, spawnRedis, startNode, tempDir } from "./harness.ts";
import { populate, readKey } from "./rdb_helpers.ts";
import { readRdb, standardAux, writeRdb } from "../protocol/rdb_file.ts";
import { rdbOptions } from "../commands/dump.ts";
import { stringBytes, type StringValue } from "../keyspace/string_value.ts";

async function allKeys(c: RespClient): Promise<string[]> {
  return ((await c.call("KEYS", "*")) as string[]).sort();
}

for (const compression of [true, false]) {
  Deno.test(`rdb file: ours (rdbcompression ${compression ? "yes" : "no"}) passes redis-check-rdb and loads into redis-server`, async () => {
    const node = await startNode({ rdbcompression: compression ? "yes" : "no" });
    const oc = await RespClient.connect(node.port);
    const dir = await tempDir("rdbfile");
    let redis: Awaited<ReturnType<typeof spawnRedis>> | null = null;
    let rc: RespClient | null = null;
    try {
      const keys = await populate(oc);
      const at = Date.now() + 3_600_000;
      await oc.call("PEXPIREAT", "str:short", String(at));
      const db = node.server.db;
      const file = writeRdb(
        db,
        standardAux({ usedMem: 1000, repl: { streamDb: 0, replId: "f".repeat(40), offset: 0 } }),
        rdbOptions(node.server.config),
      );
      const path = join(dir, "dump.rdb");
      await Deno.writeFile(path, file);
      const check = await run("redis-check-rdb", [path]);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /RDB looks OK!/);
      assert.match(check.stdout, new RegExp(`${keys.length} keys read`));
      assert.match(check.stdout, /1 expires/);

      redis = await spawnRedis({ dir, dbfilename: "dump.rdb" });
      rc = await RespClient.connect(redis.port);
      assert.equal(await rc.call("DBSIZE"), await oc.call("DBSIZE"));
      assert.deepEqual(await allKeys(rc), await allKeys(oc));
      for (const key of keys) assert.equal(await readKey(rc, key), await readKey(oc, key), key);
      assert.equal(await rc.call("PEXPIRETIME", "str:short"), at);
      assert.equal(await rc.call("PEXPIRETIME", "str:int8"), -1);
    } finally {
      rc?.close();
      oc.close();
      await node.stop();
      await redis?.stop();
    }
  });
}

Deno.test("rdb file: a redis-server SAVE reads back with every value, expiry and aux field", async () => {
  const redis = await spawnRedis({ dbfilename: "dump.rdb" });
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    const keys = await populate(rc);
    const at = Date.now() + 3_600_000;
    await rc.call("PEXPIREAT", "hash:large", String(at));
    assert.equal(await rc.call("SAVE"), "OK");
    const bytes = await Deno.readFile(join(redis.dir, "dump.rdb"));
    const file = readRdb(bytes, rdbOptions(node.server.config));
    assert.ok(file.checksumVerified);
    assert.equal(file.version, 10);
    assert.equal(file.aux.get("redis-ver"), "7.0.15");
    assert.equal(file.aux.get("redis-bits"), "64");
    assert.equal(file.aux.get("aof-base"), "0");
    assert.ok(Math.abs(Number(file.aux.get("ctime")) - Date.now() / 1000) < 60);
    assert.deepEqual(file.resize.get(0), { size: keys.length, expires: 1 });
    assert.equal(file.entries.length, keys.length);
    // Load the entries into our node and compare every key through commands.
    const db = node.server.db;
    for (const e of file.entries) {
      assert.equal(e.dbId, 0);
      db.add(e.key, e.value);
      if (e.expireMs !== -1) db.setExpire(e.key, e.expireMs);
    }
    assert.equal(file.entries.find((e) => e.key === "hash:large")!.expireMs, at);
    assert.deepEqual(await allKeys(oc), await allKeys(rc));
    for (const key of keys) {
      assert.equal(await readKey(oc, key), await readKey(rc, key), key);
      assert.equal(
        await oc.call("OBJECT", "ENCODING", key),
        await rc.call("OBJECT", "ENCODING", key),
        key,
      );
    }
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("rdb file: redis-server with rdbcompression no, and a large keyspace round trip", async () => {
  const redis = await spawnRedis({ dbfilename: "dump.rdb", rdbcompression: "no" });
  const rc = await RespClient.connect(redis.port);
  try {
    const n = 20000;
    for (let i = 0; i < n; i += 1000) {
      const args: string[] = [];
      for (let j = i; j < i + 1000; j++) args.push(`key:${j}`, `value-${j}-${"z".repeat(j % 50)}`);
      await rc.call("MSET", ...args);
    }
    assert.equal(await rc.call("SAVE"), "OK");
    const bytes = await Deno.readFile(join(redis.dir, "dump.rdb"));
    const opts = rdbOptions({
      getNumber: (k: string) =>
        ({ "list-max-listpack-size": -2, "set-max-intset-entries": 512 } as Record<string, number>)[
          k
        ] ?? (k.endsWith("entries") ? 128 : 64),
      getBool: () => true,
    });
    const t0 = performance.now();
    const file = readRdb(bytes, opts);
    const readMs = performance.now() - t0;
    assert.equal(file.entries.length, n);
    const dec = new TextDecoder();
    const byKey = new Map(
      file.entries.map((e) => [e.key, dec.decode(stringBytes(e.value as StringValue))]),
    );
    assert.equal(byKey.get("key:12345"), `value-12345-${"z".repeat(12345 % 50)}`);
    // Write it again (with compression) and check redis-check-rdb accepts it.
    const map = new Map(file.entries.map((e) => [e.key, e.value]));
    const t1 = performance.now();
    const again = writeRdb({ dict: map, expires: new Map() }, standardAux(), opts);
    const writeMs = performance.now() - t1;
    const dir = await tempDir("rdbfile");
    await Deno.writeFile(join(dir, "again.rdb"), again);
    const check = await run("redis-check-rdb", [join(dir, "again.rdb")]);
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, new RegExp(`${n} keys read`));
    // Speed is measured by `deno task bench`, not asserted here.
    console.log(`  ${n} keys: read ${readMs.toFixed(0)} ms, write ${writeMs.toFixed(0)} ms`);
  } finally {
    rc.close();
    await redis.stop();
  }
});
