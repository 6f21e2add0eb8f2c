/**
 * Cluster bus interop with a real redis-server 7.0 (`--cluster-enabled yes`): a MEET built with
 * protocol/bus.ts goes to its bus port, the PONG it answers with is decoded field by field (and
 * re-encoded byte for byte), and our made-up node then shows up in its CLUSTER NODES. We also
 * listen on our own bus port and answer the real node's PINGs with our PONGs, so the handshake
 * completes and the node is listed under our id. Skipped (with a message) without redis-server.
 */

import assert from "node:assert/strict";
import {
  BusFrameSplitter,
  type BusHeader,
  type BusMessage,
  CLUSTER_FAIL,
  CLUSTER_PORT_INCR,
  decodeBusMessage,
  emptySlotBitmap,
  encodeBusMessage,
  MSG_PONG,
  MSGFLAG0_EXT_DATA,
  NODE_MASTER,
  NODE_MYSELF,
  OFF_COUNT,
  OFF_EXTENSIONS,
  OFF_MFLAGS,
  OFF_TYPE,
  OFF_VER,
  type PingMessage,
  slotRangesOfBitmap,
} from "../protocol/bus.ts";
import { freePort, haveRedisServer, RespClient, sleep, spawnRedis, waitFor } from "./harness.ts";

const HAVE_REDIS = haveRedisServer();
if (!HAVE_REDIS) console.warn("bus_interop_test: redis-server not found on PATH, skipping");

function randomNodeId(): string {
  const b = crypto.getRandomValues(new Uint8Array(20));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function ourHeader(id: string, port: number): BusHeader {
  return {
    port,
    currentEpoch: 0n,
    configEpoch: 0n,
    offset: 0n,
    sender: id,
    myslots: emptySlotBitmap(),
    slaveof: null,
    myip: "",
    pport: 0,
    cport: port + CLUSTER_PORT_INCR,
    flags: NODE_MASTER | NODE_MYSELF,
    state: CLUSTER_FAIL,
    mflags: 0,
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Reads whole packets from a connection in the background. */
class PacketReader {
  readonly packets: Uint8Array[] = [];
  readonly done: Promise<void>;
  private splitter = new BusFrameSplitter({ maxPacketBytes: 1 << 20 });

  constructor(private conn: Deno.Conn, onPacket?: (p: Uint8Array) => Promise<void>) {
    this.done = (async () => {
      const buf = new Uint8Array(16 * 1024);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) return;
          for (const f of this.splitter.feed(buf.subarray(0, n))) {
            if (!f.ok) throw new Error(`framing error: ${f.error.kind}`);
            this.packets.push(f.packet);
            if (onPacket) await onPacket(f.packet);
          }
        }
      } catch (e) {
        if (!(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted)) {
          if (!(e instanceof Deno.errors.ConnectionReset)) throw e;
        }
      }
    })();
  }

  async next(timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      if (Date.now() > deadline) throw new Error("timed out waiting for a bus packet");
      await sleep(10);
    }
    return this.packets.shift()!;
  }
}

