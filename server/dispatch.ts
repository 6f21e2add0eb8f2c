/**
 * The client hot path: look a request up in the command table, check arity, auth, MULTI
 * queueing and cluster routing (in Redis's processCommand order), run the handler, count stats.
 * Plain functions, no actors.
 */

import { latin1, lower, str } from "../protocol/bytes.ts";
import * as E from "../commands/errors.ts";
import type { CommandContext, CommandDef } from "../commands/types.ts";
import type { Client, QueuedCommand } from "./client.ts";
import type { CommandHost } from "../commands/command_host.ts";
import { MISCONF_AOF_PREFIX } from "../persistence/aof.ts";
import { Tracking } from "./tracking.ts";
import { aclDenyCall } from "./acl_guard.ts";
import { usesLuaVm } from "../scripting/vm_commands.ts";
import { lazyCommandsPending, loadAllLazyCommands } from "../commands/lazy_commands.ts";
import { holdExpiryTime, releaseExpiryTime } from "../keyspace/db.ts";

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

/** Redis's CMD_PROTECTED commands and the directive that allows each. */
const PROTECTED_COMMANDS = new Map([
  ["debug", "enable-debug-command"],
  ["module|load", "enable-module-command"],
  ["module|loadex", "enable-module-command"],
  ["module|unload", "enable-module-command"],
]);

/** server.c islocalClient: a unix socket, or a TCP peer at 127.0.0.1 or ::1. */
export function isLocalClient(client: Client): boolean {
  const a = client.addr;
  return a.startsWith("127.0.0.1:") || a.startsWith("[::1]:") || a.startsWith("/") ||
    a.startsWith("unix:");
}

/** server.c allowProtectedAction: `yes`, or `local` from a local connection. */
export function allowProtectedAction(setting: string, client: Client): boolean {
  return setting === "yes" || (setting === "local" && isLocalClient(client));
}

/** processCommand's rejectCommandFormat text for a refused CMD_PROTECTED command. */
function protectedCommandError(fullname: string, directive: string): string {
  const what = fullname === "debug" ? "DEBUG" : "MODULE";
  return `ERR ${what} command not allowed. If the ${directive} option is set to "local", ` +
    "you can run it from a local connection, otherwise you need to set this option in the " +
    "configuration file, and then restart the server.";
}

/** Longest command name kept by the client's one-entry name cache (`Client.lastName`). */
const NAME_CACHE_MAX_BYTES = 32;

/** lower(bytes), from the client's one-entry cache when the bytes are its last name's. */
function commandName(client: Client, bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === client.lastNameLength) {
    const last = client.lastNameBytes!;
    let i = 0;
    while (i < n && bytes[i] === last[i]) i++;
    if (i === n) return client.lastName;
  }
  const name = lower(bytes);
  if (n <= NAME_CACHE_MAX_BYTES) {
    (client.lastNameBytes ??= new Uint8Array(NAME_CACHE_MAX_BYTES)).set(bytes);
    client.lastNameLength = n;
    client.lastName = name;
  }
  return name;
}

/**
 * Resolve argv to a command (or subcommand) definition, or an error text. `client`: whose name
 * cache to use (the sender's; none for a one-off check).
 */
export function lookupCommand(
  server: CommandHost,
  argv: Uint8Array[],
  client?: Client,
): ResolvedCommand | { error: string } {
  const name = client === undefined ? lower(argv[0]) : commandName(client, argv[0]);
  // The client's last command again (a pipeline of one command): the table is the server's,
  // made once, so the name still resolves to the same definition.
  if (client !== undefined) {
    const last = client.lastLookup;
    if (last !== null && last.fullname === name) return last;
  }
  const def = server.commands.get(name);
  if (def === undefined) {
    return {
      error: E.unknownCommand(str(argv[0]), argv.slice(1).map((a) => str(a))),
    };
  }
  if (def.subcommands === undefined) {
    if (client === undefined) return resolved(def, name);
    return client.lastLookup = resolved(def, name);
  }
  // A container with its own handler (COMMAND) also runs bare.
  if (argv.length < 2) return def.handler ? resolved(def, name) : { error: E.wrongArity(name) };
  const subName = lower(argv[1]);
  const sub = def.subcommands.find((s) => s.name === subName);
  if (sub === undefined) return { error: E.unknownSubcommand(str(argv[1]), name) };
  return resolved(sub, `${name}|${subName}`);
}

/** A command resolved: its definition, full name and CMD_PROTECTED guard (the directive). */
export interface ResolvedCommand {
  readonly def: CommandDef;
  readonly fullname: string;
  readonly guard: string | undefined;
}

