/**
 * Command families imported on first use (commands/lazy_commands.ts: lists, hashes, sets, sorted
 * sets, streams, geo, cluster, HyperLogLog, bitmaps, DEBUG, ACL, SORT, MIGRATE, INFO, and
 * commands/small_family_defs.ts's MEMORY, LATENCY, SLOWLOG, Pub/Sub, replication, persistence,
 * MODULE, SHUTDOWN and the server family). On a fresh node (its own process, nothing
 * imported), the first command of a family answers as redis-server 7.0.15 does: pipelined first
 * in a batch (the batch keeps its order), from a script (which cannot wait), and inside
 * MULTI/EXEC (the transaction stays one unit). The definitions the table holds before the import
 * carry the same metadata as the modules' own.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  haveRedisServer,
  pipelined,
  RespClient,
  spawnNode,
  spawnRedis,
  waitFor,
} from "./harness.ts";
import { show, withSpawnedNodeAndRedis } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import type { CommandDef } from "../commands/command_def.ts";
import { streamCommands as streamStubs } from "../commands/stream_defs.ts";
import { geoCommands as geoStubs } from "../commands/geo_defs.ts";
import { clusterCommands as clusterStubs } from "../commands/cluster_defs.ts";
import { hyperloglogCommands as hllStubs } from "../commands/hyperloglog_defs.ts";
import { bitmapCommands as bitmapStubs } from "../commands/bitmap_defs.ts";
import { debugCommands as debugStubs } from "../commands/debug_defs.ts";
import { aclCommands as aclStubs } from "../commands/acl_defs.ts";
import { sortCommands as sortStubs } from "../commands/sort_defs.ts";
import { migrateCommands as migrateStubs } from "../commands/migrate_defs.ts";
import { listCommands as listStubs } from "../commands/list_defs.ts";
import { hashCommands as hashStubs } from "../commands/hash_defs.ts";
import { setCommands as setStubs } from "../commands/set_defs.ts";
import { zsetCommands as zsetStubs } from "../commands/zset_defs.ts";
import { infoCommands as infoStubs } from "../commands/info_defs.ts";
import * as smallStubs from "../commands/small_family_defs.ts";

const canon = (v: RespValue | null) => v === null ? "(none)" : show(v);

Deno.test({
  name: "lazy families: a pipelined batch whose first command imports one answers in order",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const cmds = [
        ["XADD", "s", "1-1", "f", "v"],
        ["SET", "k", "v"],
        ["INFO", "keyspace"],
        ["XADD", "s", "2-1", "g", "w"],
        ["XLEN", "s"],
        ["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
        ["GET", "k"],
        ["GEOPOS", "g", "Palermo"],
        ["XRANGE", "s", "-", "+"],
        ["XINFO", "HELP"],
        ["GEODIST", "g", "Palermo", "Palermo"],
        ["PFADD", "h", "a", "b"],
        ["PFCOUNT", "h"],
        ["SETBIT", "b", "7", "1"],
        ["BITCOUNT", "b"],
        ["ACL", "WHOAMI"],
        ["CLUSTER", "INFO"],
        ["RPUSH", "l", "3", "1", "2"],
        ["SORT", "l"],
        ["READONLY"],
        ["GET", "k"],
        ["ZADD", "z", "2", "b", "1", "a"],
        ["HSET", "hh", "f", "v", "g", "w"],
        ["SADD", "st", "m"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["HGET", "hh", "g"],
        ["SISMEMBER", "st", "m"],
        ["ZUNIONSTORE", "zu", "1", "z"],
        ["LRANGE", "l", "0", "-1"],
        ["PUBLISH", "ch", "m"],
        ["DBSIZE"],
        ["LATENCY", "LATEST"],
        ["MODULE", "LIST"],
        ["SLOWLOG", "RESET"],
        ["MEMORY", "PURGE"],
        ["WAIT", "0", "0"],
      ];
      assert.deepEqual(
        (await pipelined(a, cmds)).map(canon),
        (await pipelined(b, cmds)).map(canon),
      );
    });
  },
});

Deno.test({
  // Two commands that wait in one batch (a family's import, then the Lua VM's): the read the first
  // wait leaves in flight is the one the connection goes on with (server/connection.ts).
  name: "lazy families: a batch with two waits in a row, then a later request, all answered",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const cmds = [["XLEN", "x"], ["EVAL", "return redis.call('GEOADD', 'g', 1, 2, 'm')", "0"]];
      assert.deepEqual(
        (await pipelined(a, cmds)).map(canon),
        (await pipelined(b, cmds)).map(canon),
      );
      assert.equal(canon(await a.callRaw("PING")), canon(await b.callRaw("PING")));
    });
  },
});

Deno.test({
  name: "lazy families: the first use from a script (which cannot wait) answers as Redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b) => {
      const script = "redis.call('XADD', KEYS[1], '1-1', 'f', 'v') " +
        "redis.call('GEOADD', KEYS[2], '13.361389', '38.115556', 'p') " +
        "redis.call('RPUSH', KEYS[3], 'a', 'b') redis.call('HSET', KEYS[4], 'f', 'v') " +
        "redis.call('SADD', KEYS[5], 'm') redis.call('ZADD', KEYS[6], 1, 'm') " +
        "return {redis.call('XLEN', KEYS[1]), redis.call('GEOHASH', KEYS[2], 'p'), " +
        "redis.call('LRANGE', KEYS[3], 0, -1), redis.call('HGET', KEYS[4], 'f'), " +
        "redis.call('SCARD', KEYS[5]), redis.call('ZSCORE', KEYS[6], 'm')}";
      const args = ["EVAL", script, "6", "s", "g", "l", "h", "st", "z"];
      // Read with a time limit: a script that met a family not imported would not come back.
      await a.writeRaw(encodeCommand(args));
      const ra = await a.readValue(10_000);
      assert.notEqual(ra?.type, "error");
      assert.equal(canon(ra), canon(await b.callRaw(...args)));
    });
  },
});

Deno.test({
  name: "lazy families: the first use inside MULTI/EXEC keeps the transaction one unit",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withSpawnedNodeAndRedis(async (a, b, oursPort) => {
      const other = await RespClient.connect(oursPort);
      try {
        for (const c of [a, b]) {
          assert.equal(await c.call("MULTI"), "OK");
          assert.equal(await c.call("SET", "k", "1"), "QUEUED");
          assert.equal(await c.call("XADD", "s", "1-1", "f", "v"), "QUEUED");
          assert.equal(await c.call("INCR", "k"), "QUEUED");
          assert.equal(await c.call("GEOADD", "g", "1", "2", "m"), "QUEUED");
          assert.equal(await c.call("ZADD", "z", "1", "m"), "QUEUED");
          assert.equal(await c.call("HINCRBY", "h", "f", "2"), "QUEUED");
          assert.equal(await c.call("SADD", "st", "m"), "QUEUED");
          assert.equal(await c.call("LPUSH", "l", "x"), "QUEUED");
        }
        // Another client writes the same key, one INCR after another, all the while the
        // families load: each lands before or after the whole transaction (SET then overwrites
        // it), never between its SET and its INCR.
        let done = false;
        const writes = (async () => {
          while (!done) await other.call("INCR", "k");
        })();
        await other.call("PING");
        await a.writeRaw(encodeCommand(["EXEC"]));
        const ra = await a.readValue();
        done = true;
        await writes;
        const rb = await b.callRaw("EXEC");
        assert.equal(canon(ra), canon(rb));
      } finally {
        other.close();
      }
    });
  },
});

/** What the table shows of a definition: everything but its handler. */
function metadata(d: CommandDef, samples: Uint8Array[][]): unknown {
  return {
    name: d.name,
    arity: d.arity,
    flags: d.flags,
    keys: [d.firstKey, d.lastKey, d.step],
    categories: d.categories,
    container: d.handler === undefined,
    getKeys: d.getKeys === undefined ? null : samples.map((argv) => d.getKeys!(argv)),
    flagsFor: d.flagsFor !== undefined,
    subcommands: d.subcommands?.map((s) => metadata(s, samples)),
  };
}

