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
import { cmd, type CommandContext, type CommandDef, container } from "./types.ts";

/** SSUBSCRIBE (but not SUBSCRIBE: kept for old clients) refuses a client that must not block. */
function deniedBlocking(ctx: CommandContext, name: string): boolean {
  if (!ctx.client.inExec) return false;
  ctx.reply.error(`ERR ${name} isn't allowed for a DENY BLOCKING client`);
  return true;
}

function confirm(client: Client, kind: ConfirmKind, channel: Uint8Array | null, count: number) {
  client.reply.raw(confirmFrame(client.proto, kind, channel, count));
}

function subscribe(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, client } = ctx;
  for (let i = 1; i < argv.length; i++) {
    server.pubsub.subscribe(client, latin1(argv[i]));
    confirm(client, "subscribe", argv[i], client.subscriptions!.count);
  }
}

function psubscribe(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, client } = ctx;
  for (let i = 1; i < argv.length; i++) {
    server.pubsub.psubscribe(client, latin1(argv[i]));
    confirm(client, "psubscribe", argv[i], client.subscriptions!.count);
  }
}

function ssubscribe(ctx: CommandContext, argv: Uint8Array[]): void {
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
  return (ctx: CommandContext, argv: Uint8Array[]): void => {
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

function publish(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const receivers = server.pubsub.publish(argv[1], argv[2]);
  if (server.cluster !== null) server.cluster.publish(argv[1], argv[2]);
  else server.replication.propagateToReplicas(argv);
  reply.int(receivers);
}

function spublish(ctx: CommandContext, argv: Uint8Array[]): void {
  const { server, reply } = ctx;
  const receivers = server.pubsub.publishShard(argv[1], argv[2]);
  if (server.cluster !== null) server.cluster.publishShard(argv[1], argv[2]);
  else server.replication.propagateToReplicas(argv);
  reply.int(receivers);
}

// ---------------------------------------------------------------- PUBSUB

function syntaxError(ctx: CommandContext, argv: Uint8Array[]): void {
  ctx.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${
      latin1(argv[1])
    }'. Try PUBSUB HELP.`,
  );
}

function channelsOf(shard: boolean) {
  return (ctx: CommandContext, argv: Uint8Array[]): void => {
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
  return (ctx: CommandContext, argv: Uint8Array[]): void => {
    const { reply, server } = ctx;
    reply.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      reply.bulk(argv[i]);
      reply.int(server.pubsub.numSub(shard, latin1(argv[i])));
    }
  };
}

function numpat(ctx: CommandContext): void {
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

function help(ctx: CommandContext): void {
  ctx.reply.array(PUBSUB_HELP.length);
  for (const l of PUBSUB_HELP) ctx.reply.status(l);
}

const SUB: CommandDef["flags"] = ["pubsub", "noscript", "loading", "stale"];
const PUB: CommandDef["flags"] = ["pubsub", "loading", "stale", "fast", "may_replicate"];
const INFO: CommandDef["flags"] = ["pubsub", "loading", "stale"];
const SLOW = ["pubsub", "slow"];
const FAST = ["pubsub", "fast"];
const doc = (summary: string, since: string, categories = SLOW) => ({
  categories,
  summary,
  since,
  group: "pubsub",
});

export const pubsubCommands: CommandDef[] = [
  cmd(
    "subscribe",
    -2,
    SUB,
    [0, 0, 0],
    subscribe,
    doc("Listen for messages published to the given channels", "2.0.0"),
  ),
  cmd(
    "unsubscribe",
    -1,
    SUB,
    [0, 0, 0],
    unsubscribeFamily("channels", "unsubscribe"),
    doc("Stop listening for messages posted to the given channels", "2.0.0"),
  ),
  cmd(
    "psubscribe",
    -2,
    SUB,
    [0, 0, 0],
    psubscribe,
    doc("Listen for messages published to channels matching the given patterns", "2.0.0"),
  ),
  cmd(
    "punsubscribe",
    -1,
    SUB,
    [0, 0, 0],
    unsubscribeFamily("patterns", "punsubscribe"),
    doc("Stop listening for messages posted to channels matching the given patterns", "2.0.0"),
  ),
  cmd("publish", 3, PUB, [0, 0, 0], publish, doc("Post a message to a channel", "2.0.0", FAST)),
  cmd(
    "ssubscribe",
    -2,
    SUB,
    [1, -1, 1],
    ssubscribe,
    doc("Listen for messages published to the given shard channels", "7.0.0"),
  ),
  cmd(
    "sunsubscribe",
    -1,
    SUB,
    [1, -1, 1],
    unsubscribeFamily("shardChannels", "sunsubscribe"),
    doc("Stop listening for messages posted to the given shard channels", "7.0.0"),
  ),
  cmd(
    "spublish",
    3,
    PUB,
    [1, 1, 1],
    spublish,
    doc("Post a message to a shard channel", "7.0.0", FAST),
  ),
  container("pubsub", -2, "A container for Pub/Sub commands", "2.8.0", [
    cmd(
      "channels",
      -2,
      INFO,
      [0, 0, 0],
      channelsOf(false),
      doc("List active channels", "2.8.0"),
    ),
    cmd(
      "numsub",
      -2,
      INFO,
      [0, 0, 0],
      numsubOf(false),
      doc("Get the count of subscribers for channels", "2.8.0"),
    ),
    cmd(
      "numpat",
      2,
      INFO,
      [0, 0, 0],
      numpat,
      doc("Get the count of unique patterns pattern subscriptions", "2.8.0"),
    ),
    cmd(
      "shardchannels",
      -2,
      INFO,
      [0, 0, 0],
      channelsOf(true),
      doc("List active shard channels", "7.0.0"),
    ),
    cmd(
      "shardnumsub",
      -2,
      INFO,
      [0, 0, 0],
      numsubOf(true),
      doc("Get the count of subscribers for shard channels", "7.0.0"),
    ),
    cmd("help", 2, ["loading", "stale"], [0, 0, 0], help, {
      categories: ["slow"],
      summary: "Show helpful text about the different subcommands",
      since: "6.2.0",
      group: "pubsub",
    }),
  ], "pubsub"),
];
