/**
 * Transactions: a seeded differential fuzz against a real redis-server. Two clients take turns at
 * random: MULTI, EXEC, DISCARD, WATCH, UNWATCH and RESET among writes and reads of a few keys in
 * two databases (SELECT, SWAPDB, FLUSHDB, MOVE, COPY ... DB), with commands refused when queued
 * (unknown, wrong arity, nested MULTI, WATCH inside MULTI: EXECABORT) and commands that fail when
 * run (WRONGTYPE, not an integer). Each reply is compared exactly, in RESP2 and in RESP3, and
 * DEBUG DIGEST compares both databases after each round.
 *
 * FUZZ_SEED: another seed for a campaign (the default is the one CI runs). A failure names the
 * seed, the protocol, the client and the command, with the steps before it.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, spawnRedis, startNode } from "./harness.ts";
import { type Cmd, cmdText, show } from "./compare.ts";
import { prng } from "./prng.ts";

const KEYS = ["k1", "k2", "k3", "{k}4"];
const LIST = "l";
const SET = "s";

/** One step: which client sends which command. */
interface Step {
  client: 0 | 1;
  cmd: Cmd;
}

/**
 * A round of random steps (deterministic for a random source). Whether each client is inside
 * MULTI is tracked here from the commands alone (MULTI enters it, EXEC, DISCARD and RESET leave
 * it, whatever they answer), so that a blocking command is only sent where it cannot block.
 */
function round(rnd: () => number, n: number): Step[] {
  const int = (k: number) => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const inMulti = [false, false];
  const key = () => pick(KEYS);
  const value = () => pick(["1", "-7", "abc", "", "10", "9223372036854775807", "3.5"]);
  const steps: Step[] = [];
  while (steps.length < n) {
    const client = int(2) as 0 | 1;
    let cmd: Cmd;
    const op = int(40);
    if (op < 3) cmd = ["MULTI"];
    else if (op < 5) cmd = ["EXEC"];
    else if (op === 5) cmd = ["DISCARD"];
    else if (op < 8) cmd = ["WATCH", key(), ...(int(2) ? [pick([key(), LIST, SET])] : [])];
    else if (op === 8) cmd = ["UNWATCH"];
    else if (op === 9 && int(4) === 0) cmd = ["RESET"];
    else if (op < 15) cmd = ["SET", key(), value()];
    else if (op < 17) cmd = ["GET", key()];
    else if (op < 19) cmd = [pick(["INCR", "DECR"]), key()];
    else if (op === 19) cmd = ["INCRBY", key(), pick(["5", "x", "-9223372036854775808"])];
    else if (op === 20) cmd = ["APPEND", key(), value()];
    else if (op === 21) cmd = [pick(["DEL", "EXISTS", "TYPE"]), key(), ...(int(2) ? [key()] : [])];
    else if (op === 22) cmd = ["LPUSH", pick([LIST, key()]), value()];
    else if (op === 23) cmd = [pick(["RPOP", "LLEN"]), pick([LIST, key()])];
    else if (op === 24) cmd = ["SADD", pick([SET, key()]), value(), value()];
    else if (op === 25) cmd = ["SELECT", pick(["0", "1", "0", "16", "x"])];
    else if (op === 26 && int(3) === 0) cmd = ["SWAPDB", "0", "1"];
    else if (op === 27 && int(4) === 0) cmd = [pick(["FLUSHDB", "FLUSHALL"])];
    else if (op === 28) cmd = ["MOVE", key(), pick(["0", "1"])];
    else if (op === 29) cmd = ["COPY", key(), key(), ...(int(2) ? ["DB", pick(["0", "1"])] : [])];
    else if (op === 30) cmd = [pick(["RENAME", "RENAMENX"]), key(), key()];
    else if (op === 31) cmd = ["EXPIRE", key(), pick(["1000", "0", "-1", "x"])];
    else if (op === 32) cmd = [pick(["TTL", "PERSIST"]), key()];
    else if (op === 33) {
      // Refused when queued: unknown, wrong arity, or an argument count no command takes.
      cmd = pick<Cmd>([["NOSUCH", "x"], ["GET"], ["SET", key()], ["EXPIRE", key()], ["watch"]]);
    } else if (op === 34 && inMulti[client]) cmd = ["BLPOP", LIST, "0"];
    else if (op === 35) cmd = ["MSET", key(), value(), key(), value()];
    else if (op === 36) cmd = ["GETSET", key(), value()];
    else if (op === 37) cmd = ["SET", key(), value(), pick(["NX", "XX", "GET"])];
    else if (op === 38) cmd = [pick(["PING", "ECHO"]), "hi"];
    else cmd = ["MGET", ...KEYS];
    const name = String(cmd[0]).toUpperCase();
    if (name === "MULTI") inMulti[client] = true;
    else if (name === "EXEC" || name === "DISCARD" || name === "RESET") inMulti[client] = false;
    steps.push({ client, cmd });
  }
  // End the round outside MULTI on both clients, so each round starts the same way.
  for (const client of [0, 1] as const) {
    if (inMulti[client]) steps.push({ client, cmd: ["DISCARD"] });
  }
  return steps;
}

