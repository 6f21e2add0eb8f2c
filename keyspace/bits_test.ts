import assert from "node:assert/strict";
import {
  bitcountRange,
  bitfieldOverflow,
  bitop,
  type BitopKind,
  bitposRange,
  clampRange,
  firstBit,
  getBitfield,
  OVERFLOW_FAIL,
  OVERFLOW_SAT,
  OVERFLOW_WRAP,
  type OverflowType,
  popcount,
  setBitfield,
} from "./bits.ts";
import { prng } from "../tests/prng.ts";

const bitAt = (p: Uint8Array, i: number) =>
  i >> 3 < p.length ? (p[i >> 3] >> (7 - (i & 7))) & 1 : 0;

/** Random bytes, biased to runs of 0x00 and 0xff, as a view at a random buffer offset. */
function randomBytes(rnd: () => number, n: number): Uint8Array {
  const skew = Math.floor(rnd() * 4);
  const buf = new Uint8Array(n + skew);
  const p = buf.subarray(skew);
  let i = 0;
  while (i < n) {
    const run = 1 + Math.floor(rnd() * 12);
    const kind = rnd();
    for (let j = 0; j < run && i < n; j++, i++) {
      p[i] = kind < 0.3 ? 0 : kind < 0.6 ? 0xff : Math.floor(rnd() * 256);
    }
  }
  return p;
}

Deno.test("bits: popcount matches a bit-by-bit count at any alignment", () => {
  const rnd = prng(1);
  for (let t = 0; t < 300; t++) {
    const p = randomBytes(rnd, Math.floor(rnd() * 80));
    const s = Math.floor(rnd() * (p.length + 1));
    const e = s + Math.floor(rnd() * (p.length - s + 1));
    let want = 0;
    for (let i = s * 8; i < e * 8; i++) want += bitAt(p, i);
    assert.equal(popcount(p, s, e), want, `seed 1 case ${t}`);
  }
  assert.equal(popcount(new Uint8Array(1 << 20).fill(0xff), 0, 1 << 20), 8 << 20);
});

Deno.test("bits: firstBit is redisBitpos (zero padding for 0, -1 for 1)", () => {
  const rnd = prng(2);
  for (let t = 0; t < 300; t++) {
    const p = randomBytes(rnd, Math.floor(rnd() * 60));
    const s = Math.floor(rnd() * (p.length + 1));
    const count = Math.floor(rnd() * (p.length - s + 1));
    for (const bit of [0, 1] as const) {
      let want = bit ? -1 : count * 8;
      for (let i = 0; i < count * 8; i++) {
        if (bitAt(p, s * 8 + i) === bit) {
          want = i;
          break;
        }
      }
      assert.equal(firstBit(p, s, count, bit), want, `seed 2 case ${t} bit ${bit}`);
    }
  }
  assert.equal(firstBit(new Uint8Array(0), 0, 0, 0), 0);
  assert.equal(firstBit(new Uint8Array(0), 0, 0, 1), -1);
  assert.equal(firstBit(Uint8Array.of(0xff, 0xff, 0xfe), 0, 3, 0), 23);
});

Deno.test("bits: clampRange converts negative indexes and clamps", () => {
  assert.deepEqual(clampRange(0, -1, 10), [0, 9]);
  assert.deepEqual(clampRange(-3, -1, 10), [7, 9]);
  assert.deepEqual(clampRange(-100, 100, 10), [0, 9]);
  assert.deepEqual(clampRange(5, 2, 10), [5, 2]);
  assert.deepEqual(clampRange(0, -1, 0), [0, -1]);
});

