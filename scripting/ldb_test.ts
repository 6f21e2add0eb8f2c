import assert from "node:assert/strict";
import { type LdbIo, type LdbVm, LuaDebugger, protocolToHuman } from "./ldb.ts";

const te = new TextEncoder();
const human = (s: string) => protocolToHuman(te.encode(s), 0)[0];

Deno.test("replies in the debugger's human form (ldbRedisProtocolToHuman)", () => {
  assert.equal(human(":42\r\n"), "42");
  assert.equal(human('$5\r\nhe"l\n\r\n'), '"he\\"l\\n"');
  assert.equal(human("$-1\r\n"), "NULL");
  assert.equal(human("+OK\r\n"), '"+OK"');
  assert.equal(human("-ERR bad\r\n"), '"-ERR bad"');
  assert.equal(human("*2\r\n:1\r\n*1\r\n$1\r\na\r\n"), '[1,["a"]]');
  assert.equal(human("*-1\r\n"), "NULL");
  assert.equal(human("~1\r\n$1\r\nm\r\n"), '~("m")');
  assert.equal(human("%2\r\n$1\r\nf\r\n:1\r\n$1\r\ng\r\n_\r\n"), '{"f" => 1,"g" => (null)}');
  assert.equal(human("#t\r\n"), "#true");
  assert.equal(human(",1.5\r\n"), "(double) 1.5");
});

Deno.test("the line hook's stop: stepping, breakpoints, redis.breakpoint(), the timeout", () => {
  const d = new LuaDebugger(te.encode("a\nb\nc\n\r\n"), 0);
  assert.deepEqual(d.lines, ["a", "b", "c"]);
  // The session starts stepping: the first line stops.
  assert.equal(d.stopReason(false, 1, 0, 5000), "step over");
  assert.equal(d.stopReason(false, 2, 0, 5000), null);
  d.luaBreakpoint = true;
  assert.equal(d.stopReason(false, 3, 0, 5000), "redis.breakpoint() called");
  // A count event: only the time stops it.
  assert.equal(d.stopReason(true, 3, 4999, 5000), null);
  assert.equal(d.stopReason(true, 3, 5000, 5000), "timeout reached, infinite loop?");
  const frame = new TextDecoder().decode(d.takeLogsFrame());
  assert.equal(
    frame,
    "*6\r\n+* Stopped at 1, stop reason = step over\r\n+-> 1   a\r\n" +
      "+* Stopped at 3, stop reason = redis.breakpoint() called\r\n+-> 3   c\r\n" +
      "+* Stopped at 3, stop reason = timeout reached, infinite loop?\r\n+-> 3   c\r\n",
  );
  assert.equal(new TextDecoder().decode(d.takeLogsFrame()), "*0\r\n");
});

/** A client sending `commands`, then hanging up; the frames it got. */
function scriptedIo(commands: string[]): LdbIo & { frames: string[] } {
  const frames: string[] = [];
  return {
    began: true,
    forked: false,
    frames,
    send: (f) => frames.push(new TextDecoder().decode(f)),
    nextCommand: () => {
      const c = commands.shift();
      return Promise.resolve(c === undefined ? null : c.split(" ").map((w) => te.encode(w)));
    },
  };
}

const NO_VM: LdbVm = {
  print: () => null,
  printAll: () => [],
  eval: (code) => ({ ok: true, text: `"${code}"` }),
  redis: () => {},
  trace: () => [],
};

Deno.test("the REPL: breakpoints, list, maxlen trimming and its hint, the end of input", async () => {
  const d = new LuaDebugger(te.encode("l1\nl2\nl3\nl4"), 0);
  d.stopReason(false, 2, 0, 5000);
  d.takeLogsFrame();
  const io = scriptedIo(["b 3", "b 3", "b -3", "l 1 0", "m 1", "e " + "x".repeat(70), "bogus"]);
  assert.deepEqual(await d.repl(io, NO_VM, false), { resume: true });
  assert.deepEqual(io.frames, [
    "*3\r\n+-> 2   l2\r\n+  #3   l3\r\n+   4   l4\r\n",
    "*1\r\n+Wrong line number.\r\n",
    "*1\r\n+Breakpoint removed.\r\n",
    "*1\r\n+   1   l1\r\n",
    "*1\r\n+<value> replies are truncated at 60 bytes.\r\n",
    `*1\r\n+<retval> "${"x".repeat(50)} ...\r\n`,
    "*1\r\n+<error> Unknown Redis Lua debugger command or wrong number of arguments.\r\n",
  ]);
  // The client is gone: no more stops (a timeout stop ends the script instead).
  assert.equal(d.step, false);
  assert.deepEqual(await d.repl(scriptedIo([]), NO_VM, true), {
    error: "timeout during Lua debugging with client closing connection",
  });
});

Deno.test("the REPL: the first trimmed value hints at maxlen 0, once", async () => {
  const d = new LuaDebugger(te.encode("x"), 0);
  const long = "y".repeat(300);
  const io = scriptedIo([`e ${long}`, `e ${long}`, "a"]);
  assert.deepEqual(await d.repl(io, NO_VM, false), { error: "script aborted for user request" });
  assert.equal(io.frames.length, 2);
  assert.match(io.frames[0], /^\*2\r\n\+<retval> "y{246} \.\.\.\r\n\+<hint> The above reply/);
  assert.match(io.frames[1], /^\*1\r\n/);
});

Deno.test("the pending log lines are bounded between two frames", () => {
  const d = new LuaDebugger(te.encode("x"), 0);
  for (let i = 0; i < 100_005; i++) d.log(`<debug> line 1: ${i}`);
  const lines = new TextDecoder().decode(d.takeLogsFrame()).split("\r\n");
  assert.equal(lines[0], "*100001");
  assert.equal(lines[100_000], "+<debug> line 1: 99999");
  assert.match(lines[100_001], /^\+<hint> More than 100000 log lines/);
});
