/**
 * RESP2/RESP3 reply encoder. Command handlers write replies into a `Reply`; the connection
 * flushes its bytes once per batch of pipelined requests.
 *
 * The RESP version is a property of the writer (`proto`), so handlers call the RESP3-aware
 * method (`map`, `double`, `nil`, `verbatim`, `set`, `bool`) and the writer picks the form.
 */

import { formatDouble17g } from "./bytes.ts";
import { giveBuffer, POOLED_BUFFER_BYTES, takeBuffer } from "./buffer_pool.ts";

const CRLF = [13, 10];
/** A connection's reply buffer: a pooled one (protocol/buffer_pool.ts), taken at its first write. */
const INITIAL = POOLED_BUFFER_BYTES;
/** The buffer of a writer that holds none (before its first write, and after a `take()`). */
const NO_BUFFER = new Uint8Array(0);
/** Shortest binary string `bulkBinary` writes with TextEncoder.encodeInto (below: a loop). */
const ENCODE_INTO_MIN = 129;
const encoder = new TextEncoder();

export class Reply {
  buf: Uint8Array;
  len = 0;
  proto: 2 | 3 = 2;
  /** Incremented for every error reply (for stats). */
  errors = 0;
  /** The error texts written (bounded), for INFO errorstats / MULTI bookkeeping. */
  lastError = "";
  /** Called with every error text written (INFO errorstats). */
  onError: ((msg: string) => void) | null = null;

  /** With no size, the buffer is taken from the shared pool at the first write. */
  constructor(size?: number) {
    this.buf = size === undefined ? NO_BUFFER : new Uint8Array(size);
  }

  /** The buffer the previous `take()` returned, written into again at the next one. */
  private spare: Uint8Array | null = null;

