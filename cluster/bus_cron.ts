/**
 * The cluster cron tick of the bus (Redis 7.0.15 clusterCron + clusterNodeCronHandleReconnect,
 * docs/cluster-bus.md §5.2), pure:
 *
 *   cronTick(state, ctx) -> { state, effects }
 *
 * Called every 100 ms with `ctx.tickIndex` = 1, 2, 3, ... (Redis's `iteration` after its
 * increment: the random ping runs when tickIndex % 10 === 0). `ctx.links` = the node ids that have
 * an outbound link right now (connected or still connecting) with the time the link was created.
 * In order:
 * 1. Each peer's link goes up or down with `ctx.links` (LINK_UP / LINK_DOWN); PFAIL nodes are
 *    counted (statsPfailNodes); HANDSHAKE nodes older than the handshake timeout are deleted
 *    (`nodeRemoved`) once their link's handshake timer ran out (`handshakeExpired`); every other
 *    node without a link (not myself, not NOADDR) gets a `connect` effect (the engine then calls
 *    `outboundLinkConnected` / `connectFailed` from bus_header_build.ts).
 * 2. Every 10th tick: 5 random samples (repeats possible); of those with a link, no ping in
 *    flight, not myself/handshake, the one with the oldest pong_received gets a PING.
 * 3. Per node (not myself/NOADDR/HANDSHAKE): drop a stale link (`closeLink`: link older than
 *    node_timeout, ping outstanding, no ping reply nor data for node_timeout/2, and the link
 *    machine's half-timeout timer ran out: `pongLate`); PING when there
 *    is a link, no ping in flight and pong_received is older than node_timeout/2 (and the link
 *    machine's PING timer ran out: `pingDue`); PFAIL (the link's PFAIL event) when a
 *    ping is outstanding, the peer's link says it went unanswered for node_timeout
 *    (`pongOverdue`: its timer on the node's timer clock, `ctx.timerNowMs`) and, as Redis checks
 *    at the tick, min(now - ping_sent, now - data_received) > node_timeout.
 * 4. cluster_state is recomputed if a node went PFAIL or the state is FAIL (state.ts
 *    updateClusterState: coverage, minority, rejoin delay), with "Cluster state changed" logged.
 *
 * Replica failover/migration and manual failover are not part of this module.
 * Every PING effect is `{ kind: "send", to, message }` and its ping_sent is already set in the
 * returned state (clusterSendPing on an outbound link).
 */

import { type BusConfig, type BusResult, EffectSink } from "./bus_effects.ts";
import { sendPing, setLinkState } from "./bus_header_build.ts";
import { extras, putNode } from "./bus_node_ops.ts";
import { updateStateLogged } from "./bus_receive.ts";
import { type LinkClock, stepPeerLink } from "./peer_link.ts";
import { handshakeExpired, pingDue, pongLate, pongOverdue } from "../actors/link_state.ts";
import type { Prng } from "./prng.ts";
import { type ClusterState, deleteNode, NodeFlags } from "./state.ts";
import { placesOf, valuesOf } from "./node_map.ts";

export interface OutboundLinkInfo {
  /** When the link was created (connect started), ms. */
  createdMs: number;
}

export interface CronContext extends BusConfig, LinkClock {
  nowMs: number;
  /** 1 on the first tick, then +1 per tick. */
  tickIndex: number;
  rng: Prng;
  /** Outbound links the engine holds, by node id. */
  links: ReadonlyMap<string, OutboundLinkInfo>;
  /** Default max(node_timeout, 1000). */
  handshakeTimeoutMs?: number;
}

