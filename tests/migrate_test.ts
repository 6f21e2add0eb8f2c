/**
 * MIGRATE between two of our nodes (standalone), and between ours and a real redis-server 7.0 in
 * both directions: single key and KEYS forms, COPY, REPLACE, BUSYKEY, NOKEY, AUTH/AUTH2, the
 * IOERR texts (refused port, unresolvable host, silent target, target closing the connection),
 * every data type, argument errors compared with redis-server, the cached connection (SELECT
 * once), and the per-batch atomicity (writes to keys in flight wait; a key changed in flight by
 * a served BLMOVE is re-sent with REPLACE), and replication as DEL. Cluster-mode MIGRATE is in
 * tests/reshard_test.ts.
 */

import assert from "node:assert/strict";
import { freePort, RespClient, sleep, spawnRedis, startNode, waitFor } from "./harness.ts";
import { populate, readKey } from "./rdb_helpers.ts";
import { type FakeTarget, fakeTarget } from "./fake_migrate_target.ts";
import { parseDumpPayload } from "../protocol/rdb_dump.ts";
import { DEFAULT_RDB_OPTIONS } from "../protocol/rdb_object.ts";
import type { ListValue } from "../keyspace/db.ts";
import type { Plain } from "../protocol/resp_value.ts";

const HOST = "127.0.0.1";

function text(v: Plain): string {
  return v instanceof Error ? `ERR-REPLY: ${v.message}` : JSON.stringify(v);
}

const dec = new TextDecoder();
const names = (reqs: Uint8Array[][]) => reqs.map((r) => dec.decode(r[0]).toUpperCase());

Deno.test("MIGRATE ours -> ours: key with TTL, KEYS form, NOKEY, COPY, REPLACE, BUSYKEY, cached connection", async () => {
  const a = await startNode();
  const b = await startNode();
  const ca = await RespClient.connect(a.port);
  const cb = await RespClient.connect(b.port);
  const pb = String(b.port);
  try {
    await ca.call("SET", "k", "v");
    await ca.call("PEXPIRE", "k", "50000");
    assert.equal(await ca.call("MIGRATE", HOST, pb, "k", "0", "5000"), "OK");
    assert.equal(await ca.call("EXISTS", "k"), 0);
    assert.equal(await cb.call("GET", "k"), "v");
    const pttl = await cb.call("PTTL", "k") as number;
    assert.ok(pttl > 45000 && pttl <= 50000, `ttl moved: ${pttl}`);

    // Missing keys: NOKEY, whatever the form.
    assert.equal(await ca.call("MIGRATE", HOST, pb, "k", "0", "5000"), "NOKEY");
    assert.equal(await ca.call("MIGRATE", HOST, pb, "", "0", "5000", "KEYS", "x", "y"), "NOKEY");
    assert.equal(await ca.call("MIGRATE", HOST, pb, "", "0", "5000", "KEYS"), "NOKEY");

    // KEYS form: existing keys move, missing ones are skipped.
    await ca.call("MSET", "a1", "1", "a2", "2", "a3", "3");
    assert.equal(
      await ca.call("MIGRATE", HOST, pb, "", "0", "5000", "KEYS", "a1", "nope", "a2", "a3"),
      "OK",
    );
    assert.equal(await ca.call("EXISTS", "a1", "a2", "a3"), 0);
    assert.deepEqual(await cb.call("MGET", "a1", "a2", "a3"), ["1", "2", "3"]);
    assert.equal(await cb.call("PTTL", "a1"), -1);

    // BUSYKEY: exact text; the source keeps its key.
    await ca.call("SET", "a1", "new");
    assert.equal(
      text(await ca.call("MIGRATE", HOST, pb, "a1", "0", "5000")),
      "ERR-REPLY: ERR Target instance replied with error: BUSYKEY Target key name already exists.",
    );
    assert.equal(await ca.call("GET", "a1"), "new");
    // COPY keeps it here too, REPLACE overwrites there.
    assert.equal(await ca.call("MIGRATE", HOST, pb, "a1", "0", "5000", "COPY", "REPLACE"), "OK");
    assert.equal(await ca.call("GET", "a1"), "new");
    assert.equal(await cb.call("GET", "a1"), "new");
    await ca.call("SET", "a1", "newer");
    assert.equal(await ca.call("MIGRATE", HOST, pb, "a1", "0", "5000", "REPLACE"), "OK");
    assert.equal(await ca.call("EXISTS", "a1"), 0);
    assert.equal(await cb.call("GET", "a1"), "newer");

    // One cached connection: SELECT on it once, and again after the BUSYKEY error (Redis forgets
    // the selected db on a target error); plain RESTORE (not in cluster mode).
    const info = await cb.call("INFO", "commandstats") as string;
    assert.match(info, /cmdstat_select:calls=2,/);
    assert.match(info, /cmdstat_restore:calls=7,/);
    assert.equal(
      ((await cb.call("CLIENT", "LIST")) as string).trim().split("\n").length,
      2,
      "one cached connection from the source plus this client",
    );
    assert.doesNotMatch(info, /restore-asking/);
    // Another db: SELECT again, and the target's error comes back as Redis words it.
    await ca.call("SET", "d", "x");
    assert.equal(
      text(await ca.call("MIGRATE", HOST, pb, "d", "99", "5000")),
      "ERR-REPLY: ERR Target instance replied with error: ERR DB index is out of range",
    );
    assert.equal(await ca.call("GET", "d"), "x");
    // As in Redis, the pipelined RESTORE still ran in the connection's db 0 on the target.
    assert.equal(await cb.call("GET", "d"), "x");
    // (Our nodes have only db 0.) Back to db 0: SELECT is sent again after the error.
    assert.equal(await ca.call("MIGRATE", HOST, pb, "d", "0", "5000", "REPLACE"), "OK");
    assert.equal(await ca.call("EXISTS", "d"), 0);
    assert.equal(await cb.call("GET", "d"), "x");
    assert.match(await cb.call("INFO", "commandstats") as string, /cmdstat_select:calls=4,/);
  } finally {
    ca.close();
    cb.close();
    await a.stop();
    await b.stop();
  }
});

