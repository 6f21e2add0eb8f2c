/**
 * A command a script runs (Redis 7.0's scriptCall): the checks Redis makes first, in its order
 * (unknown command, arity, noscript, read-only scripts, a read-only replica, MISCONF, the
 * cluster: the key must be served here, and one slot unless cross-slot keys are allowed), then
 * the command through the same `call()` as a client's, on the script's own client. Returns the
 * error text (as luaPushError takes it), or null: the reply is in the client's reply buffer.
 */

import { latin1 } from "../protocol/bytes.ts";
import { call, lookupCommand } from "../server/dispatch.ts";
import { keyHashSlot } from "../protocol/slot.ts";
import * as E from "../commands/errors.ts";
import type { Client } from "../server/client.ts";
import type { CommandHost, PersistencePort } from "../commands/command_host.ts";
import type { RunContext } from "./run_context.ts";
import { aclDenyScriptCall } from "../server/acl_guard.ts";
import { OOM_ERROR } from "../server/maxmemory.ts";

/** Commands whose handler may finish later: a script cannot wait for them. */
const ASYNC_COMMANDS = new Set(["migrate"]);

/** Why writes are refused now (MISCONF after a failed save or AOF write), or null. */
export function writeDenial(s: PersistencePort): string | null {
  if (!s.persistence.lastBgsaveOk) {
    const d = s.persistence.writeDenial();
    if (d !== null) return d;
  }
  if (s.aof.lastWriteError !== null) {
    return `MISCONF Errors writing to the AOF file: ${s.aof.lastWriteError}`;
  }
  return null;
}

/** scriptCall: the checks Redis makes before a script's command, then the command. */
export function scriptCall(
  server: CommandHost,
  ctx: RunContext,
  client: Client,
  argv: Uint8Array[],
): string | null {
  const found = lookupCommand(server, argv, client);
  if ("error" in found) {
    const name = latin1(argv[0]).toLowerCase();
    const container = server.commands.get(name);
    return container !== undefined && argv.length < 2
      ? "Wrong number of args calling Redis command from script"
      : "Unknown Redis command called from script";
  }
  const { def, fullname } = found;
  if (def.arity > 0 ? argv.length !== def.arity : argv.length < -def.arity) {
    return "Wrong number of args calling Redis command from script";
  }
  if (def.flags.includes("noscript") || ASYNC_COMMANDS.has(fullname)) {
    return "This Redis command is not allowed from script";
  }
  // scriptVerifyACL: the call is checked against the user running the script.
  if (!ctx.caller.user.unrestricted && !ctx.caller.isMaster) {
    const denial = aclDenyScriptCall(server, ctx.caller, fullname, argv);
    if (denial !== null) return denial;
  }
  const isWrite = def.flags.includes("write");
  if (ctx.readOnly && (isWrite || def.flags.includes("may_replicate"))) {
    return "Write commands are not allowed from read-only scripts.";
  }
  const obey = ctx.caller.isMaster;
  if (isWrite && !ctx.wrote) {
    if (
      server.replication.isReplica && server.config.getBool("replica-read-only") && !obey
    ) {
      return "-" + E.READONLY_REPLICA;
    }
    const denial = writeDenial(server);
    if (denial !== null) return "-" + denial;
    // scriptVerifyWriteCommandAllow: only reached by scripts without flags.
    if (!server.replication.enoughGoodReplicas()) return "-" + E.NOREPLICAS;
  }
  // scriptVerifyOOM: out of memory when the script started, no write yet, a denyoom command.
  if (
    !ctx.wrote && server.maxmemory.limit !== 0 && server.maxmemory.preCommandOom && !obey &&
    !ctx.allowOom && def.flags.includes("denyoom")
  ) return "-" + OOM_ERROR;
  if (isWrite) ctx.wrote = true;
  const cluster = server.cluster;
  if (cluster !== null && !obey && (def.firstKey !== 0 || def.getKeys !== undefined)) {
    const err = cluster.route(
      { asking: ctx.caller.asking, readonlyMode: ctx.caller.readonlyMode },
      [{ def, fullname, argv }],
      false,
    );
    if (err !== null) {
      if (err === E.CLUSTERDOWN_RO) {
        return "Script attempted to execute a write command while the cluster is down and readonly";
      }
      if (err === E.CLUSTERDOWN) {
        return "Script attempted to execute a command while the cluster is down";
      }
      // An unserved slot and CROSSSLOT too (getNodeByQuery returns no node for them).
      return "Script attempted to access a non local key in a cluster node";
    }
    if (!ctx.allowCrossSlot) {
      const slot = firstKeySlot(def, argv);
      if (slot !== -1) {
        if (ctx.slot === -1) ctx.slot = slot;
        else if (ctx.slot !== slot) {
          return "Script attempted to access keys that do not hash to the same slot";
        }
      }
    }
  }
  client.reply.proto = ctx.resp;
  client.reply.truncate(0);
  client.asking = ctx.caller.asking;
  client.readonlyMode = ctx.caller.readonlyMode;
  const replication = server.replication;
  const pendingMark = replication.pendingMark();
  call(server, client, def, fullname, argv);
  replication.restrictPendingSince(pendingMark, ctx.replFlags);
  return null;
}

function firstKeySlot(
  def: { firstKey: number; getKeys?: (argv: Uint8Array[]) => number[] },
  argv: Uint8Array[],
): number {
  if (def.getKeys !== undefined) {
    const ks = def.getKeys(argv);
    return ks.length === 0 ? -1 : keyHashSlot(argv[ks[0]]);
  }
  if (def.firstKey === 0 || def.firstKey >= argv.length) return -1;
  return keyHashSlot(argv[def.firstKey]);
}
