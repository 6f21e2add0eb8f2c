/**
 * The large form of a sorted set (what Redis keeps as OBJ_ENCODING_SKIPLIST, t_zset.c zskiplist +
 * dict): a member -> score map plus an order-statistic B+tree ordered by (score, member bytes
 * memcmp), with the operations of Redis's zsl* functions: insert, delete, rank, element by rank,
 * ranges by score / lex / rank and their deletions, all O(log n) (plus the elements handed out).
 *
 * Why not a skip list: a search of a 100,000-element skip list visits ~30 nodes scattered over
 * memory, nearly each a cache miss; here a search reads one node per level (100,000 elements
 * make three levels: the root, ~50 inner nodes that stay in cache, ~2,000 leaves) and scans
 * inside it. Measured in the server (`redis-benchmark -P 16 -t zadd -r 100000`, 100,000 members,
 * alternated with the skip list, medians of 5): 3.9 us of CPU a ZADD against 6.8 (on a busier
 * machine, 4.5 against 6.3).
 *
 * Layout, all in typed arrays indexed by node id:
 * - a leaf holds up to LEAF_CAP elements in order: scores in `lScore`, member slots (indexes into
 *   `members`) in `lSlot`, LEAF_STRIDE entries per leaf; `lN` counts them; `lNext`/`lPrev` chain
 *   the leaves in order (NONE at the ends), for range walks in both directions;
 * - an inner node holds up to INNER_CAP children: `iChild` (leaf ids on the level above the
 *   leaves, else inner ids), `iCount` the number of elements under each child (for ranks), and
 *   separators `iScore`/`iMember`: for j >= 1, every element under child j-1 sorts before
 *   (iScore[j], iMember[j]) and every element under child j does not. Entry 0 holds the node's
 *   own separator in its parent (meaningless for the leftmost nodes), so that entries keep their
 *   separators when moved to a sibling: a split, merge or refill of inner nodes just copies
 *   entries, and the parent's separator for the right node is then that node's entry 0.
 *   Separators may be keys of elements since deleted: they are bounds only, so they hold the
 *   member string itself.
 * Each array has one spare entry per node: an insertion may overflow a node by one, then it is
 * split in two. A node (other than the root) that falls under a quarter full is merged with a
 * sibling, or takes entries from it. Mutations find their way down first and record the path
 * (PATH_NODE / PATH_IDX per inner level, the root's first), then fix counts and shapes on it.
 *
 * Scores are never NaN (callers reject NaN before inserting).
 */

import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  lexRangeEmpty,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
  scoreRangeEmpty,
  sortsBefore,
  type ZRange,
} from "./zset_range.ts";
import { KeyTable } from "./key_table.ts";

/**
 * Most elements in a leaf, most children of an inner node (`setTreeShape`). With the spare entry
 * a leaf's scores take 512 bytes, eight cache lines.
 */
export const DEFAULT_LEAF_CAP = 63;
export const DEFAULT_INNER_CAP = 63;
let LEAF_CAP = 0;
let INNER_CAP = 0;
/** Under these a node (not the root) is merged with or refilled from a sibling. */
let LEAF_MIN = 0;
let INNER_MIN = 0;
/** Two siblings together up to these are merged into one (else they share evenly). */
let LEAF_MERGE = 0;
let INNER_MERGE = 0;
let LEAF_STRIDE = 0;
let INNER_STRIDE = 0;

/**
 * Node capacities for trees created from now on (tests use small ones to grow deep trees from
 * few elements). Both at least 4.
 */
export function setTreeShape(leafCap: number, innerCap: number): void {
  if (leafCap < 4 || innerCap < 4) throw new Error("zset tree: capacities below 4");
  LEAF_CAP = leafCap;
  INNER_CAP = innerCap;
  LEAF_MIN = leafCap >> 2;
  INNER_MIN = Math.max(2, innerCap >> 2);
  LEAF_MERGE = (leafCap * 3) >> 2;
  INNER_MERGE = (innerCap * 3) >> 2;
  LEAF_STRIDE = leafCap + 1;
  INNER_STRIDE = innerCap + 1;
}

setTreeShape(DEFAULT_LEAF_CAP, DEFAULT_INNER_CAP);
/** "No leaf" in the leaf chain. */
const NONE = -1;
/** Deeper than any tree can grow (INNER_MIN >= 2: each level below the root at least doubles). */
const MAX_HEIGHT = 32;
/** Rebuild when more than this many leaves are free and they outnumber the live ones 3:1. */
const COMPACT_MIN_FREE = 64;

/** An element handed out (pops, by-rank lookups). */
export interface ZElement {
  member: string;
  score: number;
}

// The path of the last descent (single-threaded scratch, never re-entered): inner node and the
// child taken, per level from the root down.
const PATH_NODE = new Int32Array(MAX_HEIGHT);
const PATH_IDX = new Int32Array(MAX_HEIGHT);
/** `update`'s second path: where the member's new key goes. */
const PATH_NEW_NODE = new Int32Array(MAX_HEIGHT);
const PATH_NEW_IDX = new Int32Array(MAX_HEIGHT);
/** The leaf and position a descent ended at (`pos` may be the leaf's length: past its end). */
let atLeaf = 0;
let atPos = 0;

/**
 * The child of an inner node (entries at b, n of them) whose subtree holds the key: the number
 * of separators (entries 1..n-1) at or below it. A scan, in address order, where a binary search
 * makes each read wait for the last comparison; on this 2-core machine the two measured the same
 * within the noise (in-process and in the server), and the scan is the simpler.
 */
