/**
 * One simulated run from a seed: form a cluster of 3 masters and 4 replicas, then for
 * `faultMs` of simulated time let the seed pick faults every half second or so: kill -9 of a node,
 * a power loss, restarts, partitions (a random minority cut off), a flapping network, a cut
 * between two nodes only (the others still reach both; sometimes one way only), a process
 * stopped and continued later
 * (SIGSTOP), a wall clock stepped forward, healing, packet loss, latency spikes (packets on
 * different links overtake each other), and the operator's CLUSTER FAILOVER (plain, FORCE or
 * TAKEOVER) and CLUSTER REPLICATE on a replica, slots moved between masters by SETSLOT or by
 * DELSLOTS and ADDSLOTS, and a replica or empty master removed (FORGET everywhere, RESET SOFT or
 * HARD) and added back (MEET, and REPLICATE or not). The
 * safety monitor (sim/safety.ts) checks every step. Then everything is healed, continued and restarted, and the
 * cluster must converge again (one view of the slots, cluster ok everywhere) within `settleMs`.
 *
 * The same seed gives the same run: every choice comes from the world's Prng.
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
import type { Prng } from "../cluster/prng.ts";

/**
 * What an operator waits for before moving slots: a whole network, a converged cluster, no slot
 * open anywhere and no node frozen (redis-cli --cluster checks the cluster first).
 */
function quietForOperator(world: SimWorld): boolean {
  return world.net.isWhole() && world.converged() &&
    world.states().every((v) => v.importingSlotsFrom.size === 0 && v.migratingSlotsTo.size === 0) &&
    !world.up().some((k) => world.isFrozen(k));
}

/**
 * What `redis-cli --cluster reshard` does for one (empty) slot, once its check of the cluster
 * passes, one command after another:
 * SETSLOT IMPORTING on the target, MIGRATING on the source, NODE on the target (an epoch bump
 * without consensus), on the source, then on the other masters. A fault may cut it short and
 * leave the slot open, as it would a real reshard.
 */
