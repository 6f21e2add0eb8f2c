/**
 * RDB persistence (Redis 7.0 rdb.c, server.c): SAVE, BGSAVE [SCHEDULE], save points, the save
 * before a shutdown, the state INFO persistence and LASTSAVE show, and the stop-writes rule
 * after a failed background save.
 *
 * A file is written as Redis writes it: to `temp-<pid>.rdb` in `dir` (`temp-bg-<pid>.rdb` for a
 * background save), fsynced, renamed over `dbfilename`, then the directory is fsynced. A crash at
 * any point leaves the old file or the new one, never a torn one.
 *
 * BGSAVE runs in this process (Deno has no fork): persistence/background_snapshot.ts writes a
 * consistent snapshot key by key in short slices between which clients are served.
 */

import { nextTurn } from "./next_turn.ts";
import type { Db } from "../keyspace/db.ts";
import type { Logger } from "../server/log.ts";
import { type AuxField, standardAux } from "../protocol/rdb_file.ts";
import type { RdbOptions } from "../protocol/rdb_object.ts";
import { BackgroundSnapshot } from "./background_snapshot.ts";
import { duePoint, parseSavePoints } from "./save_points.ts";
import { fsyncDir, joinDir, removeQuietly, writeAllSync, writeFileAtomic } from "./files.ts";
import { RdbSnapshot } from "./snapshot.ts";

/** The directives persistence reads (server/config.ts's Config has them all). */
export interface PersistenceConfig {
  getString(name: string): string;
  getNumber(name: string): number;
  getBool(name: string): boolean;
}

/** What RDB persistence needs from the node. */
export interface PersistenceHost {
  /** Database 0 (its `stats` are the node's, shared by every database). */
  readonly db: Db;
  /** Every database, in index order (what a file holds). */
  readonly dbs: readonly Db[];
  readonly config: PersistenceConfig;
  readonly log: Logger;
  now(): number;
  rdbOptions(): RdbOptions;
  /** The replication id and offset a file records (rdbPopulateSaveInfo), or null. */
  replInfo(): { replId: string; offset: number; streamDb?: number } | null;
  /** An AOF rewrite is writing its snapshot (one background snapshot at a time). */
  rewriteRunning(): boolean;
  /** The function libraries' codes, written with the keys. */
  functions(): Uint8Array[];
}

export const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to " +
  "disk. Commands that may modify the data set are disabled, because this instance is " +
  "configured to report errors during writes if RDB snapshotting fails " +
  "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB " +
  "error.";

/** "busy": an AOF rewrite runs (Redis: another child process is active). */
export type BgsaveResult = "started" | "scheduled" | "in-progress" | "busy";

export class RdbPersistence {
  lastSaveMs: number;
  private lastTryMs = 0;
  lastBgsaveOk = true;
  lastBgsaveTimeSec = -1;
  /** Saves started (INFO rdb_saves). */
  saves = 0;
  /** A BGSAVE SCHEDULE waiting for the running save to end. */
  scheduled = false;
  private bg: BackgroundSnapshot | null = null;
  /** Called when a background save ends (ok or not): tests and the AOF rewrite wait on it. */
  onBackgroundDone: ((ok: boolean) => void) | null = null;

  constructor(private readonly host: PersistenceHost) {
    this.lastSaveMs = host.now();
  }

  /** Where `dbfilename` is (in `dir`). */
  get path(): string {
    return joinDir(this.host.config.getString("dir"), this.host.config.getString("dbfilename"));
  }

  get bgsaveInProgress(): boolean {
    return this.bg !== null;
  }

  /** Seconds the running background save has taken, or -1. */
  currentBgsaveSec(): number {
    return this.bg === null ? -1 : Math.floor((this.host.now() - this.bg.startMs) / 1000);
  }

  /** Keys written / in the keyspace at the start, for the running save (INFO). */
  progress(): { processed: number; total: number } {
    if (this.bg === null) return { processed: 0, total: 0 };
    return { processed: this.bg.snapshot.keysWritten, total: this.bg.snapshot.keysTotal };
  }

  /** Save points are set (`save` is not empty). */
  get hasSavePoints(): boolean {
    return parseSavePoints(this.host.config.getString("save")).length !== 0;
  }

  /** The MISCONF error writes get after a failed background save, or null. */
  writeDenial(): string | null {
    if (
      !this.lastBgsaveOk && this.host.config.getBool("stop-writes-on-bgsave-error") &&
      this.hasSavePoints
    ) return MISCONF_RDB;
    return null;
  }

  aux(aofBase = false): AuxField[] {
    const repl = this.host.replInfo();
    return standardAux({
      ctimeSec: Math.floor(this.host.now() / 1000),
      usedMem: Deno.memoryUsage().heapUsed,
      repl: repl === null
        ? undefined
        : { streamDb: repl.streamDb ?? 0, replId: repl.replId, offset: repl.offset },
      aofBase,
    });
  }

  /**
   * SAVE: write the whole keyspace now, blocking (Redis's rdbSave). Throws nothing: false when
   * the file could not be written (logged).
   */
  saveSync(): boolean {
    const { db, log } = this.host;
    const dir = this.host.config.getString("dir");
    const tmp = joinDir(dir, `temp-${Deno.pid}.rdb`);
    this.saves++;
    let file: Deno.FsFile | null = null;
    try {
      file = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
      const f = file;
      const snap = new RdbSnapshot(
        this.host.dbs,
        this.aux(),
        this.host.rdbOptions(),
        (c) => writeAllSync(f, c),
        { checksum: this.host.config.getBool("rdbchecksum"), functions: this.host.functions() },
      );
      snap.runToEnd();
      f.syncSync();
      f.close();
      file = null;
      Deno.renameSync(tmp, this.path);
      fsyncDir(dir);
    } catch (e) {
      if (file !== null) file.close();
      removeQuietly(tmp);
      log.warning(`Failed saving the DB: ${(e as Error).message}`);
      return false;
    }
    log.notice("DB saved on disk");
    db.stats.dirty = 0;
    this.lastSaveMs = this.host.now();
    this.lastBgsaveOk = true;
    return true;
  }