function childFor(
  iScore: Float64Array,
  iMember: string[],
  b: number,
  n: number,
  score: number,
  member: string,
): number {
  let j = 1;
  while (j < n && iScore[b + j] < score) j++;
  while (j < n && iScore[b + j] === score && iMember[b + j] <= member) j++;
  return j - 1;
}

/** The position in a leaf (elements at b, n of them) of the first element not below the key. */
function positionFor(
  lScore: Float64Array,
  lSlot: Int32Array,
  members: string[],
  b: number,
  n: number,
  score: number,
  member: string,
): number {
  let i = 0;
  while (i < n && lScore[b + i] < score) i++;
  while (i < n && lScore[b + i] === score && members[lSlot[b + i]] < member) i++;
  return i;
}

export class ScoreTree {
  /**
   * member -> score (the dict of Redis's zset), in an open-addressing table
   * (keyspace/key_table.ts).
   */
  readonly dict = KeyTable.map<number>();
  /**
   * The dict slot where `storedMember` last found a member: ZADD looks its member up three times
   * (its bytes, its score, the update), and the last two take this slot, checked to still hold
   * that very string, instead of hashing the member again.
   */
  private memoSlot = -1;
  /** Members by slot (lSlot's values); freed slots are reused. */
  private members: string[] = [];
  private freeMembers: number[] = [];

  private lScore = new Float64Array(4 * LEAF_STRIDE);
  private lSlot = new Int32Array(4 * LEAF_STRIDE);
  private lN = new Int32Array(4);
  private lNext = new Int32Array(4);
  private lPrev = new Int32Array(4);
  private leaves = 0;
  private freeLeaves: number[] = [];

  private iScore = new Float64Array(0);
  private iMember: string[] = [];
  private iChild = new Int32Array(0);
  private iCount = new Int32Array(0);
  private iN = new Int32Array(0);
  private inners = 0;
  private freeInners: number[] = [];

  /** The root: a leaf while `height` is 0, else an inner node with `height` inner levels. */
  private root: number;
  private height = 0;
  private head: number;
  private tail: number;

  constructor() {
    this.root = this.head = this.tail = this.allocLeaf();
    this.lNext[this.root] = NONE;
    this.lPrev[this.root] = NONE;
  }

  get size(): number {
    return this.dict.size;
  }

  // ------------------------------------------------------------------ public operations

  /** The member whose chars are `arg`'s bytes as the dict holds it, or null. */
  storedMember(arg: Uint8Array): string | null {
    const i = this.dict.findBytes(arg, 0, arg.length);
    if (i < 0) return null;
    this.memoSlot = i;
    return this.dict.keyAt(i);
  }

  /** The dict slot of `member`, or -1. */
  private slotOf(member: string): number {
    const i = this.memoSlot;
    const dict = this.dict;
    // A slot holds a given key only once, so this check is enough after any change (a deletion
    // emptied the slot, an insertion reused it, a rehash moved everything).
    return i >= 0 && i < dict.capacity && dict.keyAt(i) === member ? i : dict.find(member);
  }

  /** The score of a member, or undefined. */
  score(member: string): number | undefined {
    const i = this.slotOf(member);
    return i < 0 ? undefined : this.dict.valueAt(i);
  }

  /** Add a member that is not present. */
  add(member: string, score: number): void {
    this.dict.insert(member, score, 0);
    this.insertKey(score, member, this.newSlot(member));
  }

  /** Set an existing member's score (moves it only when its position changes). */
  update(member: string, newScore: number): void {
    const dict = this.dict;
    const i = this.slotOf(member);
    const cur = dict.valueAt(i);
    dict.setValueAt(i, newScore);
    // Both descents at once, a level each in turn: where (cur, member) is and where
    // (newScore, member) goes (as the skip list's findOldAndNew did). Their reads are
    // independent, so the CPU may overlap their cache misses; the new path stays valid when the
    // removal does not reshape the tree, the common case.
    const members = this.members;
    const iScore = this.iScore;
    const iMember = this.iMember;
    const iChild = this.iChild;
    let x = this.root;
    let y = x;
    for (let d = 0; d < this.height; d++) {
      const bx = x * INNER_STRIDE;
      const by = y * INNER_STRIDE;
      const jx = childFor(iScore, iMember, bx, this.iN[x], cur, member);
      const jy = childFor(iScore, iMember, by, this.iN[y], newScore, member);
      PATH_NODE[d] = x;
      PATH_IDX[d] = jx;
      PATH_NEW_NODE[d] = y;
      PATH_NEW_IDX[d] = jy;
      x = iChild[bx + jx];
      y = iChild[by + jy];
    }
    const lScore = this.lScore;
    const lSlot = this.lSlot;
    const bx = x * LEAF_STRIDE;
    const by = y * LEAF_STRIDE;
    const nx = this.lN[x];
    const ny = this.lN[y];
    const from = positionFor(lScore, lSlot, members, bx, nx, cur, member);
    // In y, the old element (if there) counts as below the new key when cur < newScore.
    let to = positionFor(lScore, lSlot, members, by, ny, newScore, member);
    if (from >= nx || lScore[bx + from] !== cur || members[lSlot[bx + from]] !== member) {
      throw new Error("zset: member missing from index");
    }
    const slot = lSlot[bx + from];
    if (x === y) {
      // A move inside the leaf: no count or separator changes (the descent put the new key
      // within this leaf's bounds).
      if (to > from) {
        to--;
        for (let k = bx + from; k < bx + to; k++) {
          lScore[k] = lScore[k + 1];
          lSlot[k] = lSlot[k + 1];
        }
      } else {
        for (let k = bx + from; k > bx + to; k--) {
          lScore[k] = lScore[k - 1];
          lSlot[k] = lSlot[k - 1];
        }
      }
      lScore[bx + to] = newScore;
      lSlot[bx + to] = slot;
      return;
    }
    if (this.height > 0 && nx - 1 < LEAF_MIN) {
      // The removal reshapes the tree, so the new path may be stale: remove, then insert anew.
      this.removeRun(x, from, 1);
      this.insertKey(newScore, member, slot);
      return;
    }
    for (let k = bx + from; k < bx + nx - 1; k++) {
      lScore[k] = lScore[k + 1];
      lSlot[k] = lSlot[k + 1];
    }
    this.lN[x] = nx - 1;
    const iCount = this.iCount;
    for (let d = 0; d < this.height; d++) {
      iCount[PATH_NODE[d] * INNER_STRIDE + PATH_IDX[d]]--;
      PATH_NODE[d] = PATH_NEW_NODE[d];
      PATH_IDX[d] = PATH_NEW_IDX[d];
    }
    this.insertAt(y, to, newScore, slot);
  }

