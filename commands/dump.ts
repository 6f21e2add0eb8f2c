/**
 * DUMP, RESTORE and RESTORE-ASKING (Redis 7.0 cluster.c): values serialized in the RDB object
 * encoding with a version + CRC64 footer (protocol/rdb_dump.ts), so payloads move between our
 * nodes and real Redis both ways. MIGRATE (a separate concern) sends RESTORE-ASKING.
 *
 * IDLETIME and FREQ are validated as Redis does and otherwise ignored (we keep no LRU/LFU data).
 */

import { latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from "../protocol/rdb_dump.ts";
import { RdbFormatError, type RdbOptions } from "../protocol/rdb_object.ts";
import type { Value } from "../keyspace/db.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";
import * as E from "./errors.ts";
import { cmd, type CommandContext, type CommandDef } from "./types.ts";

/** Minimal view of the config that the RDB encoders need. */
interface ConfigLike {
  getNumber(name: string): number;
  getBool(name: string): boolean;
}

/** The encoding options in force (rdbcompression and the *-max-listpack/intset directives). */
export function rdbOptions(config: ConfigLike): RdbOptions {
  return {
    compression: config.getBool("rdbcompression"),
    hashMaxListpackEntries: config.getNumber("hash-max-listpack-entries"),
    hashMaxListpackValue: config.getNumber("hash-max-listpack-value"),
    setMaxIntsetEntries: config.getNumber("set-max-intset-entries"),
    zsetMaxListpackEntries: config.getNumber("zset-max-listpack-entries"),
    zsetMaxListpackValue: config.getNumber("zset-max-listpack-value"),
    listMaxListpackSize: config.getNumber("list-max-listpack-size"),
  };
}

function dump(ctx: CommandContext, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]));
  if (v === undefined) {
    ctx.reply.nil();
    return;
  }
  ctx.reply.bulk(createDumpPayload(v, rdbOptions(ctx.server.config)));
}

/** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. */
function restore(ctx: CommandContext, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  let replace = false;
  let absttl = false;
  let lruIdle = -1;
  let lfuFreq = -1;
  for (let j = 4; j < argv.length; j++) {
    const opt = lower(argv[j]);
    const additional = argv.length - j - 1;
    if (opt === "replace") {
      replace = true;
    } else if (opt === "absttl") {
      absttl = true;
    } else if (opt === "idletime" && additional >= 1 && lfuFreq === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) return reply.error(E.NOT_INTEGER);
      if (v < 0) return reply.error("ERR Invalid IDLETIME value, must be >= 0");
      lruIdle = v;
      j++;
    } else if (opt === "freq" && additional >= 1 && lruIdle === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) return reply.error(E.NOT_INTEGER);
      if (v < 0 || v > 255) return reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      lfuFreq = v;
      j++;
    } else {
      return reply.error(E.SYNTAX);
    }
  }
  const key = latin1(argv[1]);
  if (!replace && db.lookup(key) !== undefined) return reply.error(E.BUSYKEY);
  let ttl = parseInt64(argv[2]);
  if (ttl === null) return reply.error(E.NOT_INTEGER);
  if (ttl < 0) return reply.error("ERR Invalid TTL value, must be >= 0");
  const payload = argv[3];
  if (!verifyDumpPayload(payload)) {
    return reply.error("ERR DUMP payload version or checksum are wrong");
  }
  let value: Value;
  try {
    value = parseDumpPayload(payload, rdbOptions(ctx.server.config));
  } catch (e) {
    if (e instanceof RdbFormatError) return reply.error("ERR Bad data format");
    throw e;
  }
  // restoreCommand: dbDelete without a lookup (an expired key is deleted, not `expired`).
  const deleted = replace && db.deleteEvenIfExpired(key);
  if (ttl !== 0 && !absttl) ttl += db.now();
  // checkAlreadyExpired: a master drops it (a replica keeps it: expiry comes from its master).
  if (ttl !== 0 && ttl <= db.now() && db.expireOnAccess) {
    if (deleted) db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", key);
    reply.ok();
    return;
  }
  db.add(key, value);
  if (ttl !== 0) db.setExpireUnchecked(key, ttl);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "restore", key);
  reply.ok();
}

const W = { categories: ["keyspace", "write", "slow", "dangerous"] };

export const dumpCommands: CommandDef[] = [
  cmd("dump", 2, ["readonly"], [1, 1, 1], dump, {
    categories: ["keyspace", "read", "slow"],
    summary: "Return a serialized version of the value stored at the specified key.",
    since: "2.6.0",
    group: "generic",
  }),
  cmd("restore", -4, ["write", "denyoom"], [1, 1, 1], restore, {
    ...W,
    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
    since: "2.6.0",
    group: "generic",
  }),
  cmd("restore-asking", -4, ["write", "denyoom", "asking"], [1, 1, 1], restore, {
    ...W,
    summary: "An internal command for migrating keys in a cluster",
    since: "3.0.0",
    group: "server",
  }),
];
