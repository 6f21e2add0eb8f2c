/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
 * AUTH2 username password] [KEYS key [key ...]] — Redis 7.0 cluster.c migrateCommand.
 *
 * Wire behaviour (what the target sees), as in Redis: one cached connection per "host:port"
 * (server/node_client.ts: at most 64, closed after 10 s idle), AUTH/AUTH2 each time a password is
 * given, SELECT only when the cached connection's db differs (always on a new connection), then
 * pipelined `RESTORE key ttl payload [REPLACE]` per key — `RESTORE-ASKING` when this node is in
 * cluster mode — with the DUMP payload of commands/dump.ts's codec (protocol/rdb_dump.ts), so a
 * real Redis target accepts it and a real Redis source can MIGRATE into us. Replies: `+OK` (keys
 * acknowledged by the target are deleted here unless COPY), `+NOKEY` when no key exists, the first
 * target error as "ERR Target instance replied with error: <text>", and Redis's IOERR texts:
 *   - "IOERR error or timeout connecting to the client": the address cannot be resolved;
 *   - "IOERR error or timeout writing to target instance": refused/timed-out connect or a failed
 *     write (Redis 7.0's blocking connect reports a refused connection at the first write);
 *   - "IOERR error or timeout reading to target instance": no or broken reply.
 * A socket error that is not a timeout, before any reply was read, is retried once on a fresh
 * connection (a cached connection the target closed is the common case), as Redis does.
 *
 * Large values: each key travels as one whole DUMP payload inside its RESTORE command (no
 * chunking of a single value), so a value is bounded by the target's proto-max-bulk-len (512 MB
 * by default) like in Redis. Serializing it is synchronous CPU work, but writing it (64 KiB per
 * write, each within the timeout) and waiting for the replies are asynchronous: unlike Redis,
 * which blocks the whole server for the round trip, this node keeps serving other clients while
 * the batch is in flight.
 *
 * Atomicity per batch (Redis gets it for free by blocking): the keys must not change between
 * their serialization and their deletion. We therefore
 *   1. serialize every key of the batch synchronously (one consistent snapshot);
 *   2. write-lock the batch's keys (server/key_locks.ts): a write command touching one of them
 *      waits in the dispatcher until the batch is over and is then routed again (in cluster
 *      mode it then gets ASK to the target, where the key now lives); reads are still served here;
 *   3. also WATCH each key internally, as a safety net for the few writes that do not go through
 *      the dispatcher (a blocked BLMOVE served into a locked destination, FLUSHALL): a key that
 *      changed in flight but still exists is sent again with REPLACE (its newest value) before it
 *      is deleted here, at most MAX_RESEND_ROUNDS times; a key deleted in flight is left alone.
 * So after `+OK` the acknowledged keys exist on the target with their latest value and are gone
 * here (cluster.c migrateCommand deletes what the target acknowledged). Replicas receive a DEL
 * of the deleted keys (MIGRATE is never propagated as itself), as Redis rewrites the command.
 */

import { migrateGetKeys } from "./key_finders.ts";
import { latin1, lower, parseInt64, str, utf8 } from "../protocol/bytes.ts";
import { createDumpPayload } from "../protocol/rdb_dump.ts";
import type { Watcher } from "../keyspace/db.ts";
import type { RespValue } from "../protocol/resp_value.ts";
import { type CachedConnection, NodeConnectionCache, NodeIoError } from "../server/node_client.ts";
import { rdbOptions } from "./dump.ts";
import * as E from "./errors.ts";
import { redactArgument } from "../server/monitor.ts";
import { type CommandContext, type CommandDef, fromTable } from "./types.ts";
import { NOTIFY_GENERIC } from "../pubsub/notify_flags.ts";
import type { ClockPort, ConfigPort, LogPort } from "../server/server_ports.ts";
import type {
  ClusterModePort,
  KeyLocksPort,
  ReplicationRolePort,
  ShutdownPort,
  TlsPort,
} from "./command_host.ts";

