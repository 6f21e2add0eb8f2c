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
    // The cluster (cluster-enabled yes only), and INFO's role without the cluster state's code.
    "cluster/cluster.ts",
    "cluster/state.ts",
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
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  // At start, after SET/GET/COMMAND COUNT (ACL checks of the default user), after GETKEYS.
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), [false, false, true]);
});
