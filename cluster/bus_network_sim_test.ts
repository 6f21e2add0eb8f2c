/**
 * Tests for cluster/bus_network_sim.ts driven by xstate's SimulatedClock: exact delivery timing,
 * FIFO under random latency, reproducibility from the seed, partitions/heal, isolate/rejoin,
 * refusal, close semantics, backpressure, drops.
 */

import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import { type BusLink, framePacket, MIN_PACKET_BYTES } from "./bus_network.ts";
import {
  advance,
  advanceAsync,
  SimBusNetwork,
  type SimBusNetworkOptions,
} from "./bus_network_sim.ts";
import { Prng } from "./prng.ts";
import { zeroedPacketBytes } from "../protocol/bus_packet_slab.ts";

/** A min-size packet carrying a u32 tag at offset 8. */
function tagged(tag: number, totlen = MIN_PACKET_BYTES): Uint8Array {
  const p = framePacket(totlen);
  new DataView(p.buffer).setUint32(8, tag);
  return p;
}

function tagOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(8);
}

function setup(opts: Partial<SimBusNetworkOptions> = {}) {
  const clock = new SimulatedClock();
  const net = new SimBusNetwork(clock, { seed: 1, ...opts });
  return { clock, net };
}

/** Records arrivals with their clock time, and the close reason. */
function record(link: BusLink, clock: SimulatedClock) {
  const got: { t: number; tag: number }[] = [];
  const closes: { t: number; reason: string }[] = [];
  link.onPacket = (p) => got.push({ t: clock.now(), tag: tagOf(p) });
  link.onClose = (reason) => closes.push({ t: clock.now(), reason });
  return { got, closes };
}

/** Connects `from` -> addr, stepping the clock until the promise settles (max `maxMs`). */
async function connectSim(
  net: SimBusNetwork,
  clock: SimulatedClock,
  from: string,
  host: string,
  port: number,
  timeoutMs = 1000,
  maxMs = 5000,
): Promise<BusLink> {
  let done = false;
  const p = net.host(from).connect(host, port, timeoutMs).finally(() => done = true);
  p.catch(() => {});
  for (let i = 0; i < maxMs && !done; i++) {
    clock.increment(1);
    await Promise.resolve();
    await Promise.resolve();
  }
  return await p;
}

Deno.test("bus sim: exact connect and delivery timing with fixed latency", async () => {
  const { clock, net } = setup({ latency: { minMs: 5, maxMs: 5 } });
  const accepted: { t: number; link: BusLink }[] = [];
  const l = await net.host("b:2").listen("b", 17002, (link) => {
    accepted.push({ t: clock.now(), link });
  });
  assert.deepEqual(l.addr, { host: "b", port: 17002 });
  const p = net.host("a:1").connect("b", 17002, 1000);
  let resolvedAt = -1;
  p.then(() => resolvedAt = clock.now());
  advance(clock, 4);
  assert.equal(accepted.length, 0);
  advance(clock, 1);
  assert.equal(accepted.length, 1);
  assert.equal(accepted[0].t, 5); // SYN arrives after one latency
  advance(clock, 5);
  const client = await p;
  assert.equal(resolvedAt, 10); // SYN-ACK after another
  assert.deepEqual(client.remoteAddr, { host: "b", port: 17002 });
  assert.equal(client.localAddr.host, "a");
  const server = accepted[0].link;
  assert.deepEqual(server.remoteAddr, client.localAddr);
  assert.deepEqual(server.localAddr, { host: "b", port: 17002 });

  const rs = record(server, clock);
  const rc = record(client, clock);
  client.send(tagged(1));
  advance(clock, 2);
  client.send(tagged(2));
  assert.equal(client.bufferedBytes(), 2 * MIN_PACKET_BYTES);
  advance(clock, 10);
  assert.deepEqual(rs.got, [{ t: 15, tag: 1 }, { t: 17, tag: 2 }]);
  assert.equal(client.bufferedBytes(), 0);
  server.send(tagged(3));
  advance(clock, 5);
  assert.deepEqual(rc.got, [{ t: 27, tag: 3 }]); // sent at 22
  // Delivery is never synchronous from send.
  client.send(tagged(4));
  assert.equal(rs.got.length, 2);
  l.close();
  net.shutdown();
});

