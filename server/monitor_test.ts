/** The MONITOR line formatter and argument redaction (server/monitor.ts), without a server. */

import assert from "node:assert/strict";
import { catRepr, formatMonitorLine, redactArgument, redactedArgs } from "./monitor.ts";
import { latin1 } from "../protocol/bytes.ts";

const te = new TextEncoder();
const args = (...a: string[]) => a.map((s) => te.encode(s));

Deno.test("monitor line: time, db, origin and quoted arguments", () => {
  const line = formatMonitorLine(1700000000000042, 0, "127.0.0.1:5000", args("set", "k", "v"));
  assert.equal(latin1(line), '+1700000000.000042 [0 127.0.0.1:5000] "set" "k" "v"\r\n');
  assert.equal(
    latin1(formatMonitorLine(1700000000999999, 3, "lua", args("get", "k"))),
    '+1700000000.999999 [3 lua] "get" "k"\r\n',
  );
  assert.equal(latin1(formatMonitorLine(1e15, 0, "x", [])), "+1000000000.000000 [0 x] \r\n");
});

Deno.test("monitor line: sdscatrepr escapes", () => {
  assert.equal(catRepr("", te.encode('a\nb\r\t\x07\x08"\\ ~')), '"a\\nb\\r\\t\\a\\b\\"\\\\ ~"');
  assert.equal(
    catRepr("", new Uint8Array([0, 1, 0x1f, 0x7f, 0x80, 0xff])),
    '"\\x00\\x01\\x1f\\x7f\\x80\\xff"',
  );
  assert.equal(catRepr("pre ", new Uint8Array()), 'pre ""');
  // Bytes above 0x7f go out as single bytes, never UTF-8 encoded.
  const line = formatMonitorLine(0, 0, "a", [new Uint8Array([0xe9])]);
  assert.equal(latin1(line), '+0.000000 [0 a] "\\xe9"\r\n');
});

Deno.test("monitor line: redacted arguments", () => {
  const line = formatMonitorLine(0, 0, "a", args("auth", "u", "p"), [1, 2]);
  assert.equal(latin1(line), '+0.000000 [0 a] "auth" "(redacted)" "(redacted)"\r\n');
});

Deno.test("redactArgument: marks the arguments of that argv only", () => {
  const a = args("auth", "u", "p");
  const b = args("auth", "u", "p");
  assert.deepEqual(redactedArgs(a), []);
  redactArgument(a, 1);
  redactArgument(a, 2);
  redactArgument(a, 1);
  assert.deepEqual(redactedArgs(a), [1, 2]);
  assert.deepEqual(redactedArgs(b), []);
  assert.equal(
    latin1(formatMonitorLine(0, 0, "a", a, redactedArgs(a))),
    '+0.000000 [0 a] "auth" "(redacted)" "(redacted)"\r\n',
  );
});
