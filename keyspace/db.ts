/**
 * The keyspace: one database (of the node's `databases`; SELECT picks one) of keys to values
 * with expiry, a per-hash-slot key index (for
 * CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT, SCAN cursors and RANDOMKEY), WATCH invalidation and the
 * active expire cycle.
 *
 * Keys are binary strings (one char per byte, see protocol/bytes.ts). Values:
 *   string -> a binary string or Uint8Array (keyspace/string_value.ts),
 *   list -> Deque (elements packed as bytes in blocks, keyspace/deque.ts), hash -> Hash
 *   (keyspace/hash.ts), set -> MemberSet,
 *   zset -> ZSet, stream -> Stream.
 * Plain code, no actors: this is the data plane's hot path.
 */

import { Deque } from "./deque.ts";
import { ZSet } from "./zset.ts";
import { Hash } from "./hash.ts";
import { MemberSet } from "./member_set.ts";
import { Stream } from "./stream.ts";
import { CLUSTER_SLOTS, keyHashSlotBinary as slotOfKey } from "../protocol/slot.ts";
import type { KeyTracker } from "../server/tracking.ts";
import { KeyspaceNotifier } from "../pubsub/notify.ts";
import { NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from "../pubsub/notify_flags.ts";
import { NOTIFY_EVICTED } from "../pubsub/notify_flags.ts";
import {
  type AccessPolicy,
  defaultAccessPolicy,
  idleMs,
  lfuDecrAndReturn,
  LRU_CLOCK_RESOLUTION_MS,
  lruClock,
  newKeyLru,
  restoredLru,
  touchedLru,
} from "./lru.ts";
import { keyBytes, stringBytes, stringKeyBytes } from "./object_size.ts";
import { KeyTable } from "./key_table.ts";
import { SLAB_MAX_BYTES, unslab, valueSlab } from "./value_slab.ts";

/** Field (binary string) -> value, held as string values are (keyspace/string_value.ts). */
export type HashValue = Hash;
export type SetValue = MemberSet;
/** A list's elements are held as string values are (keyspace/string_value.ts). */
export type ListValue = Deque;
export type Value = string | Uint8Array | ListValue | HashValue | SetValue | ZSet | Stream;
/**
 * What the key table holds for a key: a value, or the handle of a small string value held in the
 * value slab (keyspace/value_slab.ts). Only the key space and the few readers of its table
 * (RDB, snapshots, DEBUG DIGEST) see handles: every lookup hands out the value (`unslab`).
 */
export type Stored = Value | number;

/** The key space's values that are numbers are slab handles: read ahead with their keys. */
function slabValued(t: KeyTable<Stored>): KeyTable<Stored> {
  t.peekHandle = peekSlab;
  return t;
}
const peekSlab = (handle: number): number => valueSlab.length(handle);

/** The length of a small string value, held as a binary string or in the slab. */
function smallLength(s: string | number): number {
  return typeof s === "number" ? valueSlab.length(s) : s.length;
}
export type TypeName = "string" | "list" | "hash" | "set" | "zset" | "stream";

export function typeName(v: Value): TypeName {
  if (typeof v === "string" || v instanceof Uint8Array) return "string";
  if (v instanceof Deque) return "list";
  if (v instanceof Hash) return "hash";
  if (v instanceof MemberSet) return "set";
  if (v instanceof Stream) return "stream";
  return "zset";
}

/**
 * A client blocked on keys (BLPOP & co). `serve(key)` is called when `key` may have data: it
 * tries to serve the client from it and returns true when the client is done (served, or
 * answered with an error), false when the key could not serve it (missing, wrong type, empty).
 */
export interface BlockedWaiter {
  keys: string[];
  serve(key: string): boolean;
  /** The blocked client (to cancel its wait when it disconnects). */
  owner?: unknown;
  /** Drop the wait without a reply. */
  cancel?(): void;
  /** Answer the client with `error` and drop the wait (a cluster redirect, CLIENT UNBLOCK). */
  abort?(error: string): void;
  /** Answer the client as its timeout would, and drop the wait (CLIENT UNBLOCK TIMEOUT). */
  timeOut?(): void;
  /** A read command of a READONLY client (a replica of the slot's owner may keep it waiting). */
  readonly readOnly?: boolean;
}

/**
 * Told before the keyspace changes (a snapshot being written: persistence/snapshot.ts). Values
 * mutated in place are announced by the dispatcher before the command runs.
 */
export interface ChangeObserver {
  /** `key` is about to be added, overwritten, deleted, renamed or given a new TTL. */
  beforeChange(key: string): void;
  /** Every key is about to go (FLUSHALL, FLUSHDB, a full sync). */
  beforeFlush(): void;
  /** The keys are about to move to another database (SWAPDB). */
  beforeSwap?(): void;
}

/**
 * The charge last added for a value object (strings' charges are recomputed), kept with the
 * value, so a value keeps its charge when SWAPDB or MOVE changes its database: a collection's in
 * its own `charge` field (-1: none yet), a bytes value's (Uint8Array) in `byteCharges`. One
 * WeakMap for all of them cost ~40 B a key of heap, and as much again in garbage as its table
 * regrew, which only a full collection frees (100,000 hashes, `deno task bench --mode memory`:
 * ~80 B a key right after the load, ~40 after MEMORY PURGE).
 */
const byteCharges = new WeakMap<Uint8Array, number>();

/** A collection value: its charge is a field of its own (`charge`, -1 when none). */
type Charged = Exclude<Value, string | Uint8Array>;

/** The charge last added for `v`, if any. */
function chargeFor(v: Exclude<Value, string>): number | undefined {
  if (v instanceof Uint8Array) return byteCharges.get(v);
  const c = (v as Charged).charge;
  return c < 0 ? undefined : c;
}

function setChargeFor(v: Exclude<Value, string>, c: number): void {
  if (v instanceof Uint8Array) byteCharges.set(v, c);
  else (v as Charged).charge = c;
}

/** The slot index of every Db without keys (shared; only ever holds `undefined`). */
const NO_KEY_SLOTS: (string[] | undefined)[] = new Array(CLUSTER_SLOTS);

/** Most keys waiting for their charge to be recomputed (see `Db.recharge`). */
const RECHARGE_MAX = 65_536;

/** Most clients that may wait on one key (a bound on the per-key FIFO). */
const MAX_WAITERS_PER_KEY = 1_000_000;

/** Someone watching keys (a client in WATCH). */
export interface Watcher {
  /** Set when a watched key changes; EXEC then aborts. */
  dirtyCas: boolean;
}

export interface DbStats {
  hits: number;
  misses: number;
  expiredKeys: number;
  /** Changes since the last save (Redis's `dirty`). */
  dirty: number;
}

/**
 * The time keys expire against (db.c keyIsExpired), shared by a node's databases: while a
 * script runs, the time it started (`scriptMs`: scriptTimeSnapshot); while a command runs
 * (`inCommand`: call()'s fixed_time_expire), the time the keyspace's clock was first read in it
 * (`commandMs`: server.mstime, cached for the top-level call, so EXEC's queued commands share
 * it); else the clock.
 */
export interface ExpiryClock {
  scriptMs: number | null;
  inCommand: boolean;
  commandMs: number | null;
}

export function newExpiryClock(): ExpiryClock {
  return { scriptMs: null, inCommand: false, commandMs: null };
}

/**
 * A command starts (call()'s fixed_time_expire++): true when this caller took the hold and must
 * `releaseExpiryTime` once the command returns; false when a command around it holds it already.
 */
export function holdExpiryTime(c: ExpiryClock): boolean {
  if (c.inCommand) return false;
  c.inCommand = true;
  return true;
}

/** The command that took the hold returned: the keyspace's clock answers fresh times again. */
export function releaseExpiryTime(c: ExpiryClock): void {
  c.inCommand = false;
  c.commandMs = null;
}

export class Db {
  /**
   * Keys to values, with each key's 24-bit LRU clock or LFU field (keyspace/lru.ts; Redis keeps
   * it in the robj): one lookup finds both (keyspace/key_table.ts says why not two Maps).
   * Swapped with another Db's by SWAPDB (`swapWith`).
   */
  dict = slabValued(new KeyTable<Stored>());
  /** Absolute expiry time in ms since the epoch, for keys that have one. */
  expires = new Map<string, number>();
  /**
   * Keys per hash slot (CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT, SCAN, RANDOMKEY, eviction), as
   * Redis 7.0 keeps a list of keys per slot (cluster.c slotToKeyAddEntry): each slot's keys in
   * an array, each key's place in it kept beside the key in `dict` (KeyTable `posAt`), so a key
   * is added by a push and removed by moving the slot's last key into its place. A `Set` per
   * slot cost ~0.7 us a new key (a string hash and a table that grows, more than the key table's
   * own insert) and ~40 B a key at 1,000,000 keys. A Db that never held a key shares
   * NO_KEY_SLOTS (16,384 entries, 128 KiB; 15 of a node's 16 Dbs are empty) and gets its own
   * array at its first key (`indexKey`).
   */
  private slots: (string[] | undefined)[] = NO_KEY_SLOTS;
  /** How keys' access clocks are updated (shared by a node's databases; server keeps it). */
  access: AccessPolicy = defaultAccessPolicy();
  /** Sum of the charges of this database's keys (keyspace/object_size.ts keyBytes). */
  private chargedBytes = 0;
  /**
   * Keys whose value changed in place since its charge was last computed (`signalModified`):
   * recomputed when the sum is read (`usedBytes`), at the cron, or past RECHARGE_MAX keys. A hot
   * collection changed by every command is recharged once per read, not once per change (a
   * ZADD's five-element sample cost more than the ZADD). Each key once: its slot in `dict` is
   * marked while it waits (a Set here cost a string-table probe per write: key_table.ts).
   */
  private recharge: string[] = [];
  private evictCursor: Iterator<[string, number]> | null = null;
  /** server.lruclock, kept by the server's cron (-1: no cron, see `lruClockNow`). */
  cronLruClock = -1;
  /** The second `lruSecondClock` is the LRU clock of (see `lruClockNow`). */
  private lruSecondMs = -Infinity;
  private lruSecondClock = 0;
  private readonly watched = new Map<string, Set<Watcher>>();
  /** Server-wide counters (one object shared by every database of a node, as Redis's server.*). */
  readonly stats: DbStats;
  /** Called for every key deleted by expiry (replication propagates it as DEL). */
  onExpire: ((key: string) => void) | null = null;
  /** When false (a replica), keys are not deleted on access, only reported missing. */
  expireOnAccess = true;
  /**
   * True while a replica applies its master's stream: no key counts as expired (Redis's
   * expireIfNeeded returns 0 for the master client), so the master's DEL of an expired key works.
   */
  applyingMasterStream = false;
  private expireCursor: Iterator<[string, number]> | null = null;
  /** Told before each change while a snapshot is written (null otherwise: one test per change). */
  observer: ChangeObserver | null = null;
  /** Client-side caching, while any client tracks keys (server/tracking.ts; null otherwise). */
  tracker: KeyTracker | null = null;
  /** Clients blocked on each key (BLPOP & co), first blocked first. */
  readonly blockingKeys = new Map<string, BlockedWaiter[]>();
  /** Keys that may have data for a blocked client; served by `handleReadyKeys`. */
  readonly readyKeys = new Set<string>();
  private readyScheduled = false;
  /** Every blocked client (INFO `blocked_clients`). */
  readonly blockedWaiters = new Set<BlockedWaiter>();
  /** Keyspace notifications (the server connects it to its PubSub and config). */
  readonly notifier: KeyspaceNotifier;
  /**
   * Databases with ready keys (shared by a node's databases, so the dispatcher tests one set
   * after each command instead of every database).
   */
  readonly readyDbs: Set<Db>;

  /**
   * The keyspace's clock (ms since the epoch): while a command runs, the time of its first read
   * (Redis's server.mstime, cached for the call: `expiryClock`), so that a command, EXEC's
   * queued commands included, sees one time; the clock itself between commands.
   */
  now: () => number;

  /**
   * `id` is the database index (SELECT); databases of one node share `stats`, `readyDbs`
   * and `expiryClock` (server/server.ts builds them).
   */
  constructor(
    clock: () => number = Date.now,
    readonly id = 0,
    stats?: DbStats,
    readyDbs?: Set<Db>,
    /** Shared by a node's databases, as Redis's server.mstime is. */
    readonly expiryClock: ExpiryClock = newExpiryClock(),
  ) {
    this.stats = stats ?? { hits: 0, misses: 0, expiredKeys: 0, dirty: 0 };
    this.readyDbs = readyDbs ?? new Set();
    const c = expiryClock;
    this.now = () => {
      if (c.commandMs !== null) return c.commandMs;
      const t = clock();
      if (c.inCommand) c.commandMs = t;
      return t;
    };
    this.notifier = new KeyspaceNotifier(id);
  }

  /** While a script runs, clients blocked on keys it pushed to wait for its end. */
  holdReadyKeys = false;

  get size(): number {
    return this.dict.size;
  }

  /** Is the key logically expired at time `now` (keyIsExpired: past its time, `now > when`)? */
  private isExpired(key: string, now: number): boolean {
    const when = this.expires.get(key);
    return when !== undefined && when < now;
  }

  /**
   * The time keys expire against now (keyIsExpired): a script's start while one runs, else
   * `now()` (one time for a whole command).
   */
  private expiryNow(): number {
    return this.expiryClock.scriptMs ?? this.now();
  }

  /** Delete the key if it is expired; true if it was. */
  expireIfNeeded(key: string): boolean {
    if (this.expires.size === 0 || this.applyingMasterStream) return false;
    if (!this.isExpired(key, this.expiryNow())) return false;
    if (!this.expireOnAccess) return true;
    this.deleteExpired(key);
    return true;
  }

  /** db.c deleteExpiredKeyAndPropagate. */
  private deleteExpired(key: string): void {
    this.removeKey(key);
    this.notifier.notifyKeyspaceEvent(NOTIFY_EXPIRED, "expired", key);
    this.stats.expiredKeys++;
    this.keyChanged(key);
    this.onExpire?.(key);
  }

  /**
   * The value of a key that exists and is not expired (no hit/miss accounting). An access for
   * the LRU/LFU clock unless `touch` is false (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, the TTL
   * family, OBJECT, MEMORY USAGE).
   */
  lookup(key: string, touch = true): Value | undefined {
    const s = this.lookupStored(key, touch);
    return unslab(s);
  }

  /**
   * `lookup`, handing out what the table holds: a small string value may be a slab handle
   * (keyspace/value_slab.ts), valid until the key's value next changes. For GET, which copies
   * the bytes into its reply at once.
   */
  lookupStored(key: string, touch = true): Stored | undefined {
    if (this.expireIfNeeded(key)) return undefined;
    const dict = this.dict;
    const i = dict.find(key);
    if (i < 0) return undefined;
    if (touch) this.touchAt(i);
    return dict.valueAt(i);
  }

  /**
   * `lookupStored` answering the key's slot in the table (-1: missing or expired), for a command
   * that reads a small string value and then replaces it (INCR): `storedAt` reads it and
   * `overwriteSmallAt` replaces it without a second lookup. The slot is valid until the next
   * change to the key space.
   */
  lookupSlot(key: string): number {
    if (this.expireIfNeeded(key)) return -1;
    const i = this.dict.find(key);
    if (i >= 0) this.touchAt(i);
    return i;
  }

  /** What the table holds in slot `i` (from `lookupSlot`): a value or a slab handle. */
  storedAt(i: number): Stored {
    return this.dict.valueAt(i);
  }

  /**
   * `set(key, value, true, false)` for the key in slot `i` (from `lookupSlot`, no change since),
   * which holds a small string value (a binary string or a slab handle), given another: the TTL
   * and the access field stay, the old slab record is freed (dbOverwrite, as incrDecrCommand
   * uses it).
   */
  overwriteSmallAt(i: number, key: string, value: string | number): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    const dict = this.dict;
    const old = dict.valueAt(i) as string | number;
    dict.setValueAt(i, value);
    this.smallReplaced(old, value);
    this.keyChanged(key);
    if (this.blockingKeys.size !== 0) this.signalKeyAsReady(key);
  }

  /**
   * A key's value as the table holds it now, expired or not, with no access recorded (DEBUG
   * DIGEST-VALUE, DEBUG OBJECT: Redis reads the dict directly there).
   */
  peek(key: string): Value | undefined {
    const s = this.dict.get(key);
    return s === undefined ? undefined : unslab(s);
  }

  /** lookupKey's updateLFU / LRU_CLOCK(): the key was accessed now. */
  touch(key: string): void {
    const i = this.dict.find(key);
    if (i >= 0) this.touchAt(i);
  }

  /** `touch` for the key in slot `i` of `dict`. */
  private touchAt(i: number): void {
    const dict = this.dict;
    const p = this.access;
    if (p.lfu) dict.setFieldAt(i, touchedLru(dict.fieldAt(i), p, this.now()));
    else dict.setFieldAt(i, this.lruClockNow());
  }

  /** A key's 24-bit LRU clock or LFU field (keyspace/lru.ts), or undefined when missing. */
  accessField(key: string): number | undefined {
    return this.dict.fieldOf(key);
  }

  /**
   * rdbSaveKeyValuePair's RDB_OPCODE_IDLE: the key's idle seconds under an LRU maxmemory policy,
   * else -1 (nothing written).
   */
  rdbIdleSec(key: string): number {
    if (!this.access.lru) return -1;
    const f = this.accessField(key);
    return f === undefined ? -1 : Math.floor(idleMs(f, this.now()) / 1000);
  }

  /** RDB_OPCODE_FREQ: the key's decayed LFU counter under an LFU policy, else -1. */
  rdbFreq(key: string): number {
    if (!this.access.lfu) return -1;
    const f = this.accessField(key);
    return f === undefined ? -1 : lfuDecrAndReturn(f, this.now(), this.access.lfuDecayTimeMin);
  }

  /** Set a key's LRU/LFU field (RESTORE IDLETIME/FREQ). */
  setAccessField(key: string, lru: number): void {
    const i = this.dict.find(key);
    if (i >= 0) this.dict.setFieldAt(i, lru);
  }

  /** As `lookup`, counting keyspace hits and misses (for read commands). */
  lookupRead(key: string, touch = true): Value | undefined {
    const s = this.lookupReadStored(key, touch);
    return unslab(s);
  }

  /** As `lookupStored`, counting keyspace hits and misses (GET). */
  lookupReadStored(key: string, touch = true): Stored | undefined {
    const v = this.lookupStored(key, touch);
    if (v === undefined) {
      this.notifier.notifyKeyspaceEvent(NOTIFY_KEY_MISS, "keymiss", key);
      this.stats.misses++;
    } else this.stats.hits++;
    return v;
  }

  exists(key: string): boolean {
    return this.lookupStored(key) !== undefined;
  }

  /**
   * Set a key's value (overwrites whatever was there). The TTL is cleared unless `keepTtl`.
   * As setKey, the key is looked up first: an expired one goes (and is reported) before the
   * new value is added (dbAdd: a `new` event). `touch` false: the caller already looked the key
   * up in this command (setKey's SETKEY_ALREADY_EXIST, dbOverwrite after a lookupKeyWrite), so
   * its LFU counter rises once per command as in Redis.
   */
  set(key: string, value: Stored, keepTtl = false, touch = true): void {
    if (this.expires.size !== 0 && this.expires.has(key)) this.expireIfNeeded(key);
    if (this.observer !== null) this.observer.beforeChange(key);
    const dict = this.dict;
    const h = dict.hash(key); // once: a new key's insert reuses it
    const i = dict.findHashed(key, h);
    const created = i < 0;
    let old: Stored | undefined;
    if (created) {
      dict.setPosAt(dict.insertHashed(key, h, value, this.newKeyField()), this.indexKey(key));
    } else {
      old = dict.valueAt(i);
      // setKey's lookupKeyWrite, then dbOverwrite (LFU keeps the old field, LRU a new one).
      if (touch) this.touchAt(i);
      dict.setValueAt(i, value);
    }
    if (
      (typeof old === "string" || typeof old === "number") &&
      (typeof value === "string" || typeof value === "number")
    ) {
      // SET's and MSET's common case.
      this.smallReplaced(old, value);
    } else {
      if (old !== undefined) {
        this.chargedBytes -= this.chargeOf(key, old);
        if (typeof old === "number") valueSlab.free(old);
      }
      this.account(key, value);
    }
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    // dbAdd's event comes before setKey's signalModifiedKey.
    if (created) this.notifier.notifyKeyspaceEvent(NOTIFY_NEW, "new", key);
    this.keyChanged(key);
    if (this.blockingKeys.size !== 0) this.signalKeyAsReady(key);
  }

  /**
   * One small string value replaced by another under the same key: only the value's part of the
   * charge changes (keyspace/object_size.ts keyBytes), and the old one's slab record goes back.
   */
  private smallReplaced(old: string | number, value: string | number): void {
    this.chargedBytes += stringBytes(smallLength(value)) - stringBytes(smallLength(old));
    if (typeof old === "number") valueSlab.free(old);
  }

  /** Add a key that does not exist (caller checked): dbAdd, with its `new` event. */
  add(key: string, value: Stored): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    this.dict.setPosAt(this.dict.insert(key, value, this.newKeyField()), this.indexKey(key));
    this.account(key, value);
    this.notifier.notifyKeyspaceEvent(NOTIFY_NEW, "new", key);
    this.keyChanged(key);
    if (this.blockingKeys.size !== 0) this.signalKeyAsReady(key);
  }

  /**
   * Add a key that does not exist without a keyspace event (dbAddRDBLoad: RDB loads), with the
   * file's IDLE seconds / FREQ counter when it had them (rdbLoad's objectSetLRUOrLFU; -1: none).
   * A small string value goes into the value slab, as SET stores it: a node restarted from its
   * RDB file holds its keys as it held them before.
   */
  addLoaded(key: string, loaded: Value, idleSec = -1, freq = -1): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    const value = typeof loaded === "string" && loaded.length <= SLAB_MAX_BYTES
      ? valueSlab.putBinaryString(loaded)
      : loaded;
    const now = this.now();
    const i = this.dict.insert(
      key,
      value,
      restoredLru(this.access, now, freq, idleSec) ?? newKeyLru(this.access, now),
    );
    this.dict.setPosAt(i, this.indexKey(key));
    this.account(key, value);
    this.keyChanged(key);
    if (this.blockingKeys.size !== 0) this.signalKeyAsReady(key);
  }

  /**
   * Replace the value of a key that exists, silently (db.c dbOverwrite as dbUnshareStringValue
   * uses it): no event, no dirty, no WATCH or tracking signal; the caller signals if it must.
   */
  overwrite(key: string, value: Value): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    const old = this.dict.get(key);
    if (old !== undefined) {
      this.chargedBytes -= this.chargeOf(key, old);
      if (typeof old === "number") valueSlab.free(old);
    }
    this.dict.set(key, value);
    this.account(key, value);
  }

  /** Sum of the charges of this database's keys (keyspace/object_size.ts keyBytes). */
  get usedBytes(): number {
    if (this.recharge.length !== 0) this.settleCharges();
    return this.chargedBytes;
  }

  /** Recompute the charges of the values changed in place since (O(samples) each). */
  settleCharges(): void {
    // Called by every cron tick for every database: an idle node allocates nothing here.
    if (this.recharge.length === 0) return;
    const dict = this.dict;
    for (const key of this.recharge) {
      const i = dict.find(key);
      // Gone, or listed twice (deleted and added again, then changed): charged once.
      if (i < 0 || !dict.unmarkAt(i)) continue;
      const v = dict.valueAt(i);
      if (typeof v === "string" || typeof v === "number") continue;
      const old = chargeFor(v);
      if (old === undefined) continue;
      const c = keyBytes(key, v);
      this.chargedBytes += c - old;
      setChargeFor(v, c);
    }
    this.recharge = [];
  }

  /** The charge last added for `key` holding `v` (a slab value: as its binary string). */
  private chargeOf(key: string, v: Stored): number {
    if (typeof v === "number" || typeof v === "string") return stringKeyBytes(key, smallLength(v));
    return chargeFor(v) ?? keyBytes(key, v);
  }

  /** Add the charge of `key` now holding `v`. */
  private account(key: string, v: Stored): void {
    if (typeof v === "number" || typeof v === "string") {
      this.chargedBytes += stringKeyBytes(key, smallLength(v));
      return;
    }
    const c = keyBytes(key, v);
    setChargeFor(v, c);
    this.chargedBytes += c;
  }

  /** Delete a key; true if it existed (and was not expired). */
  delete(key: string): boolean {
    if (this.lookupStored(key) === undefined) return false;
    this.removeKey(key);
    this.keyChanged(key);
    return true;
  }

  /**
   * Delete a key without looking it up first (db.c dbDelete on a key the command never read: a
   * STORE's empty destination, RESTORE REPLACE): an expired key goes silently and counts as
   * deleted. True if the key was there.
   */
  deleteEvenIfExpired(key: string): boolean {
    if (!this.dict.has(key)) return false;
    this.removeKey(key);
    this.keyChanged(key);
    return true;
  }

  /** Mutated in place: bump WATCH versions and the dirty counter. */
  signalModified(key: string): void {
    // A value changed in place: its charge is recomputed later (see `recharge`).
    const i = this.dict.find(key);
    if (i >= 0 && this.dict.markAt(i)) {
      this.recharge.push(key);
      if (this.recharge.length > RECHARGE_MAX) this.settleCharges();
    }
    this.keyChanged(key);
  }

  /**
   * signalModifiedKey for a change the keyspace made itself (a key set, added, deleted, renamed
   * or given a TTL: its charge is already right): the dirty counter, WATCH and tracking.
   */
  private keyChanged(key: string): void {
    this.stats.dirty++;
    if (this.watched.size !== 0) {
      const ws = this.watched.get(key);
      if (ws) { for (const w of ws) w.dirtyCas = true; }
    }
    // signalModifiedKey's trackingInvalidateKey.
    if (this.tracker !== null) this.tracker.keyModified(key);
  }

  /**
   * LRU_CLOCK(): the server's cron sets `cronLruClock` hz times a second (Redis's
   * server.lruclock, read instead of the time when the cron is fine-grained enough for the
   * clock's one-second resolution), so an access reads no clock. Without a cron (a Db on its
   * own), the clock of keyspace/lru.ts, recomputed when the second changes.
   */
  private lruClockNow(): number {
    if (this.cronLruClock >= 0) return this.cronLruClock;
    const now = this.now();
    if (now < this.lruSecondMs || now >= this.lruSecondMs + LRU_CLOCK_RESOLUTION_MS) {
      this.lruSecondMs = now - (now % LRU_CLOCK_RESOLUTION_MS);
      this.lruSecondClock = lruClock(now);
    }
    return this.lruSecondClock;
  }

  /** A new key's LRU/LFU field (createObject's LRU_CLOCK(), or LFU_INIT_VAL's). */
  private newKeyField(): number {
    return this.access.lfu ? newKeyLru(this.access, this.now()) : this.lruClockNow();
  }

  /**
   * Add a new key (the string `dict` holds) to its slot's key list: its place there, which the
   * caller keeps beside the key in `dict` (`setPosAt`).
   */
  private indexKey(key: string): number {
    const slot = slotOfKey(key);
    let s = this.slots[slot];
    if (s === undefined) {
      if (this.slots === NO_KEY_SLOTS) this.slots = new Array(CLUSTER_SLOTS);
      this.slots[slot] = s = [];
    }
    s.push(key);
    return s.length - 1;
  }

  /** Remove a key; its slab record is freed unless `freeValue` is false (RENAME moved it). */
  private removeKey(key: string, freeValue = true): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    const dict = this.dict;
    const i = dict.find(key);
    if (i < 0) return;
    const v = dict.valueAt(i);
    const pos = dict.posAt(i);
    const stored = dict.keyAt(i);
    this.chargedBytes -= this.chargeOf(key, v);
    dict.deleteAt(i);
    if (typeof v === "number" && freeValue) valueSlab.free(v);
    if (this.expires.size !== 0) this.expires.delete(key);
    const slot = slotOfKey(key);
    const s = this.slots[slot];
    if (s !== undefined && s[pos] === stored) {
      // The slot's last key takes the removed key's place (slotToKeyDelEntry unlinks in O(1)).
      const last = s.pop()!;
      if (pos < s.length) {
        s[pos] = last;
        dict.setPosAt(dict.find(last), pos);
      }
      if (s.length === 0) this.slots[slot] = undefined;
    }
    // dbGenericDelete: clients blocked in XREADGROUP on a deleted stream are answered.
    if (this.blockingKeys.size !== 0 && v instanceof Stream) this.signalKeyAsReady(key);
  }

  /**
   * Set an absolute expiry (ms). A time in the past deletes the key (expire.c
   * checkAlreadyExpired, not on a replica). Key must exist. False when the key was deleted.
   */
  setExpire(key: string, whenMs: number): boolean {
    if (this.observer !== null) this.observer.beforeChange(key);
    if (whenMs <= this.now() && this.expireOnAccess) {
      this.removeKey(key);
      this.keyChanged(key);
      return false;
    }
    this.expires.set(key, whenMs);
    this.keyChanged(key);
    return true;
  }

  /**
   * Set an absolute expiry (ms) even when it has passed (db.c setExpire, as SET PXAT and COPY
   * use it): the key then expires on its next access or by the active cycle. Key must exist.
   */
  setExpireUnchecked(key: string, whenMs: number): void {
    if (this.observer !== null) this.observer.beforeChange(key);
    this.expires.set(key, whenMs);
    this.keyChanged(key);
  }

  /** Remove the TTL; true if there was one. */
  persist(key: string): boolean {
    if (this.observer !== null) this.observer.beforeChange(key);
    if (!this.expires.delete(key)) return false;
    this.keyChanged(key);
    return true;
  }

  /** Absolute expiry in ms, or -1 when the key has none. Key must exist. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  /** Rename: moves value and TTL. Caller has checked src exists. */
  rename(src: string, dst: string): void {
    if (this.observer !== null) {
      this.observer.beforeChange(src);
      this.observer.beforeChange(dst);
    }
    // renameGenericCommand: dbDelete(dst), dbAdd(dst) (so dst is always `new`), the TTL,
    // dbDelete(src), then signalModifiedKey for src and dst.
    const v = this.dict.get(src)!;
    const ttl = this.expires.get(src);
    const field = this.accessField(src) ?? this.newKeyField();
    if (this.dict.has(dst)) this.removeKey(dst);
    // The same object moves: it keeps its LRU/LFU field.
    this.dict.setPosAt(this.dict.insert(dst, v, field), this.indexKey(dst));
    this.notifier.notifyKeyspaceEvent(NOTIFY_NEW, "new", dst);
    if (ttl !== undefined) this.expires.set(dst, ttl);
    this.removeKey(src, false);
    this.account(dst, v);
    this.keyChanged(src);
    this.keyChanged(dst);
    if (this.blockingKeys.size !== 0) this.signalKeyAsReady(dst);
  }

  /**
   * Remove all keys; returns how many there were. `invalidateTracking` false: the caller sends
   * the flush invalidation once for several databases (FLUSHALL's signalFlushedDb(-1)).
   */
  flush(invalidateTracking = true): number {
    if (this.observer !== null) this.observer.beforeFlush();
    // signalFlushedDb's trackingInvalidateKeysOnFlush.
    if (this.tracker !== null && invalidateTracking) this.tracker.flushed();
    const n = this.dict.size;
    for (const [key, ws] of this.watched) {
      if (this.dict.has(key)) { for (const w of ws) w.dirtyCas = true; }
    }
    // Streams clients wait on in XREADGROUP (emptyDbStructure's scanDatabaseForDeletedStreams).
    const streams: string[] = [];
    for (const k of this.blockingKeys.keys()) {
      if (this.dict.get(k) instanceof Stream) streams.push(k);
    }
    for (const v of this.dict.values()) if (typeof v === "number") valueSlab.free(v);
    this.dict.clear();
    this.expires.clear();
    this.slots.fill(undefined);
    this.expireCursor = null;
    this.evictCursor = null;
    this.chargedBytes = 0;
    this.recharge = [];
    this.stats.dirty += n;
    for (const k of streams) this.signalKeyAsReady(k);
    return n;
  }

  /**
   * SWAPDB (db.c dbSwapDatabases): exchange keys, TTLs and the expire cursor with `other`;
   * watchers, blocked clients and ready keys stay with their database. Clients watching a key
   * that exists in either database before the swap get their transaction failed
   * (touchAllWatchedKeysInDb), and keys blocked clients wait on are checked again
   * (scanDatabaseForReadyKeys).
   */
  swapWith(other: Db): void {
    if (other === this) return;
    this.observer?.beforeSwap?.();
    other.observer?.beforeSwap?.();
    this.touchWatchedBeforeSwap(other);
    other.touchWatchedBeforeSwap(this);
    // Each database's pending charges are its own keys': settled before the keys move.
    this.settleCharges();
    other.settleCharges();
    const dict = this.dict;
    const expires = this.expires;
    const slots = this.slots;
    this.dict = other.dict;
    this.expires = other.expires;
    this.slots = other.slots;
    other.dict = dict;
    other.expires = expires;
    other.slots = slots;
    const chargedBytes = this.chargedBytes;
    this.chargedBytes = other.chargedBytes;
    other.chargedBytes = chargedBytes;
    this.evictCursor = null;
    other.evictCursor = null;
    this.expireCursor = null;
    other.expireCursor = null;
    this.scanForReadyKeys();
    other.scanForReadyKeys();
  }

  private touchWatchedBeforeSwap(replacedWith: Db): void {
    for (const [key, ws] of this.watched) {
      if (this.dict.has(key) || replacedWith.dict.has(key)) {
        for (const w of ws) w.dirtyCas = true;
      }
    }
  }

  /** scanDatabaseForReadyKeys: every key a client waits on that holds a value now. */
  private scanForReadyKeys(): void {
    for (const key of this.blockingKeys.keys()) {
      if (this.dict.has(key)) this.signalKeyAsReady(key);
    }
  }

  countKeysInSlot(slot: number): number {
    return this.slots[slot]?.length ?? 0;
  }

  getKeysInSlot(slot: number, count: number): string[] {
    const s = this.slots[slot];
    if (!s) return [];
    return s.slice(0, Math.max(0, count));
  }

  /** Delete every key in a slot (CLUSTER FLUSHSLOTS-like cleanup). Returns the count. */
  deleteSlot(slot: number): number {
    const s = this.slots[slot];
    if (!s) return 0;
    const keys = s.slice();
    for (const k of keys) {
      this.removeKey(k);
      this.keyChanged(k);
    }
    return keys.length;
  }

  /**
   * SCAN over the slot index: the cursor is the next slot to visit; whole slots are returned, so
   * every key present for the whole scan is returned at least once. Returns next cursor (0 = done).
   * `visit` must not change the keyspace (SCAN collects, then filters).
   */
  scan(cursor: number, count: number, visit: (key: string) => void): number {
    let slot = cursor;
    let seen = 0;
    while (slot < CLUSTER_SLOTS) {
      const s = this.slots[slot];
      slot++;
      if (s) {
        for (let j = 0; j < s.length; j++) {
          visit(s[j]);
          seen++;
        }
        if (seen >= count) break;
      }
    }
    return slot >= CLUSTER_SLOTS ? 0 : slot;
  }

  /** A random live key, or undefined when empty. */
  randomKey(random: () => number = Math.random): string | undefined {
    for (let tries = 0; tries < 100 && this.dict.size > 0; tries++) {
      const start = Math.floor(random() * CLUSTER_SLOTS);
      for (let i = 0; i < CLUSTER_SLOTS; i++) {
        const s = this.slots[(start + i) % CLUSTER_SLOTS];
        if (!s) continue;
        const k = s[Math.floor(random() * s.length)];
        if (this.expireIfNeeded(k)) break;
        return k;
      }
    }
    return undefined;
  }

  watch(key: string, w: Watcher): void {
    let s = this.watched.get(key);
    if (!s) this.watched.set(key, s = new Set());
    s.add(w);
  }

  unwatch(key: string, w: Watcher): void {
    const s = this.watched.get(key);
    if (!s) return;
    s.delete(w);
    if (s.size === 0) this.watched.delete(key);
  }

  /**
   * Active expiry: sweep keys with a TTL incrementally, deleting expired ones, until `budgetMs`
   * is spent or fewer than 25% of a batch were expired. Returns how many keys were deleted.
   */
  activeExpireCycle(
    budgetMs: number,
    clock: () => number = performance.now.bind(performance),
  ): number {
    if (this.expires.size === 0 || !this.expireOnAccess) return 0;
    const start = clock();
    const now = this.now();
    let deleted = 0;
    for (;;) {
      let checked = 0;
      let expired = 0;
      while (checked < 20) {
        if (this.expireCursor === null) this.expireCursor = this.expires.entries();
        const r = this.expireCursor.next();
        if (r.done) {
          this.expireCursor = null;
          break;
        }
        checked++;
        const [key, when] = r.value;
        if (when < now) {
          this.deleteExpired(key);
          expired++;
        }
      }
      deleted += expired;
      if (checked === 0 || expired * 4 < checked || clock() - start >= budgetMs) break;
    }
    return deleted;
  }

  /** Block a client on its keys (appended to each key's FIFO). */
  blockOnKeys(w: BlockedWaiter): void {
    this.blockedWaiters.add(w);
    for (const key of w.keys) {
      let q = this.blockingKeys.get(key);
      if (q === undefined) this.blockingKeys.set(key, q = []);
      if (q.length >= MAX_WAITERS_PER_KEY) throw new Error("too many clients blocked on one key");
      if (!q.includes(w)) q.push(w);
    }
  }

  /** Forget a blocked client (served, timed out or gone). */
  unblock(w: BlockedWaiter): void {
    this.blockedWaiters.delete(w);
    for (const key of w.keys) {
      const q = this.blockingKeys.get(key);
      if (q === undefined) continue;
      const i = q.indexOf(w);
      if (i !== -1) q.splice(i, 1);
      if (q.length === 0) this.blockingKeys.delete(key);
    }
  }

  /**
   * A key got a value someone may be blocked on (Redis's signalKeyAsReady). The dispatcher
   * serves ready keys right after the current command (`handleReadyKeys`); a microtask does it
   * for changes made outside a dispatched command.
   */
  signalKeyAsReady(key: string): void {
    // No client blocked: no Map probe (it would internalize the key's string: key_table.ts).
    if (this.blockingKeys.size === 0 || !this.blockingKeys.has(key)) return;
    this.readyKeys.add(key);
    this.readyDbs.add(this);
    if (!this.readyScheduled) {
      this.readyScheduled = true;
      queueMicrotask(() => this.handleReadyKeys());
    }
  }

  /**
   * Serve clients blocked on ready keys, in the order they blocked: each gets its turn (a list
   * waiter fails once the list is empty; a stream reader waiting past the stream's last ID waits
   * on while later ones may be served). Serving may make other keys ready (BLMOVE pushes): loop
   * until none is left.
   */
  handleReadyKeys(): void {
    this.readyScheduled = false;
    // A script is running (it yielded): its pushes are served when it ends, as in Redis.
    if (this.holdReadyKeys) return;
    this.readyDbs.delete(this);
    while (this.readyKeys.size !== 0) {
      const keys = [...this.readyKeys];
      this.readyKeys.clear();
      for (const key of keys) {
        const q = this.blockingKeys.get(key);
        if (q === undefined) continue;
        let i = 0;
        while (i < q.length) {
          const w = q[i];
          // A served waiter leaves the queue: the next one moves to index i.
          if (w.serve(key)) this.unblock(w);
          else i++;
        }
      }
    }
  }

  /** Cancel the waits of a client that went away. */
  cancelBlocked(owner: unknown): void {
    for (const w of [...this.blockedWaiters]) {
      if (w.owner === owner) {
        this.unblock(w);
        w.cancel?.();
      }
    }
  }

  /**
   * Eviction's sample of every key (dictGetSomeKeys): up to `count` keys and their LRU/LFU
   * fields, consecutive in the index of a random slot from a random position, then the next
   * slots'. Visits at most 16,384 slot heads and `count` plus one slot's keys.
   */
  sampleKeys(count: number, random: () => number, keys: string[], fields: number[]): void {
    if (this.dict.size === 0) return;
    let slot = Math.floor(random() * CLUSTER_SLOTS);
    for (
      let i = 0;
      i < CLUSTER_SLOTS && keys.length < count;
      i++, slot = (slot + 1) % CLUSTER_SLOTS
    ) {
      const s = this.slots[slot];
      if (s === undefined) continue;
      for (let j = keys.length === 0 ? Math.floor(random() * s.length) : 0; j < s.length; j++) {
        const k = s[j];
        keys.push(k);
        fields.push(this.dict.fieldOf(k) ?? 0);
        if (keys.length >= count) break;
      }
    }
  }

  /**
   * Eviction's sample of the keys with a TTL: up to `count` keys and their expiry times, read
   * from a cursor over the expires table that resumes where the last sample stopped (after a
   * random skip of up to 16 entries).
   */
  sampleVolatile(count: number, random: () => number, keys: string[], whens: number[]): void {
    const n = Math.min(count, this.expires.size);
    let skip = Math.floor(random() * Math.min(16, this.expires.size));
    for (let wrapped = 0; keys.length < n && wrapped < 2;) {
      if (this.evictCursor === null) this.evictCursor = this.expires.entries();
      const r = this.evictCursor.next();
      if (r.done) {
        this.evictCursor = null;
        wrapped++;
        continue;
      }
      if (skip > 0) {
        skip--;
        continue;
      }
      keys.push(r.value[0]);
      whens.push(r.value[1]);
    }
  }

  /** Delete a key chosen by eviction (performEvictions: the delete, WATCH/tracking, `evicted`). */
  evictKey(key: string): void {
    this.removeKey(key);
    this.keyChanged(key);
    this.notifier.notifyKeyspaceEvent(NOTIFY_EVICTED, "evicted", key);
  }

  /** Keys that have a TTL (for INFO keyspace `expires=`). */
  get expiresCount(): number {
    return this.expires.size;
  }
}
