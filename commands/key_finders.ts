/**
 * The key finders (CommandDef.getKeys) of command families whose handlers are imported on first
 * use (commands/lazy_commands.ts): their definitions need them from the start (cluster routing,
 * ACL key checks, COMMAND GETKEYS, key locks), without the families' modules.
 */

import { atoi, lower, parseInt64 } from "../protocol/bytes.ts";
import { LONG_MAX, parseRangeLong } from "./coll_util.ts";

/** strcasecmp(arg, word) == 0 for a lowercase `word`: the argument as a C string (up to a NUL). */
export function isCWord(b: Uint8Array, word: string): boolean {
  let n = b.indexOf(0);
  if (n < 0) n = b.length;
  if (n !== word.length) return false;
  for (let i = 0; i < n; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** XREAD / XREADGROUP (t_stream.c xreadGetKeys): the keys after STREAMS, half of what follows. */
export function xreadKeys(argv: Uint8Array[]): number[] {
  let streamsPos = -1;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (isCWord(a, "block") || isCWord(a, "count")) i++;
    else if (isCWord(a, "group")) i += 2;
    else if (isCWord(a, "noack")) continue;
    else if (isCWord(a, "streams")) {
      streamsPos = i;
      break;
    } else break;
  }
  const num = argv.length - streamsPos - 1;
  if (streamsPos === -1 || num === 0 || num % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = streamsPos + 1; i < argv.length - num / 2; i++) out.push(i);
  return out;
}

/**
 * GEORADIUS / GEORADIUSBYMEMBER (db.c georadiusGetKeys): the source key, and the argument after
 * the first STORE and after the first STOREDIST from `startFrom` on.
 */
export function geoStoreKeys(startFrom: number): (argv: Uint8Array[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const word of ["store", "storedist"]) {
      for (let i = startFrom; i < argv.length - 1; i++) {
        if (isCWord(argv[i], word)) {
          keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

/**
 * db.c sortGetKeys: the sorted key, and the destination of the last STORE. Options are assumed
 * to take no argument except LIMIT (2), GET and BY (1), so a STORE they swallow is not seen.
 */
export function sortGetKeys(argv: Uint8Array[]): number[] {
  const skips: [string, number][] = [["limit", 2], ["get", 1], ["by", 1]];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    for (const [name, skip] of skips) {
      if (isCWord(argv[i], name)) {
        i += skip;
        break;
      } else if (isCWord(argv[i], "store") && i + 1 < argv.length) {
        store = i + 1;
        break;
      }
    }
  }
  return store < 0 ? [1] : [1, store];
}

/**
 * migrateGetKeys: the key at argv[3], or everything after KEYS when argv[3] is empty (the first
 * "keys" argument from index 6 on, as Redis scans it, even if it is an AUTH password).
 */
export function migrateGetKeys(argv: Uint8Array[]): number[] {
  let first = 3;
  let num = 1;
  if (argv.length > 6 && argv[3].length === 0) {
    for (let i = 6; i < argv.length; i++) {
      if (lower(argv[i]) === "keys") {
        first = i + 1;
        num = argv.length - first;
        break;
      }
    }
  }
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(first + i);
  return out;
}

/** LMPOP / BLMPOP (t_list.c lmpopGetKeys): numkeys at `numkeysIdx`, the keys right after it. */
export function mpopKeys(numkeysIdx: number): (argv: Uint8Array[]) => number[] {
  return (argv) => {
    const r = parseRangeLong(argv[numkeysIdx] ?? new Uint8Array(0), -LONG_MAX - 1, LONG_MAX, null);
    const n = typeof r === "string" ? null : r;
    const out: number[] = [];
    if (n === null || n < 1) return out;
    for (let i = numkeysIdx + 1; i <= numkeysIdx + n && i < argv.length; i++) out.push(i);
    return out;
  };
}

/** SINTERCARD: numkeys at 1, the keys right after it. */
export function scountKeys(argv: Uint8Array[]): number[] {
  const n = argv.length > 1 ? parseInt64(argv[1]) : null;
  const out: number[] = [];
  if (n === null || n < 1) return out;
  for (let i = 2; i < 2 + n && i < argv.length; i++) out.push(i);
  return out;
}

/** Key positions for the sorted sets' `<numkeys> key...` forms: numkeys at `numIdx`, keys right after it. */
export function zsetNumkeysKeys(argv: Uint8Array[], numIdx: number, before: number[]): number[] {
  const out = before.slice();
  if (numIdx >= argv.length) return out;
  const n = parseInt64(argv[numIdx]);
  if (n === null || n < 1 || n > argv.length - numIdx - 1) return out;
  for (let i = 0; i < n; i++) out.push(numIdx + 1 + i);
  return out;
}

/** ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: the destination, then numkeys at 2. */
export function zsetStoreKeys(argv: Uint8Array[]): number[] {
  return zsetNumkeysKeys(argv, 2, [1]);
}

/**
 * ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE as cluster routing finds their keys (db.c
 * zunionInterDiffStoreGetKeys -> genericGetKeys(1, 2, 3, 1)): the input keys, then the
 * destination; none when numkeys (atoi) is below 1 or more than the keys given, so the command
 * itself answers its error.
 */
export function zsetStoreRoutingKeys(argv: Uint8Array[]): number[] {
  if (argv.length < 3) return [];
  const n = atoi(argv[2]);
  if (n < 1 || n > argv.length - 3) return [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(3 + i);
  out.push(1);
  return out;
}

/** ZUNION / ZINTER / ZDIFF / ZINTERCARD / ZMPOP: numkeys at 1. */
export function zsetReadKeys(argv: Uint8Array[]): number[] {
  return zsetNumkeysKeys(argv, 1, []);
}

/** BZMPOP: numkeys at 2 (after the timeout). */
export function bzmpopKeys(argv: Uint8Array[]): number[] {
  return zsetNumkeysKeys(argv, 2, []);
}