  /** Remove a member; true if it was present. */
  remove(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.seek(score, member, false);
    const slot = this.lSlot[atLeaf * LEAF_STRIDE + atPos];
    this.removeRun(atLeaf, atPos, 1);
    this.releaseSlot(slot);
    this.compactIfSparse();
    return true;
  }

  /** Remove and return the lowest element. */
  popFirst(): ZElement | null {
    if (this.dict.size === 0) return null;
    const out = this.elementAt(this.head, 0);
    this.deleteByRank(0, 1);
    return out;
  }

  /** Remove and return the highest element. */
  popLast(): ZElement | null {
    const size = this.dict.size;
    if (size === 0) return null;
    const out = this.elementAt(this.tail, this.lN[this.tail] - 1);
    this.deleteByRank(size - 1, 1);
    return out;
  }

  first(): ZElement | null {
    return this.dict.size === 0 ? null : this.elementAt(this.head, 0);
  }

  last(): ZElement | null {
    return this.dict.size === 0 ? null : this.elementAt(this.tail, this.lN[this.tail] - 1);
  }

  /** 0-based rank of a member (ascending), or -1 when absent. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    return this.seek(score, member);
  }

  /** The element at 0-based rank, or null when out of range. */
  byRank(rank0: number): ZElement | null {
    if (rank0 < 0 || rank0 >= this.dict.size) return null;
    this.seekRank(rank0);
    return this.elementAt(atLeaf, atPos);
  }

  /** Elements with 0-based ranks start..end (clamped, start <= end), or counted from the top. */
  rangeByRank(start0: number, end0: number, rev: boolean, out: ZRange): void {
    const size = this.dict.size;
    const from = rev ? size - 1 - start0 : start0;
    if (from < 0 || from >= size) return;
    this.seekRank(from);
    this.walk(atLeaf, atPos, rev, end0 - start0 + 1, out, null);
  }

  /**
   * Elements with a score in range, lowest first (highest first with `rev`): `offset` skipped,
   * then at most `limit` (negative: no limit), as genericZrangebyscoreCommand walks.
   */
  rangeByScore(r: ScoreRange, offset: number, limit: number, rev: boolean, out: ZRange): void {
    if (!this.mayHoldScores(r)) return;
    let from: number;
    if (rev) {
      from = this.lowerBound((s) => scoreLteMax(s, r)) - 1 - offset;
    } else {
      from = this.lowerBound((s) => !scoreGteMin(s, r)) + offset;
    }
    if (from < 0 || from >= this.dict.size) return;
    this.seekRank(from);
    this.walk(atLeaf, atPos, rev, limit, out, (s) => rev ? scoreGteMin(s, r) : scoreLteMax(s, r));
  }

  /** As `rangeByScore` for a lex range (genericZrangebylexCommand). */
  rangeByLex(r: LexRange, offset: number, limit: number, rev: boolean, out: ZRange): void {
    if (!this.mayHoldLex(r)) return;
    // zslFirstInLexRange / zslLastInLexRange: the element the descent finds must itself be in
    // range (it may not be when the scores differ), else nothing; the offset is skipped after.
    const first = rev
      ? this.lowerBound((_, m) => lexLteMax(m, r)) - 1
      : this.lowerBound((_, m) => !lexGteMin(m, r));
    if (first < 0 || first >= this.dict.size) return;
    this.seekRank(first);
    const m0 = this.members[this.lSlot[atLeaf * LEAF_STRIDE + atPos]];
    if (rev ? !lexGteMin(m0, r) : !lexLteMax(m0, r)) return;
    const from = rev ? first - offset : first + offset;
    if (from < 0 || from >= this.dict.size) return;
    if (from !== first) this.seekRank(from);
    this.walk(
      atLeaf,
      atPos,
      rev,
      limit,
      out,
      (_, m) => rev ? lexGteMin(m, r) : lexLteMax(m, r),
    );
  }

  /** How many elements have a score in range (two O(log n) descents). */
  countInScoreRange(r: ScoreRange): number {
    if (!this.mayHoldScores(r)) return 0;
    const below = this.lowerBound((s) => !scoreGteMin(s, r));
    const upTo = this.lowerBound((s) => scoreLteMax(s, r));
    return upTo > below ? upTo - below : 0;
  }

  /** As Redis's ZLEXCOUNT on a skip list: rank arithmetic. */
  countInLexRange(r: LexRange): number {
    if (!this.mayHoldLex(r)) return 0;
    const below = this.lowerBound((_, m) => !lexGteMin(m, r));
    const upTo = this.lowerBound((_, m) => lexLteMax(m, r));
    return upTo > below ? upTo - below : 0;
  }

