/**
 * The 16 databases of a standalone node (issue 16), against a real redis-server 7.0.15:
 * - a seeded differential fuzz over dbs 0-15 (SELECT, MOVE, COPY ... DB, SWAPDB, FLUSHDB,
 *   FLUSHALL, DBSIZE, KEYS, SCAN, EXPIRE/TTL, MULTI/EXEC with SELECT inside, EVAL with SELECT
 *   inside, wrong types), every reply compared byte for byte in RESP2 and RESP3, and DEBUG
 *   DIGEST (which covers every database) after each script;
 * - cluster mode's refusals, compared with a redis-server started with cluster-enabled yes;
 * - per-database WATCH, blocking, keyspace notifications, SWAPDB waking blocked clients and
 *   failing transactions, compared the same way;
 * - replication of multi-db writes to a replica of ours and to a real redis-server replica;
 * - RDB and AOF files with several databases, read by redis-check-rdb/-aof and redis-server,
 *   and redis-server's files read back by us.
 * A failure message carries the seed, so a run replays.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { callBoth, type Cmd, cmdText, show, untilMarker, withNodeAndRedis } from "./compare.ts";
import {
  haveRedisServer,
  RespClient,
  run,
  spawnRedis,
  startNode,
  tempDir,
  waitFor,
} from "./harness.ts";
import { prng } from "./prng.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const SEED = Number(Deno.env.get("DB_FUZZ_SEED") ?? 16016);

/** Random commands over the 16 databases (seeded). */
function randomScript(seed: number, n: number): Cmd[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const db = () =>
    String(rnd() < 0.05 ? pick(["16", "-1", "x", "99999999999"]) : pick([0, 1, 2, 3, 15]));
  const key = () => pick(["a", "b", "c", "l", "s"]);
  const out: Cmd[] = [];
  while (out.length < n) {
    const r = rnd();
    if (r < 0.12) out.push(["select", db()]);
    else if (r < 0.27) out.push(["set", key(), pick(["1", "x", "hello"])]);
    else if (r < 0.32) out.push(["rpush", pick(["l", "a"]), "e1", "e2"]);
    else if (r < 0.36) out.push(["sadd", pick(["s", "b"]), "m1", "m2"]);
    else if (r < 0.42) out.push(["get", key()]);
    else if (r < 0.46) out.push(["type", key()]);
    else if (r < 0.5) out.push(["expire", key(), pick(["100", "1000"])]);
    else if (r < 0.53) out.push(["ttl", key()]);
    else if (r < 0.61) out.push(["move", key(), db()]);
    else if (r < 0.68) {
      const c: Cmd = ["copy", key(), key()];
      if (rnd() < 0.7) c.push("db", db());
      if (rnd() < 0.4) c.push("replace");
      out.push(c);
    } else if (r < 0.72) out.push(["swapdb", db(), db()]);
    else if (r < 0.74) out.push(["flushdb"]);
    else if (r < 0.745) out.push(["flushall"]);
    else if (r < 0.8) out.push(["dbsize"]);
    else if (r < 0.84) out.push(["keys", "*"]);
    else if (r < 0.87) out.push(["scan", "0", "count", "1000"]);
    else if (r < 0.9) out.push(["del", key(), key()]);
    else if (r < 0.92) out.push(["exists", key()]);
    else if (r < 0.94) out.push(["object", "encoding", key()]);
    else if (r < 0.97) {
      // A transaction with a SELECT inside: the client stays in the last database after EXEC.
      out.push(["multi"], ["set", key(), "m"], ["select", db()], ["incr", "n"], ["exec"]);
    } else {
      // SELECT inside a script is local to the script (Redis 7).
      out.push([
        "eval",
        "redis.call('select', ARGV[1]); redis.call('set', KEYS[1], 'lua'); return redis.call('dbsize')",
        "1",
        key(),
        pick(["1", "2", "15"]),
      ]);
    }
  }
  return out;
}

