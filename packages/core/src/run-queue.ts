/**
 * The per-model run queue: a bounded priority queue (higher priority first, FIFO
 * within a priority) feeding at most `concurrency` runs at once. A request whose signal
 * fires while it waits leaves the queue without running.
 * @module
 * @internal
 */
import { InprocError } from './errors.js';

interface Pending {
  readonly priority: number;
  readonly seq: number;
  readonly start: () => void;
}

export interface RunQueueOptions {
  readonly concurrency: number;
  readonly maxQueue: number;
  /** Maps a task's rejection to the error callers see (e.g. wraps it as RUN_FAILED). */
  readonly onError: (error: unknown) => never;
}

export class RunQueue {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #onError: (error: unknown) => never;
  readonly #waiting: Pending[] = [];
  #running = 0;
  #seq = 0;
  #idle: (() => void)[] = [];

  constructor(options: RunQueueOptions) {
    this.#concurrency = options.concurrency;
    this.#maxQueue = options.maxQueue;
    this.#onError = options.onError;
  }

  /** True when a call would start at once: a free slot and nobody waiting. */
  get idle(): boolean {
    return this.#running < this.#concurrency && this.#waiting.length === 0;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** Requests holding a slot (their task started and has not settled). */
  get running(): number {
    return this.#running;
  }

  /**
   * Runs `task` when a slot is free. The returned promise rejects with the signal's
   * reason if it fires first; a task that already started keeps its slot until it
   * settles (native runs cannot be interrupted), but its result is dropped.
   */
  schedule<T>(task: () => Promise<T>, priority: number, signal: AbortSignal | undefined): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.#running >= this.#concurrency && this.#waiting.length >= this.#maxQueue) {
      return Promise.reject(new InprocError('QUEUE_FULL', `the model's queue is full (${this.#waiting.length} waiting, maxQueue ${this.#maxQueue}); retry later`));
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        const index = this.#waiting.indexOf(pending);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason as Error);
        this.#notifyIdle();
      };
      const pending: Pending = {
        priority,
        seq: this.#seq++,
        start: () => {
          this.#running++;
          let done: Promise<T>;
          try {
            done = task();
          } catch (error) {
            done = Promise.reject(error);
          }
          const finish = (): void => {
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            this.#release();
          };
          done.then(
            (value) => {
              if (!settled) resolve(value);
              finish();
            },
            (error: unknown) => {
              if (!settled) {
                try {
                  this.#onError(error);
                } catch (mapped) {
                  reject(mapped);
                }
              }
              finish();
            },
          );
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#enqueue(pending);
      this.#pump();
    });
  }

  /**
   * Starts `task` now, in a free slot (callers check {@link idle}): the fast path of
   * Model.run, with a single continuation for the bookkeeping.
   */
  runNow<T>(task: () => Promise<T>): Promise<T> {
    this.#running++;
    return task().then(
      (value) => {
        this.#release();
        return value;
      },
      (error: unknown) => {
        this.#release();
        return this.#onError(error);
      },
    );
  }

  #release(): void {
    this.#running--;
    this.#pump();
    this.#notifyIdle();
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(pending: Pending): void {
    // Sorted by priority (descending), then arrival: insert after the last entry of >= priority.
    let i = this.#waiting.length;
    while (i > 0 && this.#waiting[i - 1]!.priority < pending.priority) i--;
    this.#waiting.splice(i, 0, pending);
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      this.#waiting.shift()!.start();
    }
  }

  #notifyIdle(): void {
    if (this.#running !== 0 || this.#waiting.length !== 0 || this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}
