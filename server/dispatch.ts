/**
 * The client hot path: look a request up in the command table, check arity, auth, MULTI
 * queueing and cluster routing (in Redis's processCommand order), run the handler, count stats.
 * Plain functions, no actors.
 */

import { latin1, lower, str } from "../protocol/bytes.ts";
import * as E from "../commands/errors.ts";
import type { CommandContext, CommandDef } from "../commands/types.ts";
import type { Client, QueuedCommand } from "./client.ts";
import type { Server } from "./server.ts";
import { MISCONF_AOF_PREFIX } from "../persistence/aof.ts";
import { Tracking } from "./tracking.ts";

/** What a RESP2 client in the Pub/Sub context may run (Redis's processCommand). */
const PUBSUB_CONTEXT = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/** Commands that run at once inside MULTI instead of being queued. */
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/** Resolve argv to a command (or subcommand) definition, or an error text. */
export function lookupCommand(
  server: Server,
  argv: Uint8Array[],
): { def: CommandDef; fullname: string } | { error: string } {
  const name = lower(argv[0]);
  const def = server.commands.get(name);
  if (def === undefined) {
    return {
      error: E.unknownCommand(str(argv[0]), argv.slice(1).map((a) => str(a))),
    };
  }
  if (def.subcommands === undefined) return { def, fullname: name };
  // A container with its own handler (COMMAND) also runs bare.
  if (argv.length < 2) return def.handler ? { def, fullname: name } : { error: E.wrongArity(name) };
  const subName = lower(argv[1]);
  const sub = def.subcommands.find((s) => s.name === subName);
  if (sub === undefined) return { error: E.unknownSubcommand(str(argv[1]), name) };
  return { def: sub, fullname: `${name}|${subName}` };
}

function arityOk(def: CommandDef, argc: number): boolean {
  return def.arity > 0 ? argc === def.arity : argc >= -def.arity;
}

/**
 * Handle one request. Returns a Promise only when the command is asynchronous; the caller must
 * await it before handling the next request of the same client (replies stay in order).
 */
