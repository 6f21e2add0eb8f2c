/**
 * SORT and SORT_RO (commands/sort.ts) against a real redis-server 7.0.15:
 * - the pure parts (weights, patterns, C-string keywords, sortGetKeys) on their own (pqsort in
 *   commands/pqsort_test.ts);
 * - a fixed script of edge cases (errors, LIMIT bounds, C-string options and patterns, weights,
 *   pqsort ties over 6, 20 and 60 elements, STORE, scripts, MULTI, COMMAND INFO/GETKEYS/DOCS),
 *   replies compared exactly (RESP3 sets told from arrays) in RESP2 and RESP3;
 * - a seeded differential fuzz (lists, sets, sorted sets, weight/GET/hash keys, every option,
 *   bad arguments, wrong types, SORT from a script, COMMAND GETKEYS), pipelined, replies compared
 *   in RESP2 and RESP3 and DEBUG DIGEST after each batch. The seed is in every failure message.
 *   Where Redis's answer depends on a set's (or a sorted set's dict's) iteration order, which is
 *   its intset's or hash table's and not ours, the replies are compared order-insensitively: an
 *   unsorted set (BY a constant pattern, no STORE) and ALPHA BY a pattern over a set or sorted
 *   set (ties keep the input order). With a LIMIT the selected elements themselves depend on
 *   that order, so only the reply's length is compared then. Lists are always compared exactly,
 *   ties and pqsort included.
 *   Redis tests errno == ERANGE without clearing it (sort.c), so one ERANGE anywhere makes its
 *   later numeric SORTs fail until errno changes; the fuzz clears errno before each SORT with a
 *   no-op `ZADD __errno XX 1 x` (getDoubleFromObject sets errno = 0).
 * - keyspace events (sortstore, del, keymiss, new), keyspace hits/misses and the replication
 *   stream of SORT ... STORE (propagated as is, only when it changed something);
 * - cluster mode: our one-node cluster and a cluster-enabled redis-server owning every slot.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { haveRedisServer, pipelined, RespClient, spawnRedis, startNode } from "./harness.ts";
import { type Cmd, cmdText, show, untilMarker } from "./compare.ts";
import {
  CONVERSION_ERROR,
  isCKeyword,
  parsePattern,
  sortGetKeys,
  sortWeight,
  strcmpC,
} from "../commands/sort.ts";
import { prng } from "./prng.ts";
import { fromLatin1 } from "../protocol/bytes.ts";
import { ownAllSlots } from "./cluster_fixture.ts";

/**
 * A redis-server in the C locale: Redis calls setlocale(LC_COLLATE, ""), so its ALPHA order is
 * strcoll's in its environment's locale, and what we emulate is the C locale's (byte order).
 */
async function spawnRedisC(directives: Record<string, string>) {
  const before = Deno.env.get("LC_ALL");
  Deno.env.set("LC_ALL", "C");
  try {
    return await spawnRedis(directives);
  } finally {
    if (before === undefined) Deno.env.delete("LC_ALL");
    else Deno.env.set("LC_ALL", before);
  }
}

const bin = fromLatin1;
const argvOf = (c: Cmd) => c.map((a) => typeof a === "string" ? bin(a) : a);

/** show(), telling RESP3 sets and pushes from arrays (show() renders them alike). */
function strict(v: RespValue): string {
  switch (v.type) {
    case "array":
      return `*[${v.value.map(strict).join(",")}]`;
    case "set":
      return `~[${v.value.map(strict).join(",")}]`;
    case "push":
      return `>[${v.value.map(strict).join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, x]) => `${strict(k)}:${strict(x)}`).join(",")}}`;
    default:
      return show(v);
  }
}

// ---------------------------------------------------------------- pure parts

