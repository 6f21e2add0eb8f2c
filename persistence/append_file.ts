/**
 * The file the AOF appends to, behind an interface so a test can play the disk: what was written,
 * what an fsync made durable, and what a power cut keeps (persistence/aof_test.ts). The shipping
 * implementation is a Deno file.
 */

import { writeAllSync } from "./files.ts";

export interface AppendFile {
  /** Write all of `bytes` at the end (to the page cache). Throws on failure. */
  write(bytes: Uint8Array): void;
  /** fdatasync, blocking. Throws on failure. */
  fsync(): void;
  /** fdatasync off the event loop (Redis's bio thread). */
  fsyncInBackground(): Promise<void>;
  close(): void;
}

/** Open `path` for appending (`truncate`: start it empty; it is created when missing). */
export type OpenAppendFile = (path: string, truncate: boolean) => AppendFile;

export const openDenoAppendFile: OpenAppendFile = (path, truncate) => {
  const f = truncate
    ? Deno.openSync(path, { write: true, create: true, truncate: true, mode: 0o644 })
    : Deno.openSync(path, { append: true, create: true, mode: 0o644 });
  return {
    write: (bytes) => writeAllSync(f, bytes),
    fsync: () => f.syncDataSync(),
    fsyncInBackground: () => f.syncData(),
    close: () => f.close(),
  };
};
