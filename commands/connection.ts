/**
 * Connection commands, as Redis 7.0.15: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET and the
 * CLIENT container (SETNAME, GETNAME, ID, LIST, INFO, KILL, NO-EVICT, HELP, plus SETINFO and
 * NO-TOUCH with Redis 7.2's behaviour, which clients send and 7.0 would refuse).
 *
 * Authentication checks the ACL users (server/acl.ts): `requirepass` is the default user's
 * password, `AUTH user pass` and `HELLO ... AUTH user pass` take any enabled user.
 */
import { latin1, lower, parseInt64, str } from "../protocol/bytes.ts";
import { type AclHost, aclLogAuthFailure } from "../server/acl_guard.ts";
import type {
  AclPort,
  ClientPausePort,
  ClientsPort,
  ClockPort,
  ConfigPort,
  DatabasesPort,
} from "../server/server_ports.ts";
import { REDIS_VERSION } from "../server/version.ts";
import type { Client } from "../server/client.ts";
import type { PauseKind } from "../cluster/write_pause.ts";
import { discardTransaction } from "../server/dispatch.ts";
import * as E from "./errors.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { serverRole } from "../server/server_role.ts";
import { redactArgument } from "../server/monitor.ts";
import {
  clientCaching,
  clientGetredir,
  clientTracking,
  clientTrackinginfo,
} from "./client_tracking.ts";
import type {
  ClusterModePort,
  ConnectionsPort,
  MonitorsPort,
  PubSubPort,
  ReplicationRolePort,
  TrackingPort,
} from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  & AclPort
  & ClientPausePort
  & ClientsPort
  & ClockPort
  & ClusterModePort
  & ConfigPort
  & ConnectionsPort
  & DatabasesPort
  & MonitorsPort
  & PubSubPort
  & ReplicationRolePort
  & TrackingPort
>;

