/**
 * Per-model metrics (requests, failures by code, queue/pre/run/post durations, batch
 * sizes, cache hits) and their Prometheus text exposition. Every live model registers
 * its metrics here; `metrics()` renders all of them.
 * @module
 */
import type { ErrorCode } from './errors.js';
import { Histogram, type HistogramSummary } from './histogram.js';

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

/** Labels that identify a model in exported metrics. */
export interface MetricLabels {
  readonly model: string;
  readonly backend: string;
  readonly device: string;
}

/** @internal */
export class ModelMetrics {
  readonly labels: MetricLabels;
  requests = 0;
  successes = 0;
  readonly failures = new Map<ErrorCode, number>();
  batches = 0;
  readonly batchSize = new Histogram();
  // Seconds, as Prometheus wants; stats() converts to ms.
  readonly queue = new Histogram();
  readonly pre = new Histogram();
  readonly run = new Histogram();
  readonly post = new Histogram();
  readonly total = new Histogram();
  cache: (() => { hits: number; misses: number; entries: number; bytes: number }) | undefined;
  pending: () => { queued: number; running: number } = () => ({ queued: 0, running: 0 });

  constructor(labels: MetricLabels) {
    this.labels = labels;
  }

  fail(code: ErrorCode): void {
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  snapshot(): ModelStats {
    const ms = (h: Histogram): HistogramSummary => {
      const s = h.summary();
      return { count: s.count, sum: s.sum * 1e3, mean: s.mean * 1e3, min: s.min * 1e3, max: s.max * 1e3, p50: s.p50 * 1e3, p90: s.p90 * 1e3, p99: s.p99 * 1e3 };
    };
    const pending = this.pending();
    return {
      ...this.labels,
      requests: this.requests,
      successes: this.successes,
      failures: Object.fromEntries(this.failures),
      inFlight: pending.running,
      queued: pending.queued,
      batches: this.batches,
      batchSize: this.batchSize.summary(),
      durationsMs: { queue: ms(this.queue), pre: ms(this.pre), run: ms(this.run), post: ms(this.post), total: ms(this.total) },
      cache: this.cache?.(),
    };
  }
}

interface MetricsRegistry {
  readonly live: Set<ModelMetrics>;
}

const METRICS_KEY = Symbol.for('inproc.metrics');

function registry(): MetricsRegistry {
  const holder = globalThis as { [METRICS_KEY]?: MetricsRegistry };
  return (holder[METRICS_KEY] ??= { live: new Set() });
}

/** @internal */
export function registerMetrics(metrics: ModelMetrics): () => void {
  registry().live.add(metrics);
  return () => registry().live.delete(metrics);
}

/** Snapshots of every live model's metrics. */
export function allStats(): readonly ModelStats[] {
  return [...registry().live].map((m) => m.snapshot());
}

/** Powers of two from ~61 µs to 64 s: exact cumulative counts in the histogram. */
const DURATION_BOUNDS = Array.from({ length: 21 }, (_, i) => 2 ** (i - 14));
const BATCH_BOUNDS = Array.from({ length: 11 }, (_, i) => 2 ** i);

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
}

function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return Number.isInteger(n) ? String(n) : n.toPrecision(12).replace(/\.?0+$/, '');
}

/**
 * Every live model's metrics in the Prometheus text exposition format (version 0.0.4):
 * `inproc_requests_total`, `inproc_request_failures_total{code}`,
 * `inproc_request_duration_seconds{stage}` (queue, pre, run, post, total),
 * `inproc_batch_size`, `inproc_in_flight`, `inproc_queued`, `inproc_cache_*`.
 */
export function metrics(): string {
  const models = [...registry().live];
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, body: (m: ModelMetrics, base: Record<string, string>) => void): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const m of models) body(m, { ...m.labels });
  };
  const sample = (name: string, labels: Record<string, string>, value: number): void => {
    lines.push(`${name}{${labelText(labels)}} ${formatNumber(value)}`);
  };
  const histogram = (name: string, h: Histogram, labels: Record<string, string>, bounds: readonly number[]): void => {
    const counts = h.cumulative(bounds);
    bounds.forEach((bound, i) => sample(`${name}_bucket`, { ...labels, le: formatNumber(bound) }, counts[i]!));
    sample(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count);
    sample(`${name}_sum`, labels, h.sum);
    sample(`${name}_count`, labels, h.count);
  };
  family('inproc_requests_total', 'counter', 'Calls of Model.run.', (m, l) => sample('inproc_requests_total', l, m.requests));
  family('inproc_request_successes_total', 'counter', 'Calls that returned a result.', (m, l) => sample('inproc_request_successes_total', l, m.successes));
  family('inproc_request_failures_total', 'counter', 'Calls that failed, by InprocError code.', (m, l) => {
    for (const [code, n] of m.failures) sample('inproc_request_failures_total', { ...l, code }, n);
  });
  family('inproc_request_duration_seconds', 'histogram', 'Duration of each stage of a call: queue, pre, run, post, total.', (m, l) => {
    for (const [stage, h] of [['queue', m.queue], ['pre', m.pre], ['run', m.run], ['post', m.post], ['total', m.total]] as const) {
      histogram('inproc_request_duration_seconds', h, { ...l, stage }, DURATION_BOUNDS);
    }
  });
  family('inproc_batches_total', 'counter', 'Backend runs (each may serve several batched calls).', (m, l) => sample('inproc_batches_total', l, m.batches));
  family('inproc_batch_size', 'histogram', 'Calls served per backend run.', (m, l) => histogram('inproc_batch_size', m.batchSize, l, BATCH_BOUNDS));
  family('inproc_in_flight', 'gauge', 'Calls running in the backend now.', (m, l) => sample('inproc_in_flight', l, m.pending().running));
  family('inproc_queued', 'gauge', 'Calls waiting in the queue now.', (m, l) => sample('inproc_queued', l, m.pending().queued));
  family('inproc_cache_hits_total', 'counter', 'Response cache hits.', (m, l) => {
    const c = m.cache?.();
    if (c) sample('inproc_cache_hits_total', l, c.hits);
  });
  family('inproc_cache_misses_total', 'counter', 'Response cache misses.', (m, l) => {
    const c = m.cache?.();
    if (c) sample('inproc_cache_misses_total', l, c.misses);
  });
  return `${lines.join('\n')}\n`;
}
