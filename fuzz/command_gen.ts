/**
 * Real commands with random arguments, for the client port (pure). Names come from the command
 * table of Redis 7.0.15 (commands/command_docs_table.ts), subcommands included; the argument
 * count follows the command's arity most of the time (sometimes one fewer or a few more, to hit
 * the arity errors); arguments are drawn from keys, numbers at parsing edges, option words and
 * random bytes.
 *
 * Left out: commands flagged `admin` in the table (SHUTDOWN, CONFIG SET, DEBUG, CLIENT KILL and
 * PAUSE, REPLICAOF, FAILOVER, CLUSTER MEET/RESET/FORGET/ADDSLOTS, ACL SETUSER, MODULE LOAD,
 * SAVE, MONITOR, SYNC...): they reconfigure or stop the node on purpose, and Redis obeys them
 * from any authenticated client; they are the operator's, not a hostile input a node defends
 * against. Also MIGRATE (a connection to an address the input names).
 */

import type { Prng } from "../cluster/prng.ts";
import { COMMAND_TABLE } from "../commands/command_docs_table.ts";
import { randomBytes, smallLength } from "./gen.ts";

const te = new TextEncoder();

const EXCLUDED_BY_NAME = new Set(["migrate"]);

export interface FuzzCommand {
  /** Words of the name: ["get"] or ["client", "setname"]. */
  words: string[];
  arity: number;
}

/** The commands the fuzzer sends: every table entry but the admin ones and MIGRATE. */
export const FUZZ_COMMANDS: readonly FuzzCommand[] = [...COMMAND_TABLE.entries()]
  .filter(([name, spec]) =>
    !spec.flags.includes("admin") && !EXCLUDED_BY_NAME.has(name.split("|")[0]) &&
    // A container (e.g. "client") is sent through its subcommands.
    spec.subcommands === undefined
  )
  .map(([name, spec]) => ({ words: name.split("|"), arity: spec.arity }));

const KEYS = ["k0", "k1", "k2", "k3", "{t}a", "{t}b", "s", "h", "z", "l", "x", ""];

const NUMBERS = [
  "0",
  "1",
  "2",
  "3",
  "10",
  "100",
  "1000",
  "-1",
  "-2",
  "-10",
  "-1000",
  "3.14",
  "-0",
  "1e3",
  "inf",
  "-inf",
  "+inf",
  "nan",
  "0x10",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "18446744073709551615",
  "1048575",
  "2147483648",
];

const WORDS = [
  "EX",
  "PX",
  "EXAT",
  "NX",
  "XX",
  "GT",
  "LT",
  "CH",
  "INCR",
  "GET",
  "KEEPTTL",
  "WITHSCORES",
  "LIMIT",
  "COUNT",
  "MATCH",
  "TYPE",
  "BLOCK",
  "STREAMS",
  "BYLEX",
  "BYSCORE",
  "REV",
  "MAXLEN",
  "MINID",
  "MKSTREAM",
  "ID",
  "AGGREGATE",
  "SUM",
  "WEIGHTS",
  "STORE",
  "ASC",
  "DESC",
  "ALPHA",
  "BY",
  "LEN",
  "IDX",
  "LEFT",
  "RIGHT",
  "BEFORE",
  "AFTER",
  "FIELDS",
  "*",
  ">",
  "$",
  "+",
  "-",
  "~",
  "=",
  "(1",
  "[a",
  "0-1",
  "1-*",
  "u8",
  "i64",
  "#1",
  "OVERFLOW",
  "SAT",
  "FAIL",
];

const SCRIPTS = [
  "return 1",
  "return redis.call('get', KEYS[1])",
  "return redis.call('set', KEYS[1], ARGV[1])",
  "return {1, 'a', {2, false}, nil, 3.9}",
  "return redis.error_reply('x')",
  "error('boom')",
  "return redis.call('nosuch')",
  "local t = {} for i = 1, 1000 do t[i] = i end return #t",
  "return string.rep('x', 10000)",
  "return cjson.encode({a = 1})",
  "return redis.sha1hex(ARGV[1])",
  "return (",
];

/** One random argument. */
export function randomArg(rng: Prng): Uint8Array {
  switch (rng.int(7)) {
    case 0:
    case 1:
      return te.encode(rng.pick(KEYS));
    case 2:
    case 3:
      return te.encode(rng.pick(NUMBERS));
    case 4:
      return te.encode(rng.pick(WORDS));
    case 5:
      return te.encode(rng.pick(SCRIPTS));
    default:
      return rng.chance(0.1)
        ? randomBytes(rng, rng.int(4096))
        : randomBytes(rng, smallLength(rng, 40));
  }
}

/** A real command name (any letter case) with random arguments. */
export function randomCommand(rng: Prng): Uint8Array[] {
  const cmd = rng.pick(FUZZ_COMMANDS);
  const want = cmd.arity >= 0 ? cmd.arity : -cmd.arity + rng.int(5);
  const r = rng.next();
  const argc = Math.max(
    cmd.words.length,
    r < 0.1 ? want - 1 : r < 0.2 ? want + 1 + rng.int(3) : want,
  );
  const out: Uint8Array[] = cmd.words.map((w) => te.encode(rng.chance(0.5) ? w.toUpperCase() : w));
  while (out.length < argc) out.push(randomArg(rng));
  return out;
}
