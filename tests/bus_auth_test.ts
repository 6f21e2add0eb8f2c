/**
 * The authenticated cluster bus (cluster-bus-secret; cluster/bus_auth.ts) with real TCP nodes of
 * ours: (1) a forger without the secret (or with a wrong one) sends MEET, PING with forged gossip,
 * FAIL, FAILOVER_AUTH_REQUEST and UPDATE, built with the project's bus encoder; nothing changes,
 * nothing is answered, one log line per node; the same packets against the same cluster without
 * the secret do change it (so the MAC is what stops them). (2) Rotating the secret on every node,
 * one at a time, under client writes, with no pfail/fail ever seen. (3) A node with another
 * secret cannot join through CLUSTER MEET.
 */

import assert from "node:assert/strict";
import {
  type InProcessNode,
  RespClient,
  type SpawnedProcess,
  spawnNode,
  startNode,
  waitFor,
} from "./harness.ts";
import { call, type NodeLine, nodesOf } from "./cluster_fixture.ts";
import {
  BusFrameSplitter,
  type BusHeader,
  type BusMessage,
  decodeBusMessage,
  encodeBusMessage,
  type GossipEntry,
  MSGFLAG0_FORCEACK,
  NODE_FAIL,
  NODE_MASTER,
  NODE_SLAVE,
  slotBitmapFromRanges,
} from "../protocol/bus.ts";
import { type BusSecrets, signBusPacket, verifyBusPacket } from "../cluster/bus_auth.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import { Config } from "../server/config.ts";

const NODE_TIMEOUT_MS = 2000;
const SECRET = "correct horse battery staple";
const OFF: BusSecrets = { secret: "", previous: "" };
const DROP_LOG =
  /Dropped a cluster bus message (without a MAC|with a wrong MAC) from 127\.0\.0\.1:/;

function directives(secret: string, nodeTimeoutMs = NODE_TIMEOUT_MS): Record<string, string> {
  const d: Record<string, string> = {
    "cluster-enabled": "yes",
    "cluster-node-timeout": String(nodeTimeoutMs),
  };
  if (secret !== "") d["cluster-bus-secret"] = secret;
  return d;
}

/**
 * Each node as this node sees it: id, flags, master, config epoch, slots; not the heartbeat times
 * nor the link state (a link the bus re-opens after a late PONG is not a change of the view).
 */
function view(lines: NodeLine[]): string {
  return lines.map((l) =>
    `${l.id} ${l.flags.join(",")} ${l.master} ${l.epoch} ${l.slots.join(" ")}`
  )
    .sort().join("\n");
}

async function infoOf(port: number): Promise<Map<string, string>> {
  const text = await call(port, "CLUSTER", "INFO") as string;
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

const RANGES: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];

/** Three masters a, b, c (slots RANGES) and r, a replica of c; in-process nodes. */
interface Cluster {
  nodes: InProcessNode[];
  ports: number[];
  ids: { a: string; b: string; c: string; r: string };
}

async function fourNodes(secret: string): Promise<Cluster> {
  const nodes: InProcessNode[] = [];
  try {
    // A long node timeout: the handshakes a forgery starts (in the control) outlive the checks.
    for (let i = 0; i < 4; i++) nodes.push(await startNode(directives(secret, 20_000)));
    const ports = nodes.map((n) => n.port);
    const [a, b, c, r] = ports;
    const [aId, bId, cId, rId] = await Promise.all(ports.map((p) => call(p, "CLUSTER", "MYID")));
    for (let i = 0; i < 3; i++) {
      const [lo, hi] = RANGES[i];
      assert.equal(await call(ports[i], "CLUSTER", "ADDSLOTSRANGE", String(lo), String(hi)), "OK");
    }
    for (const p of [b, c, r]) {
      assert.equal(await call(p, "CLUSTER", "MEET", "127.0.0.1", String(a)), "OK");
    }
    await waitFor("r knows c", async () => (await nodesOf(r)).some((l) => l.id === cId), 10_000);
    assert.equal(await call(r, "CLUSTER", "REPLICATE", cId as string), "OK");
    await waitFor(
      "the same 4-node view everywhere, r a replica of c, all links up, state ok",
      async () => {
        const views = await Promise.all(ports.map(async (p) => {
          const ls = await nodesOf(p);
          if (ls.length !== 4 || ls.some((l) => l.link !== "connected")) return null;
          const rl = ls.find((l) => l.id === rId);
          if (rl === undefined || rl.master !== cId) return null;
          if ((await infoOf(p)).get("cluster_state") !== "ok") return null;
          return view(ls.map((l) => ({ ...l, flags: l.flags.filter((f) => f !== "myself") })));
        }));
        return views.every((v) => v !== null && v === views[0]);
      },
      20_000,
      100,
    );
    return {
      nodes,
      ports,
      ids: { a: aId as string, b: bId as string, c: cId as string, r: rId as string },
    };
  } catch (e) {
    for (const n of nodes) await n.stop();
    throw e;
  }
}

