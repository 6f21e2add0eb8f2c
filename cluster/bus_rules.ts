/**
 * The cluster-bus rules of Redis 7.0.15 as pure functions (bus-protocol.md §5-§7): one import for
 * the engine that wires them to links and timers. Nothing here does I/O, reads a clock or calls
 * Math.random; every random choice takes a seeded `SimRandom` (cluster/sim_random.ts).
 *
 * The engine loop (cluster/bus_engine.ts implements it; sim/world.ts runs several real nodes on
 * a simulated network and clock, and sim/gossip_test.ts tests them):
 * - every 100 ms: `cronTick(state, { ...cfg, nowMs, tickIndex, rng, links })`, execute effects;
 * - per decoded packet: `receive(state, msg, { ...cfg, nowMs, link, peerIp, localIp, rng })`,
 *   execute effects (a decode error is logged, and the link closed when `error.closeLink`);
 * - on `connect` effects: open the link; on success `outboundLinkConnected(...)` and send its
 *   message; on failure `connectFailed(...)`; when an outbound link closes, `setLinkState(..., false)`.
 * - to send a PING yourself: `sendPing(...)` (sets ping_sent) or `markPingSent(...)`.
 * - encode messages with protocol/bus.ts `encodeBusMessage`.
 *
 * Modules:
 * - bus_effects.ts: `BusEffect` union, `BusConfig`, `BusResult`, `EffectSink`.
 * - bus_header_build.ts: `buildHeader`, `gossipEntryOf`, `selectGossip`, `pingExtensions`,
 *   `buildPingMessage`, `buildFailMessage`, `buildUpdateMessage`, `markPingSent`, `sendPing`,
 *   `outboundLinkConnected`, `connectFailed`, `setLinkState`.
 * - bus_receive.ts: `receive`, `ReceiveContext`, `ReceiveLink`, `updateStateLogged`.
 * - bus_cron.ts: `cronTick`, `CronContext`, `OutboundLinkInfo`.
 * - failure_detection.ts: failure reports, `markNodeAsFailingIfNeeded`,
 *   `clearNodeFailureIfNeeded`, `applyFailMessage`.
 * - epochs.ts: `applyHeaderEpochs`, `handleConfigEpochCollision`, `updateSlotsConfigWith`,
 *   `staleSlotOwner`, `applyUpdateMessage`.
 * - bus_node_ops.ts: `renameNode`, `setNodeAsMaster`, `demoteToReplica`, `setReplicaMaster`,
 *   `setMyMaster`, owner-not-claiming bits, `broadcastTargetIds`, `randomNodeIdFrom`.
 */

export * from "./bus_effects.ts";
export * from "./bus_header_build.ts";
export * from "./bus_receive.ts";
export * from "./bus_cron.ts";
export * from "./failure_detection.ts";
export * from "./epochs.ts";
export * from "./bus_node_ops.ts";
