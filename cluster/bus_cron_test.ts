import assert from "node:assert/strict";
import type { BusEffect } from "./bus_effects.ts";
import { type CronContext, cronTick } from "./bus_cron.ts";
import { CFG, ID, linkClockAt, makeState, T0 } from "../tests/bus_fixtures.ts";
import { Prng } from "./prng.ts";
import { openPeerLink } from "./peer_link.ts";
import { addNode, type ClusterNode, type ClusterState, createNode, NodeFlags } from "./state.ts";

function cctx(nowMs: number, links: string[], extra: Partial<CronContext> = {}): CronContext {
  return {
    ...CFG,
    nowMs,
    tickIndex: 1,
    rng: new Prng(9),
    links: new Map(links.map((id) => [id, { createdMs: T0 }])),
    // The timer clock at the wall clock: the links' timers run out when Redis's comparisons hold.
    timerNowMs: nowMs,
    ...extra,
  };
}

function sends(effects: BusEffect[]): string[] {
  return effects.flatMap((e) => (e.kind === "send" && e.message.type === "PING" ? [e.to] : []));
}

Deno.test("cron: handshake nodes expire after max(node_timeout, 1000); link-less nodes reconnect", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("h"), flags: NodeFlags.HANDSHAKE | NodeFlags.MEET, createdMs: T0 },
    { id: ID("b") },
    { id: ID("c") },
    { id: ID("n"), flags: NodeFlags.MASTER | NodeFlags.NOADDR },
  ]);
  const keep = cronTick(s, cctx(T0 + 2000, [ID("b")]));
  assert.ok(keep.state.nodes.has(ID("h")));
  const connects = keep.effects.flatMap((e) => (e.kind === "connect" ? [e.nodeId] : []));
  assert.deepEqual(connects, [ID("h"), ID("c")]);
  assert.equal(keep.state.nodes.get(ID("c"))!.linkState, "disconnected");
  const gone = cronTick(s, cctx(T0 + 2001, [ID("b")]));
  assert.equal(gone.state.nodes.has(ID("h")), false);
  assert.ok(gone.effects.some((e) => e.kind === "nodeRemoved" && e.nodeId === ID("h")));
  // node_timeout 500 -> handshake timeout 1000 (h's link met with that node timeout).
  const h = openPeerLink<ClusterNode>(s.nodes.get(ID("h"))!, T0, {
    timerNowMs: T0,
    nodeTimeoutMs: 500,
  });
  const s500: ClusterState = { ...s, nodes: new Map(s.nodes).set(h.id, h) };
  const short = cronTick(s500, cctx(T0 + 999, [], { nodeTimeoutMs: 500 }));
  assert.ok(short.state.nodes.has(ID("h")));
  assert.equal(
    cronTick(s500, cctx(T0 + 1001, [], { nodeTimeoutMs: 500 })).state.nodes.has(ID("h")),
    false,
  );
});

Deno.test("cron: PING when the last pong is older than node_timeout/2, ping_sent set", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), pongReceivedMs: T0 },
    { id: ID("c"), pongReceivedMs: T0 + 500 },
    { id: ID("d"), pongReceivedMs: T0, pingSentMs: T0 + 1 }, // ping in flight
    { id: ID("e"), pongReceivedMs: T0 }, // no link
  ]);
  const r = cronTick(s, cctx(T0 + 1001, [ID("b"), ID("c"), ID("d")]));
  assert.deepEqual(sends(r.effects), [ID("b")]);
  assert.equal(r.state.nodes.get(ID("b"))!.pingSentMs, T0 + 1001);
  assert.equal(r.state.nodes.get(ID("c"))!.pingSentMs, 0);
  const m = r.effects.find((e) => e.kind === "send")!;
  assert.ok(m.kind === "send" && m.message.type === "PING" && m.message.header.sender === ID("a"));
});

