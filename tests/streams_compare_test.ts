/**
 * Streams: a seeded differential fuzz against a real redis-server. Thousands of random stream
 * commands (XADD with every ID form and trimming option, ranges, deletes, trims, XSETID, consumer
 * groups, reads through groups, claims, XPENDING, XINFO, bad arguments and wrong types, plus SET,
 * DEL, COPY, RENAME, EXPIRE, TYPE and OBJECT ENCODING) are sent to our node and to redis-server,
 * in RESP2 and in RESP3, with small node limits (many radix-tree nodes, splits, whole-node trims)
 * and with the default ones; every reply must be identical. After each script: DEBUG DIGEST, DEBUG
 * DIGEST-VALUE of every key, XINFO STREAM FULL of every stream, and DUMP of every stream without
 * consumer groups (a DUMP with groups holds wall-clock times).
 *
 * Replies that depend on the wall clock are masked, the same way on both sides: XPENDING's idle
 * times and XINFO CONSUMERS' idle become "recent" (under a minute) or "old"; times near now in
 * XINFO STREAM FULL (a delivery or seen time that was "now") become "now". Fixed delivery times
 * (XCLAIM TIME) stay exact. Claims use thresholds (0 or 100 s) no entry is near. `XADD *` is only
 * sent right after an XADD of an ID far past the clock, so the ID it generates is deterministic.
 * A failure names the seed, the protocol and the command, with the commands before it.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import { haveRedisServer, type RespClient } from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import { prng } from "./prng.ts";

const STREAMS = ["s1", "s2", "s3"];
const ALL_KEYS = [...STREAMS, "str", "missing"];
const GROUPS = ["g1", "g2", "nogroup"];
const CONSUMERS = ["c1", "c2", "c3"];
const FIELDS = ["a", "b", "f", "name", "1", "-1", "x".repeat(65)];
const VALUES = [
  "1",
  "2",
  "-7",
  "0",
  "100000",
  "v",
  "",
  "x".repeat(70),
  "y".repeat(5000),
  "12345678901234567890",
  "9223372036854775807",
  "-9223372036854775808",
  "007",
  "3.14",
  "\x00\xff\x01",
];
const FIXED_TIMES = ["1", "1000", "1600000000000"];
const JUNK_IDS = [
  "abc",
  "1-x",
  " 5",
  "007",
  "+5",
  "-0",
  "5-",
  "-5",
  "18446744073709551616",
  "(",
  "((1",
  "*",
  "5-*",
  "",
  "3\x004",
];

/** Random stream commands for one script (deterministic for a seed). */
function script(seed: number, n: number): Cmd[] {
  const rnd = prng(seed);
  const int = (k: number) => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const lastMs = new Map<string, number>();
  const key = () => {
    const r = rnd();
    return r < 0.45 ? "s1" : r < 0.8 ? "s2" : r < 0.93 ? "s3" : pick(ALL_KEYS);
  };
  /** A likely-existing entry ID (for deletes, claims, ranges). */
  const someId = (k: string) => {
    const top = lastMs.get(k) ?? 5;
    return `${int(top + 2)}-${int(4)}`;
  };
  const anyId = (k: string): string => {
    const r = rnd();
    if (r < 0.6) return someId(k);
    if (r < 0.75) return String(int((lastMs.get(k) ?? 5) + 2));
    if (r < 0.8) return pick(["0-0", "0-1"]);
    return pick(JUNK_IDS);
  };
  const rangeBound = (k: string, start: boolean) => {
    const r = rnd();
    if (r < 0.25) return start ? "-" : "+";
    if (r < 0.45) return "(" + someId(k);
    if (r < 0.9) return someId(k);
    return pick([...JUNK_IDS, "(-", "(+", "(0-0", "(18446744073709551615-18446744073709551615"]);
  };
  const group = () => {
    const r = rnd();
    return r < 0.7 ? GROUPS[0] : r < 0.92 ? GROUPS[1] : GROUPS[2];
  };
  const consumer = () => pick(CONSUMERS);
  const fieldValues = () => {
    const out: string[] = [];
    const n = 1 + int(3);
    // Often the same fields as before (the master entry's), in the same order.
    const same = rnd() < 0.6;
    for (let i = 0; i < n; i++) {
      out.push(same ? FIELDS[i] : pick(FIELDS), pick(VALUES));
    }
    return out;
  };
  const trimOpts = (k: string): string[] => {
    const r = rnd();
    if (r < 0.7) return [];
    const how = pick(["", "=", "~", "~"]);
    const strategy = rnd() < 0.65 ? "MAXLEN" : "MINID";
    const top = lastMs.get(k) ?? 0;
    const value = strategy === "MAXLEN"
      ? pick(["0", "5", "10", "20", "20", "50", "50", "200", "-1", "x", String(int(100))])
      : rnd() < 0.9
      ? `${Math.max(0, top - 10 - int(40))}-${int(3)}`
      : pick(JUNK_IDS);
    const out = [strategy, ...(how === "" ? [] : [how]), value];
    if (rnd() < 0.2) out.push("LIMIT", pick(["0", "1", "5", "100", "-1"]));
    if (rnd() < 0.03) out.push(pick(["MAXLEN", "MINID"]), "5");
    return out;
  };
  const cmds: Cmd[] = [];
  while (cmds.length < n) {
    const k = key();
    const r = rnd();
    if (r < 0.36) {
      // XADD
      const opts: string[] = [];
      if (rnd() < 0.08) opts.push("NOMKSTREAM");
      opts.push(...trimOpts(k));
      let id: string;
      const f = rnd();
      if (k === "s3" && f < 0.1) {
        // `*` right after a top item far past the clock: the generated ID is deterministic.
        cmds.push(["XADD", k, "99999999999999-5", "a", "1"]);
        id = "*";
      } else if (f < 0.85) {
        const same = rnd() < 0.25;
        const ms = (lastMs.get(k) ?? 0) + (same ? 0 : 1 + int(2));
        lastMs.set(k, ms);
        id = same ? (rnd() < 0.7 ? `${ms}-*` : `${ms}-${int(4)}`) : `${ms}-${int(4)}`;
      } else if (f < 0.92) {
        const ms = (lastMs.get(k) ?? 0) + 1;
        lastMs.set(k, ms);
        id = String(ms);
      } else {
        // Never "*" here (a generated ID would follow the clock).
        id = rnd() < 0.5 ? anyId(k) : pick(JUNK_IDS);
        if (id === "*") id = "+";
      }
      const fv = fieldValues();
      if (rnd() < 0.03) fv.pop(); // odd number of arguments
      cmds.push(["XADD", k, ...opts, id, ...fv]);
    } else if (r < 0.42) {
      const rev = rnd() < 0.4;
      const c: Cmd = [rev ? "XREVRANGE" : "XRANGE", k];
      const a = rangeBound(k, !rev);
      const b = rangeBound(k, rev);
      c.push(a, b);
      if (rnd() < 0.5) c.push("COUNT", pick(["0", "1", "2", "5", "-1", "x"]));
      if (rnd() < 0.03) c.push("junk");
      cmds.push(c);
    } else if (r < 0.44) {
      cmds.push(["XLEN", k]);
    } else if (r < 0.49) {
      const ids = [anyId(k)];
      while (rnd() < 0.4) ids.push(anyId(k));
      cmds.push(["XDEL", k, ...ids]);
    } else if (r < 0.52) {
      const t = trimOpts(k);
      cmds.push(["XTRIM", k, ...(t.length === 0 ? ["MAXLEN", "~", "2"] : t)]);
    } else if (r < 0.53) {
      const c: Cmd = ["XSETID", k];
      if (k !== "s3") c.push(anyId(k));
      else {
        c.push(pick([
          "99999999999999-0",
          "18446744073709551615-18446744073709551614",
          "18446744073709551615",
          "18446744073709551615-18446744073709551615",
        ]));
      }
      if (rnd() < 0.3) c.push("ENTRIESADDED", pick(["0", "5", "100", "-1"]));
      if (rnd() < 0.3) c.push("MAXDELETEDID", someId(k));
      cmds.push(c);
    } else if (r < 0.62) {
      const sub = pick(["CREATE", "CREATE", "SETID", "CREATECONSUMER", "DELCONSUMER"]);
      const c: Cmd = ["XGROUP", rnd() < 0.03 ? "DESTROY" : sub, k, group()];
      if (c[1] === "CREATE" || c[1] === "SETID") {
        c.push(rnd() < 0.3 ? "$" : rnd() < 0.5 ? "0" : anyId(k));
        if (c[1] === "CREATE" && rnd() < 0.3) c.push("MKSTREAM");
        if (rnd() < 0.2) c.push("ENTRIESREAD", pick(["0", "3", "-1", "-2", "x"]));
      } else if (c[1] === "CREATECONSUMER" || c[1] === "DELCONSUMER") c.push(consumer());
      if (rnd() < 0.02) c.push("extra");
      cmds.push(c);
    } else if (r < 0.74) {
      // XREADGROUP (never blocking: BLOCK only when data is there or inside MULTI below)
      const c: Cmd = ["XREADGROUP", "GROUP", group(), consumer()];
      if (rnd() < 0.5) c.push("COUNT", pick(["1", "2", "3", "0", "-1"]));
      if (rnd() < 0.2) c.push("NOACK");
      c.push("STREAMS", k);
      if (rnd() < 0.1) c.push(pick(STREAMS));
      const ids = c.length - c.indexOf("STREAMS") - 1;
      for (let i = 0; i < ids; i++) {
        c.push(rnd() < 0.65 ? ">" : rnd() < 0.8 ? pick(["0", "0-0", someId(k)]) : pick(["$", "x"]));
      }
      cmds.push(c);
    } else if (r < 0.78) {
      const c: Cmd = ["XREAD"];
      if (rnd() < 0.5) c.push("COUNT", pick(["1", "2", "0", "-5"]));
      c.push("STREAMS", k);
      if (rnd() < 0.3) c.push(pick(ALL_KEYS));
      const ids = c.length - c.indexOf("STREAMS") - 1;
      for (let i = 0; i < ids; i++) c.push(rnd() < 0.2 ? "$" : rnd() < 0.9 ? someId(k) : "0");
      cmds.push(c);
    } else if (r < 0.82) {
      const ids = [someId(k)];
      while (rnd() < 0.4) ids.push(rnd() < 0.9 ? someId(k) : pick(JUNK_IDS));
      cmds.push(["XACK", k, group(), ...ids]);
    } else if (r < 0.87) {
      const c: Cmd = ["XCLAIM", k, group(), consumer(), pick(["0", "0", "100000", "-5", "x"])];
      c.push(someId(k));
      while (rnd() < 0.4) c.push(someId(k));
      if (rnd() < 0.4) c.push("TIME", pick(FIXED_TIMES));
      else if (rnd() < 0.2) c.push("IDLE", pick(["0", "5000"]));
      if (rnd() < 0.3) c.push("RETRYCOUNT", pick(["0", "3", "-1", "9223372036854775807"]));
      if (rnd() < 0.3) c.push("FORCE");
      if (rnd() < 0.3) c.push("JUSTID");
      if (rnd() < 0.15) c.push("LASTID", someId(k));
      if (rnd() < 0.03) c.push(pick(["BOGUS", "TIME"]));
      cmds.push(c);
    } else if (r < 0.91) {
      const c: Cmd = [
        "XAUTOCLAIM",
        k,
        group(),
        consumer(),
        pick(["0", "0", "100000", "x"]),
        rnd() < 0.2 ? "(" + someId(k) : pick(["0", "0-0", "-", someId(k)]),
      ];
      if (rnd() < 0.5) c.push("COUNT", pick(["1", "2", "3", "0", "x"]));
      if (rnd() < 0.3) c.push("JUSTID");
      cmds.push(c);
    } else if (r < 0.95) {
      const c: Cmd = ["XPENDING", k, group()];
      if (rnd() < 0.6) {
        if (rnd() < 0.3) c.push("IDLE", pick(["0", "100000", "x"]));
        c.push(rangeBound(k, true), rangeBound(k, false), pick(["1", "3", "10", "0", "-1"]));
        if (rnd() < 0.4) c.push(consumer());
      }
      cmds.push(c);
    } else if (r < 0.97) {
      cmds.push(pick<Cmd>([
        ["XINFO", "STREAM", k],
        ["XINFO", "STREAM", k, "FULL"],
        ["XINFO", "STREAM", k, "FULL", "COUNT", pick(["0", "1", "2", "-1"])],
        ["XINFO", "GROUPS", k],
        ["XINFO", "CONSUMERS", k, group()],
      ]));
    } else {
      cmds.push(pick<Cmd>([
        ["SET", "str", "x"],
        ["DEL", k],
        ["TYPE", k],
        ["OBJECT", "ENCODING", k],
        ["EXISTS", k],
        ["EXPIRE", k, "1000"],
        ["COPY", k, pick(STREAMS)],
        ["COPY", k, pick(STREAMS), "REPLACE"],
        ["RENAME", k, pick(STREAMS)],
        ["XADD", "str", "1-1", "a", "b"],
        ["XGROUP", "CREATE", "str", "g1", "$"],
        ["XREADGROUP", "GROUP", "g1", "c1", "STREAMS", "str", ">"],
        ["XINFO", "STREAM", "str"],
        ["XGROUP", "HELP"],
        ["XINFO", "HELP"],
        ["MULTI"],
        ["EXEC"],
        ["XREAD", "BLOCK", "0", "STREAMS", k, "$"],
        ["XREADGROUP", "GROUP", "g1", "c1", "BLOCK", "10", "STREAMS", k, ">"],
      ]));
    }
  }
  // A BLOCK outside MULTI must find data: keep BLOCK only inside MULTI blocks.
  return balanceMulti(cmds);
}

