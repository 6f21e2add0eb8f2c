/**
 * A set value (TYPE "set", t_set.c): its members (binary strings) in a small array up to
 * SMALL_MAX members, then in an open-addressing table (keyspace/key_table.ts, as the keyspace's
 * keys), with the part of the `Set` API the commands,
 * RDB, AOF rewrite and DEBUG DIGEST use. A JS `Set` internalized every fresh member string a
 * command asked it about (a probe of V8's string table per SADD/SISMEMBER argument).
 *
 * Iteration order: a set in Redis's intset encoding (below) in ascending integer order, as
 * intset.c keeps its integers sorted (SMEMBERS, SSCAN and scripts see that order); any other set
 * in insertion order while small, then in the table's slot order (Redis's hashtable answers in
 * its dict's hash order). An iterator stays valid while the set changes, as KeyTable's do: SPOP's
 * persistent iterator (commands/coll_util.ts) relies on it.
 *
 * Encoding (OBJECT ENCODING, DUMP's and RDB's type byte): intset while every member is an int64
 * and no addition took it past set-max-intset-entries; hashtable for good after that, as t_set.c
 * setTypeAdd converts and nothing converts back (SREM leaves a hashtable of integers). Whoever
 * adds members calls `settle` with the directive's value after its additions; a set made anew
 * from members (SINTERSTORE, RESTORE, loading) starts as an intset and settles the same way.
 */

import { KeyTable } from "./key_table.ts";
import { latin1 } from "../protocol/bytes.ts";

