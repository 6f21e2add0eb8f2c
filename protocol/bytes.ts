/**
 * Byte helpers shared by the codecs and the keyspace.
 *
 * Keys, hash fields, set and sorted-set members are held as "binary strings": one JS char per
 * byte (ISO-8859-1). That is lossless for any byte sequence and lets `Map`/`Set` do the hashing.
 * Small string values are binary strings too (keyspace/string_value.ts); other values that are
 * only stored and returned (list elements, hash values, large string values) stay `Uint8Array`.
 *
 * Note: `TextDecoder("latin1")` is windows-1252 in WHATWG and is NOT lossless for 0x80-0x9F,
 * which is why these helpers exist.
 */

const CHUNK = 4096;

/**
 * `v` as bytes the keyspace may keep: a copy when `v` is a view into a larger buffer (a request
 * argument is a view into its connection's input arena: protocol/resp_parser.ts), so a stored
 * value never holds the rest of that buffer alive. A buffer at most a CRLF longer (a large bulk's
 * own buffer) is kept as is.
 */
export function ownBytes(v: Uint8Array): Uint8Array {
  return v.buffer.byteLength - v.length <= 2 ? v : v.slice();
}

/** Longest string `latin1` builds with one String.fromCharCode call of one argument per byte. */
const SHORT_MAX = 32;

/**
 * Bytes to a binary string (one char per byte), always flat: built a char at a time, a string of
 * 13 chars or more is a rope of ConsStrings (~160 bytes of heap for 16 chars, ~930 for 40) where
 * a flat one-byte string takes ~16 + n; keys and string values are kept, so they are built flat.
 * Up to SHORT_MAX bytes by one String.fromCharCode call with an argument per byte (`shortLatin1`),
 * longer ASCII ones by TextDecoder (UTF-8 is the identity on ASCII; ~0.2 us plus the ASCII scan's
 * ~0.5 ns a byte), other bytes by String.fromCharCode over chunks (~2.5 ns a byte).
 */
export function latin1(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= SHORT_MAX) return shortLatin1(bytes);
  if (isAscii(bytes)) return decoder.decode(bytes);
  if (n <= CHUNK) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let s = "";
  for (let i = 0; i < n; i += CHUNK) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(n, i + CHUNK)) as unknown as number[],
    );
  }
  return s;
}

/**
 * `latin1` of at most SHORT_MAX bytes: one String.fromCharCode call with the bytes as its
 * arguments, which V8 builds straight into a flat one-byte string. Keys and small values are
 * this size (redis-benchmark's are 16-20 bytes), and every command with a key builds one.
 * Measured (best of 7 runs of 2^20 on a busy 2-core machine), ns a string by length:
 *
 *   bytes                          3    8   12   16   20   24   32
 *   chars concatenated (<= 12),   44  104  157    -    -    -    -
 *   then fromCharCode.apply,       -    -    -  225  246  103    -
 *   then TextDecoder               -    -    -    -    -    -  219
 *   this switch                   21   27   23   52   59   40  106
 */
// deno-fmt-ignore
function shortLatin1(b: Uint8Array): string {
  switch (b.length) {
    case 0: return "";
    case 1: return String.fromCharCode(b[0]);
    case 2: return String.fromCharCode(b[0], b[1]);
    case 3: return String.fromCharCode(b[0], b[1], b[2]);
    case 4: return String.fromCharCode(b[0], b[1], b[2], b[3]);
    case 5: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4]);
    case 6: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5]);
    case 7: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    case 8: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    case 9: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
    case 10: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
    case 11: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10]);
    case 12: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11]);
    case 13: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12]);
    case 14: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13]);
    case 15: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14]);
    case 16: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15]);
    case 17: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16]);
    case 18: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17]);
    case 19: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18]);
    case 20: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19]);
    case 21: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20]);
    case 22: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21]);
    case 23: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22]);
    case 24: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23]);
    case 25: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24]);
    case 26: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25]);
    case 27: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26]);
    case 28: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26], b[27]);
    case 29: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26], b[27], b[28]);
    case 30: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26], b[27], b[28], b[29]);
    case 31: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26], b[27], b[28], b[29], b[30]);
    case 32: return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
      b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22],
      b[23], b[24], b[25], b[26], b[27], b[28], b[29], b[30], b[31]);
  }
  throw new RangeError(`shortLatin1: ${b.length} bytes`);
}

