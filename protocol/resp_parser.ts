/**
 * Incremental RESP request parser: multibulk (`*N\r\n$L\r\n...`) and inline (`PING\r\n`) forms,
 * with the limits and the exact protocol-error texts of Redis 7.0's networking.c.
 *
 * Pure over bytes: `feed()` chunks as they arrive, then call `next()` until it returns null.
 * A protocol error is returned once as `{ error }`; the caller replies `-ERR <error>` and closes
 * the connection, as Redis does.
 *
 * Arguments are views into the parser's input arena: bytes are appended to it and never written
 * again, so a view stays valid for as long as it is held. Handing out views instead of copies
 * saves an ArrayBuffer per argument (about 250 ns and 500 B of native memory each); whoever keeps
 * an argument long-term (the keyspace) copies it with `ownBytes` (protocol/bytes.ts) so that it
 * does not hold the rest of the arena alive.
 */

export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
const BIG_ARG = 32 * 1024;
/** The largest input arena; a fresh one holds 16 reads of the size just seen, at least 512 B. */
const ARENA_MAX_BYTES = 64 * 1024;
const ARENA_MIN_BYTES = 512;
/**
 * Most arguments a request's argv is allocated for up front (`new Array(n)`): an array grown by
 * push from empty gets 16 slots at once (186 bytes of heap for a 3-argument SET, against 74).
 */
const ARGV_PREALLOC_MAX = 64;

export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk argument accepted. */
  maxBulkLen: number;
  /** client-query-buffer-limit: the most unparsed bytes a client may have pending. */
  queryBufferLimit: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxBulkLen: 512 * 1024 * 1024,
  queryBufferLimit: 1024 * 1024 * 1024,
};

export type ParseResult =
  | { argv: Uint8Array[]; inline: boolean }
  | { error: string; closeWithoutReply?: boolean };

const EMPTY = new Uint8Array(0);

export class RespParser {
  /** The unparsed input: a view of `arena` that ends at `arenaUsed`. */
  private buf: Uint8Array = EMPTY;
  private pos = 0;
  /** Append-only input storage; views handed out point into it (or into an earlier one). */
  private arena: Uint8Array = EMPTY;
  private arenaUsed = 0;
  /** multibulk state */
  private argv: Uint8Array[] | null = null;
  /** Arguments of `argv` read so far. */
  private argc = 0;
  private remainingArgs = 0;
  /** A large bulk argument being filled in place. */
  private big: Uint8Array | null = null;
  private bigFilled = 0;
  private failed = false;
  limits: ParserLimits;
  /** When true, multibulk > 10 args or bulk > 16 KiB are refused (unauthenticated client). */
  authRequired = false;

  constructor(limits: ParserLimits = DEFAULT_LIMITS) {
    this.limits = limits;
  }

  /** Bytes received but not yet consumed (for the query-buffer limit and CLIENT LIST qbuf). */
  pendingBytes(): number {
    return this.buf.length - this.pos + (this.big ? this.bigFilled : 0);
  }

  /**
   * A request has begun and is not complete: bytes of it are pending, or some of its arguments
   * were parsed already (they are no longer counted in `pendingBytes`).
   */
  midRequest(): boolean {
    return this.argv !== null || this.big !== null || this.buf.length > this.pos;
  }

  /**
   * The input not parsed yet is `unparsedBuffer()` from `unparsedStart()` on; -1 while a request
   * is half-parsed. For reading ahead only (keyspace/prefetch.ts): nothing is consumed.
   */
  unparsedStart(): number {
    return this.argv === null && this.big === null ? this.pos : -1;
  }

  unparsedBuffer(): Uint8Array {
    return this.buf;
  }

  feed(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    if (this.big !== null) {
      const need = this.big.length - this.bigFilled;
      const take = Math.min(need, chunk.length);
      this.big.set(chunk.subarray(0, take), this.bigFilled);
      this.bigFilled += take;
      chunk = chunk.subarray(take);
      if (chunk.length === 0) return;
    }
    const rest = this.buf.length - this.pos;
    if (this.arena.length - this.arenaUsed >= chunk.length) {
      // Room after what is pending (which ends at arenaUsed): append in place.
      const start = this.arenaUsed - rest;
      this.arena.set(chunk, this.arenaUsed);
      this.arenaUsed += chunk.length;
      this.buf = this.arena.subarray(start, this.arenaUsed);
    } else {
      // A fresh arena; the old one stays alive only through views still held.
      const need = rest + chunk.length;
      const size = Math.max(need, Math.min(ARENA_MAX_BYTES, Math.max(ARENA_MIN_BYTES, need * 16)));
      const arena = new Uint8Array(size);
      if (rest > 0) arena.set(this.buf.subarray(this.pos), 0);
      arena.set(chunk, rest);
      this.arena = arena;
      this.arenaUsed = need;
      this.buf = arena.subarray(0, need);
    }
    this.pos = 0;
  }

