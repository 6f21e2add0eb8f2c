/**
 * The list type: elements packed as bytes in blocks, as Redis's quicklist of listpacks
 * (quicklist.c, listpack.c). A list is a sequence of blocks; a block is one Uint8Array holding
 * length-prefixed entries back to back in `buf[start, end)`, with free space on both sides, so
 * a push at either end writes into the end block and a pop at either end moves `start` or `end`.
 *
 * Why: a list element held as its own JS value (a string or a Uint8Array) outlives V8's young
 * generation, so every pushed element was copied by a scavenge and promoted
 * (`--trace-gc` on `redis-benchmark -t lpush -P 16`: 786 ms of scavenges per 1M LPUSHes, against
 * 82 ms for SET). Bytes in a block's buffer are neither scanned nor copied by the collector: a
 * push of a small element allocates nothing that survives.
 *
 * Entry layout (both ends carry the length, as a listpack entry carries its back-length, so the
 * entries can be walked from either end): a length header, the element's bytes, and the same
 * length as a trailer written backwards:
 *
 *   n < 2^7:   header [n]                    trailer [n]
 *   n < 2^14:  header [0x80 | n >> 8, n]     trailer [n, 0x80 | n >> 8]
 *   else:      header [0xc0, n as 4 bytes LE] trailer [n as 4 bytes LE, 0xc0]
 *
 * A block holds at most BLOCK_BYTES bytes of entries (list-max-listpack-size -2, 8 KiB, Redis's
 * default), except a block holding one entry larger than that alone (quicklist.c's
 * _quicklistNodeAllowInsert starts a new node when the insert would pass the limit). The first
 * block of a list starts small and doubles up to BLOCK_BYTES; later blocks start at BLOCK_BYTES.
 * An emptied block is removed (quicklistDelNode); one freed 8 KiB buffer is kept for the next new
 * block, so a queue (RPUSH + LPOP) does not allocate a block per 8 KiB it passes through.
 *
 * Costs, as the quicklist's: push and pop at both ends O(1) amortised; an element by index
 * O(blocks + entries of one block); an edit in the middle (LSET, LINSERT, one removal) rewrites
 * one block.
 *
 * Elements are handed out two ways. The hot paths (commands/lists.ts) read them in place: `peek`
 * and `locate` set `ebuf`/`epos`/`elen` to the element's bytes inside its block, and a
 * ListCursor walks a range, so a reply is written from the block with no JS value made. The
 * general accessors (`at`, `pop`, `shift`, `toArray`, iteration) return a string value in the
 * form keyspace/string_value.ts gives a stored value (a binary string when small, else its own
 * bytes), for the readers that take any string value (RDB and AOF writers, DEBUG DIGEST, SORT).
 */

import { loadedString, type StringValue } from "./string_value.ts";

/** Most bytes of entries in a block holding more than one (list-max-listpack-size -2). */
export const BLOCK_BYTES = 8192;
/** The first block of a list is allocated this large (or the power of two its entry needs). */
const FIRST_BLOCK_BYTES = 32;

const EMPTY = new Uint8Array(0);

/** Bytes of the header (and of the trailer) of an entry of an `n`-byte element. */
function headerBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : 5;
}

/** Bytes an `n`-byte element takes in a block. */
export function entryBytes(n: number): number {
  return n + 2 * headerBytes(n);
}

/** Write the entry of `v` (its `n` bytes or chars) at `at`. */
function writeEntry(buf: Uint8Array, at: number, v: StringValue, n: number): void {
  let o = at;
  if (n < 0x80) buf[o++] = n;
  else if (n < 0x4000) {
    buf[o++] = 0x80 | (n >>> 8);
    buf[o++] = n & 0xff;
  } else {
    buf[o++] = 0xc0;
    buf[o++] = n & 0xff;
    buf[o++] = (n >>> 8) & 0xff;
    buf[o++] = (n >>> 16) & 0xff;
    buf[o++] = n >>> 24;
  }
  if (typeof v === "string") { for (let i = 0; i < n; i++) buf[o++] = v.charCodeAt(i); }
  else if (n <= 64) { for (let i = 0; i < n; i++) buf[o++] = v[i]; }
  else {
    buf.set(v, o);
    o += n;
  }
  if (n < 0x80) buf[o] = n;
  else if (n < 0x4000) {
    buf[o++] = n & 0xff;
    buf[o] = 0x80 | (n >>> 8);
  } else {
    buf[o++] = n & 0xff;
    buf[o++] = (n >>> 8) & 0xff;
    buf[o++] = (n >>> 16) & 0xff;
    buf[o++] = n >>> 24;
    buf[o] = 0xc0;
  }
}

