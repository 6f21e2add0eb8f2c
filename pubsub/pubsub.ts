/**
 * Pub/Sub subscriptions and delivery, as Redis 7.0's pubsub.c: channels, glob patterns and shard
 * channels (SSUBSCRIBE), each a map from name to its subscribers in subscription order, and per
 * client the names it holds (`Subscriptions`).
 *
 * Delivery writes one frame per subscriber into the subscriber's output (`Subscriber.deliver`):
 * `message`/`pmessage`/`smessage` as RESP3 push frames or RESP2 arrays. A frame is encoded once per
 * protocol version for all subscribers. Whether a message travels to other nodes is the caller's
 * business (commands/pubsub.ts, the cluster bus); this module is local and synchronous.
 */

import { fromLatin1, latin1 } from "../protocol/bytes.ts";
import { globMatch } from "../keyspace/glob.ts";
import { keyHashSlot } from "../protocol/slot.ts";

/** What one client is subscribed to (names as latin1 strings of their bytes). */
export class Subscriptions {
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();

  /** clientSubscriptionsCount: channels and patterns (the count SUBSCRIBE replies show). */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  /** clientTotalPubSubSubscriptionCount: while above 0 the client is in the Pub/Sub context. */
  get total(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }
}

/** A connection that can subscribe. */
export interface Subscriber {
  readonly id: number;
  /** The client's RESP version (2: arrays, 3: push frames). */
  readonly proto: 2 | 3;
  subscriptions: Subscriptions | null;
  /** Append an out-of-band frame to the client's output and get it written. */
  deliver(frame: Uint8Array): void;
}

export type MessageKind = "message" | "pmessage" | "smessage";
export type ConfirmKind =
  | "subscribe"
  | "unsubscribe"
  | "psubscribe"
  | "punsubscribe"
  | "ssubscribe"
  | "sunsubscribe";

/** A push frame of bulk strings: `>n` (RESP3) or `*n` (RESP2), then each part. */
export function pushFrame(proto: 2 | 3, parts: readonly Uint8Array[]): Uint8Array {
  const head = `${proto === 3 ? ">" : "*"}${parts.length}\r\n`;
  let size = head.length;
  const lens: string[] = [];
  for (const p of parts) {
    const l = `$${p.length}\r\n`;
    lens.push(l);
    size += l.length + p.length + 2;
  }
  const out = new Uint8Array(size);
  let o = 0;
  const ascii = (s: string) => {
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  };
  ascii(head);
  for (let i = 0; i < parts.length; i++) {
    ascii(lens[i]);
    out.set(parts[i], o);
    o += parts[i].length;
    out[o++] = 13;
    out[o++] = 10;
  }
  return out;
}

const KIND_BYTES: Record<MessageKind, Uint8Array> = {
  message: fromLatin1("message"),
  pmessage: fromLatin1("pmessage"),
  smessage: fromLatin1("smessage"),
};

/** One message's frame, encoded at most once per protocol version. */
class Frame {
  private v2: Uint8Array | null = null;
  private v3: Uint8Array | null = null;
  constructor(private readonly parts: Uint8Array[]) {}
  for(proto: 2 | 3): Uint8Array {
    if (proto === 3) return this.v3 ??= pushFrame(3, this.parts);
    return this.v2 ??= pushFrame(2, this.parts);
  }
}

export interface PubSubStats {
  /** Messages delivered by PUBLISH/SPUBLISH/the bus (frames written to subscribers). */
  delivered: number;
}

export class PubSub {
  /** Channel -> subscribers (server.pubsub_channels). */
  readonly channels = new Map<string, Set<Subscriber>>();
  /** Pattern -> subscribers (server.pubsub_patterns). */
  readonly patterns = new Map<string, Set<Subscriber>>();
  /** Shard channel -> subscribers (server.pubsubshard_channels). */
  readonly shardChannels = new Map<string, Set<Subscriber>>();
  readonly stats: PubSubStats = { delivered: 0 };

  /** Subscribe to a channel; false when already subscribed. */
  subscribe(c: Subscriber, channel: string): boolean {
    return add(this.channels, subsOf(c).channels, c, channel);
  }

  unsubscribe(c: Subscriber, channel: string): boolean {
    return remove(this.channels, c.subscriptions?.channels, c, channel);
  }

  psubscribe(c: Subscriber, pattern: string): boolean {
    return add(this.patterns, subsOf(c).patterns, c, pattern);
  }

  punsubscribe(c: Subscriber, pattern: string): boolean {
    return remove(this.patterns, c.subscriptions?.patterns, c, pattern);
  }

  ssubscribe(c: Subscriber, channel: string): boolean {
    return add(this.shardChannels, subsOf(c).shardChannels, c, channel);
  }

  sunsubscribe(c: Subscriber, channel: string): boolean {
    return remove(this.shardChannels, c.subscriptions?.shardChannels, c, channel);
  }

