/**
 * The INFO text, section by section, in Redis 7.0.15's field names and order: `# Section`
 * headers, `field:value` lines ending in CRLF, sections separated by an empty line. Section
 * selection as Redis: no argument or "default" = the default sections, "all" = everything but
 * module-generated ones, "everything" = all; names are case-insensitive; unknown names add
 * nothing.
 *
 * Beyond Redis, one section given only when asked for by name (as a module's would be, and never
 * by "all" or "everything", so every standard request answers as Redis does): `linkmachines`,
 * the state of each per-peer link of a cluster node (actors/link_state.ts: handshake,
 * connected, pfail, fail, ...), one `<node id>:<state>` line each. The dashboard shows it; a
 * real Redis answers nothing for it.
 */

import type { CommandHost } from "../commands/command_host.ts";
import { REDIS_VERSION } from "./version.ts";
import { myselfIsReplica } from "./server_role.ts";
import type { Db } from "../keyspace/db.ts";
import { ALLOCATOR, type MemoryOverhead, memoryOverhead } from "./memory_overhead.ts";

/** getrusage()'s CPU times, in microseconds. */
interface CpuUsage {
  user: number;
  system: number;
}

/**
 * The process's CPU times for INFO cpu: Deno's own reading (what node:process cpuUsage returns),
 * without loading Deno's Node compatibility layer (~4 MiB of RSS) for it; node's `process` when
 * this Deno has no such function.
 */
function processCpuUsage(): CpuUsage {
  const own = (Deno as unknown as { cpuUsage?: () => CpuUsage }).cpuUsage;
  if (typeof own === "function") return own();
  return (globalThis as unknown as { process: { cpuUsage(): CpuUsage } }).process.cpuUsage();
}

export const DEFAULT_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
];

const ALL_SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
];

/** Sections given only when named (see the module comment). */
const NAMED_ONLY_SECTIONS = ["linkmachines"];

/** Per-server values INFO shows that nothing else tracks (replication id). */
interface InfoState {
  replId: string;
}
const states = new WeakMap<CommandHost, InfoState>();

