import assert from "node:assert/strict";
import { allocateSlots, antiAffinityScore, interleaveByHost, planCreate } from "./placement.ts";

Deno.test("allocateSlots: redis-cli's ranges", () => {
  assert.deepEqual(allocateSlots(3), [[0, 5460], [5461, 10922], [10923, 16383]]);
  assert.deepEqual(allocateSlots(4), [[0, 4095], [4096, 8191], [8192, 12287], [12288, 16383]]);
  const five = allocateSlots(5);
  assert.equal(five[0][0], 0);
  assert.equal(five[4][1], 16383);
  for (let i = 1; i < 5; i++) assert.equal(five[i][0], five[i - 1][1] + 1);
  const total = five.reduce((n, [a, b]) => n + b - a + 1, 0);
  assert.equal(total, 16384);
});

Deno.test("interleaveByHost takes one node per host in turn", () => {
  const nodes = ["a", "a", "a", "b", "b", "c"].map((host) => ({ host }));
  assert.deepEqual(interleaveByHost(nodes), [0, 3, 5, 1, 4, 2]);
});

Deno.test("planCreate: one host, 6 nodes, 1 replica: first three are masters", () => {
  const nodes = Array.from({ length: 6 }, () => ({ host: "127.0.0.1" }));
  const plan = planCreate(nodes, 1);
  assert.deepEqual(plan.masters, [0, 1, 2]);
  assert.equal(plan.replicaOf.size, 3);
  assert.deepEqual([...new Set(plan.replicaOf.values())].sort(), [0, 1, 2]);
  assert.ok(plan.score >= 10000); // unavoidable: every replica beside its master
});

Deno.test("planCreate: replicas land on other hosts than their masters", () => {
  // Three hosts, two nodes each, listed host by host.
  const nodes = ["h1", "h1", "h2", "h2", "h3", "h3"].map((host) => ({ host }));
  const plan = planCreate(nodes, 1);
  assert.equal(plan.masters.length, 3);
  assert.deepEqual(new Set(plan.masters.map((m) => nodes[m].host)), new Set(["h1", "h2", "h3"]));
  for (const [r, m] of plan.replicaOf) assert.notEqual(nodes[r].host, nodes[m].host);
  assert.equal(plan.score, 0);
});

Deno.test("planCreate: two replicas per master spread over hosts", () => {
  const nodes = ["a", "a", "a", "b", "b", "b", "c", "c", "c"].map((host) => ({ host }));
  const plan = planCreate(nodes, 2);
  assert.equal(plan.masters.length, 3);
  assert.equal(plan.score, 0);
  for (const m of plan.masters) {
    const hosts = [...plan.replicaOf].filter(([, mm]) => mm === m).map(([r]) => nodes[r].host);
    assert.equal(hosts.length, 2);
    assert.equal(new Set([...hosts, nodes[m].host]).size, 3);
  }
});

Deno.test("planCreate: leftover nodes become extra replicas; too few masters is an error", () => {
  const nodes = Array.from({ length: 7 }, (_, i) => ({ host: `h${i}` }));
  const plan = planCreate(nodes, 1);
  assert.equal(plan.masters.length, 3);
  assert.equal(plan.replicaOf.size, 4);
  assert.throws(
    () => planCreate(nodes.slice(0, 5), 1),
    /requires at least 3 master nodes[^]*6 nodes are required/,
  );
  assert.throws(() => planCreate(nodes.slice(0, 2), 0), /not possible with 2 nodes and 0 replicas/);
});

Deno.test("antiAffinityScore matches redis-cli's weights", () => {
  const nodes = ["a", "a", "b", "b"].map((host) => ({ host }));
  // master 0 with replica 1 on its host: 10000; master 2 with replica 3 on its host: 10000.
  assert.equal(antiAffinityScore(nodes, [0, 2], new Map([[1, 0], [3, 2]])), 20000);
  assert.equal(antiAffinityScore(nodes, [0, 2], new Map([[1, 2], [3, 0]])), 0);
  // Two replicas of one master on the same other host: 2.
  const n2 = ["a", "b", "b"].map((host) => ({ host }));
  assert.equal(antiAffinityScore(n2, [0], new Map([[1, 0], [2, 0]])), 2);
});
