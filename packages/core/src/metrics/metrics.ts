/**
 * Per-model metrics (requests, failures by code, queue/pre/run/post durations, batch
 * sizes, cache hits) and their Prometheus text exposition. Every live model registers
 * its metrics here; `metrics()` renders all of them.
 * @module
 */
import type { ErrorCode } from '../errors.js';
import { Histogram } from './histogram.js';
import type { HistogramSummary, ModelStats } from './stats.js';
import { globalSingleton } from '../global-singleton.js';

/** Labels that identify a model in exported metrics. */
export interface MetricLabels {
  readonly model: string;
  readonly backend: string;
  readonly device: string;
}

/** @internal */
/** Fast-path durations held before they are binned (see ModelMetrics.#pendingPlain). */
const PENDING_PLAIN = 64;

export class ModelMetrics {
  readonly labels: MetricLabels;
  requests = 0;
  successes = 0;
  readonly failures = new Map<ErrorCode, number>();
  batches = 0;
  // What the queued path records; read through stages(), which adds the fast path's calls.
  readonly batchSize = new Histogram();
  // Seconds, as Prometheus wants; stats() converts to ms.
  readonly queue = new Histogram();
  readonly pre = new Histogram();
  readonly run = new Histogram();
  readonly post = new Histogram();
  readonly total = new Histogram();
  /**
   * Successful fast-path calls (Model.run with a free slot, no processors): one backend run of
   * one request, not queued, whose run time is its total time. One record per call here
   * instead of four (batch size 1, queue 0, run, total); stages() folds them in.
   */
  readonly #plain = new Histogram();
  /**
   * Fast-path durations not yet in #plain: a call stores one number here, and they are
   * binned PENDING_PLAIN at a time or when read. Binning (a logarithm) right after each
   * backend run, when its code is out of the CPU's caches, cost more than the store.
   */
  readonly #pendingPlain = new Float64Array(PENDING_PLAIN);
  #pendingCount = 0;
  cache: (() => { hits: number; misses: number; entries: number; bytes: number }) | undefined;
  pending: () => { queued: number; running: number } = () => ({ queued: 0, running: 0 });

  constructor(labels: MetricLabels) {
    this.labels = labels;
  }

  /** Records a call of the fast path (no queue, no processors): one backend run of one request. */
  plainRun(seconds: number, ok: boolean): void {
    this.batches++;
    if (ok) {
      this.successes++;
      this.#pendingPlain[this.#pendingCount++] = seconds;
      if (this.#pendingCount === PENDING_PLAIN) this.#binPlain();
    } else {
      this.batchSize.record(1);
      this.queue.record(0);
      this.run.record(seconds);
    }
  }

  #binPlain(): void {
    const n = this.#pendingCount;
    this.#pendingCount = 0;
    for (let i = 0; i < n; i++) this.#plain.record(this.#pendingPlain[i]!);
  }

  /** Every stage's histogram as recorded by both paths: what stats() and the Prometheus text read. */
  stages(): { readonly batchSize: Histogram; readonly queue: Histogram; readonly pre: Histogram; readonly run: Histogram; readonly post: Histogram; readonly total: Histogram } {
    this.#binPlain();
    const plain = this.#plain;
    const batchSize = this.batchSize.clone();
    batchSize.recordMany(1, plain.count);
    const queue = this.queue.clone();
    queue.recordMany(0, plain.count);
    return { batchSize, queue, pre: this.pre, run: this.run.merged(plain), post: this.post, total: this.total.merged(plain) };
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
    const stages = this.stages();
    return {
      ...this.labels,
      requests: this.requests,
      successes: this.successes,
      failures: Object.fromEntries(this.failures),
      inFlight: pending.running,
      queued: pending.queued,
      batches: this.batches,
      batchSize: stages.batchSize.summary(),
      durationsMs: { queue: ms(stages.queue), pre: ms(stages.pre), run: ms(stages.run), post: ms(stages.post), total: ms(stages.total) },
      cache: this.cache?.(),
    };
  }
}

