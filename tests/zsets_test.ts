/**
 * Sorted-set commands: exact replies (RESP2 and RESP3) and errors, compared command by command
 * with a real redis-server 7.0 where the output is deterministic, plus property checks for the
 * random/cursor commands (ZRANDMEMBER, ZSCAN) and the blocking pops.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { prng } from "./prng.ts";
import { compareWithRedis } from "./compare.ts";

type Cmd = string[];

/** Split "zadd z 1 a" into args; "quoted words" keep spaces; \xNN escapes for bytes. */
function parse(line: string): Cmd {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) {
    const raw = m[1] !== undefined ? m[1] : m[2];
    out.push(raw.replace(/\\x([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))));
  }
  return out;
}

/** Bytes of a binary-string argument (one char per byte). */
function bin(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function show(v: RespValue): string {
  return JSON.stringify(v, (_k, x) => x instanceof Uint8Array ? new TextDecoder().decode(x) : x);
}

/** Commands whose replies must be identical on our node and on redis-server. */
const SCRIPT = `
flushall
zadd z 1.1 a 2 b 3 c
zadd z 1 a 2 b 3 c 4 d 5 e
zscore z a
zscore z nope
zscore nokey a
zmscore z a nope e
zmscore nokey a b
zcard z
zcard nokey
zrank z c
zrevrank z c
zrank z nope
zrank nokey a
zadd z xx nx 1 a
zadd z gt lt 1 a
zadd z gt nx 1 a
zadd z lt nx 1 a
zadd z ch xx gt lt 1 a
zadd z incr 1 a 2 b
zadd z x a
zadd z nan a
zadd z 1e400 a
zadd z 1e-400 a
zadd z " 1" a
zadd z "1 " a
zadd z "" a
zadd z gt 1
zadd z 1 a incr
zadd z 0x10 hex
zadd z -inf ninf +inf pinf
zadd z incr inf a
zadd z incr -inf a
zadd z incr 0 a
zscore z a
zadd z 1 a
zadd z incr nx 1 a
zadd z incr xx 1 a
zadd z incr xx 1 newmember
zadd nokey xx 1 a
zadd nokey xx incr 1 a
exists nokey
zadd z ch 10 a 20 b 3 c 99 new
zadd z gt ch 5 a 30 b 1 c
zadd z lt ch 5 a 30 b 1 c
zadd z xx ch 7 a 8 notthere
zadd z nx ch 70 a 8 nx1
zadd z incr gt -1 a
zadd z incr lt -1 a
zadd z incr gt 1 a
zrange z 0 -1 withscores
zincrby z 2.5 b
zincrby z x b
zincrby z nan b
zincrby z 1 newone
zincrby z -inf pinf
zincrby z 1 nx
zincrby nokey2 5 m
zrange z 0 -1 withscores
del z
zadd z 1 a 2 b 3 c 4 d 5 e 6 f
zrange z 0 -1
zrange z 0 -1 withscores
zrange z 1 2 WITHSCORES
zrange z -3 -1
zrange z -100 100
zrange z 5 1
zrange z 10 20
zrange z 0 x
zrange z x 1
zrange z 0 1 rev
zrange z 0 1 rev withscores
zrange z 0 1 rev rev
zrange z 0 -1 limit 0 1
zrange z 0 -1 bylex
zrange z 0 -1 byscore byLEX
zrange z 0 -1 withscores bylex
zrange z - + bylex withscores
zrange z (1 4 byscore
zrange z (1 (4 byscore withscores
zrange z 4 (1 byscore rev
zrange z -inf +inf byscore limit 1 2
zrange z -inf +inf byscore limit 1 -1
zrange z -inf +inf byscore limit -1 2
zrange z -inf +inf byscore limit 6 2
zrange z -inf +inf byscore limit 5 2
zrange z -inf +inf byscore limit 0 0
zrange z -inf +inf byscore limit x 0
zrange z +inf -inf byscore rev limit 1 2 withscores
zrange z 0 -1 byscore limit 0
zrange z 1 1 byscore
zrange z (1 (1 byscore
zrange z 2 1 byscore
zrange z a b byscore
zrange nokey 0 -1
zrange nokey 0 -1 withscores
zrange nokey a b byscore
zrevrange z 0 2
zrevrange z 0 2 withscores
zrevrange z 0 2 rev
zrevrange z -2 -1
zrangebyscore z 2 4
zrangebyscore z -inf +inf withscores
zrangebyscore z (2 (4 withscores
zrangebyscore z 2 4 limit 1 1
zrangebyscore z 2 4 limit 1
zrangebyscore z 2 4 rev
zrangebyscore z 2 4 byscore
zrangebyscore z a b
zrangebyscore z (1 (x
zrangebyscore z "" ""
zrangebyscore z " 1" 2
zrangebyscore z ( 1e400
zrangebyscore z ( 0
zrangebyscore z -inf (inf
zrangebyscore z 0x2 0x3
zrangebyscore z 1e0 3.0e0
zrangebyscore z nan 5
zrevrangebyscore z 4 2
zrevrangebyscore z 4 2 withscores limit 1 5
zrevrangebyscore z (4 (2
zrevrangebyscore z 2 4
zrevrangebyscore z x 4
zcount z 2 4
zcount z (2 (4
zcount z -inf +inf
zcount z 5 1
zcount z x 1
zcount nokey 1 2
zcount nokey x 2
del l
zadd l 0 a 0 b 0 c 0 d 0 e 0 f 0 g
zrangebylex l - +
zrangebylex l [b [d
zrangebylex l (b (d
zrangebylex l (b +
zrangebylex l - (c
zrangebylex l [b [d limit 1 1
zrangebylex l - + limit 2 100
zrangebylex l - + limit -1 2
zrangebylex l + -
zrangebylex l - -
zrangebylex l + +
zrangebylex l [a [a
zrangebylex l (a (a
zrangebylex l [z [a
zrangebylex l a b
zrangebylex l [a b
zrangebylex l "" +
zrangebylex l -- +
zrangebylex l - ++
zrangebylex l [ +
zrangebylex l ( +
zrangebylex l - + withscores
zrevrangebylex l + -
zrevrangebylex l [d [b
zrevrangebylex l (d [b limit 1 5
zrevrangebylex l [b [d
zrange l [b [d bylex
zrange l [d [b bylex rev
zrange l [d [b bylex rev limit 0 2
zlexcount l - +
zlexcount l [b (e
zlexcount l x +
zlexcount l + -
zlexcount nokey - +
zlexcount nokey x y
set s x
zadd s 1 a
zincrby s 1 a
zrem s a
zcard s
zscore s a
zmscore s a
zrank s a
zrange s 0 -1
zrangebyscore s 0 1
zrangebylex s - +
zcount s 0 1
zlexcount s - +
zpopmin s
zpopmax s 2
zmpop 1 s min
zremrangebyrank s 0 1
zremrangebyscore s 0 1
zremrangebylex s - +
zrandmember s
zrandmember s 2
zscan s 0
zrangestore d s 0 -1
zunionstore d 2 z s
zunion 2 z s
zinter 1 s
zdiff 1 s
zmpop 2 nokey s min
zcount s x y
del z
zadd z 1 a 2 b 3 c 4 d 5 e
zrem z a x b
zrem z x
zrem nokey a
zrange z 0 -1
zrem z c d e
exists z
zadd z 1 a 2 b 3 c 4 d 5 e
zpopmin z
zpopmax z
zpopmin z 1
zpopmin z 0
zpopmin z -1
zpopmin z x
zpopmin z 1 2
zpopmax z 10
exists z
zpopmin nokey
zpopmin nokey 2
zpopmin nokey 0
zpopmin nokey -1
zadd z 1 a 2 b 3 c 4 d 5 e
zmpop 1 z min
zmpop 1 z max count 2
zmpop 2 nokey z min count 10
exists z
zmpop 1 nokey min
zmpop 0 z min
zmpop -1 z min
zmpop x z min
zmpop 1 z foo
zmpop 2 z min
zmpop 1 z min count 0
zmpop 1 z min count -1
zmpop 1 z min count x
zmpop 1 z min count
zmpop 1 z min count 1 count 2
zmpop 1 z MAX COUNT 1 extra
zadd z 1 a 2 b 3 c 4 d 5 e 6 f
zremrangebyrank z 0 1
zrange z 0 -1
zremrangebyrank z -1 -1
zremrangebyrank z 5 10
zremrangebyrank z 2 1
zremrangebyrank z x 1
zremrangebyrank nokey 0 1
zremrangebyrank z 0 -1
exists z
zadd z 1 a 2 b 3 c 4 d 5 e 6 f
zremrangebyscore z (1 3
zremrangebyscore z 10 20
zremrangebyscore z x y
zremrangebyscore z -inf +inf
exists z
zremrangebyscore nokey 0 1
zremrangebylex l [b (d
zrange l 0 -1
zremrangebylex l x y
zremrangebylex l - +
exists l
zremrangebylex nokey - +
del z
zadd z 1 a 2 b 3 c 4 d
zrangestore d z 0 -1
zrange d 0 -1 withscores
zrangestore d z 1 2 rev
zrange d 0 -1 withscores
zrangestore d z (1 3 byscore
zrange d 0 -1 withscores
zrangestore d z 3 (1 byscore rev limit 0 1
zrange d 0 -1 withscores
zrangestore d z [a [c bylex
zrange d 0 -1
zrangestore d z 0 -1 withscores
zrangestore d z 0 -1 limit 0 1
zrangestore d z 5 6
exists d
zrangestore d nokey 0 -1
set d x
zrangestore d nokey 0 -1
exists d
del z z2 z3 d
zadd z 1 a 2 b 3 c
zadd z2 10 b 20 c 30 d
zadd z3 100 c 200 x
zunionstore d 2 z z2
zrange d 0 -1 withscores
zunionstore d 3 z z2 z3 weights 1 2 3
zrange d 0 -1 withscores
zunionstore d 2 z z2 aggregate min
zrange d 0 -1 withscores
zunionstore d 2 z z2 aggregate max weights 2 -1
zrange d 0 -1 withscores
zunionstore d 2 z z2 aggregate MAX aggregate sum
zrange d 0 -1 withscores
zunionstore d 2 z nokey
zrange d 0 -1 withscores
zunionstore d 1 nokey
exists d
zunionstore d 0 z
zunionstore d -1 z
zunionstore d x z
zunionstore d 3 z z2
zunionstore d 1 z weights
zunionstore d 1 z weights x
zunionstore d 1 z weights nan
zunionstore d 1 z weights 1 2
zunionstore d 1 z aggregate foo
zunionstore d 1 z aggregate
zunionstore d 1 z withscores
zunionstore d 1 z foo
zinterstore d 2 z z2
zrange d 0 -1 withscores
zinterstore d 3 z z2 z3 aggregate max
zrange d 0 -1 withscores
zinterstore d 3 z z2 z3 weights 1 1 0 aggregate min
zrange d 0 -1 withscores
zinterstore d 2 z nokey
exists d
zinterstore d 2 z z
zrange d 0 -1 withscores
zdiffstore d 2 z z2
zrange d 0 -1 withscores
zdiffstore d 3 z z2 z3
zrange d 0 -1 withscores
zdiffstore d 2 z z
exists d
zdiffstore d 1 nokey
zdiffstore d 2 nokey z
zdiffstore d 2 z nokey
zrange d 0 -1 withscores
zdiffstore d 1 z weights 1
zdiffstore d 1 z aggregate sum
zunion 2 z z2
zunion 2 z z2 withscores
zunion 2 z z2 weights 1 2 withscores aggregate max
zunion 2 z z2 withscores foo
zunion 0 z
zunion 1 nokey
zunion 1 nokey withscores
zinter 2 z z2 withscores
zinter 1 z withscores
zinter 2 z z3 weights 2 3 withscores
zdiff 2 z z2
zdiff 2 z z2 withscores
zdiff 1 z weights 1
zdiff 1 z withscores withscores
zintercard 2 z z2
zintercard 1 z limit 2
zintercard 1 z limit 0
zintercard 1 z limit -1
zintercard 1 z limit x
zintercard 0 z
zintercard 1 z foo
zintercard 1 z withscores
zintercard 2 z nokey
zunion 2 z z weights inf -inf withscores
zunion 2 z z weights 1 inf withscores
zadd inf 1 a
zunionstore d 2 z inf weights inf -inf
zrange d 0 -1 withscores
zrandmember nokey
zrandmember nokey 2
zrandmember nokey 2 withscores
zrandmember nokey 0
zrandmember z 0
zrandmember z x
zrandmember z x foo
zrandmember z 1 x
zrandmember z 1 withscores x
zrandmember z -9223372036854775808
zrandmember z -9223372036854775807 withscores
zrandmember z 4611686018427387904 withscores
zrandmember z 10
zrandmember z 10 withscores
zrandmember z 3 withscores
zrandmember z 99999999999999999999
zscan nokey 0
zscan nokey 0 count x
zscan nokey 0 type zset
zscan z 0
zscan z 0 match a*
zscan z 0 match * count 1
zscan z x
zscan z -
zscan z " 0"
zscan z 0 count 0
zscan z 0 count x
zscan z 0 foo
zscan z 0 count
zscan z 0 type zset
zadd n -0 a
zscore n a
zadd n 1e17 b 123456789012345678 c 0.1 d 1.5e-7 e
zrange n 0 -1 withscores
zscan n 0
zadd n incr -0 a
zadd n incr 0 a
zincrby n 1 a
del bin
zadd bin 1 \\x00 1 \\xff 1 \\x80a 1 a\\x00b
zrange bin 0 -1
zrangebylex bin [\\x80 +
zrank bin \\xff
del z
zadd z 1 a 2 b 3 c 4 d 5 e 6 f
bzpopmin z 0
bzpopmax z 0
bzpopmin nokey z 0
bzmpop 0 1 z min count 2
bzmpop 0 2 nokey z max
bzpopmin nokey 0.01
bzpopmax nokey nokey2 0.01
bzmpop 0.01 1 nokey max
zadd z 1 a 2 b 3 c
bzpopmin z -1
bzpopmin z x
bzpopmin z 1e400
bzpopmin z inf
bzpopmin z " 1"
bzpopmin z ""
bzpopmin z 0x10
bzpopmin z 1e-400
bzmpop x 1 z min
bzmpop 0 0 z min
bzmpop x 0 z min
bzmpop 0 1 z foo
bzmpop x 1 z min count 0
bzmpop 0 1 z min count 1 extra
bzpopmin s 0
bzpopmin nokey s 0
bzmpop 0 2 nokey s min
bzpopmin z 0
exists z
bzpopmin z
bzmpop 0 1 z
del z ss is d
zadd z 1 a 2 b 3 c
sadd ss a x c
sadd is 1 2 3 a
zunionstore d 2 z ss
zrange d 0 -1 withscores
zunionstore d 2 z ss weights 2 3
zrange d 0 -1 withscores
zinterstore d 2 z ss aggregate max
zrange d 0 -1 withscores
zinterstore d 3 z ss is weights 1 2 3
zrange d 0 -1 withscores
zdiffstore d 2 ss z
zrange d 0 -1 withscores
zdiff 2 is ss withscores
zunion 3 z ss is withscores
zinter 2 ss is withscores
zinter 1 ss withscores
zintercard 2 z ss
zintercard 3 z ss is limit 1
zunion 2 ss ss weights 2 3 withscores aggregate min
zrangestore d ss 0 -1
del z
zadd z 1 a 2 b
watch z
zadd z 5 a
multi
zcard z
exec
watch z
zadd z nx 7 a
zadd z xx 9 nothere
zrem z nothere
zincrby z 0 a
multi
zcard z
exec
watch z
zpopmin z
multi
zcard z
exec
watch d
zunionstore d 1 z
multi
zcard d
exec
command getkeys zunionstore d 2 a b weights 1 2
command getkeys zinterstore d 1 a
command getkeys zdiffstore d 2 a b
command getkeys zunion 2 a b withscores
command getkeys zintercard 3 a b c limit 1
command getkeys zmpop 2 a b min
command getkeys bzmpop 0 2 a b min count 2
command getkeys bzpopmin a b 0
command getkeys zrangestore d s 0 1
command getkeys zadd k 1 m
zadd
zadd z
zadd z 1
zincrby z 1
zrem z
zcard
zscore z
zrange z 0
zrangestore d z 0
zunionstore d 1
zunion 1
zmpop 1 z
zrandmember
zscan z
zpopmin
`;

async function replyPair(a: RespClient, b: RespClient, args: Cmd): Promise<[RespValue, RespValue]> {
  const argv = args.map(bin);
  return [await a.callRaw(...argv), await b.callRaw(...argv)];
}

for (const proto of [2, 3]) {
  Deno.test({
    name: `zsets: replies match redis-server exactly (RESP${proto})`,
    ignore: !haveRedisServer(),
    fn: async () => {
      const node = await startNode();
      const redis = await spawnRedis();
      const ours = await RespClient.connect(node.port);
      const theirs = await RespClient.connect(redis.port);
      try {
        if (proto === 3) {
          // HELLO is implemented by the connection commands; compare its effect only.
          const h = await ours.callRaw("HELLO", "3");
          assert.equal(h.type, "map");
          await theirs.callRaw("HELLO", "3");
        }
        let line = 0;
        for (const text of SCRIPT.split("\n")) {
          line++;
          if (text.trim() === "") continue;
          const [a, b] = await replyPair(ours, theirs, parse(text));
          assert.equal(show(a), show(b), `line ${line}: ${text}`);
        }
      } finally {
        ours.close();
        theirs.close();
        await node.stop();
        await redis.stop();
      }
    },
  });
}

Deno.test("zsets: exact replies without a reference server", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("ZADD", "z", "1.1", "a", "2", "b"), 2);
    assert.equal(await c.call("ZSCORE", "z", "a"), "1.1000000000000001");
    assert.deepEqual(await c.call("ZRANGE", "z", "0", "-1", "WITHSCORES"), [
      "a",
      "1.1000000000000001",
      "b",
      "2",
    ]);
    assert.equal(
      (await c.call("ZADD", "z", "XX", "NX", "1", "a") as Error).message,
      "ERR XX and NX options at the same time are not compatible",
    );
    assert.equal(
      (await c.call("ZADD", "z", "GT", "LT", "1", "a") as Error).message,
      "ERR GT, LT, and/or NX options at the same time are not compatible",
    );
    assert.equal(
      (await c.call("ZADD", "z", "INCR", "1", "a", "2", "b") as Error).message,
      "ERR INCR option supports a single increment-element pair",
    );
    assert.equal(
      (await c.call("ZADD", "z", "x", "a") as Error).message,
      "ERR value is not a valid float",
    );
    assert.equal(await c.call("ZADD", "z", "INCR", "inf", "a"), "inf");
    assert.equal(
      (await c.call("ZADD", "z", "INCR", "-inf", "a") as Error).message,
      "ERR resulting score is not a number (NaN)",
    );
    assert.equal(
      (await c.call("ZRANGEBYSCORE", "z", "(1", "x") as Error).message,
      "ERR min or max is not a float",
    );
    assert.equal(
      (await c.call("ZRANGEBYLEX", "z", "a", "+") as Error).message,
      "ERR min or max not valid string range item",
    );
    assert.deepEqual(await c.call("ZPOPMIN", "z"), ["b", "2"]);
    assert.deepEqual(await c.call("ZPOPMIN", "z"), ["a", "inf"]);
    assert.equal(await c.call("EXISTS", "z"), 0);
    // RESP3 shapes.
    await c.call("HELLO", "3");
    await c.call("ZADD", "z", "1", "a", "2", "b", "3", "c");
    const r = await c.callRaw("ZRANGE", "z", "0", "1", "WITHSCORES");
    assert.equal(r.type, "array");
    const items = (r as { value: RespValue[] }).value;
    assert.equal(items.length, 2);
    assert.deepEqual(items[0], {
      type: "array",
      value: [{ type: "bulk", value: new TextEncoder().encode("a") }, {
        type: "double",
        value: 1,
        text: "1",
      }],
    });
    const pop = await c.callRaw("ZPOPMIN", "z");
    assert.equal(
      show(pop),
      show({
        type: "array",
        value: [{ type: "bulk", value: new TextEncoder().encode("a") }, {
          type: "double",
          value: 1,
          text: "1",
        }],
      }),
    );
    const pop1 = await c.callRaw("ZPOPMIN", "z", "1");
    assert.equal((pop1 as { value: RespValue[] }).value[0].type, "array");
    assert.equal(
      show(await c.callRaw("ZSCORE", "z", "c")),
      show({ type: "double", value: 3, text: "3" }),
    );
    assert.equal((await c.callRaw("ZSCORE", "z", "nope")).type, "null");
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("zsets: ZRANDMEMBER distinctness, repetition and shapes", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(String(i), `m${i}`);
    await c.call("ZADD", "big", ...args);
    await c.call("ZADD", "small", "1", "a", "2", "b", "3", "c");
    for (const [key, n] of [["big", 50], ["big", 250], ["small", 2]] as [string, number][]) {
      const r = await c.call("ZRANDMEMBER", key, String(n)) as string[];
      assert.equal(r.length, n);
      assert.equal(new Set(r).size, n, "positive count gives distinct members");
    }
    const rep = await c.call("ZRANDMEMBER", "small", "-20") as string[];
    assert.equal(rep.length, 20);
    assert.ok(rep.every((m) => ["a", "b", "c"].includes(m)));
    const ws = await c.call("ZRANDMEMBER", "big", "5", "WITHSCORES") as string[];
    assert.equal(ws.length, 10);
    for (let i = 0; i < 10; i += 2) assert.equal(`m${ws[i + 1]}`, ws[i]);
    const one = await c.call("ZRANDMEMBER", "small");
    assert.ok(["a", "b", "c"].includes(one as string));
    await c.call("HELLO", "3");
    const r3 = await c.callRaw("ZRANDMEMBER", "big", "-3", "WITHSCORES") as { value: RespValue[] };
    assert.equal(r3.value.length, 3);
    for (const p of r3.value) {
      const pair = p as { type: string; value: RespValue[] };
      assert.equal(pair.type, "array");
      assert.equal(pair.value[1].type, "double");
    }
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("zsets: ZSCAN over a large zset returns every member despite concurrent changes", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const args: string[] = [];
    // Groups of equal scores and negative/fractional scores exercise the score cursor.
    for (let i = 0; i < 1000; i++) args.push(String((i % 37) - 18 + (i % 3) / 4), `m${i}`);
    await c.call("ZADD", "big", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const [next, items] = await c.call("ZSCAN", "big", cursor, "COUNT", "20") as [
        string,
        string[],
      ];
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      cursor = next;
      calls++;
      // Remove and add members that are not part of the guarantee.
      if (calls === 3) await c.call("ZADD", "big", "-100", "newlow", "100", "newhigh");
      assert.ok(calls < 500);
    } while (cursor !== "0");
    assert.ok(calls > 10, `a large zset is scanned in steps (${calls} calls)`);
    for (let i = 0; i < 1000; i++) {
      assert.equal(seen.get(`m${i}`), String((i % 37) - 18 + (i % 3) / 4), `m${i}`);
    }
    assert.ok(seen.has("newhigh"));
    const [, matched] = await c.call("ZSCAN", "big", "0", "MATCH", "m99*", "COUNT", "100000") as [
      string,
      string[],
    ];
    assert.deepEqual(matched.filter((_, i) => i % 2 === 0).sort(), [
      "m99",
      "m990",
      "m991",
      "m992",
      "m993",
      "m994",
      "m995",
      "m996",
      "m997",
      "m998",
      "m999",
    ]);
  } finally {
    c.close();
    await node.stop();
  }
});

