/**
 * One lock per process around every onnxruntime call that touches the WebGPU device.
 *
 * onnxruntime's WebGPU execution provider keeps one Dawn device per process (its
 * `WebGpuContextFactory` is static), shared by the sessions of every thread, and that
 * device is not safe to enter from two threads at once: two worker threads running
 * WebGPU sessions together fail with "Command encoding already finished" and then abort
 * or segfault the process (onnxruntime issue 32561). Within one JS thread there is no
 * overlap, because onnxruntime-node runs a session synchronously on its thread.
 *
 * So session creation, runs and release of WebGPU sessions take turns across threads.
 * The lock word lives in a `SharedArrayBuffer` that the main thread publishes with
 * `worker_threads.setEnvironmentData` when this module is first evaluated there: every
 * worker started afterwards (Inproc's isolation workers, or the application's own)
 * receives the same memory. A worker that did not receive it cannot take turns with the
 * others, so it is refused WebGPU with a coded error instead of risking the process.
 * Within a thread the callers queue in order; across threads they wait with
 * `Atomics.waitAsync`, which never blocks the thread's event loop.
 *
 * The word records its holder (thread id + 1). A thread that ends while it holds the lock
 * (`worker.terminate()` during a run, `process.exit()` in the worker, an out-of-memory
 * kill) never runs its release, so every thread that starts a worker after importing
 * onnx-node watches its workers (`process.on('worker')`, which sees Inproc's isolation
 * workers and the application's own alike) and frees the lock of one that exits holding it.
 * @module
 * @internal
 */
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';
import { InprocError } from '@inproc/core';
import { nodeModule, throwIfAborted } from '@inproc/core/backend';

const { getEnvironmentData, isMainThread, setEnvironmentData, threadId } = nodeModule<typeof WorkerThreads>('node:worker_threads');

const ENVIRONMENT_KEY = 'inproc.onnx-node.webgpu-lock';
/** Index of the holder's tag (thread id + 1; 0 when free) in the lock word. */
const HOLDER = 0;
/** Waiters re-check the word at this interval even without a notification. */
const RECHECK_MS = 1000;

interface WaitAsync {
  waitAsync(array: Int32Array, index: number, value: number, timeout?: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}

function sharedWord(): Int32Array | undefined {
  const published: unknown = getEnvironmentData(ENVIRONMENT_KEY);
  if (published instanceof SharedArrayBuffer) return new Int32Array(published);
  if (!isMainThread) return undefined;
  const buffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  setEnvironmentData(ENVIRONMENT_KEY, buffer);
  return new Int32Array(buffer);
}

// Published at import, so that workers started after `import 'inproc'` share it.
const word = sharedWord();
const tag = threadId + 1;
let tail: Promise<void> = Promise.resolve();

if (word !== undefined) {
  const shared = word;
  // Registered once per thread (a module is evaluated once per thread); the tag is read at
  // creation, because a worker's threadId reads -1 once it has exited.
  process.on('worker', (worker: Worker) => {
    const child = worker.threadId + 1;
    worker.once('exit', () => freeHeldBy(shared, child));
  });
}

/** Frees the lock if the (exited) thread tagged `holder` still holds it, and wakes the waiters. */
function freeHeldBy(shared: Int32Array, holder: number): void {
  if (Atomics.compareExchange(shared, HOLDER, holder, 0) === holder) Atomics.notify(shared, HOLDER);
}

/**
 * Why WebGPU cannot be used from this thread, or `undefined` when it can: a worker that
 * was started before the main thread imported onnx-node has no shared lock.
 */
export function gpuLockProblem(): string | undefined {
  if (word !== undefined) return undefined;
  return `WebGPU is refused in this worker thread: onnxruntime's WebGPU device is shared by all threads of the process and is only safe when they take turns, which needs the lock that the main thread creates when it imports @inproc/onnx-node (or inproc). Import it in the main thread before starting the worker`;
}

/**
 * Runs `task` while this thread holds the process-wide WebGPU lock. Callers of one
 * thread are served in order; a caller whose `signal` aborts while waiting leaves the
 * queue with `ABORTED` and never runs.
 */
export function withGpuLock<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (word === undefined) return Promise.reject(new InprocError('DEVICE_UNAVAILABLE', gpuLockProblem()!));
  const shared = word;
  const turn = tail.then(async () => {
    throwIfAborted(signal, 'the run');
    await acquire(shared, signal);
    try {
      return await task();
    } finally {
      Atomics.store(shared, HOLDER, 0);
      Atomics.notify(shared, HOLDER);
    }
  });
  tail = turn.then(
    () => undefined,
    () => undefined,
  );
  return turn;
}

async function acquire(shared: Int32Array, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    throwIfAborted(signal, 'the run');
    const holder = Atomics.compareExchange(shared, HOLDER, 0, tag);
    if (holder === 0) return;
    const wait = (Atomics as unknown as WaitAsync).waitAsync(shared, HOLDER, holder, RECHECK_MS);
    if (!wait.async) continue;
    if (signal === undefined) {
      await wait.value;
      continue;
    }
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const outcome = await Promise.race([wait.value, aborted]);
    signal.removeEventListener('abort', onAbort!);
    if (outcome === 'aborted') throwIfAborted(signal, 'the run');
  }
}
