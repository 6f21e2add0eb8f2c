/**
 * Client control (issue 16), the same behaviour asked of our node and of a real redis-server
 * 7.0.15: CLIENT PAUSE WRITE|ALL (held commands are delayed, not refused; UNPAUSE releases
 * them; nothing expires meanwhile), CLIENT REPLY ON|OFF|SKIP, CLIENT UNBLOCK [TIMEOUT|ERROR]
 * of a blocked and of a paused client, CLIENT NO-EVICT, CLIENT LIST/INFO in the 7.0 format,
 * and COMMAND INFO/DOCS of these subcommands.
 */

import assert from "node:assert/strict";
import { callBoth, type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import { encodeCommand, RespClient, waitFor } from "./harness.ts";

type Pair = [RespClient, RespClient];

/** Both servers' replies to `c` must be identical. */
async function same(a: RespClient, b: RespClient, c: Cmd): Promise<string> {
  const [ra, rb] = await callBoth(a, b, c);
  assert.equal(show(ra), show(rb), `reply to ${cmdText(c)}`);
  return show(ra);
}

/** Second connections to both servers. */
async function more(a: RespClient, b: RespClient): Promise<Pair> {
  const pa = (a.conn.remoteAddr as Deno.NetAddr).port;
  const pb = (b.conn.remoteAddr as Deno.NetAddr).port;
  return [await RespClient.connect(pa), await RespClient.connect(pb)];
}

async function blockedClients(c: RespClient): Promise<string> {
  return /blocked_clients:(\d+)/.exec(show(await c.callRaw("info", "clients")))![1];
}

Deno.test("client control: argument errors, NO-EVICT, LIST/INFO format, COMMAND INFO and DOCS", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (
      const c of [
        ["client", "pause", "-1"],
        ["client", "pause", "abc"],
        ["client", "pause", "10", "foo"],
        ["client", "pause", "10", "write", "x"],
        ["client", "pause"],
        ["client", "pause", "0"],
        ["client", "pause", "9223372036854775807"],
        ["client", "unpause", "x"],
        ["client", "unpause"],
        ["client", "reply"],
        ["client", "reply", "foo"],
        ["client", "unblock"],
        ["client", "unblock", "abc"],
        ["client", "unblock", "1", "foo"],
        ["client", "unblock", "999999"],
        ["client", "unblock", "999999", "error"],
        ["client", "no-evict", "maybe"],
        ["client", "no-evict", "on"],
        ["client", "no-touch", "on"],
        ["client", "setinfo", "lib-name", "x"],
        ["command", "info", "client|pause", "client|unpause", "client|reply"],
        ["command", "info", "client|unblock", "client|no-evict", "client|list", "client|info"],
        ["command", "docs", "client|pause", "client|unpause", "client|reply"],
        ["command", "docs", "client|unblock", "client|no-evict"],
      ] as Cmd[]
    ) await same(a, b, c);
    // CLIENT INFO: the 7.0 fields, in order (values such as qbuf differ by nature).
    const fields = (v: string) => v.split(" ").map((f) => f.split("=")[0]);
    const [ia, ib] = await callBoth(a, b, ["client", "info"]);
    const la = show(ia);
    const lb = show(ib);
    assert.deepEqual(fields(la), fields(lb));
    assert.match(la, / flags=e db=0 /);
    assert.doesNotMatch(la, /lib-name/);
    await same(a, b, ["reset"]);
    await same(a, b, ["select", "9"]);
    const [ja, jb] = await callBoth(a, b, ["client", "list"]);
    assert.match(show(ja), / flags=e db=9 /, "NO-EVICT survives RESET (7.0); db= follows SELECT");
    assert.deepEqual(fields(show(ja)), fields(show(jb)));
  });
});

