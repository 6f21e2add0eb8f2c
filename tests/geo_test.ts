/**
 * Geo commands (GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS and its
 * variants) against a real redis-server 7.0.15: a seeded differential fuzz (random points with
 * clusters, duplicates, the poles and the antimeridian; searches of every size; replies byte for
 * byte in RESP2 and RESP3, in Redis's own order even without ASC/DESC; DEBUG DIGEST and
 * DIGEST-VALUE after each script), explicit edge cases (error texts, limits, odd scores),
 * keyspace events, dirty counting, COMMAND INFO/DOCS/GETKEYS and the replication stream.
 * Skipped without a redis-server, except the tests that need none.
 */

import assert from "node:assert/strict";
import { RawReplica } from "./raw_replica.ts";
import { haveRedisServer, RespClient, startNode } from "./harness.ts";
import {
  binWords,
  callBoth,
  type Cmd,
  cmdText,
  keyspaceEventsBoth,
  sameDirtyCounts,
  show,
  withNodeAndRedis,
} from "./compare.ts";
import { prng } from "./prng.ts";
import { fromLatin1 } from "../protocol/bytes.ts";

/** Arguments as latin1 bytes (one char per byte: "\x00", "\xff" are single bytes). */
const bin = fromLatin1;
const words = binWords;

const LAT_MAX = 85.05112878;
const KEYS = ["ga", "gb", "dst", "dst2", "str"];

/** Places points cluster around: cities, the poles' limits, the antimeridian, 0/0. */
const CENTERS: [number, number][] = [
  [13.361389, 38.115556],
  [15.087269, 37.502669],
  [-73.9857, 40.7484],
  [179.99, 0.5],
  [-179.995, -12],
  [180, 45],
  [0, 0],
  [0.00001, -0.00001],
  [100, 84.9],
  [-45, -85.05],
  [150, 66.5],
  [-120, -80.5],
  [2.35, 48.85],
];

