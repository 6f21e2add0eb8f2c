import assert from "node:assert/strict";
import { RespClient, sleep, startNode } from "./harness.ts";
import { type Cmd, compareWithRedis, show, words } from "./compare.ts";
import { Deque } from "../keyspace/deque.ts";
import { prng } from "./prng.ts";

const bin = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** Run `fn` against a fresh node. `RPUSH <key> <elem>` is emulated through the keyspace so the
 * wrong-type checks do not depend on the list commands. */
async function withNode(
  fn: (c: RespClient) => Promise<void>,
  directives: Record<string, string> = {},
): Promise<void> {
  const node = await startNode(directives);
  const raw = await RespClient.connect(node.port);
  const c = new Proxy(raw, {
    get(target, prop) {
      if (prop === "call") {
        return (...args: (string | Uint8Array)[]) => {
          if (String(args[0]).toUpperCase() === "RPUSH") {
            node.server.db.set(String(args[1]), Deque.from([bin(String(args[2]))]));
            return Promise.resolve(1);
          }
          return target.call(...args);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  try {
    await fn(c);
  } finally {
    raw.close();
    await node.stop();
  }
}

/** The raw reply text to an inline command, on a separate connection (readRawText leaves a
 * read pending that would swallow the next reply on the same connection). */
async function rawReply(c: RespClient, line: string): Promise<string> {
  const port = (c.conn.remoteAddr as Deno.NetAddr).port;
  const r = await RespClient.connect(port);
  try {
    await r.writeRaw(line);
    return await r.readRawText();
  } finally {
    r.close();
  }
}

function err(e: unknown): string {
  assert.ok(e instanceof Error, `expected an error reply, got ${JSON.stringify(e)}`);
  return (e as Error).message;
}

Deno.test("strings: GET/SET basics and SET options", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("GET", "k"), null);
    assert.equal(await c.call("SET", "k", "v"), "OK");
    assert.equal(await c.call("GET", "k"), "v");
    assert.equal(await c.call("SET", "k", "v2", "NX"), null);
    assert.equal(await c.call("SET", "k", "v2", "XX"), "OK");
    assert.equal(await c.call("SET", "nokey", "v", "XX"), null);
    assert.equal(await c.call("EXISTS", "nokey"), 0);
    assert.equal(await c.call("SET", "k", "v3", "GET"), "v2");
    assert.equal(await c.call("SET", "new", "x", "GET"), null);
    assert.equal(await c.call("GET", "new"), "x");
    assert.equal(await c.call("SET", "k", "v4", "NX", "GET"), "v3");
    assert.equal(await c.call("GET", "k"), "v3");
    assert.equal(err(await c.call("SET", "k", "v", "NX", "XX")), "ERR syntax error");
    assert.equal(err(await c.call("SET", "k", "v", "EX")), "ERR syntax error");
    assert.equal(err(await c.call("SET", "k", "v", "EX", "10", "PX", "100")), "ERR syntax error");
    assert.equal(err(await c.call("SET", "k", "v", "EX", "10", "KEEPTTL")), "ERR syntax error");
    assert.equal(err(await c.call("SET", "k", "v", "FOO")), "ERR syntax error");
    assert.equal(
      err(await c.call("SET", "k", "v", "EX", "0")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(
      err(await c.call("SET", "k", "v", "PX", "-5")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(
      err(await c.call("SET", "k", "v", "EX", "abc")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(
      err(await c.call("SET", "k", "v", "EX", "9223372036854775")),
      "ERR invalid expire time in 'set' command",
    );
    assert.equal(err(await c.call("SET", "k")), "ERR wrong number of arguments for 'set' command");
    await c.call("RPUSH", "list", "a");
    assert.equal(
      err(await c.call("GET", "list")),
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    assert.equal(
      err(await c.call("SET", "list", "v", "GET")),
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    assert.equal(await c.call("TYPE", "list"), "list"); // SET ... GET on wrong type does not overwrite
    assert.equal(await c.call("SET", "list", "v"), "OK"); // plain SET overwrites any type
    assert.equal(await c.call("GET", "list"), "v");
  });
});

Deno.test("strings: SET expiry options, KEEPTTL, lazy and timed expiry", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("SET", "k", "v", "EX", "100"), "OK");
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(await c.call("SET", "k", "v2", "KEEPTTL"), "OK");
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(await c.call("SET", "k", "v3"), "OK");
    assert.equal(await c.call("TTL", "k"), -1);
    const now = Date.now();
    await c.call("SET", "k", "v", "PXAT", String(now + 50000));
    const pttl = await c.call("PTTL", "k") as number;
    assert.ok(pttl > 45000 && pttl <= 50000, `pttl ${pttl}`);
    await c.call("SET", "k", "v", "EXAT", String(Math.floor(now / 1000) + 1000));
    assert.ok((await c.call("TTL", "k") as number) > 990);
    // Past absolute time: the key is gone at once.
    assert.equal(await c.call("SET", "k", "v", "PXAT", "1"), "OK");
    assert.equal(await c.call("GET", "k"), null);
    // Time passing.
    assert.equal(await c.call("SET", "t", "v", "PX", "80"), "OK");
    assert.equal(await c.call("GET", "t"), "v");
    await sleep(150);
    assert.equal(await c.call("GET", "t"), null);
    assert.equal(await c.call("EXISTS", "t"), 0);
    assert.equal(await c.call("SETEX", "s", "100", "v"), "OK");
    assert.equal(await c.call("TTL", "s"), 100);
    assert.equal(await c.call("PSETEX", "p", "100000", "v"), "OK");
    assert.equal(await c.call("TTL", "p"), 100);
    assert.equal(
      err(await c.call("SETEX", "s", "0", "v")),
      "ERR invalid expire time in 'setex' command",
    );
    assert.equal(
      err(await c.call("PSETEX", "s", "-1", "v")),
      "ERR invalid expire time in 'psetex' command",
    );
    assert.equal(
      err(await c.call("SETEX", "s", "x", "v")),
      "ERR value is not an integer or out of range",
    );
    // KEEPTTL on a key that has expired (not yet reclaimed) keeps nothing.
    await c.call("SET", "kt", "v", "PX", "30");
    await sleep(60);
    assert.equal(await c.call("SET", "kt", "v2", "KEEPTTL"), "OK");
    assert.equal(await c.call("GET", "kt"), "v2");
    assert.equal(await c.call("TTL", "kt"), -1);
  }, { hz: "1" });
});

Deno.test("strings: binary keys and values (NUL, CR LF, high bytes)", async () => {
  await withNode(async (c) => {
    const key = bin("k\x00\r\n\xff");
    const val = bin("\x00\r\n\x80\x9f\xff end");
    assert.equal(await c.call("SET", key, val), "OK");
    const r = await c.callRaw("GET", key);
    assert.equal(show(r), show({ type: "bulk", value: val }));
    assert.equal(await c.call("GET", bin("k\x00\r\n")), null);
    assert.equal(await c.call("STRLEN", key), val.length);
    assert.equal(await c.call("APPEND", key, bin("\x00")), val.length + 1);
    const mg = await c.callRaw("MGET", key, "missing");
    assert.equal(
      show(mg),
      show({
        type: "array",
        value: [{ type: "bulk", value: bin("\x00\r\n\x80\x9f\xff end\x00") }, { type: "null" }],
      }),
    );
    assert.equal(
      show(await c.callRaw("GETRANGE", key, "0", "2")),
      show({ type: "bulk", value: bin("\x00\r\n") }),
    );
    assert.equal(await c.call("KEYS", bin("k\x00*")).then((x) => (x as unknown[]).length), 1);
  });
});

Deno.test("strings: MGET/MSET/MSETNX", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("MSET", "a", "1", "b", "2"), "OK");
    assert.deepEqual(await c.call("MGET", "a", "b", "c"), ["1", "2", null]);
    assert.equal(
      err(await c.call("MSET", "a", "1", "b")),
      "ERR wrong number of arguments for 'mset' command",
    );
    assert.equal(
      err(await c.call("MSETNX", "a", "1", "b")),
      "ERR wrong number of arguments for 'msetnx' command",
    );
    assert.equal(await c.call("MSETNX", "a", "9", "z", "9"), 0);
    assert.equal(await c.call("GET", "z"), null);
    assert.equal(await c.call("MSETNX", "x", "9", "z", "8"), 1);
    assert.deepEqual(await c.call("MGET", "x", "z"), ["9", "8"]);
    await c.call("RPUSH", "l", "x");
    assert.deepEqual(await c.call("MGET", "l", "a"), [null, "1"]);
    await c.call("SET", "e", "v", "EX", "100");
    await c.call("MSET", "e", "w");
    assert.equal(await c.call("TTL", "e"), -1);
  });
});

Deno.test("strings: counters and overflow", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("INCR", "n"), 1);
    assert.equal(await c.call("INCRBY", "n", "10"), 11);
    assert.equal(await c.call("DECR", "n"), 10);
    assert.equal(await c.call("DECRBY", "n", "20"), -10);
    assert.equal(await c.call("GET", "n"), "-10");
    await c.call("SET", "n", "9223372036854775806");
    assert.equal(await rawReply(c, "INCR n\r\n"), ":9223372036854775807\r\n");
    assert.equal(err(await c.call("INCR", "n")), "ERR increment or decrement would overflow");
    assert.equal(await c.call("GET", "n"), "9223372036854775807");
    await c.call("SET", "n", "-9223372036854775808");
    assert.equal(err(await c.call("DECR", "n")), "ERR increment or decrement would overflow");
    assert.equal(
      err(await c.call("DECRBY", "n", "-9223372036854775808")),
      "ERR decrement would overflow",
    );
    assert.equal(
      err(await c.call("INCRBY", "n", "9223372036854775808")),
      "ERR value is not an integer or out of range",
    );
    for (const bad of ["abc", " 1", "1 ", "01", "+1", "-0", "1.0", ""]) {
      await c.call("SET", "bad", bad);
      assert.equal(
        err(await c.call("INCR", "bad")),
        "ERR value is not an integer or out of range",
        `value ${JSON.stringify(bad)}`,
      );
    }
    await c.call("SET", "t", "5", "EX", "100");
    assert.equal(await c.call("INCR", "t"), 6);
    assert.equal(await c.call("TTL", "t"), 100); // INCR keeps the TTL
    await c.call("RPUSH", "l", "x");
    assert.equal(
      err(await c.call("INCR", "l")),
      "WRONGTYPE Operation against a key holding the wrong kind of value",
    );
    assert.equal(
      err(await c.call("INCRBY", "l", "x")),
      "ERR value is not an integer or out of range",
    );
  });
});

