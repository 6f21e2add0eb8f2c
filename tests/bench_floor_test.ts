/**
 * bench/floor_server.ts: the bare server `deno task bench --mode floor` compares with answers each
 * complete request once (PING with +PONG, anything else with an empty array), and keeps a request
 * cut by a read for the next one.
 */

import assert from "node:assert/strict";
import { answer } from "../bench/floor_server.ts";

const te = new TextEncoder();
const td = new TextDecoder();

function answers(input: string): { used: number; replies: string } {
  const buf = te.encode(input);
  const out: Uint8Array[] = [];
  const used = answer(buf, buf.length, out);
  return { used, replies: out.map((f) => td.decode(f)).join("") };
}

const PING = "*1\r\n$4\r\nPING\r\n";
const CONFIG = "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n";

Deno.test("floor server: each complete request answered once, in order", () => {
  assert.deepEqual(answers(PING + PING + CONFIG + PING), {
    used: 3 * PING.length + CONFIG.length,
    replies: "+PONG\r\n+PONG\r\n*0\r\n+PONG\r\n",
  });
  assert.deepEqual(answers("*1\r\n$4\r\nping\r\n"), { used: PING.length, replies: "+PONG\r\n" });
});

Deno.test("floor server: a request cut anywhere waits for the rest", () => {
  const two = PING + CONFIG;
  for (let cut = PING.length; cut < two.length; cut++) {
    assert.deepEqual(
      answers(two.slice(0, cut)),
      { used: PING.length, replies: "+PONG\r\n" },
      `${cut}`,
    );
  }
  assert.deepEqual(answers(""), { used: 0, replies: "" });
});
