/**
 * LZF compression as Redis 7.0 uses it (its bundled liblzf 3.6 lzf_c.c with HLOG 16, VERY_FAST;
 * lzf_d.c). Matches may run to the very end of the input (no `ip + 4 < in_end` guard of later
 * liblzf releases), which changes the bytes produced for some inputs.
 *
 * Stream format:
 *   000LLLLL <L+1 literal bytes>
 *   LLLooooo oooooooo             back reference of length L+2 (L in 1..6), offset o+1
 *   111ooooo LLLLLLLL oooooooo    back reference of length L+9
 *
 * The compressor follows liblzf's algorithm with a zeroed hash table, so for a given input it
 * produces the same bytes Redis does (liblzf leaves its table uninitialised, which only ever adds
 * valid matches, so outputs can in rare cases differ while both stay valid).
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Reused hash table (single-threaded). Positions are stored + 1; a slot counts only when its
 * generation is the current call's, so no per-call clearing of the 64K slots is needed. Made on
 * the first compression (512 KiB a node that never saves does not hold).
 */
let sharedHtab: Int32Array | null = null;
let sharedHtabGen: Uint32Array | null = null;
let generation = 0;

/**
 * Compress `input` into at most `maxOut` bytes. Returns the compressed bytes, or null when the
 * output would not fit (as lzf_compress returning 0).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Uint8Array | null {
  const inLen = input.length;
  if (inLen === 0 || maxOut <= 0) return null;
  const htab = sharedHtab ??= new Int32Array(HSIZE);
  const htabGen = sharedHtabGen ??= new Uint32Array(HSIZE);
  generation = (generation + 1) >>> 0;
  if (generation === 0) {
    htabGen.fill(0);
    generation = 1;
  }
  const gen = generation;
  const out = new Uint8Array(maxOut);
  const outEnd = maxOut;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run

  let hval = ((input[0] << 8) | input[1]) >>> 0;
  while (ip < inLen - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = ((hval >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1);
    const ref = htabGen[slot] === gen ? htab[slot] - 1 : -1; // -1 when empty
    htab[slot] = ip + 1;
    htabGen[slot] = gen;
    const off = ip - ref - 1;
    if (
      ref > 0 && ref < ip && off < MAX_OFF &&
      input[ref + 2] === input[ip + 2] && input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      let maxlen = inLen - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;

      // First a fast conservative test, then the exact one.
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return null;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero

      // lzf_c.c's loop: when maxlen > 16, sixteen steps unchecked against maxlen come first, so
      // a match of a maxlen of 17 or 18 may run to 19 bytes (up to the end of the input).
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16 && !mismatch; k++) {
          len++;
          mismatch = input[ref + len] !== input[ip + len];
        }
      }
      if (!mismatch) { do len++; while (len < maxlen && input[ref + len] === input[ip + len]); }

      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run

      ip += len + 1;
      if (ip >= inLen - 2) break;

      // VERY_FAST: hash the two positions before the new ip.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      let s = ((hval >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1);
      htab[s] = ip + 1;
      htabGen[s] = gen;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      s = ((hval >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1);
      htab[s] = ip + 1;
      htabGen[s] = gen;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inLen) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/** Thrown for a corrupt stream or a length mismatch. */
export class LzfError extends Error {}

/**
 * Decompress `input`, which must expand to exactly `outLen` bytes (Redis stores the original
 * length beside the compressed blob and rejects any mismatch).
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  const inLen = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inLen) {
    let ctrl = input[ip++];
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen) throw new LzfError("lzf: output overflow");
      if (ip + ctrl > inLen) throw new LzfError("lzf: truncated literal");
      // Runs are at most 32 bytes: a plain loop beats subarray + set.
      for (let i = 0; i < ctrl; i++) out[op + i] = input[ip + i];
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inLen) throw new LzfError("lzf: truncated back reference");
      if (len === 7) {
        len += input[ip++];
        if (ip >= inLen) throw new LzfError("lzf: truncated back reference");
      }
      ref -= input[ip++];
      len += 2;
      if (op + len > outLen) throw new LzfError("lzf: output overflow");
      if (ref < 0) throw new LzfError("lzf: back reference before start");
      for (let i = 0; i < len; i++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new LzfError("lzf: length mismatch");
  return out;
}
