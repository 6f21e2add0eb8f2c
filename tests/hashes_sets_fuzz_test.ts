/**
 * Hashes and sets: a seeded differential fuzz against a real redis-server. Random commands of
 * every kind that reads or edits a hash or a set, on a few keys, with fields and members that
 * move a value across Redis's encodings (listpack / hashtable, intset / hashtable: small and
 * large counts, short and long strings, integers in and out of int64), under small and default
 * conversion limits, in RESP2 and RESP3. Replies are compared exactly; those Redis leaves in hash
 * order are compared as sets (with HGETALL's field/value pairs kept together), and those chosen
 * at random by their lengths. OBJECT ENCODING is among the commands, and DEBUG DIGEST compares
 * the whole keyspace after each batch.
 *
 * FUZZ_SEED: another seed for a campaign (the default is the one CI runs). A failure names the
 * seed, the protocol, the limits and the command, with the commands before it.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import { haveRedisServer, pipelined } from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import { prng } from "./prng.ts";

/** How a reply is compared. */
type Compare = "exact" | "unordered" | "pairs" | "scan" | "length";

interface FuzzCmd {
  cmd: Cmd;
  compare: Compare;
}

/** Conversion limits for one run (CONFIG SET on both servers). */
interface Limits {
  hashEntries: string;
  hashValue: string;
  intsetEntries: string;
}

const HASH_KEYS = ["h1", "h2", "h3"];
const SET_KEYS = ["s1", "s2", "s3"];
/** A key of another type, for WRONGTYPE. */
const STRING_KEY = "str";

