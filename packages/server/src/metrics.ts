/**
 * The server's own Prometheus metrics (responses by route and status, request durations,
 * inference requests in flight) and the `/metrics` text, with every model's metrics from
 * core (`registerPromClient`).
 *
 * prom-client is imported once the server listens, not before: importing it costs more
 * than the rest of `inproc serve`'s start-up together (about 60 ms of CPU on a slow
 * machine, benchmarks/cold-start), and readiness (`/v2/health/ready`) must not wait for it.
 * What is observed while it loads is kept and replayed into it, so `/metrics` counts
 * every response; a scrape that comes first waits for the import.
 * @module
 * @internal
 */
import { registerPromClient } from '@inproc/core';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

interface Prom {
  readonly registry: Registry;
  readonly responses: Counter<'route' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly inflight: Gauge;
}

/** One response, observed before prom-client was loaded. */
interface Observation {
  readonly route: string;
  readonly status: number;
  readonly seconds: number;
}

/** The server's metrics; prom-client behind them is imported by {@link ServerMetrics.load}. */
export class ServerMetrics {
  #prom: Prom | undefined;
  #loading: Promise<Prom> | undefined;
  /** Responses observed while prom-client loads: replayed into it, then dropped. */
  #pending: Observation[] = [];
  #inflight = 0;

  /** Imports prom-client and creates the metrics (once); the server calls it when it listens. */
  load(): Promise<Prom> {
    this.#loading ??= import('prom-client').then(({ Counter, Gauge, Histogram, Registry }) => {
      const registry = new Registry();
      registerPromClient(registry);
      const prom: Prom = {
        registry,
        responses: new Counter({ name: 'inproc_server_responses_total', help: 'HTTP responses, by route and status.', labelNames: ['route', 'status'], registers: [registry] }),
        duration: new Histogram({ name: 'inproc_server_request_duration_seconds', help: 'Time from a request to its response, by route.', labelNames: ['route'], registers: [registry], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] }),
        inflight: new Gauge({ name: 'inproc_server_inflight_requests', help: 'Inference requests being handled.', registers: [registry] }),
      };
      for (const { route, status, seconds } of this.#pending) ServerMetrics.#record(prom, route, status, seconds);
      this.#pending = [];
      prom.inflight.set(this.#inflight);
      this.#prom = prom;
      return prom;
    });
    return this.#loading;
  }

  /** A response was written. */
  response(route: string, status: number, seconds: number): void {
    if (this.#prom === undefined) this.#pending.push({ route, status, seconds });
    else ServerMetrics.#record(this.#prom, route, status, seconds);
  }

  /** Inference requests being handled now. */
  set inflight(n: number) {
    this.#inflight = n;
    this.#prom?.inflight.set(n);
  }

  /** The `/metrics` answer: the Prometheus text and its content type. */
  async text(): Promise<{ readonly text: string; readonly contentType: string }> {
    const { registry } = await this.load();
    return { text: await registry.metrics(), contentType: registry.contentType };
  }

  static #record(prom: Prom, route: string, status: number, seconds: number): void {
    prom.responses.inc({ route, status: String(status) });
    prom.duration.observe({ route }, seconds);
  }
}