/** A reply as compared: KEYS and SCAN's keys in sorted order (their order is the dict's). */
function canon(c: Cmd, v: RespValue): string {
  const name = String(c[0]).toLowerCase();
  if (name === "keys" && v.type === "array") return v.value.map(show).sort().join(",");
  if (name === "scan" && v.type === "array" && v.value[1]?.type === "array") {
    return `${show(v.value[0])}|${v.value[1].value.map(show).sort().join(",")}`;
  }
  return show(v);
}

async function runScript(a: RespClient, b: RespClient, script: Cmd[], label: string) {
  const history: string[] = [];
  for (const c of script) {
    const [ra, rb] = await callBoth(a, b, c);
    let sa = canon(c, ra);
    const sb = canon(c, rb);
    // TTLs come from times a few ms apart on the two servers.
    if (
      c[0] === "ttl" && ra.type === "int" && rb.type === "int" &&
      Math.abs(Number(ra.value) - Number(rb.value)) <= 1
    ) sa = sb;
    history.push(`${cmdText(c)} -> ${sb}`);
    if (history.length > 15) history.shift();
    assert.equal(sa, sb, `${label}: reply to ${cmdText(c)}\nafter:\n  ${history.join("\n  ")}`);
  }
  const [da, dbb] = await callBoth(a, b, ["debug", "digest"]);
  assert.equal(show(da), show(dbb), `${label}: DEBUG DIGEST after the script`);
  for (let i = 0; i < 16; i++) {
    await callBoth(a, b, ["select", String(i)]);
    const [sa, sb] = await callBoth(a, b, ["dbsize"]);
    assert.equal(show(sa), show(sb), `${label}: DBSIZE of db ${i}`);
  }
}

Deno.test("databases: seeded differential fuzz over dbs 0-15, RESP2 and RESP3, DEBUG DIGEST", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (let s = 0; s < 6; s++) {
      const seed = SEED + s;
      const resp = s % 2 === 0 ? "2" : "3";
      await callBoth(a, b, ["hello", resp]);
      await callBoth(a, b, ["flushall"]);
      await callBoth(a, b, ["select", "0"]);
      await runScript(a, b, randomScript(seed, 250), `seed ${seed} (RESP${resp})`);
    }
  });
});

Deno.test("databases: errors and edge cases as Redis", async () => {
  await withNodeAndRedis(async (a, b) => {
    const script: Cmd[] = [
      ["select", "16"],
      ["select", "-1"],
      ["select", "abc"],
      ["select", "2147483648"],
      ["select", "1", "2"],
      ["move", "k", "0"],
      ["set", "k", "v"],
      ["move", "k", "0"],
      ["move", "k", "16"],
      ["move", "k", "x"],
      ["move", "k", "99999999999"],
      ["move", "nokey", "1"],
      ["pexpire", "k", "500000"],
      ["move", "k", "1"],
      ["exists", "k"],
      ["select", "1"],
      ["pttl", "k"],
      ["set", "k2", "x"],
      ["move", "k2", "0"],
      ["select", "0"],
      ["set", "k2", "y"],
      ["select", "1"],
      ["move", "k2", "0"],
      ["copy", "k", "k"],
      ["copy", "k", "k", "db", "1"],
      ["copy", "k", "k", "db", "0"],
      ["copy", "k", "k", "db", "0"],
      ["copy", "k", "k", "db", "0", "replace"],
      ["copy", "k", "z", "db", "16"],
      ["copy", "k", "z", "db", "x"],
      ["copy", "k", "z", "db", "2147483648"],
      ["copy", "k", "z", "db"],
      ["copy", "k", "z", "foo"],
      ["swapdb", "0"],
      ["swapdb", "x", "1"],
      ["swapdb", "1", "x"],
      ["swapdb", "0", "16"],
      ["swapdb", "2147483648", "1"],
      ["swapdb", "1", "1"],
      ["swapdb", "0", "1"],
      ["dbsize"],
      ["flushdb", "foo"],
      ["flushdb", "async"],
      ["select", "0"],
      ["dbsize"],
      ["randomkey"],
      ["info", "keyspace"],
      ["command", "info", "swapdb", "select", "move", "copy"],
      ["command", "docs", "swapdb"],
    ];
    for (const c of script) {
      const [ra, rb] = await callBoth(a, b, c);
      let sa = show(ra);
      let sb = show(rb);
      if (c[0] === "pttl" && ra.type === "int" && rb.type === "int") {
        assert.ok(Math.abs(Number(ra.value) - Number(rb.value)) < 2000, `pttl ${sa} vs ${sb}`);
        continue;
      }
      // avg_ttl is an estimate (both sample the TTLs): the rest of the line must match.
      if (c[0] === "info") {
        sa = sa.replace(/avg_ttl=\d+/g, "avg_ttl=*");
        sb = sb.replace(/avg_ttl=\d+/g, "avg_ttl=*");
      }
      assert.equal(sa, sb, `reply to ${cmdText(c)}`);
    }
  });
});