/** Random geo commands mixed with the zset and key commands that share their values. */
function randomCommands(seed: number, n: number): Cmd[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const key = () => rnd() < 0.04 ? pick(["nokey", "str"]) : pick(["ga", "ga", "gb"]);
  const dest = () =>
    rnd() < 0.1 ? pick(["ga", "gb", "str", "nokey2"]) : pick(["dst", "dst", "dst2"]);
  const anyMember = () =>
    rnd() < 0.03 ? pick(["", "\x00", "\xff\xfe", "nomember", "x".repeat(70)]) : `m${int(0, 99)}`;
  // Members the script added to each key, so lookups mostly find something.
  const added = new Map<string, string[]>();
  const member = (k?: string) => {
    const known = k === undefined ? undefined : added.get(k);
    return known !== undefined && known.length !== 0 && rnd() < 0.8 ? pick(known) : anyMember();
  };
  const num = (v: number): string => {
    const r = rnd();
    if (r < 0.5) return String(v);
    if (r < 0.8) return v.toFixed(pick([0, 1, 3, 6, 8]));
    if (r < 0.9) return v.toExponential(pick([3, 9]));
    return String(Math.round(v));
  };
  const point = (): [string, string] => {
    const r = rnd();
    if (r < 0.65) {
      const [cx, cy] = pick(CENTERS);
      const spread = pick([0, 0, 1e-6, 1e-4, 0.01, 0.3, 2, 10]);
      const x = clamp(cx + (rnd() * 2 - 1) * spread, -180, 180);
      const y = clamp(cy + (rnd() * 2 - 1) * spread, -LAT_MAX, LAT_MAX);
      return [num(x), num(y)];
    }
    if (r < 0.93) return [num(rnd() * 360 - 180), num((rnd() * 2 - 1) * LAT_MAX)];
    return pick([
      ["180", "0"],
      ["-180", "0"],
      ["0", "85.05112878"],
      ["0", "-85.05112878"],
      ["180", "85.05112878"],
      ["-180", "-85.05112878"],
      ["180.0000001", "0"],
      ["0", "85.05112879"],
      ["-0", "-0"],
      ["1e-300", "-1e-310"],
      ["0x10", "0x1p-3"],
      ["inf", "0"],
      ["0", "nan"],
      ["x", "1"],
      ["1", ""],
      [" 1", "2"],
      ["200", "100"],
    ]);
  };
  /** A distance in the unit, from meters that span a few cm to more than the earth. */
  const distance = (unit: string): string => {
    const meters =
      pick([0, 0.5, 3, 50, 400, 5000, 30000, 200000, 800000, 3e6, 7e6, 1.5e7, 2.1e7, 5e7]) *
      (rnd() < 0.5 ? 1 : rnd() * 2);
    const per = { m: 1, km: 1000, ft: 0.3048, mi: 1609.34 }[unit.toLowerCase()] ?? 1;
    const r = rnd();
    if (r < 0.03) return pick(["-1", "x", "", "inf", "-0", "1e400"]);
    return num(meters / per);
  };
  const unit = () =>
    rnd() < 0.03 ? pick(["yd", "", "kms", "m\x00"]) : pick(["m", "km", "ft", "mi", "KM", "Mi"]);
  const count = () =>
    rnd() < 0.05 ? pick(["0", "-1", "x", "9223372036854775807", "1.5"]) : String(int(1, 12));

  /** Options for the searches, shuffled; STORE forms (stores) leave out the WITH* ones. */
  const options = (store: boolean): string[] => {
    const opts: string[][] = [];
    if (rnd() < 0.6) opts.push([pick(["ASC", "DESC", "asc", "desc"])]);
    if (rnd() < 0.45) opts.push(rnd() < 0.35 ? ["COUNT", count(), "ANY"] : ["COUNT", count()]);
    if (!store || rnd() < 0.03) {
      for (const w of ["WITHCOORD", "WITHDIST", "WITHHASH"]) if (rnd() < 0.35) opts.push([w]);
    }
    if (rnd() < 0.02) opts.push([pick(["ANY", "BOGUS", "COUNT", "STOREDIST", "ASC"])]);
    for (let i = opts.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [opts[i], opts[j]] = [opts[j], opts[i]];
    }
    return opts.flat();
  };
  /** GEOSEARCH's FROM* and BY* parts (sometimes missing, doubled or mixed). */
  const searchSpec = (src: string): string[] => {
    const from = rnd() < 0.45 ? ["FROMMEMBER", member(src)] : ["FROMLONLAT", ...point()];
    const u = unit();
    const by = rnd() < 0.55 ? ["BYRADIUS", distance(u), u] : ["BYBOX", distance(u), distance(u), u];
    const r = rnd();
    if (r < 0.03) return by;
    if (r < 0.06) return from;
    if (r < 0.08) return [...from, "FROMLONLAT", "0", "0", ...by];
    if (r < 0.1) return [...from, ...by, "BYBOX", "1", "1", "km"];
    return rnd() < 0.5 ? [...from, ...by] : [...by, ...from];
  };

  const out: Cmd[] = [];
  while (out.length < n) {
    const r = rnd();
    let c: string[];
    if (r < 0.2) {
      const opts: string[] = [];
      for (const o of ["NX", "XX", "CH"]) if (rnd() < 0.1) opts.push(o);
      const k = key();
      const items: string[] = [];
      for (let j = int(1, 8); j > 0; j--) {
        const m = anyMember();
        items.push(...point(), m);
        if (!added.has(k)) added.set(k, []);
        added.get(k)!.push(m);
      }
      if (rnd() < 0.02) items.pop();
      c = ["GEOADD", k, ...opts, ...items];
    } else if (r < 0.3) {
      const k = key();
      c = ["GEOSEARCH", k, ...searchSpec(k), ...options(false)];
      if (rnd() < 0.02) c.splice(1, 0, "x");
    } else if (r < 0.37) {
      const k = key();
      c = ["GEOSEARCHSTORE", dest(), k, ...searchSpec(k), ...options(true)];
      if (rnd() < 0.4) c.push("STOREDIST");
    } else if (r < 0.45) {
      const u = unit();
      const ro = rnd() < 0.3;
      c = [ro ? "GEORADIUS_RO" : "GEORADIUS", key(), ...point(), distance(u), u];
      const store = !ro && rnd() < 0.35;
      c.push(...options(store));
      if (store || rnd() < 0.03) c.push(pick(["STORE", "STOREDIST"]), dest());
    } else if (r < 0.53) {
      const u = unit();
      const ro = rnd() < 0.3;
      const k = key();
      c = [ro ? "GEORADIUSBYMEMBER_RO" : "GEORADIUSBYMEMBER", k, member(k), distance(u), u];
      const store = !ro && rnd() < 0.35;
      c.push(...options(store));
      if (store || rnd() < 0.03) c.push(pick(["STORE", "STOREDIST"]), dest());
    } else if (r < 0.6) {
      c = ["GEOPOS", key()];
      for (let j = int(0, 4); j > 0; j--) c.push(member(c[1]));
    } else if (r < 0.65) {
      c = ["GEOHASH", key()];
      for (let j = int(0, 4); j > 0; j--) c.push(member(c[1]));
    } else if (r < 0.72) {
      const k = key();
      c = ["GEODIST", k, member(k), member(k)];
      if (rnd() < 0.6) c.push(unit());
      if (rnd() < 0.03) c.push("extra");
    } else if (r < 0.77) {
      c = [
        "ZADD",
        key(),
        pick([
          "0",
          "-0",
          "1",
          "100.75",
          "-1.5",
          "4503599627370496",
          "4503599627370495",
          "9007199254740993",
          "1e19",
          "1e30",
          "inf",
          "-inf",
          String(int(0, 2 ** 30) * 2 ** 22),
        ]),
        member(),
      ];
    } else if (r < 0.82) {
      c = ["ZRANGE", pick(KEYS), "0", "-1", "WITHSCORES"];
    } else if (r < 0.85) {
      c = ["ZSCORE", pick(KEYS), member()];
    } else if (r < 0.87) {
      c = ["ZREM", key(), member(), member()];
    } else if (r < 0.88) {
      c = ["DEL", pick(KEYS)];
    } else if (r < 0.9) {
      c = ["SET", "str", "v"];
    } else if (r < 0.93) {
      c = ["OBJECT", "ENCODING", pick(KEYS)];
    } else if (r < 0.94) {
      c = ["EXPIRE", pick(KEYS), "1000"];
    } else if (r < 0.97) {
      c = ["TTL", pick(KEYS)];
    } else if (r < 0.98) {
      c = ["TYPE", pick(KEYS)];
    } else c = ["ZCARD", pick(KEYS)];
    out.push(c.map(bin));
  }
  return out;
}

