/**
 * One simulated run from a seed: form a cluster of 3 masters and 4 replicas, then for
 * `faultMs` of simulated time let the seed pick faults every half second or so: kill -9 of a node,
 * a power loss, restarts, partitions (a random minority cut off), a flapping network, a cut
 * between two nodes only (the others still reach both; sometimes one way only), a process
 * stopped and continued later
 * (SIGSTOP), a wall clock stepped forward, healing, packet loss, latency spikes (packets on
 * different links overtake each other), and the operator's CLUSTER FAILOVER (plain, FORCE or
 * TAKEOVER) and CLUSTER REPLICATE on a replica, slots moved between masters by SETSLOT, and a
 * replica removed (FORGET everywhere, RESET SOFT) and added back (MEET, REPLICATE). The
 * safety monitor (sim/safety.ts) checks every step. Then everything is healed, continued and restarted, and the
 * cluster must converge again (one view of the slots, cluster ok everywhere) within `settleMs`.
 *
 * The same seed gives the same run: every choice comes from the world's SimRandom.
 */

import { SIM_START_MS, SimWorld, type SimWorldOptions } from "./world.ts";
import type { Violation } from "./safety.ts";
import { describeNodes } from "../cluster/nodes_conf.ts";
import {
  CLUSTER_BLACKLIST_TTL_MS,
  CLUSTER_SLOTS,
  isMaster,
  isReplica,
  myself,
  NodeFlags,
} from "../cluster/state.ts";
import type { SimRandom } from "../cluster/sim_random.ts";

/**
 * What `redis-cli --cluster reshard` does for one (empty) slot, once its check of the cluster
 * passes, one command after another:
 * SETSLOT IMPORTING on the target, MIGRATING on the source, NODE on the target (an epoch bump
 * without consensus), on the source, then on the other masters. A fault may cut it short and
 * leave the slot open, as it would a real reshard.
 */
async function moveSlot(
  world: SimWorld,
  rng: SimRandom,
  note: (f: string) => void,
): Promise<void> {
  // redis-cli --cluster reshard checks the cluster first and refuses to move anything unless it
  // reaches every node, they all agree about the slots, and no slot is open. The operator here
  // also waits for a healthy cluster on a whole network: SETSLOT NODE bumps the target's epoch
  // without consensus, on what the target knows, and a target that cannot hear the source may
  // bump to an epoch below the source's, which then takes the slot back while the source has
  // given it away, and nobody serves it. Redis 7.0 does the same (`deno task sim --seed 291`
  // showed it before this check).
  const views = world.states();
  const quiet = world.net.isWhole() && world.converged() &&
    views.every((v) => v.importingSlotsFrom.size === 0 && v.migratingSlotsTo.size === 0);
  if (!quiet || world.up().some((k) => world.isFrozen(k))) return;
  const masters = world.up().filter((k) => world.servesSlots(k));
  if (masters.length < 2) return;
  const [src, dst] = rng.shuffle(masters).slice(0, 2);
  const owner = world.node(src).state.slotOwner;
  const from = rng.int(CLUSTER_SLOTS);
  let slot = -1;
  for (let k = 0; k < CLUSTER_SLOTS && slot < 0; k++) {
    if (owner[(from + k) % CLUSTER_SLOTS] === world.id(src)) slot = (from + k) % CLUSTER_SLOTS;
  }
  if (slot < 0) return;
  const others = masters.filter((k) => k !== src && k !== dst);
  const steps = world.reshardSteps(src, dst, others);
  let done = 0;
  let why = "";
  for (const [k, action] of steps) {
    if (!world.isUp(k) || world.isFrozen(k)) {
      why = ` (#${k} is away)`;
      break;
    }
    const err = world.setSlot(k, slot, action);
    if (err !== null) {
      why = ` (#${k}: ${err})`;
      break;
    }
    done++;
    await world.run(rng.range(1, 5));
  }
  note(`SETSLOT ${slot} #${src} -> #${dst}: ${done} of ${steps.length} steps${why}`);
}

/**
 * `redis-cli --cluster del-node` of a replica, as an operator who means to add it back: CLUSTER
 * FORGET of it on every other node (each blacklists it for a minute, so gossip does not bring it
 * back), then CLUSTER RESET SOFT on it (it forgets everyone and is an empty master). Like
 * del-node, it starts only when every node answers and the cluster is one view. The node joins
 * again once the blacklist is over (`addReplicaBack`), at the latest when everything is healed.
 */
