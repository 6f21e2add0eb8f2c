/**
 * The byte layout of a compact sorted set (the form a ZSet keeps while Redis would keep it as a
 * listpack, see zset.ts): every element packed into one binary string (one char per byte), in
 * (score, member) order, so a small zset costs one string instead of a map, a node per member
 * and the members' own strings. Like Redis's listpack (listpack.c, t_zset.c zzl*), it is read by
 * a linear scan and rebuilt on every change: fine for the few entries it holds.
 *
 * One entry:
 *   header byte   (lenField << 3) | kind
 *   score         kind 0: IEEE double, 8 bytes (platform order, never persisted);
 *                 kind 1..6: an integer, `kind` bytes little-endian two's complement
 *   length        only when lenField is 31: member length - 31 as a LEB128 varint
 *   member        lenField bytes (or 31 + the varint)
 * Integers use the fewest bytes that hold them; -0 and non-integers are doubles.
 *
 * Decoding functions report through `entry` (module scratch, single-threaded, never re-entered).
 */

import { copyOf, equalsAt, flat, splice } from "./packed_string.ts";

export { copyOf, splice };

/** What `readHeader` / `readEntry` decoded. */
export const entry = {
  /** The score (readEntry only). */
  score: 0,
  /** Offset of the member's first byte. */
  memberStart: 0,
  /** Offset just past the member: the next entry's offset. */
  end: 0,
  /** The entry's 0-based position (findMember only). */
  rank: 0,
};

const KIND_DOUBLE = 0;
/** Largest integer kind (6 bytes: |n| < 2^47). */
const KIND_INT_MAX = 6;
const LEN_EXTENDED = 31;

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** Decode the member bounds of the entry at `o` into `entry` (not the score). */
export function readHeader(p: string, o: number): void {
  const h = p.charCodeAt(o);
  const kind = h & 7;
  let q = o + 1 + (kind === KIND_DOUBLE ? 8 : kind);
  let len = h >> 3;
  if (len === LEN_EXTENDED) {
    let mul = 1;
    let c: number;
    do {
      c = p.charCodeAt(q++);
      len += (c & 0x7f) * mul;
      mul *= 128;
    } while (c >= 0x80);
  }
  entry.memberStart = q;
  entry.end = q + len;
}

/** The score of the entry at `o`. */
export function readScore(p: string, o: number): number {
  const kind = p.charCodeAt(o) & 7;
  if (kind === KIND_DOUBLE) {
    for (let i = 0; i < 8; i++) F64_BYTES[i] = p.charCodeAt(o + 1 + i);
    return F64[0];
  }
  let v = 0;
  let mul = 1;
  for (let i = 1; i <= kind; i++) {
    v += p.charCodeAt(o + i) * mul;
    mul *= 256;
  }
  return p.charCodeAt(o + kind) >= 0x80 ? v - mul : v;
}

/** Decode the whole entry at `o` into `entry`. */
export function readEntry(p: string, o: number): void {
  readHeader(p, o);
  entry.score = readScore(p, o);
}

/** The entry's integer kind for `score` (1..6 bytes), or KIND_DOUBLE. */
function scoreKind(score: number): number {
  if (!Number.isInteger(score) || Object.is(score, -0)) return KIND_DOUBLE;
  let lim = 128;
  for (let k = 1; k <= KIND_INT_MAX; k++, lim *= 256) {
    if (score < lim && score >= -lim) return k;
  }
  return KIND_DOUBLE;
}