Deno.test("sort: weights, patterns and keywords read as C strings", () => {
  assert.equal(sortWeight(bin("")), 0);
  assert.equal(sortWeight(bin("1.5\0junk")), 1.5);
  assert.equal(sortWeight(bin(" 7")), 7);
  assert.equal(sortWeight(bin("7 ")), null);
  assert.equal(sortWeight(bin("0x10")), 16);
  assert.equal(sortWeight(bin("-inf")), -Infinity);
  assert.equal(sortWeight(bin("nan")), null);
  assert.equal(sortWeight(bin("1e400")), null);
  assert.equal(sortWeight(bin("1e-400")), null);
  assert.equal(sortWeight(bin("1e-310")), null, "inexact underflow: ERANGE");
  assert.equal(sortWeight(bin("0x1p-1074")), 5e-324, "an exact subnormal is fine");
  assert.equal(sortWeight(bin("0x1.8p-1074")), null);
  assert.equal(sortWeight(bin("0e-400")), 0);
  assert.equal(sortWeight(bin("abc")), null);

  assert.deepEqual(parsePattern("#"), { ...parsePattern("#\0x") });
  assert.equal(parsePattern("#").self, true);
  assert.equal(parsePattern("##").constant, true);
  assert.equal(parsePattern("w\0*").constant, true);
  assert.deepEqual(parsePattern("h_*->f\0g"), {
    self: false,
    constant: false,
    prefix: "h_",
    postfix: "",
    field: "f\0g",
  });
  assert.equal(parsePattern("h_*->").field, null, "an empty field: a plain key");
  assert.equal(parsePattern("h_*->").postfix, "->");
  assert.equal(parsePattern("h_*->\0f").field, null);
  assert.equal(parsePattern("h->_*").field, null, "the arrow must follow the star");
  assert.equal(parsePattern("a*b*->c").postfix, "b*");

  assert.ok(isCKeyword(bin("DESC\0x"), "desc"));
  assert.ok(!isCKeyword(bin("DESCx"), "desc"));
  assert.ok(!isCKeyword(bin("DES"), "desc"));
  assert.ok(strcmpC("a\0b", "a\0c") === 0 && strcmpC("a", "a\0z") === 0);
  assert.ok(strcmpC("\xff", "a") > 0 && strcmpC("ab", "a") > 0 && strcmpC("", "a") < 0);

  const keys = (line: string[]) => sortGetKeys(line.map(bin));
  assert.deepEqual(keys(["sort", "k"]), [1]);
  assert.deepEqual(keys(["sort", "k", "store", "a", "STORE", "b"]), [1, 5]);
  assert.deepEqual(keys(["sort", "k", "limit", "store", "b", "x"]), [1]);
  assert.deepEqual(keys(["sort", "k", "get", "store", "x"]), [1]);
  assert.deepEqual(keys(["sort", "k", "store"]), [1]);
  assert.deepEqual(keys(["sort", "k", "store\0x", "d"]), [1, 3]);
});

// ---------------------------------------------------------------- reference pair

interface Pair {
  ours: RespClient;
  theirs: RespClient;
  stop(): Promise<void>;
}

async function startPair(proto: 2 | 3): Promise<Pair> {
  const node = await startNode();
  const redis = await spawnRedisC({ "enable-debug-command": "yes" });
  const ours = await RespClient.connect(node.port);
  const theirs = await RespClient.connect(redis.port);
  if (proto === 3) {
    await ours.callRaw("HELLO", "3");
    await theirs.callRaw("HELLO", "3");
  }
  return {
    ours,
    theirs,
    async stop() {
      ours.close();
      theirs.close();
      await node.stop();
      await redis.stop();
    },
  };
}

/** Send the commands pipelined to one server; their replies in order. */
function pipeline(c: RespClient, cmds: Cmd[]): Promise<RespValue[]> {
  return pipelined(c, cmds.map(argvOf), 20_000);
}

// ---------------------------------------------------------------- edge cases

