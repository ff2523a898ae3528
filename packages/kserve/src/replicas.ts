/**
 * The servers (replicas) that serve one model, from the client's side: each request
 * goes to the healthy replica with the fewest requests in flight (round robin among
 * equals); a request that no server accepted — the connection failed, or the answer was
 * 503 or 429 — is retried, on another replica when there is one, after an exponential
 * back-off with jitter (or the server's `Retry-After`). Inference has no side effects,
 * so a request whose connection broke is retried too. Replicas that failed are probed
 * (`GET .../ready`) until they answer again; healthy ones are probed as well, so a
 * server that is going away is noticed before a request meets it.
 * @module
 */
import { InprocError } from '@inproc/core';
import { ServerError } from './http-errors.js';
import type { Settings } from './options.js';
import { type Phase, readErrorBody } from './protocol/status.js';
import { ConnectionFailure, type Transport, type TransportResponse, abortReason } from './transport.js';

/** One replica's state, for `model.metadata` and tests. */
export interface ReplicaState {
  readonly url: string;
  readonly healthy: boolean;
  readonly inFlight: number;
  /** Requests sent to it, retries included. */
  readonly requests: number;
  /** Why it was last marked down, if it was. */
  readonly lastError: string | undefined;
}

interface Replica {
  readonly base: URL;
  /** URLs of the paths requested, parsed once. */
  readonly urls: Map<string, URL>;
  healthy: boolean;
  inFlight: number;
  requests: number;
  lastError: string | undefined;
}

/** A request's method, headers and body. */
export interface ReplicaRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: readonly Uint8Array[];
}

/** The most of a readiness probe's answer that is read. */
const PROBE_BYTES = 4096;

/** Codes of a 503/429 that mean "busy": the replica is healthy, only full. */
const BUSY = new Set(['QUEUE_FULL', 'LIMIT_EXCEEDED']);

export class Replicas {
  readonly #replicas: Replica[];
  readonly #settings: Settings;
  readonly #transport: Transport;
  readonly #readyPath: string;
  #next = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #probing = false;
  #stopped = false;

  constructor(bases: readonly URL[], readyPath: string, settings: Settings, transport: Transport) {
    this.#replicas = bases.map((base) => ({ base, urls: new Map(), healthy: true, inFlight: 0, requests: 0, lastError: undefined }));
    this.#readyPath = readyPath;
    this.#settings = settings;
    this.#transport = transport;
  }

  get size(): number {
    return this.#replicas.length;
  }

  states(): ReplicaState[] {
    return this.#replicas.map((r) => ({ url: r.base.href, healthy: r.healthy, inFlight: r.inFlight, requests: r.requests, lastError: r.lastError }));
  }

