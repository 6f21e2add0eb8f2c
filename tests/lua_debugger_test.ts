/**
 * The Lua debugger (SCRIPT DEBUG SYNC, then EVAL) against a real redis-server 7.0.15: the same
 * sessions driven on both, every frame compared byte for byte (the stops, the source listings,
 * variables, breakpoints, traces, eval, redis, maxlen, help, the commands a stepped script runs
 * with their replies and errors in RESP2 and RESP3, abort, the timeout stop, redis.debug and
 * redis.breakpoint), then `<endsession>`, the EVAL's reply and the closed connection. Also: the
 * errors of SCRIPT DEBUG and of EVALSHA under it, a session that ends before its script starts,
 * a client hanging up in the middle (the script runs to its end), and other clients waiting
 * while a session holds the server, as Redis's blocks.
 */

import assert from "node:assert/strict";
import { show, withNodeAndRedis } from "./compare.ts";
import { encodeCommand, RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const isEnd = (v: RespValue) =>
  v.type === "array" && v.value.length > 0 &&
  show(v.value[v.value.length - 1]) === "+<endsession>";

/**
 * Run a session on a new connection to `port`: SCRIPT DEBUG SYNC, the EVAL, then one debugger
 * command after each frame, until `<endsession>`; returns every frame, the EVAL's reply and
 * whether the connection closed.
 */
async function session(
  port: number,
  evalArgs: string[],
  commands: string[],
  hello3 = false,
  mode: "SYNC" | "YES" = "SYNC",
): Promise<string[]> {
  const c = await RespClient.connect(port);
  const out: string[] = [];
  try {
    if (hello3) await c.callRaw("HELLO", "3");
    out.push(show(await c.callRaw("SCRIPT", "DEBUG", mode)));
    await c.writeRaw(encodeCommand(["EVAL", ...evalArgs]));
    let next = 0;
    for (;;) {
      const v = await c.readValue(10_000);
      if (v === null) {
        out.push("(closed)");
        break;
      }
      out.push(show(v));
      if (isEnd(v)) {
        const r = await c.readValue(10_000);
        out.push(r === null ? "(no reply)" : show(r));
        out.push(await c.isClosed(5000) ? "(closed)" : "(open)");
        break;
      }
      if (next === commands.length) {
        out.push("(out of commands)");
        break;
      }
      await c.writeRaw(encodeCommand(commands[next++].split(" ")));
    }
  } finally {
    c.close();
  }
  return out;
}

const SCRIPT = [
  "local a = 1",
  'local t = {1, 2, "x\\n", {k = true}}',
  "redis.call('SET', KEYS[1], ARGV[1])",
  'redis.debug(a, t, "hi")',
  "local b = redis.call('GET', KEYS[1])",
  "return b",
].join("\n");

const FUNCTIONS = [
  "local function f(x)",
  "  local y = x * 2",
  "  return y",
  "end",
  "local r = f(3)",
  "redis.breakpoint()",
  "local s = r + 1",
  "return s",
].join("\n");

const CASES: { name: string; eval: string[]; commands: string[]; hello3?: boolean }[] = [
  {
    name: "stepping, print, break, continue, list, eval, redis, trace, whole, maxlen, help",
    eval: [SCRIPT, "1", "k1", "v1"],
    commands: [
      "print",
      "step",
      "next",
      "p t",
      "p a",
      "b 5",
      "c",
      "l",
      "list 2 1",
      "l 0 0",
      "e a + 1",
      "eval 1 + 2",
      "e local z = 1",
      "e (",
      "r incr ldbcounter",
      "redis set ldbk v",
      "r get ldbk",
      "t",
      "w",
      "m 70",
      "m",
      "m 0",
      "maxlen 10",
      "e string.rep('x', 100)",
      "e string.rep('y', 100)",
      "foo",
      "h",
      "b",
      "b 99",
      "b 5",
      "b -5",
      "b -5",
      "b x",
      "b 2 3",
      "b 0",
      "p nosuch",
      "p KEYS",
      "p ARGV",
      "e redis.call('get', KEYS[1])",
      "r",
      "c",
    ],
  },
  {
    name: "functions: trace inside one, its locals, redis.breakpoint()",
    eval: [FUNCTIONS, "0"],
    commands: ["b 2", "c", "t", "p", "p x", "p r", "s", "s", "t", "p", "c", "p", "p r", "c"],
  },
  {
    name: "a stepped script's commands, their replies and errors (RESP2)",
    eval: [
      [
        "redis.call('del', KEYS[1], 'h', 'z')",
        "redis.call('rpush', KEYS[1], 'a', 'b')",
        "local l = redis.call('lrange', KEYS[1], 0, -1)",
        "local e = redis.pcall('incr', KEYS[1])",
        "local u = redis.pcall('nosuchcommand')",
        "redis.call('hset', 'h', 'f', 'v')",
        "local m = redis.call('hgetall', 'h')",
        "redis.call('zadd', 'z', 1.5, 'm')",
        "local d = redis.call('zscore', 'z', 'm')",
        "local n = redis.call('get', 'nosuchkey')",
        "local p = redis.pcall()",
        "local q = redis.pcall('set', 'k', {})",
        "redis.call('mset', 'a1', 1, 'a2', 2, 'a3', 3, 'a4', 4, 'a5', 5, 'a6', 6)",
        "return redis.call('ping')",
      ].join("\n"),
      "1",
      "l1",
    ],
    commands: Array(15).fill("s"),
  },
  {
    name: "the same commands in RESP3 (redis.setresp(3), a RESP3 client)",
    eval: [
      [
        "redis.setresp(3)",
        "redis.call('del', 'h', 'z')",
        "redis.call('hset', 'h', 'f', 'v')",
        "local m = redis.call('hgetall', 'h')",
        "redis.call('zadd', 'z', 1.5, 'm')",
        "local d = redis.call('zscore', 'z', 'm')",
        "local n = redis.call('get', 'nosuchkey')",
        "local s = redis.call('smembers', 'nosuchset')",
        "local b = redis.call('exists', 'h')",
        "return {1, 'two'}",
      ].join("\n"),
      "0",
    ],
    commands: Array(11).fill("s"),
    hello3: true,
  },
  {
    name: "stepping into a coroutine the script made, and out of it",
    eval: [
      [
        "local co = coroutine.create(function(a)",
        "  local b = a + 1",
        "  coroutine.yield(b)",
        "  return b * 2",
        "end)",
        "local ok, v = coroutine.resume(co, 1)",
        "local ok2, w = coroutine.resume(co)",
        "return {v, w}",
      ].join("\n"),
      "0",
    ],
    commands: ["s", "s", "p", "t", "s", "s", "p", "t", "s", "s", "s", "p", "s", "c"],
  },
  {
    name: "abort: the error at the stopped line, the writes before it kept",
    eval: ["redis.call('set', 'aborted', '1')\nlocal x = 2\nreturn x", "0"],
    commands: ["s", "a"],
  },
  {
    name: "an error raised by the script ends the session",
    eval: ["local a = 1\nredis.call('nosuch')\nreturn a", "0"],
    commands: ["s", "s"],
  },
  {
    name: "a session that ends before its script starts (a bad numkeys)",
    eval: ["return 1", "5"],
    commands: [],
  },
  {
    name: "an empty script (no source line to show)",
    eval: ["", "0"],
    commands: ["l", "w", "b 1", "c"],
  },
];

/** A function's address (ldbCatStackValue prints it with %p) differs from process to process. */
const maskPointers = (frames: string[]) =>
  frames.map((f) => f.replace(/"(function|table|userdata|thread)@0x[0-9a-f]+"/g, '"$1@PTR"'));

Deno.test("Lua debugger: the same sessions give the same frames as redis-server", async () => {
  await withNodeAndRedis(async (a, b, node, redis) => {
    // Synchronous sessions, then forked ones (SCRIPT DEBUG YES: Redis forks, ours runs the
    // script on a child server with a copy of the dataset): the same frames either way.
    for (const mode of ["SYNC", "YES"] as const) {
      for (const c of CASES) {
        const ours = await session(node.port, c.eval, c.commands, c.hello3, mode);
        const theirs = await session(redis.port, c.eval, c.commands, c.hello3, mode);
        assert.deepEqual(maskPointers(ours), maskPointers(theirs), `${mode}: ${c.name}`);
      }
      // What the sessions wrote stays after synchronous ones only.
      const after = async (c: RespClient) => show(await c.callRaw("MGET", "ldbk", "aborted"));
      assert.equal(await after(a), await after(b), mode);
      if (mode === "SYNC") { for (const c of [a, b]) await c.callRaw("DEL", "ldbk", "aborted"); }
      else assert.equal(await after(a), "[nil,nil]");
    }
  });
});

Deno.test("Lua debugger: the timeout stop of an endless loop, then abort", async () => {
  await withNodeAndRedis(async (a, b, node, redis) => {
    for (const c of [a, b]) await c.callRaw("CONFIG", "SET", "busy-reply-threshold", "200");
    const script = "local i = 0\nwhile true do i = i + 1 end";
    const run = (port: number) => session(port, [script, "0"], ["c", "p i", "a"]);
    const ours = await run(node.port);
    const theirs = await run(redis.port);
    // The loop's counter differs with the speed of each VM: the value is not compared.
    const mask = (f: string[]) => f.map((s) => s.replace(/<value> [\d.e+]+/, "<value> N"));
    assert.deepEqual(mask(ours), mask(theirs));
    assert.match(ours[2], /timeout reached, infinite loop\?/);
  });
});

Deno.test("SCRIPT DEBUG: its errors, EVALSHA under it, a forked session, as redis-server", async () => {
  await withNodeAndRedis(async (a, b) => {
    const both = async (...cmd: string[]) => {
      const [x, y] = [show(await a.callRaw(...cmd)), show(await b.callRaw(...cmd))];
      assert.equal(x, y, cmd.join(" "));
      return x;
    };
    await both("SCRIPT", "DEBUG", "maybe");
    await both("SCRIPT", "DEBUG");
    await both("MULTI");
    await both("SCRIPT", "DEBUG", "SYNC");
    await both("EXEC");
    await both("SCRIPT", "DEBUG", "sync");
    await both("EVALSHA", "0123456789012345678901234567890123456789", "0");
    await both("EVALSHA", "abc", "0");
    await both("SCRIPT", "DEBUG", "NO");
    await both("EVAL", "return 1", "0");
    await both("SCRIPT", "DEBUG", "YES");
    await both("EVALSHA", "0123456789012345678901234567890123456789", "0");
    await both("SCRIPT", "DEBUG", "NO");
  });
});

Deno.test("Lua debugger: a client that hangs up lets the script run to its end", async () => {
  await withNodeAndRedis(async (a, b, node, redis) => {
    for (const [c, port] of [[a, node.port], [b, redis.port]] as const) {
      await c.callRaw("DEL", "hangup");
      const d = await RespClient.connect(port);
      await d.callRaw("SCRIPT", "DEBUG", "SYNC");
      await d.writeRaw(encodeCommand([
        "EVAL",
        "redis.call('set', 'hangup', '1')\nredis.call('incr', 'hangup')\nreturn 1",
        "0",
      ]));
      const first = await d.readValue(10_000);
      assert.ok(first !== null && show(first).includes("Stopped at 1"));
      d.close();
      // The session ends with the script; then this client is served again.
      assert.equal(show(await c.callRaw("GET", "hangup")), '$"2"');
    }
  });
});

Deno.test("Lua debugger: a forked session's writes are its own, and the server serves everyone meanwhile", async () => {
  await withNodeAndRedis(async (a, b, node, redis) => {
    for (const [c, port] of [[a, node.port], [b, redis.port]] as const) {
      await c.callRaw("SET", "forked", "before");
      const d = await RespClient.connect(port);
      try {
        await d.callRaw("SCRIPT", "DEBUG", "YES");
        await d.writeRaw(encodeCommand([
          "EVAL",
          "redis.call('set', 'forked', 'in the child')\nreturn redis.call('get', 'forked')",
          "0",
        ]));
        assert.ok(show((await d.readValue(10_000))!).includes("Stopped at 1"));
        await d.writeRaw(encodeCommand(["s"]));
        assert.ok(show((await d.readValue(10_000))!).includes("Stopped at 2"));
        // The script wrote its copy; the server, serving this client meanwhile, did not change.
        assert.equal(show(await c.callRaw("GET", "forked")), '$"before"', `port ${port}`);
        await c.callRaw("SET", "forked", "meanwhile");
        await d.writeRaw(encodeCommand(["c"]));
        assert.ok(isEnd((await d.readValue(10_000))!));
        assert.equal(show((await d.readValue(10_000))!), '$"in the child"');
        assert.ok(await d.isClosed(5000));
        assert.equal(show(await c.callRaw("GET", "forked")), '$"meanwhile"', `port ${port}`);
      } finally {
        d.close();
      }
    }
  });
});

Deno.test("Lua debugger: other clients wait while a session holds the server", async () => {
  await withNodeAndRedis(async (_a, _b, node, redis) => {
    for (const port of [node.port, redis.port]) {
      const d = await RespClient.connect(port);
      const other = await RespClient.connect(port);
      try {
        await d.callRaw("SCRIPT", "DEBUG", "SYNC");
        await d.writeRaw(encodeCommand(["EVAL", "redis.call('set', 'held', 'x')\nreturn 1", "0"]));
        assert.ok(show((await d.readValue(10_000))!).includes("Stopped at 1"));
        await other.writeRaw(encodeCommand(["GET", "held"]));
        // No answer while the script is stopped: nothing is run before the session ends.
        assert.equal(await other.readValue(300).catch(() => null), null, `port ${port}`);
        await d.writeRaw(encodeCommand(["c"]));
        assert.ok(isEnd((await d.readValue(10_000))!));
        assert.equal(show((await d.readValue(10_000))!), ":1");
        assert.equal(show((await other.readValue(10_000))!), '$"x"');
      } finally {
        d.close();
        other.close();
      }
    }
  });
});

Deno.test("Lua debugger: a command past its parser's limits ends the script with a protocol error", async () => {
  await withNodeAndRedis(async (_a, _b, node, redis) => {
    const bad = [
      "*1\r\n$2000\r\n" + "x".repeat(2000) + "\r\n", // an argument over 1024 bytes
      "*2\r\n$1\r\ne\r\n$0\r\n\r\n", // an empty argument
    ];
    for (const raw of bad) {
      const frames: string[][] = [];
      for (const port of [node.port, redis.port]) {
        const c = await RespClient.connect(port);
        try {
          await c.callRaw("SCRIPT", "DEBUG", "SYNC");
          await c.writeRaw(encodeCommand(["EVAL", "local a = 1\nreturn a", "0"]));
          const out = [show((await c.readValue(10_000))!)];
          await c.writeRaw(raw);
          out.push(show((await c.readValue(10_000))!), show((await c.readValue(10_000))!));
          out.push(await c.isClosed(5000) ? "(closed)" : "(open)");
          frames.push(out);
        } finally {
          c.close();
        }
      }
      assert.deepEqual(frames[0], frames[1]);
      assert.match(frames[0][2], /^-ERR protocol error script: /);
    }
  });
});
