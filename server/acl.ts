/**
 * The ACL model, as Redis 7.0.15's acl.c: users (flags, password hashes, a root selector and
 * more selectors), selectors (a command bitmap with first-arg exceptions, key patterns with
 * read/write permissions, channel patterns), ACLSetUser's rule language, the descriptions ACL
 * LIST and ACL GETUSER print (ACLDescribeUser, ACLDescribeSelectorCommandRules and its best-fit
 * category search), the permission check of a call (ACLCheckAllUserCommandPerm) and the ACL log.
 *
 * Pure: no I/O, no clients. Strings are binary-safe latin1 strings (one char per byte). The
 * command table is built from the server's CommandDefs and their ACL categories (the same table
 * COMMAND INFO prints); Redis walks its command dict in a random order, this walks the table in
 * definition order, which only changes the order of single-command rules in a description.
 */

import { sha256, toHex } from "./sha256.ts";
import type { CommandDef } from "../commands/command_def.ts";
import { globMatch } from "../keyspace/glob.ts";
import {
  aclKeyRefs,
  commandHasKeys,
  KEY_ACCESS,
  KEY_DELETE,
  KEY_INSERT,
  KEY_UPDATE,
} from "./acl_key_specs.ts";

/** ACLCommandCategories, in Redis's order (ACL CAT and descriptions follow it). */
export const ACL_CATEGORIES = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** Category bit by name (lowercase). */
const CATEGORY_BIT = new Map(ACL_CATEGORIES.map((c, i) => [c, 1 << i]));

/** ACL results (server.h ACL_OK / ACL_DENIED_*); a larger value is the more relevant error. */
export const ACL_OK = 0;
export const ACL_DENIED_CMD = 1;
export const ACL_DENIED_KEY = 2;
export const ACL_DENIED_AUTH = 3;
export const ACL_DENIED_CHANNEL = 4;

/** Key pattern permissions. */
export const ACL_READ = 1;
export const ACL_WRITE = 2;
export const ACL_ALL = 3;

/** User flags (USER_FLAG_*), and the order ACLDescribeUser prints them in. */
const USER_ENABLED = 1;
const USER_DISABLED = 2;
const USER_NOPASS = 4;
const USER_SANITIZE = 8;
const USER_SANITIZE_SKIP = 16;
const USER_FLAG_NAMES: [number, string][] = [
  [USER_ENABLED, "on"],
  [USER_DISABLED, "off"],
  [USER_NOPASS, "nopass"],
  [USER_SANITIZE_SKIP, "skip-sanitize-payload"],
  [USER_SANITIZE, "sanitize-payload"],
];

/** Selector flags (SELECTOR_FLAG_*). */
const SEL_ROOT = 1;
const SEL_ALLKEYS = 2;
const SEL_ALLCOMMANDS = 4;
export const SEL_ALLCHANNELS = 8;

/** Why ACLSetUser refused a rule: ACLSetUserStringError's texts, by errno. */
export const SETUSER_ERRORS = {
  ENOENT: "Unknown command or category name in ACL",
  EINVAL: "Syntax error",
  EEXIST:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: "The password you are trying to remove from the user does not exist",
  EBADMSG:
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
  EALREADY: "Duplicate user found. A user can only be defined once in config files",
  ECHILD: "Allowing first-arg of a subcommand is not supported",
} as const;
export type SetUserError = keyof typeof SETUSER_ERRORS;

// ---------------------------------------------------------------- the command table

/** A command (or subcommand) as ACL sees it: a bit in every selector's bitmap. */
export interface AclCommand {
  id: number;
  /** "get", or "client|kill". */
  fullname: string;
  /** Category bits (CATEGORY_BIT). */
  categories: number;
  /** CMD_NO_AUTH commands (AUTH, HELLO, QUIT...) pass every selector's command check. */
  noAuth: boolean;
  parent: AclCommand | null;
  subcommands: AclCommand[] | null;
  /** Channel arguments: "publish" (argv[1]), "subscribe" (all), "psubscribe" (all, literal). */
  channels: "publish" | "subscribe" | "psubscribe" | null;
}

const CHANNEL_COMMANDS: Record<string, AclCommand["channels"]> = {
  publish: "publish",
  spublish: "publish",
  subscribe: "subscribe",
  ssubscribe: "subscribe",
  psubscribe: "psubscribe",
};

