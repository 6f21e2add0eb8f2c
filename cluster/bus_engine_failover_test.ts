/**
 * Failover through the real engine (BusNode: engine + actors + supervisor cron) on SimBusNetwork
 * and xstate's SimulatedClock: a killed master's replica is promoted, manual failover (pause,
 * offset handshake, forced vote), TAKEOVER, replica migration 2-1-1, and a partition whose
 * minority master goes fail (CLUSTERDOWN from routing) and, healed, becomes a replica.
 * Replication is the engine's stand-in (offset 0, link up while the master is not FAIL).
 * On failure the message names the seed; rerun with it to reproduce.
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
  isMaster,
  NodeFlags,
  updateClusterState,
  updateNode,
} from "./state.ts";
import type { BusConfig } from "./bus_effects.ts";
import type { BusNetwork } from "./bus_network.ts";
import { tapSends } from "../sim/tap.ts";
import { describeNodes, parseConfig, serializeConfig } from "./nodes_conf.ts";
import { checkFailoverVote } from "./failover_vote.ts";
import { decodeBusMessage } from "../protocol/bus.ts";
import { clusterFailoverCommand, type FailoverMode } from "./failover_rules.ts";
import { routeQuery, type RoutingOptions } from "./routing.ts";
import { cmd } from "../commands/types.ts";
import { CLUSTERDOWN } from "../commands/errors.ts";

const NODE_TIMEOUT_MS = 2000;
const BASE_PORT = 17100;
const START_MS = 1_790_000_000_000;
const RANGES: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];

interface Sim {
  clock: SimulatedClock;
  net: SimBusNetwork;
  nodes: BusNode[];
  identities: string[];
  dead: Set<number>;
  logs: string[];
  pauses: { node: number; kind: "pause" | "unpause"; atMs: number }[];
  promotions: number[];
  rng: SimRandom;
  seed: number;
  cfg: BusConfig;
}

interface SimOptions {
  /** Node i's network (e.g. a tap on what leaves it); the shared sim network's host by default. */
  wrap?: (i: number, net: BusNetwork) => BusNetwork;
  /** Node i's nodes.conf save (what reaches its disk); succeeds without writing by default. */
  save?: (i: number, s: ClusterState) => boolean;
}

async function startSim(count: number, seed: number, opts: SimOptions = {}): Promise<Sim> {
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
  const sim: Sim = {
    clock,
    net,
    nodes: [],
    identities: [],
    dead: new Set(),
    logs: [],
    pauses: [],
    promotions: [],
    rng,
    seed,
    cfg,
  };
  for (let i = 0; i < count; i++) {
    const port = BASE_PORT + i;
    const cport = port + 10000;
    const id = randomNodeIdFrom(rng);
    const state = updateNode(createState(id, clock.now()), id, { port, cport });
    const identity = `127.0.0.1:${cport}`;
    sim.identities.push(identity);
    const node = new BusNode({
      state,
      network: opts.wrap ? opts.wrap(i, net.host(identity)) : net.host(identity),
      clock,
      rng: rng.fork(),
      config: () => cfg,
      save: opts.save ? (st) => opts.save!(i, st) : () => true,
      log: (level, text) => {
        if (level !== "debug") sim.logs.push(`${clock.now() - START_MS} #${i} ${level} ${text}`);
      },
      replicationUnsetMaster: () => sim.promotions.push(i),
      pauseWrites: () => sim.pauses.push({ node: i, kind: "pause", atMs: clock.now() }),
      unpauseWrites: () => sim.pauses.push({ node: i, kind: "unpause", atMs: clock.now() }),
    });
    await node.start(["127.0.0.1"], cport);
    sim.nodes.push(node);
  }
  return sim;
}

function stopAll(sim: Sim): void {
  for (const n of sim.nodes) n.stop();
  sim.net.shutdown();
}

