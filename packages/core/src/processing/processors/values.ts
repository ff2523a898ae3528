/**
 * Shared plumbing of the generic post-processors: which tensor of a model's outputs to
 * read, reading any numeric dtype as numbers (device tensors downloaded, float16
 * decoded, 64-bit integers converted), axes, and parameter checks for the registry.
 * @module
 * @internal
 */
import { InprocError } from '../../errors.js';
import { isTensor, type Outputs } from '../../signature.js';
import { type Tensor, describe } from '../../tensor.js';

/** What the generic post-processors accept: a tensor, or a model's outputs (one of which is chosen). */
export type TensorSource = Tensor | Outputs;

/**
 * The tensor a processor works on: `input` itself, or `input[output]`, or the only
 * output of a single-output model.
 */
export function pickTensor(input: TensorSource, output: string | undefined, who: string): Tensor {
  if (isTensor(input)) return input;
  if (typeof input !== 'object' || input === null) throw new InprocError('INPUT_INVALID', `${who}: expected a tensor or a model's outputs, got ${describe(input)}`);
  const names = Object.keys(input);
  if (output !== undefined) {
    const tensor = input[output];
    if (!isTensor(tensor)) throw new InprocError('INPUT_INVALID', `${who}: no output "${output}"; the outputs are ${names.join(', ') || 'none'}`);
    return tensor;
  }
  if (names.length !== 1) {
    throw new InprocError('INPUT_INVALID', `${who}: the model has ${names.length} outputs (${names.join(', ')}); pass { output: name } to choose one`);
  }
  const only = input[names[0]!];
  if (!isTensor(only)) throw new InprocError('INPUT_INVALID', `${who}: output "${names[0]}" is not a tensor, got ${describe(only)}`);
  return only;
}

/** The elements of a numeric tensor as numbers (a view when the storage already holds numbers). */
export async function readNumbers(tensor: Tensor, who: string): Promise<ArrayLike<number>> {
  const data = await tensor.getData();
  switch (tensor.dtype) {
    case 'string':
      throw new InprocError('INPUT_DTYPE', `${who}: expected a numeric tensor, got a string tensor [${tensor.shape.join(', ')}]`);
    case 'float16':
      return Float32Array.from(data as Uint16Array, halfToFloat);
    case 'int64':
    case 'uint64':
      return Float64Array.from(data as BigInt64Array | BigUint64Array, Number);
    default:
      return data as Exclude<typeof data, BigInt64Array | BigUint64Array | string[]>;
  }
}

/** IEEE 754 half-precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** A non-negative axis from a possibly negative one (`-1` is the last). */
export function normalizeAxis(axis: number, rank: number, who: string): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (rank === 0) throw new InprocError('INPUT_SHAPE', `${who}: expected a tensor of rank 1 or more, got a scalar`);
  if (!Number.isInteger(axis) || resolved < 0 || resolved >= rank) {
    throw new InprocError('INPUT_SHAPE', `${who}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return resolved;
}

/** Sizes around an axis: `outer` blocks of `length` elements spaced `inner` apart. */
export function aroundAxis(shape: readonly number[], axis: number): { outer: number; length: number; inner: number } {
  const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
  return { outer: product(shape.slice(0, axis)), length: shape[axis]!, inner: product(shape.slice(axis + 1)) };
}

// Parameter checks shared by the factories: each throws INPUT_INVALID naming the field.

export function integerParam(who: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InprocError('INPUT_INVALID', `${who}: ${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
  return value;
}

export function axisParam(who: string, value: unknown): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InprocError('INPUT_INVALID', `${who}: axis must be an integer, got ${describe(value)}`);
  return value;
}

export function numberParam(who: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InprocError('INPUT_INVALID', `${who}: ${name} must be a finite number, got ${describe(value)}`);
  return value;
}

export function optionalString(who: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new InprocError('INPUT_INVALID', `${who}: ${name} must be a non-empty string, got ${describe(value)}`);
  return value;
}

export function optionalBoolean(who: string, name: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new InprocError('INPUT_INVALID', `${who}: ${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Options objects must be objects (or absent). */
export function optionsObject<T extends object>(who: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InprocError('INPUT_INVALID', `${who}: options must be an object, got ${describe(value)}`);
  return value;
}
