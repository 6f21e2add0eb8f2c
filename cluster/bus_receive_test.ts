import assert from "node:assert/strict";
import {
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
  type GossipEntry,
  type PingMessage,
  slotBitmapFromRanges,
} from "../protocol/bus.ts";
import type { BusEffect } from "./bus_effects.ts";
import { buildHeader, buildPingMessage } from "./bus_header_build.ts";
import { receive, type ReceiveContext, type ReceiveLink } from "./bus_receive.ts";
import { CFG, ID, makeState, T0 } from "../tests/bus_fixtures.ts";
import { Prng } from "./prng.ts";
import { assertInvariants, blacklistAdd, type ClusterState, NodeFlags } from "./state.ts";

const NOW = T0 + 10_000;

function ctx(link: ReceiveLink, extra: Partial<ReceiveContext> = {}): ReceiveContext {
  return {
    ...CFG,
    nowMs: NOW,
    link,
    peerIp: "127.0.0.9",
    localIp: "127.0.0.1",
    rng: new Prng(3),
    // The timer clock at the wall clock: the links' timers run out when Redis's comparisons hold.
    timerNowMs: NOW,
    ...extra,
  };
}

const INBOUND: ReceiveLink = { kind: "inbound", nodeId: null };

/** A message from peer `b` as its own state would build it. */
function fromPeer(
  peer: ClusterState,
  type: "PING" | "PONG" | "MEET",
  gossip: GossipEntry[] = [],
): PingMessage {
  const m = buildPingMessage(peer, type, new Prng(1), CFG);
  return { ...m, gossip };
}

function kinds(effects: BusEffect[]): string[] {
  return effects.filter((e) => e.kind !== "log").map((e) => e.kind);
}

function logs(effects: BusEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === "log" ? [e.text] : []));
}

const peerB = makeState({ id: ID("b"), port: 30001, cport: 40001, ip: "" });

Deno.test("MEET from an unknown sender: handshake node, own IP learned, PONG reply", () => {
  const me = makeState({ id: ID("a"), ip: "" });
  const r = receive(me, fromPeer(peerB, "MEET"), ctx(INBOUND));
  assert.equal(r.state.nodes.size, 2);
  const h = [...r.state.nodes.values()].find((n) => n.id !== ID("a"))!;
  assert.equal(h.flags, NodeFlags.HANDSHAKE);
  assert.notEqual(h.id, ID("b"));
  assert.equal(h.ip, "127.0.0.9");
  assert.equal(h.port, 30001);
  assert.equal(h.cport, 40001);
  assert.equal(r.state.nodes.get(ID("a"))!.ip, "127.0.0.1");
  assert.deepEqual(kinds(r.effects), ["reply", "saveConfig"]);
  const reply = r.effects.find((e) => e.kind === "reply")!;
  assert.ok(reply.kind === "reply" && reply.message.type === "PONG");
  assert.equal(reply.message.header.sender, ID("a"));
  assert.ok(logs(r.effects).includes("IP address for this node updated to 127.0.0.1"));
  // With an announced IP, the own IP is not learned.
  const r2 = receive(me, fromPeer(peerB, "MEET"), ctx(INBOUND, { announcedIp: "10.1.1.1" }));
  assert.equal(r2.state.nodes.get(ID("a"))!.ip, "");
});

Deno.test("PING from an unknown sender is answered but ignored", () => {
  const me = makeState({ id: ID("a") });
  const g: GossipEntry[] = [{
    nodename: ID("c"),
    pingSentSec: 0,
    pongReceivedSec: 0,
    ip: "127.0.0.1",
    port: 1,
    cport: 2,
    flags: 1,
    pport: 0,
  }];
  const r = receive(me, fromPeer(peerB, "PING", g), ctx(INBOUND));
  assert.equal(r.state.nodes.size, 1);
  assert.deepEqual(kinds(r.effects), ["reply"]);
});