Deno.test({
  name: "bus interop: MEET to a real redis-server, decode its PONG, node appears in CLUSTER NODES",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redisPort = freePort();
    const ourPort = freePort();
    const ourId = randomNodeId();
    const redis = await spawnRedis({
      port: String(redisPort),
      "cluster-enabled": "yes",
      "cluster-config-file": `nodes-${redisPort}.conf`,
      "cluster-node-timeout": "5000",
    });
    const cli = await RespClient.connect(redisPort);
    // Our bus port: the real node connects here (as to any node it learns of) and PINGs us.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: ourPort + CLUSTER_PORT_INCR });
    const inbound: { conn: Deno.Conn; reader: PacketReader }[] = [];
    const pingsSeen: BusMessage[] = [];
    const acceptLoop = (async () => {
      try {
        for await (const conn of listener) {
          const reader = new PacketReader(conn, async (p) => {
            const r = decodeBusMessage(p);
            if (!r.ok) throw new Error(`real node sent a packet we cannot decode: ${r.error.kind}`);
            const m = r.message;
            if (m.type === "PING" || m.type === "MEET") {
              pingsSeen.push(m);
              // The real node's PING re-encodes to exactly its bytes.
              assert.deepEqual(encodeBusMessage(m), p);
              const pong = encodeBusMessage({
                type: "PONG",
                header: ourHeader(ourId, ourPort),
                gossip: [],
                extensions: [],
              });
              await writeAll(conn, pong);
            }
          });
          inbound.push({ conn, reader });
        }
      } catch { /* listener closed */ }
    })();
    let bus: Deno.Conn | null = null;
    try {
      const myId = await cli.call("CLUSTER", "MYID");
      assert.equal(typeof myId, "string");
      assert.match(myId as string, /^[0-9a-f]{40}$/);

      bus = await Deno.connect({ hostname: "127.0.0.1", port: redisPort + CLUSTER_PORT_INCR });
      const reader = new PacketReader(bus);
      const meet = encodeBusMessage({
        type: "MEET",
        header: ourHeader(ourId, ourPort),
        gossip: [],
        extensions: [],
      });
      assert.equal(meet.length, 2256);
      await writeAll(bus, meet);

      const raw = await reader.next(5000);
      // Raw checks independent of the decoder.
      assert.equal(new DataView(raw.buffer).getUint16(OFF_VER), 1);
      assert.equal(new DataView(raw.buffer).getUint16(OFF_TYPE), MSG_PONG);
      const r = decodeBusMessage(raw);
      if (!r.ok) assert.fail(`decode failed: ${JSON.stringify(r.error)}`);
      const pong = r.message;
      assert.equal(pong.type, "PONG");
      if (pong.type !== "PONG") throw new Error("unreachable");
      const h = pong.header;
      assert.equal(h.sender, myId);
      assert.equal(h.port, redisPort);
      assert.equal(h.cport, redisPort + CLUSTER_PORT_INCR);
      assert.equal(h.pport, 0);
      assert.equal(h.flags, NODE_MASTER | NODE_MYSELF); // 17: a fresh master
      assert.equal(h.slaveof, null);
      assert.equal(h.myip, "");
      assert.equal(h.currentEpoch, 0n);
      assert.equal(h.configEpoch, 0n);
      assert.equal(h.state, CLUSTER_FAIL); // no slots assigned yet
      assert.equal(h.mflags & MSGFLAG0_EXT_DATA, 0); // no hostname configured: no extensions
      assert.deepEqual(pong.extensions, []);
      assert.ok(h.myslots.every((b) => b === 0), "fresh node claims no slots");
      // Only itself and our handshake node are known: freshnodes = 0, so no gossip.
      assert.equal(pong.gossip.length, 0);
      assert.equal(raw.length, 2256);
      // Byte-for-byte: re-encoding the decoded PONG gives the same bytes.
      assert.deepEqual(encodeBusMessage(pong), raw);

      // The real node lists us: first as a handshake node, then (after it PINGs our bus port and
      // gets our PONG) under our id, with our address.
      let nodes = "";
      await waitFor("our node in CLUSTER NODES", async () => {
        nodes = (await cli.call("CLUSTER", "NODES")) as string;
        return nodes.includes(
          `${ourId} 127.0.0.1:${ourPort}@${ourPort + CLUSTER_PORT_INCR} master`,
        );
      }, 8000);
      const line = nodes.split("\n").find((l) => l.startsWith(ourId))!;
      const fields = line.split(" ");
      assert.equal(fields[2], "master");
      assert.equal(fields[3], "-");
      assert.ok(pingsSeen.length >= 1, "the real node pinged our bus port");
      assert.equal(pingsSeen[0].header.sender, myId);
      await waitFor("link to us connected", async () => {
        nodes = (await cli.call("CLUSTER", "NODES")) as string;
        return nodes.split("\n").some((l) => l.startsWith(ourId) && l.endsWith(" connected"));
      }, 8000);
    } finally {
      try {
        bus?.close();
      } catch { /* closed */ }
      listener.close();
      for (const c of inbound) {
        try {
          c.conn.close();
        } catch { /* closed */ }
      }
      await acceptLoop;
      cli.close();
      await redis.stop();
    }
  },
});

/** A PING from `id` with raw body bytes and header overrides written after encoding. */
function rawPing(
  id: string,
  body: number[] | Uint8Array,
  set: { count?: number; ext?: number; mflags?: number; ver?: number; totlen?: number } = {},
): Uint8Array {
  const base = encodeBusMessage({
    type: "PING",
    header: ourHeader(id, 12345),
    gossip: [],
    extensions: [],
  });
  const out = new Uint8Array(base.length + body.length);
  out.set(base);
  out.set(body, base.length);
  const v = new DataView(out.buffer);
  v.setUint32(4, set.totlen ?? out.length);
  if (set.ver !== undefined) v.setUint16(OFF_VER, set.ver);
  if (set.count !== undefined) v.setUint16(OFF_COUNT, set.count);
  if (set.ext !== undefined) v.setUint16(OFF_EXTENSIONS, set.ext);
  if (set.mflags !== undefined) out[OFF_MFLAGS] = set.mflags;
  return out;
}

