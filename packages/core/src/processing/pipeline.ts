/**
 * Pipelines of models: several models and processors as one typed callable with one
 * `dispose()`. Steps run in sequence (`pipeline(a, b, c)`); `parallel` fans one input
 * out to branches and gathers their results (the DAG's joins are ordinary steps that
 * read that record); `each` runs a step over every item of an array (crops, lines);
 * `batched` runs a model over many small feeds in few batched calls.
 *
 * Ownership: a pipeline owns every model, processor and nested pipeline given to it and
 * disposes each once (a model shared by two branches too). Within one call, the tensors
 * that models return are temporaries: those not part of the final result are disposed
 * when the call ends (as Deep Java Library's NDManager scopes do), so a pipeline over
 * device backends does not leak GPU memory. Copy what a step must keep beyond its call.
 * @module
 */
import { callSignal, throwIfAborted } from '../call-signal.js';
import { disposeAll } from './chain.js';
import { InprocError, messageOf } from '../errors.js';
import { type Processor, type ProcessorContext, isProcessor } from './processor.js';
import { isTensor, type Feeds, type Outputs, type Signature } from '../signature.js';
import { type Tensor, describe } from '../tensor.js';
import { concatRows, splitOutputs } from '../tensor-rows.js';

/** What a function step sees of the call. */
export interface StepContext {
  /** Fires when the pipeline call is aborted or times out. */
  readonly signal: AbortSignal | undefined;
}

/** Anything with `run(input, { signal })`: a `Model`, a `Pipeline`. */
export interface Runnable<I, O> {
  run(input: I, options?: { readonly signal?: AbortSignal }): Promise<O>;
  dispose?(): void | Promise<void>;
}

/** A step of a pipeline: a model (or pipeline), a processor, or a function. */
export type Step<I, O> = Runnable<I, O> | Processor<I, O> | ((input: I, context: StepContext) => O | Promise<O>);

/** The input type a step accepts. */
export type StepInput<S> = S extends (input: infer I, context: StepContext) => unknown
  ? I
  : S extends { run(input: infer I, ...rest: never[]): unknown }
    ? I
    : S extends { process(input: infer I, ...rest: never[]): unknown }
      ? I
      : never;

/** The result type of a step. */
export type StepOutput<S> = S extends (input: never, context: StepContext) => infer O
  ? Awaited<O>
  : S extends { run(input: never, ...rest: never[]): infer O }
    ? Awaited<O>
    : S extends { process(input: never, ...rest: never[]): infer O }
      ? Awaited<O>
      : never;

/** Options of one pipeline call. */
export interface PipelineRunOptions {
  /** Aborts the call with `ABORTED` (checked between steps and passed to every model). */
  readonly signal?: AbortSignal;
  /** Rejects with `TIMEOUT` after this many milliseconds. */
  readonly timeoutMs?: number;
}

/** Models and processors run as one callable. */
export interface Pipeline<I, O> extends AsyncDisposable {
  /** The steps' names joined with ` > `. */
  readonly name: string;
  readonly disposed: boolean;
  /** @throws InprocError `DISPOSED` after dispose(), `ABORTED`, `TIMEOUT`, and whatever a step throws */
  run(input: I, options?: PipelineRunOptions): Promise<O>;
  /** Idempotent. Refuses new calls, waits for running ones, then disposes every model and processor once (last first). */
  dispose(): Promise<void>;
}

// ---- internals: how one step executes within a call ----

interface CallScope {
  readonly signal: AbortSignal | undefined;
  /** Tensors returned by models in this call; disposed at the end unless part of the result. */
  readonly temporaries: Set<Tensor>;
  /** `ProcessorContext.state` of the processor steps: one map per call, shared by all of them. */
  readonly state: Map<string, unknown>;
}

const EXECUTE = Symbol('inproc.pipeline.execute');
const PARTS = Symbol('inproc.pipeline.parts');

/**
 * A step made by `parallel`, `each` or `batched`. Inside a pipeline it shares the
 * call's signal and scope; run on its own it is a small pipeline of one step.
 */
