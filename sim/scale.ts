/**
 * `deno task sim --scale N`: how the shipping bus engine behaves at N nodes, in simulated time, on
 * one seed (sim/world.ts). The cluster is made the way `redis-cli --cluster create` makes it:
 * CLUSTER ADDSLOTSRANGE on the masters (16384 slots split evenly) and CLUSTER SET-CONFIG-EPOCH
 * 1..N on every node, then every node but the first gets CLUSTER MEET to the first at once,
 * then, once every node knows every node, each replica gets CLUSTER REPLICATE. Timed, in
 * simulated ms from the MEETs:
 *
 * - `knowAllMs`: every node knows every node by its real name (no handshake left);
 * - `slotsAgreeMs`: every node's slot table is the one the masters were given;
 * - `okMs`: the replicas are attached in every view and every node says cluster ok. A node learns a
 *   replica's role only from that replica's own PING/PONG header (cluster.c clusterProcessPacket),
 *   and Redis 7.0 takes newer PONG times from gossip, so direct contact between two given nodes gets
 *   rarer as N grows: "every replica known everywhere" takes ~N/2 simulated s. `replicasLimitMs`
 *   bounds that wait (the phase then ends once every node says ok), and `nodesKnowingReplicas`
 *   says how far it got.
 *
 * Then the traffic of a quiet cluster over `trafficMs`: bus messages and bytes per node per
 * second, beside Redis's own gossip rule (cluster.c clusterCron / clusterSendPing): each node
 * PINGs every peer whose last PONG is older than node-timeout / 2 (and one random node a second),
 * each PING is answered by a PONG, and each PING or PONG is the 2,256-byte header (a 2,048-byte
 * slot bitmap in it) plus `wanted` = max(3, floor(N / 10)) gossip entries of 104 bytes (at most
 * N - 2, plus one per node in PFAIL).
 *
 * Then a master (not the first node) is killed (kill -9), timed from the kill:
 *
 * - `failAllMs`: every other node flags it FAIL;
 * - `promotedMs`: one of its replicas has made itself master;
 * - `agreedMs`: every running node routes its slots to that replica and says cluster ok.
 *
 * Both within `failoverLimitMs` of the kill. A replica wins only with the votes of a majority of
 * masters that know it as the dead master's replica (cluster.c clusterSendFailoverAuthIfNeeded),
 * so `mastersKnowingItsReplica` is counted at the kill.
 *
 * The safety monitor runs throughout, as in the seed sweep; a violation fails the run.
 */

import { cpuUsage } from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { SIM_START_MS, SimWorld } from "./world.ts";
import { CLUSTER_SLOTS, isMaster, myself, NodeFlags } from "../cluster/state.ts";
import type { Violation } from "./safety.ts";

export interface ScaleOptions {
  nodes: number;
  /** Masters among them (the rest are replicas, spread evenly over the masters). */
  masters: number;
  nodeTimeoutMs: number;
  seed: number;
  /** Simulated ms of quiet traffic measured. */
  trafficMs: number;
  /** Simulated ms each phase may take before it is called failed. */
  phaseLimitMs: number;
  /**
   * Simulated ms after the REPLICATEs that the "ok" phase waits for every node to know every
   * replica's master (Redis learns a role only from that node's own PING/PONG header, so at 1,000
   * nodes this takes ~N/2 simulated s); past it, the phase ends once every node says ok.
   */
  replicasLimitMs: number;
  /** Simulated ms after the kill that the promotion and agreement are waited for. */
  failoverLimitMs: number;
  /** How often (simulated ms) the phase conditions are checked. */
  checkEveryMs: number;
  /**
   * Stop once every node knows every node (the join, the costly part at large N): the later
   * phases are not run, and the result reports the heap after a forced collection.
   */
  joinOnly?: boolean;
  /** Progress lines (wall time, phase), or nothing. */
  progress?: (line: string) => void;
  /**
   * The nodes start one after another over this many ms (SimWorldOptions.bootSpreadMs). Started
   * in one instant, every node's cron ticks in the same millisecond, and in the join every node
   * then sends its handshake PINGs (each with N/10 gossip entries) at once: at 200 nodes 74 MiB
   * were in flight at the peak, against 8 MiB with the starts spread over one cron period.
   */
  bootSpreadMs: number;
}