export function cronTick(state: ClusterState, ctx: CronContext): BusResult<ClusterState> {
  const sink = new EffectSink();
  const now = ctx.nowMs;
  const nodeTimeout = ctx.nodeTimeoutMs;
  const handshakeTimeout = ctx.handshakeTimeoutMs ?? Math.max(nodeTimeout, 1000);
  let s = state;
  let updateState = false;

  // 1. Reconnect / handshake expiry / PFAIL count.
  let pfailCount = 0;
  // The records as the tick found them: a view is never mutated, so this walk is not disturbed
  // by the new views the loop makes (each changes only the record it is at).
  for (const n of valuesOf(state.nodes)) {
    if (n.id === s.myselfId) continue;
    const linked = ctx.links.has(n.id);
    if ((n.linkState === "connected") !== linked) s = setLinkState(s, n.id, linked, ctx);
    if (n.flags & NodeFlags.NOADDR) continue;
    if (n.flags & NodeFlags.PFAIL) pfailCount++;
    if (
      (n.flags & NodeFlags.HANDSHAKE) && now - n.createdMs > handshakeTimeout &&
      handshakeExpired(n.link, ctx.timerNowMs)
    ) {
      s = deleteNode(s, n.id);
      sink.push({ kind: "nodeRemoved", nodeId: n.id });
      continue;
    }
    if (!linked) sink.push({ kind: "connect", nodeId: n.id });
  }
  if (extras(s).statsPfailNodes !== pfailCount) {
    s = { ...s, statsPfailNodes: pfailCount } as ClusterState;
  }
  const hasLink = (id: string) => ctx.links.has(id) && s.nodes.has(id);

  // 2. Random ping every 10th tick.
  if (ctx.tickIndex % 10 === 0) {
    const size = s.nodes.size;
    let minPongId: string | null = null;
    let minPong = 0;
    const places = placesOf(s.nodes);
    for (let j = 0; j < 5; j++) {
      const n = places.at(ctx.rng.int(size))!;
      if (!hasLink(n.id) || n.pingSentMs !== 0) continue;
      if (n.flags & (NodeFlags.MYSELF | NodeFlags.HANDSHAKE)) continue;
      if (minPongId === null || minPong > n.pongReceivedMs) {
        minPongId = n.id;
        minPong = n.pongReceivedMs;
      }
    }
    if (minPongId !== null) {
      sink.log("debug", `Pinging node ${minPongId}`);
      const r = sendPing(s, minPongId, now, ctx.rng, ctx);
      s = r.state;
      sink.push({ kind: "send", to: minPongId, message: r.message });
    }
  }

  // 3. Per-node checks.
  // Each iteration changes only its own record, so the view the loop starts from has the
  // record of every node it has not reached yet.
  for (const n of valuesOf(s.nodes)) {
    const id = n.id;
    if (n.flags & (NodeFlags.MYSELF | NodeFlags.NOADDR | NodeFlags.HANDSHAKE)) continue;
    const pingDelay = now - n.pingSentMs;
    const dataDelay = now - n.dataReceivedMs;
    const link = ctx.links.get(id);
    let closed = false;
    if (
      link !== undefined && now - link.createdMs > nodeTimeout && n.pingSentMs !== 0 &&
      pingDelay > nodeTimeout / 2 && dataDelay > nodeTimeout / 2 &&
      pongLate(n.link, ctx.timerNowMs)
    ) {
      sink.push({ kind: "closeLink", nodeId: id });
      closed = true;
      s = setLinkState(s, id, false, ctx);
    }
    const linked = link !== undefined && !closed;
    if (
      linked && n.pingSentMs === 0 && now - n.pongReceivedMs > nodeTimeout / 2 &&
      pingDue(n.link, ctx.timerNowMs)
    ) {
      const r = sendPing(s, id, now, ctx.rng, ctx);
      s = r.state;
      sink.push({ kind: "send", to: id, message: r.message });
      continue;
    }
    if (n.pingSentMs === 0) continue;
    const nodeDelay = Math.min(pingDelay, dataDelay);
    if (
      nodeDelay > nodeTimeout && !(n.flags & (NodeFlags.PFAIL | NodeFlags.FAIL)) &&
      pongOverdue(n.link, ctx.timerNowMs)
    ) {
      sink.log("debug", `*** NODE ${id} possibly failing`);
      s = putNode(s, stepPeerLink(s.nodes.get(id)!, { type: "PFAIL" }, ctx));
      updateState = true;
    }
  }

  // 4. cluster_state.
  if (updateState || s.health === "fail") s = updateStateLogged(s, now, ctx, sink);
  return { state: s, effects: sink.effects };
}
