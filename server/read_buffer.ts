/**
 * The buffer one connection reads into. A connection waits for a request with a small buffer of
 * its own (IDLE_READ_BYTES): a request of a client that sends one at a time fits in it, and an
 * idle connection holds no more (Redis frees an idle client's query buffer:
 * server.c clientsCronResizeQueryBuffer). A read that fills it, or one bigger than it, is
 * followed by reads into 16 KiB (Redis's PROTO_IOBUF_LEN, networking.c readQueryFromClient),
 * taken from the process's shared pool (protocol/buffer_pool.ts); a read that fills that is
 * followed by reads into 64 KiB (a big bulk argument or a deep pipeline arriving, as Redis reads
 * a big argument's remainder at once). A read that fits the small buffer goes back to it: a
 * pipelining client keeps its 16 KiB, a client that went quiet gives it back. A read that only
 * finishes a request an earlier read began does not go back: it is the tail of a batch bigger
 * than the small buffer (16 pipelined ZADDs of redis-benchmark are 1,152 B), and waiting for the
 * next such batch with 1 KiB would split every one of them into two reads, two parses and two
 * reply writes (Redis reads up to PROTO_IOBUF_LEN each time, networking.c readQueryFromClient).
 *
 * The bytes of a read are copied by the parser (protocol/resp_parser.ts feed()) before `filled`
 * is called, so a buffer given back is no longer referenced.
 */

import { giveBuffer, POOLED_BUFFER_BYTES, takeBuffer } from "../protocol/buffer_pool.ts";

/** PROTO_IOBUF_LEN (server.h). */
export const READ_BYTES = POOLED_BUFFER_BYTES;
/** The read size while reads keep filling the buffer. */
export const BIG_READ_BYTES = 64 * 1024;
/** The buffer a connection waits for its next request with. */
export const IDLE_READ_BYTES = 1024;

export class ReadBuffer {
  private readonly small: Uint8Array;
  /** The buffer the next read goes into. */
  buf: Uint8Array;

  constructor(smallBytes = IDLE_READ_BYTES, readonly bigBytes = BIG_READ_BYTES) {
    this.small = new Uint8Array(smallBytes);
    this.buf = this.small;
  }

  /**
   * After a read of `n` bytes into `buf` (already fed to the parser): a full read grows the next
   * one, a read that fits the small buffer goes back to it unless it `continues` a request an
   * earlier read began (the parser was in the middle of one), a short read into 64 KiB goes
   * to 16 KiB.
   */
  filled(n: number, continues = false): void {
    const buf = this.buf;
    if (n === buf.length) {
      if (buf === this.small) this.buf = takeBuffer();
      else if (buf.length === READ_BYTES) {
        giveBuffer(buf);
        this.buf = new Uint8Array(this.bigBytes);
      }
    } else if (n <= this.small.length && !continues) {
      if (buf !== this.small) {
        giveBuffer(buf);
        this.buf = this.small;
      }
    } else if (buf.length > READ_BYTES) {
      this.buf = takeBuffer();
    }
  }

  /** The connection is closed: a pooled buffer goes back. */
  release(): void {
    if (this.buf !== this.small) giveBuffer(this.buf);
    this.buf = this.small;
  }
}
