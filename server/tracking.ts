/**
 * Client-side caching, as Redis 7.0.15's tracking.c: the tracking table (key -> ids of the
 * clients that may cache it), the prefix table of BCAST mode, and the invalidation messages.
 *
 * - Default mode: keys read by read-only commands are remembered for the client that issued the
 *   command (`readCommand`, trackingRememberKeys from call()); when one is modified
 *   (`keyModified`, trackingInvalidateKey from signalModifiedKey) each client that read it gets an
 *   invalidation and the key leaves the table. An invalidation for the client whose command is
 *   running waits until its reply is written (server.tracking_pending_keys).
 * - BCAST mode: modified keys matching a prefix are collected and sent at the end of the event
 *   loop turn, one array per prefix (trackingBroadcastInvalidationMessages from beforeSleep).
 * - FLUSHALL/FLUSHDB: every tracking client gets a null invalidation
 *   (trackingInvalidateKeysOnFlush).
 * - `tracking-table-max-keys`: past it, keys are evicted with an invalidation
 *   (trackingLimitUsedSlots), before each command and from the cron.
 *
 * Messages go to the client itself in RESP3 (a `>2 invalidate` push), or to its REDIRECT client:
 * a push in RESP3, a `message` on `__redis__:invalidate` when that client is a RESP2 one in the
 * Pub/Sub context (sendTrackingMessage). Client ids stay in the table after a client disables
 * tracking or disconnects, and are dropped lazily, as Redis does.
 *
 * When no client tracks and the table is empty, the keyspace hook is off (`Db.tracker` is null)
 * and `active` is false: the command path then costs a boolean test.
 */

import { fromLatin1, latin1 } from "../protocol/bytes.ts";
import type { CommandDef } from "../commands/command_def.ts";

/** Per-client state: Redis's CLIENT_TRACKING_* flags and client_tracking_* fields. */
export class ClientTracking {
  /** CLIENT_TRACKING: tracking is enabled. */
  on = false;
  /** client_tracking_redirection: the id invalidations go to (0: this client). */
  redirect = 0;
  bcast = false;
  optin = false;
  optout = false;
  noloop = false;
  /** CLIENT_TRACKING_CACHING: CLIENT CACHING YES/NO given for the next command. */
  caching = false;
  /** CLIENT_TRACKING_BROKEN_REDIR: the redirect client was gone when a message was due. */
  brokenRedirect = false;
  /** client_tracking_prefixes (BCAST), latin1 strings of their bytes. */
  readonly prefixes = new Set<string>();
  /** Keys (null: a flush) invalidated by this client's own running command (pending keys). */
  pending: (string | null)[] = [];
  /** resetClient: was the last command a CLIENT one (CACHING then lasts one more command). */
  keepCaching = false;
  /** The request `commandStarts` saw last (a re-dispatched request is seen once). */
  lastArgv: Uint8Array[] | null = null;

  /** disableTracking's flags: all of them off (the redirect id stays, unused). */
  clearFlags(): void {
    this.on = false;
    this.brokenRedirect = false;
    this.bcast = false;
    this.optin = false;
    this.optout = false;
    this.caching = false;
    this.noloop = false;
  }
}

/** A connection as tracking sees it (server/client.ts's Client). */
export interface TrackedClient {
  readonly id: number;
  readonly proto: 2 | 3;
  /** Non-null while in the Pub/Sub context (CLIENT_PUBSUB). */
  readonly subscriptions: object | null;
  tracking: ClientTracking | null;
  /** Append an out-of-band frame to the client's output. */
  deliver(frame: Uint8Array): void;
}

/** What tracking needs from the server. */
export interface TrackingHost {
  /** Clients by id (lookupClientByID), in connection order. */
  readonly clients: ReadonlyMap<number, TrackedClient>;
  /** `tracking-table-max-keys` (0: no limit). */
  maxKeys(): number;
  /** A script is running (its writes are made by the script's own client). */
  scriptRunning(): boolean;
  /** Key positions in a command's arguments (getKeysFromCommand). */
  keyIndices(def: CommandDef, argv: Uint8Array[]): number[];
}

/** The keyspace's hook (keyspace/db.ts calls it while tracking is active). */
export interface KeyTracker {
  keyModified(key: string): void;
  flushed(): void;
}

/** A prefix's broadcast state (bcastState): keys modified this turn -> who modified them. */
interface BcastState {
  keys: Map<string, TrackedClient | null>;
  readonly clients: Set<TrackedClient>;
}

