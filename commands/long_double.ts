/**
 * x87 80-bit long double arithmetic, just enough for INCRBYFLOAT/HINCRBYFLOAT to give the exact
 * text Redis gives: strtold parsing (string2ld rules), one addition, and `%.17Lf` printing with
 * trailing zeros removed (ld2string LD_STR_HUMAN). Real Redis computes with 64-bit significands,
 * so e.g. 1234 + 0.1 is "1234.09999999999999998" and 0.1 + 0.2 is "0.3"; JS doubles differ.
 *
 * A finite value is sign * m * 2^e with m a bigint below 2^64 (normalised to 64 bits), rounded
 * to nearest-even like the FPU. Pure functions; bigints only on this non-hot path.
 */

export type LongDouble =
  | { kind: "finite"; neg: boolean; m: bigint; e: number }
  | { kind: "inf"; neg: boolean };

const MANT_BITS = 64;
/** Largest binary exponent of the leading bit (x87 emax). */
const EMAX = 16383;
/** Smallest exponent of the unit in the last place (denormals). */
const EMIN_ULP = -16445;
/** string2ld's buffer size (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Round n * 2^e (n >= 0) to a 64-bit significand, nearest-even; null on overflow. */
function round(neg: boolean, n: bigint, e: number): LongDouble {
  if (n === 0n) return { kind: "finite", neg, m: 0n, e: 0 };
  let shift = bitLength(n) - MANT_BITS;
  if (e + shift < EMIN_ULP) shift = EMIN_ULP - e;
  if (shift > 0) {
    const s = BigInt(shift);
    const q = n >> s;
    const r = n - (q << s);
    const half = 1n << (s - 1n);
    let m = q;
    if (r > half || (r === half && (q & 1n) === 1n)) m++;
    n = m;
    e += shift;
    if (bitLength(n) > MANT_BITS) {
      n >>= 1n;
      e++;
    }
  }
  if (n !== 0n && e + bitLength(n) - 1 > EMAX) return { kind: "inf", neg };
  return { kind: "finite", neg, m: n, e };
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A hex digit's value, or -1. */
export function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis string2ld: strtold over the whole buffer (no leading space, nothing left over), and
 * not NaN, not an overflow to infinity, not an underflow to zero. Null when not valid.
 */
export function parseLongDouble(b: Uint8Array): LongDouble | null {
  const n = b.length;
  if (n === 0 || n >= MAX_CHARS) return null;
  let i = 0;
  let neg = false;
  if (b[0] === 43 || b[0] === 45) {
    neg = b[0] === 45;
    i = 1;
  }
  const rest = String.fromCharCode(...b.subarray(i, Math.min(n, i + 9))).toLowerCase();
  if (n - i === 3 && rest === "inf") return { kind: "inf", neg };
  if (n - i === 8 && rest === "infinity") return { kind: "inf", neg };
  if (b[i] === 48 && (b[i + 1] === 120 || b[i + 1] === 88) && n > i + 2) {
    return parseHex(b, i + 2, neg);
  }
  let digits = "";
  let scale = 0;
  let any = false;
  while (i < n && isDigit(b[i])) {
    digits += String.fromCharCode(b[i++]);
    any = true;
  }
  if (i < n && b[i] === 46) {
    i++;
    while (i < n && isDigit(b[i])) {
      digits += String.fromCharCode(b[i++]);
      scale--;
      any = true;
    }
  }
  if (!any) return null;
  if (i < n && (b[i] === 101 || b[i] === 69)) {
    const ex = parseExponent(b, i + 1);
    if (ex === null) return null;
    scale += ex;
  } else if (i !== n) return null;
  const d = BigInt(digits);
  if (d === 0n) return { kind: "finite", neg, m: 0n, e: 0 };
  const mag = digits.replace(/^0+/, "").length + scale; // value < 10^mag
  if (mag > 4933) return null; // ERANGE overflow
  if (mag < -4951) return null; // ERANGE underflow to zero
  let r: LongDouble;
  if (scale >= 0) r = round(neg, d * 10n ** BigInt(scale), 0);
  else {
    const den = 10n ** BigInt(-scale);
    const k = Math.max(0, MANT_BITS + 3 + bitLength(den) - bitLength(d));
    const num = d << BigInt(k);
    const q = num / den;
    const sticky = num % den !== 0n ? 1n : 0n;
    r = round(neg, (q << 1n) | sticky, -k - 1);
  }
  if (r.kind === "inf") return null;
  if (r.m === 0n) return null;
  return r;
}

/**
 * The exponent after 'e' or 'p' (from index i): an optional sign and at least one digit running
 * to the end of the buffer, or null. Magnitudes past 1e7 saturate (already out of range).
 */
function parseExponent(b: Uint8Array, i: number): number | null {
  const n = b.length;
  let neg = false;
  if (i < n && (b[i] === 43 || b[i] === 45)) neg = b[i++] === 45;
  if (i >= n || !isDigit(b[i])) return null;
  let ex = 0;
  while (i < n && isDigit(b[i])) {
    if (ex < 1e7) ex = ex * 10 + (b[i] - 48);
    i++;
  }
  if (i !== n) return null;
  return neg ? -ex : ex;
}

function parseHex(b: Uint8Array, i: number, neg: boolean): LongDouble | null {
  const n = b.length;
  let m = 0n;
  let e = 0;
  let any = false;
  while (i < n && hexVal(b[i]) >= 0) {
    m = (m << 4n) | BigInt(hexVal(b[i++]));
    any = true;
  }
  if (i < n && b[i] === 46) {
    i++;
    while (i < n && hexVal(b[i]) >= 0) {
      m = (m << 4n) | BigInt(hexVal(b[i++]));
      e -= 4;
      any = true;
    }
  }
  if (!any) return null;
  if (i < n && (b[i] === 112 || b[i] === 80)) {
    const ex = parseExponent(b, i + 1);
    if (ex === null) return null;
    e += ex;
  } else if (i !== n) return null;
  const r = round(neg, m, e);
  if (r.kind === "inf") return null;
  if (m !== 0n && r.m === 0n) return null;
  return r;
}

/** a + b as the FPU computes it; null when the result is NaN (inf + -inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.kind === "inf" || b.kind === "inf") {
    if (a.kind === "inf" && b.kind === "inf" && a.neg !== b.neg) return null;
    return a.kind === "inf" ? a : b;
  }
  const e = Math.min(a.e, b.e);
  const va = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const vb = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = va + vb;
  if (sum === 0n) return { kind: "finite", neg: a.neg && b.neg, m: 0n, e: 0 };
  return round(sum < 0n, sum < 0n ? -sum : sum, e);
}

/** ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and '.' removed, "-0" becomes "0". */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === "inf") return v.neg ? "-inf" : "inf";
  const scaled = v.m * 10n ** 17n;
  let q: bigint;
  if (v.e >= 0) q = scaled << BigInt(v.e);
  else {
    const s = BigInt(-v.e);
    q = scaled >> s;
    const r = scaled - (q << s);
    const half = 1n << (s - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q++;
  }
  let digits = q.toString().padStart(18, "0");
  let out = digits.slice(0, digits.length - 17) + "." + digits.slice(digits.length - 17);
  out = out.replace(/0+$/, "");
  if (out.endsWith(".")) out = out.slice(0, -1);
  digits = out;
  if (v.neg && digits !== "0") return "-" + digits;
  return digits;
}
