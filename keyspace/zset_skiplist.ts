/**
 * The skip-list form of a sorted set (Redis's OBJ_ENCODING_SKIPLIST, t_zset.c zskiplist + dict):
 * a member -> score map plus a skip list with spans, ordered by (score, member bytes memcmp);
 * O(log n) expected insert, delete, rank, element-by-rank and range-by-score/lex lookups.
 *
 * Used once a zset outgrows the listpack limits (keyspace/zset.ts converts); the header's level
 * arrays grow with the list's level instead of starting at MAX_LEVEL.
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

/** Redis's ZSKIPLIST_MAXLEVEL. */
export const MAX_LEVEL = 32;
/** Redis's ZSKIPLIST_P. */
const LEVEL_P = 0.25;

/** A skip-list node. `next[i]` / `span[i]`: the forward pointer at level i and its width. */
export class ZNode {
  backward: ZNode | null = null;
  readonly next: (ZNode | null)[];
  readonly span: number[];

  constructor(public readonly member: string, public score: number, level: number) {
    // Allocated at their exact length (arrays grown by push start with room for 17).
    const next: (ZNode | null)[] = new Array(level);
    const span: number[] = new Array(level);
    for (let i = 0; i < level; i++) {
      next[i] = null;
      span[i] = 0;
    }
    this.next = next;
    this.span = span;
  }
}

// Scratch arrays for insert/delete (single-threaded, never re-entered).
const UPDATE: ZNode[] = [];
const RANK: number[] = [];
const PLACEHOLDER = new ZNode("", 0, 1);
for (let i = 0; i < MAX_LEVEL; i++) {
  UPDATE.push(PLACEHOLDER);
  RANK.push(0);
}

let random: () => number = Math.random;

/** Replace the level generator's random source (tests use a seeded one). */
export function setLevelRandom(fn: () => number): void {
  random = fn;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && random() < LEVEL_P) level++;
  return level;
}

/** Node `x` sorts strictly before (score, member)? */
function before(x: ZNode, score: number, member: string): boolean {
  return x.score < score || (x.score === score && x.member < member);
}

export class SkipList {
  /** member -> score (the dict of Redis's zset). */
  readonly dict = new Map<string, number>();
  /** next/span arrays as long as the highest level used so far (at least 1). */
  private readonly header = new ZNode("", 0, 1);
  private tail: ZNode | null = null;
  private level = 1;

  get size(): number {
    return this.dict.size;
  }

  /** Add a member that is not present. */
  add(member: string, score: number): void {
    this.dict.set(member, score);
    this.insertNode(score, member);
  }

  /** Set an existing member's score (moves it in the list only when its position changes). */
  update(member: string, newScore: number): void {
    const cur = this.dict.get(member)!;
    this.dict.set(member, newScore);
    const node = this.findNode(cur, member);
    const next = node.next[0];
    if (
      (node.backward === null || node.backward.score < newScore) &&
      (next === null || next.score > newScore)
    ) {
      node.score = newScore;
      return;
    }
    this.deleteNode(node, UPDATE);
    this.insertNode(newScore, member);
  }

  /** Remove a member; true if it was present. */
  remove(member: string): boolean {
    const score = this.dict.get(member);
    if (score === undefined) return false;
    this.dict.delete(member);
    this.deleteNode(this.findNode(score, member), UPDATE);
    return true;
  }

