import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;

async function run(script: string, ...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.code, out: text(r.stdout), err: text(r.stderr) };
}

// With the help, options that end the script at once if --help were ignored (no seeds; no mode).
const SCRIPTS = [
  ["sim/main.ts", "sim", ["--seeds", "0"]],
  ["bench/bench.ts", "bench", ["--mode", "none"]],
] as const;

for (const [script, task, quick] of SCRIPTS) {
  Deno.test(`deno task ${task}: --help prints the usage, an unknown option exits 2 with it`, async () => {
    const help = await run(script, "--help", ...quick);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, new RegExp(`^deno task ${task} `));
    const bad = await run(script, "--no-such-option");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^Unknown option '--no-such-option'\n/);
    assert.match(bad.err, new RegExp(`deno task ${task} `));
    assert.doesNotMatch(bad.err, /Uncaught/);
  });
}
