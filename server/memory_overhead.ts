/**
 * What a node's memory is made of, as Redis 7.0.15's object.c getMemoryOverheadData computes it
 * for MEMORY STATS and INFO memory (both read it from here), and MEMORY DOCTOR's report over it
 * (object.c getMemoryDoctorReport: the same tests and texts).
 *
 * The figures are this node's:
 * - total.allocated is server/maxmemory.ts's used_memory (the runtime's RSS at start + the keys'
 *   charges + the replication backlog), startup.allocated that RSS at start, peak.allocated its
 *   peak.
 * - The allocator figures are what Redis's serverCron (cronUpdateMemoryStats) fills in for an
 *   allocator that gives none (Redis built with libc malloc, as INFO's mem_allocator says; ours is
 *   V8's heap, which has no jemalloc-like stats): allocator.resident = RSS - the Lua VM's memory,
 *   allocator.active = allocator.resident, allocator.allocated = total.allocated.
 * - A database's hash table overheads are its Map entries (keyspace/object_size.ts
 *   MAP_ENTRY_BYTES): the dict's (main), the expires Map's, and the per-slot key index's
 *   (slot-to-keys; kept in standalone mode too, where Redis has none and answers 0).
 * - Client buffers and cluster links are not counted (0, as INFO's mem_clients_normal and
 *   mem_cluster_links).
 * - The expires entries and the script caches are overheads Redis counts in used_memory and we
 *   do not (used_memory is what maxmemory follows), so dataset.bytes = total - overhead is lower
 *   than the keys' charges by their size, and never below 0.
 *
 * Ratios are C floats (Math.fround) as Redis's struct redisMemOverhead holds them, so they print
 * with %.17g as Redis's do.
 */

import type { DatabasesPort } from "./server_ports.ts";
import type { Maxmemory } from "./maxmemory.ts";
import type { Aof } from "../persistence/aof.ts";
import type { ScriptsPort } from "../scripting/scripts_port.ts";
import { MAP_ENTRY_BYTES } from "../keyspace/object_size.ts";

/** ZMALLOC_LIB of a Redis built without jemalloc (INFO mem_allocator). */
export const ALLOCATOR = "libc";

/** One database's hash table overheads (only databases with keys are listed). */
export interface DbOverhead {
  dbIndex: number;
  mainBytes: number;
  expiresBytes: number;
  slotToKeysBytes: number;
}

/** Redis's struct redisMemOverhead plus the cron_malloc_stats it is computed from. */
export interface MemoryOverhead {
  peakAllocated: number;
  totalAllocated: number;
  startupAllocated: number;
  replBacklog: number;
  clientsSlaves: number;
  clientsNormal: number;
  clusterLinks: number;
  aofBuffer: number;
  luaCaches: number;
  functionsCaches: number;
  dbs: DbOverhead[];
  overheadTotal: number;
  totalKeys: number;
  bytesPerKey: number;
  dataset: number;
  datasetPerc: number;
  peakPerc: number;
  processRss: number;
  /** The Lua VM of eval scripts (evalMemory). */
  luaVmBytes: number;
  allocatorAllocated: number;
  allocatorActive: number;
  allocatorResident: number;
  allocatorFrag: number;
  allocatorFragBytes: number;
  allocatorRss: number;
  allocatorRssBytes: number;
  rssExtra: number;
  rssExtraBytes: number;
  totalFrag: number;
  totalFragBytes: number;
}

/** C's `(float)a / b`. */
function ratio(a: number, b: number): number {
  return Math.fround(Math.fround(a) / b);
}

/** The process's resident set size now (0 when not permitted). */
function processRss(): number {
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return 0;
  }
}

/** What the overhead figures read of the server (a port, not the `Server` class). */
export interface MemoryOverheadHost extends DatabasesPort {
  readonly maxmemory: Pick<Maxmemory, "usedMemory" | "peak" | "startupBytes" | "backlogBytes">;
  readonly scripts: Pick<ScriptsPort, "memoryBytes" | "scriptsBytes" | "functionCodes">;
  readonly aof: Pick<Aof, "on" | "pendingBytes">;
}

