/**
 * Unit tests of the manual failover rules (manual_failover.ts): the MFSTART handshake on both
 * sides, PAUSED, the offset agreement, FORCEACK, timeouts, and CLUSTER FAILOVER's errors.
 */

import assert from "node:assert/strict";
import {
  type BusHeader,
  type BusMessage,
  MSGFLAG0_FORCEACK,
  MSGFLAG0_PAUSED,
} from "../protocol/bus.ts";
import { CFG, ID, makeState, T0 } from "../tests/bus_fixtures.ts";
import { buildHeader } from "./bus_header_build.ts";
import { setMyMaster } from "./bus_node_ops.ts";
import {
  clusterFailoverCommand,
  type FailoverContext,
  failoverCron,
  type FailoverEffect,
  failoverVars,
  headerPaused,
  parseFailoverOption,
  receiveFailoverMessage,
} from "./failover_rules.ts";
import { Prng } from "./prng.ts";
import { type ClusterState, isMaster, myself, NodeFlags, unassignSlots } from "./state.ts";

const M = ID("a"); // master, slots 0..99
const R = ID("b"); // its replica
const O = ID("c"); // another master

function ctx(nowMs: number, over: Partial<FailoverContext> = {}): FailoverContext {
  return {
    ...CFG,
    nowMs,
    timerNowMs: nowMs,
    rng: new Prng(3),
    links: new Map([[M, {}], [R, {}], [O, {}]]),
    replication: { linkUp: true, lastInteractionMs: nowMs, downSinceMs: 0 },
    replOffset: 1000,
    replicaValidityFactor: 10,
    replPingReplicaPeriodSec: 10,
    replicaNoFailover: false,
    migrationBarrier: 1,
    ...over,
  };
}

function masterState(): ClusterState {
  return makeState({ id: M, slotRange: [0, 99], configEpoch: 1 }, [
    { id: R, flags: NodeFlags.SLAVE, masterId: M },
    { id: O, slotRange: [100, 16383], configEpoch: 2 },
  ], { currentEpoch: 2, size: 2, health: "ok" });
}

function replicaState(): ClusterState {
  return makeState({ id: R, flags: NodeFlags.SLAVE | NodeFlags.MYSELF, masterId: M }, [
    { id: M, slotRange: [0, 99], configEpoch: 1 },
    { id: O, slotRange: [100, 16383], configEpoch: 2 },
  ], { currentEpoch: 2, size: 2, health: "ok" });
}

function packet(type: "MFSTART" | "PING", header: BusHeader, nowMs: number, s: ClusterState) {
  const msg: BusMessage = type === "PING"
    ? { type, header, gossip: [], extensions: [] }
    : { type, header };
  return receiveFailoverMessage(s, msg, { ...ctx(nowMs), link: { kind: "inbound", nodeId: null } });
}

function logs(effects: FailoverEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === "log" ? [e.text] : []));
}

Deno.test("manual failover: option parsing and CLUSTER FAILOVER errors", () => {
  assert.equal(parseFailoverOption("FORCE"), "force");
  assert.equal(parseFailoverOption("takeover"), "takeover");
  assert.equal(parseFailoverOption("bogus"), null);
  const onMaster = clusterFailoverCommand(masterState(), "default", ctx(T0));
  assert.deepEqual(onMaster, { error: "ERR You should send CLUSTER FAILOVER to a replica" });
  const unknown = makeState({ id: R, flags: NodeFlags.SLAVE | NodeFlags.MYSELF, masterId: null });
  assert.deepEqual(clusterFailoverCommand(unknown, "force", ctx(T0)), {
    error: "ERR I'm a replica but my master is unknown to me",
  });
  const noLink = clusterFailoverCommand(replicaState(), "default", ctx(T0, { links: new Map() }));
  assert.deepEqual(noLink, {
    error: "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE",
  });
});