Deno.test("bus sim: random latency keeps per-link FIFO order", async () => {
  const { clock, net } = setup({ seed: 99, latency: { minMs: 1, maxMs: 50 } });
  let server: BusLink | null = null;
  await net.host("b").listen("b", 1, (link) => server = link);
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  const sendTimes: number[] = [];
  for (let i = 0; i < 300; i++) {
    assert.equal(client.send(tagged(i)), true);
    sendTimes.push(clock.now());
    if (i % 7 === 0) advance(clock, 1);
  }
  advance(clock, 200);
  assert.deepEqual(rs.got.map((g) => g.tag), Array.from({ length: 300 }, (_, i) => i));
  for (let i = 1; i < rs.got.length; i++) assert.ok(rs.got[i].t >= rs.got[i - 1].t);
  for (let i = 0; i < 300; i++) {
    assert.ok(rs.got[i].t >= sendTimes[i] + 1 && rs.got[i].t <= sendTimes[i] + 50 + 50);
  }
  // Latencies really vary (not all equal).
  const lat = rs.got.map((g, i) => g.t - sendTimes[i]);
  assert.ok(new Set(lat).size > 5);
  net.shutdown();
});

/** A 3-node scenario with random sends, latency and drops; returns the trace and arrivals. */
async function scenario(seed: number): Promise<{ trace: string[]; arrivals: string[] }> {
  const { clock, net } = setup({ seed, latency: { minMs: 1, maxMs: 20 }, dropProbability: 0.1 });
  const ids = ["n1:1", "n2:2", "n3:3"];
  const arrivals: string[] = [];
  for (const id of ids) {
    await net.host(id).listen(id.split(":")[0], 17000, (link) => {
      link.onPacket = (p) => arrivals.push(`${clock.now()} ${id}<-${tagOf(p)}`);
    });
  }
  const links: BusLink[] = [];
  for (const from of ids) {
    for (const to of ids) {
      if (from !== to) links.push(await connectSim(net, clock, from, to.split(":")[0], 17000));
    }
  }
  const rng = new Prng(seed ^ 0x5a5a);
  for (let step = 0; step < 200; step++) {
    const link = rng.pick(links);
    link.send(tagged(step, MIN_PACKET_BYTES + rng.int(100)));
    advance(clock, rng.int(3));
  }
  advance(clock, 100);
  const trace = [...net.trace()];
  net.shutdown();
  return { trace, arrivals };
}

Deno.test("bus sim: the same seed gives the same trace; another seed differs", async () => {
  const a = await scenario(2024);
  const b = await scenario(2024);
  const c = await scenario(2025);
  assert.ok(a.trace.length > 400);
  assert.ok(a.trace.some((l) => / drop link /.test(l)));
  assert.deepEqual(a.trace, b.trace);
  assert.deepEqual(a.arrivals, b.arrivals);
  assert.notDeepEqual(a.trace, c.trace);
  assert.notDeepEqual(a.arrivals, c.arrivals);
});

