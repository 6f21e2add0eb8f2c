/**
 * The COMMAND DOCS texts (commands/command_docs_text.ts, ~200 KB of source, most of the command
 * table's) are imported on first use, not at start: an idle node does not compile or hold them
 * (measured: ~2 MiB of RSS). COMMAND DOCS waits for them on its first call (an asynchronous
 * command, as the dispatcher runs any); EXEC loads them before running a transaction that holds
 * one, and the Lua VM is made only once they are here (a script cannot wait for a command), so
 * no caller sees a difference but the first call's latency.
 */

import type { CommandDocsTable } from "./command_docs.ts";
import { importOnFirstUse } from "../server/lazy_import.ts";

let docs: CommandDocsTable | null = null;
let loading: Promise<CommandDocsTable> | null = null;

/** The texts, or null before the first `loadCommandDocs()` has finished. */
export function loadedCommandDocs(): CommandDocsTable | null {
  return docs;
}

/** Import the texts (once; a failed import is tried again by the next call). */
export function loadCommandDocs(): Promise<CommandDocsTable> {
  if (loading === null) {
    loading = importOnFirstUse<typeof import("./command_docs_text.ts")>(
      new URL("./command_docs_text.ts", import.meta.url),
    ).then(
      (m) => (docs = m.COMMAND_DOCS),
      (e) => {
        loading = null;
        throw e;
      },
    );
  }
  return loading;
}

/** Does running `fullname` need the texts loaded first? */
export function needsCommandDocs(fullname: string): boolean {
  return docs === null && fullname === "command|docs";
}
