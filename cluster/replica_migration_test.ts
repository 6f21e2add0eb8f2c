/**
 * Unit tests of replica migration (replica_migration.ts): the orphaned-master scan, the barrier,
 * the smallest-name candidate rule and the 5 s orphan delay.
 */

import assert from "node:assert/strict";
import { CFG, ID, makeState, T0 } from "../tests/bus_fixtures.ts";
import {
  type FailoverContext,
  failoverCron,
  type FailoverEffect,
  failoverVars,
  scanOrphanedMasters,
  shouldConsiderMigration,
} from "./failover_rules.ts";
import { Prng } from "./prng.ts";
import { type ClusterState, myself, NodeFlags, updateNode } from "./state.ts";

const A = ID("a"); // master with replicas R3, R4 (+ R7 in one test)
const B = ID("b"); // master whose only replica R5 failed
const C = ID("c"); // master with replica R6
const R3 = ID("3");
const R4 = ID("4");
const R5 = ID("5");
const R6 = ID("6");

/** The view of replica `me` (one of R3/R4) of a 2-1-1 cluster where R5 is FAIL. */
function state(
  me: string,
  extra: { id: string; flags: number; masterId: string }[] = [],
): ClusterState {
  const all = [
    { id: R3, flags: NodeFlags.SLAVE, masterId: A },
    { id: R4, flags: NodeFlags.SLAVE, masterId: A },
    { id: R5, flags: NodeFlags.SLAVE | NodeFlags.FAIL, masterId: B },
    { id: R6, flags: NodeFlags.SLAVE, masterId: C },
    ...extra,
  ];
  const self = all.find((n) => n.id === me)!;
  return makeState(
    { ...self, flags: self.flags | NodeFlags.MYSELF },
    [
      { id: A, slotRange: [0, 99], flags: NodeFlags.MASTER | NodeFlags.MIGRATE_TO },
      { id: B, slotRange: [100, 199], flags: NodeFlags.MASTER | NodeFlags.MIGRATE_TO },
      { id: C, slotRange: [200, 16383], flags: NodeFlags.MASTER | NodeFlags.MIGRATE_TO },
      ...all.filter((n) => n.id !== me),
    ],
    { health: "ok", size: 3 },
  );
}

function ctx(nowMs: number, over: Partial<FailoverContext> = {}): FailoverContext {
  return {
    ...CFG,
    nowMs,
    timerNowMs: nowMs,
    rng: new Prng(5),
    links: new Map(),
    replication: { linkUp: true, lastInteractionMs: nowMs, downSinceMs: 0 },
    replicaValidityFactor: 10,
    replPingReplicaPeriodSec: 10,
    replicaNoFailover: false,
    migrationBarrier: 1,
    ...over,
  };
}

function logs(effects: FailoverEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === "log" ? [e.text] : []));
}

Deno.test("migration: orphaned-master scan", () => {
  const scan = scanOrphanedMasters(state(R3));
  assert.deepEqual(scan, { orphanedMasters: 1, maxReplicas: 2, myMasterReplicas: 2 });
  assert.equal(shouldConsiderMigration(scan, true), true);
  assert.equal(shouldConsiderMigration(scan, false), false);
  // Without MIGRATE_TO (never had a replica) a replica-less master is not orphaned.
  const noFlag = updateNode(state(R3), B, { flags: NodeFlags.MASTER });
  assert.equal(scanOrphanedMasters(noFlag).orphanedMasters, 0);
  // A FAIL master is not orphaned either.
  const failed = updateNode(state(R3), B, {
    flags: NodeFlags.MASTER | NodeFlags.FAIL | NodeFlags.MIGRATE_TO,
  });
  assert.equal(scanOrphanedMasters(failed).orphanedMasters, 0);
  // Replica of the 1-replica master: its master does not have the max.
  assert.equal(shouldConsiderMigration(scanOrphanedMasters(state(R6)), true), false);
});

Deno.test("migration: the smallest-name replica moves after the target was orphaned 5 s", () => {
  // R3 < R4: R3 is the candidate.
  let s = state(R3);
  let r = failoverCron(s, ctx(T0));
  s = r.state;
  assert.equal(failoverVars(s).orphanedTimeMs.get(B), T0);
  assert.equal(myself(s).masterId, A);
  r = failoverCron(s, ctx(T0 + 5000));
  assert.equal(myself(r.state).masterId, A, "not before 5000 ms");
  r = failoverCron(r.state, ctx(T0 + 5001));
  const me = myself(r.state);
  assert.equal(me.masterId, B);
  assert.deepEqual(logs(r.effects), [`Migrating to orphaned master ${B}`]);
  assert.ok(r.effects.some((e) => e.kind === "replicate" && e.masterId === B));
  assert.deepEqual(r.effects.at(-1), { kind: "saveConfig", fsync: false });

  // R4 is not the candidate: it stays.
  let s4 = state(R4);
  s4 = failoverCron(s4, ctx(T0)).state;
  const r4 = failoverCron(s4, ctx(T0 + 6000));
  assert.equal(myself(r4.state).masterId, A);
  assert.deepEqual(logs(r4.effects), []);
});

Deno.test("migration: cluster-migration-barrier and PFAIL siblings", () => {
  // Barrier 2: 2 working replicas are not more than 2.
  let s = failoverCron(state(R3), ctx(T0, { migrationBarrier: 2 })).state;
  s = failoverCron(s, ctx(T0 + 6000, { migrationBarrier: 2 })).state;
  assert.equal(myself(s).masterId, A);
  // Barrier 1 but the sibling is PFAIL: only 1 working replica, stay.
  let p = updateNode(state(R3), R4, { flags: NodeFlags.SLAVE | NodeFlags.PFAIL });
  p = failoverCron(p, ctx(T0)).state;
  p = failoverCron(p, ctx(T0 + 6000)).state;
  assert.equal(myself(p).masterId, A);
  // Three replicas under A, barrier 2: one may go.
  const R7 = ID("7");
  let t = state(R3, [{ id: R7, flags: NodeFlags.SLAVE, masterId: A }]);
  t = failoverCron(t, ctx(T0, { migrationBarrier: 2 })).state;
  t = failoverCron(t, ctx(T0 + 6000, { migrationBarrier: 2 })).state;
  assert.equal(myself(t).masterId, B);
});

Deno.test("migration: only while the cluster state is ok", () => {
  let s: ClusterState = { ...state(R3), health: "fail" };
  s = failoverCron(s, ctx(T0)).state;
  s = failoverCron(s, ctx(T0 + 6000)).state;
  assert.equal(myself(s).masterId, A);
});
