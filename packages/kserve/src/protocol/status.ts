/**
 * `InprocError` codes and HTTP statuses, both ways, and the protocol's error body
 * (`{ "error": message }`, to which `inproc serve` adds the code so that clients recover
 * it exactly). The server answers each code with {@link statusOf}; a client reading a
 * body without a code falls back to {@link codeOfStatus}.
 * @module
 */
import { type ErrorCode, ErrorCodes } from '@inproc/core';

/** The status a server answers each code with. */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  INPUT_MISSING: 400,
  INPUT_UNEXPECTED: 400,
  INPUT_DTYPE: 400,
  INPUT_SHAPE: 400,
  INPUT_INVALID: 400,
  PATH_OUTSIDE_REPOSITORY: 400,
  MODEL_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  TIMEOUT: 504,
  ABORTED: 499,
  // Not accepted: the client may retry, here or on another replica.
  QUEUE_FULL: 503,
  DISPOSED: 503,
  LIMIT_EXCEEDED: 503,
  // The server's own models or runtime failed: not the request's fault.
  MODEL_INVALID: 500,
  FORMAT_UNKNOWN: 500,
  BACKEND_UNAVAILABLE: 500,
  DEVICE_UNAVAILABLE: 500,
  RUN_FAILED: 500,
  WORKER_CRASHED: 500,
};

/** The HTTP status for an error code (500 for a code this table does not know). */
export function statusOf(code: ErrorCode): number {
  return Object.hasOwn(STATUS, code) ? STATUS[code] : 500;
}

/** Whether the client was loading the model (metadata) or running it (infer). */
export type Phase = 'load' | 'run';

/**
 * The code for a status whose body names none. Triton answers an unknown model with 400,
 * so any 4xx while loading is `MODEL_NOT_FOUND` (401/403: `BACKEND_UNAVAILABLE`, no access).
 */
export function codeOfStatus(status: number, phase: Phase): ErrorCode {
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 413 || status === 431) return 'LIMIT_EXCEEDED';
  if (status === 429 || status === 503) return 'QUEUE_FULL';
  if (status === 499) return 'ABORTED';
  if (phase === 'load') return status === 401 || status === 403 ? 'BACKEND_UNAVAILABLE' : 'MODEL_NOT_FOUND';
  if (status === 404) return 'MODEL_NOT_FOUND';
  if (status >= 400 && status < 500 && status !== 401 && status !== 403) return 'INPUT_INVALID';
  return 'RUN_FAILED';
}

/** An error response of any endpoint; `inproc serve` adds the `InprocError` code. */
export interface ErrorBody {
  readonly error: string;
  readonly code?: ErrorCode;
}

/** The error body for a message and code. */
export function errorBody(message: string, code: ErrorCode): ErrorBody {
  return { error: message, code };
}

/** The message and code a response body carries (`{ "error": ..., "code": ... }`), whatever its shape. */
export function readErrorBody(text: string): { message: string | undefined; code: ErrorCode | undefined } {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const { error, code } = body as { error?: unknown; code?: unknown };
      return {
        message: typeof error === 'string' ? error.slice(0, 2000) : undefined,
        code: typeof code === 'string' && (ErrorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : undefined,
      };
    }
  } catch {
    // not JSON: the text itself is the message
  }
  return { message: text.trim() === '' ? undefined : text.trim().slice(0, 500), code: undefined };
}
