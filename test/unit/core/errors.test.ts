import { describe, expect, it } from 'vitest';
import { ErrorCodes, InprocError } from '@inproc/core';

describe('InprocError', () => {
  it('carries a stable code, a cause and details', () => {
    const cause = new Error('low level');
    const e = new InprocError('RUN_FAILED', 'it broke', { cause, details: { step: 1 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('InprocError');
    expect(e.code).toBe('RUN_FAILED');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ step: 1 });
    expect(String(e)).toBe('InprocError: it broke');
  });

  it('lists every code of the public contract', () => {
    expect([...ErrorCodes].sort()).toEqual(
      [
        'MODEL_NOT_FOUND', 'MODEL_INVALID', 'FORMAT_UNKNOWN', 'BACKEND_UNAVAILABLE', 'DEVICE_UNAVAILABLE', 'INPUT_MISSING',
        'INPUT_UNEXPECTED', 'INPUT_DTYPE', 'INPUT_SHAPE', 'INPUT_INVALID', 'DISPOSED', 'ABORTED', 'TIMEOUT', 'QUEUE_FULL',
        'RUN_FAILED', 'WORKER_CRASHED', 'LIMIT_EXCEEDED', 'VERSION_NOT_FOUND', 'PATH_OUTSIDE_REPOSITORY',
      ].sort(),
    );
  });

  it('is recognised by InprocError.is, also when thrown by another copy of core', () => {
    const e = new InprocError('TIMEOUT', 'late');
    expect(InprocError.is(e)).toBe(true);
    expect(InprocError.is(e, 'TIMEOUT')).toBe(true);
    expect(InprocError.is(e, 'ABORTED')).toBe(false);
    const foreign = Object.assign(new Error('x'), { name: 'InprocError', code: 'ABORTED' });
    expect(InprocError.is(foreign, 'ABORTED')).toBe(true);
    expect(InprocError.is(new Error('x'))).toBe(false);
    expect(InprocError.is(null)).toBe(false);
  });
});
