/**
 * INFO commandstats (calls, rejected_calls, failed_calls), errorstats, total_error_replies and
 * latencystats against a real redis-server 7.0.15: the same commands on both, erroring ones
 * included (wrong arity, wrong type, unknown command and subcommand, syntax errors, errors
 * queued in MULTI, NOPERM, WRONGPASS, OOM, the RESP2 Pub/Sub context), then the counters equal.
 * usec fields are timing and left out; latencystats is compared by shape.
 */

import assert from "node:assert/strict";
import { cmdText, show, withNodeAndRedis } from "./compare.ts";
import { RespClient } from "./harness.ts";

type Script = [client: 0 | 1, cmd: string[]][];

const SCRIPT: Script = [
  [0, ["SET", "k", "v"]],
  [0, ["GET", "k"]],
  [0, ["GET"]],
  [0, ["GET", "a", "b"]],
  [0, ["LPUSH", "k", "x"]],
  [0, ["NOSUCHCMD", "a"]],
  [0, ["CONFIG", "NOSUCH"]],
  [0, ["CONFIG", "GET"]],
  [0, ["SET", "k", "v", "NX", "XX"]],
  [0, ["INCR", "k"]],
  [0, ["OBJECT", "NOSUCH", "k"]],
  [0, ["OBJECT", "ENCODING", "nokey"]],
  [0, ["EXEC"]],
  [0, ["DISCARD"]],
  // A command refused while queueing: the transaction is aborted.
  [0, ["MULTI"]],
  [0, ["SET", "a", "1"]],
  [0, ["GET"]],
  [0, ["NOSUCHCMD"]],
  [0, ["EXEC"]],
  // Errors when the queued commands run.
  [0, ["MULTI"]],
  [0, ["SET", "s", "str"]],
  [0, ["INCR", "s"]],
  [0, ["LPUSH", "s", "x"]],
  [0, ["SET", "x", "1", "NX", "XX"]],
  [0, ["GET", "s"]],
  [0, ["EXEC"]],
  [0, ["MULTI"]],
  [0, ["WATCH", "x"]],
  [0, ["MULTI"]],
  [0, ["DISCARD"]],
  // ACL: NOPERM is a refusal, WRONGPASS an AUTH that ran and failed.
  [0, ["ACL", "SETUSER", "u", "on", ">p", "+get", "+auth", "+subscribe", "+ping", "~*"]],
  [1, ["AUTH", "u", "p"]],
  [1, ["SET", "k", "v"]],
  [1, ["GET", "k"]],
  [1, ["AUTH", "u", "wrong"]],
  [1, ["MULTI"]],
  [1, ["SUBSCRIBE", "ch"]],
  [1, ["GET", "k"]],
  [1, ["PING"]],
  // OOM: a write refused under maxmemory, a read still served.
  [0, ["CONFIG", "SET", "maxmemory", "1"]],
  [0, ["SET", "z", "1"]],
  [0, ["GET", "k"]],
  [0, ["CONFIG", "SET", "maxmemory", "0"]],
  [0, ["HSET", "h", "f"]],
  [0, ["XADD", "st", "bad-id", "f", "v"]],
  [0, ["EXPIRE", "k", "abc"]],
  [0, ["SELECT", "99"]],
];

/** cmdstat_<name> -> "calls=..,rejected_calls=..,failed_calls=.." (usec fields dropped). */
function commandStats(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=\d+,usec_per_call=[\d.]+,(.*)$/.exec(line);
    if (m !== null) out.set(m[1], `calls=${m[2]},${m[3]}`);
  }
  return out;
}

function lines(text: string, prefix: string): string[] {
  return text.split("\r\n").filter((l) => l.startsWith(prefix)).sort();
}

async function info(c: RespClient, section: string): Promise<string> {
  const v = await c.callRaw("INFO", section);
  assert.ok(v.type === "bulk" || v.type === "verbatim", `INFO ${section}: ${v.type}`);
  return v.type === "bulk" ? new TextDecoder().decode(v.value) : v.value;
}

