/**
 * A node:tls socket seen as a `Deno.Conn` (read/write promises), so the client loop
 * (server/connection.ts), the replication link and the cluster bus run unchanged over TLS.
 *
 * Why node:tls and not Deno.listenTls/connectTls: Deno's own TLS cannot ask a client for a
 * certificate (Redis's default `tls-auth-clients yes`), cannot narrow the protocol versions, and
 * its connections cannot turn TCP_NODELAY on (a reply written in two writes waits ~40 ms for the
 * peer's delayed ACK). node:tls in Deno does all three.
 *
 * Reads: chunks the socket delivers are queued (the socket pauses past `HIGH_WATER_BYTES`) and
 * copied into the caller's buffer. Writes: the bytes are copied (callers reuse their buffers, see
 * protocol/reply.ts `take`) and the promise resolves at once unless the socket asks to wait for
 * 'drain', as a kernel socket buffer would.
 */

import type { TLSSocket } from "node:tls";

/** Past this many unread bytes the socket stops reading (back-pressure on the peer). */
const HIGH_WATER_BYTES = 1024 * 1024;
/** A closed connection that still has output gets this long to flush before it is destroyed. */
const CLOSE_FLUSH_MS = 10_000;

function netAddr(host: string | undefined, port: number | undefined): Deno.NetAddr {
  let hostname = host ?? "";
  // node:tls on a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  if (hostname.startsWith("::ffff:") && hostname.includes(".")) hostname = hostname.slice(7);
  return { transport: "tcp", hostname, port: port ?? 0 };
}

export class NodeTlsConn implements Deno.Conn<Deno.NetAddr> {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private paused = false;
  private eof = false;
  private error: Error | null = null;
  private closed = false;
  private pendingRead: {
    buf: Uint8Array;
    resolve: (n: number | null) => void;
    reject: (e: Error) => void;
  } | null = null;
  private drainWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(readonly socket: TLSSocket) {
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    socket.on("data", (chunk: Uint8Array) => this.onData(chunk));
    socket.on("end", () => this.finish(null));
    socket.on("close", () => this.finish(null));
    socket.on("error", (e: Error) => this.finish(e));
    socket.on("drain", () => {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const x of w) x.resolve();
    });
  }

  private onData(chunk: Uint8Array): void {
    const p = this.pendingRead;
    if (p !== null && this.queue.length === 0) {
      this.pendingRead = null;
      const n = Math.min(chunk.length, p.buf.length);
      p.buf.set(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (n < chunk.length) this.push(chunk.subarray(n));
      p.resolve(n);
      return;
    }
    this.push(chunk);
    if (p !== null) {
      this.pendingRead = null;
      p.resolve(this.take(p.buf));
    }
  }

  private push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.paused && this.queuedBytes > HIGH_WATER_BYTES) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /** Copy queued bytes into `buf`. */
  private take(buf: Uint8Array): number {
    let n = 0;
    while (n < buf.length && this.queue.length > 0) {
      const head = this.queue[0];
      const k = Math.min(head.length, buf.length - n);
      buf.set(k === head.length ? head : head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
    }
    this.queuedBytes -= n;
    if (this.paused && this.queuedBytes <= HIGH_WATER_BYTES / 2) {
      this.paused = false;
      this.socket.resume();
    }
    return n;
  }

  private finish(e: Error | null): void {
    if (e !== null && this.error === null) this.error = e;
    this.eof = true;
    const p = this.pendingRead;
    if (p !== null && this.queue.length === 0) {
      this.pendingRead = null;
      if (this.error !== null && !this.closed) p.reject(this.readError());
      else p.resolve(null);
    }
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const x of w) x.reject(new Deno.errors.BrokenPipe("connection closed"));
  }

  private readError(): Error {
    const e = this.error!;
    const code = (e as { code?: string }).code;
    if (code === "ECONNRESET") return new Deno.errors.ConnectionReset(e.message);
    if (code === "EPIPE") return new Deno.errors.BrokenPipe(e.message);
    return new Deno.errors.ConnectionAborted(e.message);
  }

  read(buf: Uint8Array): Promise<number | null> {
    if (this.queue.length > 0) return Promise.resolve(this.take(buf));
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("connection closed"));
    if (this.eof) {
      return this.error !== null ? Promise.reject(this.readError()) : Promise.resolve(null);
    }
    if (this.pendingRead !== null) {
      return Promise.reject(new Deno.errors.Busy("a read is already pending"));
    }
    return new Promise((resolve, reject) => this.pendingRead = { buf, resolve, reject });
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.closed || this.eof || this.socket.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("connection closed"));
    }
    const n = bytes.length;
    if (this.socket.write(bytes.slice())) return Promise.resolve(n);
    return new Promise((resolve, reject) =>
      this.drainWaiters.push({ resolve: () => resolve(n), reject })
    );
  }

  /** Close: what was written still goes out (bounded by `CLOSE_FLUSH_MS`), then the socket ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const p = this.pendingRead;
    this.pendingRead = null;
    p?.reject(new Deno.errors.BadResource("connection closed"));
    if (this.socket.destroyed) return;
    if (this.eof) {
      this.socket.destroy();
      return;
    }
    // Not destroy(): a reply accepted by write() may still be on its way (QUIT's +OK).
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_MS);
    Deno.unrefTimer(t);
    this.socket.once("close", () => clearTimeout(t));
  }

  closeWrite(): Promise<void> {
    this.socket.end();
    return Promise.resolve();
  }

  setNoDelay(noDelay = true): void {
    this.socket.setNoDelay(noDelay);
  }

  setKeepAlive(keepAlive = true): void {
    this.socket.setKeepAlive(keepAlive);
  }

  ref(): void {
    this.socket.ref();
  }

  unref(): void {
    this.socket.unref();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    throw new Error("NodeTlsConn: readable streams are not used");
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    throw new Error("NodeTlsConn: writable streams are not used");
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