/** What the last readForward/readBack found: the element's length and first byte. */
let readLen = 0;
let readData = 0;

/** Read the entry starting at `o`: sets readLen/readData; returns the entry's end. */
function readForward(buf: Uint8Array, o: number): number {
  const b = buf[o];
  if (b < 0x80) {
    readLen = b;
    readData = o + 1;
    return o + 2 + b;
  }
  if (b < 0xc0) {
    const n = ((b & 0x3f) << 8) | buf[o + 1];
    readLen = n;
    readData = o + 2;
    return o + 4 + n;
  }
  const n = (buf[o + 1] | (buf[o + 2] << 8) | (buf[o + 3] << 16) | (buf[o + 4] << 24)) >>> 0;
  readLen = n;
  readData = o + 5;
  return o + 10 + n;
}

/** Read the entry ending at `e`: sets readLen/readData; returns the entry's start. */
function readBack(buf: Uint8Array, e: number): number {
  const b = buf[e - 1];
  if (b < 0x80) {
    readLen = b;
    readData = e - 1 - b;
    return e - 2 - b;
  }
  if (b < 0xc0) {
    const n = ((b & 0x3f) << 8) | buf[e - 2];
    readLen = n;
    readData = e - 2 - n;
    return e - 4 - n;
  }
  const n = (buf[e - 5] | (buf[e - 4] << 8) | (buf[e - 3] << 16) | (buf[e - 2] << 24)) >>> 0;
  readLen = n;
  readData = e - 5 - n;
  return e - 10 - n;
}

function pow2AtLeast(n: number, min: number): number {
  let c = min;
  while (c < n) c *= 2;
  return c;
}

/** The string value (keyspace/string_value.ts form) of `n` bytes at `buf[pos]`: its own copy. */
function elementValue(buf: Uint8Array, pos: number, n: number): StringValue {
  return loadedString(buf.slice(pos, pos + n));
}

/** One block: entries in `buf[start, end)`, `count` of them (never 0 while in a list). */
export class Block {
  constructor(public buf: Uint8Array, public start: number, public end: number, public count = 0) {}
}

export class Deque {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  /** Elements. */
  length = 0;
  /** The blocks, head first. */
  blocks: Block[] = [];
  /** Bytes of the blocks' buffers (and of the spare one), for MEMORY USAGE and the charges. */
  bytes = 0;
  /** A freed BLOCK_BYTES buffer kept for the next new block. */
  private spare: Uint8Array | null = null;

  /** The element `peek` or `locate` found: its bytes are `ebuf[epos, epos + elen)`. */
  ebuf: Uint8Array = EMPTY;
  epos = 0;
  elen = 0;
  /** ... and (`locate` only) its block's index and its entry's first byte. */
  eblock = 0;
  eentry = 0;

  static from(values: Iterable<StringValue>): Deque {
    const d = new Deque();
    for (const v of values) d.push(v);
    return d;
  }

  // ------------------------------------------------------------ buffers

  private newBuffer(cap: number): Uint8Array {
    const s = this.spare;
    if (cap === BLOCK_BYTES && s !== null) {
      this.spare = null;
      return s;
    }
    this.bytes += cap;
    return new Uint8Array(cap);
  }

  private freeBuffer(buf: Uint8Array): void {
    if (buf.length === BLOCK_BYTES && this.spare === null) this.spare = buf;
    else this.bytes -= buf.length;
  }

  /** A new empty block for an entry of `e` bytes, its free space on the side pushed to. */
  private newBlock(e: number, tail: boolean): Block {
    const cap = e > BLOCK_BYTES
      ? e
      : this.length === 0
      ? Math.min(BLOCK_BYTES, pow2AtLeast(e, FIRST_BLOCK_BYTES))
      : BLOCK_BYTES;
    const at = tail ? 0 : cap;
    return new Block(this.newBuffer(cap), at, at);
  }

