/**
 * Tests for cluster/bus_network_tcp.ts over real loopback TCP: packet exchange, stream split at
 * arbitrary boundaries, bounded send buffer with backpressure, garbage / bad totlen closing the
 * link without throwing, connect refusal, close semantics.
 */

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { type BusLink, framePacket, MIN_PACKET_BYTES } from "./bus_network.ts";
import { TcpBusNetwork } from "./bus_network_tcp.ts";
import { Prng } from "./prng.ts";
import { freePort } from "../tests/ports.ts";

/** A free port in the test range, reserved for this run (tests/ports.ts). */
function freeTestPort(): number {
  return freePort();
}

/**
 * Records what a link receives; `closed` resolves with the onClose reason. `otherLinks` counts
 * calls that named another link than this one (the handlers get their link, BusLink.tag).
 */
function collect(link: BusLink) {
  const packets: Uint8Array[] = [];
  let closeCalls = 0;
  let otherLinks = 0;
  const closed = new Promise<string>((resolve) => {
    link.onClose = (reason, l) => {
      if (l !== link) otherLinks++;
      closeCalls++;
      resolve(reason);
    };
  });
  link.onPacket = (p, l) => {
    if (l !== link) otherLinks++;
    packets.push(p);
  };
  return { packets, closed, closeCalls: () => closeCalls, otherLinks: () => otherLinks };
}

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("waitUntil timed out");
    await sleep(2);
  }
}

/** Packet of `totlen` bytes with a recognisable pattern derived from `tag`. */
function testPacket(totlen: number, tag: number): Uint8Array {
  return framePacket(totlen, (i) => (i * 31 + tag * 7) & 0xff);
}

async function withPair(
  opts: { sendBufferBytes?: number; maxPacketBytes?: number },
  body: (ctx: {
    net: TcpBusNetwork;
    client: BusLink;
    server: BusLink;
    port: number;
    log: string[];
  }) => Promise<void>,
  setupServer?: (link: BusLink) => void,
): Promise<void> {
  const log: string[] = [];
  const net = new TcpBusNetwork({ ...opts, log: (m) => log.push(m) });
  const port = freeTestPort();
  let server: BusLink | null = null;
  const listener = await net.listen("127.0.0.1", port, (link) => {
    server = link;
    setupServer?.(link);
  });
  const client = await net.connect("127.0.0.1", port, 2000);
  try {
    await waitUntil(() => server !== null);
    await body({ net, client, server: server!, port, log });
  } finally {
    listener.close();
    client.close();
    (server as BusLink | null)?.close();
    await sleep(20); // let the read/write loops observe the close
  }
}

Deno.test("bus tcp: two endpoints exchange framed packets in order", async () => {
  await withPair({}, async ({ client, server, port }) => {
    assert.equal(client.remoteAddr.port, port);
    assert.equal(client.remoteAddr.host, "127.0.0.1");
    assert.equal(server.localAddr.port, port);
    assert.equal(server.remoteAddr.port, client.localAddr.port);
    const sc = collect(server);
    const cc = collect(client);
    const sizes = [MIN_PACKET_BYTES, 2264, 4352, 70000, 300000, MIN_PACKET_BYTES + 1];
    const sent = sizes.map((n, i) => testPacket(n, i));
    for (const p of sent) assert.equal(client.send(p), true);
    await waitUntil(() => sc.packets.length === sent.length);
    assert.deepEqual(sc.packets, sent);
    // Echo back.
    for (const p of sc.packets) assert.equal(server.send(p), true);
    await waitUntil(() => cc.packets.length === sent.length);
    assert.deepEqual(cc.packets, sent);
    await waitUntil(() => client.bufferedBytes() === 0 && server.bufferedBytes() === 0);
    assert.equal(sc.closeCalls(), 0);
    client.close();
    assert.equal(await sc.closed, "connection closed by peer");
    assert.equal(sc.otherLinks() + cc.otherLinks(), 0, "each handler is told of its own link");
  });
});

