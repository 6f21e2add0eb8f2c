/**
 * Keyspace notifications (notify-keyspace-events) against a real redis-server 7.0, frame for
 * frame. On each server: a RESP2 client runs commands, a RESP2 and a RESP3 client PSUBSCRIBE
 * `__key*__:*` (the RESP3 one also runs some commands itself, so its pushes interleave with its
 * replies), and a fourth client blocks in BLPOP & co. Both servers run the same seeded steps in
 * lockstep; after every step each subscriber sends `PING <marker>` and everything it received
 * before the marker's reply is compared with show() (exact types: push vs array).
 *
 * Every command family (strings, keys, lists, hashes, sets, zsets, blocking pops served later,
 * MIGRATE, MULTI/EXEC, reads for `keymiss`), lazy expiry (DEBUG SET-ACTIVE-EXPIRE 0, keys past
 * their PXAT touched) and active expiry run under several class combinations; FLUSHALL/FLUSHDB
 * must notify nothing. Only what Redis leaves to its dict order is compared as a multiset: the
 * `expired` frames of one active expire cycle. Also: CONFIG SET errors and CONFIG GET's
 * canonical classes, the directive at start and in a config file, CONFIG REWRITE's line.
 * NOTIFY_COMPARE_SEED=n explores other seeds.
 */

import assert from "node:assert/strict";
import {
  encodeCommand,
  haveRedisServer,
  type InProcessNode,
  RespClient,
  run,
  type SpawnedProcess,
  spawnRedis,
  startNode,
  tempDir,
  waitFor,
} from "./harness.ts";
import { show, untilMarker } from "./compare.ts";
import { Prng } from "../cluster/prng.ts";
import { Config, ConfigError, findDirective, rewriteLine } from "../server/config.ts";
import { REDIS_VERSION } from "../server/version.ts";

type Cmd = (string | Uint8Array)[];

/** Where a step's command runs: the plain client, or the RESP3 subscriber itself. */
type Via = "exec" | "sub3";

interface Step {
  via: Via;
  cmd: Cmd;
  /** Commands sent right after `cmd` in the same step (a MULTI ... EXEC). */
  then?: Cmd[];
  /** The reply depends on Redis's random choice or hash order (SPOP): only its type compared. */
  randomReply?: boolean;
}

/** The clients of one server. */
interface Side {
  label: string;
  exec: RespClient;
  sub2: RespClient;
  sub3: RespClient;
  blocker: RespClient;
  /** The server's clock in ms (TIME for redis-server, the node's own clock in process). */
  nowMs: () => Promise<number>;
}

const PATTERN = "__key*__:*";

/** Every event the steps must produce under AKEn (all but evicted, keymiss and streams). */
const EVENTS = [
  ...["new", "del", "expire", "expired", "persist", "rename_from", "rename_to", "copy_to"],
  ...["restore", "set", "setrange", "incrby", "incrbyfloat", "append"],
  ...["lpush", "rpush", "linsert", "lset", "lpop", "rpop", "ltrim", "lrem"],
  ...["hset", "hincrby", "hincrbyfloat", "hdel"],
  ...["sadd", "srem", "spop", "sinterstore", "sunionstore", "sdiffstore"],
  ...["zadd", "zincr", "zrem", "zremrangebyscore", "zremrangebyrank", "zremrangebylex"],
  ...["zpopmin", "zpopmax", "zinterstore", "zunionstore", "zdiffstore", "zrangestore"],
];

/** The flag combinations every family runs under. */
const COMBOS = ["KEm", "KEA", "Kx", "Eg$", "En", "", "AKEn", "Klshz", "Egx$n"];

async function openSide(label: string, port: number, nowMs: Side["nowMs"]): Promise<Side> {
  const exec = await RespClient.connect(port);
  const sub2 = await RespClient.connect(port);
  const sub3 = await RespClient.connect(port);
  const blocker = await RespClient.connect(port);
  await sub3.callRaw("HELLO", "3");
  await sub2.callRaw("PSUBSCRIBE", PATTERN);
  await sub3.callRaw("PSUBSCRIBE", PATTERN);
  // Lazy expiry only, unless a step turns the active cycle on: expiry then happens where the
  // steps touch keys, the same on both servers.
  await exec.callRaw("DEBUG", "SET-ACTIVE-EXPIRE", "0");
  return { label, exec, sub2, sub3, blocker, nowMs };
}

function closeSide(s: Side): void {
  for (const c of [s.exec, s.sub2, s.sub3, s.blocker]) c.close();
}

let markerSeq = 0;

/**
 * What both subscribers received since their last marker; `sorted`: as a multiset; `maskReplies`:
 * the RESP3 subscriber's own replies shown by type only (a random SPOP's).
 */
async function collect(s: Side, sorted = false, maskReplies = false): Promise<string[]> {
  const m = `m${markerSeq++}`;
  const f3 = (await untilMarker(s.sub3, m)).map((v) =>
    maskReplies && v.type !== "push" ? `(${v.type})` : show(v)
  );
  const f2 = (await untilMarker(s.sub2, m)).map(show);
  if (sorted) {
    f3.sort();
    f2.sort();
  }
  return [`sub3: ${f3.join(" ")}`, `sub2: ${f2.join(" ")}`];
}

