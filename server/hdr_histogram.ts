/**
 * The HDR histogram Redis 7.0 keeps per command for `latency-tracking` (deps/hdr_histogram,
 * version 0.11: hdr_init, hdr_record_value, hdr_value_at_percentile, the logarithmic iterator),
 * with Redis's parameters (server.h LATENCY_HISTOGRAM_MIN_VALUE 1 ns, _MAX_VALUE 1 s,
 * _PRECISION 2 significant figures). Values are nanoseconds. Pure: counts in one typed array.
 *
 * Used by INFO latencystats (percentiles, server.c genRedisInfoString) and LATENCY HISTOGRAM
 * (latency.c fillCommandCDF: the cumulative counts at powers of two from 1024 ns).
 */

export const LATENCY_HISTOGRAM_MIN_NS = 1;
export const LATENCY_HISTOGRAM_MAX_NS = 1_000_000_000;
const SIGNIFICANT_FIGURES = 2;

/** 64 - clz64(v) for v < 2^53 (the values here stay far below). */
function bitLength(v: number): number {
  // Math.clz32 for 32-bit values (every recorded one: they are clamped to 1e9 ns).
  if (v < 4294967296) return 32 - Math.clz32(v);
  return Math.floor(Math.log2(v)) + 1;
}

export class HdrHistogram {
  readonly unitMagnitude: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketCount: number;
  readonly subBucketHalfCount: number;
  readonly subBucketMask: number;
  readonly counts: Uint32Array;
  totalCount = 0;

  constructor(
    readonly lowest = LATENCY_HISTOGRAM_MIN_NS,
    readonly highest = LATENCY_HISTOGRAM_MAX_NS,
    sigfigs = SIGNIFICANT_FIGURES,
  ) {
    // hdr_calculate_bucket_config.
    const largestSingleUnit = 2 * 10 ** sigfigs;
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestSingleUnit));
    this.subBucketHalfCountMagnitude = Math.max(subBucketCountMagnitude, 1) - 1;
    this.unitMagnitude = Math.floor(Math.log2(lowest));
    this.subBucketCount = 2 ** (this.subBucketHalfCountMagnitude + 1);
    this.subBucketHalfCount = this.subBucketCount / 2;
    this.subBucketMask = (this.subBucketCount - 1) * 2 ** this.unitMagnitude;
    // buckets_needed_to_cover_value.
    let smallestUntrackable = this.subBucketCount * 2 ** this.unitMagnitude;
    let bucketCount = 1;
    while (smallestUntrackable <= highest) {
      smallestUntrackable *= 2;
      bucketCount++;
    }
    this.counts = new Uint32Array((bucketCount + 1) * this.subBucketHalfCount);
  }

  private bucketIndex(value: number): number {
    // 64 - clz(value | sub_bucket_mask): the mask's bits are all below value's top bit or equal.
    const pow2ceiling = Math.max(bitLength(value), bitLength(this.subBucketMask));
    return pow2ceiling - this.unitMagnitude - (this.subBucketHalfCountMagnitude + 1);
  }

  private subBucketIndex(value: number, bucketIndex: number): number {
    const shift = bucketIndex + this.unitMagnitude;
    // value >> shift (hdr_record_value's sub-bucket index): a shift for 32-bit values (every
    // recorded one: they are clamped to 1e9 ns), where `2 **` with a variable exponent is a
    // Math.pow call per command (~1.4% of a PING's CPU at -P 16).
    if (value < 4294967296 && shift < 32) return value >>> shift;
    return Math.floor(value / 2 ** shift);
  }

  private countsIndex(bucketIndex: number, subBucketIndex: number): number {
    const base = (bucketIndex + 1) * this.subBucketHalfCount;
    return base + subBucketIndex - this.subBucketHalfCount;
  }

  /** hdr_value_at_index. */
  valueAtIndex(index: number): number {
    let bucketIndex = Math.floor(index / 2 ** this.subBucketHalfCountMagnitude) - 1;
    let subBucketIndex = (index & (this.subBucketHalfCount - 1)) + this.subBucketHalfCount;
    if (bucketIndex < 0) {
      subBucketIndex -= this.subBucketHalfCount;
      bucketIndex = 0;
    }
    return subBucketIndex * 2 ** (bucketIndex + this.unitMagnitude);
  }

  lowestEquivalent(value: number): number {
    const b = this.bucketIndex(value);
    return this.subBucketIndex(value, b) * 2 ** (b + this.unitMagnitude);
  }

  private rangeSize(value: number): number {
    const b = this.bucketIndex(value);
    const sub = this.subBucketIndex(value, b);
    return 2 ** (this.unitMagnitude + (sub >= this.subBucketCount ? b + 1 : b));
  }

  highestEquivalent(value: number): number {
    return this.lowestEquivalent(value) + this.rangeSize(value) - 1;
  }

  /** updateCommandLatencyHistogram: clamp to [lowest, highest], then hdr_record_value. */
  record(valueNs: number): void {
    const v = Math.min(Math.max(Math.floor(valueNs), this.lowest), this.highest);
    const b = this.bucketIndex(v);
    const i = this.countsIndex(b, this.subBucketIndex(v, b));
    this.counts[i]++;
    this.totalCount++;
  }

  /** hdr_value_at_percentile (0.11: percentile 0 gives the lowest equivalent value). */
  valueAtPercentile(percentile: number): number {
    const requested = percentile < 100 ? percentile : 100;
    const countAt = Math.max(Math.trunc(requested / 100 * this.totalCount + 0.5), 1);
    let total = 0;
    let value = 0;
    for (let i = 0; i < this.counts.length; i++) {
      total += this.counts[i];
      if (total >= countAt) {
        value = this.valueAtIndex(i);
        break;
      }
    }
    return percentile === 0 ? this.lowestEquivalent(value) : this.highestEquivalent(value);
  }

  /**
   * fillCommandCDF: hdr_iter_log_init(iter, h, 1024, 2) walked to the end; for each step whose
   * cumulative count grew, [highest equivalent value of the step's bucket in µs, cumulative].
   */
  cdf(firstBucketNs = 1024, logBase = 2): [number, number][] {
    const out: [number, number][] = [];
    let countsIndex = -1;
    let cumulative = 0;
    let value = 0;
    let highestEq = 0;
    let level = firstBucketNs;
    let levelLowest = this.lowestEquivalent(level);
    let previous = 0;
    const moveNext = (): boolean => {
      countsIndex++;
      if (countsIndex >= this.counts.length) return false;
      cumulative += this.counts[countsIndex];
      value = this.valueAtIndex(countsIndex);
      highestEq = this.highestEquivalent(value);
      return true;
    };
    for (;;) {
      // log_iter_next.
      if (
        !(cumulative < this.totalCount || this.valueAtIndex(countsIndex + 1) > levelLowest)
      ) break;
      let stepped = false;
      for (;;) {
        if (value >= levelLowest) {
          level *= logBase;
          levelLowest = this.lowestEquivalent(level);
          stepped = true;
          break;
        }
        if (!moveNext()) break;
      }
      if (!stepped) break;
      if (cumulative > previous) out.push([Math.floor(highestEq / 1000), cumulative]);
      previous = cumulative;
    }
    return out;
  }
}
