/**
 * TCP implementation of `BusNetwork` (cluster/bus_network.ts) on Deno.listen / Deno.connect.
 *
 * Per link: TCP_NODELAY and keepalive on; one read loop that feeds the bounded
 * `BusFrameSplitter` of protocol/bus_frame.ts (bad signature / totlen out of bounds closes the
 * link, like Redis's "Bad message length or signature received from Cluster bus."); one write loop draining a byte-bounded send queue,
 * coalescing small packets into larger writes. Reading pauses while `onPacket` is null.
 *
 * With `tls` (tls-cluster yes) the listener speaks TLS and asks every peer for a certificate
 * (Redis's clusterAcceptHandler: TLS_CLIENT_AUTH_YES), and outgoing links are TLS with our
 * client certificate (server/tls.ts); the links then run on the same read and write loops.
 *
 * Nothing here throws into the caller's event loop: every I/O error closes the link, and
 * `onClose(reason)` is called exactly once, asynchronously (a microtask), never from inside
 * `send`/`close`.
 */

import { type BusFrame, BusFrameSplitter } from "../protocol/bus_frame.ts";
import {
  type BusAddr,
  type BusLink,
  type BusListener,
  type BusNetwork,
  type BusNetworkOptions,
  checkPacketFraming,
  resolveBusNetworkOptions,
  type ResolvedBusNetworkOptions,
  sendBufferAccepts,
} from "./bus_network.ts";
import type { TlsContext, TlsListener } from "../server/tls.ts";
import { unmapIpv4 } from "./ip.ts";

/** Size of the per-link read buffer. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Small queued packets are merged into writes of up to this many bytes. */
const WRITE_COALESCE_BYTES = 64 * 1024;
/** Pause after an unexpected accept() error (e.g. out of file descriptors) before retrying. */
const ACCEPT_RETRY_MS = 100;

export interface TcpBusNetworkOptions extends BusNetworkOptions {
  /** Where transport-level problems are reported (default: silent). */
  log?: (message: string) => void;
  /** The TLS context when the bus speaks TLS (read at each listen and connect), else null. */
  tls?: () => TlsContext | null;
  /** Called with each TLS listener opened (so a CONFIG SET of a certificate reaches it). */
  trackTlsListener?: (l: TlsListener) => () => void;
  /**
   * `cluster-link-sendbuf-limit`, read at each send: a link whose send buffer would go past it
   * is freed (Redis's clusterNodeCronFreeLinkOnBufferLimitReached). 0: `sendBufferBytes` only.
   */
  sendBufferLimit?: () => number;
}

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function toBusAddr(addr: Deno.Addr): BusAddr {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    // A `::` listener reports IPv4 peers as ::ffff:a.b.c.d; the bus (MEET, the sender's
    // address in a PING) wants them as a.b.c.d, as an IPv4 socket gives them.
    return { host: unmapIpv4(addr.hostname), port: addr.port };
  }
  return { host: "", port: 0 };
}

export class TcpBusNetwork implements BusNetwork {
  readonly options: ResolvedBusNetworkOptions;
  private readonly log: (message: string) => void;
  private nextLinkId = 1;
  private readonly tls: () => TlsContext | null;
  private readonly trackTlsListener: (l: TlsListener) => () => void;

  constructor(opts: TcpBusNetworkOptions = {}) {
    const base = resolveBusNetworkOptions(opts);
    const limit = opts.sendBufferLimit;
    this.options = limit === undefined ? base : {
      maxPacketBytes: base.maxPacketBytes,
      get sendBufferBytes() {
        const bytes = limit();
        return bytes > 0 ? Math.min(bytes, base.sendBufferBytes) : base.sendBufferBytes;
      },
    };
    this.log = opts.log ?? (() => {});
    this.tls = opts.tls ?? (() => null);
    this.trackTlsListener = opts.trackTlsListener ?? (() => () => {});
  }