export interface CompositeStep<I, O> extends Runnable<I, O> {
  readonly name: string;
  run(input: I, options?: PipelineRunOptions): Promise<O>;
  /** Disposes the steps it owns. */
  dispose(): Promise<void>;
}

interface Composite<I, O> {
  readonly name: string;
  readonly [EXECUTE]: (input: I, scope: CallScope) => Promise<O>;
  /** The steps it owns. */
  readonly [PARTS]: readonly unknown[];
}

const EMPTY_SIGNATURE: Signature = Object.freeze({ inputs: Object.freeze([]), outputs: Object.freeze([]) });

function isComposite(step: unknown): step is Composite<unknown, unknown> {
  return typeof step === 'object' && step !== null && EXECUTE in step;
}

function isModelLike(step: object): boolean {
  return 'signature' in step && 'backend' in step;
}

function stepName(step: unknown): string {
  if (typeof step === 'function') return step.name || 'function';
  if (typeof step === 'object' && step !== null) {
    const named = (step as { name?: unknown; source?: unknown }).name ?? (step as { source?: unknown }).source;
    if (typeof named === 'string' && named !== '') return named;
    if (isModelLike(step)) return 'model';
  }
  return 'step';
}

function checkStep(step: unknown, where: string): void {
  const ok =
    typeof step === 'function' ||
    (typeof step === 'object' && step !== null && (isComposite(step) || typeof (step as { run?: unknown }).run === 'function' || isProcessor(step)));
  if (!ok) throw new InprocError('INPUT_INVALID', `${where}: a step is a model, a pipeline, a processor or a function, got ${describe(step)}`);
}

async function execute(step: unknown, input: unknown, scope: CallScope): Promise<unknown> {
  throwIfAborted(scope.signal, 'the pipeline call');
  if (isComposite(step)) return step[EXECUTE](input, scope);
  if (typeof step === 'function') return (step as (input: unknown, context: StepContext) => unknown)(input, { signal: scope.signal });
  const object = step as { run?: Runnable<unknown, unknown>['run']; process?: Processor['process'] };
  if (typeof object.run === 'function') {
    const out = await object.run(input, scope.signal === undefined ? undefined : { signal: scope.signal });
    if (isModelLike(object)) for (const tensor of shallowTensors(out)) scope.temporaries.add(tensor);
    return out;
  }
  const context: ProcessorContext = { signature: EMPTY_SIGNATURE, signal: scope.signal, state: scope.state };
  return object.process!(input, context);
}

/** Tensors a model returned: a tensor, or the values of its outputs record. */
function shallowTensors(value: unknown): Tensor[] {
  if (isTensor(value)) return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).filter(isTensor);
}

/** Tensors reachable from a result through arrays and plain objects (a few levels deep). */
function reachableTensors(value: unknown, found: Set<Tensor>, depth = 0): Set<Tensor> {
  if (isTensor(value)) found.add(value);
  else if (depth < 6 && typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) reachableTensors(v, found, depth + 1);
  }
  return found;
}

/** Every disposable part a step owns, flattened (composites open up; models, pipelines, processors are leaves). */
function ownedParts(step: unknown, into: unknown[]): unknown[] {
  if (isComposite(step)) for (const part of step[PARTS]) ownedParts(part, into);
  else if (typeof step === 'object' && step !== null && !into.includes(step)) into.push(step);
  return into;
}

// ---- pipeline() ----

/**
 * Runs steps in sequence, each one's result feeding the next, as one callable that owns
 * them all.
 *
 * ```ts
 * await using ocr = pipeline(detector, boxesToCrops, batched(recognizer, { batchSize: 16 }), decode);
 * const lines = await ocr.run(image);
 * ```
 * @throws InprocError `INPUT_INVALID` when no step, or something that is not a step, is given
 */
