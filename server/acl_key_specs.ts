/**
 * Redis 7.0.15's key specs, as ACL key checks read them: for each command (full name, "a|b" for
 * a subcommand) the key specs of the table COMMAND INFO prints (commands/command_docs_table.ts,
 * generated off redis-server 7.0.15) — flags, begin_search (an index, a keyword with where to
 * start, or unknown) and find_keys (a range or a keynum) — and Redis's way of turning them into
 * (position, flags) pairs (db.c getKeysFromCommandWithSpecs and getKeysUsingKeySpecs, with the
 * getkeys procs for the specs they cannot describe: setGetKeys, bitfieldGetKeys, sortGetKeys,
 * migrateGetKeys).
 */

import { COMMAND_TABLE } from "../commands/command_docs_table.ts";

/** Key spec flags (server.h CMD_KEY_*), the ones ACL checks read. */
export const KEY_RO = 1 << 0;
export const KEY_RW = 1 << 1;
export const KEY_OW = 1 << 2;
export const KEY_RM = 1 << 3;
export const KEY_ACCESS = 1 << 4;
export const KEY_UPDATE = 1 << 5;
export const KEY_INSERT = 1 << 6;
export const KEY_DELETE = 1 << 7;
export const KEY_NOT_KEY = 1 << 8;
export const KEY_INCOMPLETE = 1 << 9;
export const KEY_VARIABLE_FLAGS = 1 << 10;

const FLAG_BITS: Record<string, number> = {
  RO: KEY_RO,
  RW: KEY_RW,
  OW: KEY_OW,
  RM: KEY_RM,
  access: KEY_ACCESS,
  update: KEY_UPDATE,
  insert: KEY_INSERT,
  delete: KEY_DELETE,
  not_key: KEY_NOT_KEY,
  incomplete: KEY_INCOMPLETE,
  variable_flags: KEY_VARIABLE_FLAGS,
};

/** The flag names, in bit order: CMD_KEY_* bit i is named KEY_FLAG_NAMES[i] (COMMAND INFO's). */
export const KEY_FLAG_NAMES: readonly string[] = Object.keys(FLAG_BITS);

/** begin_search: an index, [keyword, startfrom], or null (unknown). */
type BeginSearch = number | [string, number] | null;
/** find_keys: [lastkey, keystep, limit] (range), { keynum: [keynumidx, firstkey, keystep] }, null. */
type FindKeys = [number, number, number] | { keynum: [number, number, number] } | null;

/** One key a command names: its argument position and its key spec flags. */
export interface KeyRef {
  pos: number;
  flags: number;
}

interface Spec {
  flags: number;
  begin: BeginSearch;
  find: FindKeys;
}

/** A key spec as COMMAND INFO prints it (the table's plain JSON). */
interface TableKeySpec {
  flags: string[];
  begin_search: { type: string; spec: Record<string, string | number> };
  find_keys: { type: string; spec: Record<string, number> };
}

function parseSpec(ks: TableKeySpec): Spec {
  const b = ks.begin_search;
  const begin: BeginSearch = b.type === "index"
    ? Number(b.spec.index)
    : b.type === "keyword"
    ? [String(b.spec.keyword), Number(b.spec.startfrom)]
    : null;
  const f = ks.find_keys;
  const find: FindKeys = f.type === "range"
    ? [f.spec.lastkey, f.spec.keystep, f.spec.limit]
    : f.type === "keynum"
    ? { keynum: [f.spec.keynumidx, f.spec.firstkey, f.spec.keystep] }
    : null;
  const flags = ks.flags.reduce((acc, w) => {
    if (!(w in FLAG_BITS)) throw new Error(`unknown key spec flag ${w}`);
    return acc | FLAG_BITS[w];
  }, 0);
  return { flags, begin, find };
}

/**
 * Redis 7.0.15's key specs by full command name, from the COMMAND INFO table: built on the first
 * key lookup (an ACL key check, COMMAND GETKEYS), not at start, so that an idle node never parses
 * the table's key specs (commands/command_docs_table.ts).
 */
let specsByName: Map<string, Spec[]> | null = null;
/** Commands with a spec that is a real key (not a shard channel): doesCommandHaveKeys. */
let keyCommands: Set<string> | null = null;

function specsOf(fullname: string): Spec[] | undefined {
  if (specsByName === null) {
    specsByName = new Map();
    keyCommands = new Set();
    for (const [name, spec] of COMMAND_TABLE) {
      if (spec.keySpecs.length === 0) continue;
      const specs = spec.keySpecs.map((ks) => parseSpec(ks as unknown as TableKeySpec));
      specsByName.set(name, specs);
      if (specs.some((s) => (s.flags & KEY_NOT_KEY) === 0)) keyCommands.add(name);
    }
  }
  return specsByName.get(fullname);
}

/** doesCommandHaveKeys: any spec that is a real key (not a shard channel). */
export function commandHasKeys(fullname: string): boolean {
  if (keyCommands === null) specsOf(fullname);
  return keyCommands!.has(fullname);
}

/** The key spec flags of a command (their union), for tests and COMMAND-like views. */
export function keySpecFlags(fullname: string): number[] {
  return (specsOf(fullname) ?? []).map((s) => s.flags);
}