function id(sim: Sim, i: number): string {
  return sim.nodes[i].state.myselfId;
}

function applyCmd(sim: Sim, i: number, s: ClusterState): void {
  sim.nodes[i].apply(
    updateClusterState(s, sim.clock.now(), { requireFullCoverage: true, nodeTimeoutMs: 2000 }),
  );
}

function alive(sim: Sim): number[] {
  return sim.nodes.map((_, i) => i).filter((i) => !sim.dead.has(i));
}

async function runUntil(sim: Sim, what: string, cond: () => boolean, maxMs: number) {
  const start = sim.clock.now();
  while (!cond()) {
    if (sim.clock.now() - start > maxMs) {
      throw new Error(
        `seed ${sim.seed}: not reached within ${maxMs} simulated ms: ${what}\n` +
          alive(sim).map((i) => `--- node ${i}\n${describeNodes(sim.nodes[i].state)}`).join("") +
          sim.logs.slice(-60).join("\n"),
      );
    }
    await advanceAsync(sim.clock, 50, 2);
  }
  return sim.clock.now() - start;
}

/** Node `i`'s view: the owner of the first slot of each range, if a master in that view. */
function ownersSeenBy(sim: Sim, i: number): (string | null)[] {
  const s = sim.nodes[i].state;
  return RANGES.map(([a, b]) => {
    const o = s.slotOwner[a];
    for (let j = a; j <= b; j++) if (s.slotOwner[j] !== o) return null;
    if (o === null || !isMaster(s.nodes.get(o)!)) return null;
    return o;
  });
}

/** Every live node: cluster ok, and all agree on one master per range. */
function allOk(sim: Sim): boolean {
  const live = alive(sim);
  const ref = ownersSeenBy(sim, live[0]).join(",");
  return live.every((i) =>
    sim.nodes[i].state.health === "ok" && ownersSeenBy(sim, i).join(",") === ref &&
    !ref.includes("null") && ref !== ""
  );
}

/**
 * Masters 0..2 with RANGES, then replicaOf[k] is the master of node 3+k. Waits until every node
 * knows every node, every role and every slot, and the cluster is ok everywhere.
 */
async function formCluster(sim: Sim, replicaOf: number[]): Promise<void> {
  const n = sim.nodes.length;
  for (let i = 1; i < n; i++) {
    const node = sim.nodes[i];
    node.apply(
      addNode(
        node.state,
        createNode(
          randomNodeIdFrom(sim.rng),
          NodeFlags.HANDSHAKE | NodeFlags.MEET,
          sim.clock.now(),
          {
            ip: "127.0.0.1",
            port: BASE_PORT,
            cport: BASE_PORT + 10000,
          },
        ),
      ),
      { save: false },
    );
  }
  await runUntil(
    sim,
    "full mesh",
    () =>
      sim.nodes.every((x) =>
        x.state.nodes.size === n &&
        [...x.state.nodes.values()].every((y) =>
          !(y.flags & NodeFlags.HANDSHAKE) &&
          (y.id === x.state.myselfId || y.linkState === "connected")
        )
      ),
    20_000,
  );
  for (let i = 0; i < 3; i++) {
    const r = addSlots(sim.nodes[i].state, [RANGES[i]]);
    assert.ok("state" in r);
    applyCmd(sim, i, r.state);
  }
  replicaOf.forEach((m, k) =>
    applyCmd(sim, 3 + k, setMyMaster(sim.nodes[3 + k].state, id(sim, m)))
  );
  await runUntil(
    sim,
    "roles and slots known everywhere, cluster ok",
    () =>
      allOk(sim) &&
      sim.nodes.every((x) =>
        replicaOf.every((m, k) => x.state.nodes.get(id(sim, 3 + k))?.masterId === id(sim, m))
      ),
    20_000,
  );
}

function kill(sim: Sim, i: number): void {
  sim.dead.add(i);
  sim.nodes[i].stop();
  sim.net.isolate(sim.identities[i]);
}

