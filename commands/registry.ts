/** The command table: every family's definitions, by lowercase name. */

import type { CommandDef } from "./types.ts";
import { transactionCommands } from "./transactions.ts";
import { connectionCommands } from "./connection.ts";
import { infoCommands } from "./info_defs.ts";
import { configCommands } from "./config.ts";
import { debugCommands } from "./debug_defs.ts";
import { stringCommands } from "./strings.ts";
import { keyCommands } from "./keys.ts";
import { listCommands } from "./list_defs.ts";
import { hashCommands } from "./hash_defs.ts";
import { setCommands } from "./set_defs.ts";
import { zsetCommands } from "./zset_defs.ts";
import { clusterCommands } from "./cluster_defs.ts";
import { dumpCommands } from "./dump.ts";
import { migrateCommands } from "./migrate_defs.ts";
import { scriptingCommands } from "./scripting.ts";
import { functionCommands } from "./functions.ts";
import { monitorCommands } from "./monitor.ts";
import { bitmapCommands } from "./bitmap_defs.ts";
import { hyperloglogCommands } from "./hyperloglog_defs.ts";
import { geoCommands } from "./geo_defs.ts";
import { sortCommands } from "./sort_defs.ts";
import { streamCommands } from "./stream_defs.ts";
import { aclCommands } from "./acl_defs.ts";
import { commandCommands } from "./command.ts";
import {
  latencyCommands,
  lolwutCommands,
  memoryCommands,
  moduleCommands,
  persistenceCommands,
  pubsubCommands,
  replicationCommands,
  serverCommands,
  shutdownCommands,
  slowlogCommands,
} from "./small_family_defs.ts";

export const ALL_COMMANDS: CommandDef[] = [
  ...transactionCommands,
  ...connectionCommands,
  ...infoCommands,
  ...configCommands,
  ...serverCommands,
  ...persistenceCommands,
  ...debugCommands,
  ...shutdownCommands,
  ...slowlogCommands,
  ...memoryCommands,
  ...stringCommands,
  ...keyCommands,
  ...listCommands,
  ...hashCommands,
  ...setCommands,
  ...zsetCommands,
  ...clusterCommands,
  ...dumpCommands,
  ...replicationCommands,
  ...migrateCommands,
  ...scriptingCommands,
  ...functionCommands,
  ...pubsubCommands,
  ...monitorCommands,
  ...bitmapCommands,
  ...hyperloglogCommands,
  ...geoCommands,
  ...sortCommands,
  ...streamCommands,
  ...aclCommands,
  ...commandCommands,
  ...latencyCommands,
  ...moduleCommands,
  ...lolwutCommands,
];

export function buildCommandTable(): Map<string, CommandDef> {
  const table = new Map<string, CommandDef>();
  for (const def of ALL_COMMANDS) {
    if (table.has(def.name)) throw new Error(`command ${def.name} defined twice`);
    table.set(def.name, def);
  }
  return table;
}