const EDGE: Cmd[] = [
  ["SORT"],
  ["SORT_RO"],
  ["SORT", "nokey"],
  ["SORT", "nokey", "STORE", "dst"],
  ["SORT_RO", "nokey", "BY", "w_*", "GET", "#"],
  ["RPUSH", "l", "3", "1", "2", "10", "-1", "2.5"],
  ["SORT", "l"],
  ["SORT", "l", "DESC"],
  ["SORT", "l", "desc", "asc"],
  ["SORT", "l", "ALPHA"],
  ["SORT", "l", "LIMIT", "1", "2"],
  ["SORT", "l", "LIMIT", "-5", "2"],
  ["SORT", "l", "LIMIT", "2", "-5"],
  ["SORT", "l", "LIMIT", "6", "1"],
  ["SORT", "l", "LIMIT", "5", "100"],
  ["SORT", "l", "LIMIT", "0", "0"],
  ["SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807"],
  ["SORT", "l", "LIMIT", "-9223372036854775808", "-9223372036854775808"],
  ["SORT", "l", "LIMIT", "9223372036854775808", "1"],
  ["SORT", "l", "LIMIT", "x", "1"],
  ["SORT", "l", "LIMIT", "1", "1.5"],
  ["SORT", "l", "LIMIT", "1"],
  ["SORT", "l", "LIMIT"],
  ["SORT", "l", "BY"],
  ["SORT", "l", "GET"],
  ["SORT", "l", "STORE"],
  ["SORT", "l", "foo"],
  ["SORT", "l", "DESC\0junk"],
  ["SORT", "l", "DESCjunk"],
  ["SORT_RO", "l", "STORE", "dst"],
  ["SORT_RO", "l", "LIMIT", "0", "2", "DESC"],
  ["SORT", "l", "BY", "nosort"],
  ["SORT", "l", "BY", "nosort", "DESC"],
  ["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
  ["SORT", "l", "BY", "nosort", "LIMIT", "4", "10"],
  ["SORT", "l", "BY", "nosort", "LIMIT", "10", "1"],
  ["SORT", "l", "BY", "#"],
  ["SORT", "l", "BY", "w\0*"],
  ["SORT", "l", "BY", "nosort", "BY", "w_*"],
  ["MSET", "w_3", "-1", "w_1", "7", "w_10", "0.5", "w_2.5", ""],
  ["SORT", "l", "BY", "w_*"],
  ["SORT", "l", "BY", "w_*", "DESC"],
  ["SORT", "l", "BY", "w_*", "ALPHA"],
  ["SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", "1", "3"],
  ["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "nosuch"],
  ["SORT", "l", "BY", "w_*", "GET", "#", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "l", "BY", "w_*", "GET", "nosuch", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "l", "GET", "nosuch"],
  ["SORT", "l", "GET", "*"],
  ["SET", "w_2", "1e400"],
  ["SORT", "l", "BY", "w_*"],
  ["ZADD", "__errno", "XX", "1", "x"],
  ["SORT", "l", "BY", "w_*", "ALPHA"],
  ["SET", "w_2", "nan"],
  ["SORT", "l", "BY", "w_*"],
  ["ZADD", "__errno", "XX", "1", "x"],
  ["SET", "w_2", "1e-310"],
  ["SORT", "l", "BY", "w_*", "STORE", "dst"],
  ["ZADD", "__errno", "XX", "1", "x"],
  ["EXISTS", "dst"],
  ["SET", "w_2", "0x10"],
  ["SORT", "l", "BY", "w_*"],
  ["SET", "w_2", " 8"],
  ["SORT", "l", "BY", "w_*"],
  ["SET", "w_2", "8 "],
  ["SORT", "l", "BY", "w_*"],
  ["ZADD", "__errno", "XX", "1", "x"],
  ["SET", "w_2", "9\0zz"],
  ["SORT", "l", "BY", "w_*"],
  ["HSET", "h_1", "f", "one", "w", "5"],
  ["HSET", "h_3", "f", "three", "w", "-5"],
  ["HSET", "h_10", "w", "x"],
  ["SORT", "l", "BY", "h_*->w", "GET", "h_*->f", "GET", "#"],
  ["SORT", "l", "BY", "h_*->f", "ALPHA", "GET", "h_*->f"],
  ["SORT", "l", "BY", "h_*->w"],
  ["ZADD", "__errno", "XX", "1", "x"],
  ["SORT", "l", "GET", "h_*->"],
  ["RPUSH", "w_-1", "x"],
  ["HSET", "g_3", "a", "b"],
  ["SET", "h_2", "str"],
  ["SORT", "l", "BY", "w_*", "GET", "g_*", "GET", "h_*->f", "GET", "w_*"],
  ["SORT", "l", "BY", "h_*->w", "ALPHA", "DESC", "GET", "h_*->w"],
  ["SORT", "l", "GET", "h_*->nosuch", "GET", "#\0x", "GET", "##"],
  ["SORT", "l", "BY", "h_*->f\0g", "ALPHA"],
  ["RPUSH", "la", "b", "a\0c", "a\0b", "\xff", "\x80", "A", "", "a"],
  ["SORT", "la", "ALPHA"],
  ["SORT", "la", "ALPHA", "DESC"],
  ["SORT", "la", "ALPHA", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "la"],
  ["SORT", "la", "BY", "x_*", "ALPHA", "LIMIT", "2", "3"],
  ["SORT", "la", "BY", "x_*", "ALPHA", "DESC"],
  ["SADD", "s", "5", "3", "10", "-2"],
  ["SORT", "s"],
  ["SORT", "s", "DESC", "LIMIT", "1", "2"],
  ["SORT", "s", "ALPHA"],
  ["SORT", "s", "BY", "nosort", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["SORT", "s", "BY", "nosort", "DESC", "STORE", "dst"],
  ["LRANGE", "dst", "0", "-1"],
  ["EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort')", "1", "s"],
  ["EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc', 'limit', 1, 2)", "1", "s"],
  ["EVAL", "return redis.pcall('sort', KEYS[1], 'by', 'w_*', 'limit', 'x', 1)", "1", "s"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"],
  ["OBJECT", "ENCODING", "z"],
  ["SORT", "z", "ALPHA"],
  ["OBJECT", "ENCODING", "z"],
  ["ZADD", "z2", "1", "10", "2", "9", "3", "8"],
  ["SORT_RO", "z2", "BY", "nosort"],
  ["OBJECT", "ENCODING", "z2"],
  ["SORT", "z", "BY", "nosort", "DESC"],
  ["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"],
  ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
  ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "4", "5"],
  ["SORT", "z", "BY", "nosort", "LIMIT", "5", "1"],
  ["SORT", "z", "BY", "nosort", "LIMIT", "0", "0", "STORE", "dst"],
  ["EXISTS", "dst"],
  ["SORT", "z"],
  ["SET", "str", "x"],
  ["SORT", "str"],
  ["SORT", "str", "foo"],
  ["SORT", "str", "LIMIT", "x", "1"],
  ["HSET", "h", "a", "b"],
  ["SORT_RO", "h"],
  ["SORT", "l", "STORE", "str"],
  ["TYPE", "str"],
  ["LRANGE", "str", "0", "-1"],
  ["SET", "ttl", "x", "EX", "1000"],
  ["SORT", "l", "STORE", "ttl"],
  ["TTL", "ttl"],
  ["SORT", "l", "STORE", "a", "STORE", "b"],
  ["EXISTS", "a", "b"],
  ["MULTI"],
  ["SORT", "l", "STORE", "m"],
  ["SORT_RO", "m", "DESC"],
  ["EXEC"],
  ["COMMAND", "GETKEYS", "SORT", "k", "STORE", "d", "LIMIT", "0", "1", "STORE", "e"],
  ["COMMAND", "GETKEYS", "SORT", "k", "GET", "store", "x"],
  ["COMMAND", "GETKEYS", "SORT_RO", "k", "STORE", "d"],
  ["COMMAND", "GETKEYS", "SORT", "k", "BY"],
  ["COMMAND", "INFO", "sort", "sort_ro"],
  // Ties under pqsort (BY + LIMIT): its insertion sort (n < 7), median of three (n <= 40) and
  // ninther (n > 40) paths, many missing and equal weights.
  ...[6, 7, 20, 60].flatMap((n): Cmd[] => {
    const k = `big${n}`;
    const elems = Array.from({ length: n }, (_, i) => `e${(i * 37) % n}`);
    const weights = elems.filter((_, i) => i % 3 !== 0).flatMap((
      e,
      i,
    ) => [`pw_${e}`, "abc"[i % 3]]);
    return [
      ["RPUSH", k, ...elems],
      ["MSET", ...weights],
      ["SORT", k, "BY", "pw_*", "ALPHA", "LIMIT", "1", "3"],
      ["SORT", k, "BY", "pw_*", "ALPHA", "LIMIT", String(n >> 1), "5"],
      ["SORT", k, "BY", "pw_*", "ALPHA", "DESC", "LIMIT", "0", String(n - 2)],
      ["SORT", k, "BY", "pw_*", "ALPHA", "LIMIT", String(n - 3), "20", "GET", "#", "GET", "pw_*"],
      ["SORT", k, "BY", "pw_*", "ALPHA", "LIMIT", "2", String(n >> 2), "STORE", "dst"],
      ["LRANGE", "dst", "0", "-1"],
      ["SORT", k, "BY", "pw_*", "ALPHA"],
      ["SORT", k, "BY", "pw_*", "LIMIT", "1", String(n >> 1)],
    ];
  }),
];

for (const proto of [2, 3] as const) {
  Deno.test({
    name: `sort: edge cases match redis-server (RESP${proto})`,
    ignore: !haveRedisServer(),
    fn: async () => {
      const p = await startPair(proto);
      try {
        const script = EDGE;
        const [a, b] = await Promise.all([pipeline(p.ours, script), pipeline(p.theirs, script)]);
        for (let i = 0; i < script.length; i++) {
          assert.equal(strict(a[i]), strict(b[i]), `#${i}: ${cmdText(script[i])}`);
        }
        // Only summary, since and group (complexity, arguments... are not written here).
        const docs = (v: RespValue) =>
          ["summary", "since", "group"].map((k) =>
            new RegExp(`\\$"${k}"[:,](\\$"[^"]*")`).exec(show(v))?.[1]
          ).join(" ");
        const [da, db] = [
          await p.ours.callRaw("COMMAND", "DOCS", "sort_ro"),
          await p.theirs.callRaw("COMMAND", "DOCS", "sort_ro"),
        ];
        assert.equal(docs(da), docs(db), "COMMAND DOCS summary, since, group");
        assert.equal(
          show(await p.ours.callRaw("DEBUG", "DIGEST")),
          show(await p.theirs.callRaw("DEBUG", "DIGEST")),
        );
      } finally {
        await p.stop();
      }
    },
  });
}

// ---------------------------------------------------------------- fuzz

const NUMS = ["1", "2", "3", "5", "10", "-1", "-7", "0", "2.5", "100", "11", "20"];
const LIST_ELEMS = [
  ...NUMS,
  "a",
  "b",
  "B",
  "aa",
  "",
  "x y",
  "\xff",
  "\x80a",
  "1e400",
  "inf",
  "0x10",
  " 3",
  "1\0x",
  "a\0b",
  "a\0c",
];
/** No NUL bytes in set members: strcoll ties between different members follow set order. */
const SET_MEMBERS = [...NUMS, "a", "b", "B", "aa", "\xff", "\x80a", "inf", "0x10", " 3", ""];
const WEIGHTS_GOOD = [
  "1",
  "2",
  "-3",
  "10",
  "2.5",
  "0",
  "-0",
  "1e3",
  "inf",
  "-inf",
  "",
  " 4",
  "3.0",
];
const WEIGHTS_BAD = ["abc", "4 ", "1\0z", "1e400", "1e-310", "nan", "0x10", "9007199254740993"];
const BY_PATTERNS = [
  "w_*",
  "w_*",
  "h_*->w",
  "h_*->f",
  "nosort",
  "w_*->",
  "*",
  "w\0*",
  "h_*->",
  "x_*",
  "#",
];
const GET_PATTERNS = [
  "#",
  "#",
  "g_*",
  "h_*->f",
  "h_*->w",
  "w_*",
  "nosuch",
  "#\0x",
  "g_*\0",
  "h_*->\0",
  "*",
  "h_*->nosuch",
];
const LIMIT_ARGS = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "-1",
  "-5",
  "100",
  "0",
  "1",
  "2",
  "9223372036854775807",
];
const LIMIT_BAD = ["x", "1.5", "", " 1", "9223372036854775808"];
const LISTS = ["L1", "L2", "D1"];
const SETS = ["S1", "S2"];
const ZSETS = ["Z1", "Z2"];
const SOURCES = [...LISTS, ...LISTS, ...SETS, ...SETS, ...ZSETS, ...ZSETS, "nokey", "str", "hash"];
const DESTS = ["D1", "D2", "L1", "str"];

interface FuzzCmd {
  cmd: Cmd;
  /** How to compare the reply: exactly, as a multiset of `group`-sized groups, or by length. */
  compare: "exact" | "unordered" | "length";
  group: number;
}

/** The options a SORT's words set, read as sortCommandGeneric reads them (no NULs in keywords). */
function sortOptions(words: string[], ro: boolean) {
  const o = { alpha: false, dontsort: false, sortby: false, store: false, limited: false, gets: 0 };
  for (let j = 0; j < words.length; j++) {
    const w = words[j].toLowerCase();
    const left = words.length - j - 1;
    if (w === "alpha") o.alpha = true;
    else if (w === "limit" && left >= 2) {
      o.limited = true;
      j += 2;
    } else if (w === "store" && !ro && left >= 1) {
      o.store = true;
      j++;
    } else if (w === "by" && left >= 1) {
      const pat = words[++j];
      const star = pat.indexOf("*");
      if (star < 0 || pat.slice(0, star).includes("\0")) o.dontsort = true;
      o.sortby = true;
    } else if (w === "get" && left >= 1) {
      o.gets++;
      j++;
    }
  }
  return o;
}

/** Random commands for one batch; SORTs are preceded by the errno reset. */
function fuzzBatch(rnd: () => number, n: number): FuzzCmd[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const exact = (cmd: Cmd): FuzzCmd => ({ cmd, compare: "exact", group: 1 });
  const out: FuzzCmd[] = [];
  const weight = () => rnd() < 0.95 ? pick(WEIGHTS_GOOD) : pick(WEIGHTS_BAD);
  const caseOf = (w: string) => rnd() < 0.3 ? w.toUpperCase() : w;
  while (out.length < n) {
    const r = rnd();
    if (r < 0.3) {
      // Data.
      // Weighted: the collections grow more often than they shrink.
      const op = pick([0, 0, 0, 1, 2, 2, 2, 3, 4, 4, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12, 12, 13]);
      if (op === 0) {
        const k = pick(["L1", "L2"]);
        const elems = Array.from(
          { length: 1 + Math.floor(rnd() * 6) },
          () => k === "L1" || rnd() < 0.5 ? pick(NUMS) : pick(LIST_ELEMS),
        );
        out.push(exact([pick(["RPUSH", "LPUSH"]), k, ...elems]));
      } else if (op === 1) out.push(exact([pick(["LPOP", "RPOP"]), pick(LISTS)]));
      else if (op === 2) {
        const k = pick(SETS);
        const ms = Array.from(
          { length: 1 + Math.floor(rnd() * 4) },
          () => k === "S1" ? pick(NUMS) : pick(SET_MEMBERS),
        );
        out.push(exact(["SADD", k, ...ms]));
      } else if (op === 3) out.push(exact(["SREM", pick(SETS), pick(SET_MEMBERS)]));
      else if (op === 4) {
        const k = pick(ZSETS);
        const args: string[] = [];
        for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
          args.push(String(Math.floor(rnd() * 7) - 2), k === "Z1" ? pick(NUMS) : pick(SET_MEMBERS));
        }
        out.push(exact(["ZADD", k, ...args]));
      } else if (op === 5) out.push(exact(["ZREM", pick(ZSETS), pick(SET_MEMBERS)]));
      else if (op === 6 || op === 7) {
        out.push(exact(["SET", `w_${pick(LIST_ELEMS)}`, weight()]));
      } else if (op === 8) {
        out.push(exact(["SET", `g_${pick(LIST_ELEMS)}`, pick(LIST_ELEMS)]));
      } else if (op === 9) {
        out.push(exact(["HSET", `h_${pick(LIST_ELEMS)}`, "f", pick(LIST_ELEMS), "w", weight()]));
      } else if (op === 10) {
        out.push(exact([
          "DEL",
          pick([
            ...LISTS,
            ...SETS,
            ...ZSETS,
            "D2",
            `w_${pick(LIST_ELEMS)}`,
            `h_${pick(LIST_ELEMS)}`,
          ]),
        ]));
      } else if (op === 11) out.push(exact(["SET", "str", pick(["x", "12"])]));
      else if (op === 12) {
        out.push(exact(pick([
          ["TYPE", pick(SOURCES)],
          ["OBJECT", "ENCODING", pick([...LISTS, ...ZSETS, "D2"])],
          ["LRANGE", pick(["D1", "D2"]), "0", "-1"],
          ["EXPIRE", pick([...LISTS, ...SETS, "D2"]), "1000"],
          ["HSET", "hash", "a", "1"],
        ])));
      } else {
        // COMMAND GETKEYS over a random option list (keys are never looked at).
        const words = Array.from(
          { length: Math.floor(rnd() * 6) },
          () => pick(["store", "STORE", "limit", "get", "by", "x", "asc", "d1", "d2"]),
        );
        out.push(exact(["COMMAND", "GETKEYS", pick(["SORT", "SORT_RO"]), "k", ...words]));
      }
      continue;
    }
    // A SORT.
    const ro = rnd() < 0.25;
    const src = pick(SOURCES);
    const opts: string[][] = [];
    const nopts = Math.floor(rnd() * 5);
    for (let i = 0; i < nopts; i++) {
      const o = rnd();
      if (o < 0.15) opts.push([caseOf(pick(["asc", "desc", "desc"]))]);
      else if (o < 0.3) opts.push([caseOf("alpha")]);
      else if (o < 0.45) {
        const arg = () => rnd() < 0.04 ? pick(LIMIT_BAD) : pick(LIMIT_ARGS);
        opts.push([caseOf("limit"), arg(), arg()]);
      } else if (o < 0.65) opts.push([caseOf("by"), pick(BY_PATTERNS)]);
      else if (o < 0.85) opts.push([caseOf("get"), pick(GET_PATTERNS)]);
      else if (o < 0.95) opts.push([caseOf("store"), pick(DESTS)]);
      else if (o < 0.97) opts.push([caseOf(pick(["asc", "alpha"]))]);
      else opts.push(pick([["foo"], ["limit", "1"], ["by"], ["get"], ["store"]]));
    }
    const script = !ro && rnd() < 0.08;
    const words = opts.flat();
    const o = sortOptions(words, ro);
    // What Redis does with the set/zset input order (see the header).
    const isSet = SETS.includes(src);
    const isZset = ZSETS.includes(src);
    const forcedAlpha = o.dontsort && isSet && (o.store || script);
    let orderDependent = false;
    if (isSet && o.dontsort && !forcedAlpha) orderDependent = true;
    if ((isSet || isZset) && !o.dontsort && o.alpha && o.sortby) orderDependent = true;
    if (orderDependent && o.store) continue; // would store an order we cannot compare
    const cmd: Cmd = script
      ? ["EVAL", "return redis.pcall('sort', KEYS[1], unpack(ARGV))", "1", src, ...words]
      : [ro ? "SORT_RO" : "SORT", src, ...words];
    out.push(exact(["ZADD", "__errno", "XX", "1", "x"]));
    out.push({
      cmd,
      compare: orderDependent ? (o.limited ? "length" : "unordered") : "exact",
      group: Math.max(o.gets, 1),
    });
  }
  return out;
}

function compareFuzz(f: FuzzCmd, a: RespValue, b: RespValue): [string, string] {
  if (f.compare === "exact" || a.type !== "array" || b.type !== "array") {
    return [strict(a), strict(b)];
  }
  if (f.compare === "length") return [`len ${a.value.length}`, `len ${b.value.length}`];
  const groups = (v: RespValue[]) => {
    const g: string[] = [];
    for (let i = 0; i < v.length; i += f.group) {
      g.push(v.slice(i, i + f.group).map(strict).join(","));
    }
    return g.sort().join(" | ");
  };
  return [groups(a.value), groups(b.value)];
}

// FUZZ_SEED: other seeds for a campaign (FUZZ_SEED in RESP2, FUZZ_SEED + 1 in RESP3).
const SORT_FUZZ_SEED = Deno.env.get("FUZZ_SEED");
const sortRuns = SORT_FUZZ_SEED === undefined
  ? [[1001, 2], [2002, 3]] as const
  : [[Number(SORT_FUZZ_SEED), 2], [Number(SORT_FUZZ_SEED) + 1, 3]] as const;
for (const [seed, proto] of sortRuns) {
  Deno.test({
    name: `sort: seeded random SORT/SORT_RO match redis-server (seed ${seed}, RESP${proto})`,
    ignore: !haveRedisServer(),
    fn: async () => {
      const p = await startPair(proto);
      const rnd = prng(seed);
      let sorts = 0;
      const seen = new Map<string, number>();
      try {
        for (let batch = 0; batch < 16; batch++) {
          const cmds = fuzzBatch(rnd, 250);
          const plain = cmds.map((f) => f.cmd);
          const [a, b] = await Promise.all([pipeline(p.ours, plain), pipeline(p.theirs, plain)]);
          for (let i = 0; i < cmds.length; i++) {
            const [sa, sb] = compareFuzz(cmds[i], a[i], b[i]);
            assert.equal(
              sa,
              sb,
              `seed ${seed} RESP${proto} batch ${batch} #${i} (${cmds[i].compare}): ${
                cmdText(cmds[i].cmd)
              }\nbefore: ${
                cmds.slice(Math.max(0, i - 8), i).map((f) => cmdText(f.cmd)).join("\n  ")
              }`,
            );
            if (/SORT/.test(String(cmds[i].cmd[0])) || cmds[i].cmd[0] === "EVAL") {
              sorts++;
              const v = b[i];
              const kind = v.type === "array"
                ? (v.value.length > 1 ? `${cmds[i].compare} array` : "short array")
                : v.type === "error"
                ? v.value.slice(0, 20)
                : v.type === "int"
                ? (v.value > 0 ? "stored" : "stored none")
                : v.type;
              seen.set(kind, (seen.get(kind) ?? 0) + 1);
            }
          }
          assert.equal(
            show(await p.ours.callRaw("DEBUG", "DIGEST")),
            show(await p.theirs.callRaw("DEBUG", "DIGEST")),
            `seed ${seed} RESP${proto}: DEBUG DIGEST after batch ${batch}`,
          );
        }
        // The mix stays meaningful: sorted output, errors, stores, unordered sets.
        assert.ok(sorts > 1500, `${sorts} sorts`);
        for (
          const [kind, least] of [["exact array", 300], ["stored", 50], ["unordered array", 15]]
        ) {
          assert.ok((seen.get(kind as string) ?? 0) >= (least as number), `${kind}: ${[...seen]}`);
        }
        assert.ok((seen.get(CONVERSION_ERROR.slice(0, 20)) ?? 0) > 50, `${[...seen]}`);
      } finally {
        await p.stop();
      }
    },
  });
}

// ---------------------------------------------------------------- events and propagation

const EVENT_SCRIPT: Cmd[] = [
  ["RPUSH", "l", "3", "1", "2"],
  ["SET", "w_1", "5"],
  ["SADD", "s", "b", "a", "c"],
  ["ZADD", "z", "1", "x", "2", "y"],
  ["SORT", "l", "BY", "w_*", "GET", "g_*", "GET", "#", "STORE", "d"],
  ["SORT", "l"],
  ["SORT_RO", "l", "BY", "x_*", "ALPHA", "GET", "h_*->f"],
  ["SORT", "s", "BY", "nosort", "STORE", "d2"],
  ["SORT", "z", "BY", "nosort", "DESC", "STORE", "d"],
  ["SORT", "nokey", "STORE", "d"],
  ["SORT", "nokey", "STORE", "d"],
  ["SORT", "l", "LIMIT", "5", "1", "STORE", "d2"],
  ["SET", "e", "1", "EX", "100"],
  ["SORT", "l", "STORE", "e"],
  ["MULTI"],
  ["SORT", "l", "DESC", "STORE", "d"],
  ["SORT", "d", "BY", "nosort", "GET", "#", "STORE", "d3"],
  ["EXEC"],
  ["EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'store', KEYS[2])", "2", "s", "d4"],
  ["SORT", "l", "BY", "w_*", "LIMIT", "0", "1"],
];

Deno.test({
  name: "sort: keyspace events and the replication stream match redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    const node = await startNode();
    const redis = await spawnRedisC({ "repl-diskless-sync": "no" });
    const events: string[] = [];
    const streams: string[] = [];
    const stats: string[] = [];
    try {
      for (const port of [node.port, redis.port]) {
        const c = await RespClient.connect(port);
        const sub = await RespClient.connect(port);
        const rep = await RawReplica.attach(port);
        try {
          assert.equal(await c.call("CONFIG", "SET", "notify-keyspace-events", "KEAmn"), "OK");
          assert.equal(await c.call("CONFIG", "RESETSTAT"), "OK");
          await sub.call("PSUBSCRIBE", "__key*__:*");
          for (const cmd of EVENT_SCRIPT) await c.callRaw(...argvOf(cmd));
          await c.call("SET", "end-marker", "1");
          const info = String(await c.call("INFO", "stats"));
          stats.push(
            info.split("\r\n").filter((l) => /^keyspace_(hits|misses):/.test(l)).join(" "),
          );
          events.push((await untilMarker(sub, "events-done")).map(strict).join("\n"));
          // Redis pings its replicas every 10 s; that is not the commands' doing.
          streams.push(
            (await rep.textUntil("end-marker\r\n")).replaceAll("*1\r\n$4\r\nPING\r\n", "")
              .replace(/\$13\r\n\d{13}\r\n/g, "$13\r\nTIME\r\n"),
          );
        } finally {
          c.close();
          sub.close();
          rep.close();
        }
      }
      assert.equal(events[0], events[1], "keyspace events");
      assert.equal(stats[0], stats[1], "keyspace hits and misses");
      assert.match(stats[1], /keyspace_misses:[1-9]/);
      assert.match(events[1], /sortstore/);
      assert.equal(streams[0], streams[1], "replication stream");
      assert.match(streams[1], /SORT\r\n\$1\r\nl\r\n\$2\r\nBY/);
    } finally {
      await node.stop();
      await redis.stop();
    }
  },
});

