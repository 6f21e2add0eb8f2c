/** MONITOR, as Redis 7.0.15's monitorCommand (server.c); the feed itself is server/monitor.ts. */

import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { MonitorsPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<MonitorsPort>;

function monitor(ctx: Ctx): void {
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
  fromTable("monitor", monitor),
];
