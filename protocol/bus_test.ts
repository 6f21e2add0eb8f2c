/**
 * Unit tests for the cluster bus codec (protocol/bus.ts): the annotated real PONG of
 * docs/cluster-bus.md §10.1 rebuilt by hand and decoded field by field, round trips of every message
 * type, captured lengths and bytes from the doc, every malformed case of §2.8, and a seeded fuzz
 * test (random and mutated packets) that the decoder never throws.
 */

import assert from "node:assert/strict";
import {
  BUS_HEADER_BYTES,
  type BusDecodeResult,
  type BusHeader,
  type BusMessage,
  busMessageLength,
  CLUSTER_FAIL,
  CLUSTER_OK,
  decodeBusMessage,
  emptySlotBitmap,
  encodeBusMessage,
  EXT_HOSTNAME,
  MSG_FAILOVER_AUTH_ACK,
  MSG_MEET,
  MSG_PING,
  MSG_PONG,
  MSG_PUBLISH,
  MSG_TYPE_NAMES,
  MSGFLAG0_EXT_DATA,
  MSGFLAG0_FORCEACK,
  MSGFLAG0_PAUSED,
  msgTypeName,
  NODE_FAIL,
  NODE_MASTER,
  NODE_MIGRATE_TO,
  NODE_MYSELF,
  NODE_NOFAILOVER,
  NODE_PFAIL,
  NODE_SLAVE,
  nodeFlagsText,
  type PingExtension,
  readRawHeader,
  slotBitmapFromRanges,
  slotRangesOfBitmap,
  writeRawHeader,
} from "./bus.ts";
import { prng } from "../tests/prng.ts";

const ID_93AC = "93ac3d62d12772c7afa9337fcb3adbb756a1a217";
const ID_FA10 = "fa103c1937a316e1b4db4e23e90de203247adc7b";
const ID_43BC = "43bc0aadba4c7902e73b20629fa0855a3f6e09c8";
const ID_B08F = "b08f31a26c189f0fcf9af068b01d40e44657cd1e";
const ID_9165 = "91655b5ba4180279127a9d45f1cde88de476b263";

// ---- A tiny independent byte writer (not the codec under test) ----

class Bytes {
  readonly b: Uint8Array;
  private v: DataView;
  constructor(n: number) {
    this.b = new Uint8Array(n);
    this.v = new DataView(this.b.buffer);
  }
  hex(off: number, hex: string): this {
    const h = hex.replace(/[\s|]/g, "");
    for (let i = 0; i < h.length; i += 2) this.b[off + i / 2] = parseInt(h.slice(i, i + 2), 16);
    return this;
  }
  ascii(off: number, s: string): this {
    for (let i = 0; i < s.length; i++) this.b[off + i] = s.charCodeAt(i);
    return this;
  }
  u16(off: number, x: number): this {
    this.v.setUint16(off, x);
    return this;
  }
  u32(off: number, x: number): this {
    this.v.setUint32(off, x);
    return this;
  }
}

function gossipBytes(
  b: Bytes,
  off: number,
  g: {
    name: string;
    ping: number;
    pong: number;
    ip: string;
    port: number;
    cport: number;
    flags: number;
  },
): void {
  b.ascii(off, g.name).u32(off + 40, g.ping).u32(off + 44, g.pong).ascii(off + 48, g.ip)
    .u16(off + 94, g.port).u16(off + 96, g.cport).u16(off + 98, g.flags);
}

/** §10.1: the annotated real PONG (2592 bytes). Gossip entries 1 and 2 are not shown in the doc;
 * they describe two other nodes of the same test cluster (§8.2). */
function realPong(): Uint8Array {
  const b = new Bytes(2592);
  b.hex(0, "52 43 6d 62 | 00 00 0a 20 | 00 01 | 90 ef | 00 01 | 00 03");
  b.hex(16, "00 00 00 00 00 00 00 07 | 00 00 00 00 00 00 00 00");
  b.hex(32, "00 00 00 00 00 00 00 00").ascii(40, ID_93AC);
  b.hex(80, "00 ff ff ff ff ff ff ff ff ff ff ff 0f 00");
  b.hex(2214, "00 01");
  b.hex(2246, "00 00 | b7 ff | 00 11 | 00 | 04 00 00");
  b.hex(2256, "66 61 31 30").ascii(2256, ID_FA10).hex(2296, "00 00 00 00 | 6b 05 dd 24")
    .ascii(2304, "127.0.0.1").hex(2350, "90 ed | b7 fd | 00 01 | 00 00 | 00 00");
  gossipBytes(b, 2360, {
    name: ID_43BC,
    ping: 0,
    pong: 1795546405,
    ip: "127.0.0.1",
    port: 37104,
    cport: 47104,
    flags: NODE_MASTER,
  });
  gossipBytes(b, 2464, {
    name: ID_B08F,
    ping: 1795546400,
    pong: 1795546399,
    ip: "127.0.0.1",
    port: 37102,
    cport: 47102,
    flags: NODE_MASTER | NODE_PFAIL,
  });
  b.hex(2568, "00 00 00 18 | 00 00 | 00 00").ascii(2576, "host-c.example");
  return b.b;
}

