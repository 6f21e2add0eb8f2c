/**
 * Geo commands, as Redis 7.0 (geo.c): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
 * GEOSEARCHSTORE and the deprecated GEORADIUS, GEORADIUS_RO, GEORADIUSBYMEMBER,
 * GEORADIUSBYMEMBER_RO. A geo set is a sorted set whose scores are 52-bit geohashes
 * (keyspace/geohash.ts holds the math).
 *
 * GEOADD is ZADD over the encoded positions (geoaddCommand rewrites its arguments and calls
 * zaddCommand): its replies, errors, `zadd` event and its propagation as ZADD come from there.
 * The searches follow georadiusGeneric: the 9 cells around the centre are scanned in Redis's
 * order (so replies without ASC/DESC list members in the same order), matches are sorted by
 * distance with a stable sort as glibc's qsort (a merge sort) or, when COUNT keeps fewer than
 * were found, with Redis's partial quicksort (pqsort.c), so ties come out as Redis's do.
 * Distances print with 4 decimals (fixedpoint_d2string), coordinates as addReplyHumanLongDouble
 * (a RESP3 double in RESP3).
 */

import { fromLatin1, latin1, parseInt64 } from "../protocol/bytes.ts";
import type { Reply } from "../protocol/reply.ts";
import { ZSet } from "../keyspace/zset.ts";
import * as G from "../keyspace/geohash.ts";
import * as E from "./errors.ts";
import { pqsort } from "./pqsort.ts";
import { geoStoreKeys, isCWord as isWord } from "./key_finders.ts";
import { type CommandContext, type CommandDef, fromTable, type Handler } from "./types.ts";
import { parseStrictDouble } from "./zset_parse.ts";
import { zsetCommands } from "./zsets.ts";
import { NOTIFY_GENERIC, NOTIFY_ZSET } from "../pubsub/notify_flags.ts";
import type { ConfigPort } from "../server/server_ports.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort>;

// ---------------------------------------------------------------------------------------------
// Argument helpers

/** extractLongLatOrReply: [longitude, latitude] from argv[i], argv[i+1], or null (replied). */
function extractLongLat(reply: Reply, argv: Uint8Array[], i: number): [number, number] | null {
  const x = parseStrictDouble(argv[i]);
  if (x === null) {
    reply.error(E.NOT_FLOAT);
    return null;
  }
  const y = parseStrictDouble(argv[i + 1]);
  if (y === null) {
    reply.error(E.NOT_FLOAT);
    return null;
  }
  if (x < G.GEO_LONG_MIN || x > G.GEO_LONG_MAX || y < G.GEO_LAT_MIN || y > G.GEO_LAT_MAX) {
    reply.error(
      `ERR invalid longitude,latitude pair ${G.formatFixed(x, 6)},${G.formatFixed(y, 6)}`,
    );
    return null;
  }
  return [x, y];
}