/** Are all the bytes ASCII (below 0x80)? */
export function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] > 127) return false;
  return true;
}

/** Binary string (one char per byte) back to bytes. Chars above 0xFF are truncated. */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 encode (for texts we produce: replies, INFO, config values). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** UTF-8 decode (for arguments that are names or numbers, never for stored data). */
export function str(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Lowercased ASCII view of an argument, for keyword and command-name matching. */
export function lower(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    let c = bytes[i];
    if (c >= 65 && c <= 90) c += 32;
    s += String.fromCharCode(c);
  }
  return s;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** memcmp order for binary strings (char codes are bytes, so plain comparison is right). */
export function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * C's atoi over bytes: leading white space, an optional sign and digits, as the int C truncates
 * it to; 0 when there are none ("12abc" is 12, "x" is 0).
 */
export function atoi(bytes: Uint8Array): number {
  const m = /^\s*([+-]?\d+)/.exec(latin1(bytes));
  return m === null ? 0 : Number.parseInt(m[1], 10) | 0;
}

/**
 * Redis's string2ll: a strict base-10 signed 64-bit integer (no spaces, no '+', no leading
 * zeros except "0" itself). Returns null when the bytes are not such an integer.
 * Values beyond 2^53 are returned as bigint-checked numbers; callers that need exact 64-bit
 * arithmetic use `parseInt64Big`.
 */
export function parseInt64(bytes: Uint8Array): number | null {
  const n = bytes.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  let neg = false;
  if (bytes[0] === 45) {
    neg = true;
    i = 1;
    if (n === 1) return null;
  }
  if (bytes[i] === 48 && n > i + 1) return null; // leading zero
  if (n - i <= 15) {
    let v = 0;
    for (; i < n; i++) {
      const c = bytes[i] - 48;
      if (c < 0 || c > 9) return null;
      v = v * 10 + c;
    }
    if (neg && v === 0) return null; // "-0" is rejected by string2ll
    return neg ? -v : v;
  }
  const big = parseInt64Big(bytes);
  return big === null ? null : Number(big);
}

/** As `parseInt64`, exact, as a bigint. */
export function parseInt64Big(bytes: Uint8Array): bigint | null {
  const n = bytes.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  if (bytes[0] === 45) {
    i = 1;
    if (n === 1) return null;
  }
  if (bytes[i] === 48 && n > i + 1) return null;
  for (let j = i; j < n; j++) {
    const c = bytes[j];
    if (c < 48 || c > 57) return null;
  }
  const v = BigInt(str(bytes));
  if (v > INT64_MAX || v < INT64_MIN) return null;
  if (i === 1 && v === 0n) return null;
  return v;
}

export { INT64_MAX, INT64_MIN };

/** C's printf("%.17g", d), which Redis 7.0 uses for doubles in replies. */
export function formatDouble17g(d: number): string {
  return formatDoubleG(d, 17);
}

/**
 * C's printf("%.<digits>g", d) (1 to 17 significant digits): "%.17g" for Redis's doubles,
 * "%.14g" for Lua 5.1's numbers. NaN is "nan" or "-nan" by its sign bit, as glibc prints it.
 */
export function formatDoubleG(d: number, digits: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) {
    NAN_CELL[0] = d;
    return (NAN_BYTES[7] & 0x80) !== 0 ? "-nan" : "nan";
  }
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  // toExponential gives the exact exponent after rounding to `digits` significant digits.
  const [mant, expStr] = d.toExponential(digits - 1).split("e");
  const x = Number(expStr);
  if (x < -4 || x >= digits) {
    let m = mant;
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const sign = x < 0 ? "-" : "+";
    const ax = Math.abs(x);
    return `${m}e${sign}${ax < 10 ? "0" + ax : ax}`;
  }
  let f = d.toFixed(Math.max(0, digits - 1 - x));
  if (f.includes(".")) f = f.replace(/0+$/, "").replace(/\.$/, "");
  return f;
}

/** A double's bytes (little-endian), to read a NaN's sign. */
const NAN_CELL = new Float64Array(1);
const NAN_BYTES = new Uint8Array(NAN_CELL.buffer);
