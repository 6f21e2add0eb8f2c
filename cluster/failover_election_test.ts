/**
 * Unit tests of the replica side of failover elections (failover_election.ts): rank, data age,
 * preconditions, scheduling, the request, ACK counting, winning and the retry.
 */

import assert from "node:assert/strict";
import { MSGFLAG0_FORCEACK, slotBitmapFromRanges } from "../protocol/bus.ts";
import { CFG, ID, makeState, T0 } from "../tests/bus_fixtures.ts";
import {
  buildAuthRequest,
  dataTooOldToFailover,
  electionDelayMs,
  type FailoverContext,
  failoverCron,
  type FailoverEffect,
  failoverPreconditions,
  failoverVars,
  rankDelayMs,
  receiveFailoverMessage,
  replicaDataAgeMs,
  replicaRank,
  withFailoverVars,
} from "./failover_rules.ts";
import { Prng } from "./prng.ts";
import { type ClusterState, isMaster, myself, NodeFlags, updateNode } from "./state.ts";

const ME = ID("b"); // replica of A
const A = ID("a"); // failed master, slots 100..199
const SIB = ID("c"); // sibling replica
const M1 = ID("1"); // voting masters
const M2 = ID("2");

function state(): ClusterState {
  return makeState(
    { id: ME, flags: NodeFlags.SLAVE | NodeFlags.MYSELF, masterId: A, replOffset: 500 },
    [
      {
        id: A,
        slotRange: [100, 199],
        configEpoch: 3,
        flags: NodeFlags.MASTER | NodeFlags.FAIL,
        failTimeMs: T0,
      },
      { id: SIB, flags: NodeFlags.SLAVE, masterId: A, replOffset: 400 },
      { id: M1, slotRange: [0, 99], configEpoch: 1 },
      { id: M2, slotRange: [200, 16383], configEpoch: 2 },
    ],
    { currentEpoch: 5, size: 3, health: "fail" },
  );
}

