/**
 * Unit tests of the master side of failover elections (failover_vote.ts), through
 * `receiveFailoverMessage` where the effects matter.
 */

import assert from "node:assert/strict";
import {
  type BusHeader,
  MSGFLAG0_FORCEACK,
  MSGFLAG0_PAUSED,
  slotBitmapFromRanges,
} from "../protocol/bus.ts";
import { CFG, ID, makeState, T0 } from "../tests/bus_fixtures.ts";
import { setOwnerNotClaiming } from "./bus_node_ops.ts";
import {
  checkFailoverVote,
  type FailoverEffect,
  type FailoverReceiveContext,
  receiveFailoverMessage,
  withFailoverVars,
} from "./failover_rules.ts";
import { Prng } from "./prng.ts";
import { type ClusterState, NodeFlags, updateNode } from "./state.ts";

const ME = ID("1");
const A = ID("a"); // failed master
const R1 = ID("b"); // replicas of A
const R2 = ID("c");
const B = ID("d"); // another healthy master

function state(): ClusterState {
  // The packet's header already raised currentEpoch to 3 (bus receive runs first).
  return makeState(
    { id: ME, slotRange: [0, 99], configEpoch: 1 },
    [
      { id: A, slotRange: [100, 199], configEpoch: 2, flags: NodeFlags.MASTER | NodeFlags.FAIL },
      { id: R1, flags: NodeFlags.SLAVE, masterId: A },
      { id: R2, flags: NodeFlags.SLAVE, masterId: A },
      { id: B, slotRange: [200, 299], configEpoch: 2 },
    ],
    { currentEpoch: 3 },
  );
}

function header(sender: string, over: Partial<BusHeader> = {}): BusHeader {
  return {
    port: 30002,
    currentEpoch: 3n,
    configEpoch: 2n,
    offset: 500n,
    sender,
    myslots: slotBitmapFromRanges([[100, 199]]),
    slaveof: A,
    myip: "",
    pport: 0,
    cport: 40002,
    flags: NodeFlags.SLAVE | NodeFlags.MYSELF,
    state: 0,
    mflags: 0,
    ...over,
  };
}

function ctx(nowMs = T0): FailoverReceiveContext {
  return {
    ...CFG,
    nowMs,
    timerNowMs: nowMs,
    rng: new Prng(1),
    links: new Map(),
    replication: { linkUp: true, lastInteractionMs: nowMs, downSinceMs: 0 },
    replicaValidityFactor: 10,
    replPingReplicaPeriodSec: 10,
    replicaNoFailover: false,
    migrationBarrier: 1,
    link: { kind: "inbound", nodeId: null },
  };
}

function request(s: ClusterState, sender: string, over: Partial<BusHeader> = {}, nowMs = T0) {
  return receiveFailoverMessage(
    s,
    { type: "FAILOVER_AUTH_REQUEST", header: header(sender, over) },
    ctx(nowMs),
  );
}

function logs(effects: FailoverEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === "log" ? [e.text] : []));
}

Deno.test("vote: granted -> ACK to the requester, lastVoteEpoch, voted_time, save + fsync", () => {
  const r = request(state(), R1);
  assert.equal(r.state.lastVoteEpoch, 3);
  const ack = r.effects.find((e) => e.kind === "send");
  assert.ok(ack && ack.kind === "send");
  assert.equal(ack.to, R1);
  assert.equal(ack.message.type, "FAILOVER_AUTH_ACK");
  assert.equal(ack.message.header.currentEpoch, 3n);
  assert.equal(ack.message.header.sender, ME);
  assert.deepEqual(r.effects.at(-1), { kind: "saveConfig", fsync: true });
  assert.deepEqual(logs(r.effects), [`Failover auth granted to ${R1} for epoch 3`]);
});

Deno.test("vote: one vote per epoch", () => {
  const r1 = request(state(), R1);
  const r2 = request(r1.state, R2);
  assert.equal(r2.effects.filter((e) => e.kind === "send").length, 0);
  assert.deepEqual(logs(r2.effects), [`Failover auth denied to ${R2}: already voted for epoch 3`]);
});

Deno.test("vote: not twice for replicas of the same master within 2 x node_timeout", () => {
  const r1 = request(state(), R1);
  // A later epoch (the header raised currentEpoch to 4), 1 s later: still refused.
  const s4 = { ...r1.state, currentEpoch: 4 };
  const r2 = request(s4, R2, { currentEpoch: 4n }, T0 + 1000);
  assert.deepEqual(logs(r2.effects), [
    `Failover auth denied to ${R2}: can't vote about this master before 3000 milliseconds`,
  ]);
  // After 2 x 2000 ms it is granted.
  const r3 = request(s4, R2, { currentEpoch: 4n }, T0 + 4000);
  assert.equal(r3.state.lastVoteEpoch, 4);
  assert.ok(r3.effects.some((e) => e.kind === "send"));
});

