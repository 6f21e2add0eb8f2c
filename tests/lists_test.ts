import assert from "node:assert/strict";
import { RespClient, sleep, startNode } from "./harness.ts";
import { type Cmd, compareBoth, errText, w, withNode, WRONGTYPE } from "./collections_compare.ts";
import { show } from "./compare.ts";

Deno.test("lists: push, pop, range, index basics (exact replies)", async () => {
  await withNode(async (c) => {
    assert.equal(await c.call("RPUSH", "l", "a", "b", "c"), 3);
    assert.equal(await c.call("LPUSH", "l", "x", "y"), 5);
    assert.deepEqual(await c.call("LRANGE", "l", "0", "-1"), ["y", "x", "a", "b", "c"]);
    assert.equal(await c.call("LLEN", "l"), 5);
    assert.equal(await c.call("LINDEX", "l", "-1"), "c");
    assert.equal(await c.call("LINDEX", "l", "5"), null);
    assert.equal(await c.call("LPOP", "l"), "y");
    assert.deepEqual(await c.call("RPOP", "l", "2"), ["c", "b"]);
    assert.deepEqual(await c.call("LPOP", "l", "10"), ["x", "a"]);
    assert.equal(await c.call("EXISTS", "l"), 0, "emptied list is deleted");
    assert.equal(await c.call("LPUSHX", "l", "a"), 0);
    assert.equal(await c.call("EXISTS", "l"), 0);
    // nil vs empty array
    assert.equal(show(await c.callRaw("LPOP", "nokey")), "nil");
    assert.equal((await c.callRaw("LPOP", "nokey", "1")).type, "null");
    await c.call("RPUSH", "l", "a");
    assert.deepEqual(await c.call("LPOP", "l", "0"), []);
    assert.equal(
      errText(await c.call("LPOP", "l", "-1")),
      "ERR value is out of range, must be positive",
    );
    assert.equal(
      errText(await c.call("LPOP", "l", "1", "2")),
      "ERR wrong number of arguments for 'lpop' command",
    );
    await c.call("SET", "s", "v");
    assert.equal(errText(await c.call("LPUSH", "s", "a")), WRONGTYPE);
    assert.equal(errText(await c.call("LRANGE", "s", "0", "1")), WRONGTYPE);
    assert.equal(errText(await c.call("LSET", "nokey", "0", "x")), "ERR no such key");
    assert.equal(errText(await c.call("LSET", "l", "5", "x")), "ERR index out of range");
  });
});

Deno.test("lists: LREM, LINSERT, LTRIM, LSET delete empty keys", async () => {
  await withNode(async (c) => {
    await c.call("RPUSH", "l", "a", "b", "a", "c", "a");
    assert.equal(await c.call("LREM", "l", "-2", "a"), 2);
    assert.deepEqual(await c.call("LRANGE", "l", "0", "-1"), ["a", "b", "c"]);
    assert.equal(await c.call("LINSERT", "l", "BEFORE", "c", "z"), 4);
    assert.equal(await c.call("LINSERT", "l", "after", "nope", "z"), -1);
    assert.equal(await c.call("LSET", "l", "-1", "C"), "OK");
    assert.deepEqual(await c.call("LRANGE", "l", "0", "-1"), ["a", "b", "z", "C"]);
    assert.equal(await c.call("LTRIM", "l", "1", "2"), "OK");
    assert.deepEqual(await c.call("LRANGE", "l", "0", "-1"), ["b", "z"]);
    assert.equal(await c.call("LTRIM", "l", "5", "1"), "OK");
    assert.equal(await c.call("EXISTS", "l"), 0);
    await c.call("RPUSH", "l", "a", "a");
    assert.equal(await c.call("LREM", "l", "0", "a"), 2);
    assert.equal(await c.call("EXISTS", "l"), 0);
  });
});

