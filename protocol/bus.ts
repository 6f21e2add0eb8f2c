/**
 * Redis Cluster bus, protocol version 1 (Redis 7.0.15), byte for byte: the entry point that
 * re-exports the pieces. See docs/cluster-bus.md and Redis's cluster.h.
 *
 * - bus_constants.ts: sizes, offsets, message types, node/message flags, extension types, timers.
 * - bus_header.ts: the 2256-byte header (`readRawHeader`/`writeRawHeader`), slot bitmap helpers.
 * - bus_messages.ts: the `BusMessage` union, `encodeBusMessage`, `decodeBusMessage` (never throws).
 * - bus_frame.ts: `BusFrameSplitter`, whole packets out of a TCP byte stream, bounded.
 */

export * from "./bus_constants.ts";
export * from "./bus_header.ts";
export * from "./bus_messages.ts";
export * from "./bus_frame.ts";
