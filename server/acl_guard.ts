/**
 * The ACL checks the server makes around commands, with their Redis 7.0.15 error texts and ACL
 * LOG entries: a client's call (processCommand), a queued call at EXEC time (execCommand), a
 * script's call (script.c scriptVerifyACL), failed authentications (ACLAuthenticateUser), and
 * the clients dropped when their user goes away (ACLFreeUserAndKillClients) or loses channels
 * (ACLKillPubsubClientsIfNeeded). Callers test `client.user.unrestricted` first, so the default
 * user with every right costs one boolean on the hot path.
 */

import {
  ACL_DENIED_AUTH,
  ACL_DENIED_CHANNEL,
  ACL_DENIED_CMD,
  ACL_DENIED_KEY,
  ACL_OK,
  type AclUser,
  type AclUsers,
  addLogEntry,
  channelAllowed,
  type LogContext,
} from "./acl.ts";
import type { Client } from "./client.ts";
import { latin1 } from "../protocol/bytes.ts";

/** What the ACL checks need of the server: its users, acllog-max-len, its clients. */
export interface AclHost {
  readonly acl: AclUsers;
  readonly config: { getNumber(name: string): number };
  readonly clients: Map<number, Client>;
  removeClient(c: Client): void;
}

/** addACLLogEntry: the object is the command, the denied key or channel, or what was given. */
export function aclLog(
  server: AclHost,
  client: Client,
  reason: number,
  context: LogContext,
  object: string,
  username: string = client.user.name,
): void {
  addLogEntry(server.acl.log, {
    count: 1,
    reason,
    context,
    object,
    username,
    ctimeMs: Date.now(),
    clientInfo: server.acl.clientInfo(client),
  }, server.config.getNumber("acllog-max-len"));
}

/** Check `user` for a call; [result, argument position] (ACLCheckAllUserCommandPerm). */
export function aclCheck(
  server: AclHost,
  user: AclUser,
  fullname: string,
  argv: Uint8Array[],
): [number, number] {
  const cmd = server.acl.table.get(fullname);
  if (cmd === undefined) return [ACL_OK, 0];
  return user.checkCommand(cmd, argv);
}

function logDenial(
  server: AclHost,
  client: Client,
  user: AclUser,
  result: number,
  idx: number,
  context: LogContext,
  fullname: string,
  argv: Uint8Array[],
): void {
  const object = result === ACL_DENIED_CMD ? fullname : latin1(argv[idx]);
  aclLog(server, client, result, context, object, user.name);
}

/**
 * processCommand's check: null when `client` may run the call, else the NOPERM error to send
 * (the denial is logged, in the "multi" context inside MULTI).
 */
export function aclDenyCall(
  server: AclHost,
  client: Client,
  fullname: string,
  argv: Uint8Array[],
): string | null {
  const [result, idx] = aclCheck(server, client.user, fullname, argv);
  if (result === ACL_OK) return null;
  const context = client.multi !== null ? "multi" : "toplevel";
  logDenial(server, client, client.user, result, idx, context, fullname, argv);
  switch (result) {
    case ACL_DENIED_CMD:
      return `NOPERM this user has no permissions to run the '${fullname}' command`;
    case ACL_DENIED_KEY:
      return "NOPERM this user has no permissions to access one of the keys used as arguments";
    case ACL_DENIED_CHANNEL:
      return "NOPERM this user has no permissions to access one of the channels used as arguments";
    default:
      return "ERR no permission";
  }
}

/** execCommand's check of a queued call (the rules may have changed since it was queued). */
export function aclDenyQueued(
  server: AclHost,
  client: Client,
  fullname: string,
  argv: Uint8Array[],
): string | null {
  const [result, idx] = aclCheck(server, client.user, fullname, argv);
  if (result === ACL_OK) return null;
  logDenial(server, client, client.user, result, idx, "multi", fullname, argv);
  const reason = result === ACL_DENIED_CMD
    ? "no permission to execute the command or subcommand"
    : result === ACL_DENIED_KEY
    ? "no permission to touch the specified keys"
    : result === ACL_DENIED_CHANNEL
    ? "no permission to access one of the channels used as arguments"
    : "no permission";
  return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " +
    reason;
}

/** scriptVerifyACL: a script's call is checked against its caller's user ("lua" context). */
export function aclDenyScriptCall(
  server: AclHost,
  caller: Client,
  fullname: string,
  argv: Uint8Array[],
): string | null {
  const [result, idx] = aclCheck(server, caller.user, fullname, argv);
  if (result === ACL_OK) return null;
  logDenial(server, caller, caller.user, result, idx, "lua", fullname, argv);
  switch (result) {
    case ACL_DENIED_CMD:
      return "The user executing the script can't run this command or subcommand";
    case ACL_DENIED_KEY:
      return "The user executing the script can't access at least one of the keys mentioned in the command arguments";
    case ACL_DENIED_CHANNEL:
      return "The user executing the script can't publish to the channel mentioned in the command";
    default:
      return "The user executing the script is lacking the permissions for the command";
  }
}

/** ACLAuthenticateUser: log a failed AUTH/HELLO (object: the command name as sent). */
export function aclLogAuthFailure(
  server: AclHost,
  client: Client,
  commandName: string,
  username: string,
): void {
  const context = client.multi !== null ? "multi" : "toplevel";
  aclLog(server, client, ACL_DENIED_AUTH, context, commandName, username);
}

/** Drop a client now, or after its reply when it is the one running (`current`). */
function dropClient(server: AclHost, c: Client, current: Client | null): void {
  if (c === current) c.closeAfterReply = true;
  else {
    server.removeClient(c);
    c.close();
  }
}

/**
 * ACLFreeUserAndKillClients: the clients authenticated as `user` fall back to the default user,
 * unauthenticated, and are closed (the current one after its reply).
 */
export function killUserClients(server: AclHost, user: AclUser, current: Client | null): void {
  for (const c of [...server.clients.values()]) {
    if (c.user !== user) continue;
    c.user = server.acl.defaultUser;
    c.authenticated = false;
    dropClient(server, c, current);
  }
}

/**
 * ACLKillPubsubClientsIfNeeded: when `staged` (the user's new rules) no longer holds every
 * channel pattern `original` had, the user's subscribers holding a channel (or a pattern, taken
 * literally) outside the new patterns are closed.
 */
export function killPubsubClientsIfNeeded(
  server: AclHost,
  staged: AclUser,
  original: AclUser,
  current: Client | null,
): void {
  const upcoming = staged.channelPatterns();
  if (upcoming === null) return;
  // A superset of the original patterns changes nothing; an original "&*" never has one.
  const before = original.channelPatterns();
  if (before !== null && before.every((p) => upcoming.includes(p))) return;
  for (const c of [...server.clients.values()]) {
    const subs = c.subscriptions;
    if (c.user !== original || subs === null || subs.total === 0) continue;
    let kill = false;
    for (const p of subs.patterns) if (!kill) kill = !channelAllowed(upcoming, p, true);
    for (const ch of subs.channels) if (!kill) kill = !channelAllowed(upcoming, ch, false);
    for (const ch of subs.shardChannels) if (!kill) kill = !channelAllowed(upcoming, ch, false);
    if (kill) dropClient(server, c, current);
  }
}