Deno.test("lists: binary-safe elements and keys", async () => {
  await withNode(async (c) => {
    const bin = new Uint8Array([0, 0x80, 0xff, 13, 10]);
    const key = new Uint8Array([0x9f, 0x00, 0x41]);
    await c.call("RPUSH", key, bin);
    const r = await c.callRaw("LRANGE", key, "0", "-1");
    assert.equal(r.type, "array");
    if (r.type === "array" && r.value[0].type === "bulk") {
      assert.deepEqual([...r.value[0].value], [...bin]);
    }
    const p = await c.callRaw("BLPOP", key, "0");
    assert.equal(p.type, "array");
    if (p.type === "array" && p.value[0].type === "bulk") {
      assert.deepEqual([...p.value[0].value], [...key]);
    }
  });
});

Deno.test("lists: same replies as redis-server (RESP2 and RESP3)", async () => {
  await compareBoth([
    w("SET s str"),
    w("RPUSH l a b c a d a"),
    w("LPUSH l2 x"),
    w("RPUSHX nokey a"),
    w("LPUSHX l2 y z"),
    w("LRANGE l2 0 -1"),
    w("LRANGE l 0 -1"),
    w("LRANGE l -100 100"),
    w("LRANGE l 3 1"),
    w("LRANGE l 10 20"),
    w("LRANGE l -2 -1"),
    w("LRANGE l a 1"),
    w("LRANGE nokey 0 1"),
    w("LRANGE s 0 1"),
    w("LINDEX l 0"),
    w("LINDEX l -1"),
    w("LINDEX l 100"),
    w("LINDEX l abc"),
    w("LINDEX nokey abc"),
    w("LINDEX s abc"),
    w("LLEN l"),
    w("LLEN nokey"),
    w("LLEN s"),
    w("LPOS l a"),
    w("LPOS l a RANK 2"),
    w("LPOS l a RANK -1"),
    w("LPOS l a RANK -2 COUNT 0"),
    w("LPOS l a COUNT 0"),
    w("LPOS l a COUNT 2"),
    w("LPOS l a COUNT 0 MAXLEN 3"),
    w("LPOS l a RANK 3 COUNT 0"),
    w("LPOS l a RANK 4"),
    w("LPOS l a RANK 0"),
    w("LPOS l a RANK x"),
    w("LPOS l a RANK -9223372036854775808"),
    w("LPOS l a RANK -9223372036854775808 COUNT 2"),
    w("LPOS l a COUNT -1"),
    w("LPOS l a COUNT x"),
    w("LPOS l a MAXLEN -1"),
    w("LPOS l a MAXLEN 1"),
    w("LPOS l z"),
    w("LPOS l z COUNT 1"),
    w("LPOS l a foo"),
    w("LPOS l a COUNT"),
    w("LPOS nokey a"),
    w("LPOS nokey a COUNT 1"),
    w("LPOS s a"),
    w("LSET l 1 B"),
    w("LSET l -1 D"),
    w("LSET l 100 x"),
    w("LSET l x x"),
    w("LSET nokey 0 x"),
    w("LSET s 0 x"),
    w("LRANGE l 0 -1"),
    w("LREM l 1 a"),
    w("LREM l -1 a"),
    w("LREM l 0 zz"),
    w("LREM l x a"),
    w("LREM nokey 1 a"),
    w("LREM s 1 a"),
    w("LRANGE l 0 -1"),
    w("LINSERT l BEFORE B b0"),
    w("LINSERT l AFTER D d1"),
    w("LINSERT l after nope x"),
    w("LINSERT l middle B x"),
    w("LINSERT nokey before a b"),
    w("LINSERT s before a b"),
    w("LRANGE l 0 -1"),
    w("LTRIM l 1 -2"),
    w("LRANGE l 0 -1"),
    w("LTRIM l x 1"),
    w("LTRIM nokey 0 1"),
    w("LTRIM s 0 1"),
    w("LTRIM l -1 -100"),
    w("EXISTS l"),
    w("RPUSH l a b c d e"),
    w("LPOP l"),
    w("RPOP l"),
    w("LPOP l 0"),
    w("LPOP l 2"),
    w("RPOP l 5"),
    w("EXISTS l"),
    w("LPOP nokey"),
    w("LPOP nokey 0"),
    w("LPOP nokey 3"),
    w("LPOP s"),
    w("LPOP s 0"),
    w("LPOP s x"),
    w("LPOP nokey -1"),
    w("RPOP l 1 2"),
    w("RPUSH src a b c"),
    w("RPOPLPUSH src dst"),
    w("LMOVE src dst LEFT RIGHT"),
    w("LMOVE src dst left left"),
    w("LMOVE src dst up left"),
    w("LRANGE dst 0 -1"),
    w("EXISTS src"),
    w("RPOPLPUSH nokey dst"),
    w("RPOPLPUSH dst s"),
    w("RPOPLPUSH s dst"),
    w("RPUSH one x"),
    w("RPOPLPUSH one one"),
    w("LRANGE one 0 -1"),
    w("LMOVE one one LEFT RIGHT"),
    w("LMPOP 1 nokey LEFT"),
    w("LMPOP 2 nokey dst RIGHT COUNT 2"),
    w("LMPOP 1 dst LEFT COUNT 10"),
    w("LMPOP 0 dst LEFT"),
    w("LMPOP -1 dst LEFT"),
    w("LMPOP x dst LEFT"),
    w("LMPOP 1 dst MIDDLE"),
    w("LMPOP 3 dst LEFT"),
    w("LMPOP 1 dst LEFT COUNT 0"),
    w("LMPOP 1 dst LEFT COUNT 1 COUNT 1"),
    w("LMPOP 1 dst LEFT FOO"),
    w("LMPOP 1 s LEFT"),
    w("LMPOP 2 nokey s LEFT"),
    w("LMPOP 2 one s LEFT"),
    w("BLPOP nokey x"),
    w("BLPOP nokey -1"),
    w("BLPOP nokey inf"),
    w("BLPOP nokey 1e18"),
    w("BLPOP s 0"),
    w("RPUSH bl a b"),
    w("BLPOP nokey bl 0"),
    w("BRPOP nokey bl 0"),
    w("EXISTS bl"),
    w("BLPOP nokey 0.01"),
    w("BRPOPLPUSH nokey d 0.01"),
    w("BLMOVE nokey d LEFT LEFT 0.01"),
    w("BLMPOP 0.01 1 nokey LEFT"),
    w("BLMOVE nokey d LEFT FOO 0.01"),
    w("BLMPOP 0.01 0 nokey LEFT"),
    w("BLMPOP x 1 nokey LEFT"),
    w("BLMPOP -1 1 nokey LEFT"),
    w("RPUSH bl a b c"),
    w("BLMPOP 0 2 nokey bl RIGHT COUNT 2"),
    w("BRPOPLPUSH bl d 0"),
    w("BLMOVE d bl RIGHT LEFT 0"),
    w("RPUSH d2 x"),
    w("BRPOPLPUSH d2 s 0"),
    w("LLEN d2"),
    w("MULTI"),
    w("BLPOP nokey 0"),
    w("BRPOPLPUSH nokey d 0"),
    w("BLMOVE nokey d LEFT LEFT 0"),
    w("BLMPOP 0 1 nokey LEFT"),
    w("EXEC"),
  ]);
});

