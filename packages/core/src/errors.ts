/**
 * The one error class of Inproc. Every failure a caller can act on carries a stable
 * `code` (documented below) and, where a lower layer failed, its `cause`.
 * @module
 */

/**
 * Stable error codes. They are part of the public API: a code is never renamed.
 *
 * | code | when |
 * |---|---|
 * | `MODEL_NOT_FOUND` | the model file, directory or URL does not exist |
 * | `MODEL_INVALID` | the bytes are not a loadable model (corrupt, truncated, hostile) |
 * | `FORMAT_UNKNOWN` | the format could not be sniffed and was not given |
 * | `BACKEND_UNAVAILABLE` | no registered backend can load the model (each failure is listed) |
 * | `DEVICE_UNAVAILABLE` | the requested device cannot be used by any candidate backend |
 * | `INPUT_MISSING` | a required input was not fed |
 * | `INPUT_UNEXPECTED` | a feed names an input the model does not have |
 * | `INPUT_DTYPE` | a feed has the wrong element type |
 * | `INPUT_SHAPE` | a feed has the wrong rank, a wrong fixed dimension, or symbolic dimensions that disagree |
 * | `INPUT_INVALID` | anything else wrong with an argument (bad tensor data, unknown output name, bad option) |
 * | `DISPOSED` | the model or tensor was used after `dispose()` |
 * | `ABORTED` | the caller's `AbortSignal` fired |
 * | `TIMEOUT` | `timeoutMs` elapsed before the result was ready |
 * | `QUEUE_FULL` | the model's queue already holds `maxQueue` requests |
 * | `RUN_FAILED` | the backend failed while running the model (see `cause`) |
 * | `WORKER_CRASHED` | an isolation worker died while holding the request |
 * | `LIMIT_EXCEEDED` | a configured limit (memory budget, size) cannot be met |
 * | `VERSION_NOT_FOUND` | a repository has no such model version |
 * | `PATH_OUTSIDE_REPOSITORY` | a model name or version resolves outside the repository root |
 */
export const ErrorCodes = [
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'FORMAT_UNKNOWN',
  'BACKEND_UNAVAILABLE',
  'DEVICE_UNAVAILABLE',
  'INPUT_MISSING',
  'INPUT_UNEXPECTED',
  'INPUT_DTYPE',
  'INPUT_SHAPE',
  'INPUT_INVALID',
  'DISPOSED',
  'ABORTED',
  'TIMEOUT',
  'QUEUE_FULL',
  'RUN_FAILED',
  'WORKER_CRASHED',
  'LIMIT_EXCEEDED',
  'VERSION_NOT_FOUND',
  'PATH_OUTSIDE_REPOSITORY',
] as const;

/** One of {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/** Extra, machine-readable facts attached to an error (e.g. the failures per backend). */
export interface InprocErrorOptions {
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The error every Inproc API rejects with. Test `err.code`, not the message: messages
 * say what was expected and what was given, and may be reworded.
 */
export class InprocError extends Error {
  override readonly name = 'InprocError';
  readonly code: ErrorCode;
  declare readonly cause?: unknown;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: InprocErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** True when `value` is an `InprocError`, optionally with the given code. Works across duplicate copies of core. */
  static is(value: unknown, code?: ErrorCode): value is InprocError {
    if (typeof value !== 'object' || value === null) return false;
    const candidate = value as { name?: unknown; code?: unknown };
    if (!(value instanceof InprocError) && candidate.name !== 'InprocError') return false;
    return code === undefined || candidate.code === code;
  }
}

/** The message of an unknown thrown value, for wrapping it in an {@link InprocError} (backend and processor packages use it too). */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  // Runtimes (TF.js, onnxruntime's WASM side) sometimes throw plain objects with a message.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return String(error);
}

/** The first line of {@link messageOf}, for one-line messages (runtimes' errors can carry long explanations and stacks). */
export function firstLine(error: unknown): string {
  return messageOf(error).split('\n')[0]!.trim();
}

/** `error` itself when it is an {@link InprocError}, else a `RUN_FAILED` that says `context` and wraps it as `cause`. */
export function asInprocError(error: unknown, context: string): InprocError {
  return InprocError.is(error) ? error : new InprocError('RUN_FAILED', `${context}: ${messageOf(error)}`, { cause: error });
}