/** Is `m` a strict int64 in decimal (util.c string2ll: no sign but '-', no leading zero)? */
export function isInt64Member(m: string): boolean {
  const n = m.length;
  if (n === 0 || n > 20) return false;
  const neg = m.charCodeAt(0) === 45;
  const start = neg ? 1 : 0;
  const digits = n - start;
  if (digits === 0) return false;
  const first = m.charCodeAt(start);
  if (first === 48) return digits === 1 && !neg; // "0"; "-0" and "01" are not
  if (first < 49 || first > 57) return false;
  for (let i = start + 1; i < n; i++) {
    const c = m.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (digits < 19) return true;
  if (digits > 19) return false;
  const digitsOnly = neg ? m.slice(1) : m;
  return digitsOnly <= (neg ? "9223372036854775808" : "9223372036854775807");
}

/** Numeric order of two strict int64 strings (no number built: exact past 2^53). */
function compareInt64(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45, bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let c = a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (an) c = -c;
  return c;
}

/**
 * Up to this many members a set is a plain array of the exact length, scanned linearly, no
 * table. V8 heap besides the member strings (Deno 2.9, no pointer compression): 48 B of object
 * plus 48 + 8 B a member of array, so 140 B for 5 members and 256 B for 20, where a JS Set
 * takes 235 and 715 B, and a 20-member table 32 slots (~780 B: its Int32Array alone is ~400 B
 * with its off-heap ArrayBuffer). The scan is no slower than the table's hash and probe up to
 * here: `has` of a fresh member string ~24 ns at 8 members, 48 at 16, 86 at 32 in this form,
 * 76-91 ns in a table of 16-32. Redis keeps small sets compact too (an intset; 7.2's listpack
 * sets, set-max-listpack-entries 128). It goes to its table once, for good, past this.
 */
export const SMALL_MAX = 32;

export class MemberSet {
  /** The charge keyspace/db.ts last added for this value (-1: none; db.ts `chargeFor`). */
  charge = -1;
  /** How many members are not integers (a set with one is not an intset). */
  private nonInts = 0;
  /** Has it left the intset encoding (for good: `settle`)? */
  private wide = false;
  /** Small form: the members (insertion order); null once the set is in its table. */
  private small: string[] | null;
  /** Table form, or null while small. */
  private t: KeyTable<true> | null;

  /** `t`: a table of members to take over; none: an empty set (`empty`, `of`, `clone`). */
  constructor(t?: KeyTable<true>) {
    this.t = t ?? null;
    this.small = t === undefined ? [] : null;
  }

  /** An empty set. */
  static empty(): MemberSet {
    return new MemberSet();
  }

  /** A set of these members (repeats count once). */
  static of(members: Iterable<string>): MemberSet {
    const s = MemberSet.empty();
    for (const m of members) s.add(m);
    return s;
  }

  /** The table of a set in table form (null while small), to read ahead in (keyspace/prefetch.ts). */
  readAheadTable(): KeyTable<true> | null {
    return this.t;
  }

  get size(): number {
    return this.small !== null ? this.small.length : this.t!.size;
  }

  /** Is it in Redis's intset encoding (see the file's comment)? */
  get intset(): boolean {
    return !this.wide && this.nonInts === 0;
  }

  /**
   * After additions: leave the intset encoding for good when a member is not an integer or the
   * set is past `maxIntsetEntries` (set-max-intset-entries), as setTypeAdd does after each.
   */
  settle(maxIntsetEntries: number): void {
    if (!this.wide && (this.nonInts > 0 || this.size > maxIntsetEntries)) this.wide = true;
  }

  /** Is it in its small form (an array: MEMORY USAGE's estimate)? */
  get isSmall(): boolean {
    return this.small !== null;
  }

  has(member: string): boolean {
    return this.small !== null ? this.small.indexOf(member) >= 0 : this.t!.find(member) >= 0;
  }

  /** Add `member`; true when it is new (SADD's count), with one hash of it. */
  add(member: string): boolean {
    const small = this.small;
    if (small !== null) {
      if (small.indexOf(member) >= 0) return false;
      // A new array of the exact length, not `push`: push grows an array's capacity by half
      // plus 16 (V8's JSObject::NewElementsCapacity), 17 slots for a 1-member set.
      if (small.length < SMALL_MAX) this.small = small.concat(member);
      else {
        const t = KeyTable.keysOnly();
        for (const m of small) t.insert(m, true, 0);
        t.insert(member, true, 0);
        this.t = t;
        this.small = null;
      }
    } else if (!this.t!.put(member, true)) return false;
    if (!isInt64Member(member)) this.nonInts++;
    return true;
  }

  /**
   * `add` of the member whose bytes are `arg`: a member already in the table is found from the
   * bytes (no string built for it: SADD of members mostly present).
   */
  addBytes(arg: Uint8Array): boolean {
    if (this.t !== null && this.t.findBytes(arg, 0, arg.length) >= 0) return false;
    return this.add(latin1(arg));
  }

  delete(member: string): boolean {
    const small = this.small;
    if (small !== null) {
      const i = small.indexOf(member);
      if (i < 0) return false;
      const n = small.length - 1;
      const rest: string[] = new Array(n); // exact length, as `add` keeps it
      for (let j = 0; j < i; j++) rest[j] = small[j];
      for (let j = i; j < n; j++) rest[j] = small[j + 1];
      this.small = rest;
    } else if (!this.t!.delete(member)) return false;
    if (!isInt64Member(member)) this.nonInts--;
    return true;
  }

  /** A copy of its own, in the same form (COPY: setTypeDup). */
  clone(): MemberSet {
    const s = new MemberSet(this.t?.clone());
    if (this.small !== null) s.small = this.small.slice();
    s.nonInts = this.nonInts;
    s.wide = this.wide;
    return s;
  }

  keys(): IterableIterator<string> {
    if (this.intset) {
      return this.stillPresent(this.members().sort(compareInt64));
    }
    return this.small !== null ? this.stillPresent(this.small.slice()) : this.t!.keys();
  }

  values(): IterableIterator<string> {
    return this.keys();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.keys();
  }

  /** The members now, in a fresh array. */
  private members(): string[] {
    return this.small !== null ? this.small.slice() : [...this.t!.keys()];
  }

  /** `members` (the set as it was), each still present when reached. */
  private *stillPresent(members: string[]): IterableIterator<string> {
    for (const m of members) if (this.has(m)) yield m;
  }
}