/** What the forged packets could change, per node. */
async function snapshot(cl: Cluster): Promise<string[]> {
  return await Promise.all(cl.nodes.map(async (n) => {
    const info = await infoOf(n.port);
    const reports = await Promise.all(
      Object.values(cl.ids).map((id) => call(n.port, "CLUSTER", "COUNT-FAILURE-REPORTS", id)),
    );
    return [
      view(await nodesOf(n.port)),
      `current_epoch ${info.get("cluster_current_epoch")}`,
      `my_epoch ${info.get("cluster_my_epoch")}`,
      `known_nodes ${info.get("cluster_known_nodes")}`,
      `auth-ack sent ${info.get("cluster_stats_messages_auth-ack_sent") ?? "0"}`,
      `lastVoteEpoch ${n.server.cluster!.state.lastVoteEpoch}`,
      `failure reports ${reports.join(",")}`,
    ].join("\n");
  }));
}

function headerOf(
  cl: Cluster,
  who: "b" | "r",
  configEpoch: number,
  currentEpoch: bigint,
): BusHeader {
  const port = who === "b" ? cl.ports[1] : cl.ports[3];
  return {
    port,
    currentEpoch,
    configEpoch: BigInt(configEpoch),
    offset: 0n,
    sender: cl.ids[who],
    myslots: who === "b" ? slotBitmapFromRanges([RANGES[1]]) : slotBitmapFromRanges([]),
    slaveof: who === "b" ? null : cl.ids.c,
    myip: "",
    pport: 0,
    cport: port + 10000,
    flags: who === "b" ? NODE_MASTER : NODE_SLAVE,
    state: 0,
    mflags: 0,
  };
}

const STRANGER = "f00d".repeat(10);
const NEWCOMER = "beef".repeat(10);

/**
 * The forger's packets, each what a real node would accept as well formed and act on:
 * MEET from a stranger; PING "from b" (its real slots and epoch) whose gossip says c FAIL and
 * introduces a new node; FAIL about the live master c "from r"; FAILOVER_AUTH_REQUEST "from r"
 * (FORCEACK, a newer epoch, c's slots); UPDATE "from r" giving b's slots to c at a huge epoch.
 */
async function forgedPackets(cl: Cluster): Promise<Uint8Array[]> {
  const epochs = new Map((await nodesOf(cl.ports[0])).map((l) => [l.id, l.epoch]));
  const gossip = (nodename: string, port: number, flags: number): GossipEntry => ({
    nodename,
    pingSentSec: 0,
    pongReceivedSec: 0,
    ip: "127.0.0.1",
    port,
    cport: port + 1,
    flags,
    pport: 0,
  });
  const cEpoch = epochs.get(cl.ids.c)!;
  const messages: BusMessage[] = [
    {
      type: "MEET",
      header: { ...headerOf(cl, "b", 0, 0n), sender: STRANGER, port: 3, cport: 4 },
      gossip: [],
      extensions: [],
    },
    {
      type: "PING",
      header: headerOf(cl, "b", epochs.get(cl.ids.b)!, 1000n),
      gossip: [gossip(cl.ids.c, cl.ports[2], NODE_MASTER | NODE_FAIL), gossip(NEWCOMER, 5, 1)],
      extensions: [],
    },
    { type: "FAIL", header: headerOf(cl, "r", cEpoch, 1000n), nodename: cl.ids.c },
    {
      type: "FAILOVER_AUTH_REQUEST",
      header: {
        ...headerOf(cl, "r", 1001, 1001n),
        myslots: slotBitmapFromRanges([RANGES[2]]),
        mflags: MSGFLAG0_FORCEACK,
      },
    },
    {
      type: "UPDATE",
      header: headerOf(cl, "r", cEpoch, 1001n),
      configEpoch: 1_000_000n,
      nodename: cl.ids.c,
      slots: slotBitmapFromRanges([RANGES[1]]),
    },
  ];
  return messages.map(encodeBusMessage);
}

