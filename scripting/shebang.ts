/**
 * Script flags: the `#!lua flags=...` first line of an EVAL script (Redis 7.0's
 * evalExtractShebangFlags), and the `flags` of a registered function. Pure.
 */

import { latin1 } from "../protocol/bytes.ts";
export interface ScriptFlags {
  /** No shebang: a Redis 6 style script (writes allowed, cross-slot keys allowed). */
  compat: boolean;
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
}

/** The flags of a script without a shebang (shared: never modified). */
export const COMPAT_FLAGS: Readonly<ScriptFlags> = Object.freeze({
  compat: true,
  noWrites: false,
  allowOom: false,
  allowStale: false,
  noCluster: false,
  allowCrossSlot: false,
});

/** Flag names as scripts and FUNCTION LIST spell them, in Redis's order. */
export const FLAG_NAMES = [
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
] as const;

const FIELD: Record<(typeof FLAG_NAMES)[number], keyof ScriptFlags> = {
  "no-writes": "noWrites",
  "allow-oom": "allowOom",
  "allow-stale": "allowStale",
  "no-cluster": "noCluster",
  "allow-cross-slot-keys": "allowCrossSlot",
};

/** Set one named flag; false when the name is not a flag. */
export function setFlag(flags: ScriptFlags, name: string): boolean {
  const field = FIELD[name as (typeof FLAG_NAMES)[number]];
  if (field === undefined) return false;
  flags[field] = true;
  return true;
}

/** The names of the flags set (FUNCTION LIST). */
export function flagNames(flags: ScriptFlags): string[] {
  return FLAG_NAMES.filter((n) => flags[FIELD[n]]);
}

export type ShebangResult =
  | { flags: ScriptFlags; bodyStart: number }
  | { error: string };

/**
 * Read the shebang of an EVAL body. `bodyStart` is where the Lua code starts: the newline that
 * ends the shebang stays, so line numbers in errors count the shebang as line 1.
 */
export function parseShebang(body: Uint8Array): ShebangResult {
  if (body.length < 2 || body[0] !== 35 || body[1] !== 33) {
    return { flags: COMPAT_FLAGS, bodyStart: 0 };
  }
  const nl = body.indexOf(10);
  if (nl === -1) return { error: "Invalid script shebang" };
  const parts = latin1(body.subarray(0, nl)).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
  if (parts.length === 0) return { error: "Invalid engine in script shebang" };
  if (parts[0] !== "#!lua") return { error: `Unexpected engine in script shebang: ${parts[0]}` };
  const flags: ScriptFlags = { ...COMPAT_FLAGS, compat: false };
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return { error: `Unknown lua shebang option: ${part}` };
    const list = part.slice(6);
    if (list === "") continue;
    for (const name of list.split(",")) {
      if (!setFlag(flags, name)) return { error: `Unexpected flag in script shebang: ${name}` };
    }
  }
  return { flags, bodyStart: nl };
}