const asciiLower = (b: Uint8Array): string => {
  let s = "";
  for (const c of b) s += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
  return s;
};

/** getKeysUsingKeySpecs: the keys, or null when a spec cannot say them (INVALID/INCOMPLETE). */
function keysFromSpecs(specs: Spec[], argv: Uint8Array[]): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of specs) {
    if (spec.flags & KEY_NOT_KEY) continue;
    let first = 0;
    const b = spec.begin;
    if (typeof b === "number") first = b;
    else if (b !== null) {
      const [word, startfrom] = b;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (asciiLower(argv[i]) === word.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else return null;
    let last: number;
    let step: number;
    const f = spec.find;
    if (f === null) return null;
    if (Array.isArray(f)) {
      const [lastkey, keystep, limit] = f;
      step = keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (limit === 0) last = argc + lastkey;
      else last = first + (Math.trunc((argc - first) / limit) + lastkey);
    } else {
      const [keynumidx, firstkey, keystep] = f.keynum;
      step = keystep;
      if (keynumidx >= argc || first + keynumidx >= argc) return null;
      const n = parseStrictInt(argv[first + keynumidx]);
      if (n === null || n < 0) return null;
      first += firstkey;
      last = first + n - 1;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    if (spec.flags & KEY_INCOMPLETE) return null;
  }
  return out;
}

/** string2ll: an optional '-', digits, no leading zeros (but "0"), within int64 (here: safe). */
function parseStrictInt(b: Uint8Array): number | null {
  if (b.length === 0 || b.length > 20) return null;
  let i = 0;
  let neg = false;
  if (b[0] === 45) {
    neg = true;
    i = 1;
    if (b.length === 1) return null;
  }
  if (b[i] === 48 && b.length > i + 1) return null;
  let n = 0;
  for (; i < b.length; i++) {
    const d = b[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** setGetKeys: a GET argument makes the key read too. */
function setKeys(argv: Uint8Array[]): KeyRef[] {
  for (let i = 3; i < argv.length; i++) {
    if (asciiLower(argv[i]) === "get") {
      return [{ pos: 1, flags: KEY_RW | KEY_ACCESS | KEY_UPDATE }];
    }
  }
  return [{ pos: 1, flags: KEY_OW | KEY_UPDATE }];
}

/** bitfieldGetKeys: only GET (and OVERFLOW) subcommands make it read-only. */
function bitfieldKeys(argv: Uint8Array[]): KeyRef[] {
  let readonly = true;
  const argc = argv.length;
  for (let i = 2; i < argc; i++) {
    const rem = argc - i - 1;
    const arg = asciiLower(argv[i]);
    if (arg === "get" && rem >= 2) i += 2;
    else if ((arg === "set" || arg === "incrby") && rem >= 3) {
      readonly = false;
      break;
    } else if (arg === "overflow" && rem >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readonly ? KEY_RO | KEY_ACCESS : KEY_RW | KEY_ACCESS | KEY_UPDATE }];
}

/** sortGetKeys: the sorted key is read, the last STORE key written. */
function sortKeys(argv: Uint8Array[]): KeyRef[] {
  const out: KeyRef[] = [{ pos: 1, flags: KEY_RO | KEY_ACCESS }];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = asciiLower(argv[i]);
    if (a === "limit") i += 2;
    else if (a === "get" || a === "by") i += 1;
    else if (a === "store" && i + 1 < argv.length) store = i + 1;
  }
  if (store !== -1) out.push({ pos: store, flags: KEY_OW | KEY_UPDATE });
  return out;
}

/** migrateGetKeys: one key at 3, or the KEYS list (when the key argument is empty). */
function migrateKeys(argv: Uint8Array[]): KeyRef[] {
  let first = 3;
  let num = 1;
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  if (argv.length > 6) {
    for (let i = 6; i < argv.length; i++) {
      const a = asciiLower(argv[i]);
      if (a === "keys") {
        if (argv[3].length > 0) return [];
        first = i + 1;
        num = argv.length - first;
        break;
      }
      if (a in skip) i += skip[a];
    }
  }
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) {
    out.push({ pos: first + i, flags: KEY_RW | KEY_ACCESS | KEY_DELETE });
  }
  return out;
}

/**
 * getKeysFromCommandWithSpecs: the keys a call names, with the flags ACL checks read. Specs
 * first, unless they are variable (SET, BITFIELD); a spec that cannot say its keys (SORT's
 * unknown ones, MIGRATE's incomplete one, a bad numkeys) falls back to the command's getkeys
 * proc, which for the numkeys commands returns no keys when the count is bad.
 */
export function aclKeyRefs(fullname: string, argv: Uint8Array[]): KeyRef[] {
  const specs = specsOf(fullname);
  if (specs === undefined) return [];
  if (fullname === "set") return setKeys(argv);
  if (fullname === "bitfield") return bitfieldKeys(argv);
  const r = keysFromSpecs(specs, argv);
  if (r !== null) return r;
  if (fullname === "sort") return sortKeys(argv);
  if (fullname === "sort_ro") return [{ pos: 1, flags: KEY_RO | KEY_ACCESS }];
  if (fullname === "migrate") return migrateKeys(argv);
  return [];
}
