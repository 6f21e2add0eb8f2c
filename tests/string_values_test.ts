/**
 * String values held in two forms (keyspace/string_value.ts): a small value a command stores is
 * a JS binary string, a value written in place (APPEND, SETRANGE, SETBIT, HLLs, INCRBYFLOAT,
 * COPY's unshared integers) or a large one is a Uint8Array. Checked here: which form each
 * command leaves; that clients cannot tell the forms apart (replies, OBJECT ENCODING/REFCOUNT,
 * DUMP, DEBUG DIGEST-VALUE against a real redis-server 7.0, RESP2 and RESP3, before and after
 * DEBUG RELOAD, including a seeded random mix of string commands); and that values keep their
 * bytes and encodings through replication and an AOF rewrite without an RDB preamble.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import { haveRedisServer, RespClient, startNode, waitFor } from "./harness.ts";
import { callBoth, type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import type { Stored } from "../keyspace/db.ts";
import { prng } from "./prng.ts";

/** Arguments as latin1 bytes (one char per byte: "\x00", "\xff" are single bytes). */
const bin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (n: number, seed = 0) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(33 + (i * 7 + seed) % 94)).join("");
const binary = (n: number, seed = 0) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode((i * 131 + 128 + seed) & 0xff)).join("");

/**
 * The keys SETUP creates, with the form our keyspace should hold each in: "slab" for a small value
 * a SET-family command stored (keyspace/value_slab.ts), "string" for a binary string.
 */
const FORMS: [string, "slab" | "string" | "bytes"][] = [
  ["int0", "slab"],
  ["int9999", "slab"],
  ["int10000", "slab"],
  ["neg", "slab"],
  ["int64max", "slab"],
  ["int64min", "slab"],
  ["int64over", "slab"],
  ["lead0", "slab"],
  ["empty", "slab"],
  ["short", "slab"],
  ["e44", "slab"],
  ["r45", "slab"],
  ["bin", "slab"],
  ["bin128", "string"],
  ["bin129", "bytes"],
  ["text1024", "string"],
  ["text1025", "bytes"],
  ["ex", "slab"],
  ["get", "slab"],
  ["nx", "slab"],
  ["setnx", "slab"],
  ["setex", "slab"],
  ["psetex", "slab"],
  ["getset", "slab"],
  ["m1", "slab"],
  ["m2", "slab"],
  ["mnx1", "slab"],
  ["app0", "string"],
  ["incr", "string"],
  ["incrby", "string"],
  ["decr", "string"],
  ["app", "bytes"],
  ["sr", "bytes"],
  ["sr0", "bytes"],
  ["bit", "bytes"],
  ["float", "bytes"],
  ["float11", "bytes"],
  ["copy0", "bytes"],
  ["copyshort", "string"],
  ["bitop", "bytes"],
  ["hll", "bytes"],
  ["hllset", "string"],
  ["hllcount", "bytes"],
  ["hllpf", "bytes"],
];

/** Commands leaving one key of FORMS each (the same on both servers). */
const SETUP: Cmd[] = [
  ["SET", "int0", "0"],
  ["SET", "int9999", "9999"],
  ["SET", "int10000", "10000"],
  ["SET", "neg", "-42"],
  ["SET", "int64max", "9223372036854775807"],
  ["SET", "int64min", "-9223372036854775808"],
  ["SET", "int64over", "9223372036854775808"],
  ["SET", "lead0", "007"],
  ["SET", "empty", ""],
  ["SET", "short", "hello"],
  ["SET", "e44", text(44)],
  ["SET", "r45", text(45)],
  ["SET", "bin", bin("\x00\x80\x9f\xa0\xff\r\n\x7f")],
  ["SET", "bin128", bin(binary(128))],
  ["SET", "bin129", bin(binary(129))],
  ["SET", "text1024", text(1024)],
  ["SET", "text1025", text(1025)],
  ["SET", "ex", "with-ttl", "EX", "1000"],
  ["SET", "get", "old"],
  ["SET", "get", "new", "GET"],
  ["SET", "nx", "v", "NX"],
  ["SETNX", "setnx", "v"],
  ["SETEX", "setex", "1000", "v"],
  ["PSETEX", "psetex", "1000000", "v"],
  ["GETSET", "getset", "v"],
  ["MSET", "m1", "1", "m2", bin("\xfe")],
  ["MSETNX", "mnx1", "x"],
  ["APPEND", "app0", "12"],
  ["INCR", "incr"],
  ["INCRBY", "incrby", "-77"],
  ["SET", "decr", "10001"],
  ["DECR", "decr"],
  ["SET", "app", "ab"],
  ["APPEND", "app", "cd"],
  ["SET", "sr", "hello"],
  ["SETRANGE", "sr", "1", "EY"],
  ["SETRANGE", "sr0", "3", "x"],
  ["SET", "bit", "abc"],
  ["SETBIT", "bit", "3", "1"],
  ["SET", "float", "10"],
  ["INCRBYFLOAT", "float", "0.5"],
  ["SET", "float11", "10.5"],
  ["INCRBYFLOAT", "float11", "0.5"],
  ["COPY", "int0", "copy0"],
  ["COPY", "short", "copyshort"],
  ["BITOP", "OR", "bitop", "short", "bin"],
  ["PFADD", "hll", ...Array.from({ length: 30 }, (_, i) => `e${i}`)],
];

