/**
 * Redis's rand48 (src/rand.c): the 48-bit linear congruential generator behind a script's
 * math.random, so a seed gives the same sequence on every platform. Pure.
 */

const A = 0x5deece66dn;
const C = 0xbn;
const MASK48 = (1n << 48n) - 1n;

export class Rand48 {
  private x = 0x1234abcd330en;

  /** redisSrand48: the high 32 bits from the seed, the low 16 bits 0x330E. */
  seed(seed: number): void {
    this.x = ((BigInt(seed | 0) & 0xffffffffn) << 16n) | 0x330en;
  }

  /** redisLrand48: the next value in [0, 2^31). */
  next(): number {
    this.x = (A * this.x + C) & MASK48;
    return Number(this.x >> 17n);
  }
}
