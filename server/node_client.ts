/**
 * Outbound RESP connections from this node to other nodes (MIGRATE today; reusable for any
 * node-to-node request/reply traffic).
 *
 * - `NodeConnection`: one TCP connection with the "sync I/O" semantics of Redis's
 *   connSyncWrite/connSyncReadLine, but asynchronous (the event loop keeps serving other clients
 *   while we wait): `writeAll` sends everything in 64 KiB chunks, each within `timeoutMs`;
 *   `readReply` returns the next whole reply (decoded by protocol/resp_value.ts) within
 *   `timeoutMs`. Any failure closes the connection and throws a `NodeIoError` that says in which
 *   phase it happened and whether it was a timeout (MIGRATE's retry rule depends on both).
 * - `NodeConnectionCache`: Redis's `migrate_cached_sockets`: connections keyed by "host:port",
 *   at most 64 (a random one is dropped to make room), each closed after more than 10 s without
 *   use (checked once a second while the cache is not empty), remembering the db last SELECTed
 *   on it (`lastDbId`, -1 = unknown).
 */

import { decodeValue, type RespValue } from "../protocol/resp_value.ts";
import type { TlsContext } from "./tls.ts";

/** Where an I/O failure happened. "resolve": the address could not even be tried. */
export type IoPhase = "resolve" | "connect" | "write" | "read";

export class NodeIoError extends Error {
  override name = "NodeIoError";
  constructor(readonly phase: IoPhase, readonly timedOut: boolean, message: string) {
    super(message);
  }
}

/** Bytes per write call, like MIGRATE's 64K chunks. */
const WRITE_CHUNK_BYTES = 64 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;
/** A reply larger than this is refused (bounds the read buffer). */
export const MAX_REPLY_BYTES = 512 * 1024 * 1024;

/** Race `p` against a timer; on timeout run `onTimeout` and reject with `err()`. */
async function withTimeout<T>(
  p: Promise<T>,
  timeoutMs: number,
  onTimeout: () => void,
  err: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(err());
    }, Math.max(1, timeoutMs));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isResolveError(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /lookup|resolve|name or service|nodename|getaddrinfo|dns/i.test(msg);
}

export class NodeConnection {
  private buf = new Uint8Array(READ_CHUNK_BYTES);
  private start = 0;
  private end = 0;
  private isClosed = false;

  private constructor(
    private readonly conn: Deno.Conn,
    readonly host: string,
    readonly port: number,
  ) {}

  get addr(): string {
    return `${this.host}:${this.port}`;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Connect within `timeoutMs`. A name that does not resolve fails with phase "resolve"; a
   * refused or timed-out connect with phase "connect".
   */
  static async connect(
    host: string,
    port: number,
    timeoutMs: number,
    tls: TlsContext | null = null,
  ): Promise<NodeConnection> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new NodeIoError("connect", false, `invalid port ${port}`);
    }
    if (tls !== null) {
      // tls-cluster: MIGRATE speaks TLS to the target (connTypeOfCluster).
      try {
        return new NodeConnection(await tls.connect(host, port, timeoutMs), host, port);
      } catch (e) {
        const timedOut = /timed out/.test((e as Error).message);
        throw new NodeIoError("connect", timedOut, (e as Error).message);
      }
    }
    let timedOut = false;
    const attempt = Deno.connect({ hostname: host, port, transport: "tcp" });
    let conn: Deno.TcpConn;
    try {
      conn = await withTimeout(
        attempt,
        timeoutMs,
        () => {
          timedOut = true;
          // Close the connection if it completes after we gave up.
          attempt.then((c) => c.close(), () => {});
        },
        () => new NodeIoError("connect", true, `connect to ${host}:${port} timed out`),
      );
    } catch (e) {
      if (e instanceof NodeIoError) throw e;
      if (timedOut) throw new NodeIoError("connect", true, `connect to ${host}:${port} timed out`);
      const phase: IoPhase = isResolveError(e) ? "resolve" : "connect";
      throw new NodeIoError(phase, false, `connect to ${host}:${port}: ${(e as Error).message}`);
    }
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
    return new NodeConnection(conn, host, port);
  }

  /** Send all of `data`, 64 KiB per write, each write within `timeoutMs`. */
  async writeAll(data: Uint8Array, timeoutMs: number): Promise<void> {
    if (this.isClosed) throw new NodeIoError("write", false, `connection to ${this.addr} closed`);
    let off = 0;
    try {
      while (off < data.length) {
        const chunk = data.subarray(off, Math.min(data.length, off + WRITE_CHUNK_BYTES));
        const n = await withTimeout(
          this.conn.write(chunk),
          timeoutMs,
          () => this.close(),
          () => new NodeIoError("write", true, `write to ${this.addr} timed out`),
        );
        off += n;
      }
    } catch (e) {
      this.close();
      if (e instanceof NodeIoError) throw e;
      throw new NodeIoError("write", false, `write to ${this.addr}: ${(e as Error).message}`);
    }
  }

  /** The next reply, waiting at most `timeoutMs` for each read. */
  async readReply(timeoutMs: number): Promise<RespValue> {
    for (;;) {
      if (this.start < this.end) {
        let r: [RespValue, number] | null;
        try {
          r = decodeValue(this.buf.subarray(0, this.end), this.start);
        } catch (e) {
          this.close();
          throw new NodeIoError(
            "read",
            false,
            `bad reply from ${this.addr}: ${(e as Error).message}`,
          );
        }
        if (r !== null) {
          this.start = r[1];
          if (this.start === this.end) this.start = this.end = 0;
          return r[0];
        }
      }
      if (this.isClosed) throw new NodeIoError("read", false, `connection to ${this.addr} closed`);
      this.makeRoom();
      let n: number | null;
      try {
        n = await withTimeout(
          this.conn.read(this.buf.subarray(this.end)),
          timeoutMs,
          () => this.close(),
          () => new NodeIoError("read", true, `no reply from ${this.addr} within ${timeoutMs} ms`),
        );
      } catch (e) {
        this.close();
        if (e instanceof NodeIoError) throw e;
        throw new NodeIoError("read", false, `read from ${this.addr}: ${(e as Error).message}`);
      }
      if (n === null) {
        this.close();
        throw new NodeIoError("read", false, `${this.addr} closed the connection`);
      }
      this.end += n;
    }
  }

  /** Compact the buffer, or double it (bounded) when it is full. */
  private makeRoom(): void {
    if (this.end < this.buf.length) return;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      if (this.end < this.buf.length) return;
    }
    if (this.buf.length * 2 > MAX_REPLY_BYTES) {
      this.close();
      throw new NodeIoError("read", false, `reply from ${this.addr} too large`);
    }
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.end));
    this.buf = next;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** A cached connection and what we know about its session. */
