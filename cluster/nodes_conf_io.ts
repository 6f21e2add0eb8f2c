/**
 * nodes.conf on disk: read at start-up (missing or empty -> a fresh node; corrupt -> a fatal
 * error, the file left untouched) and saves.
 *
 * A save is written the way Redis 7.0 writes it (cluster.c clusterSaveConfig): open the file in
 * place, pad the new content with '\n' up to the old length, write it at offset 0 in one call,
 * fsync when asked, then ftruncate the padding away. There is no temp file, rename or directory
 * fsync, which on a busy ext4 cost 10-50x more than the write itself (a rename is a journalled
 * metadata change). Crash safety:
 * - Death of the process (kill -9, a panic, `Deno.exit`): the content is written with one write
 *   of at most one page (`IN_PLACE_MAX_BYTES`), which the kernel copies in one step (a fatal
 *   signal is acted on between pages), so the file holds the old content or the new one, plus
 *   at most some '\n' padding when it died before the ftruncate; the loader skips blank lines,
 *   as Redis's clusterLoadConfig does ("created ... by the config writing process if stopped
 *   before the truncate call").
 * - Longer contents (or an old file longer than a page) go through a temp file, fsync, rename
 *   and directory fsync (`writeFileAtomic`, Redis 7.2's way), so a multi-page write can never be
 *   left half done.
 * - Power loss: an fsynced save is on disk before its caller lets any reply or vote go; the
 *   first fsynced save of a process also fsyncs the directory (`NodesConfFile`), so the file's
 *   name survives even when an unsynced save created it. A power loss in the middle of an
 *   in-place write can leave a torn sector, as with Redis 7.0; the loader then refuses the file
 *   as corrupt (CorruptClusterConfigError, the file kept for the operator) and never starts
 *   with a mixture silently, unless the tear falls on a line boundary, when every line read back
 *   is one that was written (epochs only grow, so none is older than what the last fsync made
 *   durable).
 * Saves that Redis does not fsync skip the fsyncs (see `saveConfigFile`).
 */

import { fsyncDir, writeAllSync, writeFileAtomic } from "../persistence/files.ts";
import { parseConfig, serializeConfigWithKey } from "./nodes_conf.ts";
import type { ClusterState } from "./state.ts";

export class CorruptClusterConfigError extends Error {
  constructor(
    readonly path: string,
    readonly lineNumber: number,
    readonly line: string,
    reason: string,
  ) {
    super(
      `Unrecoverable error: corrupted cluster config file "${path}".` +
        (lineNumber > 0 ? `\n>>> line ${lineNumber}: '${line}'` : "") + `\n${reason}`,
    );
    this.name = "CorruptClusterConfigError";
  }
}

/**
 * Read and parse nodes.conf. Returns null when the file does not exist or is empty (Redis then
 * creates a new node); throws CorruptClusterConfigError on a corrupt file and the I/O error on
 * other read failures.
 */
export function loadConfigFile(
  path: string,
  nowMs: number,
): { state: ClusterState; warnings: string[] } | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`Loading the cluster node config from ${path}: ${(e as Error).message}`);
  }
  if (text.length === 0) return null;
  const r = parseConfig(text, nowMs);
  if ("error" in r) {
    throw new CorruptClusterConfigError(path, r.error.lineNumber, r.error.line, r.error.reason);
  }
  return r;
}

/**
 * The largest content (and old file) written in place: one page, which one write() puts in the
 * page cache in one step, so the death of the process cannot tear it.
 */
export const IN_PLACE_MAX_BYTES = 4096;

const encoder = new TextEncoder();

/**
 * Save nodes.conf (see the module comment): in place as Redis 7.0 does when old and new contents
 * fit in a page, else by temp file and rename; fsynced unless `fsync: false`. An fsynced in-place
 * save also fsyncs the directory when it created the file, or when `syncDir` asks (the file was
 * created by a save that was not fsynced, so its name may not be durable yet). Returns whether
 * the directory was fsynced. Throws on failure.
 */
export function saveConfigFile(
  path: string,
  content: string,
  opts: { fsync?: boolean; syncDir?: boolean } = {},
): { dirSynced: boolean } {
  const fsync = opts.fsync ?? true;
  const bytes = encoder.encode(content);
  if (bytes.length > IN_PLACE_MAX_BYTES) {
    writeFileAtomic(path, bytes, { fsync });
    return { dirSynced: fsync };
  }
  let dirSynced = false;
  // cluster.c clusterSaveConfig: open(O_WRONLY|O_CREAT, 0644), fstat, pad, write, fsync,
  // ftruncate.
  const f = Deno.openSync(path, { write: true, create: true, mode: 0o644 });
  let atomic = false;
  try {
    const oldSize = f.statSync().size;
    if (oldSize > IN_PLACE_MAX_BYTES) {
      atomic = true; // a page-sized write would leave the old tail beyond it to a crash
    } else {
      writeInPlace(f, oldSize, bytes, fsync);
      // A file this save created (or one created unsynced): its directory entry must survive a
      // power loss too.
      if (fsync && (oldSize === 0 || opts.syncDir)) {
        fsyncDir(dirOf(path));
        dirSynced = true;
      }
    }
  } finally {
    f.close();
  }
  if (atomic) {
    writeFileAtomic(path, bytes, { fsync });
    dirSynced = fsync;
  }
  return { dirSynced };
}

/**
 * The in-place write of clusterSaveConfig on `f`, open at offset 0 on a file of `oldSize` bytes
 * (at most a page): "Pad the new payload if the existing file length is greater", write it in
 * one call, fsync when asked, then "Truncate the file if needed to remove the final \n padding
 * that is just garbage".
 */
