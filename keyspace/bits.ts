/**
 * Bit arithmetic over byte strings for the bitmap commands (Redis 7.0 bitops.c), pure:
 * population count, the first set or clear bit, BITCOUNT/BITPOS range handling, and
 * BITFIELD's integer get/set at any bit offset with WRAP/SAT/FAIL overflow.
 *
 * Bit 0 is the most significant bit of byte 0 (SETBIT's order). Offsets are bit numbers below
 * 2^53 (the strings are at most proto-max-bulk-len bytes). Bitfields up to 32 bits use plain
 * numbers; wider ones (up to i64 and u63) use BigInt.
 */

/** Set bits of each byte value (redisPopcount's bitsinbyte). */
const BITS_IN_BYTE = new Uint8Array(256);
for (let i = 1; i < 256; i++) BITS_IN_BYTE[i] = (i & 1) + BITS_IN_BYTE[i >> 1];

/** Set bits in a 32-bit word (SWAR, as redisPopcount's 28-byte loop). */
function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** redisPopcount: the set bits of p[start, end). */
export function popcount(p: Uint8Array, start: number, end: number): number {
  let bits = 0;
  let i = start;
  // Bytes up to a 4-byte boundary of the underlying buffer, then whole words.
  while (i < end && ((p.byteOffset + i) & 3) !== 0) bits += BITS_IN_BYTE[p[i++]];
  const words = (end - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(p.buffer, p.byteOffset + i, words);
    for (let k = 0; k < words; k++) bits += popcount32(w[k]);
    i += words * 4;
  }
  while (i < end) bits += BITS_IN_BYTE[p[i++]];
  return bits;
}

/**
 * redisBitpos over p[start, start + count): the position (from bit 0 of p[start]) of the first
 * bit equal to `bit`. Not found: -1 for a 1, count * 8 for a 0 (the string is taken as
 * zero-padded on the right).
 */
export function firstBit(p: Uint8Array, start: number, count: number, bit: 0 | 1): number {
  const skip = bit ? 0 : 0xff;
  const end = start + count;
  let i = start;
  while (i < end && ((p.byteOffset + i) & 3) !== 0 && p[i] === skip) i++;
  if (i < end && ((p.byteOffset + i) & 3) === 0 && p[i] === skip) {
    const words = (end - i) >>> 2;
    const w = new Uint32Array(p.buffer, p.byteOffset + i, words);
    const skipWord = bit ? 0 : 0xffffffff;
    let k = 0;
    while (k < words && w[k] === skipWord) k++;
    i += k * 4;
  }
  while (i < end && p[i] === skip) i++;
  if (i === end) return bit ? -1 : count * 8;
  const b = bit ? p[i] : ~p[i] & 0xff;
  return (i - start) * 8 + Math.clz32(b) - 24;
}

/**
 * BITCOUNT/BITPOS index conversion (bitops.c): negative indexes count from the end of a
 * string of `total` units, then both are clamped into [0, total - 1]. Returns [start, end];
 * start > end means an empty range.
 */
export function clampRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

/** Mask of the bits of byte `start >> 3` before bit `start` (first_byte_neg_mask). */
function firstByteNegMask(start: number): number {
  return ~((1 << (8 - (start & 7))) - 1) & 0xff;
}

/** Mask of the bits of byte `end >> 3` after bit `end` (last_byte_neg_mask). */
function lastByteNegMask(end: number): number {
  return (1 << (7 - (end & 7))) - 1;
}

/**
 * bitcountCommand's count over the clamped range [start, end] (inclusive; bytes, or bits when
 * `isBit`) of p.
 */
export function bitcountRange(p: Uint8Array, start: number, end: number, isBit: boolean): number {
  if (start > end) return 0;
  if (!isBit) return popcount(p, start, end + 1);
  const first = firstByteNegMask(start);
  const last = lastByteNegMask(end);
  const sb = Math.floor(start / 8);
  const eb = Math.floor(end / 8);
  let count = popcount(p, sb, eb + 1);
  if (first !== 0) count -= BITS_IN_BYTE[p[sb] & first];
  if (last !== 0) count -= BITS_IN_BYTE[p[eb] & last];
  return count;
}

/**
 * bitposCommand's search over the clamped range [start, end] (inclusive; bytes, or bits when
 * `isBit`) of p. `endGiven`: the caller named an end, so a clear bit past it does not count.
 */
