/**
 * The bus MAC (cluster/bus_auth.ts): signing and checking real bus messages, the rotation matrix,
 * a known-answer check against WebCrypto's HMAC, the per-address drop-log limit; and the network
 * wrapper (cluster/bus_network_auth.ts) on the simulated network.
 */

import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import {
  BUS_MAC_BYTES,
  BUS_MAC_VERSION,
  type BusSecrets,
  DropLogLimiter,
  OFF_MAC_CURRENT,
  OFF_MAC_PREVIOUS,
  OFF_MAC_VERSION,
  signBusPacket,
  verifyBusPacket,
} from "./bus_auth.ts";
import { authenticatedBusNetwork } from "./bus_network_auth.ts";
import { advance, SimBusNetwork } from "./bus_network_sim.ts";
import type { BusLink } from "./bus_network.ts";
import { decodeBusMessage, encodeBusMessage, OFF_NOTUSED1 } from "../protocol/bus.ts";

const NAME_A = "a".repeat(40);
const NAME_B = "b".repeat(40);

function header() {
  return {
    port: 7000,
    currentEpoch: 5n,
    configEpoch: 3n,
    offset: 0n,
    sender: NAME_A,
    myslots: new Uint8Array(2048).fill(0xf0),
    slaveof: null,
    myip: "",
    pport: 0,
    cport: 17000,
    flags: 1,
    state: 0,
    mflags: 0,
  };
}

function ping(): Uint8Array {
  return encodeBusMessage({
    type: "PING",
    header: header(),
    gossip: [{
      nodename: NAME_B,
      pingSentSec: 0,
      pongReceivedSec: 0,
      ip: "10.0.0.2",
      port: 7001,
      cport: 17001,
      flags: 1,
      pport: 0,
    }],
    extensions: [{ type: "HOSTNAME", hostname: "a.example" }],
  });
}

const A: BusSecrets = { secret: "secret-A", previous: "" };
const B: BusSecrets = { secret: "secret-B", previous: "" };
const B_PREV_A: BusSecrets = { secret: "secret-B", previous: "secret-A" };
const OFF: BusSecrets = { secret: "", previous: "" };

Deno.test("bus auth: off changes nothing, on adds the MAC in notused1 only", () => {
  const p = ping();
  const copy = p.slice();
  assert.equal(signBusPacket(p, OFF), p, "off: the very same bytes");
  assert.equal(verifyBusPacket(p, OFF), "ok");
  assert.equal(verifyBusPacket(signBusPacket(p, A), OFF), "ok", "off accepts signed packets too");

  const s = signBusPacket(p, A);
  assert.deepEqual(p, copy, "the engine's buffer is not modified");
  assert.equal(s.length, p.length);
  for (let i = 0; i < p.length; i++) {
    if (i >= OFF_NOTUSED1 && i < OFF_NOTUSED1 + 30) continue;
    assert.equal(s[i], p[i], `byte ${i} outside notused1 changed`);
  }
  assert.equal(s[OFF_MAC_VERSION], BUS_MAC_VERSION);
  assert.ok(s.subarray(OFF_MAC_CURRENT, OFF_MAC_CURRENT + BUS_MAC_BYTES).some((b) => b !== 0));
  assert.ok(s.subarray(OFF_MAC_PREVIOUS, OFF_MAC_PREVIOUS + BUS_MAC_BYTES).every((b) => b === 0));
  // The engine decodes the same message.
  assert.deepEqual(decodeBusMessage(s), decodeBusMessage(p));
  assert.equal(verifyBusPacket(s, A), "ok");
});