Deno.test("INFO commandstats, errorstats and latencystats equal redis-server 7.0.15", async () => {
  await withNodeAndRedis(async (a, b, node) => {
    const redisPort = (b.conn.remoteAddr as Deno.NetAddr).port;
    const a2 = await RespClient.connect(node.port);
    const b2 = await RespClient.connect(redisPort);
    try {
      const clients = [[a, b], [a2, b2]];
      for (const [x, y] of clients) {
        await x.callRaw("CONFIG", "RESETSTAT");
        await y.callRaw("CONFIG", "RESETSTAT");
      }
      for (const [i, c] of SCRIPT) {
        const [x, y] = clients[i];
        const [ra, rb] = [await x.callRaw(...c), await y.callRaw(...c)];
        assert.equal(show(ra), show(rb), `reply to ${cmdText(c)}`);
      }
      const [sa, sb] = [await info(a, "commandstats"), await info(b, "commandstats")];
      assert.deepEqual(
        [...commandStats(sa)].sort(),
        [...commandStats(sb)].sort(),
        "INFO commandstats",
      );
      const [ea, eb] = [await info(a, "errorstats"), await info(b, "errorstats")];
      assert.deepEqual(lines(ea, "errorstat_"), lines(eb, "errorstat_"), "INFO errorstats");
      const [ta, tb] = [await info(a, "stats"), await info(b, "stats")];
      assert.deepEqual(lines(ta, "total_error_replies:"), lines(tb, "total_error_replies:"));
      // latencystats: one line per command that ran, with the configured percentiles.
      const shape = (t: string) =>
        lines(t, "latency_percentiles_usec_").map((l) => l.replace(/=\d+\.\d{3}/g, "=N"));
      const [la, lb] = [await info(a, "latencystats"), await info(b, "latencystats")];
      assert.deepEqual(shape(la), shape(lb), "INFO latencystats");
      for (const v of ["50 99.9 100 0", "", "12.5"]) {
        await a.callRaw("CONFIG", "SET", "latency-tracking-info-percentiles", v);
        await b.callRaw("CONFIG", "SET", "latency-tracking-info-percentiles", v);
        const [pa, pb] = [await info(a, "latencystats"), await info(b, "latencystats")];
        assert.deepEqual(shape(pa), shape(pb), `latencystats with percentiles "${v}"`);
      }
      for (
        const c of [
          ["CONFIG", "SET", "latency-tracking-info-percentiles", "abc"],
          ["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
          ["CONFIG", "SET", "latency-tracking-info-percentiles", "-1 50"],
          ["CONFIG", "SET", "latency-tracking-info-percentiles", "1e1 99.99 0.0000001"],
          ["CONFIG", "GET", "latency-tracking-info-percentiles"],
          ["CONFIG", "SET", "latency-tracking", "no"],
          ["GET", "k"],
          ["INFO", "latencystats"],
        ]
      ) {
        const [ra, rb] = [await a.callRaw(...c), await b.callRaw(...c)];
        if (c[0] === "INFO") {
          const t = (v: typeof ra) => v.type === "bulk" ? new TextDecoder().decode(v.value) : "";
          assert.deepEqual(shape(t(ra)), shape(t(rb)), cmdText(c));
        } else assert.equal(show(ra), show(rb), cmdText(c));
      }
      // INFO everything / all / default: the same sections, in the same order.
      for (const args of [[], ["everything"], ["all"], ["default"], ["default", "commandstats"]]) {
        const headers = async (c: RespClient) => {
          const v = await c.callRaw("INFO", ...args);
          const t = v.type === "bulk" ? new TextDecoder().decode(v.value) : "";
          return t.split("\r\n").filter((l) => l.startsWith("#"));
        };
        assert.deepEqual(await headers(a), await headers(b), `INFO ${args.join(" ")}`);
      }
    } finally {
      a2.close();
      b2.close();
    }
  });
});