export const DEFAULT_SCALE: Omit<ScaleOptions, "nodes" | "masters"> = {
  nodeTimeoutMs: 15_000,
  seed: 1,
  trafficMs: 15_000,
  phaseLimitMs: 300_000,
  replicasLimitMs: 300_000,
  failoverLimitMs: 300_000,
  checkEveryMs: 100,
  bootSpreadMs: 100,
};

/** Redis's figures for one node of an N-node cluster in its steady state (see the module doc). */
export interface GossipFormula {
  /** Gossip entries in each PING/PONG: min(max(3, floor(N/10)), N-2). */
  gossipEntries: number;
  /** Bytes of each PING/PONG: 2256 + 104 x entries. */
  pingBytes: number;
  /** PINGs a node sends per second: (N-1) / (node-timeout/2 + one cron tick), at least 1. */
  pingsPerSec: number;
  /** Messages (PING + PONG) a node sends per second. */
  messagesPerSec: number;
  bytesPerSec: number;
}

/** clusterMsg without its data union (cluster.h): the 2,048-byte slot bitmap is in it. */
export const REDIS_HEADER_BYTES = 2256;
/** sizeof(clusterMsgDataGossip). */
export const REDIS_GOSSIP_ENTRY_BYTES = 104;
/** clusterCron runs every 100 ms (CLUSTER_CRON_PERIOD... 1000 / server.hz with hz 10). */
const CRON_MS = 100;

export function redisGossipFormula(nodes: number, nodeTimeoutMs: number): GossipFormula {
  const wanted = Math.max(3, Math.floor(nodes / 10));
  const gossipEntries = Math.min(wanted, Math.max(0, nodes - 2));
  const pingBytes = REDIS_HEADER_BYTES + REDIS_GOSSIP_ENTRY_BYTES * gossipEntries;
  // A peer is PINGed once its PONG is node-timeout/2 old, seen at the next cron tick (on
  // average half a tick late); the random PING of every 10th tick goes to the peer with the
  // oldest PONG of five, early by at most that: about one PING a second at small N.
  const perPeerSec = (nodeTimeoutMs / 2 + CRON_MS / 2) / 1000;
  const pingsPerSec = Math.max(1, (nodes - 1) / perPeerSec);
  const messagesPerSec = 2 * pingsPerSec;
  return {
    gossipEntries,
    pingBytes,
    pingsPerSec,
    messagesPerSec,
    bytesPerSec: messagesPerSec * pingBytes,
  };
}

export interface ScaleResult {
  nodes: number;
  masters: number;
  replicas: number;
  nodeTimeoutMs: number;
  seed: number;
  /** Simulated ms from the MEETs; -1 when the phase did not finish in the limit. */
  knowAllMs: number;
  slotsAgreeMs: number;
  okMs: number;
  /** Of `okMs`: when every node knew every replica's master, and when every node said ok. */
  replicasKnownMs: number;
  healthOkMs: number;
  /** At the end of the "ok" phase: how many nodes knew every replica's master. */
  nodesKnowingReplicas: number;
  traffic: {
    windowMs: number;
    messagesPerNodePerSec: number;
    bytesPerNodePerSec: number;
    /** PINGs + PONGs per node per second (the rest: MEET, FAIL, UPDATE, ...). */
    pingPongPerNodePerSec: number;
    /** Average bytes of every packet sent in the window. */
    bytesPerMessage: number;
  };
  formula: GossipFormula;
  failure: {
    killed: number;
    /** Simulated ms from the kill; -1 when it did not happen in the limit. */
    failAllMs: number;
    promotedMs: number;
    agreedMs: number;
    /** At the kill: masters (other than the victim) that knew a replica of it as its replica. */
    mastersKnowingItsReplica: number;
  };
  violations: Violation[];
  wallMs: number;
  /** CPU time of the process (user + system): the wall time on a shared machine is not the cost. */
  cpuMs: number;
  /** Resident set size at the end and the V8 heap in use (bytes). */
  rssBytes: number;
  heapUsedBytes: number;
  /** The most bytes the network ever held in flight (sent, not yet taken; SimBusNetwork.stats). */
  peakBytesInFlight: number;
  simulatedMs: number;
  /** The world's trace hash at the end (equal for two runs of one seed and size). */
  trace: string;
}

