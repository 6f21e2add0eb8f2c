/**
 * Streams end to end, against a real redis-server where it can say what is right:
 * - edge cases (IDs at the limits, error texts, wrong types, binary names) replied identically in
 *   RESP2 and RESP3, COMMAND INFO / COMMAND DOCS of every stream command, keyspace events;
 * - blocking XREAD/XREADGROUP: the same scenarios on both servers (wake-ups, `$` and `>`,
 *   several readers, timeouts, MULTI, the key deleted or overwritten, the group destroyed,
 *   FLUSHALL, RESP3) must end the same way; a blocked client of a slot that moves away gets MOVED;
 * - DUMP/RESTORE both ways (a stream with nodes, tombstones, groups, PELs and consumers restores
 *   to the same XINFO STREAM FULL and DUMPs to the same bytes), the 5.x-6.x type 15 encoding;
 * - replication: the propagated stream (XADD's IDs, rewritten trims, XREADGROUP/XCLAIM/XAUTOCLAIM
 *   as XCLAIM/XGROUP commands, a blocked XREADGROUP served later) byte for byte as redis-server's,
 *   a real replica of our master and our replica of a real master converging;
 * - persistence: DEBUG RELOAD, and an AOF rewritten without RDB preamble loaded by redis-server.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import {
  encodeCommand,
  haveRedisServer,
  RespClient,
  spawnRedis,
  startNode,
  waitFor,
} from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import { compareBoth } from "./collections_compare.ts";
import { ByteWriter } from "../protocol/rdb_buffer.ts";
import { writeBinaryString, writeLength, writeString } from "../protocol/rdb_object.ts";
import { finishDumpPayload } from "../protocol/rdb_dump.ts";
import { Stream } from "../keyspace/stream.ts";

const REDIS = !haveRedisServer();
const te = new TextEncoder();

/** Run `fn` with a client on a fresh node of ours and one on a fresh redis-server. */
function withBoth(
  fn: (ours: RespClient, theirs: RespClient, ports: [number, number]) => Promise<void>,
  directives: Record<string, string> = {},
): Promise<void> {
  return withNodeAndRedis((a, b, node, redis) => fn(a, b, [node.port, redis.port]), {
    ours: directives,
    redis: { "enable-debug-command": "yes", ...directives },
  });
}

function bulk(s: string): RespValue {
  return { type: "bulk", value: te.encode(s) };
}

/** Wall-clock values (ints within a day of now) as "now". */
function maskNow(v: RespValue, now = Date.now()): RespValue {
  if (v.type === "int" && Math.abs(Number(v.value) - now) < 86_400_000) {
    return { type: "simple", value: "now" };
  }
  if (v.type === "array") return { ...v, value: v.value.map((x) => maskNow(x, now)) };
  if (v.type === "map") {
    return {
      ...v,
      value: v.value.map(([k, x]): [RespValue, RespValue] => [maskNow(k, now), maskNow(x, now)]),
    };
  }
  return v;
}

// -------------------------------------------------------------------------------- edge cases

const MAX = "18446744073709551615";