Deno.test("handshake: PONG on the outbound link renames the node and copies its role", () => {
  const me = makeState({ id: ID("a") }, [{
    id: ID("h"),
    flags: NodeFlags.HANDSHAKE,
    pingSentMs: NOW - 50,
  }]);
  const pong = fromPeer(makeState({ id: ID("b"), slotRange: [0, 5] }), "PONG");
  const r = receive(me, pong, ctx({ kind: "outbound", nodeId: ID("h") }));
  assert.equal(r.state.nodes.has(ID("h")), false);
  const b = r.state.nodes.get(ID("b"))!;
  assert.equal(b.flags, NodeFlags.MASTER);
  assert.equal(b.pongReceivedMs, NOW);
  assert.equal(b.pingSentMs, 0);
  // Nothing else from this first packet: no slots yet (Redis learns them from the next one).
  assert.equal(b.numSlots, 0);
  assert.deepEqual(kinds(r.effects), ["renameNode", "saveConfig"]);
  assert.deepEqual(r.effects.find((e) => e.kind === "renameNode"), {
    kind: "renameNode",
    from: ID("h"),
    to: ID("b"),
  });
  // The next PONG brings the slots.
  const r2 = receive(r.state, pong, ctx({ kind: "outbound", nodeId: ID("b") }));
  assert.equal(r2.state.nodes.get(ID("b"))!.numSlots, 6);
  assert.equal(r2.state.slotOwner.get(3), ID("b"));
  assertInvariants(r2.state);
});

Deno.test("handshake with an already known node: drop the handshake node, update the address", () => {
  const me = makeState({ id: ID("a") }, [
    { id: ID("b"), port: 1111, cport: 2222 },
    { id: ID("h"), flags: NodeFlags.HANDSHAKE, port: 30001, cport: 40001 },
  ]);
  const r = receive(me, fromPeer(peerB, "PONG"), ctx({ kind: "outbound", nodeId: ID("h") }));
  assert.equal(r.state.nodes.has(ID("h")), false);
  const b = r.state.nodes.get(ID("b"))!;
  assert.equal(b.port, 30001);
  assert.equal(b.cport, 40001);
  assert.equal(b.ip, "127.0.0.9");
  assert.deepEqual(kinds(r.effects), ["closeLink", "nodeRemoved", "saveConfig"]);
});

Deno.test("wrong name on an outbound link: NOADDR and the link is closed", () => {
  const me = makeState({ id: ID("a") }, [{ id: ID("c") }]);
  const r = receive(me, fromPeer(peerB, "PONG"), ctx({ kind: "outbound", nodeId: ID("c") }));
  const c = r.state.nodes.get(ID("c"))!;
  assert.ok(c.flags & NodeFlags.NOADDR);
  assert.equal(c.ip, "");
  assert.equal(c.port, 0);
  assert.equal(c.cport, 0);
  assert.deepEqual(kinds(r.effects), ["closeThisLink", "saveConfig"]);
});