/** Options of CLIENT TRACKING ON. */
export interface TrackingOptions {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

const enc = (s: string) => fromLatin1(s);
const PUSH_HEAD = enc(">2\r\n$10\r\ninvalidate\r\n");
const MESSAGE_HEAD = enc("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
const NULL_RESP2 = enc("$-1\r\n");
const NULL_RESP3 = enc("_\r\n");
/** Read-only scripts: their commands are tracked, not the script's declared keys (call()). */
const SCRIPT_RO = new Set(["eval_ro", "evalsha_ro", "fcall_ro"]);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `*n` then each key as a bulk string (trackingBuildBroadcastReply's array, in any RESP). */
function keysArray(keys: readonly string[]): Uint8Array {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += `$${k.length}\r\n${k}\r\n`;
  return enc(s);
}

/** stringCheckPrefix: do two prefixes overlap (one starts with the other)? */
export function prefixesOverlap(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

/** A prefix as `%s` prints it in an error (up to a NUL byte). */
function printable(s: string): string {
  const nul = s.indexOf("\0");
  return nul === -1 ? s : s.slice(0, nul);
}

export class Tracking implements KeyTracker {
  /** TrackingTable: key -> ids of clients that may cache it. */
  private readonly table = new Map<string, Set<number>>();
  /** TrackingTableTotalItems: ids summed over the table. */
  private totalItems = 0;
  /** PrefixTable (BCAST). */
  private readonly prefixTable = new Map<string, BcastState>();
  /** server.tracking_clients. */
  clients = 0;
  /** The client whose command runs (server.current_client), null between commands. */
  current: TrackedClient | null = null;
  /** Its command is executing (CLIENT_EXECUTING_COMMAND): invalidations for it wait. */
  private executing = false;
  private broadcastQueued = false;
  /** trackingLimitUsedSlots's timeout_counter. */
  private limitRounds = 0;

  constructor(
    private readonly host: TrackingHost,
    private readonly db: { tracker: KeyTracker | null },
  ) {}

  /** Something to do on commands and key changes (a client tracks, or the table has keys). */
  get active(): boolean {
    return this.db.tracker !== null;
  }

  private updateActive(): void {
    this.db.tracker = this.clients !== 0 || this.table.size !== 0 ? this : null;
  }

  // ------------------------------------------------------------ INFO

  get totalKeys(): number {
    return this.table.size;
  }

  get items(): number {
    return this.totalItems;
  }

  get totalPrefixes(): number {
    return this.prefixTable.size;
  }

  // ------------------------------------------------------------ enabling

  /**
   * checkPrefixCollisionsOrReply, with Redis 7.0's quirk: an overlap found among the given
   * prefixes past the first one reports the error and yet lets the command go on (it returns the
   * index). `error` is the error reply; `proceed`: whether tracking is then enabled.
   */
  checkPrefixCollisions(
    c: TrackedClient,
    prefixes: readonly string[],
  ): { error: string | null; proceed: boolean } {
    const own = c.tracking?.prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      if (own !== undefined) {
        for (const p of [...own].sort()) {
          if (prefixesOverlap(p, prefixes[i])) {
            return {
              error: `ERR Prefix '${printable(prefixes[i])}' overlaps with an existing prefix '${
                printable(p)
              }'. Prefixes for a single client must not overlap.`,
              proceed: false,
            };
          }
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (prefixesOverlap(prefixes[i], prefixes[j])) {
          return {
            error: `ERR Prefix '${printable(prefixes[i])}' overlaps with another provided prefix '${
              printable(prefixes[j])
            }'. Prefixes for a single client must not overlap.`,
            proceed: i !== 0,
          };
        }
      }
    }
    return { error: null, proceed: true };
  }

  /** enableTracking: on, with these options; BCAST subscribes the prefixes ("" when none). */
  enable(c: TrackedClient, redirect: number, opts: TrackingOptions, prefixes: string[]): void {
    const t = c.tracking ??= new ClientTracking();
    if (!t.on) this.clients++;
    t.on = true;
    t.brokenRedirect = false;
    t.redirect = redirect;
    t.bcast = false;
    if (opts.bcast) {
      t.bcast = true;
      if (prefixes.length === 0) this.enableBcastPrefix(c, t, "");
      for (const p of prefixes) this.enableBcastPrefix(c, t, p);
    }
    t.optin = opts.optin;
    t.optout = opts.optout;
    t.noloop = opts.noloop;
    // Tracking began inside this very command: it is the running one (server.current_client).
    if (this.current === null) {
      this.current = c;
      this.executing = true;
    }
    this.updateActive();
  }

  private enableBcastPrefix(c: TrackedClient, t: ClientTracking, prefix: string): void {
    let bs = this.prefixTable.get(prefix);
    if (bs === undefined) {
      this.prefixTable.set(prefix, bs = { keys: new Map(), clients: new Set() });
    }
    if (!bs.clients.has(c)) {
      bs.clients.add(c);
      t.prefixes.add(prefix);
    }
  }

  /** disableTracking: off (CLIENT TRACKING OFF, RESET, a disconnect); ids in the table stay. */
  disable(c: TrackedClient): void {
    const t = c.tracking;
    if (t === null) return;
    if (t.bcast) {
      for (const p of t.prefixes) {
        const bs = this.prefixTable.get(p);
        if (bs === undefined) continue;
        bs.clients.delete(c);
        if (bs.clients.size === 0) this.prefixTable.delete(p);
      }
      t.prefixes.clear();
    }
    if (t.on) {
      this.clients--;
      t.clearFlags();
    }
    this.updateActive();
  }

  /** The client is gone: tracking off, its pending invalidations dropped. */
  clientGone(c: TrackedClient): void {
    if (c.tracking === null) return;
    this.disable(c);
    c.tracking.pending = [];
    if (this.current === c) this.current = null;
  }

  // ------------------------------------------------------------ commands

  /**
   * A request arrives (after lookup) from a client that has tracking state: CLIENT CACHING lasts
   * until a command other than a CLIENT one runs outside MULTI (resetClient's rule).
   * `clientCommand`: the request resolved to a CLIENT subcommand.
   */
  static commandStarts(
    t: ClientTracking,
    argv: Uint8Array[],
    inMulti: boolean,
    clientCommand: boolean,
  ): void {
    if (t.lastArgv === argv) return;
    t.lastArgv = argv;
    if (t.caching && !t.keepCaching && !inMulti) t.caching = false;
    t.keepCaching = clientCommand;
  }

  /**
   * processCommand, before the command runs: bound the table, then mark `c` as the running
   * client. Returns the client that was running before (restored by `afterCommand`).
   */
  beforeCommand(c: TrackedClient): TrackedClient | null {
    const outer = this.current;
    this.current = c;
    this.executing = false;
    if (this.clients !== 0) this.limitUsedSlots();
    this.executing = true;
    return outer;
  }

  /**
   * afterCommand: the command of `c` (the running client) is done; invalidations it caused for
   * itself follow its reply (trackingHandlePendingKeyInvalidations). `r` may still be running.
   */
  afterCommand(c: TrackedClient, outer: TrackedClient | null, r: void | Promise<void>): void {
    if (r instanceof Promise) {
      const done = () => this.finishCommand(c, outer);
      r.then(done, done);
      return;
    }
    this.finishCommand(c, outer);
  }

  private finishCommand(c: TrackedClient, outer: TrackedClient | null): void {
    const t = c.tracking;
    if (t !== null && t.pending.length !== 0) {
      const keys = t.pending;
      t.pending = [];
      for (const k of keys) this.send(c, k === null ? null : keysArray([k]));
    }
    if (this.current === c) {
      this.current = outer;
      this.executing = outer !== null;
    }
  }

  /** call(), after the handler: remember a read-only command's keys once it is done. */
  afterCall(
    executing: TrackedClient,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
    r: void | Promise<void>,
  ): void {
    if (!def.flags.includes("readonly")) return;
    if (r instanceof Promise) {
      r.then(() => this.readCommand(executing, def, fullname, argv), () => {});
    } else this.readCommand(executing, def, fullname, argv);
  }

  /**
   * A command of `executing` (the running client, or a script's client) ran: a
   * read-only command's keys are remembered for the client that issued it
   * (trackingRememberKeys), unless BCAST, or OPTIN without CACHING YES, or OPTOUT with CACHING NO.
   */
  readCommand(
    executing: TrackedClient,
    def: CommandDef,
    fullname: string,
    argv: Uint8Array[],
  ): void {
    if (!def.flags.includes("readonly") || SCRIPT_RO.has(fullname)) return;
    const caller = this.current ?? executing;
    const t = caller.tracking;
    if (t === null || !t.on || t.bcast) return;
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    const idx = this.host.keyIndices(def, argv);
    if (idx.length === 0) return;
    for (const i of idx) {
      const key = latin1(argv[i]);
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, ids = new Set());
      if (!ids.has(caller.id)) {
        ids.add(caller.id);
        this.totalItems++;
      }
    }
    this.updateActive();
  }

  // ------------------------------------------------------------ invalidation

  /** signalModifiedKey -> trackingInvalidateKey(c, key, bcast=1). */
  keyModified(key: string): void {
    this.invalidateKey(key, true);
  }

  /** trackingInvalidateKey: tell every client that read `key`, then forget it. */
  private invalidateKey(key: string, bcast: boolean): void {
    if (bcast && this.prefixTable.size !== 0) this.rememberKeyToBroadcast(key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    let value: Uint8Array | null = null;
    for (const id of ids) {
      const target = this.host.clients.get(id);
      const t = target?.tracking;
      if (target === undefined || t === null || t === undefined || !t.on || t.bcast) continue;
      // NOLOOP: not about keys the client changed itself.
      if (t.noloop && target === this.current) continue;
      if (target === this.current && this.executing) t.pending.push(key);
      else this.send(target, value ??= keysArray([key]));
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
    if (this.table.size === 0) this.updateActive();
  }

  /** trackingInvalidateKeysOnFlush: a null invalidation to every tracking client; table emptied. */
  flushed(): void {
    if (this.clients !== 0) {
      for (const c of this.host.clients.values()) {
        const t = c.tracking;
        if (t === null || !t.on) continue;
        if (c === this.current) t.pending.push(null);
        else this.send(c, null);
      }
    }
    this.table.clear();
    this.totalItems = 0;
    this.updateActive();
  }

  /**
   * sendTrackingMessage: `value` (the keys array, or null: a RESP null in the tracking client's
   * protocol) to `c` or to its redirect client. A redirect client that is gone: a
   * `tracking-redir-broken` push to `c` (RESP3) and the broken flag.
   */
  private send(c: TrackedClient, value: Uint8Array | null): void {
    const t = c.tracking!;
    const payload = value ?? (c.proto === 3 ? NULL_RESP3 : NULL_RESP2);
    let target = c;
    if (t.redirect !== 0) {
      const redir = this.host.clients.get(t.redirect);
      if (redir === undefined) {
        t.brokenRedirect = true;
        if (c.proto === 3) {
          c.deliver(enc(`>2\r\n$21\r\ntracking-redir-broken\r\n:${t.redirect}\r\n`));
        }
        return;
      }
      target = redir;
    }
    if (target.proto === 3) target.deliver(concat(PUSH_HEAD, payload));
    else if (target !== c && target.subscriptions !== null) {
      target.deliver(concat(MESSAGE_HEAD, payload));
    }
    // A RESP2 client without a redirect: nothing can be sent in its own connection.
  }

  // ------------------------------------------------------------ BCAST

  /** trackingRememberKeyToBroadcast: note the key (and who changed it) under each prefix. */
  private rememberKeyToBroadcast(key: string): void {
    // A script's writes are made by the script's client (signalModifiedKey's c), not its caller.
    const who = this.host.scriptRunning() ? null : this.current;
    let noted = false;
    for (const [prefix, bs] of this.prefixTable) {
      if (prefix.length > key.length) continue;
      if (prefix.length !== 0 && !key.startsWith(prefix)) continue;
      bs.keys.set(key, who);
      noted = true;
    }
    if (noted && !this.broadcastQueued) {
      this.broadcastQueued = true;
      // beforeSleep: once this turn's commands are done.
      queueMicrotask(() => this.broadcastInvalidations());
    }
  }

  /** trackingBroadcastInvalidationMessages: per prefix (in order), its keys to its clients. */
  broadcastInvalidations(): void {
    this.broadcastQueued = false;
    if (this.clients === 0) return;
    const prefixes = [...this.prefixTable.keys()].sort();
    for (const p of prefixes) {
      const bs = this.prefixTable.get(p)!;
      if (bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort();
      const proto = keysArray(keys);
      for (const c of bs.clients) {
        if (c.tracking?.noloop) {
          // NOLOOP: without the keys this client changed last.
          const own = keys.filter((k) => bs.keys.get(k) !== c);
          if (own.length !== 0) this.send(c, own.length === keys.length ? proto : keysArray(own));
        } else this.send(c, proto);
      }
      bs.keys = new Map();
    }
  }

  // ------------------------------------------------------------ table size

  /**
   * trackingLimitUsedSlots: over `tracking-table-max-keys`, evict keys (with invalidations) until
   * back under it, with an effort growing each time the limit could not be reached. Redis picks
   * keys by a random walk; here the oldest tracked keys go first.
   */
  limitUsedSlots(): void {
    const maxKeys = this.host.maxKeys();
    if (maxKeys === 0) return;
    if (this.table.size <= maxKeys) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidateKey(key, false);
      if (this.table.size <= maxKeys) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  /** serverCron: the limit also applies when idle (after a CONFIG SET). */
  cron(): void {
    if (this.clients !== 0) this.limitUsedSlots();
  }
}