  /**
   * Make room for an entry of `e` bytes at one end of block `b` (its entries and `e` fit in
   * BLOCK_BYTES): a buffer below BLOCK_BYTES doubles once more than half full, else the entries
   * move within it. Three quarters of the free space go to the side pushed to.
   */
  private makeRoom(b: Block, e: number, tail: boolean): void {
    const used = b.end - b.start;
    const need = used + e;
    const buf = b.buf;
    const cap = buf.length;
    const ncap = cap < BLOCK_BYTES && need * 2 > cap
      ? Math.min(BLOCK_BYTES, pow2AtLeast(need * 2, cap * 2))
      : cap;
    const other = (ncap - need) >> 2;
    const ns = tail ? other : ncap - other - used;
    if (ncap === cap) buf.copyWithin(ns, b.start, b.end);
    else {
      const nb = this.newBuffer(ncap);
      nb.set(buf.subarray(b.start, b.end), ns);
      this.freeBuffer(buf);
      b.buf = nb;
    }
    b.start = ns;
    b.end = ns + used;
  }

  // ------------------------------------------------------------ ends

  /** Append an element (RPUSH). */
  push(v: StringValue): void {
    const n = v.length;
    const e = entryBytes(n);
    const bl = this.blocks;
    let b = bl.length === 0 ? undefined : bl[bl.length - 1];
    if (b === undefined || b.end - b.start + e > BLOCK_BYTES) {
      b = this.newBlock(e, true);
      bl.push(b);
    } else if (b.buf.length - b.end < e) this.makeRoom(b, e, true);
    writeEntry(b.buf, b.end, v, n);
    b.end += e;
    b.count++;
    this.length++;
  }

  /** Prepend an element (LPUSH). */
  unshift(v: StringValue): void {
    const n = v.length;
    const e = entryBytes(n);
    const bl = this.blocks;
    let b = bl.length === 0 ? undefined : bl[0];
    if (b === undefined || b.end - b.start + e > BLOCK_BYTES) {
      b = this.newBlock(e, false);
      bl.unshift(b);
    } else if (b.start < e) this.makeRoom(b, e, false);
    b.start -= e;
    writeEntry(b.buf, b.start, v, n);
    b.count++;
    this.length++;
  }

  /**
   * Point `ebuf`/`epos`/`elen` at the last element (`tail`) or the first; false when the list is
   * empty. Valid until the list next changes.
   */
  peek(tail: boolean): boolean {
    const bl = this.blocks;
    if (bl.length === 0) return false;
    if (tail) {
      const b = bl[bl.length - 1];
      readBack(b.buf, b.end);
      this.ebuf = b.buf;
    } else {
      const b = bl[0];
      readForward(b.buf, b.start);
      this.ebuf = b.buf;
    }
    this.epos = readData;
    this.elen = readLen;
    return true;
  }

  /** Remove the last element (`tail`) or the first; the list is not empty. */
  drop(tail: boolean): void {
    const bl = this.blocks;
    let b: Block;
    if (tail) {
      b = bl[bl.length - 1];
      b.end = readBack(b.buf, b.end);
    } else {
      b = bl[0];
      b.start = readForward(b.buf, b.start);
    }
    this.length--;
    if (--b.count === 0) {
      if (tail) bl.pop();
      else bl.shift();
      this.freeBuffer(b.buf);
    }
  }

  /** Remove and return the last element (as a string value); undefined when empty. */
  pop(): StringValue | undefined {
    if (!this.peek(true)) return undefined;
    const v = elementValue(this.ebuf, this.epos, this.elen);
    this.drop(true);
    return v;
  }

  /** Remove and return the first element (as a string value); undefined when empty. */
  shift(): StringValue | undefined {
    if (!this.peek(false)) return undefined;
    const v = elementValue(this.ebuf, this.epos, this.elen);
    this.drop(false);
    return v;
  }