Deno.test("databases: cluster mode keeps db 0 only, with Redis's errors", async () => {
  if (!haveRedisServer()) return;
  const rdir = await tempDir("redis-cluster");
  await withNodeAndRedis(async (a, b) => {
    for (
      const c of [
        ["select", "0"],
        ["select", "1"],
        ["select", "16"],
        ["select", "x"],
        ["swapdb", "0", "1"],
        ["swapdb", "x", "1"],
        ["move", "k", "1"],
        ["move", "k", "x"],
        ["copy", "k", "z", "db", "1"],
        ["copy", "k", "z", "db", "16"],
        ["copy", "k", "z", "db", "0"],
      ] as Cmd[]
    ) {
      const [ra, rb] = await callBoth(a, b, c);
      assert.equal(show(ra), show(rb), `reply to ${cmdText(c)}`);
    }
  }, {
    ours: { "cluster-enabled": "yes" },
    redis: {
      "cluster-enabled": "yes",
      "cluster-config-file": join(rdir, "nodes.conf"),
      dir: rdir,
    },
  });
});

Deno.test("databases: WATCH, blocking and notifications are per database; SWAPDB wakes and fails them", async () => {
  if (!haveRedisServer()) return;
  await withNodeAndRedis(async (a, b, node) => {
    const redisPort = (b.conn.remoteAddr as Deno.NetAddr).port;
    const a2 = await RespClient.connect(node.port);
    const b2 = await RespClient.connect(redisPort);
    const both = async (cs: Cmd[]) => {
      for (const c of cs) {
        const [ra, rb] = await callBoth(a, b, c);
        assert.equal(show(ra), show(rb), `reply to ${cmdText(c)}`);
      }
    };
    try {
      await both([["config", "set", "notify-keyspace-events", "KEA"]]);
      // Notifications name the database.
      for (const c of [a2, b2]) {
        assert.equal(
          show(await c.callRaw("psubscribe", "__key*@*__:*")),
          '[$"psubscribe",$"__key*@*__:*",:1]',
        );
      }
      await both([["select", "3"], ["set", "nk", "1"], ["move", "nk", "5"], ["select", "5"], [
        "copy",
        "nk",
        "nk2",
        "db",
        "7",
      ], ["swapdb", "5", "7"]]);
      const na = (await untilMarker(a2, "end")).map(show);
      const nb = (await untilMarker(b2, "end")).map(show);
      assert.deepEqual(na, nb);
      assert.ok(
        na.some((x) => x.includes("__keyspace@3__:nk") && x.includes("move_from")),
        na.join("\n"),
      );
      await a2.callRaw("punsubscribe");
      await b2.callRaw("punsubscribe");
      await a2.callRaw("reset");
      await b2.callRaw("reset");

      // WATCH is per database: a write to the same key name elsewhere does not fail EXEC.
      await both([["select", "1"], ["set", "w", "1"], ["watch", "w"]]);
      for (const c of [a2, b2]) await c.callRaw("set", "w", "other-db-0");
      await both([["multi"], ["get", "w"], ["exec"]]);
      // SWAPDB fails a transaction watching a key of a swapped database.
      await both([["watch", "w"]]);
      for (const c of [a2, b2]) await c.callRaw("swapdb", "1", "2");
      await both([["multi"], ["get", "w"], ["exec"]]);

      // A client blocked in db 1 is not woken by a push in db 0; SWAPDB brings it data.
      for (const c of [a2, b2]) {
        await c.callRaw("select", "1");
        await c.writeRaw("*3\r\n$5\r\nBLPOP\r\n$2\r\nbl\r\n$1\r\n0\r\n");
      }
      await waitFor("both blocked", async () => {
        const ia = show(await a.callRaw("info", "clients"));
        const ib = show(await b.callRaw("info", "clients"));
        return ia.includes("blocked_clients:1") && ib.includes("blocked_clients:1");
      });
      await both([["select", "0"], ["rpush", "bl", "x0"], ["select", "4"], ["rpush", "bl", "x4"], [
        "swapdb",
        "1",
        "4",
      ]]);
      const wa = show((await a2.readValue())!);
      const wb = show((await b2.readValue())!);
      assert.equal(wa, wb);
      assert.equal(wa, '[$"bl",$"x4"]');
      await both([["select", "0"], ["lrange", "bl", "0", "-1"], ["debug", "digest"]]);
    } finally {
      a2.close();
      b2.close();
    }
  });
});