Deno.test("manual failover: the full handshake, replica and master side", () => {
  // Replica: CLUSTER FAILOVER -> MFSTART to the master.
  const c = clusterFailoverCommand(replicaState(), "default", ctx(T0));
  assert.ok("state" in c);
  let rs = c.state;
  assert.equal(failoverVars(rs).mfEndMs, T0 + 5000);
  const mfstart = c.effects.find((e) => e.kind === "send");
  assert.ok(mfstart && mfstart.kind === "send" && mfstart.to === M);
  assert.equal(mfstart.message.type, "MFSTART");
  assert.deepEqual(logs(c.effects), ["Manual failover user request accepted."]);

  // Master: MFSTART from its replica -> pause 10 s, PING with PAUSED on the same link.
  let ms = masterState();
  const m1 = packet("MFSTART", mfstart.message.header, T0 + 1, ms);
  ms = m1.state;
  assert.equal(failoverVars(ms).mfReplicaId, R);
  assert.equal(failoverVars(ms).mfEndMs, T0 + 5001);
  assert.ok(headerPaused(ms));
  assert.deepEqual(m1.effects.find((e) => e.kind === "pauseWrites"), {
    kind: "pauseWrites",
    untilMs: T0 + 1 + 10000,
  });
  const ping = m1.effects.find((e) => e.kind === "reply");
  assert.ok(ping && ping.kind === "reply" && ping.message.type === "PING");
  assert.equal(ping.message.header.mflags, MSGFLAG0_PAUSED);
  assert.ok(logs(m1.effects).includes(`Manual failover requested by replica ${R}.`));

  // Master cron: PINGs the replica every tick, PAUSED.
  const mc = failoverCron(ms, ctx(T0 + 100));
  const cronPing = mc.effects.find((e) => e.kind === "send");
  assert.ok(cronPing && cronPing.kind === "send" && cronPing.to === R);
  assert.equal(cronPing.message.header.mflags & MSGFLAG0_PAUSED, MSGFLAG0_PAUSED);

  // Replica: the PAUSED packet tells offset 1200; own offset 1000: wait.
  const hdr = { ...ping.message.header, offset: 1200n };
  let r1 = packet("PING", hdr, T0 + 2, rs);
  rs = r1.state;
  assert.equal(failoverVars(rs).mfMasterOffset, 1200);
  assert.ok(
    logs(r1.effects).includes(
      "Received replication offset for paused master manual failover: 1200",
    ),
  );
  assert.equal(r1.effects.filter((e) => e.kind === "broadcast").length, 0);
  // A second PAUSED packet does not overwrite it.
  rs = packet("PING", { ...hdr, offset: 1300n }, T0 + 3, rs).state;
  assert.equal(failoverVars(rs).mfMasterOffset, 1200);
  // Replication catches up: the cron sees offset 1200 -> election at once, with FORCEACK.
  r1 = failoverCron(rs, ctx(T0 + 100, { replOffset: 1200 }));
  rs = r1.state;
  assert.ok(
    logs(r1.effects).includes(
      "All master replication stream processed, manual failover can start.",
    ),
  );
  assert.ok(
    logs(r1.effects).includes(
      "Start of election delayed for 0 milliseconds (rank #0, offset 1200).",
    ),
  );
  const req = r1.effects.find((e) => e.kind === "broadcast");
  assert.ok(req && req.kind === "broadcast" && req.message.type === "FAILOVER_AUTH_REQUEST");
  assert.equal(req.message.header.mflags, MSGFLAG0_FORCEACK);
  assert.equal(rs.currentEpoch, 3);

  // The master votes although it is not FAIL (FORCEACK); its ACK carries PAUSED.
  const v = receiveFailoverMessage(ms, {
    type: "FAILOVER_AUTH_REQUEST",
    header: req.message.header,
  }, {
    ...ctx(T0 + 101),
    link: { kind: "inbound", nodeId: R },
  });
  const ackEff = v.effects.find((e) => e.kind === "send");
  assert.ok(ackEff && ackEff.kind === "send" && ackEff.message.type === "FAILOVER_AUTH_ACK");
  assert.equal(ackEff.message.header.mflags, MSGFLAG0_PAUSED);
  ms = v.state;

  // The old master learns the new configuration (as bus receive does) -> reset + un-pause.
  let demoted = unassignSlots(ms, Array.from({ length: 100 }, (_, j) => j));
  demoted = setMyMaster(demoted, R);
  const after = failoverCron(demoted, ctx(T0 + 200));
  assert.ok(after.effects.some((e) => e.kind === "unpauseWrites"));
  assert.equal(failoverVars(after.state).mfEndMs, 0);
  assert.ok(!headerPaused(after.state));
});