Deno.test("lists: blocking pop is woken by a push from another client", async () => {
  await withNode(async (c, port) => {
    const c2 = await RespClient.connect(port);
    try {
      const pending = c.callRaw("BLPOP", "q1", "q2", "0");
      await sleep(50);
      assert.equal(await c2.call("RPUSH", "q2", "x", "y"), 2);
      const r = await pending;
      assert.equal(show(r), `[$"q2",$"x"]`);
      assert.deepEqual(await c2.call("LRANGE", "q2", "0", "-1"), ["y"]);
      // BRPOPLPUSH served by LPUSH creates the destination.
      const p2 = c.callRaw("BRPOPLPUSH", "src", "dst", "5");
      await sleep(50);
      assert.equal(
        await c2.call("LPUSH", "src", "v"),
        1,
        "the pusher sees the length before serving",
      );
      assert.equal(show(await p2), `$"v"`);
      assert.equal(await c2.call("EXISTS", "src"), 0);
      assert.deepEqual(await c2.call("LRANGE", "dst", "0", "-1"), ["v"]);
      // BLMPOP with COUNT.
      const p3 = c.callRaw("BLMPOP", "0", "1", "m", "RIGHT", "COUNT", "2");
      await sleep(50);
      await c2.call("RPUSH", "m", "1", "2", "3");
      assert.equal(show(await p3), `[$"m",[$"3",$"2"]]`);
      // A blocked client keeps later pipelined commands waiting; replies stay in order.
      const p4 = c.callRaw("BLPOP", "k", "0");
      await sleep(50);
      await c2.call("RPUSH", "k", "z");
      assert.equal(show(await p4), `[$"k",$"z"]`);
      assert.equal(await c.call("PING"), "PONG");
    } finally {
      c2.close();
    }
  });
});

