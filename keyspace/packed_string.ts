/**
 * Building blocks of the compact forms that hold a small collection in one binary string (one
 * char per byte, as keys are): sorted sets (zset_packed.ts) and hashes (hash.ts) while Redis would
 * keep them as listpacks. V8 keeps such a string as ~16 + n bytes, where a Map costs ~50 bytes an
 * entry before its keys' and values' own strings.
 *
 * V8 details these rely on: a substring of SLICE_MIN chars or more shares its parent's memory (a
 * SlicedString), and a concatenation is a rope until first read; `copyOf` and `splice` return
 * flat strings that keep nothing else alive.
 */

/** SlicedString::kMinLength: V8 copies shorter substrings, longer ones share their parent. */
export const SLICE_MIN = 13;

/** Sink for the reads that flatten a rope (kept so the reads are not optimized away). */
let flattenSink = 0;

/**
 * `s` (a concatenation of two or more pieces) as one flat string: reading a char of a rope makes
 * V8 copy it into a new sequential string, which the GC then uses in place of the rope; nothing
 * keeps the pieces (or the strings they were sliced from) alive.
 */
export function flat(s: string): string {
  if (s.length >= SLICE_MIN) flattenSink ^= s.charCodeAt(0);
  return s;
}

/** A copy of p[start, end) that does not share p's memory (a long slice would keep p alive). */
export function copyOf(p: string, start: number, end: number): string {
  if (end - start < SLICE_MIN) return p.slice(start, end);
  return flat(p.slice(start, start + 1) + p.slice(start + 1, end));
}

/** p with [start, end) replaced by `insert`, as a new flat string. */
export function splice(p: string, start: number, end: number, insert: string): string {
  if (insert === "") {
    if (start === 0) return copyOf(p, end, p.length);
    if (end === p.length) return copyOf(p, 0, start);
    return flat(p.slice(0, start) + p.slice(end));
  }
  return flat(p.slice(0, start) + insert + p.slice(end));
}

/** Are the chars stored at p[start, end) equal to `s`? */
export function equalsAt(p: string, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) {
    if (p.charCodeAt(start + i) !== s.charCodeAt(i)) return false;
  }
  return true;
}

/** `n` (>= 0) as a LEB128 varint: 7 bits a char, low bits first (one char below 128). */
export function encodeVarint(n: number): string {
  if (n < 0x80) return String.fromCharCode(n);
  let s = "";
  while (n >= 0x80) {
    s += String.fromCharCode((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  return s + String.fromCharCode(n);
}

/** Bytes (chars) of `n`'s varint (`encodeVarint(n).length`). */
export function varintLength(n: number): number {
  let b = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    b++;
  }
  return b;
}

/** Write `n`'s varint (the bytes of `encodeVarint(n)`) into `buf` at `o`; the offset past it. */
export function writeVarint(buf: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    buf[o++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[o++] = n;
  return o;
}

/** What `readVarint` decoded: the value and the offset just past it. */
export const varint = { value: 0, end: 0 };

/** Decode the varint at `o` into `varint`. */
export function readVarint(p: string, o: number): void {
  let c = p.charCodeAt(o++);
  if (c < 0x80) {
    varint.value = c;
    varint.end = o;
    return;
  }
  let v = c & 0x7f;
  let mul = 128;
  do {
    c = p.charCodeAt(o++);
    v += (c & 0x7f) * mul;
    mul *= 128;
  } while (c >= 0x80);
  varint.value = v;
  varint.end = o;
}
