import assert from "node:assert/strict";
import {
  decodeScore,
  formatCoordinate,
  formatDistance,
  formatFixed,
  geohashCalculateAreasByShapeWGS84,
  geohashEstimateStepsByRadius,
  geohashGetDistance,
  geohashNeighbors,
  geohashScore,
  geohashText,
  type GeoShape,
  interleave64,
  isZeroCell,
  scoresOfGeoHashBox,
  scoreToInt64,
  scoreToU64Words,
  searchCells,
} from "./geohash.ts";

/**
 * GEOADD lon lat, then ZSCORE, GEOPOS and GEOHASH, as a real redis-server 7.0.15 answered them
 * (a, b are Redis's Palermo and Catania).
 */
const POINTS: [string, number, number, number, string, string, string][] = [
  [
    "a",
    13.361389,
    38.115556,
    3479099956230698,
    "13.36138933897018433",
    "38.11555639549629859",
    "sqc8b49rny0",
  ],
  [
    "b",
    15.087269,
    37.502669,
    3479447370796909,
    "15.08726745843887329",
    "37.50266842333162032",
    "sqdtr74hyu0",
  ],
  [
    "c",
    -73.9857,
    40.7484,
    1791875672646935,
    "-73.98570209741592407",
    "40.74839914563441567",
    "dr5ru6j28h0",
  ],
  ["d", 180, 0, 10133099161583616, "180", "0.00000126736058093", "80000000000"],
  ["e", -180, 0, 1125899906842624, "-179.99999731779098511", "0.00000126736058093", "80000000000"],
  [
    "f",
    0,
    85.05112878,
    6755399441055744,
    "0.00000268220901489",
    "85.0511287799999991",
    "up05b5048p0",
  ],
  [
    "g",
    0,
    -85.05112878,
    2251799813685248,
    "0.00000268220901489",
    "-85.05112751263942528",
    "h0bh0hbj200",
  ],
  [
    "h",
    179.9999999,
    -85,
    3002400025541359,
    "179.99999731779098511",
    "-84.99999965213439168",
    "pbzurypzpg0",
  ],
  [
    "i",
    -0.0000001,
    0.0000001,
    1876499844737706,
    "-0.00000268220901489",
    "0.00000126736058093",
    "ebpbpbpbpb0",
  ],
  [
    "j",
    139.6917,
    35.6895,
    4171231230197045,
    "139.69170123338699341",
    "35.68950126697937009",
    "xn774c06kt0",
  ],
  [
    "k",
    -122.4194,
    37.7749,
    1367859919124626,
    "-122.41940170526504517",
    "37.77490001056577995",
    "9q8yyk8ytp0",
  ],
  [
    "l",
    151.2093,
    -33.8688,
    3252046221964352,
    "151.20929986238479614",
    "-33.86880091934155956",
    "r3gx2f77bj0",
  ],
];

Deno.test("geohash: GEOADD scores, GEOPOS and GEOHASH texts as redis-server", () => {
  for (const [name, lon, lat, score, x, y, hash] of POINTS) {
    assert.equal(geohashScore(lon, lat), score, name);
    const [dx, dy] = decodeScore(score);
    assert.equal(formatCoordinate(dx), x, name);
    assert.equal(formatCoordinate(dy), y, name);
    assert.equal(geohashText(score), hash, name);
  }
});

Deno.test("geohash: GEODIST texts (m, km, mi, ft) as redis-server", () => {
  const score = new Map(POINTS.map((p) => [p[0], p[3]]));
  const cases: [string, string, string, string, string, string][] = [
    ["a", "b", "166274.1516", "166.2742", "103.3182", "545518.8700"],
    ["a", "c", "7174240.8102", "7174.2408", "4457.8776", "23537535.4664"],
    ["c", "k", "4131127.2399", "4131.1272", "2566.9698", "13553567.0599"],
    ["d", "e", "0.2983", "0.0003", "0.0002", "0.9788"],
    ["f", "g", "18919844.5891", "18919.8446", "11756.2756", "62072980.9353"],
    ["j", "l", "7828823.5342", "7828.8235", "4864.6175", "25685116.5820"],
    ["h", "i", "10566498.6797", "10566.4987", "6565.7342", "34666990.4188"],
    ["a", "a", "0.0000", "0.0000", "0.0000", "0.0000"],
  ];
  for (const [p, q, m, km, mi, ft] of cases) {
    const [x1, y1] = decodeScore(score.get(p)!);
    const [x2, y2] = decodeScore(score.get(q)!);
    const d = geohashGetDistance(x1, y1, x2, y2);
    assert.deepEqual(
      [d, d / 1000, d / 1609.34, d / 0.3048].map(formatDistance),
      [m, km, mi, ft],
      `${p} ${q}`,
    );
  }
});