Deno.test("bus sim: partition cuts links across groups, refuses new connects; heal restores", async () => {
  const { clock, net } = setup({ latency: { minMs: 2, maxMs: 4 } });
  const accepted = new Map<string, BusLink[]>();
  for (const id of ["a:1", "b:2", "c:3"]) {
    accepted.set(id, []);
    await net.host(id).listen(id.split(":")[0], 100, (link) => {
      accepted.get(id)!.push(link);
      link.onPacket = () => {};
    });
  }
  const ab = await connectSim(net, clock, "a:1", "b", 100);
  const ac = await connectSim(net, clock, "a:1", "c", 100);
  const bc = await connectSim(net, clock, "b:2", "c", 100);
  const rab = record(ab, clock);
  const rac = record(ac, clock);
  const rbc = record(bc, clock);
  const cSide = accepted.get("c:3")!;
  assert.equal(cSide.length, 2);
  const rcSide = cSide.map((l) => record(l, clock));
  assert.equal(net.openLinkCount(), 6);

  // A packet in flight from c towards a when the cut happens is lost.
  cSide[0].send(tagged(1));
  net.partition([["a:1", "b:2"], ["c:3"]]);
  assert.equal(ac.closed, true);
  assert.equal(bc.closed, true);
  assert.equal(cSide[0].closed && cSide[1].closed, true);
  assert.equal(ab.closed, false);
  assert.equal(net.openLinkCount(), 2);
  advance(clock, 10);
  assert.deepEqual(rac.closes.map((c) => c.reason), ["network partition"]);
  assert.deepEqual(rbc.closes.map((c) => c.reason), ["network partition"]);
  assert.deepEqual(rcSide.map((r) => r.closes.map((c) => c.reason)), [
    ["network partition"],
    ["network partition"],
  ]);
  assert.deepEqual(rac.got, []);
  assert.equal(net.stats.lost, 1);
  assert.deepEqual(rab.closes, []);
  assert.equal(net.reachable("a:1", "c:3"), false);
  assert.equal(net.reachable("c:3", "b:2"), false);
  assert.equal(net.reachable("a:1", "b:2"), true);
  // Unlisted identities form one more group together.
  assert.equal(net.reachable("x", "y"), true);
  assert.equal(net.reachable("x", "a:1"), false);

  // New connects across the cut time out (the SYN is lost), in simulated time.
  const t0 = clock.now();
  await assert.rejects(connectSim(net, clock, "a:1", "c", 100, 300), /timed out after 300 ms/);
  assert.equal(clock.now() - t0, 300);
  await assert.rejects(connectSim(net, clock, "c:3", "b", 100, 300), /timed out/);
  // Within a group it works.
  const ba = await connectSim(net, clock, "b:2", "a", 100);
  assert.equal(ba.closed, false);

  net.heal();
  const ac2 = await connectSim(net, clock, "a:1", "c", 100);
  const r2 = record(accepted.get("c:3")!.at(-1)!, clock);
  ac2.send(tagged(7));
  advance(clock, 10);
  assert.deepEqual(r2.got.map((g) => g.tag), [7]);
  net.shutdown();
});

Deno.test("bus sim: isolate closes a node's links and blocks connects both ways; rejoin", async () => {
  const { clock, net } = setup();
  for (const id of ["a", "b", "c"]) await net.host(id).listen(id, 1, (l) => l.onPacket = () => {});
  const ab = await connectSim(net, clock, "a", "b", 1);
  const ca = await connectSim(net, clock, "c", "a", 1);
  const ra = record(ab, clock);
  const rc = record(ca, clock);
  net.isolate("a");
  advance(clock, 1);
  assert.deepEqual(ra.closes.map((c) => c.reason), ["node isolated"]);
  assert.deepEqual(rc.closes.map((c) => c.reason), ["node isolated"]);
  assert.equal(net.openLinkCount(), 0);
  await assert.rejects(connectSim(net, clock, "b", "a", 1, 50), /timed out/);
  await assert.rejects(connectSim(net, clock, "a", "b", 1, 50), /timed out/);
  await assert.rejects(connectSim(net, clock, "a", "nowhere", 1, 50), /timed out/);
  // Other nodes are unaffected.
  const bc = await connectSim(net, clock, "b", "c", 1);
  assert.equal(bc.closed, false);
  net.rejoin("a");
  const ab2 = await connectSim(net, clock, "a", "b", 1);
  assert.equal(ab2.closed, false);
  net.shutdown();
});

Deno.test("bus sim: refused connect, address in use, closed listener", async () => {
  const { clock, net } = setup({ latency: { minMs: 3, maxMs: 3 } });
  const t0 = clock.now();
  await assert.rejects(connectSim(net, clock, "a", "b", 9), /connection refused/);
  assert.equal(clock.now() - t0, 6); // SYN + RST
  const l = await net.host("b").listen("b", 9, () => {});
  await assert.rejects(net.host("c").listen("b", 9, () => {}), /address in use/);
  const e = await net.host("b").listen("b", 0, () => {});
  assert.ok(e.addr.port >= 40000);
  l.close();
  await assert.rejects(connectSim(net, clock, "a", "b", 9), /connection refused/);
  assert.equal(net.stats.refused, 2);
  net.shutdown();
});

