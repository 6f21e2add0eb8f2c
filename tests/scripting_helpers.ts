/**
 * Shared by the scripting tests: a reply as comparable text, waiting for -BUSY, a Lua loop that
 * runs a given time by the node's clock, and running one scenario on a real redis-server and on
 * our node with the same directives.
 */

import assert from "node:assert/strict";
import { RespClient, type SpawnedProcess, spawnNode, spawnRedis, waitFor } from "./harness.ts";

/** A reply as text: errors as "-message", anything else as JSON. */
export function text(v: unknown): string {
  return v instanceof Error ? `-${v.message}` : JSON.stringify(v);
}

/** PING until the node answers -BUSY; returns that error text. */
export async function untilBusy(c: RespClient): Promise<string> {
  let last = "";
  await waitFor(
    "a -BUSY reply",
    async () => {
      last = text(await c.call("PING"));
      return last.startsWith("-BUSY");
    },
    10_000,
    20,
  );
  return last;
}

/** Lua that runs `ms` milliseconds by the node's clock (TIME), then goes on. */
export function spin(ms: number): string {
  return `local t0 = redis.call('TIME') t0 = t0[1] * 1000000 + t0[2] ` +
    `while true do local t = redis.call('TIME') if t[1] * 1000000 + t[2] - t0 >= ${
      ms * 1000
    } then break end end `;
}

/**
 * Run `scenario` on a fresh redis-server, then on a fresh node of ours, both with `directives`;
 * assert they saw the same and return what redis-server saw.
 */
export async function sameAsRedis(
  directives: Record<string, string>,
  scenario: (proc: SpawnedProcess) => Promise<string[]>,
): Promise<string[]> {
  const redis = await spawnRedis(directives);
  let expected: string[];
  try {
    expected = await scenario(redis);
  } finally {
    await redis.stop();
  }
  const ours = await spawnNode(directives);
  let got: string[];
  try {
    got = await scenario(ours);
  } finally {
    await ours.stop();
  }
  assert.deepEqual(got, expected);
  return expected;
}
