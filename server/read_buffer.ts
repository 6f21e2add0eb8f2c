/**
 * The buffer one connection reads into. Reads go into 16 KiB (Redis's PROTO_IOBUF_LEN,
 * networking.c readQueryFromClient); a read that fills it is followed by reads into 64 KiB (a big
 * bulk argument or a deep pipeline arriving, as Redis reads a big argument's remainder at once),
 * until a read leaves that one partly empty: then the big buffer is let go. A connection waits
 * for its next request with the small buffer only, so an idle client holds 16 KiB.
 */

/** PROTO_IOBUF_LEN (server.h). */
export const READ_BYTES = 16 * 1024;
/** The read size while reads keep filling the buffer. */
export const BIG_READ_BYTES = 64 * 1024;

export class ReadBuffer {
  private readonly small: Uint8Array;
  /** The buffer the next read goes into. */
  buf: Uint8Array;

  constructor(readonly smallBytes = READ_BYTES, readonly bigBytes = BIG_READ_BYTES) {
    this.small = new Uint8Array(smallBytes);
    this.buf = this.small;
  }

  /** After a read of `n` bytes into `buf`: a full read grows the next one, a short one shrinks. */
  filled(n: number): void {
    if (n === this.buf.length) {
      if (this.buf === this.small) this.buf = new Uint8Array(this.bigBytes);
    } else if (this.buf !== this.small) {
      this.buf = this.small;
    }
  }
}
