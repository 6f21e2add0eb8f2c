/**
 * A consistent RDB snapshot of a live keyspace, written while clients keep writing (BGSAVE,
 * BGREWRITEAOF's base file, SAVE and SHUTDOWN). Deno has no fork(), so copy-on-write happens
 * per key instead of per page:
 *
 * - The snapshot walks the keyspace (`step`) and writes each key it has not written yet.
 * - Before any key changes, whoever changes it calls `preserve(key)` first (the dispatcher for
 *   every key of a write command, and the Db itself for every add, overwrite, delete, expiry and
 *   rename: `Db.beforeChange`). A key not written yet is then written at once, with the value and
 *   TTL it had when the snapshot began, and marked done; a key that did not exist is only marked
 *   done, so a key created later is never written.
 * - Invariant: every key not marked done still holds the value and TTL it had at the start.
 *   So the file is the keyspace at the instant `start` ran, as a fork child would see it.
 *
 * Memory stays bounded while writes keep coming: a preserved value is serialized straight into
 * the output buffer, and the buffer goes to the sink (the file, page cache) whenever it reaches
 * `chunkBytes`, so what the snapshot holds beyond the keyspace is one buffer plus the set of
 * done keys (at most one entry per key that existed or was written during the save). A fork's
 * copy-on-write can instead double the dataset.
 *
 * A FLUSHALL, a full sync or anything else that replaces the whole keyspace aborts the snapshot
 * (Redis kills its save child then too). Pure of I/O: bytes go to `sink`.
 */

import { ByteWriter } from "../protocol/rdb_buffer.ts";
import { Crc64 } from "../protocol/crc64.ts";
import type { RdbOptions } from "../protocol/rdb_object.ts";
import {
  type AuxField,
  RDB_OPCODE,
  writeDbHeader,
  writeKeyValue,
  writeRdbHeader,
} from "../protocol/rdb_file.ts";
import type { Db, Value } from "../keyspace/db.ts";
import { writeKeyCommands, writeFunctionLoad, writeSelectDb } from "./aof_rewrite.ts";

/** Where the bytes go, in order (a file's writeSync, or a test's array). */
export type SnapshotSink = (chunk: Uint8Array) => void;

/** Output buffered before it goes to the sink. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export interface SnapshotOptions {
  chunkBytes?: number;
  dbId?: number;
  /**
   * "rdb" (default): an RDB file. "commands": the commands that rebuild each key, for an AOF base
   * written with aof-use-rdb-preamble no (persistence/aof_rewrite.ts).
   */
  format?: "rdb" | "commands";
  /** rdbchecksum: false writes a zero checksum, as Redis does with `rdbchecksum no`. */
  checksum?: boolean;
  /** The function libraries' codes: FUNCTION2 records, or FUNCTION LOAD commands. */
  functions?: readonly Uint8Array[];
}

export class RdbSnapshot {
  /** Keys already written, or created after the start (never to be written). */
  private readonly done = new Set<string>();
  private readonly iter: Iterator<string>;
  private w: ByteWriter;
  private readonly crc = new Crc64();
  private finished = false;
  /** Keys in the keyspace when the snapshot began. */
  readonly keysTotal: number;
  /** Keys written so far (walked or preserved). */
  keysWritten = 0;
  /** Bytes handed to the sink so far. */
  bytesWritten = 0;

  private readonly chunkBytes: number;
  private readonly commands: boolean;
  private readonly checksum: boolean;

  constructor(
    private readonly db: Db,
    aux: AuxField[],
    private readonly o: RdbOptions,
    private readonly sink: SnapshotSink,
    opts: SnapshotOptions = {},
  ) {
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.commands = opts.format === "commands";
    this.checksum = opts.checksum ?? true;
    this.w = new ByteWriter(this.chunkBytes + 1024);
    this.keysTotal = db.dict.size;
    if (this.commands) {
      for (const code of opts.functions ?? []) writeFunctionLoad(this.w, code);
      writeSelectDb(this.w, opts.dbId ?? 0);
    } else {
      writeRdbHeader(this.w, aux, opts.functions ?? []);
      if (db.dict.size !== 0) writeDbHeader(this.w, opts.dbId ?? 0, db);
    }
    this.iter = db.dict.keys();
  }

  private writeEntry(key: string, v: Value): void {
    if (this.commands) writeKeyCommands(this.w, key, v, this.db.expires.get(key));
    else writeKeyValue(this.w, key, v, this.db.expires.get(key), this.o);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Before `key` changes: write the value it had at the start, once. */
  preserve(key: string): void {
    if (this.finished || this.done.has(key)) return;
    this.done.add(key);
    const v = this.db.dict.get(key);
    if (v === undefined) return; // created after the start
    this.writeEntry(key, v);
    this.keysWritten++;
    if (this.w.length >= this.chunkBytes) this.flush();
  }

  /**
   * Walk on: write at most `maxKeys` keys not written yet. Returns true when the walk is over
   * (then `finish` writes the trailer).
   */
  step(maxKeys: number): boolean {
    if (this.finished) return true;
    for (let n = 0; n < maxKeys;) {
      const r = this.iter.next();
      if (r.done) return true;
      const key = r.value;
      if (this.done.has(key)) continue;
      this.done.add(key);
      this.writeEntry(key, this.db.dict.get(key)!);
      this.keysWritten++;
      n++;
      if (this.w.length >= this.chunkBytes) this.flush();
    }
    return false;
  }

  /** Write the rest in one go, then the trailer (SAVE, SHUTDOWN). */
  runToEnd(): void {
    while (!this.step(1 << 30)) { /* walk */ }
    this.finish();
  }

  /** EOF and the CRC64 of everything before it; the snapshot then ignores further changes. */
  finish(): void {
    if (this.finished) return;
    while (!this.step(1 << 30)) { /* a caller that did not walk to the end */ }
    if (!this.commands) {
      this.w.u8(RDB_OPCODE.EOF);
      this.w.reserve(8);
      if (this.checksum) {
        this.crc.update(this.w.buf, 0, this.w.length);
        this.crc.writeLE(this.w.buf, this.w.length);
      } else this.w.buf.fill(0, this.w.length, this.w.length + 8);
      this.w.length += 8;
    }
    this.sinkOut(this.w.view());
    this.finished = true;
    this.done.clear();
  }

  /** Stop without a trailer (an aborted save); later changes are ignored. */
  abandon(): void {
    this.finished = true;
    this.done.clear();
  }

  private flush(): void {
    const out = this.w.view();
    if (this.checksum && !this.commands) this.crc.update(out);
    this.sinkOut(out);
    this.w.length = 0;
  }

  private sinkOut(bytes: Uint8Array): void {
    this.sink(bytes);
    this.bytesWritten += bytes.length;
  }
}
