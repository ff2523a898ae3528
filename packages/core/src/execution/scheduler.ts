/**
 * The per-model scheduler: a bounded priority queue (higher priority first, FIFO within
 * a priority) feeding at most `concurrency` backend runs at once, with optional dynamic
 * batching (requests that arrive within `maxDelayMs` are concatenated along dimension 0
 * up to `maxBatchSize`, run once, and split back). A request whose signal fires while it
 * waits leaves the queue without running; one that fires inside a batch rejects alone.
 * @module
 * @internal
 */
import type { BackendRunOptions, SplitRun } from '../backend.js';
import type { BatchingOptions } from '../model.js';
import { batchRows, concatFeeds, feedsProblem, mergeable, splitBatch } from './batching.js';
import { InprocError } from '../errors.js';
import type { ModelMetrics } from '../metrics/metrics.js';
import type { Outputs, Signature } from '../signature.js';
import type { Tensor } from '../tensor.js';

export type Execute = (feeds: Record<string, Tensor>, outputs: readonly string[], signal: AbortSignal | undefined) => Promise<Outputs>;

export interface SchedulerOptions {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly signature: Signature;
  readonly batching: BatchingOptions | undefined;
  readonly execute: Execute;
  /** The session's two-halves run, when it has one: {@link Scheduler.runNow} makes the outputs in its one continuation. */
  readonly split: SplitRun | undefined;
  /** Maps a backend rejection to the error callers see (e.g. wraps it as RUN_FAILED). */
  readonly onError: (error: unknown) => never;
  readonly metrics: ModelMetrics;
}

interface Request {
  readonly feeds: Record<string, Tensor>;
  readonly outputs: readonly string[];
  readonly priority: number;
  readonly at: number;
  /** Rows along the batch dimension; 0 when the request cannot join a batch. */
  readonly rows: number;
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  resolve(value: Outputs): void;
  reject(error: unknown): void;
  detach(): void;
}

const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
interface Channel {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(m: null): void };
}
let channel: Channel | undefined;
const channelQueue: (() => void)[] = [];

