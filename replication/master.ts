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

/**
 * The stream is copied into blocks of this size (Redis's PROTO_REPLY_CHUNK_BYTES), so a turn's
 * commands leave in one write with no buffer per command.
 */
const BLOCK_BYTES = 16 * 1024;

interface Chunk {
  /** The bytes are `bytes.subarray(0, len)`. */
  bytes: Uint8Array;
  len: number;
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
  /** The last chunk of `queue` while the stream may still be copied into it (not yet taken). */
  private openBlock: Chunk | null = null;
  /** A written block kept for the next one (no allocation per turn). */
  private spareBlock: Uint8Array | null = null;
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

  /**
   * Queue bytes for the replica; false if the replica was dropped for its output limits.
   * Stream bytes (`counted`) are copied: the caller may reuse its buffer. Other bytes (the RDB
   * payload, a backlog copy) are queued as they are.
   */
  enqueue(
    bytes: Uint8Array,
    counted: boolean,
    limits: OutputLimits,
    nowMs: number,
    marksOnline = false,
  ): boolean {
    if (this.closed) return false;
    if (counted && !marksOnline) this.copyIn(bytes);
    else {
      this.queue.push({ bytes, len: bytes.length, counted, marksOnline });
      this.openBlock = null;
    }
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

  /** Copy stream bytes to the end of the open block (a new one when it has no room). */
  private copyIn(bytes: Uint8Array): void {
    let block = this.openBlock;
    if (block === null || block.bytes.length - block.len < bytes.length) {
      let buf: Uint8Array;
      if (bytes.length <= BLOCK_BYTES && this.spareBlock !== null) {
        buf = this.spareBlock;
        this.spareBlock = null;
      } else buf = new Uint8Array(Math.max(BLOCK_BYTES, bytes.length));
      block = { bytes: buf, len: 0, counted: true, marksOnline: false };
      this.queue.push(block);
      this.openBlock = block;
    }
    block.bytes.set(bytes, block.len);
    block.len += bytes.length;
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
        while (k < this.queue.length && (k === 0 || n + this.queue[k].len <= WRITE_BATCH)) {
          n += this.queue[k].len;
          k++;
        }
        // What is taken is written as it is now: later stream bytes go to a new block.
        if (k === this.queue.length) this.openBlock = null;
        const batch = this.queue.splice(0, k);
        let out: Uint8Array;
        if (k === 1) out = batch[0].bytes.subarray(0, batch[0].len);
        else {
          out = new Uint8Array(n);
          let o = 0;
          for (const c of batch) {
            out.set(c.bytes.subarray(0, c.len), o);
            o += c.len;
          }
        }
        let off = 0;
        while (off < out.length) off += await this.conn.write(out.subarray(off));
        for (const c of batch) {
          if (c.counted) this.pendingBytes -= c.len;
          if (c.marksOnline) this.state = "online";
        }
        // A block of the stream, written: reused for the next one.
        const last = batch[batch.length - 1];
        if (last.counted && last.bytes.length === BLOCK_BYTES) this.spareBlock = last.bytes;
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
    this.openBlock = null;
    this.spareBlock = null;
    this.pendingBytes = 0;
    this.onClose(this, reason);
    this.client.close();
  }
}
