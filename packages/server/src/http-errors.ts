/**
 * `InprocError` codes to HTTP statuses, and the v2 error body (`{ "error": message }`)
 * with the code added, so that clients (the kserve backend) recover the exact code.
 * @module
 */
import { type ErrorCode, InprocError } from '@inproc/core';
import type { ErrorBody } from '@inproc/kserve';

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

/** An error answer: status and body. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: ErrorBody;
}

/**
 * The answer for any thrown value; what is not an `InprocError` is a 500 `RUN_FAILED`.
 * Messages go to HTTP clients without the server's layout: `root` (the repository's
 * absolute path) becomes `<repository>`, and a lookup of a model the repository does not
 * have names the model and what is served, with a hint that fits an HTTP client.
 */
export function errorAnswer(error: unknown, root?: string): ErrorAnswer {
  if (error instanceof HttpError) return { status: error.status, body: { error: withoutRoot(error.message, root), code: error.code } };
  if (InprocError.is(error)) {
    const models = error.details?.['models'];
    const message =
      error.code === 'MODEL_NOT_FOUND' && Array.isArray(models)
        ? `no model ${JSON.stringify(String(error.details?.['name']))} on this server; it serves ${models.length === 0 ? 'no models' : models.map((m) => JSON.stringify(m)).join(', ')} (GET or POST /v2/repository/index lists them)`
        : withoutRoot(error.message, root);
    return { status: STATUS[error.code] ?? 500, body: { error: message, code: error.code } };
  }
  return { status: 500, body: { error: `internal error: ${withoutRoot(error instanceof Error ? error.message : String(error), root)}`, code: 'RUN_FAILED' } };
}

function withoutRoot(message: string, root: string | undefined): string {
  if (root === undefined || root === '' || root === '/') return message;
  const bare = root.replace(/[/\\]+$/, '');
  return message.split(bare).join('<repository>');
}

/** An error with a status of its own (404 route, 405 method, 413 body). */
export class HttpError extends InprocError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}