/** A raw bus connection: writes bytes, reads whole packets. */
class BusPeer {
  private readonly splitter = new BusFrameSplitter();
  private readonly buf = new Uint8Array(64 * 1024);
  private pending: Promise<number | null> | null = null;
  readonly received: Uint8Array[] = [];
  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(busPort: number): Promise<BusPeer> {
    return new BusPeer(await Deno.connect({ hostname: "127.0.0.1", port: busPort }));
  }

  async write(packets: Uint8Array[]): Promise<void> {
    for (const p of packets) {
      let off = 0;
      while (off < p.length) off += await this.conn.write(p.subarray(off));
    }
  }

  /**
   * Waits (up to 10 s) for `atLeast` packets, then reads on until `quietMs` pass without bytes
   * (or the peer closes); returns the packet count.
   */
  async readPackets(atLeast: number, quietMs: number): Promise<number> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const waitMs = this.received.length < atLeast ? deadline - Date.now() : quietMs;
      if (waitMs <= 0) return this.received.length;
      this.pending ??= this.conn.read(this.buf).catch(() => null);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.pending,
        new Promise<-1>((res) => timer = setTimeout(() => res(-1), waitMs)),
      ]);
      clearTimeout(timer);
      if (n === -1) return this.received.length;
      this.pending = null;
      if (n === null) return this.received.length;
      for (const f of this.splitter.feed(this.buf.subarray(0, n))) {
        if (f.ok) this.received.push(f.packet);
      }
    }
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Everything the forger sends one node, on two connections: the packets unsigned on one and signed
 * with a wrong secret on the other, each followed by a PING from an unknown node signed with
 * `markerSecrets` (the real secret, so a node that drops the rest still answers it with a PONG).
 * Replies are in order on a link, so each connection reads until `expectEach` packets are in (the
 * marker's PONG being the last expected), then 500 ms more to show nothing else was on its way (a
 * node answers within its event-loop turn). Returns what each connection got back.
 */
async function forge(
  busPort: number,
  packets: Uint8Array[],
  markerSecrets: BusSecrets,
  expectEach: number,
): Promise<{ first: Uint8Array[]; second: Uint8Array[] }> {
  const marker = signBusPacket(
    encodeBusMessage({
      type: "PING",
      header: {
        port: 1,
        currentEpoch: 0n,
        configEpoch: 0n,
        offset: 0n,
        sender: "cafe".repeat(10),
        myslots: slotBitmapFromRanges([]),
        slaveof: null,
        myip: "",
        pport: 0,
        cport: 2,
        flags: NODE_MASTER,
        state: 0,
        mflags: 0,
      },
      gossip: [],
      extensions: [],
    }),
    markerSecrets,
  );
  const first = await BusPeer.connect(busPort);
  const second = await BusPeer.connect(busPort);
  try {
    await first.write([...packets, marker]);
    const wrong = { secret: "wrong", previous: "" };
    await second.write([...packets.map((p) => signBusPacket(p, wrong)), marker]);
    await Promise.all([first.readPackets(expectEach, 500), second.readPackets(expectEach, 500)]);
    return { first: first.received, second: second.received };
  } finally {
    first.close();
    second.close();
  }
}

function types(packets: Uint8Array[]): string[] {
  return packets.map((p) => {
    const m = decodeBusMessage(p);
    return m.ok ? m.message.type : `bad ${m.error.kind}`;
  });
}

Deno.test({
  name: "bus auth: forged MEET, PING gossip, FAIL, AUTH_REQUEST, UPDATE change nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cl = await fourNodes(SECRET);
    try {
      const packets = await forgedPackets(cl);
      const before = await snapshot(cl);
      const secrets = { secret: SECRET, previous: "" };
      const answers: string[] = [];
      for (const n of cl.nodes) {
        const replies = await forge(n.port + 10000, packets, secrets, 1);
        // Expected on each connection: one answer, the PONG to the signed marker, itself signed
        // (the link stays open: a drop is silence, not even a close).
        const show = (ps: Uint8Array[]) =>
          `${types(ps).join()} ${ps.map((p) => verifyBusPacket(p, secrets)).join()}`;
        answers.push(`${n.port}: ${show(replies.first)} / ${show(replies.second)}`);
      }
      const after = await snapshot(cl);
      const drops = cl.nodes.map((n) => n.server.log.recent.filter((l) => DROP_LOG.test(l)));
      const votes = cl.nodes.map((n) =>
        n.server.log.recent.filter((l) => /Failover auth granted/.test(l)).length
      );
      // One comparison, so a failure shows every difference at once.
      assert.deepEqual({
        // CLUSTER NODES of every node (as each sees the others), epochs, votes, failure reports.
        state: after,
        answers,
        dropLines: drops.map((d) => d.length),
        votes,
      }, {
        state: before,
        answers: cl.nodes.map((n) => `${n.port}: PONG ok / PONG ok`),
        dropLines: [1, 1, 1, 1],
        votes: [0, 0, 0, 0],
      });
      for (const d of drops) assert.match(d[0], / # /, "logged as a warning");
    } finally {
      for (const n of cl.nodes) await n.stop();
    }
  },
});

