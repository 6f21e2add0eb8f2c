/**
 * The Lua debugger under random input, seeded (FUZZ_SEED=n reproduces a run): sessions in both
 * modes on one node, each a script of a small set driven by random debugger commands with random
 * arguments (numbers past every limit, variable names, Lua fragments, Redis commands, raw
 * bytes), some ending with the client hanging up mid-session. After every session the node must
 * answer another client, and its log must hold no failure of the debugger or of a host function.
 */

import assert from "node:assert/strict";
import { encodeCommand, RespClient, startNode } from "./harness.ts";
import { show } from "./compare.ts";
import { Prng } from "../cluster/prng.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? "20261207");
const SESSIONS = 60;

const SCRIPTS = [
  "local a = 1\nlocal b = {a, 'x', {k = true}}\nredis.call('set', KEYS[1], 'v')\nreturn b",
  "local function f(x)\n  local y = x * 2\n  return y\nend\nlocal r = f(3)\nreturn r",
  "for i = 1, 3 do\n  redis.call('incr', KEYS[1])\nend\nreturn redis.call('get', KEYS[1])",
  "local co = coroutine.create(function(a)\n  coroutine.yield(a)\n  return a\nend)\n" +
  "coroutine.resume(co, 1)\nreturn 1",
  "redis.debug('x', 1, {2})\nredis.breakpoint()\nlocal z = 1\nreturn z",
  "local t = {}\nfor i = 1, 200 do t[i] = i end\nreturn #t",
  "redis.call('nosuch')\nreturn 1",
  "return redis.pcall('incr', KEYS[1])",
  "",
];

const COMMANDS = ["s", "n", "c", "l", "w", "p", "b", "t", "e", "r", "m", "a", "h", "list", "x"];
const ARGS = [
  "0",
  "1",
  "2",
  "-1",
  "-999",
  "99999999999999999999",
  "a",
  "b",
  "t",
  "KEYS",
  "ARGV",
  "1 +",
  "nil",
  "redis.call('get', 'k')",
  "error('e')",
  "string.rep('x', 500)",
  "get",
  "set",
  "k",
  "incr",
  "ping",
  "60",
];

function randomCommand(rng: Prng): string[] {
  if (rng.chance(0.05)) {
    return [String.fromCharCode(...Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)))];
  }
  const out = [rng.pick(COMMANDS)];
  const n = rng.int(4);
  for (let i = 0; i < n; i++) out.push(rng.pick(ARGS));
  return out;
}

const isEnd = (v: RespValue) =>
  v.type === "array" && v.value.length > 0 &&
  show(v.value[v.value.length - 1]) === "+<endsession>";

Deno.test(`Lua debugger fuzz (FUZZ_SEED=${SEED}): random sessions leave the node serving`, async () => {
  const node = await startNode();
  const warnings: string[] = [];
  const log = node.server.log;
  const warning = log.warning.bind(log);
  log.warning = (m: string) => {
    warnings.push(m);
    warning(m);
  };
  const rng = new Prng(SEED);
  const watcher = await RespClient.connect(node.port);
  try {
    for (let s = 0; s < SESSIONS; s++) {
      const c = await RespClient.connect(node.port);
      try {
        await c.callRaw("SCRIPT", "DEBUG", rng.chance(0.5) ? "YES" : "SYNC");
        await c.writeRaw(encodeCommand(["EVAL", rng.pick(SCRIPTS), "1", "fk"]));
        let ended = false;
        const hangUpAfter = rng.chance(0.2) ? rng.int(6) : -1;
        for (let i = 0; !ended && i < 40; i++) {
          const v = await c.readValue(10_000);
          if (v === null || isEnd(v)) {
            ended = true;
            break;
          }
          if (i === hangUpAfter) break;
          // Past 30 commands, continue until the script ends.
          await c.writeRaw(encodeCommand(i < 30 ? randomCommand(rng) : ["c"]));
        }
      } finally {
        c.close();
      }
      // The node serves others once a session is over (a synchronous one may still be running
      // its script to the end after a hang-up: the watcher's command waits for it).
      assert.equal(show(await watcher.callRaw("PING")), "+PONG", `after session ${s}`);
    }
  } finally {
    watcher.close();
    await node.stop();
  }
  const failures = warnings.filter((w) =>
    /Lua debugger failed|Lua host function failed|internal error|Lua VM failure/.test(w)
  );
  assert.deepEqual(failures, []);
});