Deno.test({
  name: "streams: edge cases and error texts match redis-server (RESP2 and RESP3)",
  ignore: REDIS,
  fn: async () => {
    const big = "z".repeat(100_000);
    const script: Cmd[] = [
      // IDs at the limits.
      ["XADD", "s", "0-0", "f", "v"],
      ["XADD", "s", "0-*", "f", "v"],
      ["XADD", "s", "0-*", "f", "v"],
      ["XADD", "s", `5-${MAX}`, "f", "v"],
      ["XADD", "s", "5-*", "f", "v"],
      ["XADD", "s", "6", "f", "v"],
      ["XADD", "s", `${MAX}-*`, "f", "v"],
      ["XADD", "s", `${MAX}-${MAX}`, "f", "v"],
      ["XADD", "s", "*", "f", "v"],
      ["XADD", "s", `${MAX}-*`, "f", "v"],
      ["XRANGE", "s", `(${MAX}-${MAX}`, "+"],
      ["XRANGE", "s", "-", "(0-0"],
      ["XRANGE", "s", "(0-1", `(${MAX}-${MAX}`],
      ["XREVRANGE", "s", "+", "-", "COUNT", "2"],
      ["XRANGE", "s", " 5", "+5", "COUNT", "9223372036854775807"],
      ["XRANGE", "s", "007", "5-\x00x"],
      ["XINFO", "STREAM", "s"],
      ["XLEN", "s"],
      // Trimming and its options.
      ["XADD", "t", "MAXLEN", "~", "0", "LIMIT", "0", "1", "a", "1"],
      ["XADD", "t", "MINID", "=", "3", "2", "a", "1"],
      ["XADD", "t", "NOMKSTREAM", "MAXLEN", "1", "3", "a", "1"],
      ["XADD", "nokey", "NOMKSTREAM", "*", "a", "1"],
      ["XTRIM", "t", "MAXLEN", "~", "1", "LIMIT", "1"],
      ["XTRIM", "t", "MINID", "~", "100"],
      ["XTRIM", "t", "MAXLEN", "0"],
      ["XTRIM", "t", "MINID", "x"],
      ["XTRIM", "t", "LIMIT", "5", "MAXLEN", "~", "5"],
      ["XINFO", "STREAM", "t", "FULL"],
      // A large entry opens its own node.
      ["XADD", "big", "1-1", "f", big],
      ["XADD", "big", "1-2", "f", "small"],
      ["XINFO", "STREAM", "big"],
      ["XRANGE", "big", "-", "+", "COUNT", "1"],
      // XSETID.
      ["XSETID", "s", "1-1"],
      ["XSETID", "nokey", "1-1"],
      ["XSETID", "t", "5-5", "ENTRIESADDED", "7", "MAXDELETEDID", "5-6"],
      ["XSETID", "t", "5-5", "ENTRIESADDED", "7", "MAXDELETEDID", "5-4"],
      ["XINFO", "STREAM", "t"],
      // Groups: creation, errors, binary names.
      ["XGROUP", "CREATE", "nokey", "g", "$"],
      ["XGROUP", "CREATE", "m", "g", "$", "MKSTREAM", "ENTRIESREAD", "-1"],
      ["XGROUP", "CREATE", "m", "g", "$"],
      ["XGROUP", "create", "m", "g2", "$", "foo"],
      ["XGROUP", "CREATE", "m", "g3", "$", "ENTRIESREAD", "-2"],
      ["XGROUP", "CREATE", "m", "g3", "$", "MKSTREAM", "MKSTREAM", "MKSTREAM", "MKSTREAM"],
      ["XGROUP", "SETID", "m", "nog", "0"],
      ["XGROUP", "SETID", "m", "g", "+", "ENTRIESREAD", "5"],
      ["XGROUP", "SETID", "m", "g", "0", "MKSTREAM"],
      ["XGROUP", "CREATECONSUMER", "m", "g\x00x", "c"],
      ["XGROUP", "CREATECONSUMER", "m", "g\r\nx", "c"],
      ["XGROUP", "CREATECONSUMER", "m", "g", "c"],
      ["XGROUP", "CREATECONSUMER", "m", "g", "c"],
      ["XGROUP", "DELCONSUMER", "m", "g", "c"],
      ["XGROUP", "DESTROY", "m", "nog"],
      ["XGROUP", "HELP"],
      ["XGROUP", "BOGUS"],
      ["XINFO", "HELP"],
      ["XINFO", "STREAM", "m", "FULL", "COUNT", "x"],
      ["XINFO", "STREAM", "m", "FULL", "x"],
      ["XINFO", "CONSUMERS", "m", "nog"],
      ["XINFO", "GROUPS", "nokey"],
      ["XINFO", "GROUPS", "m"],
      // Reads and claims: their errors.
      ["XREAD", "STREAMS", "s"],
      ["XREAD", "COUNT", "1", "STREAMS", "s", "s", "0"],
      ["XREAD", "STREAMS", "s", ">"],
      ["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"],
      ["XREAD", "NOACK", "STREAMS", "s", "0"],
      ["XREAD", "BLOCK", "-1", "STREAMS", "s", "$"],
      ["XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"],
      ["XREADGROUP", "STREAMS", "s", "0", "x", "y"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "m", "$"],
      ["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "m", ">"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey\x00b", ">"],
      ["XCLAIM", "m", "g", "c", "x", "1-1"],
      ["XCLAIM", "m", "g", "c", "0", "1-1", "IDLE", "x"],
      ["XCLAIM", "m", "g", "c", "0", "1-1", "TIME", "x"],
      ["XCLAIM", "m", "g", "c", "0", "1-1", "RETRYCOUNT", "x"],
      ["XCLAIM", "m", "g", "c", "0", "1-1", "bogus\x00x"],
      ["XCLAIM", "m", "g", "c", "0", "1-1", "LASTID", "x"],
      ["XCLAIM", "nokey", "g", "c", "0", "1-1"],
      ["XAUTOCLAIM", "m", "g", "c", "x", "0"],
      ["XAUTOCLAIM", "m", "g", "c", "0", `(${MAX}-${MAX}`],
      ["XAUTOCLAIM", "m", "g", "c", "0", "0", "COUNT", "0"],
      ["XAUTOCLAIM", "m", "g", "c", "0", "0", "COUNT", "1000000"],
      ["XAUTOCLAIM", "m", "g", "c", "0", "0", "COUNT", "576460752303423487"],
      ["XAUTOCLAIM", "m", "g", "c", "0", "0", "COUNT", "576460752303423488"],
      ["XAUTOCLAIM", "nokey", "g", "c", "0", "0", "COUNT", "576460752303423487"],
      ["XAUTOCLAIM", "m", "g", "c", "0", "0", "JUSTID", "bogus"],
      ["XAUTOCLAIM", "nokey", "g", "c", "0", "0"],
      ["XPENDING", "m", "g", "IDLE", "5", "-", "+"],
      ["XPENDING", "m", "g", "-", "+", "x"],
      ["XPENDING", "m", "g", "-", "+", "5", "c", "extra"],
      ["XPENDING", "m", "g", "IDLE", "5", "-", "+", "5", "c", "extra"],
      ["XPENDING", "m", "g", "x"],
      ["XPENDING", "nokey", "g"],
      ["XACK", "nokey", "g", "x"],
      ["XACK", "m", "g", "1-1", "x"],
      ["XDEL", "nokey", "x"],
      ["XDEL", "s", "x"],
      // Wrong types.
      ["SET", "str", "v"],
      ...[
        ["XADD", "str", "*", "a", "b"],
        ["XRANGE", "str", "-", "+"],
        ["XLEN", "str"],
        ["XDEL", "str", "1"],
        ["XTRIM", "str", "MAXLEN", "1"],
        ["XSETID", "str", "1"],
        ["XREAD", "STREAMS", "str", "0"],
        ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"],
        ["XACK", "str", "g", "1"],
        ["XCLAIM", "str", "g", "c", "0", "1"],
        ["XAUTOCLAIM", "str", "g", "c", "0", "0"],
        ["XPENDING", "str", "g"],
        ["XGROUP", "CREATE", "str", "g", "$"],
        ["XINFO", "STREAM", "str"],
        ["XINFO", "GROUPS", "str"],
      ] as Cmd[],
      // The type's names.
      ["TYPE", "s"],
      ["OBJECT", "ENCODING", "s"],
      ["SCAN", "0", "TYPE", "stream", "COUNT", "1000"],
    ];
    await compareBoth(script, ["scan"]);
  },
});

