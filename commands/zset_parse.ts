/**
 * Argument parsing for the sorted-set commands, with Redis 7.0's exact acceptance rules:
 * a glibc-strtod emulation (leading spaces, hex floats, inf/nan words, ERANGE), Redis's
 * getDoubleFromObject (scores, increments, weights), zslParseRange (score intervals with '('),
 * zslParseLexRange ('[' '(' '-' '+'). Pure functions; the blocking pops' timeout is
 * parsed in blocking.ts.
 */

import type { LexRange, ScoreRange } from "../keyspace/zset.ts";
import { hexVal, isDigit } from "./long_double.ts";

export interface StrtodResult {
  value: number;
  /** Index just past the parsed number (0 when nothing was parsed, like strtod's endptr). */
  end: number;
  /** strtod would set errno = ERANGE (overflow to inf, or underflow). */
  erange: boolean;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function matchWord(b: Uint8Array, i: number, word: string): boolean {
  if (i + word.length > b.length) return false;
  for (let k = 0; k < word.length; k++) {
    let c = b[i + k];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** C's strtod over bytes (the "C" locale, glibc's accepted syntax). */
export function strtod(b: Uint8Array): StrtodResult {
  const n = b.length;
  let i = 0;
  while (i < n && isSpace(b[i])) i++;
  let neg = false;
  if (i < n && (b[i] === 43 || b[i] === 45)) {
    neg = b[i] === 45;
    i++;
  }
  const sign = neg ? -1 : 1;
  if (matchWord(b, i, "inf")) {
    const end = matchWord(b, i, "infinity") ? i + 8 : i + 3;
    return { value: sign * Infinity, end, erange: false };
  }
  if (matchWord(b, i, "nan")) {
    let end = i + 3;
    if (end < n && b[end] === 40) { // '(' n-char-sequence ')'
      let j = end + 1;
      while (
        j < n &&
        (isDigit(b[j]) || hexVal(b[j]) >= 0 || b[j] === 95 ||
          (b[j] | 32) >= 97 && (b[j] | 32) <= 122)
      ) j++;
      if (j < n && b[j] === 41) end = j + 1;
    }
    return { value: NaN, end, erange: false };
  }
  // Hexadecimal float: 0x h* [. h*] [p [+-] d+]
  if (i + 1 < n && b[i] === 48 && (b[i + 1] | 32) === 120) {
    let j = i + 2;
    let mant = 0;
    let digits = 0;
    let exp = 0;
    while (j < n && hexVal(b[j]) >= 0) {
      mant = mant * 16 + hexVal(b[j]);
      j++;
      digits++;
    }
    if (j < n && b[j] === 46) {
      let k = j + 1;
      while (k < n && hexVal(b[k]) >= 0) {
        mant = mant * 16 + hexVal(b[k]);
        exp -= 4;
        k++;
        digits++;
      }
      if (digits > 0) j = k;
    }
    if (digits === 0) return { value: 0 * sign, end: i + 1, erange: false }; // just the "0"
    if (j < n && (b[j] | 32) === 112) {
      let k = j + 1;
      let eneg = false;
      if (k < n && (b[k] === 43 || b[k] === 45)) {
        eneg = b[k] === 45;
        k++;
      }
      if (k < n && isDigit(b[k])) {
        let e = 0;
        while (k < n && isDigit(b[k])) {
          e = Math.min(1e6, e * 10 + (b[k] - 48));
          k++;
        }
        exp += eneg ? -e : e;
        j = k;
      }
    }
    const value = sign * ldexp(mant, exp);
    const erange = !Number.isFinite(value) || (value === 0 && mant !== 0);
    return { value, end: j, erange };
  }
  // Decimal: d* [. d*] [e [+-] d+], at least one mantissa digit.
  const start = i;
  let j = i;
  let nonZero = false;
  let digits = 0;
  while (j < n && isDigit(b[j])) {
    if (b[j] !== 48) nonZero = true;
    j++;
    digits++;
  }
  if (j < n && b[j] === 46) {
    j++;
    while (j < n && isDigit(b[j])) {
      if (b[j] !== 48) nonZero = true;
      j++;
      digits++;
    }
  }
  if (digits === 0) return { value: 0, end: 0, erange: false };
  if (j < n && (b[j] | 32) === 101) {
    let k = j + 1;
    if (k < n && (b[k] === 43 || b[k] === 45)) k++;
    if (k < n && isDigit(b[k])) {
      while (k < n && isDigit(b[k])) k++;
      j = k;
    }
  }
  let text = "";
  for (let k = start; k < j; k++) text += String.fromCharCode(b[k]);
  const mag = Number(text.charCodeAt(0) === 46 ? "0" + text : text);
  const value = sign * mag;
  const erange = mag === Infinity || (mag === 0 && nonZero);
  return { value, end: j, erange };
}

/**
 * Redis's getDoubleFromObject (used for ZADD/ZINCRBY scores and WEIGHTS): the whole argument
 * must be a number, no leading space, no overflow/underflow to 0, not NaN. Null when invalid.
 */
export function parseStrictDouble(b: Uint8Array): number | null {
  if (b.length === 0 || isSpace(b[0])) return null;
  // Fast path: plain decimal integers (the common benchmark case).
  if (b.length < 16) {
    let i = b[0] === 45 ? 1 : 0;
    let v = 0;
    if (i < b.length) {
      for (; i < b.length; i++) {
        const c = b[i] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === b.length) return b[0] === 45 ? -v : v;
    }
  }
  const r = strtod(b);
  if (r.end !== b.length) return null;
  if (r.erange && (r.value === 0 || !Number.isFinite(r.value))) return null;
  if (Number.isNaN(r.value)) return null;
  return r.value;
}

/** One bound of zslParseRange: '(' exclusive prefix, rest strtod up to the end, not NaN. */
function parseScoreBound(b: Uint8Array): { v: number; ex: boolean } | null {
  let body = b;
  let ex = false;
  if (b.length > 0 && b[0] === 40) {
    ex = true;
    body = b.subarray(1);
  }
  const r = strtod(body);
  if (r.end !== body.length || Number.isNaN(r.value)) return null;
  return { v: r.value, ex };
}

/** Redis's zslParseRange; null means "ERR min or max is not a float". */
export function parseScoreRange(min: Uint8Array, max: Uint8Array): ScoreRange | null {
  const a = parseScoreBound(min);
  if (a === null) return null;
  const b = parseScoreBound(max);
  if (b === null) return null;
  return { min: a.v, max: b.v, minex: a.ex, maxex: b.ex };
}

function binary(b: Uint8Array, from: number): string {
  let s = "";
  for (let i = from; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** One item of zslParseLexRangeItem. */
function parseLexItem(b: Uint8Array): { v: string; kind: -1 | 0 | 1; ex: boolean } | null {
  if (b.length === 0) return null;
  switch (b[0]) {
    case 43: // '+'
      return b.length === 1 ? { v: "", kind: 1, ex: true } : null;
    case 45: // '-'
      return b.length === 1 ? { v: "", kind: -1, ex: true } : null;
    case 40: // '('
      return { v: binary(b, 1), kind: 0, ex: true };
    case 91: // '['
      return { v: binary(b, 1), kind: 0, ex: false };
    default:
      return null;
  }
}

/** Redis's zslParseLexRange; null means "ERR min or max not valid string range item". */
export function parseLexRange(min: Uint8Array, max: Uint8Array): LexRange | null {
  const a = parseLexItem(min);
  if (a === null) return null;
  const b = parseLexItem(max);
  if (b === null) return null;
  return { min: a.v, max: b.v, minKind: a.kind, maxKind: b.kind, minex: a.ex, maxex: b.ex };
}

/**
 * m × 2^e rounded once, as C's ldexp: Math.pow(2, e) alone underflows to 0 below 2^-1074 (and
 * overflows above 2^1023) even when the product is representable, so the scaling is split into
 * an exact step and a final one that rounds.
 */
function ldexp(m: number, e: number): number {
  if (e < -1000) return m * Math.pow(2, e + 1000) * Math.pow(2, -1000);
  if (e > 1000) return m * Math.pow(2, e - 1000) * Math.pow(2, 1000);
  return m * Math.pow(2, e);
}