/** Random deterministic sorted-set commands (seeded), for differential testing. */
function randomCommands(seed: number, n: number, withLex = true): Cmd[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const key = () => pick(["za", "zb", "zc", "nokey"]);
  const member = () =>
    pick(["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "\x00", "\xff", "B", ""]);
  const score = () =>
    pick([
      "0",
      "-0",
      "1",
      "2",
      "2.5",
      "-3",
      "1e3",
      "-inf",
      "+inf",
      "0.1",
      "3",
      String(Math.floor(rnd() * 10)),
    ]);
  const bound = () =>
    pick(["", "("]) + pick(["-inf", "+inf", "0", "1", "2", "2.5", "3", "5", "-1"]);
  const lex = () => pick(["-", "+", "[a", "(a", "[b", "(c", "[aa", "[\xff", "(", "[", "[d"]);
  const idx = () => String(Math.floor(rnd() * 12) - 6);
  const out: Cmd[] = [];
  while (out.length < n) {
    const r = rnd();
    if (r < 0.25) {
      const opts: string[] = [];
      for (const o of ["nx", "xx", "gt", "lt", "ch", "incr"]) if (rnd() < 0.12) opts.push(o);
      const pairs: string[] = [];
      const np = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < np; j++) pairs.push(score(), member());
      out.push(["zadd", key(), ...opts, ...pairs]);
    } else if (r < 0.3) {
      out.push(["zincrby", key(), score(), member()]);
    } else if (r < 0.35) {
      out.push(["zrem", key(), member(), member()]);
    } else if (r < 0.45) {
      const k = pick(["rank", "score", "lex"]);
      const rev = rnd() < 0.3;
      const args = ["zrange", key()];
      if (k === "rank") args.push(idx(), idx());
      else if (k === "score") args.push(bound(), bound(), "byscore");
      else args.push(lex(), lex(), "bylex");
      if (rev) args.push("rev");
      if (k !== "lex" && rnd() < 0.5) args.push("withscores");
      if (k !== "rank" && rnd() < 0.3) args.push("limit", idx(), idx());
      out.push(args);
    } else if (r < 0.5) {
      out.push(pick([
        ["zrangebyscore", key(), bound(), bound(), "withscores"],
        ["zrevrangebyscore", key(), bound(), bound()],
        ["zrangebylex", key(), lex(), lex()],
        ["zrevrangebylex", key(), lex(), lex()],
        ["zrevrange", key(), idx(), idx(), "withscores"],
      ]));
    } else if (r < 0.6) {
      out.push(pick([
        ["zcount", key(), bound(), bound()],
        ["zlexcount", key(), lex(), lex()],
        ["zrank", key(), member()],
        ["zrevrank", key(), member()],
        ["zscore", key(), member()],
        ["zmscore", key(), member(), member()],
        ["zcard", key()],
        ["zscan", key(), "0"],
      ]));
    } else if (r < 0.7) {
      out.push(pick([
        ["zremrangebyrank", key(), idx(), idx()],
        ["zremrangebyscore", key(), bound(), bound()],
        ["zremrangebylex", key(), lex(), lex()],
      ]));
    } else if (r < 0.8) {
      out.push(pick([
        ["zpopmin", key()],
        ["zpopmax", key(), String(Math.floor(rnd() * 3))],
        [
          "zmpop",
          "2",
          key(),
          key(),
          pick(["min", "max"]),
          "count",
          String(1 + Math.floor(rnd() * 3)),
        ],
      ]));
    } else if (r < 0.95) {
      const op = pick([
        "zunionstore",
        "zinterstore",
        "zdiffstore",
        "zunion",
        "zinter",
        "zdiff",
        "zintercard",
      ]);
      const store = op.endsWith("store");
      const args = [op];
      if (store) args.push(key());
      args.push("2", key(), key());
      if (op !== "zdiffstore" && op !== "zdiff" && op !== "zintercard") {
        if (rnd() < 0.4) args.push("weights", score(), score());
        if (rnd() < 0.4) args.push("aggregate", pick(["sum", "min", "max"]));
      }
      if (!store && op !== "zintercard" && rnd() < 0.5) args.push("withscores");
      out.push(args);
    } else {
      out.push(["zrangestore", key(), key(), idx(), idx()]);
    }
  }
  // Lex ranges over mixed scores and ZSCAN cursors are unspecified for skiplist zsets.
  return withLex ? out : out.filter((c) => c[0] !== "zscan" && !c.some((a) => /lex/.test(a)));
}

Deno.test({
  name: "zsets: random command sequences match redis-server (RESP2 and RESP3)",
  ignore: !haveRedisServer(),
  fn: async () => {
    const node = await startNode();
    const redis = await spawnRedis();
    try {
      // FUZZ_SEED: other seeds for a campaign (the default, 7, is the one CI runs).
      const base = Number(Deno.env.get("FUZZ_SEED") ?? "7");
      const runs = [[base, 2, 0], [base + 1, 3, 0], [base + 2, 2, 1], [base + 3, 3, 1]];
      for (const [seed, proto, skiplist] of runs) {
        const ours = await RespClient.connect(node.port);
        const theirs = await RespClient.connect(redis.port);
        try {
          if (proto === 3) {
            await ours.callRaw("HELLO", "3");
            await theirs.callRaw("HELLO", "3");
          }
          await ours.callRaw("FLUSHALL");
          await theirs.callRaw("FLUSHALL");
          // skiplist: every zset uses Redis's skiplist encoding (no listpack).
          const entries = skiplist ? "0" : "128";
          assert.equal(
            show(await ours.callRaw("CONFIG", "SET", "zset-max-listpack-entries", entries)),
            show({ type: "simple", value: "OK" }),
          );
          await theirs.callRaw("CONFIG", "SET", "zset-max-listpack-entries", entries);
          const cmds = randomCommands(seed, 1500, !skiplist);
          for (let i = 0; i < cmds.length; i++) {
            const [a, b] = await replyPair(ours, theirs, cmds[i]);
            assert.equal(show(a), show(b), `seed ${seed} #${i}: ${JSON.stringify(cmds[i])}`);
          }
        } finally {
          ours.close();
          theirs.close();
        }
      }
    } finally {
      await node.stop();
      await redis.stop();
    }
  },
});

Deno.test("zsets: blocking pops wait for data, time out, and do not block in MULTI", async () => {
  const node = await startNode();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(node.port);
  const show2 = (v: RespValue) => show(v);
  try {
    // Blocked BZPOPMIN is served by a later ZADD that creates the key.
    const pending = a.callRaw("BZPOPMIN", "k1", "k2", "0");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await b.call("ZADD", "k2", "5", "x", "7", "y"), 2);
    assert.deepEqual(toStrings(await pending), ["k2", "x", "5"]);
    assert.deepEqual(await b.call("ZRANGE", "k2", "0", "-1"), ["y"]);
    // BZMPOP with COUNT takes up to count elements from the zset that got data; the key is
    // deleted when emptied.
    const pm = a.callRaw("BZMPOP", "0", "2", "k3", "k4", "MAX", "COUNT", "5");
    await new Promise((r) => setTimeout(r, 50));
    await b.call("ZADD", "k4", "1", "p", "2", "q");
    assert.equal(
      show2(await pm),
      show2({
        type: "array",
        value: [
          { type: "bulk", value: bin("k4") },
          {
            type: "array",
            value: [
              {
                type: "array",
                value: [{ type: "bulk", value: bin("q") }, { type: "bulk", value: bin("2") }],
              },
              {
                type: "array",
                value: [{ type: "bulk", value: bin("p") }, { type: "bulk", value: bin("1") }],
              },
            ],
          },
        ],
      }),
    );
    assert.equal(await b.call("EXISTS", "k4"), 0);
    // ZUNIONSTORE into a waited-on key wakes the client too; first blocked is served first.
    const first = a.callRaw("BZPOPMAX", "k5", "0");
    await new Promise((r) => setTimeout(r, 30));
    const c = await RespClient.connect(node.port);
    const second = c.callRaw("BZPOPMAX", "k5", "0");
    await new Promise((r) => setTimeout(r, 30));
    await b.call("ZADD", "src", "1", "m1", "2", "m2");
    assert.equal(await b.call("ZUNIONSTORE", "k5", "1", "src"), 2);
    assert.deepEqual(toStrings(await first), ["k5", "m2", "2"]);
    assert.deepEqual(toStrings(await second), ["k5", "m1", "1"]);
    c.close();
    // Timeout: a null array after roughly the timeout.
    const t0 = Date.now();
    assert.equal((await a.callRaw("BZPOPMIN", "nothing", "0.2")).type, "null");
    const waited = Date.now() - t0;
    assert.ok(waited >= 150 && waited < 2000, `waited ${waited} ms`);
    assert.equal((await a.callRaw("BZMPOP", "0.05", "1", "nothing", "MIN")).type, "null");
    // Inside MULTI the blocking forms answer at once.
    assert.equal(await a.call("MULTI"), "OK");
    assert.equal(await a.call("BZPOPMIN", "nothing", "0"), "QUEUED");
    assert.equal(await a.call("BZMPOP", "0", "1", "nothing", "MIN"), "QUEUED");
    const exec = await a.callRaw("EXEC") as { value: RespValue[] };
    assert.deepEqual(exec.value.map((v) => v.type), ["null", "null"]);
  } finally {
    a.close();
    b.close();
    await node.stop();
  }
});

