/** Unit tests for the blocking commands' timeout parsing (getTimeoutFromObjectOrReply). */

import assert from "node:assert/strict";
import { parseTimeoutMs } from "./blocking.ts";

const b = (s: string) => new TextEncoder().encode(s);
const NOT_A_FLOAT = "ERR timeout is not a float or out of range";
const NEGATIVE = "ERR timeout is negative";

Deno.test("parseTimeoutMs: getTimeoutFromObjectOrReply", () => {
  assert.equal(parseTimeoutMs(b("0")), 0);
  assert.equal(parseTimeoutMs(b("1.5")), 1500);
  assert.equal(parseTimeoutMs(b("0x10")), 16000);
  assert.equal(parseTimeoutMs(b("1e-400")), 0);
  assert.equal(parseTimeoutMs(b("-1")), NEGATIVE);
  assert.equal(parseTimeoutMs(b("1e400")), NEGATIVE);
  assert.equal(parseTimeoutMs(b("inf")), NEGATIVE);
  for (const bad of ["", " 1", "x", "nan", "1 "]) {
    assert.equal(parseTimeoutMs(b(bad)), NOT_A_FLOAT, bad);
  }
});

// Each case measured against redis-server 7.0.15 (BLPOP nokey <timeout>).
Deno.test("parseTimeoutMs: long double range and syntax as redis-server", () => {
  const cases: [string, number | string][] = [
    ["30", 30000],
    ["123456789", 123456789000],
    ["1.", 1000],
    ["+1", 1000],
    [".5", 500],
    ["0x.8", 500],
    ["0X1P3", 8000],
    ["-0", 0],
    ["-1e-400", 0],
    ["-0.0001", 0],
    ["5e-324", 0],
    ["0x1p-2000", 0],
    ["1e5000", NOT_A_FLOAT], // overflows even a long double
    ["1e-5000", NOT_A_FLOAT], // underflows a long double to 0
    ["-inf", NEGATIVE],
    ["0x", NOT_A_FLOAT],
    ["1e", NOT_A_FLOAT],
    ["0".repeat(5200) + "1", NOT_A_FLOAT], // longer than MAX_LONG_DOUBLE_CHARS
  ];
  for (const [arg, want] of cases) {
    const got = parseTimeoutMs(b(arg));
    assert.ok(
      Object.is(got, want),
      `${arg.slice(0, 20)}: got ${String(got)}, want ${String(want)}`,
    );
  }
});