/** The commands ACL rules name, with their ids; `size` ids plus the "future commands" bit. */
export class AclCommandTable {
  readonly top: AclCommand[] = [];
  private readonly byName = new Map<string, AclCommand>();
  size = 0;

  constructor(defs: Iterable<CommandDef>) {
    for (const def of defs) {
      const c = this.add(def, def.name, null);
      if (def.subcommands !== undefined) {
        c.subcommands = def.subcommands.map((s) => this.add(s, `${def.name}|${s.name}`, c));
      }
      this.top.push(c);
    }
  }

  private add(def: CommandDef, fullname: string, parent: AclCommand | null): AclCommand {
    let categories = 0;
    for (const cat of def.categories ?? []) categories |= CATEGORY_BIT.get(cat) ?? 0;
    const c: AclCommand = {
      id: this.size++,
      fullname,
      categories,
      noAuth: def.flags.includes("no_auth"),
      parent,
      subcommands: null,
      channels: CHANNEL_COMMANDS[fullname] ?? null,
    };
    this.byName.set(fullname, c);
    return c;
  }

  /** By full name, lowercase ("get", "config|get"). */
  get(fullname: string): AclCommand | undefined {
    return this.byName.get(fullname);
  }

  /** ACLLookupCommand (lookupCommandBySdsLogic, strict): "name" or "container|sub". */
  lookup(name: string): AclCommand | null {
    const parts = name.split("|");
    if (parts.length < 1 || parts.length > 2 || name === "") return null;
    const base = this.byName.get(asciiLower(parts[0]));
    if (base === undefined || base.parent !== null) return null;
    if (parts.length === 1) return base;
    if (base.subcommands === null) return null;
    const sub = asciiLower(parts[1]);
    return base.subcommands.find((s) => s.fullname === `${base.fullname}|${sub}`) ?? null;
  }

  /** Every command, depth first, in table order (a container before its subcommands). */
  *all(): Generator<AclCommand> {
    for (const c of this.top) {
      yield c;
      if (c.subcommands !== null) yield* c.subcommands;
    }
  }
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** strcasecmp equality (ASCII only). */
function caseEq(a: string, b: string): boolean {
  return a.length === b.length && asciiLower(a) === asciiLower(b);
}

/** ACLStringHasSpaces: isspace() or NUL anywhere. */
export function hasSpaces(s: string): boolean {
  return /[ \t\n\v\f\r\0]/.test(s);
}

/** ACLHashPassword: SHA-256 hex of the password's bytes. */
export function hashPassword(latin1Password: string): string {
  return toHex(sha256(latin1ToBytes(latin1Password)));
}

function latin1ToBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

/** ACLCheckPasswordHash: 64 lowercase hex characters. */
function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

// ---------------------------------------------------------------- selectors

export interface KeyPattern {
  pattern: string;
  /** ACL_READ | ACL_WRITE. */
  flags: number;
}

export class Selector {
  flags: number;
  /** allowed_commands: one byte per command id; the last one is the "future commands" bit. */
  bits: Uint8Array;
  /** allowed_firstargs: per command id, the first arguments allowed while its bit is clear. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(readonly table: AclCommandTable, flags: number) {
    this.flags = flags;
    this.bits = new Uint8Array(table.size + 1);
  }

  copy(): Selector {
    const s = new Selector(this.table, this.flags);
    s.bits.set(this.bits);
    if (this.firstArgs !== null) {
      s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    }
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = [...this.channels];
    return s;
  }

  get futureBit(): number {
    return this.bits[this.table.size];
  }

  private setBit(id: number, on: boolean): void {
    this.bits[id] = on ? 1 : 0;
    if (!on) this.flags &= ~SEL_ALLCOMMANDS;
  }

  /** ACLChangeSelectorPerm: a command, and all its subcommands with it. */
  changePerm(cmd: AclCommand, on: boolean): void {
    this.setBit(cmd.id, on);
    this.firstArgs?.delete(cmd.id);
    if (cmd.subcommands !== null) { for (const s of cmd.subcommands) this.setBit(s.id, on); }
  }