function header(over: Partial<BusHeader> = {}): BusHeader {
  return {
    port: 37101,
    currentEpoch: 0n,
    configEpoch: 0n,
    offset: 0n,
    sender: ID_FA10,
    myslots: emptySlotBitmap(),
    slaveof: null,
    myip: "",
    pport: 0,
    cport: 47101,
    flags: NODE_MASTER | NODE_MYSELF,
    state: CLUSTER_OK,
    mflags: 0,
    ...over,
  };
}

function mustDecode(bytes: Uint8Array): BusMessage {
  const r = decodeBusMessage(bytes);
  if (!r.ok) assert.fail(`decode failed: ${JSON.stringify(r.error)}`);
  return r.message;
}

function mustFail(bytes: Uint8Array): Extract<BusDecodeResult, { ok: false }>["error"] {
  const r = decodeBusMessage(bytes);
  if (r.ok) assert.fail(`expected an error, decoded a ${r.message.type}`);
  return r.error;
}

// ---- The real PONG ----

Deno.test("bus: decodes the annotated real PONG of §10.1 field by field", () => {
  const bytes = realPong();
  const m = mustDecode(bytes);
  assert.equal(m.type, "PONG");
  if (m.type !== "PONG") return;
  const h = m.header;
  assert.equal(h.port, 37103);
  assert.equal(h.currentEpoch, 7n);
  assert.equal(h.configEpoch, 0n);
  assert.equal(h.offset, 0n);
  assert.equal(h.sender, ID_93AC);
  assert.deepEqual(slotRangesOfBitmap(h.myslots), [[8, 99]]);
  assert.equal(h.slaveof, null);
  assert.equal(h.myip, "");
  assert.equal(h.pport, 0);
  assert.equal(h.cport, 47103);
  assert.equal(h.flags, 17);
  assert.equal(nodeFlagsText(h.flags), "myself,master");
  assert.equal(h.state, CLUSTER_OK);
  assert.equal(h.mflags, MSGFLAG0_EXT_DATA);
  assert.equal(m.gossip.length, 3);
  assert.deepEqual(m.gossip[0], {
    nodename: ID_FA10,
    pingSentSec: 0,
    pongReceivedSec: 1795546404,
    ip: "127.0.0.1",
    port: 37101,
    cport: 47101,
    flags: NODE_MASTER,
    pport: 0,
  });
  assert.equal(m.gossip[2].flags, 5);
  assert.equal(m.gossip[2].pingSentSec, 1795546400);
  assert.deepEqual(m.extensions, [{ type: "HOSTNAME", hostname: "host-c.example" }]);
  // Raw header view agrees.
  const raw = readRawHeader(bytes);
  assert.equal(raw.totlen, 2592);
  assert.equal(raw.ver, 1);
  assert.equal(raw.type, MSG_PONG);
  assert.equal(raw.count, 3);
  assert.equal(raw.extensions, 1);
  // And it re-encodes to the same bytes.
  assert.deepEqual(encodeBusMessage(m), bytes);
  assert.equal(busMessageLength(m), 2592);
});

Deno.test("bus: encoder reproduces the captured MEET bytes of §1", () => {
  const myslots = slotBitmapFromRanges([[0, 7], [100, 100]]);
  const bytes = encodeBusMessage({
    type: "MEET",
    header: header({ port: 37101, cport: 47101, myslots, state: CLUSTER_FAIL }),
    gossip: [],
    extensions: [],
  });
  assert.equal(bytes.length, 2256);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x52, 0x43, 0x6d, 0x62]);
  assert.deepEqual([...bytes.subarray(4, 8)], [0x00, 0x00, 0x08, 0xd0]);
  assert.deepEqual([...bytes.subarray(8, 10)], [0x00, 0x01]);
  assert.deepEqual([...bytes.subarray(10, 12)], [0x90, 0xed]);
  assert.deepEqual([...bytes.subarray(12, 14)], [0x00, 0x02]);
  assert.equal(bytes[80], 0xff);
  assert.equal(bytes[92], 0x10);
  assert.deepEqual([...bytes.subarray(2248, 2250)], [0xb7, 0xfd]);
  assert.deepEqual([...bytes.subarray(2250, 2252)], [0x00, 0x11]);
  assert.equal(bytes[2252], 1);
  // Reserved / unused areas are zero: slaveof, myip, notused1, mflags[1..2].
  assert.ok(bytes.subarray(2128, 2246).every((x) => x === 0));
  assert.ok(bytes.subarray(2253, 2256).every((x) => x === 0));
});