function ctx(nowMs: number, over: Partial<FailoverContext> = {}): FailoverContext {
  return {
    ...CFG,
    nowMs,
    timerNowMs: nowMs,
    rng: new Prng(7),
    links: new Map([[A, {}], [SIB, {}], [M1, {}], [M2, {}]]),
    replication: { linkUp: false, lastInteractionMs: T0 - 100, downSinceMs: T0 - 100 },
    replOffset: 500,
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

function ack(s: ClusterState, from: string, epoch: number, nowMs: number) {
  const header = buildAuthRequest(makeState({ id: from, slotRange: [0, 0] }), ctx(nowMs)).header;
  header.currentEpoch = BigInt(epoch);
  header.slaveof = null;
  return receiveFailoverMessage(s, { type: "FAILOVER_AUTH_ACK", header }, {
    ...ctx(nowMs),
    link: { kind: "inbound", nodeId: from },
  });
}

Deno.test("election: rank counts siblings with a larger offset, not NOFAILOVER ones", () => {
  let s = state();
  assert.equal(replicaRank(s, 500), 0);
  s = updateNode(s, SIB, { replOffset: 600 });
  assert.equal(replicaRank(s, 500), 1);
  s = updateNode(s, SIB, { flags: NodeFlags.SLAVE | NodeFlags.NOFAILOVER });
  assert.equal(replicaRank(s, 500), 0);
  // The same offset: the sibling with the smaller name ranks first (two replicas in sync never
  // both wait the rank-0 delay and race for one epoch).
  s = updateNode(s, SIB, { flags: NodeFlags.SLAVE, replOffset: 500 });
  assert.equal(replicaRank(s, 500), SIB < ME ? 1 : 0);
});

Deno.test("election: the delay unit scales with node-timeout (min(500, node_timeout / 30))", () => {
  const table: [number, number][] = [
    [15000, 500],
    [60000, 500],
    [7500, 250],
    [3000, 100],
    [
      2000,
      66,
    ],
    [1500, 50],
    [10, 1],
  ];
  for (const [timeoutMs, d] of table) assert.equal(electionDelayMs(timeoutMs), d, `${timeoutMs}`);
  // Per rank: two units, at least two cron periods (Redis's 1000 ms from 15 s up).
  assert.equal(rankDelayMs(15000), 1000);
  assert.equal(rankDelayMs(7500), 500);
  assert.equal(rankDelayMs(2000), 200);
});

Deno.test("election: data age and cluster-replica-validity-factor", () => {
  const base = { nodeTimeoutMs: 2000, replicaValidityFactor: 10, replPingReplicaPeriodSec: 10 };
  // Link up: age since the last interaction; node_timeout is subtracted when larger.
  const up = { linkUp: true, lastInteractionMs: T0 - 500, downSinceMs: 0 };
  assert.equal(replicaDataAgeMs({ ...base, nowMs: T0, replication: up }), 500);
  // Link down for 32001 ms: age 30001 > 10 s + 2 s x 10.
  const down = { linkUp: false, lastInteractionMs: 0, downSinceMs: T0 - 32001 };
  assert.equal(replicaDataAgeMs({ ...base, nowMs: T0, replication: down }), 30001);
  assert.equal(dataTooOldToFailover({ ...base, nowMs: T0, replication: down }), true);
  assert.equal(dataTooOldToFailover({ ...base, nowMs: T0 - 1, replication: down }), false);
  assert.equal(
    dataTooOldToFailover({ ...base, replicaValidityFactor: 0, nowMs: T0, replication: down }),
    false,
  );
});

Deno.test("election: preconditions (master FAIL with slots, replica-no-failover)", () => {
  assert.equal(failoverPreconditions(state(), { replicaNoFailover: false }), true);
  assert.equal(failoverPreconditions(state(), { replicaNoFailover: true }), false);
  const up = updateNode(state(), A, { flags: NodeFlags.MASTER });
  assert.equal(failoverPreconditions(up, { replicaNoFailover: false }), false);
  // A manual failover that can start overrides both.
  const mf = withFailoverVars(up, { mfEndMs: T0 + 5000, mfCanStart: true });
  assert.equal(failoverPreconditions(mf, { replicaNoFailover: true }), true);
  const noSlots = makeState(
    { id: ME, flags: NodeFlags.SLAVE | NodeFlags.MYSELF, masterId: A },
    [{ id: A, flags: NodeFlags.MASTER | NodeFlags.FAIL }],
  );
  assert.equal(failoverPreconditions(noSlots, { replicaNoFailover: false }), false);
});

Deno.test("election: schedule, delay, request, quorum of ACKs, promotion", () => {
  let s = state();
  // 1. Scheduling (node-timeout 2000: d = 66): 66 + random(0..65) + rank 0, PONG to the sibling
  // replica only.
  let r = failoverCron(s, ctx(T0));
  s = r.state;
  const v = failoverVars(s);
  const delay = v.authTimeMs - T0;
  assert.ok(delay >= 66 && delay < 132, `delay ${delay}`);
  assert.deepEqual(logs(r.effects), [
    `Start of election delayed for ${delay} milliseconds (rank #0, offset 500).`,
  ]);
  const pongs = r.effects.filter((e) => e.kind === "send");
  assert.equal(pongs.length, 1);
  assert.ok(pongs[0].kind === "send" && pongs[0].to === SIB && pongs[0].message.type === "PONG");
  // 2. Before the delay: nothing.
  r = failoverCron(s, ctx(v.authTimeMs - 1));
  s = r.state;
  assert.equal(r.effects.filter((e) => e.kind === "broadcast").length, 0);
  assert.equal(s.currentEpoch, 5);
  // 3. The election: currentEpoch 6, AUTH_REQUEST broadcast (no FORCEACK), save + fsync.
  r = failoverCron(s, ctx(v.authTimeMs));
  s = r.state;
  assert.equal(s.currentEpoch, 6);
  assert.equal(failoverVars(s).authEpoch, 6);
  const req = r.effects.find((e) => e.kind === "broadcast");
  assert.ok(req && req.kind === "broadcast");
  assert.equal(req.message.type, "FAILOVER_AUTH_REQUEST");
  assert.equal(req.message.header.currentEpoch, 6n);
  assert.equal(req.message.header.configEpoch, 3n, "the master's configEpoch");
  assert.equal(req.message.header.slaveof, A);
  assert.deepEqual(req.message.header.myslots, slotBitmapFromRanges([[100, 199]]));
  assert.equal(req.message.header.mflags, 0);
  assert.deepEqual(r.effects.at(-1), { kind: "saveConfig", fsync: true });
  assert.ok(logs(r.effects).includes("Starting a failover election for epoch 6."));
  // 4. ACKs: an old-epoch ACK and one from a slot-less node do not count; 2 of 3 win at once.
  const t = v.authTimeMs + 10;
  s = ack(s, M1, 5, t).state;
  assert.equal(failoverVars(s).authCount, 0);
  s = ack(s, SIB, 6, t).state;
  assert.equal(failoverVars(s).authCount, 0);
  r = ack(s, M1, 6, t);
  s = r.state;
  assert.equal(failoverVars(s).authCount, 1);
  assert.ok(!isMaster(myself(s)));
  r = ack(s, M2, 6, t);
  s = r.state;
  const me = myself(s);
  assert.ok(isMaster(me), "promoted as soon as the quorum ACK arrived");
  assert.equal(me.configEpoch, 6);
  assert.equal(me.numSlots, 100);
  assert.equal(s.slotOwner.get(150), ME);
  assert.equal(s.nodes.get(A)!.numSlots, 0);
  assert.ok(
    me.flags & NodeFlags.MIGRATE_TO,
    "a promoted master with a replica left is a migration target",
  );
  const kinds = r.effects.map((e) => e.kind);
  assert.ok(kinds.includes("replicationUnsetMaster"));
  const pong = r.effects.find((e) => e.kind === "broadcast");
  assert.ok(pong && pong.kind === "broadcast" && pong.message.type === "PONG");
  assert.equal(pong.message.header.slaveof, null);
  assert.equal(pong.message.header.configEpoch, 6n);
  assert.deepEqual(pong.message.header.myslots, slotBitmapFromRanges([[100, 199]]));
  assert.deepEqual(r.effects.at(-1), { kind: "saveConfig", fsync: true });
  assert.deepEqual(logs(r.effects).slice(0, 2), [
    "Failover election won: I'm the new master.",
    "configEpoch set to 6 after successful failover",
  ]);
});

Deno.test("election: rank grows before the election -> delay added; expiry and retry", () => {
  let s = state();
  s = failoverCron(s, ctx(T0)).state;
  const t1 = failoverVars(s).authTimeMs;
  // The sibling advertises a larger offset: rank 1, + max(2d, 2 cron periods) = 200 ms.
  s = updateNode(s, SIB, { replOffset: 900 });
  const r = failoverCron(s, ctx(T0 + 10));
  s = r.state;
  assert.deepEqual(logs(r.effects), [
    "Replica rank updated to #1, added 200 milliseconds of delay.",
  ]);
  assert.equal(failoverVars(s).authTimeMs, t1 + 200);
  // Election at the new time, no votes.
  s = failoverCron(s, ctx(t1 + 200)).state;
  assert.equal(s.currentEpoch, 6);
  // After auth_timeout (4000 ms from the scheduled time) the attempt expired: no new request.
  let out = failoverCron(s, ctx(t1 + 200 + 4001));
  assert.equal(out.effects.filter((e) => e.kind === "broadcast").length, 0);
  s = out.state;
  // After the retry time (8000 ms) a new attempt is scheduled, then a new epoch is used.
  out = failoverCron(s, ctx(t1 + 200 + 8001));
  s = out.state;
  assert.match(logs(out.effects)[0], /^Start of election delayed for \d+ milliseconds \(rank #1/);
  out = failoverCron(s, ctx(failoverVars(s).authTimeMs));
  assert.equal(out.state.currentEpoch, 7);
});

Deno.test("election: data too old -> no attempt, logged once the master failed long enough", () => {
  const old = ctx(T0 + 20000, {
    replication: { linkUp: false, lastInteractionMs: 0, downSinceMs: T0 - 40000 },
  });
  const r = failoverCron(state(), old);
  assert.equal(failoverVars(r.state).authTimeMs, 0);
  assert.deepEqual(logs(r.effects), [
    "Currently unable to failover: Disconnected from master for longer than allowed. " +
    "Please check the 'cluster-replica-validity-factor' configuration option.",
  ]);
  // Not logged again within 5 minutes for the same reason.
  assert.deepEqual(logs(failoverCron(r.state, { ...old, nowMs: T0 + 21000 }).effects), []);
});

Deno.test("election: a manual failover request carries FORCEACK", () => {
  const s = withFailoverVars(state(), { mfEndMs: T0 + 5000 });
  assert.equal(buildAuthRequest(s, ctx(T0)).header.mflags, MSGFLAG0_FORCEACK);
  assert.equal(buildAuthRequest(state(), ctx(T0)).header.mflags, 0);
});

Deno.test("election: replica-no-failover sets NOFAILOVER on myself (saved) and never elects", () => {
  const r = failoverCron(state(), ctx(T0, { replicaNoFailover: true }));
  assert.ok(myself(r.state).flags & NodeFlags.NOFAILOVER);
  assert.deepEqual(r.effects.at(-1), { kind: "saveConfig", fsync: true });
  assert.equal(failoverVars(r.state).authTimeMs, 0);
});