/** extractUnitOrReply: meters per unit, or -1 (replied). */
function extractUnit(reply: Reply, b: Uint8Array): number {
  if (isWord(b, "m")) return 1;
  if (isWord(b, "km")) return 1000;
  if (isWord(b, "ft")) return 0.3048;
  if (isWord(b, "mi")) return 1609.34;
  reply.error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

/** extractDistanceOrReply: sets shape.radius and shape.conversion; false when it replied. */
function extractDistance(reply: Reply, argv: Uint8Array[], i: number, shape: G.GeoShape): boolean {
  const d = parseStrictDouble(argv[i]);
  if (d === null) {
    reply.error("ERR need numeric radius");
    return false;
  }
  if (d < 0) {
    reply.error("ERR radius cannot be negative");
    return false;
  }
  shape.radius = d;
  const toMeters = extractUnit(reply, argv[i + 1]);
  if (toMeters < 0) return false;
  shape.conversion = toMeters;
  return true;
}

/** extractBoxOrReply: sets shape.width, shape.height and shape.conversion. */
function extractBox(reply: Reply, argv: Uint8Array[], i: number, shape: G.GeoShape): boolean {
  const w = parseStrictDouble(argv[i]);
  if (w === null) {
    reply.error("ERR need numeric width");
    return false;
  }
  const h = parseStrictDouble(argv[i + 1]);
  if (h === null) {
    reply.error("ERR need numeric height");
    return false;
  }
  if (h < 0 || w < 0) {
    reply.error("ERR height or width cannot be negative");
    return false;
  }
  shape.height = h;
  shape.width = w;
  const toMeters = extractUnit(reply, argv[i + 2]);
  if (toMeters < 0) return false;
  shape.conversion = toMeters;
  return true;
}

/** The zset at `key`: the value, null when missing, or undefined after a WRONGTYPE reply. */
function geoForRead(ctx: Ctx, key: string): ZSet | null | undefined {
  const v = ctx.db.lookupRead(key);
  if (v === undefined) return null;
  if (v instanceof ZSet) return v;
  ctx.reply.error(E.WRONGTYPE);
  return undefined;
}

/** addReplyHumanLongDouble: a bulk string in RESP2, a RESP3 double in RESP3. */
function replyCoordinate(reply: Reply, d: number): void {
  const text = G.formatCoordinate(d);
  if (reply.proto === 3) reply.raw(fromLatin1(`,${text}\r\n`));
  else reply.bulkText(text);
}

// ---------------------------------------------------------------------------------------------
// GEOADD

const zaddHandler: Handler = (() => {
  const def = zsetCommands.find((d) => d.name === "zadd");
  if (def === undefined || def.handler === undefined) throw new Error("geo: ZADD not found");
  return def.handler;
})();

const ZADD = fromLatin1("zadd");

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD with the geohash scores. */
/** The whole server: GEOADD runs ZADD (commands/zsets.ts), whose context is the whole host. */
function geoadd(ctx: CommandContext, argv: Uint8Array[]): void | Promise<void> {
  let xx = false, nx = false, longidx = 2;
  while (longidx < argv.length) {
    const opt = argv[longidx];
    if (isWord(opt, "nx")) nx = true;
    else if (isWord(opt, "xx")) xx = true;
    else if (!isWord(opt, "ch")) break;
    longidx++;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  const elements = (argv.length - longidx) / 3;
  const zargv: Uint8Array[] = [ZADD, ...argv.slice(1, longidx)];
  for (let i = 0; i < elements; i++) {
    const xy = extractLongLat(ctx.reply, argv, longidx + i * 3);
    if (xy === null) return;
    const h = G.geohashEncodeWGS84(xy[0], xy[1], G.GEO_STEP_MAX)!;
    zargv.push(fromLatin1(G.geohashAlign52Bits(h).toString()), argv[longidx + i * 3 + 2]);
  }
  // replaceClientCommandVector: what runs, and what replicates when it changed something, is
  // the ZADD.
  const dirty = ctx.db.stats.dirty;
  const r = zaddHandler(ctx, zargv);
  if (ctx.db.stats.dirty !== dirty) ctx.server.replication.overridePropagation([zargv]);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Searches: GEORADIUS*, GEOSEARCH, GEOSEARCHSTORE (georadiusGeneric)

const RADIUS_COORDS = 1 << 0;
const RADIUS_MEMBER = 1 << 1;
const RADIUS_NOSTORE = 1 << 2;
const GEOSEARCH = 1 << 3;
const GEOSEARCHSTORE = 1 << 4;

const SORT_NONE = 0, SORT_ASC = 1, SORT_DESC = 2;

/** geo.h geoPoint. */
interface GeoPoint {
  longitude: number;
  latitude: number;
  dist: number;
  score: number;
  member: string;
}

/** geo.c sort_gp_asc. */
function sortAsc(a: GeoPoint, b: GeoPoint): number {
  if (a.dist > b.dist) return 1;
  if (a.dist === b.dist) return 0;
  return -1;
}

function sortDesc(a: GeoPoint, b: GeoPoint): number {
  return -sortAsc(a, b);
}

/**
 * geoGetPointsInRange: append the members with a score in [min, max) that are inside the shape,
 * in zset order; stop once `limit` (when not 0) points were found.
 */
function pointsInRange(
  z: ZSet,
  min: number,
  max: number,
  shape: G.GeoShape,
  ga: GeoPoint[],
  limit: number,
): void {
  const { members, scores } = z.rangeByScore({ min, max, minex: false, maxex: true }, 0, -1, false);
  for (let i = 0; i < members.length; i++) {
    const score = scores[i];
    const [lon, lat] = G.decodeScore(score);
    const dist = G.distanceIfWithin(shape, lon, lat);
    if (dist !== null) {
      ga.push({ longitude: lon, latitude: lat, dist, score, member: members[i] });
    }
    if (ga.length !== 0 && limit !== 0 && ga.length >= limit) break;
  }
}

/** membersOfAllNeighbors: the centre cell then its 8 neighbours, as Redis visits them. */
function membersOfAllNeighbors(
  z: ZSet,
  r: G.GeoHashRadius,
  shape: G.GeoShape,
  ga: GeoPoint[],
  limit: number,
): void {
  const cells = G.searchCells(r);
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (G.isZeroCell(c)) continue;
    // A cell equal to the previous one processed (huge radius) is skipped; note that Redis
    // never compares with the centre cell (last_processed 0 reads as "none").
    const last = cells[lastProcessed];
    if (lastProcessed !== 0 && c.bits === last.bits && c.step === last.step) continue;
    if (ga.length !== 0 && limit !== 0 && ga.length >= limit) break;
    const [min, max] = G.scoresOfGeoHashBox(c);
    pointsInRange(z, min, max, shape, ga, limit);
    lastProcessed = i;
  }
}

function maxEntries(ctx: Ctx): number {
  return ctx.server.config.getNumber("zset-max-listpack-entries");
}

function maxValue(ctx: Ctx): number {
  return ctx.server.config.getNumber("zset-max-listpack-value");
}

/** georadiusGeneric: the source key is argv[srcKeyIndex]; `flags` says which command runs. */
function georadiusGeneric(
  ctx: Ctx,
  argv: Uint8Array[],
  srcKeyIndex: number,
  flags: number,
): void {
  const { reply, db } = ctx;
  let storekey: string | null = null;
  let storedist = false;

  const zobj = geoForRead(ctx, latin1(argv[srcKeyIndex]));
  if (zobj === undefined) return;

  let baseArgs: number;
  const shape: G.GeoShape = {
    type: "circle",
    longitude: 0,
    latitude: 0,
    conversion: 0,
    radius: 0,
    width: 0,
    height: 0,
  };
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    const xy = extractLongLat(reply, argv, 2);
    if (xy === null) return;
    [shape.longitude, shape.latitude] = xy;
    if (!extractDistance(reply, argv, baseArgs - 2, shape)) return;
  } else if ((flags & RADIUS_MEMBER) && zobj === null) {
    // No source key: parse the options anyway, to know which reply the STORE forms give.
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    const score = zobj!.score(latin1(argv[2]));
    if (score === undefined) {
      reply.error("ERR could not decode requested zset member");
      return;
    }
    [shape.longitude, shape.latitude] = G.decodeScore(score);
    if (!extractDistance(reply, argv, baseArgs - 2, shape)) return;
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = latin1(argv[1]);
    }
  }

  let withdist = false, withhash = false, withcoords = false;
  let frommember = false, fromloc = false, byradius = false, bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    if (isWord(arg, "withdist")) withdist = true;
    else if (isWord(arg, "withhash")) withhash = true;
    else if (isWord(arg, "withcoord")) withcoords = true;
    else if (isWord(arg, "any")) any = true;
    else if (isWord(arg, "asc")) sort = SORT_ASC;
    else if (isWord(arg, "desc")) sort = SORT_DESC;
    else if (isWord(arg, "count") && i + 1 < remaining) {
      const n = parseInt64(argv[baseArgs + i + 1]);
      if (n === null) {
        reply.error(E.NOT_INTEGER);
        return;
      }
      if (n <= 0) {
        reply.error("ERR COUNT must be > 0");
        return;
      }
      count = n;
      i++;
    } else if (
      isWord(arg, "store") && i + 1 < remaining && !(flags & RADIUS_NOSTORE) &&
      !(flags & GEOSEARCH)
    ) {
      storekey = latin1(argv[baseArgs + i + 1]);
      storedist = false;
      i++;
    } else if (
      isWord(arg, "storedist") && i + 1 < remaining && !(flags & RADIUS_NOSTORE) &&
      !(flags & GEOSEARCH)
    ) {
      storekey = latin1(argv[baseArgs + i + 1]);
      storedist = true;
      i++;
    } else if (isWord(arg, "storedist") && (flags & GEOSEARCH) && (flags & GEOSEARCHSTORE)) {
      storedist = true;
    } else if (isWord(arg, "frommember") && i + 1 < remaining && (flags & GEOSEARCH) && !fromloc) {
      if (zobj === null) {
        frommember = true;
        i++;
        continue;
      }
      const score = zobj.score(latin1(argv[baseArgs + i + 1]));
      if (score === undefined) {
        reply.error("ERR could not decode requested zset member");
        return;
      }
      [shape.longitude, shape.latitude] = G.decodeScore(score);
      frommember = true;
      i++;
    } else if (
      isWord(arg, "fromlonlat") && i + 2 < remaining && (flags & GEOSEARCH) && !frommember
    ) {
      const xy = extractLongLat(reply, argv, baseArgs + i + 1);
      if (xy === null) return;
      [shape.longitude, shape.latitude] = xy;
      fromloc = true;
      i += 2;
    } else if (isWord(arg, "byradius") && i + 2 < remaining && (flags & GEOSEARCH) && !bybox) {
      if (!extractDistance(reply, argv, baseArgs + i + 1, shape)) return;
      shape.type = "circle";
      byradius = true;
      i += 2;
    } else if (isWord(arg, "bybox") && i + 3 < remaining && (flags & GEOSEARCH) && !byradius) {
      if (!extractBox(reply, argv, baseArgs + i + 1, shape)) return;
      shape.type = "box";
      bybox = true;
      i += 3;
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }

  if (storekey !== null && (withdist || withhash || withcoords)) {
    const what = flags & GEOSEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS";
    reply.error(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
    return;
  }
  if ((flags & GEOSEARCH) && !(frommember || fromloc)) {
    reply.error(
      `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${latin1(argv[0])}`,
    );
    return;
  }
  if ((flags & GEOSEARCH) && !(byradius || bybox)) {
    reply.error(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${latin1(argv[0])}`);
    return;
  }
  if (any && count === 0) {
    reply.error("ERR the ANY argument requires COUNT argument");
    return;
  }

  // No source key: an empty reply, or the destination deleted.
  if (zobj === null) {
    if (storekey !== null) {
      if (db.deleteEvenIfExpired(storekey)) {
        db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", storekey);
      }
      reply.int(0);
    } else reply.array(0);
    return;
  }

  // COUNT without an order keeps the nearest ones (not with ANY).
  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;

  const georadius = G.geohashCalculateAreasByShapeWGS84(shape);
  const ga: GeoPoint[] = [];
  membersOfAllNeighbors(zobj, georadius, shape, ga, any ? count : 0);

  if (ga.length === 0 && storekey === null) {
    reply.array(0);
    return;
  }

  const resultLength = ga.length;
  const returnedItems = count === 0 || resultLength < count ? resultLength : count;

  if (sort !== SORT_NONE) {
    const cmp = sort === SORT_ASC ? sortAsc : sortDesc;
    // glibc's qsort is a stable merge sort, as JavaScript's sort.
    if (returnedItems === resultLength) ga.sort(cmp);
    else pqsort(ga, cmp, 0, returnedItems - 1);
  }

  if (storekey === null) {
    const optionLength = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    reply.array(returnedItems);
    for (let i = 0; i < returnedItems; i++) {
      const gp = ga[i];
      gp.dist /= shape.conversion;
      if (optionLength !== 0) reply.array(optionLength + 1);
      reply.bulkBinary(gp.member);
      if (withdist) reply.bulkText(G.formatDistance(gp.dist));
      if (withhash) reply.int(G.scoreToInt64(gp.score));
      if (withcoords) {
        reply.array(2);
        replyCoordinate(reply, gp.longitude);
        replyCoordinate(reply, gp.latitude);
      }
    }
    return;
  }

  if (returnedItems !== 0) {
    let maxLen = 0;
    for (let i = 0; i < returnedItems; i++) {
      if (ga[i].member.length > maxLen) maxLen = ga[i].member.length;
    }
    // zsetConvertToListpackIfNeeded on the new skiplist zset (listpack storage has no -0).
    const listpack = returnedItems <= maxEntries(ctx) && maxLen <= maxValue(ctx);
    const z = new ZSet(listpack);
    for (let i = 0; i < returnedItems; i++) {
      const gp = ga[i];
      gp.dist /= shape.conversion;
      let score = storedist ? gp.dist : gp.score;
      if (listpack && score === 0) score = 0;
      if (z.score(gp.member) === undefined) z.add(gp.member, score);
    }
    db.set(storekey, z);
    db.notifier.notifyKeyspaceEvent(
      NOTIFY_ZSET,
      flags & GEOSEARCH ? "geosearchstore" : "georadiusstore",
      storekey,
    );
    // server.dirty += returned_items (db.set counted one).
    db.stats.dirty += returnedItems - 1;
  } else if (db.deleteEvenIfExpired(storekey)) {
    db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", storekey);
  }
  reply.int(returnedItems);
}

// ---------------------------------------------------------------------------------------------
// GEOHASH, GEOPOS, GEODIST

function geohash(ctx: Ctx, argv: Uint8Array[]): void {
  const z = geoForRead(ctx, latin1(argv[1]));
  if (z === undefined) return;
  ctx.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z === null ? undefined : z.score(latin1(argv[j]));
    if (score === undefined) ctx.reply.nil();
    else ctx.reply.bulkText(G.geohashText(score));
  }
}

function geopos(ctx: Ctx, argv: Uint8Array[]): void {
  const z = geoForRead(ctx, latin1(argv[1]));
  if (z === undefined) return;
  const reply = ctx.reply;
  reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z === null ? undefined : z.score(latin1(argv[j]));
    if (score === undefined) reply.nilArray();
    else {
      const [x, y] = G.decodeScore(score);
      reply.array(2);
      replyCoordinate(reply, x);
      replyCoordinate(reply, y);
    }
  }
}

function geodist(ctx: Ctx, argv: Uint8Array[]): void {
  let toMeter = 1;
  if (argv.length === 5) {
    toMeter = extractUnit(ctx.reply, argv[4]);
    if (toMeter < 0) return;
  } else if (argv.length > 5) {
    ctx.reply.error(E.SYNTAX);
    return;
  }
  const z = geoForRead(ctx, latin1(argv[1]));
  if (z === undefined) return;
  const s1 = z === null ? undefined : z.score(latin1(argv[2]));
  const s2 = z === null ? undefined : z.score(latin1(argv[3]));
  if (s1 === undefined || s2 === undefined) {
    ctx.reply.nil();
    return;
  }
  const [x1, y1] = G.decodeScore(s1);
  const [x2, y2] = G.decodeScore(s2);
  ctx.reply.bulkText(G.formatDistance(G.geohashGetDistance(x1, y1, x2, y2) / toMeter));
}

// ---------------------------------------------------------------------------------------------
// The command table

export const geoCommands: CommandDef[] = [
  fromTable("geoadd", geoadd),
  fromTable("geodist", geodist),
  fromTable("geohash", geohash),
  fromTable("geopos", geopos),
  fromTable("georadius", (c, a) => georadiusGeneric(c, a, 1, RADIUS_COORDS), {
    getKeys: geoStoreKeys(6),
  }),
  fromTable("georadius_ro", (c, a) => georadiusGeneric(c, a, 1, RADIUS_COORDS | RADIUS_NOSTORE)),
  fromTable("georadiusbymember", (c, a) => georadiusGeneric(c, a, 1, RADIUS_MEMBER), {
    getKeys: geoStoreKeys(5),
  }),
  fromTable(
    "georadiusbymember_ro",
    (c, a) => georadiusGeneric(c, a, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  ),
  fromTable("geosearch", (c, a) => georadiusGeneric(c, a, 1, GEOSEARCH)),
  fromTable("geosearchstore", (c, a) => georadiusGeneric(c, a, 2, GEOSEARCH | GEOSEARCHSTORE)),
];