Deno.test({
  name: "bus auth: without the secret the same forged packets do change the cluster",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cl = await fourNodes("");
    try {
      const packets = await forgedPackets(cl);
      const before = await snapshot(cl);
      const a = cl.nodes[0];
      const replies = await forge(a.port + 10000, packets, OFF, 3);
      // PONGs to the MEET, the PING and the marker; on the "wrong" MAC connection too.
      assert.deepEqual(types(replies.first), ["PONG", "PONG", "PONG"]);
      assert.deepEqual(types(replies.second), ["PONG", "PONG", "PONG"]);
      const after = await snapshot(cl);
      assert.notDeepEqual(after[0], before[0]);
      const lines = await nodesOf(a.port);
      const c = lines.find((l) => l.id === cl.ids.c)!;
      assert.ok(c.flags.includes("fail"), "FAIL about a live master taken");
      assert.deepEqual(c.slots, ["5461-16383"], "UPDATE gave b's slots to c");
      assert.equal(c.epoch, 1_000_000);
      assert.ok(
        lines.some((l) => l.flags.includes("handshake")),
        "MEET / gossip started handshakes",
      );
      const info = await infoOf(a.port);
      assert.equal(info.get("cluster_current_epoch"), "1001");
      assert.equal(a.server.cluster!.state.lastVoteEpoch, 1001, "a vote was granted");
      assert.equal(info.get("cluster_stats_messages_auth-ack_sent"), "1");
      assert.ok(a.server.log.recent.some((l) => /Failover auth granted to/.test(l)));
      assert.ok(!a.server.log.recent.some((l) => DROP_LOG.test(l)));
    } finally {
      for (const n of cl.nodes) await n.stop();
    }
  },
});

