/**
 * The geohash math of Redis 7.0's geo commands, step for step as geohash.c, geohash_helper.c and
 * the helpers of geo.c compute it, so the same scores, cells, distances and texts come out:
 *
 * - a position is a 52-bit interleaved geohash (26 bits of latitude on the even bits, 26 of
 *   longitude on the odd bits, over -180..180 and -85.05112878..85.05112878), stored as a zset
 *   score (geohashEncode, interleave64, geohashAlign52Bits);
 * - a score decodes to the centre of its cell, clamped to the limits (decodeGeohash: the double
 *   score goes through C's `(uint64_t)` conversion as x86-64 code does it, so odd scores decode
 *   as Redis decodes them);
 * - a search covers the cell of the centre plus its 8 neighbours at a step estimated from the
 *   radius (geohashEstimateStepsByRadius, geohashBoundingBox, geohashCalculateAreasByShapeWGS84,
 *   geohashNeighbors), each cell being a score range [min, max);
 * - distances are Redis's haversine with its earth radius (geohashGetDistance,
 *   geohashGetDistanceIfInRectangle).
 *
 * sin, cos and asin are glibc's own (libm through FFI, when the process may load it): V8's
 * differ from glibc's in the last bit for about one argument in a thousand, which would show in
 * stored distances (STOREDIST) and at the edges of searches. Without FFI, Math's are used.
 *
 * Also the texts Redis prints for geo values: %.4f distances (fixedpoint_d2string), %f in error
 * messages, and the 11-character GEOHASH string. Pure functions (64-bit values as bigints where
 * the cell arithmetic needs them, as two 32-bit halves on the per-point decode path).
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** geohash_helper.c EARTH_RADIUS_IN_METERS: the quadratic mean radius for WGS-84. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** geohash_helper.c D_R (M_PI / 180.0). */
const D_R = Math.PI / 180.0;

const TWO32 = 4294967296;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

// ---------------------------------------------------------------------------------------------
// libm

interface Libm {
  sin(x: number): number;
  cos(x: number): number;
  asin(x: number): number;
}

/** glibc's libm when this process may load it (FFI), else JavaScript's Math. */
function loadLibm(): Libm {
  try {
    if (
      Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted"
    ) {
      const lib = Deno.dlopen("libm.so.6", {
        sin: { parameters: ["f64"], result: "f64" },
        cos: { parameters: ["f64"], result: "f64" },
        asin: { parameters: ["f64"], result: "f64" },
      });
      const s = lib.symbols;
      return { sin: (x) => s.sin(x), cos: (x) => s.cos(x), asin: (x) => s.asin(x) };
    }
  } catch {
    // No libm to load: Math below.
  }
  return { sin: Math.sin, cos: Math.cos, asin: Math.asin };
}

const libm: Libm = loadLibm();
const { sin, cos, asin } = libm;

// ---------------------------------------------------------------------------------------------
// Bits

export interface GeoHashBits {
  /** The interleaved bits (2 * step of them). */
  bits: bigint;
  step: number;
}

export interface GeoHashRange {
  min: number;
  max: number;
}

export interface GeoHashArea {
  hash: GeoHashBits;
  longitude: GeoHashRange;
  latitude: GeoHashRange;
}

export interface GeoHashNeighbors {
  north: GeoHashBits;
  east: GeoHashBits;
  west: GeoHashBits;
  south: GeoHashBits;
  northEast: GeoHashBits;
  southEast: GeoHashBits;
  northWest: GeoHashBits;
  southWest: GeoHashBits;
}

export const WGS84_LONG: GeoHashRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const WGS84_LAT: GeoHashRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

/** The low 16 bits of v spread to the even bits of a 32-bit value. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even bits of a 32-bit value gathered into 16 bits. */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** geohash.c interleave64: x (32 bits) on the even bits, y on the odd bits, as hi/lo words. */
function interleaveWords(x: number, y: number): [number, number] {
  const lo = (spread16(x) | (spread16(y) << 1)) >>> 0;
  const hi = (spread16(x >>> 16) | (spread16(y >>> 16) << 1)) >>> 0;
  return [hi, lo];
}

