/**
 * The public types of `@inproc/server`: options of {@link serve} and the running server.
 * @module
 */
import type { Repository, RepositoryOptions } from '@inproc/core';

/** Options of `serve()`. Defaults in brackets. */
export interface ServeOptions {
  /** Interface to listen on [`127.0.0.1`: this machine only; pass `0.0.0.0` to serve the network]. */
  readonly host?: string;
  /** Port; 0 picks a free one [8000]. */
  readonly port?: number;
  /** Largest request body; larger ones get 413 and the connection is closed [64 MiB]. */
  readonly maxBodyBytes?: number;
  /** Largest request header block; larger ones get 431 (Node's `maxHeaderSize`) [16 KiB]. */
  readonly maxHeaderBytes?: number;
  /** Time to receive a whole request, headers and body; later ones get 408 [60 000 ms]. */
  readonly requestTimeoutMs?: number;
  /** Time to receive the headers of a request [10 000 ms]. */
  readonly headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open [5 000 ms]. */
  readonly keepAliveTimeoutMs?: number;
  /** Inference requests handled at once; more get 503 with code `QUEUE_FULL` (clients retry) [256]. */
  readonly maxInflight?: number;
  /** On `close()`, how long accepted requests may take to finish before connections are cut [30 000 ms]. */
  readonly shutdownTimeoutMs?: number;
  /** Load (and warm up) every model before listening, as Triton does at start [false]. */
  readonly preload?: boolean;
  /** Options of the repository when `serve()` opens it from a path (ignored for a `Repository` given). */
  readonly repository?: RepositoryOptions;
  /** Receives one line per notable event (listening, load failures, shutdown) [none]. */
  readonly log?: (line: string) => void;
}

/** Counters of a running server. */
export interface ServerStats {
  /** Requests answered, by route and HTTP status (`"infer 200"`). */
  readonly responses: Readonly<Record<string, number>>;
  /** Inference requests being handled now. */
  readonly inflight: number;
  /** The most inference requests handled at once so far. */
  readonly peakInflight: number;
  /** Requests refused with 503 because `maxInflight` were being handled. */
  readonly rejectedBusy: number;
}

/** A running v2 server. `close()` (or `await using`) shuts it down gracefully. */
export interface InprocServer extends AsyncDisposable {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly repository: Repository;
  stats(): ServerStats;
  /**
   * Stops accepting connections, answers requests that arrive on open connections with
   * 503, lets accepted requests finish (up to `shutdownTimeoutMs`), then closes every
   * connection and, when `serve()` opened it, the repository. Idempotent.
   */
  close(): Promise<void>;
}
