/**
 * deno-redis-cluster: a Redis-Cluster-compatible key-value server for Deno.
 *
 * Embedding a node:
 * ```ts
 * import { Config, Server } from "./mod.ts";
 * const config = new Config();
 * config.load(null, ["--port", "7000", "--cluster-enabled", "yes"]);
 * const node = new Server({ config });
 * await node.start();
 * ```
 */

export { Server } from "./server/server.ts";
export { REDIS_VERSION } from "./server/version.ts";
export { Config, ConfigError, DIRECTIVES } from "./server/config.ts";
export { RespParser } from "./protocol/resp_parser.ts";
export { Reply } from "./protocol/reply.ts";
export { decodeValue, type RespValue } from "./protocol/resp_value.ts";
export { CLUSTER_SLOTS, crc16, keyHashSlot } from "./protocol/slot.ts";
export { runServer } from "./cli.ts";
