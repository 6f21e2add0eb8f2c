/**
 * Reading one AOF file (Redis 7.0 aof.c loadSingleAppendOnlyFile): an optional RDB preamble
 * (the file starts with "REDIS"), then commands as RESP multi-bulk arrays (and `#` annotation
 * lines, skipped), each run through
 * `exec` (the node's dispatcher with a loading client). A transaction whose EXEC never came is
 * reverted. A file that ends inside a command is "truncated": the caller truncates it at the
 * last whole command when that is allowed (aof-load-truncated, last file only).
 */

import { nextTurnAsync } from "./next_turn.ts";

export class AofFormatError extends Error {}

export interface AofCommand {
  argv: Uint8Array[];
  /** Offset just after the command. */
  end: number;
}

/** Redis refuses a multi-bulk count or bulk length beyond these while loading. */
const MAX_ARGS = 1 << 20;
const MAX_BULK = 512 * 1024 * 1024;

function readLine(buf: Uint8Array, pos: number): { text: string; next: number } | null {
  for (let i = pos; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) {
      let text = "";
      for (let j = pos; j < i; j++) text += String.fromCharCode(buf[j]);
      return { text, next: i + 2 };
    }
    if (i - pos > 64) break;
  }
  return null;
}

/**
 * The command at `pos`, or null when the file ends before it does. Throws AofFormatError when
 * the bytes are not a command (Redis: "Bad file format reading the append only file").
 */
export function readAofCommand(buf: Uint8Array, pos: number): AofCommand | null {
  if (pos >= buf.length) return null;
  if (buf[pos] !== 42) throw new AofFormatError("Bad file format reading the append only file"); // '*'
  const head = readLine(buf, pos + 1);
  if (head === null) return null;
  const argc = Number(head.text);
  if (!Number.isInteger(argc) || argc < 1 || argc > MAX_ARGS) {
    throw new AofFormatError("Bad file format reading the append only file");
  }
  const argv: Uint8Array[] = [];
  let p = head.next;
  for (let i = 0; i < argc; i++) {
    if (p >= buf.length) return null;
    if (buf[p] !== 36) throw new AofFormatError("Bad file format reading the append only file"); // '$'
    const len = readLine(buf, p + 1);
    if (len === null) return null;
    const n = Number(len.text);
    if (!Number.isInteger(n) || n < 0 || n > MAX_BULK) {
      throw new AofFormatError("Bad file format reading the append only file");
    }
    if (len.next + n + 2 > buf.length) return null;
    argv.push(buf.subarray(len.next, len.next + n));
    p = len.next + n + 2;
  }
  return { argv, end: p };
}

export interface AofFileLoad {
  /** Commands run. */
  commands: number;
  /** Where the whole commands end: the file's length unless it was truncated. */
  validUpTo: number;
  truncated: boolean;
}

const LOAD_SLICE_MS = 5;
const upper = (b: Uint8Array) => String.fromCharCode(...b.subarray(0, 8)).toUpperCase();

/**
 * Run the commands of `buf` from `start` (after any RDB preamble) through `exec`, yielding to
 * the event loop every few milliseconds. Reports where the whole commands end; an unfinished
 * MULTI counts as not there (its EXEC is missing), as Redis reverts it.
 */
export async function runAofCommands(
  buf: Uint8Array,
  start: number,
  exec: (argv: Uint8Array[]) => void | Promise<void>,
  keyLoadDelayUs = 0,
): Promise<AofFileLoad> {
  let pos = start;
  let validUpTo = start;
  let beforeMulti = -1;
  let commands = 0;
  let sliceStart = performance.now();
  for (;;) {
    if (buf[pos] === 35) {
      // "#TS:<unix time>" and other annotations (aof-timestamp-enabled): skipped, as Redis does.
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      pos = nl + 1;
      if (beforeMulti === -1) validUpTo = pos;
      continue;
    }
    const cmd = readAofCommand(buf, pos);
    if (cmd === null) break;
    const name = upper(cmd.argv[0]);
    if (name === "MULTI") beforeMulti = validUpTo;
    const r = exec(cmd.argv);
    if (r instanceof Promise) await r;
    commands++;
    pos = cmd.end;
    if (name === "EXEC" || name === "DISCARD") beforeMulti = -1;
    if (beforeMulti === -1) validUpTo = pos;
    if (keyLoadDelayUs > 0) {
      // key-load-delay (a Redis test aid) applies per command here, as in Redis's AOF load.
      await new Promise<void>((resolve) => setTimeout(resolve, keyLoadDelayUs / 1000));
      continue;
    }
    if ((commands & 63) === 0 && performance.now() - sliceStart >= LOAD_SLICE_MS) {
      await nextTurnAsync();
      sliceStart = performance.now();
    }
  }
  if (beforeMulti !== -1) validUpTo = beforeMulti;
  return { commands, validUpTo, truncated: validUpTo < buf.length };
}
