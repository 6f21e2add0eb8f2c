import assert from "node:assert/strict";
import {
  bitmapHasSlot,
  decodeBusMessage,
  encodeBusMessage,
  MSGFLAG0_EXT_DATA,
  MSGFLAG0_PAUSED,
} from "../protocol/bus.ts";
import {
  buildFailMessage,
  buildHeader,
  buildPingMessage,
  buildUpdateMessage,
  connectFailed,
  gossipEntryOf,
  markPingSent,
  outboundLinkConnected,
  selectGossip,
  sendPing,
} from "./bus_header_build.ts";
import { putNode, setOwnerNotClaiming } from "./bus_node_ops.ts";
import { CFG, ID, linkClockAt, makeState, T0 } from "../tests/bus_fixtures.ts";
import { Prng } from "./prng.ts";
import { addNode, type ClusterNode, type ClusterState, NodeFlags } from "./state.ts";

Deno.test("buildHeader: a master sends its own slots, epoch, flags incl. MYSELF, zero slaveof", () => {
  const s = makeState({ id: ID("a"), configEpoch: 5, slotRange: [0, 7] }, [
    { id: ID("b"), configEpoch: 3 },
  ], { currentEpoch: 9, health: "ok" });
  const h = buildHeader(s, { ...CFG, replOffset: 1234 });
  assert.equal(h.sender, ID("a"));
  assert.equal(h.flags, 17);
  assert.equal(h.slaveof, null);
  assert.equal(h.currentEpoch, 9n);
  assert.equal(h.configEpoch, 5n);
  assert.equal(h.offset, 1234n);
  assert.equal(h.myslots[0], 0xff);
  assert.equal(h.myslots[1], 0);
  assert.equal(h.port, 30000);
  assert.equal(h.cport, 40000);
  assert.equal(h.pport, 0);
  assert.equal(h.myip, "");
  assert.equal(h.state, 0);
  assert.equal(h.mflags, 0);
  const h2 = buildHeader({ ...s, health: "fail" }, {
    ...CFG,
    announcedIp: "10.0.0.7",
    paused: true,
  });
  assert.equal(h2.state, 1);
  assert.equal(h2.myip, "10.0.0.7");
  assert.equal(h2.mflags, MSGFLAG0_PAUSED);
});

Deno.test("buildHeader: a replica sends its master's slots and configEpoch, slaveof = master", () => {
  const s = makeState(
    { id: ID("a"), flags: NodeFlags.MYSELF | NodeFlags.SLAVE, masterId: ID("m") },
    [{ id: ID("m"), configEpoch: 7, slotRange: [100, 100] }],
  );
  const h = buildHeader(s, CFG);
  assert.equal(h.flags, 18);
  assert.equal(h.slaveof, ID("m"));
  assert.equal(h.configEpoch, 7n);
  assert.ok(bitmapHasSlot(h.myslots, 100));
  assert.ok(!bitmapHasSlot(h.myslots, 99));
});

Deno.test("gossip entry: times in seconds, flags verbatim, address", () => {
  const s = makeState({ id: ID("a") }, [{
    id: ID("b"),
    pingSentMs: 1795546404999,
    pongReceivedMs: 1795546404123,
    flags: NodeFlags.MASTER | NodeFlags.PFAIL,
  }]);
  const g = gossipEntryOf(s.nodes.get(ID("b"))!);
  assert.deepEqual(g, {
    nodename: ID("b"),
    pingSentSec: 1795546404,
    pongReceivedSec: 1795546404,
    ip: "127.0.0.1",
    port: 30001,
    cport: 40001,
    flags: 5,
    pport: 0,
  });
});

Deno.test("selectGossip: count rules of §5.3", () => {
  const rng = new Prng(5);
  // 2 nodes: freshnodes = 0 -> no entries.
  assert.equal(selectGossip(makeState({ id: ID("a") }, [{ id: ID("b") }]), rng).length, 0);
  // 6 nodes, all connected: wanted = 3, distinct, never myself.
  const six = makeState({ id: ID("a") }, ["b", "c", "d", "e", "f"].map((c) => ({ id: ID(c) })));
  for (let k = 0; k < 20; k++) {
    const g = selectGossip(six, rng);
    assert.ok(g.length <= 3);
    assert.equal(new Set(g.map((e) => e.nodename)).size, g.length);
    assert.ok(!g.some((e) => e.nodename === ID("a")));
  }
  // Over many draws, 3 entries is the usual count.
  let threes = 0;
  for (let k = 0; k < 50; k++) if (selectGossip(six, rng).length === 3) threes++;
  assert.ok(threes > 25);
  // Handshake, NOADDR and link-less slot-less nodes never appear; link-less with slots may.
  const mixed = makeState({ id: ID("a") }, [
    { id: ID("b"), flags: NodeFlags.HANDSHAKE },
    { id: ID("c"), flags: NodeFlags.MASTER | NodeFlags.NOADDR },
    { id: ID("d"), linkState: "disconnected" },
    { id: ID("e"), linkState: "disconnected", slotRange: [0, 0] },
    { id: ID("f") },
    { id: ID("g"), flags: NodeFlags.MASTER | NodeFlags.PFAIL },
  ]);
  const seen = new Set<string>();
  for (let k = 0; k < 100; k++) {
    const g = selectGossip(mixed, rng);
    for (const e of g) seen.add(e.nodename);
    // The PFAIL node is always appended last.
    assert.equal(g.at(-1)!.nodename, ID("g"));
    assert.equal(g.filter((e) => e.nodename === ID("g")).length, 1);
  }
  assert.deepEqual([...seen].sort(), [ID("e"), ID("f"), ID("g")]);
});

