/**
 * CONFIG SET / CONFIG GET against a real redis-server, parameter by parameter: every parameter
 * `CONFIG GET *` lists on redis-server is set to each of a list of awkward values (empty, signs,
 * leading zeros, units, out of range, fractions, yes/no) on both servers, and the reply and the
 * value CONFIG GET shows after it are compared exactly. Each parameter goes back to its value
 * before each attempt, so one difference does not hide the next.
 *
 * Left out: the parameters that would move or stop either server or this test (files,
 * directories, ports, addresses, replication, cluster, TLS, passwords, process settings), and
 * `maxclients` (redis-server 7.0 spends minutes in setrlimit for a huge value).
 */

import assert from "node:assert/strict";
import { haveRedisServer } from "./harness.ts";
import { show, withNodeAndRedis } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const LEFT_OUT =
  /^(maxclients|dir|dbfilename|port|bind|logfile|pidfile|unixsocket|tls-|daemonize|appendonly|appenddirname|appendfilename|cluster-|save|replicaof|slaveof|masterauth|masteruser|requirepass|aclfile|supervised|syslog|io-threads|bind-source-addr|enable-.*-command|always-show-logo|set-proc-title|proc-title-template|ignore-warnings|oom-score-adj|disable-thp|jemalloc)/;

const VALUES = [
  "",
  "abc",
  "-1",
  "0",
  "1",
  "yes",
  "no",
  "100mb",
  "1k",
  "2147483648",
  "3 4",
  "-0",
  "007",
  "+5",
  " 1",
  "1.5",
  "1000",
  "5%",
  "inf",
];

const text = (v: RespValue | undefined) =>
  v?.type === "bulk" ? new TextDecoder().decode(v.value) : "";

Deno.test({
  name: "CONFIG SET of every parameter, awkward values included, matches redis-server",
  ignore: !haveRedisServer(),
  fn: async () => {
    await withNodeAndRedis(async (ours, theirs) => {
      const all = await theirs.callRaw("CONFIG", "GET", "*");
      assert.equal(all.type, "array");
      const names: string[] = [];
      if (all.type === "array") {
        for (let i = 0; i < all.value.length; i += 2) names.push(text(all.value[i]));
      }
      const tried = names.filter((n) => !LEFT_OUT.test(n)).sort();
      assert.ok(tried.length > 100, `${tried.length} parameters`);
      const diffs: string[] = [];
      let accepted = 0;
      for (const name of tried) {
        const before = await theirs.callRaw("CONFIG", "GET", name);
        const was = before.type === "array" ? text(before.value[1]) : "";
        const getOurs = show(await ours.callRaw("CONFIG", "GET", name));
        const getTheirs = show(before);
        if (getOurs !== getTheirs) diffs.push(`GET ${name}: ours ${getOurs}, redis ${getTheirs}`);
        for (const v of VALUES) {
          await ours.callRaw("CONFIG", "SET", name, was);
          await theirs.callRaw("CONFIG", "SET", name, was);
          const setOurs = show(await ours.callRaw("CONFIG", "SET", name, v));
          const setTheirs = show(await theirs.callRaw("CONFIG", "SET", name, v));
          const afterOurs = show(await ours.callRaw("CONFIG", "GET", name));
          const afterTheirs = show(await theirs.callRaw("CONFIG", "GET", name));
          if (setOurs !== setTheirs || afterOurs !== afterTheirs) {
            diffs.push(
              `SET ${name} ${JSON.stringify(v)}: ours ${setOurs} then ${afterOurs}; ` +
                `redis ${setTheirs} then ${afterTheirs}`,
            );
          }
          if (setTheirs === "+OK") accepted++;
        }
        await ours.callRaw("CONFIG", "SET", name, was);
        await theirs.callRaw("CONFIG", "SET", name, was);
      }
      assert.deepEqual(diffs, []);
      // Both kinds of answer were met, in numbers.
      assert.ok(accepted > 300, `${accepted} accepted`);
    }, { redis: {} });
  },
});