function ping(ctx: Ctx, argv: Uint8Array[]): void {
  if (argv.length > 2) {
    ctx.reply.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  // In the RESP2 Pub/Sub context PING answers as a message would: ["pong", arg or ""].
  if (ctx.client.subscriptions !== null && ctx.client.proto === 2) {
    ctx.reply.array(2);
    ctx.reply.bulkText("pong");
    ctx.reply.bulk(argv.length === 2 ? argv[1] : new Uint8Array(0));
    return;
  }
  if (argv.length === 2) ctx.reply.bulk(argv[1]);
  else ctx.reply.status("PONG");
}

function echo(ctx: Ctx, argv: Uint8Array[]): void {
  ctx.reply.bulk(argv[1]);
}

function quit(ctx: Ctx): void {
  ctx.reply.ok();
  ctx.client.closeAfterReply = true;
}

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const DEFAULT_USER = new TextEncoder().encode("default");

/**
 * ACLAuthenticateUser: on good credentials the client is authenticated as that user; a failure
 * is logged (ACL LOG, reason "auth", the command name as sent).
 */
function authenticate(
  server: AclHost,
  client: Client,
  command: Uint8Array,
  user: Uint8Array,
  pass: Uint8Array,
): boolean {
  const u = server.acl.get(latin1(user));
  if (u !== undefined && u.checkPassword(latin1(pass))) {
    client.authenticated = true;
    client.user = u;
    return true;
  }
  aclLogAuthFailure(server, client, latin1(command), latin1(user));
  return false;
}

function auth(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  if (argv.length > 3) {
    reply.error(E.SYNTAX);
    return;
  }
  // Always redact the password (authCommand): MONITOR shows "(redacted)".
  redactArgument(argv, 1);
  let user: Uint8Array = DEFAULT_USER;
  let pass: Uint8Array;
  if (argv.length === 2) {
    if (server.acl.defaultUser.nopass) {
      reply.error(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
      );
      return;
    }
    pass = argv[1];
  } else {
    user = argv[1];
    pass = argv[2];
    redactArgument(argv, 2);
  }
  if (authenticate(server, client, argv[0], user, pass)) {
    reply.ok();
  } else {
    reply.error(WRONGPASS);
  }
}

/** CLIENT SETNAME / HELLO SETNAME validation. */
function validName(name: Uint8Array): boolean {
  for (const b of name) if (b < 0x21 || b > 0x7e) return false;
  return true;
}

const BAD_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

function hello(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInt64(argv[1]);
    next = 2;
    if (v === null) {
      reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v < 2 || v > 3) {
      reply.error("NOPROTO unsupported protocol version");
      return;
    }
    ver = v;
  }
  // Each option takes effect as it is parsed (helloCommand): a later bad option leaves the
  // client authenticated and named, and an earlier error leaves later passwords unredacted.
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = lower(argv[j]);
    if (opt === "auth" && more >= 2) {
      redactArgument(argv, j + 1);
      redactArgument(argv, j + 2);
      if (!authenticate(server, client, argv[0], argv[j + 1], argv[j + 2])) {
        reply.error(WRONGPASS);
        return;
      }
      j += 2;
    } else if (opt === "setname" && more >= 1) {
      // clientSetNameOrReply
      if (!validName(argv[j + 1])) {
        reply.error(BAD_NAME);
        return;
      }
      client.name = str(argv[j + 1]);
      j++;
    } else {
      reply.error(`ERR Syntax error in HELLO option '${str(argv[j])}'`);
      return;
    }
  }
  if (!client.authenticated) {
    reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (ver !== 0) reply.proto = ver as 2 | 3;
  reply.map(7);
  reply.bulkText("server");
  reply.bulkText("redis");
  reply.bulkText("version");
  reply.bulkText(REDIS_VERSION);
  reply.bulkText("proto");
  reply.int(reply.proto);
  reply.bulkText("id");
  reply.int(client.id);
  reply.bulkText("mode");
  reply.bulkText(server.config.getBool("cluster-enabled") ? "cluster" : "standalone");
  reply.bulkText("role");
  reply.bulkText(serverRole(server) === "master" ? "master" : "replica");
  reply.bulkText("modules");
  reply.array(0);
}