function failoverCmd(sim: Sim, i: number, mode: FailoverMode): string | null {
  return sim.nodes[i].engine.runFailoverRule((s, ctx) => clusterFailoverCommand(s, mode, ctx));
}

const SEEDS = [11, 12, 13];

Deno.test("engine failover: a killed master's replica is promoted, every node ok again", async () => {
  for (const seed of SEEDS) {
    const sim = await startSim(6, seed);
    try {
      await formCluster(sim, [0, 1, 2]);
      const victimId = id(sim, 1);
      kill(sim, 1);
      const tookMs = await runUntil(
        sim,
        "replica 4 promoted, ok everywhere",
        () => allOk(sim) && ownersSeenBy(sim, 0)[1] === id(sim, 4),
        30_000,
      );
      // Redis: FAIL after node-timeout (+ gossip), election after 500-1000 ms: about 2-4 s.
      assert.ok(
        tookMs >= NODE_TIMEOUT_MS && tookMs < 3 * NODE_TIMEOUT_MS,
        `seed ${seed}: ${tookMs}`,
      );
      assert.deepEqual(sim.promotions, [4], `seed ${seed}`);
      for (const i of alive(sim)) {
        const s = sim.nodes[i].state;
        assert.ok(s.nodes.get(victimId)!.flags & NodeFlags.FAIL, `seed ${seed}: #${i} sees FAIL`);
        assert.equal(s.nodes.get(id(sim, 4))!.configEpoch, s.currentEpoch, `seed ${seed}`);
      }
    } finally {
      stopAll(sim);
    }
  }
});

Deno.test("engine failover: CLUSTER FAILOVER pauses the master, swaps roles; TAKEOVER", async () => {
  for (const seed of SEEDS) {
    const sim = await startSim(6, seed);
    try {
      await formCluster(sim, [0, 1, 2]);
      assert.equal(
        failoverCmd(sim, 0, "default"),
        "ERR You should send CLUSTER FAILOVER to a replica",
      );
      const before = sim.clock.now();
      assert.equal(failoverCmd(sim, 3, "default"), null);
      await runUntil(
        sim,
        "manual failover: 3 owns range 0, 0 replicates 3",
        () =>
          allOk(sim) && ownersSeenBy(sim, 1)[0] === id(sim, 3) &&
          sim.nodes.every((n) => n.state.nodes.get(id(sim, 0))!.masterId === id(sim, 3)),
        10_000,
      );
      // The master paused writes at MFSTART and un-paused once it became a replica.
      const p = sim.pauses.filter((x) => x.node === 0);
      assert.deepEqual(p.map((x) => x.kind), ["pause", "unpause"], `seed ${seed}`);
      assert.ok(p[1].atMs - before < 2000, `seed ${seed}: paused ${p[1].atMs - before} ms`);
      assert.deepEqual(sim.promotions, [3]);

      // TAKEOVER: no election, the replica bumps its epoch alone and takes the slots at once.
      const epochBefore = sim.nodes[5].state.currentEpoch;
      assert.equal(failoverCmd(sim, 5, "takeover"), null);
      assert.ok(isMaster(sim.nodes[5].state.nodes.get(id(sim, 5))!));
      assert.ok(sim.nodes[5].state.currentEpoch > epochBefore);
      await runUntil(
        sim,
        "takeover known everywhere",
        () =>
          allOk(sim) && ownersSeenBy(sim, 0)[2] === id(sim, 5) &&
          sim.nodes.every((n) => n.state.nodes.get(id(sim, 2))!.masterId === id(sim, 5)),
        10_000,
      );
      assert.equal(sim.nodes[0].state.nodes.get(id(sim, 2))!.masterId, id(sim, 5));
      assert.equal(sim.pauses.filter((x) => x.node === 2).length, 0, "takeover never pauses");
    } finally {
      stopAll(sim);
    }
  }
});

