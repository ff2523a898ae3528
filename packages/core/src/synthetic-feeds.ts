/**
 * Inputs synthesized from a signature: zeros, or seeded random data, with every dynamic
 * dimension set to one size (or to the size `dims` gives it, by name or by `input[axis]`). Used by warm-up, by
 * `device: 'fastest'` to time devices, and by tools that run a model without real data.
 * @module
 */
import { STORAGE } from './dtype.js';
import { InprocError } from './errors.js';
import type { Dim, Signature } from './signature.js';
import { Tensor } from './tensor.js';

/** `input[axis]`: a key of `dims` that sizes one dynamic axis of one input (named or not). */
const AXIS_KEY = /^(.+)\[(\d+)\]$/;

/**
 * The signature with its dynamic dimensions fixed by `dims`, whose keys are symbolic
 * dimension names (`batch`) or `input[axis]` for one axis of one input, named or unnamed
 * (`input[1]`, as the CLI's `--dim`; this wins over the axis's name). Dimensions `dims` does
 * not size stay dynamic (the synthesizers make them `dynamicSize`, 1 by default).
 * @throws InprocError `INPUT_INVALID` when an `input[axis]` key names no input or a fixed or absent axis
 */
export function withDims(signature: Signature, dims: Readonly<Record<string, number>> | undefined): Signature {
  if (dims === undefined) return signature;
  const axes = new Map<string, Map<number, number>>();
  for (const [key, size] of Object.entries(dims)) {
    const m = AXIS_KEY.exec(key);
    if (m === null) continue;
    const [, input, axisText] = m as unknown as [string, string, string];
    const axis = Number(axisText);
    const info = signature.inputs.find((i) => i.name === input);
    const declared = info?.shape[axis];
    const problem =
      info === undefined
        ? `the model has no input "${input}" (its inputs: ${signature.inputs.map((i) => i.name).join(', ')})`
        : info.unknownRank !== true && axis >= info.shape.length
          ? `input "${input}" has rank ${info.shape.length}`
          : typeof declared === 'number' && declared >= 0
            ? `axis ${axis} of input "${input}" is fixed at ${declared}`
            : undefined;
    if (problem !== undefined) throw new InprocError('INPUT_INVALID', `options.dims["${key}"]: ${problem}`, { details: { field: 'dims', key } });
    const byAxis = axes.get(input) ?? new Map<number, number>();
    byAxis.set(axis, size);
    axes.set(input, byAxis);
  }
  const fix = (name: string, shape: readonly Dim[]): Dim[] =>
    shape.map((d, axis) => (typeof d === 'number' && d >= 0 ? d : (axes.get(name)?.get(axis) ?? (typeof d === 'string' ? (dims[d] ?? d) : d))));
  return { inputs: signature.inputs.map((i) => ({ ...i, shape: fix(i.name, i.shape) })), outputs: signature.outputs };
}

/** `x float32 [1, 512], sr int64 []`: what synthesized feeds are, for messages. */
export function describeFeeds(feeds: Readonly<Record<string, Tensor>>): string {
  return Object.entries(feeds)
    .map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(', ')}]`)
    .join(', ');
}

/** Synthesized warm-up inputs stay below 2^28 elements (1 GiB of float32) each. */
const MAX_SYNTHESIZED_ELEMENTS = 2 ** 28;

/** Zero-filled feeds that satisfy `signature` (symbolic and dynamic dimensions set to `dynamicSize`). */
export function zeroFeeds(signature: Signature, dynamicSize = 1): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const info of signature.inputs) {
    const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : dynamicSize));
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size <= MAX_SYNTHESIZED_ELEMENTS)) {
      throw new InprocError('INPUT_INVALID', `warm-up input "${info.name}" would be [${shape.join(', ')}] (${size} elements, more than ${MAX_SYNTHESIZED_ELEMENTS}); use a smaller dynamicSize or pass warm-up feeds`, { details: { field: 'dynamicSize' } });
    }
    const data = info.dtype === 'string' ? new Array<string>(size).fill('') : new STORAGE[info.dtype](size);
    feeds[info.name] = new Tensor(info.dtype, data, shape);
  }
  return feeds;
}

/** Options of {@link randomFeeds}. */
export interface RandomFeedsOptions {
  /** Same seed, same data; default 1. */
  readonly seed?: number;
  /** Size of symbolic and dynamic dimensions; default 1. */
  readonly dynamicSize?: number;
}

/**
 * Seeded random feeds that satisfy `signature`: floats uniform in [0, 1), integers 0 or
 * 1 (small, so that index inputs such as token ids stay in range), random bools, short
 * ASCII strings. Zeros can take fast paths that real data does not (sparse kernels,
 * denormal handling), so random data warms up closer to real traffic.
 */
export function randomFeeds(signature: Signature, options: RandomFeedsOptions = {}): Record<string, Tensor> {
  const next = mulberry32(options.seed ?? 1);
  const feeds = zeroFeeds(signature, options.dynamicSize ?? 1);
  for (const [name, tensor] of Object.entries(feeds)) {
    const data = tensor.data;
    if (Array.isArray(data)) {
      for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 2 ** 32).toString(36);
    } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < data.length; i++) data[i] = BigInt(next() < 0.5 ? 0 : 1);
    } else if (tensor.dtype === 'float32' || tensor.dtype === 'float64') {
      const floats = data as Float32Array | Float64Array;
      for (let i = 0; i < floats.length; i++) floats[i] = next();
    } else if (tensor.dtype === 'float16') {
      // Half-precision bit patterns of [0, 1): exponent 0..14, any mantissa.
      const halves = data as Uint16Array;
      for (let i = 0; i < halves.length; i++) halves[i] = (Math.floor(next() * 15) << 10) | Math.floor(next() * 1024);
    } else {
      const ints = data as Exclude<typeof data, Float32Array | Float64Array | BigInt64Array | BigUint64Array | string[]>;
      for (let i = 0; i < ints.length; i++) ints[i] = next() < 0.5 ? 0 : 1;
    }
    feeds[name] = tensor;
  }
  return feeds;
}

/** A small, fast, seedable PRNG (Mulberry32): reproducible warm-up without a dependency. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
