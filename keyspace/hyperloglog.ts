/**
 * HyperLogLog values as Redis 7.0 keeps them (hyperloglog.c), byte for byte: a 16-byte header
 * ("HYLL", encoding, 3 unused bytes, the cached cardinality as 8 little-endian bytes whose top bit
 * marks it stale) followed by either the sparse registers (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy,
 * VAL 1vvvvvxx opcodes) or the dense ones (16384 registers of 6 bits, LSB first).
 *
 * Pure code over bytes: MurmurHash64A (seed 0xadc83b19), hllPatLen, the dense get/set macros,
 * hllSparseSet with its in-place split/merge and its promotion to dense past
 * `hll-sparse-max-bytes` (the caller passes the live value), hllSparseToDense, hllMerge, and
 * hllCount with Ertl's estimator (hllSigma/hllTau), including what the C code does with
 * corrupted input (an invalid sparse string is reported, never thrown on; reads past the end see
 * the sds terminator, a zero byte). As the redis-server 7.0.15 we compare with (Debian's build,
 * with the CVE-2025-32023 fix), a sparse string is valid only when its opcodes cover exactly
 * 16384 registers: a run past the last register makes it invalid, a VAL run included.
 *
 * A value being changed is an `HllBuf`: the string bytes plus spare room, as the sds Redis edits
 * in place. Stored values are never changed: callers copy in (`HllBuf.from`) and out (`bytes`).
 */

export const HLL_P = 14;
/** Hash bits used for the zero-run length. */
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
export const HLL_BITS = 6;
export const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
/** Offset of the encoding byte in the header. */
const ENC = 4;
/** Offset of the last cached-cardinality byte (its bit 7 marks the cache stale). */
const CARD7 = 15;

const HLL_SPARSE_VAL_MAX_VALUE = 32;
const HLL_SPARSE_VAL_MAX_LEN = 4;
const HLL_SPARSE_ZERO_MAX_LEN = 64;
const HLL_SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5/ln(2) */
const HLL_ALPHA_INF = 0.721347520444481703680;

export const HLL_SEED = 0xadc83b19;

// ---------------------------------------------------------------------------------------------
// MurmurHash64A over (hi, lo) 32-bit halves

/** 64-bit product mod 2^64 of (ah,al)*(bh,bl); the result is left in mulHi/mulLo. */
let mulHi = 0;
let mulLo = 0;
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mulHi = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) >>> 0;
}

const MH = 0xc6a4a793;
const ML = 0x5bd1e995;

/** The hash's halves after `murmurHash64A` (hashHi: bits 32..63, hashLo: bits 0..31). */
export let hashHi = 0;
export let hashLo = 0;

/** MurmurHash64A (Redis's endian-neutral variant) of `data`; the result in hashHi/hashLo. */
export function murmurHash64A(data: Uint8Array, seed: number): void {
  const len = data.length;
  mul64(0, len >>> 0, MH, ML);
  let hh = mulHi;
  let hl = (mulLo ^ seed) >>> 0;
  const end = len - (len & 7);
  let i = 0;
  while (i < end) {
    let kl = (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
    let kh = (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24)) >>> 0;
    mul64(kh, kl, MH, ML);
    kh = mulHi;
    kl = (mulLo ^ (kh >>> 15)) >>> 0; // k ^= k >> 47
    mul64(kh, kl, MH, ML);
    hh = (hh ^ mulHi) >>> 0;
    hl = (hl ^ mulLo) >>> 0;
    mul64(hh, hl, MH, ML);
    hh = mulHi;
    hl = mulLo;
    i += 8;
  }
  const rest = len & 7;
  if (rest !== 0) {
    if (rest >= 7) hh ^= data[i + 6] << 16;
    if (rest >= 6) hh ^= data[i + 5] << 8;
    if (rest >= 5) hh ^= data[i + 4];
    if (rest >= 4) hl ^= data[i + 3] << 24;
    if (rest >= 3) hl ^= data[i + 2] << 16;
    if (rest >= 2) hl ^= data[i + 1] << 8;
    hl ^= data[i];
    mul64(hh >>> 0, hl >>> 0, MH, ML);
    hh = mulHi;
    hl = mulLo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, MH, ML);
  hh = mulHi;
  hl = (mulLo ^ (mulHi >>> 15)) >>> 0;
  hashHi = hh;
  hashLo = hl;
}

/**
 * hllPatLen: the register index an element hashes to and the length of its 000..1 pattern
 * (1..51), packed as `index * 64 + count`.
 */
