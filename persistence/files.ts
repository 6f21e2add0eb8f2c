/**
 * The small file operations persistence is built from: whole writes, directory fsync (so a
 * rename survives a power loss), quiet removal of temp files, paths under `dir`.
 */

/** `name` inside `dir` (a name that is already absolute stays as it is). */
export function joinDir(dir: string, name: string): string {
  if (name.startsWith("/")) return name;
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** Write all of `bytes` (writeSync may write less than asked). */
export function writeAllSync(f: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
}

/** fsync a directory so renames and creations in it are durable (best effort, as Redis). */
export function fsyncDir(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch { /* fsync of a directory is not supported everywhere */ }
}

/** Remove a file if it is there. */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* gone already */ }
}

let tmpCounter = 0;

/**
 * Replace `path` atomically: write a temp file beside it, fsync it, rename it over `path`, fsync
 * the directory; a crash leaves the old file or the new one, never a torn one. With
 * `fsync: false` both fsyncs are skipped (the rename still survives the death of the process,
 * not a power loss). `tmpName` names the temp file (Redis's own names, e.g. temp-<pid>.rdb).
 * Throws on failure, after removing the temp file.
 */
export function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  opts: { fsync?: boolean; tmpName?: string } = {},
): void {
  const fsync = opts.fsync ?? true;
  const slash = path.lastIndexOf("/");
  const dir = slash === -1 ? "." : path.slice(0, slash) || "/";
  const base = slash === -1 ? path : path.slice(slash + 1);
  const tmp = joinDir(dir, opts.tmpName ?? `.${base}.tmp-${Deno.pid}-${++tmpCounter}`);
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  try {
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
    try {
      writeAllSync(f, bytes);
      if (fsync) f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  if (fsync) fsyncDir(dir);
}
