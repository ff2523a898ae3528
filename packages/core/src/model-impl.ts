/**
 * The `Model` implementation: validation, the scheduler (queue, priorities, batching),
 * processors, the response cache, metrics, cancellation, and disposal that waits for
 * accepted calls and then frees the backend session.
 * @module
 * @internal
 */
import type { BackendRunOptions, BackendSession, ModelFormat } from './backend.js';
import { callSignal, raceSignal } from './call-signal.js';
import { InprocError, messageOf } from './errors.js';
import { forgetLeakWatch, watchForLeak } from './leak-reporter.js';
import { ModelMetrics, registerMetrics } from './metrics/metrics.js';
import type { ModelStats } from './metrics/stats.js';
import type { BatchingOptions, Model, RunOptions } from './model.js';
import type { Processor, ProcessorContext } from './processing/processor.js';
import { disposeAll, runProcessors } from './processing/chain.js';
import { trackResource, type ResourceLease } from './resources.js';
import { ResponseCache } from './execution/response-cache.js';
import { Scheduler } from './execution/scheduler.js';
import { type Feeds, type Outputs, type Signature, selectOutputs, validateFeeds } from './signature.js';
import { type Tensor, describe } from './tensor.js';

export interface ModelInit {
  readonly name: string;
  readonly backend: string;
  readonly format: ModelFormat;
  readonly source: string;
  readonly session: BackendSession;
  readonly preprocess: readonly Processor[];
  readonly postprocess: readonly Processor[];
  readonly concurrency: number;
  /** The pool size when the session is a pool of isolation workers, which counts each worker's session in the ledger itself. */
  readonly workers: number | undefined;
  readonly maxQueue: number;
  readonly batching: BatchingOptions | undefined;
  readonly cacheBytes: number | undefined;
  readonly loadedAt: string;
}

/** Backends should reject with InprocErrors; anything else becomes a RUN_FAILED. */
function runErrorWrapper(backend: string, source: string): (error: unknown) => never {
  return (error) => {
    if (InprocError.is(error)) throw error;
    throw new InprocError('RUN_FAILED', `${backend} failed to run ${source}: ${messageOf(error)}`, { cause: error });
  };
}

export class ModelImpl<I = Feeds, O = Outputs> implements Model<I, O> {
  readonly name: string;
  readonly backend: string;
  readonly format: ModelFormat;
  readonly source: string;
  readonly device: string;
  readonly signature: Signature;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #session: BackendSession;
  readonly #scheduler: Scheduler;
  readonly #preprocess: readonly Processor[];
  readonly #postprocess: readonly Processor[];
  readonly #cache: ResponseCache | undefined;
  readonly #metrics: ModelMetrics;
  readonly #unregisterMetrics: () => void;
  readonly #leases: ResourceLease[];
  readonly #leakToken = {};
  /** Sessions behind the model that take calls at once: the pool size with isolation workers, else 1. Warm-up warms each. */
  readonly sessions: number;
  /** No processors, no batching, no cache: the plain path that Model.run optimises. */
  readonly #plain: boolean;
  /** The backend run options of a call that asks for every output, made once. */
  readonly #allOutputs: BackendRunOptions;
  #disposing: Promise<void> | undefined;