export function dispatch(server: Server, client: Client, argv: Uint8Array[]): void | Promise<void> {
  const reply = client.reply;
  client.lastInteractionMs = server.now();
  const found = lookupCommand(server, argv);
  // CLIENT CACHING applies to the next command only (resetClient; server/tracking.ts).
  if (client.tracking !== null) {
    const isClient = !("error" in found) && found.fullname.startsWith("client|");
    Tracking.commandStarts(client.tracking, argv, client.multi !== null, isClient);
  }
  if ("error" in found) {
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error(found.error);
    return;
  }
  const { fullname } = found;
  let def = found.def;
  client.lastCommand = fullname;
  if (!arityOk(def, argv.length)) {
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error(E.wrongArity(fullname));
    return;
  }
  if (def.flagsFor !== undefined) def = def.flagsFor(server, argv);
  if (!client.authenticated && server.authRequired() && !def.flags.includes("no_auth")) {
    if (client.multi !== null) client.multiError = true;
    reply.error(E.NOAUTH);
    return;
  }
  // Keys MIGRATE is moving are write-locked: wait for its batch, then start over (re-routed).
  if (
    server.keyLocks.size !== 0 && !client.isMaster &&
    (client.multi === null || fullname === "exec") &&
    server.keyLocks.blocks(
      fullname === "exec" ? (client.multi ?? []) : [{ def, fullname, argv }],
      keyIndices,
    )
  ) {
    return server.keyLocks.wait().then(() => dispatch(server, client, argv));
  }
  const cluster = server.cluster;
  if (
    cluster !== null && !client.isMaster &&
    (def.firstKey !== 0 || def.getKeys !== undefined || fullname === "exec")
  ) {
    const cmds: QueuedCommand[] = fullname === "exec"
      ? (client.multi ?? [])
      : [{ def, fullname, argv }];
    const err = cluster.route(client, cmds, fullname === "exec");
    if (err !== null) {
      if (client.multi !== null && fullname !== "exec") client.multiError = true;
      else if (fullname === "exec") discardTransaction(server, client);
      client.asking = false;
      server.stats.rejectedCalls++;
      reply.error(err);
      return;
    }
  }
  // After a failed background save, writes (and PING) are refused (stop-writes-on-bgsave-error).
  if (
    (!server.persistence.lastBgsaveOk || server.aof.lastWriteError !== null) && !client.isMaster
  ) {
    const denial = server.persistence.writeDenial() ??
      (server.aof.lastWriteError === null ? null : MISCONF_AOF_PREFIX + server.aof.lastWriteError);
    if (denial !== null && (def.flags.includes("write") || fullname === "ping")) {
      if (client.multi !== null) client.multiError = true;
      server.stats.rejectedCalls++;
      reply.error(denial);
      return;
    }
  }
  // A read-only replica refuses writes from everyone but its master (Redis's processCommand).
  if (
    server.replication.isReplica && !client.isMaster && def.flags.includes("write") &&
    server.config.getBool("replica-read-only")
  ) {
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error(E.READONLY_REPLICA);
    return;
  }
  // A monitor (a CLIENT_SLAVE in Redis) may not touch the keyspace (Redis's processCommand).
  if (client.monitoring && touchesKeyspace(def)) {
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error("ERR Replica can't interact with the keyspace");
    return;
  }
  // A RESP2 connection in the Pub/Sub context runs only the subscription commands.
  if (client.subscriptions !== null && client.proto === 2 && !PUBSUB_CONTEXT.has(fullname)) {
    server.stats.rejectedCalls++;
    const why =
      `Can't execute '${fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    // rejectCommandFormat: a refused EXEC aborts (execCommandAbort), in MULTI or not.
    if (fullname === "exec") {
      discardTransaction(server, client);
      reply.error(`EXECABORT Transaction discarded because of: ${why}`);
    } else {
      if (client.multi !== null) client.multiError = true;
      reply.error(`ERR ${why}`);
    }
    return;
  }
  if (server.loading !== null && !def.flags.includes("loading") && !client.isMaster) {
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error(E.LOADING);
    return;
  }
  // A script past busy-reply-threshold: only allow_busy commands run; our master's stream waits.
  if (server.scripts.running !== null && server.scripts.busy && !def.flags.includes("allow_busy")) {
    if (client.isMaster) {
      return server.scripts.whenDone().then(() => dispatch(server, client, argv));
    }
    if (client.multi !== null) client.multiError = true;
    server.stats.rejectedCalls++;
    reply.error(server.scripts.running.isEval ? E.BUSY_EVAL : E.BUSY_FUNCTION);
    return;
  }
  // Manual failover: a paused master holds writes, then re-dispatches them (CLIENT PAUSE WRITE).
  if (
    cluster !== null && cluster.writePause.untilMs !== 0 &&
    cluster.writePause.blocks(def, fullname, client)
  ) {
    return cluster.writePause.wait().then(() => dispatch(server, client, argv));
  }
  if (client.multi !== null && !MULTI_IMMEDIATE.has(fullname)) {
    if (def.flags.includes("no_multi")) {
      client.multiError = true;
      reply.error("ERR Command not allowed inside a transaction");
      return;
    }
    client.multi.push({ def, fullname, argv });
    reply.status("QUEUED");
    return;
  }
  // Client-side caching: the running client (server.current_client), for NOLOOP and for the
  // invalidations it causes itself, sent after its reply.
  const tracking = server.tracking;
  const outer = tracking.active ? tracking.beforeCommand(client) : null;
  const r = call(server, client, def, fullname, argv);
  if (tracking.current === client) tracking.afterCommand(client, outer, r);
  // Serve clients blocked on keys this command pushed to (Redis's handleClientsBlockedOnKeys);
  // a script still running (it yielded) serves them when it ends.
  if (server.db.readyKeys.size !== 0 && server.scripts.running === null) {
    server.db.handleReadyKeys();
  }
  return r;
}

/** processCommand's is_read_command || is_write_command || is_may_replicate_command. */
function touchesKeyspace(def: CommandDef): boolean {
  const f = def.flags;
  return f.includes("readonly") || f.includes("write") || f.includes("may_replicate");
}

/**
 * A command that blocks its client (BLPOP & co, WAIT) is shown to monitors as it blocks, as
 * Redis's call() does; any other command that finishes later (EXEC around one, MIGRATE) is
 * synchronous in Redis, so it is shown once done, after what it ran.
 */
function monitoredAtBlock(def: CommandDef, fullname: string): boolean {
  return def.flags.includes("blocking") || fullname === "wait";
}

/** Run a resolved command and account for it. */
export function call(
  server: Server,
  client: Client,
  def: CommandDef,
  fullname: string,
  argv: Uint8Array[],
): void | Promise<void> {
  const ctx: CommandContext = { server, client, reply: client.reply, db: server.db };
  // A snapshot is being written: the keys this command may change in place keep their old
  // values in it (persistence/snapshot.ts).
  const observer = server.db.observer;
  if (observer !== null && def.flags.includes("write")) {
    for (const i of keyIndices(def, argv)) observer.beforeChange(latin1(argv[i]));
  }
  const errorsBefore = client.reply.errors;
  const start = performance.now();
  // Replication: costs one boolean test unless this node has a backlog to feed.
  const r = server.replication.propagating
    ? server.replication.callPropagating(ctx, def, fullname, argv)
    : def.handler!(ctx, argv);
  const asking = client.asking;
  // Client-side caching: costs one test unless a client tracks keys (trackingRememberKeys).
  if (server.tracking.active) server.tracking.afterCall(client, def, fullname, argv, r);
  if (r instanceof Promise) {
    const monitors = server.monitors;
    const shown = monitors.size !== 0 && monitoredAtBlock(def, fullname);
    if (shown) monitors.afterCall(server, client, def, argv);
    return r.then(() => {
      server.recordCall(
        fullname,
        performance.now() - start,
        client.reply.errors !== errorsBefore,
        client,
        argv,
      );
      if (!shown && monitors.size !== 0) monitors.afterCall(server, client, def, argv);
      if (asking && fullname !== "asking") client.asking = false;
    });
  }
  server.recordCall(
    fullname,
    performance.now() - start,
    client.reply.errors !== errorsBefore,
    client,
    argv,
  );
  // MONITOR: costs one test unless someone monitors (server/monitor.ts).
  if (server.monitors.size !== 0) server.monitors.afterCall(server, client, def, argv);
  // ASKING is one-shot: it applies to the next command only.
  if (asking && fullname !== "asking") client.asking = false;
  client.commandsProcessed++;
}

/** Leave MULTI state and forget watched keys. */
export function discardTransaction(server: Server, client: Client): void {
  client.multi = null;
  client.multiError = false;
  unwatchAll(server, client);
}

export function unwatchAll(server: Server, client: Client): void {
  for (const k of client.watchedKeys) server.db.unwatch(k, client);
  client.watchedKeys = [];
  client.dirtyCas = false;
}

/** Key positions of a command's arguments (legacy key spec or the command's own getKeys). */
export function keyIndices(def: CommandDef, argv: Uint8Array[]): number[] {
  if (def.getKeys) return def.getKeys(argv);
  if (def.firstKey === 0) return [];
  const last = def.lastKey < 0 ? argv.length + def.lastKey : def.lastKey;
  const out: number[] = [];
  for (let i = def.firstKey; i <= last && i < argv.length; i += def.step) out.push(i);
  return out;
}
