/**
 * LATENCY and SLOWLOG against a real redis-server 7.0.15. Replies that hold no timing are
 * compared exactly (HELP, errors, RESET counts, the disabled DOCTOR); the timed ones by shape:
 * a DEBUG SLEEP over latency-monitor-threshold is a "command" event on both, LATEST / HISTORY /
 * GRAPH / DOCTOR / HISTOGRAM are compared with their numbers masked, and SLOWLOG entries (with
 * slowlog-log-slower-than 0) have the same ids, arguments (truncated and redacted as Redis)
 * and client names.
 */

import assert from "node:assert/strict";
import { cmdText, show, withNodeAndRedis } from "./compare.ts";
import type { RespClient } from "./harness.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const dec = new TextDecoder();

/** A reply with every integer and every digit run in texts masked (timings, ports). */
function shape(v: RespValue): string {
  switch (v.type) {
    case "int":
      return ":N";
    case "bulk":
      return `$${JSON.stringify(dec.decode(v.value).replace(/\d+/g, "N"))}`;
    case "verbatim":
      return `=${JSON.stringify(v.value.replace(/\d+/g, "N"))}`;
    case "array":
      return `*[${v.value.map(shape).join(",")}]`;
    case "set":
      return `~[${v.value.map(shape).join(",")}]`;
    case "map":
      return `%{${v.value.map(([k, x]) => `${shape(k)}:${shape(x)}`).join(",")}}`;
    default:
      return show(v);
  }
}

async function both(a: RespClient, b: RespClient, ...c: string[]): Promise<[RespValue, RespValue]> {
  return [await a.callRaw(...c), await b.callRaw(...c)];
}

async function same(a: RespClient, b: RespClient, ...c: string[]): Promise<RespValue> {
  const [ra, rb] = await both(a, b, ...c);
  assert.equal(show(ra), show(rb), cmdText(c));
  return ra;
}

async function sameShape(a: RespClient, b: RespClient, ...c: string[]): Promise<RespValue> {
  const [ra, rb] = await both(a, b, ...c);
  assert.equal(shape(ra), shape(rb), cmdText(c));
  return ra;
}

Deno.test("LATENCY equals redis-server 7.0.15 (exact where untimed, by shape where timed)", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await both(a, b, "HELLO", proto);
      await same(a, b, "CONFIG", "SET", "latency-monitor-threshold", "0");
      await same(a, b, "LATENCY", "RESET");
      for (
        const c of [
          ["LATENCY", "HELP"],
          ["LATENCY", "DOCTOR"],
          ["LATENCY", "LATEST"],
          ["LATENCY", "HISTORY", "command"],
          ["LATENCY", "GRAPH", "command"],
          ["LATENCY", "HISTORY"],
          ["LATENCY", "LATEST", "x"],
          ["LATENCY", "DOCTOR", "x"],
          ["LATENCY", "GRAPH"],
          ["LATENCY", "NOSUCH"],
          ["LATENCY"],
          ["LATENCY", "RESET", "command", "nosuch"],
          ["LATENCY", "HISTOGRAM", "nosuchcmd"],
        ]
      ) await same(a, b, ...c);
      // Below the threshold nothing is recorded; at or over it a "command" event.
      await same(a, b, "CONFIG", "SET", "latency-monitor-threshold", "200");
      await same(a, b, "DEBUG", "SLEEP", "0");
      await same(a, b, "LATENCY", "LATEST");
      await same(a, b, "LATENCY", "DOCTOR");
      await same(a, b, "CONFIG", "SET", "latency-monitor-threshold", "20");
      await same(a, b, "DEBUG", "SLEEP", "0.03");
      const latest = await sameShape(a, b, "LATENCY", "LATEST");
      assert.match(show(latest), /"command"/);
      await sameShape(a, b, "LATENCY", "HISTORY", "command");
      await sameShape(a, b, "LATENCY", "GRAPH", "command");
      await sameShape(a, b, "LATENCY", "DOCTOR");
      // slowlog-log-slower-than below the threshold: no tuning advice.
      await same(a, b, "CONFIG", "SET", "slowlog-log-slower-than", "-1");
      await sameShape(a, b, "LATENCY", "DOCTOR");
      await same(a, b, "CONFIG", "SET", "slowlog-log-slower-than", "10000");
      // Still enabled, but high enough that no command of the rest (on a loaded machine, any
      // command may take 20 ms) records an event on one side only.
      await same(a, b, "CONFIG", "SET", "latency-monitor-threshold", "10000");
      await same(a, b, "LATENCY", "RESET", "COMMAND");
      await same(a, b, "LATENCY", "LATEST");
      await same(a, b, "LATENCY", "DOCTOR");
      // Per-command histograms (latency-tracking): calls exact, buckets by shape.
      await same(a, b, "CONFIG", "RESETSTAT");
      await same(a, b, "SET", "k", "v");
      await same(a, b, "GET", "k");
      await same(a, b, "GET", "k");
      await same(a, b, "CONFIG", "GET", "latency-tracking");
      for (
        const c of [
          ["LATENCY", "HISTOGRAM", "get", "set"],
          ["LATENCY", "HISTOGRAM", "config|get", "CONFIG", "nosuch"],
        ]
      ) {
        const [ra, rb] = await both(a, b, ...c);
        const key = (v: RespValue) =>
          v.type === "map" ? v.value.map(([k]) => show(k)).sort().join() : "";
        if (proto === "3") assert.equal(key(ra), key(rb), cmdText(c));
        assert.equal(ra.type, rb.type);
        const count = (v: RespValue) =>
          (show(v).match(/"calls"/g) ?? []).length + ":" + (show(v).match(/:N/g) ?? []).length;
        assert.equal(count(ra), count(rb), cmdText(c));
      }
      const [ha] = await both(a, b, "LATENCY", "HISTOGRAM", "get");
      // {"get": {"calls": 2, "histogram_usec": {<µs>: 2}}} when both GETs share a bucket.
      assert.match(show(ha), /"calls"[,:]:2/);
      await same(a, b, "CONFIG", "SET", "latency-monitor-threshold", "0");
    }
  });
});

