/**
 * A loaded TF.js model as an Inproc backend session. Memory discipline per call: the
 * input tensors, the outputs and every intermediate are freed before the call returns.
 * Synchronous execution is wrapped in `tf.tidy` (a scope that opens and closes within
 * one synchronous stretch, so no other call can interleave with it); `executeAsync`
 * (graphs with control flow or dynamic shapes) is never wrapped in a scope, because
 * TF.js's scope stack is global and interleaved async calls would tangle it: the graph
 * executor frees its own intermediates, and this session frees the inputs and outputs
 * it created, on success and on failure.
 * @module
 * @internal
 */
import { InprocError, Tensor, type Signature } from '@inproc/core';
import { throwIfAborted, trackResource, type BackendRunOptions, type BackendSession, type ResourceLease, messageOf, firstLine } from '@inproc/core/backend';
import type * as Tf from '@tensorflow/tfjs';
import type { EngineLease } from './engines.js';
import type { BoundSignature } from './signature.js';
import { coreDType } from './signature.js';

/** Ops that make a graph need `executeAsync` (as TF.js's converter lists them). */
const ASYNC_OPS: ReadonlySet<string> = new Set([
  'Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'StatelessIf', 'StatelessWhile', 'If', 'While', 'if',
  'NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'Where',
  'HashTable', 'HashTableV2', 'LookupTableImport', 'LookupTableImportV2', 'LookupTableFind', 'LookupTableFindV2', 'LookupTableSize', 'LookupTableSizeV2',
]);

/** Whether a graph (or a function of its library) holds an op that needs `executeAsync`. */
export function needsAsync(ops: Iterable<string>): boolean {
  for (const op of ops) if (ASYNC_OPS.has(op)) return true;
  return false;
}

export type LoadedModel = { readonly kind: 'graph'; readonly model: Tf.GraphModel } | { readonly kind: 'layers'; readonly model: Tf.LayersModel };

export interface SessionInit {
  readonly loaded: LoadedModel;
  readonly bound: BoundSignature;
  readonly engine: EngineLease;
  readonly label: string;
  readonly bytes: number;
  readonly async: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Engines whose `data()` may hand back TF.js's own storage (or the caller's input array): outputs are copied there. */
const ALIASING_ENGINES: ReadonlySet<string> = new Set(['cpu', 'tensorflow', 'tensorflow-gpu']);

export class TfjsSession implements BackendSession {
  readonly signature: Signature;
  readonly device: string;
  readonly bytes: number;
  /** One call at a time per model by default; calls are still safe when `LoadOptions.concurrency` allows more. */
  readonly concurrency = 1;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #tf: typeof Tf;
  readonly #loaded: LoadedModel;
  readonly #bound: BoundSignature;
  readonly #engine: EngineLease;
  readonly #label: string;
  #async: boolean;

  constructor(init: SessionInit) {
    this.#loaded = init.loaded;
    this.#bound = init.bound;
    this.#engine = init.engine;
    this.#tf = init.engine.tf;
    this.#label = init.label;
    this.#async = init.async;
    this.signature = init.bound.signature;
    this.device = init.engine.device;
    this.bytes = init.bytes;
    this.metadata = init.metadata;
  }

