/** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */

import { latin1 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import { call, discardTransaction, unwatchAll } from "../server/dispatch.ts";
import { cmd, type CommandContext, type CommandDef } from "./types.ts";
import type { QueuedCommand } from "../server/client.ts";

function multi(ctx: CommandContext): void {
  if (ctx.client.multi !== null) {
    ctx.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  ctx.client.multi = [];
  ctx.client.multiError = false;
  ctx.reply.ok();
}

function exec(ctx: CommandContext): void | Promise<void> {
  const { client, server, reply } = ctx;
  const queued = client.multi;
  if (queued === null) {
    reply.error("ERR EXEC without MULTI");
    return;
  }
  if (client.multiError) {
    discardTransaction(server, client);
    reply.error(E.EXECABORT);
    return;
  }
  if (client.dirtyCas) {
    discardTransaction(server, client);
    reply.nilArray();
    return;
  }
  // Leave MULTI state before running, so queued commands execute for real.
  client.multi = null;
  unwatchAll(server, client);
  reply.array(queued.length);
  client.inExec = true;
  let async = false;
  try {
    for (let i = 0; i < queued.length; i++) {
      const q = queued[i];
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
  }
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
      await call(server, client, qj.def, qj.fullname, qj.argv);
    }
  } finally {
    client.inExec = false;
    closeUnit?.();
    client.releaseFrames();
  }
}

function discard(ctx: CommandContext): void {
  if (ctx.client.multi === null) {
    ctx.reply.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(ctx.server, ctx.client);
  ctx.reply.ok();
}

function watch(ctx: CommandContext, argv: Uint8Array[]): void {
  const { client, server } = ctx;
  if (client.multi !== null) {
    ctx.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    const key = latin1(argv[i]);
    if (client.watchedKeys.includes(key)) continue;
    client.watchedKeys.push(key);
    server.db.watch(key, client);
  }
  ctx.reply.ok();
}

function unwatch(ctx: CommandContext): void {
  unwatchAll(ctx.server, ctx.client);
  ctx.reply.ok();
}

export const transactionCommands: CommandDef[] = [
  cmd("multi", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], multi, {
    categories: ["fast", "transaction"],
  }),
  cmd("exec", 1, ["noscript", "loading", "stale", "skip_slowlog"], [0, 0, 0], exec, {
    categories: ["slow", "transaction"],
  }),
  cmd("discard", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], discard, {
    categories: ["fast", "transaction"],
  }),
  cmd("watch", -2, ["noscript", "loading", "stale", "fast", "allow_busy"], [1, -1, 1], watch, {
    categories: ["fast", "transaction"],
  }),
  cmd("unwatch", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], [0, 0, 0], unwatch, {
    categories: ["fast", "transaction"],
  }),
];
