/**
 * Every CONFIG parameter of Redis 7.0.15 against a real redis-server: the `CONFIG GET *` names
 * and default values, the hidden ones by exact name, CONFIG SET of each to its own value
 * (immutable and protected errors), to bad values (the type and bound errors), multi-parameter
 * CONFIG SET; and the one table of parameters without effect (server/config.ts NO_EFFECT).
 */

import assert from "node:assert/strict";
import { RespClient } from "./harness.ts";
import { type Cmd, cmdText, show, withNodeAndRedis, words } from "./compare.ts";
import { Config, findDirective, NO_EFFECT, noEffectSettings } from "../server/config.ts";

/** Values that depend on how each server was started, not on defaults. */
const STARTED_WITH = new Set([
  "dir",
  "port",
  "enable-debug-command",
  "pidfile",
  "bind",
  "save",
  "appendonly",
]);

async function configMap(c: RespClient, pattern: string): Promise<Map<string, string>> {
  const flat = (await c.call("CONFIG", "GET", pattern)) as string[];
  const m = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i], flat[i + 1]);
  return m;
}

async function same(a: RespClient, b: RespClient, c: Cmd): Promise<string> {
  const [x, y] = [show(await a.callRaw(...c)), show(await b.callRaw(...c))];
  assert.equal(x, y, cmdText(c));
  return y;
}

/** Parameters whose bad values would change what the test itself needs (address, auth). */
const NOT_BROKEN = new Set([
  "port",
  "bind",
  "tls-port",
  "requirepass",
  "masterauth",
  "masteruser",
  "dir",
  "dbfilename",
  "save",
  "appendonly",
]);

/**
 * Known differences: Redis's memtoull saturates a value past 2^64 and takes it; ours refuses it.
 */
const KNOWN_DIFFERENCES = new Set([
  "maxmemory 99999999999999999999",
  "cluster-link-sendbuf-limit 99999999999999999999",
  "maxmemory-clients 99999999999999999999",
]);

Deno.test("CONFIG GET *: the same parameters and defaults as Redis 7.0.15", async () => {
  await withNodeAndRedis(async (a, b) => {
    const ours = await configMap(a, "*");
    const theirs = await configMap(b, "*");
    const missing = [...theirs.keys()].filter((k) => !ours.has(k));
    const extra = [...ours.keys()].filter((k) => !theirs.has(k));
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
    const differ: string[] = [];
    for (const [k, v] of theirs) {
      if (!STARTED_WITH.has(k) && ours.get(k) !== v) differ.push(`${k}: ${ours.get(k)} vs ${v}`);
    }
    assert.deepEqual(differ, []);
    // HIDDEN_CONFIG: not matched by a pattern, shown by exact name.
    for (
      const k of [
        "key-load-delay",
        "rdb-key-save-delay",
        "loading-process-events-interval-bytes",
        "lua-enable-deprecated-api",
        "use-exit-on-panic",
        "watchdog-period",
      ]
    ) {
      assert.ok(!ours.has(k), `${k} is hidden`);
      await same(a, b, ["CONFIG", "GET", k]);
    }
  });
});

Deno.test("CONFIG SET: each parameter to its value and to bad values, errors as Redis", async () => {
  await withNodeAndRedis(async (a, b) => {
    const theirs = await configMap(b, "*");
    const ours = await configMap(a, "*");
    const differ: string[] = [];
    for (const [k, v] of theirs) {
      if (NOT_BROKEN.has(k)) continue;
      // To its own (our own) value: OK, or the immutable / protected error.
      const [x, y] = [
        show(await a.callRaw("CONFIG", "SET", k, ours.get(k) ?? "")),
        show(await b.callRaw("CONFIG", "SET", k, v)),
      ];
      if (x !== y) differ.push(`CONFIG SET ${k} <current>: ${x} vs ${y}`);
      for (const bad of ["abc", "-99999999999", "99999999999999999999", "1.5"]) {
        const [p, r] = [
          show(await a.callRaw("CONFIG", "SET", k, bad)),
          show(await b.callRaw("CONFIG", "SET", k, bad)),
        ];
        if (p !== r && !KNOWN_DIFFERENCES.has(`${k} ${bad}`)) {
          differ.push(`CONFIG SET ${k} ${bad}: ${p} vs ${r}`);
        }
        if (r === "+OK" || p === "+OK") {
          await a.call("CONFIG", "SET", k, ours.get(k) ?? "");
          await b.call("CONFIG", "SET", k, v);
        }
      }
    }
    assert.deepEqual(differ, []);
    const script: Cmd[] = [
      words("CONFIG SET maxmemory-samples 7 hz 20"),
      words("CONFIG GET maxmemory-samples"),
      words("CONFIG SET maxmemory-samples 8 maxmemory-samples 9"),
      words("CONFIG SET maxmemory-samples 8 max-memory-samples 9"),
      words("CONFIG SET maxmemory-samples 8 hz abc"),
      words("CONFIG SET maxmemory-samples 8 daemonize no"),
      words("CONFIG SET maxmemory-samples 8 slave-priority 3 replica-priority 4"),
      words("CONFIG SET maxmemory-samples"),
      words("CONFIG GET maxmemory-samples"),
      words("CONFIG SET watchdog-period 0"),
      words("CONFIG SET loading-process-events-interval-bytes 100"),
      words("CONFIG SET key-load-delay 0"),
      words("CONFIG SET lua-enable-deprecated-api yes"),
      // maxmemory-clients is a PERCENT_CONFIG: "N%" with 0 <= N <= 100, shown as set.
      ...["10%", "100%", "101%", "-5%", "05%", "1.5%", "%", "50%x", "0%", "5gb", "0"].flatMap((
        v,
      ) => [words(`CONFIG SET maxmemory-clients ${v}`), words("CONFIG GET maxmemory-clients")]),
    ];
    for (const c of script) await same(a, b, c);
  });
});

Deno.test("NO_EFFECT: one table of known parameters, reported when not at their default", () => {
  for (const name of NO_EFFECT.keys()) {
    const d = findDirective(name);
    assert.ok(d !== undefined && d.name === name, `${name} is a known parameter`);
  }
  const config = new Config();
  assert.deepEqual(noEffectSettings(config), []);
  config.load(null, [
    "--active-defrag-cycle-min",
    "5",
    "--maxmemory-samples",
    "7",
    "--io-threads",
    "4",
  ]);
  assert.deepEqual(noEffectSettings(config), [
    "io-threads 4 (one thread serves all clients)",
    "active-defrag-cycle-min 5 (no active defragmentation)",
  ]);
  assert.deepEqual(noEffectSettings(config, ["io-threads"]), [
    "io-threads 4 (one thread serves all clients)",
  ]);
  // activedefrag yes is refused, as by a Redis built without its Jemalloc (isValidActiveDefrag).
  assert.throws(
    () => new Config().load(null, ["--activedefrag", "yes"]),
    /Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc/,
  );
  // rename-command and loadmodule are taken from a file, and named at start, never silently.
  const file = new Config();
  file.load('rename-command FLUSHALL ""\nloadmodule /x/m.so a\nhz 10\n', []);
  assert.deepEqual(noEffectSettings(file), [
    'rename-command FLUSHALL "" (commands keep their names)',
    "loadmodule /x/m.so a (no modules are loaded)",
  ]);
  assert.deepEqual(noEffectSettings(file, ["hz"]), []);
});
