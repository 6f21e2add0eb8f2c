/**
 * LATENCY DOCTOR / GRAPH / HISTORY / LATEST / RESET / HISTOGRAM / HELP, as Redis 7.0.15's
 * latency.c latencyCommand (its subcommands) over server/latency_monitor.ts, and the per-command
 * latency histograms `latency-tracking` keeps (server/hdr_histogram.ts; latency.c
 * latencyAllCommandsFillCDF, latencySpecificCommandsFillCDF, fillCommandCDF).
 */

import { lower, str } from "../protocol/bytes.ts";
import type { Reply } from "../protocol/reply.ts";
import type {
  ClockPort,
  CommandStatsPort,
  CommandTablePort,
  ConfigPort,
} from "../server/server_ports.ts";
import type { HdrHistogram } from "../server/hdr_histogram.ts";
import { replyHelp } from "./connection.ts";
import { findByFullname } from "./command.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { LatencyPort, SlowlogPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  ClockPort & CommandStatsPort & CommandTablePort & ConfigPort & LatencyPort & SlowlogPort
>;

const nowSec = (server: ClockPort) => Math.floor(server.now() / 1000);

function latencyHistory(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const ts = server.latency.events.get(str(argv[2]));
  const samples = ts === undefined ? [] : server.latency.history(ts);
  reply.array(samples.length);
  for (const s of samples) {
    reply.array(2);
    reply.int(s.time);
    reply.int(s.latencyMs);
  }
}

function latencyGraph(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const event = str(argv[2]);
  const ts = server.latency.events.get(event);
  if (ts === undefined) {
    reply.error(`ERR No samples available for event '${event}'`);
    return;
  }
  reply.verbatim(server.latency.graph(event, ts, nowSec(server)));
}

function latencyLatest(ctx: Ctx): void {
  const { server, reply } = ctx;
  reply.array(server.latency.events.size);
  for (const [event, ts] of server.latency.events) {
    const last = server.latency.latest(ts);
    reply.array(4);
    reply.bulkText(event);
    reply.int(last.time);
    reply.int(last.latencyMs);
    reply.int(ts.maxMs);
  }
}

function latencyDoctor(ctx: Ctx): void {
  const { server } = ctx;
  ctx.reply.verbatim(server.latency.doctor({
    nowSec: nowSec(server),
    thresholdMs: server.latency.thresholdMs,
    slowlogSlowerThanUs: server.slowlogThresholdUs,
    appendfsyncAlways: server.config.getString("appendfsync") === "always",
    hz: server.config.getNumber("hz"),
  }));
}

function latencyReset(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length === 2) {
    reply.int(server.latency.reset(null));
    return;
  }
  let n = 0;
  for (let i = 2; i < argv.length; i++) n += server.latency.reset(str(argv[i]));
  reply.int(n);
}

/** fillCommandCDF: calls, then the cumulative counts by bucket (µs). */
function fillCommandCdf(reply: Reply, h: HdrHistogram): void {
  reply.map(2);
  reply.bulkText("calls");
  reply.int(h.totalCount);
  reply.bulkText("histogram_usec");
  const cdf = h.cdf();
  reply.map(cdf.length);
  for (const [us, count] of cdf) {
    reply.int(us);
    reply.int(count);
  }
}

function histogramOf(server: CommandStatsPort, fullname: string): HdrHistogram | undefined {
  return server.commandStats.get(fullname)?.histogram;
}

function latencyHistogram(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const out: [string, HdrHistogram][] = [];
  const add = (fullname: string) => {
    const h = histogramOf(server, fullname);
    if (h !== undefined) out.push([fullname, h]);
  };
  const addWithSubs = (name: string, def: CommandDef) => {
    add(name);
    for (const s of def.subcommands ?? []) add(`${name}|${s.name}`);
  };
  if (argv.length === 2) {
    for (const [name, def] of server.commands) addWithSubs(name, def);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const name = lower(argv[i]);
      const def = findByFullname(server, name);
      if (def !== undefined) addWithSubs(name, def);
    }
  }
  reply.map(out.length);
  for (const [name, h] of out) {
    reply.bulkText(name);
    fillCommandCdf(reply, h);
  }
}

const LATENCY_HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
  "HELP",
  "    Prints this help.",
];

export const latencyCommands: CommandDef[] = [
  fromTable("latency", undefined, {
    subcommands: [
      fromTable("latency|doctor", latencyDoctor),
      fromTable("latency|graph", latencyGraph),
      fromTable("latency|history", latencyHistory),
      fromTable("latency|latest", latencyLatest),
      fromTable("latency|reset", latencyReset),
      fromTable("latency|histogram", latencyHistogram),
      fromTable("latency|help", (ctx) => replyHelp(ctx, LATENCY_HELP)),
    ],
  }),
];
