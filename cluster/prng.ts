/**
 * The node's seeded pseudo-random numbers (xoshiro128** seeded by splitmix32): the bus engine's
 * random picks (which peers to PING and gossip about, election delays) draw from it in production,
 * seeded from the OS; the simulator and tests seed it themselves.
 *
 * Everything a simulated run randomises (latency, drops, schedule choices) must come from a
 * `Prng` built from the run's seed, never from `Math.random`, so a failing run can be
 * replayed exactly by reusing its seed. `fork()` derives an independent child stream: give each
 * concern (each link, each node) its own fork so that adding draws in one place does not shift
 * the numbers everything else sees.
 *
 * Pure: no globals, no I/O. The same seed always yields the same sequence on every platform
 * (only 32-bit integer arithmetic via `Math.imul` and `>>> 0`).
 */

/** splitmix32 step: turns any 32-bit seed (including 0) into well-mixed state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Normalises a user seed (any finite number) to a u32. Non-integers keep their fraction bits. */
function seedToU32(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const whole = Math.floor(seed);
  const lo = whole >>> 0;
  const hi = Math.floor(whole / 0x100000000) >>> 0;
  const frac = Math.floor((seed - whole) * 0x100000000) >>> 0;
  return (lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(frac, 0x165667b1)) >>> 0;
}

export class Prng {
  /** The seed this generator was built from (for logging "reproduce with seed N"). */
  readonly seed: number;
  // The four xoshiro128** state words, each as two 16-bit halves: small integers, which V8 keeps
  // in the object itself, where a 32-bit word above 2^30 would be a heap number of its own. The
  // simulator holds a generator per link end, 8 million of them at 2,000 nodes.
  private aHi = 0;
  private aLo = 0;
  private bHi = 0;
  private bLo = 0;
  private cHi = 0;
  private cLo = 0;
  private dHi = 0;
  private dLo = 0;

  constructor(seed: number) {
    this.seed = seed;
    const st = { s: seedToU32(seed) };
    let a = splitmix32(st);
    const b = splitmix32(st);
    const c = splitmix32(st);
    const d = splitmix32(st);
    // xoshiro must never have an all-zero state; splitmix32 output of 4 consecutive steps cannot
    // all be zero, but keep the invariant explicit.
    if ((a | b | c | d) === 0) a = 1;
    this.setState(a, b, c, d);
  }

  /** A generator with an explicit xoshiro128** state (for reference vectors in tests). */
  static fromState(a: number, b: number, c: number, d: number): Prng {
    if (((a | b | c | d) >>> 0) === 0) throw new RangeError("xoshiro state must not be all zero");
    const r = new Prng(0);
    r.setState(a, b, c, d);
    return r;
  }

  private setState(a: number, b: number, c: number, d: number): void {
    this.aHi = a >>> 16;
    this.aLo = a & 0xffff;
    this.bHi = b >>> 16;
    this.bLo = b & 0xffff;
    this.cHi = c >>> 16;
    this.cLo = c & 0xffff;
    this.dHi = d >>> 16;
    this.dLo = d & 0xffff;
  }

  /** Next raw 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    // The words as int32 (the bit operations below do not care about the sign).
    let a = (this.aHi << 16) | this.aLo;
    let b = (this.bHi << 16) | this.bLo;
    let c = (this.cHi << 16) | this.cLo;
    let d = (this.dHi << 16) | this.dLo;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    this.setState(a, b, c, d);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform integer in [0, n). `n` must be an integer in 1..2^32. Unbiased (rejection). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`int(n) needs an integer 1..2^32, got ${n}`);
    }
    if (n === 1) return 0;
    // Largest multiple of n that fits in 2^32; values at or above it are redrawn.
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [min, max] (both inclusive). */
  range(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`range(min, max) needs integers with min <= max, got ${min}, ${max}`);
    }
    return min + this.int(max - min + 1);
  }

  /** True with probability `p` (p <= 0 is never, p >= 1 is always; always consumes one draw). */
  chance(p: number): boolean {
    const x = this.next();
    return x < p;
  }

  /** A uniformly chosen element. Throws on an empty array. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError("pick() from an empty array");
    return arr[this.int(arr.length)];
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /**
   * An independent child generator. Consumes two draws from this stream; the child's sequence is
   * a pure function of this generator's state at the time of the fork.
   */
  fork(): Prng {
    const hi = this.nextU32() >>> 11; // 21 bits, so the child seed is an exact 53-bit integer
    const lo = this.nextU32();
    return new Prng(hi * 0x100000000 + lo);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