  /** ACLSetSelectorCommandBitsForCategoryLogic. */
  setCategory(cat: number, on: boolean): void {
    for (const c of this.table.top) {
      if (c.categories & cat) this.changePerm(c, on);
      if (c.subcommands !== null) {
        for (const s of c.subcommands) if (s.categories & cat) this.changePerm(s, on);
      }
    }
  }

  private addFirstArg(id: number, arg: string): void {
    this.firstArgs ??= new Map();
    const list = this.firstArgs.get(id);
    if (list === undefined) this.firstArgs.set(id, [arg]);
    else if (!list.some((a) => caseEq(a, arg))) list.push(arg);
  }

  /** ACLSetSelector: one selector rule; null when applied, else why not. */
  apply(op: string): SetUserError | null {
    const lop = asciiLower(op);
    if (lop === "allkeys" || op === "~*") {
      this.flags |= SEL_ALLKEYS;
      this.patterns = [];
    } else if (lop === "resetkeys") {
      this.flags &= ~SEL_ALLKEYS;
      this.patterns = [];
    } else if (lop === "allchannels" || op === "&*") {
      this.flags |= SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lop === "resetchannels") {
      this.flags &= ~SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lop === "allcommands" || lop === "+@all") {
      this.bits.fill(1);
      this.flags |= SEL_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (lop === "nocommands" || lop === "-@all") {
      this.bits.fill(0);
      this.flags &= ~SEL_ALLCOMMANDS;
      this.firstArgs = null;
    } else if (op[0] === "~" || op[0] === "%") {
      if (this.flags & SEL_ALLKEYS) return "EEXIST";
      let flags = 0;
      let offset = 1;
      if (op[0] === "%") {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === "R" && !(flags & ACL_READ)) flags |= ACL_READ;
          else if (ch === "W" && !(flags & ACL_WRITE)) flags |= ACL_WRITE;
          else if (op[offset] === "~") {
            offset++;
            break;
          } else return "EINVAL";
        }
        if (flags === 0) return "EINVAL";
      } else flags = ACL_ALL;
      const pattern = op.slice(offset);
      if (hasSpaces(pattern)) return "EINVAL";
      const found = this.patterns.find((p) => p.pattern === pattern);
      if (found === undefined) this.patterns.push({ pattern, flags });
      else found.flags |= flags;
      this.flags &= ~SEL_ALLKEYS;
    } else if (op[0] === "&") {
      if (this.flags & SEL_ALLCHANNELS) return "EISDIR";
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) return "EINVAL";
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.flags &= ~SEL_ALLCHANNELS;
    } else if (op[0] === "+" && op[1] !== "@") {
      const bar = op.lastIndexOf("|");
      if (bar === -1) {
        const cmd = this.table.lookup(op.slice(1));
        if (cmd === null) return "ENOENT";
        this.changePerm(cmd, true);
      } else {
        const cmd = this.table.lookup(op.slice(1, bar));
        const sub = op.slice(bar + 1);
        if (cmd === null) return "ENOENT";
        if (cmd.parent !== null) return "ECHILD";
        if (sub.length === 0) return "EINVAL";
        if (cmd.subcommands !== null) {
          const s = this.table.lookup(op.slice(1));
          if (s === null) return "ENOENT";
          this.changePerm(s, true);
        } else this.addFirstArg(cmd.id, sub);
      }
    } else if (op[0] === "-" && op[1] !== "@") {
      const cmd = this.table.lookup(op.slice(1));
      if (cmd === null) return "ENOENT";
      this.changePerm(cmd, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const cat = CATEGORY_BIT.get(asciiLower(op.slice(2)));
      if (cat === undefined) return "ENOENT";
      this.setCategory(cat, op[0] === "+");
    } else return "EINVAL";
    return null;
  }

  /** Count commands of a category this selector allows (on) and denies (off). */
  private countCategory(cat: number): [number, number] {
    let on = 0;
    let off = 0;
    for (const c of this.table.all()) {
      if (c.categories & cat) {
        if (this.bits[c.id]) on++;
        else off++;
      }
    }
    return [on, off];
  }

