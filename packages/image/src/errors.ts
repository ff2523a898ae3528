/**
 * How @inproc/image reports bad input: always an `InprocError` with code
 * `INPUT_INVALID`, a message saying what was expected and what was given, and a
 * machine-readable `details.reason` so that callers can tell the cases apart.
 * @module
 * @internal
 */
import { InprocError } from '@inproc/core';

/** Why an image could not be used. */
export type ImageErrorReason =
  | 'empty'
  | 'unknown-format'
  | 'corrupt'
  | 'zero-size'
  | 'not-found'
  | 'unsupported-source'
  | 'bad-option'
  | 'backend-missing';

/** An `INPUT_INVALID` error with `details.reason`. */
export function imageError(reason: ImageErrorReason, message: string, cause?: unknown): InprocError {
  return new InprocError('INPUT_INVALID', message, { ...(cause === undefined ? {} : { cause }), details: { reason } });
}

/** Short description of a value for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? String(value) : typeof value;
}