  /** A client is gone or RESET: drop all its subscriptions without telling it. */
  dropClient(c: Subscriber): void {
    const s = c.subscriptions;
    if (s === null) return;
    for (const ch of s.channels) detach(this.channels, c, ch);
    for (const p of s.patterns) detach(this.patterns, c, p);
    for (const ch of s.shardChannels) detach(this.shardChannels, c, ch);
    c.subscriptions = null;
  }

  /**
   * pubsubPublishMessage: deliver to the channel's subscribers, then to every matching pattern's
   * subscribers. Returns the number of frames delivered (PUBLISH's reply).
   */
  publish(channel: Uint8Array, message: Uint8Array): number {
    let receivers = 0;
    const name = latin1(channel);
    const subs = this.channels.get(name);
    if (subs !== undefined) {
      const frame = new Frame([KIND_BYTES.message, channel, message]);
      for (const c of subs) {
        c.deliver(frame.for(c.proto));
        receivers++;
      }
    }
    if (this.patterns.size !== 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, name)) continue;
        const frame = new Frame([KIND_BYTES.pmessage, fromLatin1(pattern), channel, message]);
        for (const c of clients) {
          c.deliver(frame.for(c.proto));
          receivers++;
        }
      }
    }
    this.stats.delivered += receivers;
    return receivers;
  }

  /** pubsubPublishMessage for shard channels (SPUBLISH, PUBLISHSHARD). */
  publishShard(channel: Uint8Array, message: Uint8Array): number {
    const subs = this.shardChannels.get(latin1(channel));
    if (subs === undefined) return 0;
    const frame = new Frame([KIND_BYTES.smessage, channel, message]);
    let receivers = 0;
    for (const c of subs) {
      c.deliver(frame.for(c.proto));
      receivers++;
    }
    this.stats.delivered += receivers;
    return receivers;
  }

  /**
   * removeChannelsInSlot (Redis 7.0's clusterDelSlot): this node no longer serves `slot`; every
   * shard channel in it is dropped and its subscribers get a `sunsubscribe` push with the number
   * of shard channels they still hold.
   */
  removeChannelsInSlots(slots: ReadonlySet<number>): void {
    if (this.shardChannels.size === 0) return;
    for (const [channel, subs] of [...this.shardChannels]) {
      const name = fromLatin1(channel);
      if (!slots.has(keyHashSlot(name))) continue;
      for (const c of [...subs]) {
        this.sunsubscribe(c, channel);
        c.deliver(
          confirmFrame(c.proto, "sunsubscribe", name, c.subscriptions?.shardChannels.size ?? 0),
        );
      }
    }
  }

  /** Names of channels (or shard channels) with subscribers, matching `pattern` if given. */
  activeChannels(shard: boolean, pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of (shard ? this.shardChannels : this.channels).keys()) {
      if (pattern === null || globMatch(pattern, name)) out.push(name);
    }
    return out;
  }

  /** Subscribers of one channel (pattern subscriptions not counted), as PUBSUB NUMSUB. */
  numSub(shard: boolean, channel: string): number {
    return (shard ? this.shardChannels : this.channels).get(channel)?.size ?? 0;
  }
}

/** A subscribe/unsubscribe confirmation: kind, channel (or null: nil) and the count. */
export function confirmFrame(
  proto: 2 | 3,
  kind: ConfirmKind,
  channel: Uint8Array | null,
  count: number,
): Uint8Array {
  const head = `${proto === 3 ? ">" : "*"}3\r\n$${kind.length}\r\n${kind}\r\n`;
  const tail = `:${count}\r\n`;
  const nil = proto === 3 ? "_\r\n" : "$-1\r\n";
  const mid = channel === null ? nil : `$${channel.length}\r\n`;
  const size = head.length + mid.length + (channel === null ? 0 : channel.length + 2) +
    tail.length;
  const out = new Uint8Array(size);
  let o = 0;
  const ascii = (s: string) => {
    for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  };
  ascii(head);
  ascii(mid);
  if (channel !== null) {
    out.set(channel, o);
    o += channel.length;
    ascii("\r\n");
  }
  ascii(tail);
  return out;
}

function subsOf(c: Subscriber): Subscriptions {
  return c.subscriptions ??= new Subscriptions();
}

function add(
  index: Map<string, Set<Subscriber>>,
  own: Set<string>,
  c: Subscriber,
  name: string,
): boolean {
  if (own.has(name)) return false;
  own.add(name);
  let subs = index.get(name);
  if (subs === undefined) index.set(name, subs = new Set());
  subs.add(c);
  return true;
}

function remove(
  index: Map<string, Set<Subscriber>>,
  own: Set<string> | undefined,
  c: Subscriber,
  name: string,
): boolean {
  if (own === undefined || !own.delete(name)) return false;
  detach(index, c, name);
  if (c.subscriptions !== null && c.subscriptions.total === 0) c.subscriptions = null;
  return true;
}

function detach(index: Map<string, Set<Subscriber>>, c: Subscriber, name: string): void {
  const subs = index.get(name);
  if (subs === undefined) return;
  subs.delete(c);
  if (subs.size === 0) index.delete(name);
}
