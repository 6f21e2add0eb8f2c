/**
 * DEBUG and the protected actions against a real redis-server 7.0.15: enable-debug-command and
 * enable-protected-configs (no / yes / local, the error texts, MULTI), DEBUG subcommands' replies
 * byte for byte in RESP2 and RESP3 (PROTOCOL, POPULATE then DIGEST, OBJECT with the clock fields
 * masked, LISTPACK, QUICKLIST, ERROR, the argument errors), HELP a subsequence of Redis's, and
 * SLEEP freezing the whole process, inside MULTI too.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis, words } from "./compare.ts";

/** The exact bytes of one reply (read up to a PING marker's reply). */
async function rawReply(c: RespClient, cmd: Cmd): Promise<string> {
  const marker = "$10\r\n--marker--\r\n";
  await c.writeRaw(encodeCommand(cmd));
  await c.writeRaw(encodeCommand(["PING", "--marker--"]));
  let text = "";
  for (let i = 0; !text.endsWith(marker); i++) {
    if (i > 500) throw new Error(`no reply to ${cmdText(cmd)}: ${JSON.stringify(text)}`);
    text += await c.readRawText(20);
  }
  return text.slice(0, -marker.length);
}

async function sameRaw(a: RespClient, b: RespClient, cmd: Cmd, mask?: (s: string) => string) {
  let [x, y] = [await rawReply(a, cmd), await rawReply(b, cmd)];
  if (mask) [x, y] = [mask(x), mask(y)];
  assert.equal(x, y, `reply to ${cmdText(cmd)}`);
}

const NOT_ALLOWED =
  `ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can ` +
  `run it from a local connection, otherwise you need to set this option in the configuration ` +
  `file, and then restart the server.`;