  /** Delete every element with a score in range; returns how many (zslDeleteRangeByScore). */
  deleteRangeByScore(r: ScoreRange): number {
    if (scoreRangeEmpty(r) || this.dict.size === 0) return 0;
    const below = this.lowerBound((s) => !scoreGteMin(s, r));
    const upTo = this.lowerBound((s) => scoreLteMax(s, r));
    return upTo > below ? this.deleteByRank(below, upTo - below) : 0;
  }

  /**
   * Delete every element with a member in the lex range; returns how many. As
   * zslDeleteRangeByLex: from the first element not below min, the elements while they are not
   * above max. Not by rank arithmetic: members are in lex order only when the scores are equal,
   * and with unequal ones a second descent for max could count elements the walk stops before
   * (c:1 b:3 with [b [b: Redis deletes none, the arithmetic both).
   */
  deleteRangeByLex(r: LexRange): number {
    if (lexRangeEmpty(r) || this.dict.size === 0) return 0;
    const below = this.lowerBound((_, m) => !lexGteMin(m, r));
    if (below >= this.dict.size) return 0;
    this.seekRank(below);
    let n = 0;
    scan: for (let leaf = atLeaf, pos = atPos; leaf !== NONE; leaf = this.lNext[leaf], pos = 0) {
      const b = leaf * LEAF_STRIDE;
      for (; pos < this.lN[leaf]; pos++, n++) {
        if (!lexLteMax(this.members[this.lSlot[b + pos]], r)) break scan;
      }
    }
    return n > 0 ? this.deleteByRank(below, n) : 0;
  }

  /** Delete the elements with 0-based ranks start..end inclusive (already clamped). */
  deleteRangeByRank(start0: number, end0: number): number {
    return this.deleteByRank(start0, end0 - start0 + 1);
  }

  /** Elements in ascending order as [member, score]. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let leaf = this.head; leaf !== NONE; leaf = this.lNext[leaf]) {
      const b = leaf * LEAF_STRIDE;
      for (let i = 0; i < this.lN[leaf]; i++) {
        yield [this.members[this.lSlot[b + i]], this.lScore[b + i]];
      }
    }
  }

  // ------------------------------------------------------------------ descents

  /**
   * Descend to where (score, member) is or would go: the path into PATH_*, the leaf and the
   * position of the first element not below it into atLeaf/atPos; returns that position's
   * 0-based rank (0 unless `wantRank`).
   */
  private descend(score: number, member: string, wantRank: boolean): number {
    const iScore = this.iScore;
    const iMember = this.iMember;
    const iCount = this.iCount;
    let x = this.root;
    let rank = 0;
    for (let d = 0; d < this.height; d++) {
      const b = x * INNER_STRIDE;
      const j = childFor(iScore, iMember, b, this.iN[x], score, member);
      if (wantRank) { for (let k = 0; k < j; k++) rank += iCount[b + k]; }
      PATH_NODE[d] = x;
      PATH_IDX[d] = j;
      x = this.iChild[b + j];
    }
    const lo = positionFor(
      this.lScore,
      this.lSlot,
      this.members,
      x * LEAF_STRIDE,
      this.lN[x],
      score,
      member,
    );
    atLeaf = x;
    atPos = lo;
    return rank + lo;
  }

  /**
   * Find the element (score, member), which must be present: leaves it at atLeaf/atPos and the
   * path in PATH_*, and returns its 0-based rank.
   */
  private seek(score: number, member: string, wantRank = true): number {
    const rank = this.descend(score, member, wantRank);
    const x = atLeaf;
    const i = x * LEAF_STRIDE + atPos;
    if (
      atPos >= this.lN[x] || this.lScore[i] !== score || this.members[this.lSlot[i]] !== member
    ) {
      throw new Error("zset: member missing from index");
    }
    return rank;
  }

  /** Insert (score, member) (not present) with its member slot. */
  private insertKey(score: number, member: string, slot: number): void {
    this.descend(score, member, false);
    this.insertAt(atLeaf, atPos, score, slot);
  }

  /** Put (score, slot) at `pos` of `leaf`, which the path in PATH_* leads to. */
  private insertAt(leaf: number, pos: number, score: number, slot: number): void {
    const lScore = this.lScore;
    const lSlot = this.lSlot;
    const b = leaf * LEAF_STRIDE;
    const n = this.lN[leaf];
    for (let k = b + n; k > b + pos; k--) {
      lScore[k] = lScore[k - 1];
      lSlot[k] = lSlot[k - 1];
    }
    lScore[b + pos] = score;
    lSlot[b + pos] = slot;
    this.lN[leaf] = n + 1;
    const iCount = this.iCount;
    for (let d = 0; d < this.height; d++) iCount[PATH_NODE[d] * INNER_STRIDE + PATH_IDX[d]]++;
    if (n + 1 > LEAF_CAP) this.splitLeaf(leaf);
  }

  /** Find the element at 0-based rank (< size): atLeaf/atPos and the path. */
  private seekRank(rank0: number): void {
    const iCount = this.iCount;
    let r = rank0;
    let x = this.root;
    for (let d = 0; d < this.height; d++) {
      const b = x * INNER_STRIDE;
      let j = 0;
      while (r >= iCount[b + j]) r -= iCount[b + j++];
      PATH_NODE[d] = x;
      PATH_IDX[d] = j;
      x = this.iChild[b + j];
    }
    atLeaf = x;
    atPos = r;
  }