Deno.test("strings: INCRBYFLOAT formats like Redis's long double", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("INCRBYFLOAT", "f", "10.5"), "10.5");
    assert.equal(await c.call("INCRBYFLOAT", "f", "0.1"), "10.6");
    assert.equal(await c.call("INCRBYFLOAT", "f", "-5"), "5.6");
    await c.call("SET", "f", "5.0e3");
    assert.equal(await c.call("INCRBYFLOAT", "f", "2.0e2"), "5200");
    await c.call("SET", "f", "1234");
    assert.equal(await c.call("INCRBYFLOAT", "f", "0.1"), "1234.09999999999999998");
    await c.call("SET", "f", "0.1");
    assert.equal(await c.call("INCRBYFLOAT", "f", "0.2"), "0.3");
    await c.call("SET", "f", "17179869184");
    assert.equal(await c.call("INCRBYFLOAT", "f", "1.5"), "17179869185.5");
    assert.equal(await c.call("INCRBYFLOAT", "z", "0.024390243902439025"), "0.02439024390243902");
    assert.equal(await c.call("INCRBYFLOAT", "z", "-0.024390243902439025"), "0");
    assert.equal(await c.call("INCRBYFLOAT", "h", "0x10"), "16");
    await c.call("SET", "f", "0");
    assert.equal(
      err(await c.call("INCRBYFLOAT", "f", "+inf")),
      "ERR increment would produce NaN or Infinity",
    );
    assert.equal(err(await c.call("INCRBYFLOAT", "f", "nan")), "ERR value is not a valid float");
    assert.equal(err(await c.call("INCRBYFLOAT", "f", "1x")), "ERR value is not a valid float");
    await c.call("SET", "f", " 11");
    assert.equal(err(await c.call("INCRBYFLOAT", "f", "1")), "ERR value is not a valid float");
    await c.call("SET", "f", "1");
    await c.call("SETRANGE", "f", "2", "2");
    assert.equal(err(await c.call("INCRBYFLOAT", "f", "1")), "ERR value is not a valid float");
    await c.call("SET", "t", "1", "EX", "100");
    assert.equal(await c.call("INCRBYFLOAT", "t", "1"), "2");
    assert.equal(await c.call("TTL", "t"), 100);
  });
});