/**
 * Run `cmds` on both and compare every reply (the label names the seed), then the dataset
 * digest and each key's digest.
 */
async function runScript(a: RespClient, b: RespClient, cmds: Cmd[], label: string): Promise<void> {
  const history: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const [ra, rb] = await callBoth(a, b, cmds[i]);
    const sb = show(rb);
    history.push(`${cmdText(cmds[i])} -> ${sb.slice(0, 200)}`);
    if (history.length > 10) history.shift();
    if (show(ra) !== sb) {
      assert.fail(
        `${label} #${i}: ${cmdText(cmds[i])}\n ours: ${show(ra).slice(0, 600)}\nredis: ${
          sb.slice(0, 600)
        }\nafter:\n  ${history.slice(0, -1).join("\n  ")}`,
      );
    }
  }
  for (const c of [["DEBUG", "DIGEST"], ...KEYS.map((k) => ["DEBUG", "DIGEST-VALUE", k])]) {
    const [ra, rb] = await callBoth(a, b, c);
    assert.equal(show(ra), show(rb), `${label}: ${c.join(" ")}`);
  }
}

const FUZZ_SEED = Number(Deno.env.get("FUZZ_SEED") ?? "4242");

Deno.test({
  name: "geo: seeded random commands match redis-server (RESP2 and RESP3, digests)",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (a, b) => {
      for (let round = 0; round < 4; round++) {
        const seed = FUZZ_SEED + round;
        const proto = round % 2 === 0 ? "2" : "3";
        // Rounds 2 and 3 keep small zsets as skiplists (the other encoding, other store rules).
        const entries = round < 2 ? "128" : "4";
        for (
          const c of [
            ["HELLO", proto],
            ["FLUSHALL"],
            ["CONFIG", "SET", "zset-max-listpack-entries", entries],
          ]
        ) await callBoth(a, b, c);
        const cmds = randomCommands(seed, 1500);
        for (let s = 0; s < cmds.length; s += 300) {
          await runScript(
            a,
            b,
            cmds.slice(s, s + 300),
            `seed ${seed} (FUZZ_SEED=${seed}) RESP${proto} entries ${entries} from #${s}`,
          );
        }
      }
    });
  },
});

/** The same script on both (RESP2, then RESP3 from scratch); every reply compared. */
async function compareBoth(script: Cmd[]): Promise<void> {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await callBoth(a, b, ["HELLO", proto]);
      await callBoth(a, b, ["FLUSHALL"]);
      await runScript(a, b, script, `RESP${proto}`);
    }
  });
}

const SICILY = "13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1";