Deno.test("geohash: odd scores decode as redis-server decodes them (C's uint64 conversion)", () => {
  // ZADD w <score> m, then GEOPOS and GEOHASH on a real redis-server.
  const cases: [number, string, string, string][] = [
    [-1.5, "180", "85.0511287799999991", "bp05b5048p0"],
    [1e19, "180", "85.0511287799999991", "bp05b5048p0"],
    [1e30, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"],
    [Infinity, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"],
    [-Infinity, "180", "-85.05112751263942528", "00bh0hbj200"],
    [-1e30, "180", "-85.05112751263942528", "00bh0hbj200"],
    [100.7, "-179.99997586011886597", "-85.05110216542783519", "00bh0hbj2t0"],
    [4503599627370496, "-179.99999731779098511", "85.0511287799999991", "bp05b5048p0"],
    [9007199254740992, "180", "-85.05112751263942528", "00bh0hbj200"],
  ];
  for (const [score, x, y, hash] of cases) {
    const [dx, dy] = decodeScore(score);
    assert.deepEqual(
      [formatCoordinate(dx), formatCoordinate(dy), geohashText(score)],
      [x, y, hash],
      String(score),
    );
  }
  assert.deepEqual(scoreToU64Words(-1), [0xffffffff, 0xffffffff]);
  assert.deepEqual(scoreToU64Words(NaN), [0x80000000, 0]);
  assert.deepEqual(scoreToU64Words(2 ** 64), [0, 0]);
  assert.deepEqual(scoreToU64Words(2 ** 63 + 2 ** 40), [0x80000100, 0]);
  assert.deepEqual(scoreToU64Words(2 ** 63 + 2 ** 43), [0x80000800, 0]);
  // WITHHASH prints (long long)score.
  assert.equal(scoreToInt64(100.7), 100);
  assert.equal(scoreToInt64(-0), 0);
  assert.equal(scoreToInt64(1e30), -(2n ** 63n));
  assert.equal(scoreToInt64(2 ** 60), 2n ** 60n);
});

Deno.test("geohash: interleaving puts the first value on the even bits", () => {
  assert.equal(interleave64(1, 0), 1n);
  assert.equal(interleave64(0, 1), 2n);
  assert.equal(interleave64(0xffffffff, 0), 0x5555555555555555n);
  assert.equal(interleave64(0, 0xffffffff), 0xaaaaaaaaaaaaaaaan);
  assert.equal(interleave64(0x10000, 0x20000), (1n << 32n) | (1n << 35n));
});

Deno.test("geohash: search steps, cells and neighbours", () => {
  assert.equal(geohashEstimateStepsByRadius(0, 0), 26);
  assert.equal(geohashEstimateStepsByRadius(1, 0), 24);
  assert.equal(geohashEstimateStepsByRadius(1000, 0), 14);
  assert.equal(geohashEstimateStepsByRadius(1000, 70), 13);
  assert.equal(geohashEstimateStepsByRadius(1000, -85), 12);
  assert.equal(geohashEstimateStepsByRadius(1e8, 0), 1);
  // Neighbours wrap around at the antimeridian: west of the westmost cell is the eastmost one.
  const h = { bits: 0n, step: 2 };
  const n = geohashNeighbors(h);
  assert.deepEqual(n.west, { bits: 0b1010n, step: 2 });
  assert.deepEqual(n.east, { bits: 0b0010n, step: 2 });
  assert.deepEqual(n.north, { bits: 0b0001n, step: 2 });
  assert.deepEqual(n.south, { bits: 0b0101n, step: 2 });
  assert.deepEqual(scoresOfGeoHashBox({ bits: 0b1111n, step: 2 }), [15 * 2 ** 48, 2 ** 52]);
  // A small circle keeps the cells it may touch; a huge one covers the world at step 1.
  const shape: GeoShape = {
    type: "circle",
    longitude: 13.361389,
    latitude: 38.115556,
    conversion: 1000,
    radius: 200,
    width: 0,
    height: 0,
  };
  const r = geohashCalculateAreasByShapeWGS84(shape);
  assert.equal(r.hash.step, 6);
  assert.ok(r.area.longitude.min <= 13.361389 && r.area.longitude.max >= 13.361389);
  const world = geohashCalculateAreasByShapeWGS84({ ...shape, radius: 1e5 });
  assert.equal(world.hash.step, 1);
  assert.equal(searchCells(world).filter((c) => !isZeroCell(c)).length, 9);
});

Deno.test("geohash: texts printed as glibc prints them", () => {
  // %f (error messages): the exact binary value, ties to even.
  assert.equal(formatFixed(0.0078125, 6), "0.007812");
  assert.equal(formatFixed(0.0234375, 6), "0.023438");
  assert.equal(formatFixed(-0, 6), "-0.000000");
  assert.equal(formatFixed(200, 6), "200.000000");
  assert.equal(formatFixed(1e30, 6), "1000000000000000019884624838656.000000");
  assert.equal(formatFixed(Infinity, 6), "inf");
  assert.equal(formatFixed(-Infinity, 6), "-inf");
  // fixedpoint_d2string(d, 4): llrint (ties to even), LLONG_MIN for NaN.
  assert.equal(formatDistance(0), "0.0000");
  assert.equal(formatDistance(0.03125), "0.0312");
  assert.equal(formatDistance(0.09375), "0.0938");
  assert.equal(formatDistance(1234567.89), "1234567.8900");
  assert.equal(formatDistance(NaN), "-922337203685477.5808");
  // %.17Lf without trailing zeros.
  assert.equal(formatCoordinate(-0), "0");
  assert.equal(formatCoordinate(180), "180");
  assert.equal(formatCoordinate(0.1), "0.10000000000000001");
});