const BASE_SEED = Number(Deno.env.get("FUZZ_SEED") ?? "8100");

Deno.test({
  name:
    "transactions: seeded random MULTI/EXEC/WATCH from two clients match redis-server (RESP2, RESP3)",
  ignore: !haveRedisServer(),
  fn: async () => {
    const node = await startNode();
    const redis = await spawnRedis({ "enable-debug-command": "yes" });
    const counts = new Map<string, number>();
    try {
      for (const proto of [2, 3]) {
        const seed = BASE_SEED + proto;
        const rnd = prng(seed);
        const ours = [await RespClient.connect(node.port), await RespClient.connect(node.port)];
        const theirs = [await RespClient.connect(redis.port), await RespClient.connect(redis.port)];
        try {
          for (const c of [...ours, ...theirs]) await c.callRaw("HELLO", String(proto));
          await ours[0].callRaw("FLUSHALL");
          await theirs[0].callRaw("FLUSHALL");
          for (let r = 0; r < 12; r++) {
            const steps = round(rnd, 250);
            for (let i = 0; i < steps.length; i++) {
              const { client, cmd } = steps[i];
              const a = show(await ours[client].callRaw(...cmd));
              const b = show(await theirs[client].callRaw(...cmd));
              assert.equal(
                a,
                b,
                `seed ${seed} RESP${proto} round ${r} #${i} client ${client}: ${
                  cmdText(cmd)
                }\nbefore:\n  ${
                  steps.slice(Math.max(0, i - 14), i).map((s) => `${s.client}: ${cmdText(s.cmd)}`)
                    .join("\n  ")
                }`,
              );
              const name = String(cmd[0]).toUpperCase();
              const kind = name === "EXEC"
                ? (b.startsWith("-")
                  ? b.slice(0, 10)
                  : b.startsWith("[") || b.startsWith("*")
                  ? "EXEC ran"
                  : `EXEC ${b}`)
                : b.startsWith("-") && /QUEUED|EXECABORT|nested|WATCH/.test(b)
                ? b.slice(0, 24)
                : b === '+"QUEUED"' || b === "+QUEUED"
                ? "queued"
                : "";
              if (kind !== "") counts.set(kind, (counts.get(kind) ?? 0) + 1);
            }
            // DEBUG DIGEST covers every database.
            assert.equal(
              show(await ours[0].callRaw("DEBUG", "DIGEST")),
              show(await theirs[0].callRaw("DEBUG", "DIGEST")),
              `seed ${seed} RESP${proto}: DEBUG DIGEST after round ${r}`,
            );
          }
        } finally {
          for (const c of [...ours, ...theirs]) c.close();
        }
      }
      // The mix stays meaningful: transactions that ran, were aborted and were discarded by WATCH.
      const text = JSON.stringify([...counts]);
      for (const kind of ["EXEC ran", "queued"]) {
        assert.ok((counts.get(kind) ?? 0) >= 50, `${kind}: ${text}`);
      }
      assert.ok([...counts.keys()].some((k) => k.startsWith("-EXECABORT")), text);
      assert.ok([...counts.keys()].some((k) => k.startsWith("EXEC ") && k.includes("nil")), text);
    } finally {
      await node.stop();
      await redis.stop();
    }
  },
});