Deno.test("strings: APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("APPEND", "a", "hello"), 5);
    assert.equal(await c.call("APPEND", "a", " world"), 11);
    assert.equal(await c.call("GET", "a"), "hello world");
    assert.equal(await c.call("STRLEN", "a"), 11);
    assert.equal(await c.call("STRLEN", "none"), 0);
    assert.equal(await c.call("GETRANGE", "a", "0", "4"), "hello");
    assert.equal(await c.call("GETRANGE", "a", "-5", "-1"), "world");
    assert.equal(await c.call("GETRANGE", "a", "5", "3"), "");
    assert.equal(await c.call("GETRANGE", "a", "-1", "-5"), "");
    assert.equal(await c.call("GETRANGE", "a", "0", "100"), "hello world");
    assert.equal(await c.call("SUBSTR", "a", "-100", "1"), "he");
    assert.equal(await c.call("GETRANGE", "none", "0", "1"), "");
    assert.equal(
      err(await c.call("GETRANGE", "a", "x", "1")),
      "ERR value is not an integer or out of range",
    );
    assert.equal(await c.call("SETRANGE", "a", "6", "WORLD"), 11);
    assert.equal(await c.call("GET", "a"), "hello WORLD");
    assert.equal(await c.call("SETRANGE", "n", "3", "x"), 4);
    assert.equal(
      show(await c.callRaw("GET", "n")),
      show({ type: "bulk", value: bin("\x00\x00\x00x") }),
    );
    assert.equal(await c.call("SETRANGE", "empty", "10", ""), 0);
    assert.equal(await c.call("EXISTS", "empty"), 0);
    assert.equal(await c.call("SETRANGE", "a", "100", ""), 11);
    assert.equal(err(await c.call("SETRANGE", "a", "-1", "x")), "ERR offset is out of range");
    assert.equal(
      err(await c.call("SETRANGE", "a", "536870911", "xx")),
      "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
    );
    // APPEND growth keeps earlier snapshots intact (a value shared elsewhere is never changed).
    await c.call("SET", "g", "ab");
    for (let i = 0; i < 200; i++) await c.call("APPEND", "g", String(i % 10));
    await c.call("COPY", "g", "g2");
    await c.call("APPEND", "g", "XYZ");
    await c.call("APPEND", "g2", "QRS");
    const g = await c.call("GET", "g") as string;
    const g2 = await c.call("GET", "g2") as string;
    assert.equal(g.length, 205);
    assert.ok(g.endsWith("9XYZ") && g2.endsWith("9QRS"));
    assert.equal(g.slice(0, 202), g2.slice(0, 202));
    await c.call("SET", "w", "abc", "EX", "100");
    await c.call("APPEND", "w", "d");
    await c.call("SETRANGE", "w", "0", "X");
    assert.equal(await c.call("TTL", "w"), 100);
    assert.equal(await c.call("GET", "w"), "Xbcd");
  });
});