Deno.test("bus: slot bitmap layout (slot 16383 is 0x80 of byte 2127 of the message)", () => {
  const bytes = encodeBusMessage({
    type: "PING",
    header: header({ myslots: slotBitmapFromRanges([[16383, 16383]]) }),
    gossip: [],
    extensions: [],
  });
  assert.equal(bytes[2127], 0x80);
  assert.ok(bytes.subarray(80, 2127).every((x) => x === 0));
  assert.deepEqual(
    slotRangesOfBitmap(slotBitmapFromRanges([[0, 0], [10, 12], [14, 14], [16380, 16383]])),
    [
      [0, 0],
      [10, 12],
      [14, 14],
      [16380, 16383],
    ],
  );
});

// ---- Round trips ----

const enc = new TextEncoder();

function allMessages(): BusMessage[] {
  const h = header({
    currentEpoch: 11n,
    configEpoch: 9n,
    offset: 406n,
    myslots: slotBitmapFromRanges([[0, 7], [100, 100], [5000, 5999]]),
    flags: NODE_SLAVE | NODE_MYSELF | NODE_NOFAILOVER,
    slaveof: ID_43BC,
    myip: "10.0.0.42",
    pport: 6379,
    state: CLUSTER_FAIL,
    mflags: MSGFLAG0_PAUSED,
  });
  const gossip = [
    {
      nodename: ID_43BC,
      pingSentSec: 0,
      pongReceivedSec: 1795546404,
      ip: "127.0.0.1",
      port: 37104,
      cport: 47104,
      flags: NODE_MASTER | NODE_MIGRATE_TO,
      pport: 0,
    },
    {
      nodename: ID_9165,
      pingSentSec: 4294967295,
      pongReceivedSec: 1,
      ip: "2001:db8:85a3:8d3:1319:8a2e:370:7348",
      port: 65535,
      cport: 1,
      flags: NODE_MASTER | NODE_FAIL,
      pport: 17000,
    },
  ];
  const exts: PingExtension[] = [
    { type: "HOSTNAME", hostname: "host-c.example" },
    { type: "HUMAN_NODENAME", name: "node-1" },
    { type: "FORGOTTEN_NODE", name: ID_B08F, ttlSec: 60n },
    { type: "SHARDID", shardId: ID_93AC },
    {
      type: "RAW",
      code: 9,
      payload: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    },
  ];
  return [
    { type: "PING", header: h, gossip: [], extensions: [] },
    { type: "PING", header: { ...h, slaveof: null, mflags: 0 }, gossip, extensions: exts },
    { type: "PONG", header: { ...h, mflags: MSGFLAG0_EXT_DATA }, gossip, extensions: [exts[0]] },
    { type: "MEET", header: h, gossip: [gossip[0]], extensions: [] },
    { type: "FAIL", header: h, nodename: ID_9165 },
    {
      type: "PUBLISH",
      header: h,
      channel: enc.encode("chan1"),
      message: enc.encode("hello-world"),
    },
    {
      type: "PUBLISHSHARD",
      header: h,
      channel: enc.encode("ch1853"),
      message: enc.encode("shard-hello"),
    },
    {
      type: "PUBLISH",
      header: h,
      channel: new Uint8Array(0),
      message: new Uint8Array([0, 255, 13, 10]),
    },
    { type: "FAILOVER_AUTH_REQUEST", header: { ...h, mflags: MSGFLAG0_FORCEACK } },
    { type: "FAILOVER_AUTH_ACK", header: h },
    { type: "MFSTART", header: h },
    {
      type: "UPDATE",
      header: h,
      configEpoch: 0xfedcba9876543210n,
      nodename: ID_9165,
      slots: slotBitmapFromRanges([[101, 16383]]),
    },
    {
      type: "MODULE",
      header: h,
      moduleId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      moduleType: 200,
      payload: enc.encode("module payload"),
    },
    {
      type: "MODULE",
      header: h,
      moduleId: new Uint8Array(8),
      moduleType: 0,
      payload: new Uint8Array(0),
    },
    { type: "UNKNOWN", header: h, code: 11, body: new Uint8Array([9, 9, 9]) },
    { type: "UNKNOWN", header: h, code: 65535, body: new Uint8Array(0) },
  ];
}