  /** The next complete request, a protocol error, or null when more bytes are needed. */
  next(): ParseResult | null {
    if (this.failed) return null;
    const r = this.parse();
    if (r === null && this.pendingBytes() > this.limits.queryBufferLimit) {
      this.failed = true;
      return { error: "query buffer limit exceeded", closeWithoutReply: true };
    }
    if (r !== null && "error" in r) this.failed = true;
    return r;
  }

  private parse(): ParseResult | null {
    // Finish a large bulk first.
    if (this.big !== null) {
      if (this.bigFilled < this.big.length) return null;
      // big holds data + CRLF
      const data = this.big.subarray(0, this.big.length - 2);
      this.big = null;
      this.bigFilled = 0;
      this.argv![this.argc++] = data;
      this.remainingArgs--;
      if (this.remainingArgs === 0) return this.finish();
    }
    for (;;) {
      const buf = this.buf;
      if (this.argv === null) {
        // Skip empty lines between requests? Redis treats them as empty inline commands.
        if (this.pos >= buf.length) return null;
        if (buf[this.pos] !== 42 /* '*' */) return this.parseInline();
        // Fast path: `*<up to 10 digits>\r` and a byte after it, in one scan.
        let nl = this.pos + 1;
        let ll: number | null = 0;
        let c = 0;
        const digitsEnd = Math.min(buf.length, this.pos + 12);
        while (nl < digitsEnd && (c = buf[nl] - 48) >= 0 && c <= 9) {
          ll = ll * 10 + c;
          nl++;
        }
        if (!(nl > this.pos + 1 && nl < digitsEnd && buf[nl] === 13 && nl + 1 < buf.length)) {
          nl = buf.indexOf(13, this.pos);
          if (nl === -1 || nl + 1 >= buf.length) {
            if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) {
              return { error: "Protocol error: too big mbulk count string" };
            }
            return null;
          }
          if (nl - this.pos > PROTO_INLINE_MAX_SIZE) {
            return { error: "Protocol error: too big mbulk count string" };
          }
          ll = parseLen(buf, this.pos + 1, nl);
        }
        if (ll === null || ll > 2147483647) {
          return { error: "Protocol error: invalid multibulk length" };
        }
        if (ll > 10 && this.authRequired) {
          return { error: "Protocol error: unauthenticated multibulk length" };
        }
        this.pos = nl + 2;
        if (ll <= 0) continue; // empty request, ignored
        this.argv = ll <= ARGV_PREALLOC_MAX ? new Array(ll) : [];
        this.argc = 0;
        this.remainingArgs = ll;
      }
      // Read bulk arguments.
      const argv = this.argv!;
      while (this.remainingArgs > 0) {
        const pos = this.pos;
        if (pos >= buf.length) return null;
        // Fast path: `$<digits>\r` followed by the whole argument and its CRLF, read in one
        // scan (no indexOf call, no second pass over the digits); anything else (a length to
        // check, an argument not all here) takes the general path below.
        if (buf[pos] === 36 /* '$' */) {
          let i = pos + 1;
          let ll = 0;
          let c = 0;
          const digitsEnd = Math.min(buf.length, pos + 16);
          while (i < digitsEnd && (c = buf[i] - 48) >= 0 && c <= 9) {
            ll = ll * 10 + c;
            i++;
          }
          const start = i + 2;
          if (
            i > pos + 1 && i < digitsEnd && buf[i] === 13 && ll <= this.limits.maxBulkLen &&
            (ll <= 16384 || !this.authRequired) && start + ll + 2 <= buf.length
          ) {
            argv[this.argc++] = new Uint8Array(buf.buffer, buf.byteOffset + start, ll);
            this.pos = start + ll + 2;
            this.remainingArgs--;
            continue;
          }
        }
        const nl = buf.indexOf(13, pos);
        if (nl === -1 || nl + 1 >= buf.length) {
          if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) {
            return { error: "Protocol error: too big bulk count string" };
          }
          return null;
        }
        if (nl - this.pos > PROTO_INLINE_MAX_SIZE) {
          return { error: "Protocol error: too big bulk count string" };
        }
        if (buf[this.pos] !== 36 /* '$' */) {
          return {
            error: `Protocol error: expected '$', got '${String.fromCharCode(buf[this.pos])}'`,
          };
        }
        const ll = parseLen(buf, this.pos + 1, nl);
        if (ll === null || ll < 0 || ll > this.limits.maxBulkLen) {
          return { error: "Protocol error: invalid bulk length" };
        }
        if (ll > 16384 && this.authRequired) {
          return { error: "Protocol error: unauthenticated bulk length" };
        }
        const start = nl + 2;
        const have = buf.length - start;
        if (have < ll + 2) {
          if (ll >= BIG_ARG) {
            // Fill a dedicated buffer instead of re-concatenating the query buffer.
            const big = new Uint8Array(ll + 2);
            const take = Math.min(have, ll + 2);
            big.set(buf.subarray(start, start + take), 0);
            this.big = big;
            this.bigFilled = take;
            this.buf = EMPTY;
            this.pos = 0;
            return null;
          }
          return null;
        }
        argv[this.argc++] = buf.subarray(start, start + ll);
        this.pos = start + ll + 2;
        this.remainingArgs--;
      }
      return this.finish();
    }
  }

  private finish(): ParseResult {
    const argv = this.argv!;
    this.argv = null;
    this.remainingArgs = 0;
    if (this.pos >= this.buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
    return { argv, inline: false };
  }

  private parseInline(): ParseResult | null {
    const buf = this.buf;
    const nl = buf.indexOf(10, this.pos);
    if (nl === -1) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) {
        return { error: "Protocol error: too big inline request" };
      }
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === 13) end--;
    const line = buf.subarray(this.pos, end);
    this.pos = nl + 1;
    if (this.pos >= buf.length) {
      this.buf = EMPTY;
      this.pos = 0;
    }
    const argv = splitArgs(line);
    if (argv === null) return { error: "Protocol error: unbalanced quotes in request" };
    if (argv.length === 0) return this.parse();
    return { argv, inline: true };
  }
}

