/**
 * server/node_v8_flags.ts: the flag caps V8's young generation; the bench starts our node with it
 * only when asked (its headline figures are for `deno run -A cli.ts`).
 */

import assert from "node:assert/strict";
import { NODE_MAX_SEMI_SPACE_MIB, NODE_V8_FLAGS_ARG } from "../server/node_v8_flags.ts";
import { run, tempDir } from "./harness.ts";
import { serverArgv } from "../bench/procs.ts";

/**
 * A script that keeps ~64 MiB of objects, allocated young as a node's stored values are, then
 * prints the young generation's size in bytes.
 */
const SURVIVORS_SCRIPT = `
import v8 from "node:v8";
const keep = [];
for (let i = 0; i < 1_000_000; i++) keep.push({ k: "key:" + i, v: i });
const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
console.log(ns.space_size, keep.length);
`;

async function youngGenerationBytes(flags: string[]): Promise<number> {
  const dir = await tempDir("v8flags");
  try {
    const script = `${dir}/survivors.js`;
    await Deno.writeTextFile(script, SURVIVORS_SCRIPT);
    const r = await run(Deno.execPath(), ["run", "-A", ...flags, script]);
    assert.equal(r.code, 0, r.stderr);
    return Number(r.stdout.trim().split(" ")[0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("node V8 flags: the young generation stays at 2 semi-spaces of NODE_MAX_SEMI_SPACE_MIB, where V8's default grows to 64 MiB", async () => {
  const capped = await youngGenerationBytes([NODE_V8_FLAGS_ARG]);
  assert.ok(
    capped <= 2 * NODE_MAX_SEMI_SPACE_MIB * 2 ** 20,
    `young generation ${capped} B with ${NODE_V8_FLAGS_ARG}`,
  );
  // The control: without the flag the same script's young generation is past the cap (so this
  // test sees a flag that does nothing).
  const uncapped = await youngGenerationBytes([]);
  assert.ok(uncapped > 4 * capped, `young generation ${uncapped} B without the flag`);
});

Deno.test("node V8 flags: the bench starts our node as `deno run -A cli.ts`, with the flag only when asked", () => {
  const plain = serverArgv("ours", { port: "1" });
  assert.deepEqual(plain.slice(1, 3), ["run", "-A"]);
  assert.ok(plain[3].endsWith("/cli.ts") && !plain.includes(NODE_V8_FLAGS_ARG));
  const capped = serverArgv("ours", { port: "1" }, [NODE_V8_FLAGS_ARG]);
  assert.deepEqual(capped.slice(1, 4), ["run", "-A", NODE_V8_FLAGS_ARG]);
  assert.ok(capped[4].endsWith("/cli.ts"));
});
