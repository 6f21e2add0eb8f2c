/**
 * Master side of one replica connection (Redis's CLIENT_SLAVE): the replica's output queue (the
 * RDB payload, then the replication stream), written by one pump so writes never interleave,
 * bounded by `client-output-buffer-limit replica <hard> <soft> <seconds>` (the RDB payload is not
 * counted, as Redis counts only the buffered stream), and the replica's acknowledged offset.
 */

import type { Client } from "../server/client.ts";

export type ReplicaState = "wait_bgsave" | "send_bulk" | "online";

import { type OutputLimits, overOutputLimits } from "../server/output_limits.ts";

/** Coalesce queued chunks into writes of at most this many bytes. */
const WRITE_BATCH = 1024 * 1024;

interface Chunk {
  bytes: Uint8Array;
  /** Counted against the output buffer limits (the stream; not the RDB payload). */
  counted: boolean;
  /** Written: the replica is online (end of the RDB payload). */
  marksOnline: boolean;
}

export class ReplicaPeer {
  state: ReplicaState = "wait_bgsave";
  /** Offset acknowledged by REPLCONF ACK. */
  ackOffset = 0;
  ackTimeMs: number;
  private queue: Chunk[] = [];
  /** Stream bytes queued and not yet written. */
  pendingBytes = 0;
  private readonly limitState = { softSinceMs: 0 };
  private writing = false;
  /** A write is scheduled for the end of this turn's microtasks (see `enqueue`). */
  private scheduled = false;
  closed = false;

  constructor(
    readonly client: Client,
    private readonly conn: Deno.Conn,
    readonly listeningPort: number,
    readonly ip: string,
    nowMs: number,
    private readonly onClose: (peer: ReplicaPeer, reason: string) => void,
  ) {
    this.ackTimeMs = nowMs;
  }

  /** Queue bytes for the replica; false if the replica was dropped for its output limits. */
  enqueue(
    bytes: Uint8Array,
    counted: boolean,
    limits: OutputLimits,
    nowMs: number,
    marksOnline = false,
  ): boolean {
    if (this.closed) return false;
    this.queue.push({ bytes, counted, marksOnline });
    if (counted) {
      this.pendingBytes += bytes.length;
      if (this.overLimits(limits, nowMs)) {
        this.close("overcoming of output buffer limits");
        return false;
      }
    }
    // The write starts once this turn's commands have run (as Redis writes a replica's buffer
    // in beforeSleep, once per event-loop iteration): one write for all the commands of the
    // clients served in this turn, not one per command.
    if (!this.writing && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        if (!this.writing) this.pump();
      });
    }
    return true;
  }

  /** Redis's checkClientOutputBufferLimits for the replica class. */
  overLimits(l: OutputLimits, nowMs: number): boolean {
    return overOutputLimits(this.pendingBytes, l, this.limitState, nowMs);
  }

  private async pump(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        // Take up to WRITE_BATCH bytes of chunks (at least one).
        let n = 0;
        let k = 0;
        while (
          k < this.queue.length && (k === 0 || n + this.queue[k].bytes.length <= WRITE_BATCH)
        ) {
          n += this.queue[k].bytes.length;
          k++;
        }
        const batch = this.queue.splice(0, k);
        let out: Uint8Array;
        if (k === 1) out = batch[0].bytes;
        else {
          out = new Uint8Array(n);
          let o = 0;
          for (const c of batch) {
            out.set(c.bytes, o);
            o += c.bytes.length;
          }
        }
        let off = 0;
        while (off < out.length) off += await this.conn.write(out.subarray(off));
        for (const c of batch) {
          if (c.counted) this.pendingBytes -= c.bytes.length;
          if (c.marksOnline) this.state = "online";
        }
      }
    } catch {
      this.close("write error");
    } finally {
      this.writing = false;
    }
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.pendingBytes = 0;
    this.onClose(this, reason);
    this.client.close();
  }
}