Deno.test("address update only from a PING not on our outbound link to the sender", () => {
  const me = makeState({ id: ID("a") }, [{
    id: ID("b"),
    port: 1111,
    cport: 2222,
    ip: "127.0.0.9",
  }]);
  const onOwn = receive(me, fromPeer(peerB, "PING"), ctx({ kind: "outbound", nodeId: ID("b") }));
  assert.equal(onOwn.state.nodes.get(ID("b"))!.port, 1111);
  const r = receive(me, fromPeer(peerB, "PING"), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(r.state.nodes.get(ID("b"))!.port, 30001);
  assert.ok(r.effects.some((e) => e.kind === "closeLink" && e.nodeId === ID("b")));
  assert.ok(logs(r.effects).includes(`Address updated for node ${ID("b")}, now 127.0.0.9:30001`));
  // A non-empty myip wins over the peer address.
  const withIp = { ...fromPeer(peerB, "PING") };
  withIp.header = { ...withIp.header, myip: "10.0.0.2" };
  const r2 = receive(me, withIp, ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(r2.state.nodes.get(ID("b"))!.ip, "10.0.0.2");
  // An inbound link not yet bound gets bound to the known sender.
  const r3 = receive(me, fromPeer(peerB, "PONG"), ctx(INBOUND));
  assert.deepEqual(r3.effects[0], { kind: "bindInboundLink", nodeId: ID("b") });
});

Deno.test("PONG on the outbound link: pong time, ping cleared, PFAIL cleared; not on inbound", () => {
  const me = makeState({ id: ID("a") }, [{
    id: ID("b"),
    port: 30001,
    cport: 40001,
    flags: NodeFlags.MASTER | NodeFlags.PFAIL,
    pingSentMs: NOW - 3000,
    pongReceivedMs: T0,
  }]);
  const inbound = receive(me, fromPeer(peerB, "PONG"), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(inbound.state.nodes.get(ID("b"))!.pingSentMs, NOW - 3000);
  assert.equal(inbound.state.nodes.get(ID("b"))!.dataReceivedMs, NOW);
  // data_received is set in the record in place, as Redis does (bus_receive.ts setHeartbeatTime):
  // a packet that changes nothing else leaves the node map as it was.
  const quiet = makeState({ id: ID("a"), configEpoch: 1 }, [
    { id: ID("b"), ip: "127.0.0.9", port: 30001, cport: 40001, configEpoch: 2 },
  ]);
  const peerPing = fromPeer(
    makeState({ id: ID("b"), ip: "", port: 30001, cport: 40001, configEpoch: 2 }),
    "PING",
  );
  const q = receive(quiet, peerPing, ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(q.state.nodes.get(ID("b"))!.dataReceivedMs, NOW);
  assert.equal(q.state.nodes, quiet.nodes);
  const r = receive(me, fromPeer(peerB, "PONG"), ctx({ kind: "outbound", nodeId: ID("b") }));
  const b = r.state.nodes.get(ID("b"))!;
  assert.equal(b.flags, NodeFlags.MASTER);
  assert.equal(b.pingSentMs, 0);
  assert.equal(b.pongReceivedMs, NOW);
});

Deno.test("role switch: a master turning replica loses its slots", () => {
  const me = makeState({ id: ID("a") }, [
    { id: ID("b"), slotRange: [0, 99], port: 30001, cport: 40001 },
    { id: ID("c"), slotRange: [100, 199] },
  ]);
  const msg = fromPeer(peerB, "PING");
  msg.header = { ...msg.header, slaveof: ID("c"), flags: NodeFlags.MYSELF | NodeFlags.SLAVE };
  const r = receive(me, msg, ctx({ kind: "inbound", nodeId: ID("b") }));
  const b = r.state.nodes.get(ID("b"))!;
  assert.equal(b.flags, NodeFlags.SLAVE);
  assert.equal(b.masterId, ID("c"));
  assert.equal(b.numSlots, 0);
  assert.equal(r.state.slotOwner.get(5), null);
  assert.ok(r.state.nodes.get(ID("c"))!.flags & NodeFlags.MIGRATE_TO);
  assertInvariants(r.state);
});

Deno.test("§7.2: a sender claiming a slot owned with a newer epoch gets one UPDATE", () => {
  const me = makeState({ id: ID("a") }, [
    { id: ID("b"), port: 30001, cport: 40001, configEpoch: 1 },
    { id: ID("c"), configEpoch: 4, slotRange: [50, 60] },
  ], { currentEpoch: 4 });
  const stale = makeState({
    id: ID("b"),
    port: 30001,
    cport: 40001,
    ip: "",
    configEpoch: 1,
    slotRange: [40, 55],
  });
  const r = receive(me, fromPeer(stale, "PING"), ctx({ kind: "inbound", nodeId: ID("b") }));
  // Slots 40-49 were unowned: b gets them; 50-55 stay c's.
  assert.equal(r.state.slotOwner.get(45), ID("b"));
  assert.equal(r.state.slotOwner.get(52), ID("c"));
  const upd = r.effects.filter((e) => e.kind === "send");
  assert.equal(upd.length, 1);
  const u = upd[0];
  assert.ok(u.kind === "send" && u.to === ID("b") && u.message.type === "UPDATE");
  if (u.message.type === "UPDATE") {
    assert.equal(u.message.nodename, ID("c"));
    assert.equal(u.message.configEpoch, 4n);
    assert.deepEqual(u.message.slots, slotBitmapFromRanges([[50, 60]]));
  }
  assertInvariants(r.state);
});

Deno.test("gossip: failure reports only from master senders; new nodes; NOADDR and blacklist", () => {
  const base = makeState({ id: ID("a") }, [
    { id: ID("b"), port: 30001, cport: 40001 },
    { id: ID("x"), flags: NodeFlags.MASTER | NodeFlags.PFAIL },
  ]);
  const entry = (id: string, flags: number, pongSec = 0): GossipEntry => ({
    nodename: id,
    pingSentSec: 0,
    pongReceivedSec: pongSec,
    ip: "127.0.0.5",
    port: 7000,
    cport: 17000,
    flags,
    pport: 0,
  });
  const gossip = [
    entry(ID("x"), NodeFlags.MASTER | NodeFlags.PFAIL),
    entry(ID("n"), NodeFlags.SLAVE),
    entry(ID("o"), NodeFlags.MASTER | NodeFlags.NOADDR),
    entry(ID("f"), NodeFlags.MASTER),
  ];
  const s = blacklistAdd(base, ID("f"), NOW);
  // A name that is not 40 chars of [a-z0-9] is never added (verifyClusterNodeId), also when it
  // comes again after valid names were remembered (bus_receive.ts validName).
  for (const bad of ["Z".repeat(40), ID("q").slice(1) + "!", ID("q") + "q", ID("q")]) {
    const one = receive(
      s,
      fromPeer(peerB, "PING", [entry(bad, NodeFlags.MASTER)]),
      ctx({ kind: "inbound", nodeId: ID("b") }),
    );
    assert.equal(one.state.nodes.has(bad), bad === ID("q"));
  }
  const r = receive(s, fromPeer(peerB, "PING", gossip), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.deepEqual(r.state.nodes.get(ID("x"))!.failReports, [{ reporterId: ID("b"), timeMs: NOW }]);
  assert.ok(logs(r.effects).includes(`Node ${ID("b")} reported node ${ID("x")} as not reachable.`));
  const n = r.state.nodes.get(ID("n"))!;
  assert.equal(n.flags, NodeFlags.SLAVE);
  assert.equal(n.ip, "127.0.0.5");
  assert.equal(n.cport, 17000);
  assert.equal(r.state.nodes.has(ID("o")), false);
  assert.equal(r.state.nodes.has(ID("f")), false);
  // The same report from a replica sender does not count.
  const replica = makeState({
    id: ID("b"),
    port: 30001,
    cport: 40001,
    ip: "",
    flags: NodeFlags.MYSELF | NodeFlags.SLAVE,
    masterId: ID("z"),
  });
  const base2 = makeState({ id: ID("a") }, [
    { id: ID("b"), port: 30001, cport: 40001, flags: NodeFlags.SLAVE },
    { id: ID("x"), flags: NodeFlags.MASTER | NodeFlags.PFAIL },
  ]);
  const r2 = receive(
    base2,
    fromPeer(replica, "PING", [gossip[0]]),
    ctx({ kind: "inbound", nodeId: ID("b") }),
  );
  assert.equal(r2.state.nodes.get(ID("x"))!.failReports.length, 0);
  // Healthy gossip removes the report ("back online") and may move pong_received forward.
  const healthy = [entry(ID("x"), NodeFlags.MASTER, Math.floor(NOW / 1000))];
  const r3 = receive(
    r.state,
    fromPeer(peerB, "PING", healthy),
    ctx({ kind: "inbound", nodeId: ID("b") }),
  );
  assert.equal(r3.state.nodes.get(ID("x"))!.failReports.length, 0);
  assert.ok(logs(r3.effects).includes(`Node ${ID("b")} reported node ${ID("x")} is back online.`));
  // x is PFAIL locally with a different address in healthy gossip: address adopted, link dropped.
  assert.equal(r3.state.nodes.get(ID("x"))!.port, 7000);
  assert.ok(r3.effects.some((e) => e.kind === "closeLink" && e.nodeId === ID("x")));
  const yState = () =>
    makeState({ id: ID("a") }, [{ id: ID("b"), port: 30001, cport: 40001 }, {
      id: ID("y"),
      pongReceivedMs: T0,
    }]);
  const y = yState();
  const yRecord = y.nodes.get(ID("y"))!;
  const r4 = receive(
    y,
    fromPeer(peerB, "PING", [entry(ID("y"), NodeFlags.MASTER, Math.floor(NOW / 1000))]),
    ctx({ kind: "inbound", nodeId: ID("b") }),
  );
  assert.equal(r4.state.nodes.get(ID("y"))!.pongReceivedMs, Math.floor(NOW / 1000) * 1000);
  // Set in the record in place, as Redis does (bus_receive.ts setGossipPongTime): not a copy.
  assert.equal(r4.state.nodes.get(ID("y")), yRecord);
  // More than 500 ms in the future: ignored.
  const r5 = receive(
    yState(),
    fromPeer(peerB, "PING", [entry(ID("y"), NodeFlags.MASTER, Math.floor(NOW / 1000) + 2)]),
    ctx({ kind: "inbound", nodeId: ID("b") }),
  );
  assert.equal(r5.state.nodes.get(ID("y"))!.pongReceivedMs, T0);
});

Deno.test("gossip reaching quorum marks FAIL and broadcasts it", () => {
  // size 3: a (master, counts itself) + report from b = 2 >= 2.
  const s = {
    ...makeState({ id: ID("a"), slotRange: [0, 9] }, [
      { id: ID("b"), port: 30001, cport: 40001, slotRange: [10, 19] },
      { id: ID("x"), flags: NodeFlags.MASTER | NodeFlags.PFAIL, slotRange: [20, 29] },
    ]),
    size: 3,
    health: "ok" as const,
  };
  const peer = makeState({ id: ID("b"), port: 30001, cport: 40001, ip: "", slotRange: [10, 19] });
  const g: GossipEntry = {
    nodename: ID("x"),
    pingSentSec: 0,
    pongReceivedSec: 0,
    ip: "127.0.0.1",
    port: 30002,
    cport: 40002,
    flags: NodeFlags.MASTER | NodeFlags.PFAIL,
    pport: 0,
  };
  const r = receive(s, fromPeer(peer, "PING", [g]), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.ok(r.state.nodes.get(ID("x"))!.flags & NodeFlags.FAIL);
  const bc = r.effects.find((e) => e.kind === "broadcast");
  assert.ok(bc && bc.kind === "broadcast" && bc.message.type === "FAIL");
  // Full coverage required and x's slots are FAIL: the state turned fail.
  assert.equal(r.state.health, "fail");
  assert.ok(logs(r.effects).includes("Cluster state changed: fail"));
  assert.ok(r.effects.at(-1)!.kind === "saveConfig");
});

Deno.test("hostname extension sets the sender's hostname; its absence clears it", () => {
  const me = makeState({ id: ID("a") }, [{
    id: ID("b"),
    port: 30001,
    cport: 40001,
    ip: "127.0.0.9",
  }]);
  const named = makeState({
    id: ID("b"),
    port: 30001,
    cport: 40001,
    ip: "",
    hostname: "probe-host",
  });
  const r = receive(me, fromPeer(named, "PONG"), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(r.state.nodes.get(ID("b"))!.hostname, "probe-host");
  const r2 = receive(r.state, fromPeer(peerB, "PONG"), ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.equal(r2.state.nodes.get(ID("b"))!.hostname, "");
  const odd = fromPeer(peerB, "PONG");
  odd.extensions = [{ type: "RAW", code: 9, payload: new Uint8Array(8) }];
  assert.ok(
    logs(receive(me, odd, ctx({ kind: "inbound", nodeId: ID("b") })).effects).includes(
      "Received unknown extension type 9",
    ),
  );
});

Deno.test("other message types: delivered from known senders, unknown type logged", () => {
  const me = makeState({ id: ID("a") }, [{ id: ID("b"), port: 30001, cport: 40001 }]);
  const pub: BusMessage = {
    type: "PUBLISH",
    header: buildHeader(peerB, CFG),
    channel: new Uint8Array([99]),
    message: new Uint8Array([100]),
  };
  const r = receive(me, pub, ctx({ kind: "inbound", nodeId: ID("b") }));
  assert.deepEqual(kinds(r.effects), ["deliver"]);
  const stranger = { ...pub, header: { ...pub.header, sender: ID("z") } };
  assert.deepEqual(receive(me, stranger, ctx(INBOUND)).effects, []);
  const unk: BusMessage = { type: "UNKNOWN", header: pub.header, code: 42, body: new Uint8Array() };
  assert.ok(
    logs(receive(me, unk, ctx(INBOUND)).effects).includes("Received unknown packet type: 42"),
  );
});

/** The annotated real PONG of docs/cluster-bus.md §10.1, written byte by byte. */
function realPong(): Uint8Array {
  const b = new Uint8Array(2592);
  const v = new DataView(b.buffer);
  b.set([0x52, 0x43, 0x6d, 0x62], 0);
  v.setUint32(4, 2592);
  v.setUint16(8, 1);
  v.setUint16(10, 37103);
  v.setUint16(12, 1);
  v.setUint16(14, 3);
  v.setBigUint64(16, 7n);
  v.setBigUint64(24, 0n);
  const sender = "93ac3d62d12772c7afa9337fcb3adbb756a1a217";
  for (let i = 0; i < 40; i++) b[40 + i] = sender.charCodeAt(i);
  // myslots 8..99: byte 81..92 = 0xff (slots 8..103?) -> exactly as captured: 80:00, 81-91:ff, 92:0f.
  b[80] = 0x00;
  for (let i = 81; i <= 91; i++) b[i] = 0xff;
  b[92] = 0x0f;
  v.setUint16(2214, 1);
  v.setUint16(2248, 47103);
  v.setUint16(2250, 17);
  b[2252] = 0;
  b[2253] = 4;
  const names = [
    "fa103c1937a316e1b4db4e23e90de203247adc7b",
    "43bc0aadba4c7902e73b20629fa0855a3f6e09c8",
    "b08f31a26c189f0fcf9af068b01d40e44657cd1e",
  ];
  names.forEach((name, k) => {
    const off = 2256 + 104 * k;
    for (let i = 0; i < 40; i++) b[off + i] = name.charCodeAt(i);
    v.setUint32(off + 44, 0x6b05dd24);
    const ip = "127.0.0.1";
    for (let i = 0; i < ip.length; i++) b[off + 48 + i] = ip.charCodeAt(i);
    v.setUint16(off + 94, 37101 + k);
    v.setUint16(off + 96, 47101 + k);
    v.setUint16(off + 98, 1);
  });
  v.setUint32(2568, 24);
  v.setUint16(2572, 0);
  const host = "host-c.example";
  for (let i = 0; i < host.length; i++) b[2576 + i] = host.charCodeAt(i);
  return b;
}

Deno.test("a real-world PONG (docs/cluster-bus.md §10.1) decodes and is processed", () => {
  const d = decodeBusMessage(realPong());
  assert.ok(d.ok, d.ok ? "" : d.error.log);
  const msg = d.message as PingMessage;
  assert.equal(msg.type, "PONG");
  assert.equal(msg.header.currentEpoch, 7n);
  assert.equal(msg.gossip.length, 3);
  assert.equal(msg.gossip[0].pongReceivedSec, 1795546404);
  assert.deepEqual(msg.extensions, [{ type: "HOSTNAME", hostname: "host-c.example" }]);
  const sender = "93ac3d62d12772c7afa9337fcb3adbb756a1a217";
  const me = makeState({ id: ID("a") }, [{
    id: sender,
    port: 37103,
    cport: 47103,
    ip: "127.0.0.1",
  }]);
  const r = receive(me, msg, ctx({ kind: "outbound", nodeId: sender }, { nowMs: 1795546404500 }));
  const s = r.state;
  assert.equal(s.currentEpoch, 7);
  assert.equal(s.nodes.get(sender)!.hostname, "host-c.example");
  assert.equal(s.slotOwner.get(8), sender);
  assert.equal(s.slotOwner.get(99), sender);
  assert.equal(s.slotOwner.get(100), null);
  assert.equal(s.slotOwner.get(7), null);
  assert.equal(s.nodes.size, 5);
  const fa = s.nodes.get("fa103c1937a316e1b4db4e23e90de203247adc7b")!;
  assert.equal(fa.flags, NodeFlags.MASTER);
  assert.equal(fa.port, 37101);
  assertInvariants(s);
  // And our own reply-able messages re-encode to bytes that decode to the same thing.
  const again = decodeBusMessage(encodeBusMessage(msg));
  assert.ok(again.ok);
});

Deno.test("receive never throws and keeps the state invariants on random well-formed input", () => {
  const rng = new Prng(2024);
  const ids = ["a", "b", "c", "d", "e", "f", "g"].map(ID);
  const randomSlots = () => {
    const a = rng.int(16384);
    const b = Math.min(16383, a + rng.int(3000));
    return rng.chance(0.3) ? slotBitmapFromRanges([]) : slotBitmapFromRanges([[a, b]]);
  };
  let s = makeState({ id: ID("a"), slotRange: [0, 999] }, [
    { id: ID("b"), slotRange: [1000, 1999] },
    { id: ID("c"), flags: NodeFlags.SLAVE, masterId: ID("b") },
    { id: ID("h"), flags: NodeFlags.HANDSHAKE },
  ]);
  const types = ["PING", "PONG", "MEET", "FAIL", "UPDATE", "PUBLISH", "UNKNOWN"] as const;
  for (let k = 0; k < 300; k++) {
    const sender = rng.pick(ids);
    const cur = BigInt(rng.int(20));
    const header = {
      ...buildHeader(makeState({ id: sender }), CFG),
      currentEpoch: cur,
      configEpoch: BigInt(rng.int(Number(cur) + 1)),
      myslots: randomSlots(),
      slaveof: rng.chance(0.3) ? rng.pick(ids) : null,
      flags: rng.chance(0.2) ? NodeFlags.NOFAILOVER | NodeFlags.MASTER : NodeFlags.MASTER,
    };
    const gossip: GossipEntry[] = [];
    for (let g = rng.int(4); g > 0; g--) {
      gossip.push({
        nodename: rng.chance(0.1) ? "not-a-valid-name".padEnd(40, "!") : rng.pick(ids),
        pingSentSec: rng.int(3),
        pongReceivedSec: rng.int(2_000_000_000),
        ip: "127.0.0.1",
        port: rng.int(65536),
        cport: rng.int(65536),
        flags: rng.pick([1, 2, 5, 9, 65, 33]),
        pport: 0,
      });
    }
    const type = rng.pick(types);
    let msg: BusMessage;
    if (type === "PING" || type === "PONG" || type === "MEET") {
      msg = { type, header, gossip, extensions: [] };
    } else if (type === "FAIL") msg = { type, header, nodename: rng.pick(ids) };
    else if (type === "UPDATE") {
      msg = {
        type,
        header,
        configEpoch: header.configEpoch,
        nodename: rng.pick(ids),
        slots: randomSlots(),
      };
    } else if (type === "PUBLISH") {
      msg = { type, header, channel: new Uint8Array(1), message: new Uint8Array(1) };
    } else msg = { type: "UNKNOWN", header, code: 99, body: new Uint8Array() };
    const known = [...s.nodes.keys()].filter((id) => id !== s.myselfId);
    const link: ReceiveLink = rng.chance(0.5) && known.length > 0
      ? { kind: "outbound", nodeId: rng.pick(known) }
      : { kind: "inbound", nodeId: null };
    const r = receive(s, msg, ctx(link, { nowMs: NOW + k * 50, rng }));
    assertInvariants(r.state);
    assert.ok(r.state.currentEpoch >= s.currentEpoch);
    s = r.state;
  }
});