/** One entry's bytes. */
export function encodeEntry(member: string, score: number): string {
  const len = member.length;
  const kind = scoreKind(score);
  const h = ((len < LEN_EXTENDED ? len : LEN_EXTENDED) << 3) | kind;
  let s: string;
  if (kind === KIND_DOUBLE) {
    F64[0] = score;
    const b = F64_BYTES;
    s = String.fromCharCode(h, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
  } else {
    let u = score < 0 ? score + 256 ** kind : score;
    if (kind <= 2) {
      // The usual small integers in one call.
      const b0 = u % 256;
      s = kind === 1 ? String.fromCharCode(h, b0) : String.fromCharCode(h, b0, (u - b0) / 256);
    } else {
      s = String.fromCharCode(h);
      for (let i = 0; i < kind; i++) {
        const b = u % 256;
        s += String.fromCharCode(b);
        u = (u - b) / 256;
      }
    }
  }
  if (len >= LEN_EXTENDED) {
    let v = len - LEN_EXTENDED;
    while (v >= 0x80) {
      s += String.fromCharCode((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    s += String.fromCharCode(v);
  }
  return s + member;
}

/**
 * Offset of `member`'s entry, or -1; on success `entry` holds its member bounds and rank.
 * The string search (native, fast) finds candidates; a walk over the entry headers keeps only
 * one that is a whole member.
 */
export function findMember(p: string, member: string): number {
  const len = member.length;
  const last = len === 0 ? -1 : member.charCodeAt(len - 1);
  const plen = p.length;
  let rank = 0;
  for (let o = 0; o < plen; rank++) {
    const h = p.charCodeAt(o);
    const kind = h & 7;
    let ms = o + (kind === KIND_DOUBLE ? 9 : kind + 1);
    let mlen = h >> 3;
    if (mlen === LEN_EXTENDED) {
      readHeader(p, o);
      ms = entry.memberStart;
      mlen = entry.end - ms;
    }
    const me = ms + mlen;
    // Members sharing a prefix are common (user:1, user:2): test the last byte first.
    if (
      mlen === len && (len === 0 || p.charCodeAt(me - 1) === last) &&
      memberEquals(p, ms, me, member)
    ) {
      entry.memberStart = ms;
      entry.end = me;
      entry.rank = rank;
      return o;
    }
    o = me;
  }
  return -1;
}

/**
 * Offset where (score, member) belongs: before the first entry that does not sort before it,
 * the entry at [skip, skipEnd) left out of the comparison (it is being moved; -1 for none).
 */
export function insertOffset(
  p: string,
  score: number,
  member: string,
  skip: number,
  skipEnd: number,
): number {
  const plen = p.length;
  let o = 0;
  while (o < plen) {
    if (o === skip) {
      o = skipEnd;
      continue;
    }
    const h = p.charCodeAt(o);
    const kind = h & 7;
    let s: number;
    if (kind === 1) {
      s = p.charCodeAt(o + 1);
      if (s >= 0x80) s -= 0x100;
    } else if (kind === 2) {
      s = p.charCodeAt(o + 1) + p.charCodeAt(o + 2) * 256;
      if (s >= 0x8000) s -= 0x10000;
    } else s = readScore(p, o);
    if (s > score) break;
    let ms = o + (kind === KIND_DOUBLE ? 9 : kind + 1);
    let mlen = h >> 3;
    if (mlen === LEN_EXTENDED) {
      readHeader(p, o);
      ms = entry.memberStart;
      mlen = entry.end - ms;
    }
    if (s === score && compareMember(p, ms, ms + mlen, member) >= 0) break;
    o = ms + mlen;
  }
  return o;
}

/** True when the entry's integer encoding is the shortest (what encodeEntry writes). */
export function canonicalEntry(p: string, o: number): boolean {
  const kind = p.charCodeAt(o) & 7;
  if (kind > KIND_INT_MAX) return false;
  const score = readScore(p, o);
  if (scoreKind(score) !== kind) return false;
  readHeader(p, o);
  const len = entry.end - entry.memberStart;
  return (p.charCodeAt(o) >> 3) === (len < LEN_EXTENDED ? len : LEN_EXTENDED) &&
    entry.end <= p.length;
}

/** Is the member stored at [start, end) equal to `member`? */
export function memberEquals(p: string, start: number, end: number, member: string): boolean {
  return equalsAt(p, start, end, member);
}

/** memcmp order of the member stored at [start, end) against `member`: -1, 0 or 1. */
export function compareMember(p: string, start: number, end: number, member: string): number {
  const len = end - start;
  const n = len < member.length ? len : member.length;
  for (let i = 0; i < n; i++) {
    const a = p.charCodeAt(start + i);
    const b = member.charCodeAt(i);
    if (a !== b) return a < b ? -1 : 1;
  }
  return len === member.length ? 0 : len < member.length ? -1 : 1;
}

/** The member stored at [start, end), as its own string. */
export function memberAt(p: string, start: number, end: number): string {
  return copyOf(p, start, end);
}

/**
 * p with the entry at [from, fromEnd) moved to offset `to` (outside it) and re-encoded as
 * `insert`, in one copy.
 */
export function move(p: string, from: number, fromEnd: number, to: number, insert: string): string {
  if (to <= from) {
    return flat(p.slice(0, to) + insert + p.slice(to, from) + p.slice(fromEnd));
  }
  return flat(p.slice(0, from) + p.slice(fromEnd, to) + insert + p.slice(to));
}
