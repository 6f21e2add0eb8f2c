/**
 * Sorted set, in one of two forms, as Redis's zset object (t_zset.c):
 * - compact, while Redis would keep it as a listpack: one binary string holding every element
 *   in (score, member) order (layout in zset_packed.ts); operations scan it linearly and rebuild
 *   it on change, as Redis's zzl* functions do;
 * - large (zset_tree.ts): a member -> score map plus an order-statistic B+tree, where Redis keeps
 *   a skip list with spans (the encoding is still reported as "skiplist").
 * A zset starts compact (or as a skip list when created too big) and converts once
 * (`convertToSkiplist`, Redis's zsetConvert), never back: the commands decide when
 * (commands/zsets.ts). `listpack` is which form it is, and what OBJECT ENCODING reports; the
 * listpack-only behaviours (-0 stored as 0, ZSCAN returning everything at once with
 * integer-looking scores, lex ranges scanned linearly) follow it.
 *
 * Order: by score, then member bytes (members are binary strings, one char per byte, so JS string
 * comparison is memcmp). Scores are never NaN (callers reject NaN before inserting). Members
 * handed out (ranges, pops, iteration) are strings of their own, never views into the compact
 * form's string.
 */

import {
  type LexRange,
  lexRangeEmpty,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  scoreRangeEmpty,
  sortsBefore,
  type ZRange,
} from "./zset_range.ts";
import { ScoreTree } from "./zset_tree.ts";
import type { KeyTable } from "./key_table.ts";
import {
  canonicalEntry,
  compareMember,
  encodeEntry,
  entry,
  findMember,
  insertOffset,
  memberAt,
  move,
  readEntry,
  readHeader,
  readScore,
  splice,
} from "./zset_packed.ts";

export type { LexRange, ScoreRange, ZRange } from "./zset_range.ts";
export {
  lexGteMin,
  lexLteMax,
  lexRangeEmpty,
  scoreGteMin,
  scoreLteMax,
  scoreRangeEmpty,
} from "./zset_range.ts";

/**
 * Longest compact string (chars = bytes). Redis converts a listpack past 1 GB
 * (lpSafeToAdd); a V8 string stops at 2^29 - 24 chars, so this converts earlier.
 */
const PACKED_MAX_BYTES = 1 << 28;

// Entry offsets of the compact form, filled by scans that walk back (single-threaded scratch).
let OFFS = new Int32Array(256);

/** Lex bound tests against the member stored at [start, end) of p (no string built). */
function lexGteMinAt(p: string, start: number, end: number, r: LexRange): boolean {
  if (r.minKind !== 0) return r.minKind === -1;
  const c = compareMember(p, start, end, r.min);
  return r.minex ? c > 0 : c >= 0;
}

function lexLteMaxAt(p: string, start: number, end: number, r: LexRange): boolean {
  if (r.maxKind !== 0) return r.maxKind === 1;
  const c = compareMember(p, start, end, r.max);
  return r.maxex ? c < 0 : c <= 0;
}

/** The last compact-form lookup (see ZSet.find); single-threaded scratch. */
const lastFind = {
  z: null as ZSet | null,
  p: "",
  member: "",
  offset: -1,
  memberStart: 0,
  end: 0,
  rank: 0,
};

function emptyRange(): ZRange {
  return { members: [], scores: [] };
}

export class ZSet {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  /** Compact form: the packed elements ("" in skip-list form). */
  private p = "";
  /** Compact form: how many elements `p` holds. */
  private n = 0;
  /** Skip-list form (a ScoreTree), or null while compact. */
  private sl: ScoreTree | null;

  /** A compact zset (`listpack` true) or a skip list. */
  constructor(listpack = true) {
    this.sl = listpack ? null : new ScoreTree();
  }

  /** The member -> score table of a skip-list zset (null while compact), to read ahead in. */
  readAheadTable(): KeyTable<number> | null {
    return this.sl === null ? null : this.sl.dict;
  }