/** getMemoryOverheadData over this node's figures (see the module comment). */
export function memoryOverhead(server: MemoryOverheadHost): MemoryOverhead {
  const mm = server.maxmemory;
  const used = mm.usedMemory();
  const peak = mm.peak(used);
  const rss = processRss();
  const luaVmBytes = server.scripts.memoryBytes("eval");
  // cronUpdateMemoryStats for an allocator without stats.
  const allocatorResident = rss - luaVmBytes;
  const allocatorActive = allocatorResident;
  const allocatorAllocated = used;

  let total = mm.startupBytes;
  const replBacklog = mm.backlogBytes();
  const clientsSlaves = 0;
  total += replBacklog + clientsSlaves;
  const clientsNormal = 0;
  const clusterLinks = 0;
  const aofBuffer = server.aof.on ? server.aof.pendingBytes : 0;
  const luaCaches = server.scripts.scriptsBytes;
  const functionsCaches = server.scripts.functionCodes().reduce((n, c) => n + c.length, 0);
  total += clientsNormal + clusterLinks + aofBuffer + luaCaches + functionsCaches;

  const dbs: DbOverhead[] = [];
  let totalKeys = 0;
  server.dbs.forEach((db, dbIndex) => {
    const keys = db.size;
    if (keys === 0) return;
    totalKeys += keys;
    const o = {
      dbIndex,
      mainBytes: keys * MAP_ENTRY_BYTES,
      expiresBytes: db.expires.size * MAP_ENTRY_BYTES,
      slotToKeysBytes: keys * MAP_ENTRY_BYTES,
    };
    total += o.mainBytes + o.expiresBytes + o.slotToKeysBytes;
    dbs.push(o);
  });

  const netUsage = used > mm.startupBytes ? used - mm.startupBytes : 1;
  const dataset = Math.max(0, used - total);
  return {
    peakAllocated: peak,
    totalAllocated: used,
    startupAllocated: mm.startupBytes,
    replBacklog,
    clientsSlaves,
    clientsNormal,
    clusterLinks,
    aofBuffer,
    luaCaches,
    functionsCaches,
    dbs,
    overheadTotal: total,
    totalKeys,
    bytesPerKey: totalKeys === 0 ? 0 : Math.floor(netUsage / totalKeys),
    dataset,
    datasetPerc: ratio(Math.fround(dataset) * 100, netUsage),
    peakPerc: ratio(Math.fround(used) * 100, peak),
    processRss: rss,
    luaVmBytes,
    allocatorAllocated,
    allocatorActive,
    allocatorResident,
    allocatorFrag: ratio(allocatorActive, allocatorAllocated),
    allocatorFragBytes: allocatorActive - allocatorAllocated,
    allocatorRss: ratio(allocatorResident, allocatorActive),
    allocatorRssBytes: allocatorResident - allocatorActive,
    rssExtra: ratio(rss, allocatorResident),
    rssExtraBytes: rss - allocatorResident,
    totalFrag: ratio(rss, used),
    totalFragBytes: rss - used,
  };
}

/** What MEMORY DOCTOR looks at besides the overhead figures. */
export interface DoctorCounts {
  /** Connected clients, replicas included (listLength(server.clients)). */
  clients: number;
  /** Attached replicas (listLength(server.slaves)). */
  replicas: number;
  /** Cached eval scripts (dictSize(evalScriptsDict())). */
  cachedScripts: number;
}

const MIB = 1024 * 1024;

/**
 * getMemoryDoctorReport's text. One deviation: Redis calls an instance "empty" when its
 * total.allocated is under 5 MiB (its startup is ~1 MB); ours counts the runtime's ~90 MiB RSS at
 * start, so the test is on what was allocated since (total - startup).
 */
export function memoryDoctorReport(mh: MemoryOverhead, counts: DoctorCounts): string {
  const empty = mh.totalAllocated - mh.startupAllocated < 5 * MIB;
  const checked = !empty;
  // Peak is > 150% of current used memory?
  const bigPeak = checked && ratio(mh.peakAllocated, mh.totalAllocated) > 1.5;
  // Fragmentation is higher than 1.4 and 10MB?
  const highFrag = checked && mh.totalFrag > 1.4 && mh.totalFragBytes > 10 * MIB;
  // External fragmentation is higher than 1.1 and 10MB?
  const highAllocFrag = checked && mh.allocatorFrag > 1.1 && mh.allocatorFragBytes > 10 * MIB;
  // Allocator rss is higher than 1.1 and 10MB?
  const highAllocRss = checked && mh.allocatorRss > 1.1 && mh.allocatorRssBytes > 10 * MIB;
  // Non-Allocator rss is higher than 1.1 and 10MB?
  const highProcRss = checked && mh.rssExtra > 1.1 && mh.rssExtraBytes > 10 * MIB;
  // Clients using more than 200k each average?
  const numClients = counts.clients - counts.replicas;
  const bigClientBuf = checked && numClients > 0 &&
    Math.floor(mh.clientsNormal / numClients) > 1024 * 200;
  // Slaves using more than 10 MB each?
  const bigSlaveBuf = checked && counts.replicas > 0 && mh.clientsSlaves > 10 * MIB;
  // Too many scripts are cached?
  const manyScripts = checked && counts.cachedScripts > 1000;
  const reports = [
    empty,
    bigPeak,
    highFrag,
    highAllocFrag,
    highAllocRss,
    highProcRss,
    bigClientBuf,
    bigSlaveBuf,
    manyScripts,
  ].filter((b) => b).length;

  if (reports === 0) {
    return "Hi Sam, I can't find any memory issue in your instance. " +
      "I can only account for what occurs on this base.\n";
  }
  if (empty) {
    return "Hi Sam, this instance is empty or is using very little memory, " +
      "my issues detector can't be used in these conditions. " +
      "Please, leave for your mission on Earth and fill it with some data. " +
      "The new Sam and I will be back to our programming as soon as I " +
      "finished rebooting.\n";
  }
  let s = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
  if (bigPeak) {
    s +=
      " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
  }
  if (highFrag) {
    s +=
      ` * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "${ALLOCATOR}".\n\n`;
  }
  if (highAllocFrag) {
    s +=
      " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
  }
  if (highAllocRss) {
    s +=
      " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
  }
  if (highProcRss) {
    s +=
      " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
  }
  if (bigSlaveBuf) {
    s +=
      " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.\n\n";
  }
  if (bigClientBuf) {
    s +=
      " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n";
  }
  if (manyScripts) {
    s +=
      " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n";
  }
  return s + "I'm here to keep you safe, Sam. I want to help you.\n";
}