/** Runs `fn` after the current task and its microtasks: setImmediate in Node, a MessageChannel in browsers (setTimeout(0) is clamped there). */
function nextMacrotask(fn: () => void): void {
  if (immediate !== undefined) {
    immediate(fn);
    return;
  }
  if (channel === undefined) {
    const created = new MessageChannel() as unknown as Channel;
    created.port1.onmessage = () => channelQueue.shift()?.();
    channel = created;
  }
  channelQueue.push(fn);
  channel.port2.postMessage(null);
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #waiting: Request[] = [];
  #running = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pumpScheduled = false;
  #timerAt = 0;
  #idle: (() => void)[] = [];

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  get running(): number {
    return this.#running;
  }

  /** True when a call would start at once without batching: a free slot and nobody waiting. */
  get idle(): boolean {
    return this.#options.batching === undefined && this.#running < this.#options.concurrency && this.#waiting.length === 0;
  }

  /**
   * Starts a run now, in a free slot (callers check {@link idle}): the fast path of
   * Model.run. One continuation after the runtime's own promise does everything (the
   * outputs, through the session's {@link SplitRun}; the slot; metrics; error mapping): on
   * a small model every promise hop here is a measurable share of the call.
   */
  runNow(feeds: Record<string, Tensor>, options: BackendRunOptions): Promise<Outputs> {
    this.#running++;
    const start = performance.now();
    const split = this.#options.split;
    let pending: Promise<unknown>;
    try {
      pending = split === undefined ? this.#options.execute(feeds, options.outputs, undefined) : split.start(feeds, options);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (result) => {
        let outputs: Outputs;
        try {
          outputs = split === undefined ? (result as Outputs) : split.outputs(result, options);
        } catch (error) {
          return this.#plainFailed(start, error);
        }
        this.#options.metrics.plainRun((performance.now() - start) / 1e3, true);
        this.#release();
        return outputs;
      },
      (error: unknown) => this.#plainFailed(start, split === undefined ? error : split.error(error)),
    );
  }

  #plainFailed(start: number, error: unknown): never {
    const { metrics } = this.#options;
    metrics.plainRun((performance.now() - start) / 1e3, false);
    this.#release();
    try {
      return this.#options.onError(error);
    } catch (mapped) {
      metrics.fail(InprocError.is(mapped) ? mapped.code : 'RUN_FAILED');
      throw mapped;
    }
  }

  /** Queues a request (made at `at`, from `performance.now()`); resolves with its outputs. */
  submit(feeds: Record<string, Tensor>, outputs: readonly string[], priority: number, signal: AbortSignal | undefined, at = performance.now()): Promise<Outputs> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const { maxQueue, concurrency, batching, signature } = this.#options;
    const startsNow = batching === undefined && this.#running < concurrency && this.#waiting.length === 0;
    if (!startsNow && this.#waiting.length >= maxQueue) {
      return Promise.reject(new InprocError('QUEUE_FULL', `the model's queue is full (${this.#waiting.length} waiting, maxQueue ${maxQueue}); retry later`));
    }
    const rows = batching === undefined ? undefined : batchRows(feeds, signature);
    return new Promise<Outputs>((resolve, reject) => {
      const request: Request = {
        feeds,
        outputs,
        priority,
        at,
        rows: rows ?? 0,
        signal,
        settled: false,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => {
        if (request.settled) return;
        request.settled = true;
        const index = this.#waiting.indexOf(request);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
        this.#notifyIdle();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#enqueue(request);
      this.#schedulePump();
    });
  }

  /** Resolves once nothing is queued or running. */
  drain(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(request: Request): void {
    // Sorted by priority (descending), then arrival: insert after the last entry of >= priority.
    let i = this.#waiting.length;
    while (i > 0 && this.#waiting[i - 1]!.priority < request.priority) i--;
    this.#waiting.splice(i, 0, request);
  }

  #pump(): void {
    const { concurrency, batching } = this.#options;
    while (this.#running < concurrency && this.#waiting.length > 0) {
      const head = this.#waiting[0]!;
      if (batching === undefined || head.rows === 0) {
        this.#waiting.shift();
        this.#dispatch([head]);
        continue;
      }
      const group = this.#gather(head, batching);
      if (group === undefined) return; // waiting for more requests to join; the timer pumps again
      const members = new Set(group);
      for (let i = this.#waiting.length - 1; i >= 0; i--) if (members.has(this.#waiting[i]!)) this.#waiting.splice(i, 1);
      this.#dispatch(group);
    }
  }

  /** The batch to run now with `head`, or undefined when it should wait for more (a timer is armed). */
  #gather(head: Request, batching: BatchingOptions): Request[] | undefined {
    const { maxBatchSize, maxDelayMs, preferredSizes } = batching;
    const group = [head];
    let rows = head.rows;
    for (let i = 1; i < this.#waiting.length && rows < maxBatchSize; i++) {
      const r = this.#waiting[i]!;
      if (r.rows !== 0 && rows + r.rows <= maxBatchSize && mergeable(head.feeds, head.outputs, r.feeds, r.outputs, this.#options.signature)) {
        group.push(r);
        rows += r.rows;
      }
    }
    const ready = rows >= maxBatchSize || preferredSizes?.includes(rows) === true;
    if (!ready) {
      const wait = head.at + maxDelayMs - performance.now();
      if (wait > 0) {
        this.#arm(wait);
        return undefined;
      }
    }
    if (!ready && preferredSizes !== undefined) {
      // The delay is over: cut the batch to the largest preferred size it can fill exactly
      // from a prefix, if any; the rest goes in the next batch.
      for (let p = preferredSizes.length - 1; p >= 0; p--) {
        let sum = 0;
        let n = 0;
        while (n < group.length && sum + group[n]!.rows <= preferredSizes[p]!) sum += group[n++]!.rows;
        if (sum === preferredSizes[p]) return group.slice(0, n);
      }
    }
    return group;
  }

  #arm(ms: number): void {
    const at = performance.now() + ms;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(0, Math.ceil(ms)));
  }

  #dispatch(batch: Request[]): void {
    const { metrics, execute, signature } = this.#options;
    // A member whose inputs changed since it was accepted fails alone; the rest still run.
    const group = batch.length === 1 ? batch : batch.filter((r) => {
      const problem = feedsProblem(r.feeds);
      if (problem === undefined) return true;
      r.detach();
      r.settled = true;
      r.reject(problem);
      return false;
    });
    if (group.length === 0) {
      this.#schedulePump();
      return;
    }
    this.#running++;
    metrics.batches++;
    metrics.batchSize.record(group.length);
    const start = performance.now();
    for (const r of group) metrics.queue.record((start - r.at) / 1e3);
    let pending: Promise<Outputs>;
    try {
      // A lone request keeps its own signal (a backend may cancel); a batch serves several callers.
      pending =
        group.length === 1
          ? execute(group[0]!.feeds, group[0]!.outputs, group[0]!.signal)
          : concatFeeds(group.map((r) => r.feeds), signature).then((feeds) => execute(feeds, group[0]!.outputs, undefined));
    } catch (error) {
      pending = Promise.reject(error);
    }
    const settle = (results: Outputs[] | undefined, error: unknown): void => {
      metrics.run.record((performance.now() - start) / 1e3);
      let mapped: unknown;
      if (results === undefined) {
        try {
          this.#options.onError(error);
        } catch (e) {
          mapped = e;
        }
      }
      group.forEach((r, i) => {
        r.detach();
        if (r.settled) return;
        r.settled = true;
        if (results === undefined) r.reject(mapped);
        else r.resolve(results[i]!);
      });
      this.#release();
    };
    if (group.length === 1) {
      pending.then(
        (outputs) => settle([outputs], undefined),
        (error: unknown) => settle(undefined, error),
      );
      return;
    }
    pending
      .then((outputs) => splitBatch(outputs, group.map((r) => r.rows)))
      .then(
        (results) => settle(results, undefined),
        (error: unknown) => settle(undefined, error),
      );
  }

  #release(): void {
    this.#running--;
    // The common case on the fast path: nobody queued, nobody awaiting idle; leave the rest untouched.
    if (this.#waiting.length === 0 && this.#idle.length === 0) return;
    this.#schedulePump();
    this.#notifyIdle();
  }

  /**
   * Without batching, dispatch at once. With batching, on the next macrotask: callers
   * whose results just arrived (or who call in the same tick) resubmit in microtasks, so
   * they join this batch instead of the next one. Without this, a closed loop of N
   * callers settles into alternating batches of N-1 and 1.
   */
  #schedulePump(): void {
    if (this.#options.batching === undefined) {
      this.#pump();
      return;
    }
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    nextMacrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #notifyIdle(): void {
    if (this.#running !== 0 || this.#waiting.length !== 0 || this.#idle.length === 0) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const resolve of waiters) resolve();
  }
}