/** What node i was given: the owner of each slot (masters 0..m-1, even ranges). */
function expectedOwners(world: SimWorld, masters: number): string[] {
  const per = Math.floor(CLUSTER_SLOTS / masters);
  const owners: string[] = new Array(CLUSTER_SLOTS);
  for (let m = 0; m < masters; m++) {
    const last = m === masters - 1 ? CLUSTER_SLOTS - 1 : (m + 1) * per - 1;
    for (let j = m * per; j <= last; j++) owners[j] = world.id(m);
  }
  return owners;
}

/**
 * Run until every node in `pending` passes `done` (checked every `everyMs`; a node that passed is
 * not checked again). Simulated ms it took, or -1 past `limitMs`.
 */
async function untilAll(
  world: SimWorld,
  nodes: readonly number[],
  done: (i: number) => boolean,
  everyMs: number,
  limitMs: number,
): Promise<number> {
  const start = world.now();
  let pending = nodes.slice();
  for (;;) {
    pending = pending.filter((i) => !done(i));
    if (pending.length === 0) return world.now() - start;
    if (world.now() - start >= limitMs) return -1;
    await world.run(everyMs);
  }
}

/** Wall ms between two progress lines of the join when a simulated second takes longer. */
const PROGRESS_WALL_MS = 60_000;

/** The process's memory now, and what the simulated network holds: for the progress lines. */
function memoryNow(world: SimWorld): string {
  const m = Deno.memoryUsage();
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  return `RSS ${mib(m.rss)} MiB (V8 heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ` +
    `${mib(m.external)}), ${mib(world.net.stats.bytesInFlight)} MiB in flight`;
}