export interface CachedConnection {
  readonly conn: NodeConnection;
  /** The db selected on this connection, -1 when unknown (SELECT must be sent). */
  lastDbId: number;
  lastUseMs: number;
}

/** MIGRATE_SOCKET_CACHE_ITEMS and MIGRATE_SOCKET_CACHE_TTL of Redis. */
export const CACHE_MAX_ITEMS = 64;
export const CACHE_IDLE_MS = 10_000;
const SWEEP_EVERY_MS = 1000;

export class NodeConnectionCache {
  private readonly items = new Map<string, CachedConnection>();
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private closedForGood = false;
  /** The TLS context for new connections (tls-cluster), or null for plain TCP. */
  tls: () => TlsContext | null = () => null;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxItems = CACHE_MAX_ITEMS,
    private readonly idleMs = CACHE_IDLE_MS,
  ) {}

  get size(): number {
    return this.items.size;
  }

  static keyOf(host: string, port: string | number): string {
    return `${host}:${port}`;
  }

  /**
   * The cached connection to host:port, or a new one (connected within `timeoutMs`). `portText`
   * is the cache key's port part as the user wrote it (Redis keys the cache by the raw argument).
   */
  async get(host: string, portText: string, timeoutMs: number): Promise<CachedConnection> {
    if (this.closedForGood) throw new NodeIoError("connect", false, "connection cache closed");
    const key = NodeConnectionCache.keyOf(host, portText);
    const cached = this.items.get(key);
    if (cached !== undefined && !cached.conn.closed) {
      cached.lastUseMs = this.now();
      return cached;
    }
    if (cached !== undefined) this.items.delete(key);
    const conn = await NodeConnection.connect(host, atoiPort(portText), timeoutMs, this.tls());
    // Another request for the same address may have finished connecting meanwhile.
    const raced = this.items.get(key);
    if (raced !== undefined && !raced.conn.closed) {
      conn.close();
      raced.lastUseMs = this.now();
      return raced;
    }
    if (this.closedForGood) {
      conn.close();
      throw new NodeIoError("connect", false, "connection cache closed");
    }
    if (this.items.size >= this.maxItems) this.evictRandom();
    const entry: CachedConnection = { conn, lastDbId: -1, lastUseMs: this.now() };
    this.items.set(key, entry);
    this.startSweeper();
    return entry;
  }

  /** migrateCloseSocket: drop (and close) the cached connection to host:port, if any. */
  close(host: string, portText: string): void {
    const key = NodeConnectionCache.keyOf(host, portText);
    const c = this.items.get(key);
    if (c === undefined) return;
    c.conn.close();
    this.items.delete(key);
    if (this.items.size === 0) this.stopSweeper();
  }

  /** migrateCloseTimedoutSockets: close those unused for more than the idle time. */
  closeIdle(): number {
    const now = this.now();
    let n = 0;
    for (const [key, c] of this.items) {
      if (c.conn.closed || now - c.lastUseMs > this.idleMs) {
        c.conn.close();
        this.items.delete(key);
        n++;
      }
    }
    if (this.items.size === 0) this.stopSweeper();
    return n;
  }

  /** Close everything and refuse new connections (server shutdown). */
  closeAll(): void {
    this.closedForGood = true;
    for (const c of this.items.values()) c.conn.close();
    this.items.clear();
    this.stopSweeper();
  }

  private evictRandom(): void {
    const i = Math.floor(Math.random() * this.items.size);
    let j = 0;
    for (const [key, c] of this.items) {
      if (j++ === i) {
        c.conn.close();
        this.items.delete(key);
        return;
      }
    }
  }

  private startSweeper(): void {
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.closeIdle(), SWEEP_EVERY_MS);
  }

  private stopSweeper(): void {
    if (this.sweeper === undefined) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** C atoi over the port argument ("123abc" -> 123, "x" -> 0), as Redis parses it. */
export function atoiPort(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (m === null) return 0;
  const v = parseInt(m[1], 10);
  return Number.isFinite(v) ? v : 0;
}