Deno.test("engine failover: replica migration 2-1-1 moves a replica to the orphaned master", async () => {
  for (const seed of SEEDS) {
    const sim = await startSim(7, seed);
    try {
      // Master 0 has replicas 3 and 6; masters 1 and 2 have 4 and 5.
      await formCluster(sim, [0, 1, 2, 0]);
      kill(sim, 4); // master 1 is orphaned
      await runUntil(
        sim,
        "a replica of master 0 migrated to master 1",
        () =>
          alive(sim).every((i) =>
            [3, 6].some((r) => sim.nodes[i].state.nodes.get(id(sim, r))!.masterId === id(sim, 1))
          ),
        30_000,
      );
      const moved = [3, 6].filter((r) =>
        sim.nodes[r].state.nodes.get(id(sim, r))!.masterId === id(sim, 1)
      );
      assert.equal(moved.length, 1, `seed ${seed}: exactly one replica migrates`);
      assert.ok(allOk(sim));
      assert.deepEqual(sim.promotions, []);
    } finally {
      stopAll(sim);
    }
  }
});

const noop = () => {};
const SET = cmd("set", -3, ["write", "denyoom"], [1, 1, 1], noop);
const GET = cmd("get", 2, ["readonly", "fast"], [1, 1, 1], noop);
const enc = new TextEncoder();

/** A key in RANGES[0] ("a" hashes to slot 15495; "b" to 3300). */
function route(s: ClusterState, write: boolean, allowReadsWhenDown: boolean): string | null {
  const def = write ? SET : GET;
  const argv = (write ? ["set", "b", "1"] : ["get", "b"]).map((x) => enc.encode(x));
  const opts: RoutingOptions = { allowReadsWhenDown, preferredEndpoint: "ip" };
  return routeQuery(
    s,
    { asking: false, readonlyMode: false },
    [{ def, fullname: def.name, argv }],
    false,
    () => true,
    opts,
  );
}

Deno.test("engine failover: a partitioned minority master refuses writes, heals as a replica", async () => {
  for (const seed of SEEDS) {
    const sim = await startSim(6, seed);
    try {
      await formCluster(sim, [0, 1, 2]);
      assert.equal(route(sim.nodes[0].state, true, false), null, "master 0 serves slot of 'b'");
      const cutAt = sim.clock.now();
      sim.net.partition([[sim.identities[0]], sim.identities.slice(1)]);
      const failAfterMs = await runUntil(
        sim,
        "minority master 0 goes fail",
        () => sim.nodes[0].state.health === "fail",
        10_000,
      );
      // After node-timeout (PFAIL of the two other masters), not before.
      assert.ok(
        failAfterMs >= NODE_TIMEOUT_MS && failAfterMs <= NODE_TIMEOUT_MS + 1000,
        `seed ${seed}: ${failAfterMs}`,
      );
      assert.equal(route(sim.nodes[0].state, true, false), CLUSTERDOWN);
      assert.equal(route(sim.nodes[0].state, false, false), CLUSTERDOWN);
      // cluster-allow-reads-when-down: reads served, writes refused.
      assert.equal(route(sim.nodes[0].state, false, true), null);
      assert.match(route(sim.nodes[0].state, true, true) ?? "", /^CLUSTERDOWN/);
      // The majority promotes 3 and stays ok.
      await runUntil(
        sim,
        "majority: 3 owns range 0",
        () =>
          [1, 2, 3, 4, 5].every((i) =>
            sim.nodes[i].state.health === "ok" && ownersSeenBy(sim, i)[0] === id(sim, 3)
          ),
        20_000,
      );
      assert.equal(sim.nodes[0].state.health, "fail", "still cut off");
      assert.ok(sim.clock.now() - cutAt > NODE_TIMEOUT_MS);
      sim.net.heal();
      await runUntil(
        sim,
        "healed: one master per range everywhere, 0 replicates 3",
        () =>
          allOk(sim) && ownersSeenBy(sim, 0)[0] === id(sim, 3) &&
          sim.nodes.every((n) => n.state.nodes.get(id(sim, 0))!.masterId === id(sim, 3)),
        20_000,
      );
      for (const n of sim.nodes) {
        const masters = [...n.state.nodes.values()].filter((x) => isMaster(x) && x.numSlots > 0);
        assert.equal(masters.length, 3, `seed ${seed}: three slot owners`);
        assert.equal(masters.reduce((a, x) => a + x.numSlots, 0), 16384);
      }
      assert.equal(route(sim.nodes[3].state, true, false), null);
      assert.match(route(sim.nodes[0].state, true, false) ?? "", /^MOVED 3300 /);
    } finally {
      stopAll(sim);
    }
  }
});