function resolved(def: CommandDef, fullname: string): ResolvedCommand {
  return { def, fullname, guard: PROTECTED_COMMANDS.get(fullname) };
}

function arityOk(def: CommandDef, argc: number): boolean {
  return def.arity > 0 ? argc === def.arity : argc >= -def.arity;
}

/**
 * Handle one request. Returns a Promise only when the command is asynchronous; the caller must
 * await it before handling the next request of the same client (replies stay in order).
 */
export function dispatch(
  server: CommandHost,
  client: Client,
  argv: Uint8Array[],
): void | Promise<void> {
  // CLIENT REPLY OFF|SKIP: one test unless the client asked for it.
  if (client.replyOff || client.replySkip) return dispatchReplyControlled(server, client, argv);
  const r = dispatchCommand(server, client, argv);
  // CLIENT REPLY SKIP: the command after it is the one skipped.
  if (client.replySkipNext) {
    if (r instanceof Promise) return r.finally(() => promoteSkip(client));
    promoteSkip(client);
  }
  return r;
}

/** resetClient: a pending SKIP applies to the next command; a SKIP in force is over. */
function promoteSkip(client: Client): void {
  client.replySkip = client.replySkipNext;
  client.replySkipNext = false;
}

/**
 * A command of a client with CLIENT REPLY OFF or SKIP: its reply is dropped (pushes stay), then
 * resetClient's step: a SKIP applies to the next command only.
 */
function dispatchReplyControlled(
  server: CommandHost,
  client: Client,
  argv: Uint8Array[],
): void | Promise<void> {
  const mark = client.reply.len;
  const pushes: Uint8Array[] = [];
  client.mutedPushes = pushes;
  const done = () => {
    client.mutedPushes = null;
    // Still muted once the command ran (CLIENT REPLY ON answers): its reply goes.
    if (client.replyOff || client.replySkip) client.reply.truncate(mark);
    for (const p of pushes) client.reply.raw(p);
    promoteSkip(client);
  };
  let r: void | Promise<void>;
  try {
    r = dispatchCommand(server, client, argv);
  } catch (e) {
    client.mutedPushes = null;
    throw e;
  }
  if (r instanceof Promise) return r.finally(done);
  done();
}

/**
 * rejectCommand / rejectCommandFormat: a command refused before it runs answers `error`, and in
 * MULTI flags the transaction (its EXEC then answers EXECABORT). A refused EXEC itself aborts the
 * transaction, in MULTI or not, with `why` (execCommandAbort: the error without its leading '-';
 * rejectCommandFormat's text has no "ERR").
 */
function rejectCommand(
  server: CommandHost,
  client: Client,
  fullname: string,
  error: string,
  why = error,
): void {
  server.recordRejected(fullname);
  if (fullname === "exec") {
    discardTransaction(client);
    client.reply.error(`EXECABORT Transaction discarded because of: ${why}`);
    return;
  }
  if (client.multi !== null) client.multiError = true;
  client.reply.error(error);
}

