/**
 * Sorted-set order and intervals, shared by both forms of a ZSet (zset_packed.ts, the compact
 * form; zset_tree.ts, the B+tree where Redis keeps a skip list): the (score, member) order and
 * the score / lex range tests of Redis's t_zset.c (zslValueGteMin, zslValueLteMax,
 * zslLexValueGteMin, ...).
 *
 * Members are binary strings (one char per byte), so JS string comparison is memcmp order.
 */

/** A score interval; `minex`/`maxex` make the bound exclusive (the '(' prefix). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lexicographic interval. Kind -1 is '-' (below everything), 1 is '+' (above everything),
 * 0 a real bound `min`/`max` ('[' inclusive, '(' exclusive via minex/maxex).
 */
export interface LexRange {
  min: string;
  max: string;
  minKind: -1 | 0 | 1;
  maxKind: -1 | 0 | 1;
  minex: boolean;
  maxex: boolean;
}

/** Does (score a, member ma) sort strictly before (score b, member mb)? */
export function sortsBefore(a: number, ma: string, b: number, mb: string): boolean {
  return a < b || (a === b && ma < mb);
}

export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** Redis's sdscmplex between a real value and a bound of the given kind. */
function cmpLex(value: string, kind: -1 | 0 | 1, bound: string): number {
  if (kind === -1) return 1;
  if (kind === 1) return -1;
  return value < bound ? -1 : value > bound ? 1 : 0;
}

export function lexGteMin(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.minKind, r.min);
  return r.minex ? c > 0 : c >= 0;
}

export function lexLteMax(v: string, r: LexRange): boolean {
  const c = cmpLex(v, r.maxKind, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

/** True when the score range can never contain anything (min > max, or equal and exclusive). */
export function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minex || r.maxex));
}

/** As `scoreRangeEmpty` for lex ranges (Redis's sdscmplex on the two bounds). */
export function lexRangeEmpty(r: LexRange): boolean {
  let c: number;
  if (r.minKind === r.maxKind && r.minKind !== 0) c = 0;
  else if (r.minKind === -1 || r.maxKind === 1) c = -1;
  else if (r.minKind === 1 || r.maxKind === -1) c = 1;
  else c = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return c > 0 || (c === 0 && (r.minex || r.maxex));
}

/** Members and scores of a range, in reply order: `members[i]` has `scores[i]`. */
export interface ZRange {
  members: string[];
  scores: number[];
}