function randomHex40(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

export function infoState(server: CommandHost): InfoState {
  let s = states.get(server);
  if (s === undefined) {
    s = { replId: randomHex40() };
    states.set(server, s);
  }
  return s;
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)}M`;
  if (n < 1024 ** 4) return `${(n / 1024 ** 3).toFixed(2)}G`;
  return `${(n / 1024 ** 4).toFixed(2)}T`;
}

/** Which sections a list of INFO arguments selects (lowercase names, in output order). */
export function selectSections(args: string[]): string[] {
  if (args.length === 0) return DEFAULT_SECTIONS;
  const want = new Set<string>();
  for (const a of args.map((x) => x.toLowerCase())) {
    if (a === "default") { for (const s of DEFAULT_SECTIONS) want.add(s); }
    else if (a === "all" || a === "everything") { for (const s of ALL_SECTIONS) want.add(s); }
    else want.add(a);
  }
  return [...ALL_SECTIONS, ...NAMED_ONLY_SECTIONS].filter((s) => want.has(s));
}

function lines(fields: [string, string | number][]): string {
  let out = "";
  for (const [k, v] of fields) out += `${k}:${v}\r\n`;
  return out;
}

function osString(): string {
  const b = Deno.build;
  let rel = "";
  try {
    rel = Deno.osRelease();
  } catch { /* not permitted */ }
  const os = b.os === "linux" ? "Linux" : b.os === "darwin" ? "Darwin" : b.os;
  return `${os} ${rel} ${b.arch}`;
}

function section(server: CommandHost, name: string): string | null {
  const now = server.now();
  const cfg = server.config;
  switch (name) {
    case "server": {
      const uptime = Math.floor((now - server.startTimeMs) / 1000);
      return lines([
        ["redis_version", REDIS_VERSION],
        ["redis_git_sha1", "00000000"],
        ["redis_git_dirty", 0],
        ["redis_build_id", "0"],
        ["redis_mode", cfg.getBool("cluster-enabled") ? "cluster" : "standalone"],
        ["os", osString()],
        ["arch_bits", 64],
        ["monotonic_clock", "POSIX clock_gettime"],
        ["multiplexing_api", "epoll"],
        ["atomicvar_api", "c11-builtin"],
        ["gcc_version", "0.0.0"],
        ["process_id", Deno.pid],
        ["process_supervised", "no"],
        ["run_id", server.runId],
        ["tcp_port", server.port],
        ["server_time_usec", now * 1000],
        ["uptime_in_seconds", uptime],
        ["uptime_in_days", Math.floor(uptime / 86400)],
        ["hz", cfg.getNumber("hz")],
        ["configured_hz", cfg.getNumber("hz")],
        ["lru_clock", Math.floor(now / 1000) & 0xffffff],
        ["executable", Deno.execPath()],
        ["config_file", cfg.file ?? ""],
        ["io_threads_active", 0],
      ]);
    }
    case "clients":
      return lines([
        ["connected_clients", server.clients.size],
        ["cluster_connections", 0],
        ["maxclients", cfg.getNumber("maxclients")],
        ["client_recent_max_input_buffer", 0],
        ["client_recent_max_output_buffer", 0],
        ["blocked_clients", blockedClients(server)],
        ["tracking_clients", server.tracking.clients],
        ["clients_in_timeout_table", 0],
      ]);
    case "memory": {
      // server/memory_overhead.ts (MEMORY STATS reads the same): used_memory is
      // server/maxmemory.ts's, the runtime's RSS at start + the keys' charges + the backlog.
      const mh = memoryOverhead(server);
      const used = mh.totalAllocated;
      let total = 0;
      try {
        total = Deno.systemMemoryInfo().total;
      } catch { /* not permitted */ }
      const maxmemory = cfg.getNumber("maxmemory");
      return lines([
        ["used_memory", used],
        ["used_memory_human", bytesToHuman(used)],
        ["used_memory_rss", mh.processRss],
        ["used_memory_rss_human", bytesToHuman(mh.processRss)],
        ["used_memory_peak", mh.peakAllocated],
        ["used_memory_peak_human", bytesToHuman(mh.peakAllocated)],
        ["used_memory_peak_perc", `${mh.peakPerc.toFixed(2)}%`],
        ["used_memory_overhead", mh.overheadTotal],
        ["used_memory_startup", mh.startupAllocated],
        ["used_memory_dataset", mh.dataset],
        ["used_memory_dataset_perc", `${mh.datasetPerc.toFixed(2)}%`],
        ["allocator_allocated", mh.allocatorAllocated],
        ["allocator_active", mh.allocatorActive],
        ["allocator_resident", mh.allocatorResident],
        ["total_system_memory", total],
        ["total_system_memory_human", bytesToHuman(total)],
        ...scriptMemoryLines(server, mh),
        ["maxmemory", maxmemory],
        ["maxmemory_human", bytesToHuman(maxmemory)],
        ["maxmemory_policy", cfg.getString("maxmemory-policy")],
        ["allocator_frag_ratio", mh.allocatorFrag.toFixed(2)],
        // %zu: a negative difference prints as its unsigned 64-bit value.
        ["allocator_frag_bytes", BigInt.asUintN(64, BigInt(mh.allocatorFragBytes)).toString()],
        ["allocator_rss_ratio", mh.allocatorRss.toFixed(2)],
        ["allocator_rss_bytes", mh.allocatorRssBytes],
        ["rss_overhead_ratio", mh.rssExtra.toFixed(2)],
        ["rss_overhead_bytes", mh.rssExtraBytes],
        ["mem_fragmentation_ratio", mh.totalFrag.toFixed(2)],
        ["mem_fragmentation_bytes", mh.totalFragBytes],
        ["mem_not_counted_for_evict", 0],
        ["mem_replication_backlog", mh.replBacklog],
        ["mem_total_replication_buffers", mh.replBacklog],
        ["mem_clients_slaves", mh.clientsSlaves],
        ["mem_clients_normal", mh.clientsNormal],
        ["mem_cluster_links", mh.clusterLinks],
        ["mem_aof_buffer", mh.aofBuffer],
        ["mem_allocator", ALLOCATOR],
        ["active_defrag_running", 0],
        ["lazyfree_pending_objects", 0],
        ["lazyfreed_objects", 0],
      ]);
    }
    case "persistence": {
      const p = server.persistence;
      const aof = server.aof;
      const progress = p.progress();
      const ld = server.loading;
      const loadingLines: [string, string | number][] = [];
      if (ld !== null) {
        // Redis's INFO shows these only while it loads.
        const elapsedSec = (server.now() - ld.startMs) / 1000;
        const perc = ld.totalBytes === 0 ? 0 : (ld.loadedBytes / ld.totalBytes) * 100;
        const rate = elapsedSec > 0 ? ld.loadedBytes / elapsedSec : 0;
        loadingLines.push(
          ["loading_start_time", Math.floor(ld.startMs / 1000)],
          ["loading_total_bytes", ld.totalBytes],
          ["loading_rdb_used_mem", 0],
          ["loading_loaded_bytes", ld.loadedBytes],
          ["loading_loaded_perc", perc.toFixed(2)],
          [
            "loading_eta_seconds",
            rate > 0 ? Math.round((ld.totalBytes - ld.loadedBytes) / rate) : 1,
          ],
        );
      }
      return lines([
        ["loading", ld === null ? 0 : 1],
        ["async_loading", 0],
        ["current_cow_peak", 0],
        ["current_cow_size", 0],
        ["current_cow_size_age", 0],
        ["current_fork_perc", "0.00"],
        ["current_save_keys_processed", progress.processed],
        ["current_save_keys_total", progress.total],
        ["rdb_changes_since_last_save", server.db.stats.dirty],
        ["rdb_bgsave_in_progress", p.bgsaveInProgress ? 1 : 0],
        ["rdb_last_save_time", Math.floor(p.lastSaveMs / 1000)],
        ["rdb_last_bgsave_status", p.lastBgsaveOk ? "ok" : "err"],
        ["rdb_last_bgsave_time_sec", p.lastBgsaveTimeSec],
        ["rdb_current_bgsave_time_sec", p.currentBgsaveSec()],
        ["rdb_saves", p.saves],
        ["rdb_last_cow_size", 0],
        ["rdb_last_load_keys_expired", server.lastLoad.expired],
        ["rdb_last_load_keys_loaded", server.lastLoad.loaded],
        ["aof_enabled", cfg.getBool("appendonly") ? 1 : 0],
        ["aof_rewrite_in_progress", aof.rewriteInProgress ? 1 : 0],
        ["aof_rewrite_scheduled", aof.rewriteScheduled ? 1 : 0],
        ["aof_last_rewrite_time_sec", aof.lastRewriteTimeSec],
        ["aof_current_rewrite_time_sec", aof.currentRewriteSec()],
        ["aof_last_bgrewrite_status", aof.lastRewriteOk ? "ok" : "err"],
        ["aof_rewrites", aof.rewrites],
        ["aof_rewrites_consecutive_failures", aof.consecutiveFailures],
        ["aof_last_write_status", aof.lastWriteError === null ? "ok" : "err"],
        ["aof_last_cow_size", 0],
        ["module_fork_in_progress", 0],
        ["module_fork_last_cow_size", 0],
        ...(aof.on
          ? [
            ["aof_current_size", aof.currentSize],
            ["aof_base_size", aof.baseSize],
            ["aof_pending_rewrite", aof.rewriteScheduled ? 1 : 0],
            ["aof_buffer_length", 0],
            ["aof_pending_bio_fsync", 0],
            ["aof_delayed_fsync", 0],
          ] as [string, number][]
          : []),
        ...loadingLines,
      ]);
    }
    case "stats": {
      const st = server.stats;
      return lines([
        ["total_connections_received", st.totalConnections],
        ["total_commands_processed", st.totalCommands],
        ["instantaneous_ops_per_sec", 0],
        ["total_net_input_bytes", st.netInputBytes],
        ["total_net_output_bytes", st.netOutputBytes],
        ["total_net_repl_input_bytes", 0],
        ["total_net_repl_output_bytes", 0],
        ["instantaneous_input_kbps", "0.00"],
        ["instantaneous_output_kbps", "0.00"],
        ["instantaneous_input_repl_kbps", "0.00"],
        ["instantaneous_output_repl_kbps", "0.00"],
        ["rejected_connections", st.rejectedConnections],
        ["sync_full", server.replication.syncFull],
        ["sync_partial_ok", server.replication.syncPartialOk],
        ["sync_partial_err", server.replication.syncPartialErr],
        ["expired_keys", server.db.stats.expiredKeys],
        ["expired_stale_perc", "0.00"],
        ["expired_time_cap_reached_count", 0],
        ["expire_cycle_cpu_milliseconds", 0],
        ["evicted_keys", server.maxmemory.evictor.evictedKeys],
        ["evicted_clients", 0],
        [
          "total_eviction_exceeded_time",
          Math.floor(server.maxmemory.evictor.totalOverLimitUs / 1000),
        ],
        [
          "current_eviction_exceeded_time",
          Math.floor(server.maxmemory.evictor.currentOverLimitUs() / 1000),
        ],
        ["keyspace_hits", server.db.stats.hits],
        ["keyspace_misses", server.db.stats.misses],
        ["pubsub_channels", server.pubsub.channels.size],
        ["pubsub_patterns", server.pubsub.patterns.size],
        ["pubsubshard_channels", server.pubsub.shardChannels.size],
        ["latest_fork_usec", 0],
        ["total_forks", 0],
        ["migrate_cached_sockets", 0],
        ["slave_expires_tracked_keys", 0],
        ["active_defrag_hits", 0],
        ["active_defrag_misses", 0],
        ["active_defrag_key_hits", 0],
        ["active_defrag_key_misses", 0],
        ["total_active_defrag_time", 0],
        ["current_active_defrag_time", 0],
        ["tracking_total_keys", server.tracking.totalKeys],
        ["tracking_total_items", server.tracking.items],
        ["tracking_total_prefixes", server.tracking.totalPrefixes],
        ["unexpected_error_replies", 0],
        ["total_error_replies", totalErrors(server)],
        ["dump_payload_sanitizations", 0],
        ["total_reads_processed", st.readsProcessed],
        ["total_writes_processed", st.writesProcessed],
        ["io_threaded_reads_processed", 0],
        ["io_threaded_writes_processed", 0],
        ["reply_buffer_shrinks", 0],
        ["reply_buffer_expands", 0],
      ]);
    }
    case "replication": {
      // Standalone replicas and our replication state (replication/replication.ts); a cluster
      // replica not yet linked still shows role:slave.
      const cl = server.cluster;
      const clusterSlave = cl !== null && myselfIsReplica(cl.state);
      return lines(server.replication.infoFields(clusterSlave ? "slave" : "master"));
    }
    case "cpu": {
      const u = processCpuUsage();
      const sys = (u.system / 1e6).toFixed(6);
      const user = (u.user / 1e6).toFixed(6);
      return lines([
        ["used_cpu_sys", sys],
        ["used_cpu_user", user],
        ["used_cpu_sys_children", "0.000000"],
        ["used_cpu_user_children", "0.000000"],
        ["used_cpu_sys_main_thread", sys],
        ["used_cpu_user_main_thread", user],
      ]);
    }
    case "modules":
      return "";
    case "commandstats": {
      let out = "";
      for (const [name, s] of server.commandStats) {
        if (s.calls === 0 && s.failed === 0 && s.rejected === 0) continue;
        const usec = Math.round(s.usec);
        const per = s.calls ? (usec / s.calls).toFixed(2) : "0.00";
        out += `cmdstat_${name}:calls=${s.calls},usec=${usec},usec_per_call=${per},` +
          `rejected_calls=${s.rejected},failed_calls=${s.failed}\r\n`;
      }
      return out;
    }
    case "errorstats": {
      let out = "";
      for (const [code, n] of errorStats(server)) out += `errorstat_${code}:count=${n}\r\n`;
      return out;
    }
    case "latencystats": {
      // genRedisInfoString: the configured percentiles of each command's histogram, in µs.
      const percentiles = latencyPercentiles(cfg.getString("latency-tracking-info-percentiles"));
      let out = "";
      if (!server.latencyTracking) return out;
      for (const [name, s] of server.commandStats) {
        const h = s.histogram;
        if (h === undefined) continue;
        const parts = percentiles.map((p) =>
          `p${trimDouble(p.toFixed(6))}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`
        );
        out += `latency_percentiles_usec_${name}:${parts.join(",")}\r\n`;
      }
      return out;
    }
    case "cluster":
      return lines([["cluster_enabled", cfg.getBool("cluster-enabled") ? 1 : 0]]);
    case "linkmachines": {
      const cluster = server.cluster;
      if (cluster === null) return null;
      return lines([...cluster.bus.linkStates()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
    }
    case "keyspace": {
      let out = "";
      for (const db of server.dbs) {
        if (db.size === 0) continue;
        const avg = avgTtl(server, db);
        out += `db${db.id}:keys=${db.size},expires=${db.expiresCount},avg_ttl=${avg}\r\n`;
      }
      return out;
    }
    default:
      return null;
  }
}

/** latency-tracking-info-percentiles as numbers ("" is none). */
function latencyPercentiles(v: string): number[] {
  return v === "" ? [] : v.split(" ").map(Number);
}

/** trimDoubleString: "99.900000" -> "99.9", "50.000000" -> "50". */
function trimDouble(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Mean remaining TTL in ms over (at most 1000 of) the keys that have one. */
function avgTtl(server: CommandHost, db: Db): number {
  const now = server.now();
  let sum = 0;
  let n = 0;
  for (const when of db.expires.values()) {
    if (n >= 1000) break;
    if (when > now) {
      sum += when - now;
      n++;
    }
  }
  return n ? Math.floor(sum / n) : 0;
}

/** Blocked clients: on keys in every database, in WAIT, held by a pause. */
function blockedClients(server: CommandHost): number {
  let n = server.clientPause.waiting + server.replication.waitingClients;
  for (const db of server.dbs) n += db.blockedWaiters.size;
  return n;
}

/** Error replies by code ("ERR", "WRONGTYPE"...). */
function errorStats(server: CommandHost): Map<string, number> {
  return server.errorStats;
}

function totalErrors(server: CommandHost): number {
  let n = 0;
  for (const v of errorStats(server).values()) n += v;
  return n;
}

const TITLES: Record<string, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  persistence: "Persistence",
  stats: "Stats",
  replication: "Replication",
  cpu: "CPU",
  modules: "Modules",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
  latencystats: "Latencystats",
  cluster: "Cluster",
  keyspace: "Keyspace",
  linkmachines: "Linkmachines",
};

/** The whole INFO text for the given arguments (section names). */
export function buildInfo(server: CommandHost, args: string[]): string {
  let out = "";
  for (const name of selectSections(args)) {
    const body = section(server, name);
    if (body === null) continue;
    if (out !== "") out += "\r\n";
    out += `# ${TITLES[name]}\r\n${body}`;
  }
  return out;
}

/** The scripting lines of INFO memory, in Redis 7.0's order. */
function scriptMemoryLines(server: CommandHost, mh: MemoryOverhead): [string, string | number][] {
  const scripts = server.scripts;
  const vm = mh.luaVmBytes;
  const fnVm = scripts.memoryBytes("functions");
  const evalBytes = mh.luaCaches;
  const fnBytes = mh.functionsCaches;
  return [
    ["used_memory_lua", vm],
    ["used_memory_vm_eval", vm],
    ["used_memory_lua_human", bytesToHuman(vm)],
    ["used_memory_scripts_eval", evalBytes],
    ["number_of_cached_scripts", scripts.scripts.size],
    ["number_of_functions", scripts.functions.functionCount],
    ["number_of_libraries", scripts.functions.libraries.size],
    ["used_memory_vm_functions", fnVm],
    ["used_memory_vm_total", vm + fnVm],
    ["used_memory_vm_total_human", bytesToHuman(vm + fnVm)],
    ["used_memory_functions", fnBytes],
    ["used_memory_scripts", evalBytes + fnBytes],
    ["used_memory_scripts_human", bytesToHuman(evalBytes + fnBytes)],
  ];
}
