/**
 * The scale run of bench/converge.ts at a small size: 8 of our nodes (separate processes) MEET one
 * seed and converge (all 8 listed everywhere, none in handshake), agree on slots by redis-cli's
 * signature, and flag a SIGKILLed master `fail` everywhere.
 *
 * Node timeout 3000 ms: it is also how long a MEET's handshake may take before the node drops it
 * (clusterCron's handshake timeout, never retried), and at 1000 ms a loaded machine (a CI run
 * beside a fuzzer) left a node that never joined.
 */

import assert from "node:assert/strict";
import { runKind, splitSlots } from "../bench/converge.ts";

const NODE_TIMEOUT_MS = 3000;

Deno.test("converge: splitSlots covers 0..16383 contiguously", () => {
  for (const m of [1, 2, 3, 7, 30, 128]) {
    const r = splitSlots(m);
    assert.equal(r.length, m);
    assert.equal(r[0][0], 0);
    assert.equal(r[m - 1][1], 16383);
    for (let i = 1; i < m; i++) assert.equal(r[i][0], r[i - 1][1] + 1);
    for (const [a, b] of r) assert.ok(b >= a);
  }
});

Deno.test({
  name: "converge: 8 nodes MEET one seed, converge, agree on slots, flag a killed master fail",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const res = await runKind("ours", {
      nodes: 8,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
      masters: 4,
      pollMs: 100,
      phaseTimeoutMs: 60_000,
      keep: false,
      log: () => {},
    });
    assert.deepEqual(res.notes, []);
    assert.ok(res.convergeAllMs !== null, "every node lists 8 nodes, none in handshake");
    assert.ok(res.slotsAgreeMs !== null, "every node prints the same slot signature");
    assert.ok(res.stateOkMs !== null, "every node says cluster_state:ok");
    assert.ok(res.failAllMs !== null, "every other node flags the killed master fail");
    assert.ok(res.stateFailAllMs !== null, "every other node says cluster_state:fail");
    // PFAIL needs node-timeout without a PONG; FAIL then needs the majority's reports.
    assert.ok(res.failFirstMs! >= NODE_TIMEOUT_MS, `fail after ${res.failFirstMs} ms`);
    assert.ok(res.failAllMs! <= 10 * NODE_TIMEOUT_MS, `fail everywhere after ${res.failAllMs} ms`);
    assert.ok(res.convergeAllMs! < 20_000, `converged after ${res.convergeAllMs} ms`);
  },
});
