/**
 * Sorted set: member -> score map plus an ordered index (skip list with spans, as Redis's
 * zskiplist) for rank and range queries.
 *
 * PLACEHOLDER API (the sorted-set work fills it in): keep the class name and `size`.
 */
export class ZSet {
  readonly scores = new Map<string, number>();
  get size(): number {
    return this.scores.size;
  }
}