Deno.test("SLOWLOG equals redis-server 7.0.15 (entries by shape, arguments exact)", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const proto of ["2", "3"]) {
      await both(a, b, "HELLO", proto);
      await same(a, b, "CONFIG", "SET", "slowlog-log-slower-than", "0");
      await same(a, b, "SLOWLOG", "RESET");
      await same(a, b, "SET", "k", "v");
      await same(a, b, "AUTH", "nopass");
      await sameShape(a, b, "HELLO", proto, "AUTH", "default", "wrong");
      await same(a, b, "CLIENT", "SETNAME", "myname");
      await same(a, b, "MULTI");
      await same(a, b, "SET", "a", "1");
      await same(a, b, "EXEC");
      await same(a, b, "RPUSH", "l", ...Array.from({ length: 40 }, (_, i) => `e${i}`));
      await same(a, b, "SET", "big", "x".repeat(300));
      await same(a, b, "GET", "a", "b");
      await same(a, b, "SLOWLOG", "LEN");
      const [ga, gb] = await both(a, b, "SLOWLOG", "GET", "-1");
      assert.equal(shape(ga), shape(gb), "SLOWLOG GET -1");
      // Arguments and names exactly (ids, times, durations and ports masked above).
      const args = (v: RespValue) =>
        v.type === "array"
          ? v.value.map((e) => e.type === "array" ? show(e.value[3]) + show(e.value[5]) : "")
          : [];
      assert.deepEqual(args(ga), args(gb));
      const ids = (v: RespValue) =>
        v.type === "array" ? v.value.map((e) => e.type === "array" ? show(e.value[0]) : "") : [];
      assert.deepEqual(ids(ga), ids(gb), "SLOWLOG ids");
      await sameShape(a, b, "SLOWLOG", "GET");
      await sameShape(a, b, "SLOWLOG", "GET", "2");
      await sameShape(a, b, "SLOWLOG", "GET", "0");
      for (
        const c of [
          ["SLOWLOG", "GET", "-2"],
          ["SLOWLOG", "GET", "abc"],
          ["SLOWLOG", "GET", "1", "2"],
          ["SLOWLOG", "LEN", "x"],
          ["SLOWLOG", "HELP"],
          ["SLOWLOG", "NOSUCH"],
          ["SLOWLOG", "RESET"],
        ]
      ) await same(a, b, ...c);
      // slowlog-max-len trims; a negative threshold logs nothing.
      await same(a, b, "CONFIG", "SET", "slowlog-max-len", "2");
      for (let i = 0; i < 4; i++) await same(a, b, "PING");
      await same(a, b, "SLOWLOG", "LEN");
      await same(a, b, "CONFIG", "SET", "slowlog-log-slower-than", "-1");
      await same(a, b, "SLOWLOG", "RESET");
      await same(a, b, "PING");
      await same(a, b, "SLOWLOG", "LEN");
      await same(a, b, "CONFIG", "SET", "slowlog-max-len", "128");
      await same(a, b, "CLIENT", "SETNAME", "");
      await same(a, b, "CONFIG", "SET", "slowlog-log-slower-than", "10000");
    }
  });
});
