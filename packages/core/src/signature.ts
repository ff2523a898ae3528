/**
 * Model signatures and validation of a call's feeds against them, done before any
 * native call so that bad input gets a precise `InprocError` instead of a backend crash.
 * @module
 */
import type { DType } from './dtype.js';
import { InprocError, messageOf } from './errors.js';
import { TENSOR_BRAND, Tensor, describe, ownTensor } from './tensor.js';

/**
 * One dimension of a declared shape: a number is fixed, a string is a named symbolic
 * dimension (`'batch'`: every input using that name must agree within one call), and
 * `null` is a dynamic dimension without a name.
 */
export type Dim = number | string | null;

/** A model input or output. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  /** Declared dimensions. Empty for a scalar. */
  readonly shape: readonly Dim[];
  /** Set when the model does not declare a rank at all; `shape` is then empty and not checked. */
  readonly unknownRank?: boolean;
}

/** Inputs and outputs of a model, in the model's order. */
export interface Signature {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/** Feeds of one call: named tensors, or one bare tensor for a single-input model. */
export type Feeds = Record<string, Tensor> | Tensor;
/** Results of one call, by output name. */
export type Outputs = Record<string, Tensor>;

/** `[batch, 256]` style rendering of a declared shape. */
export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** True for a core `Tensor`, also one made by a duplicate copy of `@inproc/core`. */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor || (typeof value === 'object' && value !== null && (value as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND] === true);
}


/**
 * Checks feeds against a signature and returns a snapshot of them as a name → tensor record:
 * the caller's object is read exactly once (own enumerable string keys, each value read
 * once), every feed is a real `Tensor` whose elements are all there, and everything after
 * validation (backend, batcher, cache, worker) uses the snapshot, never the caller's object.
 * @throws InprocError `INPUT_MISSING`, `INPUT_UNEXPECTED`, `INPUT_DTYPE`, `INPUT_SHAPE`, `INPUT_INVALID`, `DISPOSED`
 */
export function validateFeeds(signature: Signature, feeds: unknown): Record<string, Tensor> {
  const named = readFeeds(signature, feeds);
  const count = feedCount; // before any check below can run code that reads feeds again
  // Hot path (every Model.run): one record, one key list and, with symbolic dimensions, one
  // small array of bindings (cheaper than a Map for the few a model has); more only if a check fails.
  let bound: (string | number)[] | undefined;
  for (const info of signature.inputs) {
    const value = named[info.name];
    if (value === undefined) {
      const unexpected = Object.keys(named).find((name) => !signature.inputs.some((i) => i.name === name));
      if (unexpected !== undefined) throw unexpectedInput(signature, unexpected);
      const given = Object.keys(named);
      throw new InprocError('INPUT_MISSING', `input "${info.name}" (${info.dtype} ${formatShape(info.shape)}) is missing; given ${given.length ? given.map((n) => `"${n}"`).join(', ') : 'no inputs'}`);
    }
    const tensor = checkedTensor(info.name, value);
    if (tensor !== value) named[info.name] = tensor; // a tensor of another copy of core, remade
    if (tensor.dtype !== info.dtype) {
      throw new InprocError('INPUT_DTYPE', `input "${info.name}": expected dtype ${info.dtype}, got ${tensor.dtype}`);
    }
    if (info.unknownRank === true) continue;
    const shape = tensor.shape;
    if (shape.length !== info.shape.length) {
      throw new InprocError('INPUT_SHAPE', `input "${info.name}": expected shape ${formatShape(info.shape)} (rank ${info.shape.length}), got [${shape.join(', ')}] (rank ${shape.length})`);
    }
    for (let axis = 0; axis < shape.length; axis++) {
      const want = info.shape[axis];
      const got = shape[axis]!;
      if (typeof want === 'number' && want >= 0 && want !== got) {
        throw new InprocError('INPUT_SHAPE', `input "${info.name}": expected shape ${formatShape(info.shape)}, got [${shape.join(', ')}] (dimension ${axis} must be ${want})`);
      }
      if (typeof want === 'string' && want !== '') {
        // bound holds [name, size, input, name, size, input, ...].
        bound ??= [];
        let at = 0;
        while (at < bound.length && bound[at] !== want) at += 3;
        if (at === bound.length) bound.push(want, got, info.name);
        else if (bound[at + 1] !== got) {
          throw new InprocError('INPUT_SHAPE', `input "${info.name}": dimension "${want}" (axis ${axis}) is ${got}, but it is ${bound[at + 1]} in input "${bound[at + 2]}"; inputs sharing a symbolic dimension must agree`);
        }
      }
    }
  }
  if (count !== signature.inputs.length) {
    const unexpected = Object.keys(named).find((name) => !signature.inputs.some((i) => i.name === name));
    if (unexpected !== undefined) throw unexpectedInput(signature, unexpected);
  }
  return named as Record<string, Tensor>;
}

