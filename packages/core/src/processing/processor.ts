/**
 * Pre- and post-processors: typed steps that turn an application's input into feeds
 * and a model's outputs into an answer. A processor is plain data plus a function, so
 * it can be registered, named in a manifest and composed.
 * @module
 */
import type { Signature } from '../signature.js';

/** What a processor sees of the call it runs in. */
export interface ProcessorContext {
  /** The signature of the model being called. */
  readonly signature: Signature;
  /** Fires when the call is aborted or times out; long processors should check it. */
  readonly signal: AbortSignal | undefined;
  /**
   * Scratch space of one call, shared by its pre- and post-processors: a pre-processor
   * can leave what a post-processor needs (e.g. the letterbox transform that maps boxes
   * back to the original image). A fresh map per `Model.run` call.
   */
  readonly state?: Map<string, unknown>;
}

/** One step from `I` to `O`. */
export interface Processor<I = unknown, O = unknown> {
  /** Name for metrics and manifests, e.g. `image.resize`. */
  readonly name: string;
  process(input: I, context: ProcessorContext): O | Promise<O>;
  /** Frees what the processor holds; called by `Model.dispose()`. */
  dispose?(): void | Promise<void>;
}

/** Whether `value` has the shape of a processor (an object with a `process` function). */
export function isProcessor(value: unknown): value is Processor {
  return typeof value === 'object' && value !== null && typeof (value as { process?: unknown }).process === 'function';
}
