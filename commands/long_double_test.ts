import assert from "node:assert/strict";
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from "./long_double.ts";

const te = new TextEncoder();

function incr(a: string, b: string): string | null {
  const x = parseLongDouble(te.encode(a));
  const y = parseLongDouble(te.encode(b));
  if (x === null || y === null) return null;
  const s = addLongDouble(x, y);
  return s === null ? "nan" : formatLongDoubleHuman(s);
}

Deno.test("long double: sums print as Redis 7.0 INCRBYFLOAT does (values from redis-server)", () => {
  assert.equal(incr("1234", "0.1"), "1234.09999999999999998");
  assert.equal(incr("0.1", "0.2"), "0.3");
  assert.equal(incr("10.5", "0.1"), "10.6");
  assert.equal(incr("10.6", "-5"), "5.6");
  assert.equal(incr("5.0e3", "2.0e2"), "5200");
  assert.equal(incr("17179869184", "1.5"), "17179869185.5");
  assert.equal(incr("0", "0x10"), "16");
  assert.equal(incr("0.024390243902439025", "-0.024390243902439025"), "0");
  assert.ok(
    incr("1e400", "1")!.startsWith(
      "10000000000000000000281880683947586514586453433629052038625910693539685534",
    ),
  );
  assert.equal(incr("-0.000000000000000001", "0"), "0"); // "-0" is printed as "0"
  assert.equal(incr("-1.5", "0"), "-1.5");
});

Deno.test("long double: string2ld rejects what Redis rejects", () => {
  for (
    const bad of [
      "",
      " 1",
      "1 ",
      "abc",
      "1e",
      "-",
      ".",
      "nan",
      "NaN",
      "1e5000",
      "-1e5000",
      "1e-5000",
      "0x",
      "1\x002",
      "++1",
    ]
  ) {
    assert.equal(parseLongDouble(te.encode(bad)), null, JSON.stringify(bad));
  }
  for (
    const good of [
      "1",
      "+1",
      "-1",
      ".5",
      "5.",
      "1e3",
      "1E-3",
      "inf",
      "-Infinity",
      "0x1p-2",
      "0X1A",
      "1e4000",
    ]
  ) {
    assert.notEqual(parseLongDouble(te.encode(good)), null, JSON.stringify(good));
  }
  assert.equal(incr("inf", "-inf"), "nan");
  assert.equal(formatLongDoubleHuman(parseLongDouble(te.encode("inf"))!), "inf");
});
