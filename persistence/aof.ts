/**
 * The append-only file, Redis 7.0's multi-part layout (aof.c): in `dir`/`appenddirname`, a
 * manifest (persistence/aof_manifest.ts), one base file (an RDB, aof-base 1) and incremental
 * files of commands, as RESP arrays, appended after it.
 *
 * - Every write the node propagates (replication/replication.ts feeds the same stream its
 *   replicas get; a replica feeds what its master sent) is appended to a buffer.
 * - Before any reply leaves (server/connection.ts `flush` calls `beforeReply`), the buffer is
 *   written to the current incremental file. With `appendfsync always` it is also fsynced then,
 *   so an acknowledged write is on disk; with `everysec` a background fsync runs each second;
 *   with `no` the kernel decides.
 * - BGREWRITEAOF (and the automatic rewrite) opens a new incremental file and records it in the
 *   manifest first, then writes a new base file from a snapshot taken at that same instant
 *   (persistence/background_snapshot.ts), so base + the new incremental file hold everything.
 *   When the base is complete it goes into the manifest and the older files are deleted.
 * - Each manifest change is an atomic file replace (temp, fsync, rename, directory fsync).
 */

import type { Db } from "../keyspace/db.ts";
import type { Logger } from "../server/log.ts";
import type { AuxField } from "../protocol/rdb_file.ts";
import type { RdbOptions } from "../protocol/rdb_object.ts";
import {
  type AofFileInfo,
  type AofManifest,
  emptyManifest,
  manifestFileName,
  parseManifest,
  serializeManifest,
  withNewBase,
  withNewIncr,
} from "./aof_manifest.ts";
import { BackgroundSnapshot } from "./background_snapshot.ts";
import { type AppendFile, type OpenAppendFile, openDenoAppendFile } from "./append_file.ts";
import { RdbSnapshot, type SnapshotOptions } from "./snapshot.ts";
import { fsyncDir, joinDir, removeQuietly, writeAllSync, writeFileAtomic } from "./files.ts";
import type { PersistenceConfig } from "./rdb_persistence.ts";

export interface AofHost {
  /** Every database, in index order (what a base file holds). */
  readonly dbs: readonly Db[];
  /**
   * A new incremental file starts: the next command appended must be preceded by a SELECT
   * (Redis sets aof_selected_db to -1).
   */
  newIncrFile?(): void;
  readonly config: PersistenceConfig;
  readonly log: Logger;
  now(): number;
  rdbOptions(): RdbOptions;
  /** The aux fields of an RDB written now (with aof-base set). */
  aux(): AuxField[];
  /** The function libraries' codes, written with the keys. */
  functions(): Uint8Array[];
  /** A BGSAVE is writing its snapshot (one background snapshot at a time). */
  bgsaveRunning(): boolean;
  /** A failed fsync under `appendfsync always`: Redis exits rather than go on unsafely. */
  fatal(msg: string): void;
  /** How incremental files are opened (a test plays the disk); Deno files by default. */
  openFile?: OpenAppendFile;
  /** The latency monitor (latencyAddSampleIfNeeded): "aof-write*", "aof-fsync-always". */
  latencySample?(event: string, latencyMs: number): void;
}