  /** The node of (score, member), its predecessors at every level left in UPDATE. */
  private findNode(score: number, member: string): ZNode {
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && before(f, score, member)) {
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0];
    if (node === null || node.member !== member) throw new Error("zset: member missing from index");
    return node;
  }

  /** Remove and return the lowest element. */
  popFirst(): ZNode | null {
    const node = this.header.next[0];
    if (node === null) return null;
    const update = UPDATE;
    for (let i = 0; i < this.level; i++) update[i] = this.header;
    this.deleteNode(node, update);
    this.dict.delete(node.member);
    return node;
  }

  /** Remove and return the highest element. */
  popLast(): ZNode | null {
    const node = this.tail;
    if (node === null) return null;
    this.remove(node.member);
    return node;
  }

  first(): ZNode | null {
    return this.header.next[0];
  }

  last(): ZNode | null {
    return this.tail;
  }

  /** 0-based rank of a member (ascending), or -1 when absent. */
  rank(member: string): number {
    const score = this.dict.get(member);
    if (score === undefined) return -1;
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && (f.score < score || (f.score === score && f.member <= member))) {
        rank += x.span[i];
        x = f;
        f = x.next[i];
      }
      if (x !== this.header && x.member === member) return rank - 1;
    }
    throw new Error("zset: member missing from index");
  }

  /** The node at 0-based rank, or null when out of range. */
  byRank(rank0: number): ZNode | null {
    if (rank0 < 0 || rank0 >= this.dict.size) return null;
    const target = rank0 + 1;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  /** Lowest node with a score in range, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.mayHoldScores(r)) return null;
    const n = this.descend((f) => !scoreGteMin(f.score, r)).next[0]!;
    return scoreLteMax(n.score, r) ? n : null;
  }

  /** Highest node with a score in range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.mayHoldScores(r)) return null;
    const x = this.descend((f) => scoreLteMax(f.score, r));
    return scoreGteMin(x.score, r) ? x : null;
  }

  /** zslIsInRange: the range is not empty and overlaps [first score, last score]. */
  private mayHoldScores(r: ScoreRange): boolean {
    const last = this.tail;
    return !scoreRangeEmpty(r) && last !== null && scoreGteMin(last.score, r) &&
      scoreLteMax(this.header.next[0]!.score, r);
  }

  /** Lowest node with a member in the lex range, or null (zslFirstInLexRange). */
  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.mayHoldLex(r)) return null;
    const n = this.descend((f) => !lexGteMin(f.member, r)).next[0]!;
    return lexLteMax(n.member, r) ? n : null;
  }

  /** Highest node with a member in the lex range, or null (zslLastInLexRange). */
  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.mayHoldLex(r)) return null;
    const x = this.descend((f) => lexLteMax(f.member, r));
    return lexGteMin(x.member, r) ? x : null;
  }

  /** zslIsInLexRange. */
  private mayHoldLex(r: LexRange): boolean {
    const last = this.tail;
    return !lexRangeEmpty(r) && last !== null && lexGteMin(last.member, r) &&
      lexLteMax(this.header.next[0]!.member, r);
  }

  /**
   * Walk down the levels from the header, moving forward while the next node satisfies `ahead`;
   * returns the last node reached (the header when none). With `update`, records the node where
   * each level stopped (for a deletion).
   */
  private descend(ahead: (n: ZNode) => boolean, update?: ZNode[]): ZNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && ahead(f)) {
        x = f;
        f = x.next[i];
      }
      if (update !== undefined) update[i] = x;
    }
    return x;
  }

  /** Elements with 0-based ranks start..end (clamped, start <= end), or counted from the top. */
  rangeByRank(start0: number, end0: number, rev: boolean, out: ZRange): void {
    const n = end0 - start0 + 1;
    let node = this.byRank(rev ? this.dict.size - 1 - start0 : start0);
    for (let i = 0; i < n && node !== null; i++) {
      out.members.push(node.member);
      out.scores.push(node.score);
      node = rev ? node.backward : node.next[0];
    }
  }

  /**
   * Elements with a score in range, lowest first (highest first with `rev`): `offset` skipped,
   * then at most `limit` (negative: no limit), as genericZrangebyscoreCommand walks.
   */
  rangeByScore(r: ScoreRange, offset: number, limit: number, rev: boolean, out: ZRange): void {
    let ln = rev ? this.lastInScoreRange(r) : this.firstInScoreRange(r);
    while (ln !== null && offset > 0) {
      offset--;
      ln = rev ? ln.backward : ln.next[0];
    }
    while (ln !== null && limit !== 0) {
      if (rev ? !scoreGteMin(ln.score, r) : !scoreLteMax(ln.score, r)) break;
      out.members.push(ln.member);
      out.scores.push(ln.score);
      limit--;
      ln = rev ? ln.backward : ln.next[0];
    }
  }

  /** As `rangeByScore` for a lex range (genericZrangebylexCommand). */
  rangeByLex(r: LexRange, offset: number, limit: number, rev: boolean, out: ZRange): void {
    let ln = rev ? this.lastInLexRange(r) : this.firstInLexRange(r);
    while (ln !== null && offset > 0) {
      offset--;
      ln = rev ? ln.backward : ln.next[0];
    }
    while (ln !== null && limit !== 0) {
      if (rev ? !lexGteMin(ln.member, r) : !lexLteMax(ln.member, r)) break;
      out.members.push(ln.member);
      out.scores.push(ln.score);
      limit--;
      ln = rev ? ln.backward : ln.next[0];
    }
  }

  /** How many elements have a score in range (two O(log n) rank lookups). */
  countInScoreRange(r: ScoreRange): number {
    const a = this.firstInScoreRange(r);
    if (a === null) return 0;
    const b = this.lastInScoreRange(r);
    const size = this.dict.size;
    const count = size - this.rank(a.member);
    return b === null ? count : count - (size - 1 - this.rank(b.member));
  }

  /** As Redis's ZLEXCOUNT on a skip list: rank arithmetic. */
  countInLexRange(r: LexRange): number {
    const a = this.firstInLexRange(r);
    if (a === null) return 0;
    const b = this.lastInLexRange(r);
    const size = this.dict.size;
    const count = size - this.rank(a.member);
    return b === null ? count : count - (size - 1 - this.rank(b.member));
  }

  /** Delete every element with a score in range; returns how many. */
  deleteRangeByScore(r: ScoreRange): number {
    return this.deleteRun((n) => !scoreGteMin(n.score, r), (n) => scoreLteMax(n.score, r));
  }

  /** Delete every element with a member in the lex range; returns how many. */
  deleteRangeByLex(r: LexRange): number {
    return this.deleteRun((n) => !lexGteMin(n.member, r), (n) => lexLteMax(n.member, r));
  }

  /**
   * zslDeleteRangeBy*: skip the elements `beforeMin`, then delete from there on while
   * `withinMax`; returns how many were deleted.
   */
  private deleteRun(beforeMin: (n: ZNode) => boolean, withinMax: (n: ZNode) => boolean): number {
    const update = UPDATE;
    let n = this.descend(beforeMin, update).next[0];
    let removed = 0;
    while (n !== null && withinMax(n)) {
      const next = n.next[0];
      this.deleteNode(n, update);
      this.dict.delete(n.member);
      removed++;
      n = next;
    }
    return removed;
  }

  /** Delete the elements with 0-based ranks start..end inclusive (already clamped). */
  deleteRangeByRank(start0: number, end0: number): number {
    const start = start0 + 1;
    const end = end0 + 1;
    const update = UPDATE;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i] < start) {
        traversed += x.span[i];
        x = x.next[i]!;
      }
      update[i] = x;
    }
    traversed++;
    let n = x.next[0];
    let removed = 0;
    while (n !== null && traversed <= end) {
      const next = n.next[0];
      this.deleteNode(n, update);
      this.dict.delete(n.member);
      removed++;
      traversed++;
      n = next;
    }
    return removed;
  }

  /** Elements in ascending order as [member, score]. */
  *[Symbol.iterator](): IterableIterator<[string, number]> {
    for (let n = this.header.next[0]; n !== null; n = n.next[0]) yield [n.member, n.score];
  }

  private insertNode(score: number, member: string): ZNode {
    const update = UPDATE;
    const rank = RANK;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let f = x.next[i];
      while (f !== null && before(f, score, member)) {
        rank[i] += x.span[i];
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    // The length before this insertion (the map already holds the new member).
    const length = this.dict.size - 1;
    if (level > this.level) {
      const header = this.header;
      for (let i = this.level; i < level; i++) {
        if (header.next.length === i) {
          header.next.push(null);
          header.span.push(0);
        }
        rank[i] = 0;
        update[i] = header;
        header.span[i] = length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i];
      node.next[i] = u.next[i];
      u.next[i] = node;
      node.span[i] = u.span[i] - (rank[0] - rank[i]);
      u.span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    const next = node.next[0];
    if (next !== null) next.backward = node;
    else this.tail = node;
    return node;
  }

  /** Unlink `x` given its predecessors at every level (Redis's zslDeleteNode). */
  private deleteNode(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (u.next[i] === x) {
        u.span[i] += x.span[i] - 1;
        u.next[i] = x.next[i];
      } else {
        u.span[i] -= 1;
      }
    }
    const next = x.next[0];
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--;
  }

  /**
   * Check every structural invariant (order, spans, backward links, tail, level, map agreement).
   * Throws with a description on the first violation. O(n * levels); for tests.
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error(`zset skiplist invariant: ${msg}`);
    };
    const header = this.header;
    if (header.next.length < this.level || header.next.length > MAX_LEVEL) fail("header size");
    if (header.span.length !== header.next.length) fail("header span size");
    // Level 0: order, backward links, map agreement.
    let count = 0;
    let prev: ZNode | null = null;
    const position = new Map<ZNode, number>();
    for (let n = header.next[0]; n !== null; n = n.next[0]) {
      count++;
      position.set(n, count);
      if (n.backward !== prev) fail(`backward link of ${n.member}`);
      if (prev !== null && !sortsBefore(prev.score, prev.member, n.score, n.member)) {
        fail(`order at ${n.member}`);
      }
      if (Number.isNaN(n.score)) fail("NaN score");
      if (this.dict.get(n.member) !== n.score) fail(`map score of ${n.member}`);
      if (n.next.length < 1 || n.next.length > MAX_LEVEL) fail("node level");
      if (n.span.length !== n.next.length) fail("node span size");
      prev = n;
    }
    if (this.tail !== prev) fail("tail");
    if (count !== this.dict.size) fail(`length ${count} != map size ${this.dict.size}`);
    // Higher levels: each forward pointer skips exactly `span` positions, and every node of
    // level > i appears in the level-i list.
    for (let i = 0; i < header.next.length; i++) {
      if (i >= this.level) {
        if (header.next[i] !== null) fail(`header level ${i} above list level`);
        continue;
      }
      let x: ZNode = header;
      let pos = 0;
      for (;;) {
        const f: ZNode | null = x.next[i];
        if (f === null) break;
        const fp = position.get(f);
        if (fp === undefined) fail(`level ${i} points outside level 0`);
        if (fp! - pos !== x.span[i]) fail(`span at level ${i} (${x.span[i]} vs ${fp! - pos})`);
        pos = fp!;
        x = f;
      }
    }
    if (this.level > 1 && header.next[this.level - 1] === null) fail("level not trimmed");
    // Every node of level > i must be reachable at level i: count nodes per level.
    for (let i = 1; i < this.level; i++) {
      let expected = 0;
      for (let n = header.next[0]; n !== null; n = n.next[0]) {
        if (n.next.length > i) expected++;
      }
      let seen = 0;
      for (let n = header.next[i]; n !== null; n = n.next[i]) seen++;
      if (seen !== expected) fail(`level ${i} holds ${seen} nodes, expected ${expected}`);
    }
  }
}
