/**
 * How the client speaks HTTP: one request, its whole (size-limited) answer read into
 * memory, a deadline, no redirects followed. In Node it is a keep-alive connection pool
 * on `node:http` / `node:https` (`transport-node.ts`); in browsers, and wherever the
 * user passes a `fetch` of their own, it is `fetch` (`transport-fetch.ts`). Which module
 * is the default is decided by package.json's `imports` conditions (`#default-transport`),
 * so a browser bundle never names `node:http`.
 *
 * What a transport rejects with says what happened, and so whether the request may be
 * sent again: {@link ConnectionFailure} (refused, reset, closed before the whole answer
 * came: the server did not answer, so it is retried), or an `InprocError`: `TIMEOUT`
 * (the deadline passed), `LIMIT_EXCEEDED` (the answer is larger than allowed), or the
 * signal's reason (aborted). None of those is retried.
 * @module
 */
import { InprocError } from '@inproc/core';

/** One request. */
export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The body in parts (the JSON header, then each binary tensor's bytes): sent without concatenating large parts. */
  readonly body?: readonly Uint8Array[] | undefined;
  readonly signal?: AbortSignal | undefined;
  /** When the request must have been answered, as a `performance.now()` time. */
  readonly deadline: number;
  /** The deadline's length, for the error message. */
  readonly timeoutMs: number;
  /** The largest successful (2xx) answer accepted; a larger one is `LIMIT_EXCEEDED`. */
  readonly maxResponseBytes: number;
}

/** An answer, read whole. */
export interface TransportResponse {
  readonly status: number;
  /** A response header (lower-case name), or undefined. */
  header(name: string): string | undefined;
  /** The body; an error answer's (non-2xx) body is cut at {@link ERROR_BODY_BYTES}. */
  readonly body: Uint8Array;
}

/** A pool of connections that can send requests. */
export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Closes idle connections; requests in flight finish. */
  close(): void;
}

/** What is kept of a non-2xx answer's body: enough for an error message. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** The request reached no server, or its answer was cut: the server did not answer it, so it may be sent again. */
export class ConnectionFailure extends Error {
  override readonly name = 'ConnectionFailure';
  constructor(
    message: string,
    /** The system error code, when there is one (`ECONNREFUSED`, `ECONNRESET`, ...). */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(code === undefined || message.includes(code) ? message : `${message} (${code})`, options);
  }
}

/** The error for an answer larger than allowed. */
export function tooLarge(url: URL, bytes: number | string, limit: number): InprocError {
  return new InprocError(
    'LIMIT_EXCEEDED',
    `${url.href}: the answer is ${typeof bytes === 'number' ? `more than ${limit}` : bytes} bytes, more than the ${limit} allowed (backendOptions.maxResponseBytes)`,
    { details: { limit } },
  );
}

/** The error for a request past its deadline. */
export function pastDeadline(url: URL, timeoutMs: number): InprocError {
  return new InprocError('TIMEOUT', `${url.href}: no answer within ${timeoutMs} ms (backendOptions.requestTimeoutMs)`);
}

/** The signal's reason as the error to throw: an `InprocError` as it is, anything else as `ABORTED`. */
export function abortReason(signal: AbortSignal): unknown {
  return InprocError.is(signal.reason) ? signal.reason : new InprocError('ABORTED', 'the request was aborted', { cause: signal.reason });
}