Deno.test({
  name: "geo: edge cases and error texts match redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    const lines = [
      `GEOADD Sicily ${SICILY}`,
      "GEOADD Sicily 13.583333 37.316667 Agrigento 17.241510 38.788135 edge2",
      // GEOADD: options, counts, limits and error texts (the %f of the rejected pair).
      "GEOADD Sicily XX 1 2 newone",
      "GEOADD Sicily NX 1 2 Palermo",
      "GEOADD Sicily CH 13.361389 38.115556 Palermo 1 2 Catania",
      "GEOADD Sicily CH XX 15.087269 37.502669 Catania",
      "GEOADD Sicily NX XX 1 2 m",
      "GEOADD Sicily XX NX CH 1 2 m",
      "GEOADD Sicily GT 1 2 m",
      "GEOADD Sicily CH CH CH",
      "GEOADD Sicily CH 1 2",
      "GEOADD Sicily 1 2",
      "GEOADD Sicily CH",
      "GEOADD Sicily 200 100 x",
      "GEOADD Sicily -0 100 x",
      "GEOADD Sicily inf 1 x",
      "GEOADD Sicily -inf -inf x",
      "GEOADD Sicily 0.0078125 91 x",
      "GEOADD Sicily 1e30 1 x",
      "GEOADD Sicily 1e-320 85.05112879 x",
      "GEOADD Sicily 180.00000000000003 0 x",
      "GEOADD Sicily x 1 m",
      "GEOADD Sicily 1 nan m",
      "GEOADD Sicily 1 2 ok 1 200 bad",
      "EXISTS ok",
      "GEOADD nokey XX 1 2 m",
      "EXISTS nokey",
      "GEOADD limits 180 85.05112878 ne -180 -85.05112878 sw 180 -85.05112878 se -180 85.05112878 nw",
      "GEOADD limits 0 0 zero -0 -0 negzero 0x10 0x1p-2 hex 1e-300 1e-310 tiny",
      "ZRANGE limits 0 -1 WITHSCORES",
      "GEOPOS limits ne sw se nw zero negzero hex tiny nope",
      "GEOHASH limits ne sw se nw zero negzero hex tiny nope",
      "SET str v",
      "GEOADD str 1 2 m",
      "GEOADD str 200 1 m",
      // GEOPOS / GEOHASH / GEODIST.
      "GEOPOS Sicily Palermo Catania nope",
      "GEOPOS Sicily",
      "GEOPOS nokey a b",
      "GEOPOS str a",
      "GEOHASH Sicily Palermo Catania nope",
      "GEOHASH Sicily",
      "GEOHASH nokey a",
      "GEOHASH str a",
      "GEODIST Sicily Palermo Catania",
      "GEODIST Sicily Palermo Catania km",
      "GEODIST Sicily Palermo Catania KM",
      "GEODIST Sicily Palermo Catania mI",
      "GEODIST Sicily Palermo Catania ft",
      "GEODIST Sicily Palermo Catania yd",
      "GEODIST Sicily Palermo Catania km extra",
      "GEODIST Sicily Palermo Palermo",
      "GEODIST Sicily Palermo nope",
      "GEODIST nokey a b",
      "GEODIST nokey a b yd",
      "GEODIST str a b",
      "GEODIST limits ne sw",
      "GEODIST limits zero negzero",
      // Odd scores (not set by GEOADD) decode as Redis decodes them.
      "ZADD odd -1.5 neg 1e19 big 1e30 huge inf pinf -inf ninf -1e30 nhuge 100.7 frac",
      "ZADD odd 4503599627370496 p52 9007199254740993 p53 4503599627370495 top",
      "GEOPOS odd neg big huge pinf ninf nhuge frac p52 p53 top",
      "GEOHASH odd neg big huge pinf ninf nhuge frac p52 p53 top",
      "GEODIST odd neg big",
      "GEODIST odd huge frac m",
      "GEOSEARCH odd FROMMEMBER frac BYRADIUS 1 m WITHHASH WITHCOORD WITHDIST",
      "GEOSEARCH odd FROMMEMBER top BYRADIUS 1 km WITHHASH WITHCOORD",
      "GEORADIUSBYMEMBER odd neg 100 km WITHHASH",
      // GEORADIUS and GEORADIUS_RO.
      "GEORADIUS Sicily 15 37 200 km",
      "GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH",
      "GEORADIUS Sicily 15 37 200 km ASC WITHDIST",
      "GEORADIUS Sicily 15 37 200 km DESC WITHDIST",
      "GEORADIUS Sicily 15 37 200 km COUNT 1",
      "GEORADIUS Sicily 15 37 200 km COUNT 2 DESC",
      "GEORADIUS Sicily 15 37 200 km COUNT 1 ANY",
      "GEORADIUS Sicily 15 37 200 km COUNT 10 ANY DESC",
      "GEORADIUS Sicily 15 37 200 km ANY",
      "GEORADIUS Sicily 15 37 200 km COUNT 0",
      "GEORADIUS Sicily 15 37 200 km COUNT -3",
      "GEORADIUS Sicily 15 37 200 km COUNT x",
      "GEORADIUS Sicily 15 37 200 km COUNT",
      "GEORADIUS Sicily 15 37 200 km COUNT 99999999999999999999",
      "GEORADIUS Sicily 15 37 200 km WITHDIST COUNT 1 COUNT 2",
      "GEORADIUS Sicily 15 37 200 km BOGUS",
      "GEORADIUS Sicily 15 37 200 km STORE",
      "GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST",
      "GEORADIUS Sicily 15 37 200 km STORE dst",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEORADIUS Sicily 15 37 200 km STOREDIST dst",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEORADIUS Sicily 15 37 200 km STORE dst STOREDIST dst2",
      "ZRANGE dst2 0 -1 WITHSCORES",
      "GEORADIUS Sicily 15 37 200 mi STOREDIST dst COUNT 2 DESC",
      "ZRANGE dst 0 -1 WITHSCORES",
      "OBJECT ENCODING dst",
      "GEORADIUS Sicily 15 37 1 m STORE dst",
      "EXISTS dst",
      "GEORADIUS nokey 15 37 200 km STORE dst2",
      "EXISTS dst2",
      "GEORADIUS nokey 15 37 200 km",
      "GEORADIUS nokey 200 37 200 km",
      "GEORADIUS nokey 15 37 200 yd",
      "GEORADIUS str 200 37 200 km",
      "GEORADIUS Sicily 15 37 -1 km",
      "GEORADIUS Sicily 15 37 x km",
      "GEORADIUS Sicily 15 37 200 yd",
      "GEORADIUS Sicily 15 37 200 KM",
      "GEORADIUS Sicily 13.361389 38.115556 0 m",
      "GEORADIUS Sicily 15 37 -0 m",
      "GEORADIUS Sicily 15 37 inf km",
      "GEORADIUS Sicily 15 37 1e400 km",
      "GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC",
      "GEORADIUS_RO Sicily 15 37 200 km STORE dst",
      "GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst",
      "GEORADIUS Sicily 15 37 200",
      // GEORADIUSBYMEMBER and _RO: no member, no key (then the radius is not even parsed).
      "GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST",
      "GEORADIUSBYMEMBER Sicily Palermo 200 km COUNT 2 WITHCOORD",
      "GEORADIUSBYMEMBER Sicily nope 200 km",
      "GEORADIUSBYMEMBER Sicily nope x yd",
      "GEORADIUSBYMEMBER Sicily Palermo x yd",
      "GEORADIUSBYMEMBER nokey nope x yd",
      "GEORADIUSBYMEMBER nokey nope x yd STORE dst",
      "GEORADIUSBYMEMBER nokey nope x yd BOGUS",
      "GEORADIUSBYMEMBER nokey nope x yd STORE dst WITHDIST",
      "GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km ASC",
      "GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst",
      // GEOSEARCH: shapes, centres and every error.
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km ASC",
      "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH",
      "GEOSEARCH Sicily BYBOX 400 400 km FROMLONLAT 15 37 DESC",
      "GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1e5 1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1e5 km",
      "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY WITHDIST",
      "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMLONLAT 15 37",
      "GEOSEARCH Sicily BYRADIUS 200 km WITHDIST",
      "GeoSearch Sicily BYRADIUS 200 km WITHDIST",
      "geosearch Sicily FROMMEMBER Palermo WITHDIST",
      "GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 200 km ASC",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km BYBOX 1 1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 km BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 1 km BYRADIUS 200 km ASC",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX -1 1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 -1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX x 1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 x km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 yd",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS -1 km",
      "GEOSEARCH Sicily FROMMEMBER nope BYRADIUS -1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km STORE dst",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km STOREDIST",
      "GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMLONLAT x 37 BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 200 km",
      "GEOSEARCH Sicily FROMMEMBER",
      "GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km",
      "GEOSEARCH nokey FROMMEMBER nope BYRADIUS x km",
      "GEOSEARCH nokey FROMLONLAT 200 0 BYRADIUS 1 km",
      "GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km WITHDIST ANY",
      "GEOSEARCH str FROMMEMBER nope BYRADIUS 1 km",
      "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km COUNT 2 ANY ASC WITHDIST",
      // GEOSEARCHSTORE: STOREDIST, emptied or missing sources, TTLs, encodings.
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST ASC COUNT 2",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 200 300 mi STOREDIST",
      "ZRANGE dst 0 -1 WITHSCORES",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37",
      "GEOSEARCHSTORE dst Sicily BYRADIUS 200 km",
      "EXPIRE dst 1000",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km",
      "TTL dst",
      "GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m",
      "EXISTS dst",
      "SET dst x",
      "GEOSEARCHSTORE dst nokey FROMMEMBER nope BYRADIUS 1 km",
      "EXISTS dst",
      "GEOSEARCHSTORE dst str FROMMEMBER nope BYRADIUS 1 km",
      "GEOSEARCHSTORE str Sicily FROMMEMBER Palermo BYRADIUS 200 km",
      "TYPE str",
      "GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 100 km STOREDIST",
      "ZRANGE Sicily 0 -1 WITHSCORES",
      // Members past zset-max-listpack-value make the stored zset a skiplist.
      `GEOADD long 1 1 ${"x".repeat(65)} 1 1.001 short`,
      "GEOSEARCHSTORE dst long FROMLONLAT 1 1 BYRADIUS 1000 km",
      "OBJECT ENCODING dst",
      "GEOSEARCHSTORE dst long FROMLONLAT 1 1 BYRADIUS 1000 km COUNT 1 DESC",
      "OBJECT ENCODING dst",
      // The antimeridian and the poles: cells wrap around, searches cross over.
      "GEOADD wrap 179.9999 0 e1 -179.9999 0 w1 179.5 10 e2 -179.5 -10 w2 0 85.05 n1 180 85.05 n2 -90 -85.05 s1 90 -85.05 s2",
      "GEOSEARCH wrap FROMLONLAT 180 0 BYRADIUS 50 km WITHDIST",
      "GEOSEARCH wrap FROMLONLAT -180 0 BYBOX 100 100 km WITHCOORD",
      "GEOSEARCH wrap FROMLONLAT 179.9 0 BYRADIUS 2000 km ASC WITHDIST",
      "GEOSEARCH wrap FROMMEMBER n1 BYRADIUS 21000 km WITHDIST",
      "GEOSEARCH wrap FROMMEMBER n1 BYRADIUS 3000 km DESC",
      "GEOSEARCH wrap FROMMEMBER s1 BYBOX 20000 500 km WITHDIST",
      "GEORADIUS wrap 0 -85.05112878 25000 km",
      "GEORADIUS wrap 0 0 20037 km WITHDIST",
      "GEORADIUS wrap 0 0 1e9 km",
      "GEOSEARCH wrap FROMLONLAT 0 0 BYBOX 1e9 1e9 km",
      // Antipodes: the longest distances.
      "GEOADD anti 0 0 a 180 0 b -180 0 c 90 45 d -90 -45 e 10.5 30.25 f -169.5 -30.25 g",
      "GEODIST anti a b",
      "GEODIST anti b c",
      "GEODIST anti d e km",
      "GEODIST anti f g mi",
      "GEOSEARCH anti FROMMEMBER f BYRADIUS 20100 km WITHDIST ASC",
      "GEOSEARCHSTORE dst anti FROMMEMBER d BYRADIUS 20100 km STOREDIST",
      "ZRANGE dst 0 -1 WITHSCORES",
    ];
    await compareBoth(lines.map(words));
  },
});

