/**
 * CONFIG GET/SET/REWRITE/RESETSTAT/HELP, as Redis 7.0.15 (config.c configGetCommand,
 * configSetCommand, configRewriteCommand, configResetStatCommand); the directives are
 * server/config.ts.
 */

import { str } from "../protocol/bytes.ts";
import type {
  AclPort,
  CommandStatsPort,
  ConfigPort,
  DatabasesPort,
  LogPort,
  SlowlogEntry,
} from "../server/server_ports.ts";
import type { Aof } from "../persistence/aof.ts";
import type { Maxmemory } from "../server/maxmemory.ts";
import type { LatencyMonitor } from "../server/latency_monitor.ts";
import type { OutputClass, OutputLimits } from "../server/output_limits.ts";
import {
  type Config,
  configSetPairs,
  type ConfigValue,
  DIRECTIVES,
  findDirective,
  formatConfigValue,
  noEffectSettings,
} from "../server/config.ts";
import { rewriteConfigFile } from "../server/config_rewrite_file.ts";
import type { LogLevel } from "../server/log.ts";
import { keyspaceEventsStringToFlags } from "../pubsub/notify_flags.ts";
import { allOutputLimits } from "../server/output_limits.ts";
import { globMatch } from "../keyspace/glob.ts";
import { SEL_ALLCHANNELS } from "../server/acl.ts";
import * as E from "./errors.ts";
import { allowProtectedAction } from "../server/dispatch.ts";
import { replyHelp } from "./connection.ts";
import { redactArgument } from "../server/monitor.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { CronPort, TlsPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ConfigApplyHost & CommandStatsPort & DatabasesPort & TlsPort>;

function hasGlob(p: string): boolean {
  return /[*?[\\]/.test(p);
}

/** The value CONFIG GET shows (dir as an absolute path, as Redis's getcwd). */
function configShown(config: Config, name: string): string {
  const d = findDirective(name)!;
  const v = config.get(d.name);
  if (d.name === "dir") {
    try {
      return Deno.realPathSync(String(v));
    } catch {
      return String(v);
    }
  }
  return formatConfigValue(d, v);
}

function configGet(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const out = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pat = str(argv[i]);
    if (!hasGlob(pat)) {
      const d = findDirective(pat);
      if (d) out.set(pat.toLowerCase(), configShown(server.config, d.name));
      continue;
    }
    for (const d of DIRECTIVES) {
      if (d.hidden) continue;
      for (const name of [d.name, ...(d.aliases ?? [])]) {
        if (!out.has(name) && globMatch(pat, name, true)) {
          out.set(name, configShown(server.config, d.name));
        }
      }
    }
  }
  reply.map(out.size);
  for (const [k, v] of out) {
    reply.bulkText(k);
    reply.bulkText(v);
  }
}

/** What CONFIG SET changes beside the directives: the settings cached off the hot path. */
export interface ConfigApplyHost extends ConfigPort, LogPort, AclPort, CronPort {
  readonly aof: Pick<Aof, "turnOn" | "turnOff">;
  readonly replication: { updatePropagating(): void };
  readonly maxmemory: Pick<Maxmemory, "configure" | "limit" | "perform">;
  readonly latency: Pick<LatencyMonitor, "thresholdMs">;
  readonly slowlog: SlowlogEntry[];
  outputLimits: Record<OutputClass, OutputLimits>;
  latencyTracking: boolean;
  slowlogThresholdUs: number;
  setNotifyFlags(flags: number): void;
}

/** Side effects of changed directives that are not read live. */
function applyConfig(server: ConfigApplyHost, names: string[]): void {
  for (const n of names) {
    if (n === "appendonly") {
      if (server.config.getBool("appendonly")) server.aof.turnOn();
      else server.aof.turnOff();
      server.replication.updatePropagating();
    }
    if (n === "client-output-buffer-limit") {
      server.outputLimits = allOutputLimits(server.config.getString(n));
    }
    if (n === "requirepass") server.acl.setDefaultPassword(server.config.getString(n));
    if (n === "acl-pubsub-default") {
      server.acl.pubsubDefault = server.config.getString(n) === "allchannels" ? SEL_ALLCHANNELS : 0;
    }
    if (n === "hz") server.applyHz();
    if (n === "loglevel") server.log.level = server.config.getString("loglevel") as LogLevel;
    if (n.startsWith("maxmemory") || n.startsWith("lfu-")) server.maxmemory.configure();
    // updateMaxmemory: evict at once down to the new limit.
    if (n === "maxmemory" && server.maxmemory.limit !== 0) server.maxmemory.perform();
    if (n === "notify-keyspace-events") {
      server.setNotifyFlags(keyspaceEventsStringToFlags(server.config.getString(n)));
    }
    if (n === "latency-monitor-threshold") {
      server.latency.thresholdMs = server.config.getNumber(n);
    }
    if (n === "latency-tracking") server.latencyTracking = server.config.getBool(n);
    if (n === "slowlog-log-slower-than") {
      server.slowlogThresholdUs = server.config.getNumber("slowlog-log-slower-than");
    }
    if (n === "slowlog-max-len") {
      const max = server.config.getNumber("slowlog-max-len");
      if (server.slowlog.length > max) server.slowlog.length = max;
    }
    // updateReplBacklogSize -> resizeReplicationBacklog: at least CONFIG_REPL_BACKLOG_MIN_SIZE
    // (a value read from the config file stays as given, as there).
    if (n === "repl-backlog-size" && server.config.getNumber(n) < REPL_BACKLOG_MIN_BYTES) {
      server.config.setValue(n, REPL_BACKLOG_MIN_BYTES);
    }
  }
}

