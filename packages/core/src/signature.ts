/**
 * Model signatures and validation of a call's feeds against them, done before any
 * native call so that bad input gets a precise `InprocError` instead of a backend crash.
 * @module
 */
import type { DType } from './dtype.js';
import { InprocError } from './errors.js';
import { TENSOR_BRAND, Tensor, describe } from './tensor.js';

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
 * Checks feeds against a signature and returns them as a name → tensor record.
 * @throws InprocError `INPUT_MISSING`, `INPUT_UNEXPECTED`, `INPUT_DTYPE`, `INPUT_SHAPE`, `INPUT_INVALID`, `DISPOSED`
 */
export function validateFeeds(signature: Signature, feeds: unknown): Record<string, Tensor> {
  const named = normaliseFeeds(signature, feeds);
  // Hot path (every Model.run): no allocation unless a check fails or symbolic dims are bound.
  let bound: Map<string, { size: number; input: string }> | undefined;
  for (const info of signature.inputs) {
    const tensor = named[info.name];
    if (tensor === undefined) {
      const unexpected = Object.keys(named).find((name) => !signature.inputs.some((i) => i.name === name));
      if (unexpected !== undefined) throw unexpectedInput(signature, unexpected);
      const given = Object.keys(named);
      throw new InprocError('INPUT_MISSING', `input "${info.name}" (${info.dtype} ${formatShape(info.shape)}) is missing; given ${given.length ? given.map((n) => `"${n}"`).join(', ') : 'no inputs'}`);
    }
    if (!isTensor(tensor)) {
      throw new InprocError('INPUT_INVALID', `input "${info.name}": expected a Tensor, got ${describe(tensor)}`);
    }
    if (tensor.disposed) throw new InprocError('DISPOSED', `input "${info.name}": the tensor was disposed`);
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
        bound ??= new Map();
        const seen = bound.get(want);
        if (seen === undefined) bound.set(want, { size: got, input: info.name });
        else if (seen.size !== got) {
          throw new InprocError('INPUT_SHAPE', `input "${info.name}": dimension "${want}" (axis ${axis}) is ${got}, but it is ${seen.size} in input "${seen.input}"; inputs sharing a symbolic dimension must agree`);
        }
      }
    }
  }
  if (Object.keys(named).length !== signature.inputs.length) {
    const unexpected = Object.keys(named).find((name) => !signature.inputs.some((i) => i.name === name));
    if (unexpected !== undefined) throw unexpectedInput(signature, unexpected);
  }
  return named;
}

function unexpectedInput(signature: Signature, name: string): InprocError {
  return new InprocError('INPUT_UNEXPECTED', `input "${name}" is not an input of this model; its inputs are ${listNames(signature.inputs)}`);
}

function normaliseFeeds(signature: Signature, feeds: unknown): Record<string, Tensor> {
  if (isTensor(feeds)) {
    if (signature.inputs.length !== 1) {
      throw new InprocError('INPUT_INVALID', `a bare Tensor can only feed a model with one input; this model has ${signature.inputs.length}: ${listNames(signature.inputs)}. Pass { name: tensor } instead`);
    }
    return { [signature.inputs[0]!.name]: feeds };
  }
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds)) {
    throw new InprocError('INPUT_INVALID', `feeds must be a Tensor or a record of named Tensors, got ${describe(feeds)}`);
  }
  return feeds as Record<string, Tensor>;
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