Deno.test({
  name: "geo: stored distances are glibc's to the last bit (STOREDIST over many points)",
  ignore: !haveRedisServer(),
  fn: async () => {
    // A 1-ulp difference in sin/cos/asin shows here: stored scores print as %.17g.
    const rnd = prng(99);
    const script: Cmd[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const args = ["GEOADD", "many"];
      for (let i = 0; i < 250; i++) {
        args.push(
          String(rnd() * 360 - 180),
          String((rnd() * 2 - 1) * LAT_MAX),
          `p${batch * 250 + i}`,
        );
      }
      script.push(args.map(bin));
    }
    for (const [x, y] of [[0, 0], [13.4, 38.1], [-179.9, 80], [120, -45.5], [179, -84]]) {
      script.push(
        words(`GEOSEARCHSTORE d many FROMLONLAT ${x} ${y} BYRADIUS 25000 km STOREDIST`),
        words("ZRANGE d 0 -1 WITHSCORES"),
        words(`GEORADIUS many ${x} ${y} 3000 mi STOREDIST d2`),
        words("ZRANGE d2 0 -1 WITHSCORES"),
      );
    }
    await withNodeAndRedis(async (a, b) => {
      await runScript(a, b, script, "STOREDIST");
    });
  },
});

Deno.test({
  name: "geo: keyspace events as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (a, b) => {
      const script = [
        `GEOADD Sicily ${SICILY}`,
        "GEOADD Sicily NX 1 2 Palermo",
        "GEOADD Sicily CH 1 2 Palermo",
        "GEOADD Sicily 200 2 bad",
        "GEORADIUS Sicily 15 37 200 km STORE dst",
        "GEORADIUS Sicily 15 37 200 km STORE dst",
        "GEORADIUSBYMEMBER Sicily Catania 200 km STOREDIST dst2",
        "GEOSEARCHSTORE dst3 Sicily FROMMEMBER Catania BYRADIUS 200 km",
        "GEOSEARCHSTORE dst3 Sicily FROMMEMBER Catania BYRADIUS 1 m",
        "GEOSEARCHSTORE dst3 Sicily FROMMEMBER Catania BYRADIUS 1 m",
        "GEOSEARCHSTORE dst2 nokey FROMMEMBER Catania BYRADIUS 1 m",
        "GEORADIUS nokey 15 37 200 km STORE dst",
        "GEOSEARCH Sicily FROMMEMBER Catania BYRADIUS 200 km",
        "GEOSEARCH nokey FROMMEMBER Catania BYRADIUS 200 km",
        "GEOPOS nokey a",
        "GEODIST nokey a b",
      ].map(words);
      const got = await keyspaceEventsBoth(a, b, script);
      assert.deepEqual(got[0], got[1]);
      assert.ok(got[1].some((m) => m.includes('"georadiusstore"')));
      assert.ok(got[1].some((m) => m.includes('"geosearchstore"')));
    });
  },
});

