/**
 * DUMP, RESTORE and RESTORE-ASKING (Redis 7.0 cluster.c): values serialized in the RDB object
 * encoding with a version + CRC64 footer (protocol/rdb_dump.ts), so payloads move between our
 * nodes and real Redis both ways. MIGRATE (a separate concern) sends RESTORE-ASKING.
 *
 * IDLETIME and FREQ set the key's LRU/LFU field as object.c objectSetLRUOrLFU (keyspace/lru.ts).
 */

import { latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from "../protocol/rdb_dump.ts";
import { RdbFormatError, type RdbOptions } from "../protocol/rdb_object.ts";
import type { Value } from "../keyspace/db.ts";
import { restoredLru } from "../keyspace/lru.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ConfigPort } from "../server/server_ports.ts";
import type { DebugPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigPort & DebugPort>;

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

function dump(ctx: Ctx, argv: Uint8Array[]): void {
  const v = ctx.db.lookupRead(latin1(argv[1]));
  if (v === undefined) {
    ctx.reply.nil();
    return;
  }
  ctx.reply.bulk(createDumpPayload(v, rdbOptions(ctx.server.config)));
}

/** RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. */
function restore(ctx: Ctx, argv: Uint8Array[]): void {
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
  if (!verifyDumpPayload(payload, ctx.server.debugKnobs.skipChecksumValidation)) {
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
  const field = restoredLru(db.access, db.now(), lfuFreq, lruIdle);
  if (field !== null) db.setAccessField(key, field);
  db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "restore", key);
  reply.ok();
}

export const dumpCommands: CommandDef[] = [
  fromTable("dump", dump),
  fromTable("restore", restore),
  fromTable("restore-asking", restore),
];