Deno.test("client control: CLIENT PAUSE WRITE holds writes (and expiry) until UNPAUSE, reads go on", async () => {
  await withNodeAndRedis(async (a, b) => {
    const [a2, b2] = await more(a, b);
    try {
      await same(a, b, ["set", "soon", "x", "px", "30"]);
      await same(a, b, ["client", "pause", "100000", "write"]);
      // Held, not refused: a write and what follows it on that connection wait.
      for (const c of [a2, b2]) {
        await c.writeRaw(encodeCommand(["set", "k", "v"]));
        await c.writeRaw(encodeCommand(["get", "k"]));
      }
      await waitFor(
        "writers held",
        async () => await blockedClients(a) === "1" && await blockedClients(b) === "1",
      );
      // Reads and PUBLISH's no-write cousins run; a script with no-writes runs; EVAL is held.
      await same(a, b, ["get", "k"]);
      await same(a, b, ["eval", "#!lua flags=no-writes\nreturn 1", "0"]);
      // The TTL passes while paused: the key reads as missing but is not deleted.
      await waitFor("soon expired", async () => show(await a.callRaw("pttl", "soon")) === ":-2");
      await waitFor("soon expired", async () => show(await b.callRaw("pttl", "soon")) === ":-2");
      await same(a, b, ["get", "soon"]);
      await same(a, b, ["dbsize"]);
      await same(a, b, ["client", "unpause"]);
      for (const c of [a2, b2]) {
        assert.equal(show((await c.readValue())!), "+OK");
        assert.equal(show((await c.readValue())!), '$"v"');
      }
      await same(a, b, ["get", "soon"]);
      await same(a, b, ["dbsize"]);
      // A pause inside MULTI: the rest of the transaction still runs.
      await same(a, b, ["multi"]);
      await same(a, b, ["client", "pause", "100000", "write"]);
      await same(a, b, ["set", "in-multi", "1"]);
      await same(a, b, ["exec"]);
      await same(a, b, ["client", "unpause"]);
      await same(a, b, ["get", "in-multi"]);
    } finally {
      a2.close();
      b2.close();
    }
  });
});

Deno.test("client control: CLIENT PAUSE ALL holds every command, UNPAUSE too, until its end", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const c of [a, b]) {
      assert.equal(show(await c.callRaw("client", "pause", "400", "all")), "+OK");
      const start = Date.now();
      // Even CLIENT UNPAUSE waits for the timeout (Redis 7.0).
      assert.equal(show(await c.callRaw("client", "unpause")), "+OK");
      assert.equal(show(await c.callRaw("ping")), "+PONG");
      assert.ok(Date.now() - start >= 350, `held ${Date.now() - start} ms`);
    }
    // A WRITE pause after an ALL one does not make it less restrictive (pauseClients).
    for (const c of [a, b]) {
      assert.equal(show(await c.callRaw("client", "pause", "300", "all")), "+OK");
      const start = Date.now();
      assert.equal(show(await c.callRaw("client", "pause", "10", "write")), "+OK");
      assert.ok(Date.now() - start >= 250, `held ${Date.now() - start} ms`);
      await c.callRaw("client", "unpause");
    }
  });
});

Deno.test("client control: CLIENT REPLY OFF, SKIP and ON", async () => {
  await withNodeAndRedis(async (a, b) => {
    const script: Cmd[] = [
      ["client", "reply", "off"],
      ["set", "x", "1"],
      ["get", "x"],
      ["client", "reply", "skip"],
      ["nosuchcommand"],
      ["client", "reply", "on"],
      ["client", "reply", "skip"],
      ["get", "x"],
      ["incr", "x"],
      ["client", "reply", "skip"],
      ["client", "reply", "skip"],
      ["get", "x"],
      ["echo", "end"],
    ];
    const frames: string[][] = [];
    for (const c of [a, b]) {
      for (const x of script) await c.writeRaw(encodeCommand(x));
      const got: string[] = [];
      for (;;) {
        const v = show((await c.readValue())!);
        got.push(v);
        if (v === '$"end"') break;
      }
      frames.push(got);
    }
    assert.deepEqual(frames[0], frames[1]);
    assert.deepEqual(frames[0], ["+OK", ":2", '$"end"']);
    // Pub/Sub messages still reach a client with replies off.
    const [a2, b2] = await more(a, b);
    try {
      const got: string[][] = [];
      for (const [c, p] of [[a, a2], [b, b2]]) {
        await c.writeRaw(encodeCommand(["client", "reply", "off"]));
        await c.writeRaw(encodeCommand(["subscribe", "ch"]));
        await c.writeRaw(encodeCommand(["get", "x"]));
        assert.equal(show((await c.readValue())!), '[$"subscribe",$"ch",:1]');
        assert.equal(show(await p.callRaw("publish", "ch", "m")), ":1");
        got.push([show((await c.readValue())!)]);
      }
      assert.deepEqual(got[0], got[1]);
      assert.deepEqual(got[0], ['[$"message",$"ch",$"m"]']);
    } finally {
      a2.close();
      b2.close();
    }
  });
});