Deno.test({
  name: "geo: dirty counting (rdb_changes_since_last_save) as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (a, b) => {
      const script = [
        `GEOADD Sicily ${SICILY}`,
        "GEOADD Sicily 1 2 a 3 4 b",
        "GEOADD Sicily NX 1 2 a 5 6 c",
        "GEOADD Sicily CH 1 2 a 5 7 c 8 9 d",
        "GEOADD Sicily XX 1 2 nope",
        "GEOADD Sicily 200 2 bad",
        "GEORADIUS Sicily 15 37 2000 km STORE dst",
        "GEORADIUS Sicily 15 37 2000 km COUNT 2 STOREDIST dst",
        "GEORADIUS Sicily 15 37 1 m STORE dst",
        "GEORADIUS Sicily 15 37 1 m STORE dst",
        "GEOSEARCHSTORE dst Sicily FROMLONLAT 1 2 BYBOX 2000 2000 km",
        "GEOSEARCHSTORE dst nokey FROMLONLAT 1 2 BYBOX 2000 2000 km",
        "GEOSEARCHSTORE dst nokey FROMLONLAT 1 2 BYBOX 2000 2000 km",
        "GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX 2000 2000 km",
        "GEORADIUS Sicily 15 37 2000 km",
      ].map(words);
      await sameDirtyCounts(a, b, script);
    });
  },
});