/** Random commands over hashes and sets (deterministic for a random source). */
function fuzzBatch(rnd: () => number, n: number): FuzzCmd[] {
  const int = (k: number) => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  // Fields and members: a small pool (so commands meet existing ones), integers that fit an
  // intset or do not, non-canonical numbers, the empty string, and strings longer than a small
  // hash-max-listpack-value.
  const atom = (): string => {
    const k = int(20);
    if (k < 8) return `f${int(12)}`;
    if (k < 12) return String(int(40) - 10);
    if (k === 12) {
      return pick(["9223372036854775807", "-9223372036854775808", "9223372036854775808"]);
    }
    if (k === 13) return pick(["007", "+1", "1.5", " 1", "-0", "0x10"]);
    if (k === 14) return "";
    if (k === 15) return "v".repeat(5 + int(80));
    return String(int(100000));
  };
  const value = (): string => {
    const k = int(10);
    if (k < 4) return String(int(200) - 100);
    if (k < 6) return pick(["1.5", "-0.25", "1e3", "abc", "", "inf"]);
    if (k < 8) return "w".repeat(int(100));
    return `v${int(1000)}`;
  };
  const atoms = (most: number): string[] => Array.from({ length: 1 + int(most) }, atom);
  // Now and then a key of another type (WRONGTYPE) or none.
  const hkey = () => (int(12) === 0 ? pick([STRING_KEY, "none"]) : pick(HASH_KEYS));
  const skey = () => (int(12) === 0 ? pick([STRING_KEY, "none"]) : pick(SET_KEYS));
  const out: FuzzCmd[] = [];
  const push = (compare: Compare, ...cmd: string[]) => out.push({ cmd, compare });
  while (out.length < n) {
    const op = int(44);
    const h = hkey();
    const s = skey();
    switch (op) {
      case 0:
      case 1:
      case 2: {
        const args: string[] = [];
        for (let i = 0, m = 1 + int(int(4) === 0 ? 40 : 4); i < m; i++) args.push(atom(), value());
        push("exact", pick(["HSET", "HMSET"]), h, ...args);
        break;
      }
      case 3:
        push("exact", "HSETNX", h, atom(), value());
        break;
      case 4:
        push("exact", "HGET", h, atom());
        break;
      case 5:
        push("exact", "HMGET", h, ...atoms(5));
        break;
      case 6:
      case 7:
        push("exact", "HDEL", h, ...atoms(int(5) === 0 ? 30 : 3));
        break;
      case 8:
        push("exact", pick(["HLEN", "TYPE", "EXISTS"]), int(4) === 0 ? pick(SET_KEYS) : h);
        break;
      case 9:
        push("exact", pick(["HSTRLEN", "HEXISTS"]), h, atom());
        break;
      case 10:
        push("exact", "HINCRBY", h, atom(), pick(["1", "-3", "1000", "9223372036854775807", "x"]));
        break;
      case 11:
        push("exact", "HINCRBYFLOAT", h, atom(), pick(["1.5", "-0.125", "3", "1e2", "abc"]));
        break;
      case 12:
        push("unordered", pick(["HKEYS", "HVALS"]), h);
        break;
      case 13:
        push("pairs", "HGETALL", h);
        break;
      case 14:
        push("scan", "HSCAN", h, "0", "COUNT", "100000", ...(int(2) ? ["MATCH", "f*"] : []));
        break;
      case 15: {
        // A count at least the size gives every field: deterministic up to order.
        const withValues = int(2) === 0;
        push(
          withValues ? "pairs" : "unordered",
          "HRANDFIELD",
          h,
          "100000",
          ...(withValues ? ["WITHVALUES"] : []),
        );
        break;
      }
      case 16:
        push("length", "HRANDFIELD", h, String(int(2) ? -1 - int(8) : 1 + int(3)));
        break;
      case 17:
      case 18:
      case 19:
        push("exact", "SADD", s, ...atoms(int(4) === 0 ? 40 : 4));
        break;
      case 20:
      case 21:
        push("exact", "SREM", s, ...atoms(int(5) === 0 ? 30 : 3));
        break;
      case 22:
        push("exact", "SISMEMBER", s, atom());
        break;
      case 23:
        push("exact", "SMISMEMBER", s, ...atoms(4));
        break;
      case 24:
        push("exact", pick(["SCARD", "TYPE", "EXISTS"]), int(4) === 0 ? pick(HASH_KEYS) : s);
        break;
      case 25:
        push("unordered", "SMEMBERS", s);
        break;
      case 26:
        push(
          "unordered",
          pick(["SINTER", "SUNION", "SDIFF"]),
          s,
          skey(),
          ...(int(2) ? [skey()] : []),
        );
        break;
      case 27:
        push(
          "exact",
          pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
          pick(SET_KEYS),
          s,
          skey(),
        );
        break;
      case 28:
        push("exact", "SINTERCARD", "2", s, skey(), ...(int(2) ? ["LIMIT", String(int(4))] : []));
        break;
      case 29:
        push("exact", "SMOVE", s, skey(), atom());
        break;
      case 30:
        // SPOP of at least the set's size takes all of it: deterministic up to order.
        push("unordered", "SPOP", s, "100000");
        break;
      case 31:
        // Members chosen at random differ between the servers: only how many are compared.
        push("length", "SRANDMEMBER", s, String(int(2) ? 1 + int(3) : -1 - int(6)));
        break;
      case 32:
        push("unordered", "SRANDMEMBER", s, "100000");
        break;
      case 33:
        push("scan", "SSCAN", s, "0", "COUNT", "100000", ...(int(2) ? ["MATCH", "*1*"] : []));
        break;
      case 34:
      case 35:
        push("exact", "OBJECT", "ENCODING", pick([...HASH_KEYS, ...SET_KEYS]));
        break;
      case 36:
        push("exact", "DEL", pick([...HASH_KEYS, ...SET_KEYS]));
        break;
      case 37:
        push("exact", "COPY", pick(HASH_KEYS), pick(HASH_KEYS), ...(int(2) ? ["REPLACE"] : []));
        break;
      case 38:
        push("exact", "RENAME", pick(SET_KEYS), pick(SET_KEYS));
        break;
      case 39:
        push("exact", "SET", STRING_KEY, value());
        break;
      case 40:
        push("exact", "HSETNX", h, `f${int(12)}`, value());
        break;
      case 41:
        push("exact", "SADD", s, String(int(40) - 10), String(int(40) - 10));
        break;
      case 42:
        push("exact", "HDEL", h, `f${int(12)}`, `f${int(12)}`);
        break;
      case 43:
        push("exact", "SREM", s, String(int(40) - 10));
        break;
    }
  }
  return out;
}

/** Canonical text of an unordered array or set reply. */
function members(v: RespValue): string {
  if (v.type !== "array" && v.type !== "set") return show(v);
  return `{${v.value.map(show).sort().join(",")}}`;
}

/** Canonical text of a field/value reply: a RESP3 map, or a RESP2 array of pairs. */
function pairs(v: RespValue): string {
  if (v.type === "map") {
    return `{${v.value.map(([k, x]) => `${show(k)}:${show(x)}`).sort().join(",")}}`;
  }
  if (v.type !== "array") return show(v);
  const out: string[] = [];
  for (let i = 0; i < v.value.length; i++) {
    const x = v.value[i];
    // HRANDFIELD WITHVALUES in RESP3: an array of [field, value] arrays.
    if (x.type === "array") out.push(x.value.map(show).join(":"));
    else out.push(`${show(x)}:${show(v.value[++i])}`);
  }
  return `{${out.sort().join(",")}}`;
}