Deno.test("bus sim: close delivers data already sent, then the peer sees the close", async () => {
  const { clock, net } = setup({ latency: { minMs: 1, maxMs: 30 }, seed: 5 });
  let server: BusLink | null = null;
  await net.host("b").listen("b", 1, (link) => server = link);
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  const rc = record(client, clock);
  for (let i = 0; i < 20; i++) client.send(tagged(i));
  client.close();
  client.close();
  assert.equal(client.send(tagged(99)), false);
  assert.equal(client.bufferedBytes(), 0);
  // Packets towards the closed end are discarded.
  server!.send(tagged(50));
  advance(clock, 100);
  assert.deepEqual(rs.got.map((g) => g.tag), Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(rs.closes.map((c) => c.reason), ["connection closed by peer"]);
  assert.ok(rs.closes[0].t >= rs.got[19].t);
  assert.deepEqual(rc.closes.map((c) => c.reason), ["closed locally"]);
  assert.deepEqual(rc.got, []);
  assert.equal(server!.closed, true);
  assert.equal(net.openLinkCount(), 0);
  net.shutdown();
});

Deno.test("bus sim: packets wait for onPacket; send buffer is bounded by unread bytes", async () => {
  const { clock, net } = setup({ sendBufferBytes: 3 * MIN_PACKET_BYTES });
  let server: BusLink | null = null;
  // The server greets in onAccept, before the client's handler can exist.
  await net.host("b").listen("b", 1, (link) => {
    server = link;
    assert.equal(link.send(tagged(1000)), true);
  });
  const client = await connectSim(net, clock, "a", "b", 1);
  advance(clock, 5);
  // Nobody reads on the server yet: the fourth packet does not fit.
  for (let i = 0; i < 3; i++) assert.equal(client.send(tagged(i)), true);
  assert.equal(client.send(tagged(3)), false);
  advance(clock, 10);
  assert.equal(client.bufferedBytes(), 3 * MIN_PACKET_BYTES); // arrived but unread
  assert.equal(client.send(tagged(3)), false);
  // What the whole network holds: the client's three packets and the server's greeting.
  assert.equal(net.stats.bytesInFlight, 4 * MIN_PACKET_BYTES);
  const rs = record(server!, clock);
  const rc = record(client, clock);
  assert.equal(rs.got.length, 0); // never synchronous from the setter
  advance(clock, 1);
  assert.deepEqual(rs.got.map((g) => g.tag), [0, 1, 2]);
  assert.deepEqual(rc.got.map((g) => g.tag), [1000]);
  assert.equal(client.bufferedBytes(), 0);
  assert.equal(net.stats.bytesInFlight, 0);
  // An empty buffer takes one packet above the bound.
  assert.equal(client.send(tagged(4, 4 * MIN_PACKET_BYTES)), true);
  assert.equal(client.send(tagged(5)), false);
  assert.equal(net.stats.bytesInFlight, 4 * MIN_PACKET_BYTES);
  advance(clock, 5);
  assert.deepEqual(rs.got.map((g) => g.tag), [0, 1, 2, 4]);
  assert.deepEqual([net.stats.bytesInFlight, net.stats.peakBytesInFlight], [
    0,
    4 * MIN_PACKET_BYTES,
  ]);
  // Framing errors are caller bugs.
  assert.throws(() => client.send(framePacket(100)), TypeError);
  assert.throws(() => client.send(new Uint8Array(MIN_PACKET_BYTES)), TypeError);
  net.shutdown();
});

Deno.test("bus sim: drop probability loses packets deterministically; throwing handler", async () => {
  const { clock, net } = setup({ dropProbability: 1 });
  let server: BusLink | null = null;
  const logs: string[] = [];
  const net2 = new SimBusNetwork(clock, { seed: 3, log: (m) => logs.push(m) });
  await net.host("b").listen("b", 1, (link) => server = link);
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  for (let i = 0; i < 10; i++) client.send(tagged(i));
  advance(clock, 10);
  assert.equal(rs.got.length, 0);
  assert.equal(net.stats.dropped, 10);
  net.setDropProbability(0);
  client.send(tagged(11));
  advance(clock, 10);
  assert.deepEqual(rs.got.map((g) => g.tag), [11]);
  net.shutdown();

  // A throwing onPacket closes that link only and is logged.
  let s2: BusLink | null = null;
  await net2.host("b").listen("b", 1, (link) => {
    s2 = link;
    link.onPacket = () => {
      throw new Error("boom");
    };
  });
  const c2 = await connectSim(net2, clock, "a", "b", 1);
  const rc2 = record(c2, clock);
  const closes: string[] = [];
  s2!.onClose = (r) => closes.push(r);
  c2.send(tagged(1));
  advance(clock, 10);
  assert.equal(closes.length, 1);
  assert.match(closes[0], /handler error: Error: boom/);
  assert.deepEqual(rc2.closes.map((c) => c.reason), ["connection closed by peer"]);
  assert.ok(logs.some((l) => l.includes("boom")));
  net2.shutdown();
});

Deno.test("bus sim: connect times out when the SYN-ACK is too late", async () => {
  const { clock, net } = setup({ latency: { minMs: 50, maxMs: 50 } });
  const accepted: BusLink[] = [];
  await net.host("b").listen("b", 1, (link) => {
    accepted.push(link);
    link.onPacket = () => {};
  });
  const closes: string[] = [];
  await assert.rejects(connectSim(net, clock, "a", "b", 1, 80), /timed out after 80 ms/);
  assert.equal(accepted.length, 1); // the server saw the SYN at 50
  accepted[0].onClose = (r) => closes.push(r);
  advance(clock, 200);
  // The abandoned client end closes, so the server end does not leak.
  assert.deepEqual(closes, ["connection closed by peer"]);
  assert.equal(net.openLinkCount(), 0);
  net.shutdown();
});

Deno.test("bus sim: an XState actor on the same SimulatedClock drives traffic", async () => {
  const { setup: xsetup, createActor } = await import("xstate");
  const { clock, net } = setup({ latency: { minMs: 3, maxMs: 3 } });
  let server: BusLink | null = null;
  await net.host("b").listen("b", 1, (link) => server = link);
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  const t0 = clock.now();
  let seq = 0;
  const pinger = xsetup({
    actions: { ping: () => void client.send(tagged(seq++)) },
  }).createMachine({
    initial: "waiting",
    states: { waiting: { after: { 100: { target: "waiting", reenter: true, actions: "ping" } } } },
  });
  const actor = createActor(pinger, { clock });
  actor.start();
  advance(clock, 1000);
  actor.stop();
  // Pings at t0+100, +200, ... +1000; each arrives 3 ms later (the last one still in flight).
  assert.deepEqual(
    rs.got,
    Array.from({ length: 9 }, (_, i) => ({ t: t0 + 100 * (i + 1) + 3, tag: i })),
  );
  assert.equal(seq, 10);
  net.shutdown();
});

Deno.test("bus sim: advanceAsync lets async node code (await connect) progress", async () => {
  const { clock, net } = setup({ latency: { minMs: 2, maxMs: 2 } });
  const got: { t: number; tag: number }[] = [];
  await net.host("b").listen("b", 1, (link) => {
    link.onPacket = (p) => got.push({ t: clock.now(), tag: tagOf(p) });
  });
  const steps: string[] = [];
  const node = (async () => {
    const link = await net.host("a").connect("b", 1, 100);
    steps.push(`connected ${clock.now()}`);
    link.send(tagged(1));
    const again = await net.host("a").connect("b", 1, 100);
    steps.push(`connected ${clock.now()}`);
    again.send(tagged(2));
  })();
  await advanceAsync(clock, 20);
  await node;
  assert.deepEqual(steps, ["connected 4", "connected 8"]);
  assert.deepEqual(got, [{ t: 6, tag: 1 }, { t: 10, tag: 2 }]);
  net.shutdown();
});

Deno.test("bus sim: blackhole partition holds traffic on open links until heal", async () => {
  const { clock, net } = setup({ latency: { minMs: 1, maxMs: 5 }, seed: 11 });
  let server: BusLink | null = null;
  await net.host("b").listen("b", 1, (link) => server = link);
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  const rc = record(client, clock);
  client.send(tagged(0));
  net.partition([["a"], ["b"]], "blackhole"); // packet 0 is still in flight
  for (let i = 1; i <= 3; i++) client.send(tagged(i));
  server!.send(tagged(100));
  advance(clock, 100);
  assert.equal(rs.got.length, 0);
  assert.equal(rc.got.length, 0);
  assert.equal(client.closed || server!.closed, false);
  assert.equal(client.bufferedBytes(), 4 * MIN_PACKET_BYTES); // held bytes stay buffered
  await assert.rejects(connectSim(net, clock, "a", "b", 1, 50), /timed out/);
  client.close(); // the FIN is held too
  advance(clock, 20);
  assert.equal(server!.closed, false);
  const healedAt = clock.now();
  net.heal();
  advance(clock, 20);
  assert.deepEqual(rs.got.map((g) => g.tag), [0, 1, 2, 3]);
  assert.ok(rs.got[0].t > healedAt);
  assert.deepEqual(rs.closes.map((c) => c.reason), ["connection closed by peer"]);
  assert.equal(rc.got.length, 0); // the reply reached a closed end
  assert.ok(net.trace().some((l) => / hold link /.test(l)));

  // isolate in blackhole mode, then rejoin.
  let s2: BusLink | null = null;
  await net.host("b").listen("b", 2, (link) => s2 = link);
  const c2 = await connectSim(net, clock, "a", "b", 2);
  const r2 = record(s2!, clock);
  net.isolate("b", "blackhole");
  c2.send(tagged(7));
  advance(clock, 50);
  assert.equal(r2.got.length, 0);
  net.rejoin("b");
  advance(clock, 10);
  assert.deepEqual(r2.got.map((g) => g.tag), [7]);
  net.shutdown();
});

Deno.test("bus sim: cut blocks only the named pairs, adds up, and heal lifts it", async () => {
  const { clock, net } = setup();
  for (const id of ["a", "b", "c"]) await net.host(id).listen(id, 1, (l) => l.onPacket = () => {});
  const ab = await connectSim(net, clock, "a", "b", 1);
  const ac = await connectSim(net, clock, "a", "c", 1);
  const bc = await connectSim(net, clock, "b", "c", 1);
  net.cut(["a"], ["b"]);
  assert.equal(ab.closed, true);
  assert.equal(ac.closed || bc.closed, false);
  net.cut(["c"], ["b"]);
  assert.equal(bc.closed, true);
  assert.equal(ac.closed, false);
  assert.equal(net.reachable("b", "a"), false);
  assert.equal(net.reachable("a", "c"), true);
  assert.throws(() => net.cut(["a"], ["a"]), /both sides/);
  await assert.rejects(connectSim(net, clock, "b", "a", 1, 300), /timed out/);
  net.heal();
  assert.equal(net.reachable("a", "b") && net.reachable("b", "c"), true);
  const ab2 = await connectSim(net, clock, "a", "b", 1);
  assert.equal(ab2.closed, false);
  net.shutdown();
});

Deno.test("bus sim: a one-way cut holds one direction, lets the other through, blocks connects; heal", async () => {
  const { clock, net } = setup();
  let server: BusLink | null = null;
  await net.host("b").listen("b", 1, (link) => server = link);
  await net.host("a").listen("a", 1, (l) => l.onPacket = () => {});
  const client = await connectSim(net, clock, "a", "b", 1);
  const rs = record(server!, clock);
  const rc = record(client, clock);
  net.cutOneWay(["a"], ["b"]);
  assert.equal(net.reachable("a", "b"), false);
  assert.equal(net.reachable("b", "a"), true);
  client.send(tagged(1));
  server!.send(tagged(2));
  advance(clock, 20);
  assert.deepEqual(rs.got.map((g) => g.tag), []);
  assert.deepEqual(rc.got.map((g) => g.tag), [2]);
  assert.equal(client.closed || server!.closed, false);
  await assert.rejects(connectSim(net, clock, "a", "b", 1, 100), /timed out/);
  await assert.rejects(connectSim(net, clock, "b", "a", 1, 100), /timed out/);
  assert.throws(() => net.cutOneWay(["a"], ["a"]), /both sides/);
  net.heal();
  advance(clock, 10);
  assert.deepEqual(rs.got.map((g) => g.tag), [1]);
  net.shutdown();
});

Deno.test("bus sim: a packet sent on k links is handed over as the sent bytes, held once", async () => {
  const { clock, net } = setup({ latency: { minMs: 1, maxMs: 3 } });
  const servers: BusLink[] = [];
  await net.host("b").listen("b", 1, (link) => servers.push(link));
  const clients: BusLink[] = [];
  for (const from of ["a1", "a2", "a3", "a4"]) {
    clients.push(await connectSim(net, clock, from, "b", 1));
  }
  const got: Uint8Array[] = [];
  for (const s of servers) s.onPacket = (p) => got.push(p);
  // One encoding sent on every link (the engine's broadcast): no copy per link.
  const packet = tagged(7, MIN_PACKET_BYTES + 100);
  for (const c of clients) assert.equal(c.send(packet), true);
  assert.equal(clients[0].bufferedBytes(), packet.length);
  advance(clock, 10);
  assert.equal(got.length, clients.length);
  for (const p of got) assert.equal(p, packet);
  assert.equal(clients[0].bufferedBytes(), 0);
  net.shutdown();
});

Deno.test("bus sim: with recyclePackets a packet goes back once every link delivered or lost it", async () => {
  for (const recyclePackets of [true, false]) {
    const { clock, net } = setup({ latency: { minMs: 2, maxMs: 2 }, recyclePackets });
    const servers: BusLink[] = [];
    await net.host("b").listen("b", 1, (link) => servers.push(link));
    const clients: BusLink[] = [];
    for (const from of ["a1", "a2", "a3"]) clients.push(await connectSim(net, clock, from, "b", 1));
    let deliveries = 0;
    servers[0].onPacket = () => deliveries++;
    // A length no other test uses: what `zeroedPacketBytes` hands out next for it is this test's.
    const len = MIN_PACKET_BYTES + 4321;
    const packet = tagged(9, len);
    for (const c of clients) assert.equal(c.send(packet), true);
    // The third link's server end closes before the packet arrives: lost there.
    servers[2].close();
    advance(clock, 10);
    // Delivered on the first link, lost on the third, waiting for a reader on the second.
    assert.equal(deliveries, 1);
    assert.notEqual(zeroedPacketBytes(len), packet, "given back while a link still holds it");
    servers[1].onPacket = () => deliveries++;
    advance(clock, 1);
    assert.equal(deliveries, 2);
    const next = zeroedPacketBytes(len);
    if (recyclePackets) {
      assert.equal(next, packet, "not given back after the last delivery");
      assert.ok(next.every((b) => b === 0));
    } else assert.notEqual(next, packet);
    net.shutdown();
  }
});

Deno.test("bus sim: a cancelled event runs nothing and keeps the others' order", () => {
  const { clock, net } = setup();
  const ran: string[] = [];
  net.schedule(5, () => ran.push("a"));
  const b = net.schedule(5, () => ran.push("b"));
  net.schedule(5, () => ran.push("c"));
  net.cancel(b);
  net.cancel(null);
  advance(clock, 10);
  assert.deepEqual(ran, ["a", "c"]);
  net.shutdown();
  assert.equal(net.schedule(20, () => ran.push("d")), null);
});

Deno.test("bus sim: a tapped host's links report each packet sent (dropped too) and received", async () => {
  const { clock, net } = setup({ dropProbability: 1 });
  const seen: string[] = [];
  const taps = (who: string) => ({
    sent: (p: Uint8Array) => seen.push(`${who} sent ${tagOf(p)}`),
    received: (p: Uint8Array) => seen.push(`${who} received ${tagOf(p)}`),
  });
  let server: BusLink | null = null;
  await net.tappedHost("b", taps("b")).listen("b", 1, (link) => server = link);
  let client: BusLink | null = null;
  net.tappedHost("a", taps("a")).connect("b", 1, 1000).then((l) => client = l);
  for (let i = 0; i < 50 && client === null; i++) {
    clock.increment(1);
    await Promise.resolve();
    await Promise.resolve();
  }
  const got: number[] = [];
  server!.onPacket = (p) => {
    seen.push(`b handler ${tagOf(p)}`);
    got.push(tagOf(p));
  };
  client!.send(tagged(1)); // dropped: still tapped as sent, never received
  net.setDropProbability(0);
  client!.send(tagged(2));
  server!.send(tagged(3)); // nobody handles it on a: not received yet
  advance(clock, 10);
  assert.deepEqual(got, [2]);
  assert.deepEqual(seen, ["a sent 1", "a sent 2", "b sent 3", "b received 2", "b handler 2"]);
  // A link of the plain host view is not tapped (its peer, accepted through b's, is).
  const before = seen.length;
  const plain = await connectSim(net, clock, "c", "b", 1);
  server!.onPacket = (p) => seen.push(`b handler ${tagOf(p)}`); // the end b accepted from c
  plain.send(tagged(4));
  advance(clock, 10);
  assert.deepEqual(seen.slice(before), ["b received 4", "b handler 4"]);
  net.shutdown();
});
