/**
 * Typed composition of processors: `chain(a, b, c)` is one `Processor<A, D>` whose
 * types are checked and inferred end to end, so that `loadModel(src, { preprocess:
 * chain(...), postprocess: chain(...) })` yields a `Model` typed from its first input
 * to its last output. `defineProcessor` gives a plain function a name for metrics and
 * errors.
 * @module
 */
import { throwIfAborted } from '../call-signal.js';
import { InprocError } from '../errors.js';
import { type Processor, type ProcessorContext, isProcessor } from './processor.js';
import { describe } from '../tensor.js';

/**
 * Runs processors in order, each one's output feeding the next, as one processor; the
 * abort signal is checked between steps. `dispose()` disposes every step, last first,
 * and is safe to call twice. Up to eight steps (chain a chain for more).
 * @throws InprocError `INPUT_INVALID` when no step, or something that is not a processor, is given
 */
// Overloads (no catch-all) keep inference simple and make a mismatch a compile error that
// points at the first step whose input type does not match the previous output.
export function chain<A, B>(p1: Processor<A, B>): Processor<A, B>;
export function chain<A, B, C>(p1: Processor<A, B>, p2: Processor<B, C>): Processor<A, C>;
export function chain<A, B, C, D>(p1: Processor<A, B>, p2: Processor<B, C>, p3: Processor<C, D>): Processor<A, D>;
export function chain<A, B, C, D, E>(p1: Processor<A, B>, p2: Processor<B, C>, p3: Processor<C, D>, p4: Processor<D, E>): Processor<A, E>;
export function chain<A, B, C, D, E, F>(p1: Processor<A, B>, p2: Processor<B, C>, p3: Processor<C, D>, p4: Processor<D, E>, p5: Processor<E, F>): Processor<A, F>;
export function chain<A, B, C, D, E, F, G>(p1: Processor<A, B>, p2: Processor<B, C>, p3: Processor<C, D>, p4: Processor<D, E>, p5: Processor<E, F>, p6: Processor<F, G>): Processor<A, G>;
export function chain<A, B, C, D, E, F, G, H>(
  p1: Processor<A, B>,
  p2: Processor<B, C>,
  p3: Processor<C, D>,
  p4: Processor<D, E>,
  p5: Processor<E, F>,
  p6: Processor<F, G>,
  p7: Processor<G, H>,
): Processor<A, H>;
export function chain<A, B, C, D, E, F, G, H, J>(
  p1: Processor<A, B>,
  p2: Processor<B, C>,
  p3: Processor<C, D>,
  p4: Processor<D, E>,
  p5: Processor<E, F>,
  p6: Processor<F, G>,
  p7: Processor<G, H>,
  p8: Processor<H, J>,
): Processor<A, J>;
// Runs processors in order, each one's output feeding the next; the abort signal is
// checked between steps. dispose() disposes every step, last first, once.
export function chain(...processors: Processor<never, unknown>[]): Processor<unknown, unknown> {
  if (processors.length === 0) throw new InprocError('INPUT_INVALID', 'chain: give at least one processor');
  processors.forEach((p, i) => {
    if (!isProcessor(p)) {
      throw new InprocError('INPUT_INVALID', `chain: step ${i} needs a name and a process() function, got ${describe(p)}`);
    }
  });
  const steps = processors as readonly Processor[];
  let disposed: Promise<void> | undefined;
  return {
    name: steps.map((p) => p.name).join(' > '),
    process: (input: unknown, context: ProcessorContext): Promise<unknown> => runProcessors(steps, input, context),
    dispose(): Promise<void> {
      disposed ??= disposeAll(steps);
      return disposed;
    },
  };
}

/** Runs processors in order, each one's output feeding the next; the abort signal is checked before each step. @internal */
export async function runProcessors(processors: readonly Processor[], input: unknown, context: ProcessorContext): Promise<unknown> {
  let value = input;
  for (const processor of processors) {
    throwIfAborted(context.signal, 'the call');
    value = await processor.process(value, context);
  }
  return value;
}

/** Disposes every processor (last first) even when one fails; rethrows the first failure. @internal */
export async function disposeAll(processors: readonly Processor[]): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const p of [...processors].reverse()) {
    try {
      await p.dispose?.();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * A processor from a function, typed by the function.
 *
 * ```ts
 * const toFeeds = defineProcessor('to-feeds', (x: Float32Array) => new Tensor('float32', x, [1, x.length]));
 * ```
 */
export function defineProcessor<I, O>(name: string, process: (input: I, context: ProcessorContext) => O | Promise<O>, dispose?: () => void | Promise<void>): Processor<I, O> {
  if (typeof name !== 'string' || name === '') throw new InprocError('INPUT_INVALID', `defineProcessor: name must be a non-empty string, got ${describe(name)}`);
  if (typeof process !== 'function') throw new InprocError('INPUT_INVALID', `defineProcessor: process must be a function, got ${describe(process)}`);
  return dispose === undefined ? { name, process } : { name, process, dispose };
}