Deno.test({
  name: "bus auth: a node with another secret cannot join through CLUSTER MEET",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const nodes: InProcessNode[] = [];
    try {
      nodes.push(await startNode(directives(SECRET)), await startNode(directives(SECRET)));
      nodes.push(await startNode(directives("another secret")));
      const [a, b, x] = nodes.map((n) => n.port);
      const [aId, bId, xId] = await Promise.all([a, b, x].map((p) => call(p, "CLUSTER", "MYID")));
      assert.equal(await call(a, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"), "OK");
      assert.equal(await call(b, "CLUSTER", "MEET", "127.0.0.1", String(a)), "OK");
      let before: string[] = [];
      await waitFor(
        "a and b met (same secret), settled: no handshake, distinct epochs",
        async () => {
          const [la, lb] = await Promise.all([nodesOf(a), nodesOf(b)]);
          before = [view(la), view(lb)];
          const settled = (ls: NodeLine[]) =>
            ls.length === 2 && ls.every((l) => l.link === "connected" && l.flags.length <= 2) &&
            ls[0].epoch !== ls[1].epoch;
          return settled(la) && settled(lb) &&
            la.every((l) => lb.some((m) => m.id === l.id && m.epoch === l.epoch));
        },
        10_000,
      );
      // x meets a, and a meets x: both handshakes must expire (handshake timeout = node timeout).
      assert.equal(await call(x, "CLUSTER", "MEET", "127.0.0.1", String(a)), "OK");
      assert.equal(await call(a, "CLUSTER", "MEET", "127.0.0.1", String(x)), "OK");
      let sawHandshake = false;
      await waitFor(
        "the handshakes with x expired on both sides",
        async () => {
          const [la, lb, lx] = await Promise.all([a, b, x].map((p) => nodesOf(p)));
          assert.ok(!la.some((l) => l.id === xId) && !lb.some((l) => l.id === xId), "x got in");
          assert.ok(!lx.some((l) => l.id === aId || l.id === bId), "x learned a real id");
          if (la.some((l) => l.flags.includes("handshake"))) sawHandshake = true;
          return sawHandshake && lx.length === 1 &&
            !la.some((l) => l.flags.includes("handshake"));
        },
        5 * NODE_TIMEOUT_MS,
        100,
      );
      assert.deepEqual([view(await nodesOf(a)), view(await nodesOf(b))], before);
      assert.equal(nodes[0].server.log.recent.filter((l) => DROP_LOG.test(l)).length, 1);
      assert.equal((await infoOf(x)).get("cluster_known_nodes"), "1");
      // The secret is the only obstacle: with it, x joins.
      assert.equal(await call(x, "CONFIG", "SET", "cluster-bus-secret", SECRET), "OK");
      assert.equal(await call(x, "CLUSTER", "MEET", "127.0.0.1", String(a)), "OK");
      await waitFor("x joined", async () => {
        const ls = await nodesOf(a);
        return ls.some((l) => l.id === xId && l.link === "connected" && l.flags.length === 1);
      }, 10_000);
    } finally {
      for (const n of nodes) await n.stop();
    }
  },
});

Deno.test({
  name: "bus auth: the directives in a config file, on the command line, CONFIG GET/SET/REWRITE",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const config = new Config();
    config.load('cluster-bus-secret "two words"\n', ["--cluster-bus-secret-previous", "old"]);
    assert.equal(config.getString("cluster-bus-secret"), "two words");
    assert.equal(config.getString("cluster-bus-secret-previous"), "old");
    assert.equal(new Config().getString("cluster-bus-secret"), "", "off by default");

    const node = await startNode({ ...directives(SECRET), "cluster-bus-secret-previous": "old" });
    try {
      const p = node.port;
      // Hidden from patterns (CONFIG GET * stays Redis's list); by exact name, as requirepass.
      const all = await call(p, "CONFIG", "GET", "*") as string[];
      assert.ok(!all.some((x) => x.startsWith("cluster-bus-secret")));
      assert.deepEqual(await call(p, "CONFIG", "GET", "cluster-bus-*"), []);
      assert.deepEqual(await call(p, "CONFIG", "GET", "cluster-bus-secret"), [
        "cluster-bus-secret",
        SECRET,
      ]);
      assert.equal(
        await call(
          p,
          "CONFIG",
          "SET",
          "cluster-bus-secret",
          "new",
          "cluster-bus-secret-previous",
          SECRET,
        ),
        "OK",
      );
      assert.deepEqual(await call(p, "CONFIG", "GET", "cluster-bus-secret-previous"), [
        "cluster-bus-secret-previous",
        SECRET,
      ]);
      const file = `${node.dir}/redis.conf`;
      Deno.writeTextFileSync(file, "port 0\n");
      node.server.config.file = file;
      assert.equal(await call(p, "CONFIG", "REWRITE"), "OK");
      const text = Deno.readTextFileSync(file);
      // Strings are always quoted, as config.c rewriteConfigStringOption (sdscatrepr) does.
      assert.match(text, /^cluster-bus-secret "new"$/m);
      assert.match(text, new RegExp(`^cluster-bus-secret-previous "${SECRET}"$`, "m"));
    } finally {
      await node.stop();
    }
  },
});

/** A key whose slot is in [lo, hi]. */
function keyIn(lo: number, hi: number, prefix: string): string {
  const enc = new TextEncoder();
  for (let i = 0;; i++) {
    const k = `${prefix}{t${i}}`;
    const s = keyHashSlot(enc.encode(k));
    if (s >= lo && s <= hi) return `${prefix}{t${i}}`;
  }
}