/** Drop blocking reads outside MULTI; a MULTI queues at most 6 commands. */
function balanceMulti(cmds: Cmd[]): Cmd[] {
  const out: Cmd[] = [];
  let inMulti = false;
  let queued = 0;
  for (const c of cmds) {
    const name = String(c[0]);
    if (name === "MULTI") {
      if (inMulti) continue;
      inMulti = true;
      queued = 0;
    } else if (name === "EXEC") {
      if (!inMulti) continue;
      inMulti = false;
    } else if (c.includes("BLOCK") && !inMulti) continue;
    out.push(c);
    if (inMulti && name !== "MULTI" && ++queued === 6) {
      out.push(["EXEC"]);
      inMulti = false;
    }
  }
  if (inMulti) out.push(["EXEC"]);
  return out;
}

const DAY_MS = 86_400_000;

/** The reply with wall-clock values masked (see the file comment). */
function masked(c: Cmd, v: RespValue, now: number, queued: Cmd[] = []): string {
  return show(mask(c, v, now, queued));
}

function mask(c: Cmd, v: RespValue, now: number, queued: Cmd[]): RespValue {
  const name = String(c[0]).toUpperCase();
  if (name === "EXEC" && v.type === "array") {
    return { ...v, value: v.value.map((x, i) => mask(queued[i] ?? [""], x, now, [])) };
  }
  const sub = String(c[1] ?? "").toUpperCase();
  const idle = (x: RespValue): RespValue =>
    x.type === "int" ? { type: "simple", value: Number(x.value) < 60_000 ? "recent" : "old" } : x;
  const nearNow = (x: RespValue): RespValue => {
    if (x.type === "int" && Math.abs(Number(x.value) - now) < DAY_MS) {
      return { type: "simple", value: "now" };
    }
    if (x.type === "array" || x.type === "set" || x.type === "push") {
      return { ...x, value: x.value.map(nearNow) };
    }
    if (x.type === "map") {
      return {
        ...x,
        value: x.value.map(([a, b]): [RespValue, RespValue] => [nearNow(a), nearNow(b)]),
      };
    }
    return x;
  };
  if (name === "XPENDING" && c.length > 3 && v.type === "array") {
    v = {
      ...v,
      value: v.value.map((row) =>
        row.type === "array" && row.value.length === 4
          ? { ...row, value: [row.value[0], row.value[1], idle(row.value[2]), row.value[3]] }
          : row
      ),
    };
  }
  if (name === "XINFO" && sub === "CONSUMERS" && v.type === "array") {
    v = { ...v, value: v.value.map((m) => maskField(m, "idle", idle)) };
  }
  if (name === "XINFO") v = nearNow(v);
  return v;
}