Deno.test("bus tcp: a byte stream split at arbitrary boundaries is reassembled", async () => {
  const net = new TcpBusNetwork();
  const port = freeTestPort();
  let server: BusLink | null = null;
  let rec: ReturnType<typeof collect> | null = null;
  const listener = await net.listen("127.0.0.1", port, (link) => {
    server = link;
    rec = collect(link);
  });
  const raw = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const rng = new Prng(77);
    const sent = [2256, 2300, 5000, 2256, 9999, 2257].map((n, i) => testPacket(n, i + 10));
    const stream = new Uint8Array(sent.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of sent) {
      stream.set(p, off);
      off += p.length;
    }
    // Chunks of 1..7 bytes first (splitting the 8-byte prefix), then random sizes.
    off = 0;
    while (off < stream.length) {
      const n = off < 40 ? rng.range(1, 7) : rng.range(1, 3000);
      const chunk = stream.subarray(off, Math.min(stream.length, off + n));
      let w = 0;
      while (w < chunk.length) w += await raw.write(chunk.subarray(w));
      off += chunk.length;
      if (rng.chance(0.3)) await sleep(1); // let some chunks arrive on their own
    }
    await waitUntil(() => rec !== null && rec.packets.length === sent.length);
    assert.deepEqual(rec!.packets, sent);
    assert.equal((server as BusLink | null)?.closed, false);
  } finally {
    raw.close();
    listener.close();
    if (rec !== null) {
      assert.equal(await (rec as ReturnType<typeof collect>).closed, "connection closed by peer");
    }
  }
});

Deno.test("bus tcp: bounded send buffer refuses when full and drains without loss", async () => {
  const bound = 64 * 1024;
  const size = 16 * 1024;
  // The server starts without an onPacket handler: it does not read, so the kernel buffers fill.
  await withPair({ sendBufferBytes: bound }, async ({ client, server }) => {
    // Synchronously, the writer has not completed anything yet: 4 fit, the 5th does not.
    for (let i = 0; i < 4; i++) assert.equal(client.send(testPacket(size, i)), true);
    assert.equal(client.bufferedBytes(), 4 * size);
    assert.equal(client.send(testPacket(size, 4)), false);
    assert.equal(client.bufferedBytes(), 4 * size);
    let accepted = 4;
    // Keep sending until the buffer stays full because the peer does not read.
    let fullSinceMs = -1;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (client.send(testPacket(size, accepted))) {
        accepted++;
        fullSinceMs = -1;
      } else {
        assert.ok(client.bufferedBytes() + size > bound);
        assert.ok(client.bufferedBytes() <= bound);
        if (fullSinceMs < 0) fullSinceMs = Date.now();
        if (Date.now() - fullSinceMs > 300) break;
        await sleep(5);
      }
    }
    assert.ok(fullSinceMs > 0, "the send buffer never filled up");
    assert.ok(client.bufferedBytes() > 0);
    // Now the server reads: everything accepted arrives, in order, and the buffer empties.
    const sc = collect(server);
    await waitUntil(() => sc.packets.length === accepted, 10000);
    for (let i = 0; i < accepted; i++) assert.deepEqual(sc.packets[i], testPacket(size, i));
    await waitUntil(() => client.bufferedBytes() === 0);
    // An empty buffer takes even a packet larger than the bound.
    assert.equal(client.send(testPacket(bound * 2, 999)), true);
    await waitUntil(() => sc.packets.length === accepted + 1);
    assert.equal(sc.packets[accepted].length, bound * 2);
  });
});

Deno.test("bus tcp: garbage, short and oversized totlen close the link without throwing", async () => {
  const cases: { name: string; bytes: Uint8Array; reason: RegExp }[] = [
    {
      name: "garbage",
      bytes: new TextEncoder().encode("PING\r\nhello\r\n"),
      reason: /BAD_SIGNATURE/,
    },
    {
      name: "totlen below header",
      bytes: framePacket(2255),
      reason: /BAD_MIN_LENGTH/,
    },
    {
      name: "totlen above max",
      bytes: framePacket(8).map((b, i) => (i === 4 ? 0x7f : b)),
      reason: /TOO_LARGE/,
    },
  ];
  for (const c of cases) {
    const log: string[] = [];
    const net = new TcpBusNetwork({ maxPacketBytes: 1024 * 1024, log: (m) => log.push(m) });
    const port = freeTestPort();
    let rec: ReturnType<typeof collect> | null = null;
    const listener = await net.listen("127.0.0.1", port, (link) => rec = collect(link));
    const raw = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      // A good packet first: it is delivered before the garbage closes the link.
      const good = testPacket(2256, 1);
      const data = new Uint8Array(good.length + c.bytes.length);
      data.set(good, 0);
      data.set(c.bytes, good.length);
      await raw.write(data);
      await waitUntil(() => rec !== null);
      const reason = await rec!.closed;
      assert.match(reason, c.reason, c.name);
      assert.deepEqual(rec!.packets, [good], c.name);
      assert.ok(log.some((l) => /Bad message length or signature|exceeds/.test(l)), c.name);
      // The raw side sees EOF (or a reset).
      const buf = new Uint8Array(16);
      const n = await raw.read(buf).catch(() => null);
      assert.equal(n, null, c.name);
      await sleep(5);
      assert.equal(rec!.closeCalls(), 1, c.name);
    } finally {
      raw.close();
      listener.close();
    }
  }
});