  listen(
    host: string,
    port: number,
    onAccept: (link: BusLink) => void,
  ): Promise<BusListener> {
    const tls = this.tls();
    if (tls !== null) return this.listenTls(tls, host, port, onAccept);
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: host, port, transport: "tcp" });
    } catch (e) {
      return Promise.reject(new Error(`listen on ${host}:${port} failed: ${errText(e)}`));
    }
    const state = { closed: false };
    const addr = toBusAddr(listener.addr);
    void this.acceptLoop(listener, state, onAccept);
    return Promise.resolve({
      addr,
      close: () => {
        if (state.closed) return;
        state.closed = true;
        try {
          listener.close();
        } catch { /* already closed */ }
      },
    });
  }

  private async listenTls(
    tls: TlsContext,
    host: string,
    port: number,
    onAccept: (link: BusLink) => void,
  ): Promise<BusListener> {
    let closed = false;
    let l: TlsListener;
    try {
      l = await tls.listen({
        hostname: host,
        port,
        auth: "yes",
        onConn: (conn) => {
          if (closed) {
            conn.close();
            return;
          }
          const link = new TcpBusLink(conn, this.nextLinkId++, this.options, this.log);
          try {
            onAccept(link);
          } catch (e) {
            this.log(`bus onAccept handler threw: ${errText(e)}`);
            link.closeWith(`accept handler error: ${errText(e)}`);
          }
        },
        onError: (m) => this.log(`Error accepting cluster node: ${m}`),
      });
    } catch (e) {
      throw new Error(`listen on ${host}:${port} failed: ${errText(e)}`);
    }
    const untrack = this.trackTlsListener(l);
    return {
      addr: toBusAddr(l.addr),
      close: () => {
        if (closed) return;
        closed = true;
        untrack();
        l.close();
      },
    };
  }

  private async acceptLoop(
    listener: Deno.TcpListener,
    state: { closed: boolean },
    onAccept: (link: BusLink) => void,
  ): Promise<void> {
    while (!state.closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (state.closed || e instanceof Deno.errors.BadResource) return;
        this.log(`bus accept error: ${errText(e)}`);
        await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      if (state.closed) {
        try {
          conn.close();
        } catch { /* ignore */ }
        return;
      }
      let link: TcpBusLink;
      try {
        link = new TcpBusLink(conn, this.nextLinkId++, this.options, this.log);
      } catch (e) {
        this.log(`bus accept setup error: ${errText(e)}`);
        try {
          conn.close();
        } catch { /* ignore */ }
        continue;
      }
      try {
        onAccept(link);
      } catch (e) {
        this.log(`bus onAccept handler threw: ${errText(e)}`);
        link.closeWith(`accept handler error: ${errText(e)}`);
      }
    }
  }

  async connect(host: string, port: number, timeoutMs: number): Promise<BusLink> {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    const tls = this.tls();
    if (tls !== null) {
      const conn = await tls.connect(host, port, timeoutMs);
      return new TcpBusLink(conn, this.nextLinkId++, this.options, this.log);
    }
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const attempt = Deno.connect({ hostname: host, port, transport: "tcp", signal: abort.signal });
    let result: Deno.TcpConn | "timeout";
    try {
      result = await Promise.race([attempt, timeout]);
    } catch (e) {
      throw new Error(`connect to ${host}:${port} failed: ${errText(e)}`);
    } finally {
      clearTimeout(timer);
    }
    if (result === "timeout") {
      abort.abort();
      // If the attempt still completes, close it; swallow its rejection.
      attempt.then((c) => {
        try {
          c.close();
        } catch { /* ignore */ }
      }, () => {});
      throw new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`);
    }
    try {
      return new TcpBusLink(result, this.nextLinkId++, this.options, this.log);
    } catch (e) {
      try {
        result.close();
      } catch { /* ignore */ }
      throw new Error(`connect to ${host}:${port} failed: ${errText(e)}`);
    }
  }
}

class TcpBusLink implements BusLink {
  readonly remoteAddr: BusAddr;
  readonly localAddr: BusAddr;
  private isClosed = false;
  private closeReason = "";
  private closeNotified = false;
  tag: unknown = null;
  private packetHandler: ((packet: Uint8Array, link: BusLink) => void) | null = null;
  private closeHandler: ((reason: string, link: BusLink) => void) | null = null;
  private readonly splitter: BusFrameSplitter;
  /** Frames of the last chunk read, not yet all handed out (reading waits until they are). */
  private frames: Generator<BusFrame> | null = null;
  /** Resolves the read loop's wait while there is no packet handler. */
  private resumeRead: (() => void) | null = null;
  // Send queue: packets [queueHead, queue.length), `queuedBytes` counts them plus the in-flight write.
  private queue: Uint8Array[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private writing = false;

  constructor(
    private readonly conn: Deno.Conn & Pick<Deno.TcpConn, "setNoDelay" | "setKeepAlive">,
    readonly id: number,
    private readonly options: ResolvedBusNetworkOptions,
    private readonly log: (message: string) => void,
  ) {
    this.remoteAddr = toBusAddr(conn.remoteAddr);
    this.localAddr = toBusAddr(conn.localAddr);
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch (e) {
      this.log(`bus link ${id}: socket options failed: ${errText(e)}`);
    }
    this.splitter = new BusFrameSplitter({ maxPacketBytes: options.maxPacketBytes });
    void this.readLoop();
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get onPacket(): ((packet: Uint8Array, link: BusLink) => void) | null {
    return this.packetHandler;
  }
  set onPacket(fn: ((packet: Uint8Array, link: BusLink) => void) | null) {
    this.packetHandler = fn;
    if (fn !== null && this.resumeRead !== null) {
      const resume = this.resumeRead;
      this.resumeRead = null;
      resume();
    }
  }

  get onClose(): ((reason: string, link: BusLink) => void) | null {
    return this.closeHandler;
  }
  set onClose(fn: ((reason: string, link: BusLink) => void) | null) {
    this.closeHandler = fn;
    if (fn !== null && this.isClosed) this.scheduleCloseNotify();
  }

  bufferedBytes(): number {
    return this.queuedBytes;
  }

  send(packet: Uint8Array): boolean {
    if (this.isClosed) return false;
    const bad = checkPacketFraming(packet, this.options.maxPacketBytes);
    if (bad !== null) throw new TypeError(`BusLink.send: ${bad}`);
    if (!sendBufferAccepts(this.queuedBytes, packet.length, this.options.sendBufferBytes)) {
      return false;
    }
    this.queue.push(packet);
    this.queuedBytes += packet.length;
    if (!this.writing) {
      this.writing = true;
      void this.writeLoop();
    }
    return true;
  }

  close(): void {
    this.closeWith("closed locally");
  }

  /** Closes with a reason (idempotent; the first reason wins). */
  closeWith(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeReason = reason;
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    this.frames = null;
    try {
      this.conn.close();
    } catch { /* already closed */ }
    if (this.resumeRead !== null) {
      const resume = this.resumeRead;
      this.resumeRead = null;
      resume();
    }
    this.scheduleCloseNotify();
  }

  private scheduleCloseNotify(): void {
    if (this.closeNotified || this.closeHandler === null) return;
    queueMicrotask(() => {
      const fn = this.closeHandler;
      if (this.closeNotified || fn === null) return;
      this.closeNotified = true;
      try {
        fn(this.closeReason, this);
      } catch (e) {
        this.log(`bus link ${this.id}: onClose handler threw: ${errText(e)}`);
      }
    });
  }

  private async readLoop(): Promise<void> {
    const buf = new Uint8Array(READ_CHUNK_BYTES);
    try {
      while (!this.isClosed) {
        this.deliverPending();
        if (this.isClosed) return;
        if (this.packetHandler === null) {
          await new Promise<void>((resolve) => this.resumeRead = resolve);
          continue;
        }
        const n = await this.conn.read(buf);
        if (this.isClosed) return;
        if (n === null) {
          this.closeWith("connection closed by peer");
          return;
        }
        // The generator reads `buf` lazily; `buf` is reused only once it is exhausted.
        this.frames = this.splitter.feed(buf.subarray(0, n));
      }
    } catch (e) {
      this.closeWith(`read error: ${errText(e)}`);
    }
  }

  /** Hands every complete buffered packet to the handler; closes on a framing error. */
  private deliverPending(): void {
    while (!this.isClosed && this.packetHandler !== null && this.frames !== null) {
      const step = this.frames.next();
      if (step.done) {
        this.frames = null;
        break;
      }
      const frame = step.value;
      if (!frame.ok) {
        this.log(`bus link ${this.id}: ${frame.error.log}`);
        this.closeWith(`bad frame: ${frame.error.kind}`);
        return;
      }
      try {
        this.packetHandler(frame.packet, this);
      } catch (e) {
        this.log(`bus link ${this.id}: onPacket handler threw: ${errText(e)}`);
        this.closeWith(`handler error: ${errText(e)}`);
        return;
      }
    }
  }

  /** Takes the next write: one packet, or several small ones merged. */
  private takeChunk(): Uint8Array {
    const first = this.queue[this.queueHead];
    let end = this.queueHead + 1;
    let total = first.length;
    while (
      end < this.queue.length && total + this.queue[end].length <= WRITE_COALESCE_BYTES
    ) {
      total += this.queue[end].length;
      end++;
    }
    let chunk: Uint8Array;
    if (end === this.queueHead + 1) {
      chunk = first;
    } else {
      chunk = new Uint8Array(total);
      let off = 0;
      for (let i = this.queueHead; i < end; i++) {
        chunk.set(this.queue[i], off);
        off += this.queue[i].length;
      }
    }
    for (let i = this.queueHead; i < end; i++) this.queue[i] = EMPTY;
    this.queueHead = end;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return chunk;
  }

  private async writeLoop(): Promise<void> {
    try {
      while (!this.isClosed && this.queueHead < this.queue.length) {
        const chunk = this.takeChunk();
        let off = 0;
        while (off < chunk.length) {
          const n = await this.conn.write(off === 0 ? chunk : chunk.subarray(off));
          if (this.isClosed) return;
          off += n;
        }
        this.queuedBytes -= chunk.length;
      }
    } catch (e) {
      this.closeWith(`write error: ${errText(e)}`);
    } finally {
      this.writing = false;
    }
  }
}

const EMPTY = new Uint8Array(0);