/** Run one step on one server: its reply (or the RESP3 subscriber's whole stream) and frames. */
async function runStep(s: Side, st: Step): Promise<string[]> {
  const lines: string[] = [];
  const cmds = [st.cmd, ...st.then ?? []];
  if (st.via === "exec") {
    for (const c of cmds) {
      const r = await s.exec.callRaw(...c);
      lines.push(`exec: ${st.randomReply ? `(${r.type})` : show(r)}`);
    }
  } else {
    // The replies and the pushes around them all arrive before the marker's reply.
    for (const c of cmds) await s.sub3.writeRaw(encodeCommand(c));
  }
  lines.push(...await collect(s, false, st.randomReply));
  return lines;
}

function cmdText(c: Cmd): string {
  return c.map((a) =>
    typeof a !== "string" ? `<${a.length} bytes>` : /^[\x21-\x7e]+$/.test(a) ? a : JSON.stringify(a)
  ).join(" ");
}

/** Runs steps on both servers in lockstep and compares every step's frames. */
class Lockstep {
  private readonly history: string[] = [];
  /** How many frames (pmessage / push) the steps produced, to check the run means something. */
  frames = 0;
  /** The event names seen on __keyevent@0__ channels. */
  readonly events = new Set<string>();

  constructor(
    readonly redis: Side,
    readonly node: Side,
    readonly context: string,
  ) {}

  async step(st: Step): Promise<void> {
    const what = `${st.via} ${[st.cmd, ...st.then ?? []].map(cmdText).join("; ")}`;
    let want: string[], got: string[];
    try {
      want = await runStep(this.redis, st);
      got = await runStep(this.node, st);
    } catch (e) {
      throw new Error(`${this.context}: ${what}: ${(e as Error).message}`);
    }
    this.record(what, want, got);
  }

  async steps(list: Step[]): Promise<void> {
    for (const st of list) await this.step(st);
  }

  /** Compare frames collected outside a step (expiry, blocked clients served later). */
  async compareCollected(what: string, sorted = false): Promise<void> {
    const want = await collect(this.redis, sorted);
    const got = await collect(this.node, sorted);
    this.record(what, want, got);
  }

