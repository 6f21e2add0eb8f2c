/**
 * The real redis-benchmark runs its tests against our node with no errors: the issue's list
 * against a standalone node, and the same list without mset (cross-slot there, as on real Redis)
 * against a one-node cluster. Throughput ratios are `deno task bench`'s job, not this test's.
 */

import assert from "node:assert/strict";
import { run, spawnNode } from "./harness.ts";
import { ownAllSlots } from "./cluster_fixture.ts";

const TESTS = "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange,mset";

function parseCsv(out: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of out.split("\n")) {
    const m = /^"([^"]+)","([\d.]+)"/.exec(line);
    if (m) rows.set(m[1], Number(m[2]));
  }
  return rows;
}

async function bench(port: number, tests: string) {
  const r = await run("redis-benchmark", [
    "-p",
    String(port),
    "-n",
    "5000",
    "-c",
    "20",
    "-P",
    "4",
    "-t",
    tests,
    "--csv",
  ], {
    timeoutMs: 240_000,
  });
  return { ...r, rows: parseCsv(r.stdout) };
}

Deno.test("redis-benchmark's tests complete without errors against a standalone node", async () => {
  const node = await spawnNode({ "cluster-enabled": "no" });
  try {
    const r = await bench(node.port, TESTS);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr + r.stdout, /error/i);
    for (
      const t of [
        "PING_INLINE",
        "PING_MBULK",
        "SET",
        "GET",
        "INCR",
        "LPUSH",
        "RPUSH",
        "LPOP",
        "RPOP",
        "SADD",
        "HSET",
        "SPOP",
        "ZADD",
        "ZPOPMIN",
        "LPUSH (needed to benchmark LRANGE)",
        "LRANGE_100 (first 100 elements)",
        "LRANGE_600 (first 600 elements)",
        "MSET (10 keys)",
      ]
    ) {
      assert.ok((r.rows.get(t) ?? 0) > 0, `${t} ran: ${r.stdout}`);
    }
  } finally {
    await node.stop();
  }
});

Deno.test("redis-benchmark's tests (without mset) complete without errors against a one-node cluster", async () => {
  const node = await spawnNode({ "cluster-enabled": "yes" });
  try {
    await ownAllSlots(node.port);
    const r = await bench(node.port, TESTS.replace(",mset", ""));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr + r.stdout, /error/i);
    assert.equal(r.rows.size, 19, r.stdout); // 14 tests + 5 LRANGE rows
    // MSET across slots is refused with CROSSSLOT, exactly as real Redis refuses it.
    const m = await run("redis-cli", ["-p", String(node.port), "mset", "a", "1", "b", "2"]);
    assert.equal(m.stdout.trim(), "CROSSSLOT Keys in request don't hash to the same slot");
  } finally {
    await node.stop();
  }
});
