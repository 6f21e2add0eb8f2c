/**
 * A growable ring buffer: the list type. O(1) push/pop at both ends and O(1) indexed access
 * (LINDEX, LRANGE), which the Redis quicklist gives too.
 */
export class Deque<T = Uint8Array> {
  private items: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(capacity = 8) {
    this.items = new Array(Math.max(4, capacity));
  }

  static from<T>(values: Iterable<T>): Deque<T> {
    const d = new Deque<T>();
    for (const v of values) d.push(v);
    return d;
  }

  private grow(): void {
    const cap = this.items.length;
    const next = new Array<T | undefined>(cap * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % cap];
    this.items = next;
    this.head = 0;
  }

  push(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = v;
    this.length++;
  }

  unshift(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = v;
    this.length++;
  }

  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) % this.items.length;
    const v = this.items[i];
    this.items[i] = undefined;
    this.length--;
    return v;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return v;
  }

  /** Element at index (0-based, no negative indexes); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.items[(this.head + i) % this.items.length];
  }

  setAt(i: number, v: T): void {
    if (i < 0 || i >= this.length) throw new RangeError("deque index out of range");
    this.items[(this.head + i) % this.items.length] = v;
  }

  toArray(): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.items[(this.head + i) % this.items.length]!;
    return out;
  }

  /** Replace the whole content (used by LREM, LINSERT, LTRIM, LSET-like rewrites). */
  replaceAll(values: T[]): void {
    this.items = new Array(Math.max(4, values.length * 2));
    for (let i = 0; i < values.length; i++) this.items[i] = values[i];
    this.head = 0;
    this.length = values.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) % this.items.length]!;
  }
}