async function moveSlot(
  world: SimWorld,
  rng: Prng,
  note: (f: string) => void,
): Promise<void> {
  // redis-cli --cluster reshard checks the cluster first and refuses to move anything unless it
  // reaches every node, they all agree about the slots, and no slot is open. The operator here
  // also waits for a healthy cluster on a whole network: SETSLOT NODE bumps the target's epoch
  // without consensus, on what the target knows, and a target that cannot hear the source may
  // bump to an epoch below the source's, which then takes the slot back while the source has
  // given it away, and nobody serves it. Redis 7.0 does the same (`deno task sim --seed 291`
  // showed it before this check).
  if (!quietForOperator(world)) return;
  const masters = world.up().filter((k) => world.servesSlots(k));
  if (masters.length < 2) return;
  const [src, dst] = rng.shuffle(masters).slice(0, 2);
  const owner = world.node(src).state.slotOwner;
  const from = rng.int(CLUSTER_SLOTS);
  let slot = -1;
  for (let k = 0; k < CLUSTER_SLOTS && slot < 0; k++) {
    if (owner.get((from + k) % CLUSTER_SLOTS) === world.id(src)) slot = (from + k) % CLUSTER_SLOTS;
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
 * Slots given back by CLUSTER DELSLOTS and taken by CLUSTER ADDSLOTS (the commands' docs: DELSLOTS
 * makes the receiving node forget the slots' owner, "the node may go into down state because not
 * all hash slots are covered"; ADDSLOTS works only on slots unbound in the receiving node's view,
 * and others take the new owner when the slot is unbound or unclaimed for them, or the new
 * owner's configEpoch is greater). A run of slots of one master, never all of them; one of:
 *
 * - back: DELSLOTSRANGE on their master, which goes down, then ADDSLOTSRANGE on it again;
 * - pair: DELSLOTSRANGE on their master and on the master that takes them (ADDSLOTS would find
 *   them busy there), then, once the old owner's heartbeats have told every node it no longer
 *   claims them (2 x node-timeout: each peer has had a PING or PONG from it by node-timeout / 2),
 *   ADDSLOTSRANGE on the new master;
 * - everywhere: DELSLOTSRANGE on their master, then on every other node (`redis-cli --cluster
 *   call`), then ADDSLOTSRANGE on the new master at once.
 *
 * The new master is one with slots, or an empty one every node knows (added by add-node). Like
 * `moveSlot`, only on a quiet cluster. A heartbeat of the old owner still in flight may bind the
 * slots again on a node that forgot them: an ADDSLOTS then finds them busy, and the operator
 * deletes them there again and retries. Such a heartbeat can also reach the new master after its
 * ADDSLOTS, whose claim then loses to the old owner's greater configEpoch; and the new master may
 * be down before it could add them. Either way the run is left in `unsettled`, and the operator
 * looks at it again once the faults are over (`settleSlotRuns`), as `redis-cli --cluster check`
 * and `fix` would.
 */
async function delAddSlots(
  world: SimWorld,
  rng: Prng,
  note: (f: string) => void,
  unsettled: SlotRun[],
): Promise<void> {
  if (!quietForOperator(world)) return;
  const masters = world.up().filter((k) => world.servesSlots(k));
  if (masters.length === 0) return;
  const src = rng.pick(masters);
  const s = world.node(src).state;
  const me = myself(s);
  if (me.numSlots < 2) return;
  // A run of at most 64 of its slots, starting at a random one of them, fewer than all.
  const from = rng.int(CLUSTER_SLOTS);
  let first = -1;
  for (let k = 0; k < CLUSTER_SLOTS && first < 0; k++) {
    if (s.slotOwner.get((from + k) % CLUSTER_SLOTS) === me.id) first = (from + k) % CLUSTER_SLOTS;
  }
  const want = Math.min(rng.range(1, 64), me.numSlots - 1);
  let last = first;
  while (
    last + 1 < CLUSTER_SLOTS && last - first + 1 < want && s.slotOwner.get(last + 1) === me.id
  ) {
    last++;
  }
  const mode = rng.pick(["back", "pair", "everywhere"] as const);
  // Empty masters every node knows as a master (none is anyone's master).
  const views = world.states();
  const empty = world.up().filter((k) =>
    !world.isFrozen(k) && isMaster(myself(world.node(k).state)) && !world.servesSlots(k) &&
    views.every((v) => {
      const n = v.nodes.get(world.id(k));
      return n !== undefined && isMaster(n) && (n.flags & NodeFlags.HANDSHAKE) === 0;
    }) &&
    views.every((v) => [...v.nodes.values()].every((n) => n.masterId !== world.id(k)))
  );
  const dst = mode === "back" ? src : rng.pick([...masters, ...empty]);
  const errors: string[] = [];
  const del = (k: number) => {
    const err = world.delSlotsRange(k, first, last);
    if (err !== null) errors.push(`DELSLOTS on #${k}: ${err}`);
  };
  del(src);
  if (mode === "back") {
    await world.run(rng.range(50, 3000));
  } else if (mode === "pair") {
    if (dst !== src) del(dst);
    await world.run(2 * world.cfg.nodeTimeoutMs);
  } else {
    for (const k of world.up()) {
      if (k === src) continue;
      await world.run(rng.range(1, 5));
      if (world.isUp(k)) del(k);
    }
    await world.run(rng.range(1, 5));
  }
  let added = false;
  for (let tries = 0; tries < 5 && world.isUp(dst); tries++) {
    const err = world.addSlotsRange(dst, first, last);
    if (err === null) {
      added = true;
      break;
    }
    errors.push(`ADDSLOTS on #${dst}: ${err}`);
    // Bound again by a late heartbeat: forget them there again.
    await world.run(rng.range(1, 50));
    if (world.isUp(dst)) del(dst);
  }
  note(
    `DELSLOTS ${first}-${last} (${mode}) on #${src}, ADDSLOTS on #${dst}: ` +
      `${added ? "OK" : "not added"}${errors.length > 0 ? ` (${errors.join("; ")})` : ""}`,
  );
  // Once every packet sent before the ADDSLOTS has arrived: does the new master still hold them?
  if (added) await world.run(IN_FLIGHT_MS);
  if (!added || !world.isUp(dst) || !claimsRun(world, dst, first, last)) {
    unsettled.push({ first, last, dst });
  }
}

/** Longer than a packet takes at the sweep's greatest latency (250 ms, `runSeed`'s spikes). */
const IN_FLIGHT_MS = 300;

/** A run of slots a DELSLOTS and ADDSLOTS (`delAddSlots`) may have left without a settled owner. */
interface SlotRun {
  first: number;
  last: number;
  /** The master that was to take them. */
  dst: number;
}

/** Node k binds every slot of the run to itself. */
function claimsRun(world: SimWorld, k: number, first: number, last: number): boolean {
  const s = world.node(k).state;
  for (let j = first; j <= last; j++) if (s.slotOwner.get(j) !== s.myselfId) return false;
  return true;
}

/**
 * Every running node binds each slot of the run to one and the same master, which binds it to
 * itself (what `redis-cli --cluster check` reports as agreed and covered).
 */
function runSettled(world: SimWorld, first: number, last: number): boolean {
  const up = world.up();
  for (let j = first; j <= last; j++) {
    const owner = world.node(up[0]).state.slotOwner.get(j);
    if (owner === null) return false;
    if (!up.every((k) => world.node(k).state.slotOwner.get(j) === owner)) return false;
    const k = up.find((i) => world.id(i) === owner);
    if (k === undefined || world.node(k).state.slotOwner.get(j) !== owner) return false;
  }
  return true;
}

/**
 * After the faults, the operator checks each run `delAddSlots` did not see settled, and where it
 * is still not (slots nobody claims, or bound to a master that no longer claims them), does it
 * again the "everywhere" way: DELSLOTS of the slots each node still binds, on every node, then
 * ADDSLOTS on the master that was to take them (or, if it is no longer a master, on one that
 * serves slots), and waits until every node has taken the new owner (2 x node-timeout at most,
 * as `pair` waits); five tries at most (a run still not settled then is what the convergence check
 * reports).
 */
async function settleSlotRuns(
  world: SimWorld,
  rng: Prng,
  note: (f: string) => void,
  unsettled: SlotRun[],
): Promise<void> {
  for (const { first, last, dst } of unsettled) {
    if (runSettled(world, first, last)) continue;
    let done = false;
    let to = -1;
    for (let tries = 0; tries < 5 && !done; tries++) {
      for (const k of world.up()) {
        const s = world.node(k).state;
        for (let a = first; a <= last; a++) {
          if (s.slotOwner.get(a) === null) continue;
          let b = a;
          while (b + 1 <= last && s.slotOwner.get(b + 1) !== null) b++;
          world.delSlotsRange(k, a, b);
          a = b;
        }
        await world.run(rng.range(1, 5));
      }
      const masters = world.up().filter((k) => isMaster(myself(world.node(k).state)));
      const serving = masters.filter((k) => world.servesSlots(k));
      if (!masters.includes(dst) && serving.length === 0) break;
      to = masters.includes(dst) ? dst : rng.pick(serving);
      if (world.addSlotsRange(to, first, last) !== null) continue;
      // ADDSLOTS is not broadcast: each node hears of it from the new master's next heartbeat to
      // it, within node-timeout / 2 (clusterCron) plus one packet.
      done = await world.runUntil(
        () => runSettled(world, first, last),
        2 * world.cfg.nodeTimeoutMs,
      );
    }
    note(
      `check: slots ${first}-${last} not settled; DELSLOTS everywhere, ADDSLOTS on #${to}: ` +
        (done ? "OK" : "not settled"),
    );
  }
}

/**
 * `redis-cli --cluster del-node` of a replica or of an empty master (no slots, nobody's master),
 * as an operator who means to add it back: CLUSTER FORGET of it on every other node (each
 * blacklists it for a minute, so gossip does not bring it back), then CLUSTER RESET on it: SOFT
 * (it forgets everyone and is an empty master), or HARD (also a new node id, and currentEpoch,
 * configEpoch and lastVoteEpoch 0). Like del-node, it starts only when every node answers and
 * the cluster is one view. The node joins again (`addReplicaBack`) once the blacklist is over
 * (at once after HARD: its new id is on no blacklist), at the latest when everything is healed.
 */
function removeReplica(
  world: SimWorld,
  rng: Prng,
  note: (f: string) => void,
  removed: Map<number, Removed>,
): void {
  const quiet = world.net.isWhole() && world.converged() && removed.size === 0;
  if (!quiet || world.up().some((k) => world.isFrozen(k))) return;
  const views = world.states();
  const empty = world.up().filter((k) =>
    !world.isFrozen(k) && isMaster(myself(world.node(k).state)) && !world.servesSlots(k) &&
    views.every((v) => [...v.nodes.values()].every((n) => n.masterId !== world.id(k)))
  );
  const candidates = [...activeReplicas(world), ...empty];
  if (candidates.length === 0) return;
  const r = rng.pick(candidates);
  const wasReplica = isReplica(myself(world.node(r).state));
  const errors: string[] = [];
  for (const k of world.up()) {
    if (k === r) continue;
    const err = world.forget(k, r);
    if (err !== null) errors.push(`#${k}: ${err}`);
  }
  const hard = rng.chance(0.5);
  if (hard) world.resetHard(r);
  else world.resetSoft(r);
  // Back as it was two times in three, else the other way round.
  const asMaster = rng.chance(1 / 3) ? wasReplica : !wasReplica;
  removed.set(r, { atMs: world.now(), hard, asMaster });
  note(
    `del-node ${wasReplica ? "replica" : "empty master"} #${r}: FORGET on the others, ` +
      `RESET ${hard ? "HARD" : "SOFT"}${errors.length ? ` (${errors})` : ""}`,
  );
}

/** A node removed by `removeReplica`: when, how, and how it is to come back. */
interface Removed {
  atMs: number;
  hard: boolean;
  /** Added back as an empty master (add-node), else as a replica (add-node --cluster-slave). */
  asMaster: boolean;
}

/** A removed node may be added back once its old id's blacklist is over, or with a new id. */
function mayComeBack(world: SimWorld, r: Removed): boolean {
  return r.hard || world.now() - r.atMs > CLUSTER_BLACKLIST_TTL_MS;
}

/**
 * `redis-cli --cluster add-node --cluster-slave` of a node removed by `removeReplica`: CLUSTER
 * MEET from it to a running node, wait until it knows the masters (add-node waits for the
 * handshake), then CLUSTER REPLICATE to a master (`asMaster`: plain add-node, it stays an empty
 * master). False when it could not finish now (the node or the network is away): the operator
 * tries again later. After RESET SOFT the operator waits out the FORGET blacklist first
 * (CLUSTER_BLACKLIST_TTL, a minute): before that, only the node it meets learns of it, gossip
 * cannot spread it, and a cluster where it fails over does not converge.
 */
async function addReplicaBack(
  world: SimWorld,
  rng: Prng,
  note: (f: string) => void,
  r: number,
  asMaster = false,
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
  if (asMaster) {
    note(`add-node #${r} via #${via}, an empty master`);
    return true;
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
    // Nodes removed by del-node and not added back yet.
    const removed = new Map<number, Removed>();
    // Slot runs a DELSLOTS and ADDSLOTS may have left unsettled.
    const unsettled: SlotRun[] = [];
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
      const roll = rng.int(17);
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
          for (const [r, how] of [...removed]) {
            if (!mayComeBack(world, how)) continue;
            if (await addReplicaBack(world, rng, note, r, how.asMaster)) removed.delete(r);
          }
        }
      } else if (roll === 16 && rng.chance(0.5)) {
        await delAddSlots(world, rng, note, unsettled);
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
    for (const [r, how] of removed) {
      const wait = how.hard ? 0 : how.atMs + CLUSTER_BLACKLIST_TTL_MS + 1 - world.now();
      if (wait > 0) await world.run(wait);
      for (
        let tries = 0;
        tries < 5 && !await addReplicaBack(world, rng, note, r, how.asMaster);
        tries++
      ) {
        await world.run(1000);
      }
    }
    await settleSlotRuns(world, rng, note, unsettled);
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