function dispatchCommand(
  server: CommandHost,
  client: Client,
  argv: Uint8Array[],
): void | Promise<void> {
  const reply = client.reply;
  // readQueryFromClient sets c->lastinteraction once per read: within a read's batch of
  // pipelined requests (`runInputBatch`) it was set already (a clock read per command saved).
  if (!client.inInputBatch) client.lastInteractionMs = server.now();
  const found = lookupCommand(server, argv, client);
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
    // rejectCommandFormat: the text alone says why an EXEC is aborted.
    const why = E.wrongArity(fullname);
    rejectCommand(server, client, fullname, why, why.slice("ERR ".length));
    return;
  }
  // CMD_PROTECTED (DEBUG, MODULE LOAD/LOADEX/UNLOAD): only as enable-*-command allows.
  const guard = found.guard;
  if (guard !== undefined && !allowProtectedAction(server.config.getString(guard), client)) {
    if (client.multi !== null) client.multiError = true;
    server.recordRejected(fullname);
    reply.error(protectedCommandError(fullname, guard));
    return;
  }
  if (def.flagsFor !== undefined) def = def.flagsFor(server, argv);
  if (!client.authenticated && server.authRequired() && !def.flags.includes("no_auth")) {
    rejectCommand(server, client, fullname, E.NOAUTH);
    return;
  }
  // ACL: one boolean for a user with every right (the default user, unless restricted).
  if (!client.user.unrestricted && !client.isMaster) {
    const denial = aclDenyCall(server, client, fullname, argv);
    if (denial !== null) {
      rejectCommand(server, client, fullname, denial);
      return;
    }
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
    (def.firstKey !== 0 || def.getKeys !== undefined || fullname === "exec") &&
    (fullname === "exec" || !cluster.servedHere(def, argv))
  ) {
    const cmds: QueuedCommand[] = fullname === "exec"
      ? (client.multi ?? [])
      : [{ def, fullname, argv }];
    const err = cluster.route(client, cmds, fullname === "exec");
    if (err !== null) {
      if (client.multi !== null && fullname !== "exec") client.multiError = true;
      else if (fullname === "exec") discardTransaction(client);
      client.asking = false;
      server.recordRejected(fullname);
      reply.error(err);
      return;
    }
  }
  // maxmemory: evict, then refuse what would grow memory (processCommand's performEvictions).
  if (server.maxmemory.limit !== 0) {
    const oom = server.maxmemory.beforeCommand(client, def, fullname, argv);
    if (oom !== null) {
      rejectCommand(server, client, fullname, oom);
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
      server.recordRejected(fullname);
      reply.error(denial);
      return;
    }
  }
  // min-replicas-to-write: a master without enough good replicas refuses writes, EXEC of queued
  // writes included (processCommand's checkGoodReplicasStatus; a master's stream is obeyed).
  if (
    (def.flags.includes("write") ||
      (fullname === "exec" && (client.multi ?? []).some((q) => q.def.flags.includes("write")))) &&
    !client.isMaster && !server.replication.enoughGoodReplicas()
  ) {
    rejectCommand(server, client, fullname, E.NOREPLICAS);
    return;
  }
  // A read-only replica refuses writes from everyone but its master (Redis's processCommand).
  if (
    server.replication.isReplica && !client.isMaster && def.flags.includes("write") &&
    server.config.getBool("replica-read-only")
  ) {
    if (client.multi !== null) client.multiError = true;
    server.recordRejected(fullname);
    reply.error(E.READONLY_REPLICA);
    return;
  }
  // A monitor (a CLIENT_SLAVE in Redis) may not touch the keyspace (Redis's processCommand).
  if (client.monitoring && touchesKeyspace(def)) {
    if (client.multi !== null) client.multiError = true;
    server.recordRejected(fullname);
    reply.error("ERR Replica can't interact with the keyspace");
    return;
  }
  // A RESP2 connection in the Pub/Sub context runs only the subscription commands.
  if (client.subscriptions !== null && client.proto === 2 && !PUBSUB_CONTEXT.has(fullname)) {
    const why =
      `Can't execute '${fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
    rejectCommand(server, client, fullname, `ERR ${why}`, why);
    return;
  }
  if (server.loading !== null && !def.flags.includes("loading") && !client.isMaster) {
    if (client.multi !== null) client.multiError = true;
    server.recordRejected(fullname);
    reply.error(E.LOADING);
    return;
  }
  // A Lua debugging session (SCRIPT DEBUG SYNC) holds the server, as Redis's blocks in it:
  // everyone else's commands wait for it to end.
  if (server.scripts.running !== null) {
    const debugging = server.scripts.debugging;
    if (debugging !== null && debugging !== client) {
      return server.scripts.whenDone().then(() => dispatch(server, client, argv));
    }
  }
  // A script past busy-reply-threshold: only allow_busy commands run; our master's stream waits.
  if (server.scripts.running !== null && server.scripts.busy && !def.flags.includes("allow_busy")) {
    if (client.isMaster) {
      return server.scripts.whenDone().then(() => dispatch(server, client, argv));
    }
    if (client.multi !== null) client.multiError = true;
    server.recordRejected(fullname);
    reply.error(server.scripts.running.isEval ? E.BUSY_EVAL : E.BUSY_FUNCTION);
    return;
  }
  // CLIENT PAUSE, or a manual failover: held, then dispatched again from the start.
  if (server.clientPause.untilMs !== 0 && server.clientPause.blocks(def, fullname, client)) {
    return server.clientPause.wait(client).then(() => dispatch(server, client, argv));
  }
  if (client.multi !== null && !MULTI_IMMEDIATE.has(fullname)) {
    if (def.flags.includes("no_multi")) {
      client.multiError = true;
      server.recordRejected(fullname);
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
  if (server.readyDbs.size !== 0 && server.scripts.running === null) {
    server.handleReadyKeys();
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

/**
 * Did the command just run fail: it replied an error after the last nested call ended
 * (incrCommandStatsOnError's prev_err_count, `Client.errorsAccounted`), so EXEC or EVAL is not
 * failed by the errors of the commands they ran.
 */
function failedNow(client: Client): boolean {
  const n = client.reply.errors;
  const failed = n > client.errorsAccounted;
  client.errorsAccounted = n;
  return failed;
}

/**
 * The command clock (call()'s ustime() pair; server/monotonic_clock.ts) costs ~45 ns a read
 * (~170 ns where it is performance.now()), so within one synchronous run of a client's pipelined
 * requests (`runInputBatch`) a command's start is the previous command's end, read once: one
 * clock read per command instead of two. The gap between
 * them is the next request's parsing and processCommand checks, well under a microsecond.
 * The carried reading and the nesting depth live on the client (`Client.carriedClockMs`,
 * `inInputBatch`, `callDepth`), not in this module: several servers run in one process (tests),
 * and a reading carried in a module variable would start a command of another client, or of
 * another server, run synchronously inside this batch, from this client's last command's end.
 */

/**
 * Run `fn` (the client's synchronous run of requests) with the clock carried between the
 * top-level commands it runs for that client; nothing is carried past it. `nowMs`: the server's
 * clock, read once for the client's last interaction (CLIENT LIST idle).
 */
export function runInputBatch<T>(
  client: Client,
  fn: () => T,
  nowMs: () => number,
): T {
  const outerBatch = client.inInputBatch;
  if (!outerBatch) client.lastInteractionMs = nowMs();
  client.inInputBatch = true;
  client.carriedClockMs = -1;
  try {
    return fn();
  } finally {
    client.inInputBatch = outerBatch;
    client.carriedClockMs = -1;
  }
}

/** Run a resolved command and account for it. */
export function call(
  server: CommandHost,
  client: Client,
  def: CommandDef,
  fullname: string,
  argv: Uint8Array[],
): void | Promise<void> {
  // The Lua VM is made on first use: a command that runs in it waits for it first, so that what
  // it writes is propagated as one unit, as with the VM already there. Its script may run any
  // command synchronously: every family imported on first use is imported first too.
  if ((!server.scripts.hasVm || lazyCommandsPending()) && usesLuaVm(fullname)) {
    return Promise.all([server.scripts.ready(), loadAllLazyCommands()]).then(() =>
      call(server, client, def, fullname, argv)
    );
  }
  // A family imported on first use (commands/lazy_commands.ts): imported before the command's
  // clock starts; this same definition then has its handler.
  if (def.load !== undefined) {
    return def.load().then(() => call(server, client, def, fullname, argv));
  }
  const ctx: CommandContext = { server, client, reply: client.reply, db: client.db };
  // A snapshot is being written: the keys this command may change in place keep their old
  // values in it (persistence/snapshot.ts).
  const observer = client.db.observer;
  if (observer !== null && def.flags.includes("write")) {
    for (const i of keyIndices(def, argv)) observer.beforeChange(latin1(argv[i]));
  }
  // incrCommandStatsOnError(NULL, 0): errors before the call are not this command's.
  client.errorsAccounted = client.reply.errors;
  const top = client.callDepth === 0;
  const carried = client.carriedClockMs;
  const start = top && carried >= 0 ? carried : server.commandClockMs();
  client.carriedClockMs = -1;
  // call()'s fixed_time_expire: keys expire against one time for the whole command (EXEC's
  // queued commands too), taken when it first looks; the clock again once it returns.
  const expiryClock = client.db.expiryClock;
  const holdsExpiry = top && holdExpiryTime(expiryClock);
  client.callDepth++;
  let r: void | Promise<void>;
  try {
    // Replication: costs one boolean test unless this node has a backlog to feed.
    r = server.replication.propagating
      ? server.replication.callPropagating(ctx, def, fullname, argv)
      : def.handler!(ctx, argv);
  } finally {
    client.callDepth--;
    if (holdsExpiry) releaseExpiryTime(expiryClock);
  }
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
        server.commandClockMs() - start,
        failedNow(client),
        client,
        argv,
        def,
      );
      if (!shown && monitors.size !== 0) monitors.afterCall(server, client, def, argv);
      if (asking && fullname !== "asking") client.asking = false;
    });
  }
  const end = server.commandClockMs();
  if (top && client.inInputBatch) client.carriedClockMs = end;
  server.recordCall(fullname, end - start, failedNow(client), client, argv, def);
  // MONITOR: costs one test unless someone monitors (server/monitor.ts).
  if (server.monitors.size !== 0) server.monitors.afterCall(server, client, def, argv);
  // ASKING is one-shot: it applies to the next command only.
  if (asking && fullname !== "asking") client.asking = false;
  client.commandsProcessed++;
}

/** Leave MULTI state and forget watched keys. */
export function discardTransaction(client: Client): void {
  client.multi = null;
  client.multiError = false;
  unwatchAll(client);
}

/** UNWATCH: forget every watched key, in whichever database each was watched. */
export function unwatchAll(client: Client): void {
  for (const w of client.watchedKeys) w.db.unwatch(w.key, client);
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
