/**
 * Simulated cluster-bus runs: several `BusNode`s (engine + node actor + link actors + supervisor)
 * in one process on SimBusNetwork and xstate's SimulatedClock, everything random from one seed.
 * On failure the assertion message names the seed; rerun with it to reproduce.
 */

import assert from "node:assert/strict";
import { SimulatedClock } from "xstate";
import { advanceAsync, SimBusNetwork } from "./bus_network_sim.ts";
import { SimRandom } from "./sim_random.ts";
import { BusNode } from "./bus_node.ts";
import { randomNodeIdFrom, setMyMaster } from "./bus_node_ops.ts";
import {
  addNode,
  addSlots,
  type ClusterState,
  createNode,
  createState,
  NodeFlags,
  updateClusterState,
  updateNode,
} from "./state.ts";
import type { BusConfig } from "./bus_effects.ts";
import { describeNodes } from "./nodes_conf.ts";
import { decodeBusMessage, encodeBusMessage } from "../protocol/bus.ts";

const NODE_TIMEOUT_MS = 1000;
const BASE_PORT = 17000;
const START_MS = 1_790_000_000_000;

interface SimCluster {
  clock: SimulatedClock;
  net: SimBusNetwork;
  nodes: BusNode[];
  identities: string[];
  saves: number[];
  logs: string[];
  rng: SimRandom;
}

async function startSimCluster(count: number, seed: number): Promise<SimCluster> {
  const clock = new SimulatedClock();
  clock.set(START_MS);
  const net = new SimBusNetwork(clock, { seed, latency: { minMs: 1, maxMs: 5 } });
  const rng = new SimRandom(seed);
  const cfg: BusConfig = {
    nodeTimeoutMs: NODE_TIMEOUT_MS,
    announcedIp: "",
    requireFullCoverage: true,
    allowReplicaMigration: true,
  };
  const nodes: BusNode[] = [];
  const identities: string[] = [];
  const saves: number[] = [];
  const logs: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = BASE_PORT + i;
    const cport = port + 10000;
    const id = randomNodeIdFrom(rng);
    let state = createState(id, clock.now());
    state = updateNode(state, id, { port, cport });
    const identity = `127.0.0.1:${cport}`;
    identities.push(identity);
    saves.push(0);
    const node = new BusNode({
      state,
      network: net.host(identity),
      clock,
      rng: rng.fork(),
      config: () => cfg,
      save: () => {
        saves[i]++;
        return true;
      },
      log: (level, text) => {
        if (level !== "debug") logs.push(`${clock.now() - START_MS} #${i} ${level} ${text}`);
      },
    });
    await node.start(["127.0.0.1"], cport);
    nodes.push(node);
  }
  return { clock, net, nodes, identities, saves, logs, rng };
}

function meet(c: SimCluster, from: number, to: number): void {
  const n = c.nodes[from];
  const hid = randomNodeIdFrom(c.rng);
  n.apply(
    addNode(
      n.state,
      createNode(hid, NodeFlags.HANDSHAKE | NodeFlags.MEET, c.clock.now(), {
        ip: "127.0.0.1",
        port: BASE_PORT + to,
        cport: BASE_PORT + 10000 + to,
      }),
    ),
    { save: false },
  );
}

function applyCmd(c: SimCluster, i: number, s: ClusterState): void {
  c.nodes[i].apply(
    updateClusterState(s, c.clock.now(), {
      requireFullCoverage: true,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
    }),
  );
}

function stopAll(c: SimCluster): void {
  for (const n of c.nodes) n.stop();
  c.net.shutdown();
}

/** Everyone knows everyone, no handshake nodes, every outbound link up. */
function fullyMeshed(c: SimCluster): boolean {
  const ids = new Set(c.nodes.map((n) => n.state.myselfId));
  for (const n of c.nodes) {
    if (n.state.nodes.size !== c.nodes.length) return false;
    for (const x of n.state.nodes.values()) {
      if (!ids.has(x.id)) return false;
      if (x.flags & NodeFlags.HANDSHAKE) return false;
      if (x.id !== n.state.myselfId && x.linkState !== "connected") return false;
    }
  }
  return true;
}