Deno.test("lists: blocked clients are served first-come first-served; BLMOVE chains", async () => {
  await withNode(async (c, port) => {
    const b1 = await RespClient.connect(port);
    const b2 = await RespClient.connect(port);
    const b3 = await RespClient.connect(port);
    try {
      const p1 = b1.callRaw("BLPOP", "k", "0");
      await sleep(30);
      const p2 = b2.callRaw("BLPOP", "k", "0");
      await sleep(30);
      // b3 moves from "chain" into "k": its push must serve b1 too.
      const p3 = b3.callRaw("BLMOVE", "chain", "k", "LEFT", "RIGHT", "0");
      await sleep(30);
      assert.equal(await c.call("RPUSH", "chain", "c1"), 1);
      assert.equal(show(await p3), `$"c1"`);
      assert.equal(show(await p1), `[$"k",$"c1"]`);
      assert.equal(await c.call("RPUSH", "k", "a", "b"), 2);
      assert.equal(show(await p2), `[$"k",$"a"]`);
      assert.deepEqual(await c.call("LRANGE", "k", "0", "-1"), ["b"]);
      // A push inside MULTI serves blocked clients after EXEC, with the final state.
      const p5 = b1.callRaw("BRPOP", "t", "0");
      await sleep(30);
      await c.call("MULTI");
      await c.call("RPUSH", "t", "1", "2");
      await c.call("RPOP", "t");
      assert.deepEqual(await c.call("EXEC"), [2, "2"]);
      assert.equal(show(await p5), `[$"t",$"1"]`);
      assert.equal(await c.call("EXISTS", "t"), 0);
    } finally {
      b1.close();
      b2.close();
      b3.close();
    }
  });
});

