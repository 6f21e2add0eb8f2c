/**
 * What a node's start makes Deno load (issue 18, idle RSS). `deno run` loads every module
 * reachable from cli.ts by static imports and by `import("literal")` (it follows those too, and
 * keeps every such module's source and analysis in memory, and resolves their npm packages),
 * whether the node ever runs them or not. Modules a node loads on first use go through
 * server/lazy_import.ts, whose computed specifier `deno run` does not follow.
 *
 * `deno info --json` lists the graph with each dependency's kind: the code edges (`code`, static
 * or dynamic) are what `deno run` loads; type-only ones (`typeof import(...)`) are not.
 */

import assert from "node:assert/strict";

interface InfoDep {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDep[];
}

const ROOT = new URL("../", import.meta.url);

/** Run `script` with `deno eval` in the repository; what it printed, as JSON. */
async function evalJson(script: string): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The modules `deno run cli.ts` loads before the node starts: cli.ts's code edges, followed. */
async function startGraph(): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cli.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  const byName = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [new URL("cli.ts", ROOT).href];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of byName.get(s)?.dependencies ?? []) {
      if (d.code !== undefined) todo.push(d.code.specifier);
    }
  }
  return new Set([...seen].map((s) => s.startsWith(ROOT.href) ? s.slice(ROOT.href.length) : s));
}

Deno.test("a node's start loads no module it imports on first use, and no npm or node: module", async () => {
  const graph = await startGraph();
  const onFirstUse = [
    // Command families (commands/*_defs.ts).
    "commands/lists.ts",
    "commands/hashes.ts",
    "commands/sets.ts",
    "commands/zsets.ts",
    "commands/streams.ts",
    "commands/geo.ts",
    "commands/cluster.ts",
    "commands/hyperloglog.ts",
    "commands/bitmaps.ts",
    "commands/debug.ts",
    "commands/acl.ts",
    "commands/sort.ts",
    "commands/migrate.ts",
    "commands/command_docs_text.ts",
    "commands/info.ts",
    "server/info.ts",
    "commands/memory.ts",
    "server/memory_overhead.ts",
    "commands/latency.ts",
    "commands/slowlog.ts",
    "commands/pubsub.ts",
    "commands/replication.ts",
    "commands/persistence.ts",
    "commands/module.ts",
    "commands/shutdown.ts",
    "commands/server.ts",
    // The cluster (cluster-enabled yes only), and INFO's role without the cluster state's code.
    "cluster/cluster.ts",
    "cluster/state.ts",
    // The script engine (scripting/scripts_shell.ts imports it on first use) and its Lua glue.
    "scripting/script_engine.ts",
    "scripting/lua_runtime.ts",
    "scripting/lua_reply.ts",
    "scripting/script_call.ts",
    // The Lua engine's sources, TLS, the GC helper, and cli.ts's other programs.
    "scripting/lua_prelude.ts",
    "scripting/lua_libraries.ts",
    "server/tls_context.ts",
    "server/full_gc.ts",
    "dashboard/main.ts",
    "manager/main.ts",
    "actors/inspect.ts",
  ];
  assert.deepEqual(onFirstUse.filter((m) => graph.has(m)), []);
  assert.deepEqual([...graph].filter((m) => m.startsWith("npm:") || m.startsWith("node:")), []);
  // The graph is the node's own: a module that stops being found would pass the checks above.
  for (const m of ["server/server.ts", "commands/list_defs.ts", "server/lazy_import.ts"]) {
    assert.ok(graph.has(m), m);
  }
});

Deno.test("a node parses the command table's key specs on its first key lookup, not at start", async () => {
  // In a process of its own: the table is a module, parsed once per process.
  const url = (path: string) => JSON.stringify(new URL(path, ROOT).href);
  const script = `
    import { RespClient, startNode } from ${url("tests/harness.ts")};
    import { keySpecsParsed } from ${url("commands/command_docs_table.ts")};
    const node = await startNode({ save: "", appendonly: "no" });
    const c = await RespClient.connect(node.port);
    const parsed = [keySpecsParsed()];
    await c.call("SET", "k", "v");
    await c.call("GET", "k");
    await c.call("COMMAND", "COUNT");
    parsed.push(keySpecsParsed());
    await c.call("COMMAND", "GETKEYS", "SET", "k", "v");
    parsed.push(keySpecsParsed());
    c.close();
    await node.stop();
    console.log(JSON.stringify(parsed));
  `;
  // At start, after SET/GET/COMMAND COUNT (ACL checks of the default user), after GETKEYS.
  assert.deepEqual(await evalJson(script), [false, false, true]);
});

Deno.test("an idle node arms no Deno timer: its crons are server/ticker.ts tickers", async () => {
  // In a process of its own. A Deno timer, even one never fired, costs a process ~3 MiB of RSS
  // (server/ticker.ts). Timers armed by the test's own client (tests/) are not the node's.
  const url = (path: string) => JSON.stringify(new URL(path, ROOT).href);
  const script = `
    const armed = [];
    for (const name of ["setTimeout", "setInterval"]) {
      const orig = globalThis[name];
      globalThis[name] = (...args) => {
        const caller = new Error().stack.split("\\n")[2] ?? "";
        if (!caller.includes("/tests/")) armed.push(name + " " + caller.trim());
        return orig(...args);
      };
    }
    const { RespClient, startNode } = await import(${url("tests/harness.ts")});
    const node = await startNode({ save: "", appendonly: "no" });
    const c = await RespClient.connect(node.port);
    await c.call("PING");
    await c.call("GET", "k");
    // Some cron ticks (100 ms, and the replication cron's 1 s).
    const cell = new Int32Array(new SharedArrayBuffer(4));
    await Atomics.waitAsync(cell, 0, 0, 1200).value;
    c.close();
    await node.stop();
    console.log(JSON.stringify(armed));
    // A timer the node left armed must not keep this process alive.
    Deno.exit(0);
  `;
  assert.deepEqual(await evalJson(script), []);
});