Deno.test("bus auth: missing, wrong secret, and any flipped bit are refused", () => {
  const p = ping();
  assert.equal(verifyBusPacket(p, A), "missing");
  const s = signBusPacket(p, A);
  assert.equal(verifyBusPacket(s, B), "wrong");
  const stripped = s.slice();
  stripped[OFF_MAC_VERSION] = 0;
  assert.equal(verifyBusPacket(stripped, A), "missing");
  // Every byte is covered: header fields, slot bitmap, gossip, extension, the MACs themselves.
  for (let i = 0; i < s.length; i++) {
    if (i === OFF_MAC_VERSION) continue;
    const t = s.slice();
    t[i] ^= 0x01;
    const v = verifyBusPacket(t, A);
    // Flipping the unused previous-slot MAC of a single-secret packet leaves the current MAC
    // valid: the packet content is unchanged, so accepting it is right.
    if (i >= OFF_MAC_PREVIOUS && i < OFF_MAC_PREVIOUS + BUS_MAC_BYTES) assert.equal(v, "ok");
    else assert.equal(v, "wrong", `flip at byte ${i} accepted`);
  }
});

Deno.test("bus auth: HMAC-SHA256 over the packet minus the MAC bytes (WebCrypto agrees)", async () => {
  // Secrets shorter than, equal to and longer than SHA-256's 64-byte block (hashed first), and
  // multi-byte UTF-8.
  const secrets = [A.secret, "k", "x".repeat(63), "y".repeat(64), "z".repeat(65), "sécret-ü"];
  for (const secret of secrets) {
    const s = signBusPacket(ping(), { secret, previous: "" });
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const covered = new Uint8Array(s.length - 2 * BUS_MAC_BYTES);
    covered.set(s.subarray(0, OFF_MAC_CURRENT));
    covered.set(s.subarray(OFF_MAC_PREVIOUS + BUS_MAC_BYTES), OFF_MAC_CURRENT);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, covered));
    assert.deepEqual(
      s.subarray(OFF_MAC_CURRENT, OFF_MAC_CURRENT + BUS_MAC_BYTES),
      mac.subarray(0, BUS_MAC_BYTES),
      `secret of ${secret.length} characters`,
    );
  }
});

Deno.test("bus auth: rotation matrix (sign with new and old, accept either)", () => {
  const p = ping();
  const cases: [BusSecrets, BusSecrets, string][] = [
    // A node mid-rotation (B, previous A) is understood by nodes on A and on B.
    [B_PREV_A, A, "ok"],
    [B_PREV_A, B, "ok"],
    [B_PREV_A, B_PREV_A, "ok"],
    // Nodes not yet rotated (A) are understood by rotated ones (B, previous A).
    [A, B_PREV_A, "ok"],
    // After the previous secret is dropped everywhere, only B talks to B.
    [B, B_PREV_A, "ok"],
    [B, B, "ok"],
    // Skipping a step fails: that is what the procedure's order prevents.
    [A, B, "wrong"],
    [B, A, "wrong"],
    [OFF, A, "missing"],
    // Turning authentication on (or off) in a running cluster: MACs not required for a while.
    [OFF, { ...A, required: false }, "ok"],
    [A, { ...A, required: false }, "ok"],
    [B, { ...A, required: false }, "wrong"],
    [{ ...A, required: false }, OFF, "ok"],
  ];
  for (const [signer, receiver, want] of cases) {
    assert.equal(
      verifyBusPacket(signBusPacket(p, signer), receiver),
      want,
      `${JSON.stringify(signer)} -> ${JSON.stringify(receiver)}`,
    );
  }
});

Deno.test("bus auth: drop log once per peer address per interval, bounded", () => {
  const l = new DropLogLimiter(60_000, 3);
  const first = l.note("10.0.0.9", 5000, "missing", 1000);
  assert.match(first!, /^Dropped a cluster bus message without a MAC from 10\.0\.0\.9:5000: /);
  assert.equal(l.note("10.0.0.9", 5001, "wrong", 2000), null, "another port, same address");
  assert.equal(l.note("10.0.0.9", 5001, "wrong", 60_999), null);
  assert.match(l.note("10.0.0.8", 1, "wrong", 3000)!, /with a wrong MAC from 10\.0\.0\.8:1/);
  const again = l.note("10.0.0.9", 5002, "wrong", 61_000);
  assert.match(again!, /with a wrong MAC .*\(2 more dropped since the last report\)/);
  // Bounded: a fourth and fifth address push out the oldest.
  l.note("10.0.0.1", 1, "wrong", 61_000);
  l.note("10.0.0.2", 1, "wrong", 61_000);
  assert.equal(l.size, 3);
  assert.notEqual(l.note("10.0.0.8", 1, "wrong", 61_001), null, "forgotten, so logged again");
});

