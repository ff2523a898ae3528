/**
 * One signal per call that fires on the caller's `AbortSignal` or on `timeoutMs`, with
 * an `InprocError` (`ABORTED` / `TIMEOUT`) as its reason. However many calls share one
 * caller's signal, it carries one listener of ours (see {@link onAbort}): Node warns
 * (`MaxListenersExceededWarning`) past 10 listeners on one signal.
 * @module
 * @internal
 */
import { InprocError } from './errors.js';
import { describe } from './tensor.js';

export interface CallSignal {
  readonly signal: AbortSignal | undefined;
  /**
   * Throws the signal's reason if it fired, or `TIMEOUT` if the deadline passed even
   * though the timer could not fire yet (a synchronous native run blocks the event loop).
   */
  check(): void;
  /** Stops the timer and detaches from the caller's signal. */
  done(): void;
}

/** The longest delay a JavaScript timer takes, 2^31 - 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface Fanout {
  readonly listeners: Set<() => void>;
  readonly fire: () => void;
}

/** The calls listening to each caller's signal, behind the one listener registered on it. */
const fanouts = new WeakMap<AbortSignal, Fanout>();

/**
 * Calls `listener` once when `signal` aborts; returns the function that stops listening.
 * Every listener of one signal shares a single `abort` listener on it, registered while
 * any is attached. @internal
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (fanout === undefined) {
    const listeners = new Set<() => void>();
    const fire = (): void => {
      fanouts.delete(signal);
      // A snapshot: listeners remove themselves (call.done()) while they run.
      for (const l of [...listeners]) l();
      listeners.clear();
    };
    fanout = { listeners, fire };
    fanouts.set(signal, fanout);
    signal.addEventListener('abort', fire, { once: true });
  }
  const { listeners, fire } = fanout;
  listeners.add(listener);
  return () => {
    if (!listeners.delete(listener) || listeners.size > 0 || fanouts.get(signal)?.fire !== fire) return;
    fanouts.delete(signal);
    signal.removeEventListener('abort', fire);
  };
}

const NO_SIGNAL: CallSignal = Object.freeze({ signal: undefined, check: () => undefined, done: () => undefined });

export function callSignal(what: string, signal: AbortSignal | undefined, timeoutMs: number | undefined): CallSignal {
  // Timers take a signed 32-bit delay: a longer one would fire after about 1 ms.
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > MAX_TIMEOUT_MS)) {
    throw new InprocError('INPUT_INVALID', `timeoutMs must be a number from 0 to ${MAX_TIMEOUT_MS} (about 24.8 days), got ${describe(timeoutMs)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InprocError('INPUT_INVALID', `signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal === undefined && timeoutMs === undefined) return NO_SIGNAL;
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
  const timedOut = (): InprocError => new InprocError('TIMEOUT', `${what} timed out after ${timeoutMs} ms`);
  const controller = new AbortController();
  const abort = (): void => controller.abort(new InprocError('ABORTED', `${what} was aborted`, { cause: signal?.reason }));
  let detach: (() => void) | undefined;
  if (signal?.aborted === true) abort();
  else if (signal !== undefined) detach = onAbort(signal, abort);
  const timer =
    timeoutMs === undefined || controller.signal.aborted
      ? undefined
      : setTimeout(() => controller.abort(timedOut()), timeoutMs);
  return {
    signal: controller.signal,
    check() {
      if (!controller.signal.aborted && performance.now() > deadline) controller.abort(timedOut());
      if (controller.signal.aborted) throw controller.signal.reason;
    },
    done() {
      if (timer !== undefined) clearTimeout(timer);
      detach?.();
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
    const detach = onAbort(signal, () => {
      promise.catch(() => undefined);
      reject(signal.reason as Error);
    });
    promise.then(
      (value) => {
        detach();
        resolve(value);
      },
      (error: unknown) => {
        detach();
        reject(error);
      },
    );
  });
}

/** Throws `ABORTED` (an `InprocError`, not the DOM's `AbortError`) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new InprocError('ABORTED', `${what} was aborted`, { cause: signal.reason });
}
