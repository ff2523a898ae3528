/**
 * The shapes of metric snapshots (`model.stats()`): plain data, declared apart from the
 * code that records them so that the public `Model` contract imports declarations only.
 * @module
 */
import type { ErrorCode } from '../errors.js';

/** Summary of a histogram; quantiles are estimates (bucket resolution about 4.4%). */
export interface HistogramSummary {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** Durations of one model's calls, in milliseconds. */
export interface StageDurations {
  /** From `run()` to the start of the backend run (queue wait, batching delay). */
  readonly queue: HistogramSummary;
  readonly pre: HistogramSummary;
  readonly run: HistogramSummary;
  readonly post: HistogramSummary;
  /** The whole call, as the caller saw it. */
  readonly total: HistogramSummary;
}

/** A snapshot of one model's metrics. */
export interface ModelStats {
  readonly model: string;
  readonly backend: string;
  readonly device: string;
  readonly requests: number;
  readonly successes: number;
  readonly failures: Readonly<Partial<Record<ErrorCode, number>>>;
  readonly inFlight: number;
  readonly queued: number;
  /** Backend runs; with batching, fewer than requests. */
  readonly batches: number;
  /** Requests per backend run. */
  readonly batchSize: HistogramSummary;
  readonly durationsMs: StageDurations;
  readonly cache: { readonly hits: number; readonly misses: number; readonly entries: number; readonly bytes: number } | undefined;
}

