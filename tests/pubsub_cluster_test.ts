/**
 * Pub/Sub across a cluster, checked against real redis-server 7.0 nodes:
 *
 * - The same scenario runs on a six-node cluster of real redis-server nodes (3 masters + 3
 *   replicas, when installed) and on six of ours, and must give the same transcript: PUBLISH
 *   fan-out to SUBSCRIBE and PSUBSCRIBE clients (RESP2 and RESP3) on every node, PUBLISH's local
 *   receiver count, local PUBSUB NUMSUB/NUMPAT/CHANNELS; sharded Pub/Sub routing (MOVED,
 *   CROSSSLOT, served by the owner's replica), SPUBLISH reaching the shard's replica and back;
 *   a slot migration (SETSLOT IMPORTING/MIGRATING/NODE as redis-cli --cluster reshard does) with
 *   the `sunsubscribe` pushes the old shard's subscribers get, and the new shard serving the
 *   channel afterwards; a manual failover (the old master's shard subscribers are dropped, the
 *   promoted replica's are kept); CLUSTER RESET of a replica (its shard subscribers are kept).
 *   Every expectation is also asserted on its own, so the scenario checks ours without
 *   redis-server too.
 * - A mixed cluster (two of ours, two real nodes, each shard mixing both): bus PUBLISH and
 *   PUBLISHSHARD in both directions, binary-safe and large, counted by CLUSTER INFO.
 * - Shard channels while the cluster is down (cluster-allow-pubsubshard-when-down), one node of
 *   each kind.
 *
 * Synchronisation is on frames (each expected frame is read; a frame that must not arrive is
 * checked by reading a later frame sent along the same path) and on polled cluster state.
 */

import assert from "node:assert/strict";
import { haveRedisServer, spawnNode, spawnRedis, startNode, waitFor } from "./harness.ts";
import { call, nodesOf, stopAll } from "./cluster_fixture.ts";
import {
  channelIn,
  Conn,
  DIRECTIVES,
  frame,
  type SixNodes,
  sixNodes,
  Transcript,
  waitAgreed,
  waitOwner,
} from "./pubsub_cluster_fixture.ts";
import { keyHashSlotBinary } from "../protocol/slot.ts";

const HAVE_REDIS = haveRedisServer();
const opts = { sanitizeOps: false, sanitizeResources: false };

// ---------------------------------------------------------------- the scenario

const CH_A = channelIn("orders", 0, 5460);
const SLOT_A = keyHashSlotBinary(CH_A);
const CH_B = channelIn("audit", 0, 5460, [SLOT_A]);
const CH_C = channelIn("events", 5461, 10922);
const CH_D = channelIn("alerts", 10923, 16383);

