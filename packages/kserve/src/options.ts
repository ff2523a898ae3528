/**
 * The kserve backend's options (`LoadOptions.backendOptions`), their defaults and checks.
 * @module
 */
import { InprocError } from '@inproc/core';

/** `backendOptions` of a model loaded with `backend: 'kserve'`. Every field is optional. */
export interface KServeOptions {
  /**
   * More servers that serve the same model (replicas), as base URLs (`http://10.0.0.2:8000`)
   * or model URLs. Calls go to the healthy replica with the fewest calls in flight.
   */
  readonly replicas?: readonly (string | URL)[];
  /** `'binary'` (default): the binary tensor data extension; `'json'`: tensors as JSON arrays (FP16, NaN and infinity still go binary). */
  readonly protocol?: 'binary' | 'json';
  /** Headers sent with every request, e.g. `{ authorization: 'Bearer ...' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Retries of a request that no server accepted (connection failure, 503, 429) [4]. */
  readonly retries?: number;
  /** First back-off delay; doubled per retry, with jitter [50]. A `Retry-After` header can lengthen it. */
  readonly retryDelayMs?: number;
  /** Longest back-off delay [2000]. */
  readonly maxRetryDelayMs?: number;
  /** How often each replica's model-ready endpoint is probed; 0 turns probing off [2000]. */
  readonly healthCheckIntervalMs?: number;
  /** Requests in flight at once per replica (the model's default `concurrency` is this times the replicas) [8]. */
  readonly concurrency?: number;
  /**
   * Deadline of each request, retries included, in milliseconds [60000, as Triton's
   * client]: a server that never answers fails the call with `TIMEOUT`, and so `dispose()`,
   * which waits for calls in flight, never waits longer than this.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Largest answer accepted, in bytes; a larger one is `LIMIT_EXCEEDED` and the connection
   * is closed [from the outputs' signature: their size when the call's inputs fix every
   * dimension (doubled, plus 1 MiB for the JSON header; JSON data counts 32 bytes an element),
   * else 256 MiB; never more than 256 MiB unless set here].
   */
  readonly maxResponseBytes?: number;
  /**
   * The `fetch` to use (e.g. one with a TLS agent of your own) [Node: a keep-alive
   * connection pool on node:http(s), not fetch; browsers: globalThis.fetch].
   */
  readonly fetch?: typeof fetch;
}

/** The cap of the default response size limit. */
export const RESPONSE_CAP = 256 * 1024 * 1024;

/** {@link KServeOptions} with defaults applied. @internal */
export interface Settings {
  readonly replicas: readonly URL[];
  readonly binary: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly healthCheckIntervalMs: number;
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number | undefined;
  readonly fetch: typeof fetch | undefined;
}

const KEYS = ['replicas', 'protocol', 'headers', 'retries', 'retryDelayMs', 'maxRetryDelayMs', 'healthCheckIntervalMs', 'concurrency', 'requestTimeoutMs', 'maxResponseBytes', 'fetch'];

/** Checks `backendOptions`; every problem is `INPUT_INVALID` naming the field. @internal */
export function checkOptions(raw: Readonly<Record<string, unknown>>): Settings {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new InprocError('INPUT_INVALID', `backendOptions.${field} must be ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : typeof got}`);
  };
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) throw new InprocError('INPUT_INVALID', `backendOptions: unknown option "${key}" for the kserve backend; known: ${KEYS.join(', ')}`);
  const o = raw as KServeOptions;
  const count = (field: keyof KServeOptions, fallback: number, min: number): number => {
    const v = o[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) return bad(field, `a number >= ${min}`, v);
    return v;
  };
  const replicas = (o.replicas ?? []) as unknown;
  if (!Array.isArray(replicas)) bad('replicas', 'an array of URLs', replicas);
  const urls = (replicas as unknown[]).map((r, i) => {
    try {
      if (typeof r !== 'string' && !(r instanceof URL)) throw new TypeError('not a string');
      const url = new URL(r);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('not http(s)');
      return url;
    } catch {
      return bad(`replicas[${i}]`, 'an http(s) URL', r);
    }
  });
  if (o.protocol !== undefined && o.protocol !== 'binary' && o.protocol !== 'json') bad('protocol', "'binary' or 'json'", o.protocol);
  const headers = o.headers ?? {};
  if (typeof headers !== 'object' || headers === null || !Object.values(headers).every((v) => typeof v === 'string')) bad('headers', 'an object of strings', headers);
  if (o.fetch !== undefined && typeof o.fetch !== 'function') bad('fetch', 'a function', o.fetch);
  const fetchImpl = o.fetch;
  return {
    replicas: urls,
    binary: o.protocol !== 'json',
    headers,
    retries: Math.floor(count('retries', 4, 0)),
    retryDelayMs: count('retryDelayMs', 50, 0),
    maxRetryDelayMs: count('maxRetryDelayMs', 2000, 0),
    healthCheckIntervalMs: count('healthCheckIntervalMs', 2000, 0),
    concurrency: Math.floor(count('concurrency', 8, 1)),
    requestTimeoutMs: count('requestTimeoutMs', 60_000, 1),
    maxResponseBytes: o.maxResponseBytes === undefined ? undefined : Math.floor(count('maxResponseBytes', 0, 1)),
    fetch: fetchImpl === undefined ? undefined : (input, init) => fetchImpl(input, init),
  };
}
