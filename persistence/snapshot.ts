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
  writeRdbHeader,
  writeSourceKey,
} from "../protocol/rdb_file.ts";
import { writeLength } from "../protocol/rdb_object.ts";
import type { Db, Stored } from "../keyspace/db.ts";
import { unslab } from "../keyspace/value_slab.ts";
import { writeFunctionLoad, writeKeyCommands, writeSelectDb } from "./aof_rewrite.ts";

/** Where the bytes go, in order (a file's writeSync, or a test's array). */
export type SnapshotSink = (chunk: Uint8Array) => void;

/** Output buffered before it goes to the sink. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export interface SnapshotOptions {
  chunkBytes?: number;
  /** The index written for a single database given alone (its `id` by default). */
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

/**
 * Every database of a node is walked in index order, each key under its database's SELECTDB (or
 * SELECT, as commands). A key preserved out of order is written under a SELECTDB of its own
 * database, so a database's keys may come in several runs (a loader only follows SELECTDB).
 */
export class RdbSnapshot {
  private readonly dbs: readonly Db[];
  /** Each database's index as written (its `id`). */
  private readonly ids: number[];
  /** Per database: keys already written, or created after the start (never to be written). */
  private readonly done: Set<string>[];
  /** Per database: every key written (drained before SWAPDB): later changes are ignored. */
  private readonly complete: boolean[];
  /** Per database: its SELECTDB + RESIZEDB header went out. */
  private readonly headed: boolean[];
  /** The database the output last selected (-1: none yet). */
  private selected = -1;
  /** The database the walk is in, and its iterator (made when the walk gets there). */
  private walkDb = 0;
  private iter: Iterator<string> | null = null;
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
    dbs: Db | readonly Db[],
    aux: AuxField[],
    private readonly o: RdbOptions,
    private readonly sink: SnapshotSink,
    opts: SnapshotOptions = {},
  ) {
    this.dbs = Array.isArray(dbs) ? dbs : [dbs as Db];
    this.ids = Array.isArray(dbs) ? this.dbs.map((d) => d.id) : [opts.dbId ?? (dbs as Db).id];
    this.done = this.dbs.map(() => new Set<string>());
    this.complete = this.dbs.map(() => false);
    this.headed = this.dbs.map(() => false);
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.commands = opts.format === "commands";
    this.checksum = opts.checksum ?? true;
    this.w = new ByteWriter(this.chunkBytes + 1024);
    let total = 0;
    for (const db of this.dbs) total += db.dict.size;
    this.keysTotal = total;
    if (this.commands) {
      for (const code of opts.functions ?? []) writeFunctionLoad(this.w, code);
    } else {
      writeRdbHeader(this.w, aux, opts.functions ?? []);
    }
  }

  private writeEntry(i: number, key: string, stored: Stored): void {
    // Serialized now: a slab value's record may be reused once its key changes.
    const v = unslab(stored);
    if (this.selected !== i) {
      if (this.commands) writeSelectDb(this.w, this.ids[i]);
      else if (!this.headed[i]) writeDbHeader(this.w, this.ids[i], this.dbs[i]);
      else {
        this.w.u8(RDB_OPCODE.SELECTDB);
        writeLength(this.w, this.ids[i]);
      }
      this.headed[i] = true;
      this.selected = i;
    }
    const db = this.dbs[i];
    if (this.commands) writeKeyCommands(this.w, key, v, db.expires.get(key));
    else writeSourceKey(this.w, db, key, v, this.o);
    this.keysWritten++;
    if (this.w.length >= this.chunkBytes) this.flush();
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Before `key` of the `i`th database changes: write the value it had at the start, once. */
  preserve(key: string, i = 0): void {
    if (this.finished || this.complete[i]) return;
    const done = this.done[i];
    if (done.has(key)) return;
    done.add(key);
    const v = this.dbs[i].dict.get(key);
    if (v === undefined) return; // created after the start
    this.writeEntry(i, key, v);
  }

  /**
   * Before the `i`th database's contents move away (SWAPDB): write every key it still owes now;
   * it is then done, whatever happens to it later.
   */
  drain(i: number): void {
    if (this.finished || this.complete[i]) return;
    const done = this.done[i];
    for (const [key, v] of this.dbs[i].dict) {
      if (done.has(key)) continue;
      this.writeEntry(i, key, v);
    }
    this.complete[i] = true;
    done.clear();
    if (this.walkDb === i) this.iter = null;
  }

  /**
   * Walk on: write at most `maxKeys` keys not written yet. Returns true when the walk is over
   * (then `finish` writes the trailer).
   */
  step(maxKeys: number): boolean {
    if (this.finished) return true;
    for (let n = 0; n < maxKeys;) {
      const i = this.walkDb;
      if (i >= this.dbs.length) return true;
      if (this.complete[i]) {
        this.walkDb++;
        this.iter = null;
        continue;
      }
      this.iter ??= this.dbs[i].dict.keys();
      const r = this.iter.next();
      if (r.done) {
        this.complete[i] = true;
        this.done[i].clear();
        this.walkDb++;
        this.iter = null;
        continue;
      }
      const key = r.value;
      const done = this.done[i];
      if (done.has(key)) continue;
      done.add(key);
      this.writeEntry(i, key, this.dbs[i].dict.get(key)!);
      n++;
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
    for (const d of this.done) d.clear();
  }

  /** Stop without a trailer (an aborted save); later changes are ignored. */
  abandon(): void {
    this.finished = true;
    for (const d of this.done) d.clear();
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