/** A non-negative or negative decimal between start and end; null if malformed. */
function parseLen(buf: Uint8Array, start: number, end: number): number | null {
  if (start >= end || end - start > 19) return null;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return null;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * sdssplitargs: split an inline request into arguments, honouring "double quotes" (with \n, \r,
 * \t, \b, \a, \\, \" and \xHH escapes) and 'single quotes' (only \' escaped). A closing quote
 * must be followed by a space or the end. Returns null for unbalanced quotes.
 */
export function splitArgs(line: Uint8Array): Uint8Array[] | null {
  // Without quotes (PING, GET k, redis-benchmark's inline tests), each argument is a view of the
  // line, as multibulk arguments are views of the input (no ArrayBuffer each); with quotes, the
  // arguments are unescaped into bytes of their own.
  const out: Uint8Array[] = [];
  const n = line.length;
  let p = 0;
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return out;
    const start = p;
    let c = 0;
    while (p < n && !isSpace(c = line[p]) && c !== 34 && c !== 39) p++;
    if (p < n && (c === 34 || c === 39)) return splitQuotedArgs(line);
    out.push(line.subarray(start, p));
  }
}

/** `splitArgs` of a line with quotes: sdssplitargs's whole grammar. */
function splitQuotedArgs(line: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let p = 0;
  const n = line.length;
  for (;;) {
    while (p < n && isSpace(line[p])) p++;
    if (p >= n) return out;
    const cur: number[] = [];
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      if (inq) {
        if (p >= n) return null;
        const c = line[p];
        if (
          c === 92 && p + 3 < n && line[p + 1] === 120 && hexVal(line[p + 2]) >= 0 &&
          hexVal(line[p + 3]) >= 0
        ) {
          cur.push(hexVal(line[p + 2]) * 16 + hexVal(line[p + 3]));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          const e = line[p];
          cur.push(
            e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e,
          );
        } else if (c === 34) {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else cur.push(c);
      } else if (insq) {
        if (p >= n) return null;
        const c = line[p];
        if (c === 92 && p + 1 < n && line[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(line[p + 1])) return null;
          done = true;
        } else cur.push(c);
      } else {
        if (p >= n) {
          done = true;
          break;
        }
        const c = line[p];
        if (isSpace(c)) done = true;
        else if (c === 34) inq = true;
        else if (c === 39) insq = true;
        else cur.push(c);
      }
      if (p < n) p++;
    }
    out.push(Uint8Array.from(cur));
  }
}
