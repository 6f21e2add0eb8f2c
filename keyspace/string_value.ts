/**
 * The two forms a string value (TYPE "string") takes when handed out by the keyspace, and the
 * helpers every reader and writer of string values shares. (Inside the key table, a small value
 * SET and its family stored is a record of the value slab instead, keyspace/value_slab.ts; every
 * lookup hands it out as the binary string below.)
 *
 * - A JS "binary string" (one char per byte, 0-255, as keys are: protocol/bytes.ts `latin1`):
 *   what a command stores for a small request argument (SET, MSET, GETSET, ... and INCR's
 *   results) and what RDB loading stores for a small value (STRING_TEXT_MAX_BYTES). V8 keeps it
 *   as a flat one-byte string of ~16 + n bytes, where every Uint8Array (even a 3-byte one, even
 *   a view) costs ~580 bytes of RSS (JSTypedArray + JSArrayBuffer + BackingStore): 200,000 SETs
 *   of 16-byte values (fed to the parser and dispatcher in-process) went from 302 to 134 bytes of
 *   V8 heap and from 881 to ~350 bytes of RSS a key.
 * - A Uint8Array: a larger value, and every value changed in place or tagged by identity:
 *   APPEND/SETRANGE's growable buffers, the bit and HLL commands' raw strings, INCRBYFLOAT's
 *   results, COPY's unshared duplicates (commands/strings.ts). Such a value stays bytes until it
 *   is replaced (an RDB reload makes the small ones binary strings again).
 *
 * Both forms hold the same bytes; which one a value has is invisible to clients (OBJECT
 * ENCODING, DUMP, DEBUG DIGEST and replies are the same either way).
 */

import {
  fromLatin1,
  isAscii,
  latin1,
  ownBytes,
  parseInt64,
  parseInt64Big,
  str,
} from "../protocol/bytes.ts";

/** A string value: a binary string (one char per byte) or its bytes. */
export type StringValue = string | Uint8Array;

/**
 * Longest value held as a binary string when it is ASCII (STRING_BINARY_MAX_BYTES: whatever its
 * bytes); other values are held as bytes. The memory saved is a constant ~560 bytes a value; the
 * time it costs grows with the length: SET builds the string (an ASCII scan of ~0.5 ns a byte,
 * then TextDecoder's ~0.2 us for ASCII, String.fromCharCode's ~2.5 ns a byte for other bytes,
 * against ~0.3 us for a Uint8Array copy) and GET writes it (TextEncoder.encodeInto's ~0.1 us for
 * ASCII, a charCodeAt loop's ~1.2 ns a byte for other bytes, against a ~0.05 us copy).
 * Measured in-process through the parser and dispatcher (no sockets: SET then GET of one
 * 16-char key, best of 4 x 7 runs of 100,000 pairs on a busy 2-core machine), microseconds a
 * pair with every value held as bytes / as a binary string / as these limits choose:
 *
 *   value bytes            16              128             256             1024             4096
 *   ASCII        2.19/1.97/1.93  2.29/2.10/2.12  2.37/2.22/2.19  2.61/2.80/2.74  3.45/ 5.19/3.59
 *   other bytes  2.21/1.97/1.95  2.30/2.38/2.43  2.36/3.39/2.35  2.58/7.34/2.62  3.45/21.59/3.27
 *
 * So small values get faster as well as smaller, ASCII values up to 1 KiB (text, JSON, ids:
 * where a third to all of a value's memory is saved) cost at most ~0.2 us a pair more, and
 * other bytes are held as strings only up to 128 bytes, where they cost ~0.1 us more.
 */
export const STRING_TEXT_MAX_BYTES = 1024;

/** Longest value held as a binary string whatever its bytes (see STRING_TEXT_MAX_BYTES). */
export const STRING_BINARY_MAX_BYTES = 128;

/** `bytes` as the binary string a value of this length and content is held as, else null. */
function asBinaryString(bytes: Uint8Array): string | null {
  const n = bytes.length;
  if (n <= STRING_BINARY_MAX_BYTES) return latin1(bytes);
  // UTF-8 decoding is the identity on ASCII (and TextDecoder builds a flat string).
  if (n <= STRING_TEXT_MAX_BYTES && isAscii(bytes)) return str(bytes);
  return null;
}

/** Is `v` a string value (either form)? */
export function isStringValue(v: unknown): v is StringValue {
  return typeof v === "string" || v instanceof Uint8Array;
}

/** The bytes of a string value: the value itself when it is bytes, else a new copy. */
export function stringBytes(v: StringValue): Uint8Array {
  return typeof v === "string" ? fromLatin1(v) : v;
}

/** The length in bytes of a string value. */
export function stringLength(v: StringValue): number {
  return v.length;
}

/**
 * The form a command stores for a request argument: a binary string when it is small (see
 * STRING_TEXT_MAX_BYTES), else bytes that do not view the request's input arena.
 */
export function storedString(arg: Uint8Array): StringValue {
  return asBinaryString(arg) ?? ownBytes(arg);
}

/**
 * The form RDB loading (and RESTORE) stores for a string value read out of RDB data: a binary
 * string when it is small, as `storedString`, else the bytes as read (the reader's own copy).
 */
export function loadedString(bytes: Uint8Array): StringValue {
  return asBinaryString(bytes) ?? bytes;
}

/**
 * Redis's string2ll over a string value: a strict base-10 int64 (see protocol/bytes.ts
 * `parseInt64`), exact as a number up to 15 chars, else a bigint; null when it is not one.
 */
export function stringToInt64(v: StringValue): number | bigint | null {
  if (typeof v !== "string") return v.length <= 15 ? parseInt64(v) : parseInt64Big(v);
  const n = v.length;
  if (n === 0 || n > 20) return null;
  if (n > 15) return parseInt64Big(fromLatin1(v));
  let i = 0;
  const neg = v.charCodeAt(0) === 45;
  if (neg) {
    if (n === 1) return null;
    i = 1;
  }
  if (v.charCodeAt(i) === 48 && n > i + 1) return null; // leading zero
  let r = 0;
  for (; i < n; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    r = r * 10 + c;
  }
  if (neg && r === 0) return null; // "-0"
  return neg ? -r : r;
}
