/**
 * CRC-64/Jones as Redis computes it (crc64.c): polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor. Check value: crc64(0, "123456789") = 0xe9c6d914c4b8d9ca.
 *
 * Used for the RDB file trailer and the DUMP payload footer (both stored little-endian).
 * The state is two 32-bit halves so the byte loop stays in small-integer arithmetic; a
 * slicing-by-8 table set keeps large RDB payloads fast.
 */

const POLY_REFLECTED = (() => {
  // Bit-reverse the normal-form polynomial.
  let p = 0xad93d23594c935a9n;
  let r = 0n;
  for (let i = 0; i < 64; i++) {
    r = (r << 1n) | (p & 1n);
    p >>= 1n;
  }
  return r;
})();

/**
 * TABLES_LO[k*256+i] / TABLES_HI[...]: slicing-by-8 tables, low and high 32 bits. Built on the
 * first CRC (an RDB save or load, DUMP, RESTORE), not at start: the build loop gets hot enough for
 * V8 to compile it, which an idle node should not pay for.
 */
let TABLES_LO: Uint32Array | null = null;
let TABLES_HI: Uint32Array | null = null;

function buildTables(): void {
  const lo32 = new Uint32Array(256 * 8);
  const hi32 = new Uint32Array(256 * 8);
  const polyLo = Number(POLY_REFLECTED & 0xffffffffn);
  const polyHi = Number(POLY_REFLECTED >> 32n);
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let b = 0; b < 8; b++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    lo32[i] = lo;
    hi32[i] = hi;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const plo = lo32[(k - 1) * 256 + i];
      const phi = hi32[(k - 1) * 256 + i];
      const idx = plo & 0xff;
      lo32[k * 256 + i] = (((plo >>> 8) | (phi << 24)) ^ lo32[idx]) >>> 0;
      hi32[k * 256 + i] = ((phi >>> 8) ^ hi32[idx]) >>> 0;
    }
  }
  TABLES_LO = lo32;
  TABLES_HI = hi32;
}

/** An incremental CRC-64 computation. */
export class Crc64 {
  lo = 0;
  hi = 0;

  constructor(initial = 0n) {
    this.lo = Number(initial & 0xffffffffn);
    this.hi = Number((initial >> 32n) & 0xffffffffn);
  }

  /** Feed `data[start, end)`. */
  update(data: Uint8Array, start = 0, end = data.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    if (TABLES_LO === null) buildTables();
    const TL = TABLES_LO!;
    const TH = TABLES_HI!;
    // Slicing-by-8 over whole 8-byte blocks.
    while (end - i >= 8) {
      const a =
        (lo ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
      const b =
        (hi ^ (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24))) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = (TL[i7] ^ TL[i6] ^ TL[i5] ^ TL[i4] ^ TL[i3] ^ TL[i2] ^ TL[i1] ^ TL[i0]) >>> 0;
      hi = (TH[i7] ^ TH[i6] ^ TH[i5] ^ TH[i4] ^ TH[i3] ^ TH[i2] ^ TH[i1] ^ TH[i0]) >>> 0;
      i += 8;
    }
    for (; i < end; i++) {
      const idx = (lo ^ data[i]) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ TL[idx]) >>> 0;
      hi = ((hi >>> 8) ^ TH[idx]) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The CRC as an unsigned 64-bit bigint. */
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Write the CRC little-endian (as Redis stores it) into `out` at `offset`. */
  writeLE(out: Uint8Array, offset: number): void {
    const lo = this.lo;
    const hi = this.hi;
    out[offset] = lo & 0xff;
    out[offset + 1] = (lo >>> 8) & 0xff;
    out[offset + 2] = (lo >>> 16) & 0xff;
    out[offset + 3] = lo >>> 24;
    out[offset + 4] = hi & 0xff;
    out[offset + 5] = (hi >>> 8) & 0xff;
    out[offset + 6] = (hi >>> 16) & 0xff;
    out[offset + 7] = hi >>> 24;
  }

  /** Does the little-endian CRC stored at `data[offset..offset+8)` equal this one? */
  equalsLE(data: Uint8Array, offset: number): boolean {
    const lo = (data[offset] | (data[offset + 1] << 8) | (data[offset + 2] << 16) |
      (data[offset + 3] << 24)) >>> 0;
    const hi = (data[offset + 4] | (data[offset + 5] << 8) | (data[offset + 6] << 16) |
      (data[offset + 7] << 24)) >>> 0;
    return lo === this.lo && hi === this.hi;
  }
}

/** Redis's crc64(crc, data, len). */
export function crc64(crc: bigint, data: Uint8Array): bigint {
  return new Crc64(crc).update(data).value();
}
