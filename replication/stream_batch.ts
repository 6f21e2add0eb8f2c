/**
 * The replication stream of one event-loop turn, in one buffer: each command is encoded straight
 * into it, and the turn's bytes go on to their keepers (the backlog, every replica) once, when the
 * turn's commands have run. Redis's model: feedReplicationBuffer (replication.c) appends each
 * command to one buffer that the backlog and the replicas share, and the replicas' output is
 * written in beforeSleep, once per event-loop iteration. Here a command costs its encoding; the
 * keepers' work (the backlog's ring, each replica's queue and output limits) is paid per turn.
 *
 * Bounded: a command that does not fit is preceded by a hand-on of what the buffer holds, and one
 * larger than the whole buffer is handed on by itself. `flush()` hands on at once; whoever reads
 * the keepers' state (a PSYNC, INFO, a new backlog) flushes first.
 */

import { type Arg, encodeCommand, encodeCommandInto } from "./propagate.ts";

/** The buffer's size (Redis's PROTO_REPLY_CHUNK_BYTES is 16 KiB; a pipelined turn fills more). */
export const STREAM_BATCH_BYTES = 64 * 1024;

export class StreamBatch {
  private readonly buf: Uint8Array;
  private len = 0;
  private scheduled = false;

  /**
   * `deliver` gets the bytes in stream order; they are valid only during the call (the buffer is
   * reused). `schedule` runs the end-of-turn hand-on (queueMicrotask: after the commands of the
   * clients served in this turn).
   */
  constructor(
    private readonly deliver: (bytes: Uint8Array) => void,
    private readonly schedule: (fn: () => void) => void = queueMicrotask,
    sizeBytes = STREAM_BATCH_BYTES,
  ) {
    this.buf = new Uint8Array(sizeBytes);
  }

  /** Bytes appended and not handed on yet. */
  get pendingBytes(): number {
    return this.len;
  }

  /** Append one command in multibulk form; returns its length in bytes. */
  appendCommand(argv: readonly Arg[]): number {
    const start = this.len;
    let end = encodeCommandInto(this.buf, start, argv);
    if (end >= 0) {
      this.len = end;
      this.scheduleFlush();
      return end - start;
    }
    this.flush();
    end = encodeCommandInto(this.buf, 0, argv);
    if (end >= 0) {
      this.len = end;
      this.scheduleFlush();
      return end;
    }
    // Larger than the whole buffer: on its own.
    const bytes = encodeCommand(argv);
    this.deliver(bytes);
    return bytes.length;
  }

  /** Append raw stream bytes (only read here). */
  appendBytes(bytes: Uint8Array): void {
    if (this.buf.length - this.len < bytes.length) {
      this.flush();
      if (bytes.length > this.buf.length) {
        this.deliver(bytes);
        return;
      }
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    this.scheduleFlush();
  }

  /** Hand on what the buffer holds, now. */
  flush(): void {
    if (this.len === 0) return;
    const n = this.len;
    this.len = 0;
    this.deliver(this.buf.subarray(0, n));
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }
}