Deno.test("vote: the master must be FAIL unless FORCEACK; requester must be a replica", () => {
  const up = updateNode(state(), A, { flags: NodeFlags.MASTER });
  assert.deepEqual(checkFailoverVote(up, R1, header(R1), T0, 2000), {
    vote: false,
    reason: `Failover auth denied to ${R1}: its master is up`,
  });
  assert.deepEqual(
    checkFailoverVote(up, R1, header(R1, { mflags: MSGFLAG0_FORCEACK }), T0, 2000),
    { vote: true },
  );
  assert.deepEqual(checkFailoverVote(state(), B, header(B), T0, 2000), {
    vote: false,
    reason: `Failover auth denied to ${B}: it is a master node`,
  });
  const orphan = updateNode(state(), R1, { masterId: null });
  assert.deepEqual(checkFailoverVote(orphan, R1, header(R1), T0, 2000), {
    vote: false,
    reason: `Failover auth denied to ${R1}: I don't know its master`,
  });
});

Deno.test("vote: only masters with slots vote (silently), request epoch must not be older", () => {
  const replica = updateNode(
    makeState({ id: ME, flags: NodeFlags.SLAVE | NodeFlags.MYSELF, masterId: B }, [
      { id: A, slotRange: [100, 199], flags: NodeFlags.MASTER | NodeFlags.FAIL },
      { id: R1, flags: NodeFlags.SLAVE, masterId: A },
      { id: B, slotRange: [200, 299] },
    ], { currentEpoch: 3 }),
    ME,
    {},
  );
  assert.deepEqual(checkFailoverVote(replica, R1, header(R1), T0, 2000), {
    vote: false,
    reason: null,
  });
  const noSlots = makeState({ id: ME }, [
    { id: A, slotRange: [100, 199], flags: NodeFlags.MASTER | NodeFlags.FAIL },
    { id: R1, flags: NodeFlags.SLAVE, masterId: A },
  ], { currentEpoch: 3 });
  assert.deepEqual(checkFailoverVote(noSlots, R1, header(R1), T0, 2000), {
    vote: false,
    reason: null,
  });
  const r = request(noSlots, R1);
  assert.deepEqual(r.effects, []);
  const ahead = { ...state(), currentEpoch: 5 };
  assert.deepEqual(checkFailoverVote(ahead, R1, header(R1), T0, 2000), {
    vote: false,
    reason: `Failover auth denied to ${R1}: reqEpoch (3) < curEpoch(5)`,
  });
});

Deno.test("vote: claimed slots served with a newer configEpoch are refused; unclaimed are fine", () => {
  // Slot 150 already moved to B at configEpoch 2 > request's configEpoch 1.
  let s = state();
  const req = header(R1, { configEpoch: 1n });
  s = updateNode(s, A, { configEpoch: 1 });
  assert.deepEqual(checkFailoverVote(s, R1, req, T0, 2000), { vote: true });
  const claimsB = header(R1, { configEpoch: 1n, myslots: slotBitmapFromRanges([[100, 250]]) });
  assert.deepEqual(checkFailoverVote(s, R1, claimsB, T0, 2000), {
    vote: false,
    reason: `Failover auth denied to ${R1}: slot 200 epoch (2) > reqEpoch (1)`,
  });
  // B stopped claiming 200..250 (7.0 owner_not_claiming_slot): they count as unowned.
  const changes: [number, string][] = [];
  for (let j = 200; j <= 250; j++) changes.push([j, B]);
  s = setOwnerNotClaiming(s, changes);
  assert.deepEqual(checkFailoverVote(s, R1, claimsB, T0, 2000), { vote: true });
});

Deno.test("vote: a paused master (manual failover) sends its ACK with PAUSED", () => {
  const s = withFailoverVars(state(), { mfEndMs: T0 + 5000, mfReplicaId: R1 });
  const r = request(updateNode(s, A, { flags: NodeFlags.MASTER }), R1, {
    mflags: MSGFLAG0_FORCEACK,
  });
  const ack = r.effects.find((e) => e.kind === "send");
  assert.ok(ack && ack.kind === "send");
  assert.equal(ack.message.header.mflags, MSGFLAG0_PAUSED);
});

Deno.test("vote: requests from unknown senders are ignored", () => {
  const r = request(state(), ID("e"));
  assert.deepEqual(r.effects, []);
  assert.equal(r.state.lastVoteEpoch, 0);
});