// ---------------------------------------------------------------- cluster mode

const CLUSTER_SCRIPT: Cmd[] = [
  ["RPUSH", "l", "3", "1", "2"],
  ["SADD", "{l}s", "b", "a"],
  ["SORT", "l"],
  ["SORT", "l", "DESC", "LIMIT", "0", "2"],
  ["SORT", "l", "BY", "nosort"],
  ["SORT", "l", "BY", "w_*"],
  ["SORT", "l", "BY", "{l}w_*"],
  ["SORT", "l", "BY", "w\0*"],
  ["SORT", "l", "GET", "#"],
  ["SORT", "l", "GET", "{l}g_*"],
  ["SORT_RO", "l", "GET", "#"],
  ["SORT_RO", "l", "BY", "w_*"],
  ["SORT", "l", "LIMIT", "x", "1", "BY", "w_*"],
  ["SORT", "l", "BY", "w_*", "LIMIT", "x", "1"],
  ["SORT", "l", "foo", "BY", "w_*"],
  ["SORT", "l", "BY", "w_*", "foo"],
  ["SORT", "nokey", "BY", "w_*"],
  ["SORT", "l", "STORE", "{l}d"],
  ["LRANGE", "{l}d", "0", "-1"],
  ["SORT", "l", "STORE", "d"],
  ["SORT_RO", "l", "STORE", "d"],
  ["SORT", "{l}s", "BY", "nosort", "STORE", "{l}d"],
  ["LRANGE", "{l}d", "0", "-1"],
  ["SORT", "l", "GET", "#", "STORE", "{l}d"],
  ["COMMAND", "GETKEYS", "SORT", "l", "STORE", "d"],
];