Deno.test("selectGossip: distinct entries in maps of every size, one after another", () => {
  const rng = new Prng(11);
  // Small and large maps in turn: what a packet picked never carries over to the next one.
  for (const size of [6, 300, 12, 1200, 40]) {
    const names = Array.from({ length: size - 1 }, (_, i) => `n${i}`);
    const s = makeState({ id: ID("a") }, names.map((c) => ({ id: ID(c) })));
    const wanted = Math.max(3, Math.floor(size / 10));
    for (let k = 0; k < 5; k++) {
      const g = selectGossip(s, rng);
      assert.equal(new Set(g.map((e) => e.nodename)).size, g.length, `size ${size}`);
      assert.ok(g.length >= wanted - 1 && g.length <= wanted, `size ${size}: ${g.length}`);
    }
  }
});

/** §5.3's loop as Redis runs it over the map's order, every pick reading its record. */
function referenceGossip(s: ClusterState, rng: Prng): string[] {
  const values = [...s.nodes.values()];
  const n = values.length;
  let freshnodes = n - 2;
  const wanted = Math.min(Math.max(3, Math.floor(n / 10)), freshnodes);
  const out: string[] = [];
  let maxIterations = wanted * 3;
  while (freshnodes > 0 && out.length < wanted && maxIterations-- > 0) {
    const node = values[rng.int(n)];
    if (node.id === s.myselfId) continue;
    if (node.flags & NodeFlags.PFAIL) continue;
    if (
      (node.flags & (NodeFlags.HANDSHAKE | NodeFlags.NOADDR)) ||
      (node.linkState !== "connected" && node.numSlots === 0)
    ) {
      freshnodes--;
      continue;
    }
    if (out.includes(node.id)) continue;
    out.push(node.id);
    freshnodes--;
  }
  return out;
}

Deno.test("selectGossip: the picks of Redis's loop, whatever records a view replaced or added", () => {
  const kinds: Partial<ClusterNode>[] = [
    { linkState: "connected" },
    { linkState: "disconnected" },
    { flags: NodeFlags.MASTER | NodeFlags.PFAIL },
    { flags: NodeFlags.HANDSHAKE },
    { linkState: "disconnected", numSlots: 5 },
  ];
  for (let seed = 1; seed <= 30; seed++) {
    const rng = new Prng(seed);
    const hexId = (k: number) => k.toString(16).padStart(40, "0");
    const count = 20 + rng.int(200);
    let s = makeState({ id: ID("a") }, Array.from({ length: count }, (_, i) => ({ id: hexId(i) })));
    let next = count;
    for (let step = 0; step < 60; step++) {
      // Views as packets make them: records replaced (myself too) or added, in the delta.
      for (let k = rng.int(6); k > 0; k--) {
        const nodes = [...s.nodes.values()];
        if (rng.int(5) === 0) {
          s = addNode(s, { ...nodes[1], id: hexId(next++), ...kinds[rng.int(5)] });
        } else {
          s = putNode(s, { ...nodes[rng.int(nodes.length)], ...kinds[rng.int(5)] });
        }
      }
      const picked = selectGossip(s, new Prng(1000 * seed + step)).map((e) => e.nodename);
      const expected = referenceGossip(s, new Prng(1000 * seed + step));
      // The PFAIL nodes follow the random picks.
      assert.deepEqual(picked.slice(0, expected.length), expected, `seed ${seed} step ${step}`);
    }
  }
});

Deno.test("ping message: hostname extension, exact length, codec round trip", () => {
  const s = makeState({ id: ID("a"), hostname: "host-c.example" }, [
    { id: ID("b") },
    { id: ID("c") },
    { id: ID("d") },
    { id: ID("e") },
  ]);
  const m = buildPingMessage(s, "PONG", new Prng(1), CFG);
  assert.deepEqual(m.extensions, [{ type: "HOSTNAME", hostname: "host-c.example" }]);
  const bytes = encodeBusMessage(m);
  assert.equal(bytes.length, 2256 + 104 * m.gossip.length + 24);
  assert.equal(bytes[2253], MSGFLAG0_EXT_DATA);
  const d = decodeBusMessage(bytes);
  assert.ok(d.ok);
  assert.equal(d.message.type, "PONG");
  if (d.message.type === "PONG") {
    assert.deepEqual(d.message.gossip, m.gossip);
    assert.equal(d.message.header.sender, ID("a"));
  }
  // Without a hostname: no extensions, no EXT_DATA.
  const plain = encodeBusMessage(
    buildPingMessage(makeState({ id: ID("a") }), "PING", new Prng(1), CFG),
  );
  assert.equal(plain.length, 2256);
  assert.equal(plain[2253], 0);
});