function flagsOf(c: SimCluster, viewer: number, target: number): number {
  return c.nodes[viewer].state.nodes.get(c.nodes[target].state.myselfId)?.flags ?? -1;
}

async function runUntil(
  c: SimCluster,
  what: string,
  cond: () => boolean,
  maxMs: number,
  seed: number,
): Promise<number> {
  const start = c.clock.now();
  while (!cond()) {
    if (c.clock.now() - start > maxMs) {
      throw new Error(
        `seed ${seed}: not reached within ${maxMs} simulated ms: ${what}\n` +
          c.nodes.map((n, i) => `--- node ${i}\n${describeNodes(n.state)}`).join("") +
          c.logs.slice(-40).join("\n"),
      );
    }
    await advanceAsync(c.clock, 50, 2);
  }
  return c.clock.now() - start;
}

/** A compact, comparable summary of every node's view (ids, flags, slots, masters). */
function fingerprint(c: SimCluster): string {
  return c.nodes.map((n) =>
    [...n.state.nodes.values()].map((x) =>
      `${x.id.slice(0, 8)}:${x.flags}:${
        x.masterId?.slice(0, 8) ?? "-"
      }:${x.numSlots}:${x.configEpoch}`
    ).join(",")
  ).join("|");
}

/** Steps 1-3: MEETs to node 0, ADDSLOTS on 0..2, node 3+i replicates i; all agree, state ok. */
async function formCluster(c: SimCluster, seed: number): Promise<void> {
  {
    // 1. MEETs aimed at node 0 -> everyone knows everyone.
    for (let i = 1; i < 6; i++) meet(c, i, 0);
    await runUntil(c, "full mesh after MEETs", () => fullyMeshed(c), 15_000, seed);
    for (const n of c.nodes) {
      const states = n.linkStates();
      assert.equal(states.size, 5, `seed ${seed}: one link actor per peer`);
      for (const v of states.values()) assert.equal(v, "connected", `seed ${seed}: link actors`);
    }

    // 2. ADDSLOTS on three masters -> all six agree on the owners.
    const ranges: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];
    for (let i = 0; i < 3; i++) {
      const r = addSlots(c.nodes[i].state, [ranges[i]]);
      assert.ok("state" in r);
      applyCmd(c, i, r.state);
    }
    const ownerOf = (slot: number) =>
      c.nodes[
        [0, 5461, 10923].findIndex((s, i) => slot >= s && (i === 2 || slot < [5461, 10923][i]))
      ].state.myselfId;
    await runUntil(
      c,
      "slot owners agree",
      () =>
        c.nodes.every((n) =>
          [0, 5460, 5461, 10922, 10923, 16383].every((j) => n.state.slotOwner[j] === ownerOf(j)) &&
          n.state.slotOwner.every((o) => o !== null)
        ),
      10_000,
      seed,
    );

    // 3. REPLICATE: node 3+i becomes a replica of master i, everyone sees it.
    for (let i = 0; i < 3; i++) {
      applyCmd(c, 3 + i, setMyMaster(c.nodes[3 + i].state, c.nodes[i].state.myselfId));
    }
    await runUntil(
      c,
      "replicas seen everywhere",
      () =>
        c.nodes.every((n) =>
          [0, 1, 2].every((i) => {
            const r = n.state.nodes.get(c.nodes[3 + i].state.myselfId);
            return r !== undefined && (r.flags & NodeFlags.SLAVE) !== 0 &&
              r.masterId === c.nodes[i].state.myselfId;
          })
        ),
      10_000,
      seed,
    );
    await runUntil(
      c,
      "cluster_state ok everywhere",
      () => c.nodes.every((n) => n.state.health === "ok"),
      10_000,
      seed,
    );
  }
}

