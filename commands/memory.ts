/**
 * MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP, as Redis 7.0.15 (object.c memoryCommand);
 * the overhead figures are server/memory_overhead.ts, shared with INFO memory.
 */

import { latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import { keyBytes } from "../keyspace/object_size.ts";
import { memoryDoctorReport, memoryOverhead } from "../server/memory_overhead.ts";
import { importFullGc } from "../server/process_memory.ts";
import * as E from "./errors.ts";
import { replyHelp } from "./connection.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ClientsPort, DatabasesPort } from "../server/server_ports.ts";
import type {
  MaxmemoryPort,
  PersistencePort,
  ReplicationRolePort,
  ScriptsHost,
} from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  ClientsPort & DatabasesPort & MaxmemoryPort & PersistencePort & ReplicationRolePort & ScriptsHost
>;

function memoryUsageCmd(ctx: Ctx, argv: Uint8Array[]): void {
  const { reply, db } = ctx;
  let samples = 5;
  if (argv.length === 5 && lower(argv[3]) === "samples") {
    const n = parseInt64(argv[4]);
    if (n === null) {
      reply.error(E.NOT_INTEGER);
      return;
    }
    if (n < 0) {
      reply.error(E.SYNTAX);
      return;
    }
    samples = n > 0x7fffffff ? 0 : Number(n);
  } else if (argv.length !== 3) {
    reply.error(E.SYNTAX);
    return;
  }
  const key = latin1(argv[2]);
  // objectCommandLookup: not an access. The charge the keyspace counts (keyspace/object_size.ts).
  const v = db.lookup(key, false);
  if (v === undefined) reply.nil();
  else reply.int(keyBytes(key, v, samples));
}

/** MEMORY STATS (object.c memoryCommand): a map of server/memory_overhead.ts's figures. */
function memoryStats(ctx: Ctx): void {
  const { reply } = ctx;
  const mh = memoryOverhead(ctx.server);
  const int = (name: string, n: number) => {
    reply.bulkText(name);
    reply.int(n);
  };
  const dbl = (name: string, d: number) => {
    reply.bulkText(name);
    reply.double(d);
  };
  reply.map(27 + mh.dbs.length);
  int("peak.allocated", mh.peakAllocated);
  int("total.allocated", mh.totalAllocated);
  int("startup.allocated", mh.startupAllocated);
  int("replication.backlog", mh.replBacklog);
  int("clients.slaves", mh.clientsSlaves);
  int("clients.normal", mh.clientsNormal);
  int("cluster.links", mh.clusterLinks);
  int("aof.buffer", mh.aofBuffer);
  int("lua.caches", mh.luaCaches);
  int("functions.caches", mh.functionsCaches);
  for (const db of mh.dbs) {
    reply.bulkText(`db.${db.dbIndex}`);
    reply.map(3);
    int("overhead.hashtable.main", db.mainBytes);
    int("overhead.hashtable.expires", db.expiresBytes);
    int("overhead.hashtable.slot-to-keys", db.slotToKeysBytes);
  }
  int("overhead.total", mh.overheadTotal);
  int("keys.count", mh.totalKeys);
  int("keys.bytes-per-key", mh.bytesPerKey);
  int("dataset.bytes", mh.dataset);
  dbl("dataset.percentage", mh.datasetPerc);
  dbl("peak.percentage", mh.peakPerc);
  int("allocator.allocated", mh.allocatorAllocated);
  int("allocator.active", mh.allocatorActive);
  int("allocator.resident", mh.allocatorResident);
  dbl("allocator-fragmentation.ratio", mh.allocatorFrag);
  int("allocator-fragmentation.bytes", mh.allocatorFragBytes);
  dbl("allocator-rss.ratio", mh.allocatorRss);
  int("allocator-rss.bytes", mh.allocatorRssBytes);
  dbl("rss-overhead.ratio", mh.rssExtra);
  int("rss-overhead.bytes", mh.rssExtraBytes);
  // The total RSS overhead, fragmentation included (named so for backwards compatibility).
  dbl("fragmentation", mh.totalFrag);
  int("fragmentation.bytes", mh.totalFragBytes);
}

/** MEMORY DOCTOR: getMemoryDoctorReport over our figures, as verbatim text. */
function memoryDoctor(ctx: Ctx): void {
  const s = ctx.server;
  ctx.reply.verbatim(memoryDoctorReport(memoryOverhead(s), {
    clients: s.clients.size,
    replicas: s.replication.peers.length,
    cachedScripts: s.scripts.scripts.size,
  }));
}

/**
 * MEMORY MALLOC-STATS: what Redis answers when its allocator is not jemalloc. Ours is V8's heap
 * (and the system malloc under it), which has no such report.
 */
function memoryMallocStats(ctx: Ctx): void {
  ctx.reply.bulkText("Stats not supported for the current allocator");
}

/** V8's full collection (server/process_memory.ts), imported before the first MEMORY PURGE. */
let purgeGc: (() => void) | null = null;

/**
 * MEMORY PURGE: Redis asks jemalloc to release dirty pages; our garbage is V8's, so this runs a
 * full collection. +OK as Redis without jemalloc answers, also when the runtime offers no gc.
 * The collection is imported with this family, before its first command runs
 * (`importPurgeGc`, commands/small_family_defs.ts).
 */
function memoryPurge(ctx: Ctx): void {
  purgeGc?.();
  ctx.reply.ok();
}

/** Import the collection MEMORY PURGE runs (with this family, commands/small_family_defs.ts). */
export function importPurgeGc(): Promise<void> {
  return importFullGc().then((gc) => void (purgeGc = gc));
}

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

export const memoryCommands: CommandDef[] = [
  fromTable("memory", undefined, {
    subcommands: [
      fromTable("memory|doctor", memoryDoctor),
      fromTable("memory|malloc-stats", memoryMallocStats),
      fromTable("memory|purge", memoryPurge),
      fromTable("memory|stats", memoryStats),
      fromTable("memory|usage", memoryUsageCmd),
      fromTable("memory|help", (ctx) => replyHelp(ctx, MEMORY_HELP)),
    ],
  }),
];
