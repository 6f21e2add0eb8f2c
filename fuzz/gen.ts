/**
 * Random building blocks shared by the fuzzer's pure generators and mutators: per-input
 * generators derived from the run's one seed, random bytes, and the "interesting" numbers a
 * structure-aware mutator writes into length, count and epoch fields (bounds, off-by-ones, sign
 * and width boundaries), in the spirit of AFL's interesting values.
 *
 * Pure: every draw comes from the `Prng` passed in (cluster/prng.ts).
 */

import { Prng } from "../cluster/prng.ts";

/**
 * The generator of input `index` of `stream` in a run seeded `seed`: a pure function of the
 * three, so input i can be rebuilt alone (`--replay`), whatever ran before it.
 */
export function inputRng(seed: number, stream: "client" | "bus", index: number): Prng {
  const salt = stream === "client" ? 0x51ed270b : 0x2545f491;
  const mixed = Math.imul((seed >>> 0) ^ salt, 0x9e3779b1) >>> 0;
  // index < 2^32 in practice; keep it exact as the high half of a 53-bit seed.
  return new Prng(((index % 0x200000) * 0x100000000) + (mixed ^ Math.floor(index / 0x200000)));
}

export function randomBytes(rng: Prng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

/** Bytes from `alphabet` mostly (chance `pAlphabet`), any byte otherwise. */
export function biasedBytes(
  rng: Prng,
  n: number,
  alphabet: Uint8Array,
  pAlphabet: number,
): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = rng.chance(pAlphabet) ? alphabet[rng.int(alphabet.length)] : rng.int(256);
  }
  return out;
}

/** A length biased to small values: 0..max, half of the draws below 16. */
export function smallLength(rng: Prng, max: number): number {
  return rng.chance(0.5) ? rng.int(Math.min(16, max) + 1) : rng.int(max + 1);
}

/** Interesting unsigned values of a field `bits` wide, around `actual` (the true value). */
export function interestingUint(rng: Prng, bits: 8 | 16 | 32, actual: number): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const c = [0, 1, max, max - 1, max >>> 1, (max >>> 1) + 1, actual - 1, actual + 1, actual * 2];
  if (bits >= 16) c.push(0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000);
  const v = rng.chance(0.85) ? rng.pick(c) : rng.int(max + 1);
  return Math.min(max, Math.max(0, v));
}

/** Interesting u64 values (epochs, offsets): small ones, 2^53 edges, 2^63 and 2^64 edges. */
export const INTERESTING_U64: readonly bigint[] = [
  0n,
  1n,
  2n,
  100n,
  0xffffffffn,
  0x100000000n,
  (1n << 53n) - 1n,
  1n << 53n,
  (1n << 53n) + 1n,
  (1n << 63n) - 1n,
  1n << 63n,
  (1n << 64n) - 2n,
  (1n << 64n) - 1n,
];

export function interestingU64(rng: Prng): bigint {
  if (rng.chance(0.8)) return rng.pick(INTERESTING_U64);
  return (BigInt(rng.nextU32()) << 32n) | BigInt(rng.nextU32());
}

/** Decimal strings a RESP length or count field may hold, valid or not. */
export function interestingDecimal(rng: Prng, actual: number): string {
  const c = [
    "0",
    "-1",
    "-2",
    "-2147483648",
    String(actual - 1),
    String(actual + 1),
    String(actual * 10),
    "1048577",
    "536870912",
    "536870913",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "",
    "+1",
    " 1",
    "1 ",
    "0x10",
    "1e3",
    "abc",
    "-0",
  ];
  return rng.pick(c);
}
