/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */

import { latin1 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { call, discardTransaction, unwatchAll } from "../server/dispatch.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { QueuedCommand } from "../server/client.ts";
import { aclDenyQueued } from "../server/acl_guard.ts";
import { usesLuaVm } from "../scripting/vm_commands.ts";
import { lazyCommandsPending, loadAllLazyCommands } from "./lazy_commands.ts";
import { loadCommandDocs, needsCommandDocs } from "./command_docs_loader.ts";
import { configSetNames } from "./config.ts";
import type { AclPort, ClientsPort, ConfigPort } from "../server/server_ports.ts";
import { holdExpiryTime, releaseExpiryTime } from "../keyspace/db.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<AclPort & ClientsPort & ConfigPort>;

function multi(ctx: Ctx): void {
  if (ctx.client.multi !== null) {
    ctx.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.multi = [];
  ctx.client.multiError = false;
  ctx.reply.ok();
}

/** The whole server: EXEC runs the queued commands through the dispatcher (server/dispatch.ts). */
function exec(ctx: CommandContext): void | Promise<void> {
  const { client, server, reply } = ctx;
  const queued = client.multi;
  if (queued === null) {
    reply.error("ERR EXEC without MULTI");
    return;
  }
  if (client.multiError) {
    discardTransaction(client);
    reply.error(E.EXECABORT);
    return;
  }
  if (client.dirtyCas) {
    discardTransaction(client);
    reply.nilArray();
    return;
  }
  // A script in the transaction and no Lua VM yet (made on first use): make it first, so no
  // other client runs between the transaction's commands while it is made.
  // Every family imported on first use too (commands/lazy_commands.ts): the script may run any.
  if (
    (!server.scripts.hasVm || lazyCommandsPending()) && queued.some((q) => usesLuaVm(q.fullname))
  ) {
    return Promise.all([server.scripts.ready(), loadAllLazyCommands()]).then(() => exec(ctx));
  }
  // The same for the families of its queued commands imported on first use.
  if (queued.some((q) => q.def.load !== undefined)) {
    return Promise.all(queued.map((q) => q.def.load?.())).then(() => exec(ctx));
  }
  // The same for the COMMAND DOCS texts, imported on first use (commands/command_docs_loader.ts).
  if (queued.some((q) => needsCommandDocs(q.fullname))) {
    return loadCommandDocs().then(() => exec(ctx));
  }
  // The same for the node:tls side, imported by the first CONFIG SET of a tls-* directive.
  const tlsSet = (q: QueuedCommand) =>
    q.fullname === "config|set" && server.tls.needsLoad(configSetNames(q.argv));
  if (queued.some(tlsSet)) return server.tls.load().then(() => exec(ctx));
  // Leave MULTI state before running, so queued commands execute for real.
  client.multi = null;
  unwatchAll(client);
  reply.array(queued.length);
  client.inExec = true;
  let async = false;
  // fixed_time_expire: the queued commands see one time (from the first read of the keyspace's
  // clock), also when EXEC runs after an import, outside its own call().
  const expiryClock = client.db.expiryClock;
  const holdsExpiry = holdExpiryTime(expiryClock);
  try {
    for (let i = 0; i < queued.length; i++) {
      const q = queued[i];
      if (!client.user.unrestricted && execDenied(ctx, q)) continue;
      const r = call(server, client, q.def, q.fullname, q.argv);
      if (r instanceof Promise) {
        // An asynchronous command: finish the rest in order after it, still inside EXEC. A
        // script that yielded (others get -BUSY meanwhile) keeps the transaction's commands one
        // unit for replication: what follows it joins the same MULTI/EXEC.
        async = true;
        const hold = server.scripts.running !== null ? server.replication.holdUnit(client) : null;
        return finishExec(ctx, queued, i + 1, r, hold);
      }
    }
  } finally {
    if (!async) client.inExec = false;
    if (holdsExpiry) releaseExpiryTime(expiryClock);
  }
}

/** execCommand: ACL rules changed since queueing refuse a queued call (its reply: NOPERM). */
function execDenied(ctx: Ctx, q: QueuedCommand): boolean {
  if (ctx.client.isMaster) return false;
  const denial = aclDenyQueued(ctx.server, ctx.client, q.fullname, q.argv);
  if (denial === null) return false;
  ctx.reply.error(denial);
  return true;
}

/** The rest of an EXEC after an asynchronous queued command (`pending`), from index `from`. */
async function finishExec(
  ctx: CommandContext,
  queued: QueuedCommand[],
  from: number,
  pending: Promise<void>,
  closeUnit: (() => void) | null,
): Promise<void> {
  const { client, server } = ctx;
  // EXEC's reply array is half written: messages for this client wait until it is complete.
  client.holdFrames();
  try {
    await pending;
    for (let j = from; j < queued.length; j++) {
      const qj = queued[j];
      if (!client.user.unrestricted && execDenied(ctx, qj)) continue;
      await call(server, client, qj.def, qj.fullname, qj.argv);
    }
  } finally {
    client.inExec = false;
    closeUnit?.();
    client.releaseFrames();
  }
}

function discard(ctx: Ctx): void {
  if (ctx.client.multi === null) {
    ctx.reply.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(ctx.client);
  ctx.reply.ok();
}

function watch(ctx: Ctx, argv: Uint8Array[]): void {
  const client = ctx.client;
  if (client.multi !== null) {
    ctx.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    const key = latin1(argv[i]);
    const db = ctx.db;
    if (client.watchedKeys.some((w) => w.key === key && w.db === db)) continue;
    client.watchedKeys.push({ db, key });
    db.watch(key, client);
  }
  ctx.reply.ok();
}

function unwatch(ctx: Ctx): void {
  unwatchAll(ctx.client);
  ctx.reply.ok();
}

export const transactionCommands: CommandDef[] = [
  fromTable("multi", multi),
  fromTable("exec", exec),
  fromTable("discard", discard),
  fromTable("watch", watch),
  fromTable("unwatch", unwatch),
];