export async function runScale(opts: ScaleOptions): Promise<ScaleResult> {
  const wall0 = performance.now();
  const cpu0 = cpuUsage();
  const n = opts.nodes;
  const m = opts.masters;
  if (!(m >= 1 && m <= n)) throw new RangeError(`masters must be in 1..${n}`);
  const log = (line: string) =>
    opts.progress?.(`[${((performance.now() - wall0) / 1000).toFixed(0)} s wall] ${line}`);
  const world = await SimWorld.create(opts.seed, {
    nodes: n,
    nodeTimeoutMs: opts.nodeTimeoutMs,
    // A line per packet sent and delivered, read only by tests: not kept at this size.
    netTraceLines: 0,
    bootSpreadMs: opts.bootSpreadMs,
  });
  try {
    log(`${n} nodes started`);
    // redis-cli --cluster create: slots to the masters, a config epoch to every node, MEETs.
    const per = Math.floor(CLUSTER_SLOTS / m);
    for (let k = 0; k < m; k++) {
      world.addSlots(k, k * per, k === m - 1 ? CLUSTER_SLOTS - 1 : (k + 1) * per - 1);
    }
    for (let i = 0; i < n; i++) world.setConfigEpoch(i, i + 1);
    const owners = expectedOwners(world, m);
    const all = world.up();
    const t0 = world.now();
    for (let i = 1; i < n; i++) world.meet(i, 0);

    const knowsAll = (i: number) => {
      const s = world.node(i).state;
      if (s.nodes.size !== n) return false;
      for (const x of s.nodes.values()) if (x.flags & NodeFlags.HANDSHAKE) return false;
      return true;
    };
    const slotsAgree = (i: number) => {
      const owner = world.node(i).state.slotOwner;
      for (let j = 0; j < CLUSTER_SLOTS; j++) if (owner.get(j) !== owners[j]) return false;
      return true;
    };
    // Both at once: each node is checked for both until it passes both.
    let knowAllMs = -1;
    let slotsAgreeMs = -1;
    {
      let knowing = all.slice();
      let agreeing = all.slice();
      // A line each simulated second, and each minute of wall time between (at 2,000 nodes the
      // join's second simulated second takes hours): the counts are those of the last check.
      let lastLineWallMs = performance.now();
      const progressLine = (simSecond: boolean) => {
        lastLineWallMs = performance.now();
        log(
          `${((world.now() - t0) / 1000).toFixed(simSecond ? 0 : 3)} simulated s: ` +
            `${knowing.length} nodes do not know every node yet, ${agreeing.length} disagree ` +
            `on slots; ${memoryNow(world)}, CPU ${(cpuMs(cpu0) / 1000).toFixed(0)} s, ` +
            `trace ${world.traceHash()}`,
        );
      };
      world.afterStep = () => {
        if (performance.now() - lastLineWallMs >= PROGRESS_WALL_MS) progressLine(false);
      };
      while (
        (knowing.length > 0 || (agreeing.length > 0 && !opts.joinOnly)) &&
        world.now() - t0 < opts.phaseLimitMs
      ) {
        await world.run(opts.checkEveryMs);
        if (knowing.length > 0) {
          knowing = knowing.filter((i) => !knowsAll(i));
          if (knowing.length === 0) {
            knowAllMs = world.now() - t0;
            log(`every node knows every node at ${knowAllMs} ms`);
          }
        }
        if ((world.now() - t0) % 1000 < opts.checkEveryMs) progressLine(true);
        if (agreeing.length > 0) {
          agreeing = agreeing.filter((i) => !slotsAgree(i));
          if (agreeing.length === 0) {
            slotsAgreeMs = world.now() - t0;
            log(`slot ownership agrees at ${slotsAgreeMs} ms`);
          }
        }
      }
      world.afterStep = undefined;
    }
    if (opts.joinOnly) {
      const kept = await heapAfterCollection();
      log(
        `join done: trace ${world.traceHash()}, after a forced collection ` +
          `${(kept.heapUsed / 2 ** 20).toFixed(0)} MiB heap + ` +
          `${(kept.external / 2 ** 20).toFixed(0)} MiB external, ` +
          `${((kept.heapUsed + kept.external) / (n * n)).toFixed(0)} bytes per (ordered) pair, ` +
          `${(world.net.stats.peakBytesInFlight / 2 ** 20).toFixed(0)} MiB in flight at most` +
          `${kept.collected ? "" : " (no collection: run with --v8-flags=--expose-gc)"}`,
      );
      const none = { windowMs: 0, messagesPerNodePerSec: 0, bytesPerNodePerSec: 0 };
      return {
        nodes: n,
        masters: m,
        replicas: n - m,
        nodeTimeoutMs: opts.nodeTimeoutMs,
        seed: opts.seed,
        knowAllMs,
        slotsAgreeMs,
        okMs: -1,
        replicasKnownMs: -1,
        healthOkMs: -1,
        nodesKnowingReplicas: 0,
        traffic: { ...none, pingPongPerNodePerSec: 0, bytesPerMessage: 0 },
        formula: redisGossipFormula(n, opts.nodeTimeoutMs),
        failure: {
          killed: -1,
          failAllMs: -1,
          promotedMs: -1,
          agreedMs: -1,
          mastersKnowingItsReplica: 0,
        },
        violations: [...world.monitor.violations],
        wallMs: performance.now() - wall0,
        cpuMs: cpuMs(cpu0),
        rssBytes: kept.rss,
        heapUsedBytes: kept.heapUsed,
        peakBytesInFlight: world.net.stats.peakBytesInFlight,
        simulatedMs: world.now() - SIM_START_MS,
        trace: world.traceHash(),
      };
    }
    const replicaOf = (i: number) => (i - m) % m;
    let okMs = -1;
    let replicasKnownMs = -1;
    let healthOkMs = -1;
    let nodesKnowingReplicas = 0;
    if (knowAllMs >= 0) {
      for (let i = m; i < n; i++) world.replicate(i, replicaOf(i));
      const r0 = world.now();
      const ids = all.map((i) => world.id(i));
      let known = all.slice();
      let ok = all.slice();
      const waitingForReplicas = () => known.length > 0 && world.now() - r0 < opts.replicasLimitMs;
      while (
        (waitingForReplicas() || ok.length > 0) && world.now() - t0 < opts.phaseLimitMs
      ) {
        await world.run(opts.checkEveryMs);
        if (known.length > 0) {
          known = known.filter((i) => {
            const s = world.node(i).state;
            for (let r = m; r < n; r++) {
              if (s.nodes.get(ids[r])?.masterId !== ids[replicaOf(r)]) return true;
            }
            return false;
          });
          if (known.length === 0) replicasKnownMs = world.now() - t0;
        }
        // Cluster ok everywhere at the same time (a node may turn fail again).
        ok = all.filter((i) => world.node(i).state.health !== "ok");
        if (ok.length === 0 && healthOkMs < 0) healthOkMs = world.now() - t0;
        if (ok.length > 0) healthOkMs = -1;
      }
      nodesKnowingReplicas = n - known.length;
      if (replicasKnownMs >= 0 && healthOkMs >= 0) okMs = world.now() - t0;
      log(
        `replicas known everywhere at ${replicasKnownMs} ms (${nodesKnowingReplicas} of ${n} ` +
          `nodes knew them all), cluster ok everywhere at ${healthOkMs} ms`,
      );
    }

    // Quiet traffic.
    const before = all.map((i) => ({ ...world.sentTotals(i), pp: pingPong(world, i) }));
    const w0 = world.now();
    await world.run(opts.trafficMs);
    const secs = (world.now() - w0) / 1000;
    let packets = 0;
    let bytes = 0;
    let pp = 0;
    for (const i of all) {
      const t = world.sentTotals(i);
      packets += t.packets - before[i].packets;
      bytes += t.bytes - before[i].bytes;
      pp += pingPong(world, i) - before[i].pp;
    }
    const traffic = {
      windowMs: world.now() - w0,
      messagesPerNodePerSec: packets / n / secs,
      bytesPerNodePerSec: bytes / n / secs,
      pingPongPerNodePerSec: pp / n / secs,
      bytesPerMessage: packets > 0 ? bytes / packets : 0,
    };
    log(
      `traffic: ${traffic.messagesPerNodePerSec.toFixed(1)} msg/s, ` +
        `${(traffic.bytesPerNodePerSec / 1024).toFixed(0)} KiB/s per node`,
    );

    // Kill a master that is not the first node (the one everyone met), with a replica if any.
    const victim = m > 1 ? 1 : 0;
    const victimId = world.id(victim);
    const others = all.filter((i) => i !== victim);
    // Its replicas, as they see themselves (none when the join did not finish: no REPLICATE).
    const replicas = others.filter((i) =>
      i >= m && replicaOf(i) === victim && !isMaster(myself(world.node(i).state))
    );
    const replicaIds = new Set(replicas.map((i) => world.id(i)));
    const mastersKnowingItsReplica = others.filter((i) => {
      if (i >= m) return false;
      for (const x of world.node(i).state.nodes.values()) {
        if (x.masterId === victimId && replicaIds.has(x.id)) return true;
      }
      return false;
    }).length;
    world.crash(victim);
    const k0 = world.now();
    log(
      `killed master #${victim} (${mastersKnowingItsReplica} of ${m - 1} other masters knew ` +
        `a replica of it as its replica)`,
    );
    const failAllMs = await untilAll(
      world,
      others,
      (i) => {
        const x = world.node(i).state.nodes.get(victimId);
        return x !== undefined && (x.flags & NodeFlags.FAIL) !== 0;
      },
      opts.checkEveryMs,
      opts.phaseLimitMs,
    );
    log(`every node flags it FAIL at ${failAllMs} ms`);
    let promotedMs = -1;
    let agreedMs = -1;
    if (replicas.length > 0) {
      let winner = -1;
      const p = await untilAll(
        world,
        [0],
        () => {
          winner = replicas.find((r) => isMaster(myself(world.node(r).state))) ?? -1;
          return winner >= 0;
        },
        opts.checkEveryMs,
        Math.max(0, opts.failoverLimitMs - (world.now() - k0)),
      );
      promotedMs = p < 0 ? -1 : world.now() - k0;
      log(`replica #${winner} promoted at ${promotedMs} ms`);
      if (winner >= 0) {
        const wid = world.id(winner);
        const slots = owners.flatMap((o, j) => o === victimId ? [j] : []);
        const a = await untilAll(
          world,
          others,
          (i) => {
            const s = world.node(i).state;
            return s.health === "ok" && slots.every((j) => s.slotOwner.get(j) === wid);
          },
          opts.checkEveryMs,
          Math.max(0, opts.failoverLimitMs - (world.now() - k0)),
        );
        agreedMs = a < 0 ? -1 : world.now() - k0;
        log(`everyone agrees at ${agreedMs} ms`);
      }
    }
    const mem = Deno.memoryUsage();
    return {
      nodes: n,
      masters: m,
      replicas: n - m,
      nodeTimeoutMs: opts.nodeTimeoutMs,
      seed: opts.seed,
      knowAllMs,
      slotsAgreeMs,
      okMs,
      replicasKnownMs,
      healthOkMs,
      nodesKnowingReplicas,
      traffic,
      formula: redisGossipFormula(n, opts.nodeTimeoutMs),
      failure: { killed: victim, failAllMs, promotedMs, agreedMs, mastersKnowingItsReplica },
      violations: [...world.monitor.violations],
      wallMs: performance.now() - wall0,
      cpuMs: cpuMs(cpu0),
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      peakBytesInFlight: world.net.stats.peakBytesInFlight,
      simulatedMs: world.now() - SIM_START_MS,
      trace: world.traceHash(),
    };
  } finally {
    world.shutdown();
  }
}