export function hllPatLen(ele: Uint8Array): number {
  murmurHash64A(ele, HLL_SEED);
  const index = hashLo & HLL_P_MASK;
  // hash >>= P; hash |= 1 << Q: bits 14..63 of the hash, then a 1 at bit 50.
  const low = ((hashLo >>> HLL_P) | (hashHi << (32 - HLL_P))) >>> 0;
  let count: number;
  if (low !== 0) count = 32 - Math.clz32(low & -low);
  else {
    const high = (hashHi >>> HLL_P) | (1 << (HLL_Q - 32));
    count = 32 + 32 - Math.clz32(high & -high);
  }
  return index * 64 + count;
}

// ---------------------------------------------------------------------------------------------
// Dense registers

/** HLL_DENSE_GET_REGISTER on the registers starting at `off` (a byte past the end reads 0). */
export function denseGet(b: Uint8Array, off: number, regnum: number): number {
  const byte = off + ((regnum * HLL_BITS) >> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const b1 = byte + 1 < b.length ? b[byte + 1] : 0;
  return ((b[byte] >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER. */
export function denseSetRaw(b: Uint8Array, off: number, regnum: number, val: number): void {
  const byte = off + ((regnum * HLL_BITS) >> 3);
  const fb = (regnum * HLL_BITS) & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (byte + 1 < b.length) {
    b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (val >> fb8);
  }
}

/** hllDenseSet: raise register `index` to `count`; true when it changed. */
export function hllDenseSet(b: Uint8Array, off: number, index: number, count: number): boolean {
  if (count > denseGet(b, off, index)) {
    denseSetRaw(b, off, index, count);
    return true;
  }
  return false;
}

/** hllDenseRegHisto: add the dense registers at `off` to `histo` (64 slots). */
function denseRegHisto(r: Uint8Array, off: number, histo: Int32Array): void {
  let p = off;
  for (let j = 0; j < HLL_REGISTERS / 4; j++) {
    const a = r[p], b = r[p + 1], c = r[p + 2];
    histo[a & 63]++;
    histo[((a >> 6) | (b << 2)) & 63]++;
    histo[((b >> 4) | (c << 4)) & 63]++;
    histo[(c >> 2) & 63]++;
    p += 3;
  }
}

// ---------------------------------------------------------------------------------------------
// The value being changed

/** An HLL string with spare room (an sds): `buf[0, len)` is the value, `buf[len]` is 0. */
export class HllBuf {
  constructor(public buf: Uint8Array, public len: number) {}

  /**
   * A working copy of a stored value whose byte past the end (the sds terminator) is
   * `terminator`: 0, unless an earlier change left another byte there (see `terminator`).
   */
  static from(v: Uint8Array, terminator = 0): HllBuf {
    const buf = new Uint8Array(v.length + (v[ENC] === HLL_SPARSE ? 64 : 1));
    buf.set(v);
    buf[v.length] = terminator;
    return new HllBuf(buf, v.length);
  }

  /** createHLLObject: an empty sparse HLL (XZERO opcodes covering every register). */
  static create(): HllBuf {
    const xzeros = Math.ceil(HLL_REGISTERS / HLL_SPARSE_XZERO_MAX_LEN);
    const len = HLL_HDR_SIZE + xzeros * 2;
    const buf = new Uint8Array(len + 64);
    buf.set([72, 89, 76, 76, HLL_SPARSE]);
    let aux = HLL_REGISTERS;
    let p = HLL_HDR_SIZE;
    while (aux) {
      const xzero = Math.min(HLL_SPARSE_XZERO_MAX_LEN, aux);
      buf[p] = ((xzero - 1) >> 8) | 0x40;
      buf[p + 1] = (xzero - 1) & 0xff;
      p += 2;
      aux -= xzero;
    }
    return new HllBuf(buf, len);
  }

  get encoding(): number {
    return this.buf[ENC];
  }

  /** The value's bytes, copied into `out` (or a new array) of exactly `len` bytes. */
  bytes(out: Uint8Array = new Uint8Array(this.len)): Uint8Array {
    if (out.length !== this.len) throw new Error("HllBuf.bytes: wrong output length");
    out.set(this.buf.subarray(0, this.len));
    return out;
  }

  /** sdsMakeRoomFor: at least `n` spare bytes past `len` (the terminator byte kept). */
  makeRoom(n: number): void {
    if (this.len + n + 1 <= this.buf.length) return;
    const nb = new Uint8Array(Math.max((this.len + n + 1) * 2, 64));
    nb.set(this.buf.subarray(0, this.len + 1));
    this.buf = nb;
  }

  /**
   * The byte past the end, which a trailing XZERO opcode reads as its second byte. sdsIncrLen
   * zeroes it, but hllSparseSet then writes its new opcodes: when the opcode it replaces is a
   * lone XZERO first byte at the very end, the last new byte lands past the end and stays there
   * (Redis keeps it with the string until something copies or extends it).
   */
  get terminator(): number {
    return this.buf[this.len];
  }

  /** sdsIncrLen: the terminator byte zeroed. */
  incrLen(delta: number): void {
    this.len += delta;
    this.buf[this.len] = 0;
  }

  invalidateCache(): void {
    this.buf[CARD7] |= 0x80;
  }
}

// ---------------------------------------------------------------------------------------------
// Validity, cache

/** isHLLObjectOrReply's checks on a string value: header, magic, encoding, dense length. */
export function isHllString(v: Uint8Array): boolean {
  if (v.length < HLL_HDR_SIZE) return false;
  if (v[0] !== 72 || v[1] !== 89 || v[2] !== 76 || v[3] !== 76) return false;
  const enc = v[ENC];
  if (enc > HLL_MAX_ENCODING) return false;
  return enc !== HLL_DENSE || v.length === HLL_DENSE_SIZE;
}

/** The cached cardinality (uint64), or null when the cache is marked stale. */
export function cachedCard(v: Uint8Array): bigint | null {
  if (v[CARD7] & 0x80) return null;
  let card = 0n;
  for (let i = CARD7; i >= 8; i--) card = (card << 8n) | BigInt(v[i]);
  return card;
}

/** Store `card` (uint64) as the cached cardinality (its top bit may mark the cache stale). */
export function setCachedCard(v: Uint8Array, card: bigint): void {
  for (let i = 8; i <= CARD7; i++) {
    v[i] = Number(card & 0xffn);
    card >>= 8n;
  }
}

// ---------------------------------------------------------------------------------------------
// Sparse representation

/** The length in registers of the sparse opcode at `p` (XZERO reads its second byte). */
function opSpan(b: Uint8Array, p: number): number {
  const op = b[p];
  if ((op & 0xc0) === 0) return (op & 0x3f) + 1;
  if (op & 0x80) return (op & 3) + 1;
  return (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
}

function valSet(b: Uint8Array, p: number, val: number, len: number): void {
  b[p] = ((val - 1) << 2) | (len - 1) | 0x80;
}

/** A ZERO or XZERO opcode for `len` zero registers at `n`; returns the next write position. */
function zeroRun(seq: Uint8Array, n: number, len: number): number {
  if (len > HLL_SPARSE_ZERO_MAX_LEN) {
    seq[n] = ((len - 1) >> 8) | 0x40;
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

const seq = new Uint8Array(5);

/**
 * hllSparseSet: raise register `index` to `count` in a sparse HLL, splitting the opcode that
 * covers it and merging equal VAL neighbours, promoting to dense when `count` is over 32 or the
 * string would grow past `maxBytes`. 1 when the register changed, 0 when it did not, -1 when the
 * sparse string is corrupted (the value is then unchanged by this call).
 */
export function hllSparseSet(h: HllBuf, index: number, count: number, maxBytes: number): number {
  if (count > HLL_SPARSE_VAL_MAX_VALUE) return promote(h, index, count);
  h.makeRoom(3);
  let b = h.buf;
  const sparse = HLL_HDR_SIZE;
  let p = sparse;
  let end = h.len;
  let first = 0;
  let prev = -1;
  let span = 0;
  // Step 1: the opcode covering `index`.
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if (op & 0x80) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;

  const op = b[p];
  let next = (op & 0xc0) === 0x40 ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const isZero = (op & 0xc0) === 0;
  const isXzero = (op & 0xc0) === 0x40;
  const isVal = (op & 0x80) !== 0;
  const runlen = opSpan(b, p);

  let updated = false;
  if (isVal) {
    const oldcount = ((op >> 2) & 0x1f) + 1;
    if (oldcount >= count) return 0; // Case A.
    if (runlen === 1) { // Case B.
      valSet(b, p, count, 1);
      updated = true;
    }
  }
  if (!updated && isZero && runlen === 1) { // Case C.
    valSet(b, p, count, 1);
    updated = true;
  }
  if (!updated) {
    // Case D: split the opcode into up to three (XZERO-VAL-XZERO at worst).
    let n = 0;
    const last = first + span - 1;
    if (isZero || isXzero) {
      if (index !== first) n = zeroRun(seq, n, index - first);
      valSet(seq, n++, count, 1);
      if (index !== last) n = zeroRun(seq, n, last - index);
    } else {
      const curval = ((op >> 2) & 0x1f) + 1;
      if (index !== first) valSet(seq, n++, curval, index - first);
      valSet(seq, n++, count, 1);
      if (index !== last) valSet(seq, n++, curval, last - index);
    }
    // Step 3: put the new sequence in place of the old opcode.
    const seqlen = n;
    const oldlen = isXzero ? 2 : 1;
    const deltalen = seqlen - oldlen;
    if (deltalen > 0 && h.len + deltalen > maxBytes) return promote(h, index, count);
    if (deltalen !== 0 && next !== -1) b.copyWithin(next + deltalen, next, end);
    h.incrLen(deltalen);
    b = h.buf;
    b.set(seq.subarray(0, seqlen), p);
    end += deltalen;
  }

  // Step 4: merge adjacent VAL opcodes of equal value, up to 5 opcodes from `prev`.
  p = prev !== -1 ? prev : sparse;
  let scanlen = 5;
  while (p < end && scanlen--) {
    const o = b[p];
    if ((o & 0xc0) === 0x40) {
      p += 2;
      continue;
    } else if ((o & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && (b[p + 1] & 0x80)) {
      const v1 = ((o >> 2) & 0x1f) + 1;
      const v2 = ((b[p + 1] >> 2) & 0x1f) + 1;
      if (v1 === v2) {
        const len = (o & 3) + 1 + (b[p + 1] & 3) + 1;
        if (len <= HLL_SPARSE_VAL_MAX_LEN) {
          valSet(b, p + 1, v1, len);
          b.copyWithin(p, p + 1, end + 1);
          h.incrLen(-1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
  h.invalidateCache();
  return 1;
}

/** The promote label of hllSparseSet: convert to dense, then set the register there. */
function promote(h: HllBuf, index: number, count: number): number {
  if (!hllSparseToDense(h)) return -1;
  hllDenseSet(h.buf, HLL_HDR_SIZE, index, count);
  return 1;
}

/**
 * hllSparseToDense: the dense form of a sparse HLL (header copied, cache included). False, and
 * the value unchanged, when the sparse string does not cover exactly 16384 registers.
 */
export function hllSparseToDense(h: HllBuf): boolean {
  const b = h.buf;
  if (b[ENC] === HLL_DENSE) return true;
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  dense.set(b.subarray(0, HLL_HDR_SIZE));
  dense[ENC] = HLL_DENSE;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = h.len;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      idx += (((op & 0x3f) << 8) | b[p + 1]) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >> 2) & 0x1f) + 1;
      if (runlen + idx > HLL_REGISTERS) return false;
      while (runlen--) denseSetRaw(dense, HLL_HDR_SIZE, idx++, regval);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  h.buf = dense;
  h.len = HLL_DENSE_SIZE;
  return true;
}

/** hllAdd: add one element; 1 when a register changed, 0 when not, -1 when corrupted. */
export function hllAdd(h: HllBuf, ele: Uint8Array, maxBytes: number): number {
  const pat = hllPatLen(ele);
  const index = pat >> 6;
  const count = pat & 63;
  switch (h.buf[ENC]) {
    case HLL_DENSE:
      return hllDenseSet(h.buf, HLL_HDR_SIZE, index, count) ? 1 : 0;
    case HLL_SPARSE:
      return hllSparseSet(h, index, count, maxBytes);
    default:
      return -1;
  }
}

/**
 * hllMerge: max[i] = MAX(max[i], register i) over a valid HLL string. False when a sparse
 * string does not cover exactly 16384 registers (`max` may then be partly updated).
 * `terminator` is the byte past the end (HllBuf.terminator), here and below.
 */
export function hllMerge(max: Uint8Array, v: Uint8Array, terminator = 0): boolean {
  if (v[ENC] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(v, HLL_HDR_SIZE, i);
      if (val > max[i]) max[i] = val;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HDR_SIZE;
  const end = v.length;
  while (p < end) {
    const op = v[p];
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | (p + 1 < end ? v[p + 1] : terminator)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >> 2) & 0x1f) + 1;
      if (runlen + i > HLL_REGISTERS) return false;
      while (runlen--) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

// ---------------------------------------------------------------------------------------------
// Cardinality

/** hllSigma (Ertl, arXiv:1702.01284). */
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau (Ertl, arXiv:1702.01284). */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

const TWO_63 = 9223372036854775808;

/**
 * The estimate from a register histogram (hllCount's tail), as the uint64 Redis computes:
 * `(uint64_t)(double)llroundl(E)`, where an E out of the long long range (an infinite one
 * included) gives LLONG_MIN, that is 2^63 once cast.
 */
function estimate(histo: Int32Array): bigint {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  const e = HLL_ALPHA_INF * m * m / z;
  if (!(e < TWO_63)) return 1n << 63n;
  return BigInt(Math.round(e));
}

/**
 * hllCount of a valid HLL string: its cardinality estimate (uint64), or null when a sparse
 * string does not cover exactly 16384 registers.
 */
export function hllCount(v: Uint8Array, terminator = 0): bigint | null {
  const histo = new Int32Array(64);
  if (v[ENC] === HLL_DENSE) denseRegHisto(v, HLL_HDR_SIZE, histo);
  else {
    // hllSparseRegHisto.
    let idx = 0;
    let p = HLL_HDR_SIZE;
    const end = v.length;
    while (p < end) {
      const op = v[p];
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        idx += runlen;
        histo[0] += runlen;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const runlen = (((op & 0x3f) << 8) | (p + 1 < end ? v[p + 1] : terminator)) + 1;
        idx += runlen;
        histo[0] += runlen;
        p += 2;
      } else {
        const runlen = (op & 3) + 1;
        idx += runlen;
        histo[((op >> 2) & 0x1f) + 1] += runlen;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return null;
  }
  return estimate(histo);
}

/** hllCount of the HLL_RAW encoding: one byte per register (PFCOUNT of several keys). */
export function hllCountRaw(registers: Uint8Array): bigint {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[registers[i] & 63]++;
  return estimate(histo);
}

// ---------------------------------------------------------------------------------------------
// PFDEBUG helpers

/** PFDEBUG DECODE's text for a sparse string ("Z:16384", "z:3 v:2,1 ..."). */
export function sparseDecode(v: Uint8Array, terminator = 0): string {
  const parts: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < v.length) {
    const op = v[p];
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      const low = p + 1 < v.length ? v[p + 1] : terminator;
      parts.push(`Z:${(((op & 0x3f) << 8) | low) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/** The 16384 registers of a dense string. */
export function denseRegisters(v: Uint8Array): Uint8Array {
  const out = new Uint8Array(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(v, HLL_HDR_SIZE, i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// PFSELFTEST

/**
 * pfselftestCommand's checks: dense register access over `cycles` rounds of random values, then
 * `elements` distinct elements added to a dense and a sparse HLL whose estimates must agree and
 * stay within 6 standard errors at each power of ten. Null on success, else the error text.
 * `random32` stands for rand().
 */
export function hllSelfTest(
  maxBytes: number,
  random32: () => number,
  cycles = 1000,
  elements = 10000000,
): string | null {
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < cycles; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = random32() & HLL_REGISTER_MAX;
      bytecounters[i] = r;
      denseSetRaw(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(dense, HLL_HDR_SIZE, i);
      if (val !== bytecounters[i]) {
        return `TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`;
      }
    }
  }
  dense.fill(0, HLL_HDR_SIZE);
  dense.set([72, 89, 76, 76, HLL_DENSE]);
  const o = HllBuf.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = random32() >>> 0;
  const seedHi = random32() >>> 0;
  const ele = new Uint8Array(8);
  const dv = new DataView(ele.buffer);
  const denseView = dense.subarray(0, HLL_DENSE_SIZE);
  for (let j = 1; j <= elements; j++) {
    dv.setUint32(0, (j ^ seedLo) >>> 0, true);
    dv.setUint32(4, seedHi, true);
    const pat = hllPatLen(ele);
    hllDenseSet(dense, HLL_HDR_SIZE, pat >> 6, pat & 63);
    hllAdd(o, ele, maxBytes);
    if (j !== checkpoint) continue;
    if (j < Math.floor(maxBytes / 2) && o.encoding !== HLL_SPARSE) {
      return "TESTFAILED sparse encoding not used";
    }
    const denseCard = hllCount(denseView)!;
    if (denseCard !== hllCount(o.buf.subarray(0, o.len))) {
      return "TESTFAILED dense/sparse disagree";
    }
    let abserr = BigInt(checkpoint) - denseCard;
    let maxerr = BigInt(Math.ceil(relerr * 6 * checkpoint));
    if (j === 10) maxerr = 1n;
    if (abserr < 0n) abserr = -abserr;
    if (abserr > maxerr) {
      return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    }
    checkpoint *= 10;
  }
  return null;
}