function removeReplica(
  world: SimWorld,
  rng: SimRandom,
  note: (f: string) => void,
  removed: Map<number, number>,
): void {
  const quiet = world.net.isWhole() && world.converged() && removed.size === 0;
  if (!quiet || world.up().some((k) => world.isFrozen(k))) return;
  const replicas = activeReplicas(world);
  if (replicas.length === 0) return;
  const r = rng.pick(replicas);
  const errors: string[] = [];
  for (const k of world.up()) {
    if (k === r) continue;
    const err = world.forget(k, r);
    if (err !== null) errors.push(`#${k}: ${err}`);
  }
  world.resetSoft(r);
  removed.set(r, world.now());
  note(`del-node #${r}: FORGET on the others, RESET SOFT${errors.length ? ` (${errors})` : ""}`);
}

/**
 * `redis-cli --cluster add-node --cluster-slave` of a node removed by `removeReplica`: CLUSTER
 * MEET from it to a running node, wait until it knows the masters (add-node waits for the
 * handshake), then CLUSTER REPLICATE to a master. False when it could not finish now (the node
 * or the network is away): the operator tries again later. The operator waits out the FORGET
 * blacklist first (CLUSTER_BLACKLIST_TTL, a minute): before that, only the node it meets learns
 * of it, gossip cannot spread it, and a cluster where it fails over does not converge.
 */
async function addReplicaBack(
  world: SimWorld,
  rng: SimRandom,
  note: (f: string) => void,
  r: number,
): Promise<boolean> {
  if (!world.isUp(r) || world.isFrozen(r)) return false;
  const peers = world.up().filter((k) => k !== r && !world.isFrozen(k));
  if (peers.length === 0) return false;
  const via = rng.pick(peers);
  world.meet(r, via);
  // A master of the cluster, known to r by its real name (the handshake is over).
  const mastersKnown = () => {
    const s = world.node(r).state;
    return world.up().some((k) => {
      const n = s.nodes.get(world.id(k));
      return world.servesSlots(k) && n !== undefined && isMaster(n) &&
        (n.flags & NodeFlags.HANDSHAKE) === 0;
    });
  };
  if (!await world.runUntil(() => world.isUp(r) && mastersKnown(), 5000)) {
    note(`add-node #${r} via #${via}: no master known yet`);
    return false;
  }
  const s = world.node(r).state;
  const masters = world.up().filter((k) =>
    k !== r && world.servesSlots(k) && s.nodes.has(world.id(k)) &&
    isMaster(s.nodes.get(world.id(k))!)
  );
  if (masters.length === 0) return false;
  const j = rng.pick(masters);
  world.replicate(r, j);
  note(`add-node #${r} via #${via}, CLUSTER REPLICATE master #${j}`);
  return true;
}

/** Running replicas that can take a command now (not stopped). */
function activeReplicas(world: SimWorld): number[] {
  return world.up().filter((k) => !world.isFrozen(k) && isReplica(myself(world.node(k).state)));
}

export interface RunOptions {
  faultMs: number;
  settleMs: number;
  /** Masters 0..2; node 3+k replicates master replicaOf[k]. */
  replicaOf?: readonly number[];
  world?: Partial<SimWorldOptions>;
}

/**
 * Master 0 has two replicas: their elections race (two candidates, one epoch, one vote per
 * master), which is where a node voting twice would show.
 */
const DEFAULT_REPLICA_OF = [0, 0, 1, 2];

export const DEFAULT_RUN: RunOptions = {
  faultMs: 30_000,
  // The liveness bound: healed and restarted, the cluster is one view again within 15 x
  // node-timeout (the slowest of 1,000 seeds took 10.4 s).
  settleMs: 30_000,
  world: { crashAfterVote: 0.5 },
};