export function pipeline<A, B>(s1: Step<A, B>): Pipeline<A, B>;
export function pipeline<A, B, C>(s1: Step<A, B>, s2: Step<B, C>): Pipeline<A, C>;
export function pipeline<A, B, C, D>(s1: Step<A, B>, s2: Step<B, C>, s3: Step<C, D>): Pipeline<A, D>;
export function pipeline<A, B, C, D, E>(s1: Step<A, B>, s2: Step<B, C>, s3: Step<C, D>, s4: Step<D, E>): Pipeline<A, E>;
export function pipeline<A, B, C, D, E, F>(s1: Step<A, B>, s2: Step<B, C>, s3: Step<C, D>, s4: Step<D, E>, s5: Step<E, F>): Pipeline<A, F>;
export function pipeline<A, B, C, D, E, F, G>(s1: Step<A, B>, s2: Step<B, C>, s3: Step<C, D>, s4: Step<D, E>, s5: Step<E, F>, s6: Step<F, G>): Pipeline<A, G>;
export function pipeline<A, B, C, D, E, F, G, H>(s1: Step<A, B>, s2: Step<B, C>, s3: Step<C, D>, s4: Step<D, E>, s5: Step<E, F>, s6: Step<F, G>, s7: Step<G, H>): Pipeline<A, H>;
export function pipeline<A, B, C, D, E, F, G, H, J>(
  s1: Step<A, B>,
  s2: Step<B, C>,
  s3: Step<C, D>,
  s4: Step<D, E>,
  s5: Step<E, F>,
  s6: Step<F, G>,
  s7: Step<G, H>,
  s8: Step<H, J>,
): Pipeline<A, J>;
export function pipeline(...steps: Step<never, unknown>[]): Pipeline<unknown, unknown> {
  if (steps.length === 0) throw new InprocError('INPUT_INVALID', 'pipeline: give at least one step');
  steps.forEach((s, i) => checkStep(s, `pipeline step ${i}`));
  return new PipelineImpl(steps);
}

class PipelineImpl implements Pipeline<unknown, unknown> {
  readonly name: string;
  readonly #steps: readonly unknown[];
  readonly #running = new Set<Promise<unknown>>();
  #disposing: Promise<void> | undefined;

  constructor(steps: readonly unknown[]) {
    this.#steps = steps;
    this.name = steps.map(stepName).join(' > ');
  }

  get disposed(): boolean {
    return this.#disposing !== undefined;
  }

