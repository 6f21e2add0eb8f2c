/**
 * Saving the inputs in flight when a node crashed: one file per crash with the seed, each
 * input's index and kind, and its bytes in hex, so it can be replayed (`deno task fuzz --replay`)
 * or read.
 */

import type { FuzzInput } from "./inputs.ts";

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The file's text (pure). */
export function crashFileText(
  stream: "client" | "bus",
  seed: number,
  inputs: readonly number[],
  inputAt: (index: number) => FuzzInput,
): string {
  const lines = [`# ${stream} inputs in flight at a crash; seed ${seed}`];
  for (const i of inputs) {
    const inp = inputAt(i);
    lines.push(`${i} ${inp.how} ${hex(inp.bytes)}`);
  }
  return lines.join("\n") + "\n";
}

export async function saveCrash(
  outDir: string,
  stream: "client" | "bus",
  seed: number,
  inputs: readonly number[],
  inputAt: (index: number) => FuzzInput,
): Promise<string> {
  await Deno.mkdir(outDir, { recursive: true });
  const path = `${outDir}/crash-${stream}-seed${seed}-${inputs[0] ?? 0}.txt`;
  await Deno.writeTextFile(path, crashFileText(stream, seed, inputs, inputAt));
  return path;
}