  /**
   * How many elements satisfy `ahead` (which holds for a leading run of the order, as the
   * predicates of zslFirstInRange and friends do): the rank of the first element that does not.
   */
  private lowerBound(ahead: (score: number, member: string) => boolean): number {
    let x = this.root;
    let rank = 0;
    for (let d = 0; d < this.height; d++) {
      const b = x * INNER_STRIDE;
      let lo = 1;
      let hi = this.iN[x];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ahead(this.iScore[b + mid], this.iMember[b + mid])) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      for (let k = 0; k < j; k++) rank += this.iCount[b + k];
      x = this.iChild[b + j];
    }
    const b = x * LEAF_STRIDE;
    let lo = 0;
    let hi = this.lN[x];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ahead(this.lScore[b + mid], this.members[this.lSlot[b + mid]])) lo = mid + 1;
      else hi = mid;
    }
    return rank + lo;
  }

  /**
   * From (leaf, pos), hand out elements forward (back with `rev`) while `keep` holds (null:
   * always), at most `limit` (negative: no limit).
   */
  private walk(
    leaf: number,
    pos: number,
    rev: boolean,
    limit: number,
    out: ZRange,
    keep: ((score: number, member: string) => boolean) | null,
  ): void {
    while (limit !== 0 && leaf !== NONE) {
      const b = leaf * LEAF_STRIDE;
      const s = this.lScore[b + pos];
      const m = this.members[this.lSlot[b + pos]];
      if (keep !== null && !keep(s, m)) return;
      out.members.push(m);
      out.scores.push(s);
      limit--;
      if (rev) {
        if (--pos < 0) {
          leaf = this.lPrev[leaf];
          if (leaf !== NONE) pos = this.lN[leaf] - 1;
        }
      } else if (++pos >= this.lN[leaf]) {
        leaf = this.lNext[leaf];
        pos = 0;
      }
    }
  }

  /** zslIsInRange: the range is not empty and overlaps [first score, last score]. */
  private mayHoldScores(r: ScoreRange): boolean {
    if (scoreRangeEmpty(r) || this.dict.size === 0) return false;
    const tail = this.tail;
    return scoreGteMin(this.lScore[tail * LEAF_STRIDE + this.lN[tail] - 1], r) &&
      scoreLteMax(this.lScore[this.head * LEAF_STRIDE], r);
  }

  /** zslIsInLexRange. */
  private mayHoldLex(r: LexRange): boolean {
    if (lexRangeEmpty(r) || this.dict.size === 0) return false;
    const tail = this.tail;
    return lexGteMin(this.members[this.lSlot[tail * LEAF_STRIDE + this.lN[tail] - 1]], r) &&
      lexLteMax(this.members[this.lSlot[this.head * LEAF_STRIDE]], r);
  }

  private elementAt(leaf: number, pos: number): ZElement {
    const b = leaf * LEAF_STRIDE;
    return { member: this.members[this.lSlot[b + pos]], score: this.lScore[b + pos] };
  }

  // ------------------------------------------------------------------ deletions

  /** Delete `count` elements from 0-based rank `from` on (in range); returns count. */
  private deleteByRank(from: number, count: number): number {
    let left = count;
    while (left > 0) {
      this.seekRank(from);
      const leaf = atLeaf;
      const pos = atPos;
      const k = Math.min(left, this.lN[leaf] - pos);
      const b = leaf * LEAF_STRIDE;
      for (let i = pos; i < pos + k; i++) {
        const slot = this.lSlot[b + i];
        this.dict.delete(this.members[slot]);
        this.releaseSlot(slot);
      }
      this.removeRun(leaf, pos, k);
      left -= k;
    }
    this.compactIfSparse();
    return count;
  }

  /**
   * Remove `k` elements at `pos` on from `leaf`, which the last descent reached (PATH_* is its
   * path); counts and shapes are fixed. The slots stay allocated (the caller frees or reuses).
   */
  private removeRun(leaf: number, pos: number, k: number): void {
    const b = leaf * LEAF_STRIDE;
    const n = this.lN[leaf];
    const lScore = this.lScore;
    const lSlot = this.lSlot;
    for (let t = b + pos; t < b + n - k; t++) {
      lScore[t] = lScore[t + k];
      lSlot[t] = lSlot[t + k];
    }
    this.lN[leaf] = n - k;
    const iCount = this.iCount;
    for (let d = 0; d < this.height; d++) iCount[PATH_NODE[d] * INNER_STRIDE + PATH_IDX[d]] -= k;
    if (this.height > 0 && n - k < LEAF_MIN) this.fixLeaf();
  }

  // ------------------------------------------------------------------ shapes

  /** Split an overflowing leaf (the last descent's) in two halves. */
  private splitLeaf(leaf: number): void {
    const right = this.allocLeaf();
    const n = this.lN[leaf];
    const half = n >> 1;
    const b = leaf * LEAF_STRIDE;
    const rb = right * LEAF_STRIDE;
    this.lScore.copyWithin(rb, b + half, b + n);
    this.lSlot.copyWithin(rb, b + half, b + n);
    this.lN[leaf] = half;
    this.lN[right] = n - half;
    const next = this.lNext[leaf];
    this.lNext[right] = next;
    this.lPrev[right] = leaf;
    this.lNext[leaf] = right;
    if (next === NONE) this.tail = right;
    else this.lPrev[next] = right;
    this.addChild(
      this.height - 1,
      half,
      right,
      n - half,
      this.lScore[rb],
      this.members[this.lSlot[rb]],
    );
  }

  /**
   * After the child at PATH_IDX[d] of PATH_NODE[d] (the root when d is -1) was split: it keeps
   * `leftCount` elements, and `child` with `count` elements and separator (score, member) goes
   * right after it.
   */
  private addChild(
    d: number,
    leftCount: number,
    child: number,
    count: number,
    score: number,
    member: string,
  ): void {
    if (d < 0) {
      const root = this.allocInner();
      const b = root * INNER_STRIDE;
      this.iChild[b] = this.root;
      this.iCount[b] = leftCount;
      this.iScore[b] = -Infinity;
      this.iMember[b] = "";
      this.iChild[b + 1] = child;
      this.iCount[b + 1] = count;
      this.iScore[b + 1] = score;
      this.iMember[b + 1] = member;
      this.iN[root] = 2;
      this.root = root;
      this.height++;
      return;
    }
    const x = PATH_NODE[d];
    const j = PATH_IDX[d];
    const b = x * INNER_STRIDE;
    const n = this.iN[x];
    this.shiftInner(b + j + 1, b + n, 1);
    this.iCount[b + j] = leftCount;
    this.iChild[b + j + 1] = child;
    this.iCount[b + j + 1] = count;
    this.iScore[b + j + 1] = score;
    this.iMember[b + j + 1] = member;
    this.iN[x] = n + 1;
    if (n + 1 > INNER_CAP) this.splitInner(d);
  }

  /** Split the overflowing inner node PATH_NODE[d] in two halves. */
  private splitInner(d: number): void {
    const x = PATH_NODE[d];
    const right = this.allocInner();
    const n = this.iN[x];
    const half = n >> 1;
    const b = x * INNER_STRIDE;
    const rb = right * INNER_STRIDE;
    this.copyInner(b + half, rb, n - half);
    this.iN[x] = half;
    this.iN[right] = n - half;
    let leftCount = 0;
    for (let k = 0; k < half; k++) leftCount += this.iCount[b + k];
    let rightCount = 0;
    for (let k = 0; k < n - half; k++) rightCount += this.iCount[rb + k];
    this.addChild(d - 1, leftCount, right, rightCount, this.iScore[rb], this.iMember[rb]);
  }

  /** The leaf at the end of the path fell under LEAF_MIN: merge it or refill it. */
  private fixLeaf(): void {
    const d = this.height - 1;
    const p = PATH_NODE[d];
    const pb = p * INNER_STRIDE;
    const j = PATH_IDX[d];
    // The pair (left, right) at children (i, i + 1) of p.
    const i = j > 0 ? j - 1 : 0;
    const left = this.iChild[pb + i];
    const right = this.iChild[pb + i + 1];
    const ln = this.lN[left];
    const rn = this.lN[right];
    const lb = left * LEAF_STRIDE;
    const rb = right * LEAF_STRIDE;
    const lScore = this.lScore;
    const lSlot = this.lSlot;
    if (ln + rn <= LEAF_MERGE) {
      lScore.copyWithin(lb + ln, rb, rb + rn);
      lSlot.copyWithin(lb + ln, rb, rb + rn);
      this.lN[left] = ln + rn;
      const next = this.lNext[right];
      this.lNext[left] = next;
      if (next === NONE) this.tail = left;
      else this.lPrev[next] = left;
      this.freeLeaves.push(right);
      this.iCount[pb + i] += this.iCount[pb + i + 1];
      this.removeChild(d, i + 1);
      return;
    }
    const want = (ln + rn) >> 1;
    if (ln < want) {
      // Move the first (want - ln) of right to the end of left.
      const k = want - ln;
      lScore.copyWithin(lb + ln, rb, rb + k);
      lSlot.copyWithin(lb + ln, rb, rb + k);
      lScore.copyWithin(rb, rb + k, rb + rn);
      lSlot.copyWithin(rb, rb + k, rb + rn);
      this.lN[left] = ln + k;
      this.lN[right] = rn - k;
      this.iCount[pb + i] += k;
      this.iCount[pb + i + 1] -= k;
    } else {
      // Move the last (ln - want) of left to the front of right.
      const k = ln - want;
      lScore.copyWithin(rb + k, rb, rb + rn);
      lSlot.copyWithin(rb + k, rb, rb + rn);
      lScore.copyWithin(rb, lb + want, lb + ln);
      lSlot.copyWithin(rb, lb + want, lb + ln);
      this.lN[left] = want;
      this.lN[right] = rn + k;
      this.iCount[pb + i] -= k;
      this.iCount[pb + i + 1] += k;
    }
    this.iScore[pb + i + 1] = lScore[rb];
    this.iMember[pb + i + 1] = this.members[lSlot[rb]];
  }

  /** Remove child `j` (its elements already moved) of PATH_NODE[d]; fix the node's shape. */
  private removeChild(d: number, j: number): void {
    const x = PATH_NODE[d];
    const b = x * INNER_STRIDE;
    const n = this.iN[x];
    this.copyInner(b + j + 1, b + j, n - j - 1);
    this.iMember[b + n - 1] = "";
    this.iN[x] = n - 1;
    if (d === 0) {
      if (n - 1 === 1) {
        // A root with one child: the child becomes the root.
        this.root = this.iChild[b];
        this.height--;
        this.releaseInner(x);
      }
    } else if (n - 1 < INNER_MIN) this.fixInner(d);
  }

  /** Inner node PATH_NODE[d] (not the root) fell under INNER_MIN: merge it or refill it. */
  private fixInner(d: number): void {
    const p = PATH_NODE[d - 1];
    const pb = p * INNER_STRIDE;
    const j = PATH_IDX[d - 1];
    const i = j > 0 ? j - 1 : 0;
    const left = this.iChild[pb + i];
    const right = this.iChild[pb + i + 1];
    const ln = this.iN[left];
    const rn = this.iN[right];
    const lb = left * INNER_STRIDE;
    const rb = right * INNER_STRIDE;
    if (ln + rn <= INNER_MERGE) {
      this.copyInner(rb, lb + ln, rn);
      this.iN[left] = ln + rn;
      this.iCount[pb + i] += this.iCount[pb + i + 1];
      this.releaseInner(right);
      this.removeChild(d - 1, i + 1);
      return;
    }
    const want = (ln + rn) >> 1;
    let moved = 0;
    if (ln < want) {
      const k = want - ln;
      this.copyInner(rb, lb + ln, k);
      this.copyInner(rb + k, rb, rn - k);
      for (let t = rn - k; t < rn; t++) this.iMember[rb + t] = "";
      for (let t = 0; t < k; t++) moved += this.iCount[lb + ln + t];
      this.iN[left] = want;
      this.iN[right] = rn - k;
    } else {
      const k = ln - want;
      this.shiftInner(rb, rb + rn, k);
      this.copyInner(lb + want, rb, k);
      for (let t = want; t < ln; t++) this.iMember[lb + t] = "";
      for (let t = 0; t < k; t++) moved -= this.iCount[rb + t];
      this.iN[left] = want;
      this.iN[right] = rn + k;
    }
    this.iCount[pb + i] += moved;
    this.iCount[pb + i + 1] -= moved;
    this.iScore[pb + i + 1] = this.iScore[rb];
    this.iMember[pb + i + 1] = this.iMember[rb];
  }

  /** Move inner entries [from, end) up by k (within one node's stride). */
  private shiftInner(from: number, end: number, k: number): void {
    for (let t = end - 1; t >= from; t--) {
      this.iScore[t + k] = this.iScore[t];
      this.iMember[t + k] = this.iMember[t];
      this.iChild[t + k] = this.iChild[t];
      this.iCount[t + k] = this.iCount[t];
    }
  }

  /** Copy `n` inner entries from `src` to `dst` (ascending: safe for dst < src overlaps). */
  private copyInner(src: number, dst: number, n: number): void {
    for (let t = 0; t < n; t++) {
      this.iScore[dst + t] = this.iScore[src + t];
      this.iMember[dst + t] = this.iMember[src + t];
      this.iChild[dst + t] = this.iChild[src + t];
      this.iCount[dst + t] = this.iCount[src + t];
    }
  }

  // ------------------------------------------------------------------ storage

  private newSlot(member: string): number {
    if (this.freeMembers.length > 0) {
      const slot = this.freeMembers.pop()!;
      this.members[slot] = member;
      return slot;
    }
    this.members.push(member);
    return this.members.length - 1;
  }

  private releaseSlot(slot: number): void {
    this.members[slot] = "";
    this.freeMembers.push(slot);
  }

  private allocLeaf(): number {
    if (this.freeLeaves.length > 0) return this.freeLeaves.pop()!;
    if (this.leaves === this.lN.length) {
      const cap = this.lN.length * 2;
      const grow = <T extends Float64Array | Int32Array>(a: T, n: number): T => {
        const g = new (a.constructor as { new (n: number): T })(n);
        g.set(a);
        return g;
      };
      this.lScore = grow(this.lScore, cap * LEAF_STRIDE);
      this.lSlot = grow(this.lSlot, cap * LEAF_STRIDE);
      this.lN = grow(this.lN, cap);
      this.lNext = grow(this.lNext, cap);
      this.lPrev = grow(this.lPrev, cap);
    }
    return this.leaves++;
  }

  private allocInner(): number {
    if (this.freeInners.length > 0) return this.freeInners.pop()!;
    if (this.inners === this.iN.length) {
      const cap = Math.max(4, this.iN.length * 2);
      const grow = <T extends Float64Array | Int32Array>(a: T, n: number): T => {
        const g = new (a.constructor as { new (n: number): T })(n);
        g.set(a);
        return g;
      };
      this.iScore = grow(this.iScore, cap * INNER_STRIDE);
      this.iChild = grow(this.iChild, cap * INNER_STRIDE);
      this.iCount = grow(this.iCount, cap * INNER_STRIDE);
      this.iN = grow(this.iN, cap);
      for (let t = this.iMember.length; t < cap * INNER_STRIDE; t++) this.iMember.push("");
    }
    return this.inners++;
  }

  private releaseInner(x: number): void {
    const b = x * INNER_STRIDE;
    for (let t = 0; t < INNER_STRIDE; t++) this.iMember[b + t] = "";
    this.iN[x] = 0;
    this.freeInners.push(x);
  }

  /** After deletions: rebuild compactly when most leaves are free. */
  private compactIfSparse(): void {
    const free = this.freeLeaves.length;
    if (free <= COMPACT_MIN_FREE || free <= 3 * (this.leaves - free)) return;
    const scores: number[] = [];
    const slots: number[] = [];
    for (let leaf = this.head; leaf !== NONE; leaf = this.lNext[leaf]) {
      const b = leaf * LEAF_STRIDE;
      for (let t = 0; t < this.lN[leaf]; t++) {
        scores.push(this.lScore[b + t]);
        slots.push(this.lSlot[b + t]);
      }
    }
    const members = slots.map((s) => this.members[s]);
    const cap = Math.max(4, Math.ceil((2 * scores.length) / LEAF_CAP) + 2);
    this.lScore = new Float64Array(cap * LEAF_STRIDE);
    this.lSlot = new Int32Array(cap * LEAF_STRIDE);
    this.lN = new Int32Array(cap);
    this.lNext = new Int32Array(cap);
    this.lPrev = new Int32Array(cap);
    this.leaves = 0;
    this.freeLeaves = [];
    this.iScore = new Float64Array(0);
    this.iMember = [];
    this.iChild = new Int32Array(0);
    this.iCount = new Int32Array(0);
    this.iN = new Int32Array(0);
    this.inners = 0;
    this.freeInners = [];
    this.members = [];
    this.freeMembers = [];
    this.height = 0;
    this.root = this.head = this.tail = this.allocLeaf();
    this.lNext[this.root] = NONE;
    this.lPrev[this.root] = NONE;
    // In order: each insertion lands at the end (the dict already holds every member).
    for (let t = 0; t < scores.length; t++) {
      this.insertKey(scores[t], members[t], this.newSlot(members[t]));
    }
  }

  // ------------------------------------------------------------------ checks

  /**
   * Check every structural invariant (order, separators, counts, fill, leaf chain, height, map
   * agreement, slot and node bookkeeping). Throws with a description on the first violation.
   * O(n); for tests.
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error(`zset tree invariant: ${msg}`);
    };
    const leafOrder: number[] = [];
    const slots = new Set<number>();
    const seenInner = new Set<number>();
    // Returns the subtree's element count; every key in it must be within [lo, hi).
    const visit = (
      x: number,
      depth: number,
      lo: [number, string] | null,
      hi: [number, string] | null,
    ): number => {
      const inBounds = (s: number, m: string) =>
        (lo === null || !sortsBefore(s, m, lo[0], lo[1])) &&
        (hi === null || sortsBefore(s, m, hi[0], hi[1]));
      if (depth === this.height) {
        const n = this.lN[x];
        if (n > LEAF_CAP) fail(`leaf ${x} holds ${n}`);
        if (this.height > 0 && n < 1) fail(`leaf ${x} empty`);
        const b = x * LEAF_STRIDE;
        for (let t = 0; t < n; t++) {
          const s = this.lScore[b + t];
          const slot = this.lSlot[b + t];
          const m = this.members[slot];
          if (slots.has(slot)) fail(`slot ${slot} twice`);
          slots.add(slot);
          if (Number.isNaN(s)) fail("NaN score");
          if (!inBounds(s, m)) fail(`element ${m} outside its separators`);
          if (this.dict.get(m) !== s) fail(`map score of ${m}`);
        }
        leafOrder.push(x);
        return n;
      }
      if (seenInner.has(x)) fail(`inner ${x} twice`);
      seenInner.add(x);
      const n = this.iN[x];
      if (n > INNER_CAP) fail(`inner ${x} holds ${n}`);
      if (n < 2) fail(`inner ${x} with ${n} children`);
      if (depth > 0 && n < INNER_MIN) fail(`inner ${x} under-full (${n})`);
      const b = x * INNER_STRIDE;
      let total = 0;
      for (let j = 0; j < n; j++) {
        const sLo: [number, string] | null = j === 0
          ? lo
          : [this.iScore[b + j], this.iMember[b + j]];
        const sHi: [number, string] | null = j === n - 1
          ? hi
          : [this.iScore[b + j + 1], this.iMember[b + j + 1]];
        if (j > 0 && !inBounds(sLo![0], sLo![1])) {
          fail(`separator ${j} of inner ${x} out of bounds`);
        }
        const child = this.iChild[b + j];
        if (j > 0 && depth + 1 < this.height) {
          const cb = child * INNER_STRIDE;
          if (this.iScore[cb] !== sLo![0] || this.iMember[cb] !== sLo![1]) {
            fail(`inner ${child}'s entry 0 is not its separator in inner ${x}`);
          }
        }
        const c = visit(child, depth + 1, sLo, sHi);
        if (c !== this.iCount[b + j]) {
          fail(`count of child ${j} of inner ${x}: ${this.iCount[b + j]} vs ${c}`);
        }
        total += c;
      }
      return total;
    };
    const total = visit(this.root, 0, null, null);
    if (total !== this.dict.size) fail(`${total} elements, map holds ${this.dict.size}`);
    if (this.height > 0) {
      for (const leaf of leafOrder) {
        if (this.lN[leaf] < LEAF_MIN) fail(`leaf ${leaf} under-full (${this.lN[leaf]})`);
      }
    }
    // The chain visits the leaves in tree order, both ways, and the order is strict.
    if (this.head !== leafOrder[0] || this.tail !== leafOrder[leafOrder.length - 1]) {
      fail("head or tail");
    }
    for (let t = 0; t < leafOrder.length; t++) {
      const want = t + 1 < leafOrder.length ? leafOrder[t + 1] : NONE;
      if (this.lNext[leafOrder[t]] !== want) fail(`next of leaf ${leafOrder[t]}`);
      const back = t > 0 ? leafOrder[t - 1] : NONE;
      if (this.lPrev[leafOrder[t]] !== back) fail(`prev of leaf ${leafOrder[t]}`);
    }
    let prev: [number, string] | null = null;
    for (const [m, s] of this) {
      if (prev !== null && !sortsBefore(prev[0], prev[1], s, m)) fail(`order at ${m}`);
      prev = [s, m];
    }
    if (leafOrder.length + this.freeLeaves.length !== this.leaves) fail("leaf bookkeeping");
    if (seenInner.size + this.freeInners.length !== this.inners) fail("inner bookkeeping");
    if (slots.size + this.freeMembers.length !== this.members.length) fail("slot bookkeeping");
  }
}