Deno.test("cron: PFAIL once min(now - ping_sent, now - data_received) > node_timeout", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), pingSentMs: T0, dataReceivedMs: T0 },
    { id: ID("c"), pingSentMs: T0, dataReceivedMs: T0 + 1500 }, // data keeps it alive
    { id: ID("d"), pingSentMs: 0, dataReceivedMs: 0 }, // no ping outstanding
  ]);
  const early = cronTick(s, cctx(T0 + 2000, [ID("b"), ID("c"), ID("d")]));
  assert.equal(early.state.nodes.get(ID("b"))!.flags & NodeFlags.PFAIL, 0);
  const r = cronTick(s, cctx(T0 + 2001, [ID("b"), ID("c"), ID("d")]));
  assert.ok(r.state.nodes.get(ID("b"))!.flags & NodeFlags.PFAIL);
  assert.equal(r.state.nodes.get(ID("c"))!.flags & NodeFlags.PFAIL, 0);
  assert.equal(r.state.nodes.get(ID("d"))!.flags & NodeFlags.PFAIL, 0);
  assert.ok(
    r.effects.some((e) => e.kind === "log" && e.text === `*** NODE ${ID("b")} possibly failing`),
  );
  // PFAIL nodes are counted for the next gossip sections.
  const again = cronTick(r.state, cctx(T0 + 2100, [ID("b"), ID("c"), ID("d")]));
  assert.equal((again.state as ClusterState & { statsPfailNodes?: number }).statsPfailNodes, 1);
});

Deno.test("cron: no PING, no link dropped before the peer's link machine's timers ran out", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), pongReceivedMs: T0 },
    { id: ID("c"), pingSentMs: T0 + 1500, dataReceivedMs: T0 + 1500, pongReceivedMs: T0 + 1000 },
  ]);
  const links = new Map([[ID("b"), { createdMs: T0 }], [ID("c"), { createdMs: T0 }]]);
  const now = T0 + 2600;
  // Redis's comparisons hold (b's PONG 2600 ms old, c's PING 1100 ms unanswered, timeout 2000).
  const due = cronTick(s, { ...cctx(now, []), links });
  assert.deepEqual(sends(due.effects), [ID("b")]);
  assert.ok(due.effects.some((e) => e.kind === "closeLink" && e.nodeId === ID("c")));
  // The wall clock stepped forward: the timer clock has moved 100 ms since the links opened.
  const waiting = cronTick(s, { ...cctx(now, []), links, timerNowMs: T0 + 100 });
  assert.deepEqual(sends(waiting.effects), []);
  assert.ok(!waiting.effects.some((e) => e.kind === "closeLink"));
});

Deno.test("cron: no PFAIL and no handshake expiry until the peer's link machine's timer ran out", () => {
  // h is met 1000 ms after b's PING.
  const s = addNode(
    makeState({ id: ID("a") }, [{ id: ID("b"), pingSentMs: T0, dataReceivedMs: T0 }]),
    createNode(
      ID("h"),
      NodeFlags.HANDSHAKE | NodeFlags.MEET,
      T0 + 1000,
      {},
      linkClockAt(T0 + 1000),
    ),
  );
  // Redis's comparisons hold at this tick (the wall clock stepped forward), but on the timer
  // clock only 1500 ms have passed: b's PING is not overdue (2000 ms), h's handshake not expired.
  const r = cronTick(s, cctx(T0 + 5000, [ID("b")], { timerNowMs: T0 + 1500 }));
  assert.equal(r.state.nodes.get(ID("b"))!.flags & NodeFlags.PFAIL, 0);
  assert.ok(r.state.nodes.has(ID("h")));
  // At 2500 ms b's PONG timer ran out, and h's handshake timer (it started at 1000 ms) has not.
  const b = cronTick(s, cctx(T0 + 5000, [ID("b")], { timerNowMs: T0 + 2500 }));
  assert.ok(b.state.nodes.get(ID("b"))!.flags & NodeFlags.PFAIL);
  assert.equal(b.state.nodes.get(ID("b"))!.link.health, "pfail");
  assert.ok(b.state.nodes.has(ID("h")));
});

