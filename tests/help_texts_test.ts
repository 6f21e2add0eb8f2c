/**
 * Help texts list only what exists: every subcommand a HELP names (CLIENT, MEMORY, DEBUG, CONFIG,
 * LATENCY, OBJECT and the other container commands) is served, not refused as unknown; and the
 * texts equal redis-server 7.0.15's, save DEBUG's and SCRIPT's, which leave out what this server
 * does not have (each line ours a line of Redis's, in Redis's order).
 */

import assert from "node:assert/strict";
import { cmdText, show, withNodeAndRedis } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";

const dec = new TextDecoder();

const CONTAINERS = [
  "CLIENT",
  "MEMORY",
  "DEBUG",
  "CONFIG",
  "LATENCY",
  "OBJECT",
  "SLOWLOG",
  "ACL",
  "COMMAND",
  "FUNCTION",
  "SCRIPT",
  "XINFO",
  "XGROUP",
  "PUBSUB",
  "MODULE",
];

/** Texts that leave out what we lack (the rest must be identical). */
const SUBSET = new Set(["DEBUG", "SCRIPT"]);

/** DEBUG subcommands that end the process (run by tests/debug_test.ts in their own node). */
const NOT_RUN = new Set(["DEBUG PANIC", "DEBUG ASSERT"]);

function lines(v: RespValue): string[] {
  assert.equal(v.type, "array", show(v));
  return (v.value as RespValue[]).map((x) =>
    x.type === "bulk" ? dec.decode(x.value) : String((x as { value: unknown }).value)
  );
}

/** The subcommand lines of a HELP text ("NAME <arg>", "A|B ..."), header and prose left out. */
function subcommandLines(help: string[]): string[] {
  return help.slice(1).filter((l) => /^[A-Z][A-Z0-9-]*(\|[A-Z0-9-]+)*( |$)/.test(l));
}

Deno.test("help texts: every subcommand a HELP names is served; texts as redis-server 7.0.15", async () => {
  await withNodeAndRedis(async (a, b) => {
    for (const cmd of CONTAINERS) {
      const ours = lines(await a.callRaw(cmd, "HELP"));
      const theirs = lines(await b.callRaw(cmd, "HELP"));
      if (SUBSET.has(cmd)) {
        let at = 0;
        for (const l of ours) {
          at = theirs.indexOf(l, at);
          assert.ok(at !== -1, `${cmd} HELP: ${JSON.stringify(l)} is not Redis's, in its order`);
        }
      } else assert.deepEqual(ours, theirs, `${cmd} HELP`);
      for (const line of subcommandLines(ours)) {
        const [names, ...args] = line.split(" ");
        for (const sub of names.split("|")) {
          if (NOT_RUN.has(`${cmd} ${sub}`)) continue;
          // Placeholders as "0" (DEBUG SLEEP 0, DEBUG OBJECT 0...), literal words kept (DEBUG
          // CLUSTERLINK KILL); CLIENT PAUSE etc. may refuse the values, never the subcommand.
          const argv = cmd === "DEBUG"
            ? [
              cmd,
              sub,
              ...args.filter((x) => x.startsWith("<") || /^[A-Z][A-Z-]*$/.test(x)).map((x) =>
                x.startsWith("<") ? "0" : x
              ),
            ]
            : [cmd, sub];
          const r = show(await a.callRaw(...argv));
          assert.ok(
            !/unknown subcommand '|unknown command|Unknown subcommand/i.test(r) &&
              !(cmd === "DEBUG" && r.includes("unknown subcommand or wrong number")),
            `${cmdText(argv)}: ${r}`,
          );
        }
      }
    }
  });
});