/** The server as this family's handlers see it: the ports they use (commands/command_host.ts). */
type Ctx = CommandContext<
  & ClockPort
  & ClusterModePort
  & ConfigPort
  & KeyLocksPort
  & LogPort
  & ReplicationRolePort
  & ShutdownPort
  & TlsPort
>;

export const IOERR_CONNECT = "IOERR error or timeout connecting to the client";
export const IOERR_WRITE = "IOERR error or timeout writing to target instance";
export const IOERR_READ = "IOERR error or timeout reading to target instance";
const KEYS_NEED_EMPTY_KEY =
  "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string";
const KEYS_CHANGED =
  "ERR Keys kept changing while being migrated; they were left in place, try again";

/** Re-sends of keys written while in flight (safety net; the key locks make this rare). */
const MAX_RESEND_ROUNDS = 16;

/** One cache per server (created on first use, closed at shutdown by server/server.ts). */
const caches = new WeakMap<object, NodeConnectionCache>();

/** The MIGRATE connection cache of a server. */
export function migrateCache(server: ClockPort & ShutdownPort & TlsPort) {
  let c = caches.get(server);
  if (c === undefined) {
    const cache = new NodeConnectionCache(() => server.now());
    cache.tls = () => server.tls.forCluster();
    c = cache;
    caches.set(server, cache);
    server.shutdownHooks.push(() => cache.closeAll());
  }
  return c;
}

interface MigrateOptions {
  host: string;
  portText: string;
  dbId: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  username: Uint8Array | null;
  password: Uint8Array | null;
}

/** One key of the batch: its name and the snapshot taken of it. */
interface Entry {
  keyBytes: Uint8Array;
  key: string;
  payload: Uint8Array;
  /** Absolute expiry in ms, -1 for none. */
  expireAtMs: number;
  watcher: Watcher;
}

/** How one attempt (connect, write, read the replies) ended. */
interface AttemptResult {
  /** Entries the target acknowledged with a non-error reply (in order). */
  acked: Entry[];
  /** The first error sent by the target (AUTH, SELECT or a RESTORE), as the reply text. */
  targetError: string | null;
  /** An I/O failure, or null. */
  io: NodeIoError | null;
  /** Whether the failure happened while writing (else connecting or reading). */
  writing: boolean;
  /** Replies to RESTOREs read before the failure (a retry is safe only at 0). */
  repliesRead: number;
  conn: CachedConnection | null;
}

const enc = new TextEncoder();
const CRLF = enc.encode("\r\n");

/** RESP multibulk writer into a list of chunks (copied once at the end). */
class RequestBuffer {
  private parts: Uint8Array[] = [];
  private length = 0;