Deno.test("bits: bitcountRange and bitposRange match bit-by-bit references", () => {
  const rnd = prng(3);
  for (let t = 0; t < 400; t++) {
    const p = randomBytes(rnd, 1 + Math.floor(rnd() * 20));
    const isBit = rnd() < 0.5;
    const total = isBit ? p.length * 8 : p.length;
    const [s, e] = clampRange(
      Math.floor(rnd() * total * 2) - total,
      Math.floor(rnd() * total * 2) - total,
      total,
    );
    const unit = isBit ? 1 : 8;
    let count = 0;
    for (let i = s * unit; i <= e * unit + unit - 1; i++) count += bitAt(p, i);
    assert.equal(bitcountRange(p, s, e, isBit), s > e ? 0 : count, `seed 3 case ${t}`);
    for (const bit of [0, 1] as const) {
      for (const endGiven of [false, true]) {
        // With no end given, BITPOS's range ends at the string's end.
        const end = endGiven ? e : total - 1;
        let want = -1;
        if (s <= end) {
          for (let i = s * unit; i <= end * unit + unit - 1; i++) {
            if (bitAt(p, i) === bit) {
              want = i;
              break;
            }
          }
          // Without an explicit end, a clear bit is found right after the string.
          if (want === -1 && bit === 0 && !endGiven) want = p.length * 8;
        }
        const got = bitposRange(p, bit, s, end, isBit, endGiven);
        assert.equal(got, want, `seed 3 case ${t} bit ${bit} endGiven ${endGiven} isBit ${isBit}`);
      }
    }
  }
});

/** Bit-by-bit references of getUnsignedBitfield / setUnsignedBitfield (BigInt). */
function refGet(p: Uint8Array, offset: number, bits: number, signed: boolean): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) v = (v << 1n) | BigInt(bitAt(p, offset + j));
  return signed ? BigInt.asIntN(bits, v) : v;
}

function refSet(p: Uint8Array, offset: number, bits: number, value: bigint): void {
  const u = BigInt.asUintN(bits, value);
  for (let j = 0; j < bits; j++) {
    const bit = Number((u >> BigInt(bits - 1 - j)) & 1n);
    const i = offset + j;
    p[i >> 3] = (p[i >> 3] & ~(1 << (7 - (i & 7)))) | (bit << (7 - (i & 7)));
  }
}

Deno.test("bits: getBitfield and setBitfield match bit-by-bit references (1..64 bits)", () => {
  const rnd = prng(4);
  for (let t = 0; t < 2000; t++) {
    const p = randomBytes(rnd, 12);
    const bits = 1 + Math.floor(rnd() * 64);
    const signed = rnd() < 0.5 || bits === 64;
    const offset = Math.floor(rnd() * (12 * 8 - bits + 1 + 16)); // also past the end
    const got = getBitfield(p, offset, bits, signed);
    assert.equal(BigInt(got), refGet(p, offset, bits, signed), `seed 4 case ${t}`);
    assert.equal(typeof got, bits <= 32 ? "number" : "bigint");
    if (offset + bits > 12 * 8) continue;
    const value = BigInt.asIntN(
      64,
      BigInt(Math.floor(rnd() * 2 ** 32)) << 32n |
        BigInt(Math.floor(rnd() * 2 ** 32)),
    );
    const q = p.slice();
    const r = p.slice();
    setBitfield(q, offset, bits, bits <= 32 ? Number(BigInt.asIntN(bits, value)) : value);
    refSet(r, offset, bits, value);
    assert.deepEqual(q, r, `seed 4 set case ${t}`);
  }
});

/** A direct port of Redis's check*BitfieldOverflow with C's 64-bit wrapping arithmetic. */
function refOverflow(
  value: bigint,
  incr: bigint,
  bits: number,
  signed: boolean,
  owtype: OverflowType,
): [number, bigint | undefined] {
  const i64 = (x: bigint) => BigInt.asIntN(64, x);
  const u64 = (x: bigint) => BigInt.asUintN(64, x);
  if (!signed) {
    const v = u64(value); // the uint64_t argument
    const max = bits === 64 ? u64(-1n) : (1n << BigInt(bits)) - 1n;
    const maxincr = i64(max - v);
    const minincr = i64(-v);
    const wrap = (): bigint => u64(v + incr) & u64(~(u64(-1n) << BigInt(bits)));
    if (v > max || (incr > 0n && incr > maxincr)) {
      return [1, owtype === OVERFLOW_WRAP ? wrap() : owtype === OVERFLOW_SAT ? max : undefined];
    } else if (incr < 0n && incr < minincr) {
      return [-1, owtype === OVERFLOW_WRAP ? wrap() : owtype === OVERFLOW_SAT ? 0n : undefined];
    }
    return [0, undefined];
  }
  const max = bits === 64 ? (1n << 63n) - 1n : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = i64(u64(max) - u64(value));
  const minincr = i64(min - value);
  const wrap = (): bigint => {
    let c = u64(u64(value) + u64(incr));
    if (bits < 64) {
      const mask = u64(u64(-1n) << BigInt(bits));
      c = c & (1n << BigInt(bits - 1)) ? c | mask : c & u64(~mask);
    }
    return i64(c);
  };
  if (
    value > max || (bits !== 64 && incr > maxincr) ||
    (value >= 0n && incr > 0n && incr > maxincr)
  ) {
    return [1, owtype === OVERFLOW_WRAP ? wrap() : owtype === OVERFLOW_SAT ? max : undefined];
  } else if (
    value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)
  ) {
    return [-1, owtype === OVERFLOW_WRAP ? wrap() : owtype === OVERFLOW_SAT ? min : undefined];
  }
  return [0, undefined];
}