  /** ACLDescribeSelectorCommandRules: "+@all"/"-@all", best-fit categories, then commands. */
  describeCommands(): string {
    let rules = "";
    const additive = this.futureBit === 0;
    const fake = new Selector(this.table, 0);
    if (additive) {
      rules += "-@all ";
      fake.apply("-@all");
    } else {
      rules += "+@all ";
      fake.apply("+@all");
    }
    const temp = new Selector(this.table, 0);
    temp.bits.set(this.bits);
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let mindiff = 2147483647;
      let maxsame = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (applied.has(j)) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = j;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best === -1) break;
      const name = ACL_CATEGORIES[best];
      fake.apply((additive ? "+@" : "-@") + name);
      temp.apply((additive ? "-@" : "+@") + name);
      rules += (additive ? "+@" : "-@") + name + " ";
      applied.add(best);
    }
    const single = (c: AclCommand): void => {
      const userbit = this.bits[c.id] === 1;
      const fakebit = fake.bits[c.id] === 1;
      if (userbit !== fakebit) {
        rules += (userbit ? "+" : "-") + c.fullname + " ";
        fake.changePerm(c, userbit);
      }
      if (c.subcommands !== null) { for (const s of c.subcommands) single(s); }
      const args = this.firstArgs?.get(c.id);
      if (!userbit && args !== undefined) {
        for (const a of args) rules += `+${c.fullname}|${a} `;
      }
    };
    for (const c of this.table.top) single(c);
    return rules.slice(0, -1);
  }

  keysText(): string {
    if (this.flags & SEL_ALLKEYS) return "~*";
    return this.patterns.map(patternText).join(" ");
  }

  channelsText(): string {
    if (this.flags & SEL_ALLCHANNELS) return "&*";
    return this.channels.map((c) => "&" + c).join(" ");
  }

  /** ACLDescribeSelector. */
  describe(): string {
    let res = "";
    if (this.flags & SEL_ALLKEYS) res += "~* ";
    else for (const p of this.patterns) res += patternText(p) + " ";
    if (this.flags & SEL_ALLCHANNELS) res += "&* ";
    else {
      res += "resetchannels ";
      for (const c of this.channels) res += "&" + c + " ";
    }
    return res + this.describeCommands();
  }

  /** No check can fail: all commands, all keys, all channels. */
  get unrestricted(): boolean {
    const all = SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS;
    return (this.flags & all) === all;
  }

  /** ACLSelectorCheckKey. */
  checkKey(key: string, specFlags: number): boolean {
    if (this.flags & SEL_ALLKEYS) return true;
    let want = 0;
    if (specFlags & KEY_ACCESS) want |= ACL_READ;
    if (specFlags & (KEY_INSERT | KEY_DELETE | KEY_UPDATE)) want |= ACL_WRITE;
    for (const p of this.patterns) {
      if ((p.flags & want) !== want) continue;
      if (globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  /** ACLSelectorCheckCmd: ACL_OK or a denial, with the position of the denied argument. */
  checkCommand(
    cmd: AclCommand,
    argv: Uint8Array[],
    keys: KeyCache,
  ): [number, number] {
    if (!(this.flags & SEL_ALLCOMMANDS) && !cmd.noAuth && this.bits[cmd.id] === 0) {
      const args = this.firstArgs?.get(cmd.id);
      if (argv.length < 2 || args === undefined) return [ACL_DENIED_CMD, 0];
      const idx = cmd.parent !== null ? 2 : 1;
      if (idx >= argv.length) return [ACL_DENIED_CMD, 0];
      const first = bytesLatin1(argv[idx]);
      if (!args.some((a) => caseEq(a, first))) return [ACL_DENIED_CMD, 0];
    }
    // Does a key check apply (key specs that are keys)? Asked here, not when the table is made:
    // the key specs are parsed on the first key check (server/acl_key_specs.ts).
    if (!(this.flags & SEL_ALLKEYS) && commandHasKeys(cmd.fullname)) {
      keys.refs ??= aclKeyRefs(cmd.fullname, argv);
      for (const ref of keys.refs) {
        if (!this.checkKey(bytesLatin1(argv[ref.pos]), ref.flags)) return [ACL_DENIED_KEY, ref.pos];
      }
    }
    if (!(this.flags & SEL_ALLCHANNELS) && cmd.channels !== null) {
      const last = cmd.channels === "publish" ? Math.min(2, argv.length) : argv.length;
      const literal = cmd.channels === "psubscribe";
      for (let j = 1; j < last; j++) {
        if (!channelAllowed(this.channels, bytesLatin1(argv[j]), literal)) {
          return [ACL_DENIED_CHANNEL, j];
        }
      }
    }
    return [ACL_OK, 0];
  }
}

interface KeyCache {
  refs: ReturnType<typeof aclKeyRefs> | null;
}

function patternText(p: KeyPattern): string {
  const prefix = p.flags === ACL_ALL ? "~" : p.flags === ACL_READ ? "%R~" : "%W~";
  return prefix + p.pattern;
}

function bytesLatin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

/** ACLCheckChannelAgainstList: a pattern list against a channel (or, literal, a pattern). */
export function channelAllowed(list: string[], channel: string, literal: boolean): boolean {
  for (const p of list) {
    if (literal ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- users

export class AclUser {
  flags = USER_DISABLED;
  passwords: string[] = [];
  selectors: Selector[];
  /**
   * The hot-path test (dispatch): the root selector allows every command, key and channel, so
   * no check can fail. Kept up to date by every change (`recompute`).
   */
  unrestricted = false;

  constructor(readonly name: string, readonly table: AclCommandTable, pubsubDefault: number) {
    this.selectors = [new Selector(table, SEL_ROOT | pubsubDefault)];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0 && (this.flags & USER_ENABLED) !== 0;
  }

  get disabled(): boolean {
    return (this.flags & USER_DISABLED) !== 0;
  }

  get nopass(): boolean {
    return (this.flags & USER_NOPASS) !== 0;
  }

  recompute(): void {
    this.unrestricted = this.root.unrestricted;
  }

  /** ACLCopyUser: take src's rules, keep this name (and identity: clients point here). */
  copyFrom(src: AclUser): void {
    this.flags = src.flags;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.copy());
    this.recompute();
  }

  /** ACLSetUser: one rule (already merged for selectors); null when applied, else why not. */
  apply(op: string, pubsubDefault: number): SetUserError | null {
    const r = this.applyRule(op, pubsubDefault);
    this.recompute();
    return r;
  }

  private applyRule(op: string, pubsubDefault: number): SetUserError | null {
    if (op.length === 0) return null;
    const lop = asciiLower(op);
    if (lop === "on") {
      this.flags |= USER_ENABLED;
      this.flags &= ~USER_DISABLED;
    } else if (lop === "off") {
      this.flags |= USER_DISABLED;
      this.flags &= ~USER_ENABLED;
    } else if (lop === "skip-sanitize-payload") {
      this.flags |= USER_SANITIZE_SKIP;
      this.flags &= ~USER_SANITIZE;
    } else if (lop === "sanitize-payload") {
      this.flags &= ~USER_SANITIZE_SKIP;
      this.flags |= USER_SANITIZE;
    } else if (lop === "nopass") {
      this.flags |= USER_NOPASS;
      this.passwords = [];
    } else if (lop === "resetpass") {
      this.flags &= ~USER_NOPASS;
      this.passwords = [];
    } else if (op[0] === ">" || op[0] === "#") {
      let hash: string;
      if (op[0] === ">") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return "EBADMSG";
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.flags &= ~USER_NOPASS;
    } else if (op[0] === "<" || op[0] === "!") {
      let hash: string;
      if (op[0] === "<") hash = hashPassword(op.slice(1));
      else {
        hash = op.slice(1);
        if (!validHash(hash)) return "EBADMSG";
      }
      const i = this.passwords.indexOf(hash);
      if (i === -1) return "ENODEV";
      this.passwords.splice(i, 1);
    } else if (op[0] === "(" && op[op.length - 1] === ")") {
      const s = new Selector(this.table, pubsubDefault);
      for (const part of splitArgs(op.slice(1, -1)) ?? []) {
        const err = s.apply(part);
        if (err !== null) return err;
      }
      this.selectors.push(s);
    } else if (lop === "clearselectors") {
      this.selectors.length = 1;
    } else if (lop === "reset") {
      for (const r of ["resetpass", "resetkeys", "resetchannels"]) this.applyRule(r, pubsubDefault);
      if (pubsubDefault & SEL_ALLCHANNELS) this.applyRule("allchannels", pubsubDefault);
      for (const r of ["off", "sanitize-payload", "clearselectors", "-@all"]) {
        this.applyRule(r, pubsubDefault);
      }
    } else {
      return this.root.apply(op);
    }
    return null;
  }

  /** ACLDescribeUser: flags, password hashes, the root selector, then "(...)" selectors. */
  describe(): string {
    let res = "";
    for (const [f, name] of USER_FLAG_NAMES) if (this.flags & f) res += name + " ";
    for (const p of this.passwords) res += "#" + p + " ";
    for (const s of this.selectors) {
      if (s.flags & SEL_ROOT) res += s.describe();
      else res += ` (${s.describe()})`;
    }
    return res;
  }

  /** The names of the flags set, in ACLUserFlags order (ACL GETUSER "flags"). */
  flagNames(): string[] {
    return USER_FLAG_NAMES.filter(([f]) => this.flags & f).map(([, n]) => n);
  }

  /** ACLCheckUserCredentials (after the user lookup). */
  checkPassword(latin1Password: string): boolean {
    if (this.disabled) return false;
    if (this.nopass) return true;
    const h = hashPassword(latin1Password);
    return this.passwords.includes(h);
  }

  /**
   * ACLCheckAllUserCommandPerm: ACL_OK if some selector allows the call; else the most relevant
   * denial (channel > key > command; the last argument position among equals) and its position.
   */
  checkCommand(cmd: AclCommand, argv: Uint8Array[]): [number, number] {
    let relevant = ACL_DENIED_CMD;
    let lastIdx = 0;
    const cache: KeyCache = { refs: null };
    for (const s of this.selectors) {
      const [r, idx] = s.checkCommand(cmd, argv, cache);
      if (r === ACL_OK) return [ACL_OK, 0];
      if (r > relevant || (r === relevant && idx > lastIdx)) {
        relevant = r;
        lastIdx = idx;
      }
    }
    return [relevant, lastIdx];
  }

  /** ACLUserCheckChannelPerm: may this user hold this channel (pattern when literal)? */
  channelAllowed(channel: string, literal: boolean): boolean {
    for (const s of this.selectors) {
      if (s.flags & SEL_ALLCHANNELS) return true;
      if (channelAllowed(s.channels, channel, literal)) return true;
    }
    return false;
  }

  /** Every channel pattern of every selector, or null when a selector allows all channels. */
  channelPatterns(): string[] | null {
    const out: string[] = [];
    for (const s of this.selectors) {
      if (s.flags & SEL_ALLCHANNELS) return null;
      out.push(...s.channels);
    }
    return out;
  }
}

/**
 * ACLMergeSelectorArguments: "(+get" "~k)" become one "(+get ~k)" argument. Returns the merged
 * list, or the index of the argument opening an unmatched parenthesis.
 */
export function mergeSelectorArgs(args: string[]): string[] | { unmatched: number } {
  const out: string[] = [];
  let open = -1;
  let selector = "";
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === "(" && op[op.length - 1] !== ")") {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += " " + op;
      if (op[op.length - 1] === ")") {
        open = -1;
        out.push(selector);
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return { unmatched: open };
  return out;
}

/**
 * sdssplitargs: words separated by blanks, with "double" (escapes) and 'single' quotes; null
 * on unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string) =>
    c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let cur = "";
    let inq = false;
    let insq = false;
    for (;;) {
      if (inq) {
        if (i >= n) return null;
        if (
          line[i] === "\\" && line[i + 1] === "x" &&
          /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))
        ) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (line[i] === "\\" && i + 1 < n) {
          i++;
          const c = line[i];
          cur += c === "n"
            ? "\n"
            : c === "r"
            ? "\r"
            : c === "t"
            ? "\t"
            : c === "b"
            ? "\b"
            : c === "a"
            ? "\x07"
            : c;
        } else if (line[i] === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else cur += line[i];
      } else if (insq) {
        if (i >= n) return null;
        if (line[i] === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (line[i] === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          i++;
          break;
        } else cur += line[i];
      } else {
        if (i >= n || isSpace(line[i])) break;
        if (line[i] === '"') inq = true;
        else if (line[i] === "'") insq = true;
        else cur += line[i];
      }
      i++;
    }
    out.push(cur);
  }
}

// ---------------------------------------------------------------- the ACL log

export type LogContext = "toplevel" | "multi" | "lua" | "module";

export interface AclLogEntry {
  count: number;
  reason: number;
  context: LogContext;
  object: string;
  username: string;
  ctimeMs: number;
  clientInfo: string;
}

const LOG_GROUPING_MS = 60000;

export const REASON_NAMES: Record<number, string> = {
  [ACL_DENIED_CMD]: "command",
  [ACL_DENIED_KEY]: "key",
  [ACL_DENIED_CHANNEL]: "channel",
  [ACL_DENIED_AUTH]: "auth",
};

/** addACLLogEntry: bump a similar recent entry (among the first 10), or add one, trimmed. */
export function addLogEntry(log: AclLogEntry[], e: AclLogEntry, maxLen: number): void {
  const scan = Math.min(10, log.length);
  for (let i = 0; i < scan; i++) {
    const cur = log[i];
    if (
      cur.reason === e.reason && cur.context === e.context &&
      Math.abs(cur.ctimeMs - e.ctimeMs) <= LOG_GROUPING_MS && cur.object === e.object &&
      cur.username === e.username
    ) {
      log.splice(i, 1);
      log.unshift(cur);
      cur.clientInfo = e.clientInfo;
      cur.ctimeMs = e.ctimeMs;
      cur.count++;
      return;
    }
  }
  log.unshift(e);
  if (log.length > maxLen) log.length = maxLen;
}

// ---------------------------------------------------------------- the user set

/** The users (Redis's Users rax, in byte order for listing), the default user and the log. */
export class AclUsers {
  readonly users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  readonly log: AclLogEntry[] = [];
  /** acl-pubsub-default: SEL_ALLCHANNELS (allchannels) or 0 (resetchannels, 7.0's default). */
  pubsubDefault = 0;
  /** A client's CLIENT LIST line, for ACL LOG's client-info (set by the server). */
  clientInfo: (client: object) => string = () => "";

  constructor(readonly table: AclCommandTable) {
    this.defaultUser = this.createDefault();
    this.users.set("default", this.defaultUser);
  }

  /** ACLCreateDefaultUser: +@all ~* &* on nopass. */
  createDefault(): AclUser {
    const u = new AclUser("default", this.table, this.pubsubDefault);
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) u.apply(op, this.pubsubDefault);
    return u;
  }

  newUser(name: string): AclUser {
    return new AclUser(name, this.table, this.pubsubDefault);
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in rax order (bytewise). */
  sorted(): AclUser[] {
    return [...this.users.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** ACLUpdateDefaultUserPassword (requirepass): one password, or nopass when empty. */
  setDefaultPassword(latin1Password: string): void {
    this.defaultUser.apply("resetpass", this.pubsubDefault);
    if (latin1Password !== "") this.defaultUser.apply(">" + latin1Password, this.pubsubDefault);
    else this.defaultUser.apply("nopass", this.pubsubDefault);
  }

  /** Is AUTH needed (authRequired): the default user has a password or is off. */
  get authRequired(): boolean {
    const d = this.defaultUser;
    return !d.nopass || d.disabled;
  }

  /**
   * Apply `rules` (already merged) to a copy of `existing` (or a new user); the staged user, or
   * the failing rule and why. Nothing changes until the caller copies the result in.
   */
  stage(name: string, existing: AclUser | undefined, rules: string[]):
    | { user: AclUser }
    | { rule: string; error: SetUserError } {
    const temp = this.newUser(name);
    if (existing !== undefined) temp.copyFrom(existing);
    for (const r of rules) {
      const err = temp.apply(r, this.pubsubDefault);
      if (err !== null) return { rule: r, error: err };
    }
    return { user: temp };
  }
}

/**
 * The user of internal clients (the link from our master, a script's own client, the AOF
 * loader): Redis's NULL user, which runs anything and is shown as "(superuser)".
 */
export const SUPERUSER = new AclUser("(superuser)", new AclCommandTable([]), SEL_ALLCHANNELS);
for (const op of ["+@all", "~*", "&*", "on", "nopass"]) SUPERUSER.apply(op, SEL_ALLCHANNELS);
