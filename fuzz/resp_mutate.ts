/**
 * Structure-aware mutations of RESP requests (the client port's input), pure.
 *
 * A request is first laid out as its RESP parts (`*<count>\r\n`, then `$<len>\r\n<data>\r\n` per
 * argument, as redis-cli sends it); a mutator edits one part (the array count, a bulk length, a
 * type byte, a line ending, the data) and the parts are joined again. Other mutators give the
 * inline form (`SET k v\r\n`, with quoting and size edge cases), nest arrays, or truncate. The
 * values written into lengths and counts come from fuzz/gen.ts: negatives, off-by-ones, values
 * past proto-max-bulk-len and 2^31/2^63, non-numbers. Redis's parser for all of this is
 * networking.c processMultibulkBuffer / processInlineBuffer.
 */

import type { Prng } from "../cluster/prng.ts";
import { concatBytes } from "../protocol/bytes.ts";
import { biasedBytes, interestingDecimal, randomBytes, smallLength } from "./gen.ts";

const te = new TextEncoder();

/** One request as RESP parts. `count` and each `len` are the decimal text sent. */
export interface RespLayout {
  arrayType: number;
  count: string;
  args: RespArgPart[];
  /** Line ending used after each header line ("\r\n" normally). */
  eol: string;
}

export interface RespArgPart {
  typeByte: number;
  len: string;
  data: Uint8Array;
  /** What follows the data ("\r\n" normally). */
  tail: string;
}

export function layoutOf(args: readonly Uint8Array[]): RespLayout {
  return {
    arrayType: 0x2a, // '*'
    count: String(args.length),
    args: args.map((a) => ({ typeByte: 0x24, len: String(a.length), data: a, tail: "\r\n" })),
    eol: "\r\n",
  };
}

export function encodeLayout(l: RespLayout): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([l.arrayType]), te.encode(l.count + l.eol)];
  for (const a of l.args) {
    parts.push(new Uint8Array([a.typeByte]), te.encode(a.len + l.eol), a.data, te.encode(a.tail));
  }
  return concatBytes(parts);
}

/** The request as redis-cli sends it. */
export function encodeRequest(args: readonly Uint8Array[]): Uint8Array {
  return encodeLayout(layoutOf(args));
}

/** Bytes a RESP mutator likes to insert: protocol punctuation, digits, CR/LF. */
export const RESP_ALPHABET: Uint8Array = te.encode("*$+-:_,#!=%~>()\r\n0123456789 \"'\\x");

export type RespMutator = (rng: Prng, l: RespLayout) => void;

/** The named layout mutators (each edits one structural part in place). */
export const RESP_MUTATORS: Readonly<Record<string, RespMutator>> = {
  arrayCount(rng, l) {
    l.count = interestingDecimal(rng, l.args.length);
  },
  bulkLength(rng, l) {
    if (l.args.length === 0) return;
    const a = l.args[rng.int(l.args.length)];
    a.len = interestingDecimal(rng, a.data.length);
  },
  hugeBulkLength(rng, l) {
    if (l.args.length === 0) return;
    l.args[rng.int(l.args.length)].len = rng.pick([
      "536870913",
      "1073741824",
      "9223372036854775807",
    ]);
  },
  negativeLength(rng, l) {
    if (l.args.length > 0 && rng.chance(0.5)) {
      l.args[rng.int(l.args.length)].len = rng.pick(["-1", "-2", "-100"]);
    } else l.count = rng.pick(["-1", "-2", "-100"]);
  },
  argType(rng, l) {
    if (l.args.length === 0) return;
    l.args[rng.int(l.args.length)].typeByte = rng.chance(0.7)
      ? rng.pick([...te.encode("*+-:_,#!=%~>(|$")])
      : rng.int(256);
  },
  arrayType(rng, l) {
    l.arrayType = rng.chance(0.7) ? rng.pick([...te.encode("$+-:_,#!=%~>(|")]) : rng.int(256);
  },
  lineEnding(rng, l) {
    const e = rng.pick(["\n", "\r", "", "\r\r\n", "\n\r"]);
    if (rng.chance(0.5) || l.args.length === 0) l.eol = e;
    else l.args[rng.int(l.args.length)].tail = e;
  },
  dataLengthMismatch(rng, l) {
    if (l.args.length === 0) return;
    const a = l.args[rng.int(l.args.length)];
    const n = a.data.length;
    const delta = rng.pick([-1, 1, 2, -n, 64]);
    const m = Math.max(0, n + delta);
    const d = new Uint8Array(m);
    d.set(a.data.subarray(0, Math.min(n, m)));
    a.data = d;
  },
  dataBytes(rng, l) {
    if (l.args.length === 0) return;
    const a = l.args[rng.int(l.args.length)];
    a.data = biasedBytes(rng, a.data.length, RESP_ALPHABET, 0.5);
  },
  dropArg(rng, l) {
    if (l.args.length > 0) l.args.splice(rng.int(l.args.length), 1);
  },
  duplicateArg(rng, l) {
    if (l.args.length > 0) {
      const a = l.args[rng.int(l.args.length)];
      l.args.splice(rng.int(l.args.length + 1), 0, { ...a });
    }
  },
  emptyArray(_rng, l) {
    l.count = "0";
    l.args = [];
  },
};

