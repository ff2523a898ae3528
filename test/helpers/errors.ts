/** Assertions shared by the tests: what an Inproc call rejected with. */
import { expect } from 'vitest';
import { InprocError } from 'inproc';

/** The `InprocError` code a promise rejects with, or `'resolved'` if it did not reject (asserting it is an InprocError). */
export async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InprocError);
    return (error as InprocError).code;
  }
  return 'resolved';
}