Deno.test({
  name: "streams: COMMAND INFO and COMMAND DOCS match redis-server",
  ignore: REDIS,
  fn: async () => {
    await withBoth(async (a, b) => {
      const names = [
        "xadd",
        "xrange",
        "xrevrange",
        "xlen",
        "xdel",
        "xtrim",
        "xsetid",
        "xread",
        "xreadgroup",
        "xack",
        "xclaim",
        "xautoclaim",
        "xpending",
        "xgroup",
        "xinfo",
        "xgroup|create",
        "xgroup|createconsumer",
        "xgroup|delconsumer",
        "xgroup|destroy",
        "xgroup|setid",
        "xgroup|help",
        "xinfo|stream",
        "xinfo|groups",
        "xinfo|consumers",
        "xinfo|help",
      ];
      // Everything but the tips (index 7) and a container's subcommands (in Redis's dict order;
      // each is compared by itself).
      const info = (v: RespValue, _n: string) => {
        if (v.type !== "array") return show(v);
        const skip = (i: number) => i === 7 || i === 9;
        return show({ ...v, value: v.value.filter((_, i) => !skip(i)) });
      };
      for (const n of names) {
        const [ra, rb] = [
          await a.callRaw("COMMAND", "INFO", n),
          await b.callRaw("COMMAND", "INFO", n),
        ];
        assert.ok(ra.type === "array" && rb.type === "array");
        assert.equal(info(ra.value[0], n), info(rb.value[0], n), n);
        const da = await a.callRaw("COMMAND", "DOCS", n);
        const db = await b.callRaw("COMMAND", "DOCS", n);
        // summary, since and group.
        const first = (v: RespValue) =>
          v.type === "array" && v.value[1].type === "array"
            ? show({ ...v.value[1], value: v.value[1].value.slice(0, 6) })
            : show(v);
        assert.equal(first(da), first(db), n);
      }
      for (
        const c of [["COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"]]
      ) {
        assert.equal(show(await a.callRaw(...c)), show(await b.callRaw(...c)));
      }
    });
  },
});

Deno.test({
  name: "streams: keyspace events match redis-server",
  ignore: REDIS,
  fn: async () => {
    await withBoth(async (a, b, ports) => {
      const events: string[][] = [];
      for (const [i, port] of ports.entries()) {
        const c = i === 0 ? a : b;
        await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        const sub = await RespClient.connect(port);
        await sub.callRaw("PSUBSCRIBE", "__key*__:*");
        await sub.callRaw("SUBSCRIBE", "end");
        for (
          const cmd of [
            ["XADD", "s", "1-1", "f", "v"],
            ["XADD", "s", "MAXLEN", "1", "2-1", "f", "v"],
            ["XGROUP", "CREATE", "s", "g", "0"],
            ["XGROUP", "CREATE", "n", "g", "$", "MKSTREAM"],
            ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
            ["XCLAIM", "s", "g", "c2", "0", "2-1"],
            ["XAUTOCLAIM", "s", "g", "c3", "0", "0"],
            ["XGROUP", "CREATECONSUMER", "s", "g", "c4"],
            ["XGROUP", "DELCONSUMER", "s", "g", "c4"],
            ["XGROUP", "SETID", "s", "g", "0"],
            ["XACK", "s", "g", "2-1"],
            ["XSETID", "s", "9-9"],
            ["XDEL", "s", "2-1"],
            ["XADD", "s", "10-1", "f", "v"],
            ["XTRIM", "s", "MAXLEN", "0"],
            ["XGROUP", "DESTROY", "s", "g"],
            ["XRANGE", "missing", "-", "+"],
          ]
        ) await c.callRaw(...cmd);
        await c.call("PUBLISH", "end", "end");
        const got: string[] = [];
        for (;;) {
          const v = show((await sub.readValue())!);
          if (v === show({ type: "array", value: ["message", "end", "end"].map(bulk) })) break;
          got.push(v);
        }
        sub.close();
        events.push(got);
      }
      assert.ok(events[0].length > 20);
      assert.deepEqual(events[0], events[1]);
    });
  },
});

// -------------------------------------------------------------------------------- blocking

