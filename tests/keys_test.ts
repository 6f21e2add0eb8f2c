import assert from "node:assert/strict";
import { Hash } from "../keyspace/hash.ts";
import { MemberSet } from "../keyspace/member_set.ts";
import { type InProcessNode, RespClient, sleep, startNode } from "./harness.ts";
import { type Cmd, compareWithRedis, words } from "./compare.ts";
import { Deque } from "../keyspace/deque.ts";
import { ZSet } from "../keyspace/zset.ts";

const bin = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

async function withNode(
  fn: (c: RespClient, node: InProcessNode) => Promise<void>,
  directives: Record<string, string> = {},
): Promise<void> {
  const node = await startNode(directives);
  const c = await RespClient.connect(node.port);
  try {
    await fn(c, node);
  } finally {
    c.close();
    await node.stop();
  }
}

function err(e: unknown): string {
  assert.ok(e instanceof Error, `expected an error reply, got ${JSON.stringify(e)}`);
  return (e as Error).message;
}

Deno.test("keys: DEL/UNLINK/EXISTS/TYPE/TOUCH", async () => {
  await withNode(async (c, node) => {
    await c.call("MSET", "a", "1", "b", "2", "c", "3");
    assert.equal(await c.call("EXISTS", "a", "a", "b", "zz"), 3);
    assert.equal(await c.call("DEL", "a", "zz", "a"), 1);
    assert.equal(await c.call("UNLINK", "b", "c"), 2);
    assert.equal(await c.call("EXISTS", "a", "b", "c"), 0);
    assert.equal(await c.call("TYPE", "a"), "none");
    await c.call("SET", "s", "x");
    assert.equal(await c.call("TYPE", "s"), "string");
    node.server.db.set("l", Deque.from([bin("x")]));
    node.server.db.set("h", Hash.from([["f", bin("v")]]));
    node.server.db.set("st", MemberSet.of(["m"]));
    assert.equal(await c.call("TYPE", "l"), "list");
    assert.equal(await c.call("TYPE", "h"), "hash");
    assert.equal(await c.call("TYPE", "st"), "set");
    assert.equal(await c.call("TOUCH", "s", "l", "nope"), 2);
    assert.equal(err(await c.call("DEL")), "ERR wrong number of arguments for 'del' command");
  });
});

