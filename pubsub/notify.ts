/**
 * Keyspace notifications, as Redis 7.0's notify.c notifyKeyspaceEvent: an event of class `type`
 * on `key` is published to `__keyspace@<db>__:<key>` (message: the event name) when K is on, and
 * to `__keyevent@<db>__:<event>` (message: the key) when E is on, each only if the class is
 * enabled. One notifier per database (`<db>` is its index).
 *
 * Delivery is local (PubSub.publish): Redis does not send these over the cluster bus. The parsed
 * `notify-keyspace-events` bits are cached in `flags`, so a disabled event costs one test.
 */

import { fromLatin1 } from "../protocol/bytes.ts";
import { NOTIFY_KEYEVENT, NOTIFY_KEYSPACE } from "./notify_flags.ts";

/** Where notifications are delivered (the server's PubSub). */
export interface Publisher {
  publish(channel: Uint8Array, message: Uint8Array): number;
}

/** An event name's bytes and its keyevent channel, built once per name. */
interface EventBytes {
  name: Uint8Array;
  channel: Uint8Array;
}

export class KeyspaceNotifier {
  /** server.notify_keyspace_events: the parsed directive (0: everything off). */
  flags = 0;
  /** Set by the server; null until then (nothing is published). */
  pubsub: Publisher | null = null;
  private readonly events = new Map<string, EventBytes>();
  private readonly keyspacePrefix: string;
  private readonly keyeventPrefix: string;

  constructor(dbId = 0) {
    this.keyspacePrefix = `__keyspace@${dbId}__:`;
    this.keyeventPrefix = `__keyevent@${dbId}__:`;
  }

  /** notifyKeyspaceEvent: `event` of class `type` happened to `key` (latin1 of its bytes). */
  notifyKeyspaceEvent(type: number, event: string, key: string): void {
    if ((this.flags & type) === 0) return;
    this.publish(event, key);
  }

  private publish(event: string, key: string): void {
    const pubsub = this.pubsub;
    if (pubsub === null) return;
    const ev = this.eventBytes(event);
    if (this.flags & NOTIFY_KEYSPACE) {
      pubsub.publish(fromLatin1(this.keyspacePrefix + key), ev.name);
    }
    if (this.flags & NOTIFY_KEYEVENT) pubsub.publish(ev.channel, fromLatin1(key));
  }

  private eventBytes(event: string): EventBytes {
    let ev = this.events.get(event);
    if (ev === undefined) {
      ev = { name: fromLatin1(event), channel: fromLatin1(this.keyeventPrefix + event) };
      this.events.set(event, ev);
    }
    return ev;
  }
}
