/**
 * Measures one loaded model, the same way in Node and in the browser page (no Node
 * imports here): load time, first-run time, warm-up, then many timed runs through
 * tinybench (its sampling loop, timer-overhead correction and statistics), and optionally
 * throughput with several concurrent callers. Pure measurement: no thresholds, no output.
 */
import { Bench } from 'tinybench';
import { quantile } from '../stats.js';

/** How long and how often to sample. */
export interface SamplingPlan {
  /** Milliseconds of warm-up runs after the first run (tinybench's warm-up). */
  readonly warmupMs: number;
  /** Milliseconds of timed runs; tinybench keeps going until both this and `minSamples` are reached. */
  readonly timeMs: number;
  readonly minSamples: number;
  /** Concurrent caller counts for the throughput sweep; empty for none. */
  readonly concurrency: readonly number[];
  /** Milliseconds per concurrency level. */
  readonly concurrencyMs: number;
}

export const FULL_PLAN: SamplingPlan = { warmupMs: 1000, timeMs: 4000, minSamples: 20, concurrency: [1, 2, 4, 8], concurrencyMs: 2000 };
export const QUICK_PLAN: SamplingPlan = { warmupMs: 100, timeMs: 300, minSamples: 5, concurrency: [1, 4], concurrencyMs: 200 };

/** Latency statistics in milliseconds. */
export interface LatencySummary {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Throughput with `callers` concurrent callers, each awaiting its run before the next. */
export interface ConcurrencyPoint {
  readonly callers: number;
  /** Completed runs per second. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

export interface Measurement {
  /** `loadModel` until the model is usable, ms. */
  readonly loadMs: number;
  /** The first run after load (includes lazy initialisation: kernels, shaders, allocations), ms. */
  readonly firstRunMs: number;
  readonly warmupRuns: number;
  readonly latency: LatencySummary;
  /** Sequential runs per second (1000 / mean latency). */
  readonly throughput: number;
  /** Latency samples in ms, sorted ascending (raw data for the charts). */
  readonly samples: readonly number[];
  readonly concurrency: readonly ConcurrencyPoint[];
  /** The first values of the first output of the last run, to compare backends' numerics. */
  readonly outputHead: readonly number[];
}

/** What the caller provides: how to run once (returning the first output's values), and the plan. */
export interface MeasureHooks {
  readonly run: () => Promise<ArrayLike<number | bigint>>;
  readonly plan: SamplingPlan;
  /** Called between phases, e.g. to sample memory. */
  readonly onPhase?: (phase: 'first-run' | 'sampled' | 'concurrency') => void;
}

export function summarizeLatency(sorted: readonly number[]): LatencySummary {
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  return { n, mean, sd, min: sorted[0] ?? Number.NaN, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[n - 1] ?? Number.NaN };
}

/**
 * Measures a model already loaded (`loadMs` is the caller's, so that it can time the load
 * however the environment requires).
 */
export async function measureLoaded(loadMs: number, hooks: MeasureHooks): Promise<Measurement> {
  const { plan } = hooks;
  let t = performance.now();
  let last = await hooks.run();
  const firstRunMs = performance.now() - t;
  hooks.onPhase?.('first-run');

  // One more untimed run estimates the steady-state cost (the first run pays for lazy
  // initialisation), so that a slow case (seconds per run, e.g. WebGPU emulated on the CPU)
  // takes a bounded number of runs instead of `minSamples` of them.
  t = performance.now();
  last = await hooks.run();
  const estimate = Math.max(performance.now() - t, 0.001);
  const iterations = Math.max(3, Math.min(plan.minSamples, Math.ceil(plan.timeMs / estimate)));
  const bench = new Bench({
    name: 'latency',
    time: plan.timeMs,
    iterations,
    warmup: true,
    warmupTime: plan.warmupMs,
    warmupIterations: Math.max(1, Math.min(10, Math.round(plan.warmupMs / estimate))),
    retainSamples: true,
    throws: true,
  });
  let calls = 0;
  bench.add('run', async () => {
    calls++;
    last = await hooks.run();
  });
  await bench.run();
  const result = bench.tasks[0]?.result;
  if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`tinybench did not complete: ${result?.state ?? 'no task'}${result?.state === 'errored' ? `: ${result.error.message}` : ''}`);
  }
  const samples = [...(result.latency.samples ?? [])];
  const warmupRuns = calls - samples.length + 1; // + the estimating run
  hooks.onPhase?.('sampled');

  const concurrency: ConcurrencyPoint[] = [];
  for (const callers of plan.concurrency) {
    const latencies: number[] = [];
    const deadline = performance.now() + plan.concurrencyMs;
    t = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          const start = performance.now();
          last = await hooks.run();
          latencies.push(performance.now() - start);
        }
      }),
    );
    const elapsed = performance.now() - t;
    latencies.sort((a, b) => a - b);
    concurrency.push({ callers, rps: (latencies.length / elapsed) * 1000, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) });
  }
  if (plan.concurrency.length > 0) hooks.onPhase?.('concurrency');

  const latency = summarizeLatency(samples);
  const outputHead = Array.from({ length: Math.min(8, last.length) }, (_, i) => Number(last[i]));
  return { loadMs, firstRunMs, warmupRuns, latency, throughput: 1000 / latency.mean, samples, concurrency, outputHead };
}