  run(input: unknown, options: PipelineRunOptions = {}): Promise<unknown> {
    if (this.#disposing !== undefined) return Promise.reject(new InprocError('DISPOSED', `pipeline ${this.name} was used after dispose()`));
    if (typeof options !== 'object' || options === null) return Promise.reject(new InprocError('INPUT_INVALID', `pipeline run options must be an object, got ${describe(options)}`));
    const call = this.#call(input, options);
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return call;
  }

  async #call(input: unknown, options: PipelineRunOptions): Promise<unknown> {
    const call = callSignal('the pipeline call', options.signal, options.timeoutMs);
    const scope: CallScope = { signal: call.signal, temporaries: new Set(), state: new Map() };
    let result: unknown;
    let ok = false;
    try {
      let value = input;
      for (const step of this.#steps) {
        value = await execute(step, value, scope);
        call.check();
      }
      result = value;
      ok = true;
      return value;
    } finally {
      call.done();
      const keep = ok ? reachableTensors(result, new Set()) : new Set<Tensor>();
      for (const tensor of scope.temporaries) if (!keep.has(tensor)) tensor.dispose();
    }
  }

  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  async #dispose(): Promise<void> {
    await Promise.all(this.#running);
    const parts = this.#steps.reduce<unknown[]>((into, step) => ownedParts(step, into), []);
    const disposables = parts.filter((p): p is Processor => typeof (p as { dispose?: unknown }).dispose === 'function');
    try {
      await disposeAll(disposables);
    } catch (error) {
      throw InprocError.is(error) ? error : new InprocError('RUN_FAILED', `disposing pipeline ${this.name}: ${messageOf(error)}`, { cause: error });
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

// ---- parallel() ----

/** The record of results of {@link parallel}'s branches. */
export type BranchOutputs<B> = { -readonly [K in keyof B]: StepOutput<B[K]> };
/** The input every branch of {@link parallel} accepts. */
export type BranchInput<B> =
  // The intersection of the branches' inputs, inferred from a contravariant position. Each
  // input is boxed so that a union input (Feeds) is not split into its members.
  { [K in keyof B]: (box: { readonly input: StepInput<B[K]> }) => void }[keyof B] extends (box: infer X) => void ? (X extends { readonly input: infer I } ? I : never) : never;

/**
 * Fans one input out to named branches, run concurrently, and gathers their results in
 * a record with the same keys. When a branch fails, the others are awaited before the
 * first failure is thrown, so that nothing runs on after the call.
 *
 * ```ts
 * pipeline(decode, parallel({ faces: faceDetector, pose: poseModel }), ({ faces, pose }) => merge(faces, pose))
 * ```
 */
export function parallel<B extends Record<string, Step<never, unknown>>>(branches: B): CompositeStep<BranchInput<B>, BranchOutputs<B>> {
  if (typeof branches !== 'object' || branches === null || Array.isArray(branches) || Object.keys(branches).length === 0) {
    throw new InprocError('INPUT_INVALID', `parallel: expected a record of one or more named steps, got ${describe(branches)}`);
  }
  const entries = Object.entries(branches);
  for (const [key, step] of entries) checkStep(step, `parallel branch "${key}"`);
  const composite: Composite<BranchInput<B>, BranchOutputs<B>> = {
    name: `parallel(${entries.map(([k]) => k).join(', ')})`,
    [PARTS]: entries.map(([, s]) => s),
    async [EXECUTE](input, scope) {
      const settled = await Promise.allSettled(entries.map(([, step]) => execute(step, input, scope)));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return Object.fromEntries(entries.map(([key], i) => [key, (settled[i] as PromiseFulfilledResult<unknown>).value])) as BranchOutputs<B>;
    },
  };
  return asStep(composite);
}

// ---- each() ----

/** Options of {@link each}. */
export interface EachOptions {
  /** Items in flight at once; default 1 (models queue their runs anyway). */
  readonly concurrency?: number;
}

/**
 * Runs a step over every item of an array, results in item order: the fan-out over
 * crops, lines or chunks. An empty array gives an empty array.
 */
export function each<I, O>(step: Step<I, O>, options: EachOptions = {}): CompositeStep<readonly I[], O[]> {
  checkStep(step, 'each');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InprocError('INPUT_INVALID', `each: concurrency must be a positive integer, got ${describe(concurrency)}`);
  const composite: Composite<readonly I[], O[]> = {
    name: `each(${stepName(step)})`,
    [PARTS]: [step],
    async [EXECUTE](items, scope) {
      if (!Array.isArray(items)) throw new InprocError('INPUT_INVALID', `each(${stepName(step)}): expected an array of items, got ${describe(items)}`);
      const results = new Array<O>(items.length);
      let next = 0;
      let failure: { error: unknown } | undefined;
      const worker = async (): Promise<void> => {
        while (failure === undefined && next < items.length) {
          const index = next++;
          try {
            results[index] = (await execute(step, items[index], scope)) as O;
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
      if (failure !== undefined) throw failure.error;
      return results;
    },
  };
  return asStep(composite);
}

// ---- batched() ----

/** Options of {@link batched}. */
export interface BatchedOptions {
  /** Rows (first dimension) per model call at most; an item with more rows runs alone. */
  readonly batchSize: number;
}

/**
 * Runs a model over many feeds in few calls: items are concatenated along the first
 * (batch) dimension of every input, up to `batchSize` rows per call, and each output is
 * split back along its first dimension, one `Outputs` per item, in item order. Every
 * item must have the same input names, dtypes and non-batch dimensions.
 * @throws InprocError when run: `INPUT_INVALID` for a non-array, `INPUT_SHAPE` / `INPUT_DTYPE` when items disagree, `RUN_FAILED` when an output's first dimension is not the batch
 */
export function batched(model: Runnable<Feeds, Outputs>, options: BatchedOptions): CompositeStep<readonly Feeds[], Outputs[]> {
  checkStep(model, 'batched');
  const batchSize = (options as BatchedOptions | undefined)?.batchSize;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new InprocError('INPUT_INVALID', `batched: batchSize must be a positive integer, got ${describe(batchSize)}`);
  }
  const who = `batched(${stepName(model)})`;
  const composite: Composite<readonly Feeds[], Outputs[]> = {
    name: who,
    [PARTS]: [model],
    async [EXECUTE](items, scope) {
      if (!Array.isArray(items)) throw new InprocError('INPUT_INVALID', `${who}: expected an array of feeds, got ${describe(items)}`);
      // Array.isArray narrows a readonly array to any[]: name the type again.
      const list: readonly Feeds[] = items;
      const named = list.map((feeds, i) => namedFeeds(feeds, `${who}: item ${i}`));
      const results: Outputs[] = [];
      for (const group of groupRows(named, batchSize, who)) {
        throwIfAborted(scope.signal, 'the pipeline call');
        const bare = isTensor(list[0]);
        const feeds = await concatFeeds(group.map((g) => g.feeds), who);
        const out = await model.run(bare ? feeds['input']! : feeds, scope.signal === undefined ? undefined : { signal: scope.signal });
        try {
          results.push(...(await splitBatchOutputs(out, group.map((g) => g.rows), who)));
        } finally {
          // The batch outputs were copied into per-item tensors: release them now.
          for (const tensor of shallowTensors(out)) tensor.dispose();
        }
      }
      for (const out of results) for (const tensor of shallowTensors(out)) scope.temporaries.add(tensor);
      return results;
    },
  };
  return asStep(composite);
}

function namedFeeds(feeds: Feeds, where: string): Record<string, Tensor> {
  if (isTensor(feeds)) return { input: feeds };
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) throw new InprocError('INPUT_INVALID', `${where}: expected a tensor or a record of tensors, got ${describe(feeds)}`);
  for (const [name, t] of Object.entries(feeds)) if (!isTensor(t)) throw new InprocError('INPUT_INVALID', `${where}: feed "${name}" is not a tensor, got ${describe(t)}`);
  return feeds;
}

function groupRows(items: readonly Record<string, Tensor>[], batchSize: number, who: string): { feeds: Record<string, Tensor>; rows: number }[][] {
  const groups: { feeds: Record<string, Tensor>; rows: number }[][] = [];
  let current: { feeds: Record<string, Tensor>; rows: number }[] = [];
  let rows = 0;
  items.forEach((feeds, i) => {
    const first = Object.values(feeds)[0];
    if (first === undefined || first.shape.length === 0) throw new InprocError('INPUT_SHAPE', `${who}: item ${i} needs at least one feed with a batch dimension`);
    const n = first.shape[0]!;
    if (current.length > 0 && rows + n > batchSize) {
      groups.push(current);
      current = [];
      rows = 0;
    }
    current.push({ feeds, rows: n });
    rows += n;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

async function concatFeeds(items: readonly Record<string, Tensor>[], who: string): Promise<Record<string, Tensor>> {
  const first = items[0]!;
  const names = Object.keys(first).sort();
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const parts: Tensor[] = [];
    for (const [i, feeds] of items.entries()) {
      const keys = Object.keys(feeds).sort();
      if (keys.join('\0') !== names.join('\0')) throw new InprocError('INPUT_INVALID', `${who}: items feed different inputs ([${names.join(', ')}] and [${keys.join(', ')}] at item ${i})`);
      parts.push(feeds[name]!);
    }
    out[name] = await concatRows(parts, `${who}: input "${name}"`);
  }
  return out;
}

async function splitBatchOutputs(out: Outputs | Tensor, rows: readonly number[], who: string): Promise<Outputs[]> {
  // Copies, so that the batch tensors can be released at once.
  return splitOutputs(isTensor(out) ? { output: out } : out, rows, { where: who, copy: true });
}

/** Makes a composite runnable on its own: as a pipeline of that one step. */
function asStep<I, O>(composite: Composite<I, O>): CompositeStep<I, O> {
  let alone: Pipeline<I, O> | undefined;
  const standalone = (): Pipeline<I, O> => (alone ??= new PipelineImpl([composite]) as Pipeline<unknown, unknown> as Pipeline<I, O>);
  return Object.assign(composite, {
    run: (input: I, options?: PipelineRunOptions) => standalone().run(input, options),
    dispose: () => standalone().dispose(),
  });
}
