/** SHA-1 vectors and DEBUG DIGEST-VALUE equality with a real redis-server 7.0. */
import { Hash } from "./hash.ts";
import assert from "node:assert/strict";
import { datasetDigest, digestHex, sha1, valueDigest } from "./digest.ts";
import { Deque } from "./deque.ts";
import { ZSet } from "./zset.ts";
import { MemberSet } from "./member_set.ts";
import type { Value } from "./db.ts";
import { haveRedisServer, RespClient, spawnRedis } from "../tests/harness.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array) => digestHex(b);

Deno.test("sha1: FIPS 180 vectors", () => {
  assert.equal(hex(sha1(new Uint8Array(0))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(hex(sha1(enc.encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    hex(sha1(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  assert.equal(
    hex(sha1(new Uint8Array(1000000).fill(0x61))),
    "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  );
});

Deno.test("sha1: agrees with WebCrypto on many lengths", async () => {
  // Every padding case of the first blocks, then around the kept pad buffer's size (4096 bytes),
  // interleaved with short inputs so a long one's leftovers in the buffer would show.
  const lengths = [];
  for (let n = 0; n < 300; n += 7) lengths.push(n);
  for (let n = 4020; n < 4180; n++) lengths.push(n, n % 70);
  for (const n of lengths) {
    const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    const ref = new Uint8Array(await crypto.subtle.digest("SHA-1", data));
    assert.equal(hex(sha1(data)), hex(ref), `length ${n}`);
  }
});

Deno.test("digest: order matters for lists, not for sets/hashes/zsets", () => {
  const b = (s: string) => enc.encode(s);
  const l1 = Deque.from([b("a"), b("b")]);
  const l2 = Deque.from([b("b"), b("a")]);
  assert.notEqual(hex(valueDigest(l1, false)), hex(valueDigest(l2, false)));
  assert.equal(
    hex(valueDigest(MemberSet.of(["a", "b"]), false)),
    hex(valueDigest(MemberSet.of(["b", "a"]), false)),
  );
  const h1: Value = Hash.from([["f", b("1")], ["g", b("2")]]);
  const h2: Value = Hash.from([["g", b("2")], ["f", b("1")]]);
  assert.equal(hex(valueDigest(h1, false)), hex(valueDigest(h2, false)));
  assert.notEqual(hex(valueDigest(b("x"), false)), hex(valueDigest(b("x"), true)));
  assert.equal(hex(datasetDigest([], () => false)), "0".repeat(40));
});

Deno.test({
  name: "digest: DEBUG DIGEST-VALUE equals real redis-server 7.0 for every type",
  ignore: !haveRedisServer(),
  async fn() {
    const redis = await spawnRedis({ "enable-debug-command": "yes" });
    const c = await RespClient.connect(redis.port);
    try {
      const b = (s: string) => enc.encode(s);
      const cases: [string, (string | Uint8Array)[][], Value, boolean][] = [
        ["s", [["SET", "s", "hello"]], b("hello"), false],
        ["si", [["SET", "si", "12345"]], b("12345"), false],
        ["sbig", [["SET", "sbig", "x".repeat(100)]], b("x".repeat(100)), false],
        ["sttl", [["SET", "sttl", "v", "EX", "1000"]], b("v"), true],
        [
          "l",
          [["RPUSH", "l", "a", "b", "c", "10"]],
          Deque.from([b("a"), b("b"), b("c"), b("10")]),
          false,
        ],
        [
          "h",
          [["HSET", "h", "f1", "v1", "f2", "2"]],
          Hash.from([["f1", b("v1")], ["f2", b("2")]]),
          false,
        ],
        ["set", [["SADD", "set", "x", "y", "z"]], MemberSet.of(["x", "y", "z"]), false],
        ["iset", [["SADD", "iset", "1", "2", "300"]], MemberSet.of(["1", "2", "300"]), false],
      ];
      const z = new ZSet();
      z.add("a", 1);
      z.add("b", 2.5);
      z.add("c", -0.1);
      z.add("7", 1e20);
      cases.push(["z", [["ZADD", "z", "1", "a", "2.5", "b", "-0.1", "c", "1e20", "7"]], z, false]);
      const zbig = new ZSet();
      const zargs = ["ZADD", "zbig"];
      for (let i = 0; i < 200; i++) {
        zbig.add(`m${i}`, i / 3);
        zargs.push(String(i / 3), `m${i}`);
      }
      cases.push(["zbig", [zargs], zbig, false]);
      const zinf = new ZSet();
      zinf.add("a", Infinity);
      zinf.add("b", -Infinity);
      zinf.add("c", 0.1);
      cases.push(["zinf", [["ZADD", "zinf", "+inf", "a", "-inf", "b", "0.1", "c"]], zinf, false]);
      const bigHash = Hash.table();
      const hargs = ["HSET", "hbig"];
      for (let i = 0; i < 600; i++) {
        bigHash.set(`f${i}`, b(`v${i}`));
        hargs.push(`f${i}`, `v${i}`);
      }
      cases.push(["hbig", [hargs], bigHash, false]);
      const bin = new Uint8Array([0, 255, 13, 10, 128]);
      const binKey = String.fromCharCode(...bin);
      cases.push(["binset", [["SADD", "binset", bin]], MemberSet.of([binKey]), false]);
      for (const [key, cmds, value, ttl] of cases) {
        for (const cmd of cmds) await c.call(...cmd);
        const real = await c.call("DEBUG", "DIGEST-VALUE", key);
        assert.deepEqual(real, [hex(valueDigest(value, ttl))], `key ${key}`);
      }
      assert.deepEqual(await c.call("DEBUG", "DIGEST-VALUE", "missing"), ["0".repeat(40)]);
      // Whole-dataset digest.
      await c.call("FLUSHALL");
      await c.call("SET", "a", "1");
      await c.call("RPUSH", "b", "x", "y");
      const entries: [string, Value][] = [["a", b("1")], ["b", Deque.from([b("x"), b("y")])]];
      assert.equal(await c.call("DEBUG", "DIGEST"), hex(datasetDigest(entries, () => false)));
    } finally {
      c.close();
      await redis.stop();
    }
  },
});