Deno.test("client control: CLIENT UNBLOCK of blocked and of paused clients", async () => {
  await withNodeAndRedis(async (a, b) => {
    const [a2, b2] = await more(a, b);
    try {
      const ids = [
        String(await a2.call("client", "id")),
        String(await b2.call("client", "id")),
      ];
      const each = async (args: (id: string) => Cmd, want: string, blocked: Cmd) => {
        const pairs: [RespClient, RespClient, string][] = [[a, a2, ids[0]], [b, b2, ids[1]]];
        for (const [c, w, id] of pairs) {
          await w.writeRaw(encodeCommand(blocked));
          await waitFor("blocked", async () => await blockedClients(c) === "1");
          assert.equal(show(await c.callRaw(...args(id))), ":1");
          assert.equal(show((await w.readValue())!), want, cmdText(blocked));
        }
      };
      // A timed-out blocking command answers RESP2's null array (addReplyNullArray).
      await each((id) => ["client", "unblock", id], "nil*", ["blpop", "l", "0"]);
      await each((id) => ["client", "unblock", id, "timeout"], "nil*", ["bzpopmin", "z", "0"]);
      await each(
        (id) => ["client", "unblock", id, "error"],
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK",
        ["blmove", "l", "m", "left", "left", "0"],
      );
      await each((id) => ["client", "unblock", id], "nil*", [
        "xread",
        "block",
        "0",
        "streams",
        "s",
        "$",
      ]);
      // Not blocked: 0.
      await same(a, b, ["client", "unblock", "1"]);
      // A paused client unblocked with ERROR gets the error, and its command runs at the end of
      // the pause anyway (Redis 7.0 processes it again).
      await same(a, b, ["client", "pause", "100000", "write"]);
      await each(
        (id) => ["client", "unblock", id, "error"],
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK",
        ["set", "p", "1"],
      );
      await same(a, b, ["client", "unpause"]);
      for (const w of [a2, b2]) assert.equal(show((await w.readValue())!), "+OK");
      await same(a, b, ["get", "p"]);
    } finally {
      a2.close();
      b2.close();
    }
  });
});

Deno.test("client control: clients blocked in BLPOP, XREAD, WAIT and by a pause are flagged b and counted", async () => {
  await withNodeAndRedis(async (a, b) => {
    const flagsAndCmds = async (c: RespClient) =>
      String(await c.call("client", "list")).split("\n").filter((l) => l.includes("flags="))
        .map((l) => `${/ flags=(\S*)/.exec(l)![1]} ${/ cmd=(\S*)/.exec(l)![1]}`).sort();
    const cmds = [
      ["BLPOP", "l", "0"],
      ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
      ["WAIT", "1", "0"],
      ["SET", "k", "v"],
    ];
    const opened: RespClient[] = [];
    try {
      const seen: string[][] = [];
      for (const c of [a, b]) {
        const port = (c.conn.remoteAddr as Deno.NetAddr).port;
        assert.equal(await c.call("client", "pause", "100000", "write"), "OK");
        for (const cmd of cmds) {
          const x = await RespClient.connect(port);
          opened.push(x);
          await x.writeRaw(encodeCommand(cmd));
        }
        await waitFor("four blocked clients", async () => await blockedClients(c) === "4");
        seen.push(await flagsAndCmds(c));
        assert.equal(await c.call("client", "unpause"), "OK");
      }
      assert.deepEqual(seen[0], seen[1]);
      assert.deepEqual(seen[0].filter((l) => l.startsWith("b ")).length, 4);
    } finally {
      for (const x of opened) x.close();
    }
  });
});