/** geohash.c interleave64 of two uint32 values. */
export function interleave64(x: number, y: number): bigint {
  const [hi, lo] = interleaveWords(x, y);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** geohash.c deinterleave64 of hi/lo words: [even bits, odd bits] as uint32 values. */
function deinterleaveWords(hi: number, lo: number): [number, number] {
  const x = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const y = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  return [x, y];
}

/** C's `(uint32_t)` of a double known to be in [0, 2^32): truncation. */
function toU32(d: number): number {
  return Math.trunc(d) >>> 0;
}

/**
 * geohash.c geohashEncode: the cell of (longitude, latitude) at `step` over the given ranges, or
 * null where Redis returns 0 (bad step, outside the WGS84 limits or the ranges).
 */
export function geohashEncode(
  longRange: GeoHashRange,
  latRange: GeoHashRange,
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | null {
  if (step > 32 || step === 0) return null;
  if (latRange.min === 0 && latRange.max === 0) return null;
  if (longRange.min === 0 && longRange.max === 0) return null;
  if (
    longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  ) return null;
  if (
    latitude < latRange.min || latitude > latRange.max || longitude < longRange.min ||
    longitude > longRange.max
  ) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: interleave64(toU32(latOffset), toU32(longOffset)), step };
}

/** geohashEncodeWGS84. */
export function geohashEncodeWGS84(
  longitude: number,
  latitude: number,
  step: number,
): GeoHashBits | null {
  return geohashEncode(WGS84_LONG, WGS84_LAT, longitude, latitude, step);
}

/**
 * The score GEOADD stores for a valid position: the 52-bit hash as ZADD parses its decimal text
 * (bits past 2^53, at longitude 180, round as strtod rounds).
 */
export function geohashScore(longitude: number, latitude: number): number {
  const h = geohashEncodeWGS84(longitude, latitude, GEO_STEP_MAX);
  if (h === null) throw new Error("geohashScore: position outside the limits");
  return Number(geohashAlign52Bits(h));
}

/** The area of a cell, from the cell's (lat, long) integer coordinates. */
function areaOf(
  longRange: GeoHashRange,
  latRange: GeoHashRange,
  ilato: number,
  ilono: number,
  step: number,
): [number, number, number, number] {
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const div = 2 ** step;
  // (ilato + 1) is uint32 arithmetic in C: it wraps to 0.
  const latMin = latRange.min + (ilato * 1.0 / div) * latScale;
  const latMax = latRange.min + (((ilato + 1) >>> 0) * 1.0 / div) * latScale;
  const longMin = longRange.min + (ilono * 1.0 / div) * longScale;
  const longMax = longRange.min + (((ilono + 1) >>> 0) * 1.0 / div) * longScale;
  return [longMin, longMax, latMin, latMax];
}

/** geohash.c geohashDecode; null for the zero hash (bits 0, step 0). */
export function geohashDecode(
  longRange: GeoHashRange,
  latRange: GeoHashRange,
  hash: GeoHashBits,
): GeoHashArea | null {
  if (hash.bits === 0n && hash.step === 0) return null;
  const b = BigInt.asUintN(64, hash.bits);
  const [ilato, ilono] = deinterleaveWords(Number(b >> 32n), Number(b & 0xffffffffn));
  const [longMin, longMax, latMin, latMax] = areaOf(longRange, latRange, ilato, ilono, hash.step);
  return {
    hash,
    longitude: { min: longMin, max: longMax },
    latitude: { min: latMin, max: latMax },
  };
}

/** geohashDecodeAreaToLongLat: the centre of the area, clamped to the WGS84 limits. */
function centreClamped(longMin: number, longMax: number, latMin: number, latMax: number): [
  number,
  number,
] {
  let x = (longMin + longMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

/**
 * C's `(uint64_t)score` as gcc compiles it for x86-64 (cvttsd2si, with 2^63 subtracted first for
 * values from 2^63): truncation in range, 2^63 for NaN and values below -2^63, 0 from 2^64 up;
 * negative values wrap. As [high word, low word].
 */
export function scoreToU64Words(score: number): [number, number] {
  if (score >= 0 && score < TWO64) {
    const v = Math.trunc(score);
    return [Math.floor(v / TWO32), v >>> 0];
  }
  if (score >= TWO64) return [0, 0];
  if (score > -TWO63) {
    const v = Math.trunc(score);
    if (v === 0) return [0, 0];
    const u = BigInt.asUintN(64, BigInt(v));
    return [Number(u >> 32n), Number(u & 0xffffffffn)];
  }
  return [0x80000000, 0]; // NaN, -inf, <= -2^63: the "integer indefinite" value
}

/** C's `(long long)score` (cvttsd2si): truncation in range, INT64_MIN otherwise (WITHHASH). */
export function scoreToInt64(score: number): number | bigint {
  if (score > -TWO63 && score < TWO63) {
    const v = Math.trunc(score);
    return Number.isSafeInteger(v) ? (v === 0 ? 0 : v) : BigInt(v);
  }
  return -(2n ** 63n);
}

/**
 * geo.c decodeGeohash: the position a score stands for, [longitude, latitude]. Any score
 * decodes (out-of-range bits land on the limits).
 */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = scoreToU64Words(score);
  const [ilato, ilono] = deinterleaveWords(hi, lo);
  const [longMin, longMax, latMin, latMax] = areaOf(
    WGS84_LONG,
    WGS84_LAT,
    ilato,
    ilono,
    GEO_STEP_MAX,
  );
  return centreClamped(longMin, longMax, latMin, latMax);
}

const MASK64 = (1n << 64n) - 1n;
const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

/** geohash.c geohash_move_x: one cell east (d > 0) or west (d < 0), wrapping around. */
function moveX(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  let x = hash.bits & ODD;
  const y = hash.bits & EVEN;
  const shift = BigInt(64 - hash.step * 2);
  const zz = EVEN >> shift;
  if (d > 0) x = (x + (zz + 1n)) & MASK64;
  else {
    x = x | zz;
    x = (x - (zz + 1n)) & MASK64;
  }
  x &= ODD >> shift;
  return { bits: x | y, step: hash.step };
}

/** geohash.c geohash_move_y: one cell north (d > 0) or south (d < 0), wrapping around. */
function moveY(hash: GeoHashBits, d: number): GeoHashBits {
  if (d === 0) return hash;
  const x = hash.bits & ODD;
  let y = hash.bits & EVEN;
  const shift = BigInt(64 - hash.step * 2);
  const zz = ODD >> shift;
  if (d > 0) y = (y + (zz + 1n)) & MASK64;
  else {
    y = y | zz;
    y = (y - (zz + 1n)) & MASK64;
  }
  y &= EVEN >> shift;
  return { bits: x | y, step: hash.step };
}

/** geohash.c geohashNeighbors. */
export function geohashNeighbors(hash: GeoHashBits): GeoHashNeighbors {
  return {
    east: moveX(hash, 1),
    west: moveX(hash, -1),
    south: moveY(hash, -1),
    north: moveY(hash, 1),
    northWest: moveY(moveX(hash, -1), 1),
    northEast: moveY(moveX(hash, 1), 1),
    southEast: moveY(moveX(hash, 1), -1),
    southWest: moveY(moveX(hash, -1), -1),
  };
}

/** geohashAlign52Bits: the hash shifted to a 52-bit score. */
export function geohashAlign52Bits(hash: GeoHashBits): bigint {
  return BigInt.asUintN(64, hash.bits << BigInt(52 - hash.step * 2));
}

// ---------------------------------------------------------------------------------------------
// Search areas

/** A search shape (geohash.h GeoShape): a circle of `radius` or a `width` x `height` box. */
export interface GeoShape {
  type: "circle" | "box";
  /** Centre longitude and latitude. */
  longitude: number;
  latitude: number;
  /** Meters per unit of radius/width/height (km: 1000). */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/** A search: the centre cell, its area and its neighbours (zeroed where useless). */
export interface GeoHashRadius {
  hash: GeoHashBits;
  area: GeoHashArea;
  neighbors: GeoHashNeighbors;
}

const deg_rad = (ang: number) => ang * D_R;
const rad_deg = (ang: number) => ang / D_R;

/** geohash_helper.c geohashEstimateStepsByRadius. */
export function geohashEstimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohash_helper.c geohashBoundingBox: [min lon, min lat, max lon, max lat]. */
export function geohashBoundingBox(shape: GeoShape): [number, number, number, number] {
  const longitude = shape.longitude;
  const latitude = shape.latitude;
  const height = shape.conversion * (shape.type === "circle" ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === "circle" ? shape.radius : shape.width / 2);
  const latDelta = rad_deg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = rad_deg(width / EARTH_RADIUS_IN_METERS / cos(deg_rad(latitude + latDelta)));
  const longDeltaBottom = rad_deg(
    width / EARTH_RADIUS_IN_METERS / cos(deg_rad(latitude - latDelta)),
  );
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

const ZERO: GeoHashBits = { bits: 0n, step: 0 };

/** geohash_helper.c geohashCalculateAreasByShapeWGS84: the 9 cells to scan for a shape. */
export function geohashCalculateAreasByShapeWGS84(shape: GeoShape): GeoHashRadius {
  const [minLon, minLat, maxLon, maxLat] = geohashBoundingBox(shape);
  const longitude = shape.longitude;
  const latitude = shape.latitude;
  let radiusMeters = shape.type === "circle"
    ? shape.radius
    : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;

  let steps = geohashEstimateStepsByRadius(radiusMeters, latitude);
  const cells = (step: number) => {
    const hash = geohashEncode(WGS84_LONG, WGS84_LAT, longitude, latitude, step);
    if (hash === null) throw new Error("geohash: search centre outside the limits");
    return {
      hash,
      neighbors: geohashNeighbors(hash),
      area: geohashDecode(WGS84_LONG, WGS84_LAT, hash)!,
    };
  };
  let c = cells(steps);

  // Is the step small enough at the limits of the covered area?
  let decreaseStep = false;
  {
    const north = geohashDecode(WGS84_LONG, WGS84_LAT, c.neighbors.north)!;
    const south = geohashDecode(WGS84_LONG, WGS84_LAT, c.neighbors.south)!;
    const east = geohashDecode(WGS84_LONG, WGS84_LAT, c.neighbors.east)!;
    const west = geohashDecode(WGS84_LONG, WGS84_LAT, c.neighbors.west)!;
    if (north.latitude.max < maxLat) decreaseStep = true;
    if (south.latitude.min > minLat) decreaseStep = true;
    if (east.longitude.max < maxLon) decreaseStep = true;
    if (west.longitude.min > minLon) decreaseStep = true;
  }
  if (steps > 1 && decreaseStep) {
    steps--;
    c = cells(steps);
  }

  // Exclude the search areas that are useless.
  const n = { ...c.neighbors };
  const area = c.area;
  if (steps >= 2) {
    if (area.latitude.min < minLat) {
      n.south = ZERO;
      n.southWest = ZERO;
      n.southEast = ZERO;
    }
    if (area.latitude.max > maxLat) {
      n.north = ZERO;
      n.northEast = ZERO;
      n.northWest = ZERO;
    }
    if (area.longitude.min < minLon) {
      n.west = ZERO;
      n.southWest = ZERO;
      n.northWest = ZERO;
    }
    if (area.longitude.max > maxLon) {
      n.east = ZERO;
      n.southEast = ZERO;
      n.northEast = ZERO;
    }
  }
  return { hash: c.hash, area, neighbors: n };
}

/** The 9 cells in the order geo.c membersOfAllNeighbors visits them (zeroed ones included). */
export function searchCells(r: GeoHashRadius): GeoHashBits[] {
  const n = r.neighbors;
  return [
    r.hash,
    n.north,
    n.south,
    n.east,
    n.west,
    n.northEast,
    n.northWest,
    n.southEast,
    n.southWest,
  ];
}

/** True for a zeroed cell (HASHISZERO). */
export function isZeroCell(h: GeoHashBits): boolean {
  return h.bits === 0n && h.step === 0;
}

/** geo.c scoresOfGeoHashBox: the score range [min, max) of a cell. */
export function scoresOfGeoHashBox(hash: GeoHashBits): [number, number] {
  const min = geohashAlign52Bits(hash);
  const max = geohashAlign52Bits({ bits: hash.bits + 1n, step: hash.step });
  return [Number(min), Number(max)];
}

// ---------------------------------------------------------------------------------------------
// Distances

/** geohashGetLatDistance. */
function latDistance(lat1d: number, lat2d: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(deg_rad(lat2d) - deg_rad(lat1d));
}

/** geohash_helper.c geohashGetDistance: haversine great-circle distance in meters. */
export function geohashGetDistance(
  lon1d: number,
  lat1d: number,
  lon2d: number,
  lat2d: number,
): number {
  const lon1r = deg_rad(lon1d);
  const lon2r = deg_rad(lon2d);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1d, lat2d);
  const lat1r = deg_rad(lat1d);
  const lat2r = deg_rad(lat2d);
  const u = sin((lat2r - lat1r) / 2);
  const a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

/**
 * geo.c geoWithinShape (after the decode): the distance from the shape's centre to the point,
 * or null when the point is outside (geohashGetDistanceIfInRadiusWGS84 and
 * geohashGetDistanceIfInRectangle).
 */
export function distanceIfWithin(shape: GeoShape, lon: number, lat: number): number | null {
  if (shape.type === "circle") {
    const d = geohashGetDistance(shape.longitude, shape.latitude, lon, lat);
    return d > shape.radius * shape.conversion ? null : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (latDistance(lat, shape.latitude) > heightM / 2) return null;
  if (geohashGetDistance(lon, lat, shape.longitude, lat) > widthM / 2) return null;
  return geohashGetDistance(shape.longitude, shape.latitude, lon, lat);
}

// ---------------------------------------------------------------------------------------------
// Texts

const GEOALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * GEOHASH's 11-character standard geohash of a score: decoded, re-encoded over -180..180 and
 * -90..90 at step 26; the 11th character is always '0' (only 52 bits).
 */
export function geohashText(score: number): string {
  const [x, y] = decodeScore(score);
  const h = geohashEncode({ min: -180, max: 180 }, { min: -90, max: 90 }, x, y, 26);
  if (h === null) throw new Error("geohashText: decoded position outside the limits");
  let out = "";
  for (let i = 0; i < 10; i++) {
    const idx = Number((h.bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEOALPHABET[idx];
  }
  return out + "0";
}

/** A finite double as sign, integer significand and binary exponent (value = m * 2^e). */
function doubleParts(d: number): { neg: boolean; m: bigint; e: number } {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, d);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const neg = (hi >>> 31) === 1;
  const bexp = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (bexp === 0) return { neg, m: frac, e: -1074 };
  return { neg, m: frac | (1n << 52n), e: bexp - 1075 };
}

/** printf("%.Nf", d) as glibc prints it (the exact binary value, rounded half to even). */
export function formatFixed(d: number, digits: number): string {
  if (Number.isNaN(d)) return Object.is(Math.sign(d), -0) ? "-nan" : "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  const { neg, m, e } = doubleParts(d);
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = (m << BigInt(e)) * scale;
  else {
    const num = m * scale;
    const s = BigInt(-e);
    q = num >> s;
    const r = num - (q << s);
    const half = 1n << (s - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q++;
  }
  let text = q.toString();
  if (digits > 0) {
    text = text.padStart(digits + 1, "0");
    text = text.slice(0, text.length - digits) + "." + text.slice(text.length - digits);
  }
  return (neg ? "-" : "") + text;
}

/**
 * util.c fixedpoint_d2string(d, 4), how GEODIST and WITHDIST print distances: llrint(d * 10^4)
 * (half to even; NaN and out-of-range values give LLONG_MIN) as a fixed-point number.
 */
export function formatDistance(d: number): string {
  if (d === 0) return "0.0000";
  const scaled = d * 10000.0;
  let v: bigint;
  if (!(scaled >= -TWO63 && scaled < TWO63)) v = -(2n ** 63n); // NaN too
  else {
    const f = Math.floor(scaled);
    const diff = scaled - f;
    v = BigInt(diff > 0.5 || (diff === 0.5 && f % 2 !== 0) ? f + 1 : f);
  }
  const neg = v < 0n;
  let text = (neg ? -v : v).toString().padStart(5, "0");
  text = text.slice(0, text.length - 4) + "." + text.slice(text.length - 4);
  return (neg ? "-" : "") + text;
}

/**
 * addReplyHumanLongDouble's text for a double (GEOPOS, WITHCOORD): ld2string's "%.17Lf" of the
 * exact value (a double converts to long double exactly) without trailing zeros, "-0" as "0".
 */
export function formatCoordinate(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  let text = formatFixed(d, 17).replace(/0+$/, "");
  if (text.endsWith(".")) text = text.slice(0, -1);
  return text === "-0" ? "0" : text;
}