/** Replace the value after the bulk `field` in a map (or a RESP2 flat array). */
function maskField(m: RespValue, field: string, f: (x: RespValue) => RespValue): RespValue {
  const isField = (x: RespValue) => x.type === "bulk" && String.fromCharCode(...x.value) === field;
  if (m.type === "map") {
    return {
      ...m,
      value: m.value.map(([a, b]): [RespValue, RespValue] => [a, isField(a) ? f(b) : b]),
    };
  }
  if (m.type === "array") {
    return { ...m, value: m.value.map((x, i) => (i > 0 && isField(m.value[i - 1]) ? f(x) : x)) };
  }
  return m;
}

/** What is compared after each script. */
function finalChecks(): Cmd[] {
  const out: Cmd[] = [["DEBUG", "DIGEST"]];
  for (const k of ALL_KEYS) {
    out.push(["DEBUG", "DIGEST-VALUE", k], ["TYPE", k], ["XINFO", "STREAM", k, "FULL"]);
  }
  return out;
}

interface Limits {
  bytes: string;
  entries: string;
}

async function runScript(
  ours: RespClient,
  theirs: RespClient,
  seed: number,
  proto: 2 | 3,
  limits: Limits,
  n: number,
): Promise<void> {
  const setup: Cmd[] = [
    ["HELLO", String(proto)],
    ["FLUSHALL"],
    ["CONFIG", "SET", "stream-node-max-bytes", limits.bytes],
    ["CONFIG", "SET", "stream-node-max-entries", limits.entries],
  ];
  for (const c of setup) {
    await ours.callRaw(...c);
    await theirs.callRaw(...c);
  }
  const history: string[] = [];
  let queued: Cmd[] | null = null;
  const check = async (c: Cmd, i: number) => {
    const now = Date.now();
    const a = await ours.callRaw(...c);
    const b = await theirs.callRaw(...c);
    const name = String(c[0]).toUpperCase();
    const inExec = name === "EXEC" ? (queued ?? []) : [];
    if (name === "MULTI") queued = [];
    else if (name === "EXEC") queued = null;
    else if (queued !== null) queued.push(c);
    history.push(`${cmdText(c)} -> ${show(b)}`.slice(0, 300));
    if (history.length > 15) history.shift();
    assert.equal(
      masked(c, a, now, inExec),
      masked(c, b, now, inExec),
      `seed ${seed} RESP${proto} limits ${limits.bytes}/${limits.entries} #${i}: ${cmdText(c)}\n` +
        `after:\n  ${history.slice(0, -1).join("\n  ")}\n`,
    );
  };
  const cmds = script(seed, n);
  for (let i = 0; i < cmds.length; i++) await check(cmds[i], i);
  for (const c of finalChecks()) await check(c, -1);
  // DUMP of the streams without consumer groups (those hold wall-clock times).
  for (const k of STREAMS) {
    const groups = await theirs.callRaw("XINFO", "GROUPS", k);
    if (groups.type === "array" && groups.value.length === 0) await check(["DUMP", k], -1);
  }
}

Deno.test({
  name: "streams: seeded random commands match redis-server (RESP2 and RESP3, digests, DUMP)",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (ours, theirs) => {
      // FUZZ_SEED: other seeds for a campaign (the default, 101, is the one CI runs).
      const base = Number(Deno.env.get("FUZZ_SEED") ?? "101");
      const runs: [number, 2 | 3, Limits][] = [
        [base, 2, { bytes: "4096", entries: "100" }],
        [base + 1, 3, { bytes: "4096", entries: "100" }],
        [base + 2, 2, { bytes: "120", entries: "4" }],
        [base + 3, 3, { bytes: "200", entries: "3" }],
        [base + 4, 2, { bytes: "0", entries: "5" }],
        [base + 5, 3, { bytes: "300", entries: "0" }],
      ];
      for (const [seed, proto, limits] of runs) {
        await runScript(ours, theirs, seed, proto, limits, 2000);
      }
    });
  },
});