Deno.test("enable-debug-command / enable-protected-configs: no (the default), as Redis", async () => {
  if (!haveRedisServer()) return;
  const node = await startNode({ "enable-debug-command": "no" });
  const redis = await spawnRedis();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    const script: Cmd[] = [
      words("DEBUG DIGEST"),
      words("DEBUG"),
      words("DEBUG HELP"),
      words("DEBUG SLEEP 0"),
      ["CONFIG", "SET", "dir", node.dir],
      words("CONFIG SET dbfilename x.rdb"),
      words("CONFIG SET maxmemory 0 dbfilename x.rdb"),
      words("CONFIG SET enable-debug-command yes"),
      words("CONFIG SET enable-protected-configs yes"),
      words("CONFIG SET enable-module-command yes"),
    ];
    for (const c of script) await sameRaw(a, b, c);
    // Refused inside MULTI: the transaction is flagged (EXECABORT).
    for (const c of [words("MULTI"), words("DEBUG DIGEST"), words("EXEC")]) {
      assert.equal(show(await a.callRaw(...c)), show(await b.callRaw(...c)), cmdText(c));
    }
    const v = await a.callRaw("DEBUG", "DIGEST");
    assert.equal(show(v), `-${NOT_ALLOWED}`);
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("enable-*: local allows a loopback client only", async () => {
  if (!haveRedisServer()) return;
  const local = {
    "enable-debug-command": "local",
    "enable-protected-configs": "local",
    "protected-mode": "no",
  };
  const node = await startNode({ ...local, bind: "0.0.0.0" });
  const redis = await spawnRedis({ ...local, bind: "0.0.0.0" });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    for (const c of [words("DEBUG SET-ACTIVE-EXPIRE 1"), words("CONFIG SET dbfilename y.rdb")]) {
      await sameRaw(a, b, c);
    }
    assert.equal(await a.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
    // A client from another address of this machine is not local.
    const other = Deno.networkInterfaces().find((i) => i.family === "IPv4" && i.name !== "lo");
    if (other !== undefined) {
      const a2 = await RespClient.connect(node.port, other.address);
      const b2 = await RespClient.connect(redis.port, other.address);
      try {
        await sameRaw(a2, b2, words("DEBUG SET-ACTIVE-EXPIRE 1"));
        await sameRaw(a2, b2, words("CONFIG SET dbfilename z.rdb"));
        assert.equal(show(await a2.callRaw("DEBUG", "SET-ACTIVE-EXPIRE", "1")), `-${NOT_ALLOWED}`);
      } finally {
        a2.close();
        b2.close();
      }
    }
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
});

const PROTOCOL_TYPES = [
  "string",
  "integer",
  "double",
  "bignum",
  "null",
  "array",
  "set",
  "map",
  "attrib",
  "push",
  "verbatim",
  "true",
  "false",
  "nope",
];

/** DEBUG OBJECT's address and clock fields differ run to run. */
const maskObject = (s: string) =>
  s.replace(/at:0x[0-9a-f]+/, "at:X").replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:N");

Deno.test("DEBUG subcommands: replies byte for byte in RESP2 and RESP3", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await sameRaw(a, b, ["HELLO", proto], (s) => s.replace(/id\r\n:\d+/, "id"));
      for (const t of PROTOCOL_TYPES) await sameRaw(a, b, ["DEBUG", "PROTOCOL", t]);
    }
    await sameRaw(a, b, ["HELLO", "2"], (s) => s.replace(/id\r\n:\d+/, "id"));
    const script: Cmd[] = [
      words("DEBUG POPULATE 3"),
      words("DEBUG POPULATE 2 pfx 10"),
      words("DEBUG POPULATE 2 pfx 3"),
      words("DEBUG POPULATE 4 pfx"),
      words("DEBUG POPULATE 2 big 60"),
      ["DEBUG", "POPULATE", "2", "x".repeat(200)],
      words("DEBUG POPULATE -1"),
      words("DEBUG POPULATE abc"),
      words("DEBUG POPULATE 2 pfx -3"),
      words("DEBUG POPULATE 2 pfx 0"),
      words("DEBUG POPULATE 1 pfx 10 extra"),
      words("DEBUG DIGEST"),
      words("DBSIZE"),
      words("GET pfx:0"),
      words("GET pfx:3"),
      words("GET big:1"),
      words("OBJECT ENCODING big:1"),
      words("DEBUG DIGEST-VALUE pfx:0 key:2 nokey"),
      words("DEBUG DIGEST-VALUE"),
      words("SET s hello"),
      words("SET n 12345"),
      words("SET small 7"),
      ["SET", "long", "y".repeat(100)],
      words("RPUSH l a b c 1 2 3"),
      words("HSET h f v"),
      words("SADD si 1 2 3"),
      words("SADD ss a b"),
      words("ZADD z 1 a 2 b"),
      words("XADD st 1-1 a 1"),
      words("DEBUG OBJECT s"),
      words("DEBUG OBJECT n"),
      words("DEBUG OBJECT long"),
      words("DEBUG OBJECT l"),
      words("DEBUG OBJECT h"),
      words("DEBUG OBJECT si"),
      words("DEBUG OBJECT ss"),
      words("DEBUG OBJECT z"),
      words("DEBUG OBJECT st"),
      words("DEBUG OBJECT nokey"),
      words("DEBUG OBJECT"),
      words("DEBUG LISTPACK h"),
      words("DEBUG LISTPACK z"),
      words("DEBUG LISTPACK l"),
      words("DEBUG LISTPACK nokey"),
      words("DEBUG QUICKLIST l"),
      words("DEBUG QUICKLIST l 1"),
      words("DEBUG QUICKLIST h"),
      words("DEBUG QUICKLIST l 1 2"),
      words("DEBUG SET-ACTIVE-EXPIRE 0"),
      words("DEBUG SET-ACTIVE-EXPIRE x"),
      words("DEBUG SET-ACTIVE-EXPIRE 1"),
      words("DEBUG SET-ACTIVE-EXPIRE"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD 100"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD 4g"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD 4294967296"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD -1"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD abc"),
      words("DEBUG QUICKLIST-PACKED-THRESHOLD 0"),
      words("DEBUG SET-SKIP-CHECKSUM-VALIDATION 1"),
      words("DEBUG SET-SKIP-CHECKSUM-VALIDATION 0"),
      words("DEBUG PAUSE-CRON 0"),
      words("DEBUG PAUSE-CRON"),
      words("DEBUG CHANGE-REPL-ID"),
      words("DEBUG CHANGE-REPL-ID x"),
      words("DEBUG DROP-CLUSTER-PACKET-FILTER x"),
      words("DEBUG DROP-CLUSTER-PACKET-FILTER -1"),
      ["DEBUG", "ERROR", "my err"],
      ["DEBUG", "ERROR", ""],
      ["DEBUG", "ERROR", "-FOO bar\r\nbaz"],
      words("DEBUG ERROR"),
      ["DEBUG", "LOG", "hello there"],
      words("DEBUG LEAK abc"),
      words("DEBUG SLEEP 0"),
      words("DEBUG SLEEP abc"),
      words("DEBUG SLEEP"),
      words("DEBUG RELOAD BAD"),
      words("DEBUG RELOAD"),
      words("DEBUG DIGEST"),
      words("DEBUG RELOAD NOSAVE NOFLUSH MERGE"),
      words("DEBUG DIGEST"),
      words("DEBUG STRINGMATCH-LEN"),
      words("DEBUG CONFIG-REWRITE-FORCE-ALL"), // no config file: "Bad address"
      words("DEBUG config-rewrite-force-all x"),
      words("DEBUG NOSUCH"),
      words("DEBUG HELP EXTRA"),
      words("INFO errorstats"),
    ];
    for (const c of script) await sameRaw(a, b, c, maskObject);
    // DEBUG HELP: what we list is Redis's text with the subcommands we lack left out.
    const ours = (await a.call("DEBUG", "HELP")) as string[];
    const theirs = (await b.call("DEBUG", "HELP")) as string[];
    let j = 0;
    for (const line of ours) {
      while (j < theirs.length && theirs[j] !== line) j++;
      assert.ok(j < theirs.length, `DEBUG HELP line not in Redis's (in order): ${line}`);
    }
    assert.equal(
      await a.call("DEBUG", "STRINGMATCH-TEST"),
      "Apparently Redis did not crash: test passed",
    );
    // CHANGE-REPL-ID changes master_replid.
    const replid = async () => /master_replid:(\w+)/.exec(String(await a.call("INFO")))![1];
    const before = await replid();
    await a.call("DEBUG", "CHANGE-REPL-ID");
    assert.notEqual(await replid(), before);
  });
});

