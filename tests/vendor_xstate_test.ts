/**
 * vendor/xstate holds the npm package's ES module build (vendor/xstate/README.md says why): the
 * files are the package's, byte for byte, and nothing a node loads at start comes from npm or is a
 * `node:` module (either loads Deno's Node compatibility layer).
 */
import assert from "node:assert/strict";
import { sha256, toHex } from "../server/sha256.ts";

const DIR = new URL("../vendor/xstate/", import.meta.url);

/** SHA-256 of each file in xstate@5.33.3's npm tarball (`dist/`). */
const PACKAGE_SHA256: [string, string][] = [
  [
    "StateMachine-ae06a22b.esm.js",
    "667a858403ef22e039238a06a70eaf1e3b85e23c2aeaf10d723fd75f3944b353",
  ],
  ["assign-1f0d7720.esm.js", "25fbe7a05d539bc6f43d2bf82c72af2d02f88f7c18b12aa263734c2a98ed7f4a"],
  ["log-6a5e50a8.esm.js", "12926a1d7f274373ab96ab10f44767e01564601b1ed2a85d07d44c821ed9ce44"],
  ["raise-effbee0c.esm.js", "772ccf89e6b15b0887ecd8863feb6e1fe1b4cb00f46190c2e20fbc749be35108"],
  ["xstate-actors.esm.js", "479ffeb4eaed281570adcf91914225f75a795b07994ec5e6aa168dabd175a504"],
  ["xstate-dev.esm.js", "2faf423da88e07f488c5c8eb84c34f6889f817c3c12747e37140a850ed7374bd"],
  ["xstate.esm.js", "40168eebd6aeae5a0ef84c5691d433e47d642900b62be38a3565bc402328c468"],
];
const TYPES_LINE = '// @ts-self-types="npm:xstate@5.33.3"\n';

Deno.test("vendor/xstate: the package's files, the entry's types line aside", () => {
  const js = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.endsWith(".js"));
  assert.deepEqual(js.sort(), PACKAGE_SHA256.map(([n]) => n).sort());
  for (const [name, sha] of PACKAGE_SHA256) {
    let text = Deno.readTextFileSync(new URL(name, DIR));
    if (name === "xstate.esm.js") {
      assert.ok(text.startsWith(TYPES_LINE), "the entry names the package's types");
      text = text.slice(TYPES_LINE.length);
    }
    assert.equal(toHex(sha256(new TextEncoder().encode(text))), sha, name);
  }
});

/** The npm packages and `node:` modules `entry` imports statically (directly or not). */
async function staticNodeCompatImports(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { isDynamic?: boolean; code?: { specifier?: string } }[];
    }[];
  };
  const bySpecifier = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const found: string[] = [];
  const walk = (spec: string) => {
    if (seen.has(spec)) return;
    seen.add(spec);
    if (spec.startsWith("npm:") || spec.startsWith("node:")) {
      found.push(spec);
      return;
    }
    for (const d of bySpecifier.get(spec)?.dependencies ?? []) {
      if (d.isDynamic) continue;
      const target = d.code?.specifier;
      if (target !== undefined) walk(target);
    }
  };
  for (const r of graph.roots) walk(r);
  assert.ok(seen.size > 50, `${entry}: walked ${seen.size} modules`);
  return found;
}

Deno.test("vendor/xstate: what a node loads at start imports no npm package, no node: module", async () => {
  // Either loads Deno's Node compatibility layer (~3-8 MiB of RSS in every node: node:crypto for
  // the bus MACs was ~3 MiB of an idle cluster node's). A node starts from cli.ts, and a cluster
  // node also loads cluster/cluster.ts (server/server.ts).
  assert.deepEqual(await staticNodeCompatImports("../cli.ts"), []);
  assert.deepEqual(await staticNodeCompatImports("../cluster/cluster.ts"), []);
});
