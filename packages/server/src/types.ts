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
  /**
   * Largest request body, and largest inflated `Content-Encoding: gzip` / `deflate` body;
   * larger ones get 413 and the connection is closed [64 MiB].
   */
  readonly maxBodyBytes?: number;
  /** Largest request header block; larger ones get 431 (Node's `maxHeaderSize`) [16 KiB]. */
  readonly maxHeaderBytes?: number;
  /** Time to receive a whole request, headers and body; later ones get 408 [60 000 ms]. */
  readonly requestTimeoutMs?: number;
  /**
   * Time to receive the headers of a request [10 000 ms]. For a connection's first request
   * it runs from the moment of connection, so a connection that never sends a byte is
   * closed after it too. Node checks this and `requestTimeoutMs` at least once a second.
   */
  readonly headersTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open [5 000 ms]. */
  readonly keepAliveTimeoutMs?: number;
  /** Bytes of request bodies (read and inflated) the server holds at once, all requests together; past it requests get 503 `LIMIT_EXCEEDED` (clients retry) [256 MiB]. */
  readonly maxBodiesBytes?: number;
  /**
   * Inference requests handled at once, counted from the moment a request's whole body has
   * been read; more get 503 with code `QUEUE_FULL` (clients retry) [256].
   */
  readonly maxInflight?: number;
  /** Bytes of answers written to connections whose clients have not read them yet (held in this process: the kernel's socket buffers did not take them); past it new inference requests get 503 `QUEUE_FULL` [256 MiB]. */
  readonly maxUnreadResponseBytes?: number;
  /** A connection whose client reads nothing of its answer for this long, while part of it is still held in this process, is closed and the answer's memory freed [30 000 ms]. */
  readonly writeTimeoutMs?: number;
  /**
   * On `close()`, how long accepted requests may take to be answered and their answers
   * written before the remaining connections are cut (the log says how many) [30 000 ms].
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Triton's model control mode. `'none'`: the repository extension's index is served, its
   * load and unload get 403. `'explicit'`: load and unload are served (models still load on
   * first use, and a model that failed to load stays failed until its files change or a load) ['none'].
   */
  readonly modelControl?: 'none' | 'explicit';
  /** With `modelControl: 'explicit'`: load and unload need `Authorization: Bearer <controlToken>` (401 otherwise) [none]. */
  readonly controlToken?: string;
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
  /** Inference requests refused with 503 because `maxInflight` were being handled or clients had not read `maxUnreadResponseBytes`. */
  readonly rejectedBusy: number;
  /** Bytes of request bodies held now, and the most held at once (`maxBodiesBytes`). */
  readonly bodyBytesHeld: number;
  readonly peakBodyBytesHeld: number;
  /** Bytes of answers written but not yet taken by their clients, counted for each answer the kernel did not take whole (`maxUnreadResponseBytes`). */
  readonly unreadResponseBytes: number;
  /** Connections closed because they sent no request within `headersTimeoutMs` of connecting. */
  readonly silentConnectionsClosed: number;
  /** Connections closed because their client read nothing of an answer for `writeTimeoutMs`. */
  readonly writeTimeouts: number;
  /** Requests still unanswered or half-written when `shutdownTimeoutMs` passed (0 after a clean shutdown). */
  readonly cutAtShutdown: number;
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
   * 503, lets every accepted request (inference, load, metadata) be answered and its whole
   * answer written (up to `shutdownTimeoutMs`), then closes every connection and, when
   * `serve()` opened it, the repository. Idempotent.
   */
  close(): Promise<void>;
}
