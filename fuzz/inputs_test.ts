import assert from "node:assert/strict";
import { busInput, clientInput, inSessionOrder, sessionSize } from "./inputs.ts";

const CTX = { targetId: "a".repeat(40), knownIds: ["b".repeat(40)], ports: [11000] };

Deno.test("inputs: input i is a function of the seed and i alone", () => {
  for (const i of [0, 1, 999, 123456]) {
    assert.deepEqual(clientInput(7, i), clientInput(7, i));
    assert.deepEqual(busInput(7, i, CTX, "known"), busInput(7, i, CTX, "known"));
    assert.notDeepEqual(clientInput(7, i).bytes, clientInput(8, i).bytes);
  }
  const sizes = new Set<number>();
  for (let i = 0; i < 200; i++) sizes.add(sessionSize(7, "bus", i));
  assert.deepEqual([...sizes].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("inputs: the mix of kinds, and the known sender's name on known inputs", () => {
  const kinds = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const how = clientInput(1, i).how;
    const k = how === "random" ? "random" : how.endsWith(":valid") ? "valid" : "mutated";
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  for (const k of ["random", "valid", "mutated"]) {
    assert.ok((kinds.get(k) ?? 0) > 400, `${k}: ${kinds.get(k)}`);
  }
  let named = 0;
  for (let i = 0; i < 500; i++) {
    const b = busInput(1, i, CTX, "known");
    if (
      b.how.endsWith(":valid") &&
      new TextDecoder().decode(b.bytes.subarray(40, 80)) === CTX.knownIds[0]
    ) named++;
    const u = busInput(1, i, CTX, "unknown");
    if (u.how.endsWith(":valid")) {
      assert.notEqual(new TextDecoder().decode(u.bytes.subarray(40, 80)), CTX.knownIds[0]);
    }
  }
  assert.ok(named > 50, `${named}`);
});

Deno.test("inputs: a session sends well-formed inputs first and connection-enders last", () => {
  const b = (s: string) => new TextEncoder().encode(s);
  const order = inSessionOrder([
    { bytes: b("r"), how: "random" },
    { bytes: b("m"), how: "GET:arrayCount" },
    { bytes: b("v"), how: "GET:valid" },
    { bytes: b("t"), how: "PING:truncate" },
    { bytes: b("v2"), how: "SET:valid" },
  ]);
  assert.deepEqual(order.map((x) => new TextDecoder().decode(x)), ["v", "v2", "m", "r", "t"]);
});