Deno.test("MIGRATE argument errors and NOKEY match redis-server", async () => {
  const redis = await spawnRedis();
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  try {
    const p = "1"; // never contacted
    const cases: string[][] = [
      ["MIGRATE", HOST, p, "k", "0", "100", "foo"],
      ["MIGRATE", HOST, p, "k", "0", "100", "auth"],
      ["MIGRATE", HOST, p, "k", "0", "100", "auth2", "u"],
      ["MIGRATE", HOST, p, "k", "0", "100", "copy", "keys", "a"],
      ["MIGRATE", HOST, p, "k", "x", "100"],
      ["MIGRATE", HOST, p, "k", "0", "abc"],
      ["MIGRATE", HOST, p, "k", "0", "1.5"],
      ["MIGRATE", HOST, p, "", "0", "100", "keys"],
      ["MIGRATE", HOST, p, "", "0", "100"],
      ["MIGRATE", HOST, p, "nokey", "0", "100", "COPY", "REPLACE", "AUTH2", "u", "p"],
      ["MIGRATE", HOST, p, "k", "0"],
      ["migrate", HOST, p, "k", "0", "100", "KEYS", "a", "b"],
    ];
    for (const c of cases) {
      assert.equal(text(await oc.call(...c)), text(await rc.call(...c)), c.join(" "));
    }
    // COMMAND INFO: movable keys, first key 3.
    const ours = await oc.call("COMMAND", "INFO", "migrate") as Plain[][];
    const real = await rc.call("COMMAND", "INFO", "migrate") as Plain[][];
    assert.deepEqual(ours[0].slice(0, 6), real[0].slice(0, 6));
    assert.deepEqual(
      await oc.call(
        "COMMAND",
        "GETKEYS",
        "MIGRATE",
        HOST,
        p,
        "",
        "0",
        "1",
        "COPY",
        "KEYS",
        "a",
        "b",
      ),
      ["a", "b"],
    );
  } finally {
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("MIGRATE AUTH / AUTH2 into a password-protected target: same replies as redis-server", async () => {
  const realSrc = await spawnRedis();
  const realDst = await spawnRedis();
  const ourSrc = await startNode();
  const ourDst = await startNode();
  const clients: RespClient[] = [];
  try {
    const rs = await RespClient.connect(realSrc.port);
    const os = await RespClient.connect(ourSrc.port);
    const rd = await RespClient.connect(realDst.port);
    const od = await RespClient.connect(ourDst.port);
    clients.push(rs, os, rd, od);
    assert.equal(await rd.call("CONFIG", "SET", "requirepass", "secret"), "OK");
    assert.equal(await od.call("CONFIG", "SET", "requirepass", "secret"), "OK");
    const variants: string[][] = [
      [],
      ["AUTH", "wrong"],
      ["AUTH2", "nobody", "secret"],
      ["AUTH2", "default", "wrong"],
      ["AUTH", "secret"],
    ];
    for (const [i, extra] of variants.entries()) {
      const key = `k${i}`;
      await rs.call("SET", key, "v");
      await os.call("SET", key, "v");
      const real = await rs.call("MIGRATE", HOST, String(realDst.port), key, "0", "2000", ...extra);
      const ours = await os.call("MIGRATE", HOST, String(ourDst.port), key, "0", "2000", ...extra);
      assert.equal(text(ours), text(real), extra.join(" ") || "no auth");
      assert.equal(await os.call("EXISTS", key), await rs.call("EXISTS", key));
      assert.equal(await od.call("EXISTS", key), await rd.call("EXISTS", key));
    }
    // AUTH2 with the right pair works on both.
    await os.call("SET", "k9", "v");
    assert.equal(
      await os.call(
        "MIGRATE",
        HOST,
        String(ourDst.port),
        "k9",
        "0",
        "2000",
        "AUTH2",
        "default",
        "secret",
      ),
      "OK",
    );
    assert.equal(await od.call("GET", "k9"), "v");
    // The last successful AUTH did not leave the keys of the failed attempts behind.
    assert.equal(await os.call("EXISTS", "k0", "k1", "k2", "k3"), 4);
  } finally {
    for (const c of clients) c.close();
    await ourSrc.stop();
    await ourDst.stop();
    await realSrc.stop();
    await realDst.stop();
  }
});

Deno.test("MIGRATE IOERR texts: refused, unresolvable, silent target (timeout), closing target (one retry)", async () => {
  const redis = await spawnRedis();
  const node = await startNode();
  const rc = await RespClient.connect(redis.port);
  const oc = await RespClient.connect(node.port);
  const targets: FakeTarget[] = [];
  try {
    await rc.call("SET", "k", "v");
    await oc.call("SET", "k", "v");
    const both = async (...args: string[]) => {
      const real = await rc.call(...args);
      const ours = await oc.call(...args);
      assert.equal(text(ours), text(real), args.join(" "));
      return ours;
    };
    // A port nobody listens on: Redis 7.0's blocking connect reports it at the first write.
    const closedPort = String(freePort());
    assert.equal(
      text(await both("MIGRATE", HOST, closedPort, "k", "0", "500")),
      "ERR-REPLY: IOERR error or timeout writing to target instance",
    );
    assert.equal(
      text(await both("MIGRATE", "no-such-host.invalid", "6379", "k", "0", "500")),
      "ERR-REPLY: IOERR error or timeout connecting to the client",
    );
    // Accepts, never answers: the timeout applies, no retry.
    const silentReal = fakeTarget("silent");
    const silentOurs = fakeTarget("silent");
    targets.push(silentReal, silentOurs);
    let t0 = Date.now();
    assert.equal(
      text(await rc.call("MIGRATE", HOST, String(silentReal.port), "k", "0", "300")),
      "ERR-REPLY: IOERR error or timeout reading to target instance",
    );
    t0 = Date.now();
    assert.equal(
      text(await oc.call("MIGRATE", HOST, String(silentOurs.port), "k", "0", "300")),
      "ERR-REPLY: IOERR error or timeout reading to target instance",
    );
    const took = Date.now() - t0;
    // Not before its 300 ms, and it ends (without the timeout it would wait forever): 10 s leaves
    // room for ten times the load.
    assert.ok(took >= 280 && took < 10_000, `timeout honoured: ${took} ms`);
    assert.equal(silentOurs.accepts, silentReal.accepts);
    assert.deepEqual(names(silentOurs.requests), ["SELECT", "RESTORE"]);
    // The node stayed responsive meanwhile, and the key is still here.
    assert.equal(await oc.call("GET", "k"), "v");
    // Closes after reading: one retry on a new connection, then "reading".
    const closeReal = fakeTarget("close");
    const closeOurs = fakeTarget("close");
    targets.push(closeReal, closeOurs);
    assert.equal(
      text(await rc.call("MIGRATE", HOST, String(closeReal.port), "k", "0", "500")),
      "ERR-REPLY: IOERR error or timeout reading to target instance",
    );
    assert.equal(
      text(await oc.call("MIGRATE", HOST, String(closeOurs.port), "k", "0", "500")),
      "ERR-REPLY: IOERR error or timeout reading to target instance",
    );
    assert.equal(closeReal.accepts, 2);
    assert.equal(closeOurs.accepts, 2);
    assert.equal(await oc.call("GET", "k"), "v");
  } finally {
    for (const t of targets) t.stop();
    rc.close();
    oc.close();
    await node.stop();
    await redis.stop();
  }
});

async function allKeysEqual(
  from: RespClient,
  to: RespClient,
  keys: string[],
  expected: Map<string, string>,
): Promise<void> {
  for (const k of keys) {
    assert.equal(await from.call("EXISTS", k), 0, `gone from the source: ${k}`);
    assert.equal(await readKey(to, k), expected.get(k), `value on the target: ${k}`);
  }
}

Deno.test("MIGRATE every data type: ours -> ours, ours -> redis-server, redis-server -> ours", async () => {
  const redis = await spawnRedis({ "enable-debug-command": "yes" });
  const a = await startNode();
  const b = await startNode();
  const rc = await RespClient.connect(redis.port);
  const ca = await RespClient.connect(a.port);
  const cb = await RespClient.connect(b.port);
  try {
    const keys = await populate(ca);
    await ca.call("EXPIRE", "hash:large", "1000");
    const expected = new Map<string, string>();
    const digests = new Map<string, Plain>();
    for (const k of keys) {
      expected.set(k, await readKey(ca, k));
      digests.set(k, ((await ca.call("DEBUG", "DIGEST-VALUE", k)) as Plain[])[0]);
    }
    // ours -> ours (pipelined KEYS batch)
    assert.equal(
      await ca.call("MIGRATE", HOST, String(b.port), "", "0", "5000", "KEYS", ...keys),
      "OK",
    );
    await allKeysEqual(ca, cb, keys, expected);
    const ttl = await cb.call("TTL", "hash:large") as number;
    assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
    // ours -> redis-server, one key at a time (the import style), digests equal to ours
    for (const k of keys) {
      assert.equal(await cb.call("MIGRATE", HOST, String(redis.port), k, "0", "5000"), "OK", k);
    }
    await allKeysEqual(cb, rc, keys, expected);
    for (const k of keys) {
      assert.equal(((await rc.call("DEBUG", "DIGEST-VALUE", k)) as Plain[])[0], digests.get(k), k);
    }
    // redis-server -> ours (real DUMP payloads in the RESTOREs)
    assert.equal(
      await rc.call("MIGRATE", HOST, String(a.port), "", "0", "5000", "REPLACE", "KEYS", ...keys),
      "OK",
    );
    await allKeysEqual(rc, ca, keys, expected);
    const ttl2 = await ca.call("TTL", "hash:large") as number;
    assert.ok(ttl2 > 980 && ttl2 <= 1000, `ttl ${ttl2}`);
    const info = await ca.call("INFO", "commandstats") as string;
    assert.match(info, new RegExp(`cmdstat_restore:calls=${keys.length},`));
    assert.match(info, /cmdstat_select:calls=1,/); // one connection, one pipelined batch
  } finally {
    rc.close();
    ca.close();
    cb.close();
    await a.stop();
    await b.stop();
    await redis.stop();
  }
});

Deno.test("MIGRATE large value: the node serves other clients while the batch is in flight", async () => {
  const a = await startNode();
  const b = await startNode();
  const ca = await RespClient.connect(a.port);
  const other = await RespClient.connect(a.port);
  const cb = await RespClient.connect(b.port);
  try {
    const big = new Uint8Array(40 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 255;
    await ca.call("SET", "big", big);
    await ca.call("SET", "other", "x");
    const pending = ca.call("MIGRATE", HOST, String(b.port), "big", "0", "20000");
    // While it moves, another client is answered, round trip after round trip. A MIGRATE that
    // held the event loop would let at most the first GET through before it is done.
    let migrated = false;
    void pending.then(() => migrated = true);
    let served = 0;
    while (!migrated) {
      assert.equal(await other.call("GET", "other"), "x");
      served++;
    }
    assert.equal(await pending, "OK");
    assert.ok(served >= 3, `only ${served} GETs served while 40 MB moved`);
    // (Not read back with GET: the test client is slow with 40 MB replies.)
    assert.equal(await cb.call("STRLEN", "big"), big.length);
    for (const at of [0, 4096, 4096 * 5000, big.length - 4096]) {
      const v = await cb.callRaw("GETRANGE", "big", String(at), String(at + 4095));
      assert.deepEqual((v as { value: Uint8Array }).value, big.subarray(at, at + 4096), `at ${at}`);
    }
    assert.equal(await ca.call("EXISTS", "big"), 0);
  } finally {
    ca.close();
    other.close();
    cb.close();
    await a.stop();
    await b.stop();
  }
});

Deno.test("MIGRATE atomic per batch: writes to keys in flight wait, reads are served, the target gets the snapshot", async () => {
  const node = await startNode();
  // The target answers only when the test says so: the batch is in flight until then.
  const target = fakeTarget("held");
  const m = await RespClient.connect(node.port);
  const r = await RespClient.connect(node.port);
  const w = await RespClient.connect(node.port);
  try {
    await m.call("SET", "k", "v1");
    await m.call("SET", "free", "f");
    const pending = m.call("MIGRATE", HOST, String(target.port), "k", "0", "5000");
    const isRestore = (q: Uint8Array[]) => dec.decode(q[0]).toUpperCase() === "RESTORE";
    await waitFor("the target got the RESTORE", () => target.requests.some(isRestore), 10_000, 5);
    // While the target holds its answer: reads are served, and writes to other keys.
    assert.equal(await r.call("GET", "k"), "v1");
    assert.equal(await r.call("SET", "free", "g"), "OK");
    // A write to the key waits for the batch.
    let writeDone = false;
    const write = w.call("APPEND", "k", "+").then((v) => {
      writeDone = true;
      return v;
    });
    // A round trip behind the APPEND on another connection: served while the APPEND waits.
    assert.equal(await r.call("GET", "free"), "g");
    assert.equal(writeDone, false, "the write to a key in flight waited");
    target.release();
    assert.equal(await pending, "OK");
    // 1, not 3: the APPEND ran after MIGRATE had deleted k (so after the target answered).
    assert.equal(await write, 1);
    assert.equal(await m.call("GET", "k"), "+");
    // The target received the snapshot taken before the write.
    const restores = target.requests.filter(isRestore);
    assert.equal(restores.length, 1);
    const val = parseDumpPayload(restores[0][3], DEFAULT_RDB_OPTIONS);
    assert.equal(val, "v1"); // small: a binary string
  } finally {
    m.close();
    r.close();
    w.close();
    target.stop();
    await node.stop();
  }
});

Deno.test("MIGRATE: a key changed in flight by a served BLMOVE is sent again with REPLACE", async () => {
  const node = await startNode();
  const target = fakeTarget("held");
  const m = await RespClient.connect(node.port);
  const x = await RespClient.connect(node.port);
  const y = await RespClient.connect(node.port);
  try {
    await m.call("RPUSH", "k", "a");
    const blocked = x.call("BLMOVE", "src", "k", "LEFT", "RIGHT", "0");
    await waitFor(
      "BLMOVE blocked",
      async () => {
        const info = await y.call("INFO", "clients") as string;
        return /blocked_clients:1\r\n/.test(info);
      },
      10_000,
      5,
    );
    const pending = m.call("MIGRATE", HOST, String(target.port), "k", "0", "5000");
    await waitFor("the batch is in flight", () => target.requests.length > 0, 10_000, 5);
    // src is not locked: the push is served, and the blocked BLMOVE writes into k.
    assert.equal(await y.call("RPUSH", "src", "b"), 1);
    assert.equal(await blocked, "b");
    target.release();
    assert.equal(await pending, "OK");
    assert.equal(await m.call("EXISTS", "k"), 0);
    const restores = target.requests.filter((q) => dec.decode(q[0]).toUpperCase() === "RESTORE");
    assert.equal(restores.length, 2);
    assert.equal(restores[0].length, 4);
    assert.equal(dec.decode(restores[1][4]), "REPLACE");
    const first = parseDumpPayload(restores[0][3], DEFAULT_RDB_OPTIONS) as ListValue;
    const second = parseDumpPayload(restores[1][3], DEFAULT_RDB_OPTIONS) as ListValue;
    // Small elements are loaded as binary strings (keyspace/string_value.ts).
    assert.deepEqual([...first], ["a"]);
    assert.deepEqual([...second], ["a", "b"]);
  } finally {
    m.close();
    x.close();
    y.close();
    target.stop();
    await node.stop();
  }
});

Deno.test({
  name: "MIGRATE reaches replicas as one DEL of the moved keys (never as MIGRATE)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const a = await startNode();
    const replica = await startNode();
    const b = await startNode();
    const ca = await RespClient.connect(a.port);
    const cr = await RespClient.connect(replica.port);
    try {
      assert.equal(await cr.call("REPLICAOF", HOST, String(a.port)), "OK");
      await ca.call("MSET", "k1", "v", "k2", "v", "stay", "x");
      await waitFor("replica in sync", async () => (await cr.call("DBSIZE")) === 3);
      assert.equal(
        await ca.call("MIGRATE", HOST, String(b.port), "", "0", "5000", "KEYS", "k1", "k2", "nope"),
        "OK",
      );
      await waitFor("DEL replicated", async () => (await cr.call("DBSIZE")) === 1);
      assert.equal(await cr.call("GET", "stay"), "x");
      const stats = await cr.call("INFO", "commandstats") as string;
      assert.match(stats, /cmdstat_del:calls=1,/);
      assert.doesNotMatch(stats, /cmdstat_migrate/);
      // COPY deletes nothing, so nothing is replicated.
      assert.equal(
        await ca.call("MIGRATE", HOST, String(b.port), "stay", "0", "5000", "COPY"),
        "OK",
      );
      await sleep(200);
      assert.equal(await cr.call("GET", "stay"), "x");
    } finally {
      ca.close();
      cr.close();
      await a.stop();
      await replica.stop();
      await b.stop();
    }
  },
});
