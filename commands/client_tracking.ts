/**
 * The client-side caching subcommands of CLIENT, as Redis 7.0.15's clientCommand
 * (networking.c): TRACKING, CACHING, GETREDIR, TRACKINGINFO. The state and the invalidation
 * logic are server/tracking.ts's.
 */

import { fromLatin1, latin1, lower, parseInt64 } from "../protocol/bytes.ts";
import * as E from "./errors.ts";
import type { CommandContext } from "./types.ts";
import type { ClientsPort } from "../server/server_ports.ts";
import type { TrackingPort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ClientsPort & TrackingPort>;

/** CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP] */
export function clientTracking(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client, reply } = ctx;
  let redirect = 0;
  const opts = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let j = 3; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    const opt = lower(argv[j]);
    if (opt === "redirect" && moreArgs > 0) {
      j++;
      if (redirect !== 0) {
        reply.error("ERR A client can only redirect to a single other client");
        return;
      }
      const id = parseInt64(argv[j]);
      if (id === null) {
        reply.error(E.NOT_INTEGER);
        return;
      }
      // The client must exist now, even if it may go later (then: tracking-redir-broken).
      if (!server.clients.has(id)) {
        reply.error("ERR The client ID you want redirect to does not exist");
        return;
      }
      redirect = id;
    } else if (opt === "bcast") opts.bcast = true;
    else if (opt === "optin") opts.optin = true;
    else if (opt === "optout") opts.optout = true;
    else if (opt === "noloop") opts.noloop = true;
    else if (opt === "prefix" && moreArgs > 0) {
      j++;
      prefixes.push(latin1(argv[j]));
    } else {
      reply.error(E.SYNTAX);
      return;
    }
  }
  const mode = lower(argv[2]);
  if (mode === "on") {
    const t = client.tracking;
    if (!opts.bcast && prefixes.length !== 0) {
      reply.error("ERR PREFIX option requires BCAST mode to be enabled");
      return;
    }
    if (t !== null && t.on && t.bcast !== opts.bcast) {
      reply.error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
      return;
    }
    if (opts.bcast && (opts.optin || opts.optout)) {
      reply.error("ERR OPTIN and OPTOUT are not compatible with BCAST");
      return;
    }
    if (opts.optin && opts.optout) {
      reply.error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if (t !== null && ((opts.optin && t.optout) || (opts.optout && t.optin))) {
      reply.error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
      return;
    }
    if (opts.bcast) {
      const check = server.tracking.checkPrefixCollisions(client, prefixes);
      // The prefixes are byte strings: the error keeps their bytes.
      if (check.error !== null) reply.errorBytes(fromLatin1(check.error));
      // Redis 7.0 goes on (and replies +OK too) after an overlap past the first prefix.
      if (!check.proceed) return;
    }
    server.tracking.enable(client, redirect, opts, prefixes);
  } else if (mode === "off") {
    server.tracking.disable(client);
  } else {
    reply.error(E.SYNTAX);
    return;
  }
  reply.ok();
}

/** CLIENT CACHING (YES|NO): track (OPTIN) or not (OPTOUT) the keys of the next command. */
export function clientCaching(ctx: Ctx, argv: Uint8Array[]): void {
  const { client, reply } = ctx;
  const t = client.tracking;
  if (t === null || !t.on) {
    reply.error(
      "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
    );
    return;
  }
  const opt = lower(argv[2]);
  if (opt === "yes") {
    if (!t.optin) {
      reply.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
      return;
    }
  } else if (opt === "no") {
    if (!t.optout) {
      reply.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
      return;
    }
  } else {
    reply.error(E.SYNTAX);
    return;
  }
  t.caching = true;
  reply.ok();
}

/** CLIENT GETREDIR: the redirect id (0: none), -1 when tracking is off. */
export function clientGetredir(ctx: Ctx): void {
  const t = ctx.client.tracking;
  ctx.reply.int(t !== null && t.on ? t.redirect : -1);
}

/** CLIENT TRACKINGINFO: a map of flags (a set), redirect and prefixes. */
export function clientTrackinginfo(ctx: Ctx): void {
  const { reply } = ctx;
  const t = ctx.client.tracking;
  const on = t !== null && t.on;
  const flags = [on ? "on" : "off"];
  if (on) {
    if (t.bcast) flags.push("bcast");
    if (t.optin) {
      flags.push("optin");
      if (t.caching) flags.push("caching-yes");
    }
    if (t.optout) {
      flags.push("optout");
      if (t.caching) flags.push("caching-no");
    }
    if (t.noloop) flags.push("noloop");
    if (t.brokenRedirect) flags.push("broken_redirect");
  }
  reply.map(3);
  reply.bulkText("flags");
  reply.set(flags.length);
  for (const f of flags) reply.bulkText(f);
  reply.bulkText("redirect");
  reply.int(on ? t.redirect : -1);
  reply.bulkText("prefixes");
  const prefixes = t === null ? [] : [...t.prefixes].sort();
  reply.array(prefixes.length);
  for (const p of prefixes) reply.bulkBinary(p);
}