/** A reply with every type tag (show() prints RESP3 sets and arrays alike). */
const typed = (v: unknown): string =>
  JSON.stringify(
    v,
    (_k, x) =>
      x instanceof Uint8Array ? String.fromCharCode(...x) : typeof x === "bigint" ? String(x) : x,
  );

const GEO_COMMANDS = [
  "geoadd",
  "geodist",
  "geohash",
  "geopos",
  "georadius",
  "georadius_ro",
  "georadiusbymember",
  "georadiusbymember_ro",
  "geosearch",
  "geosearchstore",
];

Deno.test({
  name: "geo: COMMAND INFO, DOCS and GETKEYS as redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (a, b) => {
      await callBoth(a, b, ["HELLO", "3"]);
      for (const n of GEO_COMMANDS) {
        // Name, arity, flags (movablekeys for the STORE forms), legacy keys, ACL categories,
        // key specs (GEORADIUS's found by the STORE and STOREDIST keywords).
        const [ra, rb] = await callBoth(a, b, ["COMMAND", "INFO", n]);
        assert.equal(typed(ra), typed(rb), `COMMAND INFO ${n}`);
        const docs = async (c: RespClient) => {
          const d = await c.call("COMMAND", "DOCS", n) as Record<string, Record<string, unknown>>;
          const x = d[n];
          return [x.summary, x.since, x.group];
        };
        assert.deepEqual(await docs(a), await docs(b), `COMMAND DOCS ${n}`);
      }
      for (
        const line of [
          "GEORADIUS k 0 0 1 km",
          "GEORADIUS k 0 0 1 km STORE a",
          "GEORADIUS k 0 0 1 km STOREDIST b",
          "GEORADIUS k 0 0 1 km STORE a STOREDIST b",
          "GEORADIUS k 0 0 1 km STOREDIST b STORE a STORE c",
          "GEORADIUS k 0 0 1 km COUNT 1 STORE",
          "GEORADIUS k 0 0 1 store x",
          "GEORADIUSBYMEMBER k m 1 km store a",
          "GEORADIUSBYMEMBER k m 1 store a",
          "GEORADIUS_RO k 0 0 1 km STORE a",
          "GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km",
          "GEOSEARCH s FROMMEMBER m BYRADIUS 1 km",
          "GEOADD k 1 2 m",
        ]
      ) {
        const [ra, rb] = await callBoth(a, b, ["COMMAND", "GETKEYS", ...words(line)]);
        assert.equal(show(ra), show(rb), `COMMAND GETKEYS ${line}`);
      }
    });
  },
});