function writeInPlace(
  f: Deno.FsFile,
  oldSize: number,
  bytes: Uint8Array,
  fsync: boolean,
  room?: Uint8Array,
): void {
  let out = bytes;
  if (oldSize > bytes.length) {
    if (
      room !== undefined && room.buffer === bytes.buffer && bytes.byteOffset === room.byteOffset &&
      room.length >= oldSize
    ) {
      // `bytes` starts `room` (NodesConfFile's page buffer): pad in place, no copy.
      room.fill(0x0a, bytes.length, oldSize);
      out = room.subarray(0, oldSize);
    } else {
      out = new Uint8Array(oldSize).fill(0x0a);
      out.set(bytes);
    }
  }
  writeAllSync(f, out);
  // fdatasync: the content and the file size, what a restart reads back (Redis calls fsync,
  // which also journals the modification time).
  if (fsync) f.syncDataSync();
  if (out.length !== bytes.length) f.truncateSync(bytes.length);
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "." : path.slice(0, slash) || "/";
}

/**
 * The node's nodes.conf: saves a state, skipping a write that would change only heartbeat times
 * and link states (`durableConfigKey`) of a file already on disk, fsynced when asked. During a
 * reshard most SETSLOT NODE calls and gossip updates re-state what an earlier save wrote.
 *
 * With `keepOpen` (a running node) the file stays open between in-place saves: each save stats
 * the path instead of opening it, and reopens when the path no longer names the open file (it
 * was removed, renamed over by a large save, replaced); the bytes written are those of
 * `saveConfigFile`, only the open, fstat and close of each save are gone. `close()` releases it.
 */
export class NodesConfFile {
  private lastKey: string | null = null;
  /** The state `lastKey` was made from (a save of this very object needs no serializing). */
  private lastState: ClusterState | null = null;
  private lastFsynced = false;
  /** The directory was fsynced since this process first wrote the file: its name is durable. */
  private dirDurable = false;
  /** The open file (keepOpen) and the inode it is, to tell when the path names another one. */
  private open: { file: Deno.FsFile; dev: number; ino: number } | null = null;
  /**
   * The bytes of an in-place save (keepOpen), encoded into this page instead of a new buffer per
   * save, and padded in it.
   */
  private readonly page = new Uint8Array(IN_PLACE_MAX_BYTES);
  /** Writes done and skipped, directory fsyncs, for tests and INFO-style counters. */
  readonly stats = { writes: 0, skipped: 0, dirSyncs: 0 };

  constructor(readonly path: string, private readonly opts: { keepOpen?: boolean } = {}) {}

  /** True when a save of `s` would write nothing: the file already holds this very state. */
  holds(s: ClusterState, fsync: boolean): boolean {
    return s === this.lastState && (this.lastFsynced || !fsync);
  }

  /** Save `s` (see the class comment); `force` writes whatever is on disk. Throws on failure. */
  save(s: ClusterState, fsync: boolean, force = false): void {
    if (!force && this.holds(s, fsync)) {
      this.stats.skipped++;
      return;
    }
    const { content, key } = serializeConfigWithKey(s);
    if (!force && key === this.lastKey && (this.lastFsynced || !fsync)) {
      this.lastState = s;
      this.stats.skipped++;
      return;
    }
    this.lastKey = null; // unknown until this write is through
    this.lastState = null;
    const opts = { fsync, syncDir: !this.dirDurable };
    const { dirSynced } = this.opts.keepOpen === true
      ? this.saveKeepingOpen(content, opts)
      : saveConfigFile(this.path, content, opts);
    if (dirSynced) {
      this.dirDurable = true;
      this.stats.dirSyncs++;
    }
    this.stats.writes++;
    this.lastKey = key;
    this.lastState = s;
    this.lastFsynced = fsync;
  }

  /** Close the file kept open (a later save opens it again). */
  close(): void {
    const o = this.open;
    this.open = null;
    try {
      o?.file.close();
    } catch { /* closed already */ }
  }

  /** `saveConfigFile` on the file kept open (opened when the path names no open file). */
  private saveKeepingOpen(
    content: string,
    opts: { fsync: boolean; syncDir: boolean },
  ): { dirSynced: boolean } {
    const encoded = encoder.encodeInto(content, this.page);
    if (encoded.read < content.length) { // more than a page
      this.close(); // the rename puts another file at the path
      return saveConfigFile(this.path, content, opts);
    }
    const bytes = this.page.subarray(0, encoded.written);
    let st: Deno.FileInfo | null = null;
    try {
      st = Deno.statSync(this.path);
    } catch { /* missing (or unreadable): opened below, which creates it or fails as before */ }
    let oldSize: number;
    if (this.open !== null && st !== null && st.ino === this.open.ino && st.dev === this.open.dev) {
      oldSize = st.size;
    } else {
      this.close();
      const file = Deno.openSync(this.path, { write: true, create: true, mode: 0o644 });
      try {
        const info = file.statSync();
        oldSize = info.size;
        if (info.ino !== null) this.open = { file, dev: info.dev, ino: info.ino };
      } finally {
        if (this.open === null) file.close();
      }
      if (this.open === null) return saveConfigFile(this.path, content, opts); // no inode numbers
    }
    if (oldSize > IN_PLACE_MAX_BYTES) {
      this.close();
      return saveConfigFile(this.path, content, opts); // through a temp file, as there
    }
    try {
      const f = this.open.file;
      f.seekSync(0, Deno.SeekMode.Start);
      writeInPlace(f, oldSize, bytes, opts.fsync, this.page);
    } catch (e) {
      this.close();
      throw e;
    }
    if (opts.fsync && (oldSize === 0 || opts.syncDir)) {
      fsyncDir(dirOf(this.path));
      return { dirSynced: true };
    }
    return { dirSynced: false };
  }
}