export function bitposRange(
  p: Uint8Array,
  bit: 0 | 1,
  start: number,
  end: number,
  isBit: boolean,
  endGiven: boolean,
): number {
  if (start > end) return -1;
  let first = 0;
  let last = 0;
  if (isBit) {
    first = firstByteNegMask(start);
    last = lastByteNegMask(end);
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  let bytes = end - start + 1;
  let pos: number;
  const one = new Uint8Array(1);
  found: {
    if (first !== 0) {
      let c = bit ? p[start] & ~first : p[start] | first;
      if (last !== 0 && bytes === 1) c = bit ? c & ~last : c | last;
      one[0] = c;
      pos = firstBit(one, 0, 1, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break found;
      start++;
      bytes--;
    }
    const cur = bytes - (last !== 0 ? 1 : 0);
    if (cur > 0) {
      pos = firstBit(p, start, cur, bit);
      if (bytes === cur || (pos !== -1 && pos !== cur * 8)) break found;
      start += cur;
      bytes -= cur;
    }
    one[0] = bit ? p[end] & ~last : p[end] | last;
    pos = firstBit(one, 0, 1, bit);
  }
  if (endGiven && bit === 0 && pos === bytes * 8) return -1;
  return pos === -1 ? -1 : pos + start * 8;
}

// ---------------------------------------------------------------------------------------------
// BITFIELD

/** An unsigned field of up to 32 bits at bit `offset`; bytes past the end read as zero. */
function getSmall(p: Uint8Array, offset: number, bits: number): number {
  const first = Math.floor(offset / 8);
  const lastBit = offset + bits - 1;
  const last = Math.floor(lastBit / 8);
  let acc = 0; // at most 5 bytes: exact as a double
  for (let i = first; i <= last; i++) acc = acc * 256 + (i < p.length ? p[i] : 0);
  return Math.floor(acc / 2 ** (7 - (lastBit & 7))) % 2 ** bits;
}

/** Store the low `bits` (up to 32) of the non-negative `value` at bit `offset` (in range). */
function setSmall(p: Uint8Array, offset: number, bits: number, value: number): void {
  const endBit = offset + bits; // exclusive
  const first = Math.floor(offset / 8);
  const last = Math.floor((endBit - 1) / 8);
  for (let i = first; i <= last; i++) {
    const lo = Math.max(offset, i * 8);
    const hi = Math.min(endBit, i * 8 + 8);
    const n = hi - lo;
    const chunk = Math.floor(value / 2 ** (endBit - hi)) % (1 << n);
    const shift = i * 8 + 8 - hi;
    const mask = ((1 << n) - 1) << shift;
    p[i] = (p[i] & ~mask) | (chunk << shift);
  }
}

/**
 * getUnsignedBitfield / getSignedBitfield: the field of `bits` bits (1..64) at bit `offset`
 * (bytes past the end of p read as zero). A number up to 32 bits, a bigint above.
 */
export function getBitfield(
  p: Uint8Array,
  offset: number,
  bits: number,
  signed: boolean,
): number | bigint {
  if (bits <= 32) {
    const u = getSmall(p, offset, bits);
    return signed && u >= 2 ** (bits - 1) ? u - 2 ** bits : u;
  }
  const hi = getSmall(p, offset, bits - 32);
  const lo = getSmall(p, offset + bits - 32, 32);
  const u = (BigInt(hi) << 32n) | BigInt(lo);
  return signed ? BigInt.asIntN(bits, u) : u;
}

/**
 * setUnsignedBitfield / setSignedBitfield: store `value` (two's complement, its low `bits`
 * bits) at bit `offset`; p must be long enough.
 */
export function setBitfield(
  p: Uint8Array,
  offset: number,
  bits: number,
  value: number | bigint,
): void {
  if (typeof value === "number" && bits <= 32) {
    const m = 2 ** bits;
    setSmall(p, offset, bits, ((value % m) + m) % m);
    return;
  }
  const u = BigInt.asUintN(bits, BigInt(value));
  if (bits <= 32) {
    setSmall(p, offset, bits, Number(u));
    return;
  }
  setSmall(p, offset, bits - 32, Number(u >> 32n));
  setSmall(p, offset + bits - 32, 32, Number(u & 0xffffffffn));
}

export const OVERFLOW_WRAP = 0;
export const OVERFLOW_SAT = 1;
export const OVERFLOW_FAIL = 2;
export type OverflowType = 0 | 1 | 2;

/** Largest |value| and |increment| the number path takes: sums stay exact, nothing wraps. */
const SMALL_INCR = 2 ** 52;

/**
 * checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow, and the value the operation
 * leaves: `value + incr` stored in a `bits`-bit field. For SET, `value` is the argument and
 * `incr` 0 (an unsigned field takes a negative argument as its 2^64 complement: an overflow).
 * Returns [overflow, result]: overflow is 1 (above the maximum), -1 (below the minimum) or 0;
 * result is the sum when it fits, else the wrapped (WRAP) or saturated (SAT) value (FAIL:
 * undefined, nothing is stored). Redis's quirks are kept: its limits are computed with
 * wrapping 64-bit arithmetic, so a SET far below a signed field's minimum overflows upward.
 */
export function bitfieldOverflow(
  value: number | bigint,
  incr: number | bigint,
  bits: number,
  signed: boolean,
  owtype: OverflowType,
): [-1 | 0 | 1, number | bigint] {
  if (
    bits <= 32 && typeof value === "number" && typeof incr === "number" &&
    Math.abs(value) <= SMALL_INCR && Math.abs(incr) <= SMALL_INCR
  ) {
    const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const min = signed ? -max - 1 : 0;
    const sum = value + incr;
    const over: -1 | 0 | 1 = !signed && value < 0 ? 1 : sum > max ? 1 : sum < min ? -1 : 0;
    if (over === 0) return [0, sum];
    if (owtype === OVERFLOW_SAT) return [over, over > 0 ? max : min];
    const m = 2 ** bits;
    let w = sum % m;
    if (w < 0) w += m;
    if (signed && w > max) w -= m;
    return [over, w];
  }
  // The checks as Redis writes them, with C's wrapping 64-bit arithmetic: for a SET far below
  // a signed field's minimum, `max - value` wraps negative and the overflow counts as upward.
  const v = BigInt(value);
  const inc = BigInt(incr);
  const sum = v + inc;
  let over: -1 | 0 | 1 = 0;
  let max: bigint;
  let min: bigint;
  if (signed) {
    max = (1n << BigInt(bits - 1)) - 1n;
    min = -max - 1n;
    const maxincr = BigInt.asIntN(64, max - v);
    const minincr = BigInt.asIntN(64, min - v);
    if (v > max || (bits !== 64 && inc > maxincr) || (v >= 0n && inc > 0n && inc > maxincr)) {
      over = 1;
    } else if (
      v < min || (bits !== 64 && inc < minincr) || (v < 0n && inc < 0n && inc < minincr)
    ) over = -1;
  } else {
    max = (1n << BigInt(bits)) - 1n;
    min = 0n;
    const u = BigInt.asUintN(64, v); // a negative SET argument as the uint64_t it becomes
    if (u > max || (inc > 0n && inc > BigInt.asIntN(64, max - u))) over = 1;
    else if (inc < 0n && inc < BigInt.asIntN(64, -u)) over = -1;
  }
  if (over === 0) return [0, sum];
  if (owtype === OVERFLOW_SAT) return [over, over > 0 ? max : min];
  return [over, signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum)];
}

// ---------------------------------------------------------------------------------------------
// BITOP

export type BitopKind = "and" | "or" | "xor" | "not";

/**
 * bitopCommand's computation: `srcs` (a missing key as an empty string, zero-padded on the
 * right) combined into `out`, which is zeroed and as long as the longest source. NOT takes
 * one source.
 */
export function bitop(op: BitopKind, srcs: Uint8Array[], out: Uint8Array): void {
  const s0 = srcs[0];
  if (op === "not") {
    for (let i = 0; i < s0.length; i++) out[i] = ~s0[i] & 0xff;
    return;
  }
  out.set(s0, 0);
  for (let k = 1; k < srcs.length; k++) {
    const s = srcs[k];
    const n = s.length;
    let i = 0;
    // Whole 32-bit words when both views start on a word boundary (out always does).
    if (((s.byteOffset | out.byteOffset) & 3) === 0 && n >= 16) {
      const words = n >>> 2;
      const w = new Uint32Array(s.buffer, s.byteOffset, words);
      const o = new Uint32Array(out.buffer, out.byteOffset, words);
      if (op === "and") { for (let j = 0; j < words; j++) o[j] &= w[j]; }
      else if (op === "or") { for (let j = 0; j < words; j++) o[j] |= w[j]; }
      else for (let j = 0; j < words; j++) o[j] ^= w[j];
      i = words * 4;
    }
    if (op === "and") {
      for (; i < n; i++) out[i] &= s[i];
      if (n < out.length) out.fill(0, n);
    } else if (op === "or") {
      for (; i < n; i++) out[i] |= s[i];
    } else {
      for (; i < n; i++) out[i] ^= s[i];
    }
  }
}
