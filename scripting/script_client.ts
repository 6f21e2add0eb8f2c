/**
 * What the script engine (scripting/script_engine.ts, imported on first use) and the part of it a
 * node always holds (scripting/scripts_shell.ts) share: the client scripts run commands as, and
 * the SCRIPT / FUNCTION constants and helpers the commands use before the engine is imported.
 */

import { sha1 } from "../keyspace/digest.ts";
import { toHex } from "../server/sha256.ts";
import { Client } from "../server/client.ts";
import { RespParser } from "../protocol/resp_parser.ts";
import type { CommandHost } from "../commands/command_host.ts";

export const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/** FUNCTION LOAD's time limit (Redis's LOAD_TIMEOUT_MS). */
export const LOAD_TIMEOUT_MS = 500;

export function sha1hex(bytes: Uint8Array): string {
  return toHex(sha1(bytes));
}

/** The client redis.call runs commands as (Redis's scriptingInit: a fake client, in MULTI). */
export function newScriptClient(server: CommandHost): Client {
  const c = new Client(0, "", "", server.now(), new RespParser(), server.db);
  c.authenticated = true;
  c.inExec = true;
  c.name = "";
  c.reply.onError = (msg) => server.recordError(msg);
  return c;
}