/** Write the same multi-db dataset through `c` (deterministic). */
async function writeDataset(c: RespClient): Promise<void> {
  const cmds: Cmd[] = [];
  for (let d = 0; d < 16; d += 3) {
    cmds.push(["select", String(d)]);
    cmds.push(["set", `s${d}`, `v${d}`]);
    cmds.push(["rpush", "list", "a", String(d)]);
    cmds.push(["sadd", "set", "x", String(d)]);
    cmds.push(["hset", "h", "f", String(d)]);
    cmds.push(["zadd", "z", String(d), "m"]);
    cmds.push(["set", "ttl", "t", "px", String(900_000_000 + d)]);
  }
  cmds.push(["select", "2"], ["set", "from-multi", "0"]);
  cmds.push(["multi"], ["select", "4"], ["incr", "ctr"], ["select", "5"], ["incr", "ctr"], [
    "exec",
  ]);
  cmds.push(["swapdb", "3", "8"], ["select", "9"], ["move", "s9", "10"], ["flushdb"]);
  cmds.push(["eval", "redis.call('select', 11); return redis.call('set', 'lua', '1')", "0"]);
  cmds.push(["select", "0"]);
  for (const x of cmds) {
    const r = await c.callRaw(...x);
    assert.notEqual(r.type, "error", `${cmdText(x)}: ${show(r)}`);
  }
}

async function digest(c: RespClient): Promise<string> {
  return show(await c.callRaw("debug", "digest"));
}

Deno.test("databases: replication of multi-db writes to our replica and to a redis-server replica", async () => {
  if (!haveRedisServer()) return;
  const master = await startNode({ "enable-debug-command": "yes" });
  const replica = await startNode({ "enable-debug-command": "yes" });
  const redis = await spawnRedis({ "enable-debug-command": "yes" });
  const m = await RespClient.connect(master.port);
  const r1 = await RespClient.connect(replica.port);
  const r2 = await RespClient.connect(redis.port);
  try {
    await m.callRaw("select", "6");
    await m.callRaw("set", "before-sync", "1");
    assert.equal(show(await r1.callRaw("replicaof", "127.0.0.1", String(master.port))), "+OK");
    assert.equal(show(await r2.callRaw("replicaof", "127.0.0.1", String(master.port))), "+OK");
    await writeDataset(m);
    // An expiry in db 13 goes out as a DEL in db 13.
    await m.callRaw("select", "13");
    await m.callRaw("set", "short", "x", "px", "1");
    await waitFor("expired", async () => show(await m.callRaw("dbsize")) === ":0");
    await m.callRaw("select", "0");
    const want = await digest(m);
    assert.notEqual(want, '+"0000000000000000000000000000000000000000"');
    await waitFor("our replica caught up", async () => await digest(r1) === want);
    await waitFor("redis replica caught up", async () => await digest(r2) === want);
    // The data is in the same databases on all three.
    for (const c of [r1, r2]) {
      await c.callRaw("select", "11");
      assert.equal(show(await c.callRaw("get", "lua")), '$"1"');
      await c.callRaw("select", "5");
      assert.equal(show(await c.callRaw("get", "ctr")), '$"1"');
    }
  } finally {
    m.close();
    r1.close();
    r2.close();
    await replica.stop();
    await redis.stop();
    await master.stop();
  }
});