Deno.test("strings: GETDEL, GETEX, GETSET, SETNX", async () => {
  await withNode(async (c) => {
    await c.call("SET", "k", "v", "EX", "100");
    assert.equal(await c.call("GETSET", "k", "v2"), "v");
    assert.equal(await c.call("TTL", "k"), -1);
    assert.equal(await c.call("GETSET", "new", "x"), null);
    assert.equal(await c.call("GETDEL", "k"), "v2");
    assert.equal(await c.call("EXISTS", "k"), 0);
    assert.equal(await c.call("GETDEL", "k"), null);
    await c.call("SET", "k", "v");
    assert.equal(await c.call("GETEX", "k", "EX", "100"), "v");
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(await c.call("GETEX", "k", "PERSIST"), "v");
    assert.equal(await c.call("TTL", "k"), -1);
    assert.equal(await c.call("GETEX", "k", "PX", "100000"), "v");
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(await c.call("GETEX", "k"), "v");
    assert.equal(await c.call("TTL", "k"), 100);
    assert.equal(
      err(await c.call("GETEX", "k", "EX", "0")),
      "ERR invalid expire time in 'getex' command",
    );
    assert.equal(await c.call("GETEX", "missing", "EX", "0"), null);
    assert.equal(err(await c.call("GETEX", "k", "PERSIST", "EX", "10")), "ERR syntax error");
    assert.equal(err(await c.call("GETEX", "k", "KEEPTTL")), "ERR syntax error");
    assert.equal(err(await c.call("GETEX", "k", "NX")), "ERR syntax error");
    assert.equal(await c.call("GETEX", "k", "PXAT", "1"), "v");
    assert.equal(await c.call("EXISTS", "k"), 0);
    assert.equal(await c.call("SETNX", "s", "1"), 1);
    assert.equal(await c.call("SETNX", "s", "2"), 0);
    assert.equal(await c.call("GET", "s"), "1");
    await c.call("RPUSH", "l", "x");
    for (
      const cmd of [
        ["GETDEL", "l"],
        ["GETEX", "l"],
        ["GETSET", "l", "x"],
        ["APPEND", "l", "x"],
        ["STRLEN", "l"],
        ["GETRANGE", "l", "0", "1"],
        ["SETRANGE", "l", "0", "x"],
        ["INCRBYFLOAT", "l", "1"],
      ]
    ) {
      assert.equal(
        err(await c.call(...cmd)),
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        cmd.join(" "),
      );
    }
  });
});