interface MetricsRegistry {
  readonly live: Set<ModelMetrics>;
}

function registry(): MetricsRegistry {
  return globalSingleton<MetricsRegistry>('inproc.metrics', () => ({ live: new Set() }));
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

/** One sample of a metric family, as Prometheus and prom-client model it. */
export interface MetricSample {
  /** The sample's name when it differs from the family's (`_bucket`, `_sum`, `_count`). */
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: all models' samples under one name. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly values: readonly MetricSample[];
}

/**
 * Every live model's metrics as families: `inproc_requests_total`,
 * `inproc_request_successes_total`, `inproc_request_failures_total{code}`,
 * `inproc_request_duration_seconds{stage}` (queue, pre, run, post, total),
 * `inproc_batches_total`, `inproc_batch_size`, `inproc_in_flight`, `inproc_queued`,
 * `inproc_cache_hits_total`, `inproc_cache_misses_total`.
 */
export function metricFamilies(): MetricFamily[] {
  const models = [...registry().live];
  // Both histogram families read a model's stages: folded once per model per scrape.
  const stages = new Map(models.map((m) => [m, m.stages()]));
  const families: MetricFamily[] = [];
  const family = (name: string, type: MetricFamily['type'], help: string, collect: (m: ModelMetrics, labels: Record<string, string>, out: MetricSample[]) => void): void => {
    const values: MetricSample[] = [];
    for (const m of models) collect(m, { ...m.labels }, values);
    families.push({ name, help, type, values });
  };
  const histogram = (name: string, h: Histogram, labels: Record<string, string>, bounds: readonly number[], out: MetricSample[]): void => {
    const counts = h.cumulative(bounds);
    bounds.forEach((bound, i) => out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: formatNumber(bound) }, value: counts[i]! }));
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
    out.push({ metricName: `${name}_sum`, labels, value: h.sum });
    out.push({ metricName: `${name}_count`, labels, value: h.count });
  };
  family('inproc_requests_total', 'counter', 'Calls of Model.run.', (m, l, out) => out.push({ labels: l, value: m.requests }));
  family('inproc_request_successes_total', 'counter', 'Calls that returned a result.', (m, l, out) => out.push({ labels: l, value: m.successes }));
  family('inproc_request_failures_total', 'counter', 'Calls that failed, by InprocError code.', (m, l, out) => {
    for (const [code, n] of m.failures) out.push({ labels: { ...l, code }, value: n });
  });
  family('inproc_request_duration_seconds', 'histogram', 'Duration of each stage of a call: queue, pre, run, post, total.', (m, l, out) => {
    const s = stages.get(m)!;
    for (const [stage, h] of [['queue', s.queue], ['pre', s.pre], ['run', s.run], ['post', s.post], ['total', s.total]] as const) {
      histogram('inproc_request_duration_seconds', h, { ...l, stage }, DURATION_BOUNDS, out);
    }
  });
  family('inproc_batches_total', 'counter', 'Backend runs (each may serve several batched calls).', (m, l, out) => out.push({ labels: l, value: m.batches }));
  family('inproc_batch_size', 'histogram', 'Calls served per backend run.', (m, l, out) => histogram('inproc_batch_size', stages.get(m)!.batchSize, l, BATCH_BOUNDS, out));
  family('inproc_in_flight', 'gauge', 'Calls running in the backend now.', (m, l, out) => out.push({ labels: l, value: m.pending().running }));
  family('inproc_queued', 'gauge', 'Calls waiting in the queue now.', (m, l, out) => out.push({ labels: l, value: m.pending().queued }));
  family('inproc_cache_hits_total', 'counter', 'Response cache hits.', (m, l, out) => {
    const c = m.cache?.();
    if (c) out.push({ labels: l, value: c.hits });
  });
  family('inproc_cache_misses_total', 'counter', 'Response cache misses.', (m, l, out) => {
    const c = m.cache?.();
    if (c) out.push({ labels: l, value: c.misses });
  });
  return families;
}