Deno.test("lists: blocking timeouts and WRONGTYPE destination", async () => {
  await withNode(async (c, port) => {
    const t0 = Date.now();
    assert.equal((await c.callRaw("BLPOP", "none", "0.2")).type, "null");
    const el = Date.now() - t0;
    // Not before its 200 ms; and it does end (a lost timeout would wait forever): 10 s leaves room
    // for ten times the load.
    assert.ok(el >= 180 && el < 10_000, `timed out after ${el} ms`);
    const raw = await RespClient.connect(port);
    try {
      await raw.writeRaw("*3\r\n$5\r\nBRPOP\r\n$4\r\nnone\r\n$3\r\n0.1\r\n");
      assert.equal(await raw.readRawText(400), "*-1\r\n");
    } finally {
      raw.close();
    }
    // BLMOVE woken while its destination is not a list: WRONGTYPE, the source keeps its data.
    const c2 = await RespClient.connect(port);
    try {
      await c2.call("SET", "dst", "str");
      const p = c.callRaw("BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
      await sleep(50);
      await c2.call("RPUSH", "src", "v");
      assert.equal(show(await p), `-${WRONGTYPE}`);
      assert.deepEqual(await c2.call("LRANGE", "src", "0", "-1"), ["v"]);
    } finally {
      c2.close();
    }
  });
});

Deno.test("lists: a client killed while blocked does not swallow data", async () => {
  await withNode(async (c, port) => {
    const b = await RespClient.connect(port);
    const idRes = await b.call("CLIENT", "ID");
    const p = b.callRaw("BLPOP", "kk", "0").catch(() => null);
    await sleep(50);
    assert.equal(await c.call("CLIENT", "KILL", "ID", String(idRes)), 1);
    await sleep(50);
    assert.equal(await c.call("RPUSH", "kk", "v"), 1);
    assert.deepEqual(await c.call("LRANGE", "kk", "0", "-1"), ["v"]);
    await p;
    b.close();
  });
});

Deno.test("lists: LRANGE on a big list and deque growth at both ends", async () => {
  await withNode(async (c) => {
    const n = 1000;
    for (let i = 0; i < n; i += 100) {
      const args = [];
      for (let j = i; j < i + 100; j++) args.push(String(j));
      await c.call("RPUSH", "big", ...args);
      await c.call("LPUSH", "big", ...args.map((x) => "-" + x));
    }
    assert.equal(await c.call("LLEN", "big"), 2 * n);
    const all = await c.call("LRANGE", "big", "0", "-1") as string[];
    assert.equal(all[0], "-999");
    assert.equal(all[n - 1], "-0");
    assert.equal(all[n], "0");
    assert.equal(all[2 * n - 1], "999");
    assert.deepEqual(await c.call("LRANGE", "big", "998", "1001"), ["-1", "-0", "0", "1"]);
  });
});

Deno.test("lists: replies before a blocking command in a pipeline are sent at once", async () => {
  await withNode(async (c, port) => {
    const raw = await RespClient.connect(port);
    try {
      await raw.writeRaw(
        "*3\r\n$5\r\nRPUSH\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$5\r\nBLPOP\r\n$5\r\nempty\r\n$1\r\n0\r\n",
      );
      // Without the early flush this would time out: the BLPOP is still blocked.
      assert.equal(show((await raw.readValue(1000))!), ":1");
      await c.call("RPUSH", "empty", "v");
      assert.equal(show((await raw.readValue(1000))!), `[$"empty",$"v"]`);
    } finally {
      raw.close();
    }
  });
});

Deno.test("lists: a blocked client that disconnects leaves no waiter behind", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    const b = await RespClient.connect(node.port);
    await b.writeRaw("*3\r\n$5\r\nBLPOP\r\n$2\r\ndk\r\n$1\r\n0\r\n");
    await sleep(50);
    assert.equal(node.server.db.blockedWaiters.size, 1);
    b.close();
    await sleep(100);
    assert.equal(node.server.db.blockedWaiters.size, 0);
    assert.equal(await c.call("RPUSH", "dk", "v"), 1);
    assert.deepEqual(await c.call("LRANGE", "dk", "0", "-1"), ["v"]);
    // Commands pipelined behind a blocked command run after it is served.
    const p = c.callRaw("BLPOP", "e2", "0");
    await sleep(30);
    const c2 = await RespClient.connect(node.port);
    await c2.call("RPUSH", "e2", "x");
    c2.close();
    assert.equal(show(await p), `[$"e2",$"x"]`);
    assert.equal(await c.call("PING"), "PONG");
  } finally {
    c.close();
    await node.stop();
  }
});

/**
 * Lists of several blocks (keyspace/deque.ts packs elements in blocks of 8 KiB, as Redis's
 * quicklist): seeded random commands of every kind that reads or edits a list, at both ends and
 * in the middle, with empty, binary, 127/128-byte and larger-than-a-block elements, against a
 * real redis-server (RESP2 and RESP3).
 */