async function scenario(seed: number): Promise<{ trace: string; print: string }> {
  const c = await startSimCluster(6, seed);
  try {
    await formCluster(c, seed);

    // 4. Isolate master 0 -> PFAIL, then FAIL on every other node.
    c.net.isolate(c.identities[0]);
    const others = [1, 2, 3, 4, 5];
    const failMs = await runUntil(
      c,
      "node 0 FAIL on all others",
      () => others.every((i) => (flagsOf(c, i, 0) & NodeFlags.FAIL) !== 0),
      6 * NODE_TIMEOUT_MS,
      seed,
    );
    assert.ok(failMs >= NODE_TIMEOUT_MS, `seed ${seed}: FAIL after ${failMs} ms is too early`);
    for (const i of others) {
      assert.equal(c.nodes[i].linkStates().get(c.nodes[0].state.myselfId), "fail");
    }

    // 5. Rejoin -> the flag clears everywhere (master with slots: after 2 x node timeout).
    c.net.rejoin(c.identities[0]);
    await runUntil(
      c,
      "node 0 FAIL cleared everywhere",
      () =>
        others.every((i) => (flagsOf(c, i, 0) & (NodeFlags.FAIL | NodeFlags.PFAIL)) === 0) &&
        c.nodes.every((n) =>
          [...n.state.nodes.values()].every((x) =>
            (x.flags & (NodeFlags.FAIL | NodeFlags.PFAIL)) === 0
          )
        ),
      10 * NODE_TIMEOUT_MS,
      seed,
    );
    await runUntil(
      c,
      "cluster_state ok again",
      () => c.nodes.every((n) => n.state.health === "ok"),
      10_000,
      seed,
    );
    for (const i of others) {
      assert.equal(c.nodes[i].linkStates().get(c.nodes[0].state.myselfId), "connected");
    }
    // Config was saved (batched), and stats counted.
    for (let i = 0; i < 6; i++) assert.ok(c.saves[i] > 0, `node ${i} saved nodes.conf`);
    const st = c.nodes[1].engine.stats;
    assert.ok(st.sent[0] > 0 && st.sent[1] > 0 && st.received[0] > 0 && st.received[1] > 0);
    assert.equal(st.malformed, 0);
    assert.equal(st.handlerErrors, 0);
    return { trace: c.net.trace().join("\n"), print: fingerprint(c) };
  } finally {
    stopAll(c);
  }
}

Deno.test("bus sim: 6 nodes meet, agree on slots and replicas, detect and clear a failure", async () => {
  await scenario(12345);
});

Deno.test("bus sim: the same seed gives the same run", async () => {
  const a = await scenario(777);
  const b = await scenario(777);
  assert.equal(a.print, b.print);
  assert.equal(a.trace, b.trace);
});

Deno.test("bus sim: several seeds converge", async () => {
  for (const seed of [1, 2, 3]) await scenario(seed);
});

Deno.test("bus sim: malformed packets on the bus port are counted and dropped, node stays in", async () => {
  const seed = 99;
  const c = await startSimCluster(3, seed);
  try {
    meet(c, 1, 0);
    meet(c, 2, 0);
    await runUntil(c, "mesh", () => fullyMeshed(c), 10_000, seed);
    const fuzzRng = new SimRandom(seed);
    const attacker = c.net.host("10.0.0.9:1");
    const link = await (async () => {
      const p = attacker.connect("127.0.0.1", BASE_PORT + 10000, 1000);
      await advanceAsync(c.clock, 20, 1);
      return await p;
    })();
    // A real PING from an unknown sender, mutated at random places.
    const good = encodeBusMessage({
      type: "PING",
      header: {
        port: 1,
        currentEpoch: 0n,
        configEpoch: 0n,
        offset: 0n,
        sender: "f".repeat(40),
        myslots: new Uint8Array(2048),
        slaveof: null,
        myip: "",
        pport: 0,
        cport: 2,
        flags: 1,
        state: 1,
        mflags: 0,
      },
      gossip: [],
      extensions: [],
    });
    assert.ok(decodeBusMessage(good).ok);
    let sent = 0;
    for (let i = 0; i < 200 && !link.closed; i++) {
      const p = good.slice();
      for (let k = 0; k < 4; k++) p[8 + fuzzRng.int(p.length - 8)] = fuzzRng.int(256);
      if (link.send(p)) sent++;
      await advanceAsync(c.clock, 5, 1);
    }
    assert.ok(sent > 0);
    // Two packets the codec must reject (kept link): version 2, and a FAIL of PING length.
    const before = c.nodes[0].engine.stats.malformed;
    const badVer = good.slice();
    badVer[9] = 2;
    const badLen = good.slice();
    badLen[13] = 3; // type FAIL, but totlen 2256
    const probe = await (async () => {
      const p = attacker.connect("127.0.0.1", BASE_PORT + 10000, 1000);
      await advanceAsync(c.clock, 20, 1);
      return await p;
    })();
    assert.ok(probe.send(badVer) && probe.send(badLen));
    await advanceAsync(c.clock, 50, 1);
    assert.equal(c.nodes[0].engine.stats.malformed - before, 2);
    assert.equal(probe.closed, false, "a dropped packet keeps the link open");
    await advanceAsync(c.clock, 3000, 5);
    assert.ok(fullyMeshed(c), "still meshed after fuzz");
    assert.equal(c.nodes[0].engine.stats.handlerErrors, 0);
  } finally {
    stopAll(c);
  }
});