Deno.test("bus tcp: connect refusal rejects; listen on a used port rejects", async () => {
  const net = new TcpBusNetwork();
  const port = freeTestPort();
  await assert.rejects(net.connect("127.0.0.1", port, 2000), /connect to 127\.0\.0\.1:\d+ failed/);
  const listener = await net.listen("127.0.0.1", port, (l) => l.close());
  try {
    await assert.rejects(net.listen("127.0.0.1", port, () => {}), /listen on .* failed/);
  } finally {
    listener.close();
  }
  // (The timeout path is not tested here: this sandbox accepts connects to any address.)
  await assert.rejects(net.connect("127.0.0.1", port, 0), RangeError);
});

Deno.test("bus tcp: close semantics and send validation", async () => {
  await withPair({}, async ({ client, server }) => {
    const sc = collect(server);
    const cc = collect(client);
    assert.throws(() => client.send(new Uint8Array(100)), TypeError);
    assert.throws(() => client.send(framePacket(100)), TypeError); // below 2256
    const p = testPacket(3000, 5);
    const wrongLen = p.slice(0, 2999);
    assert.throws(() => client.send(wrongLen), TypeError);
    assert.equal(client.send(p), true);
    await waitUntil(() => sc.packets.length === 1);
    client.close();
    client.close();
    assert.equal(client.closed, true);
    assert.equal(client.send(p), false);
    assert.equal(client.bufferedBytes(), 0);
    assert.equal(await cc.closed, "closed locally");
    assert.equal(await sc.closed, "connection closed by peer");
    assert.equal(server.closed, true);
    await sleep(10);
    assert.equal(cc.closeCalls(), 1);
    assert.equal(sc.closeCalls(), 1);
    // onClose fires once per link: a handler set after it was called is not called again.
    let late = "";
    server.onClose = (r) => late = r;
    await sleep(1);
    assert.equal(late, "");
  });
});

Deno.test("bus tcp: a throwing onPacket closes only that link", async () => {
  await withPair({}, async ({ client, server, log }) => {
    const cc = collect(client);
    const sc = collect(server);
    server.onPacket = () => {
      throw new Error("boom");
    };
    client.send(testPacket(2256, 1));
    assert.match(await sc.closed, /handler error: Error: boom/);
    assert.equal(await cc.closed, "connection closed by peer");
    assert.ok(log.some((l) => l.includes("boom")));
  });
});

Deno.test("bus tcp: onClose set after an unobserved close is still called", async () => {
  await withPair({}, async ({ client, server }) => {
    server.onPacket = () => {};
    client.onPacket = () => {};
    server.close();
    await waitUntil(() => client.closed);
    const reason = await new Promise<string>((resolve) => client.onClose = resolve);
    assert.equal(reason, "connection closed by peer");
  });
});

Deno.test("bus tcp: closing a link with a stalled write queue is clean", async () => {
  await withPair({ sendBufferBytes: 1024 * 1024 }, async ({ client, server }) => {
    const cc = collect(client);
    // The server does not read: fill the kernel buffers until the writer stalls.
    let sent = 0;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (!client.send(testPacket(64 * 1024, sent))) break;
      sent++;
      if (sent % 8 === 0) await sleep(1);
    }
    assert.ok(client.bufferedBytes() > 0);
    client.close();
    assert.equal(client.bufferedBytes(), 0);
    assert.equal(await cc.closed, "closed locally");
    // The server, once it reads, gets whole packets only (in order), then the close.
    const sc = collect(server);
    assert.equal(await sc.closed, "connection closed by peer");
    assert.ok(sc.packets.length > 0 && sc.packets.length < sent);
    sc.packets.forEach((p, i) => assert.deepEqual(p, testPacket(64 * 1024, i)));
  });
});