Deno.test("cron: a stale link is dropped (older than timeout, no pong nor data for timeout/2)", () => {
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), pingSentMs: T0 + 1500, dataReceivedMs: T0 + 1500, pongReceivedMs: T0 + 1000 },
  ]);
  const now = T0 + 2600;
  const young = cronTick(s, {
    ...cctx(now, []),
    links: new Map([[ID("b"), { createdMs: T0 + 1000 }]]),
  });
  assert.ok(!young.effects.some((e) => e.kind === "closeLink"));
  const old = cronTick(s, { ...cctx(now, []), links: new Map([[ID("b"), { createdMs: T0 }]]) });
  assert.ok(old.effects.some((e) => e.kind === "closeLink" && e.nodeId === ID("b")));
  assert.equal(old.state.nodes.get(ID("b"))!.linkState, "disconnected");
});

Deno.test("cron: every 10th tick pings the sampled node with the oldest pong", () => {
  const now = T0 + 500;
  const s = makeState({ id: ID("a") }, [
    { id: ID("b"), pongReceivedMs: T0 + 400 },
    { id: ID("c"), pongReceivedMs: T0 + 100 },
    { id: ID("d"), pongReceivedMs: T0 + 300 },
  ]);
  const links = [ID("b"), ID("c"), ID("d")];
  assert.deepEqual(sends(cronTick(s, cctx(now, links, { tickIndex: 9 })).effects), []);
  let oldestPicked = 0;
  for (let seed = 0; seed < 30; seed++) {
    const r = cronTick(s, cctx(now, links, { tickIndex: 10, rng: new Prng(seed) }));
    const p = sends(r.effects);
    assert.ok(p.length <= 1);
    if (p[0] === ID("c")) oldestPicked++;
  }
  // 5 samples out of 4 nodes: c is usually among them, and then it wins.
  assert.ok(oldestPicked > 15, `c picked ${oldestPicked}/30`);
});

Deno.test("cron: cluster_state ok after the writable delay when covered; fail in the minority", () => {
  const s = makeState({ id: ID("a"), slotRange: [0, 8191] }, [{
    id: ID("b"),
    slotRange: [8192, 16383],
  }]);
  let r = cronTick(s, cctx(T0, [ID("b")]));
  assert.equal(r.state.health, "fail"); // writable delay starts
  r = cronTick(r.state, cctx(T0 + 2001, [ID("b")]));
  assert.equal(r.state.health, "ok");
  assert.ok(r.effects.some((e) => e.kind === "log" && e.text === "Cluster state changed: ok"));
  // b silent: PFAIL, then the 2-master cluster has no reachable majority -> fail.
  const silent = cronTick(
    {
      ...r.state,
      nodes: new Map(r.state.nodes).set(ID("b"), {
        ...r.state.nodes.get(ID("b"))!,
        pingSentMs: T0 + 2001,
        dataReceivedMs: T0 + 2001,
      }),
    },
    cctx(T0 + 4002, [ID("b")]),
  );
  assert.equal(silent.state.health, "fail");
});

Deno.test("cron: a tick with nothing to do returns the state it was given", () => {
  const s = makeState({ id: ID("a"), slotRange: [0, 8191] }, [{
    id: ID("b"),
    slotRange: [8192, 16383],
  }]);
  let r = cronTick(s, cctx(T0, [ID("b")]));
  r = cronTick(r.state, cctx(T0 + 2001, [ID("b")]));
  assert.equal(r.state.health, "ok");
  // b answered recently, no PING due, the PFAIL count already counted: the same object back, so
  // the node installs no new view (and diffs none for its log) on an idle tick.
  const idle = cronTick(r.state, cctx(T0 + 2101, [ID("b")]));
  assert.equal(idle.effects.length, 0);
  assert.ok(idle.state === r.state);
});