Deno.test("databases: RDB and AOF files with several databases round-trip with redis-server", async () => {
  if (!haveRedisServer()) return;
  // Ours writes: dump.rdb, and an AOF (commands base + incr file after a rewrite).
  const dir = await tempDir("dbs-files");
  const node = await startNode({
    "enable-debug-command": "yes",
    appendonly: "yes",
    "aof-use-rdb-preamble": "no",
    dir,
  });
  const c = await RespClient.connect(node.port);
  let ours = "";
  let theirs = "";
  try {
    await writeDataset(c);
    assert.equal(
      show(await c.callRaw("bgrewriteaof")),
      "+Background append only file rewriting started",
    );
    await waitFor(
      "rewrite done",
      async () =>
        show(await c.callRaw("info", "persistence")).includes("aof_rewrite_in_progress:0"),
    );
    // After the rewrite, writes go to the new incremental file, which must SELECT again even
    // in the database the last write before the rewrite went to (db 11, the EVAL).
    await c.callRaw("select", "11");
    await c.callRaw("set", "after-rewrite", "1");
    await c.callRaw("select", "0");
    assert.equal(show(await c.callRaw("save")), "+OK");
    ours = await digest(c);
  } finally {
    c.close();
    await node.stop();
  }
  const rdb = join(dir, "dump.rdb");
  const check = await run("redis-check-rdb", [rdb]);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const manifest = join(dir, "appendonlydir", "appendonly.aof.manifest");
  const checkAof = await run("redis-check-aof", [manifest]);
  assert.equal(checkAof.code, 0, checkAof.stdout + checkAof.stderr);

  // redis-server loads our RDB, then our AOF: the same dataset.
  for (const aof of ["no", "yes"]) {
    const rdir = await tempDir("dbs-redis");
    if (aof === "no") await Deno.copyFile(rdb, join(rdir, "dump.rdb"));
    else {
      await Deno.mkdir(join(rdir, "appendonlydir"));
      for (const e of Deno.readDirSync(join(dir, "appendonlydir"))) {
        await Deno.copyFile(
          join(dir, "appendonlydir", e.name),
          join(rdir, "appendonlydir", e.name),
        );
      }
    }
    const redis = await spawnRedis({ dir: rdir, appendonly: aof, "enable-debug-command": "yes" });
    const b = await RespClient.connect(redis.port);
    try {
      assert.equal(
        await digest(b),
        ours,
        `redis-server loading our ${aof === "yes" ? "AOF" : "RDB"}`,
      );
      if (aof === "no") {
        // And back: redis-server's RDB (and an AOF rewritten by it) loaded by us.
        await b.callRaw("select", "14");
        await b.callRaw("set", "from-redis", "1");
        await b.callRaw("save");
        theirs = await digest(b);
      }
    } finally {
      b.close();
      await redis.stop();
    }
    if (aof === "no") {
      const back = await startNode({ dir: rdir, "enable-debug-command": "yes" });
      const d = await RespClient.connect(back.port);
      try {
        assert.equal(await digest(d), theirs, "our node loading redis-server's RDB");
      } finally {
        d.close();
        await back.stop();
      }
    }
  }
});