/** Buffered appends beyond this are written at once (bounds the buffer between replies). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export const MISCONF_AOF_PREFIX = "MISCONF Errors writing to the AOF file: ";

interface Rewrite {
  bg: BackgroundSnapshot;
  incr: AofFileInfo;
  tmpPath: string;
}

export class Aof {
  /** Appends are being written (appendonly yes and the files are open). */
  on = false;
  private manifest: AofManifest = emptyManifest();
  private file: AppendFile | null = null;
  private readonly openFile: OpenAppendFile;
  private pending: Uint8Array[] = [];
  /** Bytes appended and not yet written (Redis's aof_buf: MEMORY STATS aof.buffer). */
  pendingBytes = 0;
  /** Bytes written and not yet fsynced. */
  private unsynced = false;
  private fsyncInFlight: Promise<void> | null = null;
  private lastFsyncMs = 0;
  /** The last write failed (MISCONF for writes until one succeeds). */
  lastWriteError: string | null = null;
  /** Size of all files in the manifest, and of the base after the last rewrite (INFO). */
  currentSize = 0;
  baseSize = 0;
  private rewrite: Rewrite | null = null;
  rewriteScheduled = false;
  rewrites = 0;
  lastRewriteTimeSec = -1;
  lastRewriteOk = true;
  consecutiveFailures = 0;
  private rewriteStartMs = 0;
  /** Told when a rewrite ends (tests wait on it). */
  onRewriteDone: ((ok: boolean) => void) | null = null;

  constructor(private readonly host: AofHost) {
    this.openFile = host.openFile ?? openDenoAppendFile;
  }

  private get dirPath(): string {
    return joinDir(this.host.config.getString("dir"), this.host.config.getString("appenddirname"));
  }
  private get prefix(): string {
    return this.host.config.getString("appendfilename");
  }
  private get manifestPath(): string {
    return joinDir(this.dirPath, manifestFileName(this.prefix));
  }

  get rewriteInProgress(): boolean {
    return this.rewrite !== null;
  }

  currentRewriteSec(): number {
    return this.rewrite === null ? -1 : Math.floor((this.host.now() - this.rewriteStartMs) / 1000);
  }

  /** The manifest on disk, or null when there is no AOF yet. Throws on a bad manifest. */
  readManifest(): AofManifest | null {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.manifestPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    return parseManifest(text);
  }

  /** The files to load at start, base first, with their paths. */
  filesToLoad(m: AofManifest): { info: AofFileInfo; path: string }[] {
    const out: { info: AofFileInfo; path: string }[] = [];
    if (m.base !== null) out.push({ info: m.base, path: joinDir(this.dirPath, m.base.name) });
    for (const f of m.incr) out.push({ info: f, path: joinDir(this.dirPath, f.name) });
    return out;
  }

  /**
   * Start appending (after the data is loaded). With an existing AOF, appends go to its last
   * incremental file. Without one, a base file is written now from the dataset in memory
   * (from dump.rdb, or empty), as Redis writes its first base on a start with appendonly yes.
   */
  openAtStart(existing: AofManifest | null): void {
    Deno.mkdirSync(this.dirPath, { recursive: true });
    if (existing !== null && existing.incr.length !== 0) {
      this.manifest = existing;
      const last = existing.incr[existing.incr.length - 1];
      this.file = this.openFile(joinDir(this.dirPath, last.name), false);
      this.currentSize = this.filesSize(existing);
      this.baseSize = existing.base === null ? 0 : this.fileSize(existing.base);
      this.deleteHistory();
    } else {
      this.startFresh(existing ?? emptyManifest());
    }
    this.on = true;
    this.lastFsyncMs = this.host.now();
  }

  /**
   * A new incremental file and, synchronously, a base from the dataset in memory: used at a start
   * without an AOF (nothing else runs yet).
   */
  private startFresh(from: AofManifest): void {
    const { manifest, file } = withNewIncr(from, this.prefix);
    this.file = this.openFile(joinDir(this.dirPath, file.name), true);
    this.host.newIncrFile?.();
    const preamble = this.host.config.getBool("aof-use-rdb-preamble");
    const next = withNewBase(manifest, this.prefix, preamble, file);
    const tmp = joinDir(this.dirPath, `temp-rewriteaof-${Deno.pid}.aof`);
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
    try {
      new RdbSnapshot(
        this.host.dbs,
        this.host.aux(),
        this.host.rdbOptions(),
        (c) => writeAllSync(f, c),
        this.baseStyle(),
      )
        .runToEnd();
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, joinDir(this.dirPath, next.base.name));
    this.manifest = next.manifest;
    this.persistManifest();
    this.baseSize = this.fileSize(next.base);
    this.currentSize = this.baseSize;
    this.deleteHistory();
    this.host.log.notice(`Creating AOF base file ${next.base.name} on server start`);
    this.host.log.notice(`Creating AOF incr file ${file.name} on server start`);
  }

  /** An RDB base, or commands with aof-use-rdb-preamble no. */
  private baseStyle(): SnapshotOptions {
    return {
      format: this.host.config.getBool("aof-use-rdb-preamble") ? "rdb" : "commands",
      checksum: this.host.config.getBool("rdbchecksum"),
      functions: this.host.functions(),
    };
  }

  private fileSize(f: AofFileInfo): number {
    try {
      return Deno.statSync(joinDir(this.dirPath, f.name)).size;
    } catch {
      return 0;
    }
  }

  private filesSize(m: AofManifest): number {
    let n = m.base === null ? 0 : this.fileSize(m.base);
    for (const f of m.incr) n += this.fileSize(f);
    return n;
  }

  private persistManifest(): void {
    writeFileAtomic(this.manifestPath, serializeManifest(this.manifest), {
      tmpName: `temp-${manifestFileName(this.prefix)}`,
    });
  }

  private deleteHistory(): void {
    if (this.manifest.history.length === 0) return;
    for (const h of this.manifest.history) removeQuietly(joinDir(this.dirPath, h.name));
    this.manifest = { ...this.manifest, history: [] };
    this.persistManifest();
  }

  // ------------------------------------------------------------ appending (hot path)

  /** The second of the last `#TS:` annotation (aof-timestamp-enabled). */
  private lastTimestampSec = -1;

  /** A propagated write (RESP bytes). */
  append(bytes: Uint8Array): void {
    if (!this.on) return;
    if (this.host.config.getBool("aof-timestamp-enabled")) this.annotateTime();
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= MAX_PENDING_BYTES) this.writePending();
  }

  /** Redis's genAofTimestampAnnotationIfNeeded: "#TS:<unix seconds>" when the second changed. */
  private annotateTime(): void {
    const sec = Math.floor(this.host.now() / 1000);
    if (sec === this.lastTimestampSec) return;
    this.lastTimestampSec = sec;
    const note = new TextEncoder().encode(`#TS:${sec}\r\n`);
    this.pending.push(note);
    this.pendingBytes += note.length;
  }

  /** Before replies leave: write what was appended; with `always`, fsync it too. */
  beforeReply(): void {
    if (this.pendingBytes !== 0) this.writePending();
    if (
      this.unsynced && this.host.config.getString("appendfsync") === "always" && !this.fsyncPaused()
    ) this.fsyncNow();
  }

  /** no-appendfsync-on-rewrite: no fsync while a rewrite or a BGSAVE writes its snapshot. */
  private fsyncPaused(): boolean {
    return this.host.config.getBool("no-appendfsync-on-rewrite") &&
      (this.rewrite !== null || this.host.bgsaveRunning());
  }

  private writePending(): void {
    const file = this.file;
    if (file === null) return;
    let bytes: Uint8Array;
    if (this.pending.length === 1) bytes = this.pending[0];
    else {
      bytes = new Uint8Array(this.pendingBytes);
      let off = 0;
      for (const p of this.pending) {
        bytes.set(p, off);
        off += p.length;
      }
    }
    const startMs = performance.now();
    try {
      file.write(bytes);
    } catch (e) {
      // Kept for the next try; writes are refused meanwhile (MISCONF), as Redis does.
      const msg = (e as Error).message;
      if (this.lastWriteError === null) {
        this.host.log.warning(`Error writing to the AOF file: ${msg}`);
      }
      this.lastWriteError = msg;
      this.pending = [bytes];
      return;
    }
    if (this.host.latencySample !== undefined) {
      // aof.c flushAppendOnlyFile: the write's latency, by what else was running.
      const ms = Math.floor(performance.now() - startMs);
      this.host.latencySample(
        this.fsyncInFlight !== null
          ? "aof-write-pending-fsync"
          : this.rewrite !== null || this.host.bgsaveRunning()
          ? "aof-write-active-child"
          : "aof-write-alone",
        ms,
      );
      this.host.latencySample("aof-write", ms);
    }
    if (this.lastWriteError !== null) {
      this.host.log.warning("AOF write error looks solved, Redis can write again.");
      this.lastWriteError = null;
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.currentSize += bytes.length;
    this.unsynced = true;
  }

  private fsyncNow(): void {
    try {
      const startMs = performance.now();
      this.file?.fsync();
      // aof.c flushAppendOnlyFile: latencyAddSampleIfNeeded("aof-fsync-always", ...).
      this.host.latencySample?.("aof-fsync-always", Math.floor(performance.now() - startMs));
      this.unsynced = false;
      this.lastFsyncMs = this.host.now();
    } catch (e) {
      this.host.fatal(
        `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${
          (e as Error).message
        }. Exiting...`,
      );
    }
  }

  /** Every 100 ms: write, the `everysec` fsync, a due or scheduled rewrite. */
  cron(): void {
    if (!this.on) return;
    if (this.pendingBytes !== 0) this.writePending();
    const policy = this.host.config.getString("appendfsync");
    const now = this.host.now();
    const paused = this.fsyncPaused();
    if (policy === "always" && this.unsynced && !paused) this.fsyncNow();
    if (
      policy === "everysec" && this.unsynced && this.fsyncInFlight === null && !paused &&
      now - this.lastFsyncMs >= 1000
    ) {
      // In the background (Redis's bio thread): the event loop goes on meanwhile.
      this.unsynced = false;
      this.lastFsyncMs = now;
      const file = this.file!;
      this.fsyncInFlight = file.fsyncInBackground().catch((e) => {
        this.unsynced = true;
        this.host.log.warning(`Error syncing the AOF file: ${(e as Error).message}`);
      }).finally(() => this.fsyncInFlight = null);
    }
    if (this.rewrite === null && !this.host.bgsaveRunning()) {
      if (this.rewriteScheduled) {
        this.rewriteScheduled = false;
        this.startRewrite();
      } else if (this.rewriteDue()) {
        this.host.log.notice(
          `Starting automatic rewriting of AOF on ${
            Math.floor((this.currentSize - this.baseSize) * 100 / Math.max(1, this.baseSize))
          }% growth`,
        );
        this.startRewrite();
      }
    }
  }

  /** auto-aof-rewrite-percentage / -min-size (serverCron). */
  private rewriteDue(): boolean {
    const perc = this.host.config.getNumber("auto-aof-rewrite-percentage");
    const min = this.host.config.getNumber("auto-aof-rewrite-min-size");
    if (perc === 0 || this.currentSize <= min) return false;
    const base = this.baseSize === 0 ? 1 : this.baseSize;
    return (this.currentSize - base) * 100 / base >= perc;
  }

  // ------------------------------------------------------------ rewrite

  /** BGREWRITEAOF: "started", "in-progress" (one runs), or "scheduled" (a BGSAVE runs). */
  bgrewrite(): "started" | "in-progress" | "scheduled" | "off" {
    if (this.rewrite !== null) return "in-progress";
    if (this.host.bgsaveRunning()) {
      this.rewriteScheduled = true;
      return "scheduled";
    }
    return this.startRewrite() ? "started" : "off";
  }

  /**
   * Open the next incremental file and record it (so a crash mid-rewrite still loads everything),
   * then write the new base from a snapshot of this instant in the background.
   */
  private startRewrite(): boolean {
    const log = this.host.log;
    if (!this.on) {
      // BGREWRITEAOF with appendonly no: Redis writes a single-file rewrite; we build the
      // multi-part files the same way as with appendonly yes, without appending after it.
      Deno.mkdirSync(this.dirPath, { recursive: true });
      this.manifest = this.readManifest() ?? emptyManifest();
    }
    this.writePending();
    try {
      this.file?.fsync();
    } catch { /* the next fsync reports it */ }
    const { manifest, file } = withNewIncr(this.manifest, this.prefix);
    let next: AppendFile;
    try {
      next = this.openFile(joinDir(this.dirPath, file.name), true);
      this.manifest = manifest;
      this.persistManifest();
    } catch (e) {
      log.warning(`Can't open the append-only file for the rewrite: ${(e as Error).message}`);
      this.lastRewriteOk = false;
      return false;
    }
    try {
      this.file?.close();
    } catch { /* closed */ }
    this.file = next;
    this.host.newIncrFile?.();
    this.lastTimestampSec = -1; // each incremental file starts with its time (aof-timestamp-enabled)
    this.unsynced = false;
    const tmpPath = joinDir(this.dirPath, `temp-rewriteaof-bg-${Deno.pid}.aof`);
    let bg: BackgroundSnapshot;
    try {
      bg = new BackgroundSnapshot({
        dbs: this.host.dbs,
        aux: this.host.aux(),
        rdb: this.host.rdbOptions(),
        tmpPath,
        keyDelayUs: () => this.host.config.getNumber("rdb-key-save-delay"),
        style: this.baseStyle(),
        incrementalFsync: () => this.host.config.getBool("aof-rewrite-incremental-fsync"),
      });
    } catch (e) {
      log.warning(`Can't rewrite append only file in background: ${(e as Error).message}`);
      this.lastRewriteOk = false;
      this.consecutiveFailures++;
      return false;
    }
    this.rewriteStartMs = this.host.now();
    const rw: Rewrite = { bg, incr: file, tmpPath };
    this.rewrite = rw;
    log.notice(`Background append only file rewriting started by pid ${Deno.pid}`);
    // A FLUSHALL empties what the snapshot walks: the files in the manifest still hold everything
    // (the FLUSHALL is in the new incremental file), and a new rewrite starts from the empty set.
    bg.onAbort = () => {
      this.rewriteEnded(rw, true, "");
      this.rewriteScheduled = true;
    };
    bg.done.then(({ ok, error }) => {
      if (bg.wasAborted) return;
      if (!ok) {
        this.rewriteEnded(rw, false, (error as Error)?.message ?? String(error));
        return;
      }
      try {
        const { manifest: done, base } = withNewBase(
          this.manifest,
          this.prefix,
          this.host.config.getBool("aof-use-rdb-preamble"),
          rw.incr,
        );
        Deno.renameSync(rw.tmpPath, joinDir(this.dirPath, base.name));
        fsyncDir(this.dirPath);
        this.manifest = done;
        this.persistManifest();
        this.baseSize = this.fileSize(base);
        this.deleteHistory();
        this.currentSize = this.filesSize(this.manifest);
      } catch (e) {
        removeQuietly(rw.tmpPath);
        this.rewriteEnded(rw, false, (e as Error).message);
        return;
      }
      this.rewriteEnded(rw, true, "");
    });
    return true;
  }

  private rewriteEnded(rw: Rewrite, ok: boolean, why: string): void {
    if (this.rewrite !== rw) return;
    this.rewrite = null;
    this.lastRewriteTimeSec = Math.floor((this.host.now() - this.rewriteStartMs) / 1000);
    if (ok && why === "" && rw.bg.wasAborted) {
      this.host.log.notice("Background AOF rewrite restarted: the dataset was flushed");
    } else if (ok) {
      this.rewrites++;
      this.consecutiveFailures = 0;
      this.lastRewriteOk = true;
      this.host.log.notice("Background AOF rewrite terminated with success");
      this.host.log.notice("Background AOF rewrite finished successfully");
    } else {
      this.consecutiveFailures++;
      this.lastRewriteOk = false;
      this.host.log.warning(`Background AOF rewrite failed: ${why}`);
    }
    if (!this.on) {
      // A rewrite with appendonly no leaves the files complete and closed.
      try {
        this.file?.close();
      } catch { /* closed */ }
      this.file = null;
    }
    this.onRewriteDone?.(ok);
  }

  /**
   * A replica's full sync replaced the dataset with its master's file: that file becomes the new
   * base, with a new empty incremental file after it, both switched in by one manifest rename
   * before any of the new stream is appended. A crash at any point loads either the old dataset
   * or the new one, never old files with the new stream behind them. (Redis's restartAOFAfterSYNC
   * rewrites in the background instead and holds the stream meanwhile.)
   */
  replaceAfterSync(rdb: Uint8Array): void {
    if (!this.on) return;
    this.abortRewrite();
    this.rewriteScheduled = false;
    // Whatever is still buffered belongs to the dataset the sync replaced.
    this.pending = [];
    this.pendingBytes = 0;
    let next: AppendFile | null = null;
    try {
      const { manifest, file } = withNewIncr(this.manifest, this.prefix);
      next = this.openFile(joinDir(this.dirPath, file.name), true);
      // The master's file is an RDB, so the base is one whatever aof-use-rdb-preamble says.
      const done = withNewBase(manifest, this.prefix, true, file);
      writeFileAtomic(joinDir(this.dirPath, done.base.name), rdb, {
        tmpName: `temp-rewriteaof-${Deno.pid}.aof`,
      });
      try {
        this.file?.close();
      } catch { /* closed */ }
      this.file = next;
      this.unsynced = false;
      this.lastTimestampSec = -1;
      this.manifest = done.manifest;
      this.persistManifest();
      this.baseSize = rdb.length;
      this.currentSize = rdb.length;
      this.deleteHistory();
      this.host.log.notice(`AOF base ${done.base.name} is the RDB received from the master`);
    } catch (e) {
      if (next !== null && next !== this.file) next.close();
      this.host.log.warning(
        `Can't make the master's RDB the AOF base: ${(e as Error).message}; rewriting instead`,
      );
      this.startRewrite();
    }
  }

  /** Stop a running rewrite (SHUTDOWN, appendonly no); its temp file is removed. */
  abortRewrite(): void {
    const rw = this.rewrite;
    if (rw === null) return;
    rw.bg.onAbort = null;
    rw.bg.abort();
    this.rewriteEnded(rw, false, "stopped");
  }

  // ------------------------------------------------------------ on / off

  /** CONFIG SET appendonly yes at run time: open the files and write a base (startAppendOnly). */
  turnOn(): boolean {
    if (this.on) return true;
    try {
      Deno.mkdirSync(this.dirPath, { recursive: true });
      this.manifest = this.readManifest() ?? emptyManifest();
    } catch (e) {
      this.host.log.warning(
        `Redis needs to enable the AOF but can't open the files: ${(e as Error).message}`,
      );
      return false;
    }
    this.on = true;
    this.lastFsyncMs = this.host.now();
    if (this.rewrite === null && !this.host.bgsaveRunning()) {
      if (!this.startRewrite()) {
        this.on = false;
        return false;
      }
    } else {
      // Another snapshot is being written: open a new incremental file now, rewrite after it.
      const { manifest, file } = withNewIncr(this.manifest, this.prefix);
      this.file = this.openFile(joinDir(this.dirPath, file.name), true);
      this.lastTimestampSec = -1;
      this.manifest = manifest;
      this.persistManifest();
      this.rewriteScheduled = true;
    }
    return true;
  }

  /** Write what is buffered and fsync it (the shutdown's last step; the file stays open). */
  flushAndSync(): void {
    if (!this.on) return;
    this.writePending();
    try {
      this.file?.fsync();
      this.unsynced = false;
    } catch (e) {
      this.host.log.warning(`Fail to fsync the AOF file: ${(e as Error).message}`);
    }
  }

  /** CONFIG SET appendonly no: write, fsync and close (stopAppendOnly). */
  turnOff(): void {
    if (!this.on) return;
    this.writePending();
    try {
      this.file?.fsync();
    } catch (e) {
      this.host.log.warning(`Fail to fsync the AOF file: ${(e as Error).message}`);
    }
    this.abortRewrite();
    try {
      this.file?.close();
    } catch { /* closed */ }
    this.file = null;
    this.on = false;
    this.unsynced = false;
  }
}