Deno.test({
  name: "sort: cluster mode refuses BY and GET patterns as redis-server does",
  ignore: !haveRedisServer(),
  fn: async () => {
    const [node, redis] = await Promise.all([
      startNode({ "cluster-enabled": "yes" }),
      spawnRedisC({ "cluster-enabled": "yes" }),
    ]);
    try {
      // A cluster-enabled redis-server turns ok ~2 s after it starts (CLUSTER_WRITABLE_DELAY).
      await Promise.all([ownAllSlots(node.port), ownAllSlots(redis.port)]);
      for (const proto of [2, 3]) {
        const a = await RespClient.connect(node.port);
        const b = await RespClient.connect(redis.port);
        try {
          if (proto === 3) {
            await a.callRaw("HELLO", "3");
            await b.callRaw("HELLO", "3");
          }
          await a.call("FLUSHALL");
          await b.call("FLUSHALL");
          const [ra, rb] = await Promise.all([
            pipeline(a, CLUSTER_SCRIPT),
            pipeline(b, CLUSTER_SCRIPT),
          ]);
          for (let i = 0; i < CLUSTER_SCRIPT.length; i++) {
            assert.equal(
              strict(ra[i]),
              strict(rb[i]),
              `RESP${proto} #${i}: ${cmdText(CLUSTER_SCRIPT[i])}`,
            );
          }
          assert.equal(
            show(ra[CLUSTER_SCRIPT.findIndex((c) => c[3] === "w_*")]),
            `-ERR BY option of SORT denied in Cluster mode.`,
          );
        } finally {
          a.close();
          b.close();
        }
      }
    } finally {
      await node.stop();
      await redis.stop();
    }
  },
});
