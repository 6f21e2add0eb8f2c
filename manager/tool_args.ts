/**
 * The options of the task scripts (`deno task bench`, `deno task sim`): node:util's parseArgs,
 * with `--help` printing the script's usage (exit 0) and an unknown or malformed option printing
 * the error and the usage (exit 2), instead of an uncaught exception.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

export function parseToolArgs<const T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`);
    Deno.exit(2);
  }
  if ((parsed.values as { help?: unknown }).help === true) {
    console.log(usage);
    Deno.exit(0);
  }
  return parsed;
}