function ext(len32: number, type: number, payload: number[], total: number): number[] {
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint32(0, len32);
  v.setUint16(4, type);
  b.set(payload.slice(0, total - 8), 8);
  return [...b];
}

const ascii = (s: string) => [...new TextEncoder().encode(s)];

Deno.test({
  name: "bus interop: the decoder accepts, drops and closes exactly where redis-server does (§2.8)",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await spawnRedis({
      "cluster-enabled": "yes",
      "cluster-config-file": "nodes-validity.conf",
      "cluster-node-timeout": "5000",
    });
    const busPort = redis.port + CLUSTER_PORT_INCR;
    const id = randomNodeId();
    const E = 4; // EXT_DATA
    const entry = [...ascii(randomNodeId()), ...new Array(64).fill(0)];
    const cases: [string, Uint8Array][] = [
      ["plain PING", rawPing(id, [])],
      ["EXT_DATA with 0 extensions", rawPing(id, [], { mflags: E })],
      [
        "hostname extension",
        rawPing(id, ext(24, 0, ascii("probe-host\0"), 24), { ext: 1, mflags: E }),
      ],
      [
        "shard-id extension (7.2 type)",
        rawPing(id, ext(48, 3, ascii(randomNodeId()), 48), { ext: 1, mflags: E }),
      ],
      [
        "extension length 0x40000010",
        rawPing(id, ext(0x40000010, 9, [], 16), { ext: 1, mflags: E }),
      ],
      ["one gossip entry", rawPing(id, entry, { count: 1 })],
      ["version 2", rawPing(id, [], { ver: 2 })],
      ["version 0", rawPing(id, [], { ver: 0 })],
      ["extension bytes without EXT_DATA", rawPing(id, ext(24, 0, ascii("h\0"), 24), { ext: 1 })],
      ["EXT_DATA, extensions 0, bytes", rawPing(id, ext(24, 0, ascii("h\0"), 24), { mflags: E })],
      ["gossip count 2, one entry", rawPing(id, entry, { count: 2 })],
      ["gossip entry with count 0", rawPing(id, entry, { count: 0 })],
      ["extension length 0", rawPing(id, ext(0, 9, [], 16), { ext: 1, mflags: E })],
      ["extension length 12", rawPing(id, ext(12, 9, [], 16), { ext: 1, mflags: E })],
      ["extension past totlen", rawPing(id, ext(32, 9, [], 24), { ext: 1, mflags: E })],
      [
        "two extensions announced, one sent",
        rawPing(id, ext(16, 9, [], 16), { ext: 2, mflags: E }),
      ],
      [
        "hostname without NUL",
        rawPing(id, ext(16, 0, ascii("abcdefgh"), 16), { ext: 1, mflags: E }),
      ],
      [
        "bad signature",
        (() => {
          const p = rawPing(id, []);
          p[3] = 0x42;
          return p;
        })(),
      ],
      ["totlen 2255", rawPing(id, [], { totlen: 2255 })],
    ];
    const validPing = rawPing(id, []);
    try {
      for (const [what, packet] of cases) {
        const r = decodeBusMessage(packet);
        const accepted = r.ok;
        const closes = !r.ok && r.error.closeLink;
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: busPort });
        const reader = new PacketReader(conn);
        try {
          try {
            await writeAll(conn, packet);
            await writeAll(conn, validPing);
          } catch { /* the server may close first */ }
          if (closes) {
            await Promise.race([reader.done, sleep(3000)]);
            assert.equal(reader.packets.length, 0, `${what}: no reply expected`);
            const n = await Promise.race([
              reader.done.then(() => "closed"),
              sleep(10).then(() => "open"),
            ]);
            assert.equal(n, "closed", `${what}: redis-server should close the link`);
            continue;
          }
          const expected = accepted ? 2 : 1;
          const deadline = Date.now() + 3000;
          while (reader.packets.length < expected && Date.now() < deadline) await sleep(10);
          await sleep(150);
          assert.equal(
            reader.packets.length,
            expected,
            `${what}: decoder says ${accepted ? "valid" : r.ok ? "" : r.error.kind}, ` +
              `so redis-server should answer ${expected} PONG(s)`,
          );
          for (const p of reader.packets) {
            const d = decodeBusMessage(p);
            assert.ok(d.ok && d.message.type === "PONG", what);
          }
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
          await reader.done;
        }
      }
    } finally {
      await redis.stop();
    }
  },
});

