/**
 * Calls that run one after another: the ordering that `AudioStream` and `StreamGraph` give
 * their `push()`, `flush()` and `reset()` calls (a stream's state is only ever touched by one
 * of them at a time).
 * @module
 * @internal
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled; a failed task does not stop the ones after it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Settles (never rejects) once every task queued so far has settled. */
  get settled(): Promise<unknown> {
    return this.#tail;
  }
}
