/**
 * The v2 error body (`{ "error": message }`) with the `InprocError` code added, so that
 * clients (the kserve backend) recover the exact code, at the status the protocol's
 * table (`statusOf`, `@inproc/kserve/protocol`) gives the code, or an HTTP error's own.
 * @module
 */
import { type ErrorCode, InprocError } from '@inproc/core';
import { type ErrorBody, statusOf } from '@inproc/kserve/protocol';

/** An error answer: status and body. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: ErrorBody;
}

/**
 * The answer for any thrown value; what is not an `InprocError` is a 500 `RUN_FAILED`.
 * Messages go to HTTP clients without the server's layout: `root` (the repository's
 * absolute path) becomes `<repository>`, and a lookup of a model the repository does not
 * have is worded as Triton words it, naming the model and what is served, with a hint that fits an HTTP client.
 */
export function errorAnswer(error: unknown, root?: string): ErrorAnswer {
  if (error instanceof HttpError) return { status: error.status, body: { error: withoutRoot(error.message, root), code: error.code } };
  if (InprocError.is(error)) {
    const models = error.details?.['models'];
    const message =
      error.code === 'MODEL_NOT_FOUND' && Array.isArray(models)
        ? // Triton's wording first: its clients and examples match on "Request for unknown model".
          `Request for unknown model: '${String(error.details?.['name'])}' is not found; this server serves ${models.length === 0 ? 'no models' : models.map((m) => JSON.stringify(m)).join(', ')} (GET or POST /v2/repository/index lists them)`
        : withoutRoot(error.message, root);
    return { status: statusOf(error.code), body: { error: message, code: error.code } };
  }
  return { status: 500, body: { error: `internal error: ${withoutRoot(error instanceof Error ? error.message : String(error), root)}`, code: 'RUN_FAILED' } };
}

/** `message` with the repository's absolute path replaced by `<repository>` (the log keeps the original). */
export function withoutRoot(message: string, root: string | undefined): string {
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
