/**
 * A bounded free list of 16 KiB I/O buffers shared by every connection of the process: a
 * connection's reply buffer between its writes, and its read buffer while reads come in bigger
 * than an idle connection's small one. An idle connection then holds no 16 KiB buffer of its own,
 * as Redis 7.0 frees an idle client's query buffer and shrinks its reply buffer
 * (networking.c / server.c clientsCronResizeQueryBuffer, clientsCronResizeOutputBuffer).
 *
 * A buffer handed back must no longer be referenced by its giver: the reply writer gives back a
 * buffer once its bytes are on the wire, the reader once the parser has copied a read's bytes
 * (protocol/resp_parser.ts feed() copies into its own arena).
 */

/** PROTO_IOBUF_LEN / PROTO_REPLY_CHUNK_BYTES (server.h): the size of a pooled buffer. */
export const POOLED_BUFFER_BYTES = 16 * 1024;
/** Buffers kept at most (1 MiB); a buffer given back past that is left to the collector. */
export const POOL_MAX_BUFFERS = 64;

const free: Uint8Array[] = [];

/** A POOLED_BUFFER_BYTES buffer: a pooled one (with old bytes in it), or a fresh one. */
export function takeBuffer(): Uint8Array {
  return free.pop() ?? new Uint8Array(POOLED_BUFFER_BYTES);
}

/** Gives `buf` back; buffers of any other size are not pooled. */
export function giveBuffer(buf: Uint8Array): void {
  if (buf.length === POOLED_BUFFER_BYTES && free.length < POOL_MAX_BUFFERS) free.push(buf);
}

/** Buffers in the pool now (tests, MEMORY STATS). */
export function pooledBuffers(): number {
  return free.length;
}
