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
import { type Phase, readErrorBody } from './protocol/status.js';
import type { Settings } from './options.js';

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
  healthy: boolean;
  inFlight: number;
  requests: number;
  lastError: string | undefined;
}

/** A request's method, headers and body. */
export interface ReplicaRequest {
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array<ArrayBuffer>;
}

/** Codes of a 503/429 that mean "busy": the replica is healthy, only full. */
const BUSY = new Set(['QUEUE_FULL', 'LIMIT_EXCEEDED']);

export class Replicas {
  readonly #replicas: Replica[];
  readonly #settings: Settings;
  readonly #readyPath: string;
  #next = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #probing = false;
  #stopped = false;

  constructor(bases: readonly URL[], readyPath: string, settings: Settings) {
    this.#replicas = bases.map((base) => ({ base, healthy: true, inFlight: 0, requests: 0, lastError: undefined }));
    this.#readyPath = readyPath;
    this.#settings = settings;
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

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Probes every replica once; resolves when all have answered or failed. */
  async probe(): Promise<void> {
    if (this.#probing || this.#stopped) return;
    this.#probing = true;
    try {
      await Promise.all(
        this.#replicas.map(async (replica) => {
          const url = new URL(this.#readyPath, replica.base);
          try {
            const response = await this.#settings.fetch(url, { headers: this.#settings.headers, signal: AbortSignal.timeout(Math.max(1000, this.#settings.healthCheckIntervalMs)) });
            const text = await response.text();
            const ready = response.status === 200 && !/"ready"\s*:\s*false/.test(text);
            if (ready) {
              replica.healthy = true;
            } else {
              replica.healthy = false;
              replica.lastError = `not ready (HTTP ${response.status})`;
            }
          } catch (error) {
            replica.healthy = false;
            replica.lastError = describeFailure(error);
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
   * Sends a request and hands the response to `read` (which must consume its body),
   * retrying what no server accepted. Rejects with the signal's reason when it fires.
   */
  async request<T>(path: string, init: ReplicaRequest, signal: AbortSignal | undefined, phase: Phase, read: (response: Response, url: string) => Promise<T>): Promise<T> {
    const { retries } = this.#settings;
    let last: Replica | undefined;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted === true) throw aborted(signal);
      const replica = this.#pick(last);
      last = replica;
      const url = new URL(path, replica.base).href;
      replica.inFlight++;
      replica.requests++;
      let failure: { error: InprocError; delayMs?: number | undefined };
      try {
        const response = await this.#settings.fetch(url, {
          method: init.method,
          headers: { ...this.#settings.headers, ...init.headers },
          ...(init.body === undefined ? {} : { body: init.body }),
          ...(signal === undefined ? {} : { signal }),
        });
        if (response.status !== 503 && response.status !== 429) return await read(response, url);
        // Not accepted: the server is busy, shutting down, or the model is not ready there.
        const text = await response.text().catch(() => '');
        const { message, code } = readErrorBody(text);
        if (code === undefined || !BUSY.has(code)) this.#markDown(replica, `HTTP ${response.status}${message === undefined ? '' : `: ${message}`}`);
        const error = new InprocError(code ?? 'QUEUE_FULL', `${url}: HTTP ${response.status}${message === undefined ? '' : `: ${message}`} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, {
          cause: new ServerError(response.status, url, message ?? ''),
          details: { status: response.status },
        });
        failure = { error, delayMs: retryAfter(response.headers.get('retry-after')) };
      } catch (error) {
        if (fired(signal)) throw aborted(signal);
        if (InprocError.is(error)) throw error;
        // The connection failed (refused, reset, closed before the answer was read).
        const why = describeFailure(error);
        this.#markDown(replica, why);
        const what = phase === 'load' ? `cannot reach ${url}` : `request to ${url} failed`;
        failure = { error: new InprocError(phase === 'load' ? 'MODEL_NOT_FOUND' : 'RUN_FAILED', `${what}: ${why} (after ${attempt + 1} attempt${attempt === 0 ? '' : 's'})`, { cause: error }) };
      } finally {
        replica.inFlight--;
      }
      if (attempt >= retries || this.#stopped) throw failure.error;
      const backoff = Math.min(this.#settings.maxRetryDelayMs, this.#settings.retryDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      await sleep(Math.max(backoff, Math.min(failure.delayMs ?? 0, this.#settings.maxRetryDelayMs)), signal);
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

function aborted(signal: AbortSignal): unknown {
  return InprocError.is(signal.reason) ? signal.reason : new InprocError('ABORTED', 'the request was aborted', { cause: signal.reason });
}

/** `Retry-After` in seconds (HTTP dates are ignored), as milliseconds. */
function retryAfter(header: string | null): number | undefined {
  return header !== null && /^\d+$/.test(header.trim()) ? Number(header) * 1000 : undefined;
}

/** A fetch failure's most useful words: Node's fetch hides the socket error (ECONNREFUSED, ...) in `cause`. */
function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${message} (${code})`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(aborted(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