Deno.test("lists: seeded random commands on multi-block lists match redis-server", async () => {
  // FUZZ_SEED: another seed for a campaign (the default is the one CI runs).
  let s = Number(Deno.env.get("FUZZ_SEED") ?? "20261206") >>> 0;
  const rnd = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return Math.floor(s / 4294967296 * n);
  };
  const elem = (): string | Uint8Array => {
    const k = rnd(20);
    if (k < 12) return ["a", "b", "c", String(rnd(50))][rnd(4)];
    if (k === 12) return "";
    if (k === 13) return "x".repeat(127 + rnd(2));
    if (k === 14) return "y".repeat(9000 + rnd(100)); // larger than a block
    const b = new Uint8Array(1 + rnd(300));
    for (let i = 0; i < b.length; i++) b[i] = rnd(256);
    return b;
  };
  const keys = ["l1", "l2", "l3"];
  const key = () => keys[rnd(keys.length)];
  const idx = () => String(rnd(2) === 0 ? rnd(4000) : -1 - rnd(4000));
  const side = () => (rnd(2) === 0 ? "LEFT" : "RIGHT");
  const script: Cmd[] = [];
  // Several blocks per list to start with: 3 x 2,000 pushes at both ends.
  for (const k of keys) {
    for (let i = 0; i < 4; i++) {
      const args: (string | Uint8Array)[] = [];
      for (let j = 0; j < 500; j++) args.push(elem());
      script.push([i % 2 === 0 ? "RPUSH" : "LPUSH", k, ...args]);
    }
  }
  for (let step = 0; step < 400; step++) {
    const k = key();
    const op = rnd(16);
    if (op === 0) script.push(["LPUSH", k, elem(), elem()]);
    else if (op === 1) script.push(["RPUSH", k, elem()]);
    else if (op === 2) {
      script.push([rnd(2) ? "LPOP" : "RPOP", k, ...(rnd(2) ? [String(rnd(20))] : [])]);
    } else if (op === 3) {
      const a = rnd(4000) - 2000;
      script.push(["LRANGE", k, String(a), String(a + rnd(150))]);
    } else if (op === 4) script.push(["LINDEX", k, idx()]);
    else if (op === 5) script.push(["LSET", k, idx(), elem()]);
    else if (op === 6) script.push(["LINSERT", k, rnd(2) ? "BEFORE" : "AFTER", elem(), elem()]);
    else if (op === 7) script.push(["LREM", k, String(rnd(7) - 3), elem()]);
    else if (op === 8 && rnd(4) === 0) {
      script.push(["LTRIM", k, String(rnd(30)), String(-1 - rnd(30))]);
    } else if (op === 9) {
      const opts = rnd(3) === 0
        ? ["COUNT", String(rnd(4))]
        : rnd(2)
        ? ["RANK", String(rnd(5) - 2 || 1)]
        : [];
      script.push([
        "LPOS",
        k,
        elem(),
        ...opts,
        ...(rnd(3) === 0 ? ["MAXLEN", String(rnd(3000))] : []),
      ]);
    } else if (op === 10) script.push(["LMOVE", k, key(), side(), side()]);
    else if (op === 11) script.push(["LMPOP", "2", k, key(), side(), "COUNT", String(1 + rnd(10))]);
    else if (op === 12) script.push(["LLEN", k]);
    else if (op === 13) script.push(["SORT", k, "BY", "nosort", "LIMIT", String(rnd(100)), "5"]);
    else if (op === 14) script.push(["COPY", k, "copy", "REPLACE"], ["LRANGE", "copy", "0", "20"]);
    else script.push(["LRANGE", k, "-40", "-1"]);
  }
  for (const k of [...keys, "copy"]) script.push(["LLEN", k], ["LRANGE", k, "0", "-1"]);
  await compareBoth(script);
});