  async run(feeds: Readonly<Record<string, Tensor>>, options: BackendRunOptions): Promise<Record<string, Tensor>> {
    // TF.js computes on this thread: give timers, I/O and aborts a turn before a long synchronous stretch.
    await yieldToEventLoop();
    throwIfAborted(options.signal, 'the run');
    this.#engine.check();
    const tf = this.#tf;
    const owned: Tf.Tensor[] = [];
    const leases: ResourceLease[] = [];
    const own = (t: Tf.Tensor, what: string): Tf.Tensor => {
      owned.push(t);
      leases.push(trackResource('tensor', bytesOf(t), `${this.#label} ${what}`));
      return t;
    };
    try {
      const inputs: Record<string, Tf.Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) {
        const key = this.#bound.feedKeys.get(name) ?? name;
        inputs[key] = own(toTf(tf, tensor, name, this.#label), `input ${name}`);
      }
      let results: Tf.Tensor[];
      try {
        results = await this.#execute(inputs, options.outputs);
      } catch (error) {
        if (InprocError.is(error)) throw error;
        throw new InprocError('RUN_FAILED', `${this.#label}: ${firstLine(error)}`, { cause: error });
      }
      results.forEach((t, i) => own(t, `output ${options.outputs[i]}`));
      const outputs: Record<string, Tensor> = {};
      const copy = ALIASING_ENGINES.has(this.#engine.engine);
      for (const [i, name] of options.outputs.entries()) {
        outputs[name] = await toCore(results[i]!, name, this.#label, copy);
      }
      return outputs;
    } finally {
      // Inputs and outputs may share storage (an Identity graph returns its input): dispose each once.
      for (const t of new Set(owned)) if (!t.isDisposed) t.dispose();
      for (const lease of leases) lease.release();
    }
  }

  /** The requested outputs, as TF.js tensors this call owns. */
  async #execute(inputs: Record<string, Tf.Tensor>, names: readonly string[]): Promise<Tf.Tensor[]> {
    const tf = this.#tf;
    const keys = names.map((n) => this.#bound.fetchKeys.get(n) ?? n);
    if (this.#loaded.kind === 'layers') {
      const model = this.#loaded.model;
      const ordered = model.inputs.map((_, i) => inputs[String(i)]!);
      return tf.tidy(() => {
        const all = asList(model.predict(ordered.length === 1 ? ordered[0]! : ordered));
        // Outputs not asked for are freed by the scope, since they are not returned.
        return keys.map((k) => all[Number(k)]!);
      });
    }
    const model = this.#loaded.model;
    if (!this.#async) {
      try {
        return tf.tidy(() => asList(model.execute(inputs, keys)));
      } catch (error) {
        // The converter refuses (before running anything) a graph it must run asynchronously.
        if (!/executeAsync/.test(messageOf(error))) throw error;
        this.#async = true;
      }
    }
    return asList(await model.executeAsync(inputs, keys));
  }

  async dispose(): Promise<void> {
    try {
      this.#loaded.model.dispose();
    } finally {
      this.#engine.release();
    }
  }
}

function asList(result: Tf.Tensor | Tf.Tensor[] | Tf.NamedTensorMap): Tf.Tensor[] {
  if (Array.isArray(result)) return result;
  if (isTfTensor(result)) return [result];
  return Object.values(result);
}

function isTfTensor(value: unknown): value is Tf.Tensor {
  return typeof value === 'object' && value !== null && typeof (value as Tf.Tensor).dataSync === 'function' && Array.isArray((value as Tf.Tensor).shape);
}

function bytesOf(t: Tf.Tensor): number {
  return t.dtype === 'string' ? 0 : t.size * (t.dtype === 'bool' ? 1 : t.dtype === 'complex64' ? 8 : 4);
}

function toTf(tf: typeof Tf, tensor: Tensor, name: string, label: string): Tf.Tensor {
  const dtype = coreDType(tensor.dtype);
  if (dtype === undefined) throw new InprocError('INPUT_DTYPE', `${label}: input "${name}" is ${tensor.dtype}; TensorFlow.js takes float32, int32, bool and string`);
  return tf.tensor(tensor.data as Float32Array | Int32Array | Uint8Array | string[], [...tensor.shape], dtype);
}

async function toCore(t: Tf.Tensor, name: string, label: string, copy: boolean): Promise<Tensor> {
  const dtype = coreDType(t.dtype);
  if (dtype === undefined) throw new InprocError('RUN_FAILED', `${label}: output "${name}" has dtype ${t.dtype}, which Inproc tensors cannot hold`);
  const data = await t.data();
  if (dtype === 'string') return new Tensor('string', [...(data as unknown as string[])], t.shape);
  const typed = data;
  const owned = copy ? typed.slice() : typed;
  if (dtype === 'bool') return new Tensor('bool', owned instanceof Uint8Array ? owned : Uint8Array.from(owned), t.shape);
  return new Tensor(dtype, owned as never, t.shape);
}

/** Resolves on a later turn of the event loop (not a microtask). */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown; MessageChannel?: typeof MessageChannel };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof g.MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new g.MessageChannel!();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