/** CONFIG_REPL_BACKLOG_MIN_SIZE (server.h). */
const REPL_BACKLOG_MIN_BYTES = 16 * 1024;

/** The directive names of CONFIG SET's name/value pairs. */
export function configSetNames(argv: Uint8Array[]): string[] {
  const names: string[] = [];
  for (let i = 2; i < argv.length; i += 2) names.push(str(argv[i]));
  return names;
}

function configSet(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const { server, reply } = ctx;
  // The node:tls side is imported on first use (server/tls.ts): a tls-* directive waits for it,
  // before anything is redacted or stored, then CONFIG SET runs as it would have.
  if (server.tls.needsLoad(configSetNames(argv))) {
    return server.tls.load().then(() => configSet(ctx, argv));
  }
  if (argv.length % 2 !== 0) {
    reply.error(E.wrongArity("config|set"));
    return;
  }
  // configSetCommand redacts every sensitive value it finds, even past an unknown name.
  for (let i = 2; i < argv.length; i += 2) {
    const d = findDirective(str(argv[i]));
    if (d?.sensitive) redactArgument(argv, i + 1);
  }
  const pairs: [string, string][] = [];
  for (let i = 2; i < argv.length; i += 2) pairs.push([str(argv[i]), str(argv[i + 1])]);
  const before = new Map<string, ConfigValue>();
  for (const [n] of pairs) {
    const d = findDirective(n);
    if (d !== undefined) before.set(d.name, server.config.get(d.name));
  }
  const r = configSetPairs(
    server.config,
    pairs,
    allowProtectedAction(server.config.getString("enable-protected-configs"), ctx.client),
  );
  if ("error" in r) {
    reply.error(`ERR ${r.error}`);
    return;
  }
  // applyTlsCfg / applyTLSPort: new certificates or port; on failure the old values come back.
  const tlsError = server.tls.applyConfig(r, () => {
    for (const [n, v] of before) server.config.setValue(n, v);
  });
  if (tlsError instanceof Promise) {
    return tlsError.then((e) => finishConfigSet(ctx, pairs, r, e));
  }
  finishConfigSet(ctx, pairs, r, tlsError);
}

/** The end of CONFIG SET once the TLS side has applied its directives (or refused them). */
function finishConfigSet(
  ctx: Ctx,
  pairs: [string, string][],
  names: string[],
  tlsError: string | null,
): void {
  const { server, reply } = ctx;
  if (tlsError !== null) {
    const arg = pairs.find(([n]) => n.toLowerCase().startsWith("tls-"))?.[0] ?? "";
    reply.error(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${tlsError}`);
    return;
  }
  applyConfig(server, names);
  for (const line of noEffectSettings(server.config, names)) {
    server.log.warning(`CONFIG SET ${line}: this parameter has no effect on this server`);
  }
  reply.ok();
}

function configRewrite(ctx: Ctx): void {
  const { server, reply } = ctx;
  const file = server.config.file;
  if (file === null) {
    reply.error("ERR The server is running without a config file");
    return;
  }
  try {
    rewriteConfigFile(file, server.config, server.acl);
  } catch (e) {
    server.log.warning(`CONFIG REWRITE failed: ${(e as Error).message}`);
    reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
    return;
  }
  server.log.notice("CONFIG REWRITE executed with success.");
  reply.ok();
}

function configResetstat(ctx: Ctx): void {
  const { server } = ctx;
  // Zeroed in place (INFO commandstats skips an entry all zero, as Redis prints only commands
  // with calls): an entry, once made, stays the same object (server.ts commandStat's cache).
  for (const s of server.commandStats.values()) {
    s.calls = 0;
    s.usec = 0;
    s.failed = 0;
    s.rejected = 0;
    s.histogram = undefined;
  }
  server.errorStats.clear();
  const st = server.stats;
  st.totalConnections = 0;
  st.rejectedConnections = 0;
  st.totalCommands = 0;
  st.rejectedCalls = 0;
  st.failedCalls = 0;
  st.netInputBytes = 0;
  st.netOutputBytes = 0;
  st.readsProcessed = 0;
  st.writesProcessed = 0;
  server.db.stats.hits = 0;
  server.db.stats.misses = 0;
  server.db.stats.expiredKeys = 0;
  ctx.reply.ok();
}

const CONFIG_HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
  "HELP",
  "    Prints this help.",
];

export const configCommands: CommandDef[] = [
  fromTable("config", undefined, {
    subcommands: [
      fromTable("config|get", configGet),
      fromTable("config|set", configSet),
      fromTable("config|rewrite", configRewrite),
      fromTable("config|resetstat", configResetstat),
      fromTable("config|help", (ctx) => replyHelp(ctx, CONFIG_HELP)),
    ],
  }),
];
