/**
 * Differential testing for the list/hash/set commands: run one script against our node and a
 * real redis-server and compare the exact typed replies, in RESP2 and (after HELLO 3) RESP3.
 * RESP3 sets and maps are compared order-insensitively (Redis's hash order is not ours), and so
 * are the arrays of commands named in `unordered`.
 */

import assert from "node:assert/strict";
import type { RespValue } from "../protocol/resp_value.ts";
import { haveRedisServer, RespClient, spawnRedis, startNode } from "./harness.ts";
import { type Cmd, cmdText, show } from "./compare.ts";

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
export function w(line: string): Cmd {
  return line.split(" ").filter((x) => x !== "");
}

export async function compareScript(script: Cmd[], unordered: string[] = []): Promise<void> {
  if (!haveRedisServer()) return;
  const node = await startNode();
  const redis = await spawnRedis();
  const a = await RespClient.connect(node.port);
  const b = await RespClient.connect(redis.port);
  try {
    for (const c of script) {
      let ra: RespValue, rb: RespValue;
      try {
        ra = await a.callRaw(...c);
        rb = await b.callRaw(...c);
      } catch (e) {
        throw new Error(`${(e as Error).message} (command: ${cmdText(c)})`);
      }
      const name = String(c[0]).toLowerCase();
      if (name === "hello") continue;
      const sort = unordered.includes(name);
      assert.equal(canon(ra, sort), canon(rb, sort), `reply to: ${cmdText(c)}`);
    }
  } finally {
    a.close();
    b.close();
    await node.stop();
    await redis.stop();
  }
}

/** The same script in RESP2, then again from scratch in RESP3. */
export async function compareBoth(script: Cmd[], unordered: string[] = []): Promise<void> {
  await compareScript([["FLUSHALL"], ...script], unordered);
  await compareScript([["HELLO", "3"], ["FLUSHALL"], ...script], unordered);
}