/** The longest stall of this process's event loop while `fn` runs. */
async function longestStallMs(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return Math.max(worst, performance.now() - last);
}

Deno.test("DEBUG SLEEP freezes the whole node (its event loop), inside MULTI too", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    // In-process node: while it sleeps, nothing in this process runs (clients, bus, timers).
    assert.ok(await longestStallMs(() => c.call("DEBUG", "SLEEP", "0.3")) >= 290);
    assert.equal(await c.call("MULTI"), "OK");
    assert.equal(await c.call("DEBUG", "SLEEP", "0.3"), "QUEUED");
    assert.ok(await longestStallMs(() => c.call("EXEC")) >= 290);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("DEBUG PAUSE-CRON stops active expiry until resumed", async () => {
  const node = await startNode({ hz: "100" });
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("DEBUG", "PAUSE-CRON", "1"), "OK");
    await c.call("SET", "k", "v", "PX", "1");
    // Twenty cron ticks' worth of turns: the key stays (DBSIZE counts it until it is reclaimed).
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await c.call("DBSIZE"), 1);
    assert.equal(await c.call("DEBUG", "PAUSE-CRON", "0"), "OK");
    for (let i = 0; i < 400 && await c.call("DBSIZE") !== 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await c.call("DBSIZE"), 0);
  } finally {
    c.close();
    await node.stop();
  }
});

Deno.test("DEBUG CLUSTERLINK KILL: its errors and replies as redis-server, byte for byte", async () => {
  if (!haveRedisServer()) return;
  const node = await startNode({ "cluster-enabled": "yes" });
  const redis = await spawnRedis({ "cluster-enabled": "yes", "enable-debug-command": "yes" });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    const ids = [String(await a.call("CLUSTER", "MYID")), String(await b.call("CLUSTER", "MYID"))];
    const script = (id: string): Cmd[] => [
      words("DEBUG CLUSTERLINK KILL to abc"),
      words(`DEBUG CLUSTERLINK KILL to ${"f".repeat(40)}`),
      // (to/from/all with the node's own id: Redis 7.0.15 dies in freeClusterLink(NULL); ours
      // has no link to free and answers OK, below.)
      // An unknown direction: the error, then OK (two replies), as 7.0.15 answers.
      ["DEBUG", "CLUSTERLINK", "KILL", "sideways", id],
      words("DEBUG CLUSTERLINK KILL to"),
      words("DEBUG CLUSTERLINK FOO to x"),
    ];
    const [sa, sb] = [script(ids[0]), script(ids[1])];
    for (let i = 0; i < sa.length; i++) {
      assert.equal(await rawReply(a, sa[i]), await rawReply(b, sb[i]), cmdText(sa[i]));
    }
    for (const direction of ["to", "from", "ALL"]) {
      assert.equal(await a.call("DEBUG", "CLUSTERLINK", "KILL", direction, ids[0]), "OK");
    }
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
  await withNodeAndRedis(async (a, b) => {
    await sameRaw(a, b, words(`DEBUG CLUSTERLINK KILL all ${"a".repeat(40)}`));
  });
});

