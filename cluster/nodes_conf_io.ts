/**
 * nodes.conf on disk: read at start-up (missing or empty -> a fresh node; corrupt -> a fatal
 * error, the file left untouched) and atomic saves (temp file in the same directory, write,
 * fsync, rename over the old file, then fsync the directory as a best effort), so a crash leaves
 * either the old or the new file, never a torn one. Saves that Redis does not fsync skip both
 * fsyncs (see `saveConfigFile`).
 */

import { writeFileAtomic } from "../persistence/files.ts";
import { durableConfigKey, parseConfig, serializeConfig } from "./nodes_conf.ts";
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

/** Save nodes.conf atomically, fsynced unless `fsync: false` (see the module comment). */
export function saveConfigFile(
  path: string,
  content: string,
  opts: { fsync?: boolean } = {},
): void {
  writeFileAtomic(path, content, { fsync: opts.fsync ?? true });
}

/**
 * The node's nodes.conf: saves a state, skipping a write that would change only heartbeat times
 * and link states (`durableConfigKey`) of a file already on disk, fsynced when asked. During a
 * reshard most SETSLOT NODE calls and gossip updates re-state what an earlier save wrote.
 */
export class NodesConfFile {
  private lastKey: string | null = null;
  private lastFsynced = false;
  /** Writes done and skipped, for tests and INFO-style counters. */
  readonly stats = { writes: 0, skipped: 0 };

  constructor(readonly path: string) {}

  /** Save `s` (see the class comment); `force` writes whatever is on disk. Throws on failure. */
  save(s: ClusterState, fsync: boolean, force = false): void {
    const content = serializeConfig(s);
    const key = durableConfigKey(content);
    if (!force && key === this.lastKey && (this.lastFsynced || !fsync)) {
      this.stats.skipped++;
      return;
    }
    this.lastKey = null; // unknown until this write is through
    saveConfigFile(this.path, content, { fsync });
    this.stats.writes++;
    this.lastKey = key;
    this.lastFsynced = fsync;
  }
}