  /** Remove and return the bytes of the last element (`tail`) or the first (their own copy). */
  popBytes(tail: boolean): Uint8Array | undefined {
    if (!this.peek(tail)) return undefined;
    const v = this.ebuf.slice(this.epos, this.epos + this.elen);
    this.drop(tail);
    return v;
  }

  /** Remove the first `k` elements (`tail`: the last); whole blocks at a time where it can. */
  trim(k: number, tail: boolean): void {
    const bl = this.blocks;
    while (k > 0 && bl.length > 0) {
      const b = tail ? bl[bl.length - 1] : bl[0];
      if (b.count <= k) {
        k -= b.count;
        this.length -= b.count;
        if (tail) bl.pop();
        else bl.shift();
        this.freeBuffer(b.buf);
      } else {
        for (; k > 0; k--) this.drop(tail);
      }
    }
  }

  /** Remove every element. */
  clear(): void {
    for (const b of this.blocks) this.freeBuffer(b.buf);
    this.blocks = [];
    this.length = 0;
  }

  // ------------------------------------------------------------ by index

  /**
   * Point `ebuf`/`epos`/`elen` at element `i` (0 <= i < length): from the nearer end, block by
   * block, then entry by entry from the nearer end of its block. Valid until the list changes.
   */
  locate(i: number): void {
    const bl = this.blocks;
    let bi: number;
    let base: number;
    if (i < this.length >> 1) {
      bi = 0;
      base = 0;
      while (base + bl[bi].count <= i) base += bl[bi++].count;
    } else {
      bi = bl.length - 1;
      base = this.length - bl[bi].count;
      while (base > i) base -= bl[--bi].count;
    }
    const b = bl[bi];
    const buf = b.buf;
    let k = i - base;
    let at: number;
    if (k < b.count >> 1) {
      at = b.start;
      while (k-- > 0) at = readForward(buf, at);
      readForward(buf, at);
    } else {
      let e = b.end;
      for (let m = b.count - 1 - k; m > 0; m--) e = readBack(buf, e);
      at = readBack(buf, e);
    }
    this.ebuf = buf;
    this.epos = readData;
    this.elen = readLen;
    this.eblock = bi;
    this.eentry = at;
  }

  /** Element at index (0-based, no negative indexes) as a string value; undefined when out of range. */
  at(i: number): StringValue | undefined {
    if (i < 0 || i >= this.length) return undefined;
    this.locate(i);
    return elementValue(this.ebuf, this.epos, this.elen);
  }

  /** Replace element `i` (LSET). */
  setAt(i: number, v: StringValue): void {
    if (i < 0 || i >= this.length) throw new RangeError("deque index out of range");
    this.locate(i);
    const del = entryBytes(this.elen);
    this.splice(this.eblock, this.eentry, del, v, 0);
  }

  /** Insert `v` before element `i` (0 <= i <= length; LINSERT). */
  insertAt(i: number, v: StringValue): void {
    if (i < 0 || i > this.length) throw new RangeError("deque index out of range");
    if (i === 0) return this.unshift(v);
    if (i === this.length) return this.push(v);
    this.locate(i);
    this.splice(this.eblock, this.eentry, 0, v, 1);
    this.length++;
  }

  /** Remove element `i`. */
  removeAt(i: number): void {
    if (i < 0 || i >= this.length) throw new RangeError("deque index out of range");
    this.locate(i);
    this.splice(this.eblock, this.eentry, entryBytes(this.elen), null, -1);
    this.length--;
  }

  /**
   * Rewrite block `bi` with the `del` bytes at `at` replaced by the entry of `v` (none: null),
   * its count changed by `dcount`; an emptied block goes, one grown past BLOCK_BYTES is split.
   */
  private splice(bi: number, at: number, del: number, v: StringValue | null, dcount: number): void {
    const b = this.blocks[bi];
    const n = v === null ? 0 : v.length;
    const e = v === null ? 0 : entryBytes(n);
    const head = at - b.start;
    const tailBytes = b.end - at - del;
    const used = head + e + tailBytes;
    b.count += dcount;
    if (b.count === 0) {
      this.blocks.splice(bi, 1);
      this.freeBuffer(b.buf);
      return;
    }
    const old = b.buf;
    const cap = used > BLOCK_BYTES ? used : pow2AtLeast(used, FIRST_BLOCK_BYTES);
    const nb = this.newBuffer(cap);
    nb.set(old.subarray(b.start, at), 0);
    if (v !== null) writeEntry(nb, head, v, n);
    nb.set(old.subarray(at + del, b.end), head + e);
    this.freeBuffer(old);
    b.buf = nb;
    b.start = 0;
    b.end = used;
    if (used > BLOCK_BYTES && b.count > 1) this.split(bi);
  }

