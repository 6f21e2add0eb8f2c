/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0.15 (server.c shutdownCommand). */

import { lower } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { LogPort } from "../server/server_ports.ts";
import type { ScriptsHost, ShutdownPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<LogPort & ScriptsHost & ShutdownPort>;

function shutdown(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  let save: boolean | undefined;
  let force = false;
  for (let i = 1; i < argv.length; i++) {
    const o = lower(argv[i]);
    if (o === "nosave") save = false;
    else if (o === "save") save = true;
    else if (o === "force") force = true;
    else if (o === "now" || o === "abort") {
      if (o === "abort") {
        reply.error("ERR No shutdown in progress.");
        return;
      }
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const said = argv.slice(1).map((a) => lower(a));
  if (said.includes("save") && said.includes("nosave")) {
    reply.error(E.SYNTAX);
    return;
  }
  // A script past its time limit: only SHUTDOWN NOSAVE may end the node.
  const busyScript = server.scripts.running;
  if (save !== false && busyScript !== null && server.scripts.busy) {
    reply.error(busyScript.isEval ? E.BUSY_EVAL : E.BUSY_FUNCTION);
    return;
  }
  server.log.warning("User requested shutdown...");
  if (!server.prepareForShutdown({ save, force })) {
    reply.error("ERR Errors trying to SHUTDOWN. Check logs.");
    return;
  }
  // No reply: the connection closes, as Redis does when it exits.
  client.closeAfterReply = true;
  setTimeout(async () => {
    await server.shutdown();
    server.onShutdownRequest?.(0);
  }, 0);
}

export const shutdownCommands: CommandDef[] = [fromTable("shutdown", shutdown)];
