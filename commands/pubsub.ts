/**
 * Pub/Sub commands, as Redis 7.0.15's pubsub.c: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
 * PUNSUBSCRIBE, PUBLISH, the sharded SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, and the PUBSUB container.
 *
 * Confirmations are push frames (RESP3 `>3`, RESP2 arrays) with the client's subscription count:
 * channels plus patterns for the classic commands, shard channels for the sharded ones. In
 * cluster mode PUBLISH also goes to every other node over the bus (PUBLISH, type 4) and SPUBLISH
 * to the other nodes of this shard (PUBLISHSHARD, type 10); without a cluster both reach this
 * node's replicas through the replication stream, as Redis's forceCommandPropagation does.
 */

import { fromLatin1, latin1 } from "../protocol/bytes.ts";
import { confirmFrame, type ConfirmKind } from "../pubsub/pubsub.ts";
import type { Client } from "../server/client.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import type { ClusterModePort, PubSubPort, ReplicationRolePort } from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<ClusterModePort & PubSubPort & ReplicationRolePort>;

/** SSUBSCRIBE (but not SUBSCRIBE: kept for old clients) refuses a client that must not block. */
function deniedBlocking(ctx: Ctx, name: string): boolean {
  if (!ctx.client.inExec) return false;
  ctx.reply.error(`ERR ${name} isn't allowed for a DENY BLOCKING client`);
  return true;
}

function confirm(client: Client, kind: ConfirmKind, channel: Uint8Array | null, count: number) {
  client.pushReply(confirmFrame(client.proto, kind, channel, count));
}

function subscribe(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client } = ctx;
  for (let i = 1; i < argv.length; i++) {
    server.pubsub.subscribe(client, latin1(argv[i]));
    confirm(client, "subscribe", argv[i], client.subscriptions!.count);
  }
}

function psubscribe(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client } = ctx;
  for (let i = 1; i < argv.length; i++) {
    server.pubsub.psubscribe(client, latin1(argv[i]));
    confirm(client, "psubscribe", argv[i], client.subscriptions!.count);
  }
}

function ssubscribe(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, client } = ctx;
  if (deniedBlocking(ctx, "SSUBSCRIBE")) return;
  for (let i = 1; i < argv.length; i++) {
    server.pubsub.ssubscribe(client, latin1(argv[i]));
    confirm(client, "ssubscribe", argv[i], client.subscriptions!.shardChannels.size);
  }
}

type Which = "channels" | "patterns" | "shardChannels";

/** UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE: the named ones, or all; nil when there were none. */
function unsubscribeFamily(which: Which, kind: ConfirmKind) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const { server, client } = ctx;
    const ps = server.pubsub;
    const remove = (name: string) =>
      which === "channels"
        ? ps.unsubscribe(client, name)
        : which === "patterns"
        ? ps.punsubscribe(client, name)
        : ps.sunsubscribe(client, name);
    const count = () => {
      const s = client.subscriptions;
      if (s === null) return 0;
      return which === "shardChannels" ? s.shardChannels.size : s.count;
    };
    if (argv.length > 1) {
      for (let i = 1; i < argv.length; i++) {
        remove(latin1(argv[i]));
        confirm(client, kind, argv[i], count());
      }
      return;
    }
    const held = client.subscriptions === null ? [] : [...client.subscriptions[which]];
    if (held.length === 0) {
      confirm(client, kind, null, count());
      return;
    }
    for (const name of held) {
      remove(name);
      confirm(client, kind, fromLatin1(name), count());
    }
  };
}

function publish(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const receivers = server.pubsub.publish(argv[1], argv[2]);
  if (server.cluster !== null) server.cluster.publish(argv[1], argv[2]);
  else server.replication.propagateToReplicas(argv);
  reply.int(receivers);
}

function spublish(ctx: Ctx, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const receivers = server.pubsub.publishShard(argv[1], argv[2]);
  if (server.cluster !== null) server.cluster.publishShard(argv[1], argv[2]);
  else server.replication.propagateToReplicas(argv);
  reply.int(receivers);
}

// ---------------------------------------------------------------- PUBSUB

function syntaxError(ctx: Ctx, argv: Uint8Array[]): void {
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      latin1(argv[1])
    }'. Try PUBSUB HELP.`,
  );
}

function channelsOf(shard: boolean) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    if (argv.length > 3) {
      syntaxError(ctx, argv);
      return;
    }
    const names = ctx.server.pubsub.activeChannels(
      shard,
      argv.length === 3 ? latin1(argv[2]) : null,
    );
    ctx.reply.binaryArray(names);
  };
}

function numsubOf(shard: boolean) {
  return (ctx: Ctx, argv: Uint8Array[]): void => {
    const { reply, server } = ctx;
    reply.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      reply.bulk(argv[i]);
      reply.int(server.pubsub.numSub(shard, latin1(argv[i])));
    }
  };
}

function numpat(ctx: Ctx): void {
  ctx.reply.int(ctx.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

function help(ctx: Ctx): void {
  ctx.reply.array(PUBSUB_HELP.length);
  for (const l of PUBSUB_HELP) ctx.reply.status(l);
}

/** PUBLISH and SPUBLISH are MAY_REPLICATE (COMMAND INFO hides it): not from read-only scripts. */
const MAY_REPLICATE: CommandDef["flags"] = ["may_replicate"];

export const pubsubCommands: CommandDef[] = [
  fromTable("subscribe", subscribe),
  fromTable("unsubscribe", unsubscribeFamily("channels", "unsubscribe")),
  fromTable("psubscribe", psubscribe),
  fromTable("punsubscribe", unsubscribeFamily("patterns", "punsubscribe")),
  fromTable("publish", publish, {}, MAY_REPLICATE),
  fromTable("ssubscribe", ssubscribe),
  fromTable("sunsubscribe", unsubscribeFamily("shardChannels", "sunsubscribe")),
  fromTable("spublish", spublish, {}, MAY_REPLICATE),
  fromTable("pubsub", undefined, {
    subcommands: [
      fromTable("pubsub|channels", channelsOf(false)),
      fromTable("pubsub|numsub", numsubOf(false)),
      fromTable("pubsub|numpat", numpat),
      fromTable("pubsub|shardchannels", channelsOf(true)),
      fromTable("pubsub|shardnumsub", numsubOf(true)),
      fromTable("pubsub|help", help),
    ],
  }),
];