export const RESP_MUTATOR_NAMES: readonly string[] = Object.keys(RESP_MUTATORS);

/** The inline form `a b c\r\n` with one of the inline parser's edge cases (or none). */
export function inlineForm(rng: Prng, args: readonly Uint8Array[]): Uint8Array {
  const words = args.map((a) => new TextDecoder().decode(a).replace(/[\s"']/g, "_"));
  switch (rng.int(8)) {
    case 0: // plain
      return te.encode(words.join(" ") + "\r\n");
    case 1: // quoted, with escapes
      return te.encode(words.map((w) => `"${w}\\x41\\n"`).join(" ") + "\r\n");
    case 2: // unbalanced quotes
      return te.encode(words.join(" ") + ' "open\r\n');
    case 3: // closing quote followed by a non-space
      return te.encode(`"${words[0] ?? ""}"x\r\n`);
    case 4: // LF only
      return te.encode(words.join("   ") + "\n");
    case 5: // a line longer than PROTO_INLINE_MAX_SIZE (64 KiB) with no newline
      return new Uint8Array(64 * 1024 + rng.int(1024)).fill(0x61);
    case 6: // empty lines
      return te.encode("\r\n\n\r\n");
    default: // single-quoted with a bad escape
      return te.encode(`'${words[0] ?? ""}\\'x' y\r\n`);
  }
}

/** An array nested `depth` deep around the request (Redis rejects: expected '$', got '*'). */
export function nested(rng: Prng, args: readonly Uint8Array[]): Uint8Array {
  const depth = 1 + rng.int(4);
  return concatBytes([te.encode("*1\r\n".repeat(depth)), encodeRequest(args)]);
}

/** A prefix of `bytes` (shorter than it when it has at least one byte). */
export function truncate(rng: Prng, bytes: Uint8Array): Uint8Array {
  return bytes.subarray(0, bytes.length === 0 ? 0 : rng.int(bytes.length));
}

/** Byte-level havoc: flips, overwrites with protocol bytes, inserts and deletes. */
export function havoc(rng: Prng, bytes: Uint8Array): Uint8Array {
  const b = Array.from(bytes);
  const edits = 1 + rng.int(4);
  for (let i = 0; i < edits; i++) {
    const at = rng.int(b.length + 1);
    switch (rng.int(4)) {
      case 0:
        if (at < b.length) b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        if (at < b.length) b[at] = RESP_ALPHABET[rng.int(RESP_ALPHABET.length)];
        break;
      case 2:
        b.splice(at, 0, ...randomBytes(rng, 1 + rng.int(8)));
        break;
      default:
        b.splice(at, 1 + rng.int(8));
    }
  }
  return Uint8Array.from(b);
}

/**
 * One mutated request built from `args`: a layout mutation (one or more), the inline form,
 * nesting, truncation or havoc, chosen at random. Returns the bytes and what was done.
 */
export function mutateRequest(
  rng: Prng,
  args: readonly Uint8Array[],
): { bytes: Uint8Array; how: string } {
  const kind = rng.int(10);
  if (kind === 0) return { bytes: inlineForm(rng, args), how: "inline" };
  if (kind === 1) return { bytes: nested(rng, args), how: "nested" };
  if (kind === 2) return { bytes: truncate(rng, encodeRequest(args)), how: "truncate" };
  if (kind === 3) return { bytes: havoc(rng, encodeRequest(args)), how: "havoc" };
  const l = layoutOf(args);
  const n = 1 + (rng.chance(0.7) ? 0 : rng.int(3));
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = rng.pick(RESP_MUTATOR_NAMES);
    RESP_MUTATORS[name](rng, l);
    names.push(name);
  }
  let bytes = encodeLayout(l);
  if (rng.chance(0.15)) {
    bytes = truncate(rng, bytes);
    names.push("truncate");
  }
  return { bytes, how: names.join("+") };
}

/** Random bytes, mostly RESP punctuation and digits, 0..`maxBytes` long. */
export function randomInput(rng: Prng, maxBytes: number): Uint8Array {
  const n = smallLength(rng, maxBytes);
  return rng.chance(0.5) ? randomBytes(rng, n) : biasedBytes(rng, n, RESP_ALPHABET, 0.8);
}
