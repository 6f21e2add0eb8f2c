/**
 * No import cycles in product code: every `.ts` file of the repository except tests (`tests/`,
 * `*_test.ts`) is read, its relative imports and re-exports (`import`, `import type`,
 * `export ... from`, `import("...")`) form a graph, and any strongly connected component of more
 * than one file (or a file importing itself) fails the test, naming one cycle through it.
 * Type-only imports count: they are layering too (a module that needs a `Server` type depends on
 * the server), and keeping them out keeps every cycle out.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SKIP_DIRS = new Set(["tests", "node_modules", ".data", ".git", "static"]);

/** One relative import of a module; `typeOnly` when it is erased at run time (`import type`). */
export interface ImportEdge {
  specifier: string;
  typeOnly: boolean;
}

/**
 * The relative modules a source imports or re-exports: `import`, `import type`, `export ... from`,
 * `import "..."` and `import("...")`. Only `import type` / `export type` count as type-only: an
 * `import { type A }` may still load the module.
 */
export function importEdges(source: string): ImportEdge[] {
  const clause = String.raw`(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*\s*(?:as\s+[\w$]+)?|[\w$]+)`;
  const out: ImportEdge[] = [];
  const fromRe = new RegExp(
    String.raw`^\s*(?:import|export)\s+(type\s+)?${clause}\s*from\s*["']([^"']+)["']`,
    "gm",
  );
  for (const m of source.matchAll(fromRe)) {
    out.push({ specifier: m[2], typeOnly: m[1] !== undefined });
  }
  for (const re of [/^\s*import\s+["']([^"']+)["']/gm, /\bimport\(\s*["']([^"']+)["']\s*\)/g]) {
    for (const m of source.matchAll(re)) out.push({ specifier: m[1], typeOnly: false });
  }
  return out.filter((e) => e.specifier.startsWith("."));
}

/** A strongly connected component with a cycle: its files, and one cycle through it. */
export interface ImportCycle {
  files: string[];
  cycle: string[];
}

/** Strongly connected components with a cycle (Tarjan), each with one cycle path a -> ... -> a. */
export function findCycles(graph: Map<string, string[]>): ImportCycle[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) sccs.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  // One concrete cycle per component: shortest path from its first file back to itself.
  return sccs.map((comp) => {
    const inComp = new Set(comp);
    const start = comp[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
          return { files: comp, cycle: [...path, start] };
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return { files: comp, cycle: [start, start] };
  });
}

async function productFiles(dir: string, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) await productFiles(path, out);
    } else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) out.push(path);
  }
  return out;
}

/** The product's import graph: every edge, and the edges that load a module at run time. */
async function productGraphs(): Promise<
  { all: Map<string, string[]>; runtime: Map<string, string[]> }
> {
  const all = new Map<string, string[]>();
  const runtime = new Map<string, string[]>();
  for (const file of await productFiles(ROOT)) {
    const edges = importEdges(await Deno.readTextFile(file))
      .map((e) => ({ ...e, path: relative(ROOT, resolve(dirname(file), e.specifier)) }));
    const from = relative(ROOT, file);
    all.set(from, [...new Set(edges.map((e) => e.path))]);
    runtime.set(from, [...new Set(edges.filter((e) => !e.typeOnly).map((e) => e.path))]);
  }
  return { all, runtime };
}

function describe(cycles: ImportCycle[]): string {
  return cycles.map((c) =>
    `  ${c.cycle.join(" -> ")}\n    (${c.files.length} files in this circle: ${c.files.join(", ")})`
  ).join("\n");
}

Deno.test("import graph: the cycle finder names a cycle, and sees type-only and re-export edges", () => {
  const src = [
    `import type { Server } from "../server/server.ts";`,
    `export { x } from "./x.ts";`,
    `import {\n  a,\n  type B,\n} from "./a.ts";`,
    `import * as ns from "./ns.ts";`,
    `export type { T } from "./t.ts";`,
    `const m = await import("./lazy.ts");`,
    `import x from "npm:xstate";`,
  ].join("\n");
  assert.deepEqual(importEdges(src).sort((p, q) => p.specifier < q.specifier ? -1 : 1), [
    { specifier: "../server/server.ts", typeOnly: true },
    { specifier: "./a.ts", typeOnly: false },
    { specifier: "./lazy.ts", typeOnly: false },
    { specifier: "./ns.ts", typeOnly: false },
    { specifier: "./t.ts", typeOnly: true },
    { specifier: "./x.ts", typeOnly: false },
  ]);
  const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", []], ["e", ["e"]]]);
  assert.deepEqual(findCycles(g), [
    { files: ["a", "b", "c"], cycle: ["a", "b", "c", "a"] },
    { files: ["e"], cycle: ["e", "e"] },
  ]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

Deno.test("import graph: no product module loads itself through a circle of imports", async () => {
  const { runtime } = await productGraphs();
  assert.ok(runtime.size > 100, `read only ${runtime.size} files`);
  const cycles = findCycles(runtime);
  assert.equal(cycles.length, 0, `${cycles.length} import cycle(s):\n${describe(cycles)}`);
});

Deno.test("import graph: no circle of imports, type-only ones included", async () => {
  // The server's collaborators take narrow ports (server/server_ports.ts, commands/command_host.ts,
  // cluster/cluster_host.ts, ...) instead of the `Server` class, so no `import type` closes one.
  const { all } = await productGraphs();
  const cycles = findCycles(all);
  assert.equal(cycles.length, 0, `import cycle(s), type-only ones included:\n${describe(cycles)}`);
});