/** What each key is read with, in both protocols. */
function reads(key: string): Cmd[] {
  return [
    ["GET", key],
    ["MGET", key, "missing", key],
    ["STRLEN", key],
    ["GETRANGE", key, "1", "-2"],
    ["OBJECT", "ENCODING", key],
    ["OBJECT", "REFCOUNT", key],
    ["DUMP", key],
    ["DEBUG", "DIGEST-VALUE", key],
    ["TYPE", key],
    ["BITCOUNT", key],
    ["GETBIT", key, "9"],
  ];
}

/** Send `c` to both and require identical replies (`why` says where, e.g. the seed). */
async function same(a: RespClient, b: RespClient, c: Cmd, why: string): Promise<RespValue> {
  const [x, y] = await callBoth(a, b, c);
  assert.equal(show(x), show(y), `${why}: ${cmdText(c)}`);
  return x;
}

/** Switch both clients to RESP `proto` (HELLO's reply names each server's client id). */
async function hello(a: RespClient, b: RespClient, proto: string): Promise<void> {
  for (const c of [a, b]) assert.notEqual((await c.callRaw("HELLO", proto)).type, "error");
}

/** The form a value is held in. */
function formOf(v: Stored | undefined): string {
  return typeof v === "number"
    ? "slab"
    : typeof v === "string"
    ? "string"
    : v instanceof Uint8Array
    ? "bytes"
    : String(v);
}

/**
 * The HLL keys, from hll's bytes (a sparse HLL of 45 to 128 bytes: "raw" by its length) as SET
 * stores them: `hllset` as is, `hllcount` after PFCOUNT (which holds it as a raw string, bytes,
 * even with nothing to update: the cached cardinality is valid), `hllpf` after a PFADD. `b`, when given, gets the same and must reply the same.
 */
async function setupHll(a: RespClient, b: RespClient | null): Promise<void> {
  const run = (c: Cmd) => b === null ? a.callRaw(...c) : same(a, b, c, "hll");
  await run(["PFCOUNT", "hll"]); // caches the cardinality in the header
  const raw = await run(["GET", "hll"]);
  assert.equal(raw.type, "bulk");
  const bytes = (raw as { value: Uint8Array }).value;
  assert.ok(bytes.length > 44 && bytes.length <= 128, `hll: ${bytes.length} bytes`);
  for (const k of ["hllset", "hllcount", "hllpf"]) await run(["SET", k, bytes]);
  await run(["PFADD", "hllpf", "d"]);
  await run(["PFCOUNT", "hllcount"]);
  await run(["PFCOUNT", "hllset", "hllpf"]);
}