  /**
   * The member whose bytes are `arg` as this zset holds it, or null (not a member, or compact):
   * a ZADD of a member already in a skip list then builds no string for it, and the skip list's
   * comparisons with the node's own member are identity checks.
   */
  storedMember(arg: Uint8Array): string | null {
    return this.sl === null ? null : this.sl.storedMember(arg);
  }

  /** Emulated encoding: true while Redis would keep this zset as a listpack (compact form). */
  get listpack(): boolean {
    return this.sl === null;
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "listpack" | "skiplist" {
    return this.sl === null ? "listpack" : "skiplist";
  }

  get size(): number {
    return this.sl === null ? this.n : this.sl.size;
  }

  /** zsetConvert(OBJ_ENCODING_SKIPLIST): switch to the skip-list form (no-op if already). */
  convertToSkiplist(): void {
    if (this.sl !== null) return;
    const sl = new ScoreTree();
    const p = this.p;
    for (let o = 0; o < p.length;) {
      readEntry(p, o);
      const end = entry.end;
      sl.add(memberAt(p, entry.memberStart, end), entry.score);
      o = end;
    }
    this.sl = sl;
    this.p = "";
    this.n = 0;
  }

  /** A copy with the same form and elements (zsetDup). */
  clone(): ZSet {
    const z = new ZSet(this.sl === null);
    if (this.sl === null) {
      z.p = this.p; // strings are immutable: shared
      z.n = this.n;
    } else {
      for (const [m, s] of this.sl) z.sl!.add(m, s);
    }
    return z;
  }

  /** The score of a member, or undefined. */
  score(member: string): number | undefined {
    if (this.sl !== null) return this.sl.score(member);
    const o = this.find(member);
    return o < 0 ? undefined : readScore(this.p, o);
  }

  /** Add a member that is not present. */
  add(member: string, score: number): void {
    if (this.sl === null) {
      const e = encodeEntry(member, score);
      if (this.p.length + e.length <= PACKED_MAX_BYTES) {
        const o = insertOffset(this.p, score, member, -1, -1);
        this.p = splice(this.p, o, o, e);
        this.n++;
        return;
      }
      this.convertToSkiplist();
    }
    this.sl!.add(member, score);
  }

  /** Set an existing member's score. */
  update(member: string, newScore: number): void {
    if (this.sl !== null) {
      this.sl.update(member, newScore);
      return;
    }
    const p = this.p;
    const o = this.find(member);
    if (o < 0) throw new Error("zset: member missing");
    const end = entry.end;
    const e = encodeEntry(member, newScore);
    if (p.length - (end - o) + e.length > PACKED_MAX_BYTES) {
      this.convertToSkiplist();
      this.sl!.update(member, newScore);
      return;
    }
    this.p = move(p, o, end, insertOffset(p, newScore, member, o, end), e);
  }

  /** Remove a member; true if it was present. */
  remove(member: string): boolean {
    if (this.sl !== null) return this.sl.remove(member);
    const o = this.find(member);
    if (o < 0) return false;
    this.p = splice(this.p, o, entry.end, "");
    this.n--;
    return true;
  }

  /** Remove and return the lowest element as [member, score]. */
  popFirst(): [string, number] | null {
    if (this.sl !== null) {
      const node = this.sl.popFirst();
      return node === null ? null : [node.member, node.score];
    }
    if (this.n === 0) return null;
    return this.takeAt(0);
  }

  /** Remove and return the highest element as [member, score]. */
  popLast(): [string, number] | null {
    if (this.sl !== null) {
      const node = this.sl.popLast();
      return node === null ? null : [node.member, node.score];
    }
    if (this.n === 0) return null;
    return this.takeAt(this.offsetOfRank(this.n - 1));
  }

  /** 0-based rank of a member (ascending), or -1 when absent. */
  rank(member: string): number {
    if (this.sl !== null) return this.sl.rank(member);
    return this.find(member) < 0 ? -1 : entry.rank;
  }

  /** The element at 0-based rank as [member, score], or null when out of range. */
  byRank(rank0: number): [string, number] | null {
    if (rank0 < 0 || rank0 >= this.size) return null;
    if (this.sl !== null) {
      const node = this.sl.byRank(rank0)!;
      return [node.member, node.score];
    }
    const p = this.p;
    readEntry(p, this.offsetOfRank(rank0));
    return [memberAt(p, entry.memberStart, entry.end), entry.score];
  }

  /**
   * Elements with ranks start0..end0 (0-based, clamped: 0 <= start0 <= end0 < size), lowest
   * first; with `rev`, ranks count from the highest element and come highest first.
   */
  rangeByRank(start0: number, end0: number, rev: boolean): ZRange {
    if (!(start0 >= 0 && start0 <= end0 && end0 < this.size)) {
      throw new Error(`zset: rank range ${start0}..${end0} outside 0..${this.size - 1}`);
    }
    const out = emptyRange();
    if (this.sl !== null) {
      this.sl.rangeByRank(start0, end0, rev, out);
      return out;
    }
    const from = rev ? this.n - 1 - end0 : start0;
    const p = this.p;
    let o = this.offsetOfRank(from);
    for (let i = start0; i <= end0; i++) {
      readEntry(p, o);
      out.members.push(memberAt(p, entry.memberStart, entry.end));
      out.scores.push(entry.score);
      o = entry.end;
    }
    if (rev) {
      out.members.reverse();
      out.scores.reverse();
    }
    return out;
  }

  /**
   * Elements with a score in range, lowest first (highest first with `rev`): the first `offset`
   * skipped, then at most `limit` (negative: no limit), as genericZrangebyscoreCommand.
   */
  rangeByScore(r: ScoreRange, offset: number, limit: number, rev: boolean): ZRange {
    const out = emptyRange();
    if (this.sl !== null) {
      this.sl.rangeByScore(r, offset, limit, rev, out);
      return out;
    }
    if (scoreRangeEmpty(r)) return out;
    const p = this.p;
    if (!rev) {
      // zzlFirstInRange, then the walk forward.
      let o = 0;
      while (o < p.length && !scoreGteMin(readScore(p, o), r)) o = this.next(o);
      for (; o < p.length && offset > 0; offset--) o = this.next(o);
      for (; o < p.length && limit !== 0; limit--) {
        readEntry(p, o);
        if (!scoreLteMax(entry.score, r)) break;
        out.members.push(memberAt(p, entry.memberStart, entry.end));
        out.scores.push(entry.score);
        o = entry.end;
      }
      return out;
    }
    // zzlLastInRange: the elements up to the max, then the walk back from there.
    const count = this.indexWhile((s) => scoreLteMax(s, r));
    for (let i = count - 1 - offset; i >= 0 && limit !== 0; i--, limit--) {
      readEntry(p, OFFS[i]);
      if (!scoreGteMin(entry.score, r)) break;
      out.members.push(memberAt(p, entry.memberStart, entry.end));
      out.scores.push(entry.score);
    }
    return out;
  }

  /**
   * As `rangeByScore` for a lex range (genericZrangebylexCommand). Lex ranges are only
   * meaningful when all scores are equal; otherwise the compact form scans linearly as Redis's
   * zzlFirstInLexRange / zzlLastInLexRange do, so the (unspecified) answer is the same as Redis's.
   */
  rangeByLex(r: LexRange, offset: number, limit: number, rev: boolean): ZRange {
    const out = emptyRange();
    if (this.sl !== null) {
      this.sl.rangeByLex(r, offset, limit, rev, out);
      return out;
    }
    const i0 = rev ? this.lastInLex(r) : this.firstInLex(r);
    if (i0 < 0) return out;
    const p = this.p;
    const step = rev ? -1 : 1;
    for (let i = i0 + step * offset; i >= 0 && i < this.n && limit !== 0; i += step, limit--) {
      readHeader(p, OFFS[i]);
      const ms = entry.memberStart, me = entry.end;
      if (rev ? !lexGteMinAt(p, ms, me, r) : !lexLteMaxAt(p, ms, me, r)) break;
      out.members.push(memberAt(p, ms, me));
      out.scores.push(readScore(p, OFFS[i]));
    }
    return out;
  }

  /** How many elements have a score in range. */
  countInScoreRange(r: ScoreRange): number {
    if (this.sl !== null) return this.sl.countInScoreRange(r);
    if (scoreRangeEmpty(r)) return 0;
    const p = this.p;
    let count = 0;
    for (let o = 0; o < p.length; o = this.next(o)) {
      const s = readScore(p, o);
      if (!scoreLteMax(s, r)) break;
      if (scoreGteMin(s, r)) count++;
    }
    return count;
  }

  /** As Redis's ZLEXCOUNT: a linear walk from the first element in range while <= max. */
  countInLexRange(r: LexRange): number {
    if (this.sl !== null) return this.sl.countInLexRange(r);
    const i0 = this.firstInLex(r);
    if (i0 < 0) return 0;
    let i = i0;
    while (i < this.n) {
      readHeader(this.p, OFFS[i]);
      if (!lexLteMaxAt(this.p, entry.memberStart, entry.end, r)) break;
      i++;
    }
    return i - i0;
  }

  /** Delete every element with a score in range; returns how many (zzlDeleteRangeByScore). */
  deleteRangeByScore(r: ScoreRange): number {
    if (this.sl !== null) return this.sl.deleteRangeByScore(r);
    if (scoreRangeEmpty(r)) return 0;
    const p = this.p;
    let o = 0;
    while (o < p.length && !scoreGteMin(readScore(p, o), r)) o = this.next(o);
    let end = o;
    let removed = 0;
    while (end < p.length && scoreLteMax(readScore(p, end), r)) {
      end = this.next(end);
      removed++;
    }
    return this.cut(o, end, removed);
  }

  /** Delete every element with a member in the lex range; returns how many. */
  deleteRangeByLex(r: LexRange): number {
    if (this.sl !== null) return this.sl.deleteRangeByLex(r);
    // zzlDeleteRangeByLex: from the first element in range, while still <= max.
    const i0 = this.firstInLex(r);
    if (i0 < 0) return 0;
    const p = this.p;
    let i = i0;
    while (i < this.n) {
      readHeader(p, OFFS[i]);
      if (!lexLteMaxAt(p, entry.memberStart, entry.end, r)) break;
      i++;
    }
    return this.cut(OFFS[i0], i < this.n ? OFFS[i] : p.length, i - i0);
  }

  /** Delete the elements with 0-based ranks start..end inclusive (already clamped). */
  deleteRangeByRank(start0: number, end0: number): number {
    if (this.sl !== null) return this.sl.deleteRangeByRank(start0, end0);
    const o = this.offsetOfRank(start0);
    let end = o;
    for (let i = start0; i <= end0; i++) end = this.next(end);
    return this.cut(o, end, end0 - start0 + 1);
  }

  /** Elements in ascending order as [member, score]. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    if (this.sl !== null) {
      yield* this.sl;
      return;
    }
    const p = this.p; // a snapshot: changes made while iterating are not seen
    for (let o = 0; o < p.length;) {
      readEntry(p, o);
      const end = entry.end;
      yield [memberAt(p, entry.memberStart, end), entry.score];
      o = end;
    }
  }

  // ------------------------------------------------------------------ compact-form helpers

  /**
   * findMember, remembering the last answer: ZADD and ZINCRBY look a member up and then update
   * it, and the string cannot have changed in between unless `p` is a new string.
   */
  private find(member: string): number {
    const c = lastFind;
    if (c.z === this && c.p === this.p && c.member === member) {
      entry.memberStart = c.memberStart;
      entry.end = c.end;
      entry.rank = c.rank;
      return c.offset;
    }
    const o = findMember(this.p, member);
    c.z = this;
    c.p = this.p;
    c.member = member;
    c.offset = o;
    c.memberStart = entry.memberStart;
    c.end = entry.end;
    c.rank = entry.rank;
    return o;
  }

  /** Offset of the entry after the one at `o`. */
  private next(o: number): number {
    readHeader(this.p, o);
    return entry.end;
  }

  /** Offset of the entry at rank `rank0` (or p.length for rank n). */
  private offsetOfRank(rank0: number): number {
    let o = 0;
    for (let i = 0; i < rank0; i++) o = this.next(o);
    return o;
  }

  /** Fill OFFS with the offsets of the leading entries whose score passes `keep`; how many. */
  private indexWhile(keep: (score: number) => boolean): number {
    const p = this.p;
    if (OFFS.length < this.n) OFFS = new Int32Array(this.n * 2);
    let i = 0;
    for (let o = 0; o < p.length && keep(readScore(p, o)); o = this.next(o)) OFFS[i++] = o;
    return i;
  }

  /** zzlIsInLexRange: the range is not empty and overlaps [first member, last member]. */
  private mayHoldLex(r: LexRange): boolean {
    if (lexRangeEmpty(r) || this.n === 0) return false;
    const p = this.p;
    readHeader(p, OFFS[this.n - 1]);
    if (!lexGteMinAt(p, entry.memberStart, entry.end, r)) return false;
    readHeader(p, 0);
    return lexLteMaxAt(p, entry.memberStart, entry.end, r);
  }

  /** zzlFirstInLexRange: index (OFFS filled) of the first member >= min if <= max, else -1. */
  private firstInLex(r: LexRange): number {
    this.indexWhile(() => true);
    if (!this.mayHoldLex(r)) return -1;
    const p = this.p;
    for (let i = 0; i < this.n; i++) {
      readHeader(p, OFFS[i]);
      if (lexGteMinAt(p, entry.memberStart, entry.end, r)) {
        return lexLteMaxAt(p, entry.memberStart, entry.end, r) ? i : -1;
      }
    }
    return -1;
  }

  /** zzlLastInLexRange: index (OFFS filled) of the last member <= max if >= min, else -1. */
  private lastInLex(r: LexRange): number {
    this.indexWhile(() => true);
    if (!this.mayHoldLex(r)) return -1;
    const p = this.p;
    for (let i = this.n - 1; i >= 0; i--) {
      readHeader(p, OFFS[i]);
      if (lexLteMaxAt(p, entry.memberStart, entry.end, r)) {
        return lexGteMinAt(p, entry.memberStart, entry.end, r) ? i : -1;
      }
    }
    return -1;
  }

  /** Remove the `count` entries in [start, end); returns count. */
  private cut(start: number, end: number, count: number): number {
    if (count > 0) {
      this.p = splice(this.p, start, end, "");
      this.n -= count;
    }
    return count;
  }

  /** Remove the entry at offset `o` and return it. */
  private takeAt(o: number): [string, number] {
    const p = this.p;
    readEntry(p, o);
    const got: [string, number] = [memberAt(p, entry.memberStart, entry.end), entry.score];
    this.p = splice(p, o, entry.end, "");
    this.n--;
    return got;
  }

  /**
   * Check every structural invariant; throws with a description on the first violation. Compact
   * form: entries decode to exactly the string, canonically encoded, strictly ordered, no NaN,
   * members distinct, count right. Skip-list form: see ScoreTree.checkInvariants. For tests.
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error(`zset invariant: ${msg}`);
    };
    if (this.sl !== null) {
      if (this.p !== "" || this.n !== 0) fail("skip list with compact data");
      this.sl.checkInvariants();
      return;
    }
    const p = this.p;
    if (p.length > PACKED_MAX_BYTES) fail("compact string too long");
    const seen = new Set<string>();
    let count = 0;
    let prevScore = 0, prevMember = "";
    for (let o = 0; o < p.length; o = entry.end) {
      if (!canonicalEntry(p, o)) fail(`entry at ${o} not canonical`);
      readEntry(p, o);
      if (entry.end > p.length) fail(`entry at ${o} runs past the end`);
      const m = p.slice(entry.memberStart, entry.end);
      const s = entry.score;
      if (Number.isNaN(s)) fail("NaN score");
      if (seen.has(m)) fail(`duplicate member ${m}`);
      seen.add(m);
      if (count > 0 && !sortsBefore(prevScore, prevMember, s, m)) fail(`order at ${m}`);
      prevScore = s;
      prevMember = m;
      count++;
    }
    if (count !== this.n) fail(`count ${this.n} != ${count} entries`);
  }
}
