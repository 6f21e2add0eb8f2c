/**
 * Scripts that push the engine's edges, on our node and on a real redis-server, the replies
 * compared:
 * - busy loops where a count hook cannot simply yield (a coroutine the script made, a sort
 *   comparator, a gsub callback, __tostring) still answer -BUSY, and SCRIPT KILL ends them;
 * - clients blocked on a key are served after the script that pushed to it, never in the middle;
 * - keys expire against the script's start time while it runs;
 * - a deep or self-referencing table returned stops at Redis's stack limit, byte for byte;
 * - SCRIPT FLUSH leaves the function libraries' state alone (they have a VM of their own).
 * And on our node: a transaction resumed after an asynchronous command waits for a script that
 * is running instead of running a second one beside it.
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, type SpawnedProcess, spawnNode, waitFor } from "./harness.ts";
import { sameAsRedis, spin, text, untilBusy } from "./scripting_helpers.ts";
import { fakeTarget } from "./fake_migrate_target.ts";

const dec = new TextDecoder();

const LOOPS = [
  "local co = coroutine.wrap(function() while true do end end) co()",
  "table.sort({3, 2, 1}, function(a, b) while true do end end)",
  "string.gsub('abc', '%w', function(c) while true do end end)",
  "return tostring(setmetatable({}, {__tostring = function() while true do end end}))",
];

const COUNTER = "#!lua name=counter\nlocal n = 0\n" +
  "redis.register_function('inc', function() n = n + 1 return n end)";

/** Read one whole RESP value as raw bytes (iteratively: the replies here nest 8000 deep). */
async function rawReply(c: RespClient, ...args: string[]): Promise<Uint8Array> {
  await c.writeRaw(
    `*${args.length}\r\n` +
      args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`).join(""),
  );
  // deno-lint-ignore no-explicit-any
  const cc = c as any;
  for (;;) {
    const end = completeValueEnd(cc.buf as Uint8Array);
    if (end !== -1) {
      const out = (cc.buf as Uint8Array).slice(0, end);
      cc.buf = (cc.buf as Uint8Array).slice(end);
      return out;
    }
    const n = await cc.readMore(10_000);
    if (n === null) throw new Error("connection closed");
  }
}

/** Where the first complete RESP value of `buf` ends, or -1. */
function completeValueEnd(buf: Uint8Array): number {
  let need = 1;
  let pos = 0;
  while (need > 0) {
    const nl = buf.indexOf(10, pos);
    if (nl === -1) return -1;
    const type = buf[pos];
    const n = Number(new TextDecoder().decode(buf.subarray(pos + 1, nl - 1)));
    pos = nl + 1;
    need--;
    if (type === 42 || type === 126) need += Math.max(n, 0); // array, set
    else if (type === 37) need += 2 * n; // map
    else if (type === 36 || type === 61) { // bulk, verbatim
      if (n >= 0) {
        if (buf.length < pos + n + 2) return -1;
        pos += n + 2;
      }
    }
  }
  return pos;
}

async function scenario(proc: SpawnedProcess): Promise<string[]> {
  const seen: string[] = [];
  const a = await RespClient.connect(proc.port);
  const b = await RespClient.connect(proc.port);
  try {
    for (const loop of LOOPS) {
      const running = a.call("EVAL", loop, "0");
      await untilBusy(b);
      seen.push(text(await b.call("SCRIPT", "KILL")));
      seen.push(text(await running));
    }
    // A client blocked on q gets the element after the script, which sees it in the list.
    const blocked = b.call("BLPOP", "q", "0");
    await waitFor("the BLPOP to block", async () => {
      const c = await RespClient.connect(proc.port);
      try {
        return (await c.call("INFO", "clients") as string).includes("blocked_clients:1");
      } finally {
        c.close();
      }
    });
    seen.push(
      text(
        await a.call(
          "EVAL",
          `redis.call('RPUSH', 'q', 'a') ${spin(300)} return redis.call('LLEN', 'q')`,
          "0",
        ),
      ),
    );
    seen.push(text(await blocked));
    // Time stands still for expiry while a script runs.
    seen.push(text(
      await a.call(
        "EVAL",
        `redis.call('SET', 'fk', 'v', 'PX', 50) ${spin(150)} ` +
          "return {redis.call('GET', 'fk'), redis.call('EXISTS', 'fk')}",
        "0",
      ),
    ));
    seen.push(text(await a.call("EXISTS", "fk")));
    // Deep and self-referencing tables, byte for byte.
    for (
      const s of [
        "local t = {} t[1] = t return t",
        "local t = {} t.map = {a = t} return t",
        "local t = {} t.set = {} t.set[t] = true return t",
        "local t = {} t[1] = {set = {[t] = true}} return {1, t, 'x'}",
      ]
    ) {
      const bytes = await rawReply(a, "EVAL", s, "0");
      seen.push(`${bytes.length}:${new TextDecoder().decode(bytes.slice(-60))}`);
    }
    // Function libraries keep their state across SCRIPT FLUSH.
    seen.push(text(await a.call("FUNCTION", "LOAD", COUNTER)));
    seen.push(text(await a.call("FCALL", "inc", "0")));
    seen.push(text(await a.call("FCALL", "inc", "0")));
    seen.push(text(await a.call("SCRIPT", "FLUSH")));
    seen.push(text(await a.call("FCALL", "inc", "0")));
  } finally {
    a.close();
    b.close();
  }
  return seen;
}

Deno.test({
  name: "scripts at the engine's edges answer as redis-server does",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const directives = { "lua-time-limit": "100", save: "" };
    const expected = await sameAsRedis(directives, scenario);
    // The scenario reached what it is about.
    assert.ok(expected.filter((t) => t.includes("Script killed by user")).length === LOOPS.length);
    assert.equal(expected[LOOPS.length * 2], "1");
    assert.equal(expected[expected.length - 1], "3");
  },
});

Deno.test({
  name: "a transaction resumed after an asynchronous command waits for the running script",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const node = await spawnNode({ "lua-time-limit": "100", save: "" });
    // MIGRATE is the asynchronous command (DEBUG SLEEP freezes the whole node, as in Redis): its
    // target answers the RESTORE only when the test releases it.
    const target = fakeTarget("held");
    const a = await RespClient.connect(node.port);
    const b = await RespClient.connect(node.port);
    const c = await RespClient.connect(node.port);
    try {
      assert.equal(await a.call("SET", "moving", "v"), "OK");
      assert.equal(await a.call("MULTI"), "OK");
      assert.equal(
        await a.call("MIGRATE", "127.0.0.1", String(target.port), "moving", "0", "10000"),
        "QUEUED",
      );
      assert.equal(await a.call("EVAL", "return redis.call('INCR', 'order')", "0"), "QUEUED");
      const exec = a.call("EXEC");
      // Awaited below; handled now so that an earlier failure is reported as itself, not as this
      // promise's unhandled rejection once the node is stopped.
      exec.catch(() => {});
      await waitFor(
        "the MIGRATE's RESTORE at the target",
        () => target.requests.some((r) => dec.decode(r[0]).toUpperCase().startsWith("RESTORE")),
      );
      // Meanwhile a long script starts; once the MIGRATE is answered, the transaction's EVAL
      // must wait for the script to end.
      // 3 s: the node must still be in the script when c's PING reaches it, however loaded the
      // machine (with 800 ms, a run beside other suites saw the script end before any -BUSY).
      const long = b.call("EVAL", `${spin(3000)} return redis.call('INCR', 'order')`, "0");
      long.catch(() => {});
      await untilBusy(c);
      target.release();
      assert.equal(await long, 1);
      assert.deepEqual(await exec, ["OK", 2]);
      assert.equal(await c.call("GET", "order"), "2");
    } finally {
      target.stop();
      a.close();
      b.close();
      c.close();
      await node.stop();
    }
  },
});