/** A seeded random mix of string commands over a few keys, values of every form's sizes. */
function randomCommands(seed: number, n: number): Cmd[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const keys = ["k1", "k2", "k3", "k4"];
  const value = (): Uint8Array | string => {
    const r = rnd();
    if (r < 0.25) return String(Math.floor(rnd() * 20000) - 5000);
    const n = pick([0, 1, 5, 12, 13, 20, 44, 45, 128, 129, 300, 1024, 1025]);
    return rnd() < 0.5 ? text(n, Math.floor(rnd() * 90)) : bin(binary(n, Math.floor(rnd() * 256)));
  };
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) {
    const k = pick(keys);
    const k2 = pick(keys);
    switch (Math.floor(rnd() * 16)) {
      case 0:
      case 1:
        out.push(["SET", k, value()]);
        break;
      case 2:
        out.push(["APPEND", k, value()]);
        break;
      case 3:
        out.push(["SETRANGE", k, String(Math.floor(rnd() * 50)), value()]);
        break;
      case 4:
        out.push(["SETBIT", k, String(Math.floor(rnd() * 400)), String(Math.floor(rnd() * 2))]);
        break;
      case 5:
        out.push(["INCRBY", k, String(Math.floor(rnd() * 200) - 100)]);
        break;
      case 6:
        out.push(["INCRBYFLOAT", k, pick(["0.5", "-2", "1.25", "3"])]);
        break;
      case 7:
        out.push(["GETSET", k, value()]);
        break;
      case 8:
        out.push(pick([["GETDEL", k], ["GETEX", k, "PX", "100000"], ["SETNX", k, value()]]));
        break;
      case 9:
        out.push(["MSET", k, value(), k2, value()]);
        break;
      case 10:
        out.push(["COPY", k, k2, "REPLACE"]);
        break;
      case 11:
        out.push([
          "GETRANGE",
          k,
          String(Math.floor(rnd() * 20) - 10),
          String(Math.floor(rnd() * 60) - 10),
        ]);
        break;
      case 12:
        out.push(["LCS", k, k2, "LEN"]);
        break;
      case 13:
        out.push(["OBJECT", "ENCODING", k]);
        break;
      case 14:
        out.push(["DUMP", k]);
        break;
      default:
        out.push(
          pick([["GET", k], ["STRLEN", k], ["DEBUG", "DIGEST-VALUE", k], [
            "OBJECT",
            "REFCOUNT",
            k,
          ]]),
        );
    }
  }
  return out;
}

const FUZZ_SEED = Number(Deno.env.get("FUZZ_SEED") ?? 18_2024);

Deno.test({
  name: "string values: small values are binary strings, values written in place are bytes",
  async fn() {
    const node = await startNode();
    const c = await RespClient.connect(node.port);
    try {
      for (const cmd of SETUP) await c.callRaw(...cmd);
      await setupHll(c, null);
      const dict = node.server.db.dict;
      const wrong = FORMS.filter(([k, form]) => formOf(dict.get(k)) !== form)
        .map(([k, form]) => `${k}: ${formOf(dict.get(k))}, expected ${form}`);
      assert.deepEqual(wrong, []);
      // Writes in place on a small value convert it to bytes first (a slab record is never
      // changed in place: SETBIT's new bytes are a value of their own).
      await c.callRaw("SET", "s", "abc");
      const before = dict.get("s");
      assert.equal(formOf(before), "slab");
      await c.callRaw("SETBIT", "s", "0", "1");
      assert.equal(formOf(dict.get("s")), "bytes");
      assert.equal(show(await c.callRaw("GET", "s")), show({ type: "bulk", value: bin("\xe1bc") }));
    } finally {
      c.close();
      await node.stop();
    }
  },
});

Deno.test({
  name:
    "string values: replies, encodings, DUMP and digests equal redis-server's (RESP2, RESP3, reload)",
  ignore: !haveRedisServer(),
  async fn() {
    await withNodeAndRedis(async (a, b, node) => {
      for (const cmd of SETUP) await same(a, b, cmd, "setup");
      await setupHll(a, b);
      const keys = FORMS.map(([k]) => k);
      for (const proto of ["2", "3"]) {
        await hello(a, b, proto);
        for (const k of keys) for (const cmd of reads(k)) await same(a, b, cmd, `RESP${proto}`);
      }
      await hello(a, b, "2");
      await same(a, b, ["DEBUG", "DIGEST"], "before reload");
      // SORT reads string values by pattern (BY weights, GET values).
      await same(a, b, ["RPUSH", "lst", "int0", "neg", "short", "bin"], "sort");
      await same(a, b, ["SORT", "lst", "BY", "*", "GET", "#", "GET", "*"], "sort");
      await same(a, b, ["SORT", "lst", "BY", "*", "ALPHA", "GET", "*"], "sort");
      await same(a, b, ["LCS", "short", "copyshort", "IDX"], "lcs");
      // After a reload (RDB save and load) the same, and small values are in the slab again.
      await same(a, b, ["DEBUG", "RELOAD"], "reload");
      for (const k of keys) for (const cmd of reads(k)) await same(a, b, cmd, "after reload");
      await same(a, b, ["DEBUG", "DIGEST"], "after reload");
      const dict = node.server.db.dict;
      assert.equal(formOf(dict.get("short")), "slab");
      assert.equal(formOf(dict.get("int10000")), "slab");
      assert.equal(typeof dict.get("bin128"), "string");
      assert.ok(dict.get("text1025") instanceof Uint8Array);
      assert.ok(dict.get("bin129") instanceof Uint8Array);
    });
  },
});