Deno.test("keys: EXPIRE family, options and errors", async () => {
  await withNode(async (c) => {
    await c.call("SET", "k", "v");
    assert.equal(await c.call("TTL", "k"), -1);
    assert.equal(await c.call("PTTL", "k"), -1);
    assert.equal(await c.call("TTL", "nokey"), -2);
    assert.equal(await c.call("PTTL", "nokey"), -2);
    assert.equal(await c.call("EXPIRETIME", "k"), -1);
    assert.equal(await c.call("EXPIRETIME", "nokey"), -2);
    assert.equal(await c.call("EXPIRE", "nokey", "100"), 0);
    assert.equal(await c.call("EXPIRE", "k", "100", "XX"), 0);
    assert.equal(await c.call("EXPIRE", "k", "100", "GT"), 0);
    assert.equal(await c.call("EXPIRE", "k", "100", "LT"), 1);
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(await c.call("EXPIRE", "k", "50", "NX"), 0);
    assert.equal(await c.call("EXPIRE", "k", "200", "LT"), 0);
    assert.equal(await c.call("EXPIRE", "k", "200", "GT"), 1);
    assert.equal(await c.call("TTL", "k"), 200);
    assert.equal(await c.call("EXPIRE", "k", "150", "XX", "LT"), 1);
    assert.equal(await c.call("TTL", "k"), 150);
    const pttl = await c.call("PTTL", "k") as number;
    assert.ok(pttl > 149000 && pttl <= 150000);
    assert.equal(await c.call("PEXPIRE", "k", "100000"), 1);
    assert.equal(await c.call("TTL", "k"), 100);
    const at = Math.floor(Date.now() / 1000) + 1000;
    assert.equal(await c.call("EXPIREAT", "k", String(at)), 1);
    assert.equal(await c.call("EXPIRETIME", "k"), at);
    assert.equal(await c.call("PEXPIRETIME", "k"), at * 1000);
    assert.equal(await c.call("PEXPIREAT", "k", String(at * 1000 + 400)), 1);
    assert.equal(await c.call("EXPIRETIME", "k"), at); // (ms + 500) / 1000
    assert.equal(await c.call("PERSIST", "k"), 1);
    assert.equal(await c.call("PERSIST", "k"), 0);
    assert.equal(await c.call("PERSIST", "nokey"), 0);
    assert.equal(await c.call("TTL", "k"), -1);
    assert.equal(err(await c.call("EXPIRE", "k", "10", "FOO")), "ERR Unsupported option FOO");
    assert.equal(
      err(await c.call("EXPIRE", "k", "10", "NX", "XX")),
      "ERR NX and XX, GT or LT options at the same time are not compatible",
    );
    assert.equal(
      err(await c.call("EXPIRE", "k", "10", "GT", "LT")),
      "ERR GT and LT options at the same time are not compatible",
    );
    assert.equal(
      err(await c.call("EXPIRE", "k", "abc")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(
      err(await c.call("EXPIRE", "k", "9223372036854776")),
      "ERR invalid expire time in 'expire' command",
    );
    assert.equal(
      err(await c.call("EXPIRE", "k", "-9223372036854776")),
      "ERR invalid expire time in 'expire' command",
    );
    assert.equal(
      err(await c.call("PEXPIRE", "k", "9223372036854770000")),
      "ERR invalid expire time in 'pexpire' command",
    );
    assert.equal(await c.call("PEXPIREAT", "k", "9223372036854770000"), 1);
    assert.equal(await c.call("PEXPIREAT", "k", "-9223372036854770000"), 1);
    assert.equal(await c.call("EXISTS", "k"), 0);
    // A time in the past deletes the key.
    await c.call("SET", "k", "v");
    assert.equal(await c.call("EXPIRE", "k", "-1"), 1);
    assert.equal(await c.call("GET", "k"), null);
    await c.call("SET", "k", "v");
    assert.equal(await c.call("EXPIRE", "k", "0"), 1);
    assert.equal(await c.call("EXISTS", "k"), 0);
  });
});

Deno.test("keys: expiry with time passing (lazy and active)", async () => {
  await withNode(async (c, node) => {
    await c.call("SET", "lazy", "v");
    await c.call("SET", "active", "v");
    await c.call("SET", "keep", "v");
    assert.equal(await c.call("PEXPIRE", "lazy", "100"), 1);
    assert.equal(await c.call("PEXPIRE", "active", "100"), 1);
    await sleep(250);
    assert.equal(await c.call("TTL", "lazy"), -2);
    assert.equal(await c.call("EXISTS", "lazy"), 0);
    // The active cycle removes the other one without any access.
    await sleep(300);
    assert.equal(node.server.db.dict.has("active"), false);
    assert.equal(await c.call("EXISTS", "keep"), 1);
    await c.call("SET", "p", "v", "PX", "100");
    assert.equal(await c.call("PERSIST", "p"), 1);
    await sleep(200);
    assert.equal(await c.call("GET", "p"), "v");
    // KEYS skips expired keys, SCAN drops them.
    await c.call("SET", "x1", "v", "PX", "50");
    await c.call("SET", "x2", "v");
    await sleep(120);
    assert.deepEqual((await c.call("KEYS", "x*") as string[]).sort(), ["x2"]);
  }, { hz: "10" });
});

Deno.test("keys: one expiry time for a whole command, EXEC included (fixed_time_expire)", async () => {
  // DEBUG SLEEP inside the transaction takes 20 ms, past the key's 1 ms: the queued GET still
  // sees the key (the time is the one EXEC started with), a GET after EXEC does not.
  await compareWithRedis([
    ["MULTI"],
    ["PSETEX", "k", "1", "v"],
    ["DEBUG", "SLEEP", "0.02"],
    ["GET", "k"],
    ["EXISTS", "k"],
    ["EXEC"],
    ["GET", "k"],
    ["EXISTS", "k"],
  ]);
});

Deno.test("keys: RENAME and RENAMENX", async () => {
  await withNode(async (c) => {
    assert.equal(err(await c.call("RENAME", "nokey", "b")), "ERR no such key");
    assert.equal(err(await c.call("RENAMENX", "nokey", "b")), "ERR no such key");
    await c.call("SET", "a", "1", "EX", "100");
    assert.equal(await c.call("RENAME", "a", "b"), "OK");
    assert.equal(await c.call("GET", "b"), "1");
    assert.equal(await c.call("TTL", "b"), 100);
    assert.equal(await c.call("EXISTS", "a"), 0);
    assert.equal(await c.call("RENAME", "b", "b"), "OK");
    assert.equal(await c.call("RENAMENX", "b", "b"), 0);
    await c.call("SET", "c", "2");
    assert.equal(await c.call("RENAMENX", "b", "c"), 0);
    assert.equal(await c.call("RENAMENX", "b", "d"), 1);
    assert.equal(await c.call("RENAME", "d", "c"), "OK");
    assert.equal(await c.call("GET", "c"), "1");
    assert.equal(await c.call("TTL", "c"), 100);
  });
});

Deno.test("keys: COPY", async () => {
  await withNode(async (c, node) => {
    await c.call("SET", "a", "1", "EX", "100");
    assert.equal(await c.call("COPY", "a", "b"), 1);
    assert.equal(await c.call("GET", "b"), "1");
    assert.equal(await c.call("TTL", "b"), 100);
    assert.equal(await c.call("COPY", "a", "b"), 0);
    await c.call("SET", "a", "2");
    assert.equal(await c.call("COPY", "a", "b", "REPLACE"), 1);
    assert.equal(await c.call("GET", "b"), "2");
    assert.equal(await c.call("TTL", "b"), -1);
    assert.equal(await c.call("COPY", "nokey", "b"), 0);
    assert.equal(
      err(await c.call("COPY", "a", "a")),
      "ERR source and destination objects are the same",
    );
    assert.equal(err(await c.call("COPY", "a", "b", "FOO")), "ERR syntax error");
    assert.equal(
      err(await c.call("COPY", "a", "b", "DB", "x")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(await c.call("COPY", "a", "z", "DB", "0"), 1);
    assert.equal(err(await c.call("COPY", "a", "z", "DB", "16")), "ERR DB index is out of range");
    assert.equal(
      err(await c.call("MOVE", "a", "0")),
      "ERR source and destination objects are the same",
    );
    assert.equal(
      err(await c.call("MOVE", "a", "x")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(err(await c.call("MOVE", "a", "99")), "ERR DB index is out of range");
    assert.equal(
      err(await c.call("MOVE", "a", "3000000000")),
      "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
    // Aggregates are deep copies.
    const h = Hash.from([["f", bin("v")]]);
    node.server.db.set("h", h);
    assert.equal(await c.call("COPY", "h", "h2"), 1);
    const h2 = node.server.db.dict.get("h2");
    assert.ok(h2 instanceof Hash && h2 !== h && h2.get("f") === "v");
    h.set("f", "w");
    assert.equal(h2.get("f"), "v", "the copy does not change with its source");
    node.server.db.set("st", MemberSet.of(["1", "2"]));
    assert.equal(await c.call("COPY", "st", "st2"), 1);
    assert.notEqual(node.server.db.dict.get("st2"), node.server.db.dict.get("st"));
    node.server.db.set("l", Deque.from([bin("x"), bin("y")]));
    assert.equal(await c.call("COPY", "l", "l2"), 1);
    const l2 = node.server.db.dict.get("l2");
    assert.ok(l2 instanceof Deque && l2.length === 2);
    const z = new ZSet(false);
    z.add("a", 1);
    z.add("b", 2);
    node.server.db.set("z", z);
    assert.equal(await c.call("COPY", "z", "z2"), 1);
    const z2 = node.server.db.dict.get("z2");
    assert.ok(z2 instanceof ZSet && z2 !== z && z2.size === 2 && z2.score("b") === 2);
    assert.equal(await c.call("OBJECT", "ENCODING", "z2"), "skiplist");
    z.add("c", 3);
    assert.equal(z2.size, 2);
  });
});

Deno.test("keys: KEYS and SCAN", async () => {
  await withNode(async (c) => {
    const all: string[] = [];
    for (let i = 0; i < 500; i++) all.push(`key:${i}`);
    for (let i = 0; i < all.length; i += 100) {
      const args: string[] = [];
      for (const k of all.slice(i, i + 100)) args.push(k, "v");
      await c.call("MSET", ...args);
    }
    await c.call("SET", "other", "x");
    assert.equal((await c.call("KEYS", "*") as string[]).length, 501);
    assert.deepEqual((await c.call("KEYS", "key:1?") as string[]).sort(), [
      "key:10",
      "key:11",
      "key:12",
      "key:13",
      "key:14",
      "key:15",
      "key:16",
      "key:17",
      "key:18",
      "key:19",
    ]);
    assert.deepEqual(await c.call("KEYS", "nomatch*"), []);
    // A full SCAN returns every key at least once.
    const seen = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const r = await c.call("SCAN", cursor, "COUNT", "20") as [string, string[]];
      assert.equal(r.length, 2);
      cursor = r[0];
      for (const k of r[1]) seen.add(k);
      rounds++;
    } while (cursor !== "0" && rounds < 10000);
    assert.equal(seen.size, 501);
    // MATCH and TYPE filter.
    const matched = new Set<string>();
    cursor = "0";
    do {
      const r = await c.call(
        "SCAN",
        cursor,
        "MATCH",
        "key:4*",
        "COUNT",
        "1000",
        "TYPE",
        "STRING",
      ) as [string, string[]];
      cursor = r[0];
      for (const k of r[1]) matched.add(k);
    } while (cursor !== "0");
    assert.equal(matched.size, 111);
    const none = await c.call("SCAN", "0", "TYPE", "list", "COUNT", "100000") as [string, string[]];
    assert.deepEqual(none, ["0", []]);
    assert.equal(err(await c.call("SCAN", "abc")), "ERR invalid cursor");
    assert.equal(err(await c.call("SCAN", " 1")), "ERR invalid cursor");
    assert.equal(err(await c.call("SCAN", "18446744073709551616")), "ERR invalid cursor");
    assert.equal(err(await c.call("SCAN", "0", "COUNT", "0")), "ERR syntax error");
    assert.equal(
      err(await c.call("SCAN", "0", "COUNT", "x")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(err(await c.call("SCAN", "0", "MATCH")), "ERR syntax error");
    assert.equal(err(await c.call("SCAN", "0", "FOO", "bar")), "ERR syntax error");
    assert.deepEqual(await c.call("SCAN", "99999"), ["0", []]);
  });
});

Deno.test("keys: RANDOMKEY", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("RANDOMKEY"), null);
    await c.call("MSET", "a", "1", "b", "2");
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) seen.add(await c.call("RANDOMKEY") as string);
    assert.deepEqual([...seen].sort(), ["a", "b"]);
  });
});

Deno.test("keys: OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ/HELP", async () => {
  await withNode(async (c, node) => {
    await c.call("SET", "i", "12345");
    await c.call("SET", "e", "hello");
    await c.call("SET", "r", "x".repeat(45));
    assert.equal(await c.call("OBJECT", "ENCODING", "i"), "int");
    assert.equal(await c.call("OBJECT", "encoding", "e"), "embstr");
    assert.equal(await c.call("OBJECT", "ENCODING", "r"), "raw");
    await c.call("APPEND", "e", "!");
    assert.equal(await c.call("OBJECT", "ENCODING", "e"), "raw");
    assert.equal(await c.call("OBJECT", "ENCODING", "nokey"), null);
    const db = node.server.db;
    db.set("l", Deque.from([bin("x")]));
    db.set("h", Hash.from([["f", bin("v")]]));
    db.set(
      "hbig",
      Hash.from([["f", bin("v".repeat(65))]], { maxEntries: 512, maxValueBytes: 64 }),
    );
    db.set("si", MemberSet.of(["1", "2", "-3"]));
    db.set("ss", MemberSet.of(["1", "a"]));
    assert.equal(await c.call("OBJECT", "ENCODING", "l"), "quicklist");
    assert.equal(await c.call("OBJECT", "ENCODING", "h"), "listpack");
    assert.equal(await c.call("OBJECT", "ENCODING", "hbig"), "hashtable");
    assert.equal(await c.call("OBJECT", "ENCODING", "si"), "intset");
    assert.equal(await c.call("OBJECT", "ENCODING", "ss"), "hashtable");
    assert.equal(await c.call("OBJECT", "REFCOUNT", "e"), 1);
    assert.equal(await c.call("OBJECT", "REFCOUNT", "i"), 1);
    await c.call("SET", "small", "42");
    assert.equal(await c.call("OBJECT", "REFCOUNT", "small"), 2147483647);
    // Just read: idle 0 s, or 1 when the 1 s LRU clock ticked between the two commands (a slow
    // machine took more than a second between the APPEND above and here).
    await c.call("GET", "e");
    const idle = await c.call("OBJECT", "IDLETIME", "e");
    assert.ok(idle === 0 || idle === 1, `OBJECT IDLETIME right after GET: ${idle}`);
    assert.equal(
      err(await c.call("OBJECT", "FREQ", "e")),
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    const help = await c.call("OBJECT", "HELP") as string[];
    assert.equal(help[0], "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert.equal(help.length, 15);
    assert.equal(
      err(await c.call("OBJECT", "FOO")),
      "ERR unknown subcommand 'FOO'. Try OBJECT HELP.",
    );
    assert.equal(
      err(await c.call("OBJECT", "ENCODING")),
      "ERR wrong number of arguments for 'object|encoding' command",
    );
  });
});

Deno.test("keys: binary key names", async () => {
  await withNode(async (c) => {
    const k1 = bin("a\x00b");
    const k2 = bin("a\r\nb\xff");
    await c.call("SET", k1, "1");
    await c.call("SET", k2, "2");
    assert.equal(await c.call("EXISTS", k1, k2, bin("a")), 2);
    assert.equal(await c.call("RENAME", k1, bin("\x00")), "OK");
    assert.equal(await c.call("GET", bin("\x00")), "1");
    const r = await c.callRaw("KEYS", bin("a\r\n*"));
    assert.ok(r.type === "array" && r.value.length === 1 && r.value[0].type === "bulk");
    if (r.type === "array" && r.value[0].type === "bulk") {
      assert.deepEqual([...r.value[0].value], [...k2]);
    }
    assert.equal(await c.call("EXPIRE", k2, "100"), 1);
    assert.equal(await c.call("TTL", k2), 100);
  });
});

Deno.test("keys: same replies as a real redis-server", async () => {
  const script: Cmd[] = [
    "SET a 1",
    "SET b 2",
    "MSET c 3 d 4",
    "EXISTS a a b nokey",
    "DEL a nokey a",
    "UNLINK b",
    "TYPE c",
    "TYPE nokey",
    "TOUCH c d e",
    "EXPIRE c 100",
    "TTL c",
    "PTTL nokey",
    "TTL d",
    "EXPIRE c 100 NX",
    "EXPIRE d 100 XX",
    "EXPIRE c 50 GT",
    "EXPIRE c 500 GT",
    "TTL c",
    "EXPIRE c 600 LT",
    "EXPIRE c 60 LT",
    "TTL c",
    "EXPIRE d 10 GT",
    "EXPIRE d 10 LT",
    "TTL d",
    "PERSIST d",
    "EXPIRE d 10 nx gt",
    "EXPIRE d 10 xx nx",
    "EXPIRE d 10 gt lt",
    "EXPIRE d 10 lt xx gt",
    "EXPIRE d 10 bad",
    "EXPIRE d",
    "EXPIRE d x",
    "EXPIRE d 1.5",
    "EXPIRE nokey 10",
    "EXPIRE nokey 10 foo",
    "EXPIRE d 9223370399119966",
    "EXPIRE d 9223372036854776",
    "EXPIRE d 10000000000000000",
    "EXPIRE d 18446744073709561",
    "EXPIRE d -9223372036854776",
    "EXPIRE d -9999999999999999",
    "TTL d",
    "PEXPIRE d 9223372036854770000",
    "PEXPIREAT d 9223372036854770000",
    "PEXPIREAT d -9223372036854770000",
    "TTL d",
    "SET e 1",
    "EXPIREAT e 100",
    "EXISTS e",
    "SET e 1",
    "PEXPIRE e -10",
    "EXISTS e",
    "SET f 1",
    "EXPIRETIME f",
    "PEXPIRETIME f",
    "EXPIRETIME nokey",
    "PEXPIREAT f 99999999999000",
    "PEXPIRETIME f",
    "EXPIRETIME f",
    "PEXPIREAT f 99999999999499",
    "EXPIRETIME f",
    "PEXPIREAT f 99999999999500",
    "EXPIRETIME f",
    "PERSIST f",
    "PERSIST f",
    "PERSIST nokey",
    "RENAME nokey x",
    "RENAMENX nokey x",
    "SET r1 a",
    "SET r2 b",
    "RENAME r1 r1",
    "RENAMENX r1 r1",
    "RENAMENX r1 r2",
    "RENAME r1 r3",
    "GET r3",
    "EXISTS r1",
    "RENAME r3 r2",
    "GET r2",
    "RENAME r2",
    "COPY r2 r4",
    "COPY r2 r4",
    "COPY r2 r4 REPLACE",
    "COPY r2 r2",
    "COPY r2 r5 DB",
    "COPY r2 r5 DB x",
    "COPY r2 r5 FOO",
    "COPY r2 r5 DB 16",
    "COPY r2 r5 DB -1",
    "MOVE r2 0",
    "MOVE r2 x",
    "MOVE r2 99",
    "MOVE r2 3000000000",
    "MOVE r2 -1",
    "MOVE r2",
    "COPY r2 r5 DB 0 REPLACE",
    "COPY nokey r9",
    "GET r5",
    "KEYS r*",
    "KEYS *",
    "KEYS nomatch",
    "KEYS [rc]?",
    "KEYS",
    "SCAN 0 COUNT 0",
    "SCAN x",
    "SCAN 0 MATCH",
    "SCAN 0 COUNT -1",
    "SCAN 0 COUNT x",
    "SCAN 0 foo",
    "SCAN 0 TYPE",
    "SCAN 18446744073709551616",
    "SCAN +",
    "RPUSH l a b",
    "TYPE l",
    "EXPIRE l 100",
    "TTL l",
    "RENAME l l2",
    "TYPE l2",
    "TTL l2",
    "COPY l2 l3",
    "TYPE l3",
    "OBJECT ENCODING l2",
    "OBJECT ENCODING r2",
    "OBJECT ENCODING nokey",
    "OBJECT REFCOUNT r2",
    "OBJECT REFCOUNT nokey",
    "OBJECT FREQ r2",
    "OBJECT IDLETIME nokey",
    "OBJECT FOO",
    "OBJECT",
    "OBJECT ENCODING",
    "OBJECT ENCODING a b",
    "OBJECT HELP",
    "OBJECT help x",
    "RANDOMKEY x",
    "TTL",
    "PERSIST",
    "TYPE a b",
  ].map(words);
  script.push(
    ["SET", bin("k\x00\r\n"), "v"],
    ["EXISTS", bin("k\x00\r\n")],
    ["KEYS", bin("k\x00*")],
    ["RENAME", bin("k\x00\r\n"), bin("\xff")],
    ["TYPE", bin("\xff")],
  );
  await compareWithRedis(script, ["keys"]);
});

Deno.test("keys/strings: key specs drive cluster CROSSSLOT checks", async () => {
  await withNode(async (c) => {
    const r = await c.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    if (r instanceof Error) return; // cluster commands not available in this build
    const CROSS = "CROSSSLOT Keys in request don't hash to the same slot";
    const cross: string[][] = [
      ["MSET", "{a}x", "1", "{b}y", "2"],
      ["MSETNX", "{a}x", "1", "{b}y", "2"],
      ["MGET", "{a}x", "{b}y"],
      ["DEL", "{a}x", "{b}y"],
      ["UNLINK", "{a}x", "{b}y"],
      ["EXISTS", "{a}x", "{b}y"],
      ["TOUCH", "{a}x", "{b}y"],
      ["RENAME", "{a}x", "{b}y"],
      ["RENAMENX", "{a}x", "{b}y"],
      ["COPY", "{a}x", "{b}y"],
      ["LCS", "{a}x", "{b}y"],
    ];
    for (const cmd of cross) assert.equal(err(await c.call(...cmd)), CROSS, cmd.join(" "));
    // Values, options and the OBJECT subcommand word are not keys.
    const same: string[][] = [
      ["MSET", "{a}x", "{b}y", "{a}z", "{c}w"],
      ["SET", "{a}x", "{b}y", "GET"],
      ["GETSET", "{a}x", "{b}y"],
      ["APPEND", "{a}x", "{b}y"],
      ["SETRANGE", "{a}x", "0", "{b}y"],
      ["SETEX", "{a}x", "10", "{b}y"],
      ["OBJECT", "ENCODING", "{a}x"],
      ["LCS", "{a}x", "{a}y", "IDX"],
    ];
    for (const cmd of same) {
      const res = await c.call(...cmd);
      assert.ok(!(res instanceof Error && res.message.startsWith("CROSSSLOT")), cmd.join(" "));
    }
  }, { "cluster-enabled": "yes" });
});

Deno.test("keys: OBJECT FREQ/IDLETIME under an LFU policy", async () => {
  await withNode(async (c) => {
    await c.call("SET", "k", "v");
    assert.equal(await c.call("OBJECT", "FREQ", "k"), 5);
    assert.equal(await c.call("OBJECT", "FREQ", "nokey"), null);
    assert.equal(
      err(await c.call("OBJECT", "IDLETIME", "k")),
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
  }, { "maxmemory-policy": "allkeys-lfu" });
});