Deno.test("strings: LCS", async () => {
  await withNode(async (c) => {
    await c.call("MSET", "key1", "ohmytext", "key2", "mynewtext");
    assert.equal(await c.call("LCS", "key1", "key2"), "mytext");
    assert.equal(await c.call("LCS", "key1", "key2", "LEN"), 6);
    assert.deepEqual(await c.call("LCS", "key1", "key2", "IDX"), [
      "matches",
      [[[4, 7], [5, 8]], [[2, 3], [0, 1]]],
      "len",
      6,
    ]);
    assert.deepEqual(
      await c.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
      ["matches", [[[4, 7], [5, 8], 4]], "len", 6],
    );
    assert.equal(
      err(await c.call("LCS", "key1", "key2", "LEN", "IDX")),
      "ERR If you want both the length and indexes, please just use IDX.",
    );
    assert.equal(err(await c.call("LCS", "key1", "key2", "FOO")), "ERR syntax error");
    assert.equal(await c.call("LCS", "key1", "nokey"), "");
    await c.call("RPUSH", "l", "x");
    assert.equal(
      err(await c.call("LCS", "key1", "l")),
      "ERR The specified keys must contain string values",
    );
  });
});

Deno.test("strings: same replies as a real redis-server", async () => {
  const script: Cmd[] = [
    "SET a 1",
    "GET a",
    "SET a 2 NX",
    "SET a 3 XX GET",
    "SET b 1 GET NX",
    "SET b 2 GET XX",
    "SET a v EX 100 PX 5",
    "SET a v KEEPTTL EX 10",
    "SET a v EX 10 KEEPTTL",
    "SET a v XX NX",
    "SET a v PX",
    "SET a v ex -1",
    "SET a v px 0",
    "SET a v exat 0",
    "SET a v pxat x",
    "SET a v EX 9223372036854775",
    "SET a v PX 9223372036854775807",
    "SET a v keepttl",
    "SET a v get get",
    "SET a v nx nx",
    "SET a v PERSIST",
    "GET a",
    "SET",
    "INCR c",
    "INCR c",
    "INCRBY c -5",
    "DECRBY c 3",
    "DECR c",
    "INCRBY c 1.5",
    "INCRBY c 9223372036854775807",
    "INCRBY c -9223372036854775808",
    "INCRBY c -9223372036854775808",
    "DECRBY c -9223372036854775808",
    "SET c 9223372036854775807",
    "INCR c",
    "DECRBY c -1",
    "INCRBY c 0",
    "SET c 007",
    "INCR c",
    "SET c -0",
    "INCR c",
    "SET c 12345678901234567890",
    "INCR c",
    "SET c 1e3",
    "INCR c",
    "INCRBY nope 12345678901234567",
    "INCRBYFLOAT f 1",
    "INCRBYFLOAT f 0.1",
    "INCRBYFLOAT f 1e10",
    "INCRBYFLOAT f -1e10",
    "INCRBYFLOAT f 3.0e-5",
    "INCRBYFLOAT f .5",
    "INCRBYFLOAT f 5.",
    "INCRBYFLOAT f -.",
    "INCRBYFLOAT f 1e",
    "INCRBYFLOAT f inf",
    "INCRBYFLOAT f -Infinity",
    "INCRBYFLOAT f 0x1p-2",
    "INCRBYFLOAT f 1e308",
    "INCRBYFLOAT f 1e4000",
    "INCRBYFLOAT f -1e4000",
    "INCRBYFLOAT g 1e-300",
    "INCRBYFLOAT h 123456789.123456789",
    "INCRBYFLOAT h 0.000000000000000001",
    "INCRBYFLOAT i 99999999999999999999",
    "INCRBYFLOAT i 0.5",
    "SET j 3.14",
    "INCRBYFLOAT j 2.86",
    "INCRBYFLOAT j -6",
    "INCRBYFLOAT j -0.1",
    "INCRBYFLOAT j 1e-20",
    "APPEND s hello",
    "APPEND s world",
    "STRLEN s",
    "GETRANGE s 0 -1",
    "GETRANGE s -3 -1",
    "GETRANGE s 3 1",
    "GETRANGE s -100 -50",
    "GETRANGE s 100 200",
    "GETRANGE s 0 -100",
    "GETRANGE s 9223372036854775807 -9223372036854775808",
    "SUBSTR s 1 3",
    "SETRANGE s 5 _",
    "SETRANGE s 20 end",
    "GET s",
    "SETRANGE s -1 x",
    "SETRANGE s 1 ''",
    "SETRANGE s x y",
    "SETRANGE s 536870912 x",
    "SETRANGE s 536870901 123456789012",
    "SETRANGE new 0 ''",
    "EXISTS new",
    "MSET m1 a m2 b",
    "MGET m1 m2 m3",
    "MSET m1",
    "MSET m1 a m2",
    "MSETNX m1 x m9 y",
    "MSETNX m8 x m9 y",
    "MGET m8 m9",
    "GETSET m1 z",
    "GETSET mm z",
    "GETDEL m1",
    "GETDEL m1",
    "GETEX m2",
    "GETEX m2 EX 100",
    "TTL m2",
    "GETEX m2 PERSIST",
    "TTL m2",
    "GETEX m2 EX 1 PX 1",
    "GETEX m2 PERSIST EX 1",
    "GETEX m2 EX",
    "GETEX m2 EX x",
    "GETEX m2 EX -1",
    "GETEX nokey EX -1",
    "GETEX m2 KEEPTTL",
    "GETEX m2 EXAT 1",
    "EXISTS m2",
    "SETNX x 1",
    "SETNX x 2",
    "SETEX y 100 v",
    "TTL y",
    "SETEX y 0 v",
    "SETEX y x v",
    "PSETEX y 0 v",
    "PSETEX y 100000 v",
    "TTL y",
    "SETEX y 9223372036854775 v",
    "RPUSH l a",
    "GET l",
    "SET l v GET",
    "INCR l",
    "INCRBYFLOAT l 1",
    "APPEND l x",
    "STRLEN l",
    "GETRANGE l 0 1",
    "SETRANGE l 0 x",
    "GETDEL l",
    "GETEX l",
    "GETSET l v",
    "MGET l s",
    "LCS l s",
    "SETNX l v",
    "MSET k1 ohmytext k2 mynewtext",
    "LCS k1 k2",
    "LCS k1 k2 LEN",
    "LCS k1 k2 IDX",
    "LCS k1 k2 IDX WITHMATCHLEN",
    "LCS k1 k2 IDX MINMATCHLEN 3",
    "LCS k1 k2 IDX MINMATCHLEN -3 WITHMATCHLEN",
    "LCS k1 k2 LEN IDX",
    "LCS k1 k2 MINMATCHLEN",
    "LCS k1 k2 MINMATCHLEN x",
    "LCS k1 nokey",
    "LCS nokey nokey2 IDX",
    "LCS k1 k1 IDX",
    "LCS k1",
    "SET e1 abcabcabc",
    "SET e2 cbacbacba",
    "LCS e1 e2 IDX WITHMATCHLEN",
    "LCS e2 e1 IDX WITHMATCHLEN",
    "SET g1 old",
    "SET g1 new EX 100 GET",
    "TTL g1",
    "SET g1 newer PXAT 1 GET",
    "EXISTS g1",
    "SET g1 v KEEPTTL GET",
    "SET inf inf",
    "INCRBYFLOAT inf 1",
    "SET inf -inf",
    "INCRBYFLOAT inf 0",
    "INCRBYFLOAT u 1e-5000",
    "INCRBYFLOAT u 1e-4940",
    "INCRBYFLOAT u2 -1e-4940",
    "INCRBYFLOAT v 1.7976931348623157e308",
    "INCRBYFLOAT v 1e308",
    "INCRBYFLOAT w 0.1",
    "INCRBYFLOAT w 0.7",
    "INCRBYFLOAT w 3.3333333333333333333",
    "INCRBYFLOAT w -4.1333",
    "SET emp ''",
    "GETRANGE emp 0 -1",
    "STRLEN emp",
    "APPEND emp ''",
    "INCR emp",
    "INCRBYFLOAT emp 1",
    "SET n1 100",
    "OBJECT ENCODING n1",
    "OBJECT REFCOUNT n1",
    "APPEND n1 0",
    "OBJECT ENCODING n1",
    "SET n2 12345678901234567890",
    "OBJECT ENCODING n2",
    "SET n3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "OBJECT ENCODING n3",
    "SET n3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "OBJECT ENCODING n3",
    "INCR n4",
    "OBJECT ENCODING n4",
    "OBJECT REFCOUNT n4",
    "SET n5 10000",
    "OBJECT REFCOUNT n5",
    "SETRANGE n6 0 1",
    "OBJECT ENCODING n6",
    "INCRBYFLOAT n7 1.5",
    "OBJECT ENCODING n7",
    "SET n8 -1",
    "OBJECT ENCODING n8",
    "OBJECT REFCOUNT n8",
  ].map((l) => words(l.replaceAll("''", "\u0000")).map((w) => (w === "\u0000" ? "" : w)));
  script.push(["SET", "bin", bin("a\x00b\r\nc")], ["APPEND", "bin", bin("\xff\x00")], [
    "GET",
    "bin",
  ], ["STRLEN", "bin"]);
  script.push(["SET", bin("\x00k"), "1"], ["INCR", bin("\x00k")], ["GETRANGE", "bin", "1", "4"]);
  await compareWithRedis(script);
});