Deno.test({
  name: "geo: the replication stream is redis-server's (GEOADD goes as ZADD)",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (a, b, node) => {
      const readers: RawReplica[] = [];
      try {
        for (const port of [node.port, (b.conn.remoteAddr as Deno.NetAddr).port]) {
          readers.push(await RawReplica.attach(port));
        }
        const script = [
          `GEOADD Sicily ${SICILY}`,
          "GEOADD Sicily NX 1 2 Palermo",
          "GEOADD Sicily CH XX 1 2 Palermo 3 4 nope",
          "GEOADD Sicily 200 2 bad",
          "GEOADD Sicily 180 85.05112878 top",
          "GEORADIUS Sicily 15 37 2000 km",
          "GEORADIUS Sicily 15 37 200 km STORE dst",
          "GEORADIUSBYMEMBER Sicily Catania 1 m STOREDIST dst",
          "GEORADIUSBYMEMBER Sicily Catania 1 m STOREDIST dst",
          "GEOSEARCHSTORE dst2 Sicily FROMMEMBER Catania BYRADIUS 200 km STOREDIST",
          "GEOSEARCH Sicily FROMMEMBER Catania BYRADIUS 200 km",
          "MULTI",
          "GEOADD Sicily 5 5 five",
          "GEOADD Sicily 5 5 five",
          "GEOSEARCHSTORE dst3 Sicily FROMMEMBER five BYRADIUS 1 km",
          "EXEC",
          "SET geo-marker done",
        ].map(words);
        for (const c of script) await callBoth(a, b, c);
        const [ours, theirs] = [
          await readers[0].commandsUntil("geo-marker"),
          await readers[1].commandsUntil("geo-marker"),
        ];
        assert.deepEqual(ours, theirs);
        assert.ok(
          theirs.includes(
            "zadd Sicily 3479099956230698 Palermo 3479447370796909 Catania 3479273021651468 edge1",
          ),
        );
      } finally {
        for (const r of readers) r.close();
      }
    });
  },
});

Deno.test("geo: replies without a reference server", async () => {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    assert.equal(await c.call("GEOADD", "Sicily", ...SICILY.split(" ")), 3);
    assert.equal(await c.call("ZSCORE", "Sicily", "Palermo"), "3479099956230698");
    assert.equal(await c.call("GEODIST", "Sicily", "Palermo", "Catania"), "166274.1516");
    assert.deepEqual(await c.call("GEOHASH", "Sicily", "Palermo", "nope"), ["sqc8b49rny0", null]);
    assert.deepEqual(await c.call("GEOPOS", "Sicily", "Palermo"), [[
      "13.36138933897018433",
      "38.11555639549629859",
    ]]);
    assert.deepEqual(
      await c.call("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
      ["Catania", "Palermo"],
    );
    assert.deepEqual(
      await c.call("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "COUNT", "1"),
      [["Catania", "56.4413"]],
    );
    assert.equal(
      show(await c.callRaw("GEOADD", "Sicily", "200", "100", "x")),
      "-ERR invalid longitude,latitude pair 200.000000,100.000000",
    );
    await c.call("HELLO", "3");
    const raw = await c.callRaw("GEOPOS", "Sicily", "Catania");
    assert.equal(show(raw), "[[,15.08726745843887329,,37.50266842333162032]]");
  } finally {
    c.close();
    await node.stop();
  }
});