Deno.test("manual failover: MFSTART from a node that is not my replica is ignored", () => {
  const hdr = buildHeader(makeState({ id: O, slotRange: [100, 200] }), { announcedIp: "" });
  const r = packet("MFSTART", hdr, T0, masterState());
  assert.deepEqual(r.effects, []);
  assert.equal(failoverVars(r.state).mfEndMs, 0);
});

Deno.test("manual failover: timeout resets both sides, the master un-pauses", () => {
  const c = clusterFailoverCommand(replicaState(), "default", ctx(T0));
  assert.ok("state" in c);
  const rs = failoverCron(c.state, ctx(T0 + 5001));
  assert.deepEqual(logs(rs.effects), ["Manual failover timed out."]);
  assert.equal(failoverVars(rs.state).mfEndMs, 0);

  const mfstart = c.effects.find((e) => e.kind === "send")!;
  assert.ok(mfstart.kind === "send");
  const m = packet("MFSTART", mfstart.message.header, T0, masterState());
  const mt = failoverCron(m.state, ctx(T0 + 5001));
  assert.ok(logs(mt.effects).includes("Manual failover timed out."));
  assert.ok(mt.effects.some((e) => e.kind === "unpauseWrites"));
  assert.ok(!headerPaused(mt.state));
});

Deno.test("manual failover: FORCE elects at the next cron; TAKEOVER promotes at once", () => {
  const f = clusterFailoverCommand(replicaState(), "force", ctx(T0));
  assert.ok("state" in f);
  assert.deepEqual(logs(f.effects), ["Forced failover user request accepted."]);
  assert.equal(f.effects.filter((e) => e.kind === "send").length, 0, "no MFSTART");
  const cr = failoverCron(f.state, ctx(T0 + 100));
  const req = cr.effects.find((e) => e.kind === "broadcast");
  assert.ok(req && req.kind === "broadcast" && req.message.header.mflags === MSGFLAG0_FORCEACK);

  const t = clusterFailoverCommand(replicaState(), "takeover", ctx(T0));
  assert.ok("state" in t);
  const me = myself(t.state);
  assert.ok(isMaster(me));
  assert.equal(me.configEpoch, 3, "bumped without consensus past the largest epoch");
  assert.equal(t.state.currentEpoch, 3);
  assert.equal(t.state.slotOwner.get(50), R);
  assert.equal(failoverVars(t.state).mfEndMs, 0);
  const l = logs(t.effects);
  assert.deepEqual(l.slice(0, 2), [
    "Taking over the master (user request).",
    "New configEpoch set to 3",
  ]);
  assert.ok(!l.some((x) => x.startsWith("Starting a failover election")));
  const pong = t.effects.find((e) => e.kind === "broadcast");
  assert.ok(pong && pong.kind === "broadcast" && pong.message.type === "PONG");
  assert.equal(pong.message.header.configEpoch, 3n);
  assert.ok(t.effects.some((e) => e.kind === "replicationUnsetMaster"));
  assert.deepEqual(t.effects.at(-1), { kind: "saveConfig", fsync: true });
});