Deno.test({
  name: "string values: seeded random string commands match redis-server (RESP2 and RESP3)",
  ignore: !haveRedisServer(),
  async fn() {
    await withNodeAndRedis(async (a, b) => {
      for (let round = 0; round < 2; round++) {
        const seed = FUZZ_SEED + round;
        const why = `seed ${seed} (replay with FUZZ_SEED=${seed})`;
        await hello(a, b, round % 2 === 0 ? "2" : "3");
        await same(a, b, ["FLUSHALL"], why);
        for (const cmd of randomCommands(seed, 250)) await same(a, b, cmd, why);
        await same(a, b, ["DEBUG", "DIGEST"], why);
        for (const k of ["k1", "k2", "k3", "k4"]) {
          await same(a, b, ["OBJECT", "ENCODING", k], why);
          await same(a, b, ["DUMP", k], why);
        }
      }
    });
  },
});

/** Each key's value bytes and OBJECT ENCODING, as a client sees them. */
async function snapshot(c: RespClient, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    out.push(
      `${k} ${show(await c.callRaw("GET", k))} ${show(await c.callRaw("OBJECT", "ENCODING", k))}`,
    );
  }
  return out;
}

Deno.test("string values: replication and an AOF rewrite keep values and encodings", async () => {
  const keys = FORMS.map(([k]) => k).filter((k) => !k.startsWith("hll"));
  // Replication: a full sync (RDB), then the command stream.
  const master = await startNode();
  const replica = await startNode();
  const m = await RespClient.connect(master.port);
  const r = await RespClient.connect(replica.port);
  try {
    for (const cmd of SETUP) await m.callRaw(...cmd);
    await r.call("REPLICAOF", "127.0.0.1", String(master.port));
    const synced = async () =>
      (await r.call("DEBUG", "DIGEST")) === (await m.call("DEBUG", "DIGEST"));
    await waitFor("full sync", synced);
    // Loaded from an RDB, a value's encoding follows from its content (rdbLoadObject's
    // tryObjectEncoding): the master's after the same load.
    assert.equal(await m.call("DEBUG", "RELOAD"), "OK");
    assert.deepEqual(await snapshot(r, keys), await snapshot(m, keys));
    assert.equal(formOf(replica.server.db.dict.get("short")), "slab");
    await m.call("SET", "later", bin("\x00\xff later"));
    await m.call("APPEND", "short", "!");
    await m.call("INCRBYFLOAT", "float", "1");
    await waitFor("stream", synced);
    const more = [...keys, "later"];
    assert.deepEqual(await snapshot(r, more), await snapshot(m, more));
  } finally {
    m.close();
    r.close();
    await replica.stop();
    await master.stop();
  }
  // AOF: a rewrite without an RDB preamble (SET commands), then a restart from it.
  const opts = { appendonly: "yes", "aof-use-rdb-preamble": "no", save: "" };
  const node = await startNode(opts);
  let c = await RespClient.connect(node.port);
  let want: string[];
  let digest: unknown;
  try {
    for (const cmd of SETUP) await c.callRaw(...cmd);
    assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
    await waitFor(
      "the rewrite",
      async () =>
        /aof_rewrite_in_progress:0/.test(String(await c.call("INFO", "persistence"))) &&
        /aof_rewrites:[1-9]/.test(String(await c.call("INFO", "persistence"))),
    );
    digest = await c.call("DEBUG", "DIGEST");
    // Replayed as SETs, values get their encodings from their content, as after a reload.
    assert.equal(await c.call("DEBUG", "RELOAD"), "OK");
    want = await snapshot(c, keys);
  } finally {
    c.close();
    await node.stop();
  }
  const again = await startNode({ ...opts, dir: node.dir });
  c = await RespClient.connect(again.port);
  try {
    assert.deepEqual(await snapshot(c, keys), want);
    assert.equal(await c.call("DEBUG", "DIGEST"), digest);
    // Replayed as SET commands: held in the value slab, as the SET put it there before.
    assert.equal(formOf(again.server.db.dict.get("short")), "slab");
  } finally {
    c.close();
    await again.stop();
  }
});