const enc = (...a: string[]) => a.map((s) => new TextEncoder().encode(s));
const SAMPLES = [
  enc("xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"),
  enc("xreadgroup", "GROUP", "g", "c", "NOACK", "STREAMS", "a", "0"),
  enc("georadius", "k", "1", "2", "3", "m", "STORE", "d", "STOREDIST", "e"),
  enc("georadiusbymember", "k", "m", "3", "km", "storedist", "d"),
  enc("sort", "k", "BY", "w", "LIMIT", "0", "1", "GET", "#", "STORE", "d"),
  enc("migrate", "h", "1", "", "0", "100", "COPY", "KEYS", "a", "b"),
  enc("lmpop", "2", "a", "b", "LEFT"),
  enc("blmpop", "0", "2", "a", "b", "LEFT", "COUNT", "2"),
  enc("sintercard", "2", "a", "b", "LIMIT", "1"),
  enc("zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"),
  enc("zinter", "2", "a", "b"),
  enc("bzmpop", "0", "2", "a", "b", "MIN"),
];

Deno.test("lazy families: the table's definitions carry the modules' own metadata", async () => {
  const streams = (await import("../commands/streams.ts")).streamCommands;
  const geo = (await import("../commands/geo.ts")).geoCommands;
  const pairs: [CommandDef[], CommandDef[]][] = [
    [streamStubs, streams],
    [geoStubs, geo],
    [clusterStubs, (await import("../commands/cluster.ts")).clusterCommands],
    [hllStubs, (await import("../commands/hyperloglog.ts")).hyperloglogCommands],
    [bitmapStubs, (await import("../commands/bitmaps.ts")).bitmapCommands],
    [debugStubs, (await import("../commands/debug.ts")).debugCommands],
    [aclStubs, (await import("../commands/acl.ts")).aclCommands],
    [sortStubs, (await import("../commands/sort.ts")).sortCommands],
    [migrateStubs, (await import("../commands/migrate.ts")).migrateCommands],
    [listStubs, (await import("../commands/lists.ts")).listCommands],
    [hashStubs, (await import("../commands/hashes.ts")).hashCommands],
    [setStubs, (await import("../commands/sets.ts")).setCommands],
    [zsetStubs, (await import("../commands/zsets.ts")).zsetCommands],
    [infoStubs, (await import("../commands/info.ts")).infoCommands],
    [smallStubs.memoryCommands, (await import("../commands/memory.ts")).memoryCommands],
    [smallStubs.latencyCommands, (await import("../commands/latency.ts")).latencyCommands],
    [smallStubs.slowlogCommands, (await import("../commands/slowlog.ts")).slowlogCommands],
    [smallStubs.pubsubCommands, (await import("../commands/pubsub.ts")).pubsubCommands],
    [
      smallStubs.replicationCommands,
      (await import("../commands/replication.ts")).replicationCommands,
    ],
    [
      smallStubs.persistenceCommands,
      (await import("../commands/persistence.ts")).persistenceCommands,
    ],
    [smallStubs.moduleCommands, (await import("../commands/module.ts")).moduleCommands],
    [smallStubs.shutdownCommands, (await import("../commands/shutdown.ts")).shutdownCommands],
    [smallStubs.serverCommands, (await import("../commands/server.ts")).serverCommands],
  ];
  for (const [stubs, real] of pairs) {
    assert.deepEqual(
      stubs.map((d) => metadata(d, SAMPLES)),
      real.map((d) => metadata(d, SAMPLES)),
    );
  }
});