/** Every live model's metrics in the Prometheus text exposition format (version 0.0.4); see {@link metricFamilies}. */
export function metrics(): string {
  const lines: string[] = [];
  for (const f of metricFamilies()) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const v of f.values) lines.push(`${v.metricName ?? f.name}{${labelText(v.labels)}} ${formatNumber(v.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The part of a prom-client `Registry` the adapter uses. */
export interface PromClientRegistry {
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
}

/**
 * Exposes Inproc's metrics through a prom-client registry (e.g. `client.register`), so
 * that `await register.metrics()` includes them next to the application's own. Needs no
 * import of prom-client: it registers objects of the shape prom-client collects.
 */
export function registerPromClient(registry: PromClientRegistry): void {
  for (const { name, help, type } of metricFamilies()) {
    if (registry.getSingleMetric(name) !== undefined) continue;
    registry.registerMetric({
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => Promise.resolve(metricFamilies().find((f) => f.name === name) ?? { name, help, type, values: [], aggregator: 'sum' }),
      reset: () => undefined,
    });
  }
}

/** The part of an OpenTelemetry `Meter` the adapter uses. */
export interface OtelMeter {
  createObservableCounter(name: string, options?: { description?: string; unit?: string }): OtelObservable;
  createObservableGauge(name: string, options?: { description?: string; unit?: string }): OtelObservable;
}

/** An OpenTelemetry observable instrument. */
export interface OtelObservable {
  addCallback(callback: (result: { observe(value: number, attributes?: Record<string, string>): void }) => void): void;
}

/**
 * Reports Inproc's metrics through an OpenTelemetry meter: counters (requests,
 * successes, failures by code, batches, cache hits and misses) and gauges (in flight,
 * queued, and p50/p99 of each stage's duration in seconds, since an OpenTelemetry
 * histogram cannot be observed asynchronously).
 */
export function observeWithOpenTelemetry(meter: OtelMeter): void {
  const stats = (): ModelStats[] => [...registry().live].map((m) => m.snapshot());
  const attrs = (s: ModelStats): Record<string, string> => ({ model: s.model, backend: s.backend, device: s.device });
  const counter = (name: string, description: string, values: (s: ModelStats) => [number, Record<string, string>?][]): void => {
    meter.createObservableCounter(name, { description }).addCallback((result) => {
      for (const s of stats()) for (const [value, extra] of values(s)) result.observe(value, { ...attrs(s), ...extra });
    });
  };
  const gauge = (name: string, description: string, unit: string, values: (s: ModelStats) => [number, Record<string, string>?][]): void => {
    meter.createObservableGauge(name, { description, unit }).addCallback((result) => {
      for (const s of stats()) for (const [value, extra] of values(s)) result.observe(value, { ...attrs(s), ...extra });
    });
  };
  counter('inproc.requests', 'Calls of Model.run.', (s) => [[s.requests]]);
  counter('inproc.request.successes', 'Calls that returned a result.', (s) => [[s.successes]]);
  counter('inproc.request.failures', 'Calls that failed, by InprocError code.', (s) => Object.entries(s.failures).map(([code, n]) => [n, { code }]));
  counter('inproc.batches', 'Backend runs.', (s) => [[s.batches]]);
  counter('inproc.cache.hits', 'Response cache hits.', (s) => (s.cache ? [[s.cache.hits]] : []));
  counter('inproc.cache.misses', 'Response cache misses.', (s) => (s.cache ? [[s.cache.misses]] : []));
  gauge('inproc.in_flight', 'Calls running in the backend now.', '{call}', (s) => [[s.inFlight]]);
  gauge('inproc.queued', 'Calls waiting in the queue now.', '{call}', (s) => [[s.queued]]);
  gauge('inproc.request.duration', 'Stage duration quantiles.', 's', (s) =>
    (['queue', 'pre', 'run', 'post', 'total'] as const).flatMap((stage) => [
      [s.durationsMs[stage].p50 / 1e3, { stage, quantile: '0.5' }] as [number, Record<string, string>],
      [s.durationsMs[stage].p99 / 1e3, { stage, quantile: '0.99' }] as [number, Record<string, string>],
    ]),
  );
}