  /**
   * The bytes written so far, and resets the writer. The bytes stay valid until the next
   * `take()` or `written()`, so a caller must be done with them (written to the socket) before
   * either. Two buffers alternate (no allocation per flush), but a pooled-size one goes back to
   * the pool at `written()` and the next write takes one from it, so an idle connection holds
   * none (a writer whose replies outgrew that size keeps its pair). A buffer past 1 MiB is dropped.
   */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    const next = this.spare ?? NO_BUFFER;
    this.spare = this.buf.length > 1024 * 1024 || this.buf === NO_BUFFER ? null : this.buf;
    this.buf = next;
    this.len = 0;
    return out;
  }

  /** The bytes of the last `take()` are written: a pooled-size buffer goes back to the pool. */
  written(): void {
    const spare = this.spare;
    if (spare !== null && spare.length === INITIAL) {
      this.spare = null;
      giveBuffer(spare);
    }
  }

  /**
   * Room for `extra` more bytes in `buf` from `len`, for a caller that writes into `buf` itself
   * and then moves `len` (LRANGE, commands/lists.ts).
   */
  reserve(extra: number): void {
    this.ensure(extra);
  }

  /** Current write position; with `truncate` lets a caller discard what it wrote. */
  mark(): number {
    return this.len;
  }

  truncate(mark: number): void {
    this.len = mark;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    if (this.buf === NO_BUFFER && need <= INITIAL) {
      this.buf = takeBuffer();
      return;
    }
    let size = this.buf.length === 0 ? INITIAL : this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    if (n <= 64) {
      // Small frames (Pub/Sub messages, many per publish): a loop beats TypedArray.set's call.
      let o = this.len;
      for (let i = 0; i < n; i++) b[o++] = bytes[i];
      this.len = o;
      return;
    }
    b.set(bytes, this.len);
    this.len += n;
  }

  /** ASCII-only text (no multibyte chars). */
  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let o = this.len;
    for (let i = 0; i < n; i++) b[o++] = s.charCodeAt(i);
    this.len = o;
  }

  /** UTF-8 text. */
  private text(s: string): void {
    // Fast path for ASCII.
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) this.ascii(s);
    else this.raw(new TextEncoder().encode(s));
  }

  private crlf(): void {
    this.ensure(2);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  private prefixInt(prefix: number, n: number): void {
    this.ensure(24);
    this.buf[this.len++] = prefix;
    if (n >= 0 && n < 10) {
      this.buf[this.len++] = 48 + n;
    } else this.ascii(String(n));
    this.buf[this.len++] = CRLF[0];
    this.buf[this.len++] = CRLF[1];
  }

  /** +text (status). */
  status(s: string): void {
    this.ensure(s.length + 3);
    this.buf[this.len++] = 43;
    this.text(s);
    this.crlf();
  }

  ok(): void {
    this.ascii("+OK\r\n");
  }

  /** -text. `msg` must include the error code, e.g. "ERR syntax error". */
  error(msg: string): void {
    this.errors++;
    this.lastError = msg;
    if (this.onError !== null) this.onError(msg);
    this.ensure(msg.length + 3);
    this.buf[this.len++] = 45;
    // Redis replaces newlines in error messages with spaces.
    this.text(msg.includes("\n") || msg.includes("\r") ? msg.replace(/[\r\n]/g, " ") : msg);
    this.crlf();
  }

  /** -bytes: an error whose text is a byte string (a script's error table); CR/LF become spaces. */
  errorBytes(msg: Uint8Array): void {
    let text = "";
    for (let i = 0; i < msg.length; i++) text += String.fromCharCode(msg[i]);
    this.errors++;
    this.lastError = text;
    if (this.onError !== null) this.onError(text);
    this.lineBytes(45, msg);
  }

  /** +bytes: a status whose text is a byte string; CR/LF become spaces. */
  statusBytes(msg: Uint8Array): void {
    this.lineBytes(43, msg);
  }

  private lineBytes(prefix: number, msg: Uint8Array): void {
    this.ensure(msg.length + 3);
    const b = this.buf;
    let o = this.len;
    b[o++] = prefix;
    for (let i = 0; i < msg.length; i++) {
      const c = msg[i];
      b[o++] = c === 13 || c === 10 ? 32 : c;
    }
    b[o++] = 13;
    b[o++] = 10;
    this.len = o;
  }

  int(n: number | bigint): void {
    if (typeof n === "bigint") {
      this.ascii(`:${n}\r\n`);
      return;
    }
    this.prefixInt(58, n);
  }

  bulk(bytes: Uint8Array): void {
    this.prefixInt(36, bytes.length);
    this.raw(bytes);
    this.crlf();
  }

  /** A bulk string of `src[start, end)`, with no view made (GET of a value in the value slab). */
  bulkRange(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.prefixInt(36, n);
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let o = this.len;
    for (let i = start; i < end; i++) b[o++] = src[i];
    this.len = o;
    this.crlf();
  }

  /**
   * A bulk string from a binary string (one char per byte): keys, members, and string values
   * held as binary strings (GET's hot path), written straight into the buffer with no
   * intermediate Uint8Array. A long one is tried with TextEncoder.encodeInto into exactly its
   * length (~0.1 us where the loop takes ~1.2 ns a char): that reads every char only when all
   * are ASCII (UTF-8 would need two bytes for any other), else the loop writes it again.
   */
  bulkBinary(s: string): void {
    const n = s.length;
    if (this.len + n + 24 > this.buf.length) this.ensure(n + 24);
    const b = this.buf;
    let o = this.len;
    b[o++] = 36;
    if (n < 10) b[o++] = 48 + n;
    else {
      const digits = String(n);
      for (let i = 0; i < digits.length; i++) b[o++] = digits.charCodeAt(i);
    }
    b[o++] = 13;
    b[o++] = 10;
    if (n < ENCODE_INTO_MIN || encoder.encodeInto(s, b.subarray(o, o + n)).read !== n) {
      for (let i = 0; i < n; i++) b[o + i] = s.charCodeAt(i);
    }
    o += n;
    b[o++] = 13;
    b[o++] = 10;
    this.len = o;
  }

  /** A bulk string from UTF-8 text. */
  bulkText(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.bulk(bytes);
  }

  /** Null bulk (RESP2 `$-1`) or RESP3 null. */
  nil(): void {
    if (this.proto === 3) this.ascii("_\r\n");
    else this.ascii("$-1\r\n");
  }

  /** Null array (RESP2 `*-1`) or RESP3 null. */
  nilArray(): void {
    if (this.proto === 3) this.ascii("_\r\n");
    else this.ascii("*-1\r\n");
  }

  array(n: number): void {
    this.prefixInt(42, n);
  }

  /** An out-of-band push of n elements (RESP3 `>n`, RESP2 an array): pub/sub messages. */
  push(n: number): void {
    this.prefixInt(this.proto === 3 ? 62 : 42, n);
  }

  /** A map of n pairs (RESP3 `%n`, RESP2 a flat array of 2n). */
  map(n: number): void {
    if (this.proto === 3) this.prefixInt(37, n);
    else this.prefixInt(42, n * 2);
  }

  /** A set of n elements (RESP3 `~n`, RESP2 an array). */
  set(n: number): void {
    if (this.proto === 3) this.prefixInt(126, n);
    else this.prefixInt(42, n);
  }

  /** A double, as Redis 7.0 formats it (%.17g): RESP3 `,d`, RESP2 a bulk string. */
  double(d: number): void {
    const s = formatDouble17g(d);
    if (this.proto === 3) {
      this.ascii(`,${s}\r\n`);
    } else {
      this.prefixInt(36, s.length);
      this.ascii(s);
      this.crlf();
    }
  }

  /** A boolean: RESP3 `#t`/`#f`, RESP2 integer 1/0. */
  bool(b: boolean): void {
    if (this.proto === 3) this.ascii(b ? "#t\r\n" : "#f\r\n");
    else this.ascii(b ? ":1\r\n" : ":0\r\n");
  }

  /** A verbatim text (RESP3 `=len\r\ntxt:...`), or a bulk string in RESP2. */
  verbatim(s: string, format = "txt"): void {
    const bytes = new TextEncoder().encode(s);
    if (this.proto === 3) {
      this.prefixInt(61, bytes.length + 4);
      this.ascii(format + ":");
      this.raw(bytes);
      this.crlf();
    } else this.bulk(bytes);
  }

  /** An array of bulk strings. */
  bulkArray(items: Uint8Array[]): void {
    this.array(items.length);
    for (const it of items) this.bulk(it);
  }

  /** An array of binary strings. */
  binaryArray(items: string[]): void {
    this.array(items.length);
    for (const it of items) this.bulkBinary(it);
  }

  /** An empty map (`%0` in RESP3, `*0` in RESP2). */
  emptyMap(): void {
    this.map(0);
  }
}
