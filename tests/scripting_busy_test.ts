/**
 * Scripts past busy-reply-threshold (lua-time-limit): other clients get -BUSY, SCRIPT KILL and
 * FUNCTION KILL stop a script that has not written, a script that wrote is UNKILLABLE and only
 * SHUTDOWN NOSAVE ends the node. The same scenario runs on a real redis-server and on our node,
 * and every reply text must be the same. Then, in a cluster, a node running a long script keeps
 * answering the bus: the others never flag it PFAIL (a real Redis node would be failed over).
 */

import assert from "node:assert/strict";
import { haveRedisServer, RespClient, sleep, type SpawnedProcess } from "./harness.ts";
import { sameAsRedis, text, untilBusy } from "./scripting_helpers.ts";
import { call, createCluster, nodesOf, stopAll, waitAllOk } from "./cluster_fixture.ts";

const LOOP = "local i = 0 while true do i = i + 1 end";
const WRITE_THEN_LOOP = "redis.call('SET', KEYS[1], 'v') local i = 0 while true do i = i + 1 end";
const PCALL_LOOP =
  "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end";
const LIBRARY = "#!lua name=spin\nredis.register_function('spin', function() " +
  "local i = 0 while true do i = i + 1 end end)";

/** The scenario; every reply the test checks, in order. */
async function scenario(proc: SpawnedProcess): Promise<string[]> {
  const seen: string[] = [];
  const a = await RespClient.connect(proc.port);
  const b = await RespClient.connect(proc.port);
  try {
    // A read-only loop: killed by SCRIPT KILL, not by FUNCTION KILL.
    const looping = a.call("EVAL", LOOP, "0");
    seen.push(await untilBusy(b));
    seen.push(text(await b.call("GET", "k")));
    seen.push(text(await b.call("FUNCTION", "KILL")));
    seen.push(text(await b.call("SHUTDOWN")));
    seen.push(text(await b.call("SCRIPT", "KILL")));
    seen.push(text(await looping));
    seen.push(text(await b.call("PING")));
    seen.push(text(await b.call("SCRIPT", "KILL")));

    // A script that catches errors with pcall cannot swallow the kill.
    const catching = a.call("EVAL", PCALL_LOOP, "0");
    seen.push(await untilBusy(b));
    seen.push(text(await b.call("SCRIPT", "KILL")));
    seen.push(text(await catching));

    // A function: FUNCTION KILL, and SCRIPT KILL is refused.
    seen.push(text(await b.call("FUNCTION", "LOAD", LIBRARY)));
    const spinning = a.call("FCALL", "spin", "0");
    seen.push(await untilBusy(b));
    seen.push(text(await b.call("SCRIPT", "KILL")));
    const stats = await b.call("FUNCTION", "STATS") as unknown[];
    const running = stats[1] as unknown[];
    seen.push(text([running[0], running[1], running[2], running[3]]));
    seen.push(text(await b.call("FUNCTION", "KILL")));
    seen.push(text(await spinning));

    // A script that wrote: UNKILLABLE; SHUTDOWN NOSAVE ends the node.
    // The connection closes with the node: the reply never comes.
    const writing = a.call("EVAL", WRITE_THEN_LOOP, "1", "k").catch(() => {});
    seen.push(await untilBusy(b));
    seen.push(text(await b.call("SCRIPT", "KILL")));
    seen.push(text(await b.call("SHUTDOWN")));
    await b.writeRaw("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    const code = (await proc.child.status).code;
    seen.push(`exit ${code}`);
    await writing;
  } finally {
    a.close();
    b.close();
  }
  return seen;
}

Deno.test({
  name:
    "busy scripts: -BUSY, SCRIPT KILL, FUNCTION KILL, UNKILLABLE and SHUTDOWN NOSAVE, as redis-server",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const directives = { "lua-time-limit": "100", "save": "" };
    const expected = await sameAsRedis(directives, scenario);
    assert.ok(expected.some((t) => t.startsWith("-UNKILLABLE")), "the scenario reaches UNKILLABLE");
  },
});

Deno.test({
  name:
    "busy scripts in a cluster: the busy node keeps answering the bus and is never flagged PFAIL",
  ignore: !haveRedisServer(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cl = await createCluster(3, {
      // 2 s: the others PING the busy node every second and flag it after 2 s without a PONG;
      // with 1 s, one of two test suites run at once on the 2-core machine saw the busy node
      // flagged (not reproduced beside three CPU-bound loops; the cause was not found).
      directives: { "cluster-node-timeout": "2000", "lua-time-limit": "100" },
    });
    try {
      const busyId = cl.ids[0];
      const c = await RespClient.connect(cl.ports[0]);
      // Five seconds of script: two and a half node timeouts.
      const script = "local t0 = tonumber(redis.call('TIME')[1]) " +
        "while tonumber(redis.call('TIME')[1]) - t0 < 5 do end return 'done'";
      const running = c.call("EVAL", script, "0");
      let polls = 0;
      let done = false;
      // Settled either way ends the polling; `await running` below reports a rejection (a bare
      // .finally would leave its own rejected promise unhandled and hide the test's failure).
      running.then(() => done = true, () => done = true);
      while (!done) {
        for (const p of cl.ports.slice(1)) {
          const line = (await nodesOf(p)).find((l) => l.id === busyId)!;
          assert.ok(
            !line.flags.includes("fail?") && !line.flags.includes("fail"),
            `node ${p} flags the busy node: ${line.flags.join(",")}`,
          );
        }
        polls++;
        await sleep(100);
      }
      assert.equal(await running, "done");
      c.close();
      assert.ok(polls >= 10, `polled ${polls} times while the script ran`);
      assert.match(String(await call(cl.ports[0], "PING")), /PONG/);
      await waitAllOk(cl.ports);
    } finally {
      await stopAll(cl.nodes);
    }
  },
});
