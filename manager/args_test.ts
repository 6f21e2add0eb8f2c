import assert from "node:assert/strict";
import { intOption, numberOption, parseArgs, UsageError } from "./args.ts";
import { parseAddr } from "./address.ts";

const SPEC = { replicas: "value", yes: "flag", weight: "multi", replica: "flag" } as const;

Deno.test("parseArgs: positionals, values, flags, redis-cli spellings", () => {
  const p = parseArgs(
    [
      "a:1",
      "--replicas",
      "2",
      "b:2",
      "--cluster-yes",
      "--weight=x=1",
      "--weight",
      "y=2",
      "--cluster-slave",
    ],
    SPEC,
  );
  assert.deepEqual(p.positionals, ["a:1", "b:2"]);
  assert.equal(p.values.get("replicas"), "2");
  assert.ok(p.flags.has("yes"));
  assert.ok(p.flags.has("replica"));
  assert.deepEqual(p.multi.get("weight"), ["x=1", "y=2"]);
  assert.equal(intOption(p, "replicas", 0, 0, 5), 2);
});

Deno.test("parseArgs: errors", () => {
  assert.throws(() => parseArgs(["--nope"], SPEC), UsageError);
  assert.throws(() => parseArgs(["--replicas"], SPEC), /needs a value/);
  assert.throws(() => parseArgs(["--yes=1"], SPEC), /takes no value/);
  const p = parseArgs(["--replicas", "x"], SPEC);
  assert.throws(() => intOption(p, "replicas", 0, 0, 5), /must be an integer/);
  assert.throws(
    () => intOption(parseArgs(["--replicas", "9"], SPEC), "replicas", 0, 0, 5),
    /between 0 and 5/,
  );
  assert.throws(
    () => numberOption(parseArgs(["--replicas", "-1"], SPEC), "replicas", 0, 0),
    /must be a number >= 0/,
  );
});

Deno.test("parseAddr", () => {
  assert.deepEqual(parseAddr("127.0.0.1:7000"), { host: "127.0.0.1", port: 7000 });
  assert.deepEqual(parseAddr("[::1]:7000"), { host: "::1", port: 7000 });
  assert.throws(() => parseAddr("7000"), /expected host:port/);
  assert.throws(() => parseAddr("h:70000"), /Invalid port/);
  assert.throws(() => parseAddr("h:x"), /Invalid port/);
});
