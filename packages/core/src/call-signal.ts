/**
 * One signal per call that fires on the caller's `AbortSignal` or on `timeoutMs`, with
 * an `InprocError` (`ABORTED` / `TIMEOUT`) as its reason.
 * @module
 * @internal
 */
import { InprocError } from './errors.js';
import { describe } from './tensor.js';

export interface CallSignal {
  readonly signal: AbortSignal | undefined;
  /** Stops the timer and detaches from the caller's signal. */
  done(): void;
}

export function callSignal(what: string, signal: AbortSignal | undefined, timeoutMs: number | undefined): CallSignal {
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs))) {
    throw new InprocError('INPUT_INVALID', `timeoutMs must be a non-negative finite number, got ${describe(timeoutMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InprocError('INPUT_INVALID', `signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal === undefined && timeoutMs === undefined) return { signal: undefined, done: () => undefined };
  const controller = new AbortController();
  const abort = (): void => controller.abort(new InprocError('ABORTED', `${what} was aborted`, { cause: signal?.reason }));
  if (signal?.aborted === true) abort();
  else signal?.addEventListener('abort', abort, { once: true });
  const timer =
    timeoutMs === undefined || controller.signal.aborted
      ? undefined
      : setTimeout(() => controller.abort(new InprocError('TIMEOUT', `${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  return {
    signal: controller.signal,
    done() {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    },
  };
}

/** Settles with `promise`, or rejects with the signal's reason when it fires first. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => undefined);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
