/**
 * The replication backlog (Redis's repl_backlog): a ring buffer of the last `size` bytes of the
 * replication stream, addressed by stream offset. Offsets are Redis's: the first byte ever
 * written to the stream has offset 1; `firstByteOffset` is the offset of the oldest byte held.
 */

export class Backlog {
  private buf: Uint8Array;
  /** Next write position in `buf`. */
  private idx = 0;
  /** Bytes held (<= buf.length). */
  histlen = 0;
  /** Offset of the oldest byte held (Redis's repl_backlog->offset). */
  firstByteOffset: number;

  /** `masterOffset` is the stream offset already reached (the next byte is masterOffset+1). */
  constructor(size: number, masterOffset: number) {
    if (!(size > 0)) throw new Error("backlog size must be positive");
    this.buf = new Uint8Array(size);
    this.firstByteOffset = masterOffset + 1;
  }

  get size(): number {
    return this.buf.length;
  }

  /** Append stream bytes (older bytes fall off the front when full). */
  append(data: Uint8Array): void {
    const size = this.buf.length;
    let src = data;
    if (src.length > size) {
      // Only the last `size` bytes can be held.
      this.firstByteOffset += this.histlen + (src.length - size);
      this.histlen = 0;
      src = src.subarray(src.length - size);
    }
    const first = Math.min(src.length, size - this.idx);
    this.buf.set(src.subarray(0, first), this.idx);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.idx = (this.idx + src.length) % size;
    const newLen = this.histlen + src.length;
    if (newLen > size) {
      this.firstByteOffset += newLen - size;
      this.histlen = size;
    } else this.histlen = newLen;
  }

  /** Does the backlog hold every byte from `offset` on (offset may be one past the end)? */
  covers(offset: number): boolean {
    return offset >= this.firstByteOffset && offset <= this.firstByteOffset + this.histlen;
  }

  /** The bytes from stream offset `offset` to the end (caller checked `covers`). */
  from(offset: number): Uint8Array {
    if (!this.covers(offset)) throw new Error(`backlog does not cover offset ${offset}`);
    const skip = offset - this.firstByteOffset;
    const n = this.histlen - skip;
    const out = new Uint8Array(n);
    const size = this.buf.length;
    const start = (this.idx - this.histlen + skip + size * 2) % size;
    const first = Math.min(n, size - start);
    out.set(this.buf.subarray(start, start + first), 0);
    if (first < n) out.set(this.buf.subarray(0, n - first), first);
    return out;
  }

  /** Resize keeping the newest bytes (CONFIG SET repl-backlog-size). */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = this.from(this.firstByteOffset);
    const endOffset = this.firstByteOffset + this.histlen;
    this.buf = new Uint8Array(size);
    this.firstByteOffset = endOffset - Math.min(keep.length, size);
    const tail = keep.length > size ? keep.subarray(keep.length - size) : keep;
    this.buf.set(tail, 0);
    this.idx = tail.length % size;
    this.histlen = tail.length;
  }
}