/** Until `port`'s server counts `n` blocked clients. */
async function blockedClients(c: RespClient, n: number): Promise<void> {
  await waitFor(`${n} blocked clients`, async () => {
    const info = String(await c.call("INFO", "clients"));
    return new RegExp(`blocked_clients:${n}\r\n`).test(info);
  });
}

interface Scenario {
  name: string;
  setup: Cmd[];
  /** Commands of the blocked clients, in order (each on its own connection). */
  block: Cmd[];
  actions: Cmd[];
  /** Which of the blocked clients (indices into `block`) stay blocked. */
  stillBlocked: number[];
  /** The blocked clients speak RESP3. */
  resp3?: boolean;
  /** A blocked client times out (its reply comes later). */
  timesOut?: boolean;
}

const BASE: Cmd[] = [["XADD", "s", "1-0", "f", "v"], ["XGROUP", "CREATE", "s", "g", "$"]];
/**
 * The BLOCK of the timeout scenarios. runScenario must see the client blocked (an INFO poll every
 * 50 ms) and run the actions while it is; with 30 ms the block could end before the first poll on
 * a busy machine (a CI run beside two busy loops waited for ever for "1 blocked clients"). A poll
 * and an action are two local round trips, a few ms here and well under 1,000 ms at ten times the
 * load.
 */
const TIMEOUT_BLOCK_MS = "1000";
const RG: Cmd = ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"];
const XR: Cmd = ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"];

const SCENARIOS: Scenario[] = [
  {
    name: "XADD wakes XREAD",
    setup: BASE,
    block: [XR],
    actions: [["XADD", "s", "2-0", "a", "b"]],
    stillBlocked: [],
  },
  {
    name: "XADD wakes XREADGROUP",
    setup: BASE,
    block: [RG],
    actions: [["XADD", "s", "2-0", "a", "b"]],
    stillBlocked: [],
  },
  {
    name: "XREAD on a missing key, created by XADD",
    setup: [],
    block: [["XREAD", "BLOCK", "0", "STREAMS", "nope", "$"]],
    actions: [["XADD", "nope", "1-0", "a", "b"]],
    stillBlocked: [],
  },
  {
    name: "readers waiting after different IDs: only the one passed is served",
    setup: BASE,
    block: [
      ["XREAD", "BLOCK", "0", "STREAMS", "s", "5-0"],
      ["XREAD", "BLOCK", "0", "STREAMS", "s", "1-0"],
      ["XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "other", "s", "0", "2-0"],
    ],
    actions: [["XADD", "s", "3-0", "a", "b"], ["XADD", "s", "3-1", "a", "b"]],
    stillBlocked: [0],
  },
  {
    name: "two group readers: the first takes the entry, the second waits",
    setup: BASE,
    block: [RG, [
      "XREADGROUP",
      "GROUP",
      "g",
      "c2",
      "COUNT",
      "5",
      "BLOCK",
      "0",
      "STREAMS",
      "s",
      ">",
    ]],
    actions: [["XADD", "s", "2-0", "a", "b"], ["XPENDING", "s", "g"]],
    stillBlocked: [1],
  },
  {
    name: "XADD in MULTI serves every entry of the transaction",
    setup: BASE,
    block: [["XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"]],
    actions: [["MULTI"], ["XADD", "s", "2-0", "a", "b"], ["XADD", "s", "3-0", "a", "b"], ["EXEC"]],
    stillBlocked: [],
  },
  {
    name: "DEL: XREADGROUP unblocked",
    setup: BASE,
    block: [RG],
    actions: [["DEL", "s"]],
    stillBlocked: [],
  },
  {
    name: "DEL: XREAD waits on",
    setup: BASE,
    block: [XR],
    actions: [["DEL", "s"]],
    stillBlocked: [0],
  },
  {
    name: "SET over the stream",
    setup: BASE,
    block: [RG, XR],
    actions: [["SET", "s", "x"]],
    stillBlocked: [1],
  },
  { name: "FLUSHALL", setup: BASE, block: [RG], actions: [["FLUSHALL"]], stillBlocked: [] },
  { name: "RENAME", setup: BASE, block: [RG], actions: [["RENAME", "s", "t"]], stillBlocked: [] },
  {
    name: "XGROUP DESTROY",
    setup: BASE,
    block: [RG],
    actions: [["XGROUP", "DESTROY", "s", "g"]],
    stillBlocked: [],
  },
  {
    name: "the group recreated by the time the key is served",
    setup: BASE,
    block: [RG],
    actions: [["MULTI"], ["DEL", "s"], ["XADD", "s", "2-0", "a", "b"], ["EXEC"]],
    stillBlocked: [],
  },
  {
    name: "XGROUP SETID past the new entry",
    setup: BASE,
    block: [RG],
    actions: [["XGROUP", "SETID", "s", "g", "5-0"], ["XADD", "s", "3-0", "a", "b"]],
    stillBlocked: [0],
  },
  {
    name: "the consumer deleted meanwhile is created again",
    setup: BASE,
    block: [RG],
    actions: [["XGROUP", "DELCONSUMER", "s", "g", "c"], ["XADD", "s", "2-0", "a", "b"], [
      "XINFO",
      "GROUPS",
      "s",
    ]],
    stillBlocked: [],
  },
  {
    name: "an entry added and deleted in one transaction",
    setup: BASE,
    block: [XR],
    actions: [["MULTI"], ["XADD", "s", "2-0", "a", "b"], ["XDEL", "s", "2-0"], ["EXEC"]],
    stillBlocked: [],
  },
  {
    name: "XSETID does not wake",
    setup: BASE,
    block: [XR],
    actions: [["XSETID", "s", "9-0"]],
    stillBlocked: [0],
  },
  {
    name: "RESP3 replies",
    setup: BASE,
    block: [XR, RG],
    actions: [["XADD", "s", "2-0", "a", "b"], ["XGROUP", "DESTROY", "s", "g"]],
    stillBlocked: [],
    resp3: true,
  },
  {
    name: "timeout",
    setup: BASE,
    block: [["XREAD", "BLOCK", TIMEOUT_BLOCK_MS, "STREAMS", "s", "$"]],
    actions: [],
    stillBlocked: [],
    timesOut: true,
  },
  {
    name: "XREADGROUP timeout (no consumer is created while blocked)",
    setup: BASE,
    block: [["XREADGROUP", "GROUP", "g", "c", "BLOCK", TIMEOUT_BLOCK_MS, "STREAMS", "s", ">"]],
    actions: [["XINFO", "CONSUMERS", "s", "g"]],
    stillBlocked: [],
    timesOut: true,
  },
];

/** Run a scenario; its transcript (replies of the actions and of the blocked clients). */
async function runScenario(port: number, sc: Scenario): Promise<string[]> {
  const admin = await RespClient.connect(port);
  const out: string[] = [];
  const clients: RespClient[] = [];
  try {
    await admin.call("FLUSHALL");
    for (const c of sc.setup) await admin.callRaw(...c);
    for (const c of sc.block) {
      const cl = await RespClient.connect(port);
      clients.push(cl);
      if (sc.resp3) await cl.callRaw("HELLO", "3");
      await cl.writeRaw(encodeCommand(c));
      await blockedClients(admin, clients.length);
    }
    for (const c of sc.actions) {
      out.push(`${cmdText(c)} -> ${show(maskNow(await admin.callRaw(...c)))}`);
    }
    for (const [i, cl] of clients.entries()) {
      if (sc.stillBlocked.includes(i)) continue;
      out.push(`reply: ${show(maskNow((await cl.readValue())!))}`);
    }
    // The others wait on (the count is the servers': both must agree with the scenario).
    await blockedClients(admin, sc.stillBlocked.length);
    out.push(`XINFO: ${show(maskNow(await admin.callRaw("XINFO", "STREAM", "s", "FULL")))}`);
    return out;
  } finally {
    for (const c of clients) c.close();
    admin.close();
  }
}

Deno.test({
  name: "streams: blocking XREAD/XREADGROUP scenarios end as in redis-server",
  ignore: REDIS,
  fn: async () => {
    await withBoth(async (a, b, ports) => {
      for (const sc of SCENARIOS) {
        const ours = await runScenario(ports[0], sc);
        const theirs = await runScenario(ports[1], sc);
        assert.deepEqual(ours, theirs, sc.name);
      }
      // MULTI never blocks; a script may not block.
      for (const c of [a, b]) await c.call("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM");
      const more: Cmd[] = [
        ["MULTI"],
        ["XREAD", "BLOCK", "0", "STREAMS", "m", "$"],
        ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "m", ">"],
        ["EXEC"],
        ["EVAL", "return redis.call('xread','BLOCK','0','STREAMS','m','$')", "0"],
      ];
      for (const c of more) assert.equal(show(await a.callRaw(...c)), show(await b.callRaw(...c)));
    });
  },
});