async function scenario(cl: SixNodes): Promise<string[]> {
  const [M0, M1, M2] = cl.masters;
  const [R0, R1, R2] = cl.replicas;
  const nodes = { M0, M1, M2, R0, R1, R2 };
  const roleOfPort = new Map(Object.entries(nodes).map(([r, n]) => [n.port, r]));
  const roleOfId = new Map(Object.entries(nodes).map(([r, n]) => [n.id, r]));
  const t = new Transcript(roleOfPort, roleOfId);
  const conns: Conn[] = [];
  const open = async (name: string, port: number, proto: 2 | 3) => {
    const c = await Conn.open(t, name, port, proto);
    conns.push(c);
    return c;
  };
  try {
    // ------------------------------------------------ 1. PUBLISH reaches every node
    const subs: Conn[] = [];
    for (const [role, n] of Object.entries(nodes)) {
      const s2 = await open(`${role}.sub2`, n.port, 2);
      await s2.expect(frame(2, "subscribe", "news", 1), "SUBSCRIBE", "news");
      const s3 = await open(`${role}.sub3`, n.port, 3);
      await s3.expect(frame(3, "subscribe", "news", 1), "SUBSCRIBE", "news");
      const p2 = await open(`${role}.psub2`, n.port, 2);
      await p2.expect(frame(2, "psubscribe", "ne*", 1), "PSUBSCRIBE", "ne*");
      const p3 = await open(`${role}.psub3`, n.port, 3);
      await p3.expect(frame(3, "psubscribe", "n?ws", 1), "PSUBSCRIBE", "n?ws");
      // One client with a channel and a matching pattern gets both frames.
      await p3.expect(frame(3, "subscribe", "news", 2), "SUBSCRIBE", "news");
      subs.push(s2, s3, p2, p3);
    }
    // A channel with a subscriber on M1 only.
    const lone = await open("M1.lone", M1.port, 3);
    await lone.expect(frame(3, "subscribe", "solo", 1), "SUBSCRIBE", "solo");

    const admin: Record<string, Conn> = {};
    for (const [role, n] of Object.entries(nodes)) admin[role] = await open(role, n.port, 2);

    for (const role of Object.keys(nodes)) {
      // Local receivers only: 3 channel subscriptions + 2 pattern subscriptions on each node.
      await admin[role].expect(":5", "PUBLISH", "news", `from-${role}`);
      for (const s of subs) {
        const proto = s.proto;
        if (s.name.endsWith(".sub2") || s.name.endsWith(".sub3")) {
          await s.next(frame(proto, "message", "news", `from-${role}`));
        } else if (s.name.endsWith(".psub2")) {
          await s.next(frame(proto, "pmessage", "ne*", "news", `from-${role}`));
        } else {
          await s.next(frame(proto, "message", "news", `from-${role}`));
          await s.next(frame(proto, "pmessage", "n?ws", "news", `from-${role}`));
        }
      }
    }
    // No local subscriber: PUBLISH says 0, the subscriber on M1 still gets it (pattern ne* does
    // not match "solo").
    await admin.R2.expect(":0", "PUBLISH", "solo", "far");
    await lone.next(frame(3, "message", "solo", "far"));
    await admin.M1.expect(":1", "PUBLISH", "solo", "near");
    await lone.next(frame(3, "message", "solo", "near"));
    for (const role of Object.keys(nodes)) {
      const soloSubs = role === "M1" ? 1 : 0;
      await admin[role].expect(
        `["news",:3,"solo",:${soloSubs},"nope",:0]`,
        "PUBSUB",
        "NUMSUB",
        "news",
        "solo",
        "nope",
      );
      await admin[role].expect(":2", "PUBSUB", "NUMPAT");
    }
    await admin.M0.expect(`["news"]`, "PUBSUB", "CHANNELS");
    await admin.M1.expect(`["news"]`, "PUBSUB", "CHANNELS", "n*");

    // ------------------------------------------------ 2. Sharded Pub/Sub and its routing
    const movedA = (to: string) => `-MOVED ${SLOT_A} ${to}`;
    const slotC = keyHashSlotBinary(CH_C);
    await admin.M1.expect(movedA("M0"), "SSUBSCRIBE", CH_A);
    await admin.R1.expect(movedA("M0"), "SSUBSCRIBE", CH_A);
    await admin.M2.expect(movedA("M0"), "SPUBLISH", CH_A, "x");
    await admin.M0.expect(`-MOVED ${slotC} M1`, "SSUBSCRIBE", CH_C);
    const crossslot = "-CROSSSLOT Keys in request don't hash to the same slot";
    await admin.M0.expect(crossslot, "SSUBSCRIBE", CH_A, CH_B);
    await admin.M0.expect(crossslot, "SSUBSCRIBE", CH_A, CH_C);
    // The owner and its replica serve the channel, in both protocols.
    const m0s2 = await open("M0.ssub2", M0.port, 2);
    await m0s2.expect(frame(2, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    await m0s2.expect(frame(2, "ssubscribe", CH_B, 2), "SSUBSCRIBE", CH_B);
    // Redirected in the RESP2 Pub/Sub context too.
    await m0s2.expect(`-MOVED ${slotC} M1`, "SSUBSCRIBE", CH_C);
    const m0s3 = await open("M0.ssub3", M0.port, 3);
    await m0s3.send("SSUBSCRIBE", CH_A, CH_A);
    await m0s3.next(frame(3, "ssubscribe", CH_A, 1));
    await m0s3.next(frame(3, "ssubscribe", CH_A, 1));
    const r0s2 = await open("R0.ssub2", R0.port, 2);
    await r0s2.expect(frame(2, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    const r0s3 = await open("R0.ssub3", R0.port, 3);
    await r0s3.expect(frame(3, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    // Shard subscriptions count apart from channels and patterns.
    await r0s3.expect(frame(3, "subscribe", "news", 1), "SUBSCRIBE", "news");
    for (const role of ["M0", "R0"]) {
      await admin[role].expect(
        `["${CH_A}",:2,"${CH_B}",:${role === "M0" ? 1 : 0}]`,
        "PUBSUB",
        "SHARDNUMSUB",
        CH_A,
        CH_B,
      );
    }
    for (const role of ["M1", "M2", "R1", "R2"]) {
      await admin[role].expect(`["${CH_A}",:0]`, "PUBSUB", "SHARDNUMSUB", CH_A);
      await admin[role].expect("[]", "PUBSUB", "SHARDCHANNELS");
    }
    await admin.R0.expect(`["${CH_A}"]`, "PUBSUB", "SHARDCHANNELS");
    // SPUBLISH on the master reaches the replica's subscribers (PUBLISHSHARD), and back.
    await admin.M0.expect(":2", "SPUBLISH", CH_A, "s1");
    for (const s of [m0s2, m0s3, r0s2, r0s3]) await s.next(frame(s.proto, "smessage", CH_A, "s1"));
    await admin.R0.expect(":2", "SPUBLISH", CH_A, "s2");
    for (const s of [m0s2, m0s3, r0s2, r0s3]) await s.next(frame(s.proto, "smessage", CH_A, "s2"));
    // A plain PUBLISH on a shard channel's name reaches no shard subscriber (the next frame on
    // M0.ssub2 is the later SPUBLISH, sent along the same path).
    await admin.M0.expect(":0", "PUBLISH", CH_A, "plain");
    await admin.R0.expect(":0", "SPUBLISH", CH_B, "b1");
    await m0s2.next(frame(2, "smessage", CH_B, "b1"));

    // ------------------------------------------------ 3. Migrating the channel's slot M0 -> M1
    await admin.M1.expect("+OK", "CLUSTER", "SETSLOT", String(SLOT_A), "IMPORTING", M0.id);
    await admin.M0.expect("+OK", "CLUSTER", "SETSLOT", String(SLOT_A), "MIGRATING", M1.id);
    // The owner keeps serving the channel until the migration ends; the target redirects.
    const m0mig = await open("M0.mig", M0.port, 3);
    await m0mig.expect(frame(3, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    await admin.M1.expect(movedA("M0"), "SSUBSCRIBE", CH_A);
    await admin.M0.expect(":3", "SPUBLISH", CH_A, "m1");
    for (const s of [m0s2, m0s3, m0mig, r0s2, r0s3]) {
      await s.next(frame(s.proto, "smessage", CH_A, "m1"));
    }
    // ASKING at the importing node serves it there.
    const m1ask = await open("M1.ask", M1.port, 2);
    await m1ask.expect("+OK", "ASKING");
    await m1ask.expect(frame(2, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    // As redis-cli does: the target first, then the source, then the other master.
    await admin.M1.expect("+OK", "CLUSTER", "SETSLOT", String(SLOT_A), "NODE", M1.id);
    await admin.M0.expect("+OK", "CLUSTER", "SETSLOT", String(SLOT_A), "NODE", M1.id);
    await admin.M2.expect("+OK", "CLUSTER", "SETSLOT", String(SLOT_A), "NODE", M1.id);
    // The old shard's subscribers are told (clusterDelSlot -> removeChannelsInSlot), the master
    // at once, its replica once it learns the new owner.
    await m0s2.next(frame(2, "sunsubscribe", CH_A, 1));
    await m0s3.next(frame(3, "sunsubscribe", CH_A, 0));
    await m0mig.next(frame(3, "sunsubscribe", CH_A, 0));
    await r0s2.next(frame(2, "sunsubscribe", CH_A, 0));
    await r0s3.next(frame(3, "sunsubscribe", CH_A, 0));
    // A RESP2 client left with no subscription is out of the Pub/Sub context; one holding a
    // shard channel still is.
    await r0s2.expect("+PONG", "PING");
    await m0s2.expect(`["pong",""]`, "PING");
    await admin.M0.expect(`["${CH_A}",:0,"${CH_B}",:1]`, "PUBSUB", "SHARDNUMSUB", CH_A, CH_B);
    await admin.R0.expect(`[]`, "PUBSUB", "SHARDCHANNELS");
    await waitOwner(Object.values(nodes).map((n) => n.port), SLOT_A, M1.id);
    // The new shard serves it: the master and its replica; the old shard redirects.
    await admin.M0.expect(movedA("M1"), "SSUBSCRIBE", CH_A);
    await admin.R0.expect(movedA("M1"), "SSUBSCRIBE", CH_A);
    await admin.R2.expect(movedA("M1"), "SPUBLISH", CH_A, "x");
    const m1s = await open("M1.ssub", M1.port, 3);
    await m1s.expect(frame(3, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    const r1s = await open("R1.ssub", R1.port, 2);
    await r1s.expect(frame(2, "ssubscribe", CH_A, 1), "SSUBSCRIBE", CH_A);
    await admin.M1.expect(":2", "SPUBLISH", CH_A, "after");
    for (const s of [m1ask, m1s, r1s]) await s.next(frame(s.proto, "smessage", CH_A, "after"));
    // The old shard's former subscribers get nothing more: their next frame is a later message.
    await admin.R0.expect(":0", "SPUBLISH", CH_B, "b2");
    await m0s2.next(frame(2, "smessage", CH_B, "b2"));
    // R0.ssub3 still holds "news": it stays subscribed, and its next frame is this message.
    await admin.R0.expect(":6", "PUBLISH", "news", "end");
    await r0s3.next(frame(3, "message", "news", "end"));

    // ------------------------------------------------ 4. A manual failover in M2's shard
    // The promoted replica keeps its shard subscribers (it leaves its master's replica list
    // before it takes the slots over: clusterFailoverReplaceYourMaster); the old master drops
    // its own (clusterUpdateSlotsConfigWith -> clusterDelSlot) and serves them again as a
    // replica of the new owner.
    const m2s = await open("M2.ssub", M2.port, 2);
    await m2s.expect(frame(2, "ssubscribe", CH_D, 1), "SSUBSCRIBE", CH_D);
    const r2s = await open("R2.ssub", R2.port, 3);
    await r2s.expect(frame(3, "ssubscribe", CH_D, 1), "SSUBSCRIBE", CH_D);
    await admin.M2.expect(":1", "SPUBLISH", CH_D, "f1");
    await m2s.next(frame(2, "smessage", CH_D, "f1"));
    await r2s.next(frame(3, "smessage", CH_D, "f1"));
    await admin.R2.expect("+OK", "CLUSTER", "FAILOVER");
    await m2s.next(frame(2, "sunsubscribe", CH_D, 0));
    // Once every node knows M2 as R2's replica, M2 serves the channel and R2 sends it SPUBLISH.
    const ports = Object.values(nodes).map((n) => n.port);
    await waitOwner(ports, keyHashSlotBinary(CH_D), R2.id);
    await waitAgreed(ports, 6);
    // R2 also sends f2 to its new replica M2 over the bus: M2 must have handled it before its
    // client subscribes again, or that subscriber would get f2 (the link is not the client's).
    const shardReceived = async () => {
      const info = await call(M2.port, "CLUSTER", "INFO") as string;
      return Number(/cluster_stats_messages_publishshard_received:(\d+)/.exec(info)?.[1] ?? 0);
    };
    const receivedBefore = await shardReceived();
    await admin.R2.expect(":1", "SPUBLISH", CH_D, "f2");
    await r2s.next(frame(3, "smessage", CH_D, "f2"));
    await waitFor(
      "M2 handled f2's PUBLISHSHARD",
      async () => await shardReceived() > receivedBefore,
    );
    await admin.M2.expect(`["${CH_D}",:0]`, "PUBSUB", "SHARDNUMSUB", CH_D);
    await m2s.expect(frame(2, "ssubscribe", CH_D, 1), "SSUBSCRIBE", CH_D);
    await admin.R2.expect(":1", "SPUBLISH", CH_D, "f3");
    await m2s.next(frame(2, "smessage", CH_D, "f3"));
    await r2s.next(frame(3, "smessage", CH_D, "f3"));

    // ------------------------------------------------ 5. CLUSTER RESET on a replica
    // It turns into a master without slots; no slot leaves a shard it is in (clusterReset makes
    // it a master first, then unassigns every slot), so its shard subscribers stay.
    await admin.R1.expect("+OK", "CLUSTER", "RESET", "SOFT");
    await r1s.expect(`["pong",""]`, "PING");
    await admin.R1.expect(`["${CH_A}",:1]`, "PUBSUB", "SHARDNUMSUB", CH_A);
    return t.lines;
  } finally {
    for (const c of conns) c.close();
  }
}

let realTranscript: string[] | null = null;

Deno.test({
  name: "pubsub cluster: six real redis-server nodes, the reference transcript",
  ignore: !HAVE_REDIS,
  ...opts,
  async fn() {
    const cl = await sixNodes("real");
    try {
      realTranscript = await scenario(cl);
    } finally {
      await stopAll(cl.procs);
    }
  },
});

Deno.test({
  name:
    "pubsub cluster: six of ours (3 masters + 3 replicas): PUBLISH fan-out, local counts, sharded routing, SPUBLISH to replicas, sunsubscribe on slot migration, failover and replica reset; same transcript as redis-server",
  ...opts,
  async fn() {
    const cl = await sixNodes("ours");
    try {
      const ours = await scenario(cl);
      if (realTranscript !== null) assert.deepEqual(ours, realTranscript);
    } finally {
      await stopAll(cl.procs);
    }
  },
});

Deno.test({
  name:
    "pubsub cluster: mixed with real redis-server nodes (each shard one of ours + one real): PUBLISH and PUBLISHSHARD both ways",
  ignore: !HAVE_REDIS,
  ...opts,
  async fn() {
    // A (ours) and B (real) are masters; C (real) replicates A, D (ours) replicates B.
    const procs = await Promise.all([
      spawnNode(DIRECTIVES),
      spawnRedis(DIRECTIVES),
      spawnRedis(DIRECTIVES),
      spawnNode(DIRECTIVES),
    ]);
    const conns: Conn[] = [];
    try {
      const [A, B, C, D] = procs.map((p) => p.port);
      const ids = await Promise.all(procs.map((p) => call(p.port, "CLUSTER", "MYID"))) as string[];
      assert.equal(await call(A, "CLUSTER", "ADDSLOTSRANGE", "0", "8191"), "OK");
      assert.equal(await call(B, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383"), "OK");
      // Ours meets a real node and a real node meets ours.
      assert.equal(await call(A, "CLUSTER", "MEET", "127.0.0.1", String(B)), "OK");
      assert.equal(await call(C, "CLUSTER", "MEET", "127.0.0.1", String(A)), "OK");
      assert.equal(await call(D, "CLUSTER", "MEET", "127.0.0.1", String(B)), "OK");
      await waitFor(
        "4 nodes know each other",
        async () => {
          for (const p of [A, B, C, D]) {
            const ls = await nodesOf(p);
            if (ls.length !== 4 || ls.some((l) => l.flags.includes("handshake"))) return false;
          }
          return true;
        },
        30_000,
        100,
      );
      assert.equal(await call(C, "CLUSTER", "REPLICATE", ids[0]), "OK");
      assert.equal(await call(D, "CLUSTER", "REPLICATE", ids[1]), "OK");
      await waitAgreed([A, B, C, D], 4);
      await waitOwner([A, B, C, D], 0, ids[0]);

      const roles = new Map([[A, "A"], [B, "B"], [C, "C"], [D, "D"]]);
      const roleToPort = (r: string) => [A, B, C, D]["ABCD".indexOf(r)];
      const t = new Transcript(roles, new Map(ids.map((id, i) => [id, "ABCD"[i]])));
      const open = async (name: string, port: number, proto: 2 | 3) => {
        const c = await Conn.open(t, name, port, proto);
        conns.push(c);
        return c;
      };
      const admin: Record<string, Conn> = {};
      const subs: Conn[] = [];
      for (const [port, role] of roles) {
        admin[role] = await open(role, port, 2);
        const s = await open(`${role}.sub`, port, 2);
        await s.expect(frame(2, "subscribe", "news", 1), "SUBSCRIBE", "news");
        const p = await open(`${role}.psub`, port, 3);
        await p.expect(frame(3, "psubscribe", "n*", 1), "PSUBSCRIBE", "n*");
        subs.push(s, p);
      }
      // Binary-safe and large: a channel with NUL and 0xff bytes, a 100 KB message.
      const bin = "n\u0000\u00ff\r\nbin";
      const big = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(i * 7 % 256))
        .join("");
      for (const role of ["A", "B", "C", "D"]) {
        await admin[role].expect(":2", "PUBLISH", "news", `from-${role}`);
        await admin[role].expect(":1", "PUBLISH", bin, big + role);
        for (const s of subs) {
          if (s.name.endsWith(".sub")) {
            await s.next(frame(2, "message", "news", `from-${role}`));
          } else {
            await s.next(frame(3, "pmessage", "n*", "news", `from-${role}`));
            await s.next(frame(3, "pmessage", "n*", bin, big + role));
          }
        }
      }
      for (const role of ["A", "B", "C", "D"]) {
        await admin[role].expect(`["news",:1]`, "PUBSUB", "NUMSUB", "news");
      }

      // Shard channels: SA in A's shard (A ours, C real), SB in B's (B real, D ours).
      const SA = channelIn("sa", 0, 8191);
      const SB = channelIn("sb", 8192, 16383);
      await admin.B.expect(`-MOVED ${keyHashSlotBinary(SA)} A`, "SSUBSCRIBE", SA);
      await admin.D.expect(`-MOVED ${keyHashSlotBinary(SA)} A`, "SSUBSCRIBE", SA);
      await admin.A.expect(`-MOVED ${keyHashSlotBinary(SB)} B`, "SSUBSCRIBE", SB);
      const aS = await open("A.ssub", A, 3);
      await aS.expect(frame(3, "ssubscribe", SA, 1), "SSUBSCRIBE", SA);
      const cS = await open("C.ssub", C, 2);
      await cS.expect(frame(2, "ssubscribe", SA, 1), "SSUBSCRIBE", SA);
      const bS = await open("B.ssub", B, 2);
      await bS.expect(frame(2, "ssubscribe", SB, 1), "SSUBSCRIBE", SB);
      const dS = await open("D.ssub", D, 3);
      await dS.expect(frame(3, "ssubscribe", SB, 1), "SSUBSCRIBE", SB);
      // Our master -> real replica, real replica -> our master, real master -> our replica, our
      // replica -> real master.
      for (const [from, ch, to] of [["A", SA, cS], ["C", SA, aS], ["B", SB, dS], ["D", SB, bS]]) {
        const from_ = from as string;
        const ch_ = ch as string;
        const to_ = to as Conn;
        await admin[from_].expect(":1", "SPUBLISH", ch_, `s-${from_}`);
        const local = { A: aS, C: cS, B: bS, D: dS }[from_]!;
        await local.next(frame(local.proto, "smessage", ch_, `s-${from_}`));
        await to_.next(frame(to_.proto, "smessage", ch_, `s-${from_}`));
        await admin[from_].expect(":1", "SPUBLISH", ch_, bin + big);
        await local.next(frame(local.proto, "smessage", ch_, bin + big));
        await to_.next(frame(to_.proto, "smessage", ch_, bin + big));
      }
      // Each node got every PUBLISH once from each other node, and PUBLISHSHARD only from its own
      // shard (bus message counters, CLUSTER INFO). A last PUBLISH from every node, read on
      // every node, first: each link is FIFO, so all earlier packets have been processed.
      for (const role of ["A", "B", "C", "D"]) {
        await admin[role].expect(":2", "PUBLISH", "news", `end-${role}`);
        for (const s of subs) {
          if (s.name.endsWith(".sub")) await s.next(frame(2, "message", "news", `end-${role}`));
          else await s.next(frame(3, "pmessage", "n*", "news", `end-${role}`));
        }
      }
      // Each node sent 3 PUBLISH (news, the binary one, the last one) to each of the 3 others,
      // and 2 SPUBLISH, as PUBLISHSHARD to the other node of its shard only.
      const shardSent = 2;
      for (const role of ["A", "B", "C", "D"]) {
        const info = await call(roleToPort(role), "CLUSTER", "INFO") as string;
        const stat = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? 0);
        assert.equal(stat("cluster_stats_messages_publish_received"), 3 * 3, `${role}: publish`);
        assert.equal(stat("cluster_stats_messages_publish_sent"), 3 * 3, `${role}: publish sent`);
        assert.equal(stat("cluster_stats_messages_publishshard_sent"), shardSent, `${role}: sent`);
        assert.equal(
          stat("cluster_stats_messages_publishshard_received"),
          shardSent,
          `${role}: publishshard from its shard only`,
        );
      }
    } finally {
      for (const c of conns) c.close();
      await stopAll(procs);
    }
  },
});

/** One node owning half the slots (cluster_state:fail): shard channels while the cluster is down. */
async function downScenario(port: number): Promise<string[]> {
  const t = new Transcript(new Map([[port, "N"]]), new Map());
  const conns: Conn[] = [];
  const open = async (name: string, proto: 2 | 3) => {
    const c = await Conn.open(t, name, port, proto);
    conns.push(c);
    return c;
  };
  try {
    const admin = await open("admin", 2);
    await admin.expect("+OK", "CLUSTER", "ADDSLOTSRANGE", "0", "8191");
    const served = channelIn("up", 0, 8191);
    const unserved = channelIn("off", 8192, 16383);
    const sub = await open("sub", 2);
    // cluster-allow-pubsubshard-when-down yes (the default): served while down.
    await sub.expect(frame(2, "ssubscribe", served, 1), "SSUBSCRIBE", served);
    await admin.expect("-CLUSTERDOWN Hash slot not served", "SSUBSCRIBE", unserved);
    await admin.expect(":1", "SPUBLISH", served, "x");
    await sub.next(frame(2, "smessage", served, "x"));
    await admin.expect(":0", "PUBLISH", "news", "x");
    await admin.expect("-CLUSTERDOWN The cluster is down", "GET", served);
    await admin.expect("+OK", "CONFIG", "SET", "cluster-allow-pubsubshard-when-down", "no");
    const sub3 = await open("sub3", 3);
    await sub3.expect("-CLUSTERDOWN The cluster is down", "SSUBSCRIBE", served);
    await admin.expect("-CLUSTERDOWN The cluster is down", "SPUBLISH", served, "y");
    await sub.expect("-CLUSTERDOWN The cluster is down", "SUNSUBSCRIBE", served);
    await sub.expect(`["pong",""]`, "PING");
    await sub.expect(frame(2, "sunsubscribe", served, 0), "SUNSUBSCRIBE");
    await admin.expect(":0", "PUBLISH", "news", "y");
    return t.lines;
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test({
  name:
    "pubsub cluster: shard channels while the cluster is down (cluster-allow-pubsubshard-when-down yes/no), as redis-server",
  ...opts,
  async fn() {
    let real: string[] | null = null;
    if (HAVE_REDIS) {
      const r = await spawnRedis({ "cluster-enabled": "yes" });
      try {
        real = await downScenario(r.port);
      } finally {
        await r.stop();
      }
    }
    const node = await startNode({ "cluster-enabled": "yes" });
    try {
      const ours = await downScenario(node.port);
      if (real !== null) assert.deepEqual(ours, real);
    } finally {
      await node.stop();
    }
  },
});