/** SELECT (server.c selectCommand): the client's database from now on. */
function select(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const id = parseInt64(argv[1]);
  if (id === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (id < -2147483648 || id > 2147483647) {
    reply.error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return;
  }
  if (server.config.getBool("cluster-enabled") && id !== 0) {
    reply.error("ERR SELECT is not allowed in cluster mode");
    return;
  }
  if (id < 0 || id >= server.dbs.length) {
    reply.error("ERR DB index is out of range");
    return;
  }
  ctx.client.db = server.dbs[id];
  reply.ok();
}

function reset(ctx: Ctx): void {
  const { server, client, reply } = ctx;
  discardTransaction(client);
  // clearClientConnectionState: a monitor leaves monitor mode.
  server.monitors.remove(client);
  server.pubsub.dropClient(client);
  server.tracking.disable(client);
  client.asking = false;
  client.readonlyMode = false;
  client.name = "";
  // clearClientConnectionState: database 0, replies on (NO-EVICT stays, as in 7.0).
  client.db = server.db;
  client.replyOff = false;
  client.replySkipNext = false;
  reply.proto = 2;
  // clientSetDefaultAuth: back to the default user.
  client.user = server.acl.defaultUser;
  client.authenticated = !server.authRequired();
  reply.status("RESET");
}

// ---------------------------------------------------------------- CLIENT

/** One CLIENT LIST / CLIENT INFO line (Redis 7.0's catClientInfoString: fields and order). */
export function clientInfoLine(
  server: ClockPort & DatabasesPort & ClientPausePort & ReplicationRolePort,
  c: Client,
): string {
  const now = server.now();
  let flags = "";
  if (c.monitoring) flags += "O";
  if (c.isMaster) flags += "M";
  if (c.isReplica) flags += "S";
  if (c.subscriptions !== null) flags += "P";
  if (c.multi !== null) flags += "x";
  if (isBlocked(server, c)) flags += "b";
  const tracking = c.tracking !== null && c.tracking.on ? c.tracking : null;
  if (tracking !== null) flags += "t";
  if (tracking?.brokenRedirect) flags += "R";
  if (tracking?.bcast) flags += "B";
  if (c.readonlyMode) flags += "r";
  if (c.noEvict) flags += "e";
  if (c.closeAfterReply) flags += "c";
  if (flags === "") flags = "N";
  const subs = c.subscriptions;
  const age = Math.max(0, Math.floor((now - c.createdMs) / 1000));
  const idle = Math.max(0, Math.floor((now - c.lastInteractionMs) / 1000));
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${
    c.id + 7
  } name=${c.name} age=${age} idle=${idle} ` +
    `flags=${flags} db=${c.db.id} sub=${subs?.channels.size ?? 0} ` +
    `psub=${subs?.patterns.size ?? 0} ` +
    `ssub=${subs?.shardChannels.size ?? 0} multi=${c.multi === null ? -1 : c.multi.length} ` +
    `qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=20480 ` +
    `events=r cmd=${c.lastCommand} user=${c.user.name} redir=${tracking?.redirect ?? -1} ` +
    `resp=${c.reply.proto}`;
}

/** CLIENT_BLOCKED: waiting on keys (BLPOP & co), in WAIT, or held by a pause. */
function isBlocked(
  server: DatabasesPort & ClientPausePort & ReplicationRolePort,
  c: Client,
): boolean {
  if (server.clientPause.waiting !== 0 && server.clientPause.holds(c)) return true;
  if (server.replication.waitingClients !== 0 && server.replication.waits(c)) return true;
  for (const db of server.dbs) {
    if (db.blockedWaiters.size === 0) continue;
    for (const w of db.blockedWaiters) if (w.owner === c) return true;
  }
  return false;
}

/** The `enabled` ON|OFF argument of CLIENT NO-EVICT and the like; null after a syntax error. */
function onOffArg(ctx: Ctx, arg: Uint8Array): boolean | null {
  const v = lower(arg);
  if (v === "on") return true;
  if (v === "off") return false;
  ctx.reply.error(E.SYNTAX);
  return null;
}

/** CLIENT NO-EVICT ON|OFF: stored and shown (flag `e`); client eviction is not implemented. */
function clientNoEvict(ctx: Ctx, argv: Uint8Array[]): void {
  const on = onOffArg(ctx, argv[2]);
  if (on === null) return;
  ctx.client.noEvict = on;
  ctx.reply.ok();
}

/** CLIENT PAUSE timeout [WRITE|ALL] (networking.c clientCommand, pauseClients). */
function clientPause(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  if (argv.length > 4) {
    reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
    );
    return;
  }
  let kind: PauseKind = "all";
  if (argv.length === 4) {
    const m = lower(argv[3]);
    if (m === "write") kind = "write";
    else if (m !== "all") {
      reply.error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  }
  // getTimeoutFromObjectOrReply(UNIT_MILLISECONDS): 0 is no pause at all; an end past 2^63
  // wraps negative in Redis, so already over.
  const ms = parseInt64(argv[2]);
  if (ms === null) {
    reply.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (ms < 0) {
    reply.error("ERR timeout is negative");
    return;
  }
  const now = server.now();
  const end = ms === 0 || BigInt(ms) + BigInt(now) > 9223372036854775807n ? 0 : ms + now;
  server.clientPause.pause(end, "client", kind);
  reply.ok();
}

/** CLIENT UNPAUSE: ends CLIENT PAUSE's pause (not a failover's). */
function clientUnpause(ctx: Ctx): void {
  ctx.server.clientPause.unpause("client");
  ctx.reply.ok();
}

/** CLIENT REPLY ON|OFF|SKIP: only ON answers (server/dispatch.ts drops the rest). */
function clientReply(ctx: Ctx, argv: Uint8Array[]): void {
  const { client, reply } = ctx;
  const m = lower(argv[2]);
  if (m === "on") {
    client.replyOff = false;
    client.replySkip = false;
    client.replySkipNext = false;
    reply.ok();
  } else if (m === "off") {
    client.replyOff = true;
  } else if (m === "skip") {
    if (!client.replyOff) client.replySkipNext = true;
  } else reply.error(E.SYNTAX);
}

const UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client blocked on keys is answered as if it timed out
 * (TIMEOUT, the default) or with -UNBLOCKED (ERROR); a client held by a pause gets that error
 * (ERROR) and its command is examined again at once, as Redis 7.0 does.
 */
function clientUnblock(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  // clientCommand: the argument count, then the reason, then the id.
  if (argv.length > 4) {
    reply.error(
      "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
    );
    return;
  }
  let asError = false;
  if (argv.length === 4) {
    const m = lower(argv[3]);
    if (m === "error") asError = true;
    else if (m !== "timeout") {
      reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const id = parseInt64(argv[2]);
  if (id === null) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  const target = server.clients.get(id);
  if (target === undefined) {
    reply.int(0);
    return;
  }
  for (const db of server.dbs) {
    if (db.blockedWaiters.size === 0) continue;
    for (const w of db.blockedWaiters) {
      if (w.owner !== target) continue;
      if (asError) w.abort?.(UNBLOCKED_ERROR);
      else w.timeOut?.();
      reply.int(1);
      return;
    }
  }
  if (server.replication.unblockWait(target)) {
    reply.int(1);
    return;
  }
  if (server.clientPause.holds(target)) {
    if (asError) {
      target.reply.error(UNBLOCKED_ERROR);
      target.outputAdded();
    }
    server.clientPause.release(target);
    reply.int(1);
    return;
  }
  reply.int(0);
}

function clientType(c: Client): string {
  return c.isMaster
    ? "master"
    : c.isReplica
    ? "replica"
    : c.subscriptions !== null
    ? "pubsub"
    : "normal";
}

const CLIENT_TYPES = new Set(["normal", "master", "replica", "slave", "pubsub"]);

function clientList(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  let type: string | null = null;
  let ids: Set<number> | null = null;
  if (argv.length === 4 && lower(argv[2]) === "type") {
    type = lower(argv[3]);
    if (!CLIENT_TYPES.has(type)) {
      reply.error(`ERR Unknown client type '${str(argv[3])}'`);
      return;
    }
    if (type === "slave") type = "replica";
  } else if (argv.length > 3 && lower(argv[2]) === "id") {
    ids = new Set();
    for (let j = 3; j < argv.length; j++) {
      const id = parseInt64(argv[j]);
      if (id === null || id <= 0) {
        reply.error("ERR Invalid client ID");
        return;
      }
      ids.add(id);
    }
  } else if (argv.length !== 2) {
    reply.error(E.SYNTAX);
    return;
  }
  let out = "";
  for (const c of server.clients.values()) {
    if (type !== null && clientType(c) !== type) continue;
    if (ids !== null && !ids.has(c.id)) continue;
    out += clientInfoLine(server, c) + "\n";
  }
  reply.verbatim(out);
}

function clientInfo(ctx: Ctx): void {
  ctx.reply.verbatim(clientInfoLine(ctx.server, ctx.client) + "\n");
}

function clientId(ctx: Ctx): void {
  ctx.reply.int(ctx.client.id);
}

function clientGetname(ctx: Ctx): void {
  if (ctx.client.name === "") ctx.reply.nil();
  else ctx.reply.bulkText(ctx.client.name);
}

function clientSetname(ctx: Ctx, argv: Uint8Array[]): void {
  if (!validName(argv[2])) {
    ctx.reply.error(BAD_NAME);
    return;
  }
  ctx.client.name = str(argv[2]);
  ctx.reply.ok();
}

function killClient(server: ClientsPort, self: Client, c: Client): void {
  if (c === self) self.closeAfterReply = true;
  else {
    server.removeClient(c);
    c.close();
  }
}

function clientKill(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  if (argv.length === 3) {
    // Old form: CLIENT KILL addr:port.
    const addr = str(argv[2]);
    for (const c of server.clients.values()) {
      if (c.addr === addr) {
        killClient(server, client, c);
        reply.ok();
        return;
      }
    }
    reply.error("ERR No such client");
    return;
  }
  if (argv.length % 2 !== 0) {
    reply.error(E.SYNTAX);
    return;
  }
  let id: number | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: string | null = null;
  let user: string | null = null;
  let skipme = true;
  for (let i = 2; i < argv.length; i += 2) {
    const opt = lower(argv[i]);
    const val = argv[i + 1];
    if (opt === "id") {
      const n = parseInt64(val);
      if (n === null || n <= 0) {
        reply.error("ERR client-id should be greater than 0");
        return;
      }
      id = n;
    } else if (opt === "addr") addr = str(val);
    else if (opt === "laddr") laddr = str(val);
    else if (opt === "type") {
      type = lower(val);
      if (!CLIENT_TYPES.has(type)) {
        reply.error(`ERR Unknown client type '${str(val)}'`);
        return;
      }
      if (type === "slave") type = "replica";
    } else if (opt === "user") {
      user = latin1(val);
      if (server.acl.get(user) === undefined) {
        reply.error(`ERR No such user '${user}'`);
        return;
      }
    } else if (opt === "skipme") {
      const v = lower(val);
      if (v === "yes") skipme = true;
      else if (v === "no") skipme = false;
      else {
        reply.error(E.SYNTAX);
        return;
      }
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  let killed = 0;
  for (const c of [...server.clients.values()]) {
    if (id !== null && c.id !== id) continue;
    if (addr !== null && c.addr !== addr) continue;
    if (laddr !== null && c.laddr !== laddr) continue;
    if (type !== null && clientType(c) !== type) continue;
    if (user !== null && c.user.name !== user) continue;
    if (c === client && skipme) continue;
    killClient(server, client, c);
    killed++;
  }
  reply.int(killed);
}

const CLIENT_HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "HELP",
  "    Prints this help.",
];

/** Reply a HELP text as Redis's addReplyHelp does: an array of status lines. */
export function replyHelp(ctx: CommandContext<unknown>, lines: string[]): void {
  ctx.reply.array(lines.length);
  for (const l of lines) ctx.reply.status(l);
}

export const connectionCommands: CommandDef[] = [
  // `sentinel`: COMMAND INFO hides it (server.c addReplyCommandFlags).
  fromTable("ping", ping, {}, ["sentinel"]),
  fromTable("echo", echo),
  fromTable("quit", quit),
  fromTable("hello", hello),
  fromTable("auth", auth),
  fromTable("select", select),
  fromTable("reset", reset),
  fromTable("client", undefined, {
    subcommands: [
      fromTable("client|setname", clientSetname),
      fromTable("client|getname", clientGetname),
      fromTable("client|id", clientId),
      fromTable("client|list", clientList),
      fromTable("client|info", clientInfo),
      fromTable("client|kill", clientKill),
      fromTable("client|no-evict", clientNoEvict),
      fromTable("client|pause", clientPause),
      fromTable("client|unpause", clientUnpause),
      fromTable("client|reply", clientReply),
      fromTable("client|unblock", clientUnblock),
      fromTable("client|tracking", clientTracking),
      fromTable("client|caching", clientCaching),
      fromTable("client|getredir", clientGetredir),
      fromTable("client|trackinginfo", clientTrackinginfo),
      fromTable("client|help", (ctx) => replyHelp(ctx, CLIENT_HELP)),
    ],
  }),
];