  record(what: string, want: string[], got: string[]): void {
    this.history.push(`${what} -> ${want.join(" ; ")}`);
    if (this.history.length > 8) this.history.shift();
    const text = want.join(" ");
    this.frames += text.split("pmessage").length - 1;
    for (const m of text.matchAll(/__keyevent@0__:([a-z_]+)/g)) this.events.add(m[1]);
    assert.equal(
      got.join("\n"),
      want.join("\n"),
      `${this.context}: ${what}\nafter:\n  ${this.history.slice(0, -1).join("\n  ")}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded steps per command family (effects are deterministic: both servers stay identical)

function pick<T>(r: Prng, xs: readonly T[]): T {
  return xs[r.int(xs.length)];
}

const STR = ["s1", "s2", "s\u00ff"];
const LST = ["l1", "l2"];
const HSH = ["h1", "h2"];
const SET = ["t1", "t2", "t3"];
const ZST = ["z1", "z2", "z3"];
const ALL = [...STR, ...LST, ...HSH, ...SET, ...ZST, "g1", "g2"];

function stringCmd(r: Prng): Cmd {
  const k = pick(r, STR);
  const v = pick(r, ["10", "v", "x y", "3.5"]);
  switch (r.int(22)) {
    case 0:
      return ["SET", k, v];
    case 1: {
      // TTLs that cannot run out during a run: "PX 100" expired between two steps on one server
      // and not the other on a loaded machine (an "expired" event on one side only).
      const unit = pick(r, ["EX", "PX"]);
      const n = pick(r, ["100", "100000"]);
      return ["SET", k, v, unit, unit === "PX" ? `${n}000` : n];
    }
    case 2:
      return ["SET", k, v, pick(r, ["KEEPTTL", "NX", "XX", "GET"])];
    case 3:
      return ["SET", k, v, "XX", "GET", "EX", "50"];
    case 4:
      // An expiry already past: stored, then expired lazily by the next access.
      return ["SET", k, v, "PXAT", "1"];
    case 5:
      return ["SETNX", k, v];
    case 6:
      return pick(r, [["SETEX", k, "100", v], ["PSETEX", k, "100000", v]]);
    case 7:
      return ["GETSET", k, v];
    case 8:
      return ["GETDEL", k];
    case 9:
      return ["GETEX", k, ...pick(r, [["EX", "100"], ["PERSIST"], ["PXAT", "1"], []])];
    case 10:
      return ["MSET", pick(r, STR), v, pick(r, STR), "7"];
    case 11:
      return ["MSETNX", pick(r, STR), v, pick(r, STR), "7"];
    case 12:
      return pick(r, [["INCR", k], ["DECR", k], ["INCRBY", k, "5"], ["DECRBY", k, "-2"]]);
    case 13:
      return ["INCRBYFLOAT", k, pick(r, ["1.5", "-0.25", "abc"])];
    case 14:
      return ["APPEND", k, pick(r, ["ab", ""])];
    case 15:
      return ["SETRANGE", k, pick(r, ["0", "3"]), pick(r, ["xy", ""])];
    case 16:
      return pick(r, [["GET", k], ["STRLEN", k], ["GETRANGE", k, "0", "-1"]]);
    case 17:
      return ["SET", pick(r, [...LST, ...HSH]), v];
    case 18:
      return ["INCR", pick(r, LST)];
    case 19:
      return ["DEL", k];
    case 20:
      return ["MGET", ...STR];
    default:
      return ["SETNX", k, "1"];
  }
}

function keysCmd(r: Prng, payload: Uint8Array, target: number): Cmd {
  const k = pick(r, ALL);
  const k2 = pick(r, ALL);
  switch (r.int(20)) {
    case 0:
      return ["DEL", k, k2, "missing"];
    case 1:
      return ["UNLINK", k];
    case 2:
      return ["EXPIRE", k, pick(r, ["100", "-1", "0"])];
    case 3:
      return [
        "PEXPIRE",
        k,
        pick(r, ["100000", "200000"]),
        ...pick(r, [[], ["NX"], ["XX"], ["GT"], [
          "LT",
        ]]),
      ];
    case 4:
      return ["EXPIREAT", k, pick(r, ["1", "4000000000"])];
    case 5:
      return ["PEXPIREAT", k, pick(r, ["1000", "4000000000000"]), ...pick(r, [[], ["GT"]])];
    case 6:
      return ["PERSIST", k];
    case 7:
      return ["RENAME", k, pick(r, [k2, k])];
    case 8:
      return ["RENAMENX", k, k2];
    case 9:
      return ["COPY", k, k2, ...pick(r, [[], ["REPLACE"]])];
    case 10:
      return ["RESTORE", k, "0", payload, ...pick(r, [[], ["REPLACE"]])];
    case 11:
      return ["RESTORE", k, "1", payload, "ABSTTL", ...pick(r, [[], ["REPLACE"]])];
    case 12:
      return ["RESTORE", k, "100000", payload, "REPLACE"];
    case 13:
      return pick(r, [["TYPE", k], ["EXISTS", k, k2], ["TOUCH", k]]);
    case 14:
      return ["SET", pick(r, ["g1", "g2"]), "gv"];
    case 15:
      return ["MIGRATE", "127.0.0.1", String(target), k, "0", "5000", "REPLACE"];
    case 16:
      return [
        "MIGRATE",
        "127.0.0.1",
        String(target),
        "",
        "0",
        "5000",
        "COPY",
        "REPLACE",
        "KEYS",
        k,
      ];
    case 17:
      return ["SET", k, "v", "PXAT", "1"];
    case 18:
      return ["RPUSH", pick(r, ["g1", "g2"]), "a", "b"];
    default:
      return ["SADD", pick(r, ["g1", "g2"]), "m"];
  }
}

function listCmd(r: Prng): Cmd {
  const k = pick(r, LST);
  const k2 = pick(r, LST);
  const e = pick(r, ["a", "b", "c"]);
  const side = () => pick(r, ["LEFT", "RIGHT"]);
  switch (r.int(22)) {
    case 0:
    case 1:
      return [pick(r, ["LPUSH", "RPUSH"]), k, e, pick(r, ["a", "b", "c"])];
    case 2:
      return [pick(r, ["LPUSHX", "RPUSHX"]), k, e];
    case 3:
      return ["LINSERT", k, pick(r, ["BEFORE", "AFTER"]), pick(r, ["a", "zz"]), "n"];
    case 4:
      return ["LSET", k, pick(r, ["0", "-1", "100"]), "set"];
    case 5:
      return [pick(r, ["LPOP", "RPOP"]), k];
    case 6:
      return [pick(r, ["LPOP", "RPOP"]), k, pick(r, ["0", "1", "2", "10"])];
    case 7:
      return ["LTRIM", k, pick(r, ["0", "1", "5"]), pick(r, ["-1", "1", "0"])];
    case 8:
      return ["LREM", k, pick(r, ["0", "1", "-1"]), e];
    case 9:
      return ["LMOVE", k, k2, side(), side()];
    case 10:
      return ["RPOPLPUSH", k, k2];
    case 11:
      return ["LMPOP", "2", k, k2, side(), ...pick(r, [[], ["COUNT", "2"], ["COUNT", "9"]])];
    case 12:
      return [pick(r, ["BLPOP", "BRPOP"]), k, k2, "0.01"];
    case 13:
      return ["BLMOVE", k, k2, side(), side(), "0.01"];
    case 14:
      return ["BRPOPLPUSH", k, k2, "0.01"];
    case 15:
      return ["BLMPOP", "0.01", "2", k, k2, side(), "COUNT", pick(r, ["1", "3"])];
    case 16:
      return ["LRANGE", k, "0", "-1"];
    case 17:
      return ["LPUSH", pick(r, STR), "w"];
    case 18:
      return ["RPUSH", k, "a", "b", "c", "a"];
    case 19:
      return ["LMOVE", k, pick(r, STR), "LEFT", "LEFT"];
    default:
      return ["DEL", k];
  }
}

function hashCmd(r: Prng): Cmd {
  const k = pick(r, HSH);
  const f = pick(r, ["f1", "f2", "n"]);
  switch (r.int(12)) {
    case 0:
    case 1:
      return ["HSET", k, f, pick(r, ["1", "v"]), pick(r, ["f1", "f2"]), "2"];
    case 2:
      return ["HMSET", k, f, "3"];
    case 3:
      return ["HSETNX", k, f, "4"];
    case 4:
    case 5:
      return ["HDEL", k, f, pick(r, ["f1", "f2", "nope"])];
    case 6:
      return ["HINCRBY", k, f, pick(r, ["3", "-1"])];
    case 7:
      return ["HINCRBYFLOAT", k, f, pick(r, ["0.5", "1e3"])];
    case 8:
      return pick(r, [["HGET", k, f], ["HLEN", k], ["HEXISTS", k, f]]);
    case 9:
      return ["HSET", pick(r, LST), "f", "v"];
    case 10:
      return ["DEL", k];
    default:
      return ["HDEL", k, "f1", "f2", "n"];
  }
}

function setCmd(r: Prng): Cmd {
  const k = pick(r, SET);
  const k2 = pick(r, SET);
  const m = pick(r, ["a", "b", "c"]);
  switch (r.int(14)) {
    case 0:
    case 1:
      return ["SADD", k, m, pick(r, ["a", "b", "c", "d"])];
    case 2:
    case 3:
      return ["SREM", k, m, pick(r, ["a", "nope"])];
    case 4:
      return ["SMOVE", k, k2, m];
    case 5:
      return ["SMOVE", k, pick(r, ["t9", ...SET]), m];
    case 6:
      return ["SINTERSTORE", pick(r, SET), k, k2];
    case 7:
      return ["SUNIONSTORE", pick(r, SET), k, k2];
    case 8:
      return ["SDIFFSTORE", pick(r, SET), k, k2];
    case 9:
      return [pick(r, ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), pick(r, SET), k, "missing"];
    case 10:
      return pick(r, [["SISMEMBER", k, m], ["SCARD", k]]);
    case 11:
      return ["SADD", pick(r, LST), "x"];
    case 12:
      return ["DEL", k];
    default:
      return ["SREM", k, "a", "b", "c", "d"];
  }
}

/** Reads (keymiss, and lazy expiry of keys set with PXAT 1); the reply of `masked` ones varies. */
function readStep(r: Prng): Step {
  const k = pick(r, [...ALL, "missing"]);
  const k2 = pick(r, ALL);
  const reads: Cmd[] = [
    ["GET", k],
    ["OBJECT", "ENCODING", k],
    ["OBJECT", "FREQ", k],
    ["LINDEX", k, "0"],
    ["LPOS", k, "a"],
    ["LLEN", k],
    ["HGETALL", k],
    ["HMGET", k, "f1", "n"],
    ["HSTRLEN", k, "f1"],
    ["HKEYS", k],
    ["SMISMEMBER", k, "a", "b"],
    ["SINTERCARD", "2", k, k2],
    ["ZRANGE", k, "0", "-1", "WITHSCORES"],
    ["ZRANK", k, "a"],
    ["ZCOUNT", k, "-inf", "+inf"],
    ["ZMSCORE", k, "a", "b"],
    ["ZINTERCARD", "2", k, k2],
    ["ZUNION", "2", k, k2],
    ["LCS", k, k2],
    ["STRLEN", k],
    ["EXISTS", k, k2],
    ["TYPE", k],
    ["TOUCH", k, k2],
  ];
  // Random members, hash order, or TTLs set by relative EXPIREs at slightly different times.
  const masked: Cmd[] = [
    ["DUMP", k],
    ["SMEMBERS", k],
    ["SRANDMEMBER", k],
    ["ZRANDMEMBER", k],
    ["HRANDFIELD", k],
    ["SUNION", k, k2],
    ["SDIFF", k, k2],
    ["SINTER", k, k2],
    ["SSCAN", k, "0"],
    ["HSCAN", k, "0"],
    ["ZSCAN", k, "0"],
    ["TTL", k],
    ["PTTL", k],
    ["EXPIRETIME", k],
    ["PEXPIRETIME", k],
  ];
  if (r.chance(0.25)) return { via: "exec", cmd: pick(r, masked), randomReply: true };
  return { via: r.chance(0.3) ? "sub3" : "exec", cmd: pick(r, reads) };
}

/** Each event at least once, whatever the seed (the random steps then mix them up). */
function coverageSteps(payload: Uint8Array): Step[] {
  const lines: Cmd[] = [
    ["SET", "c1", "5"],
    ["SETRANGE", "c1", "1", "0"],
    ["INCRBY", "c1", "3"],
    ["INCRBYFLOAT", "c1", "0.5"],
    ["APPEND", "c1", "x"],
    ["GETDEL", "c1"],
    ["SET", "c1", "v", "EX", "100"],
    ["PERSIST", "c1"],
    ["RENAME", "c1", "c2"],
    ["COPY", "c2", "c3"],
    ["COPY", "c2", "c3", "REPLACE"],
    ["RESTORE", "c4", "0", payload],
    ["RESTORE", "c4", "0", payload, "REPLACE"],
    ["RESTORE", "c4", "1", payload, "REPLACE", "ABSTTL"],
    ["SET", "c5", "v", "PXAT", "1"],
    ["RESTORE", "c5", "100000", payload, "REPLACE"],
    ["SET", "c6", "v", "PXAT", "1"],
    ["GET", "c6"],
    ["EXPIRE", "c2", "-1"],
    ["RPUSH", "cl", "a", "b", "c", "d"],
    ["LINSERT", "cl", "BEFORE", "b", "x"],
    ["LSET", "cl", "0", "y"],
    ["LREM", "cl", "1", "x"],
    ["LTRIM", "cl", "0", "2"],
    ["LPUSH", "cl", "z"],
    ["RPOP", "cl"],
    ["LPOP", "cl", "5"],
    ["HSET", "ch", "a", "1", "b", "2"],
    ["HINCRBY", "ch", "a", "2"],
    ["HINCRBYFLOAT", "ch", "b", "0.5"],
    ["HDEL", "ch", "a", "b"],
    ["SADD", "cs", "a", "b"],
    ["SREM", "cs", "a"],
    ["SMOVE", "cs", "cs2", "b"],
    ["SINTERSTORE", "cs3", "cs2", "cs2"],
    ["SUNIONSTORE", "cs4", "cs2", "cs3"],
    ["SDIFFSTORE", "cs4", "cs2", "missing"],
    ["SET", "cs5", "v", "PXAT", "1"],
    ["SINTERSTORE", "cs5", "cs2", "missing"],
    ["SET", "cs5", "v", "PXAT", "1"],
    ["SDIFFSTORE", "cs5", "cs2", "cs2"],
    ["ZADD", "cz", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
    ["ZINCRBY", "cz", "1", "a"],
    ["ZREM", "cz", "a"],
    ["ZREMRANGEBYSCORE", "cz", "2", "2"],
    ["ZREMRANGEBYRANK", "cz", "0", "0"],
    ["ZREMRANGEBYLEX", "cz", "[e", "[e"],
    ["ZADD", "cz", "1", "a", "2", "b", "6", "f"],
    ["ZPOPMIN", "cz"],
    ["ZPOPMAX", "cz", "2"],
    ["ZINTERSTORE", "cz2", "2", "cz", "cz"],
    ["ZUNIONSTORE", "cz3", "2", "cz", "cz2"],
    ["ZDIFFSTORE", "cz3", "2", "cz", "missing"],
    ["ZRANGESTORE", "cz4", "cz", "0", "-1"],
    ["SET", "cz5", "v", "PXAT", "1"],
    ["ZRANGESTORE", "cz5", "cz", "5", "9"],
    ["SET", "cz5", "v", "PXAT", "1"],
    ["ZUNIONSTORE", "cz5", "1", "missing"],
  ];
  const steps: Step[] = lines.map((cmd, i) => ({ via: i % 3 === 2 ? "sub3" : "exec", cmd }));
  // Pops with a count run by the RESP3 subscriber: where the pushes fall in the reply matters.
  for (
    const cmd of [
      ["ZADD", "cq", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g"],
      ["ZPOPMIN", "cq", "2"],
      ["ZMPOP", "1", "cq", "MAX", "COUNT", "2"],
      ["BZPOPMIN", "cq", "0"],
      ["BZMPOP", "0", "1", "cq", "MIN", "COUNT", "5"],
      ["RPUSH", "cr", "a", "b", "c", "d", "e", "f", "g"],
      ["LPOP", "cr", "2"],
      ["LMPOP", "1", "cr", "RIGHT", "COUNT", "2"],
      ["BLMPOP", "0", "1", "cr", "LEFT", "COUNT", "2"],
    ]
  ) steps.push({ via: "sub3", cmd });
  return steps;
}

/** SPOP picks at random: only forms whose effect on the keyspace is certain. */
const SPOP_STEPS: Step[] = [
  { via: "exec", cmd: ["SADD", "sp", "a", "b", "c"] },
  { via: "exec", cmd: ["SPOP", "sp"], randomReply: true },
  { via: "exec", cmd: ["SPOP", "sp", "1"], randomReply: true },
  { via: "exec", cmd: ["SPOP", "sp", "0"] },
  { via: "exec", cmd: ["SPOP", "sp"], randomReply: true },
  { via: "exec", cmd: ["SPOP", "sp"] },
  { via: "exec", cmd: ["SADD", "sp", "a", "b", "c"] },
  { via: "exec", cmd: ["SPOP", "sp", "5"], randomReply: true },
  { via: "exec", cmd: ["SADD", "sp", "a", "b", "c", "d"] },
  { via: "sub3", cmd: ["SPOP", "sp", "4"], randomReply: true },
  { via: "exec", cmd: ["SADD", "sp", "a"] },
  { via: "sub3", cmd: ["SPOP", "sp", "1"] },
  { via: "exec", cmd: ["SPOP", "missing"] },
];

function zsetCmd(r: Prng): Cmd {
  const k = pick(r, ZST);
  const k2 = pick(r, ZST);
  const m = pick(r, ["a", "b", "c"]);
  switch (r.int(22)) {
    case 0:
    case 1:
      return ["ZADD", k, pick(r, ["1", "2"]), m, "3", pick(r, ["b", "c", "d"])];
    case 2:
      return ["ZADD", k, pick(r, ["NX", "XX", "GT", "LT", "CH"]), pick(r, ["0", "5"]), m];
    case 3:
      return ["ZADD", k, "INCR", pick(r, ["1", "-1"]), m];
    case 4:
      return ["ZADD", k, "XX", "INCR", "1", m];
    case 5:
      return ["ZINCRBY", k, pick(r, ["2", "0"]), m];
    case 6:
      // +inf plus -inf: the NaN error.
      return pick(r, [["ZADD", k, "+inf", "i"], ["ZINCRBY", k, "-inf", "i"]]);
    case 7:
      return ["ZREM", k, m, pick(r, ["a", "nope"])];
    case 8:
      return ["ZREMRANGEBYSCORE", k, pick(r, ["-inf", "2"]), pick(r, ["1", "+inf"])];
    case 9:
      return ["ZREMRANGEBYRANK", k, pick(r, ["0", "5"]), pick(r, ["0", "-1"])];
    case 10:
      return ["ZREMRANGEBYLEX", k, pick(r, ["-", "[b"]), pick(r, ["[b", "+"])];
    case 11:
      return [pick(r, ["ZPOPMIN", "ZPOPMAX"]), k, ...pick(r, [[], ["0"], ["1"], ["2"], ["9"]])];
    case 12:
      return ["ZMPOP", "2", k, k2, pick(r, ["MIN", "MAX"]), ...pick(r, [[], ["COUNT", "5"]])];
    case 13:
      return [pick(r, ["BZPOPMIN", "BZPOPMAX"]), k, k2, "0.01"];
    case 14:
      return ["BZMPOP", "0.01", "1", k, pick(r, ["MIN", "MAX"]), "COUNT", "2"];
    case 15:
      return [pick(r, ["ZINTERSTORE", "ZUNIONSTORE"]), pick(r, ZST), "2", k, k2];
    case 16:
      return ["ZDIFFSTORE", pick(r, ZST), "2", k, k2];
    case 17:
      return ["ZUNIONSTORE", pick(r, ZST), "2", k, pick(r, SET), "WEIGHTS", "1", "2"];
    case 18:
      return ["ZRANGESTORE", pick(r, ZST), k, pick(r, ["0", "5"]), "-1"];
    case 19:
      return ["ZRANGESTORE", pick(r, ZST), pick(r, ["missing", k]), "(1", "+inf", "BYSCORE"];
    case 20:
      return pick(r, [["ZSCORE", k, m], ["ZCARD", k], ["ZADD", pick(r, SET), "1", "x"]]);
    default:
      return ["DEL", k];
  }
}

/** A transaction run by the RESP3 subscriber: its pushes land inside EXEC's reply. */
const MULTI_STEPS: Step[] = [
  {
    via: "sub3",
    cmd: ["MULTI"],
    then: [["SET", "mx", "1"], ["INCR", "mx"], ["LPUSH", "ml", "a"], ["DEL", "mx", "ml"], ["EXEC"]],
  },
  {
    via: "exec",
    cmd: ["MULTI"],
    then: [["SADD", "ms", "a"], ["SREM", "ms", "a"], ["ZADD", "mz", "1", "a"], ["EXEC"]],
  },
];

function familySteps(
  r: Prng,
  n: number,
  gen: (r: Prng) => Cmd,
): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < n; i++) out.push({ via: r.chance(0.3) ? "sub3" : "exec", cmd: gen(r) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expiry and blocked clients (steps with waits between them)

/**
 * Keys given one absolute expiry a little ahead (in one transaction, so the time they take to
 * set up never reaches it), the wait for both clocks to pass it, then accesses.
 */
async function lazyExpiry(ls: Lockstep): Promise<void> {
  const deadline = (await ls.redis.nowMs()) + 250;
  const at = String(deadline);
  await ls.step({
    via: "sub3",
    cmd: ["MULTI"],
    then: [
      ["SET", "e1", "v", "PXAT", at],
      ["SADD", "e2", "a"],
      ["PEXPIREAT", "e2", at],
      ["RPUSH", "e3", "a"],
      ["PEXPIREAT", "e3", at],
      ["HSET", "e4", "f", "v"],
      ["PEXPIREAT", "e4", at],
      ["ZADD", "e5", "1", "a"],
      ["PEXPIREAT", "e5", at],
      ["SET", "e6", "v", "PXAT", at],
      ["SET", "e7", "1", "PXAT", at],
      ["SET", "e8", "v", "PXAT", at],
      ["SET", "e9", "v", "PXAT", at],
      ["EXEC"],
    ],
  });
  for (const s of [ls.redis, ls.node]) {
    await waitFor(`${s.label}'s clock past ${deadline}`, async () => await s.nowMs() > deadline);
  }
  await ls.steps([
    { via: "exec", cmd: ["GET", "e1"] },
    { via: "sub3", cmd: ["SADD", "e2", "b"] },
    { via: "exec", cmd: ["RPUSH", "e3", "b"] },
    { via: "exec", cmd: ["HDEL", "e4", "f"] },
    { via: "sub3", cmd: ["ZSCORE", "e5", "a"] },
    { via: "exec", cmd: ["SET", "e6", "w"] },
    { via: "exec", cmd: ["INCR", "e7"] },
    { via: "sub3", cmd: ["MGET", "e8", "e1"] },
    { via: "exec", cmd: ["EXISTS", "e9", "e8"] },
    { via: "exec", cmd: ["DBSIZE"] },
  ]);
}

/** Keys with a short TTL deleted by the active expire cycle (in its dict order: a multiset). */
async function activeExpiry(ls: Lockstep): Promise<void> {
  await ls.steps([
    { via: "exec", cmd: ["FLUSHALL"] },
    { via: "exec", cmd: ["SET", "a1", "v", "PX", "30"] },
    { via: "exec", cmd: ["SADD", "a2", "m"] },
    { via: "exec", cmd: ["PEXPIRE", "a2", "30"] },
    { via: "exec", cmd: ["ZADD", "a3", "1", "m"] },
    { via: "exec", cmd: ["PEXPIRE", "a3", "30"] },
    { via: "exec", cmd: ["DEBUG", "SET-ACTIVE-EXPIRE", "1"] },
  ]);
  for (const s of [ls.redis, ls.node]) {
    await waitFor(`${s.label}'s active expiry`, async () => {
      const r = await s.exec.callRaw("DBSIZE");
      return r.type === "int" && r.value === 0;
    });
  }
  await ls.compareCollected("active expire cycle", true);
  await ls.step({ via: "exec", cmd: ["DEBUG", "SET-ACTIVE-EXPIRE", "0"] });
}

/** Wait until the server has `n` blocked clients. */
async function blockedClients(s: Side, n: number): Promise<void> {
  await waitFor(`${s.label}: ${n} blocked client(s)`, async () => {
    const r = await s.exec.callRaw("INFO", "clients");
    const text = r.type === "bulk" ? new TextDecoder().decode(r.value) : "";
    return text.includes(`blocked_clients:${n}\r\n`);
  });
}

/** A client blocks, another command serves it: the served pop's events follow the push's. */
async function servedLater(ls: Lockstep, block: Cmd, feed: Cmd[]): Promise<void> {
  for (const s of [ls.redis, ls.node]) {
    await s.blocker.writeRaw(encodeCommand(block));
    await blockedClients(s, 1);
  }
  for (const c of feed) {
    const want: string[] = [];
    const got: string[] = [];
    for (const [s, out] of [[ls.redis, want], [ls.node, got]] as const) {
      out.push(`exec: ${show(await s.exec.callRaw(...c))}`);
    }
    ls.record(`exec ${cmdText(c)} (blocked: ${cmdText(block)})`, want, got);
  }
  const want = [`blocker: ${show((await ls.redis.blocker.readValue())!)}`];
  const got = [`blocker: ${show((await ls.node.blocker.readValue())!)}`];
  ls.record(`blocked ${cmdText(block)} served`, want, got);
  await ls.compareCollected(`events of ${cmdText(block)} served`);
}

async function blockingServedLater(ls: Lockstep): Promise<void> {
  await servedLater(ls, ["BLPOP", "bl1", "bl2", "0"], [["RPUSH", "bl2", "a"]]);
  await servedLater(ls, ["BRPOP", "bl1", "0"], [["RPUSH", "bl1", "a", "b"]]);
  await servedLater(ls, ["BLMOVE", "bl3", "bl4", "LEFT", "RIGHT", "0"], [["LPUSH", "bl3", "x"]]);
  await servedLater(ls, ["BLMPOP", "0", "1", "bl5", "LEFT", "COUNT", "5"], [
    ["RPUSH", "bl5", "1", "2"],
  ]);
  await servedLater(ls, ["BZPOPMIN", "bz1", "0"], [["ZADD", "bz1", "1", "a", "2", "b"]]);
  await servedLater(ls, ["BZMPOP", "0", "1", "bz2", "MAX", "COUNT", "3"], [
    ["ZADD", "bz2", "1", "a"],
  ]);
  // Served by a MULTI's push: the pop's events come after the transaction's.
  await servedLater(ls, ["BRPOPLPUSH", "bl6", "bl6", "0"], [
    ["MULTI"],
    ["RPUSH", "bl6", "a"],
    ["RPUSH", "bl6", "b"],
    ["EXEC"],
  ]);
}

// ---------------------------------------------------------------------------------------------
// The servers

interface Pair {
  redis: SpawnedProcess;
  node: InProcessNode;
  target: SpawnedProcess;
  sides: [Side, Side];
}

async function startPair(directives: Record<string, string> = {}): Promise<Pair> {
  const redis = await spawnRedis({ "enable-debug-command": "yes", ...directives });
  const target = await spawnRedis();
  const node = await startNode(directives);
  const redisTime = async (c: RespClient) => {
    const r = await c.callRaw("TIME");
    if (r.type !== "array") throw new Error("TIME");
    const [s, us] = r.value.map((v) =>
      Number(new TextDecoder().decode((v as { value: Uint8Array }).value))
    );
    return s * 1000 + Math.floor(us / 1000);
  };
  const rs = await openSide("redis-server", redis.port, () => redisTime(rs.exec));
  const ns = await openSide("node", node.port, () => Promise.resolve(node.server.now()));
  return { redis, node, target, sides: [rs, ns] };
}

async function stopPair(p: Pair): Promise<void> {
  for (const s of p.sides) closeSide(s);
  await p.node.stop();
  await p.redis.stop();
  await p.target.stop();
}

/** A DUMP payload both servers accept (made by redis-server with notifications off). */
async function dumpPayload(s: Side): Promise<Uint8Array> {
  await s.exec.callRaw("SET", "dump-src", "restored");
  const r = await s.exec.callRaw("DUMP", "dump-src");
  await s.exec.callRaw("DEL", "dump-src");
  if (r.type !== "bulk") throw new Error("DUMP");
  return r.value;
}

async function setFlags(ls: Lockstep, flags: string): Promise<void> {
  await ls.step({ via: "exec", cmd: ["CONFIG", "SET", "notify-keyspace-events", flags] });
  await ls.step({ via: "exec", cmd: ["CONFIG", "GET", "notify-keyspace-events"] });
}

Deno.test("keyspace notifications: every command family under several class sets, like redis-server (RESP2 and RESP3)", async () => {
  if (!haveRedisServer()) return;
  const seed = Number(Deno.env.get("NOTIFY_COMPARE_SEED") ?? 20260107);
  const p = await startPair();
  try {
    const [rs, ns] = p.sides;
    const payload = await dumpPayload(rs);
    let total = 0;
    for (let i = 0; i < COMBOS.length; i++) {
      const flags = COMBOS[i];
      const r = new Prng(seed + i * 7919);
      const ls = new Lockstep(rs, ns, `seed ${seed}, notify-keyspace-events '${flags}'`);
      await ls.step({ via: "exec", cmd: ["FLUSHALL"] });
      await setFlags(ls, flags);
      await ls.steps(coverageSteps(payload));
      await ls.steps(familySteps(r, 60, stringCmd));
      await ls.steps(familySteps(r, 60, (r) => keysCmd(r, payload, p.target.port)));
      await ls.steps(familySteps(r, 70, listCmd));
      await ls.steps(familySteps(r, 40, hashCmd));
      await ls.steps(familySteps(r, 50, setCmd));
      await ls.steps(SPOP_STEPS);
      await ls.steps(familySteps(r, 70, zsetCmd));
      await ls.steps(MULTI_STEPS);
      for (let j = 0; j < 8; j++) {
        await ls.step({ via: "exec", cmd: ["SET", pick(r, ALL), "v", "PXAT", "1"] });
        await ls.steps(Array.from({ length: 8 }, () => readStep(r)));
      }
      await blockingServedLater(ls);
      await lazyExpiry(ls);
      await activeExpiry(ls);
      // FLUSHALL and FLUSHDB notify nothing.
      await ls.steps([
        { via: "exec", cmd: ["SET", "f1", "v"] },
        { via: "exec", cmd: ["FLUSHALL"] },
        { via: "exec", cmd: ["SET", "f1", "v"] },
        { via: "sub3", cmd: ["FLUSHDB"] },
      ]);
      if (flags === "AKEn") {
        const missing = EVENTS.filter((e) => !ls.events.has(e));
        assert.deepEqual(missing, [], `seed ${seed} never produced these events`);
      }
      if (flags === "KEm") assert.deepEqual([...ls.events], ["keymiss"]);
      if (flags === "") assert.equal(ls.frames, 0, "no class set: no notification");
      else assert.ok(ls.frames > 20, `'${flags}' produced only ${ls.frames} notifications`);
      total += ls.frames;
    }
    assert.ok(total > 1000, `only ${total} notifications in all`);
  } finally {
    await stopPair(p);
  }
});

Deno.test("notify-keyspace-events: CONFIG SET errors, CONFIG GET canonical forms, like redis-server", async () => {
  if (!haveRedisServer()) return;
  const p = await startPair();
  try {
    const [rs, ns] = p.sides;
    const ls = new Lockstep(rs, ns, "CONFIG");
    for (
      const v of [
        "KEA",
        "AKE",
        "Agn",
        "n",
        "Kn",
        "$lshzxeKEtmdn",
        "g$lshzxeKEtmdnd",
        "gK",
        "Em",
        "xe",
        "",
        "kea",
        "K E",
        "zzq",
        "A!",
        "\u00e9",
        "KEA",
      ]
    ) {
      await ls.step({ via: "exec", cmd: ["CONFIG", "SET", "notify-keyspace-events", v] });
      await ls.step({ via: "sub3", cmd: ["CONFIG", "GET", "notify-keyspace-events"] });
      await ls.step({ via: "exec", cmd: ["CONFIG", "GET", "notify-*"] });
    }
    // All or nothing: a bad value leaves the other directive of the same CONFIG SET alone.
    await ls.step({
      via: "exec",
      cmd: ["CONFIG", "SET", "notify-keyspace-events", "Kx", "maxmemory-samples", "0"],
    });
    await ls.step({ via: "exec", cmd: ["CONFIG", "GET", "notify-keyspace-events"] });
    await ls.step({
      via: "exec",
      cmd: ["CONFIG", "SET", "maxmemory-samples", "7", "notify-keyspace-events", "Kq"],
    });
    await ls.step({ via: "exec", cmd: ["CONFIG", "GET", "maxmemory-samples"] });
  } finally {
    await stopPair(p);
  }
});

Deno.test("notify-keyspace-events at start: the classes apply from the first command, bad ones are fatal like redis-server", async () => {
  if (!haveRedisServer()) return;
  const p = await startPair({ "notify-keyspace-events": "KEg$n" });
  try {
    const [rs, ns] = p.sides;
    const ls = new Lockstep(rs, ns, "started with KEg$n");
    await ls.steps([
      { via: "exec", cmd: ["CONFIG", "GET", "notify-keyspace-events"] },
      { via: "exec", cmd: ["SET", "k", "v"] },
      { via: "sub3", cmd: ["RENAME", "k", "k2"] },
      { via: "exec", cmd: ["LPUSH", "l", "a"] },
    ]);
    assert.ok(ls.events.has("new") && ls.events.has("rename_to") && !ls.events.has("lpush"));
  } finally {
    await stopPair(p);
  }
  const dir = await tempDir("notify-conf");
  try {
    for (
      const line of [
        "notify-keyspace-events kq",
        "notify-keyspace-events K E",
        "notify-keyspace-events",
      ]
    ) {
      const path = `${dir}/bad.conf`;
      await Deno.writeTextFile(path, `${line}\n`);
      const real = await run("redis-server", [path], { timeoutMs: 10000 });
      assert.equal(real.code, 1);
      let mine = "";
      try {
        new Config().load(line + "\n", []);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        mine = e.render(REDIS_VERSION) + "\n";
      }
      assert.equal(mine, real.stderr, line);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("notify-keyspace-events in CONFIG REWRITE: canonical classes, always quoted (as redis-server writes them)", () => {
  const d = findDirective("notify-keyspace-events")!;
  // What redis-server 7.0.15 wrote after CONFIG SET Kx / "" / KEA and CONFIG REWRITE.
  assert.equal(rewriteLine(d, "Kx"), 'notify-keyspace-events "xK"');
  assert.equal(rewriteLine(d, ""), 'notify-keyspace-events ""');
  assert.equal(rewriteLine(d, "KEA"), 'notify-keyspace-events "AKE"');
  const c = new Config();
  c.load("notify-keyspace-events Agn\n", []);
  assert.equal(rewriteLine(d, c.get("notify-keyspace-events")), 'notify-keyspace-events "A"');
});