function toStrings(v: RespValue): unknown {
  if (v.type === "bulk") return new TextDecoder().decode(v.value);
  if (v.type === "array") return v.value.map(toStrings);
  if (v.type === "double") return v.text;
  return v;
}

/** INFO clients' blocked_clients. */
async function blockedClients(c: RespClient): Promise<number> {
  const text = await c.call("INFO", "clients") as string;
  const m = /blocked_clients:(\d+)/.exec(text);
  assert.ok(m !== null, text);
  return Number(m[1]);
}

Deno.test("zsets: a client blocked in BZPOPMIN that disconnects leaves no waiter behind", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const b = await RespClient.connect(node.port);
    await b.writeRaw("*3\r\n$8\r\nBZPOPMIN\r\n$2\r\nzk\r\n$1\r\n0\r\n");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(node.server.db.blockedWaiters.size, 1);
    assert.equal(await blockedClients(c), 1);
    b.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(node.server.db.blockedWaiters.size, 0);
    assert.equal(await blockedClients(c), 0);
    // The ZADD is not handed to the gone client: it is still there for a new BZPOPMIN.
    assert.equal(await c.call("ZADD", "zk", "1", "m"), 1);
    assert.equal(await c.call("ZCARD", "zk"), 1);
    assert.deepEqual(toStrings(await c.callRaw("BZPOPMIN", "zk", "0")), ["zk", "m", "1"]);
    assert.equal(await c.call("EXISTS", "zk"), 0);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("zsets: blocking pops block again after an EXEC", async () => {
  const node = await startNode();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(node.port);
  try {
    assert.equal(await a.call("MULTI"), "OK");
    assert.equal(await a.call("BZPOPMIN", "nothing", "0"), "QUEUED");
    assert.deepEqual(await a.call("EXEC"), [null]);
    // Outside EXEC again: the same command waits until a ZADD serves it.
    const pending = a.callRaw("BZPOPMIN", "later", "0");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(node.server.db.blockedWaiters.size, 1);
    assert.equal(await b.call("ZADD", "later", "2", "x"), 1);
    assert.deepEqual(toStrings(await pending), ["later", "x", "2"]);
  } finally {
    a.close();
    b.close();
    await node.stop();
  }
});

Deno.test("zsets: ZRANGESTORE's destination starts as a listpack for score and lex ranges too (redis-server)", async () => {
  const big = Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat();
  await compareWithRedis([
    ["ZADD", "z3", "2", "a", "+inf", "i", "3", "b", "1", "c"],
    ["ZADD", "zl", "0", "a", "0", "b", "0", "c"],
    ["ZADD", "zbig", ...big],
    ["ZADD", "zlong", "1", "x".repeat(70), "2", "y"],
    ["ZRANGESTORE", "d1", "z3", "(1", "+inf", "BYSCORE"],
    ["OBJECT", "ENCODING", "d1"],
    ["ZRANGESTORE", "d2", "zl", "[a", "[z", "BYLEX"],
    ["OBJECT", "ENCODING", "d2"],
    ["ZRANGESTORE", "d3", "z3", "+inf", "0", "BYSCORE", "REV", "LIMIT", "0", "2"],
    ["OBJECT", "ENCODING", "d3"],
    ["ZRANGESTORE", "d4", "zbig", "0", "10", "BYSCORE"],
    ["OBJECT", "ENCODING", "d4"],
    // Converted while filled: past zset-max-listpack-entries, or a member past -value.
    ["ZRANGESTORE", "d5", "zbig", "0", "+inf", "BYSCORE"],
    ["OBJECT", "ENCODING", "d5"],
    ["ZRANGESTORE", "d6", "zlong", "0", "+inf", "BYSCORE"],
    ["OBJECT", "ENCODING", "d6"],
    ["ZRANGESTORE", "d7", "zbig", "0", "-1"],
    ["OBJECT", "ENCODING", "d7"],
  ]);
});