Deno.test("bits: bitfieldOverflow matches Redis's overflow checks (SET and INCRBY)", () => {
  const rnd = prng(5);
  const interesting = [
    0n,
    1n,
    -1n,
    127n,
    128n,
    -128n,
    -129n,
    255n,
    256n,
    (1n << 63n) - 1n,
    -(1n << 63n),
    1n << 62n,
    (1n << 32n) - 1n,
    1n << 32n,
    -(1n << 31n),
    1n << 53n,
  ];
  const rand64 = (): bigint => {
    const r = rnd();
    if (r < 0.3) return interesting[Math.floor(rnd() * interesting.length)];
    if (r < 0.6) return BigInt(Math.floor(rnd() * 600) - 300);
    const w = BigInt(Math.floor(rnd() * 2 ** 32)) << 32n | BigInt(Math.floor(rnd() * 2 ** 32));
    return BigInt.asIntN(64, w >> BigInt(Math.floor(rnd() * 64)));
  };
  for (let t = 0; t < 20000; t++) {
    const signed = rnd() < 0.5;
    const bits = 1 + Math.floor(rnd() * (signed ? 64 : 63));
    const owtype = Math.floor(rnd() * 3) as OverflowType;
    const isSet = rnd() < 0.4;
    // INCRBY starts from a value the field can hold; SET passes any int64 with no increment.
    const stored = refGet(randomBytes(rnd, 8), 0, bits, signed);
    const value = isSet ? rand64() : stored;
    const incr = isSet ? 0n : rand64();
    const [wantOver, wantLimit] = refOverflow(value, incr, bits, signed, owtype);
    const asArg = (
      x: bigint,
    ) => (rnd() < 0.5 && x >= -(2n ** 52n) && x <= 2n ** 52n ? Number(x) : x);
    const [over, result] = bitfieldOverflow(asArg(value), asArg(incr), bits, signed, owtype);
    const what = `seed 5 case ${t}: ${signed ? "i" : "u"}${bits} ${value} + ${incr} (${owtype})`;
    assert.equal(over, wantOver, what);
    if (over === 0) assert.equal(BigInt(result), value + incr, what);
    else if (owtype !== OVERFLOW_FAIL) {
      // The stored field keeps the low bits: compare as the field reads back.
      const want = signed ? BigInt.asIntN(bits, wantLimit!) : BigInt.asUintN(bits, wantLimit!);
      assert.equal(BigInt(result), want, what);
    }
  }
});

Deno.test("bits: bitop matches a byte-by-byte reference (zero padding, NOT)", () => {
  const rnd = prng(6);
  for (let t = 0; t < 300; t++) {
    const op = (["and", "or", "xor", "not"] as BitopKind[])[Math.floor(rnd() * 4)];
    const n = op === "not" ? 1 : 1 + Math.floor(rnd() * 4);
    const srcs = Array.from({ length: n }, () => randomBytes(rnd, Math.floor(rnd() * 70)));
    const maxlen = Math.max(...srcs.map((s) => s.length));
    const want = new Uint8Array(maxlen);
    for (let j = 0; j < maxlen; j++) {
      let o = j < srcs[0].length ? srcs[0][j] : 0;
      if (op === "not") o = ~o & 0xff;
      for (let k = 1; k < n; k++) {
        const b = j < srcs[k].length ? srcs[k][j] : 0;
        o = op === "and" ? o & b : op === "or" ? o | b : o ^ b;
      }
      want[j] = o;
    }
    const out = new Uint8Array(maxlen);
    bitop(op, srcs, out);
    assert.deepEqual(out, want, `seed 6 case ${t} ${op}`);
  }
});
