/**
 * Writing a snapshot file in the background, as a fork child would (used by BGSAVE and by the
 * AOF rewrite's base file): persistence/snapshot.ts walks the keyspace in slices of at most
 * SLICE_MS, yielding to clients between slices (persistence/next_turn.ts); the Db's observer preserves
 * keys about to change. Then the file is fsynced off the event loop (`FsFile.sync`) and closed.
 * The caller renames it into place. Only one runs at a time (each Db has one observer slot,
 * as Redis runs one child at a time).
 */

import { nextTurn } from "./next_turn.ts";
import type { Db } from "../keyspace/db.ts";
import type { AuxField } from "../protocol/rdb_file.ts";
import type { RdbOptions } from "../protocol/rdb_object.ts";
import { RdbSnapshot, type SnapshotOptions } from "./snapshot.ts";
import { removeQuietly, writeAllSync } from "./files.ts";

/** Longest a background save works before it lets clients in. */
export const SLICE_MS = 2;
/** Keys written between two looks at the clock. */
const KEYS_PER_CHECK = 64;

export interface BackgroundSnapshotOptions {
  /** Every database of the node, in index order. */
  dbs: readonly Db[];
  aux: AuxField[];
  rdb: RdbOptions;
  tmpPath: string;
  /** rdb-key-save-delay: µs to wait after each key (a Redis test aid), read at each step. */
  keyDelayUs: () => number;
  /** The file's format and checksum (persistence/snapshot.ts). */
  style?: SnapshotOptions;
  /**
   * rdb-save-incremental-fsync / aof-rewrite-incremental-fsync: fsync every 4 MB as it goes
   * (Redis's REDIS_AUTOSYNC_BYTES), so the final fsync has little left to flush.
   */
  incrementalFsync: () => boolean;
}

const AUTOSYNC_BYTES = 4 * 1024 * 1024;

export class BackgroundSnapshot {
  readonly snapshot: RdbSnapshot;
  readonly startMs = Date.now();
  private readonly file: Deno.FsFile;
  private error: unknown = null;
  private aborted = false;
  /** Resolves once the file is complete and fsynced (true) or failed (false); never rejects. */
  readonly done: Promise<{ ok: boolean; error: unknown }>;
  private resolveDone!: (r: { ok: boolean; error: unknown }) => void;

  /** Opens the temp file (throws when it cannot) and starts the walk. */
  constructor(private readonly o: BackgroundSnapshotOptions) {
    this.file = Deno.openSync(o.tmpPath, {
      write: true,
      create: true,
      truncate: true,
      mode: 0o644,
    });
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const file = this.file;
    let sinceSync = 0;
    let syncing = false;
    this.snapshot = new RdbSnapshot(o.dbs, o.aux, o.rdb, (chunk) => {
      if (this.error !== null) return;
      try {
        writeAllSync(file, chunk);
      } catch (e) {
        this.error = e;
        return;
      }
      sinceSync += chunk.length;
      if (sinceSync >= AUTOSYNC_BYTES && !syncing && o.incrementalFsync()) {
        // Off the event loop; one at a time. A failure shows again in the final fsync.
        sinceSync = 0;
        syncing = true;
        file.syncData().catch(() => {}).finally(() => syncing = false);
      }
    }, o.style);
    o.dbs.forEach((db, i) => {
      db.observer = {
        beforeChange: (key) => this.snapshot.preserve(key, i),
        beforeFlush: () => this.abort(),
        beforeSwap: () => this.snapshot.drain(i),
      };
    });
    this.onAbort = null;
    nextTurn(() => this.walk());
  }

  /** Told when something (a FLUSHALL) aborts the snapshot from inside the Db. */
  onAbort: (() => void) | null;

  private walk(): void {
    if (this.aborted) return;
    const delayUs = this.o.keyDelayUs();
    if (delayUs > 0) {
      // One key, then the configured pause (the save stays observable in tests).
      if (this.snapshot.step(1) || this.error !== null) void this.finish();
      else setTimeout(() => this.walk(), delayUs / 1000);
      return;
    }
    const start = performance.now();
    for (;;) {
      if (this.snapshot.step(KEYS_PER_CHECK) || this.error !== null) {
        void this.finish();
        return;
      }
      if (performance.now() - start >= SLICE_MS) break;
    }
    nextTurn(() => this.walk());
  }

  private async finish(): Promise<void> {
    if (this.error === null) this.snapshot.finish();
    else this.snapshot.abandon();
    this.releaseObserver();
    try {
      if (this.error === null) await this.file.sync();
    } catch (e) {
      this.error = e;
    }
    if (this.aborted) return;
    try {
      this.file.close();
    } catch { /* closed */ }
    if (this.error !== null) removeQuietly(this.o.tmpPath);
    this.resolveDone({ ok: this.error === null, error: this.error });
  }

  /** Stop without a file (the temp file is removed); `done` resolves not ok. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.snapshot.abandon();
    this.releaseObserver();
    try {
      this.file.close();
    } catch { /* closed */ }
    removeQuietly(this.o.tmpPath);
    this.resolveDone({ ok: false, error: new Error("aborted") });
    this.onAbort?.();
  }

  get wasAborted(): boolean {
    return this.aborted;
  }

  private releaseObserver(): void {
    for (const db of this.o.dbs) if (db.observer !== null) db.observer = null;
  }
}
