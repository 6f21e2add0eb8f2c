/** MONITOR, as Redis 7.0.15's monitorCommand (server.c); the feed itself is server/monitor.ts. */

import { cmd, type CommandContext, type CommandDef } from "./types.ts";

function monitor(ctx: CommandContext): void {
  const { server, client, reply } = ctx;
  // CLIENT_DENY_BLOCKING: run by EXEC, a client expects one reply per command (scripts cannot
  // call MONITOR: it is noscript).
  if (client.inExec) {
    reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // Already a replica, or already monitoring: ignored, without a reply.
  if (client.isReplica || client.monitoring) return;
  server.monitors.add(client);
  reply.ok();
}

export const monitorCommands: CommandDef[] = [
  cmd("monitor", 1, ["admin", "noscript", "loading", "stale"], [0, 0, 0], monitor, {
    categories: ["admin", "slow", "dangerous"],
    summary: "Listen for all requests received by the server in real time",
    since: "1.0.0",
    group: "server",
  }),
];
