/**
 * Assertions shared by the tests: the `InprocError` a call failed with. Every helper
 * fails the test when the call failed with something other than an `InprocError`.
 */
import { expect } from 'vitest';
// From core, not 'inproc': importing 'inproc' registers its backends, which unit tests of core must not see.
import { InprocError } from '@inproc/core';

/** The `InprocError` code a promise rejects with, or `'resolved'` if it did not reject (a value that is not a promise: `'resolved'`). */
export async function code(promise: unknown): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InprocError);
    return (error as InprocError).code;
  }
  return 'resolved';
}

/** The code of a call that may throw at once or return a promise that rejects; `'resolved'` if it does neither. */
export function callCode(fn: () => unknown): Promise<string> {
  return code(Promise.resolve().then(fn));
}

/** The code a synchronous call throws, or `'no error'`. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InprocError);
    return (error as InprocError).code;
  }
  return 'no error';
}

/** The `InprocError` a call (a promise, or a function that throws or rejects) failed with; fails the test when it succeeded. */
export async function failure(call: Promise<unknown> | (() => unknown)): Promise<InprocError> {
  try {
    await (typeof call === 'function' ? Promise.resolve().then(call) : call);
  } catch (error) {
    expect(InprocError.is(error), `expected an InprocError, got ${String(error)}`).toBe(true);
    return error as InprocError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
