/**
 * Whole-cluster failover scenarios of the pure rules, without sockets: several ClusterStates
 * exchange real encoded bus packets through FailoverNet (cluster/failover_test_net.ts), with the
 * bus rules and the failover rules wired as the engine must wire them, on a simulated clock with
 * fixed seeds.
 */

import assert from "node:assert/strict";
import { FailoverNet } from "./failover_test_net.ts";
import type { BusConfig } from "./bus_effects.ts";
import { type FailoverConfig, failoverVars, withFailoverVars } from "./failover_types.ts";
import {
  assertInvariants,
  CLUSTER_SLOTS,
  type ClusterState,
  isMaster,
  myself,
  NodeFlags,
  ownerRuns,
} from "./state.ts";

/** `masters` masters splitting the slots, then node k (k >= masters) replicates replicaOf[k-masters]. */
function buildCluster(
  seed: number,
  masters: number,
  replicaOf: number[],
  cfg: Partial<BusConfig & FailoverConfig> = {},
): FailoverNet {
  const net = new FailoverNet(masters + replicaOf.length, seed, cfg);
  const per = Math.floor(CLUSTER_SLOTS / masters);
  for (let i = 0; i < masters; i++) {
    net.addSlots(i, i * per, i === masters - 1 ? CLUSTER_SLOTS - 1 : (i + 1) * per - 1);
  }
  for (let j = 1; j < net.nodes.length; j++) net.meet(0, j);
  net.run(3000);
  replicaOf.forEach((m, k) => net.replicate(masters + k, m));
  net.run(4000);
  for (const n of net.nodes) {
    assert.equal(n.state.nodes.size, net.nodes.length, `node ${n.index} knows everyone`);
    assert.equal(n.state.health, "ok", `node ${n.index} is ok`);
  }
  return net;
}

function live(net: FailoverNet): number[] {
  return net.nodes.map((n) => n.index).filter((i) => !net.down.has(i));
}

function warnings(net: FailoverNet, i: number, re: RegExp): string[] {
  return net.nodes[i].logs.filter((l) => re.test(l.text)).map((l) => l.text);
}

function ownerOf(s: ClusterState, slot: number): string | null {
  return s.slotOwner[slot];
}

function isMasterNode(net: FailoverNet, i: number): boolean {
  return isMaster(myself(net.nodes[i].state));
}

/** Every live node agrees on the slot table and is ok. */
function converged(net: FailoverNet): boolean {
  const idx = live(net);
  const table = JSON.stringify(ownerRuns(net.nodes[idx[0]].state));
  return idx.every((i) =>
    net.nodes[i].state.health === "ok" && JSON.stringify(ownerRuns(net.nodes[i].state)) === table
  );
}

/** Exactly one master per slot range: every slot's owner is a master in its own view. */
function assertOneMasterPerSlot(net: FailoverNet): void {
  const owners = new Set<string>();
  for (const i of live(net)) {
    const s = net.nodes[i].state;
    assertInvariants(s);
    for (const [, , owner] of ownerRuns(s)) owners.add(owner);
  }
  for (const id of owners) {
    const k = net.indexOf(id);
    assert.ok(isMasterNode(net, k), `slot owner ${k} is a master in its own view`);
  }
}