  /** Split block `bi` into blocks of at most BLOCK_BYTES (or one larger entry each). */
  private split(bi: number): void {
    const b = this.blocks[bi];
    const buf = b.buf;
    const parts: Block[] = [];
    let from = b.start;
    let count = 0;
    let at = b.start;
    const cut = (to: number) => {
      const size = to - from;
      const nb = this.newBuffer(size > BLOCK_BYTES ? size : pow2AtLeast(size, FIRST_BLOCK_BYTES));
      nb.set(buf.subarray(from, to), 0);
      parts.push(new Block(nb, 0, size, count));
      from = to;
      count = 0;
    };
    while (at < b.end) {
      const next = readForward(buf, at);
      if (count > 0 && next - from > BLOCK_BYTES) cut(at);
      count++;
      at = next;
    }
    cut(b.end);
    this.freeBuffer(buf);
    this.blocks.splice(bi, 1, ...parts);
  }

  /**
   * Keep only the elements `keep` accepts (given their bytes `buf[pos, pos + len)` and index),
   * in order, packed into new blocks (LREM). O(length).
   */
  retain(keep: (buf: Uint8Array, pos: number, len: number, index: number) => boolean): void {
    const old = this.blocks;
    // Bytes of the entries not yet read: a bound on what the rest of the rebuild keeps.
    let left = 0;
    for (const b of old) left += b.end - b.start;
    this.blocks = [];
    this.length = 0;
    let index = 0;
    let out: Block | undefined;
    for (const b of old) {
      const buf = b.buf;
      let at = b.start;
      while (at < b.end) {
        const next = readForward(buf, at);
        const e = next - at;
        if (keep(buf, readData, readLen, index++)) {
          if (out === undefined || out.end + e > out.buf.length) {
            // Filled from the left: BLOCK_BYTES, or less when less is left, or one larger entry.
            const cap = e > BLOCK_BYTES
              ? e
              : Math.min(BLOCK_BYTES, pow2AtLeast(left, FIRST_BLOCK_BYTES));
            out = new Block(this.newBuffer(cap), 0, 0);
            this.blocks.push(out);
          }
          out.buf.set(buf.subarray(at, next), out.end);
          out.end += e;
          out.count++;
          this.length++;
        }
        left -= e;
        at = next;
      }
      this.freeBuffer(b.buf);
    }
  }

  /** A copy sharing nothing with this list (COPY). */
  clone(): Deque {
    const d = new Deque();
    for (const b of this.blocks) {
      d.blocks.push(new Block(b.buf.slice(), b.start, b.end, b.count));
      d.bytes += b.buf.length;
    }
    d.length = this.length;
    return d;
  }

  toArray(): StringValue[] {
    const out: StringValue[] = [];
    const c = new ListCursor(this);
    for (let ok = c.seek(0); ok; ok = c.next()) out.push(elementValue(c.buf, c.pos, c.len));
    return out;
  }

  /** Replace the whole content. */
  replaceAll(values: StringValue[]): void {
    this.clear();
    for (const v of values) this.push(v);
  }

  *[Symbol.iterator](): IterableIterator<StringValue> {
    const c = new ListCursor(this);
    for (let ok = c.seek(0); ok; ok = c.next()) yield elementValue(c.buf, c.pos, c.len);
  }
}

/**
 * Walks a list element by element from a position, either way: `buf[pos, pos + len)` are the
 * bytes of the current element. Valid until the list changes.
 */
export class ListCursor {
  buf: Uint8Array = EMPTY;
  pos = 0;
  len = 0;
  private block = 0;
  /** The current entry is `buf[from, to)`, in a block whose entries end at `blockEnd`. */
  private from = 0;
  private to = 0;
  private blockEnd = 0;

