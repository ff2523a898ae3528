/**
 * The `Model` implementation: validation, the run queue, processors, cancellation,
 * and disposal that waits for accepted calls and then frees the backend session.
 * @module
 * @internal
 */
import type { BackendSession, ModelFormat } from './backend.js';
import { callSignal, raceSignal } from './call-signal.js';
import { InprocError, messageOf } from './errors.js';
import { forgetLeakWatch, watchForLeak } from './leak-reporter.js';
import type { Model, RunOptions } from './model.js';
import { type Processor, type ProcessorContext, runProcessors } from './processor.js';
import { trackResource, type ResourceLease } from './resources.js';
import { RunQueue } from './run-queue.js';
import { type Feeds, type Outputs, type Signature, selectOutputs, validateFeeds } from './signature.js';
import { type Tensor, describe } from './tensor.js';

export interface ModelInit {
  readonly backend: string;
  readonly format: ModelFormat;
  readonly source: string;
  readonly session: BackendSession;
  readonly preprocess: readonly Processor[];
  readonly postprocess: readonly Processor[];
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly loadedAt: string;
}

export class ModelImpl<I = Feeds, O = Outputs> implements Model<I, O> {
  readonly backend: string;
  readonly format: ModelFormat;
  readonly source: string;
  readonly device: string;
  readonly signature: Signature;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #session: BackendSession;
  readonly #queue: RunQueue;
  readonly #preprocess: readonly Processor[];
  readonly #postprocess: readonly Processor[];
  readonly #leases: ResourceLease[];
  readonly #leakToken = {};
  #disposing: Promise<void> | undefined;

  constructor(init: ModelInit) {
    this.backend = init.backend;
    this.format = init.format;
    this.source = init.source;
    this.#session = init.session;
    this.device = init.session.device;
    this.signature = init.session.signature;
    this.metadata = init.session.metadata;
    this.#preprocess = init.preprocess;
    this.#postprocess = init.postprocess;
    this.#queue = new RunQueue({ concurrency: init.concurrency, maxQueue: init.maxQueue, onError: this.#wrapRunError });
    const label = `${init.backend}/${init.session.device} ${init.source}`;
    this.#leases = [trackResource('model', 0, `model ${label}`), trackResource('session', init.session.bytes, `session ${label}`)];
    watchForLeak(this, label, init.loadedAt, this.#leakToken);
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  get pending(): { queued: number; running: number } {
    return { queued: this.#queue.queued, running: this.#queue.running };
  }

  run(input: I, options?: RunOptions): Promise<O> {
    // Fast path (no options, no processors, a free slot): validation, then the backend's
    // promise with one continuation for bookkeeping. Model.run sits on every inference, so
    // each promise layer here costs real throughput on small models.
    if (options === undefined && this.#preprocess.length === 0 && this.#postprocess.length === 0 && this.#disposing === undefined && this.#queue.idle) {
      let named: Record<string, Tensor>;
      try {
        named = validateFeeds(this.signature, input);
      } catch (error) {
        return Promise.reject(error);
      }
      return this.#queue.runNow(() => this.#runSession(named, selectOutputs(this.signature, undefined), undefined)) as Promise<O>;
    }
    return this.#run(input, options === undefined ? {} : options);
  }

  async #run(input: I, options: RunOptions): Promise<O> {
    if (this.#disposing !== undefined) throw new InprocError('DISPOSED', `model ${this.source} was used after dispose()`);
    if (typeof options !== 'object' || options === null) throw new InprocError('INPUT_INVALID', `run options must be an object, got ${describe(options)}`);
    const priority = options.priority ?? 0;
    if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new InprocError('INPUT_INVALID', `options.priority must be a finite number, got ${describe(priority)}`);
    const outputs = selectOutputs(this.signature, options.outputs);
    const call = callSignal('the run', options.signal, options.timeoutMs);
    try {
      const context: ProcessorContext | undefined = this.#preprocess.length + this.#postprocess.length === 0 ? undefined : { signature: this.signature, signal: call.signal };
      const feeds = context === undefined || this.#preprocess.length === 0 ? input : await raceSignal(runProcessors(this.#preprocess, input, context), call.signal);
      const named = validateFeeds(this.signature, feeds);
      const result = await this.#queue.schedule(() => this.#runSession(named, outputs, call.signal), priority, call.signal);
      call.check();
      if (context === undefined || this.#postprocess.length === 0) return result as O;
      const answer = await raceSignal(runProcessors(this.#postprocess, result, context), call.signal);
      call.check();
      return answer as O;
    } finally {
      call.done();
    }
  }

  #runSession(feeds: Record<string, Tensor>, outputs: readonly string[], signal: AbortSignal | undefined): Promise<Outputs> {
    try {
      return this.#session.run(feeds, signal === undefined ? { outputs } : { outputs, signal });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Backends should reject with InprocErrors; anything else is a run failure. */
  #wrapRunError = (error: unknown): never => {
    if (InprocError.is(error)) throw error;
    throw new InprocError('RUN_FAILED', `${this.backend} failed to run ${this.source}: ${messageOf(error)}`, { cause: error });
  };

  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    forgetLeakWatch(this.#leakToken);
    try {
      await this.#queue.drain();
      await this.#session.dispose();
      for (const processor of [...this.#preprocess, ...this.#postprocess]) await processor.dispose?.();
    } finally {
      for (const lease of this.#leases) lease.release();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