Deno.test({
  name: "bus auth: turning the secret on, then rotating it, under writes: no false failure",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const procs: SpawnedProcess[] = [];
    const SECRET_A = "rotation secret A";
    const SECRET_B = "rotation secret B";
    let stop = false;
    try {
      // Started without a secret: authentication is turned on live, then rotated.
      for (let i = 0; i < 3; i++) procs.push(await spawnNode(directives("")));
      const ports = procs.map((p) => p.port);
      for (let i = 0; i < 3; i++) {
        const [lo, hi] = RANGES[i];
        assert.equal(
          await call(ports[i], "CLUSTER", "ADDSLOTSRANGE", String(lo), String(hi)),
          "OK",
        );
      }
      for (const p of ports.slice(1)) {
        assert.equal(await call(p, "CLUSTER", "MEET", "127.0.0.1", String(ports[0])), "OK");
      }
      await waitFor(
        "3 masters, all links up, state ok",
        async () => {
          for (const p of ports) {
            const ls = await nodesOf(p);
            if (ls.length !== 3 || ls.some((l) => l.link !== "connected")) return false;
            if ((await infoOf(p)).get("cluster_state") !== "ok") return false;
          }
          return true;
        },
        20_000,
        100,
      );

      // Load: one writer per master, each SET checked; a watcher polling every node's view.
      let writes = 0;
      const writeErrors: string[] = [];
      const writers = ports.map(async (port, i) => {
        const c = await RespClient.connect(port);
        const key = keyIn(RANGES[i][0], RANGES[i][1], `w${i}`);
        try {
          for (let n = 0; !stop; n++) {
            const r = await c.call("SET", key, String(n));
            if (r !== "OK") writeErrors.push(`${port}: ${String(r)}`);
            else writes++;
          }
        } finally {
          c.close();
        }
      });
      const suspicions: string[] = [];
      let polls = 0;
      const watcher = (async () => {
        while (!stop) {
          for (const p of ports) {
            for (const l of await nodesOf(p)) {
              if (l.flags.some((f) => f === "fail?" || f === "fail")) {
                suspicions.push(`${p} sees ${l.id} ${l.flags.join(",")}`);
              }
            }
            const state = (await infoOf(p)).get("cluster_state");
            if (state !== "ok") suspicions.push(`${p} cluster_state ${state}`);
          }
          polls++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();

      /** After a change at `sinceMs`, every node must accept a fresh PONG from every other. */
      const everyLinkHeard = async (step: string) => {
        const sinceMs = Date.now();
        try {
          await waitFor(
            `${step}: every node heard a PONG from every other`,
            async () => {
              for (const p of ports) {
                for (const l of await nodesOf(p)) {
                  if (!l.flags.includes("myself") && !(l.pongRecvMs > sinceMs)) return false;
                }
              }
              return true;
            },
            3 * NODE_TIMEOUT_MS,
            50,
          );
        } catch (e) {
          throw new Error(`${(e as Error).message}; seen meanwhile: ${suspicions.join("; ")}`);
        }
      };
      const startedMs = Date.now();
      await everyLinkHeard("before the rotation");
      const set = async (p: number, ...pairs: string[]) =>
        assert.equal(await call(p, "CONFIG", "SET", ...pairs), "OK");
      // Turning it on, node by node: sign with A, still take packets without a MAC...
      for (const p of ports) {
        await set(p, "cluster-bus-secret", SECRET_A, "cluster-bus-secret-required", "no");
        await everyLinkHeard(`node ${p} signs with A`);
      }
      // ... then require it.
      for (const p of ports) {
        await set(p, "cluster-bus-secret-required", "yes");
        await everyLinkHeard(`node ${p} requires A`);
      }
      // Step 1, node by node: sign with B (and A), accept both.
      for (const p of ports) {
        await set(p, "cluster-bus-secret", SECRET_B, "cluster-bus-secret-previous", SECRET_A);
        await everyLinkHeard(`node ${p} on B+A`);
      }
      // Step 2, node by node: drop A.
      for (const p of ports) {
        await set(p, "cluster-bus-secret-previous", "");
        await everyLinkHeard(`node ${p} on B only`);
      }
      stop = true;
      await Promise.all(writers);
      await watcher;
      const tookMs = Date.now() - startedMs;
      assert.deepEqual(suspicions, []);
      assert.deepEqual(writeErrors, []);
      assert.ok(writes > 100 && polls > 10, `writes ${writes}, polls ${polls}`);
      console.log(`bus secret on + rotation: ${writes} writes in ${tookMs} ms, ${polls} polls`);
      for (const p of ports) {
        assert.deepEqual(await call(p, "CONFIG", "GET", "cluster-bus-secret"), [
          "cluster-bus-secret",
          SECRET_B,
        ]);
      }
      // A packet signed with A alone is now refused everywhere.
      const r = await forge(ports[0] + 10000, [], { secret: SECRET_A, previous: "" }, 0);
      assert.deepEqual(types(r.first), []);
    } finally {
      stop = true;
      for (const p of procs) await p.kill();
    }
  },
});