  constructor(private readonly list: Deque) {}

  /** Move to element `i`; false when out of range. */
  seek(i: number): boolean {
    const list = this.list;
    if (i < 0 || i >= list.length) return false;
    list.locate(i);
    this.block = list.eblock;
    this.blockEnd = list.blocks[list.eblock].end;
    this.from = list.eentry;
    this.buf = list.ebuf;
    this.pos = list.epos;
    this.len = list.elen;
    this.to = list.epos + list.elen + headerBytes(list.elen);
    return true;
  }

  /** Move to the next element; false past the last. */
  next(): boolean {
    let buf = this.buf;
    let at = this.to;
    if (at >= this.blockEnd) {
      const bl = this.list.blocks;
      if (++this.block >= bl.length) return false;
      const b = bl[this.block];
      buf = this.buf = b.buf;
      at = b.start;
      this.blockEnd = b.end;
    }
    this.from = at;
    const h = buf[at];
    if (h < 0x80) {
      // A short element (the common case), decoded here.
      this.pos = at + 1;
      this.len = h;
      this.to = at + 2 + h;
      return true;
    }
    this.to = readForward(buf, at);
    this.pos = readData;
    this.len = readLen;
    return true;
  }

  /** How many elements the last `writeBulks` wrote. */
  written = 0;

  /**
   * Write the elements from the current one on as RESP bulk strings (`$<len>\r\n<bytes>\r\n`,
   * the same in RESP2 and RESP3) into `out` from offset `o`: at most `limit` of them, and only as
   * many as fit whole. The cursor moves past each one written; `written` counts them. Returns the
   * offset after the last. (LRANGE's reply, written from the blocks with no call per element.)
   */
  writeBulks(out: Uint8Array, o: number, limit: number): number {
    const cap = out.length;
    const bl = this.list.blocks;
    let written = 0;
    let buf = this.buf;
    let at = this.from;
    let end = this.blockEnd;
    let bi = this.block;
    while (written < limit) {
      // Decode the entry at `at` (a short one here).
      const h = buf[at];
      let pos: number;
      let len: number;
      let next: number;
      if (h < 0x80) {
        len = h;
        pos = at + 1;
        next = at + 2 + h;
      } else {
        next = readForward(buf, at);
        pos = readData;
        len = readLen;
      }
      if (o + len + 16 > cap) break;
      out[o++] = 36; // $
      if (len < 10) out[o++] = 48 + len;
      else if (len < 100) {
        out[o++] = 48 + ((len / 10) | 0);
        out[o++] = 48 + (len % 10);
      } else {
        const digits = String(len);
        for (let i = 0; i < digits.length; i++) out[o++] = digits.charCodeAt(i);
      }
      out[o++] = 13;
      out[o++] = 10;
      if (len <= 64) { for (let i = 0; i < len; i++) out[o++] = buf[pos + i]; }
      else {
        out.set(buf.subarray(pos, pos + len), o);
        o += len;
      }
      out[o++] = 13;
      out[o++] = 10;
      written++;
      at = next;
      if (at >= end) {
        if (++bi >= bl.length) {
          // Past the last element: `next` answers false from here.
          this.block = bl.length;
          this.to = this.blockEnd = 0;
          this.written = written;
          return o;
        }
        const b = bl[bi];
        buf = b.buf;
        at = b.start;
        end = b.end;
      }
    }
    // The cursor is on the first element not written.
    this.block = bi;
    this.blockEnd = end;
    this.buf = buf;
    this.from = at;
    this.to = readForward(buf, at);
    this.pos = readData;
    this.len = readLen;
    this.written = written;
    return o;
  }

  /** Move to the previous element; false before the first. */
  prev(): boolean {
    const bl = this.list.blocks;
    let b = bl[this.block];
    let at = this.from;
    if (at <= b.start) {
      if (--this.block < 0) return false;
      b = bl[this.block];
      at = b.end;
      this.blockEnd = b.end;
    }
    this.from = readBack(b.buf, at);
    this.to = at;
    this.buf = b.buf;
    this.pos = readData;
    this.len = readLen;
    return true;
  }
}
