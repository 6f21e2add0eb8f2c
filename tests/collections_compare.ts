/**
 * Differential testing for the list/hash/set commands: run one script against our node and a
 * real redis-server and compare the exact typed replies, in RESP2 and (after HELLO 3) RESP3.
 * RESP3 sets and maps are compared order-insensitively (Redis's hash order is not ours), and so
 * are the arrays of commands named in `unordered`. Also the prelude the list/hash/set tests
 * share (`withNode`, `WRONGTYPE`, `errText`).
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import { RespClient, startNode } from "./harness.ts";
import { callBoth, type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";

export type { Cmd };

/** Canonical text of a reply; sets/maps (and arrays when `sortArrays`) sorted. */
export function canon(v: RespValue, sortArrays = false): string {
  switch (v.type) {
    case "set":
      return `~[${v.value.map((x) => canon(x)).sort().join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, x]) => `${canon(k)}:${canon(x)}`).sort().join(",")}}`;
    case "array":
      if (sortArrays) {
        // A SCAN reply [cursor, items]: only the items are unordered.
        if (v.value.length === 2 && v.value[0].type === "bulk" && v.value[1].type === "array") {
          return `*[${canon(v.value[0])},${canon(v.value[1], true)}]`;
        }
        return `*[${v.value.map((x) => canon(x)).sort().join(",")}]`;
      }
      return `*[${v.value.map((x) => canon(x)).join(",")}]`;
    default:
      return show(v);
  }
}

/** Words of a line (no quoting). */
export { words as w } from "./compare.ts";

export async function compareScript(script: Cmd[], unordered: string[] = []): Promise<void> {
  await withNodeAndRedis(async (a, b) => {
    for (const c of script) {
      const [ra, rb] = await callBoth(a, b, c);
      const name = String(c[0]).toLowerCase();
      if (name === "hello") continue;
      const sort = unordered.includes(name);
      assert.equal(canon(ra, sort), canon(rb, sort), `reply to: ${cmdText(c)}`);
    }
  });
}

/** The same script in RESP2, then again from scratch in RESP3. */
export async function compareBoth(script: Cmd[], unordered: string[] = []): Promise<void> {
  await compareScript([["FLUSHALL"], ...script], unordered);
  await compareScript([["HELLO", "3"], ["FLUSHALL"], ...script], unordered);
}

/** Run `fn` with a client on a fresh in-process node; both are closed afterwards. */
export async function withNode(fn: (c: RespClient, port: number) => Promise<void>): Promise<void> {
  const node = await startNode();
  const c = await RespClient.connect(node.port);
  try {
    await fn(c, node.port);
  } finally {
    c.close();
    await node.stop();
  }
}

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

/** The text of an error reply (fails the test when `v` is not an error). */
export function errText(v: unknown): string {
  assert.ok(v instanceof Error, `expected an error, got ${JSON.stringify(v)}`);
  return v.message;
}