  /** Starts the periodic health probes (timers do not keep the process alive). */
  start(): void {
    if (this.#settings.healthCheckIntervalMs === 0 || this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => void this.probe(), this.#settings.healthCheckIntervalMs);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops probing and retrying; closes the idle connections (requests in flight finish, each within its deadline). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#transport.close();
  }

  /** Probes every replica once; resolves when all have answered or failed. */
  async probe(): Promise<void> {
    if (this.#probing || this.#stopped) return;
    this.#probing = true;
    try {
      const timeoutMs = Math.min(this.#settings.requestTimeoutMs, Math.max(1000, this.#settings.healthCheckIntervalMs));
      await Promise.all(
        this.#replicas.map(async (replica) => {
          const url = new URL(this.#readyPath, replica.base);
          try {
            const response = await this.#transport.request({ method: 'GET', url, headers: this.#settings.headers, deadline: performance.now() + timeoutMs, timeoutMs, maxResponseBytes: PROBE_BYTES });
            // The protocol says readiness with the status code; a server that answers 200 with
            // `{ "ready": false }` (as older ones did) is read as not ready too.
            const ready = response.status === 200 && readyField(response.body) !== false;
            if (ready) {
              replica.healthy = true;
            } else {
              replica.healthy = false;
              replica.lastError = `not ready (HTTP ${response.status})`;
            }
          } catch (error) {
            replica.healthy = false;
            replica.lastError = error instanceof Error ? error.message : String(error);
          }
        }),
      );
    } finally {
      this.#probing = false;
    }
  }

  /** The healthy replica with the fewest requests in flight; when none is healthy, the next in turn (it may be back). */
  #pick(exclude: Replica | undefined): Replica {
    const candidates = this.#replicas.filter((r) => r.healthy && r !== exclude);
    const pool = candidates.length > 0 ? candidates : this.#replicas.filter((r) => r !== exclude);
    const list = pool.length > 0 ? pool : this.#replicas;
    const start = this.#next++ % list.length;
    let best = list[start]!;
    for (let i = 1; i < list.length; i++) {
      const r = list[(start + i) % list.length]!;
      if (r.inFlight < best.inFlight) best = r;
    }
    return best;
  }

  /**
   * Sends a request and hands the answer to `read`, retrying what no server accepted:
   * connection failures, 503 and 429, within one deadline (`requestTimeoutMs`) for all
   * attempts. A redirect is an error naming its target (never followed: headers such as
   * credentials would go to another server). What `read` throws is final: a malformed
   * answer is the server's fault, not the connection's, so it is neither retried nor
   * held against the replica. Rejects with the signal's reason when it fires.
   */
  async request<T>(path: string, init: ReplicaRequest, signal: AbortSignal | undefined, phase: Phase, maxResponseBytes: number, read: (response: TransportResponse, url: string) => T | Promise<T>): Promise<T> {
    const { retries, requestTimeoutMs } = this.#settings;
    const deadline = performance.now() + requestTimeoutMs;
    const headers = init.headers === undefined ? this.#settings.headers : { ...this.#settings.headers, ...init.headers };
    let last: Replica | undefined;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted === true) throw abortReason(signal);
      const replica = this.#pick(last);
      last = replica;
      let url = replica.urls.get(path);
      if (url === undefined) replica.urls.set(path, (url = new URL(path, replica.base)));
      replica.inFlight++;
      replica.requests++;
      let failure: { error: InprocError; delayMs?: number | undefined } | undefined;
      let response: TransportResponse | undefined;
      try {
        response = await this.#transport.request({ method: init.method, url, headers, body: init.body, signal, deadline, timeoutMs: requestTimeoutMs, maxResponseBytes });
      } catch (error) {
        if (fired(signal)) throw abortReason(signal);
        if (!(error instanceof ConnectionFailure)) throw error;
        // Refused, reset, closed before the whole answer came: the server did not answer.
        this.#markDown(replica, error.message);
        const what = phase === 'load' ? `cannot reach ${url.href}` : `request to ${url.href} failed`;
        failure = { error: new InprocError(phase === 'load' ? 'MODEL_NOT_FOUND' : 'RUN_FAILED', `${what}: ${error.message} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, { cause: error }) };
      } finally {
        replica.inFlight--;
      }
      if (response !== undefined) {
        const { status } = response;
        if (status >= 300 && status < 400) {
          const location = response.header('location');
          throw new InprocError(phase === 'load' ? 'MODEL_NOT_FOUND' : 'RUN_FAILED', `${url.href}: HTTP ${status} redirects to ${location === undefined ? 'a location the platform hides' : JSON.stringify(location.slice(0, 500))}; the kserve backend does not follow redirects (the request's headers would go there): use the final URL`, {
            cause: new ServerError(status, url.href, `redirect to ${location ?? '?'}`),
            details: { status, ...(location === undefined ? {} : { location }) },
          });
        }
        if (status !== 503 && status !== 429) return this.#read(read, response, url.href, phase);
        // Not accepted: the server is busy, shutting down, or the model is not ready there.
        const { message, code } = readErrorBody(new TextDecoder().decode(response.body));
        if (code === undefined || !BUSY.has(code)) this.#markDown(replica, `HTTP ${status}${message === undefined ? '' : `: ${message}`}`);
        const error = new InprocError(code ?? 'QUEUE_FULL', `${url.href}: HTTP ${status}${message === undefined ? '' : `: ${message}`} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, {
          cause: new ServerError(status, url.href, message ?? ''),
          details: { status },
        });
        failure = { error, delayMs: retryAfter(response.header('retry-after')) };
      }
      if (failure === undefined) throw new Error('unreachable: neither an answer nor a failure');
      if (attempt >= retries || this.#stopped) throw failure.error;
      const backoff = Math.min(this.#settings.maxRetryDelayMs, this.#settings.retryDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      const delay = Math.max(backoff, Math.min(failure.delayMs ?? 0, this.#settings.maxRetryDelayMs));
      if (performance.now() + delay >= deadline) throw failure.error;
      await sleep(delay, signal);
    }
  }

  /** `read`'s result; what it throws that is not an `InprocError` (a RangeError of a malformed body, ...) becomes one, never a retry. */
  async #read<T>(read: (response: TransportResponse, url: string) => T | Promise<T>, response: TransportResponse, url: string, phase: Phase): Promise<T> {
    try {
      return await read(response, url);
    } catch (error) {
      if (InprocError.is(error)) throw error;
      throw new InprocError(phase === 'load' ? 'MODEL_INVALID' : 'RUN_FAILED', `${url}: the answer (HTTP ${response.status}) could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  #markDown(replica: Replica, why: string): void {
    replica.healthy = false;
    replica.lastError = why;
  }
}

/** Whether the signal fired (a function, so that a check after an await is not narrowed away). */
function fired(signal: AbortSignal | undefined): signal is AbortSignal {
  return signal?.aborted === true;
}

/** `Retry-After` in seconds (HTTP dates are ignored), as milliseconds. */
function retryAfter(header: string | undefined): number | undefined {
  return header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) * 1000 : undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The `ready` field of a readiness answer, or undefined when the body is not JSON holding one. */
function readyField(body: Uint8Array): boolean | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { ready?: unknown }).ready === 'boolean' ? (parsed as { ready: boolean }).ready : undefined;
  } catch {
    return undefined;
  }
}
