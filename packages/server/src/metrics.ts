/**
 * The server's own Prometheus metrics (responses by route and status, request durations,
 * inference requests in flight) and the `/metrics` text, with every model's metrics from
 * core (`registerPromClient`).
 *
 * prom-client is imported on the first scrape, not at start-up: importing it costs more
 * than the rest of `inproc serve`'s start-up together (about 60 ms of CPU on a slow
 * machine, benchmarks/cold-start), and readiness (`/v2/health/ready`) must not wait for it,
 * nor the first requests be held up while its CommonJS files load. Responses are counted
 * here, in plain maps, from the first one: prom-client only prints them.
 * @module
 * @internal
 */
import { registerPromClient } from '@inproc/core';
import type { Registry } from 'prom-client';

/** Upper bounds of the request duration histogram's buckets, in seconds. */
const DURATION_BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route's responses: counts by status, and durations as per-bucket counts (not cumulative), sum and count. */
interface RouteStats {
  readonly byStatus: Map<number, number>;
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** A sample as prom-client's registry prints it (labels in this key order). */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/**
 * The server's metrics. Each response is counted in plain maps (a few map lookups: no
 * label hashing per response, which prom-client's own counters and histograms do), and
 * prom-client, imported at the first scrape, only prints them, next to every model's.
 */
export class ServerMetrics {
  #loading: Promise<Registry> | undefined;
  /** Responses by route. */
  readonly #routes = new Map<string, RouteStats>();
  #inflight = 0;

  /** Imports prom-client and registers the metrics (once), at the first scrape. */
  load(): Promise<Registry> {
    this.#loading ??= import('prom-client').then(({ Registry }) => {
      const registry = new Registry();
      registerPromClient(registry);
      const metric = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Sample[]): void =>
        registry.registerMetric({ name, help, type, aggregator: 'sum', get: () => Promise.resolve({ name, help, type, values: values(), aggregator: 'sum' }), reset: () => undefined } as never);
      metric('inproc_server_responses_total', 'HTTP responses, by route and status.', 'counter', () =>
        [...this.#routes].flatMap(([route, { byStatus }]) => [...byStatus].map(([status, value]) => ({ labels: { route, status: String(status) }, value }))),
      );
      metric('inproc_server_request_duration_seconds', 'Time from a request to its response, by route.', 'histogram', () =>
        [...this.#routes].flatMap(([route, d]) => {
          let cumulative = 0;
          const name = 'inproc_server_request_duration_seconds';
          return [
            ...DURATION_BOUNDS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le, route }, value: (cumulative += d.buckets[i]!) })),
            { metricName: `${name}_bucket`, labels: { le: '+Inf', route }, value: d.count },
            { metricName: `${name}_sum`, labels: { route }, value: d.sum },
            { metricName: `${name}_count`, labels: { route }, value: d.count },
          ];
        }),
      );
      metric('inproc_server_inflight_requests', 'Inference requests being handled.', 'gauge', () => [{ labels: {}, value: this.#inflight }]);
      return registry;
    });
    return this.#loading;
  }

  /** A response was written. */
  response(route: string, status: number, seconds: number): void {
    let d = this.#routes.get(route);
    if (d === undefined) this.#routes.set(route, (d = { byStatus: new Map<number, number>(), buckets: DURATION_BOUNDS.map(() => 0), sum: 0, count: 0 }));
    d.byStatus.set(status, (d.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < DURATION_BOUNDS.length && seconds > DURATION_BOUNDS[i]!) i++;
    if (i < DURATION_BOUNDS.length) d.buckets[i]!++;
    d.sum += seconds;
    d.count++;
  }

  /** Inference requests being handled now. */
  set inflight(n: number) {
    this.#inflight = n;
  }

  /** The `/metrics` answer: the Prometheus text and its content type. */
  async text(): Promise<{ readonly text: string; readonly contentType: string }> {
    const registry = await this.load();
    return { text: await registry.metrics(), contentType: registry.contentType };
  }
}