Deno.test("bus sim: a partition flags the minority FAIL on the majority side; minority goes down; heal", async () => {
  const seed = 4242;
  const c = await startSimCluster(6, seed);
  try {
    await formCluster(c, seed);
    // Master 0 and its replica 3 on one side, the rest on the other.
    c.net.partition([[c.identities[0], c.identities[3]], [1, 2, 4, 5].map((i) => c.identities[i])]);
    const majority = [1, 2, 4, 5];
    await runUntil(
      c,
      "majority flags 0 FAIL, 3 at least PFAIL",
      () =>
        majority.every((i) =>
          (flagsOf(c, i, 0) & NodeFlags.FAIL) !== 0 &&
          (flagsOf(c, i, 3) & (NodeFlags.FAIL | NodeFlags.PFAIL)) !== 0
        ),
      6 * NODE_TIMEOUT_MS,
      seed,
    );
    // The minority master cannot reach a quorum: nobody is FAIL there, but its state is fail.
    await runUntil(
      c,
      "minority master: cluster_state fail",
      () => c.nodes[0].state.health === "fail",
      6 * NODE_TIMEOUT_MS,
      seed,
    );
    for (const i of [1, 2]) assert.equal(flagsOf(c, 0, i) & NodeFlags.FAIL, 0, `seed ${seed}`);
    c.net.heal();
    await runUntil(
      c,
      "all flags cleared and state ok after heal",
      () =>
        c.nodes.every((n) =>
          n.state.health === "ok" &&
          [...n.state.nodes.values()].every((x) =>
            (x.flags & (NodeFlags.FAIL | NodeFlags.PFAIL)) === 0
          )
        ),
      12 * NODE_TIMEOUT_MS,
      seed,
    );
  } finally {
    stopAll(c);
  }
});

Deno.test("bus sim: role change spreads under 5% packet loss and 1-30 ms latency", async () => {
  const seed = 31337;
  const c = await startSimCluster(6, seed);
  try {
    c.net.setLatency({ minMs: 1, maxMs: 30 });
    // Handshakes need their packets (a lost MEET/PONG is a failed handshake in Redis too).
    await formCluster(c, seed);
    c.net.setDropProbability(0.05);
    // Replica 5 moves from master 2 to master 1; everyone learns it despite the losses.
    applyCmd(c, 5, setMyMaster(c.nodes[5].state, c.nodes[1].state.myselfId));
    await runUntil(
      c,
      "node 5 seen as a replica of node 1 everywhere",
      () =>
        c.nodes.every((n) =>
          n.state.nodes.get(c.nodes[5].state.myselfId)?.masterId === c.nodes[1].state.myselfId
        ),
      10_000,
      seed,
    );
    await advanceAsync(c.clock, 5000, 5);
    assert.ok(c.net.stats.dropped > 0, "some packets were dropped");
    c.net.setDropProbability(0);
    await runUntil(
      c,
      "no failure flags and state ok once losses stop",
      () =>
        c.nodes.every((n) =>
          n.state.health === "ok" &&
          [...n.state.nodes.values()].every((x) =>
            (x.flags & (NodeFlags.FAIL | NodeFlags.PFAIL)) === 0
          )
        ),
      10 * NODE_TIMEOUT_MS,
      seed,
    );
    assert.ok(fullyMeshed(c));
  } finally {
    stopAll(c);
  }
});