/** What is compared of a reply. */
function canonical(c: FuzzCmd, v: RespValue): string {
  if (v.type === "error") return show(v);
  switch (c.compare) {
    case "exact":
      return show(v);
    case "unordered":
      return members(v);
    case "pairs":
      return pairs(v);
    case "scan": {
      if (v.type !== "array" || v.value.length !== 2) return show(v);
      const fieldValue = c.cmd[0] === "HSCAN";
      return `${show(v.value[0])} ${fieldValue ? pairs(v.value[1]) : members(v.value[1])}`;
    }
    case "length":
      return v.type === "array" || v.type === "set" ? `${v.value.length} items` : v.type;
  }
}

const LIMITS: Limits[] = [
  { hashEntries: "128", hashValue: "64", intsetEntries: "512" },
  { hashEntries: "4", hashValue: "8", intsetEntries: "5" },
  { hashEntries: "0", hashValue: "64", intsetEntries: "0" },
  { hashEntries: "16", hashValue: "0", intsetEntries: "20" },
];

const BASE_SEED = Number(Deno.env.get("FUZZ_SEED") ?? "7100");

Deno.test({
  name: "hashes and sets: seeded random commands match redis-server (RESP2 and RESP3, digests)",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (ours, theirs) => {
      const seen = new Map<string, number>();
      for (let run = 0; run < LIMITS.length * 2; run++) {
        const seed = BASE_SEED + run;
        const proto = run % 2 === 0 ? 2 : 3;
        const limits = LIMITS[Math.floor(run / 2)];
        const setup: Cmd[] = [
          ["HELLO", String(proto)],
          ["FLUSHALL"],
          ["CONFIG", "SET", "hash-max-listpack-entries", limits.hashEntries],
          ["CONFIG", "SET", "hash-max-listpack-value", limits.hashValue],
          ["CONFIG", "SET", "set-max-intset-entries", limits.intsetEntries],
        ];
        for (const c of setup) {
          const [a, b] = [await ours.callRaw(...c), await theirs.callRaw(...c)];
          assert.notEqual(a.type, "error", `${cmdText(c)}: ${show(a)}`);
          assert.notEqual(b.type, "error", `${cmdText(c)}: ${show(b)}`);
        }
        const rnd = prng(seed);
        for (let batch = 0; batch < 6; batch++) {
          const cmds = fuzzBatch(rnd, 300);
          const plain = cmds.map((f) => f.cmd);
          const [a, b] = await Promise.all([
            pipelined(ours, plain, 20_000),
            pipelined(theirs, plain, 20_000),
          ]);
          for (let i = 0; i < cmds.length; i++) {
            assert.equal(
              canonical(cmds[i], a[i]),
              canonical(cmds[i], b[i]),
              `seed ${seed} RESP${proto} limits ${JSON.stringify(limits)} batch ${batch} #${i}: ${
                cmdText(cmds[i].cmd)
              }\nbefore:\n  ${
                cmds.slice(Math.max(0, i - 10), i).map((f) => cmdText(f.cmd)).join("\n  ")
              }`,
            );
            const v = b[i];
            if (cmds[i].cmd[0] === "OBJECT" && v.type === "bulk") {
              const encoding = new TextDecoder().decode(v.value);
              seen.set(encoding, (seen.get(encoding) ?? 0) + 1);
            } else if (v.type === "error") {
              const kind = String(v.value).split(" ")[0];
              seen.set(kind, (seen.get(kind) ?? 0) + 1);
            }
          }
          assert.equal(
            show(await ours.callRaw("DEBUG", "DIGEST")),
            show(await theirs.callRaw("DEBUG", "DIGEST")),
            `seed ${seed} RESP${proto}: DEBUG DIGEST after batch ${batch}`,
          );
        }
      }
      // The mix stays meaningful: every encoding met, and errors of both kinds. (At least once:
      // how often depends on the seed; FUZZ_SEED=1030060 met intset 9 times, and a count is not
      // what this checks.)
      for (const kind of ["listpack", "hashtable", "intset", "WRONGTYPE", "ERR"]) {
        assert.ok((seen.get(kind) ?? 0) >= 1, `${kind}: ${JSON.stringify([...seen])}`);
      }
    });
  },
});
