/**
 * V8's full garbage collection, exposed at run time, for the maxmemory guard
 * (server/process_memory.ts) and MEMORY PURGE. Imported only when first wanted: node:vm loads part
 * of Deno's Node compatibility layer (~2 MiB of RSS).
 */

import v8 from "node:v8";
import vm from "node:vm";

/** V8's full collection, exposed at run time; null when the runtime refuses. */
export function loadFullGc(): (() => void) | null {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    return typeof gc === "function" ? () => gc() : null;
  } catch {
    return null;
  }
}
