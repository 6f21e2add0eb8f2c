/** Unit tests for the sorted-set argument parsers (strtod emulation, ranges). */

import assert from "node:assert/strict";
import { parseLexRange, parseScoreRange, parseStrictDouble, strtod } from "./zset_parse.ts";

const b = (s: string) => new TextEncoder().encode(s);

Deno.test("strtod: glibc syntax", () => {
  assert.deepEqual(strtod(b("1.5")), { value: 1.5, end: 3, erange: false });
  assert.deepEqual(strtod(b("  -2e3x")), { value: -2000, end: 6, erange: false });
  assert.deepEqual(strtod(b("")), { value: 0, end: 0, erange: false });
  assert.deepEqual(strtod(b("abc")), { value: 0, end: 0, erange: false });
  assert.equal(strtod(b("0x10")).value, 16);
  assert.equal(strtod(b("0x1p4")).value, 16);
  assert.equal(strtod(b("0x.8")).value, 0.5);
  // Hex floats scale as ldexp: subnormal results below 2^-1074's power of two are kept (glibc, and
  // so ZADD on redis-server 7.0.15: 0x1000p-1080 is 3.1620201333839779e-322), rounding to 0 is
  // ERANGE.
  assert.deepEqual(strtod(b("0x1000p-1080")), { value: 2 ** -1068, end: 12, erange: false });
  assert.deepEqual(strtod(b("0x1p-1075")), { value: 0, end: 9, erange: true });
  assert.equal(strtod(b("0x1p-1074")).value, 5e-324);
  assert.equal(strtod(b("0x0.8p1024")).value, 2 ** 1023);
  assert.deepEqual(strtod(b("0x")), { value: 0, end: 1, erange: false });
  assert.equal(strtod(b("-Infinity")).value, -Infinity);
  assert.equal(strtod(b("inFx")).end, 3);
  assert.ok(Number.isNaN(strtod(b("nan(123)")).value));
  assert.equal(strtod(b("nan(123)")).end, 8);
  assert.equal(strtod(b("1e")).end, 1);
  assert.equal(strtod(b(".5")).value, 0.5);
  assert.equal(strtod(b("5.")).value, 5);
  assert.equal(strtod(b(".")).end, 0);
  assert.deepEqual(strtod(b("1e400")), { value: Infinity, end: 5, erange: true });
  assert.deepEqual(strtod(b("1e-400")), { value: 0, end: 6, erange: true });
  assert.equal(strtod(b("0e-400")).erange, false);
});

Deno.test("parseStrictDouble: getDoubleFromObject rules", () => {
  assert.equal(parseStrictDouble(b("12")), 12);
  assert.ok(Object.is(parseStrictDouble(b("-0")), -0));
  assert.equal(parseStrictDouble(b("1.1")), 1.1);
  assert.equal(parseStrictDouble(b("+inf")), Infinity);
  assert.equal(parseStrictDouble(b("0x10")), 16);
  for (const bad of ["", " 1", "1 ", "nan", "1e400", "1e-400", "1x", "-", "+", "--1"]) {
    assert.equal(parseStrictDouble(b(bad)), null, bad);
  }
  assert.equal(parseStrictDouble(b("99999999999999999999")), 1e20);
});

Deno.test("parseScoreRange / parseLexRange", () => {
  assert.deepEqual(parseScoreRange(b("(1"), b("+inf")), {
    min: 1,
    max: Infinity,
    minex: true,
    maxex: false,
  });
  assert.deepEqual(parseScoreRange(b(""), b("(")), { min: 0, max: 0, minex: false, maxex: true });
  assert.deepEqual(parseScoreRange(b(" 1"), b("1e400")), {
    min: 1,
    max: Infinity,
    minex: false,
    maxex: false,
  });
  assert.equal(parseScoreRange(b("nan"), b("1")), null);
  assert.equal(parseScoreRange(b("1"), b("x")), null);
  assert.deepEqual(parseLexRange(b("-"), b("[a")), {
    min: "",
    max: "a",
    minKind: -1,
    maxKind: 0,
    minex: true,
    maxex: false,
  });
  assert.deepEqual(parseLexRange(b("(\xff"), b("+"))?.maxKind, 1);
  for (const [lo, hi] of [["a", "+"], ["-", "b"], ["--", "+"], ["-", "++"], ["", "+"]]) {
    assert.equal(parseLexRange(b(lo), b(hi)), null, `${lo} ${hi}`);
  }
});