  /**
   * A replica keeps the file its master sent for a full sync as its own `dbfilename` (Redis's
   * disk-based load renames the transfer file into place), so a restart starts from it.
   */
  storeFromMaster(bytes: Uint8Array): boolean {
    this.abortBackground("a full sync replaced the dataset");
    // rdb-del-sync-files: a replica that persists nothing keeps no copy of its master's file.
    if (
      this.host.config.getBool("rdb-del-sync-files") && !this.hasSavePoints &&
      !this.host.config.getBool("appendonly")
    ) return true;
    try {
      writeFileAtomic(this.path, bytes, { tmpName: `temp-${Deno.pid}.rdb` });
    } catch (e) {
      this.host.log.warning(
        `Failed trying to store the RDB received from the master: ${(e as Error).message}`,
      );
      return false;
    }
    this.lastSaveMs = this.host.now();
    return true;
  }

  /**
   * BGSAVE [SCHEDULE]: start a background save. "in-progress" when one runs already; with an
   * AOF rewrite running, "busy", or "scheduled" for when it ends when `schedule`.
   */
  bgsave(schedule: boolean): BgsaveResult {
    if (this.bg !== null) return "in-progress";
    if (this.host.rewriteRunning()) {
      if (!schedule) return "busy";
      this.scheduled = true;
      return "scheduled";
    }
    this.startBackground();
    return "started";
  }

  /** The save-point check, run from the server cron (every 100 ms, as Redis's serverCron). */
  cron(): void {
    if (this.bg !== null || this.host.rewriteRunning()) return;
    if (this.scheduled) {
      this.scheduled = false;
      this.startBackground();
      return;
    }
    const points = parseSavePoints(this.host.config.getString("save"));
    if (points.length === 0) return;
    const now = this.host.now();
    const p = duePoint(points, {
      dirty: this.host.db.stats.dirty,
      lastSaveMs: this.lastSaveMs,
      lastTryMs: this.lastTryMs,
      lastStatusOk: this.lastBgsaveOk,
    }, now);
    if (p === null) return;
    this.host.log.notice(`${p.changes} changes in ${p.seconds} seconds. Saving...`);
    this.startBackground();
  }

  private startBackground(): void {
    const { db, log, config } = this.host;
    const tmp = joinDir(config.getString("dir"), `temp-bg-${Deno.pid}.rdb`);
    this.lastTryMs = this.host.now();
    this.saves++;
    const startMs = this.host.now();
    const dirtyBefore = db.stats.dirty;
    log.notice(`Background saving started by pid ${Deno.pid}`);
    let bg: BackgroundSnapshot;
    try {
      bg = new BackgroundSnapshot({
        dbs: this.host.dbs,
        aux: this.aux(),
        rdb: this.host.rdbOptions(),
        tmpPath: tmp,
        keyDelayUs: () => config.getNumber("rdb-key-save-delay"),
        style: { checksum: config.getBool("rdbchecksum"), functions: this.host.functions() },
        incrementalFsync: () => config.getBool("rdb-save-incremental-fsync"),
      });
    } catch (e) {
      // Redis's fork succeeds and its child fails: the save "started", then it failed.
      log.warning(`Failed opening the temp RDB file ${tmp} for saving: ${(e as Error).message}`);
      this.lastBgsaveOk = false;
      this.lastBgsaveTimeSec = 0;
      nextTurn(() => this.onBackgroundDone?.(false));
      return;
    }
    this.bg = bg;
    bg.onAbort = () => this.dropped(bg, "the dataset was flushed");
    bg.done.then(({ ok, error }) => {
      if (bg.wasAborted) return;
      let renamed = ok;
      if (ok) {
        try {
          Deno.renameSync(tmp, this.path);
          fsyncDir(config.getString("dir"));
        } catch (e) {
          error = e;
          renamed = false;
          removeQuietly(tmp);
        }
      }
      this.bg = null;
      this.lastBgsaveTimeSec = Math.floor((this.host.now() - startMs) / 1000);
      if (renamed) {
        log.notice("Background saving terminated with success");
        db.stats.dirty = Math.max(0, db.stats.dirty - dirtyBefore);
        this.lastSaveMs = this.host.now();
        this.lastBgsaveOk = true;
      } else {
        log.warning(`Background saving error: ${(error as Error)?.message ?? error}`);
        this.lastBgsaveOk = false;
      }
      this.onBackgroundDone?.(renamed);
    });
  }

  private dropped(bg: BackgroundSnapshot, why: string): void {
    if (this.bg !== bg) return;
    this.bg = null;
    this.host.log.warning(`Background saving stopped: ${why}`);
    this.onBackgroundDone?.(false);
  }

  /**
   * Stop a running background save without a file (a full sync, SHUTDOWN; Redis kills its
   * child). The last save status is left as it was.
   */
  abortBackground(why: string): void {
    const bg = this.bg;
    if (bg === null) return;
    bg.onAbort = null;
    bg.abort();
    this.dropped(bg, why);
  }
}