Deno.test("strings/keys: randomized command sequences match a real redis-server", async () => {
  const rnd = prng(Number(Deno.env.get("FUZZ_SEED") ?? "20240607"));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const keys = ["a", "b", "c", "{t}d"];
  const values = [
    "",
    "0",
    "1",
    "-1",
    "42",
    "007",
    "3.5",
    "-0.25",
    "1e3",
    "abc",
    "hello world",
    "9223372036854775807",
    "-9223372036854775808",
    "x".repeat(50),
    "\x00\r\n\xff",
    " 1",
    "inf",
  ];
  const ints = [
    "0",
    "1",
    "-1",
    "5",
    "-5",
    "100",
    "x",
    "1.5",
    "9223372036854775807",
    "-9223372036854775808",
    "",
    "+1",
  ];
  const floats = [
    "0",
    "1",
    "0.1",
    "-0.1",
    "1e2",
    "1.5e-3",
    "x",
    "inf",
    "-inf",
    "nan",
    "3.",
    ".3",
    "1e400",
    "0x1A",
  ];
  // Relative times are long (both servers must see the same keys expire) and each one is new:
  // EXPIRE ... GT/LT compares expiry times set at different moments, so two equal durations
  // would compare by the milliseconds that passed between the commands (a race; seed 920075).
  // Seconds are 100 + n, milliseconds (100 + n) * 1000 + 500: no two are within 500 ms.
  let durations = 0;
  const fresh = (v: string, unit: "s" | "ms"): string =>
    v !== "100" && v !== "100000"
      ? v
      : unit === "s"
      ? String(100 + durations++)
      : String((100 + durations++) * 1000 + 500);
  const exp = (): string[] => {
    const f = pick(["EX", "PX", "EXAT", "PXAT"]);
    const v = f === "EXAT" || f === "PXAT"
      ? pick(["1", "0", "-1", "x", "99999999999", "999999999999999"])
      : f === "EX"
      ? fresh(pick(["100", "0", "-1", "x", "9999999999", "999999999999999"]), "s")
      : fresh(pick(["100000", "0", "-1", "x", "9999999999", "999999999999999"]), "ms");
    return [f, v];
  };
  const gen = (): Cmd => {
    const k = pick(keys);
    const k2 = pick(keys);
    const v = pick(values);
    switch (Math.floor(rnd() * 30)) {
      case 0:
      case 1: {
        const c: Cmd = ["SET", k, v];
        for (let n = Math.floor(rnd() * 3); n > 0; n--) {
          const o = pick([
            "NX",
            "XX",
            "GET",
            "KEEPTTL",
            "EX",
            "PX",
            "EXAT",
            "PXAT",
            "PERSIST",
            "FOO",
          ]);
          if (["EX", "PX", "EXAT", "PXAT"].includes(o)) c.push(...exp());
          else c.push(o);
        }
        return c;
      }
      case 2:
        return ["GET", k];
      case 3: {
        const c: Cmd = ["GETEX", k];
        if (rnd() < 0.5) c.push(...exp());
        if (rnd() < 0.3) c.push(pick(["PERSIST", "KEEPTTL", "NX"]));
        return c;
      }
      case 4:
        return [pick(["INCR", "DECR"]), k];
      case 5:
        return [pick(["INCRBY", "DECRBY"]), k, pick(ints)];
      case 6:
        return ["INCRBYFLOAT", k, pick(floats)];
      case 7:
        return ["APPEND", k, v];
      case 8:
        return ["SETRANGE", k, pick(["0", "1", "3", "-1", "x", "60"]), pick(["", "Z", "xyz"])];
      case 9:
        return [pick(["GETRANGE", "SUBSTR"]), k, pick(ints), pick(ints)];
      case 10:
        return ["STRLEN", k];
      case 11:
        return ["MSET", k, v, k2, pick(values)];
      case 12:
        return ["MGET", k, k2, "nokey"];
      case 13:
        return ["MSETNX", k, v, k2, v];
      case 14:
        return ["GETSET", k, v];
      case 15:
        return ["GETDEL", k];
      case 16:
        return ["SETNX", k, v];
      case 17: {
        const name = pick(["SETEX", "PSETEX"]);
        return [name, k, fresh(pick(["100000", "0", "-3", "x"]), name === "SETEX" ? "s" : "ms"), v];
      }
      case 18:
        return ["LCS", k, k2, ...(rnd() < 0.5 ? [pick(["LEN", "IDX", "WITHMATCHLEN"])] : [])];
      case 19:
        return ["TTL", k];
      case 20:
        return ["EXISTS", k, k2, k];
      case 21:
        return [pick(["DEL", "UNLINK"]), k];
      case 22:
        return [pick(["RENAME", "RENAMENX"]), k, k2];
      case 23:
        return ["COPY", k, k2, ...(rnd() < 0.5 ? ["REPLACE"] : [])];
      case 24: {
        const name = pick(["EXPIRE", "PEXPIRE"]);
        const t = name === "EXPIRE"
          ? fresh(pick(["100", "100", "100", "-1", "0", "x"]), "s")
          : fresh(pick(["100000", "100000", "-1", "0", "x"]), "ms");
        const c: Cmd = [name, k, t];
        if (rnd() < 0.6) c.push(pick(["NX", "XX", "GT", "LT", "BAD"]));
        if (rnd() < 0.2) c.push(pick(["NX", "XX", "GT", "LT"]));
        return c;
      }
      case 25:
        return ["PERSIST", k];
      case 26:
        return ["TYPE", k];
      case 27:
        return ["OBJECT", pick(["ENCODING", "REFCOUNT"]), k];
      case 28:
        return ["RPUSH", k, v];
      default:
        return ["TOUCH", k, k2];
    }
  };
  const script: Cmd[] = [];
  for (let i = 0; i < 3000; i++) script.push(gen().map((a) => typeof a === "string" ? bin(a) : a));
  await compareWithRedis(script);
});