Deno.test("FAIL and UPDATE messages; UPDATE masks slots the owner stopped claiming", () => {
  let s = makeState({ id: ID("a") }, [{ id: ID("b"), configEpoch: 4, slotRange: [10, 20] }]);
  const f = buildFailMessage(s, ID("b"), CFG);
  assert.equal(encodeBusMessage(f).length, 2296);
  s = setOwnerNotClaiming(s, [[15, ID("b")]]);
  const u = buildUpdateMessage(s, ID("b"), CFG);
  assert.equal(encodeBusMessage(u).length, 4352);
  assert.equal(u.configEpoch, 4n);
  assert.ok(bitmapHasSlot(u.slots, 14));
  assert.ok(!bitmapHasSlot(u.slots, 15));
  assert.ok(bitmapHasSlot(u.slots, 16));
  // The stored bitmap itself is untouched.
  assert.ok(bitmapHasSlot(s.nodes.get(ID("b"))!.slots, 15));
});

Deno.test("sending bookkeeping: PING sets ping_sent; MEET on connect clears MEET, keeps ping_sent", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), flags: NodeFlags.HANDSHAKE | NodeFlags.MEET, linkState: "disconnected" },
    { id: ID("c"), linkState: "disconnected" },
    { id: ID("d"), linkState: "disconnected", pingSentMs: T0 - 500 },
  ]);
  const rng = new Prng(2);
  const cfg = { ...CFG, ...linkClockAt(T0 + 100) };
  const m = outboundLinkConnected(s, ID("b"), T0 + 100, rng, cfg);
  assert.equal(m.message.type, "MEET");
  const b = m.state.nodes.get(ID("b"))!;
  assert.equal(b.flags, NodeFlags.HANDSHAKE);
  assert.equal(b.pingSentMs, 0);
  assert.equal(b.linkState, "connected");
  assert.equal(b.link.link, "up");
  const p = outboundLinkConnected(s, ID("c"), T0 + 100, rng, cfg);
  assert.equal(p.message.type, "PING");
  assert.equal(p.state.nodes.get(ID("c"))!.pingSentMs, T0 + 100);
  assert.equal(p.state.nodes.get(ID("c"))!.link.ping, "awaitingPong");
  // An outstanding ping survives a reconnect, and so does its link's PONG timer.
  const q = outboundLinkConnected(s, ID("d"), T0 + 100, rng, cfg);
  assert.equal(q.state.nodes.get(ID("d"))!.pingSentMs, T0 - 500);
  const d = s.nodes.get(ID("d"))!.link;
  assert.equal(q.state.nodes.get(ID("d"))!.link.pongDeadlineMs, d.pongDeadlineMs);
  assert.equal(
    sendPing(s, ID("c"), T0 + 7, rng, { ...CFG, ...linkClockAt(T0 + 7) }).state.nodes.get(ID("c"))!
      .pingSentMs,
    T0 + 7,
  );
  assert.equal(markPingSent(s, ID("c"), 42, linkClockAt(42)).nodes.get(ID("c"))!.pingSentMs, 42);
  // connectFailed: ping_sent = now only when none is outstanding.
  const failedC = connectFailed(s, ID("c"), T0 + 9, linkClockAt(T0 + 9)).nodes.get(ID("c"))!;
  assert.equal(failedC.pingSentMs, T0 + 9);
  assert.equal(failedC.link.ping, "awaitingPong");
  assert.equal(
    connectFailed(s, ID("d"), T0 + 9, linkClockAt(T0 + 9)).nodes.get(ID("d"))!.pingSentMs,
    T0 - 500,
  );
});

Deno.test("buildHeader: an epoch past 2^53 (a peer announced 2^64-1) still encodes, clamped", () => {
  // 2^64-1 as a number rounds up to 2^64, which is not a u64: without the clamp every packet
  // built afterwards threw, and the node went silent on the bus.
  const huge = Number(0xffffffffffffffffn);
  const s = makeState({ id: ID("a"), configEpoch: huge, slotRange: [0, 7] }, [
    { id: ID("b"), configEpoch: 3 },
  ], { currentEpoch: huge, health: "ok" });
  const h = buildHeader(s, CFG);
  assert.equal(h.currentEpoch, 0xffffffffffffffffn);
  assert.equal(h.configEpoch, 0xffffffffffffffffn);
  const bytes = encodeBusMessage(buildPingMessage(s, "PING", new Prng(1), CFG));
  const back = decodeBusMessage(bytes);
  assert.ok(back.ok && back.message.header.currentEpoch === 0xffffffffffffffffn);
});