Deno.test("bus: every message type round-trips (encode -> decode -> same message, same bytes)", () => {
  for (const m of allMessages()) {
    const bytes = encodeBusMessage(m);
    assert.equal(bytes.length, busMessageLength(m), m.type);
    const d = mustDecode(bytes);
    const expected = structuredClone(m);
    // The encoder sets EXT_DATA whenever extensions are sent.
    if ((m.type === "PING" || m.type === "PONG" || m.type === "MEET") && m.extensions.length > 0) {
      expected.header.mflags |= MSGFLAG0_EXT_DATA;
    }
    assert.deepEqual(d, expected, m.type);
    assert.deepEqual(encodeBusMessage(d), bytes, m.type);
  }
});

Deno.test("bus: message lengths match the captured ones (§2)", () => {
  const byType = new Map<string, number[]>();
  for (const m of allMessages()) {
    const l = byType.get(m.type) ?? [];
    l.push(encodeBusMessage(m).length);
    byType.set(m.type, l);
  }
  assert.deepEqual(byType.get("FAIL"), [2296]);
  assert.deepEqual(byType.get("PUBLISH"), [2280, 2268]);
  assert.deepEqual(byType.get("PUBLISHSHARD"), [2281]);
  assert.deepEqual(byType.get("FAILOVER_AUTH_REQUEST"), [2256]);
  assert.deepEqual(byType.get("FAILOVER_AUTH_ACK"), [2256]);
  assert.deepEqual(byType.get("MFSTART"), [2256]);
  assert.deepEqual(byType.get("UPDATE"), [4352]);
  assert.deepEqual(byType.get("MODULE"), [2269 + 14, 2269]);
  // 2256 + 2*104 + hostname 24 + human nodename 16 + forgotten 56 + shard id 48 + raw 8+16.
  assert.deepEqual(byType.get("PING"), [2256, 2256 + 208 + 24 + 16 + 56 + 48 + 24]);
  assert.deepEqual(byType.get("PONG"), [2256 + 208 + 24]);
});

