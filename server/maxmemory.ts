/**
 * A node's memory limit: `used_memory` as maxmemory counts it, the eviction run before each
 * command (keyspace/evict.ts, called by server/dispatch.ts as Redis's processCommand calls
 * performEvictions), the OOM refusal of denyoom commands, and the config it follows
 * (maxmemory, maxmemory-policy, -samples, -eviction-tenacity, lfu-log-factor, lfu-decay-time).
 *
 * used_memory = the process's RSS when the node started (the runtime itself: V8, the code, the
 * Lua VM; ~90 MiB for a spawned node) + the sum of every key's charge (keyspace/object_size.ts,
 * kept incrementally by each Db) + the replication backlog's buffer. The JS heap cannot be asked
 * what one key costs, so the charges are estimates of V8's sizes; counting the runtime's fixed
 * memory makes maxmemory a bound on the process, as operators use it. V8 frees evicted values
 * only when it collects, so while a limit is set server/process_memory.ts runs a full collection
 * whenever the garbage outgrows a share of maxmemory (RSS stays within ~1.2-1.3x maxmemory).
 */

import type { MaxmemoryHost } from "./maxmemory_host.ts";
import type { Client } from "./client.ts";
import type { CommandDef } from "../commands/command_def.ts";
import type { Db } from "../keyspace/db.ts";
import { Evictor, type EvictResult, type MaxmemoryPolicy } from "../keyspace/evict.ts";
import { fromLatin1 } from "../protocol/bytes.ts";
import { type ProcessMemoryGuard, processMemoryGuard } from "./process_memory.ts";

/** Redis's shared.oomerr. */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Commands that run in MULTI even when out of memory (processCommand's reject_cmd_on_oom). */
const MULTI_ALLOWED_ON_OOM = new Set(["exec", "discard", "quit", "reset"]);

export class Maxmemory {
  readonly evictor: Evictor;
  /** maxmemory in bytes (0: no limit), cached off the hot path by `configure`. */
  limit = 0;
  /** The process's RSS when the node started (INFO used_memory_startup). */
  startupBytes = 0;
  /** processCommand's pre_command_oom_state: over the limit with nothing to evict. */
  preCommandOom = false;
  private policyName: MaxmemoryPolicy = "noeviction";
  /** Full collections when RSS runs past maxmemory (created when a limit is first set). */
  guard: ProcessMemoryGuard | null = null;

  constructor(private readonly server: MaxmemoryHost) {
    try {
      this.startupBytes = Deno.memoryUsage().rss;
    } catch { /* not permitted */ }
    const s = server;
    this.evictor = new Evictor({
      policy: () => this.policyName,
      maxmemoryBytes: () => this.limit,
      samples: () => s.config.getNumber("maxmemory-samples"),
      tenacity: () => s.config.getNumber("maxmemory-eviction-tenacity"),
      lfuDecayTimeMin: () => s.config.getNumber("lfu-decay-time"),
      usedBytes: () => this.usedMemory(),
      mayEvict: () => this.mayEvict(),
      evicted: (_db, dbIndex, key) => this.propagateEviction(key, dbIndex),
      nowMs: () => s.now(),
      clockUs: () => performance.now() * 1000,
      random: Math.random,
      later: (fn) => setTimeout(fn, 0),
      latencyMonitorOn: () => s.latency.thresholdMs !== 0,
      latencySample: (event, ms) =>
        s.latency.addSampleIfNeeded(event, ms, Math.floor(s.now() / 1000)),
    });
  }

  /** The node's databases (eviction samples all of them). */
  dbs(): Db[] {
    return this.server.dbs;
  }

  /** Follow the config (at start and after CONFIG SET of one of its directives). */
  configure(): void {
    const cfg = this.server.config;
    this.limit = cfg.getNumber("maxmemory");
    this.policyName = cfg.getString("maxmemory-policy") as MaxmemoryPolicy;
    for (const db of this.dbs()) {
      db.access.lfu = this.policyName.endsWith("lfu");
      db.access.lru = this.policyName.endsWith("lru");
      db.access.lfuLogFactor = cfg.getNumber("lfu-log-factor");
      db.access.lfuDecayTimeMin = cfg.getNumber("lfu-decay-time");
    }
  }

  get policy(): MaxmemoryPolicy {
    return this.policyName;
  }

  /** Sum of the keys' charges over every database (INFO used_memory_dataset). */
  datasetBytes(): number {
    let n = 0;
    for (const db of this.dbs()) n += db.usedBytes;
    return n;
  }

  /** The replication backlog's buffer, when there is one. */
  backlogBytes(): number {
    return this.server.replication.backlog === null
      ? 0
      : this.server.config.getNumber("repl-backlog-size");
  }

  private peakBytes = 0;

  /** INFO used_memory_peak, updated with `used`. */
  peak(used: number): number {
    if (used > this.peakBytes) this.peakBytes = used;
    return this.peakBytes;
  }

  /** INFO used_memory. */
  usedMemory(): number {
    return this.startupBytes + this.datasetBytes() + this.backlogBytes();
  }

  /** isPerformEvictions: not while loading or in a busy script, not on a replica ignoring it. */
  private mayEvict(): boolean {
    const s = this.server;
    if (s.loading !== null || (s.scripts.running !== null && s.scripts.busy)) return false;
    if (s.replication.isReplica && s.config.getBool("replica-ignore-maxmemory")) return false;
    // Paused clients (CLIENT PAUSE, a failover): the dataset stays still (performEvictions).
    if (s.clientPause.untilMs !== 0) return false;
    return true;
  }

  /** propagateDeletion: a DEL (UNLINK with lazyfree-lazy-eviction) to the AOF and replicas. */
  private propagateEviction(key: string, dbIndex: number): void {
    const r = this.server.replication;
    if (!r.propagating) return;
    const lazy = this.server.config.getBool("lazyfree-lazy-eviction");
    r.feedCommand([lazy ? "UNLINK" : "DEL", fromLatin1(key)], true, dbIndex);
  }

  /** performEvictions (CONFIG SET maxmemory runs it too). */
  perform(): EvictResult {
    return this.evictor.perform(this.dbs());
  }

  /**
   * processCommand's maxmemory step (only when `limit` is set): evict, then the error a command
   * must be refused with (OOM for a denyoom command, for anything queued in MULTI, for EXEC of
   * a denyoom transaction), or null.
   */
  beforeCommand(
    client: Client,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
  ): string | null {
    const s = this.server;
    let bytes = 0;
    for (let i = 0; i < argv.length; i++) bytes += argv[i].length;
    (this.guard ??= processMemoryGuard()).noteRequest(bytes, this.limit);
    if (s.scripts.running !== null && s.scripts.busy) return null;
    const oom = this.perform() === "fail";
    this.preCommandOom = oom;
    if (!oom || client.isMaster) return null;
    let reject = def.flags.includes("denyoom");
    if (!reject && fullname === "exec" && client.multi !== null) {
      reject = client.multi.some((q) => q.def.flags.includes("denyoom"));
    }
    if (client.multi !== null && !MULTI_ALLOWED_ON_OOM.has(fullname)) reject = true;
    return reject ? OOM_ERROR : null;
  }
}