/**
 * The memory left after a full collection, when `gc` is exposed (`--v8-flags=--expose-gc`). The
 * backing stores of dead ArrayBuffers are freed a moment after the collection (off the main
 * thread): they are counted after a wall-clock pause and a second collection.
 */
async function heapAfterCollection(): Promise<Deno.MemoryUsage & { collected: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    await delay(200);
    gc();
  }
  return { ...Deno.memoryUsage(), collected: gc !== undefined };
}

function cpuMs(since: ReturnType<typeof cpuUsage>): number {
  const c = cpuUsage(since);
  return (c.user + c.system) / 1000;
}

function pingPong(world: SimWorld, i: number): number {
  return world.sent(i, "PING") + world.sent(i, "PONG");
}

/** The result as the lines `deno task sim --scale` prints. */
export function formatScale(r: ScaleResult): string[] {
  const s = (ms: number) => ms < 0 ? "did not happen" : `${(ms / 1000).toFixed(1)} s`;
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const f = r.formula;
  return [
    `${r.nodes} nodes (${r.masters} masters, ${r.replicas} replicas), node-timeout ` +
    `${r.nodeTimeoutMs} ms, seed ${r.seed}`,
    `  every node knows every node: ${s(r.knowAllMs)} after the MEETs`,
    `  slot ownership agrees:       ${s(r.slotsAgreeMs)}`,
    `  replicas attached, ok:       ${s(r.okMs)} (every replica's master known everywhere ` +
    `${s(r.replicasKnownMs)}, by ${r.nodesKnowingReplicas} of ${r.nodes} nodes at the end; ` +
    `cluster ok everywhere ${s(r.healthOkMs)})`,
    `  quiet traffic over ${s(r.traffic.windowMs)}: ` +
    `${r.traffic.messagesPerNodePerSec.toFixed(1)} messages/s and ` +
    `${kib(r.traffic.bytesPerNodePerSec)}/s per node ` +
    `(${r.traffic.pingPongPerNodePerSec.toFixed(1)} PING+PONG/s, ` +
    `${r.traffic.bytesPerMessage.toFixed(0)} bytes each on average)`,
    `  Redis's rule: ${f.messagesPerSec.toFixed(1)} messages/s and ` +
    `${kib(f.bytesPerSec)}/s per node (${f.pingsPerSec.toFixed(1)} PINGs/s, each PING/PONG ` +
    `${REDIS_HEADER_BYTES} + ${f.gossipEntries} x ${REDIS_GOSSIP_ENTRY_BYTES} = ${f.pingBytes} bytes)`,
    `  master #${r.failure.killed} killed (${r.failure.mastersKnowingItsReplica} of ` +
    `${r.masters - 1} other masters knew its replica): FAIL everywhere ${
      s(r.failure.failAllMs)
    }, ` +
    `replica promoted ${s(r.failure.promotedMs)}, everyone agrees ${s(r.failure.agreedMs)}`,
    `  safety violations: ${r.violations.length}`,
    `  wall ${(r.wallMs / 1000).toFixed(0)} s (CPU ${(r.cpuMs / 1000).toFixed(0)} s) for ` +
    `${(r.simulatedMs / 1000).toFixed(0)} simulated s, ` +
    `RSS ${(r.rssBytes / 2 ** 20).toFixed(0)} MiB, V8 heap ${
      (r.heapUsedBytes / 2 ** 20).toFixed(0)
    } MiB, ${(r.peakBytesInFlight / 2 ** 20).toFixed(0)} MiB in flight at most, trace ${r.trace}`,
  ];
}