/** Two sim hosts, each with its own secrets, a link between them, what each receives. */
async function pair(serverSecrets: () => BusSecrets, clientSecrets: () => BusSecrets) {
  const clock = new SimulatedClock();
  const net = new SimBusNetwork(clock, { seed: 7, latency: { minMs: 1, maxMs: 1 } });
  const logs: string[] = [];
  const wrap = (identity: string, secrets: () => BusSecrets) =>
    authenticatedBusNetwork(net.host(identity), {
      secrets,
      nowMs: () => clock.now(),
      log: (l) => logs.push(`${identity} ${l}`),
    });
  const serverGot: Uint8Array[] = [];
  let server: BusLink | null = null;
  await wrap("s:1", serverSecrets).listen("s", 17000, (link) => {
    server = link;
    link.onPacket = (p) => serverGot.push(p);
  });
  const pending = wrap("c:1", clientSecrets).connect("s", 17000, 1000);
  advance(clock, 5);
  const client = await pending;
  const clientGot: Uint8Array[] = [];
  client.onPacket = (p) => clientGot.push(p);
  return { clock, net, logs, client, server: server!, serverGot, clientGot };
}

Deno.test("bus auth network: same secret delivers; none or another is dropped, logged once", async () => {
  let clientSecrets = A;
  const t = await pair(() => A, () => clientSecrets);
  t.client.send(ping());
  advance(t.clock, 5);
  assert.equal(t.serverGot.length, 1);
  assert.deepEqual(decodeBusMessage(t.serverGot[0]), decodeBusMessage(ping()));
  t.server.send(ping());
  advance(t.clock, 5);
  assert.equal(t.clientGot.length, 1);

  clientSecrets = OFF;
  for (let i = 0; i < 3; i++) t.client.send(ping());
  clientSecrets = B;
  t.client.send(ping());
  advance(t.clock, 5);
  assert.equal(t.serverGot.length, 1, "nothing more reached the engine");
  assert.equal(t.logs.length, 1);
  assert.match(t.logs[0], /^s:1 Dropped a cluster bus message without a MAC from c:/);
  assert.equal(t.server.closed, false, "a drop does not close the link (no answer at all)");
  assert.equal(t.client.closed, false);
  // A minute later the same address is reported again, with the count in between.
  advance(t.clock, 60_000);
  t.client.send(ping());
  advance(t.clock, 5);
  assert.equal(t.logs.length, 2);
  assert.match(t.logs[1], /with a wrong MAC .*\(3 more dropped since the last report\)/);
  // Rotation on the fly (as CONFIG SET does): read per packet.
  clientSecrets = B_PREV_A;
  t.client.send(ping());
  advance(t.clock, 5);
  assert.equal(t.serverGot.length, 2);
  t.net.shutdown();
});

Deno.test("bus auth network: with no secret anywhere, packets pass byte for byte", async () => {
  const t = await pair(() => OFF, () => OFF);
  const p = ping();
  t.client.send(p);
  advance(t.clock, 5);
  assert.deepEqual(t.serverGot, [p]);
  assert.equal(t.serverGot[0][OFF_MAC_VERSION], 0);
  t.net.shutdown();
});

Deno.test("bus auth network: the handlers are told of the link they were set on, its tag kept", async () => {
  const t = await pair(() => A, () => A);
  const seen: [string, BusLink, unknown][] = [];
  t.server.tag = "the engine's record";
  t.server.onPacket = (_p, link) => seen.push(["packet", link, link.tag]);
  t.server.onClose = (_r, link) => seen.push(["close", link, link.tag]);
  t.client.send(ping());
  advance(t.clock, 5);
  t.client.close();
  advance(t.clock, 5);
  await Promise.resolve();
  assert.deepEqual(seen.map(([what]) => what), ["packet", "close"]);
  for (const [, link, tag] of seen) {
    assert.equal(link, t.server, "the wrapping link, not the one it wraps");
    assert.equal(tag, "the engine's record");
  }
  t.net.shutdown();
});