Deno.test("streams: a client that goes away while blocked is forgotten", async () => {
  const node = await startNode();
  const admin = await RespClient.connect(node.port);
  try {
    const gone = await RespClient.connect(node.port);
    await gone.writeRaw(encodeCommand(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]));
    await blockedClients(admin, 1);
    gone.close();
    await blockedClients(admin, 0);
    assert.equal(await admin.call("XADD", "s", "1-1", "a", "b"), "1-1");
    assert.equal(await admin.call("PING"), "PONG");
  } finally {
    admin.close();
    await node.stop();
  }
});

Deno.test("streams: a client blocked on a slot that moves away gets MOVED", async () => {
  const cluster = { "cluster-enabled": "yes", "cluster-node-timeout": "2000" };
  const a = await startNode(cluster);
  const b = await startNode(cluster);
  const ca = await RespClient.connect(a.port);
  const cb = await RespClient.connect(b.port);
  const blocked: RespClient[] = [];
  try {
    assert.equal(await ca.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383"), "OK");
    await ca.call("CLUSTER", "MEET", "127.0.0.1", String(b.port));
    const bid = String(await cb.call("CLUSTER", "MYID"));
    await waitFor("b known", async () => String(await ca.call("CLUSTER", "NODES")).includes(bid));
    await waitFor("cluster ok", async () => {
      return String(await ca.call("CLUSTER", "INFO")).startsWith("cluster_state:ok");
    }, 15000);
    const slot = Number(await ca.call("CLUSTER", "KEYSLOT", "s"));
    for (const c of [["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["BLPOP", "s", "0"]]) {
      const cl = await RespClient.connect(a.port);
      await cl.writeRaw(encodeCommand(c));
      blocked.push(cl);
      await blockedClients(ca, blocked.length);
    }
    assert.equal(await ca.call("CLUSTER", "SETSLOT", String(slot), "NODE", bid), "OK");
    for (const cl of blocked) {
      assert.equal(show((await cl.readValue())!), `-MOVED ${slot} 127.0.0.1:${b.port}`);
    }
    await blockedClients(ca, 0);
  } finally {
    for (const c of blocked) c.close();
    ca.close();
    cb.close();
    await a.stop();
    await b.stop();
  }
});

// -------------------------------------------------------------------------------- DUMP / RESTORE

/** Build a stream with several nodes, tombstones, two groups, PELs and consumers. */
const BUILD: Cmd[] = [
  ["CONFIG", "SET", "stream-node-max-entries", "3"],
  ...Array.from(
    { length: 12 },
    (_, i): Cmd => ["XADD", "s", `${i + 1}-${i % 3}`, "f", `v${i}`, "n", String(i * 1000)],
  ),
  ["XADD", "s", "20-0", "other", "fields", "x", "y".repeat(100)],
  ["XADD", "s", `${MAX}-5`, "z", "\x00\xff"],
  ["XDEL", "s", "2-1", "5-1", "6-2"],
  ["XGROUP", "CREATE", "s", "g1", "0"],
  ["XGROUP", "CREATE", "s", "g2", "5-0", "ENTRIESREAD", "3"],
  ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "4", "STREAMS", "s", ">"],
  [
    "XCLAIM",
    "s",
    "g1",
    "bob",
    "0",
    "3-2",
    "8-1",
    "TIME",
    "1600000000000",
    "RETRYCOUNT",
    "7",
    "FORCE",
  ],
  ["XCLAIM", "s", "g1", "bob", "0", "4-0", "TIME", "1000", "RETRYCOUNT", "9223372036854775807"],
  ["XGROUP", "CREATECONSUMER", "s", "g2", "idle\x00one"],
  ["XTRIM", "s", "MAXLEN", "~", "10"],
  ["CONFIG", "SET", "stream-node-max-entries", "100"],
];

Deno.test({
  name: "streams: DUMP/RESTORE both ways with redis-server",
  ignore: REDIS,
  fn: async () => {
    await withBoth(async (a, b) => {
      for (const [from, to] of [[b, a], [a, b]]) {
        await from.call("FLUSHALL");
        await to.call("FLUSHALL");
        for (const c of BUILD) await from.callRaw(...c);
        const dump = await from.callRaw("DUMP", "s");
        assert.equal(dump.type, "bulk");
        if (dump.type !== "bulk") return;
        assert.equal(dump.value[0], 19); // RDB_TYPE_STREAM_LISTPACKS_2
        assert.equal(await to.call("RESTORE", "s", "0", dump.value), "OK");
        const full = ["XINFO", "STREAM", "s", "FULL", "COUNT", "0"];
        assert.equal(show(await to.callRaw(...full)), show(await from.callRaw(...full)));
        // Same nodes, same groups: the same bytes back.
        assert.equal(show(await to.callRaw("DUMP", "s")), show(dump));
        for (
          const c of [["DEBUG", "DIGEST-VALUE", "s"], ["XINFO", "GROUPS", "s"], [
            "XPENDING",
            "s",
            "g1",
          ]]
        ) {
          assert.equal(
            show(maskNow(await to.callRaw(...c))),
            show(maskNow(await from.callRaw(...c))),
          );
        }
      }
      // An empty stream with only a group, and a stream whose last ID is past its entries.
      for (
        const c of [
          ["XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"],
          ["XADD", "d", "5-5", "a", "b"],
          ["XDEL", "d", "5-5"],
        ]
      ) {
        await b.callRaw(...c);
      }
      for (const k of ["e", "d"]) {
        const dump = await b.callRaw("DUMP", k);
        assert.ok(dump.type === "bulk");
        assert.equal(await a.call("RESTORE", k, "0", dump.value, "REPLACE"), "OK");
        assert.equal(show(await a.callRaw("DUMP", k)), show(dump));
      }
      // A payload with a valid checksum but a broken node is refused (as sanitize-dump-payload
      // yes does), not loaded.
      await b.call("FLUSHALL");
      await b.call("XADD", "c", "1-1", "field", "value");
      const dump = await b.callRaw("DUMP", "c");
      assert.ok(dump.type === "bulk");
      // The body ends with the listpack's 0xFF, then 9 one-byte counters and IDs.
      const bodyLength = dump.value.length - 10;
      const lpCountAt = bodyLength - 9 - 3; // the entry's lp-count (then its backlen, 0xFF)
      assert.equal(dump.value[lpCountAt], 4);
      // A wrong lp-count, a node key of 16 + 127 bytes, 127 groups that are not there.
      for (const at of [lpCountAt, 2, bodyLength - 1]) {
        const body = dump.value.slice(0, bodyLength);
        body[at] ^= 0x7f;
        const w = new ByteWriter();
        w.bytes(body);
        const bad = finishDumpPayload(w);
        assert.equal(show(await a.callRaw("RESTORE", "bad", "0", bad)), "-ERR Bad data format");
        assert.equal(await a.call("EXISTS", "bad"), 0);
      }
    });
  },
});

/** A RESTORE payload of type 15 (5.x/6.x streams: no first/max-deleted IDs, no entries-read). */
function type15Payload(): Uint8Array {
  const s = new Stream();
  const lim = { maxBytes: 4096, maxEntries: 2 };
  for (let i = 1; i <= 5; i++) {
    s.append([te.encode("f"), te.encode(`v${i}`)], { ms: BigInt(i), seq: 0n }, true, 0, lim);
  }
  s.deleteEntry({ ms: 2n, seq: 0n });
  const w = new ByteWriter();
  w.u8(15);
  writeLength(w, s.nodes.length);
  for (const n of s.nodes) {
    writeBinaryString(w, n.key, true);
    writeString(w, n.lp.toBytes(), true);
  }
  writeLength(w, s.length);
  writeLength(w, 5); // last ID 5-0
  writeLength(w, 0);
  writeLength(w, 1); // one group "g" at 3-0, with an empty PEL and no consumers
  writeBinaryString(w, "g", true);
  writeLength(w, 3);
  writeLength(w, 0);
  writeLength(w, 0);
  writeLength(w, 0);
  w.u16le(9); // RDB version 9 (Redis 6.2)
  const withVersion = new ByteWriter();
  withVersion.bytes(w.view().subarray(0, w.length - 2));
  return finishDumpPayload(withVersion);
}

Deno.test({
  name: "streams: RESTORE of the type 15 encoding derives the 7.0 counters as redis-server does",
  ignore: REDIS,
  fn: async () => {
    await withBoth(async (a, b) => {
      const payload = type15Payload();
      for (const c of [a, b]) assert.equal(await c.call("RESTORE", "old", "0", payload), "OK");
      for (
        const c of [["XINFO", "STREAM", "old", "FULL"], ["XINFO", "GROUPS", "old"], ["DUMP", "old"]]
      ) {
        assert.equal(show(await a.callRaw(...c)), show(await b.callRaw(...c)), cmdText(c));
      }
    });
  },
});

// -------------------------------------------------------------------------------- replication

/** Commands whose propagation is checked: every rewrite t_stream.c does. */
const PROPAGATED: Cmd[] = [
  ["XADD", "s", "1-1", "f", "v"],
  ["XADD", "s", "1-*", "f", "v"],
  ["XADD", "s", "2", "f", "v", "g", "w"],
  ["XADD", "s", "MAXLEN", "~", "1", "3-0", "f", "v"],
  ["XADD", "s", "MAXLEN", "=", "100", "3-1", "f", "v"],
  ["XADD", "s", "MINID", "~", "0", "LIMIT", "5", "3-2", "f", "v"],
  ["XADD", "nokey", "NOMKSTREAM", "5-5", "f", "v"],
  ["XADD", "ts", "*", "f", "v"],
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "1", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "m", ">"],
  ["XACK", "s", "g", "1-0"],
  ["XDEL", "s", "1-1"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "2-0", "TIME", "1000", "RETRYCOUNT", "4"],
  ["XCLAIM", "s", "g", "dave", "0", "9-9", "LASTID", "50-0"],
  ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "5"],
  ["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "frank"],
  ["XGROUP", "DELCONSUMER", "s", "g", "frank"],
  ["XSETID", "s", "100-0", "ENTRIESADDED", "50", "MAXDELETEDID", "3-3"],
  ["XTRIM", "s", "MAXLEN", "~", "0"],
  ["XTRIM", "s", "MAXLEN", "0"],
  ["XREAD", "STREAMS", "s", "0"],
  ["XGROUP", "DESTROY", "m", "g"],
  // Inside a script: the effects, wrapped in the script's MULTI/EXEC.
  [
    "EVAL",
    "redis.call('XADD', KEYS[1], '*', 'f', 'v') " +
    "return redis.call('XREADGROUP', 'GROUP', 'g', 'zed', 'STREAMS', KEYS[1], '>')",
    "1",
    "s",
  ],
];

Deno.test({
  name: "streams: the propagated stream matches redis-server byte for byte",
  ignore: REDIS,
  fn: async () => {
    const streams: string[] = [];
    await withBoth(async (_a, _b, ports) => {
      for (const port of ports) {
        const c = await RespClient.connect(port);
        await c.call("SET", "x", "1");
        const rep = await RawReplica.attach(port);
        for (const cmd of PROPAGATED) await c.callRaw(...cmd);
        // A blocked XREADGROUP served later propagates its XCLAIMs (in MULTI for more than one).
        const b = await RespClient.connect(port);
        await b.writeRaw(
          encodeCommand(["XREADGROUP", "GROUP", "g", "gina", "BLOCK", "0", "STREAMS", "s", ">"]),
        );
        await blockedClients(c, 1);
        // Explicit IDs: two `*` IDs are ms-0 and ms-1 only when both fall in one millisecond,
        // which a loaded machine does not promise either server.
        await c.call("MULTI");
        await c.call("XADD", "s", "9999999999999-1", "f", "v");
        await c.call("XADD", "s", "9999999999999-2", "f", "v");
        await c.call("EXEC");
        await b.readValue();
        b.close();
        await c.call("SET", "end", "1");
        // Times and clock-generated IDs differ between the two servers.
        streams.push((await rep.textUntilCommand("SET", "end", "1")).replace(/\d{13}/g, "<ms>"));
        rep.close();
        c.close();
      }
    });
    assert.ok(streams[0].includes("XCLAIM"), streams[0]);
    assert.equal(streams[0], streams[1]);
  },
});

/**
 * What a replica must end up with as its master does. The script's XREADGROUP is left out: its
 * XCLAIM ... LASTID does not carry the group's entries-read, so a 7.0 replica's counter differs
 * from its master's (redis-server's own replicas too).
 */
const CONVERGING = PROPAGATED.filter((c) => c[0] !== "EVAL");

async function linkUp(c: RespClient): Promise<boolean> {
  return String(await c.call("INFO", "replication")).includes("master_link_status:up");
}

/**
 * XINFO STREAM FULL of `key` with seen-times and delivery times of "now" masked (and, with
 * `noNodes`, the radix tree's sizes: an AOF rebuilds the nodes with the loader's limits).
 */
async function fullInfo(c: RespClient, key: string, noNodes = false): Promise<string> {
  let v = maskNow(await c.callRaw("XINFO", "STREAM", key, "FULL", "COUNT", "0"));
  if (noNodes && v.type === "array") {
    v = { ...v, value: v.value.filter((_, i) => i < 2 || i > 5) };
  }
  return show(v);
}

Deno.test({
  name: "streams: a real replica of our master and our replica of a real master converge",
  ignore: REDIS,
  fn: async () => {
    // Ours -> redis-server (full sync carries streams, then the stream of commands).
    {
      const master = await startNode();
      const m = await RespClient.connect(master.port);
      for (const c of BUILD) await m.callRaw(...c);
      const redis = await spawnRedis({
        replicaof: `127.0.0.1 ${master.port}`,
        "enable-debug-command": "yes",
      });
      const r = await RespClient.connect(redis.port);
      try {
        await waitFor("redis link up", () => linkUp(r));
        for (const c of CONVERGING) await m.callRaw(...c);
        assert.equal(await m.call("WAIT", "1", "5000"), 1);
        for (const k of ["s", "ts"]) {
          assert.deepEqual(
            await r.call("DEBUG", "DIGEST-VALUE", k),
            await m.call("DEBUG", "DIGEST-VALUE", k),
          );
        }
        assert.equal(await fullInfo(r, "s"), await fullInfo(m, "s"));
      } finally {
        m.close();
        r.close();
        await redis.stop();
        await master.stop();
      }
    }
    // redis-server -> ours.
    {
      const redis = await spawnRedis({
        "enable-debug-command": "yes",
        "repl-diskless-sync-delay": "0",
      });
      const replica = await startNode();
      const m = await RespClient.connect(redis.port);
      const r = await RespClient.connect(replica.port);
      try {
        for (const c of BUILD) await m.callRaw(...c);
        assert.equal(await r.call("REPLICAOF", "127.0.0.1", String(redis.port)), "OK");
        await waitFor("link up", () => linkUp(r), 15000);
        for (const c of CONVERGING) await m.callRaw(...c);
        assert.equal(await m.call("WAIT", "1", "5000"), 1);
        await waitFor(
          "digest",
          async () => (await r.call("DEBUG", "DIGEST")) === (await m.call("DEBUG", "DIGEST")),
        );
        assert.equal(await fullInfo(r, "s"), await fullInfo(m, "s"));
      } finally {
        m.close();
        r.close();
        await replica.stop();
        await redis.stop();
      }
    }
  },
});

// -------------------------------------------------------------------------------- persistence

Deno.test({
  name: "streams: DEBUG RELOAD keeps them; an AOF rewritten without preamble loads in redis-server",
  ignore: REDIS,
  fn: async () => {
    const node = await startNode({ appendonly: "yes", "aof-use-rdb-preamble": "no" });
    const c = await RespClient.connect(node.port);
    let redis: Awaited<ReturnType<typeof spawnRedis>> | null = null;
    try {
      for (const cmd of BUILD) await c.callRaw(...cmd);
      await c.call("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM");
      const before = await fullInfo(c, "s", true);
      const exact = show(await c.callRaw("XINFO", "STREAM", "s", "FULL"));
      assert.equal(await c.call("DEBUG", "RELOAD"), "OK");
      assert.equal(show(await c.callRaw("XINFO", "STREAM", "s", "FULL")), exact);
      assert.equal(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
      await waitFor(
        "rewrite",
        async () => /aof_rewrite_in_progress:0/.test(String(await c.call("INFO", "persistence"))),
      );
      const digest = await c.call("DEBUG", "DIGEST");
      const empty = await fullInfo(c, "empty");
      c.close();
      await node.stop();
      redis = await spawnRedis({ dir: node.dir, appendonly: "yes", "enable-debug-command": "yes" });
      const r = await RespClient.connect(redis.port);
      try {
        assert.equal(await r.call("DEBUG", "DIGEST"), digest);
        assert.equal(await fullInfo(r, "s", true), before);
        assert.equal(await fullInfo(r, "empty"), empty);
      } finally {
        r.close();
      }
    } finally {
      c.close();
      await redis?.stop();
    }
  },
});
