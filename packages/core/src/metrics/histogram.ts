/**
 * A log-bucketed histogram of durations (or sizes): constant memory, O(1) recording,
 * quantiles within about 4.4% (16 buckets per doubling), and exact cumulative counts at
 * powers of two for Prometheus `le` buckets.
 * @module
 */

import type { HistogramSummary } from './stats.js';

const PER_DOUBLING = 16;
/** Smallest distinguished value: 2^-20 (about 1 µs when recording seconds). */
const MIN_EXP = -20;
/** Largest: 2^12 (4096 s). Larger values land in the last bucket. */
const MAX_EXP = 12;
const BUCKETS = (MAX_EXP - MIN_EXP) * PER_DOUBLING + 1;

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS + 1); // index 0: values <= 2^MIN_EXP
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  record(value: number): void {
    if (!(value >= 0)) return; // NaN and negatives are not durations
    this.#counts[Histogram.#index(value)]!++;
    this.#count++;
    this.#sum += value;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Records `value` `n` times (a count of identical observations, e.g. batch size 1 of every fast-path run). */
  recordMany(value: number, n: number): void {
    if (!(value >= 0) || !(n > 0)) return;
    this.#counts[Histogram.#index(value)]! += n;
    this.#count += n;
    this.#sum += value * n;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** A new histogram holding this one's observations and `other`'s. */
  /** A copy of this histogram, to record more into without changing this one. */
  clone(): Histogram {
    const out = new Histogram();
    out.#counts.set(this.#counts);
    out.#count = this.#count;
    out.#sum = this.#sum;
    out.#min = this.#min;
    out.#max = this.#max;
    return out;
  }

  merged(other: Histogram): Histogram {
    const out = new Histogram();
    for (let i = 0; i < out.#counts.length; i++) out.#counts[i] = this.#counts[i]! + other.#counts[i]!;
    out.#count = this.#count + other.#count;
    out.#sum = this.#sum + other.#sum;
    out.#min = Math.min(this.#min, other.#min);
    out.#max = Math.max(this.#max, other.#max);
    return out;
  }

  static #index(value: number): number {
    if (value <= 2 ** MIN_EXP) return 0;
    const i = Math.ceil((Math.log2(value) - MIN_EXP) * PER_DOUBLING);
    return i > BUCKETS ? BUCKETS : i;
  }

  /** Upper bound of bucket i. */
  static #upper(i: number): number {
    return 2 ** (MIN_EXP + i / PER_DOUBLING);
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = q * this.#count;
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      const c = this.#counts[i]!;
      if (c === 0) continue;
      if (seen + c >= rank) {
        // Interpolate inside the bucket, clamped to the observed range.
        const lo = i === 0 ? 0 : Histogram.#upper(i - 1);
        const hi = Histogram.#upper(i);
        const estimate = lo + (hi - lo) * Math.min(1, Math.max(0, (rank - seen) / c));
        return Math.min(this.#max, Math.max(this.#min, estimate));
      }
      seen += c;
    }
    return this.#max;
  }

  summary(): HistogramSummary {
    return {
      count: this.#count,
      sum: this.#sum,
      mean: this.#count === 0 ? 0 : this.#sum / this.#count,
      min: this.#count === 0 ? 0 : this.#min,
      max: this.#max,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }

  /**
   * Cumulative counts at the given upper bounds, for Prometheus buckets. Bounds must be
   * powers of two within the histogram's range, where the counts are exact.
   */
  cumulative(bounds: readonly number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let i = 0;
    for (const bound of bounds) {
      const last = Math.min(BUCKETS, Histogram.#index(bound));
      for (; i <= last; i++) seen += this.#counts[i]!;
      out.push(seen);
    }
    return out;
  }
}