Deno.test({
  name: "bus interop: PONG with gossip, slots and a hostname from a 3-node real cluster",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const nodes = [];
    const clients: RespClient[] = [];
    let bus: Deno.Conn | null = null;
    try {
      for (let i = 0; i < 3; i++) {
        const port = freePort();
        const d: Record<string, string> = {
          port: String(port),
          "cluster-enabled": "yes",
          "cluster-config-file": `nodes-${port}.conf`,
          "cluster-node-timeout": "5000",
        };
        if (i === 0) d["cluster-announce-hostname"] = "probe-host.example";
        nodes.push(await spawnRedis(d));
        clients.push(await RespClient.connect(port));
      }
      const ids = await Promise.all(clients.map((c) => c.call("CLUSTER", "MYID"))) as string[];
      assert.equal(await clients[0].call("CLUSTER", "ADDSLOTSRANGE", "0", "5460"), "OK");
      assert.equal(await clients[0].call("CLUSTER", "ADDSLOTS", "9999"), "OK");
      for (let i = 1; i < 3; i++) {
        assert.equal(
          await clients[0].call("CLUSTER", "MEET", "127.0.0.1", String(nodes[i].port)),
          "OK",
        );
      }
      await waitFor("3 nodes connected", async () => {
        const text = (await clients[0].call("CLUSTER", "NODES")) as string;
        const lines = text.trim().split("\n");
        return lines.length === 3 &&
          lines.every((l) => l.includes(" connected") && !l.includes("handshake"));
      }, 10000);

      bus = await Deno.connect({ hostname: "127.0.0.1", port: nodes[0].port + CLUSTER_PORT_INCR });
      const reader = new PacketReader(bus);
      // A PING from an unknown sender is answered with a PONG and nothing else happens.
      // N = 3 known nodes: wanted = 1 gossip entry, about node 1 or 2. Redis picks entries at
      // random with 3 tries (clusterSendPing), and a try that lands on itself or on a node whose
      // link is down adds nothing, so a PONG may carry no entry: ask until one does.
      let raw: Uint8Array = new Uint8Array(0);
      let m: PingMessage | null = null;
      for (let attempt = 0; attempt < 50; attempt++) {
        await writeAll(
          bus,
          encodeBusMessage({
            type: "PING",
            header: ourHeader(randomNodeId(), 12345),
            gossip: [],
            extensions: [],
          }),
        );
        raw = await reader.next(5000);
        const r = decodeBusMessage(raw);
        if (!r.ok) assert.fail(`decode failed: ${JSON.stringify(r.error)}`);
        if (r.message.type !== "PONG") assert.fail(`expected PONG, got ${r.message.type}`);
        const pong = r.message;
        assert.equal(pong.header.sender, ids[0]);
        assert.equal(pong.header.port, nodes[0].port);
        assert.deepEqual(slotRangesOfBitmap(pong.header.myslots), [[0, 5460], [9999, 9999]]);
        assert.equal(pong.header.mflags & MSGFLAG0_EXT_DATA, MSGFLAG0_EXT_DATA);
        assert.deepEqual(pong.extensions, [{ type: "HOSTNAME", hostname: "probe-host.example" }]);
        assert.ok(pong.gossip.length <= 1, `${pong.gossip.length} gossip entries`);
        if (pong.gossip.length === 1) {
          m = pong;
          break;
        }
      }
      assert.ok(m !== null, "50 PONGs without a gossip entry");
      const g = m.gossip[0];
      const k = ids.indexOf(g.nodename);
      assert.ok(k === 1 || k === 2, `gossip about ${g.nodename}`);
      assert.equal(g.ip, "127.0.0.1");
      assert.equal(g.port, nodes[k].port);
      assert.equal(g.cport, nodes[k].port + CLUSTER_PORT_INCR);
      assert.equal(g.flags, NODE_MASTER);
      assert.equal(g.pport, 0);
      assert.ok(
        Math.abs(g.pongReceivedSec - Date.now() / 1000) < 60,
        `pong_received ${g.pongReceivedSec}`,
      );
      // 2256 + 104 + hostname extension (8 + 24), re-encoded byte for byte.
      assert.equal(raw.length, 2256 + 104 + 32);
      assert.deepEqual(encodeBusMessage(m), raw);
    } finally {
      try {
        bus?.close();
      } catch { /* closed */ }
      for (const c of clients) c.close();
      for (const n of nodes) await n.stop();
    }
  },
});
