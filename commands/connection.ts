/**
 * Connection commands, as Redis 7.0.15: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET and the
 * CLIENT container (SETNAME, GETNAME, ID, LIST, INFO, KILL, NO-EVICT, HELP, plus SETINFO and
 * NO-TOUCH with Redis 7.2's behaviour, which clients send and 7.0 would refuse).
 *
 * Authentication follows Redis's default user: without `requirepass` the user is "nopass" (any
 * password works for `AUTH default x`); with it, the password must match. Only user "default".
 */
import { lower, parseInt64, str } from "../protocol/bytes.ts";
import { REDIS_VERSION, type Server } from "../server/server.ts";
import type { Client } from "../server/client.ts";
import { discardTransaction } from "../server/dispatch.ts";
import * as E from "./errors.ts";
import { cmd, type CommandContext, type CommandDef } from "./types.ts";
import { serverRole } from "../server/info.ts";
import { redactArgument } from "../server/monitor.ts";
import {
  clientCaching,
  clientGetredir,
  clientTracking,
  clientTrackinginfo,
} from "./client_tracking.ts";

function ping(ctx: CommandContext, argv: Uint8Array[]): void {
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

function echo(ctx: CommandContext, argv: Uint8Array[]): void {
  ctx.reply.bulk(argv[1]);
}

function quit(ctx: CommandContext): void {
  ctx.reply.ok();
  ctx.client.closeAfterReply = true;
}

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

/** Redis's ACLAuthenticateUser for the default user only. True when the credentials are good. */
function checkCredentials(server: Server, user: string, pass: string): boolean {
  if (user !== "default") return false;
  const required = server.config.getString("requirepass");
  return required === "" || pass === required;
}

function auth(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  if (argv.length > 3) {
    reply.error(E.SYNTAX);
    return;
  }
  // Always redact the password (authCommand): MONITOR shows "(redacted)".
  redactArgument(argv, 1);
  let user = "default";
  let pass: string;
  if (argv.length === 2) {
    if (!server.authRequired()) {
      reply.error(
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
      );
      return;
    }
    pass = str(argv[1]);
  } else {
    user = str(argv[1]);
    pass = str(argv[2]);
    redactArgument(argv, 2);
  }
  if (checkCredentials(server, user, pass)) {
    client.authenticated = true;
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

function hello(ctx: CommandContext, argv: Uint8Array[]): void {
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
      if (!checkCredentials(server, str(argv[j + 1]), str(argv[j + 2]))) {
        reply.error(WRONGPASS);
        return;
      }
      client.authenticated = true;
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

function select(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const id = parseInt64(argv[1]);
  if (id === null || id < -2147483648 || id > 2147483647) {
    reply.error(E.NOT_INTEGER);
    return;
  }
  if (server.config.getBool("cluster-enabled") && id !== 0) {
    reply.error("ERR SELECT is not allowed in cluster mode");
    return;
  }
  if (id < 0 || id >= server.config.getNumber("databases")) {
    reply.error("ERR DB index is out of range");
    return;
  }
  if (id !== 0) {
    // Deviation: this server keeps a single keyspace (database 0).
    reply.error("ERR SELECT is not supported: this server has only database 0");
    return;
  }
  reply.ok();
}

/** Per-client flags this module tracks (CLIENT NO-EVICT / NO-TOUCH). */
const noEvict = new WeakSet<Client>();
const noTouch = new WeakSet<Client>();

function reset(ctx: CommandContext): void {
  const { server, client, reply } = ctx;
  discardTransaction(server, client);
  // clearClientConnectionState: a monitor leaves monitor mode.
  server.monitors.remove(client);
  server.pubsub.dropClient(client);
  server.tracking.disable(client);
  client.asking = false;
  client.readonlyMode = false;
  client.name = "";
  noEvict.delete(client);
  noTouch.delete(client);
  reply.proto = 2;
  client.authenticated = !server.authRequired();
  reply.status("RESET");
}

// ---------------------------------------------------------------- CLIENT

/** One CLIENT LIST / CLIENT INFO line (Redis 7.0 field order; lib-name/lib-ver as 7.2 adds). */
export function clientInfoLine(server: Server, c: Client): string {
  const now = server.now();
  let flags = "";
  if (c.monitoring) flags += "O";
  if (c.isMaster) flags += "M";
  if (c.isReplica) flags += "S";
  if (c.subscriptions !== null) flags += "P";
  if (c.multi !== null) flags += "x";
  const tracking = c.tracking !== null && c.tracking.on ? c.tracking : null;
  if (tracking !== null) flags += "t";
  if (tracking?.brokenRedirect) flags += "R";
  if (tracking?.bcast) flags += "B";
  if (c.readonlyMode) flags += "r";
  if (noEvict.has(c)) flags += "e";
  if (noTouch.has(c)) flags += "T";
  if (c.closeAfterReply) flags += "c";
  if (flags === "") flags = "N";
  const subs = c.subscriptions;
  const age = Math.max(0, Math.floor((now - c.createdMs) / 1000));
  const idle = Math.max(0, Math.floor((now - c.lastInteractionMs) / 1000));
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${
    c.id + 7
  } name=${c.name} age=${age} idle=${idle} ` +
    `flags=${flags} db=0 sub=${subs?.channels.size ?? 0} psub=${subs?.patterns.size ?? 0} ` +
    `ssub=${subs?.shardChannels.size ?? 0} multi=${c.multi === null ? -1 : c.multi.length} ` +
    `qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=20480 ` +
    `events=r cmd=${c.lastCommand} user=default redir=${tracking?.redirect ?? -1} ` +
    `resp=${c.reply.proto} ` +
    `lib-name=${c.libName} lib-ver=${c.libVer}`;
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

function clientList(ctx: CommandContext, argv: Uint8Array[]): void {
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

function clientInfo(ctx: CommandContext): void {
  ctx.reply.verbatim(clientInfoLine(ctx.server, ctx.client) + "\n");
}

function clientId(ctx: CommandContext): void {
  ctx.reply.int(ctx.client.id);
}

function clientGetname(ctx: CommandContext): void {
  if (ctx.client.name === "") ctx.reply.nil();
  else ctx.reply.bulkText(ctx.client.name);
}

function clientSetname(ctx: CommandContext, argv: Uint8Array[]): void {
  if (!validName(argv[2])) {
    ctx.reply.error(BAD_NAME);
    return;
  }
  ctx.client.name = str(argv[2]);
  ctx.reply.ok();
}

function clientSetinfo(ctx: CommandContext, argv: Uint8Array[]): void {
  const attr = lower(argv[2]);
  if (attr !== "lib-name" && attr !== "lib-ver") {
    ctx.reply.error(`ERR Unrecognized option '${str(argv[2])}'`);
    return;
  }
  if (!validName(argv[3])) {
    ctx.reply.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (attr === "lib-name") ctx.client.libName = str(argv[3]);
  else ctx.client.libVer = str(argv[3]);
  ctx.reply.ok();
}

function onOff(set: WeakSet<Client>) {
  return (ctx: CommandContext, argv: Uint8Array[]): void => {
    const v = lower(argv[2]);
    if (v === "on") set.add(ctx.client);
    else if (v === "off") set.delete(ctx.client);
    else {
      ctx.reply.error(E.SYNTAX);
      return;
    }
    ctx.reply.ok();
  };
}

function killClient(server: Server, self: Client, c: Client): void {
  if (c === self) self.closeAfterReply = true;
  else {
    server.removeClient(c);
    c.close();
  }
}

function clientKill(ctx: CommandContext, argv: Uint8Array[]): void {
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
    } else if (opt === "user") user = str(val);
    else if (opt === "skipme") {
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
    if (user !== null && user !== "default") continue;
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
export function replyHelp(ctx: CommandContext, lines: string[]): void {
  ctx.reply.array(lines.length);
  for (const l of lines) ctx.reply.status(l);
}

const CONN = ["slow", "connection"];
const FAST_CONN = ["fast", "connection"];
const ADMIN_CONN = ["admin", "slow", "dangerous", "connection"];
const NLS: CommandDef["flags"] = ["noscript", "loading", "stale"];
/** Flags of the handshake commands, allowed before AUTH and while busy. */
const HANDSHAKE: CommandDef["flags"] = ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"];
const doc = (summary: string, since: string) => ({
  categories: FAST_CONN,
  summary,
  since,
  group: "connection",
});

export const connectionCommands: CommandDef[] = [
  cmd("ping", -1, ["fast", "sentinel"], [0, 0, 0], ping, { categories: FAST_CONN }),
  cmd("echo", 2, ["fast"], [0, 0, 0], echo, { categories: FAST_CONN }),
  cmd("quit", -1, ["allow_busy", "noscript", "loading", "stale", "fast", "no_auth"], [0, 0, 0], quit, {
    categories: FAST_CONN,
  }),
  cmd("hello", -1, HANDSHAKE, [0, 0, 0], hello, doc("Handshake with Redis", "6.0.0")),
  cmd("auth", -2, HANDSHAKE, [0, 0, 0], auth, doc("Authenticate to the server", "1.0.0")),
  cmd(
    "select",
    2,
    ["loading", "stale", "fast"],
    [0, 0, 0],
    select,
    doc("Change the selected database for the current connection", "1.0.0"),
  ),
  cmd("reset", 1, HANDSHAKE, [0, 0, 0], reset, doc("Reset the connection", "6.2.0")),
  {
    name: "client",
    arity: -2,
    flags: [],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    categories: ["slow"],
    summary: "A container for client connection commands",
    since: "2.4.0",
    group: "connection",
    subcommands: [
      cmd("setname", 3, NLS, [0, 0, 0], clientSetname, { categories: CONN, since: "2.6.9" }),
      cmd("getname", 2, NLS, [0, 0, 0], clientGetname, { categories: CONN, since: "2.6.9" }),
      cmd("id", 2, NLS, [0, 0, 0], clientId, { categories: CONN, since: "5.0.0" }),
      cmd("list", -2, ["admin", "noscript", "loading", "stale"], [0, 0, 0], clientList, {
        categories: ADMIN_CONN,
        since: "2.4.0",
      }),
      cmd("info", 2, NLS, [0, 0, 0], clientInfo, { categories: CONN, since: "6.2.0" }),
      cmd("setinfo", 4, NLS, [0, 0, 0], clientSetinfo, { categories: CONN, since: "7.2.0" }),
      cmd("kill", -3, ["admin", "noscript", "loading", "stale"], [0, 0, 0], clientKill, {
        categories: ADMIN_CONN,
        since: "2.4.0",
      }),
      cmd("no-evict", 3, ["admin", "noscript", "loading", "stale"], [0, 0, 0], onOff(noEvict), {
        categories: ADMIN_CONN,
        since: "7.0.0",
      }),
      cmd("no-touch", 3, ["noscript", "loading", "stale"], [0, 0, 0], onOff(noTouch), {
        categories: CONN,
        since: "7.2.0",
      }),
      cmd("tracking", -3, NLS, [0, 0, 0], clientTracking, {
        categories: CONN,
        summary: "Enable or disable server assisted client side caching support",
        since: "6.0.0",
      }),
      cmd("caching", 3, NLS, [0, 0, 0], clientCaching, {
        categories: CONN,
        summary: "Instruct the server about tracking or not keys in the next request",
        since: "6.0.0",
      }),
      cmd("getredir", 2, NLS, [0, 0, 0], clientGetredir, {
        categories: CONN,
        summary: "Get tracking notifications redirection client ID if any",
        since: "6.0.0",
      }),
      cmd("trackinginfo", 2, NLS, [0, 0, 0], clientTrackinginfo, {
        categories: CONN,
        summary:
          "Return information about server assisted client side caching for the current connection",
        since: "6.2.0",
      }),
      cmd("help", 2, ["loading", "stale"], [0, 0, 0], (ctx) => replyHelp(ctx, CLIENT_HELP), {
        categories: CONN,
        since: "5.0.0",
      }),
    ],
  },
];