Deno.test("engine failover: a voter killed right after its ACK left still refuses a second vote in that epoch after restart", async () => {
  for (const seed of SEEDS) {
    // What each node's nodes.conf holds on disk: exactly what its save wrote, nothing later.
    const disk: string[] = new Array(6).fill("");
    // The crash hook: node 0 (a voter) dies the moment its FAILOVER_AUTH_ACK reaches the wire.
    let diskAtCrash: string | null = null;
    let ackEpoch = -1;
    const sim = await startSim(6, seed, {
      save: (i, st) => {
        disk[i] = serializeConfig(st);
        return true;
      },
      wrap: (i, net) =>
        i !== 0 ? net : tapSends(net, (packet) => {
          const d = decodeBusMessage(packet);
          if (diskAtCrash === null && d.ok && d.message.type === "FAILOVER_AUTH_ACK") {
            diskAtCrash = disk[0];
            ackEpoch = Number(d.message.header.currentEpoch);
          }
        }),
    });
    try {
      // Master 1 has two replicas (4 and 5): either may ask for votes once 1 fails.
      await formCluster(sim, [0, 1, 1]);
      const master1 = id(sim, 1);
      const slotsOf1 = sim.nodes[0].state.nodes.get(master1)!;
      assert.ok(slotsOf1.numSlots > 0);
      kill(sim, 1);
      await runUntil(sim, "node 0 voted", () => diskAtCrash !== null, 30_000);
      // Restart node 0 from what its disk held when the ACK left.
      const loaded = parseConfig(diskAtCrash!, sim.clock.now());
      assert.ok("state" in loaded, `seed ${seed}: nodes.conf parses`);
      let restarted = loaded.state;
      assert.equal(restarted.lastVoteEpoch, ackEpoch, `seed ${seed}: the vote is on disk`);
      // After the restart it learns, by gossip, that master 1 failed and the current epoch.
      const m = restarted.nodes.get(master1)!;
      restarted = updateNode(restarted, master1, { flags: m.flags | NodeFlags.FAIL });
      restarted = { ...restarted, currentEpoch: Math.max(restarted.currentEpoch, ackEpoch) };
      // The other replica asks for a vote in the same epoch: refused.
      const bitmap = new Uint8Array(16384 / 8);
      for (let j = 0; j < 16384; j++) {
        if (restarted.slotOwner[j] === master1) bitmap[j >> 3] |= 1 << (j & 7);
      }
      for (const requester of [id(sim, 4), id(sim, 5)]) {
        const check = checkFailoverVote(
          restarted,
          requester,
          { currentEpoch: BigInt(ackEpoch), configEpoch: 0n, myslots: bitmap, mflags: 0 },
          sim.clock.now(),
          NODE_TIMEOUT_MS,
        );
        assert.deepEqual(
          check,
          {
            vote: false,
            reason: `Failover auth denied to ${requester}: already voted for epoch ${ackEpoch}`,
          },
          `seed ${seed}`,
        );
      }
    } finally {
      stopAll(sim);
    }
  }
});