Deno.test("DEBUG CLUSTERLINK KILL drops the links with a peer, which come back", async () => {
  const x = await startNode({ "cluster-enabled": "yes", "cluster-node-timeout": "5000" });
  const y = await startNode({ "cluster-enabled": "yes", "cluster-node-timeout": "5000" });
  const a = await RespClient.connect(x.port);
  try {
    const yId = String(
      await RespClient.connect(y.port).then(async (c) => {
        try {
          return await c.call("CLUSTER", "MYID");
        } finally {
          c.close();
        }
      }),
    );
    assert.equal(await a.call("CLUSTER", "MEET", "127.0.0.1", String(y.port)), "OK");
    // CLUSTER LINKS rows of x with y: direction -> create-time.
    const links = async () => {
      const rows = await a.call("CLUSTER", "LINKS") as unknown[][];
      const out = new Map<string, number>();
      for (const r of rows) if (r[3] === yId) out.set(String(r[1]), Number(r[5]));
      return out;
    };
    await waitFor("links to and from y", async () => (await links()).size === 2);
    for (const direction of ["to", "from"]) {
      const before = (await links()).get(direction)!;
      assert.equal(await a.call("DEBUG", "CLUSTERLINK", "KILL", direction, yId), "OK");
      // The killed link is gone at once; the cron (to) or the peer (from) connects again.
      assert.notEqual((await links()).get(direction), before, `${direction} link killed`);
      await waitFor(`a new ${direction} link`, async () => {
        const t = (await links()).get(direction);
        return t !== undefined && t !== before;
      });
    }
  } finally {
    a.close();
    await x.stop();
    await y.stop();
  }
});

Deno.test("DEBUG LOADAOF reloads the dataset from the AOF, propagating nothing, as redis-server", async () => {
  if (!haveRedisServer()) return;
  const node = await startNode({ appendonly: "yes" });
  const redis = await spawnRedis({ appendonly: "yes", "enable-debug-command": "yes" });
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    const script: Cmd[] = [
      words("SET a 1"),
      words("RPUSH l x y z"),
      words("SELECT 1"),
      words("SET c 3"),
      words("DEBUG LOADAOF"),
      words("DBSIZE"),
      words("SELECT 0"),
      words("DBSIZE"),
      words("INCR a"),
      words("DEBUG LOADAOF"),
      // Loaded twice: had the first load written its commands to the AOF again, INCR would
      // count twice now.
      words("DEBUG LOADAOF"),
      words("GET a"),
      words("LRANGE l 0 -1"),
      words("DEBUG DIGEST"),
      words("DEBUG LOADAOF x"),
    ];
    for (const c of script) await sameRaw(a, b, c);
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
});

Deno.test("DEBUG LOADAOF with appendonly no: an error and the dataset kept (Redis 7.0.15 dies)", async () => {
  const node = await startNode({});
  const a = await RespClient.connect(node.port);
  try {
    assert.equal(await a.call("SET", "k", "v"), "OK");
    const r = await a.call("DEBUG", "LOADAOF");
    assert.ok(r instanceof Error, String(r));
    assert.equal(r.message, "ERR Error trying to load the AOF files, check server logs.");
    assert.equal(await a.call("GET", "k"), "v");
  } finally {
    a.close();
    await node.stop();
  }
});

Deno.test("DEBUG REPLICATE: the command reaches the replica only, as with redis-server", async () => {
  if (!haveRedisServer()) return;
  // The same steps on a pair of ours and a pair of redis-servers; the replica's view compared.
  const run = async (master: RespClient, masterPort: number, replica: RespClient) => {
    assert.equal(await replica.call("REPLICAOF", "127.0.0.1", String(masterPort)), "OK");
    await waitFor(
      "link up",
      async () =>
        String(await replica.call("INFO", "replication")).includes("master_link_status:up"),
    );
    assert.equal(await master.call("SET", "k", "master"), "OK");
    const replies = [
      show(await master.callRaw("DEBUG", "REPLICATE", "SET", "k", "replica")),
      show(await master.callRaw("DEBUG", "REPLICATE", "SET", "other", "1")),
    ];
    // A marker written after: once the replica has it, it has what came before.
    assert.equal(await master.call("SET", "marker", "1"), "OK");
    await waitFor("marker replicated", async () => (await replica.call("GET", "marker")) === "1");
    return [
      ...replies,
      show(await master.callRaw("GET", "k")),
      show(await replica.callRaw("GET", "k")),
      show(await replica.callRaw("GET", "other")),
      show(await master.callRaw("EXISTS", "other")),
      // On a replica, nothing is fed anywhere: OK.
      show(await replica.callRaw("DEBUG", "REPLICATE", "SET", "x", "1")),
    ];
  };
  const ours = [await startNode(), await startNode()];
  const theirs = [
    await spawnRedis({ "enable-debug-command": "yes" }),
    await spawnRedis({ "enable-debug-command": "yes" }),
  ];
  const clients = await Promise.all(
    [...ours, ...theirs].map((n) => RespClient.connect(n.port)),
  );
  try {
    const a = await run(clients[0], ours[0].port, clients[1]);
    const b = await run(clients[2], theirs[0].port, clients[3]);
    assert.deepEqual(a, b);
    // The data diverged: the master kept its value, the replica took the replicated one.
    assert.notEqual(a[2], a[3]);
    assert.match(a[3], /replica/);
  } finally {
    for (const c of clients) c.close();
    for (const n of ours) await n.stop();
    for (const n of theirs) await n.stop();
  }
});
