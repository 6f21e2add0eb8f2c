/**
 * A growable ring buffer: the list type. O(1) push/pop at both ends and O(1) indexed access
 * (LINDEX, LRANGE), which the Redis quicklist gives too.
 *
 * The capacity is a power of two (index arithmetic is a mask), and the backing array is always
 * built by pushing, so V8 keeps it a packed array: `new Array(n)` for big n would give a slow
 * dictionary-mode array.
 */

/** A packed array of `n` undefined slots. */
function slots<T>(n: number): (T | undefined)[] {
  const a: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) a.push(undefined);
  return a;
}

function pow2AtLeast(n: number): number {
  let c = 8;
  while (c < n) c *= 2;
  return c;
}

export class Deque<T = Uint8Array> {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  private items: (T | undefined)[];
  private mask: number;
  private head = 0;
  length = 0;

  constructor(capacity = 8) {
    const cap = pow2AtLeast(capacity);
    this.items = slots<T>(cap);
    this.mask = cap - 1;
  }

  static from<T>(values: Iterable<T>): Deque<T> {
    const d = new Deque<T>();
    for (const v of values) d.push(v);
    return d;
  }

  /**
   * Double a full ring. Two copies of the old array side by side (one `concat`, a block copy that
   * keeps the array packed) hold the elements in order from `head` on: positions head..head+cap-1
   * of the doubled array are old[head..cap-1] then old[0..head-1]. The rest is cleared so that no
   * duplicate keeps a popped element alive.
   */
  private grow(): void {
    const cap = this.items.length;
    const next = this.items.concat(this.items);
    next.fill(undefined, 0, this.head);
    next.fill(undefined, this.head + cap);
    this.items = next;
    this.mask = cap * 2 - 1;
  }

  push(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) & this.mask] = v;
    this.length++;
  }

  unshift(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = v;
    this.length++;
  }

  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const v = this.items[i];
    this.items[i] = undefined;
    this.length--;
    return v;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return v;
  }

  /** Element at index (0-based, no negative indexes); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.items[(this.head + i) & this.mask];
  }

  setAt(i: number, v: T): void {
    if (i < 0 || i >= this.length) throw new RangeError("deque index out of range");
    this.items[(this.head + i) & this.mask] = v;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.head + i) & this.mask]!);
    return out;
  }

  /** Replace the whole content (used by LREM, LINSERT, LTRIM, LSET-like rewrites). */
  replaceAll(values: T[]): void {
    const cap = pow2AtLeast(values.length * 2);
    this.items = slots<T>(cap);
    this.mask = cap - 1;
    for (let i = 0; i < values.length; i++) this.items[i] = values[i];
    this.head = 0;
    this.length = values.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) & this.mask]!;
  }
}
