/**
 * Sorted set: member -> score map plus an ordered index, a skip list with spans exactly like
 * Redis's zskiplist (t_zset.c): ordered by (score, member bytes memcmp), O(log n) expected insert,
 * delete, rank, element-by-rank and range-by-score/lex lookups.
 *
 * Members are binary strings (one char per byte), so JS string comparison is memcmp order.
 * Scores are never NaN (callers reject NaN before inserting).
 *
 * Redis keeps small sorted sets as a listpack; that encoding has visible effects (OBJECT
 * ENCODING, -0 stored as 0, ZSCAN returning everything at once with integer-looking scores).
 * `listpack` emulates that flag; the commands decide when it flips (see commands/zsets.ts).
 */

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
    // Built by push so V8 keeps them packed (not holey) arrays.
    const next: (ZNode | null)[] = [];
    const span: number[] = [];
    for (let i = 0; i < level; i++) {
      next.push(null);
      span.push(0);
    }
    this.next = next;
    this.span = span;
  }
}

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

/** (score, member) of node `x` sorts strictly before (score, member)? */
function before(x: ZNode, score: number, member: string): boolean {
  return x.score < score || (x.score === score && x.member < member);
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

export class ZSet {
  /** member -> score (the dict of Redis's zset). */
  readonly scores = new Map<string, number>();
  private readonly header = new ZNode("", 0, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  /** Emulated encoding: true while Redis would keep this zset as a listpack. */
  listpack: boolean;

  constructor(listpack = true) {
    this.listpack = listpack;
  }

  get size(): number {
    return this.scores.size;
  }

  /** OBJECT ENCODING's answer. */
  get encoding(): "listpack" | "skiplist" {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** The score of a member, or undefined. */
  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Add a member that is not present. */
  add(member: string, score: number): void {
    this.scores.set(member, score);
    this.insertNode(score, member);
  }

  /** Set an existing member's score (moves it in the index only when its position changes). */
  update(member: string, newScore: number): void {
    const cur = this.scores.get(member)!;
    this.scores.set(member, newScore);
    const update = UPDATE;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i];
      while (f !== null && before(f, cur, member)) {
        x = f;
        f = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0]!;
    if (node === null || node.member !== member) throw new Error("zset: member missing from index");
    const next = node.next[0];
    if (
      (node.backward === null || node.backward.score < newScore) &&
      (next === null || next.score > newScore)
    ) {
      node.score = newScore;
      return;
    }
    this.deleteNode(node, update);
    this.insertNode(newScore, member);
  }

  /** Remove a member; true if it was present. */
  remove(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
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
    this.deleteNode(node, update);
    return true;
  }

  /** Remove and return the lowest element. */
  popFirst(): ZNode | null {
    const node = this.header.next[0];
    if (node === null) return null;
    const update = UPDATE;
    for (let i = 0; i < this.level; i++) update[i] = this.header;
    this.deleteNode(node, update);
    this.scores.delete(node.member);
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
    const score = this.scores.get(member);
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
    if (rank0 < 0 || rank0 >= this.scores.size) return null;
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
    if (scoreRangeEmpty(r)) return null;
    const last = this.tail;
    const first = this.header.next[0];
    if (last === null || !scoreGteMin(last.score, r) || !scoreLteMax(first!.score, r)) return null;
    const n = this.descend((f) => !scoreGteMin(f.score, r)).next[0]!;
    return scoreLteMax(n.score, r) ? n : null;
  }

  /** Highest node with a score in range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (scoreRangeEmpty(r)) return null;
    const last = this.tail;
    const first = this.header.next[0];
    if (last === null || !scoreGteMin(last.score, r) || !scoreLteMax(first!.score, r)) return null;
    const x = this.descend((f) => scoreLteMax(f.score, r));
    return scoreGteMin(x.score, r) ? x : null;
  }

  /**
   * Lowest node with a member in the lex range, or null. Lex ranges are only meaningful when all
   * scores are equal; for the other case a listpack zset is scanned linearly as Redis's
   * zzlFirstInLexRange does, so the (unspecified) answer is the same as Redis's.
   */
  firstInLexRange(r: LexRange): ZNode | null {
    if (lexRangeEmpty(r)) return null;
    const last = this.tail;
    const first = this.header.next[0];
    if (last === null || !lexGteMin(last.member, r) || !lexLteMax(first!.member, r)) return null;
    if (this.listpack) {
      for (let n: ZNode | null = first; n !== null; n = n.next[0]) {
        if (lexGteMin(n.member, r)) return lexLteMax(n.member, r) ? n : null;
      }
      return null;
    }
    const n = this.descend((f) => !lexGteMin(f.member, r)).next[0]!;
    return lexLteMax(n.member, r) ? n : null;
  }

  /** Highest node with a member in the lex range, or null. */
  lastInLexRange(r: LexRange): ZNode | null {
    if (lexRangeEmpty(r)) return null;
    const last = this.tail;
    const first = this.header.next[0];
    if (last === null || !lexGteMin(last.member, r) || !lexLteMax(first!.member, r)) return null;
    if (this.listpack) {
      for (let n: ZNode | null = last; n !== null; n = n.backward) {
        if (lexLteMax(n.member, r)) return lexGteMin(n.member, r) ? n : null;
      }
      return null;
    }
    const x = this.descend((f) => lexLteMax(f.member, r));
    return lexGteMin(x.member, r) ? x : null;
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

  /** How many elements have a score in range (two O(log n) rank lookups). */
  countInScoreRange(r: ScoreRange): number {
    const a = this.firstInScoreRange(r);
    if (a === null) return 0;
    const b = this.lastInScoreRange(r);
    const size = this.scores.size;
    const count = size - this.rank(a.member);
    return b === null ? count : count - (size - 1 - this.rank(b.member));
  }

  /** As Redis's ZLEXCOUNT: a linear walk for listpack zsets, rank arithmetic otherwise. */
  countInLexRange(r: LexRange): number {
    const a = this.firstInLexRange(r);
    if (a === null) return 0;
    if (this.listpack) {
      let count = 0;
      for (let n: ZNode | null = a; n !== null && lexLteMax(n.member, r); n = n.next[0]) count++;
      return count;
    }
    const b = this.lastInLexRange(r);
    const size = this.scores.size;
    const count = size - this.rank(a.member);
    return b === null ? count : count - (size - 1 - this.rank(b.member));
  }

  /** Delete every element with a score in range; returns how many. */
  deleteRangeByScore(r: ScoreRange): number {
    return this.deleteRun((n) => !scoreGteMin(n.score, r), (n) => scoreLteMax(n.score, r));
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
      this.scores.delete(n.member);
      removed++;
      n = next;
    }
    return removed;
  }

  /** Delete every element with a member in the lex range; returns how many. */
  deleteRangeByLex(r: LexRange): number {
    if (this.listpack) {
      // zzlDeleteRangeByLex: from the first element in range, while still <= max.
      let n = this.firstInLexRange(r);
      let removed = 0;
      while (n !== null && lexLteMax(n.member, r)) {
        const next = n.next[0];
        this.remove(n.member);
        removed++;
        n = next;
      }
      return removed;
    }
    return this.deleteRun((n) => !lexGteMin(n.member, r), (n) => lexLteMax(n.member, r));
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
      this.scores.delete(n.member);
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

  /** Remove everything. */
  clear(): void {
    this.scores.clear();
    for (let i = 0; i < MAX_LEVEL; i++) {
      this.header.next[i] = null;
      this.header.span[i] = 0;
    }
    this.tail = null;
    this.level = 1;
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
    const length = this.scores.size - 1;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = length;
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
      throw new Error(`zset invariant: ${msg}`);
    };
    // Level 0: order, backward links, map agreement.
    let count = 0;
    let prev: ZNode | null = null;
    const position = new Map<ZNode, number>();
    for (let n = this.header.next[0]; n !== null; n = n.next[0]) {
      count++;
      position.set(n, count);
      if (n.backward !== prev) fail(`backward link of ${n.member}`);
      if (prev !== null && !before(prev, n.score, n.member)) fail(`order at ${n.member}`);
      if (Number.isNaN(n.score)) fail("NaN score");
      if (this.scores.get(n.member) !== n.score) fail(`map score of ${n.member}`);
      if (n.next.length < 1 || n.next.length > MAX_LEVEL) fail("node level");
      prev = n;
    }
    if (this.tail !== prev) fail("tail");
    if (count !== this.scores.size) fail(`length ${count} != map size ${this.scores.size}`);
    // Higher levels: each forward pointer skips exactly `span` positions, and every node of
    // level > i appears in the level-i list.
    for (let i = 0; i < MAX_LEVEL; i++) {
      if (i >= this.level) {
        if (this.header.next[i] !== null) fail(`header level ${i} above list level`);
        continue;
      }
      let x: ZNode = this.header;
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
    if (this.level > 1 && this.header.next[this.level - 1] === null) fail("level not trimmed");
    // Every node of level > i must be reachable at level i: count nodes per level.
    for (let i = 1; i < this.level; i++) {
      let expected = 0;
      for (let n = this.header.next[0]; n !== null; n = n.next[0]) {
        if (n.next.length > i) expected++;
      }
      let seen = 0;
      for (let n = this.header.next[i]; n !== null; n = n.next[i]) seen++;
      if (seen !== expected) fail(`level ${i} holds ${seen} nodes, expected ${expected}`);
    }
  }
}