  constructor(init: ModelInit) {
    this.name = init.name;
    this.backend = init.backend;
    this.format = init.format;
    this.source = init.source;
    this.#session = init.session;
    this.device = init.session.device;
    this.signature = init.session.signature;
    this.metadata = init.session.metadata;
    this.#preprocess = init.preprocess;
    this.#postprocess = init.postprocess;
    this.#cache = init.cacheBytes === undefined ? undefined : new ResponseCache(init.cacheBytes);
    this.#metrics = new ModelMetrics({ model: init.name, backend: init.backend, device: init.session.device });
    // Nothing reachable from the global metrics registry may hold `this`: the model must
    // stay collectable so that a forgotten dispose() is reported.
    const session = init.session;
    const scheduler = new Scheduler({
      concurrency: init.concurrency,
      maxQueue: init.maxQueue,
      signature: this.signature,
      batching: init.batching,
      execute: (feeds, outputs, signal) => session.run(feeds, signal === undefined ? { outputs } : { outputs, signal }),
      split: session.split,
      onError: runErrorWrapper(init.backend, init.source),
      metrics: this.#metrics,
    });
    this.#scheduler = scheduler;
    this.#metrics.pending = () => ({ queued: scheduler.queued, running: scheduler.running });
    const cache = this.#cache;
    if (cache !== undefined) this.#metrics.cache = () => cache.stats();
    this.#unregisterMetrics = registerMetrics(this.#metrics);
    this.#allOutputs = Object.freeze({ outputs: selectOutputs(this.signature, undefined) });
    this.#plain = init.preprocess.length === 0 && init.postprocess.length === 0 && init.batching === undefined && this.#cache === undefined;
    const label = `${init.backend}/${init.session.device} ${init.source}`;
    this.#leases = [trackResource('model', 0, `model ${label}`)];
    if (init.workers === undefined) this.#leases.push(trackResource('session', init.session.bytes, `session ${label}`));
    this.sessions = init.workers ?? 1;
    watchForLeak(this, label, init.loadedAt, this.#leakToken);
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  get bytes(): number {
    return this.#session.bytes;
  }

  get pending(): { queued: number; running: number } {
    return { queued: this.#scheduler.queued, running: this.#scheduler.running };
  }

  stats(): ModelStats {
    return this.#metrics.snapshot();
  }

  run(input: I, options?: RunOptions): Promise<O> {
    // Fast path (no options, no processors/batching/cache, a free slot): validation, then
    // the backend's promise with one continuation for the bookkeeping. Model.run sits on
    // every inference, so each promise layer here costs throughput on small models.
    if (options === undefined && this.#plain && this.#disposing === undefined && this.#scheduler.idle) {
      this.#metrics.requests++;
      let named: Record<string, Tensor>;
      try {
        named = validateFeeds(this.signature, input);
      } catch (error) {
        this.#failed(error);
        return Promise.reject(error);
      }
      return this.#scheduler.runNow(named, this.#allOutputs) as Promise<O>;
    }
    return this.#run(input, options === undefined ? {} : options, true);
  }

  /**
   * A run of the model itself: feeds straight to the scheduler, past the processors and
   * the response cache. Warm-up runs this way (its feeds are the model's own inputs);
   * like any call it is counted in `stats()`.
   */
  runFeeds(feeds: Feeds): Promise<Outputs> {
    return this.#run(feeds as I, {}, false) as Promise<Outputs>;
  }

  /** `full`: the caller's call, through processors and cache; else {@link runFeeds}. */
  async #run(input: I, options: RunOptions, full: boolean): Promise<O> {
    const metrics = this.#metrics;
    metrics.requests++;
    const start = performance.now();
    try {
      if (this.#disposing !== undefined) throw new InprocError('DISPOSED', `model ${this.source} was used after dispose()`);
      if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `run options must be an object, got ${describe(options)}`);
      const priority = options.priority ?? 0;
      if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new InprocError('INPUT_INVALID', `options.priority must be a finite number, got ${describe(priority)}`);
      const outputs = selectOutputs(this.signature, options.outputs);
      const call = callSignal('the run', options.signal, options.timeoutMs);
      try {
        const context: ProcessorContext = { signature: this.signature, signal: call.signal, state: new Map() };
        let feeds: unknown = input;
        if (full && this.#preprocess.length > 0) {
          const t = performance.now();
          feeds = await raceSignal(runProcessors(this.#preprocess, input, context), call.signal);
          metrics.pre.record((performance.now() - t) / 1e3);
        }
        const named = validateFeeds(this.signature, feeds);
        const key = this.#cache === undefined || !full ? undefined : ResponseCache.key(named, outputs);
        let result = key === undefined ? undefined : this.#cache!.get(key, named);
        if (result === undefined) {
          result = await this.#scheduler.submit(named, outputs, priority, call.signal, start);
          if (key !== undefined) this.#cache!.set(key, named, result);
        }
        call.check();
        let answer: unknown = result;
        if (full && this.#postprocess.length > 0) {
          const t = performance.now();
          answer = await raceSignal(runProcessors(this.#postprocess, result, context), call.signal);
          metrics.post.record((performance.now() - t) / 1e3);
          call.check();
        }
        metrics.successes++;
        metrics.total.record((performance.now() - start) / 1e3);
        return answer as O;
      } finally {
        call.done();
      }
    } catch (error) {
      this.#failed(error);
      throw error;
    }
  }

  #failed(error: unknown): void {
    this.#metrics.fail(InprocError.is(error) ? error.code : 'RUN_FAILED');
  }

  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    forgetLeakWatch(this.#leakToken);
    try {
      await this.#scheduler.drain();
      await this.#session.dispose();
      await disposeAll([...this.#preprocess, ...this.#postprocess]);
    } finally {
      this.#cache?.clear();
      this.#unregisterMetrics();
      for (const lease of this.#leases) lease.release();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