Deno.test("bus: extension encoding (hostname 8-aligned, NUL-terminated; EXT_DATA and count)", () => {
  const bytes = encodeBusMessage({
    type: "PING",
    header: header(),
    gossip: [],
    extensions: [{ type: "HOSTNAME", hostname: "probe-host" }],
  });
  // "probe-host" = 10 chars + NUL = 11 -> 16; +8 = 24.
  assert.equal(bytes.length, 2256 + 24);
  assert.equal(bytes[2253], MSGFLAG0_EXT_DATA);
  assert.deepEqual([...bytes.subarray(2214, 2216)], [0, 1]);
  assert.deepEqual([...bytes.subarray(2256, 2264)], [0, 0, 0, 24, 0, 0, 0, 0]);
  assert.equal(new TextDecoder().decode(bytes.subarray(2264, 2274)), "probe-host");
  assert.ok(bytes.subarray(2274, 2280).every((x) => x === 0));
  // Hostname of exactly 7 chars: 8 bytes payload with the NUL; 8 chars: 16.
  for (const [name, len] of [["abcdefg", 16], ["abcdefgh", 24], ["", 16]] as const) {
    const b = encodeBusMessage({
      type: "PING",
      header: header(),
      gossip: [],
      extensions: [{ type: "HOSTNAME", hostname: name }],
    });
    assert.equal(b.length - 2256, len, name);
  }
  // A RAW payload is zero-padded to a multiple of 8 (decoding returns the padded payload).
  const raw = encodeBusMessage({
    type: "PING",
    header: header(),
    gossip: [],
    extensions: [{ type: "RAW", code: 77, payload: new Uint8Array([1, 2, 3]) }],
  });
  assert.deepEqual([...raw.subarray(2256)], [0, 0, 0, 16, 0, 77, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0]);
  // The forgotten-node extension: 8 + 40 + u64 ttl.
  const f = encodeBusMessage({
    type: "PING",
    header: header(),
    gossip: [],
    extensions: [{ type: "FORGOTTEN_NODE", name: ID_9165, ttlSec: 0x0102030405060708n }],
  });
  assert.deepEqual([...f.subarray(2256, 2264)], [0, 0, 0, 56, 0, 2, 0, 0]);
  assert.deepEqual([...f.subarray(2304, 2312)], [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("bus: MODULE module_id is raw bytes, other integers big-endian", () => {
  const b = encodeBusMessage({
    type: "MODULE",
    header: header({ currentEpoch: 0x0102030405060708n }),
    moduleId: new Uint8Array([8, 7, 6, 5, 4, 3, 2, 1]),
    moduleType: 7,
    payload: new Uint8Array([0xaa, 0xbb]),
  });
  assert.deepEqual([...b.subarray(16, 24)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual([...b.subarray(2256, 2271)], [
    8,
    7,
    6,
    5,
    4,
    3,
    2,
    1,
    0,
    0,
    0,
    2,
    7,
    0xaa,
    0xbb,
  ]);
});

Deno.test("bus: encoder rejects values it cannot encode", () => {
  const bad: BusMessage[] = [
    { type: "PING", header: header({ sender: "short" }), gossip: [], extensions: [] },
    { type: "PING", header: header({ slaveof: "x".repeat(41) }), gossip: [], extensions: [] },
    { type: "PING", header: header({ port: 65536 }), gossip: [], extensions: [] },
    { type: "PING", header: header({ currentEpoch: -1n }), gossip: [], extensions: [] },
    { type: "PING", header: header({ myip: "x".repeat(46) }), gossip: [], extensions: [] },
    { type: "PING", header: header({ myslots: new Uint8Array(10) }), gossip: [], extensions: [] },
    {
      type: "PING",
      header: header(),
      gossip: [],
      extensions: [{ type: "HOSTNAME", hostname: "a\0b" }],
    },
    { type: "FAIL", header: header(), nodename: "é".repeat(39) + "\u0100" },
    {
      type: "MODULE",
      header: header(),
      moduleId: new Uint8Array(4),
      moduleType: 0,
      payload: new Uint8Array(0),
    },
    { type: "UNKNOWN", header: header(), code: 3, body: new Uint8Array(0) },
  ];
  for (const m of bad) assert.throws(() => encodeBusMessage(m), RangeError, JSON.stringify(m.type));
});

Deno.test("bus: constants and names", () => {
  assert.equal(msgTypeName(MSG_FAILOVER_AUTH_ACK), "auth-ack");
  assert.equal(msgTypeName(10), "publishshard");
  assert.equal(msgTypeName(11), "unknown");
  assert.equal(MSG_TYPE_NAMES.length, 11);
  assert.equal(nodeFlagsText(0), "noflags");
  assert.equal(nodeFlagsText(NODE_MASTER | NODE_FAIL | 128 | 256), "master,fail");
  assert.equal(nodeFlagsText(1023), "myself,master,slave,fail?,fail,handshake,noaddr,nofailover");
});

// ---- Malformed packets (§2.8) ----

function ping(
  extra: Partial<{ count: number; ext: number; mflags: number; body: Uint8Array; type: number }> =
    {},
) {
  const body = extra.body ?? new Uint8Array(0);
  const b = new Uint8Array(BUS_HEADER_BYTES + body.length);
  writeRawHeader(b, {
    ...header(),
    totlen: b.length,
    ver: 1,
    type: extra.type ?? MSG_PING,
    count: extra.count ?? 0,
    extensions: extra.ext ?? 0,
    mflags: extra.mflags ?? 0,
  });
  b.set(body, BUS_HEADER_BYTES);
  return b;
}

function extBytes(len32: number, type: number, payload: Uint8Array, total: number): Uint8Array {
  const b = new Bytes(total);
  b.u32(0, len32).u16(4, type);
  b.b.set(payload.subarray(0, total - 8), 8);
  return b.b;
}

Deno.test("bus: framing errors (signature, minimum length) close the link", () => {
  assert.deepEqual(mustFail(new Uint8Array(5)).kind, "TOO_SHORT");
  assert.equal(mustFail(new Uint8Array(0)).kind, "TOO_SHORT");
  const sig = ping();
  sig[3] = 0x42; // "RCmB"
  const e1 = mustFail(sig);
  assert.equal(e1.kind, "BAD_SIGNATURE");
  assert.equal(e1.closeLink, true);
  assert.equal(e1.log, "Bad message length or signature received from Cluster bus.");
  for (const totlen of [2255, 100, 0]) {
    const p = ping();
    new DataView(p.buffer).setUint32(4, totlen);
    const e = mustFail(p);
    assert.equal(e.kind, "BAD_MIN_LENGTH");
    assert.equal(e.closeLink, true);
  }
  // Even an 8-byte prefix alone is judged on signature and length first.
  assert.equal(
    mustFail(new Uint8Array([0x52, 0x43, 0x6d, 0x62, 0, 0, 0, 100])).kind,
    "BAD_MIN_LENGTH",
  );
  assert.equal(
    mustFail(new Uint8Array([0x52, 0x43, 0x6d, 0x63, 0, 0, 8, 0xd0])).kind,
    "BAD_SIGNATURE",
  );
});

Deno.test("bus: byte count must equal totlen; version must be 1 (dropped, link kept)", () => {
  const p = ping();
  const e1 = mustFail(p.subarray(0, 2000));
  assert.equal(e1.kind, "TOTLEN_MISMATCH");
  const longer = new Uint8Array(p.length + 3);
  longer.set(p);
  assert.equal(mustFail(longer).kind, "TOTLEN_MISMATCH");
  for (const ver of [0, 2, 256]) {
    const q = ping();
    new DataView(q.buffer).setUint16(8, ver);
    const e = mustFail(q);
    assert.equal(e.kind, "BAD_VERSION");
    assert.equal(e.closeLink, false);
    if (e.kind === "BAD_VERSION") assert.equal(e.ver, ver);
  }
});

Deno.test("bus: per-type exact lengths (§2 table)", () => {
  const cases: [BusMessage, number][] = [];
  const h = header();
  const fixed: BusMessage[] = [
    { type: "FAIL", header: h, nodename: ID_9165 },
    { type: "FAILOVER_AUTH_REQUEST", header: h },
    { type: "FAILOVER_AUTH_ACK", header: h },
    { type: "MFSTART", header: h },
    { type: "UPDATE", header: h, configEpoch: 1n, nodename: ID_9165, slots: emptySlotBitmap() },
    { type: "PUBLISH", header: h, channel: enc.encode("c"), message: enc.encode("m") },
    { type: "PUBLISHSHARD", header: h, channel: enc.encode("c"), message: enc.encode("m") },
    {
      type: "MODULE",
      header: h,
      moduleId: new Uint8Array(8),
      moduleType: 1,
      payload: enc.encode("p"),
    },
  ];
  for (const m of fixed) for (const delta of [8, 1, -1]) cases.push([m, delta]);
  for (const [m, delta] of cases) {
    const good = encodeBusMessage(m);
    const bad = new Uint8Array(good.length + delta);
    bad.set(good.subarray(0, Math.min(good.length, bad.length)));
    new DataView(bad.buffer).setUint32(4, bad.length);
    if (bad.length < BUS_HEADER_BYTES) continue;
    const e = mustFail(bad);
    assert.equal(e.kind, "BAD_TYPE_LENGTH", `${m.type} ${delta}`);
    assert.equal(e.closeLink, false);
    if (e.kind === "BAD_TYPE_LENGTH") {
      assert.equal(e.totlen, bad.length);
      if (m.type !== "PUBLISH" && m.type !== "PUBLISHSHARD" && m.type !== "MODULE") {
        assert.equal(e.expected, good.length, m.type);
      }
    }
  }
  // The doc's example: AUTH_ACK with 8 extra bytes.
  const ack = ping({ type: MSG_FAILOVER_AUTH_ACK, body: new Uint8Array(8) });
  const e = mustFail(ack);
  assert.equal(e.log, "Received invalid auth-ack packet of length 2264 but expected length 2256");
  // PUBLISH too short to hold its two lengths, and one whose lengths would wrap in 32 bits.
  const short = ping({ type: MSG_PUBLISH });
  assert.equal(mustFail(short).kind, "BAD_TYPE_LENGTH");
  const wrapBody = new Bytes(8 + 8);
  wrapBody.u32(0, 0xffffffff).u32(4, 9);
  assert.equal(mustFail(ping({ type: MSG_PUBLISH, body: wrapBody.b })).kind, "BAD_TYPE_LENGTH");
  // Unknown types are not length-checked.
  const unk = ping({ type: 11, body: new Uint8Array(13) });
  const d = mustDecode(unk);
  assert.equal(d.type, "UNKNOWN");
  if (d.type === "UNKNOWN") {
    assert.equal(d.code, 11);
    assert.equal(d.body.length, 13);
  }
});

Deno.test("bus: PING/PONG/MEET gossip and extension checks (§2.8 items 3, 4, 6)", () => {
  const entry = new Uint8Array(104);
  entry.set(enc.encode(ID_9165));
  // count = 2 with one entry present.
  let e = mustFail(ping({ count: 2, body: entry }));
  assert.equal(e.kind, "GOSSIP_TRUNCATED");
  assert.match(e.log, /gossip count 2 that exceeds total packet length \(2360\)/);
  // count = 0 with one entry present: plain length error.
  e = mustFail(ping({ count: 0, body: entry }));
  assert.equal(e.kind, "BAD_TYPE_LENGTH");
  if (e.kind === "BAD_TYPE_LENGTH") assert.equal(e.expected, 2256);
  // count = 1: fine.
  assert.equal(mustDecode(ping({ count: 1, body: entry, type: MSG_MEET })).type, "MEET");

  const host = extBytes(24, EXT_HOSTNAME, enc.encode("host-c.example\0"), 24);
  // Extension bytes without EXT_DATA.
  e = mustFail(ping({ ext: 1, body: host }));
  assert.equal(e.kind, "BAD_TYPE_LENGTH");
  // EXT_DATA with extensions = 0 but bytes present.
  e = mustFail(ping({ ext: 0, mflags: MSGFLAG0_EXT_DATA, body: host }));
  assert.equal(e.kind, "BAD_TYPE_LENGTH");
  // EXT_DATA with extensions = 0 and no bytes: harmless.
  assert.equal(mustDecode(ping({ ext: 0, mflags: MSGFLAG0_EXT_DATA })).type, "PING");
  // The valid one.
  const ok = mustDecode(ping({ ext: 1, mflags: MSGFLAG0_EXT_DATA, body: host, type: MSG_PONG }));
  assert.deepEqual(ok.type === "PONG" && ok.extensions, [{
    type: "HOSTNAME",
    hostname: "host-c.example",
  }]);
  // Length 0 and a length not a multiple of 8.
  e = mustFail(
    ping({ ext: 1, mflags: MSGFLAG0_EXT_DATA, body: extBytes(0, 9, new Uint8Array(0), 16) }),
  );
  assert.equal(e.kind, "EXT_BAD_PADDING");
  assert.equal(e.log, "Received a ping packet without proper padding (0 bytes)");
  e = mustFail(
    ping({ ext: 1, mflags: MSGFLAG0_EXT_DATA, body: extBytes(12, 9, new Uint8Array(0), 16) }),
  );
  assert.equal(e.kind, "EXT_BAD_PADDING");
  // Length beyond the packet.
  e = mustFail(
    ping({ ext: 1, mflags: MSGFLAG0_EXT_DATA, body: extBytes(32, 9, new Uint8Array(0), 24) }),
  );
  assert.equal(e.kind, "EXT_TRUNCATED");
  // Two extensions announced, one present.
  e = mustFail(ping({ ext: 2, mflags: MSGFLAG0_EXT_DATA, body: host }));
  assert.equal(e.kind, "EXT_TRUNCATED");
  // Gossip count ok, but extensions overlap? count eats the extension bytes -> ext truncated.
  e = mustFail(ping({ count: 1, ext: 1, mflags: MSGFLAG0_EXT_DATA, body: new Uint8Array(104) }));
  assert.equal(e.kind, "EXT_TRUNCATED");
  // Hostname without NUL.
  e = mustFail(
    ping({
      ext: 1,
      mflags: MSGFLAG0_EXT_DATA,
      body: extBytes(16, EXT_HOSTNAME, enc.encode("abcdefgh"), 16),
    }),
  );
  assert.equal(e.kind, "EXT_HOSTNAME_NO_NUL");
  e = mustFail(
    ping({
      ext: 1,
      mflags: MSGFLAG0_EXT_DATA,
      body: extBytes(8, EXT_HOSTNAME, new Uint8Array(0), 8),
    }),
  );
  assert.equal(e.kind, "EXT_HOSTNAME_NO_NUL");
  // Oddity: only the low 16 bits of the length count (0x40000010 with one extension accepted).
  const odd = mustDecode(
    ping({
      ext: 1,
      mflags: MSGFLAG0_EXT_DATA,
      body: extBytes(0x40000010, 9, new Uint8Array(8), 16),
    }),
  );
  assert.deepEqual(odd.type === "PING" && odd.extensions, [{
    type: "RAW",
    code: 9,
    payload: new Uint8Array(8),
  }]);
  // 7.2 types with a wrong size come back as RAW (7.0 ignores them anyway).
  const sh = mustDecode(
    ping({ ext: 1, mflags: MSGFLAG0_EXT_DATA, body: extBytes(16, 3, new Uint8Array(8), 16) }),
  );
  assert.deepEqual(sh.type === "PING" && sh.extensions, [{
    type: "RAW",
    code: 3,
    payload: new Uint8Array(8),
  }]);
});

// ---- Fuzz ----

/** Decode must not throw; anything it accepts must re-encode and decode to the same message. */
function checkDecodeTotal(bytes: Uint8Array, kinds?: Set<string>): boolean {
  let r: BusDecodeResult;
  try {
    r = decodeBusMessage(bytes);
  } catch (e) {
    assert.fail(`decode threw ${(e as Error).message} on ${bytes.length} bytes`);
  }
  if (!r.ok) {
    kinds?.add(r.error.kind);
    return false;
  }
  kinds?.add(r.message.type);
  const again = encodeBusMessage(r.message);
  assert.deepEqual(mustDecode(again), r.message);
  return true;
}

Deno.test("bus: seeded fuzz, random bytes and mutated valid packets never make decode throw", () => {
  const rnd = prng(0xb05);
  const int = (n: number) => Math.floor(rnd() * n);
  const valid = allMessages().map(encodeBusMessage);
  valid.push(realPong());
  let accepted = 0;
  let rejected = 0;
  const kinds = new Set<string>();
  for (let i = 0; i < 4000; i++) {
    let bytes: Uint8Array;
    const mode = int(4);
    if (mode === 0) {
      // Random bytes, sometimes with a valid prefix so deeper checks run.
      bytes = new Uint8Array(int(3000));
      for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
      if (bytes.length >= 16 && rnd() < 0.7) {
        bytes.set([0x52, 0x43, 0x6d, 0x62]);
        const v = new DataView(bytes.buffer);
        v.setUint32(4, bytes.length);
        v.setUint16(8, 1);
        v.setUint16(12, int(13));
      }
    } else {
      const base = valid[int(valid.length)];
      bytes = base.slice();
      const v = new DataView(bytes.buffer);
      const flips = 1 + int(6);
      for (let k = 0; k < flips; k++) {
        const what = int(8);
        if (what === 0) bytes[int(bytes.length)] = int(256);
        else if (what === 1) v.setUint16(14, int(6)); // count
        else if (what === 2) v.setUint16(2214, int(6)); // extensions
        else if (what === 3) bytes[2253] ^= 1 << int(3); // mflags
        else if (what === 4) v.setUint16(12, int(13)); // type
        else if (what === 5) v.setUint16(8, int(40) === 0 ? 2 : 1); // version, mostly valid
        else if (bytes.length >= 2264) {
          const at = 2256 + 8 * int(Math.floor((bytes.length - 2256) / 8));
          if (what === 6) v.setUint32(at, int(80)); // an extension or body length
          else bytes.fill(0x41, at, Math.min(bytes.length, at + 8 * (1 + int(3)))); // overwrite NULs
        }
      }
      if (mode === 3) {
        // Truncate or extend, keeping totlen consistent half of the time.
        const n = Math.max(0, bytes.length + int(200) - 100);
        const b2 = new Uint8Array(n);
        b2.set(bytes.subarray(0, Math.min(n, bytes.length)));
        if (n >= 8 && rnd() < 0.5) new DataView(b2.buffer).setUint32(4, n);
        bytes = b2;
      }
    }
    if (checkDecodeTotal(bytes, kinds)) accepted++;
    else rejected++;
  }
  // Every error kind and every message type was reached.
  assert.deepEqual([...kinds].sort(), [
    "BAD_MIN_LENGTH",
    "BAD_SIGNATURE",
    "BAD_TYPE_LENGTH",
    "BAD_VERSION",
    "EXT_BAD_PADDING",
    "EXT_HOSTNAME_NO_NUL",
    "EXT_TRUNCATED",
    "FAIL",
    "FAILOVER_AUTH_ACK",
    "FAILOVER_AUTH_REQUEST",
    "GOSSIP_TRUNCATED",
    "MEET",
    "MFSTART",
    "MODULE",
    "PING",
    "PONG",
    "PUBLISH",
    "PUBLISHSHARD",
    "TOO_SHORT",
    "TOTLEN_MISMATCH",
    "UNKNOWN",
    "UPDATE",
  ]);
  // The fuzz reached both outcomes a fair number of times.
  assert.ok(accepted > 300, `accepted ${accepted}`);
  assert.ok(rejected > 300, `rejected ${rejected}`);
  // Unmutated valid packets all decode.
  for (const b of valid) assert.ok(checkDecodeTotal(b));
});