  command(args: Uint8Array[]): void {
    this.push(enc.encode(`*${args.length}\r\n`));
    for (const a of args) {
      this.push(enc.encode(`$${a.length}\r\n`));
      this.push(a);
      this.push(CRLF);
    }
  }

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function isErrorReply(v: RespValue): v is { type: "error"; value: string } {
  return v.type === "error";
}

/** Serialize the current value of each key (synchronously: one consistent snapshot). */
function snapshot(ctx: Ctx, keys: Uint8Array[]): Entry[] {
  const opts = rdbOptions(ctx.server.config);
  const out: Entry[] = [];
  for (const keyBytes of keys) {
    const key = latin1(keyBytes);
    const v = ctx.db.lookup(key);
    if (v === undefined) continue;
    out.push({
      keyBytes,
      key,
      payload: createDumpPayload(v, opts),
      expireAtMs: ctx.db.getExpire(key),
      watcher: { dirtyCas: false },
    });
  }
  return out;
}

/** Connect (or reuse), send AUTH/SELECT/RESTOREs pipelined, read the replies. */
async function attempt(
  ctx: Ctx,
  o: MigrateOptions,
  entries: Entry[],
  replace: boolean,
): Promise<AttemptResult> {
  const cache = migrateCache(ctx.server);
  const result: AttemptResult = {
    acked: [],
    targetError: null,
    io: null,
    writing: false,
    repliesRead: 0,
    conn: null,
  };
  let cs: CachedConnection;
  try {
    cs = await cache.get(o.host, o.portText, o.timeoutMs);
  } catch (e) {
    if (!(e instanceof NodeIoError)) throw e;
    result.io = e;
    result.writing = e.phase !== "resolve";
    return result;
  }
  result.conn = cs;

  const req = new RequestBuffer();
  if (o.password !== null) {
    const args = [utf8("AUTH")];
    if (o.username !== null) args.push(o.username);
    args.push(o.password);
    req.command(args);
  }
  const select = cs.lastDbId !== o.dbId;
  if (select) req.command([utf8("SELECT"), utf8(String(o.dbId))]);
  const restore = utf8(ctx.server.cluster !== null ? "RESTORE-ASKING" : "RESTORE");
  const replaceArg = utf8("REPLACE");
  // Keys that expired since the snapshot are skipped (neither sent nor deleted), as in Redis.
  const now = ctx.db.now();
  const sent: Entry[] = [];
  for (const e of entries) {
    let ttl = 0;
    if (e.expireAtMs !== -1) {
      ttl = e.expireAtMs - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    sent.push(e);
    const args = [restore, e.keyBytes, utf8(String(ttl)), e.payload];
    if (replace) args.push(replaceArg);
    req.command(args);
  }

  try {
    await cs.conn.writeAll(req.bytes(), o.timeoutMs);
  } catch (e) {
    if (!(e instanceof NodeIoError)) throw e;
    result.io = e;
    result.writing = true;
    return result;
  }

  try {
    let authError: string | null = null;
    let selectError: string | null = null;
    if (o.password !== null) {
      const r = await cs.conn.readReply(o.timeoutMs);
      if (isErrorReply(r)) authError = r.value;
    }
    if (select) {
      const r = await cs.conn.readReply(o.timeoutMs);
      if (isErrorReply(r)) selectError = r.value;
    }
    for (const e of sent) {
      const r = await cs.conn.readReply(o.timeoutMs);
      result.repliesRead++;
      const err = authError ?? selectError ?? (isErrorReply(r) ? r.value : null);
      if (err !== null) {
        if (result.targetError === null) {
          cs.lastDbId = -1;
          result.targetError = `ERR Target instance replied with error: ${err}`;
        }
      } else {
        result.acked.push(e);
      }
    }
  } catch (e) {
    if (!(e instanceof NodeIoError)) throw e;
    result.io = e;
  }
  return result;
}

/** The asynchronous part: lock, send, delete, reply. */
async function run(ctx: Ctx, o: MigrateOptions, keys: Uint8Array[]): Promise<void> {
  const { db, reply } = ctx;
  const cache = migrateCache(ctx.server);
  let entries = snapshot(ctx, keys);
  const locked = entries.map((e) => e.key);
  const locks = ctx.server.keyLocks;
  locks.lock(locked);
  const watched = new Map<string, Watcher>();
  const watchAll = (list: Entry[]) => {
    for (const e of list) {
      const old = watched.get(e.key);
      if (old !== undefined) db.unwatch(e.key, old);
      db.watch(e.key, e.watcher);
      watched.set(e.key, e.watcher);
    }
  };
  watchAll(entries);
  try {
    let mayRetry = true;
    let replace = o.replace;
    for (let round = 0;;) {
      const r = await attempt(ctx, o, entries, replace);
      if (r.io !== null && r.io.phase === "resolve") {
        reply.error(IOERR_CONNECT);
        return;
      }
      if (
        r.io !== null && r.targetError === null && r.repliesRead === 0 && mayRetry &&
        !r.io.timedOut
      ) {
        // migrateCommand's retry: nothing was processed, maybe just a stale cached connection.
        cache.close(o.host, o.portText);
        mayRetry = false;
        continue;
      }
      if (r.io !== null) cache.close(o.host, o.portText);

      // Delete what the target acknowledged, unless it changed meanwhile (then send it again).
      const resend: Uint8Array[] = [];
      if (!o.copy) {
        const deleted: Uint8Array[] = [];
        for (const e of r.acked) {
          if (e.watcher.dirtyCas) {
            if (db.lookup(e.key) !== undefined) resend.push(e.keyBytes);
            continue;
          }
          if (db.delete(e.key)) {
            // migrateCommand: each deleted key gets a `del` event.
            db.notifier.notifyKeyspaceEvent(NOTIFY_GENERIC, "del", e.key);
            deleted.push(e.keyBytes);
          }
        }
        // Replicas see MIGRATE as a DEL of the acknowledged keys, as Redis rewrites it.
        if (deleted.length !== 0) ctx.server.replication.propagate([utf8("DEL"), ...deleted]);
      }

      if (r.targetError !== null) {
        reply.error(r.targetError);
        return;
      }
      if (r.io !== null) {
        reply.error(r.writing ? IOERR_WRITE : IOERR_READ);
        return;
      }
      if (resend.length === 0) {
        r.conn!.lastDbId = o.dbId;
        reply.ok();
        return;
      }
      if (++round > MAX_RESEND_ROUNDS) {
        ctx.server.log.warning(
          `MIGRATE: ${resend.length} key(s) kept changing while being migrated; left in place`,
        );
        reply.error(KEYS_CHANGED);
        return;
      }
      // The target holds an older copy now: send the newest value over it.
      entries = snapshot(ctx, resend);
      watchAll(entries);
      replace = true;
      mayRetry = true;
      r.conn!.lastDbId = o.dbId;
    }
  } finally {
    for (const [key, w] of watched) db.unwatch(key, w);
    locks.unlock(locked);
  }
}

function migrate(ctx: Ctx, argv: Uint8Array[]): void | Promise<void> {
  const { reply, db } = ctx;
  let copy = false;
  let replace = false;
  let username: Uint8Array | null = null;
  let password: Uint8Array | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    const opt = lower(argv[j]);
    if (opt === "copy") {
      copy = true;
    } else if (opt === "replace") {
      replace = true;
    } else if (opt === "auth") {
      if (moreArgs < 1) return reply.error(E.SYNTAX);
      password = argv[++j];
      redactArgument(argv, j); // MONITOR shows "(redacted)" (migrateCommand)
    } else if (opt === "auth2") {
      if (moreArgs < 2) return reply.error(E.SYNTAX);
      username = argv[++j];
      redactArgument(argv, j);
      password = argv[++j];
      redactArgument(argv, j);
    } else if (opt === "keys") {
      if (argv[3].length !== 0) return reply.error(KEYS_NEED_EMPTY_KEY);
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else {
      return reply.error(E.SYNTAX);
    }
  }
  let timeoutMs = parseInt64(argv[5]);
  const dbId = parseInt64(argv[4]);
  if (timeoutMs === null || dbId === null) return reply.error(E.NOT_INTEGER);
  if (timeoutMs <= 0) timeoutMs = 1000;

  const keys: Uint8Array[] = [];
  for (let j = 0; j < numKeys; j++) {
    const k = argv[firstKey + j];
    if (db.lookupRead(latin1(k)) !== undefined) keys.push(k);
  }
  if (keys.length === 0) return reply.status("NOKEY");
  // MIGRATE itself is never replicated: the DEL of the moved keys is, once they are gone.
  ctx.server.replication.noPropagate();

  return run(ctx, {
    host: str(argv[1]),
    portText: str(argv[2]),
    dbId,
    timeoutMs,
    copy,
    replace,
    username,
    password,
  }, keys);
}

export { migrateGetKeys };

export const migrateCommands: CommandDef[] = [
  fromTable("migrate", migrate, { getKeys: migrateGetKeys }),
];