/** A feed as a real Tensor of this copy of core whose elements are all in memory, or a coded error. */
function checkedTensor(name: string, value: unknown): Tensor {
  let tensor: Tensor | undefined;
  try {
    tensor = ownTensor(value);
  } catch (error) {
    if (InprocError.is(error)) throw new InprocError(error.code, `input "${name}": ${error.message}`, { cause: error });
    throw new InprocError('INPUT_INVALID', `input "${name}": expected a Tensor, got an object whose fields cannot be read (${messageOf(error)})`, { cause: error });
  }
  if (tensor === undefined) throw new InprocError('INPUT_INVALID', `input "${name}": expected a Tensor, got ${describe(value)}`);
  if (tensor.disposed) throw new InprocError('DISPOSED', `input "${name}": the tensor was disposed`);
  // A transferred (detached) or shrunk buffer leaves fewer elements than the shape says.
  if (tensor.location === 'cpu' && tensor.data.length !== tensor.size) {
    throw new InprocError('INPUT_INVALID', `input "${name}": shape [${tensor.shape.join(', ')}] needs ${tensor.size} elements, but its data now has ${tensor.data.length} (was its ArrayBuffer transferred, detached or resized?)`);
  }
  return tensor;
}

function unexpectedInput(signature: Signature, name: string): InprocError {
  return new InprocError('INPUT_UNEXPECTED', `input "${name}" is not an input of this model; its inputs are ${listNames(signature.inputs)}`);
}

/** How many feeds the last readFeeds read (every input was found, so more means one is unexpected). */
let feedCount = 0;

/** The caller's feeds read once into a fresh record: own enumerable string keys, each value read once. Sets feedCount. */
function readFeeds(signature: Signature, feeds: unknown): Record<string, unknown> {
  try {
    if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
      throw new InprocError('INPUT_INVALID', `feeds must be a Tensor or a record of named Tensors, got ${describe(feeds)}`);
    }
    if ((feeds as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND] === true) {
      if (signature.inputs.length !== 1) {
        throw new InprocError('INPUT_INVALID', `a bare Tensor can only feed a model with one input; this model has ${signature.inputs.length}: ${listNames(signature.inputs)}. Pass { name: tensor } instead`);
      }
      feedCount = 1;
      return { [signature.inputs[0]!.name]: feeds };
    }
    const record = feeds as Record<string, unknown>;
    const named: Record<string, unknown> = {};
    const keys = Object.keys(record);
    for (const key of keys) {
      // An own "__proto__" key (JSON.parse makes them) must stay a key, not become a prototype.
      if (key === '__proto__') Object.defineProperty(named, key, { value: record[key], enumerable: true, writable: true, configurable: true });
      else named[key] = record[key];
    }
    feedCount = keys.length;
    return named;
  } catch (error) {
    if (InprocError.is(error)) throw error;
    throw new InprocError('INPUT_INVALID', `the feeds could not be read: ${messageOf(error)}`, { cause: error });
  }
}

/** Checks requested output names; returns them (all outputs when none were asked for). @internal */
export function selectOutputs(signature: Signature, requested: readonly string[] | undefined): readonly string[] {
  if (requested === undefined) return allOutputs(signature);
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new InprocError('INPUT_INVALID', `options.outputs must be a non-empty array of output names, got ${describe(requested)}`);
  }
  const known = new Set(signature.outputs.map((o) => o.name));
  for (const name of requested as readonly unknown[]) {
    if (typeof name !== 'string' || !known.has(name)) throw new InprocError('INPUT_INVALID', `output "${String(name)}" is not an output of this model; its outputs are ${listNames(signature.outputs)}`);
  }
  return [...new Set(requested as readonly string[])];
}

const outputNames = new WeakMap<Signature, readonly string[]>();

/** The names of all outputs, computed once per signature. */
function allOutputs(signature: Signature): readonly string[] {
  let names = outputNames.get(signature);
  if (names === undefined) {
    names = Object.freeze(signature.outputs.map((o) => o.name));
    outputNames.set(signature, names);
  }
  return names;
}

function listNames(infos: readonly TensorInfo[]): string {
  return infos.length === 0 ? '(none)' : infos.map((i) => `"${i.name}"`).join(', ');
}