export interface RunResult {
  seed: number;
  violations: Violation[];
  /** False when the cluster did not form, or did not converge after the faults. */
  converged: boolean;
  faults: string[];
  counts: {
    votes: number;
    promotions: number;
    takeovers: number;
    restarts: number;
    failsDeclared: number;
  };
  simulatedMs: number;
  /** The last log lines, for a failure report. */
  tail: string[];
  /** Each running node's CLUSTER NODES at the end. */
  views: string[];
  /** The world's trace hash (equal for two runs of one seed). */
  trace: string;
  /** Simulated ms from the end of the faults (all healed and restarted) to convergence, or -1. */
  settledMs: number;
}

export async function runSeed(seed: number, opts: RunOptions = DEFAULT_RUN): Promise<RunResult> {
  const world = await SimWorld.create(seed, {
    nodes: 3 + (opts.replicaOf ?? DEFAULT_REPLICA_OF).length,
    nodeTimeoutMs: 2000,
    ...opts.world,
  });
  const faults: string[] = [];
  const note = (f: string) => faults.push(`${world.now() - SIM_START_MS} ${f}`);
  let converged = false;
  try {
    if (!await world.form(3, opts.replicaOf ?? DEFAULT_REPLICA_OF)) {
      return result(world, seed, false, ["cluster did not form"]);
    }
    const rng = world.rng.fork();
    const t0 = world.now();
    let partitioned = false;
    // When each dead node may come back: long enough, often, for a failover to happen first.
    const backAt = new Map<number, number>();
    // When each stopped node is continued.
    const thawAt = new Map<number, number>();
    let hooked = 0;
    // Replicas removed by del-node and not added back yet: when.
    const removed = new Map<number, number>();
    while (world.now() - t0 < opts.faultMs) {
      await world.run(rng.range(200, 800));
      for (; hooked < world.hookCrashes.length; hooked++) {
        const i = world.hookCrashes[hooked];
        backAt.set(i, world.now() + rng.range(500, 8000));
        note(`crashed right after voting #${i}`);
      }
      for (const [i, at] of thawAt) {
        if (world.now() < at) continue;
        thawAt.delete(i);
        world.thaw(i);
        note(`continue #${i}`);
      }
      const down = world.size - world.up().length;
      const ready = world.down().filter((i) => world.now() >= backAt.get(i)!);
      const roll = rng.int(16);
      if (roll < 2 && down < 2) {
        // Masters more often than not: their death is what starts elections.
        const masters = world.up().filter((k) => world.servesSlots(k));
        const i = masters.length > 0 && rng.chance(0.6) ? rng.pick(masters) : rng.pick(world.up());
        const power = rng.chance(0.3);
        world.crash(i, power);
        thawAt.delete(i);
        backAt.set(i, world.now() + rng.range(500, 8000));
        note(`${power ? "power loss" : "kill -9"} #${i}`);
      } else if (roll < 4 && ready.length > 0) {
        const i = rng.pick(ready);
        await world.restart(i);
        note(`restart #${i}`);
      } else if (roll === 4 && !partitioned) {
        const ids = world.up().map((i) => world.identity(i));
        rng.shuffle(ids);
        const cut = ids.slice(0, 1 + rng.int(2));
        world.net.partition([cut, ids.filter((x) => !cut.includes(x))]);
        partitioned = true;
        note(`partition ${cut.join(",")}`);
      } else if (roll === 5 && partitioned) {
        world.net.heal();
        partitioned = false;
        note("heal");
      } else if (roll === 6) {
        const p = rng.pick([0, 0, 0.01, 0.05]);
        world.net.setDropProbability(p);
        note(`drop ${p}`);
      } else if (roll === 7 && thawAt.size === 0) {
        // Shorter than node-timeout (nobody notices) up to well past it (a failover happens).
        const i = rng.pick(world.up());
        world.freeze(i);
        thawAt.set(i, world.now() + rng.range(500, 3 * world.cfg.nodeTimeoutMs));
        note(`stop #${i}`);
      } else if (roll === 8) {
        const [a, b] = rng.shuffle(world.up()).slice(0, 2);
        if (rng.chance(0.3)) {
          // One way only: b hears a's gossip, a never hears b.
          world.cutOneWay(b, a);
          note(`cut one way #${b} -> #${a}`);
        } else {
          world.cut([a], [b]);
          note(`cut #${a} #${b}`);
        }
        partitioned = true;
      } else if (roll === 9 && rng.chance(0.3)) {
        const replicas = activeReplicas(world);
        if (replicas.length > 0) {
          const i = rng.pick(replicas);
          const mode = rng.pick(["default", "default", "force", "force", "takeover"] as const);
          const err = world.failover(i, mode);
          const name = mode === "default" ? "" : `${mode.toUpperCase()} `;
          note(`CLUSTER FAILOVER ${name}on #${i}: ${err ?? "OK"}`);
        }
      } else if (roll === 10) {
        // Latency spikes: packets on different links overtake each other.
        const latency = rng.pick([{ minMs: 1, maxMs: 5 }, { minMs: 1, maxMs: 60 }, {
          minMs: 20,
          maxMs: 250,
        }]);
        world.net.setLatency(latency);
        note(`latency ${latency.minMs}-${latency.maxMs} ms`);
      } else if (roll === 11 && !partitioned) {
        // A flapping network: a random minority cut off and back, several times, quickly.
        const flaps = rng.range(2, 6);
        note(`flapping x${flaps}`);
        for (let k = 0; k < flaps; k++) {
          const ids = rng.shuffle(world.up().map((i) => world.identity(i)));
          const cut = ids.slice(0, 1 + rng.int(2));
          world.net.partition([cut, ids.filter((x) => !cut.includes(x))]);
          await world.run(rng.range(50, 400));
          world.net.heal();
          await world.run(rng.range(50, 400));
        }
      } else if (roll === 12) {
        const i = rng.pick(world.up());
        const ms = rng.range(1, 1000);
        world.jumpClock(i, ms);
        note(`clock of #${i} +${ms} ms`);
      } else if (roll === 13 && rng.chance(0.3)) {
        // CLUSTER REPLICATE: an operator moves a replica to another master.
        const replicas = activeReplicas(world);
        if (replicas.length > 0) {
          const i = rng.pick(replicas);
          const s = world.node(i).state;
          const masters = world.up().filter((k) =>
            k !== i && world.servesSlots(k) && world.id(k) !== myself(s).masterId &&
            s.nodes.has(world.id(k)) && isMaster(s.nodes.get(world.id(k))!)
          );
          if (masters.length > 0) {
            const j = rng.pick(masters);
            world.replicate(i, j);
            note(`CLUSTER REPLICATE on #${i}: master #${j}`);
          }
        }
      } else if (roll === 14) {
        await moveSlot(world, rng, note);
      } else if (roll === 15 && rng.chance(0.5)) {
        if (removed.size === 0) removeReplica(world, rng, note, removed);
        else {
          for (const [r, at] of [...removed]) {
            if (world.now() - at <= CLUSTER_BLACKLIST_TTL_MS) continue;
            if (await addReplicaBack(world, rng, note, r)) removed.delete(r);
          }
        }
      }
    }
    // Heal everything, start every node, and wait for one view again.
    world.faultsOn = false;
    for (const i of thawAt.keys()) world.thaw(i);
    world.net.heal();
    world.net.setDropProbability(0);
    world.net.setLatency(world.opts.latency ?? { minMs: 1, maxMs: 5 });
    for (const i of world.down()) await world.restart(i);
    // The operator finishes adding back what it removed, once the blacklist is over.
    for (const [r, at] of removed) {
      const wait = at + CLUSTER_BLACKLIST_TTL_MS + 1 - world.now();
      if (wait > 0) await world.run(wait);
      for (let tries = 0; tries < 5 && !await addReplicaBack(world, rng, note, r); tries++) {
        await world.run(1000);
      }
    }
    note("healed, all restarted");
    const settleFrom = world.now();
    converged = await world.runUntil(() => world.converged(), opts.settleMs);
    return result(world, seed, converged, faults, converged ? world.now() - settleFrom : -1);
  } finally {
    world.shutdown();
  }
}

function result(
  world: SimWorld,
  seed: number,
  converged: boolean,
  faults: string[],
  settledMs = -1,
): RunResult {
  return {
    seed,
    violations: [...world.monitor.violations],
    converged,
    faults,
    counts: { ...world.monitor.counts },
    simulatedMs: world.now() - SIM_START_MS,
    tail: world.log.slice(-80),
    views: world.up().map((i) => `#${i}\n${describeNodes(world.node(i).state)}`),
    trace: world.traceHash(),
    settledMs,
  };
}
