/**
 * Every HELP subcommand the node has (found in its own command table, so a container command added
 * later is covered too) answers byte for byte as redis-server 7.0.15's, in RESP2 and RESP3: a help
 * text lists what exists, all of what exists, in Redis's words. Also the HELP of a standalone
 * node's CLUSTER, and a HELP given extra arguments (Redis's wrong-arity or unknown-subcommand
 * error). DEBUG HELP (an argument of one command) is Redis's without the entries of the
 * subcommands about C internals the node answers as unknown (commands/debug.ts). And every
 * subcommand a HELP names is served, not refused as unknown.
 */

import assert from "node:assert/strict";
import { callBoth, type Cmd, cmdText, show, withNodeAndRedis } from "./compare.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import type { InProcessNode } from "./harness.ts";

/** The node's commands with a HELP subcommand, upper case. */
function containersOf(node: InProcessNode): string[] {
  return [...node.server.commands.values()]
    .filter((def) => def.subcommands?.some((sub) => sub.name === "help"))
    .map((def) => def.name.toUpperCase())
    .sort();
}

Deno.test("every HELP subcommand equals redis-server's, RESP2 and RESP3", async () => {
  await withNodeAndRedis(async (a, b, node) => {
    const containers = containersOf(node);
    // The families with a HELP as of Redis 7.0 (a lower bound: the table must hold them).
    for (
      const c of ["ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY"]
        .concat(["MEMORY", "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SLOWLOG", "XGROUP", "XINFO"])
    ) assert.ok(containers.includes(c), `${c} HELP is in the command table`);
    const differences: string[] = [];
    for (const proto of ["2", "3"]) {
      await callBoth(a, b, ["HELLO", proto]);
      for (const c of containers) {
        for (const cmd of [[c, "HELP"], [c, "help"], [c, "HELP", "extra"]] as Cmd[]) {
          const [ra, rb] = await callBoth(a, b, cmd);
          if (show(ra) !== show(rb)) {
            differences.push(
              `RESP${proto} ${cmdText(cmd)}\n  ours:  ${show(ra)}\n  redis: ${show(rb)}`,
            );
          }
        }
      }
    }
    assert.deepEqual(differences, []);
  });
});

/** A help reply's lines as entries: a line at the margin with the indented lines under it. */
function helpEntries(v: RespValue): string[] {
  assert.equal(v.type, "array");
  const entries: string[] = [];
  for (const line of v.value) {
    assert.equal(line.type, "simple");
    if (line.value.startsWith(" ")) entries[entries.length - 1] += "\n" + line.value;
    else entries.push(line.value);
  }
  return entries;
}

Deno.test("DEBUG HELP is Redis's without the subcommands the node does not have", async () => {
  await withNodeAndRedis(async (a, b) => {
    const ours = helpEntries(await a.callRaw("DEBUG", "HELP"));
    const redis = helpEntries(await b.callRaw("DEBUG", "HELP"));
    // Ours, entry by entry, in Redis's order and words.
    assert.deepEqual(ours, redis.filter((e) => ours.includes(e)));
    const missing = redis.filter((e) => !ours.includes(e)).map((e) => e.split(/[ \n]/)[0]);
    assert.ok(missing.length > 0 && ours.length > 20, `${missing.length} left out`);
    // What is left out is what the node answers as a Redis built without it.
    for (const name of missing) {
      const r = await a.callRaw("DEBUG", name);
      assert.equal(r.type, "error", `DEBUG ${name}`);
      assert.match(r.value, /^ERR unknown subcommand/, `DEBUG ${name}`);
    }
  });
});

/** DEBUG subcommands that end the process (run by tests/debug_test.ts in their own node). */
const NOT_RUN = new Set(["DEBUG PANIC", "DEBUG ASSERT"]);

/** The subcommand lines of a HELP text ("NAME <arg>", "A|B ..."), header and prose left out. */
function subcommandLines(help: RespValue): string[] {
  assert.equal(help.type, "array");
  return help.value.slice(1).map((l) => String((l as { value: unknown }).value))
    .filter((l) => /^[A-Z][A-Z0-9-]*(\|[A-Z0-9-]+)*( |$)/.test(l));
}

Deno.test("every subcommand a HELP names is served, not refused as unknown", async () => {
  await withNodeAndRedis(async (a, _b, node) => {
    // (A standalone node answers CLUSTER HELP with an error, as Redis does: the first test
    // compares it.)
    for (const cmd of [...containersOf(node), "DEBUG"].filter((c) => c !== "CLUSTER")) {
      for (const line of subcommandLines(await a.callRaw(cmd, "HELP"))) {
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