/** Until the server behind `c` has `n` blocked clients (INFO clients). */
function waitBlocked(c: RespClient, n: number): Promise<void> {
  return waitFor(`${n} blocked client(s)`, async () => {
    const info = String(await c.call("INFO", "clients"));
    return info.includes(`blocked_clients:${n}\r\n`);
  });
}

Deno.test({
  name: "lazy families: a blocking pop that imports its family waits, and a push serves it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!haveRedisServer()) return;
    const node = await spawnNode({ save: "" });
    const redis = await spawnRedis();
    const [a, pa] = [await RespClient.connect(node.port), await RespClient.connect(node.port)];
    const [b, pb] = [await RespClient.connect(redis.port), await RespClient.connect(redis.port)];
    try {
      for (
        const [pop, push] of [
          [["BLPOP", "q", "0"], ["RPUSH", "q", "x"]],
          [["BZPOPMIN", "zq", "0"], ["ZADD", "zq", "1", "m"]],
        ]
      ) {
        // The pop is the first command of its family: it waits for the import, then blocks;
        // the push goes in once it is blocked, as in Redis.
        await a.writeRaw(encodeCommand(pop));
        await b.writeRaw(encodeCommand(pop));
        await waitBlocked(pa, 1);
        await waitBlocked(pb, 1);
        assert.equal(canon(await pa.callRaw(...push)), canon(await pb.callRaw(...push)));
        assert.equal(canon(await a.readValue()), canon(await b.readValue()));
      }
    } finally {
      for (const c of [a, pa, b, pb]) c.close();
      await node.kill();
      await redis.stop();
    }
  },
});
