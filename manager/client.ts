/**
 * A small promise-based RESP client for the cluster manager: one TCP connection to one node,
 * RESP2 only (no HELLO, like redis-cli --cluster), requests pipelined with replies matched in
 * order. Replies are decoded by protocol/resp_value.ts. Every request has a timeout; on a timeout
 * or a broken connection every pending request fails and the connection is closed.
 */

import { decodeValue, type RespValue } from "../protocol/resp_value.ts";
import { concatBytes } from "../protocol/bytes.ts";

/** An error reply from a node (`message` is the text without the leading '-'). */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/** The connection failed, closed, or a reply did not arrive in time. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
}

export type Arg = string | number | Uint8Array;

/** At most this many requests may wait for replies on one connection. */
const MAX_PENDING = 100_000;
/** Refuse replies larger than this (a CLUSTER NODES of thousands of nodes is far below). */
const MAX_BUFFER_BYTES = 512 * 1024 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Pending {
  resolve: (v: RespValue) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Encode one request as a RESP multibulk. */
export function encodeRequest(args: readonly Arg[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = a instanceof Uint8Array ? a : enc.encode(String(a));
    parts.push(enc.encode(`$${b.length}\r\n`), b, CRLF);
  }
  return concatBytes(parts);
}
const CRLF = new Uint8Array([13, 10]);

export class NodeClient {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;
  private pending: Pending[] = [];
  private closed = false;
  private closeReason: Error | null = null;

  private constructor(
    private readonly conn: Deno.TcpConn,
    readonly host: string,
    readonly port: number,
    readonly timeoutMs: number,
  ) {
    this.readLoop();
  }

  /** Connect to host:port; fails with ConnectionError after `timeoutMs`. */
  static async connect(host: string, port: number, timeoutMs = 10_000): Promise<NodeClient> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const conn = await Promise.race([
        Deno.connect({ hostname: host, port }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ConnectionError(`connection to ${host}:${port} timed out`)),
            timeoutMs,
          );
        }),
      ]);
      conn.setNoDelay(true);
      return new NodeClient(conn, host, port, timeoutMs);
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      throw new ConnectionError(`could not connect to ${host}:${port}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  get addr(): string {
    return `${this.host}:${this.port}`;
  }

  /** Send a request; resolves with the typed reply (error replies are values, not throws). */
  send(args: readonly Arg[], timeoutMs = this.timeoutMs): Promise<RespValue> {
    if (this.closed) {
      return Promise.reject(
        this.closeReason ?? new ConnectionError(`connection to ${this.addr} closed`),
      );
    }
    if (this.pending.length >= MAX_PENDING) {
      return Promise.reject(new Error(`too many pending requests to ${this.addr}`));
    }
    const { promise, resolve, reject } = Promise.withResolvers<RespValue>();
    const timer = setTimeout(() => {
      this.fail(
        new ConnectionError(
          `no reply from ${this.addr} within ${timeoutMs} ms (${String(args[0])})`,
        ),
      );
    }, timeoutMs);
    this.pending.push({ resolve, reject, timer });
    this.write(encodeRequest(args)).catch((e) =>
      this.fail(new ConnectionError(`write to ${this.addr} failed: ${e.message}`))
    );
    return promise;
  }

  /** Send a request; an error reply throws ReplyError. */
  async call(...args: Arg[]): Promise<RespValue> {
    const v = await this.send(args);
    if (v.type === "error") throw new ReplyError(v.value);
    return v;
  }

  /** A command whose reply is text (bulk, verbatim or status). */
  async callText(...args: Arg[]): Promise<string> {
    return replyText(await this.call(...args));
  }

  /** A command whose reply is an integer. */
  async callInt(...args: Arg[]): Promise<number> {
    const v = await this.call(...args);
    if (v.type !== "int") {
      throw new ReplyError(`expected an integer reply to ${String(args[0])}, got ${v.type}`);
    }
    return v.value;
  }

  close(): void {
    this.fail(new ConnectionError(`connection to ${this.addr} closed`));
  }

  private writeChain: Promise<void> = Promise.resolve();

  private write(data: Uint8Array): Promise<void> {
    this.writeChain = this.writeChain.then(async () => {
      let off = 0;
      while (off < data.length) off += await this.conn.write(data.subarray(off));
    });
    return this.writeChain;
  }

  private fail(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    try {
      this.conn.close();
    } catch { /* already closed */ }
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.end === this.buf.length) this.makeRoom();
        const n = await this.conn.read(this.buf.subarray(this.end));
        if (n === null) {
          this.fail(new ConnectionError(`${this.addr} closed the connection`));
          return;
        }
        this.end += n;
        this.drain();
      }
    } catch (e) {
      this.fail(
        e instanceof ConnectionError
          ? e
          : new ConnectionError(`read from ${this.addr} failed: ${(e as Error).message}`),
      );
    }
  }

  /** Compact, or grow the buffer (doubling, bounded) when it is full. */
  private makeRoom(): void {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      if (this.end < this.buf.length) return;
    }
    if (this.buf.length * 2 > MAX_BUFFER_BYTES) {
      throw new ConnectionError(`reply from ${this.addr} too large`);
    }
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.end));
    this.buf = next;
  }

  private drain(): void {
    const view = this.buf.subarray(0, this.end);
    while (this.start < this.end) {
      const r = decodeValue(view, this.start);
      if (r === null) break;
      this.start = r[1];
      const p = this.pending.shift();
      if (p === undefined) throw new ConnectionError(`unexpected reply from ${this.addr}`);
      clearTimeout(p.timer);
      p.resolve(r[0]);
    }
    if (this.start === this.end) this.start = this.end = 0;
  }
}

/** The text of a bulk, verbatim or status reply. */
export function replyText(v: RespValue): string {
  switch (v.type) {
    case "bulk":
      return dec.decode(v.value);
    case "verbatim":
    case "simple":
      return v.value;
    case "error":
      throw new ReplyError(v.value);
    default:
      throw new ReplyError(`expected a text reply, got ${v.type}`);
  }
}

/** The elements of an array reply, as strings (bulks decoded as UTF-8). */
export function replyStrings(v: RespValue): string[] {
  if (v.type === "error") throw new ReplyError(v.value);
  if (v.type !== "array") throw new ReplyError(`expected an array reply, got ${v.type}`);
  return v.value.map(replyText);
}

/** The elements of an array reply as raw bytes (keys are binary). */
export function replyBytesArray(v: RespValue): Uint8Array[] {
  if (v.type === "error") throw new ReplyError(v.value);
  if (v.type !== "array") throw new ReplyError(`expected an array reply, got ${v.type}`);
  return v.value.map((e) => {
    if (e.type !== "bulk") throw new ReplyError(`expected bulk strings, got ${e.type}`);
    return e.value;
  });
}
