/**
 * The server's own Prometheus metrics (responses by route and status, request durations,
 * inference requests in flight) and the `/metrics` text, with every model's metrics from
 * core (`registerPromClient`).
 *
 * prom-client is imported on the first scrape, not at start-up: importing it costs more
 * than the rest of `inproc serve`'s start-up together (about 60 ms of CPU on a slow
 * machine, benchmarks/cold-start), and readiness (`/v2/health/ready`) must not wait for it,
 * nor the first requests be held up while its CommonJS files load. Responses observed
 * before are kept and replayed into it, so `/metrics` counts every one; so that a server
 * nobody scrapes keeps no growing list, prom-client is imported once
 * {@link PENDING_LIMIT} responses are waiting.
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

/** Responses kept before prom-client is imported; one more imports it. */
const PENDING_LIMIT = 1024;

/** The server's metrics; prom-client behind them is imported by {@link ServerMetrics.load}. */
export class ServerMetrics {
  #prom: Prom | undefined;
  #loading: Promise<Prom> | undefined;
  /** Responses observed before prom-client was imported: replayed into it, then dropped. */
  #pending: Observation[] = [];
  #inflight = 0;
  #failed = false;

  /** Imports prom-client and creates the metrics (once): at the first scrape, or when {@link PENDING_LIMIT} responses wait. */
  load(): Promise<Prom> {
    if (this.#loading !== undefined) return this.#loading;
    this.#loading = import('prom-client').then(({ Counter, Gauge, Histogram, Registry }) => {
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
    // Not importable (a broken install): every scrape answers 500 with why; nothing more is kept.
    this.#loading.catch(() => {
      this.#failed = true;
      this.#pending = [];
    });
    return this.#loading;
  }

  /** A response was written. */
  response(route: string, status: number, seconds: number): void {
    if (this.#prom !== undefined) return ServerMetrics.#record(this.#prom, route, status, seconds);
    if (this.#failed) return;
    this.#pending.push({ route, status, seconds });
    if (this.#pending.length === PENDING_LIMIT) void this.load().catch(() => undefined);
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