Deno.test("failover: master FAIL -> its best-offset replica wins, takes the slots, everyone learns", () => {
  // Master 0 with replicas 3 (lags) and 4 (up to date); masters 1, 2 with replicas 5, 6.
  const net = buildCluster(11, 3, [0, 0, 1, 2]);
  net.nodes[3].lagBytes = 300;
  net.run(500);
  assert.ok(net.nodes[4].offset > net.nodes[3].offset);
  const epochsBefore = net.nodes.map((n) => myself(n.state).configEpoch);
  const oldSlot0Owner = ownerOf(net.nodes[1].state, 0);
  assert.equal(oldSlot0Owner, net.id(0));
  net.kill(0);
  const ms = net.runUntil(
    () => converged(net) && ownerOf(net.nodes[1].state, 0) !== net.id(0),
    20000,
  );
  assert.ok(ms > 0, "cluster converged after the failover");
  // Redis needs about 2 x node_timeout here; the rules add the same delays, nothing more.
  assert.ok(ms <= 6000, `took ${ms} ms`);
  const winner = net.id(4);
  assert.ok(isMasterNode(net, 4));
  assert.ok(!isMasterNode(net, 3));
  assert.equal(net.nodes[4].promotions, 1);
  const me4 = myself(net.nodes[4].state);
  assert.ok(me4.configEpoch > Math.max(...epochsBefore), "new configEpoch is the largest");
  assert.match(warnings(net, 4, /rank #0/)[0], /Start of election delayed for \d+ milliseconds/);
  assert.match(warnings(net, 3, /Start of election/)[0] ?? "rank #1", /rank #1/);
  for (const i of live(net)) {
    const s = net.nodes[i].state;
    assert.equal(ownerOf(s, 0), winner, `node ${i} learned the new owner`);
    assert.equal(s.nodes.get(winner)!.configEpoch, me4.configEpoch);
  }
  // The other replica of the old master now replicates the winner.
  assert.equal(myself(net.nodes[3].state).masterId, winner);
  assert.ok(net.nodes[3].replicateTo.includes(winner));
  assertOneMasterPerSlot(net);
});

Deno.test("failover: the old master comes back, learns it lost its slots and replicates the winner", () => {
  const net = buildCluster(12, 3, [0, 1, 2]);
  net.kill(0);
  assert.ok(net.runUntil(() => converged(net) && isMasterNode(net, 3), 20000) > 0);
  net.revive(0);
  const ms = net.runUntil(() => !isMasterNode(net, 0) && converged(net), 10000);
  assert.ok(ms > 0, "old master reconfigured");
  const me0 = myself(net.nodes[0].state);
  assert.equal(me0.masterId, net.id(3));
  assert.equal(me0.numSlots, 0);
  assert.ok(net.nodes[0].replicateTo.includes(net.id(3)));
  assert.ok(
    warnings(net, 0, /Reconfiguring myself as a replica of/).length > 0,
    "the slot update (UPDATE or PONG) turned it into a replica",
  );
  for (const i of live(net)) {
    const s = net.nodes[i].state;
    assert.equal(s.nodes.get(net.id(0))!.flags & NodeFlags.FAIL, 0, `node ${i} cleared FAIL`);
    assert.equal(ownerOf(s, 0), net.id(3));
  }
  assertOneMasterPerSlot(net);
});

Deno.test("failover: a partitioned master goes CLUSTERDOWN, its stale writes are discarded on heal", () => {
  const net = buildCluster(13, 3, [0, 1, 2]);
  const minority = [0];
  const majority = [1, 2, 3, 4, 5];
  net.partition(minority, majority);
  net.run(2500);
  assert.equal(net.nodes[0].state.health, "fail", "minority master stops accepting writes");
  assert.ok(
    net.runUntil(
      () =>
        isMasterNode(net, 3) &&
        majority.every((i) =>
          net.nodes[i].state.health === "ok" && ownerOf(net.nodes[i].state, 0) === net.id(3)
        ),
      20000,
    ) > 0,
  );
  // The isolated master kept writing locally: those writes were never acknowledged by a majority.
  const staleOffset = net.nodes[0].offset;
  assert.ok(staleOffset > 0);
  net.heal();
  assert.ok(net.runUntil(() => !isMasterNode(net, 0) && converged(net), 15000) > 0);
  assert.equal(myself(net.nodes[0].state).masterId, net.id(3));
  // Full sync from the new master: the old master's own offset is replaced by the new master's.
  assert.equal(net.nodes[0].replicateTo.at(-1), net.id(3));
  assertOneMasterPerSlot(net);
});

Deno.test("failover: two replicas racing -> at most one winner and one vote per master per epoch", () => {
  for (let seed = 100; seed < 112; seed++) {
    const net = buildCluster(seed, 3, [0, 0, 1, 2]);
    net.kill(0);
    assert.ok(
      net.runUntil(() => converged(net) && (isMasterNode(net, 3) || isMasterNode(net, 4)), 40000) >
        0,
      `seed ${seed}`,
    );
    assert.ok(isMasterNode(net, 3) !== isMasterNode(net, 4), `seed ${seed}: exactly one winner`);
    const winsByEpoch = new Map<number, number>();
    for (const i of [3, 4]) {
      const logs = net.nodes[i].logs.map((l) => l.text);
      const wonAt = logs.findIndex((t) => t.startsWith("Failover election won"));
      if (wonAt < 0) continue;
      const started = logs.slice(0, wonAt).filter((t) =>
        t.startsWith("Starting a failover election")
      );
      const epoch = Number(/epoch (\d+)/.exec(started.at(-1)!)![1]);
      winsByEpoch.set(epoch, (winsByEpoch.get(epoch) ?? 0) + 1);
    }
    for (const [epoch, wins] of winsByEpoch) assert.equal(wins, 1, `seed ${seed} epoch ${epoch}`);
    for (const i of [1, 2]) {
      const granted = warnings(net, i, /^Failover auth granted/).map((t) =>
        /epoch (\d+)/.exec(t)![1]
      );
      assert.equal(
        new Set(granted).size,
        granted.length,
        `seed ${seed}: master ${i} voted twice in an epoch`,
      );
    }
    assertOneMasterPerSlot(net);
  }
});

Deno.test("failover: two replicas electing in the same tick and epoch -> one winner", () => {
  const net = buildCluster(105, 3, [0, 0, 1, 2]);
  net.kill(0);
  assert.ok(
    net.runUntil(
      () => [3, 4].every((i) => warnings(net, i, /^Start of election delayed/).length === 1),
      10000,
    ) > 0,
  );
  // Force a collision: both timers fire on the same tick.
  const at = Math.max(...[3, 4].map((i) => failoverVars(net.nodes[i].state).authTimeMs));
  for (const i of [3, 4]) {
    net.nodes[i].state = withFailoverVars(net.nodes[i].state, { authTimeMs: at });
  }
  assert.ok(
    net.runUntil(() => converged(net) && (isMasterNode(net, 3) || isMasterNode(net, 4)), 30000) > 0,
  );
  const e3 = warnings(net, 3, /^Starting a failover election/);
  const e4 = warnings(net, 4, /^Starting a failover election/);
  assert.equal(e3[0], e4[0], "both asked for votes in the same epoch");
  const epoch = /epoch (\d+)/.exec(e3[0])![1];
  assert.equal(isMasterNode(net, 3) !== isMasterNode(net, 4), true, "exactly one winner");
  const loser = isMasterNode(net, 3) ? 4 : 3;
  for (const m of [1, 2]) {
    assert.equal(
      warnings(net, m, new RegExp(`^Failover auth granted .* epoch ${epoch}$`)).length,
      1,
    );
    assert.equal(
      warnings(net, m, new RegExp(`denied to ${net.id(loser)}: already voted for epoch ${epoch}`))
        .length,
      1,
    );
  }
  assert.equal(myself(net.nodes[loser].state).masterId, net.id(loser === 3 ? 4 : 3));
  assertOneMasterPerSlot(net);
});

Deno.test("failover: a split vote -> nobody wins that epoch, a later epoch elects one", () => {
  const net = buildCluster(106, 3, [0, 0, 1, 2]);
  net.kill(0);
  assert.ok(
    net.runUntil(
      () => [3, 4].every((i) => warnings(net, i, /^Start of election delayed/).length === 1),
      10000,
    ) > 0,
  );
  const at = Math.max(...[3, 4].map((i) => failoverVars(net.nodes[i].state).authTimeMs));
  for (const i of [3, 4]) {
    net.nodes[i].state = withFailoverVars(net.nodes[i].state, { authTimeMs: at });
  }
  while (net.nowMs + 100 < at) net.tick();
  // On the election tick, 3's request only reaches master 1 and 4's only master 2.
  net.partition([3], [2]);
  net.partition([4], [1]);
  net.tick();
  net.heal();
  const first = /epoch (\d+)/.exec(warnings(net, 3, /^Starting a failover election/)[0])![1];
  assert.equal(
    warnings(net, 4, /^Starting a failover election/)[0],
    `Starting a failover election for epoch ${first}.`,
  );
  net.run(3000);
  assert.ok(!isMasterNode(net, 3) && !isMasterNode(net, 4), "1 vote each: no winner");
  assert.ok(
    net.runUntil(() => converged(net) && (isMasterNode(net, 3) || isMasterNode(net, 4)), 30000) > 0,
  );
  const winner = isMasterNode(net, 3) ? 3 : 4;
  const won = Number(
    /epoch (\d+)/.exec(warnings(net, winner, /^Starting a failover election/).at(-1)!)![1],
  );
  assert.ok(won > Number(first), `won in a later epoch (${first} -> ${won})`);
  assert.equal(myself(net.nodes[winner].state).configEpoch, won);
  assertOneMasterPerSlot(net);
});

Deno.test("failover: a lost vote (not enough masters) -> retry after the timeout with a new epoch", () => {
  const net = buildCluster(21, 3, [0, 1, 2]);
  net.kill(0);
  // Wait until master 1 knows 0 is FAIL (it keeps that view while it is down).
  assert.ok(
    net.runUntil(
      () => (net.nodes[1].state.nodes.get(net.id(0))!.flags & NodeFlags.FAIL) !== 0,
      10000,
    ) > 0,
  );
  net.kill(1);
  assert.ok(
    net.runUntil(() => warnings(net, 3, /^Starting a failover election/).length === 1, 10000) > 0,
  );
  const firstAt = net.nowMs;
  net.run(3000);
  assert.ok(!isMasterNode(net, 3), "1 vote of 2 needed: no promotion");
  net.revive(1);
  assert.ok(net.runUntil(() => isMasterNode(net, 3), 15000) > 0);
  const starts = warnings(net, 3, /^Starting a failover election/);
  assert.equal(starts.length, 2);
  const e1 = Number(/epoch (\d+)/.exec(starts[0])![1]);
  const e2 = Number(/epoch (\d+)/.exec(starts[1])![1]);
  assert.ok(e2 > e1, `second attempt uses a new epoch (${e1} -> ${e2})`);
  const secondAt =
    net.nodes[3].logs.filter((l) => l.text.startsWith("Starting a failover"))[1].atMs;
  // auth_timeout = max(2 x 2000, 2000) = 4000; a new attempt is scheduled only after 2 x that.
  assert.ok(secondAt - firstAt >= 8000 - 1000, `retry after ${secondAt - firstAt} ms`);
  assert.equal(myself(net.nodes[3].state).configEpoch, e2);
  assert.ok(net.runUntil(() => converged(net), 10000) >= 0);
  assertOneMasterPerSlot(net);
});

Deno.test("failover: several masters failing at once without a majority -> no failover", () => {
  const net = buildCluster(31, 3, [0, 1, 2]);
  net.kill(0);
  net.kill(1);
  net.run(20000);
  for (const i of [3, 4]) assert.ok(!isMasterNode(net, i), `replica ${i} not promoted`);
  assert.equal(warnings(net, 3, /^Starting a failover election/).length, 0);
  for (const i of live(net)) {
    assert.equal(net.nodes[i].state.health, "fail");
    assert.equal(ownerOf(net.nodes[i].state, 0), net.id(0));
  }
});

Deno.test("failover: two of five masters failing at once -> both replicas are promoted", () => {
  const net = buildCluster(32, 5, [0, 1, 2, 3, 4]);
  net.kill(0);
  net.kill(1);
  assert.ok(
    net.runUntil(() => converged(net) && isMasterNode(net, 5) && isMasterNode(net, 6), 30000) > 0,
  );
  const e5 = myself(net.nodes[5].state).configEpoch;
  const e6 = myself(net.nodes[6].state).configEpoch;
  assert.notEqual(e5, e6, "each election has its own epoch");
  assertOneMasterPerSlot(net);
});

Deno.test("failover: cluster-replica-no-failover keeps the replica a replica", () => {
  const net = buildCluster(41, 3, [0, 1, 2]);
  net.nodes[3].cfg.replicaNoFailover = true;
  net.run(500);
  // Others see the NOFAILOVER flag.
  assert.ok((net.nodes[1].state.nodes.get(net.id(3))!.flags & NodeFlags.NOFAILOVER) !== 0);
  net.kill(0);
  net.run(15000);
  assert.ok(!isMasterNode(net, 3));
  assert.equal(warnings(net, 3, /^Start of election/).length, 0);
  assert.equal(net.nodes[1].state.health, "fail");
  // A manual FORCE failover is still allowed.
  assert.equal(net.clusterFailover(3, "force"), null);
  assert.ok(net.runUntil(() => isMasterNode(net, 3) && converged(net), 10000) > 0);
});

Deno.test("failover: replica data too old (validity factor) -> no automatic failover", () => {
  // factor 1: max data age = 10 s (repl ping period) + 2 s x 1.
  const net = buildCluster(42, 3, [0, 1, 2], { replicaValidityFactor: 1 });
  net.kill(0);
  // The replica's link went down at the kill: age - node_timeout must stay <= 12 s. Hold FAIL
  // back by partitioning the replica from the cluster for 16 s, then heal.
  net.partition([3], [1, 2, 4, 5]);
  net.run(16000);
  net.heal();
  net.run(8000);
  assert.ok(!isMasterNode(net, 3));
  assert.ok(
    warnings(net, 3, /Disconnected from master for longer than allowed/).length > 0,
    net.nodes[3].logs.map((l) => l.text).join("\n"),
  );
  // The same with factor 0 (check disabled) fails over.
  net.nodes[3].cfg.replicaValidityFactor = 0;
  assert.ok(net.runUntil(() => isMasterNode(net, 3), 15000) > 0);
});

Deno.test("manual failover: roles swap during writes and no acknowledged write is lost", () => {
  const net = buildCluster(51, 3, [0, 1, 2]);
  net.nodes[3].lagBytes = 250;
  net.run(1000);
  assert.ok(net.nodes[3].offset < net.nodes[0].offset);
  assert.equal(net.clusterFailover(3, "default"), null);
  assert.ok(net.isPaused(0), "the master paused writes on MFSTART");
  // Everything the old master acknowledged was written before the pause.
  const acknowledged = net.nodes[0].offset;
  const ms = net.runUntil(() => isMasterNode(net, 3) && !isMasterNode(net, 0), 6000);
  assert.ok(ms > 0 && ms <= 1000, `roles swapped in ${ms} ms`);
  const logs3 = warnings(net, 3, /./);
  const offsetLine = logs3.find((t) =>
    t.startsWith("Received replication offset for paused master")
  )!;
  assert.equal(Number(/(\d+)$/.exec(offsetLine)![1]), acknowledged);
  assert.ok(logs3.includes("All master replication stream processed, manual failover can start."));
  assert.equal(
    net.nodes[3].promotedAtOffset,
    acknowledged,
    "new master has every acknowledged write",
  );
  assert.ok(warnings(net, 0, /^Manual failover requested by replica/).length === 1);
  assert.equal(net.nodes[3].sent.get("MFSTART"), 1);
  assert.ok(!net.isPaused(0), "the old master un-paused on becoming a replica");
  assert.equal(myself(net.nodes[0].state).masterId, net.id(3));
  assert.ok(net.runUntil(() => converged(net), 5000) >= 0);
  assertOneMasterPerSlot(net);
});

Deno.test("manual failover: FORCE with the master down, TAKEOVER without a majority, errors", () => {
  const net = buildCluster(52, 3, [0, 1, 2]);
  assert.equal(
    net.clusterFailover(0, "default"),
    "ERR You should send CLUSTER FAILOVER to a replica",
  );
  net.kill(0);
  net.run(200);
  assert.equal(
    net.clusterFailover(3, "default"),
    "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE",
  );
  assert.equal(net.clusterFailover(3, "force"), null);
  const ms = net.runUntil(() => isMasterNode(net, 3), 3000);
  assert.ok(ms > 0 && ms <= 300, `FORCE promoted in ${ms} ms (master not even FAIL yet)`);
  assert.ok(net.runUntil(() => converged(net), 10000) >= 0);

  // TAKEOVER: replica 4's side has no majority of masters; it takes the slots anyway.
  net.partition([1, 4], [2, 3, 5]);
  const before = myself(net.nodes[4].state).configEpoch;
  assert.equal(net.clusterFailover(4, "takeover"), null);
  assert.ok(isMasterNode(net, 4));
  assert.equal(warnings(net, 4, /^Starting a failover election/).length, 0, "no election");
  const e4 = myself(net.nodes[4].state).configEpoch;
  assert.ok(e4 > before && e4 === net.nodes[4].state.currentEpoch);
  assert.equal(ownerOf(net.nodes[4].state, Math.floor(CLUSTER_SLOTS / 3) + 1), net.id(4));
  net.heal();
  assert.ok(net.runUntil(() => converged(net) && !isMasterNode(net, 1), 15000) > 0);
  for (const i of live(net)) {
    assert.equal(ownerOf(net.nodes[i].state, Math.floor(CLUSTER_SLOTS / 3) + 1), net.id(4));
  }
  assertOneMasterPerSlot(net);
});

Deno.test("replica migration: replicas 2-1-1, the only replica of a master dies, one moves", () => {
  // Master 0 has replicas 3 and 4; master 1 has 5; master 2 has 6.
  const net = buildCluster(61, 3, [0, 0, 1, 2]);
  net.kill(5);
  const ms = net.runUntil(
    () => replicasOfIn(net, 1, 1).some((id) => id === net.id(3) || id === net.id(4)),
    20000,
  );
  assert.ok(ms > 0, "a replica migrated to the orphaned master");
  const moved = [3, 4].filter((i) => myself(net.nodes[i].state).masterId === net.id(1));
  assert.equal(moved.length, 1);
  const expected = net.id(3) < net.id(4) ? 3 : 4;
  assert.equal(moved[0], expected, "the replica with the smallest name moves");
  assert.ok(ms >= 5000, `orphaned for more than 5 s first (${ms} ms)`);
  assert.match(warnings(net, expected, /^Migrating to orphaned master/)[0], new RegExp(net.id(1)));
  net.run(8000);
  assert.equal(
    [3, 4].filter((i) => myself(net.nodes[i].state).masterId === net.id(1)).length,
    1,
    "only one moves",
  );
});

Deno.test("replica migration: the barrier and cluster-allow-replica-migration=no prevent migration", () => {
  for (const cfg of [{ migrationBarrier: 2 }, { allowReplicaMigration: false }]) {
    const net = buildCluster(62, 3, [0, 0, 1, 2], cfg);
    net.kill(5);
    net.run(15000);
    for (const i of [3, 4]) {
      assert.equal(myself(net.nodes[i].state).masterId, net.id(0), JSON.stringify(cfg));
    }
  }
});

/** Replicas of node m as seen by node `viewer`. */
function replicasOfIn(net: FailoverNet, m: number, viewer: number): string[] {
  const out: string[] = [];
  for (const n of net.nodes[viewer].state.nodes.values()) {
    if (n.masterId === net.id(m) && !(n.flags & NodeFlags.FAIL)) out.push(n.id);
  }
  return out;
}

Deno.test("failover: deterministic (same seed, same history)", () => {
  const history = () => {
    const net = buildCluster(77, 3, [0, 0, 1, 2]);
    net.kill(0);
    net.run(8000);
    return net.nodes.map((n) => n.logs.map((l) => `${l.atMs} ${l.text}`).join("\n")).join("\n--\n");
  };
  assert.equal(history(), history());
});
